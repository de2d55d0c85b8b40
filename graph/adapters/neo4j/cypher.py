"""Every Cypher statement the Neo4j adapter runs, as typed constants.

One clause per line; values only as ``$parameters``; batches as ``UNWIND $rows AS row`` (or
``UNWIND $ids AS id``); schema statements named and ``IF NOT EXISTS``. Nothing here is built
at run time, so the driver sees ``LiteralString`` queries and the server caches one plan per
statement. The graph model these statements maintain is described in
:mod:`graph.adapters.neo4j.store`.
"""

from __future__ import annotations

from typing import Final, LiteralString

SCHEMA_VERSION: Final = 2
"""The version of the graph model below; :data:`WRITE_SCHEMA_VERSION` records it.

2: every ``TIE`` carries its pair key (:data:`TIE_PAIR_SEPARATOR`), unique; a database of
version 1 gets the keys when the store opens it (:data:`SET_MISSING_TIE_PAIRS`).
"""

TIE_PAIR_SEPARATOR: Final = "|"
"""Joins a tie's two ids, first-sorting first, into its ``pair`` key: ``"ann|ben"``. Ids never
contain it (graph.domain.batch refuses them); the Cypher below spells it ``'|'``."""

# ---------------------------------------------------------------------------------------------
# Schema

SCHEMA_STATEMENTS: Final[tuple[LiteralString, ...]] = (
    """
CREATE CONSTRAINT tiegraph_schema_name IF NOT EXISTS
FOR (n:TiegraphSchema)
REQUIRE n.name IS UNIQUE
""",
    """
CREATE CONSTRAINT person_id IF NOT EXISTS
FOR (n:Person)
REQUIRE n.id IS UNIQUE
""",
    """
CREATE CONSTRAINT organization_id IF NOT EXISTS
FOR (n:Organization)
REQUIRE n.id IS UNIQUE
""",
    """
CREATE CONSTRAINT interest_id IF NOT EXISTS
FOR (n:Interest)
REQUIRE n.id IS UNIQUE
""",
    """
CREATE CONSTRAINT group_id IF NOT EXISTS
FOR (n:Group)
REQUIRE n.id IS UNIQUE
""",
    """
CREATE CONSTRAINT meeting_id IF NOT EXISTS
FOR (n:Meeting)
REQUIRE n.id IS UNIQUE
""",
    """
CREATE CONSTRAINT breakout_id IF NOT EXISTS
FOR (n:Breakout)
REQUIRE n.id IS UNIQUE
""",
    """
CREATE CONSTRAINT side_conversation_id IF NOT EXISTS
FOR (n:SideConversation)
REQUIRE n.id IS UNIQUE
""",
    """
CREATE CONSTRAINT interaction_key IF NOT EXISTS
FOR (n:Interaction)
REQUIRE n.key IS UNIQUE
""",
    """
CREATE CONSTRAINT introduction_id IF NOT EXISTS
FOR (n:Introduction)
REQUIRE n.id IS UNIQUE
""",
    # No query finds interactions by time alone (they are reached through their people), so
    # an index on Interaction.at cost every import an index entry per interaction for
    # nothing; databases that have it lose it.
    """
DROP INDEX interaction_at IF EXISTS
""",
    # A tie is found by its pair key, an index seek, not by expanding one person's ties to the
    # other (tens to hundreds of db hits between two hubs). Ties without the key (a database
    # of schema version 1, until SET_MISSING_TIE_PAIRS has run) are outside the constraint.
    """
CREATE CONSTRAINT tie_pair IF NOT EXISTS
FOR ()-[t:TIE]-()
REQUIRE t.pair IS UNIQUE
""",
    """
CREATE INDEX person_name IF NOT EXISTS
FOR (n:Person)
ON (n.name)
""",
    """
CREATE INDEX meeting_starts_at IF NOT EXISTS
FOR (n:Meeting)
ON (n.starts_at)
""",
    """
CREATE INDEX side_conversation_at IF NOT EXISTS
FOR (n:SideConversation)
ON (n.at)
""",
    """
CREATE INDEX interest_name_key IF NOT EXISTS
FOR (n:Interest)
ON (n.name_key)
""",
    """
CREATE INDEX member_of_id IF NOT EXISTS
FOR ()-[r:MEMBER_OF]-()
ON (r.id)
""",
    """
CREATE INDEX attended_id IF NOT EXISTS
FOR ()-[r:ATTENDED]-()
ON (r.id)
""",
    """
CREATE TEXT INDEX person_profile_url IF NOT EXISTS
FOR (n:Person)
ON (n.profile_url)
""",
    """
CREATE CONSTRAINT tiegraph_change_sequence IF NOT EXISTS
FOR (n:TiegraphChange)
REQUIRE n.sequence IS UNIQUE
""",
    """
CREATE INDEX tiegraph_change_at IF NOT EXISTS
FOR (n:TiegraphChange)
ON (n.at_us)
""",
)
"""Uniqueness constraints on every application id, and the indexes reads rely on (and only
those: each one costs every write)."""

AWAIT_INDEXES: Final[LiteralString] = """
CALL db.awaitIndexes($timeout_s)
"""

READ_SCHEMA_VERSION: Final[LiteralString] = """
MATCH (s:TiegraphSchema {name: 'tiegraph'})
RETURN s.version AS version
"""

WRITE_SCHEMA_VERSION: Final[LiteralString] = """
MERGE (s:TiegraphSchema {name: 'tiegraph'})
SET s.version = $version
"""

# The migration to schema version 2: the ties of one page of people (by id, the bounds of
# RESCORE_PAGE_BOUNDS) that run from them and lack their pair key get it. Idempotent.
SET_MISSING_TIE_PAIRS: Final[LiteralString] = """
MATCH (a:Person)
WHERE a.id > $after AND a.id <= $last
MATCH (a)-[t:TIE]->(b:Person)
WHERE t.pair IS NULL
SET t.pair = a.id + '|' + b.id
RETURN count(t) AS ties
"""

PING: Final[LiteralString] = """
RETURN 1 AS ok
"""

# ---------------------------------------------------------------------------------------------
# Records by id. Each returns one map per stored record, shaped as graph.domain.codec.encode
# wrote it (relationship records gain their end points' ids).

GET_ORGANIZATIONS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Organization {id: id})
RETURN collect(properties(n)) AS props
"""

GET_INTERESTS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Interest {id: id})
RETURN collect(properties(n)) AS props
"""

GET_PEOPLE: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Person {id: id})
RETURN collect(properties(n)) AS props
"""

GET_GROUPS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Group {id: id})
RETURN collect(properties(n)) AS props
"""

GET_MEMBERSHIPS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (p:Person)-[r:MEMBER_OF {id: id}]->(g:Group)
RETURN collect(r {.*, group_id: g.id, person_id: p.id}) AS props
"""

GET_MEETINGS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Meeting {id: id})
RETURN collect(properties(n)) AS props
"""

GET_ATTENDANCE: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (p:Person)-[r:ATTENDED {id: id}]->(m:Meeting)
RETURN collect(r {.*, meeting_id: m.id, person_id: p.id}) AS props
"""

GET_BREAKOUTS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Breakout {id: id})
RETURN collect(properties(n)) AS props
"""

GET_SIDE_CONVERSATIONS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:SideConversation {id: id})
RETURN collect(properties(n)) AS props
"""

GET_INTERACTIONS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Interaction {key: id})
RETURN collect(properties(n)) AS props
"""

GET_INTRODUCTIONS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Introduction {id: id})
RETURN collect(properties(n)) AS props
"""

# Existence only, for the references a batch makes (cheaper than whole records).

EXISTING_ORGANIZATION_IDS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Organization {id: id})
RETURN collect(n.id) AS ids
"""

EXISTING_PERSON_IDS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Person {id: id})
RETURN collect(n.id) AS ids
"""

EXISTING_GROUP_IDS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Group {id: id})
RETURN collect(n.id) AS ids
"""

EXISTING_MEETING_IDS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Meeting {id: id})
RETURN collect(n.id) AS ids
"""

ATTENDEES_OF_MEETINGS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (:Meeting {id: id})<-[:ATTENDED]-(p:Person)
RETURN collect([id, p.id]) AS attendees
"""

# ---------------------------------------------------------------------------------------------
# Writes. ``SET n = row.props`` replaces every property, so a field that became None is removed.
# Instants travel as [epoch seconds, nanoseconds] and become DateTime here: the driver's own
# conversion of a Python datetime costs tens of microseconds each, the bulk of a large batch.

UPSERT_ORGANIZATIONS: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (n:Organization {id: row.id})
SET n = row.props
"""

UPSERT_INTERESTS: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (n:Interest {id: row.id})
SET n = row.props, n.name_key = toLower(trim(row.props.name))
"""

UNLINK_INTERESTS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (:Interest {id: id})<-[r:INTERESTED_IN]-(:Person)
DELETE r
"""

# Person interests are free text; a label links to the interests whose folded name or id it
# equals. Written interests can match labels of any stored person, hence the scan.
LINK_PEOPLE_TO_INTERESTS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (i:Interest {id: id})
WITH collect(i.name_key) + collect(i.id) AS keys
MATCH (p:Person)
UNWIND coalesce(p.interests, []) AS label
WITH p, toLower(trim(label)) AS key, keys
WHERE key IN keys
MATCH (i:Interest)
WHERE i.name_key = key OR i.id = key
MERGE (p)-[:INTERESTED_IN]->(i)
"""

UPSERT_PEOPLE: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (n:Person {id: row.id})
SET n = row.props
"""

UNLINK_PEOPLE: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (:Person {id: id})-[r:WORKS_AT|INTERESTED_IN]->()
DELETE r
"""

LINK_PEOPLE_TO_ORGANIZATIONS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (p:Person {id: row.id})
MATCH (o:Organization {id: row.organization_id})
CREATE (p)-[:WORKS_AT]->(o)
"""

LINK_INTERESTS_OF_PEOPLE: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (p:Person {id: id})
UNWIND coalesce(p.interests, []) AS label
WITH p, toLower(trim(label)) AS key
MATCH (i:Interest)
WHERE i.name_key = key OR i.id = key
MERGE (p)-[:INTERESTED_IN]->(i)
"""

UPSERT_GROUPS: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (n:Group {id: row.id})
SET n = row.props
"""

UNLINK_GROUPS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (:Group {id: id})-[r:LED_BY]->()
DELETE r
"""

LINK_GROUPS_TO_LEADERS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (g:Group {id: row.id})
MATCH (p:Person {id: row.leader_id})
CREATE (g)-[:LED_BY]->(p)
"""

UPSERT_MEMBERSHIPS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (p:Person {id: row.person_id})
MATCH (g:Group {id: row.group_id})
MERGE (p)-[r:MEMBER_OF]->(g)
SET r = row.props
"""

UPSERT_MEETINGS: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (n:Meeting {id: row.id})
SET
  n = row.props,
  n.starts_at = datetime({epochSeconds: row.starts_at[0], nanosecond: row.starts_at[1]})
"""

UNLINK_MEETINGS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (:Meeting {id: id})-[r:OF_GROUP]->()
DELETE r
"""

LINK_MEETINGS_TO_GROUPS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (m:Meeting {id: row.id})
MATCH (g:Group {id: row.group_id})
CREATE (m)-[:OF_GROUP]->(g)
"""

UPSERT_ATTENDANCE: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (p:Person {id: row.person_id})
MATCH (m:Meeting {id: row.meeting_id})
MERGE (p)-[r:ATTENDED]->(m)
SET r = row.props
"""

# Breakouts, side conversations and interactions record what happened: the planner only ever
# creates them, so their relationships are created once, with them.
CREATE_BREAKOUTS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (m:Meeting {id: row.meeting_id})
CREATE (b:Breakout)
SET b = row.props
CREATE (b)-[:DURING]->(m)
WITH b, row
UNWIND row.people AS person_id
MATCH (p:Person {id: person_id})
CREATE (p)-[:IN_BREAKOUT]->(b)
"""

CREATE_SIDE_CONVERSATIONS: Final[LiteralString] = """
UNWIND $rows AS row
CREATE (s:SideConversation)
SET s = row.props, s.at = datetime({epochSeconds: row.at[0], nanosecond: row.at[1]})
WITH s, row
UNWIND row.people AS person_id
MATCH (p:Person {id: person_id})
CREATE (p)-[:TOOK_PART]->(s)
"""

# Properties are spelled out (null ones are simply not stored): unlike ``SET i = row.props``
# this lets the planner stream rows instead of buffering them all (no Eager operator).
# ``row.people`` is given only when participant_ids repeats someone.
CREATE_INTERACTIONS: Final[LiteralString] = """
UNWIND $rows AS row
CREATE (i:Interaction {
  key: row.key,
  at: datetime({epochSeconds: row.at[0], nanosecond: row.at[1]}),
  kind: row.kind,
  participant_ids: row.participant_ids,
  initiator_id: row.initiator_id,
  duration_s: row.duration_s,
  channel: row.channel,
  group_size: row.group_size
})
WITH i, row
UNWIND coalesce(row.people, row.participant_ids) AS person_id
MATCH (p:Person {id: person_id})
CREATE (p)-[:PARTICIPATED]->(i)
"""

UPSERT_INTRODUCTIONS: Final[LiteralString] = """
UNWIND $rows AS row
MERGE (n:Introduction {id: row.id})
SET
  n = row.props,
  n.requested_at = datetime({epochSeconds: row.requested_at[0], nanosecond: row.requested_at[1]})
WITH n, row
WHERE row.updated_at IS NOT NULL
SET n.updated_at = datetime({epochSeconds: row.updated_at[0], nanosecond: row.updated_at[1]})
"""

UNLINK_INTRODUCTIONS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (:Introduction {id: id})-[r:REQUESTED_BY|INTRODUCER|TARGET]->()
DELETE r
"""

LINK_INTRODUCTIONS_TO_PEOPLE: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (n:Introduction {id: row.id})
MATCH (requester:Person {id: row.requester_id})
MATCH (introducer:Person {id: row.introducer_id})
MATCH (target:Person {id: row.target_id})
CREATE (n)-[:REQUESTED_BY]->(requester)
CREATE (n)-[:INTRODUCER]->(introducer)
CREATE (n)-[:TARGET]->(target)
"""

TIE_COUNT_PROPERTIES: Final[tuple[str, ...]] = (
    "n_meeting",
    "n_breakout",
    "n_side_conversation",
    "n_message",
    "n_call",
    "n_contact",
    "n_introduction",
    "n_connection",
)
"""The per-kind counters of a tie, one per InteractionKind value (the store checks this)."""

# The instants are converted where they are used: a WITH computing them once would make the
# planner buffer every row (Eager) before merging.
# A tie runs from the person whose id sorts first. Deltas add up; first/last take min/max.
# The tie is found by its pair key (row.pair, unique: an index seek), and MERGE locks both
# people before creating one, so two writers of the same new tie never both create it.
# The score is a decaying sum kept at the last contact (graph.domain.strength.combine): the
# older of the stored and the new score is decayed to the later instant, then they are added.
# The scores are set first, while t.last_at still holds the stored instant.
# A row names only the kinds it counts (null otherwise): a counter stays absent until counted,
# and coalesce() adds whichever of the stored and new counts exist.
# One decayed sum per score (the total and each side's part), as in combine_scores.
_DECAYED_SUM: Final[LiteralString] = """
  t.PROP = CASE
    WHEN row.last_at[0] > t.last_at.epochSeconds
      OR (row.last_at[0] = t.last_at.epochSeconds AND row.last_at[1] >= t.last_at.nanosecond)
    THEN coalesce(t.PROP, 0.0) * 2.0 ^ (-(
      (row.last_at[0] - t.last_at.epochSeconds)
      + (row.last_at[1] - t.last_at.nanosecond) / 1000000000.0
    ) / $half_life_s) + row.PROP
    ELSE coalesce(t.PROP, 0.0) + row.PROP * 2.0 ^ (-(
      (t.last_at.epochSeconds - row.last_at[0])
      + (t.last_at.nanosecond - row.last_at[1]) / 1000000000.0
    ) / $half_life_s)
  END,"""

MERGE_TIES: Final[LiteralString] = (
    """
UNWIND $rows AS row
MATCH (a:Person {id: row.a})
MATCH (b:Person {id: row.b})
MERGE (a)-[t:TIE {pair: row.pair}]->(b)
ON CREATE SET
  t.first_at = datetime({epochSeconds: row.first_at[0], nanosecond: row.first_at[1]}),
  t.last_at = datetime({epochSeconds: row.last_at[0], nanosecond: row.last_at[1]}),
  t.count = row.count,
  t.initiated_by_a = row.initiated_by_a,
  t.initiated_by_b = row.initiated_by_b,
  t.score = row.score,
  t.score_by_a = row.score_by_a,
  t.score_by_b = row.score_by_b,
  t.n_meeting = row.n_meeting,
  t.n_breakout = row.n_breakout,
  t.n_side_conversation = row.n_side_conversation,
  t.n_message = row.n_message,
  t.n_call = row.n_call,
  t.n_contact = row.n_contact,
  t.n_introduction = row.n_introduction,
  t.n_connection = row.n_connection
ON MATCH SET
"""
    + _DECAYED_SUM.replace("PROP", "score")
    + _DECAYED_SUM.replace("PROP", "score_by_a")
    + _DECAYED_SUM.replace("PROP", "score_by_b")
    + """
  t.first_at = CASE
    WHEN datetime({epochSeconds: row.first_at[0], nanosecond: row.first_at[1]}) < t.first_at
    THEN datetime({epochSeconds: row.first_at[0], nanosecond: row.first_at[1]})
    ELSE t.first_at
  END,
  t.last_at = CASE
    WHEN datetime({epochSeconds: row.last_at[0], nanosecond: row.last_at[1]}) > t.last_at
    THEN datetime({epochSeconds: row.last_at[0], nanosecond: row.last_at[1]})
    ELSE t.last_at
  END,
  t.count = t.count + row.count,
  t.initiated_by_a = t.initiated_by_a + row.initiated_by_a,
  t.initiated_by_b = t.initiated_by_b + row.initiated_by_b,
  t.n_meeting = coalesce(
    t.n_meeting + row.n_meeting,
    t.n_meeting,
    row.n_meeting
  ),
  t.n_breakout = coalesce(
    t.n_breakout + row.n_breakout,
    t.n_breakout,
    row.n_breakout
  ),
  t.n_side_conversation = coalesce(
    t.n_side_conversation + row.n_side_conversation,
    t.n_side_conversation,
    row.n_side_conversation
  ),
  t.n_message = coalesce(
    t.n_message + row.n_message,
    t.n_message,
    row.n_message
  ),
  t.n_call = coalesce(
    t.n_call + row.n_call,
    t.n_call,
    row.n_call
  ),
  t.n_contact = coalesce(
    t.n_contact + row.n_contact,
    t.n_contact,
    row.n_contact
  ),
  t.n_introduction = coalesce(
    t.n_introduction + row.n_introduction,
    t.n_introduction,
    row.n_introduction
  ),
  t.n_connection = coalesce(
    t.n_connection + row.n_connection,
    t.n_connection,
    row.n_connection
  )
"""
)

READ_STRENGTH_MODEL: Final[LiteralString] = """
MATCH (s:TiegraphSchema {name: 'tiegraph'})
RETURN s.strength_model AS model
"""

WRITE_STRENGTH_MODEL: Final[LiteralString] = """
MERGE (s:TiegraphSchema {name: 'tiegraph'})
SET s.strength_model = $model
"""

# Rebuilds the ties of one page of people (by id) from their history, on the server: each
# person's interactions with people whose id sorts after theirs, folded per pair as
# graph.domain.batch.TieAccumulator folds them (participant_ids without repeats, weights as
# strength.weight_of gives them, the decayed sums taken at the pair's last contact, instants to
# the microsecond). A person's ties run from them to exactly those people, so the folded pairs
# and the person's outgoing ties, both sorted by the other id, are zipped instead of matched
# pair by pair (an Expand(Into) per pair costs tens of db hits between two hubs); a person
# whose two lists differ (a tie missing) gets the ties merged one by one. A tie whose counts
# and instants are as folded (the strength model changed, not the history) gets only its
# three scores set; any other is set from the folded map (its pair key kept). The stored
# properties are read once (properties(t)): one walk of the tie's property chain, not thirteen.
# Pages hold disjoint people, so they can run side by side: a tie is only ever written from the
# person whose id sorts first. Returns the ties written.
RESCORE_TIES_OF_PEOPLE: Final[LiteralString] = """
MATCH (a:Person)
WHERE a.id > $after AND a.id <= $last
CALL (a) {
  MATCH (a)-[:PARTICIPATED]->(i:Interaction)
  WITH a, i, CASE
    WHEN size(i.participant_ids) = 2 THEN i.participant_ids
    ELSE [k IN range(0, size(i.participant_ids) - 1)
      WHERE NOT i.participant_ids[k] IN i.participant_ids[0..k] | i.participant_ids[k]]
  END AS people
  WITH a, i, people, coalesce($weights[i.kind], 0.0) AS base,
    CASE
      WHEN NOT i.kind IN $group_kinds THEN 2
      WHEN coalesce(i.group_size, 0) <> 0 THEN i.group_size
      ELSE size(people)
    END AS group_size
  UNWIND people AS b
  WITH a, b, i, CASE WHEN group_size > 2 THEN base / (group_size - 1) ELSE base END AS w
  WHERE a.id < b
  WITH a, b, i.kind AS kind, i.at AS at, i.initiator_id AS initiator, w
  WITH a, b,
    min(at) AS first_at,
    max(at) AS last_at,
    count(*) AS n,
    sum(CASE WHEN initiator = a.id THEN 1 ELSE 0 END) AS by_a,
    sum(CASE WHEN initiator = b THEN 1 ELSE 0 END) AS by_b,
    collect(kind) AS kinds,
    collect([at.epochSeconds, at.nanosecond / 1000, w,
      CASE initiator WHEN a.id THEN 1 WHEN b THEN 2 ELSE 0 END]) AS xs
  WITH a, b, first_at, last_at, n, by_a, by_b, kinds,
    [x IN xs | [x[2] * 2.0 ^ (-(
      (last_at.epochSeconds - x[0]) + (last_at.nanosecond / 1000 - x[1]) / 1000000.0
    ) / $half_life_s), x[3]]] AS parts
  WITH a, b, {
    first_at: first_at,
    last_at: last_at,
    count: n,
    initiated_by_a: by_a,
    initiated_by_b: by_b,
    score: reduce(s = 0.0, p IN parts | s + p[0]),
    score_by_a: reduce(s = 0.0, p IN parts | s + CASE p[1] WHEN 1 THEN p[0] ELSE 0.0 END),
    score_by_b: reduce(s = 0.0, p IN parts | s + CASE p[1] WHEN 2 THEN p[0] ELSE 0.0 END),
    n_meeting: nullIf(size([k IN kinds WHERE k = 'meeting']), 0),
    n_breakout: nullIf(size([k IN kinds WHERE k = 'breakout']), 0),
    n_side_conversation: nullIf(size([k IN kinds WHERE k = 'side_conversation']), 0),
    n_message: nullIf(size([k IN kinds WHERE k = 'message']), 0),
    n_call: nullIf(size([k IN kinds WHERE k = 'call']), 0),
    n_contact: nullIf(size([k IN kinds WHERE k = 'contact']), 0),
    n_introduction: nullIf(size([k IN kinds WHERE k = 'introduction']), 0),
    n_connection: nullIf(size([k IN kinds WHERE k = 'connection']), 0)
  } AS tie
  ORDER BY b
  WITH a, collect(b) AS others, collect(tie) AS folded
  CALL (a) {
    MATCH (a)-[t:TIE]->(o:Person)
    WITH t, o.id AS other
    ORDER BY other
    RETURN collect(t) AS stored, collect(other) AS stored_others
  }
  CALL (a, others, folded, stored, stored_others) {
    WITH *
    WHERE others = stored_others
    UNWIND range(0, size(stored) - 1) AS k
    WITH stored[k] AS t, folded[k] AS tie
    WITH t, tie, properties(t) AS held
    WITH t, tie, [
      held.count, held.initiated_by_a, held.initiated_by_b, held.first_at, held.last_at,
      coalesce(held.n_meeting, 0), coalesce(held.n_breakout, 0),
      coalesce(held.n_side_conversation, 0), coalesce(held.n_message, 0), coalesce(held.n_call, 0),
      coalesce(held.n_contact, 0), coalesce(held.n_introduction, 0), coalesce(held.n_connection, 0)
    ] = [
      tie.count, tie.initiated_by_a, tie.initiated_by_b, tie.first_at, tie.last_at,
      coalesce(tie.n_meeting, 0), coalesce(tie.n_breakout, 0),
      coalesce(tie.n_side_conversation, 0), coalesce(tie.n_message, 0), coalesce(tie.n_call, 0),
      coalesce(tie.n_contact, 0), coalesce(tie.n_introduction, 0), coalesce(tie.n_connection, 0)
    ] AS same
    SET t += CASE
      WHEN same THEN tie {.score, .score_by_a, .score_by_b}
      ELSE tie
    END
    RETURN count(*) AS zipped
  }
  CALL (a, others, folded, stored_others) {
    WITH *
    WHERE others <> stored_others
    UNWIND range(0, size(others) - 1) AS k
    MATCH (b:Person {id: others[k]})
    MERGE (a)-[t:TIE {pair: a.id + '|' + b.id}]->(b)
    SET t += folded[k]
    RETURN count(*) AS merged
  }
  RETURN zipped + merged AS written
}
RETURN sum(written) AS ties
"""

# Every RESCORE_PAGE-th person id (by id), and the last: the bounds of the rescoring pages.
RESCORE_PAGE_BOUNDS: Final[LiteralString] = """
MATCH (a:Person)
WITH a.id AS id
ORDER BY id
WITH collect(id) AS ids
RETURN [k IN range(0, size(ids) - 1) WHERE k % $page = $page - 1 | ids[k]]
  + CASE WHEN size(ids) % $page = 0 THEN [] ELSE [ids[-1]] END AS bounds
"""

# ---------------------------------------------------------------------------------------------
# Listings, keyset-paginated by id: ``$after`` is "" for the first page (every id sorts after
# it), which keeps the predicate a plain range the id index can seek and order by.

LIST_ORGANIZATIONS: Final[LiteralString] = """
MATCH (n:Organization)
WHERE n.id > $after
WITH n
ORDER BY n.id
LIMIT $limit
RETURN collect(properties(n)) AS props
"""

LIST_INTERESTS: Final[LiteralString] = """
MATCH (n:Interest)
WHERE n.id > $after
WITH n
ORDER BY n.id
LIMIT $limit
RETURN collect(properties(n)) AS props
"""

LIST_PEOPLE: Final[LiteralString] = """
MATCH (n:Person)
WHERE n.id > $after
WITH n
ORDER BY n.id
LIMIT $limit
RETURN collect(properties(n)) AS props
"""

LIST_GROUPS: Final[LiteralString] = """
MATCH (n:Group)
WHERE n.id > $after
WITH n
ORDER BY n.id
LIMIT $limit
RETURN collect(properties(n)) AS props
"""

LIST_MEMBERSHIPS: Final[LiteralString] = """
MATCH (p:Person)-[r:MEMBER_OF]->(g:Group)
WHERE r.id > $after
WITH r, p, g
ORDER BY r.id
LIMIT $limit
RETURN collect(r {.*, group_id: g.id, person_id: p.id}) AS props
"""

LIST_MEETINGS: Final[LiteralString] = """
MATCH (n:Meeting)
WHERE n.id > $after
WITH n
ORDER BY n.id
LIMIT $limit
RETURN collect(properties(n)) AS props
"""

LIST_ATTENDANCE: Final[LiteralString] = """
MATCH (p:Person)-[r:ATTENDED]->(m:Meeting)
WHERE r.id > $after
WITH r, p, m
ORDER BY r.id
LIMIT $limit
RETURN collect(r {.*, meeting_id: m.id, person_id: p.id}) AS props
"""

LIST_BREAKOUTS: Final[LiteralString] = """
MATCH (n:Breakout)
WHERE n.id > $after
WITH n
ORDER BY n.id
LIMIT $limit
RETURN collect(properties(n)) AS props
"""

LIST_SIDE_CONVERSATIONS: Final[LiteralString] = """
MATCH (n:SideConversation)
WHERE n.id > $after
WITH n
ORDER BY n.id
LIMIT $limit
RETURN collect(properties(n)) AS props
"""

LIST_INTERACTIONS: Final[LiteralString] = """
MATCH (n:Interaction)
WHERE n.key > $after
WITH n
ORDER BY n.key
LIMIT $limit
RETURN collect(properties(n)) AS props
"""

LIST_INTRODUCTIONS: Final[LiteralString] = """
MATCH (n:Introduction)
WHERE n.id > $after
WITH n
ORDER BY n.id
LIMIT $limit
RETURN collect(properties(n)) AS props
"""

# Each count reads the server's count store, so one round trip costs next to nothing.
COUNT_EVERYTHING: Final[LiteralString] = """
CALL () { MATCH (n:Organization) RETURN count(n) AS organization }
CALL () { MATCH (n:Interest) RETURN count(n) AS interest }
CALL () { MATCH (n:Person) RETURN count(n) AS person }
CALL () { MATCH (n:Group) RETURN count(n) AS group }
CALL () { MATCH ()-[r:MEMBER_OF]->() RETURN count(r) AS membership }
CALL () { MATCH (n:Meeting) RETURN count(n) AS meeting }
CALL () { MATCH ()-[r:ATTENDED]->() RETURN count(r) AS attendance }
CALL () { MATCH (n:Breakout) RETURN count(n) AS breakout }
CALL () { MATCH (n:SideConversation) RETURN count(n) AS side_conversation }
CALL () { MATCH (n:Interaction) RETURN count(n) AS interaction }
CALL () { MATCH (n:Introduction) RETURN count(n) AS introduction }
CALL () { MATCH ()-[r:TIE]->() RETURN count(r) AS tie }
RETURN {
  organization: organization,
  interest: interest,
  person: person,
  group: group,
  membership: membership,
  meeting: meeting,
  attendance: attendance,
  breakout: breakout,
  side_conversation: side_conversation,
  interaction: interaction,
  introduction: introduction,
  tie: tie
} AS counts
"""

# ---------------------------------------------------------------------------------------------
# Reads for the use cases.

# Filters arrive folded with toLower on this side too, so both sides fold alike.
SEARCH_PEOPLE: Final[LiteralString] = """
MATCH (n:Person)
WHERE n.id > $after
AND ($name IS NULL OR toLower(n.name) CONTAINS toLower($name))
AND ($interest IS NULL OR any(x IN coalesce(n.interests, []) WHERE toLower(x) = toLower($interest)))
AND ($profession IS NULL OR toLower(n.profession) = toLower($profession))
AND ($industry IS NULL OR toLower(n.industry) = toLower($industry))
AND ($organization_id IS NULL OR toLower(n.organization_id) = toLower($organization_id))
AND ($location IS NULL OR toLower(n.location) = toLower($location))
AND (NOT $discoverable_only OR n.discoverable)
WITH n
ORDER BY n.id
LIMIT $limit
RETURN collect(properties(n)) AS props
"""

PEOPLE_BY_EMAIL: Final[LiteralString] = """
MATCH (n:Person)
WHERE toLower(trim(n.email)) IN $emails
RETURN collect(properties(n)) AS props
"""
"""People whose address, trimmed and in lower case, is one of ``$emails`` (already so). Case
does not count, so no index helps: a scan of the people, like the searches above."""

PEOPLE_BY_PROFILE_URL: Final[LiteralString] = """
UNWIND $fragments AS fragment
MATCH (n:Person)
WHERE n.profile_url CONTAINS fragment
WITH DISTINCT n
RETURN collect(properties(n)) AS props
"""
"""People whose profile URL contains one of ``$fragments``, through the text index
``person_profile_url``; candidates only, the caller compares the URLs' keys."""

PEOPLE_NAMES_AT_ORGANIZATIONS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (:Organization {id: id})<-[:WORKS_AT]-(n:Person)
RETURN collect([id, n.id, n.name]) AS people
"""
"""The id and name of everyone who works at one of the organizations ``$ids``, with that
organization's id: a seek on the ``organization_id`` constraint, then the organization's
``WORKS_AT`` relationships (no index of its own needed). The caller compares the names' keys."""

COUNT_PEOPLE_FOUND: Final[LiteralString] = """
MATCH (n:Person)
WHERE ($name IS NULL OR toLower(n.name) CONTAINS toLower($name))
AND ($interest IS NULL OR any(x IN coalesce(n.interests, []) WHERE toLower(x) = toLower($interest)))
AND ($profession IS NULL OR toLower(n.profession) = toLower($profession))
AND ($industry IS NULL OR toLower(n.industry) = toLower($industry))
AND ($organization_id IS NULL OR toLower(n.organization_id) = toLower($organization_id))
AND ($location IS NULL OR toLower(n.location) = toLower($location))
AND (NOT $discoverable_only OR n.discoverable)
RETURN count(n) AS total
"""

MEMBERSHIPS_OF_GROUPS: Final[LiteralString] = """
UNWIND $group_ids AS group_id
MATCH (p:Person)-[r:MEMBER_OF]->(g:Group {id: group_id})
WHERE $person_ids IS NULL OR p.id IN $person_ids
WITH r, p, g
ORDER BY g.id, p.id
RETURN collect(r {.*, group_id: g.id, person_id: p.id}) AS props
"""

# Memberships of a few people among many groups (the viewer's among the groups a policy
# asks about): from each person by the unique id through their own memberships, never through
# every member of every group (the index hint keeps the planner from starting at the groups
# when its estimates favour them).
MEMBERSHIPS_OF_PEOPLE_IN_GROUPS: Final[LiteralString] = """
UNWIND $person_ids AS person_id
MATCH (p:Person {id: person_id})-[r:MEMBER_OF]->(g:Group)
USING INDEX p:Person(id)
WHERE g.id IN $group_ids
WITH r, p, g
ORDER BY g.id, p.id
RETURN collect(r {.*, group_id: g.id, person_id: p.id}) AS props
"""

MEMBERSHIPS_OF_PEOPLE: Final[LiteralString] = """
UNWIND $person_ids AS person_id
MATCH (p:Person {id: person_id})-[r:MEMBER_OF]->(g:Group)
WITH r, p, g
ORDER BY g.id, p.id
RETURN collect(r {.*, group_id: g.id, person_id: p.id}) AS props
"""

ALL_MEMBERSHIPS: Final[LiteralString] = """
MATCH (p:Person)-[r:MEMBER_OF]->(g:Group)
WITH r, p, g
ORDER BY g.id, p.id
RETURN collect(r {.*, group_id: g.id, person_id: p.id}) AS props
"""

MEETINGS_OF_GROUPS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Meeting)-[:OF_GROUP]->(:Group {id: id})
WITH n
ORDER BY n.starts_at, n.id
RETURN collect(properties(n)) AS props
"""

ATTENDANCE_AT_MEETINGS: Final[LiteralString] = """
UNWIND $meeting_ids AS meeting_id
MATCH (p:Person)-[r:ATTENDED]->(m:Meeting {id: meeting_id})
WHERE $person_ids IS NULL OR p.id IN $person_ids
WITH r, p, m
ORDER BY m.id, p.id
RETURN collect(r {.*, meeting_id: m.id, person_id: p.id}) AS props
"""

ATTENDANCE_OF_PEOPLE: Final[LiteralString] = """
UNWIND $person_ids AS person_id
MATCH (p:Person {id: person_id})-[r:ATTENDED]->(m:Meeting)
WITH r, p, m
ORDER BY m.id, p.id
RETURN collect(r {.*, meeting_id: m.id, person_id: p.id}) AS props
"""

# The person is bound by the unique id before the expansion; their groups and their
# neighbours are collected once. Each tie's shared contacts are the other's neighbours found
# in that list (one expansion of the other's ties and a set lookup each: linear in the
# degrees; a pattern closed back into the person by Expand(Into) cost a hub's whole degree per
# candidate), the degrees are read from the degree store (`GetDegree`: an untyped far end, as
# every tie joins two people), and only the ties in $others (null for all) are counted. Only
# accepted memberships count (a membership stored before there were invitations has no
# status, and was accepted).
TIE_CONTEXTS: Final[LiteralString] = """
MATCH (p:Person {id: $person_id})
CALL (p) {
  OPTIONAL MATCH (p)-[r:MEMBER_OF]->(g:Group)
  WHERE coalesce(r.status, 'active') = 'active'
  RETURN collect(g.id) AS groups
}
CALL (p) {
  OPTIONAL MATCH (p)-[:TIE]-(m)
  RETURN collect(m) AS neighbours
}
MATCH (p)-[t:TIE]-(o:Person)
WHERE $others IS NULL OR o.id IN $others
RETURN o.id AS other_id, properties(t) AS props, size(neighbours) AS degree,
  COUNT { (o)-[:TIE]-() } AS other_degree,
  COUNT { (o)-[:TIE]-(m) WHERE m IN neighbours AND m <> p AND m <> o } AS shared_contacts,
  COUNT {
    (o)-[r:MEMBER_OF]->(g:Group)
    WHERE g.id IN groups AND coalesce(r.status, 'active') = 'active'
  } AS shared_groups
ORDER BY other_id
"""

# The ties among a few people, each pair once (from the person whose id sorts first), with
# what TIE_CONTEXTS counts: every person bound by the unique id and their groups collected once;
# each person's ties expanded once, grouped by the neighbour, so a neighbour of several of them
# counts once for each of their pairs (linear in the people's degrees, hubs included); each
# pair's tie is then found between two bound nodes. Every tie joins two people, so neither the
# degree (read from the degree store) nor the neighbours check the far end's label.
TIE_CONTEXTS_AMONG: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (p:Person {id: id})
CALL (p) {
  OPTIONAL MATCH (p)-[r:MEMBER_OF]->(g:Group)
  WHERE coalesce(r.status, 'active') = 'active'
  RETURN collect(g.id) AS groups
}
WITH collect({person: p, id: id, groups: groups, degree: COUNT { (p)-[:TIE]-() }}) AS people
CALL (people) {
  UNWIND people AS x
  WITH x.person AS p, x.id AS id
  MATCH (p)-[:TIE]-(m)
  WITH m, collect(id) AS whose
  WHERE size(whose) > 1
  UNWIND whose AS a
  UNWIND whose AS b
  WITH a, b
  WHERE a <> b
  WITH a, b, count(*) AS n
  RETURN collect([a, b, n]) AS shared
}
UNWIND range(0, size(people) - 2) AS i
UNWIND range(i + 1, size(people) - 1) AS j
WITH people[i] AS x, people[j] AS y, shared
WITH x, y, shared, x.person AS p, y.person AS o
MATCH (p)-[t:TIE]-(o)
RETURN x.id AS person_id, y.id AS other_id, properties(t) AS props,
  x.degree AS degree,
  y.degree AS other_degree,
  coalesce(head([s IN shared WHERE s[0] = x.id AND s[1] = y.id | s[2]]), 0) AS shared_contacts,
  size([g IN x.groups WHERE g IN y.groups]) AS shared_groups
ORDER BY person_id, other_id
"""

ALL_ATTENDANCE: Final[LiteralString] = """
MATCH (p:Person)-[r:ATTENDED]->(m:Meeting)
WITH r, p, m
ORDER BY m.id, p.id
RETURN collect(r {.*, meeting_id: m.id, person_id: p.id}) AS props
"""

BREAKOUTS_OF_MEETINGS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Breakout)-[:DURING]->(:Meeting {id: id})
WITH n
ORDER BY n.meeting_id, n.id
RETURN collect(properties(n)) AS props
"""

SIDE_CONVERSATIONS_OF_PERSON: Final[LiteralString] = """
MATCH (:Person {id: $person_id})-[:TOOK_PART]->(n:SideConversation)
WITH n
ORDER BY n.at, n.id
RETURN collect(properties(n)) AS props
"""

INTRODUCTIONS_OF_PERSON: Final[LiteralString] = """
MATCH (:Person {id: $person_id})<-[:REQUESTED_BY|INTRODUCER|TARGET]-(n:Introduction)
WITH DISTINCT n
ORDER BY n.id
RETURN collect(properties(n)) AS props
"""

INTERACTIONS_OF_PERSON: Final[LiteralString] = """
MATCH (:Person {id: $person_id})-[:PARTICIPATED]->(n:Interaction)
WHERE ($since IS NULL OR n.at >= $since)
AND ($until IS NULL OR n.at < $until)
WITH n
ORDER BY n.at, n.key
RETURN collect(properties(n)) AS props
"""

INTERACTIONS_OF_PAIR: Final[LiteralString] = """
MATCH (:Person {id: $person_id})-[:PARTICIPATED]->(n:Interaction)
MATCH (n)<-[:PARTICIPATED]-(:Person {id: $other_id})
WHERE ($since IS NULL OR n.at >= $since)
AND ($until IS NULL OR n.at < $until)
WITH n
ORDER BY n.at, n.key
RETURN collect(properties(n)) AS props
"""

# A group's shared interactions and the first interaction of anyone in it, in one pass over
# their interactions: everyone bound by the unique id, each interaction expanded once per
# person in it; kept as shared when two members (or more, of $ids) took part. Only the shared
# ones leave the database, unordered (the caller sorts them). A participation always ends at
# an interaction, so neither this nor GROUP_REACH checks the far end's label (a db hit per
# interaction).
GROUP_SHARED_AND_FIRST: Final[LiteralString] = """
UNWIND $everyone AS id
MATCH (:Person {id: id})-[:PARTICIPATED]->(n)
WHERE n.at < $until
WITH n, sum(CASE WHEN id IN $ids THEN 1 ELSE 0 END) AS present
RETURN min(n.at) AS first_at, collect(CASE WHEN present >= 2 THEN properties(n) END) AS shared
"""

# Each member's reach: the people of their direct contacts after $after (by the stored
# participant ids, as the interaction reads), each bound by the unique id, and their active
# groups. Returns group ids per member, never the interactions.
GROUP_REACH: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (:Person {id: id})-[:PARTICIPATED]->(n)
WHERE n.at > $after AND n.at < $until AND n.kind <> 'meeting'
UNWIND n.participant_ids AS other_id
WITH DISTINCT id, other_id
WHERE other_id <> id AND NOT other_id IN $hidden
MATCH (:Person {id: other_id})-[r:MEMBER_OF]->(g:Group)
WHERE coalesce(r.status, 'active') = 'active'
RETURN id, collect(DISTINCT g.id) AS groups
"""

# Direct contacts of pairs in a window: both people bound by the unique id, the shared
# interactions found from the first; only a count per pair comes back.
DIRECT_CONTACTS_OF_PAIRS: Final[LiteralString] = """
UNWIND $pairs AS pair
MATCH (:Person {id: pair[0]})-[:PARTICIPATED]->(n:Interaction)
WHERE n.at > $after AND n.at < $until AND n.kind <> 'meeting'
MATCH (n)<-[:PARTICIPATED]-(:Person {id: pair[1]})
WITH pair, count(n) AS contacts
RETURN collect([pair[0], pair[1], contacts]) AS counted
"""

# What a pair's interactions add up to in each stretch of time between $ends_us (ascending,
# microseconds since the epoch: hundreds of instants cost the driver far more as datetimes):
# both people bound by the unique id, the shared interactions found from the first, each put
# in the stretch it falls in and folded there as RESCORE_TIES_OF_PEOPLE folds a tie (the same
# weights, group sizes and decay). One small tie per stretch comes back, never an interaction.
PAIR_TIE_STRETCHES: Final[LiteralString] = """
MATCH (:Person {id: $a})-[:PARTICIPATED]->(i:Interaction)
WHERE i.at < $until AND i.at <= $last
MATCH (i)<-[:PARTICIPATED]-(:Person {id: $b})
WITH i, i.at.epochSeconds * 1000000 + i.at.nanosecond / 1000 AS at_us
WITH i, size([e IN $ends_us WHERE e < at_us]) AS k, CASE
    WHEN NOT i.kind IN $group_kinds THEN 2
    WHEN coalesce(i.group_size, 0) <> 0 THEN i.group_size
    ELSE size(reduce(seen = [], p IN i.participant_ids |
      CASE WHEN p IN seen THEN seen ELSE seen + p END))
  END AS group_size
WITH k, i.kind AS kind, i.at AS at, i.initiator_id AS initiator,
  CASE
    WHEN group_size > 2 THEN coalesce($weights[i.kind], 0.0) / (group_size - 1)
    ELSE coalesce($weights[i.kind], 0.0)
  END AS w
WITH k,
  min(at) AS first_at,
  max(at) AS last_at,
  count(*) AS n,
  sum(CASE WHEN initiator = $a THEN 1 ELSE 0 END) AS by_a,
  sum(CASE WHEN initiator = $b THEN 1 ELSE 0 END) AS by_b,
  collect(kind) AS kinds,
  collect([at.epochSeconds, at.nanosecond / 1000, w,
    CASE initiator WHEN $a THEN 1 WHEN $b THEN 2 ELSE 0 END]) AS xs
WITH k, first_at, last_at, n, by_a, by_b, kinds,
  [x IN xs | [x[2] * 2.0 ^ (-(
    (last_at.epochSeconds - x[0]) + (last_at.nanosecond / 1000 - x[1]) / 1000000.0
  ) / $half_life_s), x[3]]] AS parts
ORDER BY k
RETURN collect([k, {
  first_at: first_at,
  last_at: last_at,
  count: n,
  initiated_by_a: by_a,
  initiated_by_b: by_b,
  score: reduce(s = 0.0, p IN parts | s + p[0]),
  score_by_a: reduce(s = 0.0, p IN parts | s + CASE p[1] WHEN 1 THEN p[0] ELSE 0.0 END),
  score_by_b: reduce(s = 0.0, p IN parts | s + CASE p[1] WHEN 2 THEN p[0] ELSE 0.0 END),
  n_meeting: size([x IN kinds WHERE x = 'meeting']),
  n_breakout: size([x IN kinds WHERE x = 'breakout']),
  n_side_conversation: size([x IN kinds WHERE x = 'side_conversation']),
  n_message: size([x IN kinds WHERE x = 'message']),
  n_call: size([x IN kinds WHERE x = 'call']),
  n_contact: size([x IN kinds WHERE x = 'contact']),
  n_introduction: size([x IN kinds WHERE x = 'introduction']),
  n_connection: size([x IN kinds WHERE x = 'connection'])
}]) AS stretches
"""

# A pair's tie by its key ($pair, "a|b"): one seek of the unique index, whatever the degrees.
GET_TIE: Final[LiteralString] = """
MATCH ()-[t:TIE {pair: $pair}]->()
RETURN properties(t) AS props
"""

# $pairs: [a, b, "a|b"] each.
TIES_BETWEEN: Final[LiteralString] = """
UNWIND $pairs AS pair
MATCH ()-[t:TIE {pair: pair[2]}]->()
RETURN collect([pair[0], pair[1], properties(t)]) AS ties
"""

TIES_OF_PEOPLE: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (:Person {id: id})-[t:TIE]-(other:Person)
WITH id, other, t
ORDER BY id, other.id
RETURN collect([id, other.id, properties(t)]) AS ties
"""

# ---------------------------------------------------------------------------------------------
# Erasing a person (graph.domain.erasure decides what goes; these find and remove it).

ERASURE_INVOLVEMENT: Final[LiteralString] = """
OPTIONAL MATCH (p:Person {id: $person_id})
RETURN
  p IS NOT NULL AS person_exists,
  COLLECT {
    MATCH (p)-[r:MEMBER_OF]->(g:Group)
    RETURN r {.*, group_id: g.id, person_id: p.id}
  } AS memberships,
  COLLECT {
    MATCH (p)-[r:ATTENDED]->(m:Meeting)
    RETURN r {.*, meeting_id: m.id, person_id: p.id}
  } AS attendance,
  COLLECT {
    MATCH (p)-[:IN_BREAKOUT]->(b:Breakout)
    RETURN properties(b)
  } AS breakouts,
  COLLECT {
    MATCH (p)-[:TOOK_PART]->(s:SideConversation)
    RETURN properties(s)
  } AS side_conversations,
  COLLECT {
    MATCH (p)-[:PARTICIPATED]->(i:Interaction)
    RETURN properties(i)
  } AS interactions,
  COLLECT {
    MATCH (n:Introduction)-[:REQUESTED_BY|INTRODUCER|TARGET]->(p)
    WITH DISTINCT n
    RETURN properties(n)
  } AS introductions,
  COLLECT {
    MATCH (g:Group)-[:LED_BY]->(p)
    RETURN properties(g)
  } AS groups_led,
  COLLECT {
    MATCH (o:Person)
    WHERE $person_id IN o.blocked_ids
    RETURN properties(o)
  } AS blockers
"""

REWRITE_BREAKOUTS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (n:Breakout {id: row.id})
SET n = row.props
"""

REWRITE_SIDE_CONVERSATIONS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (n:SideConversation {id: row.id})
SET n = row.props, n.at = datetime({epochSeconds: row.at[0], nanosecond: row.at[1]})
"""

REWRITE_INTERACTIONS: Final[LiteralString] = """
UNWIND $rows AS row
MATCH (n:Interaction {key: row.id})
SET n = row.props, n.at = datetime({epochSeconds: row.at[0], nanosecond: row.at[1]})
"""

# Deleting a node takes its relationships with it: a person's ties, memberships, attendance.
DELETE_PEOPLE: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Person {id: id})
DETACH DELETE n
"""

DELETE_MEMBERSHIPS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH ()-[r:MEMBER_OF {id: id}]->()
DELETE r
"""

DELETE_ATTENDANCE: Final[LiteralString] = """
UNWIND $ids AS id
MATCH ()-[r:ATTENDED {id: id}]->()
DELETE r
"""

DELETE_BREAKOUTS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Breakout {id: id})
DETACH DELETE n
"""

DELETE_SIDE_CONVERSATIONS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:SideConversation {id: id})
DETACH DELETE n
"""

DELETE_INTERACTIONS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Interaction {key: id})
DETACH DELETE n
"""

DELETE_INTRODUCTIONS: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (n:Introduction {id: id})
DETACH DELETE n
"""

# The audit record says when, by whom and how much, never who was erased.
RECORD_ERASURE: Final[LiteralString] = """
CREATE (:TiegraphAudit {
  action: 'erase_person',
  at: $at,
  by: $by,
  removed: $removed,
  rewritten: $rewritten
})
"""

# ---------------------------------------------------------------------------------------------
# Wiping, in bounded transactions so a large graph never needs one huge one. The schema
# record, the audit trail, and the constraints and indexes stay.

# ---------------------------------------------------------------------------------------------
# The change log (graph.domain.changes). The sequence lives on one TiegraphSchema node, which
# delete_everything keeps, so sequences are never reused. Setting its lock property first
# takes the node's write lock before the sequence is read: concurrent writers (in any process)
# wait for each other's commit, so sequences are handed out in commit order and a reader never
# sees a later change before an earlier one.

APPEND_CHANGES: Final[LiteralString] = """
MERGE (log:TiegraphSchema {name: 'change_log'})
SET log.locked = true
WITH log
SET log.sequence = coalesce(log.sequence, 0) + size($rows)
WITH log.sequence - size($rows) AS base
UNWIND range(0, size($rows) - 1) AS i
WITH base + i + 1 AS sequence, $rows[i] AS row
CREATE (:TiegraphChange {
  sequence: sequence,
  at_us: $at_us,
  kind: row.kind,
  key: row.key,
  people: row.people,
  group_id: row.group_id
})
"""

LATEST_CHANGE: Final[LiteralString] = """
OPTIONAL MATCH (log:TiegraphSchema {name: 'change_log'})
RETURN coalesce(log.sequence, 0) AS sequence
"""

CHANGES_SINCE: Final[LiteralString] = """
MATCH (c:TiegraphChange)
WHERE c.sequence > $after
WITH c
ORDER BY c.sequence
LIMIT $limit
RETURN collect([c.sequence, c.at_us, c.kind, c.key, c.people, c.group_id])
"""

PRUNE_SOME_CHANGES: Final[LiteralString] = """
MATCH (c:TiegraphChange)
WHERE c.at_us < $before_us
WITH c
LIMIT $limit
DELETE c
RETURN count(*) AS deleted
"""

ERASE_CHANGES_OF: Final[LiteralString] = """
MATCH (c:TiegraphChange)
WHERE $person_id IN c.people
DELETE c
"""

DELETE_SOME_RELATIONSHIPS: Final[LiteralString] = """
MATCH ()-[r]->()
WITH r
LIMIT $limit
DELETE r
RETURN count(*) AS deleted
"""

DELETE_SOME_NODES: Final[LiteralString] = """
MATCH (n)
WHERE NOT n:TiegraphSchema AND NOT n:TiegraphAudit
WITH n
LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted
"""


# ---------------------------------------------------------------------------------------------
# Paths. A link's strength is graph.domain.relationship.link_strength, spelled out in Cypher:
# decay to $now_s, one-way contact counted at $one_way, saturation, then longevity and
# diversity (no embeddedness). `REL` is replaced by the relationship variable it applies to.

_LINK_STRENGTH: Final[LiteralString] = """
[lv IN [{
    last: REL.last_at.epochSeconds + REL.last_at.nanosecond / 1000000000.0,
    first: REL.first_at.epochSeconds + REL.first_at.nanosecond / 1000000000.0,
    eff: REL.score - (1 - $one_way)
      * abs(coalesce(REL.score_by_a, 0.0) - coalesce(REL.score_by_b, 0.0)),
    kinds: size([k IN $counters WHERE REL[k] IS NOT NULL AND REL[k] > 0])
  }] |
  [qv IN [{
      q: $base
        + $w_div * CASE WHEN lv.kinds >= $diversity_kinds THEN 1.0
          ELSE toFloat(lv.kinds) / $diversity_kinds END
        + $w_long * (1 - 2.0 ^ (-(lv.last - lv.first) / $longevity_half_s))
    }] |
    [mv IN [{
        mass: log(CASE WHEN lv.eff * qv.q > 1e-12 THEN lv.eff * qv.q ELSE 1e-12 END)
          - log(2.0) * CASE WHEN $now_s > lv.last THEN $now_s - lv.last ELSE 0.0 END
            / $half_life_s
      }] |
      [v IN [{
          y: CASE WHEN mv.mass < 700 THEN log(2.0) * exp(mv.mass) / $saturation ELSE 1e300 END,
          age_eff: CASE WHEN mv.mass < log($saturation)
            THEN (log($saturation) - mv.mass) / log(2.0) * $half_life_s / $trace_scale_s
            ELSE 0.0 END
        }] |
        (1 - $trace_weight)
          * CASE WHEN v.y < 0.001 THEN v.y - v.y ^ 2 / 2 + v.y ^ 3 / 6 - v.y ^ 4 / 24
            ELSE 1 - exp(-v.y) END
        + $trace_weight / (1 + v.age_eff)
      ][0]
    ][0]
  ][0]
][0]
"""


def link_strength_of(rel: LiteralString) -> LiteralString:
    """The link-strength expression for the relationship variable ``rel``."""
    return _LINK_STRENGTH.replace("REL", rel)


# A tie may be walked when it is of one of $kinds (counter names; null for any) and neither
# person blocked the other.
_WALKABLE: Final[LiteralString] = """
($kinds IS NULL OR any(k IN $kinds WHERE r[k] IS NOT NULL))
"""

MAX_PARTIAL_PATHS: Final = 1_000_000
"""The most partial paths a search holds at once ($max_partials), in the procedure or the
Cypher query; a search that would hold more is refused (``BudgetExceeded``) rather than fill
the server's heap (about 200 MB in the procedure, more in Cypher's maps)."""

SEARCH_TOO_LARGE: Final = "tiegraph: search too large"
"""How a refusal of a search past $max_partials begins: the procedure's (IntroductionPaths)
and the Cypher query's (a text that no datetime parses, with the count after it)."""

# Past $max_partials partial paths a search is refused, as the procedure refuses it: Cypher
# has no statement that raises an error, so a text no datetime parses raises it, its message
# carrying SEARCH_TOO_LARGE to the store. Only evaluated when the list is too long.
_REFUSED_PAST_MAX_PARTIALS: Final[LiteralString] = (
    """
WHERE CASE
  WHEN size(PARTIALS) <= $max_partials THEN true
  ELSE datetime('"""
    + SEARCH_TOO_LARGE
    + """ ' + toString(size(PARTIALS))) IS NULL
END
"""
)

# Introduction paths, a top-k search pruned as it goes. The two people are bound by id and
# the search grows partial paths from the one with fewer ties (`a`; `b` is the other), one
# layer per hop. Each layer groups the partial paths by the person they end at and expands
# that person once, applying the kind, block, consent and $min_strength filters on the way
# out. Each layer first closes its paths into `b`, then grows the rest.
#
# The far end: when `b` has at most $far_set_limit ties, its usable links are scored once
# (`far`); closing a path is then a lookup, the last growth only follows ties into `far`
# (a hash-set check before any strength is computed: meet in the middle) and `far_best`, the
# strongest link into `b`, bounds every path still to be closed. A hub beyond that limit is
# never expanded: paths are closed into it by Expand(Into) from its neighbours.
#
# A block holds along the whole path: each partial path carries the ids its people blocked,
# and nobody joins a path with someone they blocked or who blocked them.
#
# Pruning rests on link strengths being at most 1: a path is never stronger than any of its
# beginnings times `far_best`. After every step `bar` is the k-th best score among the paths
# found so far (STRONGEST), and a partial path that cannot reach it is dropped: whatever it
# grows into ranks after k paths already found (as strong, and shorter). For SHORTEST the
# search stops at the first layer that reaches `b`. Found paths are turned back to
# source-to-target order, scored, ranked and limited here, as graph.domain.paths.rank does.
_PATHS_START: Final[LiteralString] = (
    """
MATCH (s:Person {id: $source})
MATCH (t:Person {id: $target})
WITH s, t, COUNT { (s)-[:TIE]-() } AS s_ties, COUNT { (t)-[:TIE]-() } AS t_ties
WITH s_ties <= t_ties AS forward,
  CASE WHEN s_ties <= t_ties THEN s ELSE t END AS a,
  CASE WHEN s_ties <= t_ties THEN t ELSE s END AS b,
  CASE WHEN s_ties <= t_ties THEN t_ties ELSE s_ties END AS b_ties
CALL (a) {
  WITH a, coalesce(a.blocked_ids, []) AS a_blocked
  MATCH (a)-[r:TIE]-(y:Person)
  WHERE """
    + _WALKABLE
    + """
    AND NOT y.id IN a_blocked
    AND NOT a.id IN coalesce(y.blocked_ids, [])
  WITH a, a_blocked, y, """
    + link_strength_of("r")
    + """ AS w
  WHERE w >= $min_strength
  RETURN collect({
    node: y, ids: [a.id, y.id], links: [w], score: w,
    blocked: a_blocked + coalesce(y.blocked_ids, [])
  }) AS grown
}
CALL (b, b_ties) {
  WITH b, b_ties
  WHERE b_ties <= $far_set_limit
  WITH b, coalesce(b.blocked_ids, []) AS b_blocked
  MATCH (b)-[r:TIE]-(y:Person)
  WHERE """
    + _WALKABLE
    + """
    AND NOT y.id IN b_blocked
    AND NOT b.id IN coalesce(y.blocked_ids, [])
  WITH y, """
    + link_strength_of("r")
    + """ AS w
  WHERE w >= $min_strength
  RETURN collect({node: y, w: w}) AS scored
}
WITH forward, a, b, grown, CASE WHEN b_ties <= $far_set_limit THEN scored END AS far
WITH forward, a, b, far,
  [e IN far | e.node] AS far_nodes,
  CASE WHEN far IS NULL THEN 1.0
    ELSE reduce(m = 0.0, e IN far | CASE WHEN e.w > m THEN e.w ELSE m END)
  END AS far_best,
  [p IN grown WHERE p.node = b] AS found,
  [p IN grown WHERE p.node <> b AND coalesce(p.node.intermediary, true)] AS frontier
"""
    + _REFUSED_PAST_MAX_PARTIALS.replace("PARTIALS", "frontier")
)

# The score a partial path must reach to be kept: the k-th best found so far (STRONGEST),
# or above any score once SHORTEST has found its length.
_PATHS_BAR: Final[LiteralString] = """
WITH forward, a, b, far, far_nodes, far_best, found, frontier,
  CASE
    WHEN $shortest AND size(found) > 0 THEN 2.0
    WHEN $shortest THEN 0.0
    ELSE coalesce(COLLECT {
      UNWIND found AS f
      WITH f.score AS score
      ORDER BY score DESC
      RETURN score
    }[$first - 1], 0.0)
  END AS bar
"""

# One more hop from each person the frontier ends at, once per person, to anyone but `b`
# (those paths were just closed). TOWARDS_B limits the last growth to `far` when it is known.
_PATHS_GROW_TOWARDS: Final[LiteralString] = (
    _PATHS_BAR
    + """
CALL (b, far_nodes, far_best, frontier, bar) {
  UNWIND frontier AS p
  WITH p
  WHERE p.score * far_best >= bar
  WITH p.node AS x, collect(p) AS partials, max(p.score) AS best
  WITH x, partials, best, coalesce(x.blocked_ids, []) AS x_blocked
  MATCH (x)-[r:TIE]-(y:Person)
  WHERE TOWARDS_B
    AND y <> b
    AND """
    + _WALKABLE
    + """
    AND NOT y.id IN x_blocked
    AND NOT x.id IN coalesce(y.blocked_ids, [])
  WITH x, partials, best, y, """
    + link_strength_of("r")
    + """ AS w
  WHERE w >= $min_strength AND best * w * far_best >= bar
  UNWIND partials AS p
  WITH p, y, w
  WHERE p.score * w * far_best >= bar AND NOT y.id IN p.ids
    AND NOT y.id IN p.blocked
    AND none(i IN p.ids WHERE i IN coalesce(y.blocked_ids, []))
  WITH p, y, w
  LIMIT $max_partials + 1
  RETURN collect({
    node: y, ids: p.ids + y.id, links: p.links + w, score: p.score * w,
    blocked: p.blocked + coalesce(y.blocked_ids, [])
  }) AS grown
}
WITH forward, a, b, far, far_nodes, far_best, found, grown
"""
    + _REFUSED_PAST_MAX_PARTIALS.replace("PARTIALS", "grown")
    + """
WITH forward, a, b, far, far_nodes, far_best, found,
  [p IN grown WHERE coalesce(p.node.intermediary, true)] AS frontier
"""
)
_PATHS_GROW: Final[LiteralString] = _PATHS_GROW_TOWARDS.replace("TOWARDS_B", "true")
_PATHS_GROW_LAST: Final[LiteralString] = _PATHS_GROW_TOWARDS.replace(
    "TOWARDS_B", "(far_nodes IS NULL OR y IN far_nodes)"
)

# The paths one hop longer: each person the frontier ends at, once, into `b`: looked up in
# `far`, or checked by Expand(Into) when `b` has too many ties to score them all.
_PATHS_CLOSE: Final[LiteralString] = (
    _PATHS_BAR
    + """
CALL (b, far, far_nodes, far_best, frontier, bar) {
  UNWIND frontier AS p
  WITH p
  WHERE p.score * far_best >= bar
  WITH p.node AS x, collect(p) AS partials, max(p.score) AS best
  CALL (x, b, far, far_nodes) {
    WITH x, far, far_nodes
    WHERE far IS NOT NULL AND x IN far_nodes
    UNWIND [e IN far WHERE e.node = x | e.w] AS w
    RETURN w
    UNION ALL
    WITH x, b, far
    WHERE far IS NULL
    MATCH (x)-[r:TIE]-(b)
    WHERE """
    + _WALKABLE
    + """
      AND NOT b.id IN coalesce(x.blocked_ids, [])
      AND NOT x.id IN coalesce(b.blocked_ids, [])
    WITH """
    + link_strength_of("r")
    + """ AS w
    WHERE w >= $min_strength
    RETURN w
  }
  WITH b, partials, best, w
  WHERE best * w >= bar
  UNWIND partials AS p
  WITH b, p, w
  WHERE p.score * w >= bar
    AND NOT b.id IN p.blocked
    AND none(i IN p.ids WHERE i IN coalesce(b.blocked_ids, []))
  RETURN collect({ids: p.ids + b.id, links: p.links + w, score: p.score * w}) AS closed
}
WITH forward, a, b, far, far_nodes, far_best, found + closed AS found, frontier
"""
)

# Paths found (ids and links, source to target), scored, ranked and limited as
# graph.domain.paths.rank does.
_RANKED_PATHS: Final[LiteralString] = """
WITH ids, links, reduce(acc = 1.0, l IN links | acc * l) AS score
WITH ids, links, round(score, 11 - toInteger(floor(log10(score)))) AS rounded
RETURN ids, links
ORDER BY
  CASE WHEN $shortest THEN size(links) ELSE 0 END,
  rounded DESC,
  size(links),
  ids
LIMIT $first
"""

_PATHS_RANK: Final[LiteralString] = (
    """
UNWIND found AS f
WITH CASE WHEN forward THEN f.ids ELSE reverse(f.ids) END AS ids,
  CASE WHEN forward THEN f.links ELSE reverse(f.links) END AS links
"""
    + _RANKED_PATHS
)

# The same search run by tiegraph's procedure (graph/adapters/neo4j/server/procedures), which
# takes $strength, the link-strength parameters of _LINK_STRENGTH, as one map.
INTRODUCTION_PATHS_PROCEDURE: Final[LiteralString] = (
    """
CALL tiegraph.introductionPaths(
  $source, $target, $max_hops, $first, $shortest, $min_strength, $kinds, $far_set_limit,
  $max_partials, $strength
) YIELD ids, links
"""
    + _RANKED_PATHS
)

# What the procedure reads for the same arguments (for tests and benchmarks of its work).
INTRODUCTION_PATHS_WORK: Final[LiteralString] = """
CALL tiegraph.introductionPathsWork(
  $source, $target, $max_hops, $first, $shortest, $min_strength, $kinds, $far_set_limit,
  $max_partials, $strength
) YIELD relationships, people, found
RETURN relationships, people, found
"""

PROCEDURES_INSTALLED: Final[LiteralString] = """
SHOW FUNCTIONS YIELD name
WHERE name = 'tiegraph.proceduresVersion'
RETURN count(*) AS installed
"""

PROCEDURES_VERSION: Final[LiteralString] = """
RETURN tiegraph.proceduresVersion() AS version
"""

MAX_PATH_HOPS: Final = 4
"""The longest introduction path the query is built for (graph.domain.paths.MAX_HOPS)."""

FAR_SET_LIMIT: Final = 1_000
"""Up to this many ties, the far end's links are scored once ($far_set_limit); beyond, paths
are closed into it by Expand(Into) only."""


def introduction_paths_query(max_hops: int) -> LiteralString:
    """The pruned top-k query for introduction paths of at most ``max_hops`` links: the first
    hop, then per further hop the paths it closes into the other end and, but for the last,
    the frontier it grows."""
    if not 1 <= max_hops <= MAX_PATH_HOPS:
        raise ValueError(f"max_hops must be 1 to {MAX_PATH_HOPS}")
    query: LiteralString = _PATHS_START
    for hops in range(2, max_hops + 1):
        query += _PATHS_CLOSE
        if hops < max_hops - 1:
            query += _PATHS_GROW
        elif hops == max_hops - 1:
            query += _PATHS_GROW_LAST
    return query + _PATHS_RANK


# Shortest paths through ties of $kinds (counter names; null for any), at most LIMIT hops.
_DISTANCE: Final[LiteralString] = """
MATCH (s:Person {id: $source})
MATCH (t:Person {id: $target})
MATCH p = SHORTEST 1 (s)-[r:TIE
  WHERE $kinds IS NULL OR any(k IN $kinds WHERE r[k] IS NOT NULL)
]-{1,LIMIT}(t)
RETURN length(p) AS hops
"""

_SHORTEST_PATHS: Final[LiteralString] = """
MATCH (s:Person {id: $source})
MATCH (t:Person {id: $target})
MATCH p = ALL SHORTEST (s)-[r:TIE
  WHERE $kinds IS NULL OR any(k IN $kinds WHERE r[k] IS NOT NULL)
]-{1,LIMIT}(t)
RETURN [n IN nodes(p) | n.id] AS ids
"""

# Inside CALL the far end cannot be bound first, so the planner expands from the person
# (StatefulShortestPath(All)) instead of scanning every node and searching from each.
_NEIGHBOURHOOD: Final[LiteralString] = """
MATCH (s:Person {id: $person_id})
CALL (s) {
  MATCH p = SHORTEST 1 (s)-[r:TIE
    WHERE $kinds IS NULL OR any(k IN $kinds WHERE r[k] IS NOT NULL)
  ]-{1,LIMIT}(o)
  RETURN o, length(p) AS hops
}
WITH o, hops
WHERE o <> s
RETURN o.id AS id, hops
"""

MAX_SEARCH_HOPS: Final = 12
"""The longest distance the shortest-path queries look for."""


def _bounded(query: LiteralString, limit: int) -> LiteralString:
    if not 1 <= limit <= MAX_SEARCH_HOPS:
        raise ValueError(f"limit must be 1 to {MAX_SEARCH_HOPS}")
    bounded: LiteralString = query.replace("LIMIT}", f"{limit}}}")  # a literal bound
    return bounded


def distance_query(limit: int) -> LiteralString:
    """The SHORTEST 1 query for paths of at most ``limit`` hops (quantifiers take literals)."""
    return _bounded(_DISTANCE, limit)


def shortest_paths_query(limit: int) -> LiteralString:
    """The ALL SHORTEST query for paths of at most ``limit`` hops."""
    return _bounded(_SHORTEST_PATHS, limit)


def neighbourhood_query(limit: int) -> LiteralString:
    """The query for everyone within ``limit`` hops, with their distance."""
    return _bounded(_NEIGHBOURHOOD, limit)


# ---------------------------------------------------------------------------------------------
# A bulk first load (graph.adapters.neo4j.bulk): an empty database is filled offline by
# neo4j-admin, then these set what its CSV files cannot say.

HOLDS_RECORDS: Final[LiteralString] = """
RETURN EXISTS {
  MATCH (n)
  WHERE NOT n:TiegraphSchema
} AS held
"""
"""Whether the database holds anything but the schema record (records, the change log's
entries, the audit trail): a bulk load would replace it."""

SCHEMA_RECORDS: Final[LiteralString] = """
MATCH (s:TiegraphSchema)
RETURN collect([s.name, properties(s)]) AS records
"""

RESTORE_EMPTY_PERSON_LISTS: Final[LiteralString] = """
MATCH (n:Person)
WHERE n.interests IS NULL
  OR n.offers IS NULL
  OR n.seeks IS NULL
  OR n.blocked_ids IS NULL
SET
  n.interests = coalesce(n.interests, []),
  n.offers = coalesce(n.offers, []),
  n.seeks = coalesce(n.seeks, []),
  n.blocked_ids = coalesce(n.blocked_ids, [])
"""
"""neo4j-admin cannot write an empty list (it leaves the property out); UPSERT_PEOPLE keeps
one, so a person reads back property for property alike."""

"""Every field of the schema has a privacy rule, and the rules hold for a viewer without the right.

The schema is read by introspection and every object type must be classified here:

- ``ENVELOPE`` types carry no one's data (pages, errors, write receipts);
- ``VALUE`` types are parts of an answer (a strength, a count): what they reveal is decided by
  the field that holds them, which is classified in its own type;
- ``PUBLIC`` types hold only what anyone signed in may read;
- :class:`Guarded` types are someone's private or derived data as a whole: the test checks, on
  the schema's graph, that the type cannot be reached except through the edges named (root
  operations whose action is not public, or fields that are themselves checked);
- :class:`Fields` types are classified field by field: :data:`PUBLIC`, :class:`Hidden` (null,
  or an empty list, for a viewer without the right: checked here by running the query as such a
  viewer), :class:`Attack` (a named test replays the attack on that field), or
  :class:`Decided` (what it shows, written down, for fields whose exposure is by design).

A new type, or a new field of a type classified field by field, fails
:func:`test_every_type_and_field_of_the_schema_has_a_rule` until someone decides its rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_client_schema,
    get_named_type,
)

from api.graphql.schema import OPERATION_ACTIONS, schema
from graph.usecases.policy import Action
from graph.usecases.viewer import Role
from tests.api.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
ATTACKS = "tests/api/test_derived_privacy.py"


@dataclass(frozen=True)
class Hidden:
    """Null (or an empty list) for a viewer without the right, as run by ``probe``."""

    probe: str


@dataclass(frozen=True)
class Attack:
    """A named test replays the attack on this field (``path::name``)."""

    test: str


@dataclass(frozen=True)
class Decided:
    """What the field shows, by design."""

    reason: str


@dataclass(frozen=True)
class Guarded:
    """The whole type is private or derived: reachable only through ``by``."""

    by: frozenset[str]


@dataclass(frozen=True)
class Fields:
    """Each field has its own rule."""

    rules: dict[str, object]


PUBLIC = "public"
ENVELOPE = "envelope"
VALUE = "value"

_NODE_ROUTES = {"Query.node", "Query.nodes", "WritePayload.nodes"}
"""How any entity is reached by id: each record is shown only if the viewer may read it."""

RETENTION_ROWS = Attack(
    f"{ATTACKS}::test_a_member_reads_only_their_own_pairs_of_their_groups_retention"
)
SMALL_GROUP = Attack(f"{ATTACKS}::test_two_nearby_instants_tell_a_member_of_a_small_group_nothing")
HORIZONS = Attack(f"{ATTACKS}::test_every_horizon_and_after_moment_withholds_the_pair_figures")
RECOMMENDATIONS = Attack(
    f"{ATTACKS}::test_a_strangers_private_offer_does_not_show_in_my_recommendations"
)
COHORTS = Attack(f"{ATTACKS}::test_a_leader_of_other_people_composes_without_their_private_offers")
BREAKOUTS = Attack(f"{ATTACKS}::test_an_ad_hoc_breakout_plan_reveals_no_strength_to_another_leader")
PATH_LINKS = Attack(f"{ATTACKS}::test_a_path_link_between_others_names_no_group_i_cannot_see")
GROUP_TIES = Attack(
    f"{ATTACKS}::test_group_ties_show_no_contact_after_the_end_of_those_who_keep_it_private"
)
BLOCKS = Attack(
    f"{ATTACKS}::test_shared_interests_with_someone_who_blocked_me_are_as_for_someone_unknown"
)
LINK_STRENGTH = Decided(
    "a path is ranked by its links' strengths: the strength (and band, score) of a link between"
    " two intermediaries who agreed to be on paths is what the path search offers"
)

RULES: dict[str, object] = {
    # -- no one's data ---------------------------------------------------------------------
    **dict.fromkeys(
        (
            "PageInfo",
            "Conflict",
            "FieldProblem",
            "Forbidden",
            "InvalidInput",
            "NotFound",
            "WriteCount",
            "WritePayload",
            "ErasePayload",
        ),
        ENVELOPE,
    ),
    **{
        f"{kind}{suffix}": ENVELOPE
        for kind in (
            "Attendance",
            "Breakout",
            "Group",
            "Interaction",
            "Introduction",
            "Meeting",
            "Membership",
            "Organization",
            "Person",
            "SideConversation",
            "Tie",
            "RankedTie",
            "DriftingTie",
            "RecommendedPerson",
        )
        for suffix in ("Connection", "Edge")
    },
    **dict.fromkeys(
        (
            "KindCount",
            "LabelCount",
            "StrengthComponents",
            "TieStrength",
            "SharedItem",
            "RetentionPoint",
            "TiePoint",
        ),
        VALUE,
    ),
    # -- public ----------------------------------------------------------------------------
    "Organization": PUBLIC,
    "Interest": PUBLIC,
    "IntermediaryStats": Decided(
        "how someone who makes introductions answers requests is public by design; for"
        " anyone else only themselves: whether someone makes introductions shows, as it does"
        " on paths"
    ),
    # -- a person, a group, a meeting, a membership ----------------------------------------
    "Person": Fields(
        {
            **dict.fromkeys(
                (
                    "key",
                    "id",
                    "name",
                    "title",
                    "profession",
                    "industry",
                    "location",
                    "interests",
                    "organization",
                ),
                PUBLIC,
            ),
            **{
                field: Hidden("person")
                for field in (
                    "offers",
                    "seeks",
                    "email",
                    "profileUrl",
                    "discoverable",
                    "intermediary",
                    "sharePostGroupContact",
                    "blocked",
                    "ties",
                    "memberships",
                )
            },
        }
    ),
    "Group": Fields(
        {
            **dict.fromkeys(
                (
                    "key",
                    "id",
                    "name",
                    "capacity",
                    "theme",
                    "format",
                    "startsOn",
                    "endsOn",
                    "leader",
                ),
                PUBLIC,
            ),
            "members": Hidden("group"),
            "meetings": Hidden("group"),
        }
    ),
    "Meeting": Fields(
        {
            **dict.fromkeys(
                ("key", "id", "startsAt", "durationSeconds", "theme", "format", "group"), PUBLIC
            ),
            "attendance": Hidden("meeting"),
            "breakouts": Hidden("meeting"),
        }
    ),
    "Membership": Fields(
        {
            **dict.fromkeys(
                ("key", "id", "role", "status", "joinedOn", "leftOn", "group", "person"), PUBLIC
            ),
            "hopes": Hidden("membership"),
            "contributions": Hidden("membership"),
        }
    ),
    # -- records of people's contacts: shown only to who may read each ---------------------
    "Attendance": Guarded(
        frozenset({"Meeting.attendance", "GroupActivity.attendance", *_NODE_ROUTES})
    ),
    "Breakout": Guarded(frozenset({"Meeting.breakouts", "GroupActivity.breakout", *_NODE_ROUTES})),
    "Interaction": Guarded(
        frozenset(
            {
                "Query.interactions",
                "Evidence.interaction",
                "KeepInTouch.lastInteraction",
                *_NODE_ROUTES,
            }
        )
    ),
    "SideConversation": Guarded(
        frozenset({"Query.sideConversations", "GroupActivity.sideConversation", *_NODE_ROUTES})
    ),
    "Introduction": Guarded(
        frozenset(
            {
                "Query.introductions",
                "IntroductionPayload.introduction",
                "Subscription.introductionUpdates",
                *_NODE_ROUTES,
            }
        )
    ),
    # -- live updates: each event is read again as the subscriber (graph.usecases.live) ------
    # A person's own ties (READ_TIES), as strongestTies.
    "TieChange": Guarded(frozenset({"Subscription.tieChanged"})),
    # What is recorded for a group, for its leader (FOLLOW_GROUP): test_subscriptions.py
    # test_events_about_others_never_reach_a_subscriber.
    "GroupActivity": Guarded(frozenset({"Subscription.groupActivity"})),
    # The membership an invitee has just accepted or declined: theirs to see.
    "MembershipPayload": Guarded(frozenset({"Mutation.answerInvitation"})),
    "IntroductionPayload": Guarded(
        frozenset(
            {
                "Mutation.requestIntroduction",
                "Mutation.answerIntroduction",
                "Mutation.recordIntroductionOutcome",
            }
        )
    ),
    "Tie": Guarded(frozenset({"Person.ties"})),
    # -- how strong ties are: the pair's, their leader's -----------------------------------
    # A leader reads a pair's tie only up to the group's end when either keeps post-group
    # contact private: test_a_leader_reads_a_pairs_tie_only_up_to_the_group_end_if_they_keep_...
    "RelationshipView": Guarded(frozenset({"Query.relationship"})),
    "Evidence": Guarded(frozenset({"RelationshipView.evidence"})),
    "RankedTie": Guarded(frozenset({"Query.strongestTies"})),
    "DriftingTie": Guarded(frozenset({"Query.driftingTies"})),
    # A person's own nudges (READ_TIES: themselves, or an admin), their last contact included.
    "KeepInTouch": Guarded(frozenset({"Query.keepInTouch"})),
    # A group's drift leaves out pairs who keep post-group contact private: see
    # test_a_groups_drift_says_nothing_of_those_who_keep_post_group_contact_private.
    "GroupTie": Fields(
        {
            "a": PUBLIC,
            "b": PUBLIC,
            **dict.fromkeys(
                ("strength", "firstContact", "lastContact", "interactionCount", "contactAfter"),
                GROUP_TIES,
            ),
        }
    ),
    # -- keep in touch ---------------------------------------------------------------------
    "GroupRetention": Fields(
        {
            "group": PUBLIC,
            "memberCount": Decided("how many members agreed to be counted"),
            "pairCount": Decided("how many pairs those members make"),
            "at": SMALL_GROUP,
            "after": HORIZONS,
            "aggregated": SMALL_GROUP,
            "shareDuring": SMALL_GROUP,
            "shareAfter": SMALL_GROUP,
            "curve": HORIZONS,
            "pairs": RETENTION_ROWS,
            "members": RETENTION_ROWS,
            "bridges": RETENTION_ROWS,
        }
    ),
    "PairRetention": Guarded(frozenset({"GroupRetention.pairs"})),
    "MemberRetention": Guarded(frozenset({"GroupRetention.members"})),
    # -- discovery -------------------------------------------------------------------------
    "SharedInterests": Fields(
        {
            "score": BLOCKS,
            "items": BLOCKS,
            "groupContextShown": Decided(
                "whether groups and meetings count: for the two and their leaders only"
            ),
        }
    ),
    "RecommendedPerson": Fields(
        {
            "person": PUBLIC,
            "score": RECOMMENDATIONS,
            "reasons": RECOMMENDATIONS,
            "shared": RECOMMENDATIONS,
        }
    ),
    "InterestOverlap": Guarded(frozenset({"Query.interestOverlap"})),
    # -- meetings --------------------------------------------------------------------------
    "MeetingBalance": Guarded(frozenset({"Query.meetingBalance", "GroupBalance.meetings"})),
    "SpeakerShare": Guarded(frozenset({"MeetingBalance.speakers"})),
    "GroupBalance": Guarded(frozenset({"Query.groupBalance"})),
    "MemberBalance": Guarded(frozenset({"GroupBalance.members"})),
    "BreakoutSuggestion": Fields(
        {
            "groups": BREAKOUTS,
            "score": BREAKOUTS,
            "weakPairs": BREAKOUTS,
            "reasons": BREAKOUTS,
            "newPairs": Decided("breakouts of the leader's own series only (a group they lead)"),
        }
    ),
    "CohortComposition": Fields(
        {
            "cohorts": COHORTS,
            "leftOut": Decided("format and capacity: what the request itself says"),
            "objective": COHORTS,
            "greedyObjective": COHORTS,
            "randomObjective": COHORTS,
            "iterations": PUBLIC,
        }
    ),
    "Cohort": Fields(
        {
            "members": COHORTS,
            "format": PUBLIC,
            "value": COHORTS,
            "matches": COHORTS,
            "reasons": COHORTS,
            "professions": PUBLIC,
            "industries": PUBLIC,
            "interests": PUBLIC,
            "places": PUBLIC,
        }
    ),
    "LeftOutApplicant": Decided("an applicant the request named, and the format or capacity"),
    # -- introductions ---------------------------------------------------------------------
    "IntroductionPath": Fields(
        {
            "score": LINK_STRENGTH,
            "hops": PUBLIC,
            "links": PUBLIC,
            "people": PUBLIC,
            "via": PUBLIC,
        }
    ),
    "IntroductionHop": Fields(
        {
            "from": PUBLIC,
            "to": PUBLIC,
            "strength": LINK_STRENGTH,
            "band": LINK_STRENGTH,
            "sharedInterests": PUBLIC,
            "sharedGroups": PATH_LINKS,
            "lastContact": PATH_LINKS,
            "interactionCount": PATH_LINKS,
        }
    ),
}
"""The rule of every object type of the schema (roots aside: see ``OPERATION_ACTIONS``)."""

PUBLIC_ACTIONS = {Action.READ_PUBLIC_PROFILE, Action.READ_GROUP}
ROOTS = ("Query", "Mutation", "Subscription")

GUARD_TESTS = {
    "Query.node": "tests/api/test_service.py::"
    "test_node_resolves_any_entity_and_hides_what_the_viewer_may_not_see",
    "Query.nodes": "tests/api/test_service.py::"
    "test_node_resolves_any_entity_and_hides_what_the_viewer_may_not_see",
    "WritePayload.nodes": Decided("the records the caller has just written, as given").reason,
}
"""Edges into guarded types that are not a private operation or a checked field."""


def _schema() -> GraphQLSchema:
    """The schema as a client sees it: built from the introspection answer."""
    return build_client_schema(schema.introspect())  # type: ignore[arg-type]


def _object_types(found: GraphQLSchema) -> dict[str, GraphQLObjectType]:
    return {
        name: t
        for name, t in found.type_map.items()
        if isinstance(t, GraphQLObjectType) and not name.startswith("__") and name not in ROOTS
    }


def _targets(found: GraphQLSchema, type_name: str, field: str) -> set[str]:
    """The object types a field leads to (through lists, interfaces and unions)."""
    owner = found.type_map[type_name]
    assert isinstance(owner, GraphQLObjectType)
    named = get_named_type(owner.fields[field].type)
    if isinstance(named, GraphQLObjectType):
        return {named.name}
    if isinstance(named, GraphQLInterfaceType):
        return {t.name for t in found.get_possible_types(named)}
    if isinstance(named, GraphQLUnionType):
        return {t.name for t in named.types}
    return set()


def _reachable(found: GraphQLSchema, *, cut: set[str]) -> set[str]:
    """Object types reachable from the roots without crossing an edge in ``cut``."""
    seen: set[str] = set()
    todo = [root for root in ROOTS if root in found.type_map]
    while todo:
        name = todo.pop()
        owner = found.type_map[name]
        assert isinstance(owner, GraphQLObjectType)
        for field in owner.fields:
            if f"{name}.{field}" in cut:
                continue
            for target in _targets(found, name, field) - seen:
                seen.add(target)
                todo.append(target)
    return seen


def _test_exists(reference: str) -> bool:
    path, _, name = reference.partition("::")
    source = (ROOT / path).read_text(encoding="utf-8")
    return re.search(rf"^(async )?def {re.escape(name)}\(", source, re.MULTILINE) is not None


def test_every_type_and_field_of_the_schema_has_a_rule() -> None:
    found = _schema()
    types = _object_types(found)
    assert sorted(set(types) - set(RULES)) == [], "object types without a privacy rule"
    assert sorted(set(RULES) - set(types)) == [], "rules for types the schema no longer has"
    for name, rule in RULES.items():
        if isinstance(rule, Fields):
            fields = set(types[name].fields)
            assert sorted(fields - set(rule.rules)) == [], f"{name}: fields without a rule"
            assert sorted(set(rule.rules) - fields) == [], f"{name}: rules for no field"


def test_every_attack_a_rule_names_is_a_test_that_exists() -> None:
    references = {
        r.test
        for rule in RULES.values()
        if isinstance(rule, Fields)
        for r in rule.rules.values()
        if isinstance(r, Attack)
    } | {v for v in GUARD_TESTS.values() if "::" in v}
    missing = sorted(r for r in references if not _test_exists(r))
    assert missing == []


def test_a_guarded_type_is_reached_only_through_its_guards() -> None:
    found = _schema()
    for name, rule in RULES.items():
        if not isinstance(rule, Guarded):
            continue
        assert name not in _reachable(found, cut=set(rule.by)), f"{name} escapes its guards"
        for edge in rule.by:
            owner, _, field = edge.partition(".")
            if owner in ROOTS and edge not in GUARD_TESTS:
                assert OPERATION_ACTIONS[edge] not in PUBLIC_ACTIONS, f"{edge} is public"
            elif edge not in GUARD_TESTS:
                holder = RULES[owner]
                checked = isinstance(holder, Guarded) or (
                    isinstance(holder, Fields) and holder.rules[field] != PUBLIC
                )
                assert checked, f"{name} is guarded by {edge}, which nothing checks"


# -- what a viewer without the right gets, field by field ------------------------------------

PROBES: dict[str, tuple[str, str]] = {
    # probe: (document with {field} where the field goes, who asks)
    "person": ('{{ person(id: "amir") {{ {field} }} }}', "stranger"),
    "group": ('{{ group(id: "spring-2024") {{ {field} }} }}', "stranger"),
    "meeting": ('{{ meeting(id: "spring-2024-m1") {{ {field} }} }}', "stranger"),
    # A fellow member sees the group's memberships, but not the others' pre-interviews.
    "membership": (
        '{{ group(id: "spring-2024") {{ members(first: 50) {{ nodes {{ person {{ key }} {field} }}'
        " }} }} }}",
        "dina",
    ),
}


def _hidden_fields() -> list[tuple[str, str, str]]:
    return sorted(
        (name, field, rule.probe)
        for name, fields in RULES.items()
        if isinstance(fields, Fields)
        for field, rule in fields.rules.items()
        if isinstance(rule, Hidden)
    )


def _selection(found: GraphQLSchema, type_name: str, field: str) -> str:
    owner = found.type_map[type_name]
    assert isinstance(owner, GraphQLObjectType)
    named = get_named_type(owner.fields[field].type)
    if isinstance(named, GraphQLObjectType) and "totalCount" in named.fields:
        return f"{field} {{ totalCount }}"
    if isinstance(named, GraphQLObjectType):
        return f"{field} {{ __typename }}"
    return field


def _is_hidden(value: Any) -> bool:
    return value is None or value == [] or value == {"totalCount": 0}


@pytest.mark.parametrize(("type_name", "field", "probe"), _hidden_fields())
async def test_a_hidden_field_is_empty_for_a_viewer_without_the_right(
    api: Api, type_name: str, field: str, probe: str
) -> None:
    document, who = PROBES[probe]
    query = document.format(field=_selection(_schema(), type_name, field))
    data = await api.data(query, api.as_(who, Role.MEMBER))
    if probe == "membership":
        rows = data["group"]["members"]["nodes"]
        others = [row for row in rows if row["person"]["key"] != who]
        assert others
        assert all(_is_hidden(row[field]) for row in others)
        # ... while the member's own row is there to read (the probe can see a value).
        own = [row for row in rows if row["person"]["key"] == who]
        assert own
        assert not all(row[field] is None for row in own)
    else:
        root = next(iter(data.values()))
        assert root is not None
        assert _is_hidden(root[field]), f"{type_name}.{field} shown to {who}: {root[field]}"

"""Derived answers leak nothing that a direct read refuses: each leak an attacker found, replayed.

Every test is written as the attack was made: the demo network, signed-in callers with tokens
of their own (two at least: the attacker's, and a control showing that the data is there for
whoever may read it), and only the public API. Data the story needs beyond the demo is written
straight to the service's store before the attack.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from graph.domain.batch import WriteBatch
from graph.domain.breakouts import suggest_breakouts
from graph.domain.model import (
    Group,
    Interaction,
    InteractionKind,
    Membership,
    MembershipRole,
    Person,
)
from graph.ports import GraphStore
from graph.usecases.viewer import Role
from tests.api.conftest import Api

GROUP = "spring-2024"
ENDED = datetime(2024, 5, 14, tzinfo=UTC)
"""The first instant after the demo group's last day (13 May 2024)."""


def _store(api: Api) -> GraphStore:
    store: GraphStore = api.app.state.store
    return store


async def _write(api: Api, *records: object) -> None:
    batch = WriteBatch()
    for record in records:
        batch.add(record)  # type: ignore[arg-type]
    await _store(api).apply(batch)


async def _update_person(api: Api, key: str, **changes: Any) -> None:
    found = (await _store(api).get(Person, [key]))[key]
    await _write(api, replace(found, **changes))


# -- retention: a member sees only their own pairs ----------------------------------------------

RETENTION_ROWS = """
query($group: ID!) { groupRetention(group: $group) {
  aggregated shareAfter
  pairs { a { key } b { key } lastContact strengthNow }
  members { person { key } groupMatesInContact }
  bridges { key }
} }
"""


async def test_a_member_reads_only_their_own_pairs_of_their_groups_retention(api: Api) -> None:
    leader = (await api.data(RETENTION_ROWS, api.as_("lena", Role.LEADER), group=GROUP))[
        "groupRetention"
    ]
    leader_pairs = {(p["a"]["key"], p["b"]["key"]) for p in leader["pairs"]}
    assert ("amir", "carl") in leader_pairs  # the data is there for the leader

    seen = (await api.data(RETENTION_ROWS, api.as_("dina"), group=GROUP))["groupRetention"]
    assert not seen["aggregated"]
    assert seen["shareAfter"] == leader["shareAfter"]  # a group of eight: aggregates stay
    pairs = {(p["a"]["key"], p["b"]["key"]) for p in seen["pairs"]}
    assert pairs
    assert all("dina" in pair for pair in pairs)
    assert ("amir", "carl") not in pairs
    assert [m["person"]["key"] for m in seen["members"]] == ["dina"]
    assert {b["key"] for b in seen["bridges"]} <= {"dina"}


# -- a small group cannot be differenced --------------------------------------------------------

TRIO = "trio-2024"
SMALL = """
query($at: DateTime, $after: DateTime, $horizons: [Int!]) {
  groupRetention(group: "trio-2024", at: $at, after: $after, horizons: $horizons) {
    at after memberCount pairCount shareDuring shareAfter aggregated
    curve { days share pairs }
    pairs { a { key } }
  }
}
"""
SECRET_CALL = datetime(2024, 9, 3, 14, 22, 5, tzinfo=UTC)
"""When amir and carl spoke, privately: what the attacker tries to pin to the second."""


async def _a_small_group(api: Api) -> None:
    await _write(
        api,
        Group(
            id=TRIO,
            name="A small circle",
            leader_id="lena",
            starts_on=date(2024, 1, 15),
            ends_on=date(2024, 5, 13),
        ),
        Membership(group_id=TRIO, person_id="lena", role=MembershipRole.LEADER),
        *(Membership(group_id=TRIO, person_id=p) for p in ("amir", "britt", "carl")),
        Interaction(
            key="secret-call",
            at=SECRET_CALL,
            kind=InteractionKind.CALL,
            participant_ids=("amir", "carl"),
        ),
    )


async def test_two_nearby_instants_tell_a_member_of_a_small_group_nothing(api: Api) -> None:
    await _a_small_group(api)
    just_before = (SECRET_CALL - timedelta(seconds=1)).isoformat()
    just_after = (SECRET_CALL + timedelta(seconds=1)).isoformat()
    control = await api.data(SMALL, api.as_("lena", Role.LEADER), at=just_before)
    later = await api.data(SMALL, api.as_("lena", Role.LEADER), at=just_after)
    # The leader sees the figures move with the call: the attack needs them.
    assert control["groupRetention"]["shareAfter"] is not None
    assert control["groupRetention"]["pairs"]

    before = (await api.data(SMALL, api.as_("britt"), at=just_before))["groupRetention"]
    after = (await api.data(SMALL, api.as_("britt"), at=just_after))["groupRetention"]
    assert before == after
    assert before["at"] == "2024-09-03T00:00:00+00:00"
    assert before["aggregated"]
    assert (before["memberCount"], before["pairCount"]) == (3, 3)
    assert (before["shareDuring"], before["shareAfter"]) == (None, None)
    assert before["pairs"] == []
    assert later["groupRetention"] != control["groupRetention"]


async def test_every_horizon_and_after_moment_withholds_the_pair_figures(api: Api) -> None:
    await _a_small_group(api)
    found = (
        await api.data(
            SMALL,
            api.as_("britt"),
            after="2024-06-01T09:30:00Z",
            horizons=list(range(1, 200, 7)),
        )
    )["groupRetention"]
    assert found["after"] == "2024-06-01T00:00:00+00:00"
    assert {p["share"] for p in found["curve"]} == {None}
    assert {p["pairs"] for p in found["curve"]} == {0}


# -- recommendations: private offers neither explain nor rank -----------------------------------

RECOMMENDED = """
query { recommendedPeople(person: "amir", first: 20) { nodes { person { key } score reasons } } }
"""


async def test_a_strangers_private_offer_does_not_show_in_my_recommendations(api: Api) -> None:
    await _update_person(api, "amir", seeks=("media training",))
    await _write(
        api,
        Person(id="olle", name="Olle", interests=("storytelling",), offers=("media training",)),
        Person(id="pia", name="Pia", interests=("storytelling",)),
    )
    admin = await api.data(RECOMMENDED, api.admin)  # may read every profile: the match is there
    by_key = {r["person"]["key"]: r for r in admin["recommendedPeople"]["nodes"]}
    assert any("media training" in line for line in by_key["olle"]["reasons"])
    assert by_key["olle"]["score"] > by_key["pia"]["score"]

    mine = await api.data(RECOMMENDED, api.as_("amir"))
    by_key = {r["person"]["key"]: r for r in mine["recommendedPeople"]["nodes"]}
    assert not any("media training" in line for line in by_key["olle"]["reasons"])
    # Nor does the order: the two look alike to amir, so they score alike.
    assert by_key["olle"]["score"] == by_key["pia"]["score"]


async def test_someone_who_blocked_me_is_never_recommended_to_me(api: Api) -> None:
    await _write(
        api,
        Person(id="olle", name="Olle", interests=("storytelling",), blocked_ids=("amir",)),
        Person(id="pia", name="Pia", interests=("storytelling",)),
    )
    keys = [
        r["person"]["key"]
        for r in (await api.data(RECOMMENDED, api.as_("amir")))["recommendedPeople"]["nodes"]
    ]
    assert "pia" in keys
    assert "olle" not in keys


RECOMMENDED_PAGE = """
query($after: String) { recommendedPeople(person: "amir", first: 1, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } nodes { person { key } }
} }
"""


async def test_paging_my_recommendations_never_shows_someone_who_blocked_me(api: Api) -> None:
    await _write(
        api,
        Person(id="olle", name="Olle", interests=("storytelling",), blocked_ids=("amir",)),
        Person(id="pia", name="Pia", interests=("storytelling",)),
        Person(id="rut", name="Rut", interests=("storytelling",)),
    )
    amir = api.as_("amir")
    whole = [
        r["person"]["key"]
        for r in (await api.data(RECOMMENDED, amir))["recommendedPeople"]["nodes"]
    ]
    paged: list[str] = []
    after: str | None = None
    while True:
        page = (await api.data(RECOMMENDED_PAGE, amir, after=after))["recommendedPeople"]
        assert page["totalCount"] == len(whole)
        paged.extend(r["person"]["key"] for r in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == whole
    assert {"pia", "rut"} <= set(paged)
    assert "olle" not in paged
    # Nor does a cursor made up to point at her tell where she would have been.
    made_up = base64.urlsafe_b64encode(b"after:olle").decode()
    body = await api.query(RECOMMENDED_PAGE, amir, after=made_up)
    assert body["data"] is None
    assert "is not a cursor of this list" in body["errors"][0]["message"]


# -- cohorts: private offers and pre-interviews ---------------------------------------------------

COMPOSE = """
query($group: ID) {
  composeCohorts(
    applicants: [{person: "amir"}, {person: "britt"}, {person: "carl"}, {person: "dina"}],
    cohortSize: 4, interviewsOf: $group
  ) { cohorts { matches reasons } }
}
"""


async def test_a_leader_of_other_people_composes_without_their_private_offers(api: Api) -> None:
    await _update_person(api, "amir", offers=("crisis drills",))
    await _update_person(api, "carl", seeks=("crisis drills",))
    own = await api.data(COMPOSE, api.as_("lena", Role.LEADER))  # their leader may read them
    assert any("crisis drills" in m for m in own["composeCohorts"]["cohorts"][0]["matches"])

    other = await api.data(COMPOSE, api.as_("mona", Role.LEADER))
    cohort = other["composeCohorts"]["cohorts"][0]
    assert cohort["matches"] == []
    assert not any("crisis drills" in line for line in cohort["reasons"])


async def test_only_a_groups_leader_composes_from_its_pre_interviews(api: Api) -> None:
    refused = await api.query(COMPOSE, api.as_("mona", Role.LEADER), group=GROUP)
    assert refused["errors"][0]["message"].startswith("not allowed")
    assert "errors" not in await api.query(COMPOSE, api.as_("lena", Role.LEADER), group=GROUP)


# -- breakouts: only the ties the leader may read ------------------------------------------------

BREAKOUTS = """
query { suggestBreakouts(attendees: ["amir", "britt", "carl", "dina"], groupSize: 2) {
  score weakPairs reasons groups { key }
} }
"""


async def test_an_ad_hoc_breakout_plan_reveals_no_strength_to_another_leader(api: Api) -> None:
    people = ["amir", "britt", "carl", "dina"]
    as_if_strangers = suggest_breakouts(people, group_size=2)
    own = (await api.data(BREAKOUTS, api.as_("lena", Role.LEADER)))["suggestBreakouts"]
    assert own["score"] != as_if_strangers.score  # their leader plans with their ties

    other = (await api.data(BREAKOUTS, api.as_("mona", Role.LEADER)))["suggestBreakouts"]
    assert other["score"] == as_if_strangers.score
    assert other["reasons"] == list(as_if_strangers.reasons)
    assert [[p["key"] for p in g] for g in other["groups"]] == [
        list(g) for g in as_if_strangers.groups
    ]


async def test_two_people_who_blocked_each_other_are_not_put_in_one_breakout(api: Api) -> None:
    people = ["amir", "britt", "carl", "dina"]
    seed = next(
        s
        for s in range(100)
        if ("amir", "britt") in suggest_breakouts(people, group_size=2, seed=s).groups
    )
    query = BREAKOUTS.replace("groupSize: 2)", f"groupSize: 2, seed: {seed})")
    mona = api.as_("mona", Role.LEADER)

    def groups(found: dict[str, Any]) -> list[list[str]]:
        return [[p["key"] for p in g] for g in found["suggestBreakouts"]["groups"]]

    assert ["amir", "britt"] in groups(await api.data(query, mona))
    await _update_person(api, "britt", blocked_ids=("amir",))
    found = await api.data(query, mona)
    assert ["amir", "britt"] not in groups(found)
    # The score is the plan's worth by the goals alone: it does not tell of the block.
    plain = suggest_breakouts(people, group_size=2)
    assert found["suggestBreakouts"]["score"] == plain.score


# -- introduction paths: links name only groups the viewer may see -------------------------------

PATHS = """
query { introductionPaths(from: "amir", to: "zed", maxHops: 3) {
  links { from { key } to { key } sharedGroups { key } lastContact interactionCount }
} }
"""


async def test_a_path_link_between_others_names_no_group_i_cannot_see(api: Api) -> None:
    await _write(
        api,
        Person(id="zed", name="Zed"),
        Group(id="hidden", name="A closed circle", leader_id="zed"),
        Membership(group_id="hidden", person_id="carl"),
        Membership(group_id="hidden", person_id="zed", role=MembershipRole.LEADER),
        Interaction(
            key="carl-zed",
            at=datetime(2026, 1, 5, tzinfo=UTC),
            kind=InteractionKind.CALL,
            participant_ids=("carl", "zed"),
        ),
    )
    paths = (await api.data(PATHS, api.as_("amir")))["introductionPaths"]
    links = [link for path in paths for link in path["links"]]
    far = [link for link in links if (link["from"]["key"], link["to"]["key"]) == ("carl", "zed")]
    assert far
    for link in far:
        assert link["sharedGroups"] == []
        assert (link["lastContact"], link["interactionCount"]) == (None, None)
    mine = [link for link in links if link["from"]["key"] == "amir"]
    assert mine
    assert all(link["lastContact"] is not None for link in mine)  # my own links stay readable
    assert {g["key"] for link in mine for g in link["sharedGroups"]} == {GROUP}


# -- group ties: post-group contact of those who keep it private ----------------------------------

GROUP_TIES = """
query { groupTies(group: "spring-2024") {
  a { key } b { key } lastContact interactionCount contactAfter
} }
"""


async def test_group_ties_show_no_contact_after_the_end_of_those_who_keep_it_private(
    api: Api,
) -> None:
    lena = api.as_("lena", Role.LEADER)
    before = {
        (t["a"]["key"], t["b"]["key"]): t for t in (await api.data(GROUP_TIES, lena))["groupTies"]
    }
    assert datetime.fromisoformat(before[("amir", "carl")]["lastContact"]) > ENDED

    await _update_person(api, "amir", share_post_group_contact=False)
    after = {
        (t["a"]["key"], t["b"]["key"]): t for t in (await api.data(GROUP_TIES, lena))["groupTies"]
    }
    opted_out = after[("amir", "carl")]
    assert datetime.fromisoformat(opted_out["lastContact"]) < ENDED
    assert opted_out["interactionCount"] < before[("amir", "carl")]["interactionCount"]
    assert opted_out["contactAfter"] is None
    # Those who share it are shown as before.
    assert after[("britt", "dina")] == before[("britt", "dina")]


RELATIONSHIP = """
query { relationship(a: "amir", b: "carl") { lastContact interactionCount } }
"""


async def test_a_leader_reads_a_pairs_tie_only_up_to_the_group_end_if_they_keep_it_private(
    api: Api,
) -> None:
    lena = api.as_("lena", Role.LEADER)
    before = (await api.data(RELATIONSHIP, lena))["relationship"]
    assert datetime.fromisoformat(before["lastContact"]) > ENDED
    await _update_person(api, "amir", share_post_group_contact=False)
    after = (await api.data(RELATIONSHIP, lena))["relationship"]
    assert datetime.fromisoformat(after["lastContact"]) < ENDED
    assert after["interactionCount"] < before["interactionCount"]
    # The two themselves still read all of it.
    assert (await api.data(RELATIONSHIP, api.as_("amir")))["relationship"] == before


DRIFT = """
query { driftingTies(group: "spring-2024", windowDays: 120, at: "2025-02-01T00:00:00Z") {
  nodes { person { key } other { key } lastContact }
} }
"""


async def test_a_groups_drift_says_nothing_of_those_who_keep_post_group_contact_private(
    api: Api,
) -> None:
    lena = api.as_("lena", Role.LEADER)

    def pairs(found: dict[str, Any]) -> set[tuple[str, str]]:
        return {(d["person"]["key"], d["other"]["key"]) for d in found["driftingTies"]["nodes"]}

    before = pairs(await api.data(DRIFT, lena))
    assert any("amir" in pair for pair in before)
    await _update_person(api, "amir", share_post_group_contact=False)
    after = pairs(await api.data(DRIFT, lena))
    assert not any("amir" in pair for pair in after)
    assert after == {pair for pair in before if "amir" not in pair}


DRIFT_PAGE = """
query($after: String) {
  driftingTies(group: "spring-2024", windowDays: 120, at: "2025-02-01T00:00:00Z", first: 1,
               after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { person { key } other { key } }
  }
}
"""


async def test_paging_a_groups_drift_shows_no_more_than_the_whole_drift(api: Api) -> None:
    lena = api.as_("lena", Role.LEADER)
    await _update_person(api, "amir", share_post_group_contact=False)
    whole = [
        (d["person"]["key"], d["other"]["key"])
        for d in (await api.data(DRIFT, lena))["driftingTies"]["nodes"]
    ]
    paged: list[tuple[str, str]] = []
    after: str | None = None
    while True:
        page = (await api.data(DRIFT_PAGE, lena, after=after))["driftingTies"]
        assert page["totalCount"] == len(whole)
        paged.extend((d["person"]["key"], d["other"]["key"]) for d in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(paged) > 1
    assert paged == whole
    assert not any("amir" in pair for pair in paged)


# -- consent flags and blocks are the person's own ------------------------------------------------

CONSENT = """
query { person(id: "amir") { discoverable intermediary sharePostGroupContact blocked } }
"""


async def test_consent_flags_and_blocks_are_read_only_by_the_person(api: Api) -> None:
    await _update_person(api, "amir", intermediary=False, blocked_ids=("hanna",))
    own = (await api.data(CONSENT, api.as_("amir")))["person"]
    assert own == {
        "discoverable": True,
        "intermediary": False,
        "sharePostGroupContact": True,
        "blocked": ["hanna"],
    }
    for someone in (api.as_("dina"), api.as_("lena", Role.LEADER)):
        seen = (await api.data(CONSENT, someone))["person"]
        assert seen == dict.fromkeys(own)


# -- a block holds in introductions and shared interests ------------------------------------------

REQUEST = """
mutation($from: ID!, $to: ID!, $via: ID!) {
  requestIntroduction(from: $from, to: $to, via: $via) {
    __typename
    ... on InvalidInput { problems { path value reason } }
  }
}
"""


async def _request(api: Api, asker: str, target: str, via: str) -> dict[str, Any]:
    found = await api.data(REQUEST, api.as_(asker), **{"from": asker, "to": target, "via": via})
    result: dict[str, Any] = found["requestIntroduction"]
    return result


async def test_a_block_refuses_an_introduction_without_saying_who_blocked(api: Api) -> None:
    assert (await _request(api, "britt", "amir", "carl"))["__typename"] == "IntroductionPayload"
    await _update_person(api, "amir", blocked_ids=("hanna",))
    asked_by_the_blocked = await _request(api, "hanna", "amir", "carl")
    await _update_person(api, "amir", blocked_ids=())
    await _update_person(api, "hanna", blocked_ids=("amir",))
    asked_by_the_blocker = await _request(api, "hanna", "amir", "carl")
    await _update_person(api, "hanna", blocked_ids=())
    await _update_person(api, "carl", intermediary=False)
    carl_does_not_introduce = await _request(api, "hanna", "amir", "carl")

    assert asked_by_the_blocked["__typename"] == "InvalidInput"
    assert asked_by_the_blocked == asked_by_the_blocker == carl_does_not_introduce


async def test_a_block_with_the_introducer_refuses_the_same_way(api: Api) -> None:
    await _update_person(api, "carl", blocked_ids=("hanna",))
    through_a_blocker = await _request(api, "hanna", "amir", "carl")
    await _update_person(api, "carl", blocked_ids=(), intermediary=False)
    assert through_a_blocker == await _request(api, "hanna", "amir", "carl")


SHARED = 'query { sharedInterests(a: "amir", b: "hanna") { score } }'


async def test_shared_interests_with_someone_who_blocked_me_are_as_for_someone_unknown(
    api: Api,
) -> None:
    assert "errors" not in await api.query(SHARED, api.as_("amir"))
    unknown = await api.query(
        'query { sharedInterests(a: "amir", b: "nobody-at-all") { score } }', api.as_("amir")
    )
    await _update_person(api, "hanna", blocked_ids=("amir",))
    blocked = await api.query(SHARED, api.as_("amir"))
    assert blocked["data"] is None
    assert blocked["errors"][0]["message"] == unknown["errors"][0]["message"].replace(
        "nobody-at-all", "hanna"
    )

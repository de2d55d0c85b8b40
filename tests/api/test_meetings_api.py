"""Speaking balance and breakout suggestions over GraphQL, for the demo group's leader."""

from __future__ import annotations

import itertools

from graph.usecases.viewer import Role
from tests.api.conftest import Api


async def test_the_leader_sees_who_spoke_how_much_in_a_meeting(api: Api) -> None:
    data = await api.data(
        """{ meetingBalance(meeting: "spring-2024-m1") {
               fairShare gini speakers { person { key } seconds share relative quiet } } }""",
        api.as_("lena", Role.LEADER),
    )
    balance = data["meetingBalance"]
    speakers = balance["speakers"]
    assert abs(sum(s["share"] for s in speakers) - 1.0) < 1e-9
    assert balance["fairShare"] == 1 / len(speakers)
    assert 0 <= balance["gini"] < 1
    shares = [s["share"] for s in speakers]
    assert shares == sorted(shares, reverse=True)
    for s in speakers:
        assert s["quiet"] == (s["relative"] < 0.5)


async def test_group_balance_has_a_trend_per_member_and_one_row_per_meeting(api: Api) -> None:
    data = await api.data(
        """{ groupBalance(group: "spring-2024") {
               meetings { gini } members { person { key } relative meanRelative trend } } }""",
        api.as_("lena", Role.LEADER),
    )
    balance = data["groupBalance"]
    assert len(balance["meetings"]) == 6
    members = {m["person"]["key"]: m for m in balance["members"]}
    assert "lena" not in members  # the leader runs the meeting
    assert len(members) == 8
    for row in members.values():
        assert len(row["relative"]) == 6


async def test_breakouts_for_a_meeting_place_every_attendee_once_in_balanced_groups(
    api: Api,
) -> None:
    query = """query($seed: Int!) { suggestBreakouts(meeting: "spring-2024-m3", groupSize: 3,
                 seed: $seed) { groups { key } score newPairs reasons } }"""
    first = await api.data(query, api.as_("lena", Role.LEADER), seed=5)
    again = await api.data(query, api.as_("lena", Role.LEADER), seed=5)
    # The same seed gives the same groups (scores move with the clock, as strength decays).
    assert first["suggestBreakouts"]["groups"] == again["suggestBreakouts"]["groups"]
    groups = [[p["key"] for p in g] for g in first["suggestBreakouts"]["groups"]]
    placed = list(itertools.chain.from_iterable(groups))
    assert len(placed) == len(set(placed))
    assert "lena" not in placed
    assert max(map(len, groups)) - min(map(len, groups)) <= 1
    assert first["suggestBreakouts"]["reasons"]


async def test_members_cannot_see_speaking_times_and_bad_sizes_are_named(api: Api) -> None:
    body = await api.query(
        '{ meetingBalance(meeting: "spring-2024-m1") { gini } }', api.as_("amir")
    )
    assert "not allowed" in body["errors"][0]["message"]
    body = await api.query(
        '{ suggestBreakouts(meeting: "spring-2024-m1", groupSize: 1) { score } }',
        api.as_("lena", Role.LEADER),
    )
    assert "groupSize" in body["errors"][0]["message"]


COMPOSE = """query($applicants: [ApplicantInput!]!, $size: Int!,
                  $constraints: CohortConstraintsInput, $seed: Int!) {
  composeCohorts(applicants: $applicants, cohortSize: $size, constraints: $constraints,
                 seed: $seed, iterations: 2000) {
    objective greedyObjective randomObjective iterations
    cohorts { members { key organization { key } } format value reasons
              professions { label count } industries { label count } }
    leftOut { person { key } reason explanation }
  }
}"""
MEMBERS = ["amir", "britt", "carl", "dina", "emil", "fatima", "gustav", "hanna"]


async def test_a_leader_composes_cohorts_that_keep_organizations_apart_and_explain_why(
    api: Api,
) -> None:
    applicants = [{"person": p} for p in MEMBERS]
    variables = {"applicants": applicants, "size": 4, "seed": 3}
    found = (await api.data(COMPOSE, api.as_("lena", Role.LEADER), **variables))["composeCohorts"]
    again = (await api.data(COMPOSE, api.as_("lena", Role.LEADER), **variables))["composeCohorts"]
    assert found == again  # reproducible for a seed and a number of iterations
    cohorts = [[m["key"] for m in c["members"]] for c in found["cohorts"]]
    assert sorted(itertools.chain.from_iterable(cohorts)) == sorted(MEMBERS)
    assert [len(c) for c in cohorts] == [4, 4]
    for cohort in found["cohorts"]:
        organizations = [m["organization"]["key"] for m in cohort["members"]]
        assert len(organizations) == len(set(organizations))
        assert cohort["reasons"]
    assert found["objective"] >= found["greedyObjective"] >= found["randomObjective"]
    assert found["leftOut"] == []


async def test_applicants_who_insist_on_another_format_are_left_out_with_the_reason(
    api: Api,
) -> None:
    applicants = [{"person": p} for p in MEMBERS[:6]] + [
        {"person": "gustav", "format": "IN_PERSON"}
    ]
    found = (
        await api.data(
            COMPOSE,
            api.as_("lena", Role.LEADER),
            applicants=applicants,
            size=3,
            seed=0,
            constraints={"format": "DIGITAL"},
        )
    )["composeCohorts"]
    assert [(o["person"]["key"], o["reason"]) for o in found["leftOut"]] == [("gustav", "format")]
    assert all(c["format"] == "DIGITAL" for c in found["cohorts"])


async def test_composing_cohorts_names_what_is_wrong_with_the_pool(api: Api) -> None:
    leader = api.as_("lena", Role.LEADER)
    cases = [
        ([], 8, "applicants"),
        ([{"person": "amir"}, {"person": "britt"}], 3, "cohortSize"),
        ([{"person": "amir"}, {"person": "nobody"}], 2, "nobody"),
        ([{"person": "amir"}, {"person": "amir"}], 2, "twice"),
    ]
    for applicants, size, named in cases:
        body = await api.query(COMPOSE, leader, applicants=applicants, size=size, seed=0)
        assert body["data"] is None
        assert named in body["errors"][0]["message"], (applicants, body["errors"])


async def test_members_cannot_compose_cohorts(api: Api) -> None:
    body = await api.query(
        COMPOSE, api.as_("amir"), applicants=[{"person": "amir"}], size=2, seed=0
    )
    assert "not allowed" in body["errors"][0]["message"]

"""Strength and keep-in-touch over GraphQL, on the demo group, on every backend."""

from __future__ import annotations

import pytest

from graph.usecases.viewer import Role
from tests.api.conftest import Api

AUTUMN = "2024-10-01T10:00:00Z"
"""Five months after the demo group ended (13 May 2024)."""


async def test_a_member_reads_why_a_tie_is_strong_and_what_it_is_made_of(api: Api) -> None:
    data = await api.data(
        """
        query($at: DateTime) {
          relationship(a: "amir", b: "carl", at: $at, evidence: 3) {
            a { key } b { key }
            strength { band strength score components { recency reciprocity embeddedness } }
            interactionCount recentInteractions sharedGroups
            kinds { kind count }
            evidence { contribution interaction { kind at } }
          }
        }
        """,
        api.as_("amir"),
        at=AUTUMN,
    )
    tie = data["relationship"]
    assert (tie["a"]["key"], tie["b"]["key"]) == ("amir", "carl")
    assert tie["strength"]["band"] == "STRONG"
    assert tie["sharedGroups"] == 1
    assert {k["kind"]: k["count"] for k in tie["kinds"]}["side_conversation"] == 5
    # Five monthly contacts after the end, the last three within 90 days of October 1st.
    assert tie["recentInteractions"] == 3
    contributions = [e["contribution"] for e in tie["evidence"]]
    assert contributions == sorted(contributions, reverse=True)
    assert len(contributions) == 3
    assert tie["evidence"][0]["interaction"]["kind"] == "CALL"


async def test_someone_outside_the_pair_and_its_groups_cannot_read_it(api: Api) -> None:
    body = await api.query('{ relationship(a: "amir", b: "carl") { interactionCount } }',
                           api.as_("stranger"))  # fmt: skip
    assert "not allowed" in body["errors"][0]["message"]


async def test_a_person_sees_their_strongest_ties_and_strength_on_their_ties(api: Api) -> None:
    data = await api.data(
        f"""
        {{
          strongestTies(person: "amir", first: 3, at: "{AUTUMN}") {{
            nodes {{ other {{ key }} strength {{ band }} }}
          }}
          person(id: "amir") {{ ties(first: 2) {{ edges {{ node {{
            other {{ key }} strength {{ strength band }}
          }} }} }} }}
        }}
        """,
        api.as_("amir"),
    )
    ranked = data["strongestTies"]["nodes"]
    assert ranked[0]["other"]["key"] == "carl"
    assert len(ranked) == 3
    for edge in data["person"]["ties"]["edges"]:
        strength = edge["node"]["strength"]
        assert 0.0 <= strength["strength"] <= 1.0
        assert strength["band"] in {"STRONG", "MODERATE", "WEAK", "DORMANT"}


async def test_the_leader_sees_which_pairs_kept_in_touch_after_the_group(api: Api) -> None:
    data = await api.data(
        f"""
        {{
          groupRetention(group: "spring-2024", at: "{AUTUMN}", horizons: [30, 90, 365]) {{
            memberCount pairCount shareDuring shareAfter aggregated
            curve {{ days share pairs }}
            pairs {{ a {{ key }} b {{ key }} contactAfter keepInTouchProbability }}
            members {{ person {{ key }} groupMatesInContact }}
          }}
        }}
        """,
        api.as_("lena", Role.LEADER),
    )
    retention = data["groupRetention"]
    assert (retention["memberCount"], retention["pairCount"]) == (8, 28)
    kept = {(p["a"]["key"], p["b"]["key"]) for p in retention["pairs"] if p["contactAfter"]}
    assert kept == {("amir", "carl"), ("britt", "dina")}
    assert retention["shareAfter"] == pytest.approx(2 / 28)
    curve = {p["days"]: p for p in retention["curve"]}
    assert curve[30]["pairs"] == 2
    assert curve[365]["share"] is None  # not a year after the end yet
    talks = {m["person"]["key"]: m["groupMatesInContact"] for m in retention["members"]}
    assert talks["amir"] == 1
    assert talks["emil"] == 0


async def test_groups_compare_side_by_side_and_bad_arguments_are_named(api: Api) -> None:
    data = await api.data(
        f'{{ compareGroups(groups: ["spring-2024"], at: "{AUTUMN}") {{ shareAfter }} }}'
    )
    assert data["compareGroups"][0]["shareAfter"] == pytest.approx(2 / 28)
    body = await api.query(
        '{ tieHistory(a: "amir", b: "carl", from: "2024-01-01T00:00:00Z",'
        ' to: "2024-02-01T00:00:00Z", stepDays: 0) { at } }'
    )
    assert "stepDays" in body["errors"][0]["message"]
    body = await api.query(
        '{ driftingTies(person: "amir", group: "spring-2024") { nodes { now { band } } } }'
    )
    assert "exactly one of person or group" in body["errors"][0]["message"]


async def test_drift_lists_the_pairs_who_stopped_talking(api: Api) -> None:
    data = await api.data(
        f"""{{ driftingTies(group: "spring-2024", windowDays: 120, at: "{AUTUMN}") {{
            nodes {{ person {{ key }} other {{ key }} before {{ band }} now {{ band }} }} }} }}"""
    )
    drifts = [
        (d["person"]["key"], d["other"]["key"], d["before"]["band"], d["now"]["band"])
        for d in data["driftingTies"]["nodes"]
    ]
    # The two pairs who talked beside the meetings and then stopped lose the most.
    assert set(drifts[:2]) == {
        ("emil", "fatima", "STRONG", "MODERATE"),
        ("gustav", "hanna", "STRONG", "MODERATE"),
    }
    pairs = {(a, b) for a, b, _, _ in drifts}
    assert ("amir", "carl") not in pairs
    assert ("britt", "dina") not in pairs

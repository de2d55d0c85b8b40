"""The ties among a group's people over GraphQL, on the demo group, on every backend."""

from __future__ import annotations

import itertools

import pytest

from graph.usecases.viewer import Role
from tests.api.conftest import Api

AUTUMN = "2024-10-01T10:00:00Z"
"""Five months after the demo group ended (13 May 2024)."""
PEOPLE = ["amir", "britt", "carl", "dina", "emil", "fatima", "gustav", "hanna", "lena"]

GROUP_TIES = """
query($at: DateTime) {
  groupTies(group: "spring-2024", at: $at) {
    a { key } b { key }
    strength { strength band }
    interactionCount contactAfter
  }
}
"""


def _pairs(ties: list[dict[str, object]]) -> list[tuple[str, str]]:
    return [(t["a"]["key"], t["b"]["key"]) for t in ties]  # type: ignore[index]


async def test_the_leader_sees_every_pair_once_and_which_kept_in_touch(api: Api) -> None:
    data = await api.data(GROUP_TIES, api.as_("lena", Role.LEADER), at=AUTUMN)
    ties = data["groupTies"]
    # Everyone, the leader too, met at the meetings: every pair has a tie.
    assert _pairs(ties) == list(itertools.combinations(PEOPLE, 2))
    kept = {(t["a"]["key"], t["b"]["key"]) for t in ties if t["contactAfter"]}
    assert kept == {("amir", "carl"), ("britt", "dina")}
    by_pair = dict(zip(_pairs(ties), ties, strict=True))
    assert by_pair[("amir", "carl")]["strength"]["band"] == "STRONG"
    assert (
        by_pair[("amir", "carl")]["interactionCount"]
        > by_pair[("amir", "emil")]["interactionCount"]
    )


async def test_the_figures_agree_with_the_groups_keep_in_touch_pairs(api: Api) -> None:
    headers = api.as_("lena", Role.LEADER)
    ties = (await api.data(GROUP_TIES, headers, at=AUTUMN))["groupTies"]
    retention = await api.data(
        f"""{{ groupRetention(group: "spring-2024", at: "{AUTUMN}") {{
              pairs {{ a {{ key }} b {{ key }} contactAfter strengthNow bandNow }} }} }}""",
        headers,
    )
    by_pair = dict(zip(_pairs(ties), ties, strict=True))
    pairs = retention["groupRetention"]["pairs"]
    assert len(pairs) == 28
    for pair in pairs:
        tie = by_pair[(pair["a"]["key"], pair["b"]["key"])]
        assert tie["contactAfter"] == pair["contactAfter"]
        assert tie["strength"]["strength"] == pytest.approx(pair["strengthNow"])
        assert tie["strength"]["band"] == pair["bandNow"]


async def test_a_member_may_not_see_the_ties_among_the_group(api: Api) -> None:
    body = await api.query(GROUP_TIES, api.as_("amir"), at=AUTUMN)
    assert "not allowed" in body["errors"][0]["message"]
    assert body["data"] is None

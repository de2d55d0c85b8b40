"""Introduction paths, degrees and mutual connections over GraphQL, on every backend."""

from __future__ import annotations

from typing import Any

import pytest

from graph.domain.model import Interaction, InteractionKind, Person
from graph.ports import batch_of
from graph.usecases.viewer import Role
from tests.api.conftest import Api
from tests.factories import at

PATHS = """
query($to: ID!, $strategy: PathStrategy, $maxHops: Int) {
  introductionPaths(from: "amir", to: $to, strategy: $strategy, maxHops: $maxHops) {
    score hops
    people { key }
    via { key }
    links { from { key } to { key } strength band lastContact sharedInterests
            sharedGroups { key } }
  }
}
"""


async def _outside_contacts(api: Api) -> None:
    """Two people outside the demo group: olga knows carl (well) and dina (barely); pia
    knows only olga."""
    store = api.app.state.store
    await store.apply(batch_of([Person(id="olga", name="Olga"), Person(id="pia", name="Pia")]))
    now = api.app.state.service.clock()
    await store.apply(
        batch_of(
            [
                *(
                    Interaction(
                        key=f"carl-olga-{n}",
                        at=now.replace(microsecond=0) - (at(30 * n) - at(0)),
                        kind=InteractionKind.CALL,
                        participant_ids=("carl", "olga"),
                        initiator_id="carl" if n % 2 else "olga",
                    )
                    for n in range(1, 5)
                ),
                Interaction(
                    key="dina-olga",
                    at=now.replace(microsecond=0) - (at(300) - at(0)),
                    kind=InteractionKind.MESSAGE,
                    participant_ids=("dina", "olga"),
                ),
                Interaction(
                    key="olga-pia",
                    at=now.replace(microsecond=0) - (at(10) - at(0)),
                    kind=InteractionKind.CALL,
                    participant_ids=("olga", "pia"),
                    initiator_id="pia",
                ),
            ]
        )
    )


async def test_a_member_finds_who_can_introduce_them_and_why(api: Api) -> None:
    await _outside_contacts(api)
    data = await api.data(PATHS, api.as_("amir"), to="olga")
    paths = data["introductionPaths"]
    # amir -> carl (side conversations, calls) -> olga (regular calls) is the strongest.
    assert [p["key"] for p in paths[0]["people"]] == ["amir", "carl", "olga"]
    assert [p["key"] for p in paths[0]["via"]] == ["carl"]
    first_link = paths[0]["links"][0]
    assert (first_link["from"]["key"], first_link["to"]["key"]) == ("amir", "carl")
    assert [g["key"] for g in first_link["sharedGroups"]] == ["spring-2024"]
    scores = [p["score"] for p in paths]
    assert scores == sorted(scores, reverse=True)
    for path in paths:
        product = 1.0
        for link in path["links"]:
            product *= link["strength"]
        assert abs(product - path["score"]) < 1e-9
    two_hops = await api.data(PATHS, api.as_("amir"), to="pia", maxHops=2)
    assert two_hops["introductionPaths"] == []
    three = await api.data(PATHS, api.as_("amir"), to="pia", maxHops=3)
    assert [p["key"] for p in three["introductionPaths"][0]["people"]] == [
        "amir",
        "carl",
        "olga",
        "pia",
    ]


async def test_shortest_returns_only_the_fewest_hops(api: Api) -> None:
    await _outside_contacts(api)
    data = await api.data(PATHS, api.as_("amir"), to="olga", strategy="SHORTEST")
    paths = data["introductionPaths"]
    assert {p["hops"] for p in paths} == {2}
    assert {p["via"][0]["key"] for p in paths} == {"carl", "dina"}


async def test_someone_who_does_not_consent_is_left_off_every_path(api: Api) -> None:
    await _outside_contacts(api)
    await api.app.state.store.apply(
        batch_of([Person(id="carl", name="Carl Berg", intermediary=False)])
    )
    data = await api.data(PATHS, api.as_("amir"), to="olga")
    assert data["introductionPaths"]
    assert all("carl" not in [p["key"] for p in path["via"]] for path in data["introductionPaths"])


async def test_degrees_and_mutual_connections(api: Api) -> None:
    await _outside_contacts(api)
    data = await api.data(
        """{ carl: connectionDegree(a: "amir", b: "carl")
             olga: connectionDegree(a: "amir", b: "olga")
             pia: connectionDegree(a: "amir", b: "pia")
             mutualConnections(a: "amir", b: "olga") { nodes { key } } }""",
        api.as_("amir"),
    )
    assert (data["carl"], data["olga"], data["pia"]) == ("FIRST", "SECOND", "THIRD")
    assert [p["key"] for p in data["mutualConnections"]["nodes"]] == ["carl", "dina"]


async def test_paths_are_asked_for_oneself_and_bad_arguments_are_named(api: Api) -> None:
    body = await api.query(PATHS, api.as_("dina"), to="carl")
    assert "not allowed" in body["errors"][0]["message"]
    body = await api.query(PATHS, api.as_("amir"), to="carl", maxHops=9)
    assert "maxHops" in body["errors"][0]["message"]
    body = await api.query(PATHS, api.as_("amir", Role.MEMBER), to="nobody")
    assert "nobody" in body["errors"][0]["message"]


PATHS_WITHOUT_WHY = """
query($to: ID!) {
  introductionPaths(from: "amir", to: $to) { score hops people { key } via { key name } }
}
"""

PATHS_WHY_IN_A_FRAGMENT = """
query($to: ID!) {
  introductionPaths(from: "amir", to: $to) { score hops ...Why }
}
fragment Why on IntroductionPath { people { key } links { strength sharedGroups { key } } }
"""


def _store_calls(api: Api, monkeypatch: pytest.MonkeyPatch, *names: str) -> list[str]:
    """The names of the service's store methods ``names`` as they are called, in order (the
    store still answers each)."""
    store = api.app.state.store
    calls: list[str] = []
    for name in names:
        real = getattr(store, name)

        async def counted(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            calls.append(_name)
            return await _real(*args, **kw)

        monkeypatch.setattr(store, name, counted)
    return calls


async def test_paths_asked_without_their_links_are_the_same_and_read_no_explanation(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _outside_contacts(api)
    explanation_reads = _store_calls(api, monkeypatch, "memberships", "ties_between")

    # (Showing people to the viewer reads memberships too; the links add more.)
    bare = (await api.data(PATHS_WITHOUT_WHY, api.as_("amir"), to="olga"))["introductionPaths"]
    without = explanation_reads.copy()
    explanation_reads.clear()
    full = (await api.data(PATHS, api.as_("amir"), to="olga"))["introductionPaths"]
    assert "ties_between" not in without
    assert explanation_reads.count("ties_between") == 1
    assert explanation_reads.count("memberships") > without.count("memberships")
    assert bare
    assert [(p["hops"], p["people"]) for p in bare] == [(p["hops"], p["people"]) for p in full]
    # (Strengths decay to the moment of each request: a few microseconds apart.)
    assert [p["score"] for p in bare] == pytest.approx([p["score"] for p in full], rel=1e-6)
    assert [v["key"] for v in bare[0]["via"]] == ["carl"]
    assert bare[0]["via"][0]["name"]

    explanation_reads.clear()
    in_fragment = await api.data(PATHS_WHY_IN_A_FRAGMENT, api.as_("amir"), to="olga")
    assert explanation_reads.count("ties_between") == 1
    links = in_fragment["introductionPaths"][0]["links"]
    assert [g["key"] for g in links[0]["sharedGroups"]] == ["spring-2024"]


async def test_the_reads_behind_the_links_do_not_grow_with_the_number_of_links(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _outside_contacts(api)
    calls = _store_calls(api, monkeypatch, "memberships", "get", "ties_between")
    query = PATHS.replace("maxHops: $maxHops)", "maxHops: $maxHops, first: $first)").replace(
        "$maxHops: Int)", "$maxHops: Int, $first: Int)"
    )
    one = await api.data(query, api.as_("amir"), to="olga", first=1)
    reads_for_one = len(calls)
    calls.clear()
    five = await api.data(query, api.as_("amir"), to="olga", first=5)
    links = [link for path in five["introductionPaths"] for link in path["links"]]
    assert len(one["introductionPaths"]) == 1
    assert len(links) >= 2 * len(one["introductionPaths"][0]["links"])
    assert any(link["lastContact"] for link in links)  # the policy was asked, and allowed
    assert len(calls) == reads_for_one

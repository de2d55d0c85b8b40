"""Introduction paths, degrees and mutual connections over GraphQL, on every backend."""

from __future__ import annotations

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

"""Both stores find the same introduction paths as enumerating every path would, in the same
order, and the same distances and shortest paths as networkx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.domain.model import Interaction, InteractionKind, Person
from graph.domain.paths import Strategy, brute_force_paths
from graph.domain.relationship import link_strength
from graph.domain.ties import ties_from_history
from graph.ports import GraphStore, batch_of
from tests.conftest import BACKENDS, open_store
from tests.factories import at, person
from tests.support.neo4j import Neo4jTarget

PEOPLE = [f"p{n}" for n in range(7)]
NOW = at(1000)
KINDS = [InteractionKind.CALL, InteractionKind.MESSAGE, InteractionKind.CONNECTION]


@pytest.fixture(params=[*BACKENDS, "neo4j-cypher"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, neo4j_target: Neo4jTarget | None
) -> AsyncIterator[GraphStore]:
    """Each store, and Neo4j a second time searching by Cypher instead of the procedure (the
    search a server without tiegraph's procedures gets): both must give the same paths."""
    opened = await open_store(request.param, tmp_path, neo4j_target)
    try:
        yield opened
    finally:
        await opened.close()


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[Person], list[Interaction]]:
    refusing = draw(st.sets(st.sampled_from(PEOPLE), max_size=2))
    people = []
    for p in PEOPLE:
        blocked = draw(st.lists(st.sampled_from(PEOPLE), max_size=1))
        people.append(
            person(
                p,
                intermediary=p not in refusing,
                blocked_ids=tuple(b for b in blocked if b != p),
            )
        )
    contacts = []
    pairs = [(a, b) for i, a in enumerate(PEOPLE) for b in PEOPLE[i + 1 :]]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, min_size=4, max_size=14))
    for n, (a, b) in enumerate(chosen):
        for k in range(draw(st.integers(1, 3))):
            contacts.append(
                Interaction(
                    key=f"i{n}-{k}",
                    at=at(draw(st.integers(0, 900))),
                    kind=draw(st.sampled_from(KINDS)),
                    participant_ids=(a, b),
                    initiator_id=draw(st.sampled_from([None, a, b])),
                )
            )
    return people, contacts


def _oracle(
    people: list[Person],
    contacts: list[Interaction],
    model_store: GraphStore,
    *,
    kinds: frozenset[InteractionKind] | None = None,
    min_link_strength: float = 0.0,
) -> tuple[dict[str, dict[str, float]], set[str]]:
    ties = ties_from_history(contacts, model_store.model)
    blocks = {p.id: set(p.blocked_ids) for p in people}
    links: dict[str, dict[str, float]] = {p: {} for p in PEOPLE}
    for (a, b), tie in ties.items():
        if b in blocks[a] or a in blocks[b]:
            continue
        if kinds is not None and not any(tie.counts.get(kind) for kind in kinds):
            continue
        strength = link_strength(tie, NOW, model_store.model)
        if strength < min_link_strength:
            continue
        links[a][b] = links[b][a] = strength
    refusing = {p.id for p in people if not p.intermediary}
    return links, refusing


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    network=networks(),
    source=st.sampled_from(PEOPLE),
    target=st.sampled_from(PEOPLE),
    strategy=st.sampled_from(list(Strategy)),
    max_hops=st.integers(1, 4),
    kinds=st.none() | st.frozensets(st.sampled_from(KINDS), min_size=1),
    min_link_strength=st.sampled_from([0.0, 0.0, 0.05, 0.2]),
)
async def test_the_store_returns_the_top_paths_the_brute_force_oracle_ranks_first(
    store: GraphStore,
    network: tuple[list[Person], list[Interaction]],
    source: str,
    target: str,
    strategy: Strategy,
    max_hops: int,
    kinds: frozenset[InteractionKind] | None,
    min_link_strength: float,
) -> None:
    people, contacts = network
    await store.delete_everything()
    await store.apply(batch_of(people))
    await store.apply(batch_of(contacts))
    links, refusing = _oracle(
        people, contacts, store, kinds=kinds, min_link_strength=min_link_strength
    )
    blocks = {p.id: set(p.blocked_ids) for p in people}
    expected = brute_force_paths(
        source,
        target,
        links_of=lambda p: {o: s for o, s in links[p].items() if s > 0},
        may_pass=lambda p: p not in refusing,
        max_hops=max_hops,
        first=4,
        strategy=strategy,
        apart=lambda a, b: b in blocks[a] or a in blocks[b],
    )
    found = await store.introduction_paths(
        source,
        target,
        max_hops=max_hops,
        first=4,
        strategy=strategy,
        min_link_strength=min_link_strength,
        at=NOW,
        kinds=kinds,
    )
    assert [p.people for p in found] == [p.people for p in expected]
    for got, want in zip(found, expected, strict=True):
        assert got.links == pytest.approx(want.links, rel=1e-9)


async def test_weak_links_and_other_kinds_are_left_out_when_asked(store: GraphStore) -> None:
    await store.apply(batch_of([person(p) for p in ("ann", "ben", "cat")]))
    await store.apply(
        batch_of(
            [
                Interaction(
                    key="ab", at=at(999), kind=InteractionKind.CALL, participant_ids=("ann", "ben")
                ),
                Interaction(
                    key="bc",
                    at=at(10),
                    kind=InteractionKind.CONNECTION,
                    participant_ids=("ben", "cat"),
                ),
            ]
        )
    )
    common = {"max_hops": 3, "first": 5, "strategy": Strategy.STRONGEST, "at": NOW}
    both = await store.introduction_paths("ann", "cat", min_link_strength=0.0, **common)  # type: ignore[arg-type]
    assert [p.people for p in both] == [("ann", "ben", "cat")]
    assert both[0].links[1] < 0.01  # a connection declared long ago and never used
    assert await store.introduction_paths("ann", "cat", min_link_strength=0.01, **common) == []  # type: ignore[arg-type]
    calls_only = await store.introduction_paths(
        "ann",
        "cat",
        min_link_strength=0.0,
        kinds=[InteractionKind.CALL],
        **common,  # type: ignore[arg-type]
    )
    assert calls_only == []


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(network=networks(), source=st.sampled_from(PEOPLE), target=st.sampled_from(PEOPLE))
async def test_distances_shortest_paths_and_neighbourhoods_agree_with_networkx(
    store: GraphStore,
    network: tuple[list[Person], list[Interaction]],
    source: str,
    target: str,
) -> None:
    people, contacts = network
    await store.delete_everything()
    await store.apply(batch_of(people))
    await store.apply(batch_of(contacts))
    only = [InteractionKind.CONNECTION]
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(PEOPLE)
    graph.add_edges_from(
        (i.participant_ids[0], i.participant_ids[1])
        for i in contacts
        if i.kind is InteractionKind.CONNECTION
    )
    try:
        expected: int | None = int(nx.shortest_path_length(graph, source, target))
    except nx.NetworkXNoPath:
        expected = None
    assert await store.distance(source, target, limit=6, kinds=only) == expected
    shortest = await store.shortest_paths(source, target, limit=6, kinds=only)
    if expected is None or source == target:
        assert shortest == []
    else:
        assert shortest == sorted(tuple(p) for p in nx.all_shortest_paths(graph, source, target))
    near = nx.single_source_shortest_path_length(graph, source, cutoff=2)
    del near[source]
    assert await store.neighbourhood(source, max_hops=2, kinds=only) == near

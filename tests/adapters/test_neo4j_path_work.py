"""Introduction paths on Neo4j do bounded work when one end is a hub: the search grows from
the other end and only checks, tie by tie, whether it reaches the hub; it never reads the
hub's ties. Measured with PROFILE for the Cypher query (what the server did, not what it
planned), and by the procedure's own count of what it read for tiegraph's procedure."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from graph.adapters.neo4j import cypher, procedures
from graph.adapters.neo4j.store import (
    Neo4jStore,
    introduction_path_parameters,
    procedure_path_parameters,
)
from graph.domain.batch import WriteBatch
from graph.domain.errors import BudgetExceeded
from graph.domain.model import InteractionKind
from graph.domain.paths import Strategy
from tests.factories import at, interaction, person
from tests.support.neo4j import Neo4jTarget
from tests.support.profiles import Network, loaded_network, walk

HUB_TIES = 10_000
"""The hub's ties: one to each of this many people."""
ADA_TIES = 30
"""Ada knows this many of the hub's contacts..."""
ONWARD_TIES = 10
"""...and each of those knows this many more of them."""
DB_HITS_BOUND = 20_000
"""At most this many db hits for one search between Ada and the hub, at most 4 hops. Measured:
about 8,000 to 8,700 for STRONGEST and 1,800 for SHORTEST; reading the hub's ties once, with
their strengths, would cost many times more, and the query that listed every path took 33,000
to 18 million."""
RELATIONSHIPS_BOUND = 1_500
"""At most this many ties (and people) read by the procedure for one search between Ada and
the hub, at most 4 hops: Ada's 30 ties, her contacts' a dozen each, then, at 4 hops, theirs'
-- never the hub's 10,000. Measured: 390 to 836 ties, 32 to 299 people."""
NOW = at(1000)


def _leaf(index: int) -> str:
    return f"leaf-{index:05d}"


def _batches() -> list[WriteBatch]:
    rng = random.Random(3)
    kinds = list(InteractionKind)
    people = [person("hub"), person("ada")] + [person(_leaf(i)) for i in range(HUB_TIES)]
    contacts = [
        interaction(f"hub-{i}", "hub", _leaf(i), day=rng.uniform(0, 999), kind=rng.choice(kinds))
        for i in range(HUB_TIES)
    ]
    for i in range(ADA_TIES):
        contacts.append(interaction(f"ada-{i}", "ada", _leaf(i), day=rng.uniform(0, 999)))
        for j in range(ONWARD_TIES):
            other = _leaf(ADA_TIES + rng.randrange(HUB_TIES - ADA_TIES))
            contacts.append(interaction(f"on-{i}-{j}", _leaf(i), other, day=rng.uniform(0, 999)))
    return [WriteBatch(people=people)] + [
        WriteBatch(interactions=contacts[start : start + 2_000])
        for start in range(0, len(contacts), 2_000)
    ]


def _parameters(store: Neo4jStore, source: str, target: str, strategy: Strategy) -> dict[str, Any]:
    """The path query's parameters for the first five paths, any strength, at ``NOW``."""
    return introduction_path_parameters(
        store.model,
        source=source,
        target=target,
        first=5,
        strategy=strategy,
        min_link_strength=0.0,
        at=NOW,
    )


@pytest.fixture(scope="module")
async def hub_network(neo4j_target: Neo4jTarget | None) -> AsyncIterator[Network]:
    async with loaded_network(neo4j_target, _batches()) as network:
        yield network


@pytest.mark.parametrize("max_hops", [3, 4])
@pytest.mark.parametrize(("source", "target"), [("ada", "hub"), ("hub", "ada")])
@pytest.mark.parametrize("strategy", list(Strategy))
async def test_paths_to_a_hub_of_ten_thousand_ties_cost_a_bounded_number_of_db_hits(
    hub_network: Network,
    max_hops: int,
    source: str,
    target: str,
    strategy: Strategy,
) -> None:
    store, driver, database = hub_network
    parameters = _parameters(store, source, target, strategy)
    async with driver.session(database=database) as session:
        result = await session.run(
            "PROFILE " + cypher.introduction_paths_query(max_hops), parameters
        )
        rows = [row async for row in result]
        summary = await result.consume()
    assert summary.profile is not None
    hits, operators = walk(summary.profile)
    assert len(rows) == 5
    assert hits <= DB_HITS_BOUND, hits
    assert not {"NodeByLabelScan", "AllNodesScan"} & set(operators)


@pytest.mark.parametrize("max_hops", [2, 3, 4])
@pytest.mark.parametrize("strategy", list(Strategy))
async def test_closing_into_a_hub_by_lookup_or_by_expand_into_finds_the_same_paths(
    hub_network: Network, max_hops: int, strategy: Strategy
) -> None:
    store, driver, database = hub_network
    parameters = _parameters(store, "ada", "hub", strategy)
    found = []
    for far_set_limit in (0, 2 * HUB_TIES):
        async with driver.session(database=database) as session:
            result = await session.run(
                cypher.introduction_paths_query(max_hops),
                {**parameters, "far_set_limit": far_set_limit},
            )
            found.append([(tuple(row["ids"]), tuple(row["links"])) async for row in result])
    assert found[0] == found[1]
    assert len(found[0]) == 5


@pytest.mark.parametrize("max_hops", [3, 4])
@pytest.mark.parametrize(("source", "target"), [("ada", "hub"), ("hub", "ada")])
@pytest.mark.parametrize("strategy", list(Strategy))
async def test_the_procedure_never_reads_the_hub_s_ten_thousand_ties(
    hub_network: Network,
    max_hops: int,
    source: str,
    target: str,
    strategy: Strategy,
) -> None:
    store, driver, database = hub_network
    if not store.searches_by_procedure:
        pytest.skip("the server lacks tiegraph's procedures (see test_neo4j_procedures)")
    parameters = _parameters(store, source, target, strategy)
    async with driver.session(database=database) as session:
        result = await session.run(
            cypher.INTRODUCTION_PATHS_WORK, procedure_path_parameters(parameters, max_hops)
        )
        work = await result.single()
    assert work is not None
    assert work["found"] >= 5
    assert work["relationships"] <= RELATIONSHIPS_BOUND, work
    assert work["people"] <= RELATIONSHIPS_BOUND, work


@pytest.mark.parametrize("max_hops", [1, 2, 3, 4])
@pytest.mark.parametrize("strategy", list(Strategy))
@pytest.mark.parametrize("far_set_limit", [0, 2 * HUB_TIES])
async def test_the_procedure_and_the_cypher_query_find_the_same_paths_around_a_hub(
    hub_network: Network, max_hops: int, strategy: Strategy, far_set_limit: int
) -> None:
    store, driver, database = hub_network
    if not store.searches_by_procedure:
        pytest.skip("the server lacks tiegraph's procedures (see test_neo4j_procedures)")
    parameters = {
        **_parameters(store, "ada", "hub", strategy),
        "far_set_limit": far_set_limit,
    }
    found = []
    for query, arguments in (
        (cypher.introduction_paths_query(max_hops), parameters),
        (cypher.INTRODUCTION_PATHS_PROCEDURE, procedure_path_parameters(parameters, max_hops)),
    ):
        async with driver.session(database=database) as session:
            result = await session.run(query, arguments)
            found.append([(tuple(row["ids"]), tuple(row["links"])) async for row in result])
    assert found[0] == found[1]
    assert len(found[0]) == (0 if max_hops == 1 else 5)


@pytest.mark.parametrize("by_procedure", [True, False], ids=["procedure", "cypher"])
async def test_a_search_that_would_hold_too_many_partial_paths_is_refused_as_over_budget(
    hub_network: Network,
    neo4j_target: Neo4jTarget | None,
    monkeypatch: pytest.MonkeyPatch,
    by_procedure: bool,
) -> None:
    shared, _, _ = hub_network
    if by_procedure and not shared.searches_by_procedure:
        pytest.skip("the server lacks tiegraph's procedures (see test_neo4j_procedures)")
    assert neo4j_target is not None
    store = neo4j_target.store(plan_searches_at_open=False, use_procedures=by_procedure)
    await store.open()
    search = {
        "max_hops": 4,
        "first": 5,
        "strategy": Strategy.SHORTEST,
        "min_link_strength": 0.0,
        "at": NOW,
    }
    try:
        assert store.searches_by_procedure is by_procedure
        assert len(await store.introduction_paths("ada", "hub", **search)) == 5  # type: ignore[arg-type]
        monkeypatch.setattr(cypher, "MAX_PARTIAL_PATHS", 20)
        with pytest.raises(BudgetExceeded, match="more than 20 partial paths; lower maxHops"):
            await store.introduction_paths("ada", "hub", **search)  # type: ignore[arg-type]
        monkeypatch.undo()
        # Refused, not crashed: the server answers the next search.
        assert len(await store.introduction_paths("ada", "hub", **search)) == 5  # type: ignore[arg-type]
    finally:
        await store.close()


async def test_the_cypher_search_is_refused_at_the_hop_whose_partial_paths_pass_the_allowance(
    hub_network: Network, neo4j_target: Neo4jTarget | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert neo4j_target is not None
    store = neo4j_target.store(plan_searches_at_open=False, use_procedures=False)
    await store.open()
    common = {"first": 5, "strategy": Strategy.STRONGEST, "min_link_strength": 0.0, "at": NOW}
    # Ada's first hop holds exactly the allowance; growing from her contacts holds more.
    monkeypatch.setattr(cypher, "MAX_PARTIAL_PATHS", ADA_TIES)
    try:
        assert len(await store.introduction_paths("ada", "hub", max_hops=2, **common)) == 5  # type: ignore[arg-type]
        with pytest.raises(BudgetExceeded, match=f"more than {ADA_TIES} partial paths"):
            await store.introduction_paths("ada", "hub", max_hops=4, **common)  # type: ignore[arg-type]
    finally:
        await store.close()


def test_the_store_and_the_procedure_agree_on_how_a_refusal_for_size_begins() -> None:
    source = next(procedures.SOURCES.rglob("IntroductionPaths.java")).read_text()
    assert f'TOO_LARGE = "{cypher.SEARCH_TOO_LARGE}"' in source


async def test_a_store_whose_server_lost_the_procedure_searches_by_cypher_from_then_on(
    hub_network: Network, neo4j_target: Neo4jTarget | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared, _, _ = hub_network
    if not shared.searches_by_procedure:
        pytest.skip("the server lacks tiegraph's procedures (see test_neo4j_procedures)")
    assert neo4j_target is not None
    store = neo4j_target.store(plan_searches_at_open=False)
    await store.open()
    try:
        search = {"max_hops": 3, "first": 5, "strategy": Strategy.STRONGEST}
        common = {"min_link_strength": 0.0, "at": NOW}
        expected = await store.introduction_paths("ada", "hub", **search, **common)  # type: ignore[arg-type]
        assert store.searches_by_procedure
        # As a server started again without the jar answers: no such procedure.
        monkeypatch.setattr(
            cypher,
            "INTRODUCTION_PATHS_PROCEDURE",
            cypher.INTRODUCTION_PATHS_PROCEDURE.replace(
                "tiegraph.introductionPaths(", "tiegraph.noSuchProcedure("
            ),
        )
        found = await store.introduction_paths("ada", "hub", **search, **common)  # type: ignore[arg-type]
        assert found == expected
        assert not store.searches_by_procedure
    finally:
        await store.close()

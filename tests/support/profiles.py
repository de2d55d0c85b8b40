"""A network loaded into the shared Neo4j server for PROFILE tests, and the plan walked.

Tests that bound the work a query does (db hits, operators) load a network of their own shape
once per module with :func:`loaded_network`, which has the server sample its indexes again and
drop its cached plans, so the query is planned for that graph and not for the few-people graphs
earlier tests left plans and statistics of.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import neo4j
import pytest

from graph.adapters.neo4j.store import Neo4jStore
from graph.domain.batch import WriteBatch
from tests.support.neo4j import Neo4jTarget

__all__ = ["Network", "loaded_network", "walk"]

Network = tuple[Neo4jStore, neo4j.AsyncDriver, str]
"""The store holding the network, a driver on its server, and the database's name."""


@asynccontextmanager
async def loaded_network(
    neo4j_target: Neo4jTarget | None, batches: Sequence[WriteBatch]
) -> AsyncIterator[Network]:
    """Hold ``batches`` in the shared server's database (emptied before and after), with no
    plans cached; skip without a server (CI fails instead: see ``tests/support/neo4j``)."""
    if neo4j_target is None:
        pytest.skip("no Neo4j server")
    store = Neo4jStore(uri=neo4j_target.uri, auth=neo4j_target.auth, database=neo4j_target.database)
    await store.open()
    await store.delete_everything()
    for batch in batches:
        await store.apply(batch)
    driver = neo4j.AsyncGraphDatabase.driver(neo4j_target.uri, auth=neo4j_target.auth)
    # Plans cached while earlier tests ran the same query on graphs of a few people would be
    # reused here, and the indexes' statistics may still be those of an empty or tiny graph
    # (the server samples them in the background): sample them again, wait, and drop every
    # cached plan, so the query is planned for the graph it is measured on.
    async with driver.session(database=neo4j_target.database) as session:
        await (await session.run("CALL db.prepareForReplanning(300000)")).consume()
    try:
        yield store, driver, neo4j_target.database
    finally:
        await driver.close()
        await store.delete_everything()
        await store.close()


def walk(plan: dict[str, Any]) -> tuple[int, list[str]]:
    """The db hits of a PROFILE plan and its operators' names, the whole tree."""
    hits = int(plan.get("dbHits", 0) or 0)
    operators = [str(plan["operatorType"]).split("@")[0]]
    for child in plan.get("children", []):
        child_hits, child_operators = walk(child)
        hits += child_hits
        operators += child_operators
    return hits, operators

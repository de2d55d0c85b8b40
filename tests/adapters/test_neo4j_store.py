"""What only the Neo4j store has to promise: routing URIs, clear errors for bad settings."""

from __future__ import annotations

import pytest

from graph.adapters.neo4j.store import Neo4jStore
from graph.domain.errors import ConfigurationError, StoreUnavailable
from graph.domain.model import Person
from graph.ports import batch_of
from tests.factories import person
from tests.support.neo4j import Neo4jTarget


def _target(neo4j_target: Neo4jTarget | None) -> Neo4jTarget:
    if neo4j_target is None:
        pytest.skip("no Neo4j server")
    return neo4j_target


async def test_a_routing_uri_reaches_the_same_server(neo4j_target: Neo4jTarget | None) -> None:
    target = _target(neo4j_target)
    routed_uri = target.uri.replace("bolt://", "neo4j://")
    direct = Neo4jStore(uri=target.uri, auth=target.auth, database=target.database)
    routed = Neo4jStore(uri=routed_uri, auth=target.auth, database=target.database)
    await direct.open()
    await routed.open()
    try:
        await direct.delete_everything()
        await routed.apply(batch_of([person("routed")]))
        assert "routed" in await direct.get(Person, ["routed"])
    finally:
        await direct.delete_everything()
        await direct.close()
        await routed.close()


async def test_an_unknown_database_is_named_in_the_error(
    neo4j_target: Neo4jTarget | None,
) -> None:
    target = _target(neo4j_target)
    store = Neo4jStore(uri=target.uri, auth=target.auth, database="no-such-database")
    with pytest.raises((ConfigurationError, StoreUnavailable), match="no-such-database"):
        await store.open()
    await store.close()


async def test_a_server_that_is_not_there_is_unavailable_not_a_crash() -> None:
    store = Neo4jStore(uri="bolt://127.0.0.1:9", auth=None, database="neo4j")
    with pytest.raises(StoreUnavailable):
        await store.open()
    await store.close()

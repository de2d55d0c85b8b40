"""A Neo4j server for the fault tests alone, which a test may stop, kill and start again.

Never the shared server the other tests use, and never the one ``NEO4J_URI`` names: a fault
test takes its database away. One is started per module and handed to each test running and
empty. When it cannot start, the tests are skipped with the reason, except under ``CI=true``,
where that is a failure.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from graph.adapters.neo4j.store import Neo4jStore
from tests.support.neo4j import Neo4jInstance, Neo4jUnavailable, separate_neo4j


@pytest.fixture(scope="module")
def faults_neo4j() -> Iterator[Neo4jInstance]:
    """A started Neo4j server for this module's tests, removed afterwards."""
    with contextlib.ExitStack() as stack:
        try:
            instance = stack.enter_context(separate_neo4j())
        except Neo4jUnavailable as error:
            if os.environ.get("CI") == "true":
                raise
            pytest.skip(f"no separate Neo4j server: {error.reason}")
        yield instance


@pytest.fixture
async def own_neo4j(faults_neo4j: Neo4jInstance) -> Neo4jInstance:
    """The module's server, running (a failed test may have left it stopped) and empty."""
    if not faults_neo4j.is_running():
        faults_neo4j.start()
    target = faults_neo4j.target
    store = Neo4jStore(uri=target.uri, auth=target.auth, database=target.database)
    await store.open()
    try:
        await store.delete_everything()
    finally:
        await store.close()
    return faults_neo4j

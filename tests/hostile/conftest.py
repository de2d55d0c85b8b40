"""The service with the small demo loaded, for tests that throw bad input at it.

``hostile`` runs it on each backend in turn, like ``tests/api``'s ``api`` fixture; ``service``
on the embedded store alone (the fake, for everything decided before a store is asked, and for
the long fuzz runs); ``neo4j_service`` on Neo4j alone, for the shorter targeted fuzz runs there.
All hold the spring-2024 group alone (so the whole store can be digested around every example)
and allow more requests than any fuzz run makes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.http.app import create_app
from api.settings import Settings
from graph.ports import GraphStore
from graph.samples.demo import load_core_demo
from tests.api.conftest import Api, settings_for
from tests.conftest import open_store
from tests.support.neo4j import Neo4jTarget

UNLIMITED = 10_000_000


async def _serve(settings: Settings) -> AsyncIterator[Api]:
    app = create_app(settings, on_open=load_core_demo)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client:
            yield Api(client=client, settings=settings, app=app)


@pytest.fixture
async def hostile(
    store: GraphStore, tmp_path: Path, neo4j_target: Neo4jTarget | None
) -> AsyncIterator[Api]:
    """The service on the same backend as ``store``, holding the small demo."""
    backend = store.backend
    await store.close()  # the service opens its own store on the same data
    settings = settings_for(backend, tmp_path, neo4j_target, rate_limit_per_minute=UNLIMITED)
    async for api in _serve(settings):
        yield api


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Api]:
    """The service on the embedded store, holding the small demo."""
    settings = settings_for("embedded", tmp_path, None, rate_limit_per_minute=UNLIMITED)
    async for api in _serve(settings):
        yield api


@pytest.fixture
async def neo4j_service(tmp_path: Path, neo4j_target: Neo4jTarget | None) -> AsyncIterator[Api]:
    """The service on Neo4j, holding the small demo (skipped without Neo4j, except in CI)."""
    emptied = await open_store("neo4j", tmp_path, neo4j_target)
    await emptied.close()
    settings = settings_for("neo4j", tmp_path, neo4j_target, rate_limit_per_minute=UNLIMITED)
    async for api in _serve(settings):
        yield api

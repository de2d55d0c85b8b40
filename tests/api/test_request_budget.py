"""No request stalls the others: heavy work runs off the event loop, within a time budget."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import graph.adapters.embedded.store as embedded_store
from api.http.app import create_app
from graph.domain.paths import top_paths
from graph.samples.demo import load_core_demo
from tests.api.conftest import Api, settings_for

HEAVY_PATHS = """
query { introductionPaths(from: "amir", to: "carl", maxHops: 4, first: 20) { hops } }
"""
LOOKUP = '{ person(id: "amir") { key } }'
COMPOSE = """
query { composeCohorts(applicants: [{person: "amir"}, {person: "carl"}, {person: "dina"},
                                    {person: "emil"}], cohortSize: 2) { objective } }
"""


@asynccontextmanager
async def serving(tmp_path: Path, **settings: Any) -> AsyncIterator[Api]:
    """The service on the embedded store with the demo loaded and ``settings`` overridden."""
    configured = settings_for("embedded", tmp_path, None, **settings)
    app = create_app(configured, on_open=load_core_demo)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client:
            yield Api(client=client, settings=configured, app=app)


async def test_a_search_past_its_budget_answers_budget_exceeded_saying_what_to_narrow(
    tmp_path: Path,
) -> None:
    # A microsecond has passed before the search starts: its first look at the deadline stops it.
    async with serving(tmp_path, request_budget_seconds=1e-6) as api:
        body = await api.query(HEAVY_PATHS)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BUDGET_EXCEEDED"
    assert error["extensions"]["budgetSeconds"] == 1e-6
    assert "maxHops" in error["message"]
    assert body["data"] is None


async def test_composing_cohorts_past_its_own_budget_is_refused_with_the_same_code(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path, compose_budget_seconds=1e-6) as api:
        body = await api.query(COMPOSE)
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BUDGET_EXCEEDED"
        assert "applicants" in error["message"]
        # The request budget is not the compose budget: paths are still answered.
        assert (await api.data(HEAVY_PATHS))["introductionPaths"]


async def test_a_lookup_is_answered_while_a_path_search_is_still_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, released, ended = threading.Event(), threading.Event(), threading.Event()

    def held_search(*args: Any, **kwargs: Any) -> Any:
        """The real search, once the test lets it go; it stands for one that runs long."""
        started.set()
        released.wait(timeout=10)
        try:
            return top_paths(*args, **kwargs)
        finally:
            ended.set()

    monkeypatch.setattr(embedded_store, "top_paths", held_search)
    async with serving(tmp_path, request_budget_seconds=600) as api:
        heavy = asyncio.create_task(api.query(HEAVY_PATHS))
        assert await asyncio.to_thread(started.wait, 10)
        # Had the search held the event loop, nothing would be answered until it ended.
        assert (await api.data(LOOKUP))["person"] == {"key": "amir"}
        assert not ended.is_set()
        released.set()
        body = await heavy
    assert "errors" not in body
    assert body["data"]["introductionPaths"]

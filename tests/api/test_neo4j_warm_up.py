"""A service on Neo4j sends the queries of its heaviest reads when its store opens, so a
freshly started server plans them before the first request waits for that (planning one took
the server 1 to 2 s, past a request's budget under load)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import neo4j
import pytest

from api.http.app import create_app
from graph.adapters.neo4j.store import _PLANNING_PEOPLE, Neo4jStore
from graph.domain.batch import WriteBatch
from graph.domain.model import Person
from graph.samples.demo import load_core_demo
from tests.api.conftest import Api, settings_for
from tests.conftest import open_store
from tests.factories import interaction, person, side_conversation
from tests.support.neo4j import Neo4jTarget

RETENTION = """
query { groupRetention(group: "spring-2024", at: "2024-10-01T10:00:00Z", horizons: [30, 90]) {
  aggregated shareAfter
  pairs { a { key } b { key } lastContact strengthNow }
  members { person { key } groupMatesInContact }
} }
"""

Run = Callable[..., Awaitable[Any]]


def _recording(run: Run, sent: list[str]) -> Run:
    async def record(self: object, query: object, *args: Any, **kwargs: Any) -> Any:
        sent.append(query.text if isinstance(query, neo4j.Query) else str(query))
        return await run(self, query, *args, **kwargs)

    return record


async def test_a_served_neo4j_store_sends_every_query_of_group_retention_when_it_opens(
    neo4j_target: Neo4jTarget | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await (await open_store("neo4j", tmp_path, neo4j_target)).close()  # empty, or skipped
    sent: list[str] = []
    monkeypatch.setattr(neo4j.AsyncSession, "run", _recording(neo4j.AsyncSession.run, sent))
    monkeypatch.setattr(
        neo4j.AsyncManagedTransaction,
        "run",
        _recording(neo4j.AsyncManagedTransaction.run, sent),
    )
    at_open: list[str] = []
    real_open = Neo4jStore.open

    async def open_and_note(self: Neo4jStore) -> None:
        await real_open(self)
        at_open.extend(sent)

    monkeypatch.setattr(Neo4jStore, "open", open_and_note)
    settings = settings_for("neo4j", tmp_path, neo4j_target, neo4j_plan_searches_at_start=True)
    app = create_app(settings, on_open=load_core_demo)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client:
            api = Api(client=client, settings=settings, app=app)
            sent.clear()
            retention = (await api.data(RETENTION, api.admin))["groupRetention"]
    asked = set(sent)
    assert retention["pairs"]  # the reads found the group's data
    assert len(asked) >= 4
    assert asked <= set(at_open), sorted(asked - set(at_open))


async def test_a_served_neo4j_store_plans_a_recorded_contact_at_open_and_keeps_nothing_of_it(
    neo4j_target: Neo4jTarget | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = await open_store("neo4j", tmp_path, neo4j_target)  # emptied, or skipped
    await empty.apply(WriteBatch(people=[person("ann"), person("bo")]))
    before = await empty.counts()
    await empty.close()
    assert neo4j_target is not None
    sent: list[str] = []
    for kind in (neo4j.AsyncManagedTransaction, neo4j.AsyncTransaction, neo4j.AsyncSession):
        monkeypatch.setattr(kind, "run", _recording(kind.run, sent))
    store = neo4j_target.store(plan_searches_at_open=True)
    await store.open()
    try:
        at_open = set(sent)
        assert await store.counts() == before  # the planning writes were rolled back
        assert await store.get(Person, _PLANNING_PEOPLE) == {}
        sent.clear()
        contact = interaction("ann-bo", "ann", "bo", day=3)
        await store.apply(WriteBatch(interactions=[contact]))
        side = side_conversation("ann-bo-side", "ann", "bo", day=4)
        await store.apply(WriteBatch(side_conversations=[side]))
        written = set(sent)
        assert len(written) >= 4
        assert written <= at_open, sorted(written - at_open)
    finally:
        await store.close()

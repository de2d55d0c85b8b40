"""Nested queries cost a bounded number of store calls, however many people they show."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from api.http.app import create_app
from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.model import Person
from graph.ports import GraphStore, batch_of
from graph.samples.demo import load_core_demo
from graph.usecases.viewer import Role
from tests.api.conftest import bearer, settings_for
from tests.factories import group, meeting, membership, person
from tests.support.counting import CountingStore

NESTED = """
  query($first: Int!) {
    people(first: $first) { edges { node { key memberships { nodes {
      group { name meetings { nodes { key startsAt } } } } } } } }
  }
"""


async def _seed(store: GraphStore, people: int) -> None:
    records: list[Any] = []
    for g in range(10):
        records += [group(f"g{g}", leader_id=None), meeting(f"m{g}a", f"g{g}", day=g)]
        records.append(meeting(f"m{g}b", f"g{g}", day=g + 7))
    for i in range(people):
        records += [person(f"p{i:03d}"), membership(f"g{i % 10}", f"p{i:03d}")]
        records.append(membership(f"g{(i + 3) % 10}", f"p{i:03d}"))
    await store.apply(batch_of(records))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MEMBER])
async def test_fifty_people_with_groups_and_meetings_cost_as_few_calls_as_five(
    tmp_path: Path, role: Role
) -> None:
    settings = settings_for("embedded", tmp_path, None)
    counting = CountingStore(EmbeddedStore(tmp_path / "store"))
    store = cast(GraphStore, counting)
    app = create_app(settings, store=store, on_open=lambda s: _seed(s, 50))
    headers = bearer(settings, "p000", role)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            counting.calls.clear()
            small = await client.post(
                "/graphql", json={"query": NESTED, "variables": {"first": 5}}, headers=headers
            )
            calls_for_five = sum(counting.calls.values())
            counting.calls.clear()
            large = await client.post(
                "/graphql", json={"query": NESTED, "variables": {"first": 50}}, headers=headers
            )
            calls_for_fifty = sum(counting.calls.values())
    assert "errors" not in large.json(), large.json()
    people = large.json()["data"]["people"]["edges"]
    assert len(people) == 50
    shown = [len(p["node"]["memberships"]["nodes"]) for p in people]
    # An admin sees every membership; a member only those in groups they belong to.
    assert all(n == 2 for n in shown) if role is Role.ADMIN else 0 < sum(n > 0 for n in shown) < 50
    assert "errors" not in small.json()
    assert calls_for_fifty == calls_for_five
    assert calls_for_fifty <= 10, counting.calls


async def test_a_meetings_attendance_and_breakouts_are_read_in_one_batch(tmp_path: Path) -> None:
    settings = settings_for("embedded", tmp_path, None)
    counting = CountingStore(EmbeddedStore(tmp_path / "store"))
    app = create_app(settings, store=cast(GraphStore, counting), on_open=lambda s: _seed(s, 5))
    query = '{ meeting(id: "m0a") { attendance { totalCount } breakouts { totalCount } } }'
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            counting.calls.clear()
            response = await client.post(
                "/graphql", json={"query": query}, headers=bearer(settings, None, Role.ADMIN)
            )
    assert "errors" not in response.json(), response.json()
    assert counting.calls["attendance"] == 1, counting.calls
    assert counting.calls["breakouts_of"] == 1, counting.calls


class _PersonReads(CountingStore):
    """Counts, beside each call, how many times each person is read by ``get``."""

    def __init__(self, inner: GraphStore) -> None:
        super().__init__(inner)
        self.people_read: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = super().__getattr__(name)
        if name != "get":
            return method

        async def get(kind: type[object], ids: Any) -> Any:
            ids = list(ids)
            if kind is Person:
                self.people_read.update(ids)
            return await method(kind, ids)

        return get


async def test_an_introduction_paths_request_reads_each_person_on_a_path_once(
    tmp_path: Path,
) -> None:
    settings = settings_for("embedded", tmp_path, None)
    counting = _PersonReads(EmbeddedStore(tmp_path / "store"))
    app = create_app(settings, store=cast(GraphStore, counting), on_open=load_core_demo)
    query = """{ introductionPaths(from: "amir", to: "lena", maxHops: 3, first: 5) {
      people { key name } via { key } links { from { key } to { key } } } }"""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            counting.people_read.clear()
            response = await client.post(
                "/graphql", json={"query": query}, headers=bearer(settings, "amir", Role.MEMBER)
            )
    body = response.json()
    assert "errors" not in body, body
    paths = body["data"]["introductionPaths"]
    on_paths = {p["key"] for path in paths for p in path["people"]}
    assert len(on_paths) > 2, paths  # someone between the two ends
    assert counting.people_read, "no person was read"
    assert max(counting.people_read[p] for p in on_paths) == 1, counting.people_read

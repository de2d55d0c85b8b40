"""An unavailable store is answered 503 with Retry-After and a plain message, never a 500.

The store here is the embedded one behind a switch that makes every call fail the way the
Neo4j adapter fails when its server is gone (``StoreUnavailable`` naming the server). The
real outage, with a real Neo4j stopped under load, is in ``test_neo4j_outage.py``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from api.http.app import create_app
from api.settings import Settings, StoreKind
from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.errors import StoreUnavailable
from graph.ports import GraphStore
from tests.faults.load import RECORD, UPSERT_PEOPLE, batch_input, check_unavailable

HIDDEN = "bolt://10.9.8.7:7687"
"""Where the pretend server was: the adapter's message names it; callers must not see it."""


class SwitchedStore:
    """A real store that, while :attr:`failure` is set, raises it from every call instead."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.failure: Exception | None = None

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name in {"open", "close"} or not inspect.iscoroutinefunction(attribute):
            return attribute

        async def switched(*args: Any, **kwargs: Any) -> Any:
            if self.failure is not None:
                raise self.failure
            return await attribute(*args, **kwargs)

        return switched


@dataclass
class Service:
    http: httpx.AsyncClient
    store: SwitchedStore

    def go_down(self) -> None:
        self.store.failure = StoreUnavailable(
            f"Neo4j at {HIDDEN} cannot be reached: Couldn't connect to 10.9.8.7:7687"
            " (reason [Errno 111] Connection refused)"
        )

    def come_back(self) -> None:
        self.store.failure = None

    async def record(self, batch: int) -> httpx.Response:
        rows = batch_input(0, batch, 3)
        return await self.http.post(
            "/graphql", json={"query": RECORD, "variables": {"input": rows}}
        )


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    """The app over a switched embedded store, without authentication, with the load's people."""
    store = SwitchedStore(EmbeddedStore(tmp_path / "store"))
    settings = Settings(store=StoreKind.EMBEDDED, data_dir=tmp_path / "store", no_auth=True)
    app = create_app(settings, store=cast(GraphStore, store))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as http:
            people = [{"key": f"fault-p{n:02d}", "name": f"P {n}"} for n in range(12)]
            seeded = await http.post(
                "/graphql", json={"query": UPSERT_PEOPLE, "variables": {"input": people}}
            )
            assert seeded.status_code == 200, seeded.text
            yield Service(http, store)


async def test_a_write_while_the_store_is_unavailable_is_answered_503_with_retry_after(
    service: Service,
) -> None:
    service.go_down()
    response = await service.record(batch=1)
    assert response.status_code == 503
    assert check_unavailable(response) == 2
    body = response.json()
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "STORE_UNAVAILABLE"
    assert error["extensions"]["retryAfter"] == 2
    assert error["message"].startswith("the store is unavailable right now; retry after 2 s")
    assert "10.9.8.7" not in response.text


async def test_a_read_while_the_store_is_unavailable_is_answered_503_too(
    service: Service,
) -> None:
    service.go_down()
    response = await service.http.post(
        "/graphql", json={"query": '{ person(id: "fault-p01") { name } }'}
    )
    assert response.status_code == 503
    assert check_unavailable(response) == 2


async def test_readiness_says_unavailable_with_retry_after_and_recovers(service: Service) -> None:
    service.go_down()
    down = await service.http.get("/readyz")
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "2"
    service.come_back()
    assert (await service.http.get("/readyz")).status_code == 200


async def test_a_write_refused_during_an_outage_is_stored_once_when_sent_again(
    service: Service,
) -> None:
    service.go_down()
    assert (await service.record(batch=2)).status_code == 503
    service.come_back()
    first = (await service.record(batch=2)).json()["data"]["recordInteractions"]
    again = (await service.record(batch=2)).json()["data"]["recordInteractions"]
    assert (first["created"], first["unchanged"]) == (3, 0)
    assert (again["created"], again["unchanged"]) == (0, 3)


async def test_other_failures_stay_masked_and_are_not_called_an_outage(service: Service) -> None:
    service.store.failure = RuntimeError(f"driver internals at {HIDDEN}")
    response = await service.record(batch=3)
    assert response.status_code == 200
    assert "Retry-After" not in response.headers
    error = response.json()["errors"][0]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL"
    assert "10.9.8.7" not in response.text

"""An HTTP client for the service on each backend, with the demo loaded and tokens per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from api.http.app import create_app
from api.http.auth import create_token
from api.settings import Settings, StoreKind
from graph.ports import GraphStore
from graph.samples.demo import load_core_demo
from graph.usecases.viewer import Role
from tests.support.neo4j import Neo4jTarget

SECRET = "test-secret-that-is-long-enough-for-hs256"


def settings_for(
    backend: str, tmp_path: Path, target: Neo4jTarget | None, **overrides: Any
) -> Settings:
    """Settings for a service on ``backend`` with a JWT secret for the tests' tokens."""
    common: dict[str, Any] = {"jwt_secret": SecretStr(SECRET), **overrides}
    # A service per test: the path searches' warm-up at start-up is left to the tests that
    # ask for it (``neo4j_plan_searches_at_start=True``).
    common.setdefault("neo4j_plan_searches_at_start", False)
    if backend == "embedded":
        return Settings(store=StoreKind.EMBEDDED, data_dir=tmp_path / "store", **common)
    assert target is not None
    return Settings(
        store=StoreKind.NEO4J,
        neo4j_uri=target.uri,
        neo4j_user=target.auth[0] if target.auth else "neo4j",
        neo4j_password=SecretStr(target.auth[1]) if target.auth else None,
        neo4j_database=target.database,
        **common,
    )


def bearer(settings: Settings, person: str | None, *roles: Role) -> dict[str, str]:
    """Authorization headers for a token of ``person`` with ``roles``."""
    token = create_token(
        settings=settings, person_id=person, roles=roles or (Role.MEMBER,), ttl=timedelta(hours=1)
    )
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    """A client for the service, and ways to speak as different people."""

    client: httpx.AsyncClient
    settings: Settings
    app: FastAPI

    def as_(self, person: str | None, *roles: Role) -> dict[str, str]:
        """Headers for a request made by ``person`` with ``roles`` (member by default)."""
        return bearer(self.settings, person, *roles)

    @property
    def admin(self) -> dict[str, str]:
        """Headers for an admin."""
        return bearer(self.settings, None, Role.ADMIN)

    async def query(
        self, query: str, headers: dict[str, str] | None = None, **variables: Any
    ) -> dict[str, Any]:
        """Run a GraphQL operation and return the whole response body (data and errors)."""
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=headers if headers is not None else self.admin,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, headers: dict[str, str] | None = None, **variables: Any
    ) -> dict[str, Any]:
        """Run a GraphQL operation that must succeed and return its data."""
        body = await self.query(query, headers, **variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
async def api(
    store: GraphStore, tmp_path: Path, neo4j_target: Neo4jTarget | None
) -> AsyncIterator[Api]:
    """The service on the same backend as ``store``, with the demo network loaded."""
    backend = store.backend
    await store.close()  # the service opens its own store on the same data
    settings = settings_for(backend, tmp_path, neo4j_target)
    app = create_app(settings, on_open=load_core_demo)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client:
            yield Api(client=client, settings=settings, app=app)

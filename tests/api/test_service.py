"""The service over HTTP: health, readiness and a first GraphQL query, on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.schema import schema
from graph.demo import load_demo
from graph.ports import GraphStore
from graph.settings import Settings, StoreKind
from tests.support.neo4j import Neo4jTarget

ROOT = Path(__file__).resolve().parents[2]


def test_schema_graphql_is_generated_from_the_code() -> None:
    checked_in = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert checked_in == schema.as_str() + "\n", (
        "schema.graphql drifted: run `tiegraph schema > schema.graphql`"
    )


def _settings_for(store: GraphStore, tmp_path: Path, target: Neo4jTarget | None) -> Settings:
    if store.backend == "embedded":
        return Settings(store=StoreKind.EMBEDDED, data_dir=tmp_path / "store")
    assert target is not None
    return Settings(
        store=StoreKind.NEO4J,
        neo4j_uri=target.uri,
        neo4j_user=target.auth[0] if target.auth else "neo4j",
        neo4j_password=target.auth[1] if target.auth else None,
        neo4j_database=target.database,
    )


@pytest.fixture
async def client(
    store: GraphStore, tmp_path: Path, neo4j_target: Neo4jTarget | None
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for a service on the same backend as ``store``, with the demo loaded."""
    await store.close()  # the service opens its own store on the same data
    app: FastAPI = create_app(_settings_for(store, tmp_path, neo4j_target), on_open=load_demo)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as c:
            yield c


async def _query(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def test_the_service_is_alive_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_a_person_is_found_by_key_with_their_ties(client: httpx.AsyncClient) -> None:
    data = await _query(
        client,
        "query($key: String!) { person(key: $key) { name industry ties { count other { key } } } }",
        key="amir",
    )
    person = data["person"]
    assert person["name"] == "Amir Haddad"
    others = [t["other"]["key"] for t in person["ties"]]
    assert others == sorted(others)
    assert "carl" in others
    carl = next(t for t in person["ties"] if t["other"]["key"] == "carl")
    assert carl["count"] > 6


async def test_people_are_searched_and_paged_with_cursors(client: httpx.AsyncClient) -> None:
    query = """
      query($after: String) {
        people(filter: {profession: "marketing"}, first: 2, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { key } }
        }
      }
    """
    first = (await _query(client, query))["people"]
    assert first["totalCount"] == 4
    assert [e["node"]["key"] for e in first["edges"]] == ["britt", "dina"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await _query(client, query, after=first["pageInfo"]["endCursor"]))["people"]
    assert [e["node"]["key"] for e in rest["edges"]] == ["fatima", "hanna"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_an_unknown_person_is_null_not_an_error(client: httpx.AsyncClient) -> None:
    data = await _query(client, '{ person(key: "nobody") { name } }')
    assert data["person"] is None

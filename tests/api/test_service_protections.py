"""The service refuses what it must (deep, costly, huge, too frequent) and flags no-auth."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.http.app import NO_AUTH_HEADER, create_app
from graph.samples.demo import load_core_demo
from tests.api.conftest import Api, bearer, settings_for

DEEP = (
    '{ person(id: "amir") { memberships { nodes { group { members { nodes { person {'
    " memberships { nodes { group { members { nodes { person { key } } } } } } } } } } } } } }"
)


async def test_a_too_deep_query_is_refused_before_it_runs(api: Api) -> None:
    body = await api.query(DEEP)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    assert body.get("data") is None


async def test_a_too_costly_query_is_refused_with_its_cost(api: Api) -> None:
    costly = (
        "{ people(first: 1000) { edges { node { memberships(first: 1000) {"
        " nodes { group { meetings(first: 1000) { nodes { key } } } } } } } } }"
    )
    body = await api.query(costly)
    error = body["errors"][0]
    assert "exceeds the limit" in error["message"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_path_searches_written_under_many_aliases_are_refused_for_their_work(
    api: Api,
) -> None:
    search = 'introductionPaths(from: "amir", to: "hanna", maxHops: 4, first: 20) { hops }'
    alone = await api.query("{ " + search + " }")
    assert "QUERY_TOO_COSTLY" not in str(alone)
    three = await api.query("{ " + " ".join(f"p{i}: {search}" for i in range(3)) + " }")
    assert three.get("data") is None
    assert three["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_a_huge_body_is_refused_with_413(api: Api) -> None:
    filler = "x" * (api.settings.max_body_bytes + 10)
    response = await api.client.post(
        "/graphql",
        json={"query": "{ viewer { key } }", "variables": {"x": filler}},
        headers=api.admin,
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_metrics_count_operations_by_name(api: Api) -> None:
    await api.data('query PersonPage { person(id: "amir") { key } }')
    metrics = await api.client.get("/metrics", headers=api.admin)
    assert metrics.status_code == 200
    assert 'tiegraph_graphql_operations_total{operation="PersonPage",outcome="ok"} 1.0' in (
        metrics.text
    )
    assert (await api.client.get("/metrics")).status_code == 401


async def test_every_response_carries_a_request_id(api: Api) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": "{ viewer { key } }"},
        headers={**api.admin, "X-Request-ID": "abc123"},
    )
    assert response.headers["X-Request-ID"] == "abc123"


@pytest.fixture
async def strict_client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """A service on the embedded store that allows three requests a minute per credential."""
    settings = settings_for("embedded", tmp_path, None, rate_limit_per_minute=3)
    app = create_app(settings, on_open=load_core_demo)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client:
            yield client, settings


async def test_each_credential_is_rate_limited_on_its_own(
    strict_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, settings = strict_client
    amir, britt = bearer(settings, "amir"), bearer(settings, "britt")
    query = {"query": "{ viewer { key } }"}
    statuses = [
        (await client.post("/graphql", json=query, headers=amir)).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    refused = await client.post("/graphql", json=query, headers=amir)
    assert float(refused.headers["Retry-After"]) > 0
    assert (await client.post("/graphql", json=query, headers=britt)).status_code == 200


async def test_a_flooding_credential_is_refused_at_the_pace_of_the_hold_while_others_are_served(
    tmp_path: Path,
) -> None:
    settings = settings_for(
        "embedded", tmp_path, None, rate_limit_per_minute=3, refusal_hold_seconds=0.25
    )
    app = create_app(settings, on_open=load_core_demo)
    amir, britt = bearer(settings, "amir"), bearer(settings, "britt")
    query = {"query": "{ viewer { key } }"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client:
            for _ in range(3):
                assert (await client.post("/graphql", json=query, headers=amir)).status_code == 200

            async def flood() -> list[int]:
                statuses: list[int] = []
                began = time.monotonic()
                while time.monotonic() - began < 1.0:
                    sent = await client.post("/graphql", json=query, headers=amir)
                    statuses.append(sent.status_code)
                return statuses

            async def served_meanwhile() -> list[float]:
                waits: list[float] = []
                for _ in range(3):  # britt's whole allowance
                    began = time.monotonic()
                    sent = await client.post("/graphql", json=query, headers=britt)
                    assert sent.status_code == 200
                    waits.append(time.monotonic() - began)
                    await asyncio.sleep(0.2)
                return waits

            refused, waits = await asyncio.gather(flood(), served_meanwhile())
    # Held a quarter of a second each, a second of flooding is four or five refusals, not
    # the hundreds an unheld refusal allows; and the other caller never waits on the hold.
    assert set(refused) == {429}
    assert 3 <= len(refused) <= 5
    assert max(waits) < 0.2


async def test_serving_without_auth_says_so_in_every_response(tmp_path: Path) -> None:
    settings = settings_for("embedded", tmp_path, None, no_auth=True)
    app = create_app(settings, on_open=load_core_demo)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client:
            response = await client.post("/graphql", json={"query": "{ statistics { kind } }"})
    assert response.status_code == 200
    assert "errors" not in response.json()
    assert "admin" in response.headers[NO_AUTH_HEADER]


async def test_failed_authentication_is_rate_limited_per_client_address(tmp_path: Path) -> None:
    settings = settings_for("embedded", tmp_path, None, auth_failures_per_minute=3)
    app = create_app(settings, on_open=load_core_demo)
    query = {"query": "{ viewer { key } }"}
    wrong = {"Authorization": "Bearer not-a-key-or-a-token"}
    async with app.router.lifespan_context(app):
        guesser = httpx.ASGITransport(app=app, client=("192.0.2.7", 4711))
        neighbour = httpx.ASGITransport(app=app, client=("192.0.2.8", 4711))
        async with (
            httpx.AsyncClient(transport=guesser, base_url="http://tiegraph") as client,
            httpx.AsyncClient(transport=neighbour, base_url="http://tiegraph") as other,
        ):
            statuses = [
                (await client.post("/graphql", json=query, headers=wrong)).status_code
                for _ in range(4)
            ]
            # Once out of tries, even a valid credential is not looked at until it waits.
            refused = await client.post("/graphql", json=query, headers=bearer(settings, "amir"))
            elsewhere = await other.post("/graphql", json=query, headers=bearer(settings, "amir"))
            health = await client.get("/healthz")
    assert statuses == [401, 401, 401, 429]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert elsewhere.status_code == 200
    assert health.status_code == 200


async def test_successful_authentication_takes_nothing_from_the_allowance_for_failures(
    tmp_path: Path,
) -> None:
    settings = settings_for("embedded", tmp_path, None, auth_failures_per_minute=1)
    app = create_app(settings, on_open=load_core_demo)
    query = {"query": "{ viewer { key } }"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client:
            good = [
                (
                    await client.post("/graphql", json=query, headers=bearer(settings, "amir"))
                ).status_code
                for _ in range(5)
            ]
    assert good == [200] * 5


async def test_each_of_several_workers_enforces_its_share_of_the_rate_limit(
    tmp_path: Path,
) -> None:
    # With the limit in each process's memory, two workers allowing 6 a minute each would let
    # one credential make 12: each allows 3, so all of them together never more than 6.
    settings = settings_for("embedded", tmp_path, None, rate_limit_per_minute=6, workers=2)
    app = create_app(settings, on_open=load_core_demo)
    query = {"query": "{ viewer { key } }"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client:
            amir = bearer(settings, "amir")
            statuses = [
                (await client.post("/graphql", json=query, headers=amir)).status_code
                for _ in range(4)
            ]
    assert statuses == [200, 200, 200, 429]

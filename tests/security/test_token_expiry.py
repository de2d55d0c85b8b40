"""A bearer token works for its lifetime and not a moment longer, through the running service.

``tests/api/test_auth.py`` checks the authenticator alone (an expired token, the cache with an
injected clock). Here a token minted by ``tiegraph token create`` goes through the whole HTTP
stack on the real clock: served while valid, refused once its ``exp`` has passed, even though
the service verified it (and cached the result) a moment before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
import typer
from typer.testing import CliRunner

from api.http.app import create_app
from api.http.auth import create_token
from graph.samples.demo import load_core_demo
from graph.usecases.viewer import Role
from tests.api.conftest import SECRET, Api, settings_for

VIEWER = {"query": "{ viewer { key } }"}


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Api]:
    """The service on the embedded store (authentication does not depend on the store)."""
    settings = settings_for("embedded", tmp_path, None)
    app = create_app(settings, on_open=load_core_demo)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client:
            yield Api(client=client, settings=settings, app=app)


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    """The ``tiegraph`` command line with its sub-commands registered, as ``main`` runs it."""
    from api import cli

    if not any(group.name == "token" for group in cli.app.registered_groups):
        cli._register()
    return cli.app


def mint(cli: typer.Typer, *arguments: str) -> str:
    result = CliRunner().invoke(
        cli, ["token", "create", *arguments], env={"TIEGRAPH_JWT_SECRET": SECRET}
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def expiry(token: str) -> int:
    """The ``exp`` claim, read without checking anything (the service does that)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return int(claims["exp"])


async def test_a_token_minted_for_two_seconds_is_served_then_refused_once_expired(
    service: Api, cli: typer.Typer
) -> None:
    token = mint(cli, "--person", "amir", "--role", "member", "--ttl", "2s")
    headers = {"Authorization": f"Bearer {token}"}

    while_valid = [await service.client.post("/graphql", json=VIEWER, headers=headers)]
    while_valid.append(await service.client.post("/graphql", json=VIEWER, headers=headers))
    await asyncio.sleep(max(0.0, expiry(token) - time.time()) + 0.05)
    expired = await service.client.post("/graphql", json=VIEWER, headers=headers)

    assert [r.json() for r in while_valid] == [{"data": {"viewer": {"key": "amir"}}}] * 2
    assert expired.status_code == 401
    assert expired.json()["errors"][0]["message"] == "token has expired"
    assert expired.headers["WWW-Authenticate"] == 'Bearer realm="tiegraph"'
    assert token not in expired.text


async def test_a_token_that_expired_long_ago_is_refused(service: Api) -> None:
    token = create_token(
        settings=service.settings,
        person_id="amir",
        roles=[Role.ADMIN],
        ttl=timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(days=30),
    )

    response = await service.client.post(
        "/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "token has expired"


async def test_a_token_issued_in_the_future_is_refused_until_then(service: Api) -> None:
    token = create_token(
        settings=service.settings,
        person_id="amir",
        roles=[Role.ADMIN],
        ttl=timedelta(hours=2),
        now=datetime.now(UTC) + timedelta(hours=1),
    )

    response = await service.client.post(
        "/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "token is not valid yet"

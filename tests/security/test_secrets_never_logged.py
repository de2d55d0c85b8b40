"""Tokens, keys and passwords never reach a log line, even at DEBUG, on either backend.

The service runs under uvicorn as ``tiegraph serve`` runs it (its JSON logging from
``api.http.observability.configure_logging``, uvicorn's own access log off), but with every logger
at DEBUG, the database driver's included. It is then used the way real callers use it and
misuse it: good and bad tokens, an API key until it is rate limited, a body too large, a query
that fails inside, a write that is refused, a token minted with the command line. Every record
logged and everything written to stdout or stderr is searched for each secret.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import traceback
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import typer
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from typer.testing import CliRunner

from api.http.app import create_app
from api.http.auth import create_token
from api.http.observability import JsonFormatter, configure_logging
from api.settings import Settings
from graph.ports import GraphStore
from graph.samples.demo import load_core_demo
from graph.usecases.viewer import Role
from tests.api.conftest import SECRET, settings_for
from tests.support.neo4j import Neo4jTarget

API_KEY = "importer-key-0b8c4d1e9f2a7c3b5d6e"
OTHER_SECRET = "an-attackers-guess-at-the-secret-0123456789"
MADE_UP_NEO4J_PASSWORD = "neo4j-password-7a1f3c9e5b2d"


CALLER_LOGGERS = frozenset({"httpx", "httpcore"})
"""The test's own HTTP client, which logs the URLs it asks for: the caller's log, not ours."""


class Capture(logging.Handler):
    """Every record, written out the ways a handler could: JSON, plain text, and its fields."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.json = JsonFormatter()
        self.plain = logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in CALLER_LOGGERS:
            return
        self.lines.append(self.json.format(record))
        self.lines.append(self.plain.format(record))
        self.lines.append(repr(vars(record)))
        if record.exc_info and record.exc_info[1] is not None:
            self.lines.append("".join(traceback.format_exception(record.exc_info[1])))


UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture
def captured() -> Iterator[Capture]:
    """A handler for every record; the logging set-up it joins is put back afterwards."""
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    uvicorn_saved = [
        (logger, list(logger.handlers), logger.propagate, logger.disabled, logger.level)
        for logger in map(logging.getLogger, UVICORN_LOGGERS)
    ]
    try:
        yield Capture()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for logger, handlers, propagate, disabled, level in uvicorn_saved:
            logger.handlers = handlers
            logger.propagate, logger.disabled = propagate, disabled
            logger.setLevel(level)


@dataclass
class Served:
    """A service listening on a real socket, and what it was configured with."""

    url: str
    settings: Settings
    app: FastAPI
    neo4j_password: str


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
async def served(
    store: GraphStore, tmp_path: Path, neo4j_target: Neo4jTarget | None, captured: Capture
) -> AsyncIterator[Served]:
    """The service under uvicorn, configured as ``tiegraph serve`` configures it."""
    backend = store.backend
    await store.close()
    password = (
        neo4j_target.auth[1]
        if neo4j_target is not None and neo4j_target.auth
        else MADE_UP_NEO4J_PASSWORD
    )
    settings = settings_for(
        backend,
        tmp_path,
        neo4j_target,
        api_keys=SecretStr(f"importer:{API_KEY}:admin"),
        rate_limit_per_minute=4,
        max_body_bytes=10_000,
    ).model_copy(update={"neo4j_password": SecretStr(password)})
    app = create_app(settings, on_open=load_core_demo)
    # As `tiegraph serve` passes them, but at DEBUG: uvicorn's access log, which would write
    # query strings, stays off; the service writes its own.
    config = uvicorn.Config(app, log_level="debug", access_log=False, lifespan="on")
    # Then the app's logging, as the factory `serve` names does once uvicorn has set up its own.
    configure_logging("DEBUG")
    logging.getLogger().addHandler(captured)
    server = uvicorn.Server(config)
    sock = free_socket()
    host, port = sock.getsockname()
    running = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        assert not running.done(), "the server stopped while starting"
        await asyncio.sleep(0.02)
    try:
        yield Served(f"http://{host}:{port}", settings, app, password)
    finally:
        server.should_exit = True
        await running
        sock.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def use_and_misuse(served: Served) -> tuple[list[str], list[httpx.Response]]:
    """Call the service every way that matters here; return the secrets used and the replies."""
    settings = served.settings
    member = create_token(
        settings=settings, person_id="amir", roles=[Role.MEMBER], ttl=timedelta(hours=1)
    )
    admin = create_token(settings=settings, person_id=None, roles=[Role.ADMIN], ttl=timedelta(1))
    expired = create_token(
        settings=settings,
        person_id="amir",
        roles=[Role.MEMBER],
        ttl=timedelta(minutes=1),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    forged = create_token(
        settings=settings.model_copy(update={"jwt_secret": SecretStr(OTHER_SECRET)}),
        person_id="amir",
        roles=[Role.ADMIN],
        ttl=timedelta(hours=1),
    )
    replies: list[httpx.Response] = []
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:

        async def post(headers: dict[str, str], query: str, **extra: object) -> None:
            body = {"query": query, **extra}
            replies.append(await client.post("/graphql", json=body, headers=headers))

        await post(bearer(member), "query Me { viewer { key name } }")
        replies.append(
            await client.get(
                "/graphql",
                params={"query": "{ viewer { key } }", "access_token": member},
                headers=bearer(member),
            )
        )
        for token in (expired, forged, "not-a-token", API_KEY + "x"):
            await post(bearer(token), "{ viewer { key } }")
        await post({"Authorization": f"Basic {member}"}, "{ viewer { key } }")
        for _ in range(5):  # the fifth is over the rate limit
            await post(bearer(API_KEY), "{ statistics { kind count } }")
        await post(bearer(admin), "{ nope }")
        await post(
            bearer(admin),
            'mutation { upsertPerson(input: {key: "a b", name: ""}) { __typename } }',
        )
        await post(bearer(admin), "{ viewer { key } }", variables={"pad": "x" * 20_000})
        opened: GraphStore = served.app.state.store

        async def unavailable() -> dict[str, int]:
            raise RuntimeError("the disk is on fire")

        opened.counts = unavailable  # type: ignore[method-assign]
        await post(bearer(admin), "query Stats { statistics { kind } }")
        for path in ("/readyz", "/healthz", "/metrics"):
            replies.append(await client.get(path, headers=bearer(admin)))
    return [member, admin, expired, forged], replies


def mint_with_the_command_line() -> str:
    from api import cli

    if not any(group.name == "token" for group in cli.app.registered_groups):
        cli._register()
    app: typer.Typer = cli.app
    result = CliRunner().invoke(
        app,
        ["token", "create", "--person", "amir", "--role", "leader", "--ttl", "5m"],
        env={"TIEGRAPH_JWT_SECRET": SECRET},
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


async def test_no_secret_reaches_a_log_line_or_a_reply(
    served: Served, captured: Capture, capfd: pytest.CaptureFixture[str]
) -> None:
    tokens, replies = await use_and_misuse(served)
    tokens.append(mint_with_the_command_line())
    written = capfd.readouterr()

    secrets = {
        "the JWT secret": SECRET,
        "the Neo4j password": served.neo4j_password,
        "the API key": API_KEY,
        **{f"token {n}": token for n, token in enumerate(tokens)},
        # A signature alone would let no one in, but a log has no business holding one.
        **{f"signature of token {n}": token.rsplit(".", 1)[1] for n, token in enumerate(tokens)},
    }
    logged = "\n".join(captured.lines)
    everything = {
        "log records": logged,
        "stdout and stderr": written.out + written.err,
        "replies": "\n".join(r.text + repr(dict(r.headers)) for r in replies),
    }
    leaks = [
        f"{secret} in {where}"
        for secret, value in secrets.items()
        for where, text in everything.items()
        if value in text
    ]
    assert leaks == []
    # The search looked at the right things: the lines are there, tracebacks and all.
    statuses = sorted({r.status_code for r in replies})
    assert statuses == [200, 401, 413, 429]
    assert '"logger": "tiegraph.access"' in logged
    assert '"status": 401' in logged
    assert "the disk is on fire" in logged
    assert "Traceback (most recent call last)" in logged

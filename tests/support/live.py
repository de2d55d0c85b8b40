"""A real tiegraph server in a child process, and a small graphql-transport-ws client for it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from api.settings import Settings

PROTOCOL = "graphql-transport-ws"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _environment(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIEGRAPH_", "NEO4J_"))}
    env["TIEGRAPH_STORE"] = settings.store.value
    env["TIEGRAPH_DATA_DIR"] = str(settings.data_dir)
    assert settings.jwt_secret is not None
    env["TIEGRAPH_JWT_SECRET"] = settings.jwt_secret.get_secret_value()
    if settings.neo4j_uri:
        env["NEO4J_URI"] = settings.neo4j_uri
        env["NEO4J_USER"] = settings.neo4j_user
        if settings.neo4j_password is not None:
            env["NEO4J_PASSWORD"] = settings.neo4j_password.get_secret_value()
        env["NEO4J_DATABASE"] = settings.neo4j_database
    env.update(extra)
    return env


@dataclass
class Server:
    """A ``tiegraph serve`` process and where it listens."""

    process: subprocess.Popen[bytes]
    url: str

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"


@contextlib.contextmanager
def serve(settings: Settings, *, workers: int = 1, **extra: str) -> Iterator[Server]:
    """Run ``tiegraph serve`` on a free port until the block ends; wait until it is ready."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from api.cli import main; main()",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(
        command,
        env=_environment(settings, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    "tiegraph serve ended: "
                    + (process.stderr.read() if process.stderr else b"").decode(errors="replace")[
                        -2000:
                    ]
                )
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("tiegraph serve did not get ready within 60 s")
            time.sleep(0.2)
        yield Server(process, url)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


@dataclass
class Subscriber:
    """One graphql-transport-ws connection: subscribe, then read what comes."""

    socket: ClientConnection
    ids: int = 0
    pending: list[dict[str, Any]] = field(default_factory=list)

    async def subscribe(self, query: str, **variables: Any) -> str:
        """Start a subscription; return its id."""
        self.ids += 1
        sid = str(self.ids)
        payload = {"query": query, "variables": variables}
        await self.socket.send(json.dumps({"id": sid, "type": "subscribe", "payload": payload}))
        return sid

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The next message other than a ping (answered) or pong."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.socket.recv()
                # A browser's WebSocket hands binary frames over as Blobs, which the protocol's
                # clients do not parse: every message must be a text frame.
                assert isinstance(frame, str), f"a binary frame: {frame!r}"
                message: dict[str, Any] = json.loads(frame)
                if message["type"] == "ping":
                    await self.socket.send(json.dumps({"type": "pong"}))
                    continue
                if message["type"] != "pong":
                    return message

    async def nothing_within(self, seconds: float) -> bool:
        """Whether no message came within ``seconds``."""
        try:
            message = await self.next(seconds)
        except TimeoutError:
            return True
        self.pending.append(message)
        return False


@contextlib.asynccontextmanager
async def subscriber(
    ws_url: str, payload: dict[str, Any] | None, *, protocols: tuple[str, ...] = (PROTOCOL,)
) -> AsyncIterator[Subscriber]:
    """Open a connection and send ``connection_init`` with ``payload``; do not wait for the ack."""
    async with connect(ws_url, subprotocols=list(protocols)) as socket:  # type: ignore[arg-type]
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        await socket.send(json.dumps(init))
        yield Subscriber(socket)

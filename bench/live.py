"""How long a write takes to reach its subscribers: latency from the mutation's answer to the event.

Run ``python -m bench.live --backend embedded|neo4j|both --events 200 --subscribers 4
[--workers 2] [--out FILE]``.

For each backend: the demo's spring-2024 group is loaded into a store (embedded: a temporary
directory; Neo4j: the server at ``NEO4J_URI``, which must be empty unless ``--wipe``, or a
throwaway one started as :mod:`bench.ingest` does), then ``tiegraph serve`` runs as a process
of its own (one worker on the embedded store, which serves one process; ``--workers`` on
Neo4j). ``--subscribers`` websocket connections (graphql-transport-ws) each subscribe to
Amir's ``introductionUpdates``; on Neo4j the operating system spreads them, and the writes,
over the workers, so most events cross from one process to another through the change log.
Then, ``--events`` times, one introduction is written with ``upsertIntroduction`` over HTTP
and the bench waits until every subscriber has its event. The latency of one event at one
subscriber is from the moment the mutation's answer arrived to the moment the event arrived
(negative if the event came first); the time from sending the mutation is shown too.

It depends on ``TIEGRAPH_LIVE_POLL_SECONDS`` (each worker reads the change log this often
while anyone subscribes; 0.1 s by default): expect about half of it at the median.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

import httpx
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import ClientConnection, connect

from api.http.auth import create_token
from api.settings import Settings
from bench._kit import free_port, machine, percentile
from bench.api import HOST, _child_env, _Servers, _tiegraph_command, _wait_ready
from bench.ingest import _neo4j
from graph.samples.demo import load_core_demo
from graph.usecases.viewer import Role

__all__ = ["LiveResult", "main"]

BACKENDS: Final = ("embedded", "neo4j")
SUBSCRIPTION: Final = "subscription { introductionUpdates { key status } }"
WRITE: Final = "mutation($i: IntroductionInput!) { upsertIntroduction(input: $i) { __typename } }"


@dataclass(slots=True)
class LiveResult:
    """The figures of one backend."""

    backend: str
    workers: int
    subscribers: int
    events: int
    poll_s: float
    after_ack_p50_ms: float
    after_ack_p99_ms: float
    after_ack_max_ms: float
    after_send_p50_ms: float
    after_send_p99_ms: float
    write_p50_ms: float


@dataclass(slots=True)
class _Served:
    url: str
    store_args: list[str]
    env: dict[str, str]


@contextlib.asynccontextmanager
async def _store(
    backend: str, args: argparse.Namespace, console: Console
) -> AsyncIterator[tuple[list[str], dict[str, str]]]:
    """Load the demo group into a store; yield how ``tiegraph serve`` finds it."""
    if backend == "embedded":
        from graph.adapters.embedded.store import EmbeddedStore

        scratch = Path(tempfile.mkdtemp(prefix="tiegraph-bench-live-"))
        try:
            store = EmbeddedStore(scratch / "store")
            await store.open()
            try:
                await load_core_demo(store)
            finally:
                await store.close()  # the server takes the store's lock
            yield ["--store", "embedded", "--data-dir", str(scratch / "store")], {}
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return
    from graph.adapters.neo4j import server

    async with _neo4j(args, console) as opened:
        await load_core_demo(opened.store)
        if opened.data_dir is None:  # the server at NEO4J_URI
            uri = str(getattr(opened.store, "_uri"))  # noqa: B009 - where it was opened
            yield ["--store", "neo4j", "--neo4j-uri", uri], {}
            return
        running = server.status(opened.data_dir.parent)
        if running is None:
            raise RuntimeError("the throwaway Neo4j server is not running")
        yield ["--store", "neo4j", "--neo4j-uri", running.uri], {}


async def _receive(socket: ClientConnection, arrived: dict[str, float]) -> None:
    """Note when each introduction's event arrives."""
    async for raw in socket:
        message = json.loads(raw)
        if message["type"] == "next":
            key = message["payload"]["data"]["introductionUpdates"]["key"]
            arrived[key] = time.perf_counter()
        elif message["type"] == "ping":
            await socket.send(json.dumps({"type": "pong"}))


async def _measure(
    backend: str, args: argparse.Namespace, console: Console, servers: _Servers
) -> LiveResult:
    workers = 1 if backend == "embedded" else args.workers
    secret = secrets.token_urlsafe(48)
    settings = Settings(jwt_secret=SecretStr(secret))
    token = {
        who: create_token(settings=settings, person_id=person, roles=roles, ttl=timedelta(hours=2))
        for who, person, roles in (
            ("amir", "amir", (Role.MEMBER,)),
            ("admin", None, (Role.ADMIN,)),
        )
    }
    async with _store(backend, args, console) as (store_args, store_env):
        command, _ = _tiegraph_command()
        port = free_port()
        log_path = Path(tempfile.gettempdir()) / f"tiegraph-bench-live-{backend}.log"
        served = servers.start(
            "tiegraph",
            [
                *command,
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                str(workers),
                *store_args,
            ],
            _child_env(
                {
                    "TIEGRAPH_JWT_SECRET": secret,
                    "TIEGRAPH_RATE_LIMIT_PER_MINUTE": "10000000",
                    **({"TIEGRAPH_LIVE_POLL_SECONDS": str(args.poll)} if args.poll else {}),
                    **store_env,
                }
            ),
            port,
            log_path,
        )
        await _wait_ready(served)
        ws_url = served.base_url.replace("http://", "ws://") + "/graphql"
        arrivals: list[dict[str, float]] = [{} for _ in range(args.subscribers)]
        async with contextlib.AsyncExitStack() as stack:
            readers = []
            for arrived in arrivals:
                socket = await stack.enter_async_context(
                    connect(ws_url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
                )
                init = {"Authorization": f"Bearer {token['amir']}"}
                await socket.send(json.dumps({"type": "connection_init", "payload": init}))
                assert json.loads(await socket.recv())["type"] == "connection_ack"
                payload = {"query": SUBSCRIPTION}
                await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
                readers.append(asyncio.create_task(_receive(socket, arrived)))
            await asyncio.sleep(1.0)  # every worker's feed is tailing the log
            after_ack: list[float] = []
            after_send: list[float] = []
            writes: list[float] = []
            rng = random.Random(7)
            headers = {"Authorization": f"Bearer {token['admin']}"}
            run = secrets.token_hex(4)
            async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as client:
                for n in range(args.events):
                    key = f"bench-live-{run}-{n}"
                    variables = {
                        "i": {
                            "key": key,
                            "requester": "amir",
                            "introducer": "carl",
                            "target": "hanna",
                            "requestedAt": "2026-12-01T10:00:00Z",
                        }
                    }
                    sent = time.perf_counter()
                    response = await client.post(
                        "/graphql", json={"query": WRITE, "variables": variables}, headers=headers
                    )
                    acked = time.perf_counter()
                    body = response.json()
                    if "errors" in body:
                        raise RuntimeError(f"the write failed: {body['errors']}")
                    writes.append(acked - sent)
                    deadline = acked + 10
                    while not all(key in a for a in arrivals):
                        if time.perf_counter() > deadline:
                            raise RuntimeError(f"an event for {key} did not arrive in 10 s")
                        await asyncio.sleep(0.001)
                    for arrived in arrivals:
                        after_ack.append(arrived[key] - acked)
                        after_send.append(arrived[key] - sent)
                    await asyncio.sleep(rng.uniform(0.0, 0.05))  # not in step with the polls
            for reader in readers:
                reader.cancel()
        served.stop()
    poll = args.poll or 0.1
    ms = 1000.0
    return LiveResult(
        backend=backend,
        workers=workers,
        subscribers=args.subscribers,
        events=args.events,
        poll_s=poll,
        after_ack_p50_ms=percentile(sorted(after_ack), 0.5) * ms,
        after_ack_p99_ms=percentile(sorted(after_ack), 0.99) * ms,
        after_ack_max_ms=max(after_ack) * ms,
        after_send_p50_ms=percentile(sorted(after_send), 0.5) * ms,
        after_send_p99_ms=percentile(sorted(after_send), 0.99) * ms,
        write_p50_ms=percentile(sorted(writes), 0.5) * ms,
    )


def _table(results: list[LiveResult]) -> Table:
    table = Table(title="Write to subscription event (ms)")
    for column in (
        "backend",
        "workers",
        "subscribers",
        "events",
        "poll s",
        "p50 after answer",
        "p99 after answer",
        "max",
        "p50 after send",
        "p99 after send",
        "write p50",
    ):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            r.backend,
            str(r.workers),
            str(r.subscribers),
            str(r.events),
            f"{r.poll_s:g}",
            f"{r.after_ack_p50_ms:.1f}",
            f"{r.after_ack_p99_ms:.1f}",
            f"{r.after_ack_max_ms:.1f}",
            f"{r.after_send_p50_ms:.1f}",
            f"{r.after_send_p99_ms:.1f}",
            f"{r.write_p50_ms:.1f}",
        )
    return table


async def _run(args: argparse.Namespace, console: Console) -> list[LiveResult]:
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    results = []
    with _Servers() as servers:
        for backend in backends:
            console.log(f"measuring {backend}")
            results.append(await _measure(backend, args, console, servers))
    return results


def main(argv: list[str] | None = None) -> None:
    """Measure and print the latency from a write to its subscription event."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--events", type=int, default=200, help="writes to measure")
    parser.add_argument("--subscribers", type=int, default=4, help="websocket connections")
    parser.add_argument("--workers", type=int, default=2, help="API workers on Neo4j")
    parser.add_argument("--poll", type=float, help="TIEGRAPH_LIVE_POLL_SECONDS for the server")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--wipe", action="store_true", help="empty the Neo4j at NEO4J_URI")
    parser.add_argument("--keep", action="store_true", help="keep a throwaway Neo4j's files")
    parser.add_argument("--neo4j-heap", default="1g", help="heap of a Neo4j started here")
    parser.add_argument("--neo4j-pagecache", default="512m", help="page cache of that Neo4j")
    args = parser.parse_args(argv)
    console = Console(width=150)
    results = asyncio.run(_run(args, console))
    console.print(_table(results))
    console.print(f"machine: {machine()}")
    if args.out is not None:
        args.out.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")


if __name__ == "__main__":
    main()

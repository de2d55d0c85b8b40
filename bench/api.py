"""How fast the real HTTP service answers: throughput, latency and server CPU per request.

Run ``python -m bench.api --people 100000 --backend embedded|neo4j|both --duration 20
--concurrency 8 [--out FILE]``.

For each backend, in one run:

1. The synthetic network of ``--people`` people (:mod:`graph.samples.synth`) is loaded into the
   store once, in batches, straight through the port. Embedded: a store in a temporary directory, or
   in ``--data-dir`` (kept; with ``--reuse`` a store already loaded with the same network is
   used as it is). Neo4j: the server at ``NEO4J_URI`` (``NEO4J_USER``, ``NEO4J_PASSWORD``;
   it must be empty unless ``--wipe``, or hold this network with ``--reuse``), else a
   throwaway server started as :mod:`bench.ingest` does and stopped at the end.
2. The real service runs as a process of its own: ``tiegraph serve`` with one worker on
   127.0.0.1 and a free port, a fresh JWT secret and a rate limit high enough never to refuse
   the bench. A plain FastAPI app (:func:`baseline_app`, below) runs beside it, also under
   uvicorn with one worker: one JSON endpoint answering the same request with the same payload
   as the single-person lookup, from a dict built once -- no store, no GraphQL, no auth.
3. A load generator in this process (httpx, HTTP/1.1 keep-alive, one connection per client)
   runs each scenario with ``--concurrency`` clients, each sending its next request as soon as
   the last one is answered, for ``--duration`` seconds after ``--warmup`` seconds that are not
   counted. Scenarios: the baseline; (a) a single-person lookup; (b) a person with their
   groups; (c) ``recordInteractions`` with ``--interactions`` new interactions between random
   people per request. (a) and the baseline also run with one client, because a closed loop of
   N clients waits about N / throughput per request (Little's law): unloaded latency is what a
   latency target speaks of. A request is an error when the status is not 200, the body has
   GraphQL ``errors``, or the answer is not the expected one (no person, a refused write).
4. Server CPU per request is the server process's user + system time (all its threads, from
   ``/proc/<pid>/stat``) over the counted requests of a scenario. Client and server share the
   machine's cores, so throughput is a floor for what a server alone could do, while CPU per
   request is the server's own.

Targets: on the embedded store a single-person lookup answers in 5 ms or less at the median
(one client) and at 500 requests per second or more (``--concurrency`` clients); on either
store it costs the server at most twice the CPU of the plain FastAPI endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx
import orjson
from fastapi import FastAPI
from pydantic import BaseModel, SecretStr
from rich.console import Console
from rich.table import Table

from bench._kit import (
    cpu_seconds,
    free_port,
    machine,
    mib,
    own_cpu_seconds,
    percentile,
    rss_of,
    spinner,
    tree_size,
    unwind_on_sigterm,
    verdict,
)
from bench.ingest import _load, _neo4j
from graph.ports import GraphStore
from graph.samples.synth import SyntheticNetwork, generate_network, network_batches

__all__ = ["ScenarioResult", "baseline_app", "main"]

BACKENDS: Final = ("embedded", "neo4j")
HOST: Final = "127.0.0.1"
PROJECT_ROOT: Final = Path(__file__).resolve().parents[1]

TARGET_P50_MS: Final = 5.0
"""Median latency of a single-person lookup with one client, embedded store."""
TARGET_RPS: Final = 500.0
"""Single-person lookups per second with ``--concurrency`` clients, embedded store."""
TARGET_CPU_RATIO: Final = 2.0
"""Server CPU per single-person lookup over that of the plain FastAPI endpoint."""

RATE_LIMIT_PER_MINUTE: Final = 10_000_000
READY_TIMEOUT_S: Final = 600.0
STOP_TIMEOUT_S: Final = 30.0
MAX_REQUESTS_PER_CLIENT: Final = 10_000_000
"""Bounds each client's loop; the duration ends it long before."""
LOG_TAIL_LINES: Final = 30
BASELINE_PAYLOAD_ENV: Final = "TIEGRAPH_BENCH_BASELINE_PAYLOAD"
SHARED_CORES_NOTE: Final = (
    "The load generator (this process) and the server share the machine's CPUs: req/s is "
    "what the server reached while competing with its clients; CPU ms/request is the server "
    "process's own user+system time over the counted requests."
)

PERSON_LOOKUP: Final = (
    "query PersonLookup($id: ID!) { person(id: $id) { key name title profession industry "
    "location } }"
)
PERSON_WITH_GROUPS: Final = (
    "query PersonWithGroups($id: ID!) { person(id: $id) { key name memberships { nodes { role "
    "group { key name theme startsOn endsOn } } } } }"
)
RECORD_INTERACTIONS: Final = (
    "mutation RecordInteractions($input: [InteractionInput!]!) { recordInteractions(input: "
    "$input) { __typename ... on WritePayload { created unchanged } ... on InvalidInput { "
    "message } ... on NotFound { message } ... on Forbidden { message } ... on Conflict { "
    "message } } }"
)


# -- the baseline: a plain FastAPI endpoint ---------------------------------------------------


class LookupRequest(BaseModel):
    """The GraphQL request body, so the baseline receives exactly the bytes tiegraph does."""

    query: str
    variables: dict[str, str]
    operationName: str | None = None


def baseline_app() -> FastAPI:
    """A plain FastAPI app: POST /person answers with a fixed payload (uvicorn ``--factory``).

    The payload is the JSON in ``TIEGRAPH_BENCH_BASELINE_PAYLOAD``: what tiegraph answers to the
    single-person lookup, built once from the stored person. The body is parsed and validated
    and the answer serialized as any FastAPI endpoint does; nothing else happens.
    """
    payload: dict[str, Any] = json.loads(os.environ[BASELINE_PAYLOAD_ENV])
    app = FastAPI(title="baseline", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/person")
    async def person(request: LookupRequest) -> dict[str, Any]:
        """Answer with the fixed payload."""
        return payload

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        """Answer once the app is up."""
        return {"status": "ready"}

    return app


# -- results ----------------------------------------------------------------------------------


@dataclass(slots=True)
class ScenarioResult:
    """One scenario against one server: counts, latency, CPU."""

    name: str
    server: str
    clients: int
    requests: int
    errors: int
    elapsed_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    server_cpu_s: float
    client_cpu_s: float
    items_per_request: int = 0
    store_cpu_s: float | None = None
    """CPU of a Neo4j server started here, over the same window."""
    first_error: str | None = None

    @property
    def rps(self) -> float:
        """Requests answered per second."""
        return self.requests / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        """Server CPU milliseconds per request."""
        return 1000 * self.server_cpu_s / self.requests if self.requests else 0.0

    def to_json(self) -> dict[str, Any]:
        """The figures as plain values, derived ones included."""
        ok = self.requests - self.errors
        figures = asdict(self)
        figures.update(
            rps=self.rps,
            cpu_ms_per_request=self.cpu_ms_per_request,
            client_cpu_ms_per_request=(
                1000 * self.client_cpu_s / self.requests if self.requests else 0.0
            ),
            items_per_s=self.items_per_request * ok / self.elapsed_s if self.elapsed_s else 0.0,
            store_cpu_ms_per_request=(
                1000 * self.store_cpu_s / self.requests
                if self.store_cpu_s is not None and self.requests
                else None
            ),
        )
        return figures


@dataclass(slots=True)
class _Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None

    def error(self, reason: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = reason[:300]


# -- processes ----------------------------------------------------------------------------------


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass(slots=True)
class _Server:
    """A server process this bench started; ``stop`` is idempotent."""

    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT_S)


class _Servers:
    """Every server process started here, stopped on the way out whatever happens."""

    def __init__(self) -> None:
        self._servers: list[_Server] = []

    def __enter__(self) -> _Servers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def stop_all(self) -> None:
        for server in reversed(self._servers):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                server.stop()
        self._servers.clear()

    def start(
        self, name: str, command: list[str], env: dict[str, str], port: int, log_path: Path
    ) -> _Server:
        """Start ``command`` in a session of its own (Ctrl-C is ours), logging to a file."""
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=PROJECT_ROOT,
                env=env,
                start_new_session=True,
            )
        server = _Server(name, process, f"http://{HOST}:{port}", log_path)
        self._servers.append(server)
        return server


async def _wait_ready(server: _Server, timeout_s: float = READY_TIMEOUT_S) -> None:
    """Poll ``/readyz`` until it answers 200; fail with the log's tail if the process dies."""
    interval = 0.1
    async with httpx.AsyncClient(timeout=5.0) as client:
        for _ in range(int(timeout_s / interval)):
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"{server.name} exited with code {server.process.returncode}:\n"
                    + _tail(server.log_path)
                )
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{server.base_url}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(interval)
    raise RuntimeError(
        f"{server.name} not ready after {timeout_s:.0f} s:\n{_tail(server.log_path)}"
    )


def start_tiegraph(
    servers: _Servers, *, store_args: list[str], env: dict[str, str], log_path: Path
) -> _Server:
    """Start ``tiegraph serve`` (one worker, this bench's rate limit) on a free port, with
    ``store_args`` choosing the store and ``env`` adding settings; the way every bench serves.
    """
    command, _ = _tiegraph_command()
    port = free_port()
    return servers.start(
        "tiegraph",
        [*command, "serve", "--host", HOST, "--port", str(port), "--workers", "1", *store_args],
        _child_env({"TIEGRAPH_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT_PER_MINUTE), **env}),
        port,
        log_path,
    )


def _tiegraph_command() -> tuple[list[str], str]:
    """The ``tiegraph`` entry point of this environment, or the same ``main`` run by python."""
    script = Path(sys.executable).parent / "tiegraph"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)], str(script)
    code = "import sys; from api.cli import main; sys.argv[0] = 'tiegraph'; main()"
    return [sys.executable, "-c", code], f"{sys.executable} -c 'from api.cli import main; main()'"


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without any tiegraph or Neo4j settings, plus ``extra``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TIEGRAPH_", "NEO4J_"))
    }
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(PROJECT_ROOT) + (os.pathsep + path if path else "")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


# -- loading the store ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Loaded:
    store_description: str
    store_args: list[str]
    store_env: dict[str, str]
    load_s: float | None
    """``None`` when an already loaded store was reused."""
    records: int
    neo4j_pid: int | None = None
    disk_bytes: int | None = None


async def _fill(
    store: GraphStore,
    network: SyntheticNetwork,
    args: argparse.Namespace,
    console: Console,
    backend: str,
) -> tuple[float | None, int]:
    """Load the network unless the store holds it already (``--reuse``); refuse other data."""
    counts = await store.counts()
    people = counts.get("person", 0)
    if any(counts.values()):
        if args.reuse and people == args.people:
            console.log(f"{backend}: reusing the stored network ({people:,} people)")
            return None, sum(counts.values())
        if not args.wipe:
            raise SystemExit(
                f"{backend}: the store holds {people:,} people and other data; pass --reuse "
                f"(it must hold exactly --people {args.people}) or --wipe"
            )
        await store.delete_everything()
    with spinner(console) as progress:
        phase = await _load(
            store,
            network_batches(network, args.batch_size),
            progress,
            f"{backend}: loading {network!r}",
        )
    console.log(
        f"{backend}: loaded {phase.records:,} records in {phase.wall_s:.1f} s "
        f"({phase.records / phase.wall_s:,.0f}/s)"
    )
    return phase.wall_s, phase.records


@contextlib.asynccontextmanager
async def _embedded_store(
    args: argparse.Namespace, network: SyntheticNetwork, scratch: Path, console: Console
) -> AsyncIterator[_Loaded]:
    """Load the embedded store and close it: the service opens it next, alone."""
    from graph.adapters.embedded.store import EmbeddedStore

    data_dir = Path(args.data_dir) if args.data_dir is not None else scratch / "store"
    store = EmbeddedStore(data_dir)
    await store.open()
    try:
        load_s, records = await _fill(store, network, args, console, "embedded")
    finally:
        await store.close()
    yield _Loaded(
        store_description=f"embedded (SQLite) in {data_dir}",
        store_args=["--store", "embedded", "--data-dir", str(data_dir)],
        store_env={},
        load_s=load_s,
        records=records,
        disk_bytes=tree_size(data_dir),
    )


@contextlib.asynccontextmanager
async def _neo4j_store(
    args: argparse.Namespace, network: SyntheticNetwork, console: Console
) -> AsyncIterator[_Loaded]:
    """Load Neo4j: the server at ``NEO4J_URI``, or a throwaway one kept up while measuring."""
    from graph.adapters.neo4j import server
    from graph.adapters.neo4j.store import Neo4jStore

    uri = os.environ.get("NEO4J_URI")
    if uri:
        user = os.environ.get("NEO4J_USER") or "neo4j"
        password = os.environ.get("NEO4J_PASSWORD")
        database = os.environ.get("NEO4J_DATABASE") or "neo4j"
        store = Neo4jStore(
            uri=uri, auth=None if password is None else (user, password), database=database
        )
        await store.open()
        try:
            load_s, records = await _fill(store, network, args, console, "neo4j")
        finally:
            await store.close()
        env = {"NEO4J_USER": user, "NEO4J_DATABASE": database}
        if password is not None:
            env["NEO4J_PASSWORD"] = password
        yield _Loaded(
            f"Neo4j at {uri}",
            ["--store", "neo4j", "--neo4j-uri", uri],
            env,
            load_s,
            records,
            neo4j_pid=getattr(args, "neo4j_pid", None),
        )
        return
    if args.reuse:
        raise SystemExit("--reuse with neo4j needs NEO4J_URI (a throwaway server starts empty)")
    # A throwaway server, started (and stopped at the end) as the ingest benchmark does.
    async with _neo4j(args, console) as opened:
        assert opened.data_dir is not None
        running = server.status(opened.data_dir.parent)
        if running is None:
            raise RuntimeError("the throwaway Neo4j server is not running")
        load_s, records = await _fill(opened.store, network, args, console, "neo4j")
        yield _Loaded(
            opened.description,
            ["--store", "neo4j", "--neo4j-uri", running.uri],
            {},
            load_s,
            records,
            neo4j_pid=opened.server_pid,
        )


# -- the load generator ---------------------------------------------------------------------------


BodyMaker = Callable[[int, int], bytes]
"""(client, sequence number) -> request body."""
Checker = Callable[[httpx.Response], str | None]
"""A response -> why it is an error, or ``None``."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """What one scenario sends, where, and how an answer is judged."""

    name: str
    path: str
    make_body: BodyMaker
    check: Checker
    items_per_request: int = 0


def _graphql_errors(response: httpx.Response) -> tuple[dict[str, Any] | None, str | None]:
    if response.status_code != 200:
        return None, f"HTTP {response.status_code}: {response.text[:200]}"
    try:
        document = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None, "the body is not JSON"
    if not isinstance(document, dict):
        return None, "the body is not a JSON object"
    if document.get("errors"):
        return None, f"GraphQL errors: {document['errors']!r}"
    data = document.get("data")
    return (data if isinstance(data, dict) else None), None


def _check_person(response: httpx.Response) -> str | None:
    data, problem = _graphql_errors(response)
    if problem is not None:
        return problem
    if data is None or not isinstance(data.get("person"), dict):
        return "no person in the answer"
    return None


def _check_write(response: httpx.Response) -> str | None:
    data, problem = _graphql_errors(response)
    if problem is not None:
        return problem
    result = (data or {}).get("recordInteractions")
    if not isinstance(result, dict) or result.get("__typename") != "WritePayload":
        return f"write refused: {result!r}"
    return None


def _lookup_bodies(query: str, name: str, keys: list[str], seed: int, n: int) -> list[bytes]:
    """``n`` request bodies for random people, encoded once so clients spend no time on it."""
    rng = random.Random(f"{seed}-{name}")
    return [
        orjson.dumps({"query": query, "operationName": name, "variables": {"id": rng.choice(keys)}})
        for _ in range(n)
    ]


def _cycling(bodies: list[bytes]) -> BodyMaker:
    def make(client: int, seq: int) -> bytes:
        return bodies[(client * 7919 + seq) % len(bodies)]

    return make


def _interaction_bodies(keys: list[str], per_request: int, seed: int, run_id: str) -> BodyMaker:
    """Each request: ``per_request`` interactions between random people, with new keys."""
    base = datetime(2024, 1, 1, tzinfo=UTC)
    rngs: dict[int, random.Random] = {}

    def make(client: int, seq: int) -> bytes:
        rng = rngs.setdefault(client, random.Random(f"{seed}-interactions-{client}"))
        items = []
        for i in range(per_request):
            first, second = rng.sample(keys, 2)
            at = base + timedelta(seconds=rng.randrange(365 * 86_400))
            items.append(
                {
                    "key": f"bench-{run_id}-{client}-{seq}-{i}",
                    "at": at.isoformat(),
                    "kind": "CALL" if rng.random() < 0.3 else "MESSAGE",
                    "participants": [first, second],
                    "initiator": first,
                    "durationSeconds": rng.randrange(60, 3600),
                }
            )
        return orjson.dumps(
            {
                "query": RECORD_INTERACTIONS,
                "operationName": "RecordInteractions",
                "variables": {"input": items},
            }
        )

    return make


async def _drive(
    client: httpx.AsyncClient,
    url: str,
    scenario: Scenario,
    clients: int,
    duration_s: float,
    tally: _Tally,
    seq_offset: int,
) -> float:
    """Run ``clients`` closed-loop clients for ``duration_s``; return the elapsed time."""
    deadline = time.perf_counter() + duration_s

    async def one(index: int) -> None:
        for seq in range(seq_offset, seq_offset + MAX_REQUESTS_PER_CLIENT):
            if time.perf_counter() >= deadline:
                return
            body = scenario.make_body(index, seq)
            started = time.perf_counter()
            try:
                response = await client.post(url, content=body)
                # The body is read by post(); judging it is part of what the client waits for.
                problem = scenario.check(response)
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}: {error}"
            tally.latencies.append(time.perf_counter() - started)
            if problem is not None:
                tally.error(problem)

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(clients)))
    return time.perf_counter() - began


async def run_scenario(
    server: _Server,
    scenario: Scenario,
    *,
    clients: int,
    token: str | None,
    duration_s: float,
    warmup_s: float,
    store_pid: int | None = None,
) -> ScenarioResult:
    """Warm up, then measure ``scenario`` against ``server`` with ``clients`` clients."""
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    url = server.base_url + scenario.path
    async with httpx.AsyncClient(
        headers=headers, limits=limits, timeout=httpx.Timeout(60.0), http1=True, http2=False
    ) as client:
        if warmup_s > 0:
            await _drive(client, url, scenario, clients, warmup_s, _Tally(), 0)
        tally = _Tally()
        server_before = cpu_seconds(server.pid)
        store_before = cpu_seconds(store_pid)
        client_before = own_cpu_seconds()
        elapsed = await _drive(
            client, url, scenario, clients, duration_s, tally, MAX_REQUESTS_PER_CLIENT
        )
        client_cpu = own_cpu_seconds() - client_before
        server_after = cpu_seconds(server.pid)
        store_after = cpu_seconds(store_pid)
    if server_before is None or server_after is None:
        raise RuntimeError(f"{server.name} is gone:\n{_tail(server.log_path)}")
    ordered = sorted(tally.latencies)
    return ScenarioResult(
        name=scenario.name,
        server=server.name,
        clients=clients,
        requests=len(ordered),
        errors=tally.errors,
        elapsed_s=elapsed,
        p50_ms=1000 * percentile(ordered, 0.50),
        p90_ms=1000 * percentile(ordered, 0.90),
        p99_ms=1000 * percentile(ordered, 0.99),
        max_ms=1000 * (ordered[-1] if ordered else 0.0),
        mean_ms=1000 * sum(ordered) / len(ordered) if ordered else 0.0,
        server_cpu_s=server_after - server_before,
        client_cpu_s=client_cpu,
        items_per_request=scenario.items_per_request,
        store_cpu_s=(
            store_after - store_before
            if store_before is not None and store_after is not None
            else None
        ),
        first_error=tally.first_error,
    )


# -- one backend ------------------------------------------------------------------------------


def _people(network: SyntheticNetwork) -> tuple[list[str], dict[str, Any]]:
    """Every person's key, and the lookup payload of the first person as tiegraph answers it."""
    keys: list[str] = []
    payload: dict[str, Any] = {}
    for person in network.people():
        if not keys:
            payload = {
                "data": {
                    "person": {
                        "key": person.id,
                        "name": person.name,
                        "title": person.title,
                        "profession": person.profession,
                        "industry": person.industry,
                        "location": person.location,
                    }
                }
            }
        keys.append(person.id)
    return keys, payload


def _admin_token(secret: str) -> str:
    from api.http.auth import create_token
    from api.settings import Settings
    from graph.usecases.viewer import Role

    settings = Settings(jwt_secret=SecretStr(secret))
    return create_token(
        settings=settings, person_id=None, roles=[Role.ADMIN], ttl=timedelta(hours=6)
    )


async def run_backend(
    args: argparse.Namespace, backend: str, scratch: Path, servers: _Servers, console: Console
) -> dict[str, Any]:
    """Load the store, start the service and the baseline, run every scenario; return figures."""
    network = generate_network(people=args.people, seed=args.seed)
    keys, payload = _people(network)
    opener = (
        _embedded_store(args, network, scratch, console)
        if backend == "embedded"
        else _neo4j_store(args, network, console)
    )
    async with opener as loaded:
        secret = secrets.token_urlsafe(48)
        _, entry = _tiegraph_command()
        tiegraph = start_tiegraph(
            servers,
            store_args=loaded.store_args,
            env={"TIEGRAPH_JWT_SECRET": secret, **loaded.store_env},
            log_path=scratch / f"tiegraph-{backend}.log",
        )
        base_port = free_port()
        baseline = servers.start(
            "baseline",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.api:baseline_app",
                "--factory",
                "--host",
                HOST,
                "--port",
                str(base_port),
                "--workers",
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            _child_env({BASELINE_PAYLOAD_ENV: json.dumps(payload)}),
            base_port,
            scratch / f"baseline-{backend}.log",
        )
        console.log(f"{backend}: starting `tiegraph serve` ({entry}) and the baseline app")
        started = time.perf_counter()
        await asyncio.gather(_wait_ready(tiegraph), _wait_ready(baseline))
        console.log(f"{backend}: both ready after {time.perf_counter() - started:.1f} s")
        token = _admin_token(secret)
        notes = await _check_payload(tiegraph, token, payload)
        for note in notes:
            console.log(f"[yellow]{backend}: {note}[/]")

        seed = args.seed
        lookup = Scenario(
            "a. person lookup",
            "/graphql",
            _cycling(_lookup_bodies(PERSON_LOOKUP, "PersonLookup", keys, seed, 8192)),
            _check_person,
        )
        base = Scenario("baseline (plain FastAPI)", "/person", lookup.make_body, _check_person)
        groups = Scenario(
            "b. person + groups",
            "/graphql",
            _cycling(_lookup_bodies(PERSON_WITH_GROUPS, "PersonWithGroups", keys, seed, 8192)),
            _check_person,
        )
        run_id = f"{int(time.time())}-{secrets.token_hex(3)}"
        writes = Scenario(
            f"c. recordInteractions ×{args.interactions}",
            "/graphql",
            _interaction_bodies(keys, args.interactions, seed, run_id),
            _check_write,
            items_per_request=args.interactions,
        )
        plan: list[tuple[_Server, Scenario, int]] = [
            (baseline, base, args.concurrency),
            (baseline, base, 1),
            (tiegraph, lookup, args.concurrency),
            (tiegraph, lookup, 1),
            (tiegraph, groups, args.concurrency),
            (tiegraph, writes, args.concurrency),
        ]
        results: list[ScenarioResult] = []
        for server, scenario, clients in plan:
            console.log(f"{backend}: {scenario.name}, {clients} client(s), {args.duration:g} s")
            result = await run_scenario(
                server,
                scenario,
                clients=clients,
                token=token if server is tiegraph else None,
                duration_s=args.duration,
                warmup_s=args.warmup,
                store_pid=loaded.neo4j_pid if server is tiegraph else None,
            )
            console.log(
                f"{backend}:   {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms, {result.errors} errors, "
                f"server CPU {result.cpu_ms_per_request:.2f} ms/req"
                + (f" -- first error: {result.first_error}" if result.first_error else "")
            )
            results.append(result)
        server_rss = rss_of(tiegraph.pid)
        baseline_rss = rss_of(baseline.pid)
        servers.stop_all()
    return _backend_json(
        backend, args, loaded, results, notes, server_rss[0], baseline_rss[0], entry
    )


async def _check_payload(server: _Server, token: str, payload: dict[str, Any]) -> list[str]:
    """Ask tiegraph for the baseline's person; a difference is a note (the bench goes on)."""
    person = payload["data"]["person"]
    body = {
        "query": PERSON_LOOKUP,
        "operationName": "PersonLookup",
        "variables": {"id": person["key"]},
    }
    async with httpx.AsyncClient(timeout=30.0) as client:
        response = await client.post(
            f"{server.base_url}/graphql", json=body, headers={"authorization": f"Bearer {token}"}
        )
    if response.status_code != 200:
        return [f"lookup of {person['key']} answered HTTP {response.status_code}"]
    if response.json() != payload:
        return ["tiegraph's answer differs from the baseline payload: " + response.text[:300]]
    return []


def _backend_json(
    backend: str,
    args: argparse.Namespace,
    loaded: _Loaded,
    results: list[ScenarioResult],
    notes: list[str],
    server_rss: int | None,
    baseline_rss: int | None,
    entry: str,
) -> dict[str, Any]:
    by_key = {(r.server, r.name, r.clients): r for r in results}
    lookup_n = by_key[("tiegraph", "a. person lookup", args.concurrency)]
    lookup_1 = by_key[("tiegraph", "a. person lookup", 1)]
    base_n = by_key[("baseline", "baseline (plain FastAPI)", args.concurrency)]
    ratio = (
        lookup_n.cpu_ms_per_request / base_n.cpu_ms_per_request
        if base_n.cpu_ms_per_request > 0
        else 0.0
    )
    targets: dict[str, Any] = {
        "cpu_ratio": {"target": TARGET_CPU_RATIO, "value": ratio, "met": ratio <= TARGET_CPU_RATIO}
    }
    if backend == "embedded":
        targets["lookup_p50_ms"] = {
            "target": TARGET_P50_MS,
            "value": lookup_1.p50_ms,
            "clients": 1,
            "met": lookup_1.p50_ms <= TARGET_P50_MS and lookup_1.errors == 0,
        }
        targets["lookup_p50_ms_loaded"] = {
            "target": TARGET_P50_MS,
            "value": lookup_n.p50_ms,
            "clients": args.concurrency,
            "met": lookup_n.p50_ms <= TARGET_P50_MS and lookup_n.errors == 0,
        }
        targets["lookup_rps"] = {
            "target": TARGET_RPS,
            "value": lookup_n.rps,
            "clients": args.concurrency,
            "met": lookup_n.rps >= TARGET_RPS and lookup_n.errors == 0,
        }
    return {
        "backend": backend,
        "people": args.people,
        "seed": args.seed,
        "store": loaded.store_description,
        "service": f"{entry} serve --workers 1 (uvicorn), JWT admin token",
        "load_s": loaded.load_s,
        "records": loaded.records,
        "disk_bytes": loaded.disk_bytes,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "concurrency": args.concurrency,
        "scenarios": [r.to_json() for r in results],
        "cpu_ratio": ratio,
        "targets": targets,
        "server_rss_bytes": server_rss,
        "baseline_rss_bytes": baseline_rss,
        "notes": notes,
    }


# -- reporting ----------------------------------------------------------------------------------


def render(results: list[dict[str, Any]], info: dict[str, Any], console: Console) -> None:
    """Print a table per backend, then its targets marked PASS or MISS."""
    console.print(
        f"Machine: {info.get('nproc')} CPUs ({info.get('cpu', '?')}), "
        f"{mib(info.get('memory_bytes'))} RAM, Python {info['python']}, {info['platform']}"
    )
    for result in results:
        if "error" in result:
            console.print(f"[bold red]{result['backend']}: {result['error']}[/]")
            continue
        load = (
            f"loaded in {result['load_s']:.0f} s"
            if result["load_s"] is not None
            else "reused an already loaded store"
        )
        table = Table(
            title=(
                f"tiegraph API, {result['backend']}: {result['people']:,} people "
                f"({result['records']:,} records, {load}); {result['duration_s']:g} s per "
                f"scenario after {result['warmup_s']:g} s warm-up"
            ),
            caption=f"{result['store']}; {result['service']}",
        )
        for name, justify in (
            ("scenario", "left"),
            ("clients", "right"),
            ("requests", "right"),
            ("req/s", "right"),
            ("p50 ms", "right"),
            ("p99 ms", "right"),
            ("errors", "right"),
            ("server CPU ms/req", "right"),
            ("client CPU ms/req", "right"),
            ("", "right"),
        ):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for s in result["scenarios"]:
            extra = f"{s['items_per_s']:,.0f} interactions/s" if s["items_per_request"] else ""
            if s["store_cpu_ms_per_request"] is not None:
                extra = f"Neo4j CPU {s['store_cpu_ms_per_request']:.2f} ms/req " + extra
            table.add_row(
                s["name"],
                str(s["clients"]),
                f"{s['requests']:,}",
                f"{s['rps']:,.0f}",
                f"{s['p50_ms']:.2f}",
                f"{s['p99_ms']:.2f}",
                f"{s['errors']:,}" if not s["errors"] else f"[red]{s['errors']:,}[/]",
                f"{s['cpu_ms_per_request']:.2f}",
                f"{s['client_cpu_ms_per_request']:.2f}",
                extra,
            )
        console.print(table)
        targets = result["targets"]
        lines = []
        if "lookup_p50_ms" in targets:
            t = targets["lookup_p50_ms"]
            lines.append(
                f"single-person lookup p50, 1 client: {t['value']:.2f} ms "
                f"{verdict(t['met'])} (≤ {t['target']:g} ms)"
            )
            t = targets["lookup_p50_ms_loaded"]
            lines.append(
                f"single-person lookup p50, {t['clients']} clients: {t['value']:.2f} ms "
                f"{verdict(t['met'])} (≤ {t['target']:g} ms; ≈ clients / throughput)"
            )
            t = targets["lookup_rps"]
            lines.append(
                f"single-person lookups/s, {t['clients']} clients: {t['value']:,.0f} "
                f"{verdict(t['met'])} (≥ {t['target']:,.0f})"
            )
        t = targets["cpu_ratio"]
        lines.append(
            f"server CPU per lookup / plain FastAPI endpoint: {t['value']:.1f}x "
            f"{verdict(t['met'])} (≤ {t['target']:g}x)"
        )
        for line in lines:
            console.print("  " + line)
        for note in result.get("notes", []):
            console.print(f"  [yellow]note:[/] {note}")
        console.print(
            f"  server RSS after: tiegraph {mib(result['server_rss_bytes'])}, "
            f"baseline {mib(result['baseline_rss_bytes'])}"
        )
    console.print(SHARED_CORES_NOTE)


# -- the command --------------------------------------------------------------------------------


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """Add the options every bench that loads a network into a store and serves it shares."""
    parser.add_argument("--batch-size", type=int, default=10_000, help="records per load apply")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument(
        "--data-dir", type=Path, help="embedded: keep the store here, not in a temp dir"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="use a store that already holds this network"
    )
    parser.add_argument("--wipe", action="store_true", help="empty a store that holds other data")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--neo4j-heap", default="2g", help="heap of a Neo4j started here")
    parser.add_argument(
        "--neo4j-pagecache", default="2g", help="page cache of a Neo4j started here"
    )
    parser.add_argument(
        "--neo4j-pid",
        type=int,
        help="process id of the server at NEO4J_URI, to measure its CPU and memory too",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--people", type=int, default=100_000, help="people in the network")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic network")
    parser.add_argument(
        "--backend", choices=(*BACKENDS, "both"), default="embedded", help="store(s) to measure"
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="uncounted seconds before each")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument(
        "--interactions", type=int, default=100, help="interactions per recordInteractions"
    )
    add_store_options(parser)
    return parser


def _event_loop_runner() -> asyncio.Runner:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


RunBackend = Callable[
    [argparse.Namespace, str, Path, "_Servers", Console], Coroutine[Any, Any, dict[str, Any]]
]
"""One backend's part of a bench run: its arguments, backend, scratch directory, servers."""


def _run_one(
    args: argparse.Namespace, backend: str, console: Console, run: RunBackend, prefix: str
) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix=f"{prefix}-{backend}-"))
    try:
        with _Servers() as servers, _event_loop_runner() as runner:
            return runner.run(run(args, backend, scratch, servers, console))
    except Exception as error:  # reported with its traceback; the run fails
        console.print(traceback.format_exc(), markup=False, highlight=False)
        return {"backend": backend, "error": f"{type(error).__name__}: {error}"}
    finally:
        if args.keep:
            console.log(f"{backend}: kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def run_each_backend(
    args: argparse.Namespace, run: RunBackend, *, prefix: str, console: Console
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """Run ``run`` for each backend ``args.backend`` names, stopping servers and removing
    temporary files on SIGTERM or Ctrl-C (then ``None``); return the machine and results."""
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    try:
        with unwind_on_sigterm():
            info = machine()
            backends = BACKENDS if args.backend == "both" else (args.backend,)
            return info, [_run_one(args, backend, console, run, prefix) for backend in backends]
    except KeyboardInterrupt:
        console.print("interrupted: the servers were stopped and the temporary files removed")
        return None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0 when every backend ran (whether or not it met its targets)."""
    args = _parser().parse_args(argv)
    if args.people < 10 or args.duration <= 0 or args.warmup < 0 or args.concurrency < 1:
        raise SystemExit("--people ≥ 10, --duration > 0, --warmup ≥ 0 and --concurrency ≥ 1")
    if not 1 <= args.interactions <= 1_000:
        raise SystemExit("--interactions must be 1-1000")
    if args.reuse and args.backend != "neo4j" and args.data_dir is None:
        raise SystemExit("--reuse needs --data-dir (embedded) or NEO4J_URI (neo4j)")
    if args.data_dir is not None and args.backend == "both":
        raise SystemExit("--data-dir is for --backend embedded")
    console = Console(stderr=True)
    ran = run_each_backend(args, run_backend, prefix="tiegraph-bench-api", console=console)
    if ran is None:
        return 130
    info, results = ran
    if args.out is not None:
        payload = {"machine": info, "note": SHARED_CORES_NOTE, "results": results}
        args.out.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    out = Console()
    if not out.is_terminal:
        out = Console(width=150)
    render(results, info, out)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

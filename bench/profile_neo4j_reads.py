"""What each request of the mixed load asks of Neo4j: statements, round trips, db hits, time.

Run ``NEO4J_URI=bolt://... python -m bench.profile_neo4j_reads [--people 10000]
[--requests 20] [--operation NAME] [--no-writes]``.

The server at ``NEO4J_URI`` must hold the synthetic network of ``--people`` people that
:mod:`bench.load` loads (same seed; run the load once against it, or pass ``--load`` to load
it here). The service (:func:`api.http.app.create_app`, every middleware) is opened on it in
process, and each operation of the load's mix (:mod:`bench.mix`) is sent ``--requests`` times
with the variables and credentials the load would use. Every statement the driver runs is
recorded with its parameters, by operation; each is then run again with ``PROFILE`` (in a
transaction that is rolled back, so writes leave nothing behind) for its db hits and the
server's time (``result_available_after`` + ``result_consumed_after``).

Prints, per operation: Neo4j's CPU per request (with ``--neo4j-pid``, read from
``/proc/<pid>/stat`` around the operation's requests), the transactions per request (each one
a round trip at least) and each statement (by its constant's name in
:mod:`graph.adapters.neo4j.cypher` where there is one) with its runs per request, db hits per
run and server ms per run, and the operation's totals per request. Writes are replayed after
they ran, so their statements find their records in place: a statement that creates what it
created the first time is not run again, and the others' db hits are those of a write that
changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import os
import random
import secrets
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString

import neo4j
import orjson
from neo4j._async.work.session import AsyncSession
from neo4j._async.work.transaction import AsyncTransactionBase
from pydantic import SecretStr

from api.http.app import create_app
from api.settings import Settings, StoreKind
from bench._kit import asgi_post, cpu_seconds
from bench.load import Cast, pick_cast
from bench.mix import RECORD_INTERACTIONS, RECORD_SIDE_CONVERSATIONS
from bench.profile_load import Request, _headers
from bench.profile_load import _operations as read_operations
from graph.adapters.neo4j import cypher
from graph.adapters.neo4j.store import Neo4jStore
from graph.samples.synth import SyntheticNetwork, generate_network, network_batches
from graph.usecases.viewer import Role

__all__ = ["main"]

SECRET = secrets.token_urlsafe(48)

_operation: contextvars.ContextVar[str | None] = contextvars.ContextVar("operation", default=None)


@dataclass(slots=True)
class _Seen:
    """What the driver was asked during one operation's requests."""

    statements: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    transactions: int = 0


_seen: dict[str, _Seen] = defaultdict(_Seen)


def _text(query: Any) -> str:
    return query.text if isinstance(query, neo4j.Query) else str(query)


def _record_driver_calls() -> None:
    """Wrap the driver's ``run``, managed transactions and auto-commit queries to note what
    each operation sends (an auto-commit query counts as a transaction of its own)."""
    run = AsyncTransactionBase.run
    auto_commit = AsyncSession.run
    execute_read = AsyncSession.execute_read
    execute_write = AsyncSession.execute_write

    async def recorded_run(
        self: Any, query: Any, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        name = _operation.get()
        if name is not None:
            _seen[name].statements.append((_text(query), {**(parameters or {}), **kwargs}))
        return await run(self, query, parameters, **kwargs)

    async def recorded_auto_commit(
        self: Any, query: Any, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        name = _operation.get()
        if name is not None:
            _seen[name].statements.append((_text(query), {**(parameters or {}), **kwargs}))
            _seen[name].transactions += 1
        return await auto_commit(self, query, parameters, **kwargs)

    def counted(execute: Any) -> Any:
        async def wrapper(self: Any, work: Any, *args: Any, **kwargs: Any) -> Any:
            name = _operation.get()
            if name is not None:
                _seen[name].transactions += 1
            return await execute(self, work, *args, **kwargs)

        return wrapper

    AsyncTransactionBase.run = recorded_run  # type: ignore[method-assign]  # a bench probe
    AsyncSession.run = recorded_auto_commit  # type: ignore[method-assign]  # a bench probe
    AsyncSession.execute_read = counted(execute_read)  # type: ignore[method-assign]
    AsyncSession.execute_write = counted(execute_write)  # type: ignore[method-assign]


def _statement_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for name in dir(cypher):
        value = getattr(cypher, name)
        if name.isupper() and isinstance(value, str):
            names.setdefault(value, name)
    for hops in range(1, cypher.MAX_PATH_HOPS + 1):
        names[cypher.introduction_paths_query(hops)] = f"introduction_paths_query({hops})"
    return names


def _name_of(query: str, names: dict[str, str]) -> str:
    if query in names:
        return names[query]
    first = " ".join(query.split())[:60]
    return f"({first}...)"


def _db_hits(plan: Any) -> int:
    hits = int(plan.get("dbHits", 0) if isinstance(plan, dict) else getattr(plan, "db_hits", 0))
    children = plan.get("children", []) if isinstance(plan, dict) else plan.children
    return hits + sum(_db_hits(child) for child in children)


def _profiled(query: str) -> LiteralString:
    lines = query.lstrip().splitlines()
    if lines and lines[0].upper().startswith("CYPHER "):
        return "\n".join([lines[0], "PROFILE", *lines[1:]])
    return "PROFILE " + query


async def _profile(
    driver: neo4j.AsyncDriver, database: str, query: str, parameters: dict[str, Any]
) -> tuple[int, float] | None:
    """Return the statement's db hits and server ms, or ``None`` if it cannot run again (a
    write that creates what it created the first time)."""
    async with driver.session(database=database) as session:
        tx = await session.begin_transaction()
        try:
            result = await tx.run(_profiled(query), parameters)
            summary = await result.consume()
        except neo4j.exceptions.ClientError:
            return None
        finally:
            await tx.rollback()
    hits = 0 if summary.profile is None else _db_hits(summary.profile)
    server_ms = float(summary.result_available_after or 0) + float(
        summary.result_consumed_after or 0
    )
    return hits, server_ms


def _write_operations(
    actors: Cast, settings: Settings, rng: random.Random, until: datetime
) -> dict[str, Callable[[], Request]]:
    members = sorted(actors.members)
    run = secrets.token_hex(4)
    sequence = 0
    headers: dict[str, list[tuple[bytes, bytes]]] = {}

    def member_headers(key: str) -> list[tuple[bytes, bytes]]:
        if key not in headers:
            headers[key] = _headers(settings, key, Role.MEMBER)
        return headers[key]

    def at() -> str:
        return (until - timedelta(seconds=rng.randrange(90 * 86_400))).isoformat()

    def interactions() -> Request:
        nonlocal sequence
        sequence += 1
        key = rng.choice(members)
        items = []
        for i in range(5):
            call = rng.random() < 0.3
            items.append(
                {
                    "key": f"profile-{run}-i-{sequence}-{i}",
                    "at": at(),
                    "kind": "CALL" if call else "MESSAGE",
                    "participants": [key, rng.choice(actors.members[key])[0]],
                    "initiator": key if rng.random() < 0.5 else None,
                    "durationSeconds": rng.randrange(60, 3600) if call else None,
                }
            )
        variables = {"input": items}
        body = {"query": RECORD_INTERACTIONS, "operationName": "RecordInteractions"}
        return orjson.dumps({**body, "variables": variables}), member_headers(key)

    def side_conversations() -> Request:
        nonlocal sequence
        sequence += 1
        key = rng.choice(members)
        items = []
        for i in range(2):
            other, group = rng.choice(actors.members[key])
            items.append(
                {
                    "key": f"profile-{run}-s-{sequence}-{i}",
                    "at": at(),
                    "participants": [key, other],
                    "initiator": key,
                    "durationSeconds": rng.randrange(300, 3600),
                    "channel": rng.choice(("phone", "video", "coffee")),
                    "group": group,
                }
            )
        variables = {"input": items}
        body = {"query": RECORD_SIDE_CONVERSATIONS, "operationName": "RecordSideConversations"}
        return orjson.dumps({**body, "variables": variables}), member_headers(key)

    return {"recordInteractions": interactions, "recordSideConversations": side_conversations}


async def _ensure_loaded(
    uri: str, auth: tuple[str, str] | None, database: str, network: SyntheticNetwork, load: bool
) -> None:
    store = Neo4jStore(uri=uri, auth=auth, database=database)
    wanted = sum(1 for _ in network.people())
    await store.open()
    try:
        people = (await store.counts()).get("person", 0)
        if people == wanted:
            return
        if people or not load:
            raise SystemExit(
                f"Neo4j at {uri} holds {people:,} people, not the {wanted:,}"
                " of the network (load it with bench.load, or pass --load on an empty one)"
            )
        for batch in network_batches(network, 2000):
            await store.apply(batch)
    finally:
        await store.close()


async def _run(args: argparse.Namespace) -> None:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        raise SystemExit("set NEO4J_URI to a server holding the load's network")
    password = os.environ.get("NEO4J_PASSWORD")
    user = os.environ.get("NEO4J_USER") or "neo4j"
    auth = None if password is None else (user, password)
    database = os.environ.get("NEO4J_DATABASE") or "neo4j"
    network = generate_network(people=args.people, seed=7)
    await _ensure_loaded(uri, auth, database, network, args.load)
    actors = pick_cast(network, groups=300, members=2000, seed=7)
    settings = Settings(
        store=StoreKind.NEO4J,
        neo4j_uri=uri,
        neo4j_user=user,
        neo4j_password=None if password is None else SecretStr(password),
        neo4j_database=database,
        jwt_secret=SecretStr(SECRET),
        rate_limit_per_minute=10_000_000,
    )
    rng = random.Random(7)
    operations = read_operations(actors, settings, rng)
    if not args.no_writes:
        until = datetime.combine(network.end, datetime.min.time(), UTC)
        operations |= _write_operations(actors, settings, rng, until)
    if args.operation:
        operations = {name: make for name, make in operations.items() if name == args.operation}
    _record_driver_calls()
    app = create_app(settings)
    walls: dict[str, list[float]] = defaultdict(list)
    neo4j_cpu: dict[str, float] = {}
    async with app.router.lifespan_context(app):
        for name, make in operations.items():
            for body, headers in [make() for _ in range(3)]:  # plans cached, pool warm
                answer = orjson.loads(await asgi_post(app, "/graphql", body, headers))
                assert "errors" not in answer, (name, answer)
            requests = [make() for _ in range(args.requests)]
            cpu_before = cpu_seconds(args.neo4j_pid)
            for body, headers in requests:
                token = _operation.set(name)
                began = time.perf_counter()
                answer = orjson.loads(await asgi_post(app, "/graphql", body, headers))
                walls[name].append((time.perf_counter() - began) * 1e3)
                _operation.reset(token)
                assert "errors" not in answer, (name, answer)
            cpu_after = cpu_seconds(args.neo4j_pid)
            if cpu_before is not None and cpu_after is not None:
                neo4j_cpu[name] = (cpu_after - cpu_before) / args.requests * 1e3
    names = _statement_names()
    driver = neo4j.AsyncGraphDatabase.driver(uri, auth=auth)
    try:
        for name in operations:
            seen = _seen[name]
            requests = args.requests
            by_query: dict[str, list[tuple[int, float]]] = defaultdict(list)
            failed: dict[str, int] = defaultdict(int)
            for query, parameters in seen.statements:
                profiled = await _profile(driver, database, query, parameters)
                if profiled is None:
                    failed[query] += 1
                else:
                    by_query[query].append(profiled)
            print(
                f"\n{name}: {requests} requests, wall p50 "
                f"{statistics.median(walls[name]):.1f} ms in process, "
                f"{seen.transactions / requests:.1f} transactions and "
                f"{len(seen.statements) / requests:.1f} statements per request"
                + (f", Neo4j CPU {neo4j_cpu[name]:.1f} ms per request" if name in neo4j_cpu else "")
            )
            print(f"  {'statement':<44} {'runs/req':>8} {'db hits/run':>12} {'ms/run':>7}")
            total_hits = total_ms = 0.0
            for query, count in failed.items():
                print(f"  {_name_of(query, names):<44} {count / requests:>8.2f} (not run again)")
            rows = sorted(by_query.items(), key=lambda item: -sum(h for h, _ in item[1]))
            for query, runs in rows:
                hits = sum(h for h, _ in runs) / len(runs)
                ms = sum(m for _, m in runs) / len(runs)
                per_request = len(runs) / requests
                total_hits += hits * per_request
                total_ms += ms * per_request
                print(
                    f"  {_name_of(query, names):<44} {per_request:>8.2f} {hits:>12,.0f} {ms:>7.1f}"
                )
            print(f"  {'per request':<44} {'':>8} {total_hits:>12,.0f} {total_ms:>7.1f}")
    finally:
        await driver.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--operation", help="only this operation, e.g. 'person page'")
    parser.add_argument("--no-writes", action="store_true", help="reads only")
    parser.add_argument("--load", action="store_true", help="load the network into an empty server")
    parser.add_argument(
        "--neo4j-pid", type=int, help="the server's process id, to read its CPU per request"
    )
    asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()

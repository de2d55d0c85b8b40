"""What one small read costs Neo4j, by the way it is sent: server and client CPU per read.

Run ``NEO4J_URI=bolt://... python -m bench.read_overhead --neo4j-pid <pid> [--reads 2000]
[--rounds 3] [--query person]``.

Sends ``--reads`` sequential reads of one tiny query (``RETURN 1``, or with ``--query person``
a person looked up by id, ``p000001`` as the load names people) in each of these ways, round
after round, the ways interleaved so that a busy neighbour on a shared machine weighs on all
of them alike:

- ``store``: :meth:`Neo4jStore._read`, the store's read path as it is;
- ``managed``: a managed read transaction (``execute_read``) in a session with the store's
  bookmark manager -- the store's path before reads of one statement ran auto-commit;
- ``managed-no-bookmarks``: the same in a session without a bookmark manager;
- ``auto-commit``: ``session.run`` in a session with a bookmark manager (one transaction the
  server opens and commits itself; no BEGIN or COMMIT message);
- ``auto-commit-no-bookmarks``: the same without a bookmark manager;
- ``execute-query``: ``driver.execute_query(routing_=READ)``, a managed transaction whose
  BEGIN the driver pipelines with the query.

Prints, per way, the median over the rounds of Neo4j's CPU per read (``/proc/<pid>/stat``,
user + system, the server's idle rate measured first subtracted), the client's CPU per read
and the wall time per read, with the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any, LiteralString

import neo4j

from bench._kit import cpu_seconds
from graph.adapters.neo4j.store import Neo4jStore, _column

__all__ = ["main"]

QUERIES: dict[str, LiteralString] = {
    "one": "RETURN 1 AS one",
    "person": "MATCH (p:Person {id: $id}) RETURN p.name AS name",
}


def _parameters(query: str) -> dict[str, Any]:
    return {"id": "p000001"} if query == "person" else {}


async def _measure(
    read: Callable[[], Awaitable[object]], reads: int, pid: int, idle_per_s: float
) -> tuple[float, float, float]:
    """Server CPU ms, client CPU ms and wall ms per read of ``reads`` sequential reads."""
    for _ in range(20):  # warm the pool and the query cache
        await read()
    server0, own0, wall0 = cpu_seconds(pid) or 0.0, time.process_time(), time.perf_counter()
    for _ in range(reads):
        await read()
    wall = time.perf_counter() - wall0
    server = (cpu_seconds(pid) or 0.0) - server0 - idle_per_s * wall
    own = time.process_time() - own0
    return server * 1000 / reads, own * 1000 / reads, wall * 1000 / reads


async def _run(uri: str, pid: int, reads: int, rounds: int, query_name: str) -> None:
    query = QUERIES[query_name]
    params = _parameters(query_name)
    store = Neo4jStore(uri=uri)
    await store.open()
    driver = neo4j.AsyncGraphDatabase.driver(uri)
    bookmarks = neo4j.AsyncGraphDatabase.bookmark_manager()

    async def column(tx: neo4j.AsyncManagedTransaction) -> list[Any]:
        result = await tx.run(query, params)
        return await result.value()

    async def store_read() -> object:
        return await store._read(_column, query, **params)

    async def managed() -> object:
        async with driver.session(database="neo4j", bookmark_manager=bookmarks) as session:
            return await session.execute_read(column)

    async def managed_no_bookmarks() -> object:
        async with driver.session(database="neo4j") as session:
            return await session.execute_read(column)

    async def auto_commit_no_bookmarks() -> object:
        async with driver.session(
            database="neo4j", default_access_mode=neo4j.READ_ACCESS
        ) as session:
            result = await session.run(query, params)
            return await result.value()

    async def auto_commit() -> object:
        async with driver.session(
            database="neo4j", bookmark_manager=bookmarks, default_access_mode=neo4j.READ_ACCESS
        ) as session:
            result = await session.run(query, params)
            return await result.value()

    async def execute_query() -> object:
        return await driver.execute_query(
            query, params, database_="neo4j", routing_=neo4j.RoutingControl.READ
        )

    ways: dict[str, Callable[[], Awaitable[object]]] = {
        "store": store_read,
        "managed": managed,
        "managed-no-bookmarks": managed_no_bookmarks,
        "auto-commit": auto_commit,
        "auto-commit-no-bookmarks": auto_commit_no_bookmarks,
        "execute-query": execute_query,
    }
    try:
        idle0 = cpu_seconds(pid) or 0.0
        await asyncio.sleep(3)
        idle_per_s = ((cpu_seconds(pid) or 0.0) - idle0) / 3
        print(f"load average before: {os.getloadavg()}; Neo4j idle: {idle_per_s * 1000:.1f} ms/s")
        figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in ways}
        for _ in range(rounds):
            for name, read in ways.items():
                figures[name].append(await _measure(read, reads, pid, idle_per_s))
        print(f"{reads} reads of {query!r} x {rounds} rounds (medians)")
        print(f"{'way':<25} {'server CPU ms':>14} {'client CPU ms':>14} {'wall ms':>8}")
        for name, rows in figures.items():
            server, own, wall = (statistics.median(column) for column in zip(*rows, strict=True))
            print(f"{name:<25} {server:>14.3f} {own:>14.3f} {wall:>8.3f}")
        print(f"load average after: {os.getloadavg()}")
    finally:
        await store.close()
        await driver.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neo4j-pid", type=int, required=True)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--query", choices=sorted(QUERIES), default="one")
    args = parser.parse_args()
    uri = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")
    asyncio.run(_run(uri, args.neo4j_pid, args.reads, args.rounds, args.query))


if __name__ == "__main__":
    main()

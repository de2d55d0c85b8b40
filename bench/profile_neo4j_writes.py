"""Where one batch of an import spends Neo4j's work: PROFILE db hits and server time per statement.

Run ``python -m bench.profile_neo4j_writes --interactions 300000 --people 5000`` (or ``--csv
FILE``). On a fresh server it loads every row of the contacts CSV but the last
``--batch-size`` in bulk (``tiegraph import --bulk``, the fast way to get a realistic graph),
then applies the last batch as ``Neo4jStore.apply`` does -- the same statements, in the same
transaction -- with each statement run under ``PROFILE``, and rolls the transaction back so
the same batch can be profiled again. Printed per statement: runs, db hits, rows and the
server's own time (available + consumed); then the totals, and the commit of the same batch
applied for real (timed from the client).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, LiteralString

import neo4j

from bench.contacts_csv import write_contacts_csv
from graph.adapters.neo4j import cypher
from graph.adapters.neo4j.server import default_cache_dir, running_neo4j, status
from graph.adapters.neo4j.store import CHUNK_ROWS, Neo4jStore, _apply_batch
from graph.domain.batch import WriteBatch
from graph.domain.model import Person
from graph.domain.strength import StrengthModel
from graph.importing import Rejected
from graph.importing.csv_interactions import read_interactions_csv

__all__ = ["main"]

PASSWORD: Final = "bench-profile-writes"  # noqa: S105 - a throwaway server's, on 127.0.0.1
_NAMES: Final = {
    value: name for name, value in vars(cypher).items() if name.isupper() and isinstance(value, str)
}


@dataclass(slots=True)
class _Profiled:
    """What the statements of one name cost, summed over their runs."""

    runs: int = 0
    db_hits: int = 0
    rows: int = 0
    server_ms: int = 0


@dataclass(slots=True)
class _Result:
    """A consumed result, answering as much of ``AsyncResult`` as the store's helpers use."""

    records: list[neo4j.Record]
    summary: neo4j.ResultSummary

    async def value(self) -> list[Any]:
        return [r[0] for r in self.records]

    async def single(self, strict: bool = False) -> neo4j.Record:
        assert len(self.records) == 1
        return self.records[0]

    async def consume(self) -> neo4j.ResultSummary:
        return self.summary

    def __aiter__(self) -> AsyncIterator[neo4j.Record]:
        async def rows() -> AsyncIterator[neo4j.Record]:
            for r in self.records:
                yield r

        return rows()


@dataclass(slots=True)
class _ProfilingTransaction:
    """Runs every statement under PROFILE and keeps its cost by the constant's name."""

    tx: neo4j.AsyncTransaction
    costs: dict[str, _Profiled] = field(default_factory=lambda: defaultdict(_Profiled))

    async def run(self, query: LiteralString, parameters: dict[str, Any] | None = None) -> _Result:
        result = await self.tx.run("PROFILE " + query, parameters or {})
        records = [r async for r in result]
        summary = await result.consume()
        cost = self.costs[_NAMES.get(query, "(other)")]
        cost.runs += 1
        cost.db_hits += _db_hits(summary.profile or {})
        cost.rows += len(records)
        cost.server_ms += (summary.result_available_after or 0) + (
            summary.result_consumed_after or 0
        )
        return _Result(records, summary)


def _db_hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(_db_hits(c) for c in plan.get("children", []))


def _last_batch(csv: Path, size: int) -> tuple[Path, WriteBatch]:
    """Split ``csv``: a file of every row but the last ``size``, and those as one batch."""
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    head, tail = lines[: -size or None], [lines[0], *lines[-size:]]
    first = csv.with_name("first-rows.csv")
    first.write_text("".join(head), encoding="utf-8")
    rest = csv.with_name("last-rows.csv")
    rest.write_text("".join(tail), encoding="utf-8")
    batch = WriteBatch()
    for result in read_interactions_csv(rest):
        if not isinstance(result, Rejected):
            batch.add(result[0], result[1])
    known = {p for i in batch.interactions for p in i.participant_ids}
    for pid in sorted(known):
        batch.add(Person(id=pid, name=pid))  # --create-missing-people: unchanged if stored
    return first, batch


async def _profile(uri: str, batch: WriteBatch) -> None:
    store = Neo4jStore(uri=uri, auth=("neo4j", PASSWORD))
    await store.open()
    await store.close()
    model = StrengthModel()
    async with (
        neo4j.AsyncGraphDatabase.driver(uri, auth=("neo4j", PASSWORD)) as driver,
        driver.session(database="neo4j") as session,
    ):
        for attempt in ("cold", "warm"):
            tx = await session.begin_transaction()
            profiling = _ProfilingTransaction(tx)
            started = time.perf_counter()
            summary = await _apply_batch(profiling, batch, CHUNK_ROWS, model)  # type: ignore[arg-type]
            elapsed = time.perf_counter() - started
            await tx.rollback()
            print(f"\n{attempt}: {len(batch.interactions):,} interactions, {elapsed:.2f} s")
            print(f"  {'statement':<28} {'runs':>5} {'db hits':>12} {'rows':>8} {'server ms':>10}")
            for name, cost in sorted(profiling.costs.items(), key=lambda kv: -kv[1].db_hits):
                print(
                    f"  {name:<28} {cost.runs:>5} {cost.db_hits:>12,} {cost.rows:>8,}"
                    f" {cost.server_ms:>10,}"
                )
            total = sum(c.db_hits for c in profiling.costs.values())
            server = sum(c.server_ms for c in profiling.costs.values())
            print(f"  {'total':<28} {'':>5} {total:>12,} {'':>8} {server:>10,}")
            print(f"  summary: {dict(summary.counts)}")
    store = Neo4jStore(uri=uri, auth=("neo4j", PASSWORD))
    await store.open()
    try:
        started = time.perf_counter()
        await store.apply(batch)
        print(
            f"\nthe batch applied for real (with its commit): {time.perf_counter() - started:.2f} s"
        )
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> None:
    """Run the profile and print it."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile_neo4j_writes")
    parser.add_argument("--interactions", type=int, default=300_000)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--csv", type=Path, help="profile this file instead of a generated one")
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tiegraph-profile-") as tmp:
        scratch = Path(tmp)
        csv = scratch / "contacts.csv"
        if args.csv is None:
            write_contacts_csv(csv, interactions=args.interactions, people=args.people)
        else:
            csv.write_bytes(args.csv.read_bytes())
        first, batch = _last_batch(csv, args.batch_size)
        home = scratch / "home"
        with running_neo4j(
            home=home, cache_dir=default_cache_dir(), auth=("neo4j", PASSWORD), pagecache="512m"
        ) as server:
            tiegraph = str(Path(sys.executable).parent / "tiegraph")
            env = {**os.environ, "NEO4J_URI": server.uri, "NEO4J_PASSWORD": PASSWORD}
            command = [tiegraph, "import", "--store", "neo4j", "--neo4j-home", str(home)]
            subprocess.run(  # the first rows, in bulk
                [*command, "--bulk", "--create-missing-people", str(first)],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            live = status(home)
            assert live is not None
            asyncio.run(_profile(live.uri, batch))


if __name__ == "__main__":
    main()

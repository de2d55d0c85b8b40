"""How fast ``tiegraph import`` fills an empty Neo4j database: in bulk, and through transactions.

Run ``python -m bench.import_neo4j --interactions 300000 --people 5000`` (the dense network;
``--csv FILE`` imports an existing file instead of a generated one, ``--modes`` picks the
modes to run, ``--out FILE`` also writes the figures as JSON).

For each mode, in one run and on the same contacts CSV
(:func:`bench.contacts_csv.write_contacts_csv`: power-law degrees over two years, keys derived
as for a real export):

1. a fresh Neo4j server is started from a temporary home, as ``tiegraph neo4j start`` starts
   one (authentication on), and the store opened once on it (its constraints and indexes);
2. ``tiegraph import --store neo4j --neo4j-home HOME --create-missing-people --bulk FILE``
   (``--no-bulk`` for the transactional mode) runs as a child process: the figure is
   interactions per second of its **wall time**, command start to exit -- for the bulk mode
   that includes stopping the server, ``neo4j-admin``, starting the server again and
   creating the constraints and indexes;
3. CPU seconds of the command (with its children: neo4j-admin runs as one) and of the Neo4j
   server's java process (for the bulk mode, the server started again, from its start: the
   old one's few queries before it stops are left out), and the load average before and after,
   since the machine may be shared;
4. the graph is counted (people, interactions, ties) and the modes must agree;
5. with ``--rescore``, every tie is then rescored under another strength model (a half-life of
   90 days instead of 60: every score changes, no count does), as opening the store after a
   model change does: wall time and the server's CPU of ``Neo4jStore.recompute_ties``.

The ratio of each mode's rate to the transactional mode's is printed when both ran.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

from bench._kit import cpu_seconds, machine
from bench.contacts_csv import write_contacts_csv
from graph.adapters.neo4j.server import default_cache_dir, start, status, stop
from graph.adapters.neo4j.store import Neo4jStore
from graph.domain.strength import StrengthModel

__all__ = ["Figures", "main"]

TARGET_RATE: Final = 30_000
"""Interactions per second end to end that the import into Neo4j should reach."""
PASSWORD: Final = "bench-import-neo4j"  # noqa: S105 - a throwaway server's, on 127.0.0.1


@dataclass(slots=True)
class Figures:
    """What one mode measured."""

    mode: str
    interactions: int
    wall_s: float
    rate: float
    tiegraph_cpu_s: float
    neo4j_cpu_s: float | None
    load_before: float
    load_after: float
    counts: dict[str, int]
    exit_code: int
    rescore_wall_s: float | None = None
    rescore_neo4j_cpu_s: float | None = None
    rescored_ties: int | None = None


def _tiegraph() -> str:
    found = shutil.which("tiegraph", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("the tiegraph command is not installed next to this Python")
    return found


async def _prepare_and_count(uri: str) -> dict[str, int]:
    store = Neo4jStore(uri=uri, auth=("neo4j", PASSWORD))
    await store.open()
    try:
        return await store.counts()
    finally:
        await store.close()


RESCORE_MODEL: Final = StrengthModel(half_life=timedelta(days=90))
"""The model ``--rescore`` rescores every tie under: only the half-life differs from the
default, so every score changes and no count or instant does."""


async def _rescore(uri: str, pid: int) -> tuple[float, float | None, int]:
    """Rescore every tie under :data:`RESCORE_MODEL`; return wall s, server CPU s, ties."""
    store = Neo4jStore(uri=uri, auth=("neo4j", PASSWORD))
    await store.open()
    try:
        store.model = RESCORE_MODEL
        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        ties = await store.recompute_ties()
        wall = time.perf_counter() - started
        cpu_after = cpu_seconds(pid)
    finally:
        await store.close()
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return wall, cpu, ties


def run_mode(
    mode: str,
    csv: Path,
    scratch: Path,
    *,
    heap: str,
    pagecache: str,
    batch_size: int,
    rescore: bool = False,
) -> Figures:
    """Import ``csv`` into a fresh server in ``mode`` (bulk or transactional); measure it."""
    home = scratch / f"neo4j-{mode}"
    server = start(
        home=home,
        cache_dir=default_cache_dir(),
        auth=("neo4j", PASSWORD),
        heap=heap,
        pagecache=pagecache,
    )
    try:
        asyncio.run(_prepare_and_count(server.uri))
        flag = "--bulk" if mode == "bulk" else "--no-bulk"
        command = [_tiegraph(), "import", "--store", "neo4j", "--neo4j-home", str(home)]
        command += ["--create-missing-people", "--batch-size", str(batch_size), flag, str(csv)]
        env = {**os.environ, "NEO4J_URI": server.uri, "NEO4J_PASSWORD": PASSWORD}
        env.pop("TIEGRAPH_STORE", None)
        neo4j_before = cpu_seconds(server.pid) or 0.0
        load_before = os.getloadavg()[0]
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False
        )
        wall = time.perf_counter() - started
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_after = os.getloadavg()[0]
        now = status(home)
        if now is None:
            raise SystemExit(f"{mode}: the server is not running after the import")
        neo4j_after = cpu_seconds(now.pid)
        neo4j_cpu = None
        if neo4j_after is not None:
            neo4j_cpu = neo4j_after - (neo4j_before if now.pid == server.pid else 0.0)
        if done.returncode != 0:
            print(done.stdout.decode(errors="replace")[-3000:], file=sys.stderr)
        counts = asyncio.run(_prepare_and_count(now.uri))
        rescored = asyncio.run(_rescore(now.uri, now.pid)) if rescore else None
    finally:
        stop(home)
        shutil.rmtree(home, ignore_errors=True)
    cpu = (children_after.ru_utime - children_before.ru_utime) + (
        children_after.ru_stime - children_before.ru_stime
    )
    interactions = counts.get("interaction", 0)
    return Figures(
        mode=mode,
        interactions=interactions,
        wall_s=wall,
        rate=interactions / wall,
        tiegraph_cpu_s=cpu,
        neo4j_cpu_s=neo4j_cpu,
        load_before=load_before,
        load_after=load_after,
        counts={k: v for k, v in counts.items() if v},
        exit_code=done.returncode,
        rescore_wall_s=None if rescored is None else rescored[0],
        rescore_neo4j_cpu_s=None if rescored is None else rescored[1],
        rescored_ties=None if rescored is None else rescored[2],
    )


def main(argv: list[str] | None = None) -> None:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.import_neo4j", description=__doc__)
    parser.add_argument("--interactions", type=int, default=300_000, help="rows in the CSV")
    parser.add_argument("--people", type=int, default=5_000, help="people to draw from")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--csv", type=Path, help="import this file instead of a generated one")
    parser.add_argument("--modes", default="bulk,transactional", help="comma-separated")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--heap", default="1g", help="the servers' JVM heap")
    parser.add_argument("--pagecache", default="512m", help="the servers' page cache")
    parser.add_argument("--tmp", type=Path, help="directory for the file and the servers")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument(
        "--rescore", action="store_true", help="then rescore every tie under another model"
    )
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(modes) <= {"bulk", "transactional"}:
        parser.error("--modes takes bulk and/or transactional")
    with tempfile.TemporaryDirectory(prefix="tiegraph-import-neo4j-", dir=args.tmp) as tmp:
        scratch = Path(tmp)
        csv = args.csv
        if csv is None:
            csv = scratch / "contacts.csv"
            named = write_contacts_csv(
                csv, interactions=args.interactions, people=args.people, seed=args.seed
            )
            print(f"{csv.name}: {args.interactions:,} contacts among {named:,} people")
        results = []
        for mode in modes:
            figures = run_mode(
                mode,
                csv,
                scratch,
                heap=args.heap,
                pagecache=args.pagecache,
                batch_size=args.batch_size,
                rescore=args.rescore,
            )
            results.append(figures)
            neo4j_cpu = "n/a" if figures.neo4j_cpu_s is None else f"{figures.neo4j_cpu_s:.1f} s"
            print(
                f"{mode:>13}: {figures.interactions:,} interactions in {figures.wall_s:.1f} s wall"
                f" = {figures.rate:,.0f}/s (target {TARGET_RATE:,}/s:"
                f" {'met' if figures.rate >= TARGET_RATE else 'missed'});"
                f" tiegraph CPU {figures.tiegraph_cpu_s:.1f} s, Neo4j CPU {neo4j_cpu};"
                f" load {figures.load_before:.1f} -> {figures.load_after:.1f};"
                f" exit {figures.exit_code}; {figures.counts}"
            )
            if figures.rescore_wall_s is not None:
                per_million = figures.rescore_wall_s * 1_000_000 / max(figures.interactions, 1)
                rescore_cpu = figures.rescore_neo4j_cpu_s
                print(
                    f"{'rescoring':>13}: {figures.rescored_ties:,} ties in"
                    f" {figures.rescore_wall_s:.1f} s wall ({per_million:.1f} s per 1M"
                    " interactions); Neo4j CPU"
                    f" {'n/a' if rescore_cpu is None else f'{rescore_cpu:.1f} s'};"
                    f" load {os.getloadavg()[0]:.1f}"
                )
    by_mode = {f.mode: f for f in results}
    if {"bulk", "transactional"} <= by_mode.keys():
        bulk, transactional = by_mode["bulk"], by_mode["transactional"]
        print(f"bulk / transactional: {bulk.rate / transactional.rate:.1f}x (wall rate)")
        if bulk.counts != transactional.counts:
            raise SystemExit(f"the modes disagree: {bulk.counts} != {transactional.counts}")
    if args.out is not None:
        args.out.write_text(
            json.dumps({"machine": machine(), "runs": [asdict(f) for f in results]}, indent=2)
        )


if __name__ == "__main__":
    main()

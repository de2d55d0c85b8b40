"""How fast ``tiegraph import`` takes in a contacts CSV, end to end, against the store alone.

Run ``python -m bench.import_cli --interactions 1000000 --people 100000 [--out FILE]``; with
``--csv FILE`` an existing file is imported instead of a generated one, and ``--no-store-alone``
leaves out the baseline (for files too large to hold parsed in memory).

In one run, on fresh stores in a temporary directory:

1. writes a contacts CSV (:func:`bench.contacts_csv.write_contacts_csv`: power-law degrees,
   over two years, no ``key`` column so every row's key is derived as for a real export);
2. **end to end, in bulk**: runs ``tiegraph import --create-missing-people FILE`` as a child
   process into an empty store, which loads it in bulk (the installed command: start-up,
   reading in two processes, checks, one transaction, the tie index saved) and reports
   interactions per second of its wall time, and per second of the CPU time it used (user +
   system, every thread and the reading process): on a machine shared with other work the
   second figure moves less; the command's peak resident memory; and the load average;
3. **end to end, through transactions**: the same with ``--no-bulk`` (batches through
   :meth:`GraphStore.apply`, the tie checkpoint on close), and the ratio of the two
   (``--no-transactions`` leaves it out);
4. **store alone** (the baseline): the same rows, parsed beforehand (not timed), written by
   :meth:`GraphStore.apply` in batches of ``--batch-size`` on a second fresh store after the
   people were written, timing ``apply`` only -- what ``bench/ingest.py`` measures.

Both stores are checked to hold every interaction at the end. Where the bulk load's time goes,
part by part: ``python -m bench.first_load_parts FILE``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from bench._kit import machine
from bench.contacts_csv import write_contacts_csv
from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.batch import WriteBatch
from graph.domain.model import Interaction, Person
from graph.importing.csv_interactions import read_interactions_csv

__all__ = ["Figures", "main", "run_cli"]

TARGET_RATE: Final = 100_000
"""Interactions per second end to end that the import should reach."""


@dataclass(slots=True)
class Figures:
    """What one run measured."""

    interactions: int
    people: int
    csv_bytes: int
    bulk_wall_s: float
    bulk_cpu_s: float
    bulk_exit: int
    bulk_peak_rss_bytes: int
    stored_bulk: int
    load_average: tuple[float, float, float]
    """The machine's load average (1, 5, 15 minutes) when the runs ended."""
    cli_wall_s: float
    cli_cpu_s: float
    cli_exit: int
    cli_peak_rss_bytes: int
    store_apply_s: float
    store_apply_cpu_s: float
    """CPU time of this process (both store threads) while inside ``apply``."""
    stored_cli: int
    stored_alone: int

    @property
    def bulk_rate(self) -> float:
        """Interactions per second of the bulk load's wall time."""
        return self.interactions / self.bulk_wall_s

    @property
    def bulk_cpu_rate(self) -> float:
        """Interactions per second of the CPU time the bulk load used."""
        return self.interactions / self.bulk_cpu_s

    @property
    def cli_rate(self) -> float:
        """Interactions per second of the command's wall time."""
        return self.interactions / self.cli_wall_s

    @property
    def cli_cpu_rate(self) -> float:
        """Interactions per second of the CPU time the command used."""
        return self.interactions / self.cli_cpu_s

    @property
    def store_rate(self) -> float:
        """Interactions per second inside ``apply``, the store alone."""
        return self.interactions / self.store_apply_s

    @property
    def store_cpu_rate(self) -> float:
        """Interactions per second of the CPU time used inside ``apply``."""
        return self.interactions / self.store_apply_cpu_s


def _tiegraph() -> list[str]:
    """Return the command line of the installed ``tiegraph`` beside this interpreter."""
    beside = Path(sys.executable).with_name("tiegraph")
    if beside.exists():
        return [str(beside)]
    return [sys.executable, "-c", "from api.cli import main; main()"]


def run_cli(csv_path: Path, data_dir: Path, *options: str) -> tuple[float, float, int, int]:
    """Import ``csv_path`` with the command; return wall seconds, CPU seconds (with the
    processes it started), exit code and peak resident bytes of that one run."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [*_tiegraph(), "import", "--create-missing-people", *options, str(csv_path)],
        env={**os.environ, "TIEGRAPH_DATA_DIR": str(data_dir), "TIEGRAPH_STORE": "embedded"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, child.returncode, usage.ru_maxrss * 1024


async def _store_alone(csv_path: Path, data_dir: Path, batch_size: int) -> tuple[float, float, int]:
    """Write the file's interactions with ``apply`` (the people first, untimed); return the
    wall and CPU seconds inside ``apply`` for the interactions and how many are stored."""
    interactions = [r[0] for r in read_interactions_csv(csv_path) if isinstance(r, tuple)]
    assert all(isinstance(i, Interaction) for i in interactions)
    people = sorted(
        {p for i in interactions if isinstance(i, Interaction) for p in i.participant_ids}
    )
    store = EmbeddedStore(data_dir)
    await store.open()
    try:
        for start in range(0, len(people), batch_size):
            batch = WriteBatch(
                people=[Person(id=p, name=p) for p in people[start : start + batch_size]]
            )
            await store.apply(batch)
        spent = spent_cpu = 0.0
        for start in range(0, len(interactions), batch_size):
            chunk = interactions[start : start + batch_size]
            batch = WriteBatch(interactions=[i for i in chunk if isinstance(i, Interaction)])
            began, began_cpu = time.perf_counter(), time.process_time()
            await store.apply(batch)
            spent += time.perf_counter() - began
            spent_cpu += time.process_time() - began_cpu
    finally:
        await store.close()
    return spent, spent_cpu, _stored_interactions(data_dir)


def _stored_interactions(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "tiegraph.sqlite3") as conn:
        (count,) = conn.execute("SELECT count(*) FROM interactions").fetchone()
    return int(count)


def run(args: argparse.Namespace) -> Figures:
    """Generate the file, import it with the command, then write it with the store alone."""
    scratch = Path(tempfile.mkdtemp(prefix="tiegraph-import-bench-", dir=args.tmp))
    try:
        if args.csv is not None:
            csv_path = args.csv
            with csv_path.open("rb") as raw:
                rows = sum(block.count(b"\n") for block in iter(lambda: raw.read(1 << 20), b""))
            interactions, named = rows - 1, 0
        else:
            csv_path = scratch / "contacts.csv"
            interactions = args.interactions
            named = write_contacts_csv(
                csv_path, interactions=interactions, people=args.people, seed=args.seed
            )
            print(f"wrote {interactions:,} interactions among {named:,} people", flush=True)
        bulk_dir = scratch / "bulk"
        bulk_wall, bulk_cpu, bulk_code, bulk_peak = run_cli(csv_path, bulk_dir, "--bulk")
        print(
            f"tiegraph import (first load in bulk): {bulk_wall:.1f} s wall, {bulk_cpu:.1f} s CPU,"
            f" exit {bulk_code}, peak {bulk_peak / 2**20:,.0f} MiB",
            flush=True,
        )
        stored_bulk = _stored_interactions(bulk_dir)
        if not args.keep:
            shutil.rmtree(bulk_dir, ignore_errors=True)
        cli_dir = scratch / "cli"
        nan = float("nan")
        wall, cpu, code, peak = (nan, nan, 0, 0)
        if not args.no_transactions:
            wall, cpu, code, peak = run_cli(csv_path, cli_dir, "--no-bulk")
            print(
                f"tiegraph import --no-bulk: {wall:.1f} s wall, {cpu:.1f} s CPU, exit {code},"
                f" peak {peak / 2**20:,.0f} MiB",
                flush=True,
            )
        alone_s, alone_cpu_s, stored_alone = (
            (float("nan"), float("nan"), interactions)
            if args.no_store_alone
            else asyncio.run(_store_alone(csv_path, scratch / "alone", args.batch_size))
        )
        return Figures(
            interactions=interactions,
            people=named,
            csv_bytes=csv_path.stat().st_size,
            bulk_wall_s=bulk_wall,
            bulk_cpu_s=bulk_cpu,
            bulk_exit=bulk_code,
            bulk_peak_rss_bytes=bulk_peak,
            stored_bulk=stored_bulk,
            load_average=os.getloadavg(),
            cli_wall_s=wall,
            cli_cpu_s=cpu,
            cli_exit=code,
            cli_peak_rss_bytes=peak,
            store_apply_s=alone_s,
            store_apply_cpu_s=alone_cpu_s,
            stored_cli=interactions if args.no_transactions else _stored_interactions(cli_dir),
            stored_alone=stored_alone,
        )
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000, help="rows in the CSV")
    parser.add_argument("--people", type=int, default=100_000, help="people to draw from")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=10_000, help="store alone: per apply")
    parser.add_argument("--tmp", type=Path, help="directory for the file and the stores")
    parser.add_argument("--keep", action="store_true", help="keep the file and the stores")
    parser.add_argument("--csv", type=Path, help="import this file instead of a generated one")
    parser.add_argument(
        "--no-store-alone", action="store_true", help="leave out the store-alone baseline"
    )
    parser.add_argument(
        "--no-transactions", action="store_true", help="leave out the import with --no-bulk"
    )
    parser.add_argument("--out", type=Path, help="also write the figures as JSON to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the bench; exit 1 if the import failed or a store misses interactions."""
    args = _parser().parse_args(argv)
    figures = run(args)
    met = figures.bulk_rate >= TARGET_RATE
    print(f"in bulk:     {figures.bulk_rate:>9,.0f} interactions/s of wall time")
    print(f"             {figures.bulk_cpu_rate:>9,.0f} interactions/s of CPU time")
    print(f"             {1e6 / figures.bulk_cpu_rate:>9,.1f} µs of CPU a contact (all processes)")
    print(f"             {figures.bulk_peak_rss_bytes / 2**20:>9,.0f} MiB peak resident")
    print(f"--no-bulk:   {figures.cli_rate:>9,.0f} interactions/s of wall time")
    print(f"             {figures.cli_cpu_rate:>9,.0f} interactions/s of CPU time")
    print(f"             {figures.cli_peak_rss_bytes / 2**20:>9,.0f} MiB peak resident")
    print(
        f"bulk / --no-bulk: {figures.bulk_rate / figures.cli_rate:.1f}x wall,"
        f" {figures.bulk_cpu_rate / figures.cli_cpu_rate:.1f}x CPU"
    )
    print("load average: " + ", ".join(f"{x:.1f}" for x in figures.load_average))
    print(f"store alone: {figures.store_rate:>9,.0f} interactions/s inside apply")
    print(f"             {figures.store_cpu_rate:>9,.0f} interactions/s of CPU time in apply")
    print(f"target {TARGET_RATE:,}/s end to end: {'met' if met else 'missed'}")
    if args.out is not None:
        figures_json = {
            **asdict(figures),
            "bulk_rate": figures.bulk_rate,
            "bulk_cpu_rate": figures.bulk_cpu_rate,
            "cli_rate": figures.cli_rate,
            "cli_cpu_rate": figures.cli_cpu_rate,
            "store_rate": figures.store_rate,
            "store_cpu_rate": figures.store_cpu_rate,
            "target_rate": TARGET_RATE,
            "machine": machine(),
        }
        args.out.write_text(json.dumps(figures_json, indent=2) + "\n")
    complete = (
        figures.stored_bulk == figures.stored_cli == figures.stored_alone == figures.interactions
    )
    return 0 if figures.cli_exit == figures.bulk_exit == 0 and complete else 1


if __name__ == "__main__":
    raise SystemExit(main())

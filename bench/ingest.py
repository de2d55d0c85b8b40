"""How fast each store takes in a synthetic network: batched writes against one write each.

Run ``python -m bench.ingest --people 10000 --backend embedded|neo4j|both [--out FILE]``.

For each backend, on one fresh store and in one run:

1. **network**: every record but the explicit interactions (organizations, interests, people,
   groups, memberships, meetings, attendance, breakouts, side conversations), in batches of
   ``--batch-size`` records through :meth:`GraphStore.apply`. Attendance, breakouts and side
   conversations leave derived interactions behind, which this phase also writes.
2. **interactions**: the explicit interactions (calls, messages, contacts), in batches of
   ``--batch-size``. Its rate is the headline figure.
3. **baseline**: ``--sample`` interactions spread over the same stream, re-keyed so they are
   new, each in its own :meth:`GraphStore.apply` -- one write per interaction, as a naive
   importer would do -- on the same, now full, store.

Rates count time spent inside ``apply`` only; generating the records (pure Python, about 10 us
per record) is reported separately as wall time. Peak memory is this process's maximum resident
set; for a Neo4j server the bench started, also the server's peak from ``/proc``. ``both`` runs
each backend in a child process, so that each peak belongs to one backend alone.

Neo4j: with ``NEO4J_URI`` set (and ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``), that
server is used, and must hold an empty database unless ``--wipe`` is given. Otherwise a
throwaway server is started with :mod:`graph.adapters.neo4j.server` (jars from the default
cache directory, ``--neo4j-heap`` and ``--neo4j-pagecache``) and stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.progress import (
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from bench._kit import machine, mib, rss_of, tree_size, verdict
from graph.domain.batch import WriteBatch, WriteSummary
from graph.ports import GraphStore
from graph.samples.synth import KINDS, SyntheticNetwork, generate_network, network_batches

__all__ = ["BackendResult", "Phase", "main", "run_backend"]

BACKENDS: Final = ("embedded", "neo4j")
TARGET_RATE: Final = {"embedded": 100_000, "neo4j": 30_000}
"""Batched interactions per second each backend should reach."""
TARGET_RATIO: Final = 30.0
"""How many times faster than one write per interaction batched writes should be."""
NETWORK_KINDS: Final = frozenset(KINDS) - {"interaction"}
BASELINE_SUFFIX: Final = "-baseline"


@dataclass(slots=True)
class Phase:
    """One timed phase: how many records went in, in how many applies, in how much time."""

    records: int = 0
    applies: int = 0
    apply_s: float = 0.0
    """Time spent inside ``GraphStore.apply``."""
    wall_s: float = 0.0
    """Time for the whole phase, generating the records included."""
    created: dict[str, int] = field(default_factory=dict)
    """What the store reports it created, by kind (derived interactions included)."""
    max_rss_bytes: int = 0
    """This process's peak resident set size when the phase ended."""

    @property
    def rate(self) -> float:
        """Records per second of apply time."""
        return self.records / self.apply_s if self.apply_s > 0 else 0.0


@dataclass(slots=True)
class BackendResult:
    """Everything measured on one backend."""

    backend: str
    people: int
    seed: int
    batch_size: int
    network: Phase
    interactions: Phase
    baseline: Phase
    generate_plan_s: float
    stored: dict[str, int]
    max_rss_bytes: int
    disk_bytes: int | None = None
    server_rss_bytes: int | None = None
    server_peak_rss_bytes: int | None = None
    server: str = ""

    @property
    def full_load(self) -> Phase:
        """The whole network: phases 1 and 2 together."""
        created = dict(self.network.created)
        for kind, n in self.interactions.created.items():
            created[kind] = created.get(kind, 0) + n
        return Phase(
            records=self.network.records + self.interactions.records,
            applies=self.network.applies + self.interactions.applies,
            apply_s=self.network.apply_s + self.interactions.apply_s,
            wall_s=self.network.wall_s + self.interactions.wall_s,
            created=created,
            max_rss_bytes=self.interactions.max_rss_bytes,
        )

    @property
    def ratio(self) -> float:
        """Batched interactions per second over one-write-per-interaction per second."""
        base = self.baseline.rate
        return self.interactions.rate / base if base > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """Return the figures, and the targets with whether each was met, as plain values."""
        target = TARGET_RATE[self.backend]
        full = self.full_load
        return {
            "backend": self.backend,
            "server": self.server,
            "people": self.people,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "generate_plan_s": self.generate_plan_s,
            "phases": {
                "network": _phase_json(self.network),
                "interactions": _phase_json(self.interactions),
                "baseline": _phase_json(self.baseline),
                "full_load": _phase_json(full),
            },
            "interactions_per_s": self.interactions.rate,
            "baseline_interactions_per_s": self.baseline.rate,
            "ratio": self.ratio,
            "targets": {
                "interactions_per_s": {"target": target, "met": self.interactions.rate >= target},
                "ratio": {"target": TARGET_RATIO, "met": self.ratio >= TARGET_RATIO},
            },
            "stored": self.stored,
            "max_rss_bytes": self.max_rss_bytes,
            "server_rss_bytes": self.server_rss_bytes,
            "server_peak_rss_bytes": self.server_peak_rss_bytes,
            "disk_bytes": self.disk_bytes,
        }


def _phase_json(phase: Phase) -> dict[str, Any]:
    return {**dataclasses.asdict(phase), "rate": phase.rate}


# -- measuring ----------------------------------------------------------------------------------


async def _load(
    store: GraphStore, batches: Iterable[WriteBatch], progress: Progress, label: str
) -> Phase:
    """Apply every batch, timing the applies alone and the phase as a whole."""
    phase = Phase()
    summary = WriteSummary()
    task = progress.add_task(label, total=None, records=0)
    began = time.perf_counter()
    for batch in batches:
        size = len(batch)
        start = time.perf_counter()
        summary.add(await store.apply(batch))
        phase.apply_s += time.perf_counter() - start
        phase.records += size
        phase.applies += 1
        progress.update(task, records=phase.records)
    phase.wall_s = time.perf_counter() - began
    phase.created = {kind: c.created for kind, c in sorted(summary.counts.items())}
    phase.max_rss_bytes = _max_rss_bytes()
    progress.remove_task(task)
    return phase


def _baseline_sample(network: SyntheticNetwork, total: int, size: int) -> Iterator[WriteBatch]:
    """Yield ``size`` interactions spread over the stream, re-keyed, one per batch."""
    step = max(1, total // max(1, size))
    taken = 0
    for index, interaction in enumerate(network.interactions()):
        if taken >= size:
            return
        if index % step == 0:
            taken += 1
            fresh = dataclasses.replace(interaction, key=interaction.key + BASELINE_SUFFIX)
            yield WriteBatch(interactions=[fresh])


def _max_rss_bytes() -> int:
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


@dataclass(slots=True)
class _Opened:
    store: GraphStore
    description: str
    data_dir: Path | None = None
    server_pid: int | None = None
    disk_bytes: int | None = None
    """Filled in on the way out, before a temporary store is removed."""


@contextlib.asynccontextmanager
async def _embedded(args: argparse.Namespace) -> AsyncIterator[_Opened]:
    from graph.adapters.embedded.store import EmbeddedStore

    scratch = None
    if args.data_dir is None:
        scratch = Path(tempfile.mkdtemp(prefix="tiegraph-bench-"))
        data_dir = scratch / "store"
    else:
        data_dir = Path(args.data_dir)
        if data_dir.exists() and any(data_dir.iterdir()) and not args.wipe:
            raise SystemExit(f"{data_dir} is not empty; pass --wipe to reuse it")
    store = EmbeddedStore(data_dir)
    opened = _Opened(store, f"SQLite {sqlite3.sqlite_version}", data_dir=data_dir)
    await store.open()
    try:
        await store.delete_everything()
        yield opened
    finally:
        await store.close()
        # Measured after close, when SQLite has checkpointed its write-ahead log.
        opened.disk_bytes = tree_size(data_dir)
        if scratch is not None and not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


@contextlib.asynccontextmanager
async def _neo4j(args: argparse.Namespace, console: Console) -> AsyncIterator[_Opened]:
    from graph.adapters.neo4j import server
    from graph.adapters.neo4j.store import Neo4jStore

    uri = os.environ.get("NEO4J_URI")
    if uri:
        password = os.environ.get("NEO4J_PASSWORD")
        user = os.environ.get("NEO4J_USER") or "neo4j"
        store = Neo4jStore(
            uri=uri,
            auth=None if password is None else (user, password),
            database=os.environ.get("NEO4J_DATABASE") or "neo4j",
        )
        await store.open()
        try:
            if any((await store.counts()).values()) and not args.wipe:
                raise SystemExit(f"the database at {uri} is not empty; pass --wipe to empty it")
            await store.delete_everything()
            yield _Opened(store, f"Neo4j at {uri}")
        finally:
            await store.close()
        return
    scratch = Path(tempfile.mkdtemp(prefix="tiegraph-bench-neo4j-"))
    home = scratch / "home"
    try:
        console.log(
            f"starting a throwaway Neo4j {server.NEO4J_VERSION} "
            f"(heap {args.neo4j_heap}, page cache {args.neo4j_pagecache})"
        )
        running = server.start(
            home=home,
            cache_dir=server.default_cache_dir(),
            auth=None,
            heap=args.neo4j_heap,
            pagecache=args.neo4j_pagecache,
            timeout_s=180.0,
        )
        try:
            store = Neo4jStore(uri=running.uri, auth=None, database="neo4j")
            await store.open()
            try:
                yield _Opened(
                    store,
                    f"Neo4j {server.NEO4J_VERSION} (started here, heap {args.neo4j_heap}, "
                    f"page cache {args.neo4j_pagecache})",
                    data_dir=home / "data",
                    server_pid=running.pid,
                )
            finally:
                await store.close()
        finally:
            server.stop(home)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


async def run_backend(args: argparse.Namespace, backend: str, console: Console) -> BackendResult:
    """Measure one backend: load the network, then the interactions, then the baseline."""
    began = time.perf_counter()
    network = generate_network(people=args.people, seed=args.seed)
    plan_s = time.perf_counter() - began
    opener = _embedded(args) if backend == "embedded" else _neo4j(args, console)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.fields[records]:,} records"),
        TimeElapsedColumn(),
    )
    server_rss: tuple[int | None, int | None] = (None, None)
    disk: int | None = None
    async with opener as opened:
        store = opened.store
        if args.keep and opened.data_dir is not None:
            console.log(f"{backend}: keeping the store in {opened.data_dir}")
        with Progress(*columns, console=console, transient=True) as progress:
            console.log(f"{backend}: {network!r} on {opened.description}")
            network_phase = await _load(
                store,
                network_batches(network, args.batch_size, kinds=NETWORK_KINDS),
                progress,
                f"{backend}: network (all but interactions)",
            )
            console.log(f"{backend}: network loaded: {_phase_line(network_phase)}")
            interaction_phase = await _load(
                store,
                network_batches(network, args.batch_size, kinds={"interaction"}),
                progress,
                f"{backend}: interactions, batched",
            )
            console.log(f"{backend}: interactions batched: {_phase_line(interaction_phase)}")
            baseline_phase = await _load(
                store,
                _baseline_sample(network, interaction_phase.records, args.sample),
                progress,
                f"{backend}: baseline, one apply per interaction",
            )
            console.log(f"{backend}: baseline: {_phase_line(baseline_phase)}")
        stored = await store.counts()
        if opened.server_pid is not None:
            server_rss = rss_of(opened.server_pid)
        if backend == "neo4j" and opened.data_dir is not None:
            disk = tree_size(opened.data_dir)
    disk = opened.disk_bytes if opened.disk_bytes is not None else disk
    return BackendResult(
        backend=backend,
        people=args.people,
        seed=args.seed,
        batch_size=args.batch_size,
        network=network_phase,
        interactions=interaction_phase,
        baseline=baseline_phase,
        generate_plan_s=plan_s,
        stored=stored,
        max_rss_bytes=_max_rss_bytes(),
        disk_bytes=disk,
        server_rss_bytes=server_rss[0],
        server_peak_rss_bytes=server_rss[1],
        server=opened.description,
    )


def _phase_line(phase: Phase) -> str:
    return (
        f"{phase.records:,} records in {phase.applies:,} applies, "
        f"{phase.apply_s:.1f} s in apply ({phase.rate:,.0f}/s), {phase.wall_s:.1f} s wall"
    )


# -- reporting ----------------------------------------------------------------------------------


def render(results: list[dict[str, Any]], info: dict[str, Any], console: Console) -> None:
    """Print one table with a column per backend, targets marked PASS or MISS."""
    people = results[0].get("people", "?") if results else "?"
    memory = info.get("memory_bytes")
    title = (
        f"tiegraph ingest, {people:,} people -- {info.get('nproc')} CPUs "
        f"({info.get('cpu', '?')}), {mib(memory)} RAM, Python {info['python']}"
        if isinstance(people, int)
        else "tiegraph ingest"
    )
    table = Table(title=title, show_lines=False)
    table.add_column("")
    for result in results:
        table.add_column(result["backend"], justify="right")

    def row(label: str, cell: Any) -> None:
        table.add_row(label, *(cell(r) if "error" not in r else "" for r in results))

    def rate(phase: str) -> Any:
        return lambda r: f"{r['phases'][phase]['rate']:,.0f}/s"

    def took(phase: str) -> Any:
        def cell(r: dict[str, Any]) -> str:
            p = r["phases"][phase]
            return f"{p['records']:,} in {p['apply_s']:.1f} s ({p['wall_s']:.1f} s wall)"

        return cell

    if any("error" in r for r in results):
        table.add_row("error", *(r.get("error", "") for r in results))
    row("store", lambda r: r["server"])
    row("[bold]interactions, batched[/]", took("interactions"))
    row(
        "  rate (target)",
        lambda r: (
            f"{r['interactions_per_s']:,.0f}/s {verdict(r['targets']['interactions_per_s']['met'])}"
            f" (≥ {r['targets']['interactions_per_s']['target']:,})"
        ),
    )
    row("baseline, one apply each", took("baseline"))
    row("  rate", rate("baseline"))
    row(
        "  batched / baseline (target)",
        lambda r: (
            f"{r['ratio']:,.0f}x {verdict(r['targets']['ratio']['met'])} (≥ {TARGET_RATIO:.0f}x)"
        ),
    )
    row("[bold]full network load[/]", took("full_load"))
    row("  records/s", rate("full_load"))
    row(
        "  interactions stored (derived)",
        lambda r: (
            f"{r['stored'].get('interaction', 0):,}"
            f" ({r['phases']['network']['created'].get('interaction', 0):,})"
        ),
    )
    row("  ties stored", lambda r: f"{r['stored'].get('tie', 0):,}")
    row("  network only (no interactions)", took("network"))
    row(
        "peak memory, this process",
        lambda r: (
            f"{mib(r['max_rss_bytes'])} (after network "
            f"{mib(r['phases']['network']['max_rss_bytes'])})"
        ),
    )
    row(
        "Neo4j server RSS now / peak",
        lambda r: (
            f"{mib(r['server_rss_bytes'])} / {mib(r['server_peak_rss_bytes'])}"
            if r["server_peak_rss_bytes"]
            else "-"
        ),
    )
    row("on disk", lambda r: mib(r["disk_bytes"]))
    console.print(table)
    console.print(
        "Rates count time inside GraphStore.apply; wall time adds generating the records. "
        f"Batch size {results[0].get('batch_size', '?') if results else '?'} records; "
        "the baseline re-keys a spread sample of the same interactions and applies them one "
        "by one on the full store."
    )


# -- the command --------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--people", type=int, default=10_000, help="people in the network")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic network")
    parser.add_argument(
        "--backend", choices=(*BACKENDS, "both"), default="embedded", help="store(s) to measure"
    )
    parser.add_argument(
        "--batch-size", type=int, default=10_000, help="records per apply (default 10,000)"
    )
    parser.add_argument(
        "--sample", type=int, default=2_000, help="interactions written one apply each"
    )
    parser.add_argument("--out", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--data-dir", type=Path, help="embedded: store here, not in a temp dir")
    parser.add_argument("--wipe", action="store_true", help="empty a store that holds data")
    parser.add_argument("--keep", action="store_true", help="keep the temporary store(s)")
    parser.add_argument("--neo4j-heap", default="2g", help="heap of a Neo4j started here")
    parser.add_argument(
        "--neo4j-pagecache", default="1g", help="page cache of a Neo4j started here"
    )
    parser.add_argument("--no-table", action="store_true", help=argparse.SUPPRESS)
    return parser


def _run_children(args: argparse.Namespace, console: Console) -> list[dict[str, Any]]:
    """Run each backend in a child process of its own, so peak memory is per backend."""
    results = []
    with tempfile.TemporaryDirectory(prefix="tiegraph-bench-") as scratch:
        for backend in BACKENDS:
            out = Path(scratch) / f"{backend}.json"
            command = [sys.executable, "-m", "bench.ingest", "--backend", backend, "--no-table"]
            command += ["--people", str(args.people), "--seed", str(args.seed)]
            command += ["--batch-size", str(args.batch_size), "--sample", str(args.sample)]
            command += ["--neo4j-heap", args.neo4j_heap, "--neo4j-pagecache", args.neo4j_pagecache]
            command += ["--out", str(out)]
            if args.wipe:
                command.append("--wipe")
            if args.keep:
                command.append("--keep")
            code = subprocess.run(command, check=False).returncode
            if out.is_file():
                results.extend(json.loads(out.read_text())["results"])
            else:
                results.append({"backend": backend, "error": f"exited with code {code}"})
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0 when every backend ran (whether or not it met its targets)."""
    args = _parser().parse_args(argv)
    if args.people < 10 or args.batch_size < 1 or args.sample < 1:
        raise SystemExit("--people must be at least 10, --batch-size and --sample at least 1")
    console = Console(stderr=True)
    # The driver logs every schema-lookup notice ("label does not exist") at WARNING.
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    info = machine()
    if args.backend == "both":
        results = _run_children(args, console)
    else:
        try:
            result = asyncio.run(run_backend(args, args.backend, console))
            results = [result.to_json()]
        except Exception as error:  # reported with its traceback, and the run fails
            console.print(traceback.format_exc(), markup=False, highlight=False)
            results = [{"backend": args.backend, "error": f"{type(error).__name__}: {error}"}]
    if args.out is not None:
        payload = {"machine": info, "results": results}
        args.out.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    if not args.no_table:
        render(results, info, Console())
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

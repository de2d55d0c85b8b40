"""What keeping tie strength costs at ingest, and how fast ties are read and rebuilt.

Run ``python -m bench.strength [--people 100000] [--neo4j-people 10000]
[--backend embedded|neo4j|both] [--out FILE]``.

Every write keeps each tie's decaying score current (:mod:`graph.domain.strength`): the shared
planner weighs each interaction and folds it into the batch's tie deltas
(:class:`graph.domain.batch.TieAccumulator`); the embedded store then folds the deltas into
its tie index (``graph.domain.batch.merge_tie``), the Neo4j store into the stored ones (the
score ``CASE`` expressions of ``cypher.MERGE_TIES``). For each backend, in one run, this prints:

1. **Ingest, strength maintenance on vs off.** The seeded synthetic network
   (:mod:`graph.samples.synth`; ``--people`` people for the embedded store, ``--neo4j-people`` for
   Neo4j, which ingests only about 8k interactions/s on the development machine) goes into two
   fresh stores in batches of ``--batch-size`` records: the network first, then the explicit
   interactions, as :mod:`bench.ingest` does. Each batch is applied to both stores in turn,
   alternating which goes first, so drifts in machine load hit both alike; only time inside
   :meth:`GraphStore.apply` counts. Target: maintenance adds at most 20 % to the time it takes
   to ingest the whole network (``time_on / time_off - 1``).
2. **strongestTies latency.** ``Insights(store).strongest_ties(Viewer.admin(), person,
   first=10)``, one call at a time, for ``--calls`` people drawn (seeded) among those with
   ties, after ``--warmup-calls`` uncounted calls, on the "on" store after ingest; the clock is
   pinned to the day after the network's last contact, and long-lived objects are frozen out of
   the garbage collector first, as the service does after start-up. p50 and p99. Targets: p50
   at most 5 ms embedded, 20 ms Neo4j. Secondary: the same calls with ``at=`` the middle of the
   network's time span, where ties are recomputed from each person's history.
3. **Full recompute**: every tie score rebuilt from the whole history. Embedded: the store is
   closed and opened with another strength model (half-life 30 days instead of 60), and
   ``open()`` is timed: it replays every interaction and checkpoints every tie (opening it
   once more with that model, from the checkpoint, is shown for comparison). Neo4j:
   ``await store.recompute_ties()``; should that fail (e.g. a transaction outliving the
   server's ``db.transaction.timeout``), the failure is printed and the server restarted on
   the same data without a timeout (Neo4j's own default) to time it again. The time is also
   scaled linearly to 1M interactions.

How maintenance is switched **off**, in this process only and only around the applies to the
"off" store (no product code changes): module attributes are replaced, then restored.
``StrengthModel.weight_of`` returns 0.0; ``combine_scores`` as :mod:`graph.domain.batch` and
the embedded store call it returns the scores unchanged, with the later of the two instants
(which a tie's ``last_at`` needs with or without scores); for Neo4j, ``cypher.MERGE_TIES`` is
replaced by a copy without its six score ``SET`` items, and the store's ``_tie_row`` by one that
leaves the scores out of the rows sent. What "off" still pays is small: three float fields
per tie delta set to zero, a no-op function call per pair, and (embedded) three columns of
zeros in tie checkpoints. So the overhead printed is, if anything, a slight underestimate.
After ingest the bench checks a few people: their ties in the "off" store carry no score and
the same counts as in the "on" store, whose scores equal ties recomputed from history.

Each Neo4j store is a throwaway server started here with :mod:`graph.adapters.neo4j.server`
(``--neo4j-heap``, ``--neo4j-pagecache``) and stopped before the bench ends; the "off" one as
soon as its ingest is checked. Data lives in a temporary directory removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import math
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any, Final, TypeVar

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

import graph.domain.batch
from bench._kit import machine, mib, percentile, spinner, unwind_on_sigterm, verdict
from bench.ingest import NETWORK_KINDS
from graph.domain.batch import TieDelta
from graph.domain.model import Interaction
from graph.domain.strength import StrengthModel
from graph.domain.ties import ties_from_history
from graph.ports import GraphStore
from graph.samples.synth import SyntheticNetwork, generate_network, network_batches
from graph.usecases.insights import Insights
from graph.usecases.viewer import Viewer

__all__ = ["MaintenanceSwitch", "main", "merge_ties_without_scores", "run_backend"]

T = TypeVar("T")

BACKENDS: Final = ("embedded", "neo4j")
TARGET_OVERHEAD: Final = 0.20
"""Strength maintenance may add at most this share to the time it takes to ingest."""
TARGET_P50_MS: Final = {"embedded": 5.0, "neo4j": 20.0}
"""Median latency of ``strongest_ties(first=10)`` per backend."""
REBUILD_MODEL: Final = StrengthModel(half_life=timedelta(days=30))
"""The model the full recompute switches to (the default half-life is 60 days)."""
SCALE_TO: Final = 1_000_000
"""Interactions the full recompute time is scaled to."""
FIRST: Final = 10
CHECKED_PEOPLE: Final = 5
"""People whose ties are checked after ingest: no score when off, history's score when on."""
PEOPLE_CHUNK: Final = 1_000
TIMEOUT_SETTING: Final = re.compile(r"^db\.transaction\.timeout=.*$", re.M)
NEO4J_NOTE: Final = (
    "Neo4j runs on a smaller network by default (--neo4j-people) because its ingest is about "
    "8k interactions/s on this machine: the 100k-person network takes about 8 minutes per "
    "store, and this bench fills two."
)


# -- switching strength maintenance off -----------------------------------------------------------


def _scores_untouched(
    scores: tuple[float, float, float],
    at: datetime,
    others: tuple[float, float, float],
    other_at: datetime,
    half_life: timedelta,
) -> tuple[tuple[float, float, float], datetime]:
    """Stand in for ``combine_scores``: no decay and no sum, just the later instant."""
    return scores, (other_at if other_at >= at else at)


def _no_weight(model: StrengthModel, interaction: Interaction) -> float:
    """Stand in for ``StrengthModel.weight_of``: every interaction weighs nothing."""
    return 0.0


_SCORE_ON_CREATE = re.compile(r"^  t\.score(?:_by_[ab])? = row\.score(?:_by_[ab])?,\n", re.M)
_SCORE_ON_MATCH = re.compile(r"^  t\.score(?:_by_[ab])? = CASE\n.*?^  END,\n", re.M | re.S)


def merge_ties_without_scores(merge_ties: str) -> str:
    """Return a copy of ``MERGE_TIES`` without the items that set the three scores.

    Raises ``RuntimeError`` if the statement no longer has the expected six score items, so a
    change to it cannot quietly turn this benchmark into a comparison of equals.

    >>> merge_ties_without_scores(
    ...     "ON CREATE SET\\n  t.score = row.score,\\n  t.score_by_a = row.score_by_a,\\n"
    ...     "  t.score_by_b = row.score_by_b,\\n  t.count = row.count\\n"
    ...     "ON MATCH SET\\n  t.score = CASE\\n    WHEN x THEN 1\\n  END,\\n"
    ...     "  t.score_by_a = CASE\\n  END,\\n  t.score_by_b = CASE\\n  END,\\n"
    ...     "  t.count = t.count + row.count\\n")
    'ON CREATE SET\\n  t.count = row.count\\nON MATCH SET\\n  t.count = t.count + row.count\\n'
    """
    without, created = _SCORE_ON_CREATE.subn("", merge_ties)
    without, matched = _SCORE_ON_MATCH.subn("", without)
    if created != 3 or matched != 3 or "score" in without:
        raise RuntimeError(
            "cypher.MERGE_TIES changed shape: cannot remove its score SET items "
            f"(found {created} on create, {matched} on match)"
        )
    return without


def _neo4j_tie_row_without_scores() -> Callable[[TieDelta], dict[str, Any]]:
    """Return the Neo4j store's ``_tie_row`` without the three score values."""
    from graph.adapters.neo4j import store as neo4j_store

    instant = neo4j_store._instant
    counter_of = neo4j_store._TIE_COUNTER_OF

    def tie_row(delta: TieDelta) -> dict[str, Any]:
        row: dict[str, Any] = {
            "a": delta.a,
            "b": delta.b,
            "first_at": instant(delta.first_at),
            "last_at": instant(delta.last_at),
            "count": delta.count,
            "initiated_by_a": delta.initiated_by_a,
            "initiated_by_b": delta.initiated_by_b,
        }
        for kind, count in delta.counts.items():
            if count:
                row[counter_of[kind]] = count
        return row

    return tie_row


@dataclass(slots=True)
class MaintenanceSwitch:
    """Module attributes to replace while strength maintenance is off, in this process."""

    replacements: list[tuple[object, str, object]] = field(default_factory=list)

    @classmethod
    def for_backend(cls, backend: str) -> MaintenanceSwitch:
        """Return the replacements that switch off score maintenance for ``backend``."""
        replacements: list[tuple[object, str, object]] = [
            (StrengthModel, "weight_of", _no_weight),
            (graph.domain.batch, "combine_scores", _scores_untouched),
        ]
        if backend == "embedded":
            from graph.adapters.embedded import store as embedded_store

            replacements.append((embedded_store, "combine_scores", _scores_untouched))
        else:
            from graph.adapters.neo4j import cypher
            from graph.adapters.neo4j import store as neo4j_store

            without = merge_ties_without_scores(cypher.MERGE_TIES)
            replacements.append((cypher, "MERGE_TIES", without))
            replacements.append((neo4j_store, "_tie_row", _neo4j_tie_row_without_scores()))
        for owner, name, _ in replacements:
            if not hasattr(owner, name):
                raise RuntimeError(f"{owner!r} has no attribute {name!r} to replace")
        return cls(replacements)

    def off(self) -> contextlib.AbstractContextManager[None]:
        """Replace the attributes for the duration of the block, then restore them."""
        return _replacing(self.replacements)


@contextlib.contextmanager
def _replacing(replacements: Sequence[tuple[object, str, object]]) -> Iterator[None]:
    """Set attributes of modules or classes for the duration of the block, then restore them."""
    originals = [getattr(owner, name) for owner, name, _ in replacements]
    for owner, name, replacement in replacements:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for (owner, name, _), original in zip(replacements, originals, strict=True):
            setattr(owner, name, original)


def _timed(work: Callable[..., Awaitable[T]], spent: list[float]) -> Callable[..., Awaitable[T]]:
    """Wrap a coroutine function so that each call adds its duration to ``spent``."""

    async def timed(*args: Any, **kwargs: Any) -> T:
        start = time.perf_counter()
        try:
            return await work(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    return timed


# -- measuring ------------------------------------------------------------------------------------


@dataclass(slots=True)
class PhaseTimes:
    """Apply time of one phase of the ingest, in the store that keeps scores and the other."""

    records: int = 0
    applies: int = 0
    interactions: int = 0
    """Interactions the phase stored (derived ones included)."""
    on_s: float = 0.0
    off_s: float = 0.0

    @property
    def overhead(self) -> float:
        """``time_on / time_off - 1``."""
        return self.on_s / self.off_s - 1 if self.off_s > 0 else 0.0


@dataclass(slots=True)
class IngestResult:
    """The two ingests of one network."""

    network: PhaseTimes = field(default_factory=PhaseTimes)
    interactions: PhaseTimes = field(default_factory=PhaseTimes)
    batch_ratios: list[float] = field(default_factory=list)
    """``on / off`` apply time of each batch."""

    @property
    def whole(self) -> PhaseTimes:
        """Both phases together: the whole network."""
        n, i = self.network, self.interactions
        return PhaseTimes(
            records=n.records + i.records,
            applies=n.applies + i.applies,
            interactions=n.interactions + i.interactions,
            on_s=n.on_s + i.on_s,
            off_s=n.off_s + i.off_s,
        )

    def to_json(self) -> dict[str, Any]:
        """Return the figures as plain values."""
        whole = self.whole

        def phase(p: PhaseTimes) -> dict[str, Any]:
            rates = {
                "on_records_per_s": p.records / p.on_s if p.on_s else 0.0,
                "off_records_per_s": p.records / p.off_s if p.off_s else 0.0,
                "on_interactions_per_s": p.interactions / p.on_s if p.on_s else 0.0,
                "off_interactions_per_s": p.interactions / p.off_s if p.off_s else 0.0,
            }
            return {**asdict(p), **rates, "overhead": p.overhead}

        return {
            "network": phase(self.network),
            "interactions": phase(self.interactions),
            "whole": phase(whole),
            "median_batch_overhead": (
                statistics.median(self.batch_ratios) - 1 if self.batch_ratios else 0.0
            ),
            "target": TARGET_OVERHEAD,
            "met": whole.overhead <= TARGET_OVERHEAD,
        }


async def ingest_twice(
    on: GraphStore,
    off: GraphStore,
    network: SyntheticNetwork,
    *,
    batch_size: int,
    switch: MaintenanceSwitch,
    progress: Progress,
    label: str,
) -> IngestResult:
    """Apply every batch of the network to both stores, alternating which goes first."""
    result = IngestResult()
    index = 0
    for name, kinds, phase in (
        ("network (all but interactions)", NETWORK_KINDS, result.network),
        ("interactions", frozenset({"interaction"}), result.interactions),
    ):
        task = progress.add_task(f"{label}: {name}, on and off", total=None, records=0)
        for batch in network_batches(network, batch_size, kinds=kinds):
            took = {}
            for maintained in (True, False) if index % 2 == 0 else (False, True):
                with contextlib.nullcontext() if maintained else switch.off():
                    start = time.perf_counter()
                    summary = await (on if maintained else off).apply(batch)
                    took[maintained] = time.perf_counter() - start
                if maintained:
                    created = summary.counts.get("interaction")
                    phase.interactions += created.created if created else 0
            phase.on_s += took[True]
            phase.off_s += took[False]
            phase.records += len(batch)
            phase.applies += 1
            if took[False] > 0:
                result.batch_ratios.append(took[True] / took[False])
            index += 1
            progress.update(task, records=phase.records)
        progress.remove_task(task)
    return result


async def _people_with_ties(
    store: GraphStore, network: SyntheticNetwork, wanted: int, seed: int
) -> list[str]:
    """Return ``wanted`` people who have ties, drawn in a seeded random order."""
    ids = [person.id for person in network.people()]
    random.Random(seed).shuffle(ids)
    chosen: list[str] = []
    for start in range(0, len(ids), PEOPLE_CHUNK):
        chunk = ids[start : start + PEOPLE_CHUNK]
        ties = await store.ties_of(chunk)
        chosen.extend(pid for pid in chunk if ties.get(pid))
        if len(chosen) >= wanted:
            break
    if not chosen:
        raise RuntimeError("nobody in the store has a tie")
    return [chosen[i % len(chosen)] for i in range(wanted)]


async def check_maintenance(on: GraphStore, off: GraphStore, people: Collection[str]) -> int:
    """Check that "off" kept ties without scores and "on" kept the scores history gives.

    Returns how many ties were checked; raises ``RuntimeError`` on the first mismatch.
    """
    checked = 0
    for pid in people:
        kept = (await on.ties_of([pid]))[pid]
        bare = {(t.a, t.b): t for t in (await off.ties_of([pid]))[pid]}
        expected = ties_from_history(await on.interactions_of(pid), on.model)
        for tie in kept:
            other = bare.get((tie.a, tie.b))
            want = expected.get((tie.a, tie.b))
            if other is None or want is None or other.count != tie.count:
                raise RuntimeError(f"the two stores hold different ties for {tie.a}-{tie.b}")
            if other.score or other.score_by_a or other.score_by_b:
                raise RuntimeError("the 'off' store has scores: maintenance was not switched off")
            if not math.isclose(tie.score, want.score, rel_tol=1e-9, abs_tol=1e-12):
                raise RuntimeError(
                    f"the 'on' store scores {tie.a}-{tie.b} {tie.score!r}, history "
                    f"{want.score!r}: switching maintenance off leaked into it"
                )
            if tie.score <= 0:
                raise RuntimeError(f"the 'on' store has no score for {tie.a}-{tie.b}")
            checked += 1
    return checked


async def measure_latency(
    store: GraphStore,
    people: list[str],
    *,
    now: datetime,
    at: datetime | None,
    warmup: int,
) -> dict[str, Any]:
    """Time ``strongest_ties(first=10)`` for each of ``people`` after ``warmup`` calls."""
    insights = Insights(store, clock=lambda: now)
    viewer = Viewer.admin()
    for pid in people[:warmup]:
        await insights.strongest_ties(viewer, pid, first=FIRST, at=at)
    samples: list[float] = []
    returned = 0
    for pid in people[warmup:]:
        start = time.perf_counter()
        found = await insights.strongest_ties(viewer, pid, first=FIRST, at=at)
        samples.append(time.perf_counter() - start)
        returned += len(found)
    ordered = sorted(samples)
    return {
        "calls": len(samples),
        "at": (now if at is None else at).isoformat(),
        "p50_ms": 1000 * percentile(ordered, 0.50),
        "p99_ms": 1000 * percentile(ordered, 0.99),
        "mean_ms": 1000 * statistics.fmean(ordered) if ordered else 0.0,
        "max_ms": 1000 * ordered[-1] if ordered else 0.0,
        "mean_returned": returned / len(samples) if samples else 0.0,
    }


async def _latencies(
    store: GraphStore, network: SyntheticNetwork, args: argparse.Namespace, backend: str
) -> dict[str, Any]:
    """Measure strongest_ties now and at a past moment, the service's way (objects frozen)."""
    people = await _people_with_ties(store, network, args.warmup_calls + args.calls, args.seed)
    ties = await store.ties_of(sorted(set(people[args.warmup_calls :])))
    begins = datetime.combine(network.start, time_of_day(), UTC)
    ends = datetime.combine(network.end, time_of_day(), UTC)
    past = begins + (ends - begins) / 2
    gc.collect()
    gc.freeze()
    try:
        now_figures = await measure_latency(
            store, people, now=ends, at=None, warmup=args.warmup_calls
        )
        past_figures = await measure_latency(
            store, people, now=ends, at=past, warmup=args.warmup_calls
        )
    finally:
        gc.unfreeze()
    target = TARGET_P50_MS[backend]
    return {
        **now_figures,
        "people": len(ties),
        "mean_ties": statistics.fmean(len(t) for t in ties.values()),
        "target_p50_ms": target,
        "met": now_figures["p50_ms"] <= target,
        "past": past_figures,
    }


def _recompute_json(seconds: float, interactions: int, ties: int) -> dict[str, Any]:
    return {
        "seconds": seconds,
        "interactions": interactions,
        "ties": ties,
        "per_million_s": seconds * SCALE_TO / interactions if interactions else 0.0,
        "extrapolated": interactions < SCALE_TO,
    }


# -- the backends ---------------------------------------------------------------------------------


async def _embedded_leg(
    args: argparse.Namespace,
    network: SyntheticNetwork,
    scratch: Path,
    console: Console,
    result: dict[str, Any],
) -> None:
    """Ingest twice, measure the reads on the "on" store, then rebuild it with another model."""
    from graph.adapters.embedded.store import EmbeddedStore

    switch = MaintenanceSwitch.for_backend("embedded")
    result["store"] = f"embedded (SQLite {sqlite3.sqlite_version}, networkx)"
    on_dir, off_dir = scratch / "on", scratch / "off"
    on = EmbeddedStore(on_dir)
    await on.open()
    try:
        off = EmbeddedStore(off_dir)
        await off.open()
        try:
            with spinner(console) as progress:
                ingest = await ingest_twice(
                    on,
                    off,
                    network,
                    batch_size=args.batch_size,
                    switch=switch,
                    progress=progress,
                    label="embedded",
                )
            result["ingest"] = ingest.to_json()
            _log_ingest(console, "embedded", ingest)
            sample = await _people_with_ties(on, network, CHECKED_PEOPLE, args.seed + 1)
            result["checked_ties"] = await check_maintenance(on, off, sample)
        finally:
            await off.close()
        del off
        shutil.rmtree(off_dir, ignore_errors=True)
        result["stored"] = await on.counts()
        result["latency"] = await _latencies(on, network, args, "embedded")
        _log_latency(console, "embedded", result["latency"])
    finally:
        await on.close()
    del on
    gc.collect()  # the closed store's graph must not weigh on the rebuild's collections
    rebuilt = EmbeddedStore(on_dir, model=REBUILD_MODEL)
    writing: list[float] = []
    checkpoint = _timed(EmbeddedStore._checkpoint_ties, writing)
    with _replacing([(EmbeddedStore, "_checkpoint_ties", checkpoint)]):
        start = time.perf_counter()
        await rebuilt.open()
        rebuild_s = time.perf_counter() - start
    try:
        counts = await rebuilt.counts()
    finally:
        await rebuilt.close()
    del rebuilt
    gc.collect()
    again = EmbeddedStore(on_dir, model=REBUILD_MODEL)
    start = time.perf_counter()
    await again.open()
    reopen_s = time.perf_counter() - start
    await again.close()
    result["recompute"] = {
        **_recompute_json(rebuild_s, counts["interaction"], counts["tie"]),
        "how": "close; open() with half-life 30 d (was 60 d)",
        "read_s": rebuild_s - sum(writing),
        "write_s": sum(writing),
        "plain_open_s": reopen_s,
        "as_shipped": "ok",
    }
    _log_recompute(console, "embedded", result["recompute"])


def _start_neo4j(
    home: Path, args: argparse.Namespace, console: Console, *, no_transaction_timeout: bool = False
) -> str:
    """Start a throwaway Neo4j server from ``home`` and return its URI.

    With ``no_transaction_timeout`` its ``neo4j.conf`` lifts the 30 s transaction timeout that
    :mod:`graph.adapters.neo4j.server` writes (by wrapping that module's ``_neo4j_conf`` in
    this process, for this start only).
    """
    from graph.adapters.neo4j import server

    console.log(
        f"neo4j: starting a throwaway Neo4j {server.NEO4J_VERSION} in {home} "
        f"(heap {args.neo4j_heap}, page cache {args.neo4j_pagecache}"
        + (", no transaction timeout)" if no_transaction_timeout else ")")
    )
    replacements: list[tuple[object, str, object]] = []
    if no_transaction_timeout:
        replacements.append((server, "_neo4j_conf", _without_timeout(server._neo4j_conf)))
    with _replacing(replacements):
        running = server.start(
            home=home,
            cache_dir=server.default_cache_dir(),
            auth=None,
            heap=args.neo4j_heap,
            pagecache=args.neo4j_pagecache,
            timeout_s=180.0,
        )
    return running.uri


def _without_timeout(render_conf: Callable[..., str]) -> Callable[..., str]:
    """Wrap the function that writes ``neo4j.conf`` so that transactions never time out."""

    def render(*args: Any, **kwargs: Any) -> str:
        text, found = TIMEOUT_SETTING.subn(
            "db.transaction.timeout=0s", render_conf(*args, **kwargs)
        )
        if found != 1:
            raise RuntimeError("neo4j.conf has no db.transaction.timeout line to replace")
        return text

    return render


@contextlib.contextmanager
def _neo4j_server(home: Path, args: argparse.Namespace, console: Console) -> Iterator[str]:
    """Start a throwaway Neo4j server from ``home``, yield its URI, stop it on the way out.

    Stops whichever server runs from ``home`` then, also one restarted in the block.
    """
    from graph.adapters.neo4j import server

    try:
        yield _start_neo4j(home, args, console)
    finally:
        if server.stop(home):
            console.log(f"neo4j: stopped the server in {home}")


@contextlib.asynccontextmanager
async def _neo4j_store(uri: str) -> AsyncIterator[GraphStore]:
    from graph.adapters.neo4j.store import Neo4jStore

    store = Neo4jStore(uri=uri, auth=None, database="neo4j")
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def _neo4j_leg(
    args: argparse.Namespace,
    network: SyntheticNetwork,
    scratch: Path,
    console: Console,
    result: dict[str, Any],
) -> None:
    """Ingest into two throwaway servers, then measure reads and the recompute on one."""
    from neo4j.exceptions import ClientError

    from graph.adapters.neo4j import server

    switch = MaintenanceSwitch.for_backend("neo4j")
    result["store"] = (
        f"Neo4j {server.NEO4J_VERSION} Community (started here, heap {args.neo4j_heap}, "
        f"page cache {args.neo4j_pagecache}; one server per store)"
    )
    with _neo4j_server(scratch / "on", args, console) as on_uri:
        async with _neo4j_store(on_uri) as on:
            with _neo4j_server(scratch / "off", args, console) as off_uri:
                async with _neo4j_store(off_uri) as off:
                    with spinner(console) as progress:
                        ingest = await ingest_twice(
                            on,
                            off,
                            network,
                            batch_size=args.batch_size,
                            switch=switch,
                            progress=progress,
                            label="neo4j",
                        )
                    result["ingest"] = ingest.to_json()
                    _log_ingest(console, "neo4j", ingest)
                    sample = await _people_with_ties(on, network, CHECKED_PEOPLE, args.seed + 1)
                    result["checked_ties"] = await check_maintenance(on, off, sample)
            shutil.rmtree(scratch / "off", ignore_errors=True)
            result["stored"] = await on.counts()
            result["latency"] = await _latencies(on, network, args, "neo4j")
            _log_latency(console, "neo4j", result["latency"])
            start = time.perf_counter()
            as_shipped = "ok"
            try:
                recompute = await _recompute_neo4j(on)
            except ClientError as error:
                if "TransactionTimedOut" not in (error.code or ""):
                    raise
                # Servers from graph.adapters.neo4j.server end transactions after 30 s, while
                # Neo4j's own default is no limit: measure that way too, on the same data.
                as_shipped = (
                    f"failed after {time.perf_counter() - start:.1f} s: transaction timed out "
                    f"({str(error.code).rsplit('.', 1)[-1]}; db.transaction.timeout=30s, as "
                    "graph.adapters.neo4j.server configures it)"
                )
                console.log(f"neo4j: recompute_ties() {as_shipped}; again without the timeout")
                await on.close()
                server.stop(scratch / "on")
                uri = _start_neo4j(scratch / "on", args, console, no_transaction_timeout=True)
                async with _neo4j_store(uri) as restarted:
                    recompute = await _recompute_neo4j(restarted)
            result["recompute"] = {
                **_recompute_json(
                    recompute["seconds"], result["stored"]["interaction"], int(recompute["ties"])
                ),
                "read_s": recompute["read_s"],
                "write_s": recompute["write_s"],
                "as_shipped": as_shipped,
                "how": "await store.recompute_ties()",
                "plain_open_s": None,
            }
            _log_recompute(console, "neo4j", result["recompute"])


async def _recompute_neo4j(store: GraphStore) -> dict[str, float]:
    """Time ``recompute_ties()``. On Neo4j the same statements read, fold and write the history
    on the server, so all of it counts as reading and folding."""
    from graph.adapters.neo4j.store import Neo4jStore

    assert isinstance(store, Neo4jStore)
    start = time.perf_counter()
    ties = await store.recompute_ties()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "ties": ties, "read_s": seconds, "write_s": 0.0}


async def run_backend(
    args: argparse.Namespace, backend: str, scratch: Path, console: Console
) -> dict[str, Any]:
    """Measure one backend: ingest on and off, strongestTies latency, full recompute."""
    people = args.people if backend == "embedded" else args.neo4j_people
    began = time.perf_counter()
    network = generate_network(people=people, seed=args.seed)
    result: dict[str, Any] = {
        "backend": backend,
        "people": people,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "network": repr(network),
    }
    console.log(f"{backend}: {network!r}")
    leg = _embedded_leg if backend == "embedded" else _neo4j_leg
    await leg(args, network, scratch, console, result)
    result["elapsed_s"] = time.perf_counter() - began
    return result


def _log_ingest(console: Console, backend: str, ingest: IngestResult) -> None:
    whole = ingest.whole
    console.log(
        f"{backend}: ingested {whole.records:,} records twice: on {whole.on_s:.1f} s, "
        f"off {whole.off_s:.1f} s in apply ({whole.overhead:+.1%})"
    )


def _log_latency(console: Console, backend: str, latency: dict[str, Any]) -> None:
    console.log(
        f"{backend}: strongest_ties p50 {latency['p50_ms']:.2f} ms, p99 {latency['p99_ms']:.2f} "
        f"ms; at a past moment p50 {latency['past']['p50_ms']:.2f} ms"
    )


def _log_recompute(console: Console, backend: str, recompute: dict[str, Any]) -> None:
    console.log(
        f"{backend}: recomputed {recompute['ties']:,} ties from {recompute['interactions']:,} "
        f"interactions in {recompute['seconds']:.1f} s"
    )


# -- reporting ------------------------------------------------------------------------------------


def _machine_line(info: dict[str, Any]) -> str:
    return (
        f"{info.get('nproc')} CPUs ({info.get('cpu', '?')}), {mib(info.get('memory_bytes'))} "
        f"RAM, Python {info['python']}, SQLite {info['sqlite']}, {info['platform']}"
    )


def _secs(s: float) -> str:
    return f"{s:,.1f} s" if s >= 1 else f"{1000 * s:,.0f} ms"


def render(results: list[dict[str, Any]], info: dict[str, Any], console: Console) -> None:
    """Print the three figures with a column per backend, then the targets PASS or MISS."""
    machine_line = _machine_line(info)
    done = [r for r in results if "error" not in r]
    for r in results:
        if "error" in r:
            console.print(f"[bold red]{r['backend']}: {r['error']}[/]")
    if not done:
        return

    def table(title: str) -> Table:
        t = Table(title=f"{title}\n{machine_line}", title_justify="left")
        t.add_column("")
        for r in done:
            t.add_column(f"{r['backend']}, {r['people']:,} people", justify="right")
        return t

    def row(t: Table, label: str, cell: Callable[[dict[str, Any]], str]) -> None:
        t.add_row(label, *(cell(r) for r in done))

    ingest = table("1. Ingest with strength maintenance on vs off (same network, same batches)")
    row(ingest, "store", lambda r: r["store"])
    row(ingest, "batch size", lambda r: f"{r['batch_size']:,} records")
    row(
        ingest,
        "whole network: records / interactions stored",
        lambda r: f"{r['ingest']['whole']['records']:,} / {r['ingest']['whole']['interactions']:,}",
    )

    def rate(phase: str, side: str) -> Callable[[dict[str, Any]], str]:
        def cell(r: dict[str, Any]) -> str:
            p = r["ingest"][phase]
            return f"{p[f'{side}_interactions_per_s']:,.0f}/s ({_secs(p[f'{side}_s'])})"

        return cell

    row(ingest, "[bold]whole network, on[/]: interactions/s", rate("whole", "on"))
    row(ingest, "[bold]whole network, off[/]: interactions/s", rate("whole", "off"))
    row(
        ingest,
        "[bold]overhead[/] time_on / time_off - 1",
        lambda r: (
            f"{r['ingest']['whole']['overhead']:+.1%} {verdict(r['ingest']['met'])} "
            f"(≤ {TARGET_OVERHEAD:.0%})"
        ),
    )
    row(ingest, "interactions phase, on: interactions/s", rate("interactions", "on"))
    row(ingest, "interactions phase, off: interactions/s", rate("interactions", "off"))
    row(
        ingest,
        "  overhead, interactions phase",
        lambda r: f"{r['ingest']['interactions']['overhead']:+.1%}",
    )
    row(
        ingest,
        "  overhead, network phase",
        lambda r: f"{r['ingest']['network']['overhead']:+.1%}",
    )
    row(
        ingest,
        "  median over batches of on/off - 1",
        lambda r: f"{r['ingest']['median_batch_overhead']:+.1%}",
    )
    row(
        ingest,
        "  ties stored / checked after ingest",
        lambda r: f"{r['stored']['tie']:,} / {r['checked_ties']:,} ok",
    )
    console.print(ingest)
    console.print(
        "Interactions/s: interactions stored (given and derived from meetings, breakouts and "
        "side conversations) per second inside GraphStore.apply; the interactions phase is the "
        "explicit interactions alone, as in bench.ingest. Each batch went to both stores in "
        "turn, alternating which went first. 'Off' replaces the weight and score functions "
        "(and for Neo4j the score SET items of MERGE_TIES) in the bench process only."
    )
    if any(r["backend"] == "neo4j" for r in done):
        console.print(NEO4J_NOTE)

    latency = table(f"2. strongestTies latency: strongest_ties(Viewer.admin(), p, first={FIRST})")

    def ms(key: str, past: bool = False) -> Callable[[dict[str, Any]], str]:
        def cell(r: dict[str, Any]) -> str:
            figures = r["latency"]["past"] if past else r["latency"]
            return f"{figures[key]:.2f} ms"

        return cell

    row(latency, "calls (after warm-up)", lambda r: f"{r['latency']['calls']:,}")
    row(
        latency,
        "people / their mean ties",
        lambda r: f"{r['latency']['people']:,} / {r['latency']['mean_ties']:.1f}",
    )
    row(
        latency,
        "[bold]p50, now[/]",
        lambda r: (
            f"{r['latency']['p50_ms']:.2f} ms {verdict(r['latency']['met'])} "
            f"(≤ {r['latency']['target_p50_ms']:g} ms)"
        ),
    )
    row(latency, "p99, now", ms("p99_ms"))
    row(
        latency,
        "mean / max, now",
        lambda r: f"{r['latency']['mean_ms']:.2f} / {r['latency']['max_ms']:.2f} ms",
    )
    row(latency, "  'now' (clock pinned)", lambda r: r["latency"]["at"][:10])
    row(latency, "p50, at= a past moment", ms("p50_ms", past=True))
    row(latency, "p99, at= a past moment", ms("p99_ms", past=True))
    row(
        latency,
        "  past moment (recomputes from history)",
        lambda r: r["latency"]["past"]["at"][:10],
    )
    console.print(latency)
    console.print(
        "One call at a time from this process, after a warm-up; objects frozen out of the "
        "garbage collector first, as the service does. At a past moment, ties that have "
        "contact after it are recomputed from the person's history."
    )

    recompute = table("3. Full recompute of every tie score from the whole history")
    row(recompute, "how", lambda r: r["recompute"]["how"])
    row(
        recompute,
        "interactions / ties",
        lambda r: f"{r['recompute']['interactions']:,} / {r['recompute']['ties']:,}",
    )
    row(recompute, "as shipped", lambda r: r["recompute"]["as_shipped"])
    row(
        recompute,
        "[bold]time[/]",
        lambda r: (
            _secs(r["recompute"]["seconds"])
            + ("" if r["recompute"]["as_shipped"] == "ok" else " (no transaction timeout)")
        ),
    )
    row(
        recompute,
        "  reading and folding history / writing ties",
        lambda r: f"{_secs(r['recompute']['read_s'])} / {_secs(r['recompute']['write_s'])}",
    )
    row(
        recompute,
        "[bold]per 1M interactions[/]",
        lambda r: (
            f"{_secs(r['recompute']['per_million_s'])} "
            + ("(linear extrapolation)" if r["recompute"]["extrapolated"] else "(scaled linearly)")
        ),
    )
    row(
        recompute,
        "plain open with that model (checkpoint)",
        lambda r: (
            _secs(r["recompute"]["plain_open_s"])
            if r["recompute"]["plain_open_s"] is not None
            else "-"
        ),
    )
    console.print(recompute)
    console.print(
        "Reading and folding: Neo4j, the read transaction that streams every interaction into "
        "a TieAccumulator; embedded, open() minus the checkpoint that writes every tie. "
        f"Per 1M interactions: the time scaled linearly by {SCALE_TO:,} / interactions."
    )

    summary = Table(title=f"Summary\n{machine_line}", title_justify="left")
    for name in ("target", "backend", "result", ""):
        summary.add_column(name)
    for r in done:
        summary.add_row(
            f"strength maintenance adds ≤ {TARGET_OVERHEAD:.0%} to ingest time",
            f"{r['backend']}, {r['people']:,} people",
            f"{r['ingest']['whole']['overhead']:+.1%}",
            verdict(r["ingest"]["met"]),
        )
    for r in done:
        summary.add_row(
            f"strongestTies p50 ≤ {r['latency']['target_p50_ms']:g} ms",
            r["backend"],
            f"{r['latency']['p50_ms']:.2f} ms (p99 {r['latency']['p99_ms']:.2f} ms)",
            verdict(r["latency"]["met"]),
        )
    for r in done:
        summary.add_row(
            "full recompute (no target)",
            r["backend"],
            f"{_secs(r['recompute']['per_million_s'])} per 1M interactions"
            + ("" if r["recompute"]["as_shipped"] == "ok" else "; as shipped: failed (timeout)"),
            "-",
        )
    console.print(summary)
    elapsed = " + ".join(f"{r['backend']} {r['elapsed_s'] / 60:.1f} min" for r in done)
    total = sum(r["elapsed_s"] for r in done) / 60
    console.print(f"Run time: {elapsed} = {total:.1f} min.")


# -- the command ----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.strength", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--people", type=int, default=100_000, help="people in the embedded store's network"
    )
    parser.add_argument(
        "--neo4j-people", type=int, default=10_000, help="people in the Neo4j store's network"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the network and samples")
    parser.add_argument(
        "--backend", choices=(*BACKENDS, "both"), default="both", help="store(s) to measure"
    )
    parser.add_argument("--batch-size", type=int, default=10_000, help="records per apply")
    parser.add_argument("--calls", type=int, default=500, help="strongest_ties calls timed")
    parser.add_argument("--warmup-calls", type=int, default=50, help="calls before timing")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--neo4j-heap", default="2g", help="heap of each Neo4j started here")
    parser.add_argument(
        "--neo4j-pagecache", default="1g", help="page cache of each Neo4j started here"
    )
    return parser


def _run_one(args: argparse.Namespace, backend: str, console: Console) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix=f"tiegraph-bench-strength-{backend}-"))
    try:
        return asyncio.run(run_backend(args, backend, scratch, console))
    except Exception as error:  # reported with its traceback; the run fails
        console.print(traceback.format_exc(), markup=False, highlight=False)
        return {"backend": backend, "error": f"{type(error).__name__}: {error}"}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0 when every backend ran (whether or not it met its targets)."""
    args = _parser().parse_args(argv)
    if min(args.people, args.neo4j_people) < 10 or args.batch_size < 1:
        raise SystemExit("--people and --neo4j-people must be at least 10, --batch-size 1")
    if args.calls < 1 or args.warmup_calls < 0:
        raise SystemExit("--calls must be at least 1 and --warmup-calls at least 0")
    console = Console(stderr=True)
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    began = time.perf_counter()
    try:
        with unwind_on_sigterm():
            info = machine()
            backends = BACKENDS if args.backend == "both" else (args.backend,)
            results = [_run_one(args, backend, console) for backend in backends]
    except KeyboardInterrupt:
        console.print("interrupted: the servers were stopped and the temporary files removed")
        return 130
    console.log(f"done in {(time.perf_counter() - began) / 60:.1f} min")
    if args.out is not None:
        payload = {"machine": info, "results": results}
        args.out.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    out = Console()
    if not out.is_terminal:
        out = Console(width=160)
    render(results, info, out)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

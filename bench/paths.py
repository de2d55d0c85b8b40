"""How fast introduction paths are found, against the obvious ways of finding them.

Run ``python -m bench.paths [--people 10000 100000] [--backend embedded|neo4j|both]
[--million] [--out FILE]``; ``python -m bench.paths --dense [...]`` runs
:mod:`bench.dense_paths` instead (Neo4j, a dense power-law network, over HTTP), and
``python -m bench.paths --embedded [--million] [...]`` runs :mod:`bench.embedded_paths`
(the embedded store on a dense or a million-people network, over HTTP and in process, against
naive networkx).

For each network size (``--people``; ``--million`` adds 1,000,000 people, embedded store only)
and backend, on one fresh store holding the seeded synthetic network (:mod:`graph.samples.synth`,
ingested once, in batches of ``--batch-size`` records through :meth:`GraphStore.apply`):

1. **Pairs.** Two people at a time are drawn (seeded) among the people who have ties, and
   sorted by ``store.distance(a, b, limit=3)`` (not timed) into *reachable* pairs (a path of at
   most 3 hops exists) and *unreachable* ones (none does), ``--pairs`` of each kind to time and
   ``--warmup`` more of each kind to warm up with. Both stores hold the same graph, so for
   the same seed they draw the same pairs; when both run, the Neo4j leg reuses the pairs of the
   embedded leg of the same size.
2. **Ours.** ``store.introduction_paths(a, b, max_hops=3, first=5,
   strategy=Strategy.STRONGEST, min_link_strength=0.0, at=now)``, one call at a time after the
   warm-up calls, with ``now`` pinned to the day after the network's last contact and
   long-lived objects frozen out of the garbage collector first, as the service does. p50, p99
   and max per kind of pair.
3. **Baselines**, in the same run, on the same graph and pairs:

   a. *Naive Cypher* (Neo4j): ``MATCH p = (a)-[:TIE*..3]-(b)`` between the two people found by
      id, every path kept whose intermediaries consent (as ours does; the synthetic network has
      no blocks), each ranked by the product of the same link strengths
      (``cypher.link_strength_of("r")`` with the parameters ``Neo4jStore.introduction_paths``
      passes), ``ORDER BY score DESC LIMIT 5``. Each query runs in its own auto-commit
      transaction with a client-side timeout of ``--naive-timeout`` seconds
      (``neo4j.Query(text, timeout=...)``; the server checks timeouts every couple of
      seconds, so a query cut at 10 s ends 10 to 12 s in); timeouts are counted and enter the
      figures at the time they took (so the baseline's figures are then lower bounds).
   b. *Yen* (Python): :func:`networkx.shortest_simple_paths` on the embedded store's in-memory
      tie graph with edge weight ``-log(link strength)`` (computed lazily, once per tie per
      search, by :func:`graph.domain.relationship.link_strength`; ties into people who refuse
      to be intermediaries hidden), taking paths in order until 5 of at most 3 hops were found,
      the generator ran out, or a cap was hit (``--yen-cap-s`` seconds, ``--yen-cap-paths``
      paths looked at). Yen's search is not bounded by hops, so it is slow; it runs on the
      first ``--yen-pairs`` timed pairs of each kind. The Neo4j leg compares against the
      embedded leg's Yen figures of the same size (same network, same pairs) when there is one.

   Each baseline's top path is compared with ours on every pair it answered: the same path,
   or another path of the same score (a tie in score), counts as agreement. Ratios are
   ``baseline p50 / ours p50`` over the same pairs.

Targets, printed PASS or MISS: at least 20x faster than the naive Cypher at p50 (Neo4j), at
least 10x faster than Yen at p50 (embedded), ours never times out where the naive query does,
and p50 at most 5 ms embedded and 25 ms on Neo4j at 100,000 people.

Each Neo4j store is a throwaway server started with :mod:`graph.adapters.neo4j.server`
(``--neo4j-heap``, ``--neo4j-pagecache``), filled once and stopped as soon as its leg ends.
After timing, the Neo4j leg also prints what the latencies rest on: the p50 of
``store.ping()`` (a trivial managed read, the round-trip floor under every query); the db
hits of ours and of the naive query under ``PROFILE`` on the first ``--profile-pairs`` pairs
of each kind; and the whole ``PROFILE`` of ``introduction_paths_query(3)`` (rows and db hits per
operator) on a pair ours is slow on: of the five slowest pairs timed, the one with the highest
median of three more calls. Data lives in a temporary directory removed at the end. Peak
memory: this process's maximum resident set (``resource.getrusage``), which only grows through
a run, and the Neo4j server's own peak from ``/proc``.

The default run (both backends, 10k and 100k people) takes about 17 minutes on the development
machine: Neo4j ingests the 100k-person network (2.8M interactions) once, in about 6.5 minutes,
and Yen spends up to ``--yen-cap-s`` on each of its pairs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import itertools
import json
import logging
import math
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from datetime import time as time_of_day
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, LiteralString

from rich.console import Console
from rich.table import Table

from bench._kit import machine, mib, percentile, rss_of, spinner, unwind_on_sigterm, verdict
from bench.ingest import _max_rss_bytes
from graph.adapters.neo4j import cypher
from graph.domain.paths import Strategy
from graph.domain.relationship import link_strength
from graph.domain.strength import StrengthModel
from graph.ports import GraphStore
from graph.samples.synth import SyntheticNetwork, generate_network, network_batches

if TYPE_CHECKING:
    import neo4j

    from graph.adapters.embedded.store import EmbeddedStore

__all__ = ["NAIVE_PATHS", "Answer", "Pair", "main", "naive_answer", "yen_answer"]

BACKENDS: Final = ("embedded", "neo4j")
KINDS: Final = ("reachable", "unreachable")
MAX_HOPS: Final = 3
FIRST: Final = 5
MILLION: Final = 1_000_000
TARGET_NAIVE_RATIO: Final = 20.0
"""Ours must be this many times faster than the naive Cypher at p50 (Neo4j)."""
TARGET_YEN_RATIO: Final = 10.0
"""Ours must be this many times faster than Yen's k shortest paths at p50 (embedded)."""
TARGET_P50_MS: Final = {"embedded": 5.0, "neo4j": 25.0}
TARGET_PEOPLE: Final = 100_000
"""The network size the latency targets apply to."""
DATABASE: Final = "neo4j"
SCORE_TOLERANCE: Final = 1e-9
"""Relative difference under which two path scores count as equal (the stores round to 12
significant digits)."""

NAIVE_PATHS: Final[LiteralString] = (
    """
MATCH (a:Person {id: $source}), (b:Person {id: $target})
MATCH p = (a)-[:TIE*..3]-(b)
WHERE all(n IN nodes(p)[1..-1] WHERE coalesce(n.intermediary, true))
WITH p, [r IN relationships(p) | """
    + cypher.link_strength_of("r")
    + """] AS links
WHERE all(l IN links WHERE l >= $min_strength)
WITH p, links, reduce(acc = 1.0, l IN links | acc * l) AS score
RETURN [n IN nodes(p) | n.id] AS ids, links, score
ORDER BY score DESC
LIMIT $first
"""
)
"""The naive query: enumerate every path of up to 3 ties, score each, sort them all."""

PEOPLE_WITH_TIES: Final[LiteralString] = """
MATCH (p:Person)
WHERE EXISTS { (p)-[:TIE]-(:Person) }
RETURN p.id AS id
ORDER BY id
"""

DEGREES: Final[LiteralString] = """
UNWIND $ids AS id
MATCH (p:Person {id: id})
RETURN id, COUNT { (p)-[:TIE]-(:Person) } AS degree
"""


# -- pairs ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pair:
    """Two people to search a path between, and how many hops apart they are (``None``: more
    than :data:`MAX_HOPS`)."""

    source: str
    target: str
    hops: int | None


@dataclass(slots=True)
class PairSample:
    """The pairs of one network: per kind, those to warm up with and those to time."""

    warmup: dict[str, list[Pair]]
    timed: dict[str, list[Pair]]
    drawn: int
    """Pairs drawn (and classified) to fill both kinds."""
    people: int
    """People with ties, among whom pairs are drawn."""
    seconds: float

    def fingerprint(self) -> str:
        """A short digest of the timed pairs, to show two legs timed the same ones."""
        text = "|".join(f"{p.source}>{p.target}" for kind in KINDS for p in self.timed[kind])
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_json(self) -> dict[str, Any]:
        """Return how the pairs were drawn, as plain values."""
        hops: dict[str, int] = {}
        for pair in self.timed["reachable"]:
            hops[str(pair.hops)] = hops.get(str(pair.hops), 0) + 1
        return {
            "timed": {kind: len(self.timed[kind]) for kind in KINDS},
            "warmup": {kind: len(self.warmup[kind]) for kind in KINDS},
            "drawn": self.drawn,
            "people_with_ties": self.people,
            "seconds": self.seconds,
            "reachable_hops": dict(sorted(hops.items())),
            "fingerprint": self.fingerprint(),
        }


async def sample_pairs(
    people: Sequence[str],
    distance: Callable[[str, str], Awaitable[int | None]],
    *,
    warmup: int,
    timed: int,
    seed: int,
) -> PairSample:
    """Draw pairs of different people until each kind has ``warmup + timed`` of them.

    Stops drawing after ``1,000 * (warmup + timed)`` pairs, with whatever was found (a small
    network may have few unreachable pairs).
    """
    began = time.perf_counter()
    wanted = warmup + timed
    rng = random.Random(seed)
    found: dict[str, list[Pair]] = {kind: [] for kind in KINDS}
    seen: set[tuple[str, str]] = set()
    drawn = 0
    while min(len(found[k]) for k in KINDS) < wanted and drawn < 1_000 * wanted:
        source, target = rng.sample(people, 2)
        drawn += 1
        if (source, target) in seen:
            continue
        seen.add((source, target))
        hops = await distance(source, target)
        kind = "unreachable" if hops is None else "reachable"
        if len(found[kind]) < wanted:
            found[kind].append(Pair(source, target, hops))
    return PairSample(
        warmup={kind: found[kind][:warmup] for kind in KINDS},
        timed={kind: found[kind][warmup:] for kind in KINDS},
        drawn=drawn,
        people=len(people),
        seconds=time.perf_counter() - began,
    )


# -- answers and their figures --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """One timed search: how long it took and the best path it found."""

    seconds: float
    top: tuple[str, ...] | None
    score: float | None
    paths: int
    cut: str = ""
    """Why a baseline stopped before it finished ("timeout", "time cap", "path cap"), or ""."""
    looked_at: int = 0
    """Yen: paths the generator yielded (of any length)."""


def figures(answers: Sequence[Answer]) -> dict[str, Any]:
    """Return p50, p99, max and mean in milliseconds, and how many answers were cut short."""
    ordered = sorted(a.seconds for a in answers)
    cuts: dict[str, int] = {}
    for a in answers:
        if a.cut:
            cuts[a.cut] = cuts.get(a.cut, 0) + 1
    return {
        "n": len(answers),
        "p50_ms": 1000 * percentile(ordered, 0.50),
        "p99_ms": 1000 * percentile(ordered, 0.99),
        "max_ms": 1000 * ordered[-1] if ordered else 0.0,
        "mean_ms": 1000 * sum(ordered) / len(ordered) if ordered else 0.0,
        "cut": sum(cuts.values()),
        "cuts": cuts,
        "mean_paths": sum(a.paths for a in answers) / len(answers) if answers else 0.0,
        "answered": sum(1 for a in answers if a.top is not None),
    }


def agreement(ours: Sequence[Answer], theirs: Sequence[Answer]) -> dict[str, Any]:
    """Compare top paths pair by pair: the same path, or one of the same score, agrees.

    A baseline cut short without a path is not checked: it does not know the answer.
    """
    same_path = same_score = differ = unchecked = 0
    examples: list[str] = []
    for mine, other in zip(ours, theirs, strict=True):
        if other.top is None and other.cut:
            unchecked += 1
        elif mine.top == other.top:
            same_path += 1
        elif (
            mine.score is not None
            and other.score is not None
            and math.isclose(mine.score, other.score, rel_tol=SCORE_TOLERANCE)
        ):
            same_score += 1
        else:
            differ += 1
            if len(examples) < 3:
                examples.append(
                    f"ours {mine.top} ({mine.score}), baseline {other.top} ({other.score})"
                )
    checked = same_path + same_score + differ
    return {
        "checked": checked,
        "same_path": same_path,
        "same_score": same_score,
        "differ": differ,
        "unchecked": unchecked,
        "agree": same_path + same_score,
        "examples": examples,
    }


def ratio(baseline: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """``baseline p50 / ours p50``; a lower bound when the baseline was cut short anywhere."""
    value = baseline["p50_ms"] / ours["p50_ms"] if ours["p50_ms"] > 0 else 0.0
    return {"value": value, "lower_bound": baseline["cut"] > 0}


def _ratio_text(r: dict[str, Any]) -> str:
    return f"{'≥ ' if r['lower_bound'] else ''}{r['value']:,.1f}x"


# -- searching ------------------------------------------------------------------------------------


async def time_ours(store: GraphStore, pairs: Sequence[Pair], *, at: datetime) -> list[Answer]:
    """Time ``introduction_paths`` for each pair, one call at a time."""
    answers = []
    for pair in pairs:
        start = time.perf_counter()
        paths = await store.introduction_paths(
            pair.source,
            pair.target,
            max_hops=MAX_HOPS,
            first=FIRST,
            strategy=Strategy.STRONGEST,
            min_link_strength=0.0,
            at=at,
        )
        took = time.perf_counter() - start
        best = paths[0] if paths else None
        answers.append(
            Answer(
                took,
                None if best is None else best.people,
                None if best is None else best.score,
                len(paths),
            )
        )
    return answers


def yen_answer(
    store: EmbeddedStore,
    pair: Pair,
    *,
    at: datetime,
    cap_s: float,
    cap_paths: int,
) -> Answer:
    """Yen's k shortest simple paths by ``-log(link strength)``, until 5 short ones or a cap.

    Yen yields paths in order of total weight, i.e. of falling score, so the first path of at
    most :data:`MAX_HOPS` it yields is the best one, even when a cap stops it later.
    """
    import networkx as nx

    graph = store.tie_graph()
    refusing = store._refusing
    model = store.model
    ends = (pair.source, pair.target)
    strengths: dict[tuple[str, str], float] = {}

    def strength_of(u: str, v: str, data: Any) -> float:
        key = (u, v) if u < v else (v, u)
        found = strengths.get(key)
        if found is None:
            found = strengths[key] = link_strength(data["tie"], at, model)
        return found

    def weight(u: str, v: str, data: Any) -> float | None:
        if (u in refusing and u not in ends) or (v in refusing and v not in ends):
            return None  # not an intermediary: hide the tie
        s = strength_of(u, v, data)
        return -math.log(s) if s > 0 else None

    found: list[tuple[str, ...]] = []
    looked_at = 0
    cut = ""
    start = time.perf_counter()
    try:
        for path in nx.shortest_simple_paths(graph, pair.source, pair.target, weight=weight):
            looked_at += 1
            if len(path) - 1 <= MAX_HOPS:
                found.append(tuple(path))
                if len(found) == FIRST:
                    break
            if looked_at >= cap_paths:
                cut = "path cap"
                break
            if time.perf_counter() - start >= cap_s:
                cut = "time cap"
                break
    except nx.NetworkXNoPath:
        pass
    took = time.perf_counter() - start
    top = found[0] if found else None
    score = (
        None
        if top is None
        else math.prod(strength_of(u, v, graph.adj[u][v]) for u, v in itertools.pairwise(top))
    )
    return Answer(took, top, score, len(found), cut=cut, looked_at=looked_at)


def path_parameters(model: StrengthModel, at: datetime) -> dict[str, Any]:
    """The parameters ``Neo4jStore.introduction_paths`` passes, for these searches (the two
    people are set per pair)."""
    from graph.adapters.neo4j.store import introduction_path_parameters

    return {
        "max_hops": MAX_HOPS,
        **introduction_path_parameters(
            model,
            source="",
            target="",
            first=FIRST,
            strategy=Strategy.STRONGEST,
            min_link_strength=0.0,
            at=at,
        ),
    }


async def naive_answer(
    driver: neo4j.AsyncDriver, parameters: dict[str, Any], pair: Pair, *, timeout_s: float
) -> Answer:
    """Run the naive query for one pair in its own transaction, cut at ``timeout_s``."""
    import neo4j
    from neo4j.exceptions import ClientError

    start = time.perf_counter()
    try:
        async with driver.session(
            database=DATABASE, default_access_mode=neo4j.READ_ACCESS
        ) as session:
            result = await session.run(
                neo4j.Query(NAIVE_PATHS, timeout=timeout_s),
                {**parameters, "source": pair.source, "target": pair.target},
            )
            rows = [row async for row in result]
    except ClientError as error:
        if "TransactionTimedOut" not in (error.code or ""):
            raise
        return Answer(time.perf_counter() - start, None, None, 0, cut="timeout")
    took = time.perf_counter() - start
    best = rows[0] if rows else None
    return Answer(
        took,
        None if best is None else tuple(best["ids"]),
        None if best is None else float(best["score"]),
        len(rows),
    )


async def profile_query(
    driver: neo4j.AsyncDriver,
    query: LiteralString,
    parameters: dict[str, Any],
    pair: Pair,
    *,
    timeout_s: float,
) -> dict[str, Any] | None:
    """PROFILE a path query for one pair: rows and db hits of every operator (``None`` if it
    timed out)."""
    import neo4j
    from neo4j.exceptions import ClientError

    try:
        async with driver.session(
            database=DATABASE, default_access_mode=neo4j.READ_ACCESS
        ) as session:
            start = time.perf_counter()
            result = await session.run(
                neo4j.Query("PROFILE " + query, timeout=timeout_s),
                {**parameters, "source": pair.source, "target": pair.target},
            )
            rows = [row async for row in result]
            summary = await result.consume()
            took = time.perf_counter() - start
    except ClientError as error:
        if "TransactionTimedOut" not in (error.code or ""):
            raise
        return None
    operators: list[dict[str, Any]] = []

    def walk(plan: dict[str, Any], depth: int) -> None:
        arguments = plan.get("args") or {}
        operators.append(
            {
                "depth": depth,
                "operator": str(plan.get("operatorType", "?")).split("@")[0],
                "details": str(arguments.get("Details", "")),
                "rows": int(plan.get("rows", 0) or 0),
                "db_hits": int(plan.get("dbHits", 0) or 0),
                "page_cache_misses": int(plan.get("pageCacheMisses", 0) or 0),
            }
        )
        for child in plan.get("children", []):
            walk(child, depth + 1)

    if summary.profile is not None:
        walk(summary.profile, 0)
    return {
        "paths": len(rows),
        "seconds": took,
        "db_hits": sum(op["db_hits"] for op in operators),
        "operators": operators,
    }


async def degrees_of(driver: neo4j.AsyncDriver, people: Sequence[str]) -> list[int]:
    """Return how many ties each person has."""
    async with driver.session(database=DATABASE) as session:
        result = await session.run(DEGREES, {"ids": list(people)})
        found = {row["id"]: int(row["degree"]) async for row in result}
    return [found.get(person, 0) for person in people]


async def compare_db_hits(
    driver: neo4j.AsyncDriver,
    parameters: dict[str, Any],
    pairs: Sequence[Pair],
    *,
    timeout_s: float,
) -> dict[str, Any]:
    """PROFILE ours and the naive query on each pair; return their db hits side by side.

    Pairs where the naive query times out are left out.
    """
    ours: list[int] = []
    naive: list[int] = []
    for pair in pairs:
        mine = await profile_query(
            driver,
            cypher.introduction_paths_query(MAX_HOPS),
            parameters,
            pair,
            timeout_s=max(30.0, timeout_s),
        )
        theirs = await profile_query(driver, NAIVE_PATHS, parameters, pair, timeout_s=timeout_s)
        if mine is not None and theirs is not None:
            ours.append(mine["db_hits"])
            naive.append(theirs["db_hits"])
    ratios = sorted(n / o for o, n in zip(ours, naive, strict=True) if o > 0)
    return {
        "pairs": len(ours),
        "ours_p50": percentile(sorted(ours), 0.5),
        "naive_p50": percentile(sorted(naive), 0.5),
        "ours_max": max(ours, default=0),
        "naive_max": max(naive, default=0),
        "ratio_p50": percentile(ratios, 0.5),
    }


async def round_trip_floor(store: GraphStore, calls: int = 50) -> dict[str, Any]:
    """Time ``store.ping()``: a trivial managed read transaction, the floor under any query."""
    for _ in range(5):
        await store.ping()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await store.ping()
        samples.append(time.perf_counter() - start)
    ordered = sorted(samples)
    return {"calls": calls, "p50_ms": 1000 * percentile(ordered, 0.5)}


# -- ingest ---------------------------------------------------------------------------------------


async def ingest(
    store: GraphStore, network: SyntheticNetwork, *, batch_size: int, console: Console, label: str
) -> dict[str, Any]:
    """Apply the whole network in batches, in reference order; time the applies."""
    records = applies = interactions = 0
    apply_s = 0.0
    began = time.perf_counter()
    with spinner(console, field="done", unit="") as progress:
        task = progress.add_task(f"{label}: ingesting, records", total=None, done=0)
        for batch in network_batches(network, batch_size):
            start = time.perf_counter()
            summary = await store.apply(batch)
            apply_s += time.perf_counter() - start
            created = summary.counts.get("interaction")
            interactions += created.created if created else 0
            records += len(batch)
            applies += 1
            progress.update(task, done=records)
    wall_s = time.perf_counter() - began
    console.log(
        f"{label}: ingested {records:,} records ({interactions:,} interactions) in "
        f"{apply_s:.1f} s of apply, {wall_s:.1f} s wall"
    )
    return {
        "records": records,
        "applies": applies,
        "interactions": interactions,
        "apply_s": apply_s,
        "wall_s": wall_s,
        "interactions_per_s": interactions / apply_s if apply_s else 0.0,
    }


# -- one network size -----------------------------------------------------------------------------


@dataclass(slots=True)
class SizeRun:
    """What the legs of one network size share."""

    people: int
    network: SyntheticNetwork
    at: datetime
    """"Now": the day after the network's last contact."""
    pairs: PairSample | None = None
    embedded_answers: dict[str, list[Answer]] | None = None
    yen: dict[str, list[Answer]] | None = None
    results: list[dict[str, Any]] = field(default_factory=list)


@contextlib.contextmanager
def _frozen() -> Iterator[None]:
    """Keep long-lived objects out of the garbage collector's way, as the service does."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def _time_ours(
    store: GraphStore, pairs: PairSample, at: datetime, console: Console, label: str
) -> dict[str, list[Answer]]:
    for kind in KINDS:
        await time_ours(store, pairs.warmup[kind], at=at)
    answers = {kind: await time_ours(store, pairs.timed[kind], at=at) for kind in KINDS}
    for kind in KINDS:
        f = figures(answers[kind])
        console.log(
            f"{label}: ours, {kind}: p50 {f['p50_ms']:.2f} ms, p99 {f['p99_ms']:.2f} ms, "
            f"max {f['max_ms']:.2f} ms"
        )
    return answers


def _ours_json(answers: dict[str, list[Answer]], backend: str, people: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in KINDS:
        f = figures(answers[kind])
        target = TARGET_P50_MS[backend]
        out[kind] = {
            **f,
            "target_p50_ms": target,
            "applies": people == TARGET_PEOPLE,
            "met": f["p50_ms"] <= target,
        }
    return out


def _baseline_json(
    ours: dict[str, list[Answer]], theirs: dict[str, list[Answer]], target: float | None
) -> dict[str, Any]:
    """Figures of a baseline per kind, with ours on the same pairs, the ratio and agreement."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        mine = ours[kind][: len(theirs[kind])]
        base = figures(theirs[kind])
        same = figures(mine)
        r = ratio(base, same)
        out[kind] = {
            **base,
            "ours_same_pairs": same,
            "ratio": r,
            "target": target,
            "met": None if target is None else r["value"] >= target,
            "agreement": agreement(mine, theirs[kind]),
            "mean_looked_at": (
                sum(a.looked_at for a in theirs[kind]) / len(theirs[kind]) if theirs[kind] else 0
            ),
        }
    return out


async def embedded_leg(
    run: SizeRun, args: argparse.Namespace, scratch: Path, console: Console
) -> dict[str, Any]:
    """Ingest into a fresh embedded store; draw pairs; time ours, then Yen."""
    from graph.adapters.embedded.store import EmbeddedStore

    label = f"embedded {run.people:,}"
    result: dict[str, Any] = {
        "backend": "embedded",
        "people": run.people,
        "store": f"embedded (SQLite {sqlite3.sqlite_version}, networkx in memory)",
    }
    began = time.perf_counter()
    data_dir = scratch / f"embedded-{run.people}"
    store = EmbeddedStore(data_dir)
    await store.open()
    try:
        result["ingest"] = await ingest(
            store, run.network, batch_size=args.batch_size, console=console, label=label
        )
        result["stored"] = await store.counts()
        ties = store._ties
        people = sorted(ties.name_of(pid) for pid in range(ties.people) if ties.degree(pid) > 0)

        async def distance(a: str, b: str) -> int | None:
            return await store.distance(a, b, limit=MAX_HOPS)

        if run.pairs is None:
            run.pairs = await sample_pairs(
                people, distance, warmup=args.warmup, timed=args.pairs, seed=args.seed
            )
        result["pairs"] = run.pairs.to_json()
        console.log(f"{label}: pairs {result['pairs']}")
        with _frozen():
            ours = await _time_ours(store, run.pairs, run.at, console, label)
            run.embedded_answers = ours
            result["ours"] = _ours_json(ours, "embedded", run.people)
            yen: dict[str, list[Answer]] = {}
            for kind in KINDS:
                yen[kind] = []
                for pair in run.pairs.timed[kind][: args.yen_pairs]:
                    answer = yen_answer(
                        store, pair, at=run.at, cap_s=args.yen_cap_s, cap_paths=args.yen_cap_paths
                    )
                    yen[kind].append(answer)
                    console.log(
                        f"{label}: Yen, {kind} {pair.source}->{pair.target}: "
                        f"{answer.seconds:.2f} s, {answer.looked_at} paths looked at, "
                        f"{answer.paths} found{', ' + answer.cut if answer.cut else ''}"
                    )
            run.yen = yen
        result["yen"] = _baseline_json(ours, yen, TARGET_YEN_RATIO)
        result["max_rss_bytes"] = _max_rss_bytes()
    finally:
        await store.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    result["elapsed_s"] = time.perf_counter() - began
    return result


@contextlib.asynccontextmanager
async def _neo4j(
    home: Path, args: argparse.Namespace, console: Console
) -> AsyncIterator[tuple[GraphStore, neo4j.AsyncDriver, int]]:
    """Start a throwaway server from ``home``; yield the store, a driver and the server's pid.

    The server is stopped and its files removed on the way out.
    """
    import neo4j

    from graph.adapters.neo4j import server
    from graph.adapters.neo4j.store import Neo4jStore

    console.log(
        f"neo4j: starting a throwaway Neo4j {server.NEO4J_VERSION} in {home} "
        f"(heap {args.neo4j_heap}, page cache {args.neo4j_pagecache})"
    )
    try:
        running = server.start(
            home=home,
            cache_dir=server.default_cache_dir(),
            auth=None,
            heap=args.neo4j_heap,
            pagecache=args.neo4j_pagecache,
            timeout_s=180.0,
        )
        store = Neo4jStore(uri=running.uri, auth=None, database=DATABASE)
        await store.open()
        try:
            driver = neo4j.AsyncGraphDatabase.driver(
                running.uri, auth=None, notifications_min_severity="OFF"
            )
            try:
                yield store, driver, running.pid
            finally:
                await driver.close()
        finally:
            await store.close()
    finally:
        if server.stop(home):
            console.log(f"neo4j: stopped the server in {home}")
        shutil.rmtree(home, ignore_errors=True)


async def neo4j_leg(
    run: SizeRun, args: argparse.Namespace, scratch: Path, console: Console
) -> dict[str, Any]:
    """Ingest into a throwaway Neo4j; time ours, then the naive query; profile ours."""
    from graph.adapters.neo4j import server

    label = f"neo4j {run.people:,}"
    result: dict[str, Any] = {
        "backend": "neo4j",
        "people": run.people,
        "store": (
            f"Neo4j {server.NEO4J_VERSION} Community (started here, heap {args.neo4j_heap}, "
            f"page cache {args.neo4j_pagecache})"
        ),
    }
    began = time.perf_counter()
    async with _neo4j(scratch / f"neo4j-{run.people}", args, console) as (store, driver, pid):
        result["ingest"] = await ingest(
            store, run.network, batch_size=args.batch_size, console=console, label=label
        )
        result["stored"] = await store.counts()
        if run.pairs is None:
            async with driver.session(database=DATABASE) as session:
                found = await session.run(PEOPLE_WITH_TIES)
                people = [row["id"] async for row in found]

            async def distance(a: str, b: str) -> int | None:
                return await store.distance(a, b, limit=MAX_HOPS)

            run.pairs = await sample_pairs(
                people, distance, warmup=args.warmup, timed=args.pairs, seed=args.seed
            )
        result["pairs"] = run.pairs.to_json()
        console.log(f"{label}: pairs {result['pairs']}")
        parameters = path_parameters(store.model, run.at)
        with _frozen():
            ours = await _time_ours(store, run.pairs, run.at, console, label)
            result["ours"] = _ours_json(ours, "neo4j", run.people)
            for kind in KINDS:
                for pair in run.pairs.warmup[kind][: args.naive_warmup]:
                    await naive_answer(driver, parameters, pair, timeout_s=args.naive_timeout)
            naive: dict[str, list[Answer]] = {}
            for kind in KINDS:
                naive[kind] = []
                for pair in run.pairs.timed[kind][: args.naive_pairs]:
                    naive[kind].append(
                        await naive_answer(driver, parameters, pair, timeout_s=args.naive_timeout)
                    )
                f = figures(naive[kind])
                console.log(
                    f"{label}: naive Cypher, {kind}: p50 {f['p50_ms']:.1f} ms, "
                    f"max {f['max_ms']:.1f} ms, {f['cut']} timeouts"
                )
        result["naive"] = _baseline_json(ours, naive, TARGET_NAIVE_RATIO)
        result["never_times_out"] = _never_times_out(ours, naive, args.naive_timeout)
        if run.yen is not None:
            result["yen"] = _baseline_json(ours, run.yen, None)
            result["yen"]["from"] = "the embedded leg of this size (same network, same pairs)"
        if run.embedded_answers is not None:
            result["backends_agree"] = {
                kind: agreement(ours[kind], run.embedded_answers[kind]) for kind in KINDS
            }
        seconds, pair = await _slow_pair(store, ours, run.pairs, run.at)
        profiled = await profile_query(
            driver,
            cypher.introduction_paths_query(MAX_HOPS),
            parameters,
            pair,
            timeout_s=max(30.0, args.naive_timeout),
        )
        naive_profiled = await profile_query(
            driver, NAIVE_PATHS, parameters, pair, timeout_s=args.naive_timeout
        )
        result["profile"] = {
            **(profiled or {}),
            "pair": asdict(pair),
            "timed_ms": 1000 * seconds,
            "degrees": await degrees_of(driver, [pair.source, pair.target]),
            "naive_db_hits": None if naive_profiled is None else naive_profiled["db_hits"],
            "naive_operators": None if naive_profiled is None else naive_profiled["operators"],
        }
        result["floor"] = await round_trip_floor(store)
        result["db_hits"] = {
            kind: await compare_db_hits(
                driver,
                parameters,
                run.pairs.timed[kind][: args.profile_pairs],
                timeout_s=args.naive_timeout,
            )
            for kind in KINDS
        }
        result["server_rss_bytes"], result["server_peak_rss_bytes"] = rss_of(pid)
    result["max_rss_bytes"] = _max_rss_bytes()
    result["elapsed_s"] = time.perf_counter() - began
    return result


async def _slow_pair(
    store: GraphStore, ours: dict[str, list[Answer]], pairs: PairSample, at: datetime
) -> tuple[float, Pair]:
    """Return a pair ours is slow on, and its time: of the five slowest pairs timed, the one
    with the highest median of three more calls (a single slow call may be a hiccup)."""
    timed = sorted(
        (
            (answer.seconds, pair)
            for kind in KINDS
            for answer, pair in zip(ours[kind], pairs.timed[kind], strict=True)
        ),
        key=lambda item: -item[0],
    )[:5]
    again = []
    for _, pair in timed:
        seconds = sorted(a.seconds for a in await time_ours(store, [pair] * 3, at=at))
        again.append((seconds[1], pair))
    return max(again, key=lambda item: item[0])


def _never_times_out(
    ours: dict[str, list[Answer]], naive: dict[str, list[Answer]], timeout_s: float
) -> dict[str, Any]:
    """Whether ours answered within the naive query's timeout on every pair, those where the
    naive query timed out in particular."""
    timed_out = [
        mine.seconds
        for kind in KINDS
        for mine, other in zip(ours[kind], naive[kind], strict=False)
        if other.cut
    ]
    slowest = max((a.seconds for kind in KINDS for a in ours[kind]), default=0.0)
    return {
        "naive_timeouts": len(timed_out),
        "ours_max_ms_there": 1000 * max(timed_out, default=0.0),
        "ours_max_ms": 1000 * slowest,
        "timeout_s": timeout_s,
        "met": slowest < timeout_s,
    }


# -- reporting ------------------------------------------------------------------------------------


def _machine_line(info: dict[str, Any]) -> str:
    return (
        f"{info.get('nproc')} CPUs ({info.get('cpu', '?')}), {mib(info.get('memory_bytes'))} "
        f"RAM, Python {info['python']}, SQLite {info['sqlite']}, {info['platform']}"
    )


def _ms(value: float) -> str:
    return f"{value:,.2f} ms" if value < 1_000 else f"{value / 1000:,.2f} s"


Cell = Callable[[dict[str, Any], str], str]


def _p50_cell(r: dict[str, Any], kind: str) -> str:
    f = r["ours"][kind]
    text = f"{_ms(f['p50_ms'])}"
    if f["applies"]:
        return f"{text} {verdict(f['met'])} (≤ {f['target_p50_ms']:g} ms)"
    return text


def _baseline_cells(name: str, timeout_word: str) -> list[tuple[str, Cell]]:
    def has(r: dict[str, Any]) -> bool:
        return name in r

    def pairs(r: dict[str, Any], kind: str) -> str:
        if not has(r):
            return "-"
        b = r[name][kind]
        return f"{b['n']:,}: p50 {_ms(b['p50_ms'])}"

    def tail(r: dict[str, Any], kind: str) -> str:
        if not has(r):
            return "-"
        b = r[name][kind]
        return f"{_ms(b['p99_ms'])} / {_ms(b['max_ms'])}"

    def cut(r: dict[str, Any], kind: str) -> str:
        if not has(r):
            return "-"
        b = r[name][kind]
        detail = ", ".join(f"{why} {n}" for why, n in sorted(b["cuts"].items()))
        looked = f"; {b['mean_looked_at']:.0f} paths looked at" if name == "yen" else ""
        return f"{b['cut']:,}{f' ({detail})' if detail else ''}{looked}"

    def speedup(r: dict[str, Any], kind: str) -> str:
        if not has(r):
            return "-"
        b = r[name][kind]
        text = f"{_ratio_text(b['ratio'])} (ours {_ms(b['ours_same_pairs']['p50_ms'])})"
        if b["met"] is None:
            return text
        return f"{text} {verdict(b['met'])} (≥ {b['target']:g}x)"

    def agrees(r: dict[str, Any], kind: str) -> str:
        return _agreement_text(r[name][kind]["agreement"]) if has(r) else "-"

    return [
        (f"{name} pairs: p50", pairs),
        (f"  {name} p99 / max", tail),
        (f"  {name} {timeout_word}", cut),
        (f"[bold]{name} p50 ÷ ours p50[/] (same pairs)", speedup),
        (f"  {name} top path agrees with ours", agrees),
    ]


def _db_hits_cell(r: dict[str, Any], kind: str) -> str:
    if "db_hits" not in r:
        return "-"
    h = r["db_hits"][kind]
    return (
        f"{h['ours_p50']:,.0f} / {h['naive_p50']:,.0f} (naive ÷ ours {h['ratio_p50']:.1f}x, "
        f"{h['pairs']} pairs)"
    )


def _agreement_text(a: dict[str, Any]) -> str:
    if not a["checked"]:
        return f"- ({a['unchecked']} unchecked)" if a["unchecked"] else "-"
    text = f"{a['agree']}/{a['checked']} ({a['same_path']} same path, {a['same_score']} same score)"
    return text + (f", {a['unchecked']} unchecked" if a["unchecked"] else "")


def render(
    runs: list[SizeRun], info: dict[str, Any], args: argparse.Namespace, console: Console
) -> None:
    """Print a table per network size, the profile of a slow pair, then the targets."""
    machine_line = _machine_line(info)
    done: list[dict[str, Any]] = []
    for run in runs:
        for r in run.results:
            if "error" in r:
                console.print(f"[bold red]{r['backend']}, {r['people']:,} people: {r['error']}[/]")
        legs = [r for r in run.results if "error" not in r]
        done.extend(legs)
        if not legs:
            continue
        table = Table(
            title=(
                f"Introduction paths, {run.people:,} people: introduction_paths(max_hops="
                f"{MAX_HOPS}, first={FIRST}, STRONGEST, min_link_strength=0), now "
                f"{run.at.date().isoformat()}\n{machine_line}"
            ),
            title_justify="left",
        )
        table.add_column("")
        columns = [(r, kind) for r in legs for kind in KINDS]
        for r, kind in columns:
            table.add_column(f"{r['backend']}, {kind}", justify="right")

        def row(label: str, cell: Cell, table: Table = table, columns: Any = columns) -> None:
            table.add_row(label, *(cell(r, kind) for r, kind in columns))

        row(
            "ties stored / people with ties",
            lambda r, k: f"{r['stored'].get('tie', 0):,} / {r['pairs']['people_with_ties']:,}",
        )
        row(
            "ingest: interactions, apply time",
            lambda r, k: f"{r['ingest']['interactions']:,}, {r['ingest']['apply_s']:,.0f} s",
        )
        row(
            "pairs timed (+ warm-up) / drawn",
            lambda r, k: (
                f"{r['pairs']['timed'][k]} (+{r['pairs']['warmup'][k]}) / {r['pairs']['drawn']:,}"
            ),
        )
        row(
            "  hops of the timed pairs",
            lambda r, k: (
                ", ".join(f"{h}: {n}" for h, n in r["pairs"]["reachable_hops"].items())
                if k == "reachable"
                else f"> {MAX_HOPS}"
            ),
        )
        row("[bold]ours p50[/]", _p50_cell)
        row(
            "  ours p99 / max",
            lambda r, k: f"{_ms(r['ours'][k]['p99_ms'])} / {_ms(r['ours'][k]['max_ms'])}",
        )
        row("  ours: mean paths returned", lambda r, k: f"{r['ours'][k]['mean_paths']:.2f}")
        row(
            "  a trivial read through the store (ping), p50",
            lambda r, k: _ms(r["floor"]["p50_ms"]) if "floor" in r else "-",
        )
        if any("naive" in r for r in legs):
            for label, cell in _baseline_cells("naive", f"timeouts ({args.naive_timeout:g} s)"):
                row(label, cell)
        if any("db_hits" in r for r in legs):
            row("  db hits p50, ours / naive (PROFILE)", _db_hits_cell)
        if any("yen" in r for r in legs):
            for label, cell in _baseline_cells("yen", "stopped by a cap"):
                row(label, cell)
        if any("backends_agree" in r for r in legs):
            row(
                "top path agrees with the embedded store",
                lambda r, k: (
                    _agreement_text(r["backends_agree"][k]) if "backends_agree" in r else "-"
                ),
            )
        row(
            "peak memory",
            lambda r, k: (
                f"server {mib(r['server_peak_rss_bytes'])}; this process "
                f"{mib(r['max_rss_bytes'])} so far"
                if r["backend"] == "neo4j"
                else f"{mib(r['max_rss_bytes'])} (this process so far)"
            ),
        )
        row("leg time", lambda r, k: f"{r['elapsed_s'] / 60:.1f} min")
        console.print(table)
    if not done:
        return
    console.print(
        "Ours: GraphStore.introduction_paths, one call at a time after warm-up calls on other "
        "pairs. naive: MATCH p = (a)-[:TIE*..3]-(b), consenting intermediaries, every path "
        "scored with cypher.link_strength_of and sorted, one auto-commit transaction each with "
        f"a {args.naive_timeout:g} s client-side timeout. yen: networkx.shortest_simple_paths "
        "on the embedded store's tie graph, weight -log(link strength) computed lazily, until "
        f"{FIRST} paths of at most {MAX_HOPS} hops or a cap ({args.yen_cap_s:g} s, "
        f"{args.yen_cap_paths} paths looked at); on Neo4j, the embedded leg's figures for the "
        "same pairs. '≥': the baseline was cut short on some pairs, so its figures (and the "
        "ratio) are lower bounds. Agreement: same top path, or another of the same score."
    )
    profiled = [r for r in done if "profile" in r]
    if profiled:
        r = max(profiled, key=lambda r: r["people"])
        p = r["profile"]
        naive_hits = p["naive_db_hits"]
        table = Table(
            title=(
                f"PROFILE of cypher.introduction_paths_query(3) on a pair ours is slow on, Neo4j, "
                f"{r['people']:,} people: {p['pair']['source']} -> {p['pair']['target']} "
                f"({p['pair']['hops'] or f'> {MAX_HOPS}'} hops; degrees "
                f"{p['degrees'][0]} and {p['degrees'][1]}), median of three calls "
                f"{_ms(p['timed_ms'])}; {p.get('paths', '?')} paths, "
                f"{p.get('db_hits', 0):,} db hits in all (the naive query: "
                + (f"{naive_hits:,}" if naive_hits is not None else "timed out")
                + f"). A trivial read through the store (ping) takes {_ms(r['floor']['p50_ms'])}"
                " at p50."
            ),
            title_justify="left",
        )
        for name, justify in (("operator", "left"), ("details", "left"), ("rows", "right")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        table.add_column("db hits", justify="right")
        for op in p.get("operators", []):
            details = op["details"].replace("\n", " ")
            table.add_row(
                "  " * op["depth"] + op["operator"],
                details if len(details) <= 70 else details[:67] + "...",
                f"{op['rows']:,}",
                f"{op['db_hits']:,}",
            )
        console.print(table)

    summary = Table(title=f"Targets\n{machine_line}", title_justify="left")
    for name in ("target", "where", "result", ""):
        summary.add_column(name)
    for r in done:
        where = f"{r['backend']}, {r['people']:,} people"
        for kind in KINDS:
            if r["backend"] == "neo4j":
                b = r["naive"][kind]
                summary.add_row(
                    f"≥ {TARGET_NAIVE_RATIO:g}x faster than the naive Cypher at p50",
                    f"{where}, {kind}",
                    f"{_ratio_text(b['ratio'])}",
                    verdict(b["met"]),
                )
            elif "yen" in r:
                b = r["yen"][kind]
                summary.add_row(
                    f"≥ {TARGET_YEN_RATIO:g}x faster than Yen at p50",
                    f"{where}, {kind}",
                    f"{_ratio_text(b['ratio'])}",
                    verdict(b["met"]),
                )
        if r["backend"] == "neo4j":
            n = r["never_times_out"]
            summary.add_row(
                "ours never times out where the naive query does",
                where,
                f"naive timed out on {n['naive_timeouts']} pairs; ours at most "
                f"{_ms(n['ours_max_ms'])} anywhere",
                verdict(n["met"]),
            )
    for r in done:
        for kind in KINDS:
            f = r["ours"][kind]
            if f["applies"]:
                summary.add_row(
                    f"p50 ≤ {f['target_p50_ms']:g} ms at {TARGET_PEOPLE:,} people",
                    f"{r['backend']}, {kind}",
                    _ms(f["p50_ms"]),
                    verdict(f["met"]),
                )
    console.print(summary)
    times = " + ".join(
        f"{r['backend']} {r['people']:,} {r['elapsed_s'] / 60:.1f} min" for r in done
    )
    console.print(f"Run time: {times}; {info.get('elapsed_s', 0) / 60:.1f} min in all.")


# -- the command ----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.paths", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--people", type=int, nargs="+", default=[10_000, 100_000], help="network sizes"
    )
    parser.add_argument(
        "--million", action="store_true", help="add 1,000,000 people (embedded store only)"
    )
    parser.add_argument(
        "--backend", choices=(*BACKENDS, "both"), default="both", help="store(s) to measure"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the network and the pairs")
    parser.add_argument("--batch-size", type=int, default=10_000, help="records per apply")
    parser.add_argument("--pairs", type=int, default=200, help="timed pairs of each kind")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up pairs of each kind")
    parser.add_argument(
        "--naive-pairs", type=int, default=200, help="timed pairs of each kind for naive Cypher"
    )
    parser.add_argument(
        "--naive-warmup", type=int, default=3, help="warm-up pairs of each kind for naive Cypher"
    )
    parser.add_argument("--naive-timeout", type=float, default=10.0, help="seconds per naive query")
    parser.add_argument(
        "--profile-pairs",
        type=int,
        default=50,
        help="pairs of each kind on which both Cypher queries are profiled for db hits",
    )
    parser.add_argument(
        "--yen-pairs", type=int, default=10, help="timed pairs of each kind for Yen"
    )
    parser.add_argument("--yen-cap-s", type=float, default=10.0, help="seconds per Yen search")
    parser.add_argument(
        "--yen-cap-paths", type=int, default=200, help="paths one Yen search may look at"
    )
    parser.add_argument("--out", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--neo4j-heap", default="2g", help="heap of each Neo4j started here")
    parser.add_argument(
        "--neo4j-pagecache", default="1g", help="page cache of each Neo4j started here"
    )
    return parser


async def _run_size(
    run: SizeRun, backends: Sequence[str], args: argparse.Namespace, console: Console
) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=f"tiegraph-bench-paths-{run.people}-"))
    try:
        for backend in backends:
            leg = embedded_leg if backend == "embedded" else neo4j_leg
            console.log(f"{backend}, {run.people:,} people: {run.network!r}, now {run.at}")
            try:
                run.results.append(await leg(run, args, scratch, console))
                gc.collect()  # the closed store's objects must not weigh on the next leg
            except Exception as error:  # reported with its traceback; the run fails
                console.print(traceback.format_exc(), markup=False, highlight=False)
                run.results.append(
                    {
                        "backend": backend,
                        "people": run.people,
                        "error": f"{type(error).__name__}: {error}",
                    }
                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0 when every leg ran (whether or not it met its targets)."""
    arguments = sys.argv[1:] if argv is None else argv
    if "--dense" in arguments:  # the dense network over HTTP has options of its own
        from bench import dense_paths

        return dense_paths.main([a for a in arguments if a != "--dense"])
    if "--embedded" in arguments:  # dense and million-people networks on the embedded store
        from bench import embedded_paths

        return embedded_paths.main([a for a in arguments if a != "--embedded"])
    args = _parser().parse_args(arguments)
    if min(args.people) < 10 or args.batch_size < 1:
        raise SystemExit("--people must be at least 10 and --batch-size at least 1")
    if (
        args.pairs < 1
        or min(args.warmup, args.naive_warmup, args.naive_pairs, args.yen_pairs, args.profile_pairs)
        < 0
    ):
        raise SystemExit("--pairs must be at least 1, the other pair counts at least 0")
    console = Console(stderr=True)
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    sizes = [(people, backends) for people in dict.fromkeys(args.people)]
    if args.million:
        if "embedded" not in backends:
            raise SystemExit("--million runs on the embedded store only")
        sizes.append((MILLION, ("embedded",)))
    began = time.perf_counter()
    runs: list[SizeRun] = []
    info = machine()
    try:
        with unwind_on_sigterm():
            for people, legs in sizes:
                network = generate_network(people=people, seed=args.seed)
                at = datetime.combine(network.end, time_of_day(), UTC)
                run = SizeRun(people=people, network=network, at=at)
                runs.append(run)
                asyncio.run(_run_size(run, legs, args, console))
    except KeyboardInterrupt:
        console.print("interrupted: the servers were stopped and the temporary files removed")
        return 130
    info["elapsed_s"] = time.perf_counter() - began
    console.log(f"done in {info['elapsed_s'] / 60:.1f} min")
    if args.out is not None:
        payload: dict[str, Any] = {
            "machine": info,
            "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "results": [r for run in runs for r in run.results],
        }
        args.out.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    out = Console()
    if not out.is_terminal:
        out = Console(width=200)
    render(runs, info, args, out)
    return 1 if any("error" in r for run in runs for r in run.results) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Introduction paths on the embedded store for dense and for very large networks.

Run ``python -m bench.paths --embedded [--people 20000] [--draws 920000]`` for a dense
network, or ``python -m bench.paths --embedded --million`` for a million people.

1. **Network**, one of:

   - *dense* (default): :func:`bench.dense_paths.dense_network` (power-law degrees, contacts
     over two years; ``--people`` and ``--draws`` as there: 20,000 people and 920,000 draws
     make about 1.2 million contacts, a median degree near 60 and a hub of over 10,000 ties);
   - *million* (``--million``): :func:`million_network`, 1,000,000 people and 10,000,000
     contacts over two years, nine in ten of them within a person's local circle (the 25
     people on either side of them in id order), the rest between people drawn at random.

2. **Build**: written through :meth:`EmbeddedStore.apply` in batches of ``--batch-size``
   contacts (the CLI importer's own speed is measured by ``bench.ingest``), into
   ``--data-dir`` (kept; with ``--reuse`` a directory already built is used as it is).
3. **Served**: the real ``tiegraph serve`` on the store (one worker), timed from start to
   ``/readyz`` (start-up: store opened, tie index loaded), its resident memory (``VmRSS``
   and ``VmHWM`` from ``/proc``) after the run; over HTTP with one keep-alive client,
   ``person(id)`` for ``--lookups`` people and ``introductionPaths(first: 5)`` (maxHops 3,
   STRONGEST) between ``--pairs`` seeded random pairs of people with ties, after
   ``--warmup`` of each: p50 and p99 of both, and the ratios of paths to a lookup.
4. **In process**, after the server stopped: the store opened here (timed again), the same
   pairs through ``store.introduction_paths``, and the naive way on the same graph in the same
   run: networkx ``all_simple_paths(cutoff=3)`` over :meth:`EmbeddedStore.tie_graph`, every
   path scored by the product of its links' strengths and ranked (on the first
   ``--naive-pairs`` pairs, each cut at ``--naive-timeout`` s, a cut counted and entered at
   the time it took; skipped with ``--million``, whose networkx graph would not fit in
   memory). The top paths are compared where the naive way finished.

Targets printed PASS or MISS: dense, paths over HTTP at most 5x a lookup at p50 and 25x at
p99, and at least 10x faster than naive networkx in process at p50; million, the server at
most 2 GiB resident, start-up at most 60 s, paths at most 5x a lookup at p50.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import resource
import secrets
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx
import numpy as np
from rich.console import Console

from bench._kit import percentile
from bench.api import PERSON_LOOKUP, _admin_token, _Servers, _wait_ready, start_tiegraph
from bench.dense_paths import KINDS, PATHS_QUERY, SPAN, dense_network
from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.batch import TieAccumulator, WriteBatch
from graph.domain.model import Interaction, Person
from graph.domain.paths import Path as IntroductionPath
from graph.domain.paths import Strategy, rank
from graph.domain.relationship import link_strength

__all__ = ["main", "million_network", "write_million_csv"]

MILLION: Final = 1_000_000
MILLION_CONTACTS: Final = 10_000_000
CIRCLE: Final = 25
"""A person's local circle: the people up to this many places away in id order."""
LOCAL_SHARE: Final = 0.9
MAX_HOPS: Final = 3
FIRST: Final = 5
GIB: Final = 1024**3


def _million_id(index: int) -> str:
    return f"m{index:07d}"


def million_network(
    *, people: int, contacts: int, seed: int, now: datetime, batch_size: int
) -> Iterator[WriteBatch]:
    """Batches of people, then of contacts, of the local-circles network (see the module doc),
    generated as they are written so that ten million contacts never sit in memory at once."""
    for start in range(0, people, batch_size):
        yield WriteBatch(
            people=[
                Person(id=_million_id(i), name=f"Person {i}")
                for i in range(start, min(people, start + batch_size))
            ]
        )
    made = 0
    for first, second, ago_us, kinds in _million_contacts(
        people=people, contacts=contacts, seed=seed, chunk=batch_size
    ):
        batch = []
        for a, b, us, kind in zip(
            first.tolist(), second.tolist(), ago_us.tolist(), kinds.tolist(), strict=True
        ):
            batch.append(
                Interaction(
                    key=f"m-{made}",
                    at=now - timedelta(microseconds=us),
                    kind=KINDS[kind],
                    participant_ids=(_million_id(a), _million_id(b)),
                    initiator_id=_million_id(a),
                )
            )
            made += 1
        yield WriteBatch(interactions=batch)


def _million_contacts(
    *, people: int, contacts: int, seed: int, chunk: int
) -> Iterator[tuple[Any, Any, Any, Any]]:
    """The local-circles network's contacts, ``chunk`` at a time, as arrays: the first and
    second person's numbers, microseconds before now, and the kind's index in ``KINDS``."""
    generator = np.random.default_rng(seed)
    span_us = SPAN // timedelta(microseconds=1)
    made = 0
    while made < contacts:
        n = min(chunk, contacts - made)
        first = generator.integers(0, people, n)
        offsets = generator.integers(1, CIRCLE + 1, n) * generator.choice([-1, 1], n)
        anyone = generator.integers(0, people, n)
        local = generator.random(n) < LOCAL_SHARE
        second = np.where(local, (first + offsets) % people, anyone)
        second = np.where(second == first, (first + 1) % people, second)
        ago = generator.integers(0, span_us, n)
        kinds = generator.integers(0, len(KINDS), n)
        yield first, second, ago, kinds
        made += n


def write_million_csv(
    path: Path, *, people: int = MILLION, contacts: int = MILLION_CONTACTS, seed: int = 7
) -> int:
    """Write the local-circles network's contacts to ``path`` as an interactions CSV such as a
    contacts export gives (``at`` in whole Unix seconds, no ``key`` column: the importer
    derives each key), to import with ``tiegraph import --create-missing-people``; return the
    rows written. The people are not written: the import creates them as it meets them."""
    now_s = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    names = [kind.value for kind in KINDS]
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("at,person_a,person_b,kind,initiator\n")
        for first, second, ago_us, kinds in _million_contacts(
            people=people, contacts=contacts, seed=seed, chunk=200_000
        ):
            lines = []
            for a, b, us, kind in zip(
                first.tolist(), second.tolist(), ago_us.tolist(), kinds.tolist(), strict=True
            ):
                first_id = _million_id(a)
                lines.append(
                    f"{now_s - us // 1_000_000},{first_id},{_million_id(b)},{names[kind]},"
                    f"{first_id}\n"
                )
            out.writelines(lines)
            written += len(lines)
    return written


def _dense_batches(args: argparse.Namespace, now: datetime) -> Iterator[WriteBatch]:
    people, contacts = dense_network(people=args.people, draws=args.draws, seed=args.seed, now=now)
    for start in range(0, len(people), args.batch_size):
        yield WriteBatch(people=people[start : start + args.batch_size])
    for start in range(0, len(contacts), args.batch_size):
        yield WriteBatch(interactions=contacts[start : start + args.batch_size])


def _summary(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(seconds),
        "p50_ms": 1000 * percentile(sorted(seconds), 0.5),
        "p99_ms": 1000 * percentile(sorted(seconds), 0.99),
        "max_ms": 1000 * max(seconds),
    }


def _rss(pid: int | str = "self") -> dict[str, int]:
    """Resident and peak resident memory of a process, in bytes, from ``/proc``."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found


async def _fold_rest(args: argparse.Namespace, now: datetime, console: Console) -> dict[str, Any]:
    """Finish a million-people store whose build through ``apply`` stopped part way: the
    contacts it holds are skipped, the rest are folded straight into the tie index with the
    store's own tie arithmetic (:class:`TieAccumulator`, :func:`merge_tie`) and checkpointed
    on close, but not stored as interactions (start-up and paths never read those)."""
    store = EmbeddedStore(args.data_dir)
    await store.open()
    began = time.perf_counter()
    try:
        stored = (await store.counts())["interaction"]
        seen = folded = 0
        for batch in million_network(
            people=args.people, contacts=args.contacts, seed=args.seed, now=now,
            batch_size=args.batch_size,
        ):  # fmt: skip
            if not batch.interactions:
                continue
            seen += len(batch.interactions)
            if seen <= stored:
                continue
            accumulator = TieAccumulator(store.model)
            for contact in batch.interactions:
                accumulator.add(contact)
            ties = store._ties.merged(accumulator.deltas.values())
            store._ties.put(ties)
            store._dirty.update((t.a, t.b) for t in ties)
            folded += len(batch.interactions)
            if not folded % (20 * args.batch_size):
                console.log(f"{folded:,} contacts folded into the ties")
        counts = await store.counts()
    finally:
        await store.close()
    took = time.perf_counter() - began
    console.log(
        f"{stored:,} contacts stored, {folded:,} folded in {took:.0f} s: {counts['tie']:,} ties"
    )
    return {
        "contacts_stored": stored,
        "contacts_folded": folded,
        "fold_s": took,
        "ties": counts["tie"],
    }


async def _build(args: argparse.Namespace, now: datetime, console: Console) -> dict[str, Any]:
    data_dir: Path = args.data_dir
    if args.fold_rest:
        return await _fold_rest(args, now, console)
    if args.reuse and (data_dir / "tiegraph.sqlite3").exists():
        console.log(f"reusing the store in {data_dir}")
        return {"reused": True}
    batches = (
        million_network(
            people=args.people, contacts=args.contacts, seed=args.seed, now=now,
            batch_size=args.batch_size,
        )
        if args.million
        else _dense_batches(args, now)
    )  # fmt: skip
    store = EmbeddedStore(data_dir)
    await store.open()
    began = time.perf_counter()
    written = 0
    try:
        for batch in batches:
            await store.apply(batch)
            written += len(batch.interactions)
            if written and not written % (20 * args.batch_size):
                rate = written / (time.perf_counter() - began)
                console.log(f"{written:,} contacts written ({rate:,.0f}/s)")
        counts = await store.counts()
    finally:
        await store.close()
    took = time.perf_counter() - began
    console.log(
        f"built in {took:.0f} s: {counts['interaction']:,} contacts, {counts['tie']:,} ties"
    )
    return {
        "build_s": took,
        "contacts": counts["interaction"],
        "ties": counts["tie"],
        "people_stored": counts["person"],
    }


async def _post(
    client: httpx.AsyncClient, url: str, query: str, variables: dict[str, Any]
) -> float:
    start = time.perf_counter()
    response = await client.post(url, json={"query": query, "variables": variables})
    took = time.perf_counter() - start
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL failed: {response.status_code} {body}")
    return took


async def _served(
    args: argparse.Namespace,
    pairs: list[tuple[str, str]],
    looked_up: list[str],
    console: Console,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    secret = secrets.token_urlsafe(48)
    with _Servers() as servers:
        began = time.perf_counter()
        server = start_tiegraph(
            servers,
            store_args=["--store", "embedded", "--data-dir", str(args.data_dir)],
            env={"TIEGRAPH_JWT_SECRET": secret},
            log_path=args.data_dir.parent / f"{args.data_dir.name}-serve.log",
        )
        await _wait_ready(server)
        result["startup_s"] = time.perf_counter() - began
        result["rss_ready"] = _rss(server.pid)
        console.log(
            f"served in {result['startup_s']:.1f} s, "
            f"{result['rss_ready']['VmRSS'] / GIB:.2f} GiB resident"
        )
        headers = {"authorization": f"Bearer {_admin_token(secret)}"}
        url = server.base_url + "/graphql"
        warm = args.warmup
        async with httpx.AsyncClient(headers=headers, timeout=120.0) as client:
            lookups = [await _post(client, url, PERSON_LOOKUP, {"id": k}) for k in looked_up]
            paths = [await _post(client, url, PATHS_QUERY, {"from": a, "to": b}) for a, b in pairs]
        result["rss_after"] = _rss(server.pid)
        servers.stop_all()
    result["lookup"] = _summary(lookups[warm:])
    result["paths"] = _summary(paths[warm:])
    result["p50_ratio"] = result["paths"]["p50_ms"] / result["lookup"]["p50_ms"]
    result["p99_ratio"] = result["paths"]["p99_ms"] / result["lookup"]["p99_ms"]
    console.log(
        f"HTTP: lookup p50 {result['lookup']['p50_ms']:.1f} ms p99 "
        f"{result['lookup']['p99_ms']:.1f} ms; paths p50 {result['paths']['p50_ms']:.1f} ms "
        f"p99 {result['paths']['p99_ms']:.1f} ms: {result['p50_ratio']:.1f}x / "
        f"{result['p99_ratio']:.1f}x a lookup; server {result['rss_after']['VmRSS'] / GIB:.2f}"
        f" GiB resident (peak {result['rss_after']['VmHWM'] / GIB:.2f})"
    )
    return result


def _naive(
    graph: Any, source: str, target: str, *, at: datetime, store: EmbeddedStore, cap_s: float
) -> tuple[float, list[IntroductionPath], bool]:
    """networkx ``all_simple_paths(cutoff=3)``, every path scored and ranked, with the same
    consent rule as ours; the time, the top paths and whether the cap cut it."""
    import networkx as nx

    refusing = store._refusing
    strengths: dict[tuple[str, str], float] = {}

    def strength(u: str, v: str) -> float:
        key = (u, v) if u < v else (v, u)
        found = strengths.get(key)
        if found is None:
            found = strengths[key] = link_strength(graph.adj[u][v]["tie"], at, store.model)
        return found

    start = time.perf_counter()
    found = []
    cut = False
    for people in nx.all_simple_paths(graph, source, target, cutoff=MAX_HOPS):
        if any(p in refusing for p in people[1:-1]):
            continue
        links = tuple(strength(u, v) for u, v in itertools.pairwise(people))
        found.append(IntroductionPath(tuple(people), links))
        if time.perf_counter() - start > cap_s:
            cut = True
            break
    top = rank(found, Strategy.STRONGEST, FIRST)
    return time.perf_counter() - start, top, cut


def _histogram(degrees: Sequence[int]) -> dict[str, int]:
    """How many people have a degree in each power-of-two band (``"64-127"``: 64 to 127)."""
    bands: dict[str, int] = {}
    for degree in degrees:
        low = 1 << (degree.bit_length() - 1)
        label = f"{low}-{2 * low - 1}"
        bands[label] = bands.get(label, 0) + 1
    return bands


async def _in_process(
    args: argparse.Namespace, pairs: list[tuple[str, str]], at: datetime, console: Console
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    store = EmbeddedStore(args.data_dir)
    began, cpu = time.perf_counter(), time.process_time()
    await store.open()
    result["open_s"] = time.perf_counter() - began
    result["open_cpu_s"] = time.process_time() - cpu  # on a shared machine, the honest part
    result["rss_open"] = _rss()
    try:
        ties = store._ties
        degrees = sorted(d for pid in range(ties.people) if (d := ties.degree(pid)) > 0)
        result["network"] = {
            "ties": len(ties),
            "median_degree": statistics.median(degrees),
            "max_degree": degrees[-1],
            "degree_histogram": _histogram(degrees),
        }
        del degrees
        console.log(f"network: {result['network']}")
        ours: list[float] = []
        answers = []
        for source, target in pairs:
            start = time.perf_counter()
            found = await store.introduction_paths(
                source, target, max_hops=MAX_HOPS, first=FIRST, strategy=Strategy.STRONGEST,
                min_link_strength=0.0, at=at,
            )  # fmt: skip
            ours.append(time.perf_counter() - start)
            answers.append(found)
        warm = args.warmup
        result["ours"] = _summary(ours[warm:])
        console.log(
            f"in process: open {result['open_s']:.1f} s ({result['open_cpu_s']:.1f} s of CPU);"
            f" paths p50 "
            f"{result['ours']['p50_ms']:.2f} ms p99 {result['ours']['p99_ms']:.2f} ms"
        )
        if args.million or args.naive_pairs == 0:
            return result
        began = time.perf_counter()
        graph = store.tie_graph()
        result["networkx_graph_s"] = time.perf_counter() - began
        naive: list[float] = []
        ours_same: list[float] = []
        cuts = agree = 0
        compared = list(range(warm, min(len(pairs), warm + args.naive_pairs)))
        for i in compared:
            source, target = pairs[i]
            took, top, cut = _naive(
                graph, source, target, at=at, store=store, cap_s=args.naive_timeout
            )
            naive.append(took)
            ours_same.append(ours[i])
            cuts += cut
            if not cut:
                mine = answers[i]
                agree += [p.people for p in mine] == [p.people for p in top]
        result["naive"] = _summary(naive)
        result["ours_same_pairs"] = _summary(ours_same)
        result["naive_cut"] = cuts
        result["naive_agree"] = agree
        result["naive_compared"] = len(compared)
        result["naive_ratio"] = result["naive"]["p50_ms"] / result["ours_same_pairs"]["p50_ms"]
        console.log(
            f"naive networkx on {len(compared)} pairs: p50 {result['naive']['p50_ms']:.1f} ms "
            f"({cuts} cut at {args.naive_timeout:g} s) against ours "
            f"{result['ours_same_pairs']['p50_ms']:.2f} ms: {result['naive_ratio']:.0f}x; "
            f"same top {FIRST} on {agree} of {len(compared) - cuts} finished"
        )
    finally:
        await store.close()
    result["rss_peak_bench"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return result


async def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    """Build, serve, time; return the figures."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    at = now + timedelta(days=1)
    result: dict[str, Any] = {"network": "million" if args.million else "dense"}
    result["build"] = await _build(args, now, console)
    with sqlite3.connect(args.data_dir / "tiegraph.sqlite3") as conn:
        with_ties = sorted(
            person for (person,) in conn.execute("SELECT a FROM ties UNION SELECT b FROM ties")
        )
    result["people_with_ties"] = len(with_ties)
    rng = random.Random(args.seed)
    pairs = [(a, b) for a, b in (rng.sample(with_ties, 2) for _ in range(args.warmup + args.pairs))]
    looked_up = [rng.choice(with_ties) for _ in range(args.warmup + args.lookups)]
    del with_ties
    result["served"] = await _served(args, pairs, looked_up, console)
    result["in_process"] = await _in_process(args, pairs, at, console)
    result.update(result["in_process"].pop("network"))
    served = result["served"]
    if args.million:
        result["targets"] = {
            "server <= 2 GiB resident": served["rss_after"]["VmRSS"] <= 2 * GIB,
            "start-up <= 60 s": served["startup_s"] <= 60,
            "paths p50 <= 5x a lookup": served["p50_ratio"] <= 5,
        }
    else:
        result["targets"] = {
            "paths p50 <= 5x a lookup": served["p50_ratio"] <= 5,
            "paths p99 <= 25x a lookup": served["p99_ratio"] <= 25,
        }
        if "naive_ratio" in result["in_process"]:
            result["targets"][">= 10x faster than naive networkx at p50"] = (
                result["in_process"]["naive_ratio"] >= 10
            )
    for target, met in result["targets"].items():
        console.log(f"{'PASS' if met else 'MISS'} {target}")
    return result


def parser() -> argparse.ArgumentParser:
    """The options of this benchmark."""
    parser = argparse.ArgumentParser(prog="python -m bench.paths --embedded", description=__doc__)
    parser.add_argument("--million", action="store_true", help="the million-people network")
    parser.add_argument("--people", type=int, help="people (20,000 dense; 1,000,000 million)")
    parser.add_argument("--draws", type=int, default=920_000, help="dense: contact draws")
    parser.add_argument("--contacts", type=int, default=MILLION_CONTACTS, help="million: contacts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=20_000, help="contacts per apply")
    parser.add_argument("--data-dir", type=Path, help="where the store is built (required)")
    parser.add_argument("--reuse", action="store_true", help="use a store already built there")
    parser.add_argument(
        "--fold-rest",
        action="store_true",
        help="million: finish a partial build by folding the missing contacts into the ties",
    )
    parser.add_argument("--pairs", type=int, default=200, help="timed pairs")
    parser.add_argument("--lookups", type=int, default=500, help="timed person lookups")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--naive-pairs", type=int, default=50, help="pairs for naive networkx")
    parser.add_argument("--naive-timeout", type=float, default=10.0, help="seconds per naive pair")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument(
        "--write-csv",
        type=Path,
        metavar="FILE",
        help="with --million: only write its contacts to FILE as an interactions CSV (to"
        " import with `tiegraph import --create-missing-people FILE`, then time with --reuse)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0."""
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.people is None:
        args.people = MILLION if args.million else 20_000
    console = Console(stderr=True)
    if args.write_csv is not None:
        if not args.million:
            parser().error("--write-csv writes the --million network")
        rows = write_million_csv(
            args.write_csv, people=args.people, contacts=args.contacts, seed=args.seed
        )
        console.log(f"{rows:,} contacts among {args.people:,} people written to {args.write_csv}")
        return 0
    if args.data_dir is None:
        parser().error("--data-dir is required")
    result = asyncio.run(run(args, console))
    result["arguments"] = {k: str(v) for k, v in vars(args).items()}
    text = json.dumps(result, indent=2, sort_keys=True, default=str)
    if args.out is not None:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

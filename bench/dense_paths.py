"""Introduction paths over HTTP on a dense network, against a person lookup on the same server.

Run ``python -m bench.paths --dense [--people 5000] [--draws 200000]`` (or
``python -m bench.dense_paths``).

1. **Network.** ``--people`` people with degrees shaped like a professional network's: a
   power law for the well connected and a broad base for everyone (each end of a contact is,
   with probability ``UNIFORM_SHARE``, anyone at random, and otherwise person ``i`` drawn
   with weight ``(i + 1) ** -0.7``, a Chung-Lu graph). ``--draws`` contacts between two
   people drawn so (self-pairs skipped), each followed by a second contact between the same
   two three times in ten, at seeded random moments over the two years before now and of
   seeded random kinds (message, call, contact, meeting). With the defaults (5,000 people,
   200,000 draws): about 260,000 contacts; 20,000 people and 920,000 draws make 1.2 million
   contacts, a median degree near 60 and a hub of about 11,000 ties.
2. **Server.** The Neo4j at ``NEO4J_URI`` (``NEO4J_USER``, ``NEO4J_PASSWORD``), filled only
   if it holds nobody, so one filled server serves several runs; otherwise a throwaway one
   (:mod:`graph.adapters.neo4j.server`). Filled through :meth:`GraphStore.apply`, in batches of
   ``--batch-size`` contacts; then the real ``tiegraph serve`` (one worker, JWT auth, rate limit
   out of the way) on it, as :mod:`bench.api` runs it.
3. **Timed over HTTP**, one request at a time with one keep-alive client: ``person(id)`` for
   ``--lookups`` people, then ``introductionPaths(from, to, first: 5)`` (maxHops 3, STRONGEST)
   for ``--pairs`` seeded pairs of people drawn at random, after ``--warmup`` of each. p50 and
   p99 of both, and their ratios (targets: paths ≤ 5x a lookup at p50, ≤ 25x at p99).
4. **Naive Cypher**, same run, same server: :data:`bench.paths.NAIVE_PATHS` (every path of up
   to 3 ties, scored, sorted) over Bolt on the first ``--naive-pairs`` pairs, cut at
   ``--naive-timeout`` s, against ``Neo4jStore.introduction_paths`` over Bolt on the same
   pairs (target: ours ≥ 5x faster at p50). Timeouts enter at the time they took.
5. **Hub pair.** The ``PROFILE`` db hits of ours and of the naive query between the person
   with the most ties and a person of median degree.

The bench process, the service and Neo4j share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import itertools
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx
import neo4j
from rich.console import Console

from bench._kit import percentile
from bench.api import (
    PERSON_LOOKUP,
    _admin_token,
    _Servers,
    _wait_ready,
    start_tiegraph,
)
from bench.paths import (
    DATABASE,
    MAX_HOPS,
    NAIVE_PATHS,
    Pair,
    naive_answer,
    path_parameters,
    profile_query,
)
from graph.adapters.neo4j import cypher, server
from graph.adapters.neo4j.store import Neo4jStore, procedure_path_parameters
from graph.domain.batch import WriteBatch
from graph.domain.model import Interaction, InteractionKind, Person
from graph.domain.paths import Strategy

__all__ = ["dense_network", "main"]

EXPONENT: Final = 0.7
"""Person ``i`` is drawn with weight ``(i + 1) ** -EXPONENT``: a power law of degrees."""
UNIFORM_SHARE: Final = 2 / 7
"""How often an end of a contact is anyone at random rather than drawn by the power law: the
broad base of a professional network (median degree ~60 at 20,000 people, 920,000 draws),
where a pure power law leaves most people with a few dozen ties (median 41)."""
REPEAT_SHARE: Final = 0.3
"""How often a contact is followed by a second one between the same two."""
SPAN: Final = timedelta(days=730)
KINDS: Final = (
    InteractionKind.MESSAGE,
    InteractionKind.CALL,
    InteractionKind.CONTACT,
    InteractionKind.MEETING,
)
TARGET_P50_RATIO: Final = 5.0
TARGET_P99_RATIO: Final = 25.0
TARGET_NAIVE_RATIO: Final = 5.0

PATHS_QUERY: Final = (
    "query Paths($from: ID!, $to: ID!) { introductionPaths(from: $from, to: $to, first: 5) "
    "{ score hops via { key } } }"
)


def person_id(index: int) -> str:
    """The id of the ``index``-th person (0 is the most connected)."""
    return f"d{index:05d}"


def dense_network(
    *, people: int, draws: int, seed: int, now: datetime
) -> tuple[list[Person], list[Interaction]]:
    """People and their contacts, power-law degrees, over the two years before ``now``."""
    rng = random.Random(seed)
    cumulative = list(itertools.accumulate((i + 1) ** -EXPONENT for i in range(people)))
    total = cumulative[-1]
    everyone = [Person(id=person_id(i), name=f"Person {i}") for i in range(people)]
    contacts: list[Interaction] = []

    def draw() -> int:
        if rng.random() < UNIFORM_SHARE:
            return rng.randrange(people)
        return bisect.bisect_left(cumulative, rng.random() * total)

    def contact(a: int, b: int) -> None:
        at = now - SPAN * rng.random()
        contacts.append(
            Interaction(
                key=f"dense-{len(contacts)}",
                at=at,
                kind=rng.choice(KINDS),
                participant_ids=(person_id(a), person_id(b)),
                initiator_id=person_id(a),
            )
        )

    for _ in range(draws):
        a, b = draw(), draw()
        if a == b:
            continue
        contact(a, b)
        if rng.random() < REPEAT_SHARE:
            contact(b, a)
    return everyone, contacts


def _batches(people: list[Person], contacts: list[Interaction], size: int) -> Iterator[WriteBatch]:
    for start in range(0, len(people), size):
        yield WriteBatch(people=people[start : start + size])
    for start in range(0, len(contacts), size):
        yield WriteBatch(interactions=contacts[start : start + size])


@dataclass(frozen=True)
class Server:
    """A Neo4j server the bench uses: its Bolt URI, the environment ``tiegraph serve`` needs
    for it, and the credentials (none without auth)."""

    uri: str
    env: dict[str, str]
    auth: tuple[str, str] | None


@contextlib.asynccontextmanager
async def _neo4j_server(
    home: Path, args: argparse.Namespace
) -> AsyncIterator[tuple[Server, Neo4jStore, neo4j.AsyncDriver]]:
    """The Neo4j server at ``NEO4J_URI`` (kept, and filled only if empty), or a throwaway one
    without auth: where it is and how to log in, a store, a driver."""
    uri = os.environ.get("NEO4J_URI")
    running = None
    env: dict[str, str] = {}
    auth: tuple[str, str] | None = None
    if uri:
        password = os.environ.get("NEO4J_PASSWORD")
        user = os.environ.get("NEO4J_USER") or "neo4j"
        if password is not None:
            auth = (user, password)
            env = {"NEO4J_USER": user, "NEO4J_PASSWORD": password}
    else:
        running = server.start(
            home=home,
            cache_dir=server.default_cache_dir(),
            auth=None,
            heap=args.neo4j_heap,
            pagecache=args.neo4j_pagecache,
            timeout_s=180.0,
        )
        uri = running.uri
    try:
        store = Neo4jStore(uri=uri, auth=auth, database=DATABASE)
        await store.open()
        driver = neo4j.AsyncGraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
        try:
            yield Server(uri, env, auth), store, driver
        finally:
            await driver.close()
            await store.close()
    finally:
        if running is not None:
            server.stop(home)


def _summary(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(seconds),
        "p50_ms": 1000 * percentile(sorted(seconds), 0.5),
        "p99_ms": 1000 * percentile(sorted(seconds), 0.99),
        "max_ms": 1000 * max(seconds),
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


async def _degrees(driver: neo4j.AsyncDriver) -> dict[str, int]:
    async with driver.session(database=DATABASE) as session:
        result = await session.run(
            "MATCH (p:Person) RETURN p.id AS id, COUNT { (p)-[:TIE]-() } AS degree"
        )
        return {row["id"]: int(row["degree"]) async for row in result}


async def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    """Build, serve and time; return the figures."""
    now = datetime.now(UTC).replace(microsecond=0)
    people, contacts = dense_network(
        people=args.people, draws=args.draws, seed=args.seed, now=now - timedelta(days=1)
    )
    console.log(f"dense network: {len(people):,} people, {len(contacts):,} contacts")
    result: dict[str, Any] = {"people": len(people), "contacts": len(contacts)}
    with tempfile.TemporaryDirectory(prefix="tiegraph-dense-") as scratch_dir:
        scratch = Path(scratch_dir)
        async with _neo4j_server(scratch / "neo4j", args) as (neo4j_at, store, driver):
            uri, env = neo4j_at.uri, neo4j_at.env
            degrees = await _degrees(driver)
            if not degrees:
                began = time.perf_counter()
                for batch in _batches(people, contacts, args.batch_size):
                    await store.apply(batch)
                result["ingest_s"] = time.perf_counter() - began
                degrees = await _degrees(driver)
            ordered = sorted(degrees.values())
            result["ties"] = sum(ordered) // 2
            result["median_degree"] = statistics.median(ordered)
            result["max_degree"] = ordered[-1]
            console.log(
                (f"ingested in {result['ingest_s']:.0f} s: " if "ingest_s" in result else "")
                + f"{result['ties']:,} ties, median degree {result['median_degree']}, "
                f"hub {result['max_degree']:,}"
            )
            rng = random.Random(args.seed)
            ids = sorted(degrees)
            drawn = [rng.sample(ids, 2) for _ in range(args.warmup + args.pairs)]
            pairs = [Pair(source, target, hops=None) for source, target in drawn]
            warm, timed = pairs[: args.warmup], pairs[args.warmup :]
            looked_up = [rng.choice(ids) for _ in range(args.warmup + args.lookups)]

            secret = secrets.token_urlsafe(48)
            servers = _Servers()
            try:
                server = start_tiegraph(
                    servers,
                    store_args=["--store", "neo4j", "--neo4j-uri", uri],
                    env={"TIEGRAPH_JWT_SECRET": secret, **env},
                    log_path=scratch / "tiegraph.log",
                )
                await _wait_ready(server)
                headers = {"authorization": f"Bearer {_admin_token(secret)}"}
                url = server.base_url + "/graphql"
                async with httpx.AsyncClient(headers=headers, timeout=120.0) as client:
                    lookups = [
                        await _post(client, url, PERSON_LOOKUP, {"id": key}) for key in looked_up
                    ][args.warmup :]
                    for pair in warm:
                        await _post(
                            client, url, PATHS_QUERY, {"from": pair.source, "to": pair.target}
                        )
                    paths = [
                        await _post(client, url, PATHS_QUERY, {"from": p.source, "to": p.target})
                        for p in timed
                    ]
            finally:
                servers.stop_all()
            result["lookup"] = _summary(lookups)
            result["paths"] = _summary(paths)
            result["p50_ratio"] = result["paths"]["p50_ms"] / result["lookup"]["p50_ms"]
            result["p99_ratio"] = result["paths"]["p99_ms"] / result["lookup"]["p99_ms"]
            console.log(
                f"HTTP: lookup p50 {result['lookup']['p50_ms']:.1f} ms p99 "
                f"{result['lookup']['p99_ms']:.1f} ms; paths p50 {result['paths']['p50_ms']:.1f} "
                f"ms p99 {result['paths']['p99_ms']:.1f} ms; "
                f"{result['p50_ratio']:.1f}x / {result['p99_ratio']:.1f}x a lookup"
            )

            at = now
            parameters = path_parameters(store.model, at)
            compared = timed[: args.naive_pairs]
            result["search"] = "procedure" if store.searches_by_procedure else "cypher"
            ours_bolt = await _timed_searches(store, compared, at)
            if store.searches_by_procedure:
                # The same pairs searched by the Cypher query, on the same server, in this run.
                in_cypher = Neo4jStore(
                    uri=uri,
                    auth=neo4j_at.auth,
                    database=DATABASE,
                    plan_searches_at_open=False,
                    use_procedures=False,
                )
                await in_cypher.open()
                try:
                    await _timed_searches(in_cypher, compared[:2], at)  # plans the query
                    cypher_bolt = await _timed_searches(in_cypher, compared, at)
                finally:
                    await in_cypher.close()
                result["bolt_cypher"] = _summary(cypher_bolt)
                result["procedure_ratio"] = (
                    result["bolt_cypher"]["p50_ms"] / _summary(ours_bolt)["p50_ms"]
                )
                console.log(
                    f"Bolt, {len(compared)} pairs: the procedure p50"
                    f" {_summary(ours_bolt)['p50_ms']:.1f} ms, the Cypher query"
                    f" {result['bolt_cypher']['p50_ms']:.1f} ms:"
                    f" {result['procedure_ratio']:.1f}x"
                )
            naive = [
                await naive_answer(driver, parameters, pair, timeout_s=args.naive_timeout)
                for pair in compared
            ]
            result["bolt_ours"] = _summary(ours_bolt)
            result["bolt_naive"] = _summary([answer.seconds for answer in naive])
            result["naive_timeouts"] = sum(bool(answer.cut) for answer in naive)
            result["naive_ratio"] = result["bolt_naive"]["p50_ms"] / result["bolt_ours"]["p50_ms"]
            console.log(
                f"Bolt, {len(compared)} pairs: ours p50 {result['bolt_ours']['p50_ms']:.1f} ms, "
                f"naive p50 {result['bolt_naive']['p50_ms']:.1f} ms "
                f"({result['naive_timeouts']} timeouts): {result['naive_ratio']:.1f}x"
            )

            hub = max(degrees, key=lambda key: degrees[key])
            median = min(ids, key=lambda key: abs(degrees[key] - result["median_degree"]))
            hub_pair = Pair(median, hub, hops=None)
            mine = await profile_query(
                driver,
                cypher.introduction_paths_query(MAX_HOPS),
                parameters,
                hub_pair,
                timeout_s=60.0,
            )
            theirs = await profile_query(
                driver, NAIVE_PATHS, parameters, hub_pair, timeout_s=args.naive_timeout
            )
            result["hub_pair"] = {
                "source": median,
                "target": hub,
                "degrees": [degrees[median], degrees[hub]],
                "cypher_db_hits": None if mine is None else mine["db_hits"],
                "cypher_ms": None if mine is None else 1000 * mine["seconds"],
                "naive_db_hits": None if theirs is None else theirs["db_hits"],
                "naive_ms": None if theirs is None else 1000 * theirs["seconds"],
            }
            if store.searches_by_procedure:
                result["hub_pair"]["procedure_reads"] = await procedure_work(
                    driver, parameters, hub_pair
                )
            console.log(f"hub pair: {result['hub_pair']}")
    result["targets"] = {
        f"paths p50 <= {TARGET_P50_RATIO:g}x a lookup": result["p50_ratio"] <= TARGET_P50_RATIO,
        f"paths p99 <= {TARGET_P99_RATIO:g}x a lookup": result["p99_ratio"] <= TARGET_P99_RATIO,
        f">= {TARGET_NAIVE_RATIO:g}x faster than naive at p50": result["naive_ratio"]
        >= TARGET_NAIVE_RATIO,
    }
    for target, met in result["targets"].items():
        console.log(f"{'PASS' if met else 'MISS'} {target}")
    return result


async def _timed_searches(store: Neo4jStore, pairs: Sequence[Pair], at: datetime) -> list[float]:
    """Seconds for each pair's search through ``store`` over Bolt (3 hops, first 5)."""
    seconds = []
    for pair in pairs:
        start = time.perf_counter()
        await store.introduction_paths(
            pair.source,
            pair.target,
            max_hops=MAX_HOPS,
            first=5,
            strategy=Strategy.STRONGEST,
            min_link_strength=0.0,
            at=at,
        )
        seconds.append(time.perf_counter() - start)
    return seconds


async def procedure_work(
    driver: neo4j.AsyncDriver, parameters: dict[str, Any], pair: Pair
) -> dict[str, int]:
    """What the procedure reads for ``pair`` (tiegraph.introductionPathsWork)."""
    arguments = procedure_path_parameters(
        {**parameters, "source": pair.source, "target": pair.target}, MAX_HOPS
    )
    async with driver.session(database=DATABASE) as session:
        result = await session.run(cypher.INTRODUCTION_PATHS_WORK, arguments)
        row = await result.single()
    assert row is not None
    return {"relationships": row["relationships"], "people": row["people"], "found": row["found"]}


def parser() -> argparse.ArgumentParser:
    """The dense bench's options (also accepted by ``bench.paths --dense``)."""
    parser = argparse.ArgumentParser(prog="python -m bench.dense_paths", description=__doc__)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--draws", type=int, default=200_000, help="contact draws (see above)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=2_000)
    parser.add_argument("--pairs", type=int, default=200, help="timed pairs over HTTP")
    parser.add_argument("--lookups", type=int, default=500, help="timed person lookups")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--naive-pairs", type=int, default=20)
    parser.add_argument("--naive-timeout", type=float, default=10.0)
    parser.add_argument("--neo4j-heap", default="2g")
    parser.add_argument("--neo4j-pagecache", default="1g")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the dense bench; print its figures."""
    args = parser().parse_args(argv)
    console = Console(stderr=True)
    result = asyncio.run(run(args, console))
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

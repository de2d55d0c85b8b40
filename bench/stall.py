"""Whether heavy requests stall the others: a person lookup's latency beside heavy searches.

Run ``python -m bench.stall [--people 6000] [--acquaintances 50] [--duration 30]
[--heavy-clients 4] [--applicants 1000] [--budget 2] [--out FILE]``.

1. A dense synthetic network (:mod:`graph.samples.synth`, ``--acquaintances`` background
   acquaintanceships per person, so a 4-hop path search between well-connected people takes
   0.5 to 2 s) is loaded into an embedded store (a temporary directory, or ``--data-dir``; with
   ``--reuse`` a store already holding the same network is used as it is), as
   :mod:`bench.api` does. The ``--hubs`` best-connected people are the ends of the heavy path
   queries.
2. The real service runs as a process of its own (``tiegraph serve``, one worker), its request
   budget set to ``--budget`` seconds (``TIEGRAPH_REQUEST_BUDGET_SECONDS``).
3. **Idle**: one client looks people up (``person(id)``, a closed loop) for
   ``--idle-duration`` seconds: p50 and p99.
4. **Loaded**: for ``--duration`` seconds, the same lookup client runs while
   ``--heavy-clients`` clients each send ``introductionPaths(maxHops: 4, first: 20)`` between
   two random hubs, one after the other, and one more client composes cohorts of
   ``--applicants`` people (``composeCohorts``, default iterations) over and over. Heavy
   requests answer with paths or with the typed ``BUDGET_EXCEEDED`` error; both count as
   answered, anything else is an error.

Printed: the lookup's p50/p99 idle and loaded and the ratio of the p99s (target: loaded p99 at
most ``TARGET_RATIO`` times the idle p99), and for the heavy requests how many were answered,
how many ran out of their budget, and their latency. Client and server share the machine's
cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
import orjson
from rich.console import Console
from rich.table import Table

from bench._kit import cpu_seconds, percentile
from bench.api import (
    PERSON_LOOKUP,
    _admin_token,
    _check_person,
    _embedded_store,
    _Servers,
    _wait_ready,
    add_store_options,
    run_each_backend,
    start_tiegraph,
)
from graph.samples.synth import SyntheticNetwork, generate_network

__all__ = ["main"]

TARGET_RATIO: Final = 10.0
"""A lookup's p99 beside the heavy requests, over its p99 alone, at most."""

HEAVY_PATHS: Final = (
    "query HeavyPaths($from: ID!, $to: ID!) { introductionPaths(from: $from, to: $to, "
    "maxHops: 4, first: 20) { score hops } }"
)
COMPOSE: Final = (
    "query Compose($applicants: [ApplicantInput!]!) { composeCohorts(applicants: $applicants, "
    "cohortSize: 8) { objective iterations } }"
)


@dataclass(slots=True)
class _Outcomes:
    """What one kind of request got back."""

    latencies: list[float] = field(default_factory=list)
    answered: int = 0
    over_budget: int = 0
    errors: int = 0
    first_error: str | None = None

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "requests": len(ordered),
            "answered": self.answered,
            "over_budget": self.over_budget,
            "errors": self.errors,
            "first_error": self.first_error,
            "p50_ms": 1000 * percentile(ordered, 0.50),
            "p99_ms": 1000 * percentile(ordered, 0.99),
            "max_ms": 1000 * (ordered[-1] if ordered else 0.0),
        }


def _judge(response: httpx.Response, outcomes: _Outcomes) -> None:
    """Count an answer: data, the typed budget error, or anything else (an error)."""
    problem: str | None = None
    if response.status_code != 200:
        problem = f"HTTP {response.status_code}: {response.text[:200]}"
    else:
        document = orjson.loads(response.content)
        errors = document.get("errors") or []
        codes = {(e.get("extensions") or {}).get("code") for e in errors}
        if errors and codes == {"BUDGET_EXCEEDED"}:
            outcomes.over_budget += 1
            return
        if errors:
            problem = f"GraphQL errors: {errors!r}"[:300]
    if problem is None:
        outcomes.answered += 1
        return
    outcomes.errors += 1
    if outcomes.first_error is None:
        outcomes.first_error = problem


async def _lookups(
    client: httpx.AsyncClient, url: str, keys: list[str], until: float, outcomes: _Outcomes
) -> None:
    rng = random.Random(1)
    while time.perf_counter() < until:
        body = orjson.dumps(
            {
                "query": PERSON_LOOKUP,
                "operationName": "PersonLookup",
                "variables": {"id": rng.choice(keys)},
            }
        )
        started = time.perf_counter()
        response = await client.post(url, content=body)
        outcomes.latencies.append(time.perf_counter() - started)
        problem = _check_person(response)
        if problem is None:
            outcomes.answered += 1
        else:
            outcomes.errors += 1
            outcomes.first_error = outcomes.first_error or problem


async def _repeat(
    client: httpx.AsyncClient,
    url: str,
    make_body: Any,
    until: float,
    outcomes: _Outcomes,
) -> None:
    seq = 0
    while time.perf_counter() < until:
        body = make_body(seq)
        seq += 1
        started = time.perf_counter()
        response = await client.post(url, content=body)
        outcomes.latencies.append(time.perf_counter() - started)
        _judge(response, outcomes)


async def _hubs(data_dir: Path, count: int) -> list[str]:
    """The ``count`` people with the most ties (ties counted through the store's port)."""
    from graph.adapters.embedded.store import EmbeddedStore
    from graph.domain.model import Person

    store = EmbeddedStore(data_dir)
    await store.open()
    try:
        degree: dict[str, int] = {}
        after: str | None = None
        while True:
            page = await store.list_records(Person, first=1_000, after=after)
            ids = [p.id for p in page.items]
            for pid, ties in (await store.ties_of(ids)).items():
                degree[pid] = len(ties)
            if not page.has_next or not ids:
                break
            after = ids[-1]
    finally:
        await store.close()
    return sorted(degree, key=lambda p: (-degree[p], p))[:count]


def _keys(network: SyntheticNetwork) -> list[str]:
    return [p.id for p in network.people()]


async def run_backend(
    args: argparse.Namespace, backend: str, scratch: Path, servers: _Servers, console: Console
) -> dict[str, Any]:
    """Load the store, start the service, measure the lookup idle and beside heavy requests."""
    network = generate_network(people=args.people, seed=args.seed, acquaintances=args.acquaintances)
    keys = _keys(network)
    async with _embedded_store(args, network, scratch, console) as loaded:
        data_dir = Path(loaded.store_args[-1])
        hubs = await _hubs(data_dir, args.hubs)
        secret = secrets.token_urlsafe(48)
        server = start_tiegraph(
            servers,
            store_args=loaded.store_args,
            env={
                "TIEGRAPH_JWT_SECRET": secret,
                "TIEGRAPH_REQUEST_BUDGET_SECONDS": str(args.budget),
                "TIEGRAPH_COMPOSE_BUDGET_SECONDS": str(args.compose_budget),
            },
            log_path=scratch / "tiegraph-stall.log",
        )
        await _wait_ready(server)
        console.log(f"serving {network!r}; heavy paths between the {len(hubs)} best-connected")
        url = server.base_url + "/graphql"
        headers = {
            "content-type": "application/json",
            "authorization": f"Bearer {_admin_token(secret)}",
        }
        rng = random.Random(args.seed)
        pairs = [rng.sample(hubs, 2) for _ in range(10_000)]

        def heavy_body(client: int) -> Any:
            def make(seq: int) -> bytes:
                a, b = pairs[(client * 7919 + seq) % len(pairs)]
                return orjson.dumps(
                    {
                        "query": HEAVY_PATHS,
                        "operationName": "HeavyPaths",
                        "variables": {"from": a, "to": b},
                    }
                )

            return make

        applicants = [{"person": k} for k in keys[: args.applicants]]

        def compose_body(seq: int) -> bytes:
            return orjson.dumps(
                {
                    "query": COMPOSE,
                    "operationName": "Compose",
                    "variables": {"applicants": applicants},
                }
            )

        timeout = httpx.Timeout(max(120.0, 4 * args.compose_budget))
        async with httpx.AsyncClient(headers=headers, timeout=timeout) as client:
            warm = _Outcomes()
            await _lookups(client, url, keys, time.perf_counter() + 2.0, warm)
            idle = _Outcomes()
            await _lookups(client, url, keys, time.perf_counter() + args.idle_duration, idle)
            console.log(f"idle: {len(idle.latencies)} lookups")
            loaded_lookups = _Outcomes()
            heavy = _Outcomes()
            compose = _Outcomes()
            cpu_before = cpu_seconds(server.pid)
            until = time.perf_counter() + args.duration
            tasks = [
                _repeat(client, url, heavy_body(i), until, heavy) for i in range(args.heavy_clients)
            ]
            if args.applicants:
                tasks.append(_repeat(client, url, compose_body, until, compose))
            began = time.perf_counter()
            await asyncio.gather(
                _lookups(client, url, keys, until, loaded_lookups),
                *tasks,
            )
            elapsed = time.perf_counter() - began
            cpu_after = cpu_seconds(server.pid)
    idle_f, loaded_f = idle.figures(), loaded_lookups.figures()
    ratio = loaded_f["p99_ms"] / idle_f["p99_ms"] if idle_f["p99_ms"] else float("inf")
    return {
        "backend": backend,
        "network": repr(network),
        "people": args.people,
        "acquaintances": args.acquaintances,
        "budget_s": args.budget,
        "compose_budget_s": args.compose_budget,
        "heavy_clients": args.heavy_clients,
        "applicants": args.applicants,
        "duration_s": elapsed,
        "server_cpu_s": (
            cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
        ),
        "idle": idle_f,
        "loaded": loaded_f,
        "p99_ratio": ratio,
        "heavy": heavy.figures(),
        "compose": compose.figures(),
    }


def render(result: dict[str, Any], info: dict[str, Any], console: Console) -> None:
    """Print the figures of one run."""
    if "error" in result:
        console.print(f"[red]failed:[/red] {result['error']}")
        return
    console.print(
        f"{result['network']}: budget {result['budget_s']:g} s (cohorts "
        f"{result['compose_budget_s']:g} s), {result['heavy_clients']} heavy path clients"
        f" and cohorts of {result['applicants']} for {result['duration_s']:.0f} s;"
        f" machine: {info.get('nproc', '?')} CPUs"
    )
    table = Table(title="person lookup")
    for column in ("", "requests", "p50 ms", "p99 ms", "max ms", "errors"):
        table.add_column(column, justify="right")
    for name in ("idle", "loaded"):
        f = result[name]
        table.add_row(
            name,
            str(f["requests"]),
            f"{f['p50_ms']:.1f}",
            f"{f['p99_ms']:.1f}",
            f"{f['max_ms']:.1f}",
            str(f["errors"]),
        )
    console.print(table)
    verdict = "PASS" if result["p99_ratio"] <= TARGET_RATIO else "MISS"
    console.print(
        f"loaded p99 / idle p99 = {result['p99_ratio']:.1f}x (target <= {TARGET_RATIO:g}x):"
        f" {verdict}"
    )
    heavy = Table(title="heavy requests")
    for column in ("", "requests", "answered", "over budget", "errors", "p50 ms", "max ms"):
        heavy.add_column(column, justify="right")
    for name, label in (("heavy", "paths, maxHops 4"), ("compose", "composeCohorts")):
        f = result[name]
        heavy.add_row(
            label,
            str(f["requests"]),
            str(f["answered"]),
            str(f["over_budget"]),
            str(f["errors"]),
            f"{f['p50_ms']:.0f}",
            f"{f['max_ms']:.0f}",
        )
    console.print(heavy)
    for name in ("idle", "loaded", "heavy", "compose"):
        if result[name]["first_error"]:
            console.print(f"first {name} error: {result[name]['first_error']}", markup=False)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.stall", description=__doc__)
    parser.add_argument("--people", type=int, default=6_000)
    parser.add_argument("--acquaintances", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hubs", type=int, default=200, help="ends of the heavy paths")
    parser.add_argument("--idle-duration", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--heavy-clients", type=int, default=4)
    parser.add_argument("--applicants", type=int, default=1_000, help="0: no cohorts")
    parser.add_argument("--budget", type=float, default=2.0, help="request budget, seconds")
    parser.add_argument("--compose-budget", type=float, default=30.0)
    add_store_options(parser)
    parser.set_defaults(backend="embedded")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0 when it ran (whether or not it met its target)."""
    args = _parser().parse_args(argv)
    if args.people < 10 or args.duration <= 0 or args.heavy_clients < 0:
        raise SystemExit("--people >= 10, --duration > 0 and --heavy-clients >= 0")
    if not 0 <= args.applicants <= min(1_000, args.people):
        raise SystemExit("--applicants must be 0 to 1000, and at most --people")
    if args.reuse and args.data_dir is None:
        raise SystemExit("--reuse needs --data-dir")
    console = Console(stderr=True)
    ran = run_each_backend(args, run_backend, prefix="tiegraph-bench-stall", console=console)
    if ran is None:
        return 130
    info, results = ran
    if args.out is not None:
        payload = {"machine": info, "results": results}
        args.out.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    out = Console()
    if not out.is_terminal:
        out = Console(width=150)
    for result in results:
        render(result, info, out)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

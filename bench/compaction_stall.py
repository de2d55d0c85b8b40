"""Whether compacting the tie index stalls the requests served meanwhile.

Run ``python -m bench.compaction_stall [--people 1000000] [--contacts 11500000]``.

1. **Index**: a :class:`~graph.adapters.embedded.tie_index.TieIndex` loaded in bulk with the
   ties of :func:`bench.embedded_paths.million_network`-shaped contacts (about ten million
   ties with the defaults; values as :mod:`bench.cold_start` writes them), as the store holds
   them once open.
2. **Served meanwhile**, on one event loop, as the store's requests are: one client looking
   ties up in a closed loop (a person's neighbours and one of their ties, every millisecond;
   its latency is from when it was due to when it was answered, so a loop that is blocked
   shows), and one writer putting ``--writes`` changed and new ties every 10 ms.
3. **Phases**, each ``--seconds`` long or as long as the compaction takes: *idle*; a
   compaction in the **background** (built on a thread of its own, installed under the lock:
   the store's way); and, for comparison, the same compaction **on the loop** (under the
   lock, as the store did before: every request waits for it).

Printed: the lookup's p50, p99 and max in each phase, how long each compaction took, and the
ratio of the background phase's p99 to the idle p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
from rich.console import Console

from bench._kit import percentile
from bench.cold_start import NOW, _pairs, _person_id
from bench.dense_paths import KINDS, SPAN
from bench.embedded_paths import MILLION
from graph.adapters.embedded.tie_index import TieIndex, TieRows
from graph.domain.batch import TieDelta
from graph.domain.strength import StrengthModel

__all__ = ["main"]

_LOAD_CHUNK: Final = 1_000_000


def _index(people: int, contacts: int, seed: int, console: Console) -> TieIndex:
    codes, counts = _pairs(people=people, contacts=contacts, seed=seed)
    rng = np.random.default_rng(seed + 1)
    span_us = SPAN // timedelta(microseconds=1)
    now_us = int(NOW.timestamp() * 1_000_000)
    ids = [_person_id(i) for i in range(people)]

    def chunks() -> Any:
        for start in range(0, len(codes), _LOAD_CHUNK):
            code = codes[start : start + _LOAD_CHUNK]
            count = counts[start : start + _LOAD_CHUNK]
            n = len(code)
            ago = np.sort(rng.integers(0, span_us, (n, 2)), axis=1)
            by_a = rng.binomial(count, 0.5)
            per_kind = np.zeros((n, 8), np.int32)
            per_kind[np.arange(n), rng.integers(0, len(KINDS), n)] = count
            score = count * rng.uniform(0.01, 1.0, n)
            share = rng.uniform(0.0, 1.0, n)
            yield TieRows(
                a=[ids[c // people] for c in code.tolist()],
                b=[ids[c % people] for c in code.tolist()],
                first_us=now_us - ago[:, 1], last_us=now_us - ago[:, 0], count=count,
                counts=per_kind, initiated_by_a=by_a, initiated_by_b=count - by_a,
                score=score, score_by_a=score * share, score_by_b=score * (1.0 - share),
            )  # fmt: skip

    index = TieIndex(StrengthModel(), compact_after=10**12)  # compacted only when told
    began = time.perf_counter()
    index.load(chunks())
    console.log(f"index: {len(index):,} ties loaded in {time.perf_counter() - began:.0f} s")
    return index


async def _phase(
    index: TieIndex, people: int, writes: int, until: Callable[[], Awaitable[None]]
) -> dict[str, Any]:
    """Look ties up and write until ``until`` returns; the lookups' latencies."""
    rng = np.random.default_rng(3)
    latencies: list[float] = []
    written = 0
    done = asyncio.Event()

    async def lookups() -> None:
        due = time.perf_counter()
        while not done.is_set():
            person = _person_id(int(rng.integers(0, people)))
            others = index.neighbours(person)
            if others:
                index.tie(person, others[0])
            latencies.append(time.perf_counter() - due)
            due = time.perf_counter() + 0.001  # a blocked loop wakes the sleeper late
            await asyncio.sleep(0.001)

    async def writer() -> None:
        nonlocal written
        moment = NOW
        while not done.is_set():
            moment += timedelta(seconds=1)
            firsts = rng.integers(0, people, writes).tolist()
            seconds = rng.integers(0, people, writes).tolist()
            ties = [
                TieDelta(
                    a=min(_person_id(x), _person_id(y)), b=max(_person_id(x), _person_id(y)),
                    first_at=moment, last_at=moment, count=1, counts={KINDS[0]: 1},
                    initiated_by_a=1, initiated_by_b=0, score=1.0, score_by_a=1.0,
                    score_by_b=0.0,
                )
                for x, y in zip(firsts, seconds, strict=True)
                if x != y
            ]  # fmt: skip
            index.put(ties)
            written += len(ties)
            await asyncio.sleep(0.01)

    tasks = [asyncio.create_task(lookups()), asyncio.create_task(writer())]
    began = time.perf_counter()
    await until()
    took = time.perf_counter() - began
    done.set()
    await asyncio.gather(*tasks)
    ms = sorted(x * 1000 for x in latencies)
    return {
        "seconds": took,
        "lookups": len(ms),
        "p50_ms": percentile(ms, 0.5),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms),
        "ties_written": written,
    }


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    """Load the index, then time the lookups in each phase; return the figures."""
    index = _index(args.people, args.contacts, args.seed, console)
    result: dict[str, Any] = {"ties": len(index)}

    async def idle() -> None:
        await asyncio.sleep(args.seconds)

    async def in_background() -> None:
        index.compact_in_background()
        await asyncio.to_thread(index.wait_for_compaction)
        await asyncio.sleep(0.1)

    async def on_the_loop() -> None:
        await asyncio.sleep(0.1)
        index.compact()  # holds the loop and the lock, as a write that compacted used to
        await asyncio.sleep(0.1)

    for name, until in (
        ("idle", idle),
        ("background compaction", in_background),
        ("compaction on the loop", on_the_loop),
    ):
        load = _load_average()
        figures = await _phase(index, args.people, args.writes, until)
        figures["load_average"] = load
        result[name] = figures
        console.log(
            f"{name}: {figures['seconds']:.1f} s, {figures['lookups']:,} lookups, p50"
            f" {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms, max"
            f" {figures['max_ms']:.0f} ms; {figures['ties_written']:,} ties written;"
            f" load average {load}"
        )
    result["p99_ratio"] = result["background compaction"]["p99_ms"] / result["idle"]["p99_ms"]
    result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    console.log(f"background p99 / idle p99 = {result['p99_ratio']:.1f}x")
    return result


def parser() -> argparse.ArgumentParser:
    """The options of this benchmark."""
    parser = argparse.ArgumentParser(prog="python -m bench.compaction_stall", description=__doc__)
    parser.add_argument("--people", type=int, default=MILLION)
    parser.add_argument("--contacts", type=int, default=11_500_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=10.0, help="the idle phase")
    parser.add_argument("--writes", type=int, default=200, help="ties written every 10 ms")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0."""
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    console = Console(stderr=True)
    sys.setswitchinterval(0.001)  # as the service sets it
    result = asyncio.run(run(args, console))
    result["arguments"] = {k: str(v) for k, v in vars(args).items()}
    text = json.dumps(result, indent=2, sort_keys=True, default=str)
    if args.out is not None:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

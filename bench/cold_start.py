"""How long the embedded store takes to open with a million people: warm, cold and after a crash.

Run ``python -m bench.cold_start --data-dir /tmp/cold`` (a million people, the ties of ten
million contacts; ``--people`` and ``--contacts`` to scale it down).

1. **Store.** Built once into ``--data-dir`` (reused by later runs): ``--people`` person
   records and the tie checkpoint of :func:`bench.embedded_paths.million_network`'s contacts
   (nine in ten within a person's local circle), written straight into the ``ties`` table
   with plausible values (first and last contact within two years, counts per kind, who
   started them, scores): what start-up reads, without the hours of writing ten million
   contacts through ``apply`` (``bench.paths --embedded --million`` does that).
2. **Timed**, each in a fresh process (``VmHWM`` and ``VmRSS`` from ``/proc``, wall and CPU
   time of ``EmbeddedStore.open``):

   - *cold*: no saved index, the checkpoint table read (a store from an earlier tiegraph,
     after an erasure, or one that crashed before it was ever closed);
   - *warm*: the index saved on the last close read back;
   - *crashed*: ``--replay`` contacts written through ``apply`` (enough to change more than
     the 200,000 ties after which the store checkpoints them, so the changed ties are saved
     as a segment beside the saved index, and more after that), then the process killed
     (``os._exit``, no close); opened from the saved index, its segments and the replay of
     the contacts after them, and again with the saved index dropped (the worst case: a
     crash before the first checkpoint after an erasure or an upgrade).

Target: start-up at most 60 s, at most 2 GiB resident.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
import orjson
from rich.console import Console

from bench.dense_paths import KINDS, SPAN
from bench.embedded_paths import CIRCLE, LOCAL_SHARE, MILLION, MILLION_CONTACTS
from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.batch import WriteBatch
from graph.domain.codec import encode
from graph.domain.model import Interaction, Person

__all__ = ["main"]

NOW: Final = datetime(2026, 1, 1, tzinfo=UTC)
GIB: Final = 1024**3
_CHUNK: Final = 500_000


def _person_id(index: int) -> str:
    return f"m{index:07d}"


def _pairs(*, people: int, contacts: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pairs (as ``a * people + b``, ``a < b``) of the million network's contacts,
    and how many contacts each had."""
    generator = np.random.default_rng(seed)
    first = generator.integers(0, people, contacts)
    offsets = generator.integers(1, CIRCLE + 1, contacts) * generator.choice([-1, 1], contacts)
    anyone = generator.integers(0, people, contacts)
    local = generator.random(contacts) < LOCAL_SHARE
    second = np.where(local, (first + offsets) % people, anyone)
    second = np.where(second == first, (first + 1) % people, second)
    low, high = np.minimum(first, second), np.maximum(first, second)
    codes, counts = np.unique(low * people + high, return_counts=True)
    return codes, counts


def build(data_dir: Path, *, people: int, contacts: int, seed: int, console: Console) -> None:
    """Write the store (see the module doc) into ``data_dir``."""
    store = EmbeddedStore(data_dir)
    asyncio.run(_open_close(store))
    began = time.perf_counter()
    codes, counts = _pairs(people=people, contacts=contacts, seed=seed)
    ids = [_person_id(i) for i in range(people)]
    # Ids sort as their numbers do, so the rows are written in the table's key order.
    rng = np.random.default_rng(seed + 1)
    span_us = SPAN // timedelta(microseconds=1)
    now_us = int(NOW.timestamp() * 1_000_000)
    with sqlite3.connect(data_dir / "tiegraph.sqlite3", isolation_level=None) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO records (kind, id, data) VALUES ('person', ?, ?)",
            (
                (ids[i], orjson.dumps(encode(Person(id=ids[i], name=f"Person {i}"))))
                for i in range(people)
            ),
        )
        for start in range(0, len(codes), _CHUNK):
            code = codes[start : start + _CHUNK]
            count = counts[start : start + _CHUNK]
            n = len(code)
            ago = np.sort(rng.integers(0, span_us, (n, 2)), axis=1)
            first_us, last_us = now_us - ago[:, 1], now_us - ago[:, 0]
            by_a = rng.binomial(count, 0.5)
            kind = rng.integers(0, len(KINDS), n)
            score = count * rng.uniform(0.01, 1.0, n)
            share = rng.uniform(0.0, 1.0, n)
            conn.executemany(
                "INSERT INTO ties VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                zip(
                    [ids[c // people] for c in code.tolist()],
                    [ids[c % people] for c in code.tolist()],
                    first_us.tolist(),
                    last_us.tolist(),
                    count.tolist(),
                    [
                        orjson.dumps({KINDS[k].value: c})
                        for k, c in zip(kind.tolist(), count.tolist(), strict=True)
                    ],
                    by_a.tolist(),
                    (count - by_a).tolist(),
                    score.tolist(),
                    (score * share).tolist(),
                    (score * (1.0 - share)).tolist(),
                    strict=True,
                ),
            )
            console.log(f"{start + n:,} of {len(codes):,} ties written")
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('strength_model', ?)",
            (store.model.fingerprint(),),
        )
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('ties_through', '0')")
        conn.execute("COMMIT")
    console.log(f"built in {time.perf_counter() - began:.0f} s: {len(codes):,} ties")


async def _open_close(store: EmbeddedStore) -> None:
    await store.open()
    await store.close()


def _memory() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


def _drop_saved_index(data_dir: Path) -> None:
    with sqlite3.connect(data_dir / "tiegraph.sqlite3", isolation_level=None) as conn:
        conn.execute("DELETE FROM tie_index")
        conn.execute("DELETE FROM meta WHERE key = 'tie_index_through'")


async def _measure(data_dir: Path, *, close: bool, replay: int, people: int) -> dict[str, Any]:
    """Open the store and time it; then close it, or write ``replay`` contacts and stop
    without closing (a crash)."""
    store = EmbeddedStore(data_dir)
    began, cpu = time.perf_counter(), time.process_time()
    await store.open()
    result: dict[str, Any] = {
        "open_s": time.perf_counter() - began,
        "open_cpu_s": time.process_time() - cpu,
        "ties": len(store._ties),
        **_memory(),
    }
    if replay:
        rng = np.random.default_rng(99)
        firsts = rng.integers(0, people, replay).tolist()
        offsets = rng.integers(1, CIRCLE + 1, replay).tolist()
        contacts = [
            Interaction(
                key=f"replay-{i}",
                at=NOW + timedelta(seconds=i),
                kind=KINDS[i % len(KINDS)],
                participant_ids=(_person_id(a), _person_id((a + o) % people)),
                initiator_id=_person_id(a),
            )
            for i, (a, o) in enumerate(zip(firsts, offsets, strict=True))
        ]
        for start in range(0, replay, 10_000):
            await store.apply(WriteBatch(interactions=contacts[start : start + 10_000]))
        result["segment_ties_saved"] = store._saved_segments
        result["ties_changed_since"] = len(store._dirty)
    elif close:
        began = time.perf_counter()
        await store.close()
        result["close_s"] = time.perf_counter() - began
    return result


def _in_child(data_dir: Path, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable, "-m", "bench.cold_start", "--data-dir", str(data_dir),
            "--people", str(args.people), "--child", mode, "--replay", str(args.replay),
        ],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def _uptime() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    """Build if needed, then time each way of starting; return the figures."""
    data_dir: Path = args.data_dir
    if not (data_dir / "tiegraph.sqlite3").exists():
        build(
            data_dir, people=args.people, contacts=args.contacts, seed=args.seed,
            console=console,
        )  # fmt: skip
    result: dict[str, Any] = {}
    steps = (
        ("cold", "close"),  # no saved index yet, or dropped below; closing saves it
        ("warm", "close"),
        ("crash", "crash"),  # writes --replay contacts and stops without closing
        ("crashed, saved index", "open"),
        ("crashed, no saved index", "open"),
    )
    for name, mode in steps:
        if name in ("cold", "crashed, no saved index"):
            _drop_saved_index(data_dir)
        load = _uptime()
        figures = _in_child(data_dir, mode, args)
        figures["load_average"] = load
        result[name] = figures
        console.log(
            f"{name}: open {figures['open_s']:.1f} s ({figures['open_cpu_s']:.1f} s CPU),"
            f" {figures['ties']:,} ties, VmHWM {figures['VmHWM'] / GIB:.2f} GiB,"
            f" VmRSS {figures['VmRSS'] / GIB:.2f} GiB; load average {load}"
        )
    opened = [v["open_s"] for k, v in result.items() if k != "crash"]
    result["targets"] = {
        "start-up <= 60 s (every way)": max(opened) <= 60,
        "<= 2 GiB resident after open": max(v["VmRSS"] for v in result.values()) <= 2 * GIB,
    }
    for target, met in result["targets"].items():
        console.log(f"{'PASS' if met else 'MISS'} {target}")
    return result


def parser() -> argparse.ArgumentParser:
    """The options of this benchmark."""
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True, help="built there once, reused")
    parser.add_argument("--people", type=int, default=MILLION)
    parser.add_argument("--contacts", type=int, default=MILLION_CONTACTS)
    parser.add_argument("--replay", type=int, default=300_000, help="contacts before the crash")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", choices=("close", "crash", "open"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="also write the figures as JSON to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0."""
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.child is not None:
        figures = asyncio.run(
            _measure(
                args.data_dir, close=args.child == "close",
                replay=args.replay if args.child == "crash" else 0, people=args.people,
            )
        )  # fmt: skip
        print(json.dumps(figures), flush=True)
        os._exit(0)  # no close, no clean-up: as a killed process leaves the store
    console = Console(stderr=True)
    result = run(args, console)
    result["arguments"] = {k: str(v) for k, v in vars(args).items()}
    text = json.dumps(result, indent=2, sort_keys=True, default=str)
    if args.out is not None:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

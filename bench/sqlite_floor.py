"""What SQLite alone costs per contact with the embedded store's schema: the import's floor.

Run ``python -m bench.sqlite_floor [--rows 1000000] [--people 100000]``.

Builds the rows an import of contacts writes (an ``interactions`` row with a random 44-character
key, two ``interaction_people`` rows) beforehand, then inserts them with ``executemany`` in
transactions of ``--batch`` rows into a fresh database with the store's schema and pragmas
(WAL, ``synchronous=FULL``), and prints rows per second of wall and CPU time for a few
variants: as the store does it, with the index rows sorted, without ``interaction_people``,
and with a larger page cache. No Python work is timed but ``executemany`` itself.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from graph.adapters.embedded.schema import create_schema

__all__ = ["main"]

Row = tuple[int, str, int, str, str, str, None, None, None]
Person = tuple[str, int, int]


def _rows(count: int, people: int, seed: int) -> tuple[list[Row], list[Person]]:
    rng = random.Random(seed)
    ids = [f"p{i:07d}" for i in range(people)]
    rows: list[Row] = []
    index: list[Person] = []
    for seq in range(1, count + 1):
        key = "csv:" + hashlib.sha1(str(seq).encode(), usedforsecurity=False).hexdigest()
        a, b = rng.sample(ids, 2)
        at = 1_700_000_000_000_000 + rng.randrange(10**13)
        rows.append((seq, key, at, "message", f"{a}|{b}", a, None, None, None))
        index += [(a, at, seq), (b, at, seq)]
    return rows, index


def _insert(
    path: Path,
    rows: list[Row],
    index: list[Person],
    *,
    batch: int,
    sort_index: bool = False,
    with_index: bool = True,
    cache_kib: int = 65_536,
) -> tuple[float, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"PRAGMA cache_size=-{cache_kib}")
    create_schema(conn)  # with the interactions' unique key index, as a store has it
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(rows), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO interactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows[start : start + batch],
        )
        if with_index:
            people = index[2 * start : 2 * (start + batch)]
            conn.executemany(
                "INSERT INTO interaction_people VALUES (?, ?, ?)",
                sorted(people) if sort_index else people,
            )
        conn.execute("COMMIT")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    conn.close()
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    """Print the rates of each variant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rows, index = _rows(args.rows, args.people, args.seed)
    variants = {
        "as the store writes them": (False, True, 65_536),
        "index rows sorted first": (True, True, 65_536),
        "without interaction_people": (False, False, 65_536),
        "page cache 256 MiB": (False, True, 262_144),
    }
    for name, (sort_index, with_index, cache_kib) in variants.items():
        with tempfile.TemporaryDirectory() as scratch:
            wall, cpu = _insert(
                Path(scratch) / "floor.sqlite3",
                rows,
                index,
                batch=args.batch,
                sort_index=sort_index,
                with_index=with_index,
                cache_kib=cache_kib,
            )
        print(f"{name:28} {args.rows / wall:>9,.0f} rows/s wall {args.rows / cpu:>9,.0f} of CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

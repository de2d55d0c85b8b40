"""What a first load into the embedded store cannot go below on this machine: the import's floor.

Run ``python -m bench.embedded_load_floor contacts.csv [--cores 2]`` (a file from
:mod:`bench.contacts_csv`, such as ``contacts_csv.py dense12.csv 1200000 20000``, or the
million-people ``contacts_csv.py m10.csv 10000000 1000000``; ``--no-today`` leaves out the
store's own load, which takes minutes at ten million).

Measures, in one run, on the file's contacts:

1. **the command's fixed cost**: ``tiegraph import --create-missing-people`` of a one-contact
   file in a child process (wall and CPU): interpreter, imports, opening and closing a store;
2. **reading**, CPU per row in one process: the ``csv`` module alone; the least any reader of
   this format must do (the time as an integer, both people numbered by a dictionary, the kind
   and duration, a 64-bit hash of the row for its derived key); and today's reader (unsplit);
3. **the store's load as it is** (:func:`bench.first_load_parts.time_first_load`: each
   SQLite statement of its transaction, the ties in numpy, the tie index, the commit);
4. **the smallest schema a store could have**: the same contacts as integers only -- a row
   of eight integers, a unique index of 64-bit key hashes, two per-person indexes on
   ``(person, time)`` instead of a join table, a ties table keyed by two integer people with
   today's eleven columns -- written in one transaction as the load writes (rows first, then
   each index built by sorting; WAL, ``synchronous=FULL``, the load's 4 GB page cache).

Then prints the least wall time a contact could take end to end on ``--cores`` cores with that
smallest schema, every step but SQLite's one writer hidden on the other cores: ``fixed /
contacts + max(writer, (writer + least reading + ties in numpy + tie index) / cores)``, and the
rate that allows against the 100,000 a second asked. One SQLite connection writes a database,
so the writer's part does not divide among cores.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import numpy as np

from bench._kit import machine
from bench.first_load_parts import SPENT, instrument, time_first_load
from bench.import_cli import run_cli

__all__ = ["Contacts", "main", "read_least", "write_least"]

TARGET: Final = 100_000
"""Contacts a second end to end, as asked."""

_ROWS: Final = """CREATE TABLE interactions (
    seq INTEGER PRIMARY KEY, key INTEGER NOT NULL, at_us INTEGER NOT NULL,
    kind INTEGER NOT NULL, a INTEGER NOT NULL, b INTEGER NOT NULL, initiator INTEGER,
    duration_s INTEGER
)"""
_TIES: Final = """CREATE TABLE ties (
    a INTEGER NOT NULL, b INTEGER NOT NULL, first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,
    count INTEGER NOT NULL, counts BLOB NOT NULL, initiated_by_a INTEGER NOT NULL,
    initiated_by_b INTEGER NOT NULL, score REAL NOT NULL, score_by_a REAL NOT NULL,
    score_by_b REAL NOT NULL, PRIMARY KEY (a, b)
) WITHOUT ROWID"""
_LEAST: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("keys' unique index", ("CREATE UNIQUE INDEX interactions_by_key ON interactions (key)",)),
    (
        "two per-person indexes",
        (
            "CREATE INDEX interactions_by_a ON interactions (a, at_us)",
            "CREATE INDEX interactions_by_b ON interactions (b, at_us)",
        ),
    ),
)


class Contacts:
    """A file's contacts as integers: what the smallest schema stores."""

    def __init__(self) -> None:
        self.key: list[int] = []
        self.at_us: list[int] = []
        self.kind: list[int] = []
        self.a: list[int] = []
        self.b: list[int] = []
        self.initiator: list[int | None] = []
        self.duration_s: list[int | None] = []

    def __len__(self) -> int:
        return len(self.key)


def read_least(path: Path) -> Contacts:
    """The least a reader of a contacts CSV does: each row's cells as integers (people and
    kinds numbered as they come), and a 64-bit hash of the row standing for its derived key.
    No check beyond what ``int`` refuses."""
    people: dict[str, int] = {}
    kinds: dict[str, int] = {}
    number = people.setdefault
    out = Contacts()
    key, at_us, kind, a, b = out.key, out.at_us, out.kind, out.a, out.b
    initiator, duration = out.initiator, out.duration_s
    digest = hashlib.blake2b
    with path.open(newline="", encoding="utf-8") as file:
        rows = csv.reader(file)
        header = next(rows)
        column = {name: i for i, name in enumerate(header)}
        ia, ip, iq, ik = column["at"], column["person_a"], column["person_b"], column["kind"]
        idur, iini = column.get("duration_s"), column.get("initiator")
        for row in rows:
            seconds = int(row[ia])
            at_us.append(seconds * 1_000_000)
            a.append(number(row[ip], len(people)))
            b.append(number(row[iq], len(people)))
            kind.append(kinds.setdefault(row[ik], len(kinds)))
            cell = row[idur] if idur is not None else ""
            duration.append(int(cell) if cell else None)
            cell = row[iini] if iini is not None else ""
            initiator.append(number(cell, len(people)) if cell else None)
            key.append(
                int.from_bytes(
                    digest(",".join(row).encode(), digest_size=8).digest(), "big", signed=True
                )
            )
    return out


def _tie_columns(contacts: Contacts) -> list[Any]:
    """The ties of ``contacts`` (one per pair, in pair order) with today's eleven columns:
    first and last contact, count, counts as a small blob, who started, three scores."""
    a, b = np.asarray(contacts.a, np.int64), np.asarray(contacts.b, np.int64)
    low, high = np.minimum(a, b), np.maximum(a, b)
    pairs, inverse, count = np.unique(
        low * (int(high.max()) + 1) + high, return_inverse=True, return_counts=True
    )
    at = np.asarray(contacts.at_us, np.int64)
    first = np.full(len(pairs), np.iinfo(np.int64).max)
    last = np.zeros(len(pairs), np.int64)
    np.minimum.at(first, inverse, at)
    np.maximum.at(last, inverse, at)
    started = np.bincount(inverse, weights=(a == low), minlength=len(pairs)).astype(np.int64)
    score = count * 0.5
    width = int(high.max()) + 1
    blobs = [b'{"message":%d}' % c for c in count.tolist()]
    return [
        (pairs // width).tolist(), (pairs % width).tolist(), first.tolist(), last.tolist(),
        count.tolist(), blobs, started.tolist(), (count - started).tolist(), score.tolist(),
        (score * 0.5).tolist(), (score * 0.5).tolist(),
    ]  # fmt: skip


def write_least(contacts: Contacts, directory: Path) -> dict[str, float]:
    """Write ``contacts`` with the smallest schema into a new database in ``directory``, in
    one transaction; return the CPU seconds of each part (this thread's: SQLite runs in it)."""
    ties = _tie_columns(contacts)
    conn = sqlite3.connect(directory / "least.sqlite3", isolation_level=None)
    spent: dict[str, float] = {}

    def timed(part: str, work: Callable[[], object]) -> None:
        began = time.thread_time()
        work()
        spent[part] = spent.get(part, 0.0) + time.thread_time() - began

    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA cache_size=-4000000")
        conn.execute(_ROWS)
        conn.execute(_TIES)
        conn.execute("BEGIN IMMEDIATE")
        rows = zip(
            range(1, len(contacts) + 1), contacts.key, contacts.at_us, contacts.kind,
            contacts.a, contacts.b, contacts.initiator, contacts.duration_s, strict=True,
        )  # fmt: skip
        timed(
            "rows",
            lambda: conn.executemany("INSERT INTO interactions VALUES (?,?,?,?,?,?,?,?)", rows),
        )
        for part, statements in _LEAST:
            for sql in statements:
                timed(part, lambda sql=sql: conn.execute(sql))  # type: ignore[misc]
        placeholders = ", ".join("?" * len(ties))
        timed(
            "ties table",
            lambda: conn.executemany(
                f"INSERT INTO ties VALUES ({placeholders})",  # noqa: S608 - constant
                zip(*ties, strict=True),
            ),
        )
        timed("commit", lambda: conn.execute("COMMIT"))
    finally:
        conn.close()
    return spent


def _one_contact(directory: Path, source: Path) -> Path:
    with source.open(encoding="utf-8") as file:
        head = file.readline() + file.readline()
    path = directory / "one.csv"
    path.write_text(head, encoding="utf-8")
    return path


def _cpu(work: Callable[[], object]) -> float:
    began = time.process_time()
    work()
    return time.process_time() - began


def _iterate(path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as file:
        for _ in csv.reader(file):
            pass


def main(argv: list[str] | None = None) -> int:
    """Print each part's CPU per contact and the floor they make."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-today", action="store_true", help="leave out the store's load")
    parser.add_argument("--tmp", type=Path, default=None, help="where the databases go")
    args = parser.parse_args(argv)
    print(machine())
    with tempfile.TemporaryDirectory(prefix="tiegraph-load-floor-", dir=args.tmp) as scratch:
        directory = Path(scratch)
        wall, fixed_cpu, code, _ = run_cli(_one_contact(directory, args.csv), directory / "one")
        if code != 0:
            print(f"a one-contact import exited {code}", file=sys.stderr)
            return 1
        fixed = wall
        csv_alone = _cpu(lambda: _iterate(args.csv))
        contacts: Contacts = Contacts()

        def least() -> None:
            nonlocal contacts
            contacts = read_least(args.csv)

        least_reading = _cpu(least)
        n = len(contacts)
        today: dict[str, tuple[float, float]] = {}
        if not args.no_today:
            instrument()
            asyncio.run(time_first_load(args.csv))
            today = dict(SPENT)
        smallest = write_least(contacts, directory)
    us = 1e6 / n
    print(f"{n:,} contacts; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"the command's fixed cost: {fixed:.2f} s wall, {fixed_cpu:.2f} s CPU"
        f" ({fixed * us:.2f} µs a contact)"
    )
    print("| reading, one process | CPU µs/row |\n| --- | --- |")
    print(f"| the csv module alone | {csv_alone * us:.2f} |")
    print(f"| the least a reader does | {least_reading * us:.2f} |")
    if today:
        print("\n| the store's load today | CPU µs/contact |\n| --- | --- |")
        for part, (cpu, _) in today.items():
            print(f"| {part} | {cpu * us:.2f} |")
    print("\n| the smallest schema, SQLite's writer | CPU µs/contact |\n| --- | --- |")
    for part, cpu in smallest.items():
        print(f"| {part} | {cpu * us:.2f} |")
    writer = sum(smallest.values()) * us
    print(f"| **in all** | **{writer:.2f}** |")
    ties = (
        sum(today.get(part, (0.0, 0.0))[0] for part in ("ties in numpy", "the tie index loaded"))
        * us
    )
    beside = writer + least_reading * us + ties
    floor = fixed * us + max(writer, beside / args.cores)
    print(
        f"\nleast wall a contact on {args.cores} cores: {fixed * us:.2f} fixed + max(writer"
        f" {writer:.2f}, all CPU {beside:.2f} / {args.cores}) = {floor:.2f} µs"
        f" -> at most {1e6 / floor:,.0f} contacts/s (target {TARGET:,}: "
        + ("within reach, at best" if 1e6 / floor >= TARGET else "out of reach")
        + ")"
    )
    if today:
        now = (today["load_first, all threads"][0] + today["reading (unsplit)"][0]) * us
        print(
            f"today, one process, reading and the load's transaction: {now:.2f} µs a contact of CPU"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

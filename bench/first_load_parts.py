"""Where a first load in bulk spends its time, part by part, in microseconds per contact.

Run ``python -m bench.first_load_parts contacts.csv`` (a file from :mod:`bench.contacts_csv`).

Loads the file as ``tiegraph import --create-missing-people`` does into an empty embedded
store (in a temporary directory), in this process, reading it unsplit, with a timer around
each part: reading, the plan, each SQLite statement of the load's transaction (timed by the
connection it is given), the ties in numpy, the tie index and its snapshot, the commit and
the close. Prints a Markdown table
of CPU (of the thread that ran the part) and wall per contact, then the process's CPU and
wall for the whole load. A profiling aid: the timers cost a little themselves.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import graph.adapters.embedded.bulk as bulk
import graph.adapters.embedded.store as embedded
from graph.adapters.embedded.tie_index import TieIndex
from graph.importing.columnar import plan_first_load, read_part

__all__ = ["SPENT", "instrument", "main", "time_first_load"]

SPENT: dict[str, tuple[float, float]] = {}
"""By part: thread CPU seconds, wall seconds."""


@contextmanager
def _part(name: str) -> Iterator[None]:
    cpu, wall = time.thread_time(), time.perf_counter()
    try:
        yield
    finally:
        before = SPENT.get(name, (0.0, 0.0))
        SPENT[name] = (
            before[0] + time.thread_time() - cpu,
            before[1] + time.perf_counter() - wall,
        )


def _statement(sql: str) -> str:
    return " ".join(sql.split()[:4])


class _TimedConnection:
    """A connection whose statements are timed, each under its first words."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        with _part(_statement(sql)):
            return self._conn.execute(sql, *args)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        with _part(_statement(sql)):
            return self._conn.executemany(sql, rows)


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        with _part(name):
            return fn(*args, **kwargs)

    return timed


def instrument() -> None:
    """Put a timer around each part of a first load, for :func:`time_first_load`."""
    write_first_load = bulk.write_first_load

    def timed_load(conn: sqlite3.Connection, **kwargs: Any) -> Any:
        return write_first_load(_TimedConnection(conn), **kwargs)  # type: ignore[arg-type]

    embedded.write_first_load = timed_load  # type: ignore[attr-defined]
    bulk.tie_rows_of = _timed("ties in numpy", bulk.tie_rows_of)  # type: ignore[attr-defined]
    TieIndex.load = _timed("the tie index loaded", TieIndex.load)  # type: ignore[method-assign]
    TieIndex.snapshot = _timed("its snapshot", TieIndex.snapshot)  # type: ignore[method-assign]

    transaction = embedded.EmbeddedStore._transaction

    @contextmanager
    def timed_transaction(conn: sqlite3.Connection) -> Iterator[None]:
        with transaction(_TimedConnection(conn)):  # type: ignore[arg-type]
            yield

    embedded.EmbeddedStore._transaction = staticmethod(timed_transaction)  # type: ignore[method-assign]


async def time_first_load(path: Path) -> int:
    """Load ``path`` into an empty store in a temporary directory, each part timed into
    :data:`SPENT` (call :func:`instrument` first); return how many contacts it loaded."""
    with _part("reading (unsplit)"):
        columns = read_part(path, source=str(path))
    with tempfile.TemporaryDirectory(prefix="tiegraph-first-load-") as scratch:
        store = embedded.EmbeddedStore(Path(scratch))
        with _part("opening the store"):
            await store.open()
        with _part("the plan"):
            planned = plan_first_load(
                [columns], stored_people=await store.person_ids(), create_missing_people=True
            )
        process, wall = time.process_time(), time.perf_counter()
        with _part("load_first"):
            await store.load_first(people=planned.people, interactions=planned.interactions)
        SPENT["load_first, all threads"] = (
            time.process_time() - process,
            time.perf_counter() - wall,
        )
        with _part("closing the store"):
            await store.close()
    return len(planned.interactions)


async def _run(path: Path) -> int:
    n = await time_first_load(path)
    print(f"{n:,} contacts; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| part | CPU µs/contact | wall µs/contact |\n| --- | --- | --- |")
    for name, (cpu, spent) in SPENT.items():
        print(f"| {name} | {cpu / n * 1e6:.2f} | {spent / n * 1e6:.2f} |")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Time the parts of a first load of the file named by the first argument."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    instrument()
    return asyncio.run(_run(Path(args[0])))


if __name__ == "__main__":
    raise SystemExit(main())

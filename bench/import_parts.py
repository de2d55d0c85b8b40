"""Where an import's CPU time goes, part by part, in microseconds per contact.

Run ``python -m bench.import_parts contacts.csv`` (a file from :mod:`bench.contacts_csv`).

Imports the file as ``tiegraph import --create-missing-people`` does, in this process, into a
fresh embedded store in a temporary directory, with the store's worker threads run inline (so
that one thread's CPU clock sees every part) and a timer around each part: reading rows, the
store's check, its snapshot, ``plan_batch`` and the tie sums within it, the SQLite inserts,
the tie merge, the whole ``apply``, and the tie checkpoint on close. Prints a Markdown table.
A profiling aid: the timers cost a little themselves.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import graph.adapters.embedded.store as embedded
import graph.adapters.embedded.tie_index as tie_index
import graph.domain.batch as batch_module
import graph.importing.csv_interactions as csv_interactions
import graph.ports as ports
from graph.importing.runner import import_files

__all__ = ["main"]

SPENT: dict[str, float] = {}


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[name] = SPENT.get(name, 0.0) + time.process_time() - began

    return timed


async def _inline(_pool: object, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


_PARTS: tuple[tuple[object, str, str], ...] = (
    (csv_interactions, "_parse_row", "reading a row"),
    (ports, "validate_batch", "the store's check"),
    (embedded, "plan_batch", "plan_batch (with tie sums)"),
    (batch_module.TieAccumulator, "add", "  of which tie sums"),
    (tie_index.TieIndex, "merged", "tie merge (the tie index)"),
)
"""What to time: (where it is looked up, its name there, how the table names it)."""


def _instrument() -> None:
    store = embedded.EmbeddedStore
    setattr(store, "_on", staticmethod(_inline))  # noqa: B010 - replacing a method on purpose
    for where, name, label in _PARTS:
        setattr(where, name, _timed(label, getattr(where, name)))
    for name, label in (
        ("_insert_interactions", "SQLite inserts"),
        ("_snapshot", "the store's snapshot"),
    ):
        setattr(store, name, staticmethod(_timed(label, getattr(store, name))))
    apply = store._apply

    async def timed_apply(self: embedded.EmbeddedStore, batch: Any) -> Any:
        began = time.process_time()
        try:
            return await apply(self, batch)
        finally:
            SPENT["the store's apply, all"] = (
                SPENT.get("the store's apply, all", 0.0) + time.process_time() - began
            )

    setattr(store, "_apply", timed_apply)  # noqa: B010


async def _run(path: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        store = embedded.EmbeddedStore(Path(scratch))
        await store.open()
        began = time.process_time()
        report = await import_files(store, [path], create_missing_people=True)
        SPENT["import_files, all"] = time.process_time() - began
        began = time.process_time()
        await store.close()
        SPENT["tie checkpoint on close"] = time.process_time() - began
    return report.kinds["interaction"].created


def main(argv: list[str] | None = None) -> int:
    """Import the file named by the first argument and print the table."""
    args = sys.argv[1:] if argv is None else argv
    _instrument()
    count = asyncio.run(_run(Path(args[0])))
    print("| part | µs per contact |\n| --- | --- |")
    for name, seconds in SPENT.items():
        print(f"| {name} | {seconds * 1e6 / count:.1f} |")
    total = SPENT["import_files, all"] + SPENT["tie checkpoint on close"]
    print(f"| **total** | **{total * 1e6 / count:.1f}** ({count / total:,.0f} contacts/s) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

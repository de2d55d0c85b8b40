"""A first load in bulk into an embedded store that holds no interactions: one transaction.

What :class:`~graph.importing.columnar.FirstLoad` plans is written in one SQLite transaction,
so a process killed before its ``COMMIT`` returns leaves the store as it was, and one that
returned from it left everything: the people it creates, the interactions (with their row
numbers in file order, as the transactional import numbers them), their per-person index
(filled by SQLite itself from the interactions, sorted once), the ties, the tie checkpoint
through the last row with the strength model that scored it, the change log's entries, and
the tie index saved as arrays, so the store's next open reads them back warm.

Ties are computed in bulk with numpy: per pair, the counts, the first and last contact, who
started how many, and the three decaying scores as ``sum(w_i * 2 ** (-(last - t_i) / h))``,
which is what the store's fold of one interaction at a time (:func:`~graph.domain.batch.merge_tie`)
adds up to, up to rounding.

The change log gets one entry per tie (the transactional import logs one per tie and batch:
the same ties, fewer entries); people created are not logged, as in every write.
"""

from __future__ import annotations

import contextlib
import operator
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from graph.adapters.embedded.schema import INTERACTION_KEYS, INTERACTIONS_TABLE
from graph.adapters.embedded.tie_index import TieIndex
from graph.adapters.tie_columns import TieRows, counts_as_json, tie_rows_of
from graph.domain.codec import encode
from graph.domain.errors import TiegraphError
from graph.domain.model import Person
from graph.domain.strength import StrengthModel

if TYPE_CHECKING:
    from graph.importing.columnar import InteractionColumns

__all__ = ["HoldsInteractions", "holds_interactions", "write_first_load"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class HoldsInteractions(TiegraphError):
    """The store holds interactions already: a first load in bulk cannot go into it."""


def holds_interactions(data_dir: Path) -> bool:
    """Whether the embedded store in ``data_dir`` holds an interaction, read without opening
    it (a look before reading files for a first load; :func:`write_first_load` checks again in
    its transaction). ``False`` when there is no store or it cannot be read."""
    database = data_dir / "tiegraph.sqlite3"
    if not database.exists():
        return False
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
        ) as conn:
            return conn.execute("SELECT 1 FROM interactions LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False


_PEOPLE_OF_INTERACTIONS = """
INSERT INTO interaction_people (person, at_us, seq)
SELECT person, at_us, seq FROM (
    SELECT substr(participants, 1, instr(participants, '|') - 1) AS person, at_us, seq
    FROM interactions
    UNION ALL
    SELECT substr(participants, instr(participants, '|') + 1), at_us, seq FROM interactions
) ORDER BY person, at_us, seq
"""
"""Both people of every (two-person) interaction, sorted as the index is, so that SQLite
appends to its B-tree instead of inserting at random."""

_TIE_CHANGES = """
INSERT INTO changes (at_us, kind, key, people, group_id)
SELECT ?, 'tie', a || '|' || b, a || '|' || b, NULL FROM ties ORDER BY a, b
"""


def write_first_load(
    conn: sqlite3.Connection,
    *,
    people: Sequence[str],
    interactions: InteractionColumns,
    model: StrengthModel,
    store_arrays: Any,
) -> TieIndex:
    """Write a first load on ``conn``, inside a transaction the caller holds; return the tie
    index it holds. Raises :class:`HoldsInteractions` (having written nothing) when the store
    holds an interaction or a tie already. ``store_arrays`` saves the index's arrays as the
    store does (``_store_arrays``)."""
    if conn.execute("SELECT 1 FROM interactions LIMIT 1").fetchone() is not None or (
        conn.execute("SELECT 1 FROM ties LIMIT 1").fetchone() is not None
    ):
        raise HoldsInteractions("the store already holds interactions")
    if people:
        conn.executemany(
            "INSERT INTO records (kind, id, data) VALUES ('person', ?, ?)",
            [(pid, orjson.dumps(encode(Person(id=pid, name=pid)))) for pid in people],
        )
    index = TieIndex(model)
    n = len(interactions)
    if n:
        _insert_interactions(conn, interactions)
        conn.execute(INTERACTION_KEYS)
        conn.execute(_PEOPLE_OF_INTERACTIONS)
        # Reckoning the ties on a second thread while SQLite builds the two indexes above
        # (which it does without the GIL) took as long on two idle cores, and more CPU.
        rows = tie_rows_of(interactions, model)
        index.load([rows])
        conn.executemany(
            "INSERT INTO ties VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _tie_table_rows(rows)
        )
        now = (datetime.now(UTC) - _EPOCH) // _MICROSECOND
        conn.execute(_TIE_CHANGES, (now,))
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('ties_through', ?)", (str(n),))
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('strength_model', ?)",
        (model.fingerprint(),),
    )
    store_arrays(conn, index.snapshot())
    return index


def _insert_interactions(conn: sqlite3.Connection, interactions: InteractionColumns) -> None:
    """Insert ``interactions`` into the (empty) table, made again without its key index."""
    # The table is empty: made again without its key index (a store made before the index
    # had a name holds it as a constraint of the table), which SQLite then builds by sorting
    # the keys once, instead of inserting each of them at random.
    conn.execute("DROP TABLE interactions")
    conn.execute(INTERACTIONS_TABLE)
    joined = map(operator.add, map(operator.add, interactions.person_a, repeat("|")),
                 interactions.person_b)  # fmt: skip
    conn.executemany(
        "INSERT INTO interactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        zip(
            range(1, len(interactions) + 1), interactions.key, interactions.at_us,
            interactions.kind, joined, interactions.initiator, interactions.duration_s,
            interactions.channel, strict=True,
        ),
    )  # fmt: skip


_TIE_CHUNK = 65_536
"""Ties turned into Python rows at a time: the whole table at once would hold ~300 bytes of
Python objects a tie (3 GB at ten million ties) on top of the load's peak."""


def _tie_table_rows(rows: TieRows) -> Iterator[tuple[Any, ...]]:
    """``rows`` as rows of the ``ties`` table (counts as JSON), in key order, made a chunk at
    a time."""
    counts_json = counts_as_json()
    columns = (
        rows.first_us, rows.last_us, rows.count, np.asarray(rows.counts), rows.initiated_by_a,
        rows.initiated_by_b, rows.score, rows.score_by_a, rows.score_by_b,
    )  # fmt: skip
    for start in range(0, len(rows), _TIE_CHUNK):
        end = start + _TIE_CHUNK
        first, last, count, counts, by_a, by_b, score, score_a, score_b = (
            column[start:end].tolist() for column in columns
        )
        yield from zip(
            rows.a[start:end], rows.b[start:end], first, last, count, map(counts_json, counts),
            by_a, by_b, score, score_a, score_b, strict=True,
        )  # fmt: skip

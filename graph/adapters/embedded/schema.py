"""The embedded store's SQLite schema.

Interactions' keys are unique in two forms: a store made since the first load in bulk builds
its key index by sorting holds the named index :data:`INTERACTION_KEYS`; a store made before
holds the same rule as a ``UNIQUE`` constraint of the table (SQLite's
``sqlite_autoindex_interactions_1``) and keeps it. Both refuse a second interaction with the
same key; :func:`has_unique_keys` tells whether a table has either.
"""

from __future__ import annotations

import sqlite3
from typing import Final

__all__ = [
    "INTERACTIONS_TABLE",
    "INTERACTION_KEYS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "create_schema",
    "has_unique_keys",
]

SCHEMA_VERSION: Final = 2

INTERACTIONS_TABLE: Final = """CREATE TABLE IF NOT EXISTS interactions (
    seq INTEGER PRIMARY KEY, key TEXT NOT NULL, at_us INTEGER NOT NULL,
    kind TEXT NOT NULL, participants TEXT NOT NULL, initiator TEXT, duration_s INTEGER,
    channel TEXT, group_size INTEGER
);
"""
"""The interactions table, without its key index (:data:`INTERACTION_KEYS`)."""

SCHEMA: Final = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refs (
    kind TEXT NOT NULL, ref_kind TEXT NOT NULL, ref TEXT NOT NULL, at TEXT NOT NULL,
    id TEXT NOT NULL, PRIMARY KEY (kind, ref_kind, ref, at, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_of_record ON refs (kind, id);
CREATE TABLE IF NOT EXISTS ties (
    a TEXT NOT NULL, b TEXT NOT NULL, first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,
    count INTEGER NOT NULL, counts BLOB NOT NULL, initiated_by_a INTEGER NOT NULL,
    initiated_by_b INTEGER NOT NULL, score REAL NOT NULL DEFAULT 0,
    score_by_a REAL NOT NULL DEFAULT 0, score_by_b REAL NOT NULL DEFAULT 0, PRIMARY KEY (a, b)
) WITHOUT ROWID;
"""
    + INTERACTIONS_TABLE
    + """CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, action TEXT NOT NULL, by TEXT NOT NULL,
    details BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS tie_index (
    name TEXT NOT NULL, part INTEGER NOT NULL, dtype TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (name, part)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS interaction_people (
    person TEXT NOT NULL, at_us INTEGER NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (person, at_us, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at_us INTEGER NOT NULL, kind TEXT NOT NULL,
    key TEXT NOT NULL, people TEXT NOT NULL, group_id TEXT
);
CREATE INDEX IF NOT EXISTS changes_by_time ON changes (at_us);
"""
)
"""Every table, and the indexes but :data:`INTERACTION_KEYS`."""

INTERACTION_KEYS: Final = (
    "CREATE UNIQUE INDEX IF NOT EXISTS interactions_by_key ON interactions (key)"
)
"""Interactions' keys are unique. Created apart from :data:`SCHEMA`, and only on a table that
has no unique key index: stores made before it hold the same rule as a ``UNIQUE`` constraint
of the table (SQLite's ``sqlite_autoindex_interactions_1``), and keep it. A first load in bulk
creates it after the rows are in, so that SQLite builds it by sorting the keys once instead
of inserting each at random."""


def has_unique_keys(conn: sqlite3.Connection) -> bool:
    """Whether the interactions table has a unique index on ``key`` (either form)."""
    for _, name, unique, *_ in conn.execute("PRAGMA index_list(interactions)"):
        columns = conn.execute("SELECT name FROM pragma_index_info(?)", (name,)).fetchall()
        if unique and columns == [("key",)]:
            return True
    return False


def create_schema(conn: sqlite3.Connection) -> None:
    """Create what is missing of the schema, the interactions' key index included unless the
    table already keeps its keys unique (either form)."""
    conn.executescript(SCHEMA)
    if not has_unique_keys(conn):
        conn.execute(INTERACTION_KEYS)

"""Back up and restore the embedded store: one consistent SQLite file, while it serves.

A backup uses SQLite's online backup API on a read-only connection, so the service keeps
answering and writing; the copy is the database as of one committed transaction (a write that
commits during the copy makes SQLite restart it, so the copy is never torn). The tie
checkpoint is in the same file, and the interactions after it are replayed on open, so a
restored store has exactly the ties its history gives.

A restore replaces a stopped store's database with a backup: it takes the directory's lock (a
running service is refused), checks the backup before touching anything, removes the old
database's write-ahead log (which would otherwise be applied to the restored file) and moves
the new file into place in one rename.

A backup is checked object by object against the schema a store of its version has: every
table and index, with its SQL (spacing and case aside), and nothing else. A database file can
carry code: a trigger that copies every new row aside would make a later erasure report
success while the data survives elsewhere in the file, and a view or an altered table can
change what the store reads. Such a file is refused, naming the object.

Backups and restored stores are created 0600 (see :mod:`graph.private_files`).
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graph.adapters.embedded.schema import (
    INTERACTION_KEYS,
    INTERACTIONS_TABLE,
    SCHEMA,
    SCHEMA_VERSION,
)
from graph.domain.errors import ConfigurationError
from graph.private_files import create_private_file, make_private_dir, open_private

__all__ = [
    "BackupInfo",
    "backup_store",
    "inspect_backup",
    "normalized_sql",
    "restore_store",
    "schema_objects",
]

DATABASE = "tiegraph.sqlite3"
LOCK = "tiegraph.lock"


_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE records (
    kind TEXT NOT NULL, id TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE TABLE refs (
    kind TEXT NOT NULL, ref_kind TEXT NOT NULL, ref TEXT NOT NULL, at TEXT NOT NULL,
    id TEXT NOT NULL, PRIMARY KEY (kind, ref_kind, ref, at, id)
) WITHOUT ROWID;
CREATE INDEX refs_of_record ON refs (kind, id);
CREATE TABLE ties (
    a TEXT NOT NULL, b TEXT NOT NULL, first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,
    count INTEGER NOT NULL, counts BLOB NOT NULL, initiated_by_a INTEGER NOT NULL,
    initiated_by_b INTEGER NOT NULL, PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE TABLE interactions (
    seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, at_us INTEGER NOT NULL,
    kind TEXT NOT NULL, participants TEXT NOT NULL, initiator TEXT, duration_s INTEGER,
    channel TEXT
);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, action TEXT NOT NULL, by TEXT NOT NULL,
    details BLOB NOT NULL
);
CREATE TABLE interaction_people (
    person TEXT NOT NULL, at_us INTEGER NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (person, at_us, seq)
) WITHOUT ROWID;
"""
"""The schema of version 1 stores (before tie scores), which open upgrades."""

_SCHEMA_OF_VERSION = {1: _SCHEMA_V1, SCHEMA_VERSION: SCHEMA + ";\n" + INTERACTION_KEYS}

_UNIQUE_KEY_COLUMN = SCHEMA.replace(
    INTERACTIONS_TABLE,
    INTERACTIONS_TABLE.replace("key TEXT NOT NULL,", "key TEXT NOT NULL UNIQUE,"),
)
"""The same version's schema as stores made before :data:`INTERACTION_KEYS` hold it: the
interactions' keys unique by a constraint of the table, which they keep."""

_AUTOINDEX = ("index", "sqlite_autoindex_interactions_1")

_ADDED_LATER = {("table", "tie_index"), ("table", "changes"), ("index", "changes_by_time")}
"""Tables a store of the same version may lack (made by an earlier tiegraph): opening the
store creates them."""

_SQLITE_OWN = {("table", "sqlite_sequence")}
"""SQLite's own bookkeeping for the change log's AUTOINCREMENT: a store of any version may
hold it (it stays when the table that made it is dropped), and it holds no code."""

SchemaObjects = dict[tuple[str, str], tuple[str, str | None]]
"""``(type, name)`` of each schema object -> ``(table it belongs to, normalized SQL)``."""


def normalized_sql(sql: str | None) -> str | None:
    """Return ``sql`` without the differences that do not change what it creates.

    Case, runs of spaces, spaces next to punctuation, and ``IF NOT EXISTS`` (which SQLite
    leaves out of what it stores) do not count.

    >>> normalized_sql("CREATE TABLE IF NOT EXISTS t (  a TEXT,  b INT )")
    'create table t(a text,b int)'
    """
    if sql is None:
        return None
    text = re.sub(r"\s+", " ", sql.strip()).lower()
    text = re.sub(r" ?([(),]) ?", r"\1", text)
    return re.sub(r"^create (table|index) if not exists ", r"create \1 ", text)


def schema_objects(conn: sqlite3.Connection) -> SchemaObjects:
    """Return every object in a database's schema: tables, indexes, views, triggers."""
    return {
        (kind, name): (table, normalized_sql(sql))
        for kind, name, table, sql in conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master"
        )
    }


@cache
def _expected_objects(version: int, *, unique_key_column: bool = False) -> SchemaObjects:
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(_UNIQUE_KEY_COLUMN if unique_key_column else _SCHEMA_OF_VERSION[version])
        return schema_objects(conn)
    finally:
        conn.close()


def _check_schema(path: Path, conn: sqlite3.Connection, version: int) -> None:
    """Refuse a backup whose schema is not exactly what a store of ``version`` has."""
    found = schema_objects(conn)
    expected = _expected_objects(version)
    if version == SCHEMA_VERSION and _AUTOINDEX in found:
        expected = _expected_objects(version, unique_key_column=True)
    for kind, name in sorted(found.keys() - expected.keys() - _SQLITE_OWN):
        table = found[(kind, name)][0]
        raise ConfigurationError(
            f"backup {str(path)!r} holds {kind} {name!r} (on {table!r}), which no tiegraph"
            f" store has; refusing it: it could run code or keep data aside"
        )
    for kind, name in sorted(expected.keys() - found.keys() - _ADDED_LATER):
        raise ConfigurationError(f"backup {str(path)!r} lacks the {kind} {name!r}")
    for key in sorted(expected.keys() & found.keys()):
        if found[key] != expected[key]:
            kind, name = key
            raise ConfigurationError(
                f"backup {str(path)!r} has an altered {kind} {name!r}: {found[key][1]!r}"
                f" instead of {expected[key][1]!r}"
            )


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """What a backup file holds: its schema version, records and interactions, and size."""

    path: Path
    schema_version: int
    records: int
    interactions: int
    bytes: int


def inspect_backup(path: Path) -> BackupInfo:
    """Check that ``path`` is a sound tiegraph database this version can open, and describe it.

    Raises :class:`ConfigurationError` saying what is wrong with it.
    """
    if not path.is_file():
        raise ConfigurationError(f"backup {str(path)!r} is not a file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (check,) = conn.execute("PRAGMA integrity_check").fetchone()
            if check != "ok":
                raise ConfigurationError(f"backup {str(path)!r} is damaged: {check}")
            if ("table", "meta") not in schema_objects(conn):
                raise ConfigurationError(f"backup {str(path)!r} is not a tiegraph store")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                raise ConfigurationError(f"backup {str(path)!r} has no schema version")
            version = int(row[0])
            if version > SCHEMA_VERSION:
                raise ConfigurationError(
                    f"backup {str(path)!r} has schema version {version}, newer than this"
                    f" tiegraph understands ({SCHEMA_VERSION}); upgrade tiegraph"
                )
            if version not in _SCHEMA_OF_VERSION:
                raise ConfigurationError(
                    f"backup {str(path)!r} has schema version {version}, which no tiegraph"
                    " store ever had"
                )
            # Before anything else is read: a view could stand in for a table.
            _check_schema(path, conn, version)
            records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
            interactions = conn.execute("SELECT count(*) FROM interactions").fetchone()[0]
        finally:
            conn.close()
    except (sqlite3.Error, ValueError) as error:
        raise ConfigurationError(
            f"backup {str(path)!r} is not a tiegraph store: {error}"
        ) from error
    return BackupInfo(path, version, records, interactions, path.stat().st_size)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_store(data_dir: Path, target: Path) -> BackupInfo:
    """Copy the store in ``data_dir`` to the new file ``target``, consistently, even while a
    service writes to it. The file appears only when complete and checked."""
    source = data_dir / DATABASE
    if not source.is_file():
        raise ConfigurationError(f"TIEGRAPH_DATA_DIR {str(data_dir)!r} holds no tiegraph store")
    if target.exists():
        raise ConfigurationError(f"backup target {str(target)!r} exists; choose a new file")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        create_private_file(partial)  # SQLite writes into it, and its journal takes its mode
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=4096)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
            src.close()
        _fsync(partial)
        info = inspect_backup(partial)
        partial.rename(target)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise ConfigurationError(f"backup of {str(source)!r} failed: {error}") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupInfo(target, info.schema_version, info.records, info.interactions, info.bytes)


def restore_store(source: Path, data_dir: Path, *, replace: bool = False) -> BackupInfo:
    """Put the backup ``source`` in place as the store of ``data_dir`` (which must not be in
    use). An existing store is only replaced with ``replace``."""
    info = inspect_backup(source)
    make_private_dir(data_dir)
    database = data_dir / DATABASE
    with open_private(data_dir / LOCK, "a+b") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise ConfigurationError(
                f"TIEGRAPH_DATA_DIR {str(data_dir)!r} is in use by a running tiegraph; stop it"
                " before restoring"
            ) from error
        if database.exists() and not replace:
            raise ConfigurationError(
                f"TIEGRAPH_DATA_DIR {str(data_dir)!r} already holds a store; pass --replace to"
                " overwrite it with the backup"
            )
        incoming = data_dir / (DATABASE + ".restoring")
        incoming.unlink(missing_ok=True)
        with open_private(incoming) as copy:
            copy.write(source.read_bytes())
        try:
            # What is put in place is what was checked, even if the source changed since.
            inspect_backup(incoming)
        except ConfigurationError:
            incoming.unlink(missing_ok=True)
            raise
        _fsync(incoming)
        for stale in ("-wal", "-shm", "-journal"):
            (data_dir / (DATABASE + stale)).unlink(missing_ok=True)
        incoming.replace(database)
        _fsync(data_dir)
    return BackupInfo(database, info.schema_version, info.records, info.interactions, info.bytes)

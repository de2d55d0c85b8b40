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
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from graph.adapters.embedded.store import SCHEMA_VERSION
from graph.domain.errors import ConfigurationError

__all__ = ["BackupInfo", "backup_store", "inspect_backup", "restore_store"]

DATABASE = "tiegraph.sqlite3"
LOCK = "tiegraph.lock"


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
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
            interactions = conn.execute("SELECT count(*) FROM interactions").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise ConfigurationError(
            f"backup {str(path)!r} is not a tiegraph store: {error}"
        ) from error
    if row is None:
        raise ConfigurationError(f"backup {str(path)!r} has no schema version")
    version = int(row[0])
    if version > SCHEMA_VERSION:
        raise ConfigurationError(
            f"backup {str(path)!r} has schema version {version}, newer than this tiegraph"
            f" understands ({SCHEMA_VERSION}); upgrade tiegraph"
        )
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
    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / DATABASE
    with (data_dir / LOCK).open("a+b") as lock:
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
        incoming.write_bytes(source.read_bytes())
        _fsync(incoming)
        for stale in ("-wal", "-shm", "-journal"):
            (data_dir / (DATABASE + stale)).unlink(missing_ok=True)
        incoming.replace(database)
        _fsync(data_dir)
    return BackupInfo(database, info.schema_version, info.records, info.interactions, info.bytes)

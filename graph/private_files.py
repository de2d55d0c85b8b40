"""Files that hold people's data are their owner's alone: 0600 files in 0700 directories.

The store, its write-ahead log and shared memory, backups and exports name people and what
they said; the process umask (often 022) would leave them readable by every local user. The
modes are given when a file or directory is created (and checked by the tests), not left to
the umask. SQLite creates a database's ``-wal`` and ``-shm`` files with the database file's
own mode, so creating the database 0600 covers them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "create_private_file",
    "make_private_dir",
    "open_private",
    "tighten",
]

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def make_private_dir(path: Path) -> None:
    """Create ``path`` (with any missing parents) readable by its owner only.

    Only the directory itself is made private when this creates it: parents and directories
    that already exist keep their modes (a shared parent such as ``/var/lib`` is not ours).
    """
    if path.is_dir():
        return
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    os.chmod(path, PRIVATE_DIR_MODE)  # mkdir's mode passes through the umask


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (whose mode is then left alone)."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE)
    os.close(fd)


def open_private(path: Path, mode: str = "xb") -> IO[bytes]:
    """Open a new file (``xb``: never an existing one), a file to overwrite (``wb``) or a lock
    file (``a+b``); one this creates is 0600."""
    flags = {
        "xb": os.O_CREAT | os.O_EXCL | os.O_WRONLY,
        "wb": os.O_CREAT | os.O_TRUNC | os.O_WRONLY,
        "a+b": os.O_CREAT | os.O_RDWR | os.O_APPEND,
    }[mode]
    fd = os.open(path, flags, PRIVATE_FILE_MODE)
    return os.fdopen(fd, mode.replace("x", "w"))


def tighten(*paths: Path) -> None:
    """Make existing files 0600 (a store created before files were private)."""
    for path in paths:
        try:
            if path.stat().st_mode & 0o077:
                os.chmod(path, PRIVATE_FILE_MODE)
        except FileNotFoundError:
            continue

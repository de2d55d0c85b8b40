"""``tiegraph backup`` and ``tiegraph restore``: copies of the embedded store.

Exit status: 0 done, 2 a usage or configuration error (nothing was written: the target exists,
the backup is damaged or newer than this tiegraph, the store is running during a restore).
For Neo4j, use Neo4j's own ``neo4j-admin database dump`` and ``load``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.cli.options import DataDirOption, ExitCode, fail, settings_from_options
from graph.adapters.embedded.backup import BackupInfo, backup_store, restore_store
from graph.domain.errors import ConfigurationError

__all__ = ["register"]

out = Console()


def _report(verb: str, info: BackupInfo) -> None:
    out.print(
        f"{verb} {info.path} — {info.records:,} records, {info.interactions:,} interactions,"
        f" {info.bytes / 1e6:.1f} MB, schema version {info.schema_version}",
        soft_wrap=True,
        highlight=False,
    )


def backup(
    target: Annotated[Path, typer.Argument(help="A new file to write the backup to.")],
    data_dir: DataDirOption = None,
) -> None:
    """Copy the embedded store to one file, consistently, even while the service runs."""
    settings = settings_from_options(None, data_dir, None, None)
    try:
        info = backup_store(settings.data_dir, target)
    except ConfigurationError as error:
        fail(f"backup failed: {error}", ExitCode.USAGE)
    _report("wrote", info)


def restore(
    source: Annotated[Path, typer.Argument(help="A file written by `tiegraph backup`.")],
    data_dir: DataDirOption = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite the store the directory holds.")
    ] = False,
) -> None:
    """Make a backup the embedded store of the data directory (stop the service first)."""
    settings = settings_from_options(None, data_dir, None, None)
    try:
        info = restore_store(source, settings.data_dir, replace=replace)
    except ConfigurationError as error:
        fail(f"restore failed: {error}", ExitCode.USAGE)
    _report("restored", info)


def register(app: typer.Typer) -> None:
    """Add ``backup`` and ``restore`` to the command line."""
    app.command("backup")(backup)
    app.command("restore")(restore)

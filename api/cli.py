"""The ``tiegraph`` command line: one typer app, sub-apps registered from their own modules."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from graph.bootstrap import build_store
from graph.domain.errors import ConfigurationError, TiegraphError
from graph.ports import GraphStore
from graph.settings import Settings, StoreKind, load_settings

__all__ = ["app", "main", "open_store_and_run"]

T = TypeVar("T")

app = typer.Typer(
    name="tiegraph",
    help="tiegraph: a relationship graph of people, groups, meetings and the ties between them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)

StoreOption = Annotated[
    StoreKind | None,
    typer.Option("--store", help="Backend: embedded (default) or neo4j. Env: TIEGRAPH_STORE."),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Embedded store directory. Env: TIEGRAPH_DATA_DIR."),
]
Neo4jUriOption = Annotated[
    str | None, typer.Option("--neo4j-uri", help="bolt:// or neo4j:// URI. Env: NEO4J_URI.")
]
Neo4jDatabaseOption = Annotated[
    str | None, typer.Option("--neo4j-database", help="Database name. Env: NEO4J_DATABASE.")
]


def settings_from_options(
    store: StoreKind | None,
    data_dir: Path | None,
    neo4j_uri: str | None,
    neo4j_database: str | None,
) -> Settings:
    """Read the settings once: environment first, then the command's options over it."""
    try:
        return load_settings(
            {
                "store": store,
                "data_dir": data_dir,
                "neo4j_uri": neo4j_uri,
                "neo4j_database": neo4j_database,
            }
        )
    except ConfigurationError as error:
        err.print(f"[red]configuration error:[/red] {error}")
        raise typer.Exit(2) from error


def open_store_and_run(settings: Settings, work: Callable[[GraphStore], Awaitable[T]]) -> T:
    """Open the configured store, run ``work`` with it, and close it whatever happens."""

    async def run() -> T:
        store = build_store(settings)
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except TiegraphError as error:
        err.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from error


_registered = False


def _register() -> None:
    """Attach the sub-commands that live in their own modules (once)."""
    global _registered
    if _registered:
        return
    _registered = True
    from api import cli_import, cli_neo4j, cli_serve, cli_token

    app.add_typer(cli_neo4j.app, name="neo4j")
    cli_import.register(app)
    cli_serve.register(app)
    cli_token.register(app)


def main() -> None:
    """Run the command line."""
    _register()
    app()

"""What every ``tiegraph`` command shares: exit statuses, error lines, the store options, the
settings read from them, and opening the store.

Exit statuses are the same for every command (:class:`ExitCode`, docs/cli.md). This module
imports no other command module, so each command group depends on it and never on another.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from api.settings import Settings, StoreKind, load_settings
from graph.bootstrap import build_store
from graph.domain.errors import (
    BudgetExceeded,
    ConfigurationError,
    InvalidInput,
    StoreUnavailable,
    TiegraphError,
)
from graph.ports import GraphStore

__all__ = [
    "EXIT_CODES_HELP",
    "DataDirOption",
    "ExitCode",
    "Neo4jDatabaseOption",
    "Neo4jUriOption",
    "StoreOption",
    "at_option",
    "command_store",
    "err",
    "exit_code_of",
    "fail",
    "open_store_and_run",
    "settings_from_options",
]

T = TypeVar("T")


class ExitCode(enum.IntEnum):
    """What a ``tiegraph`` command's exit status means; the same for every command."""

    OK = 0
    """Done: the answer is on stdout."""
    NOT_FOUND = 1
    """An id given does not exist, or the question has no answer (no path, no contact);
    for ``import``: a record was rejected."""
    USAGE = 2
    """A bad argument, option or setting, or a question too big for the time budget
    (``TIEGRAPH_REQUEST_BUDGET_SECONDS``); nothing was written."""
    STORE_UNAVAILABLE = 3
    """The store cannot be reached now (e.g. Neo4j is down); trying again later may work."""


EXIT_CODES_HELP = (
    "Exit status: 0 done; 1 an id given does not exist or nothing was found (for import: a"
    " record was rejected); 2 a usage or configuration error; 3 the store is unavailable."
    " See docs/cli.md."
)

err = Console(stderr=True)


def fail(message: str, code: ExitCode) -> NoReturn:
    """Print ``message`` as one line on stderr and end the command with ``code``."""
    # One line however wide the terminal and whatever a driver's message holds; escaped,
    # since ids and names may hold [brackets] that rich would read as markup.
    line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    err.print(f"[red]error:[/red] {escape(line)}", soft_wrap=True, highlight=False)
    raise typer.Exit(code)


def exit_code_of(error: TiegraphError) -> ExitCode:
    """Return the exit status an expected error ends a command with."""
    if isinstance(error, StoreUnavailable):
        return ExitCode.STORE_UNAVAILABLE
    if isinstance(error, ConfigurationError | InvalidInput | BudgetExceeded):
        return ExitCode.USAGE
    return ExitCode.NOT_FOUND


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


def at_option(help: str) -> Any:
    """The ``--at MOMENT`` option (ISO-8601 with a time zone, or a date), worded per command.

    Use as ``at: Annotated[str | None, at_option("...")] = None``; read the text with
    :func:`api.cli.output.parse_moment`.
    """
    return typer.Option("--at", help=help, show_default=False)


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


def command_store(settings: Settings) -> GraphStore:
    """The configured store, unopened, as a one-off command uses it: without planning every
    introduction path search at open, which serves a long-running service's first searches
    and here costs an import or export into Neo4j sixteen plannings (a command's own search,
    sent without a budget, plans its query as it runs)."""
    return build_store(settings.model_copy(update={"neo4j_plan_searches_at_start": False}))


def open_store_and_run(
    settings: Settings,
    work: Callable[[GraphStore], Awaitable[T]],
    *,
    explain: Callable[[TiegraphError], str] = str,
) -> T:
    """Open the configured store, run ``work`` with it, and close it whatever happens.

    An expected error ends the command with its :func:`exit_code_of` and a one-line message
    (``explain`` words it, e.g. naming the argument that held an unknown id).
    """

    async def run() -> T:
        store = command_store(settings)
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except TiegraphError as error:
        fail(explain(error), exit_code_of(error))

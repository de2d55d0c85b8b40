"""Command line for a local Neo4j Community server run from Maven-resolved jars (no Docker)."""

from __future__ import annotations

import secrets
import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from graph.adapters.neo4j.server import (
    DEFAULT_USER,
    NEO4J_VERSION,
    Neo4jServerError,
    default_cache_dir,
    has_database,
    install,
    start,
    status,
    stop,
)

app = typer.Typer(
    help=f"Run a local Neo4j {NEO4J_VERSION} Community server without Docker (needs Java, Maven).",
    no_args_is_help=True,
)

_out = Console()
# `start` reports on stderr so that its stdout carries only the export lines: eval "$(... start)".
_err = Console(stderr=True)

CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Where the jars are cached [default: $TIEGRAPH_CACHE_DIR or ~/.cache/tiegraph].",
        show_default=False,
    ),
]
HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="The server's data, logs and config directory [default: <cache-dir>/neo4j-home].",
        show_default=False,
    ),
]


def _cache_dir(cache_dir: Path | None) -> Path:
    """Return the cache directory, resolving the default only when a command runs."""
    return default_cache_dir() if cache_dir is None else cache_dir


def _home(home: Path | None, cache_dir: Path | None) -> Path:
    """Return the server home, defaulting to a directory inside the cache."""
    return _cache_dir(cache_dir) / "neo4j-home" if home is None else home


def _fail(error: Exception) -> typer.Exit:
    """Print `error` and return the exit that ends the command with status 1."""
    # Log tails hold "[o.n.k...]"-style text that rich would otherwise read as markup.
    _err.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
    return typer.Exit(code=1)


@app.command("install")
def install_command(cache_dir: CacheDirOption = None) -> None:
    """Fetch the Neo4j server jars with Maven (once; later calls return at once)."""
    with _err.status(f"Resolving Neo4j {NEO4J_VERSION} jars with Maven..."):
        try:
            lib = install(_cache_dir(cache_dir))
        except Neo4jServerError as error:
            raise _fail(error) from error
    jars = sum(1 for _ in lib.glob("*.jar"))
    _out.print(f"[green]Neo4j {NEO4J_VERSION} installed:[/] {jars} jars in {escape(str(lib))}")


@app.command("start")
def start_command(
    home: HomeOption = None,
    port: Annotated[int, typer.Option("--port", help="Bolt port on 127.0.0.1.")] = 7687,
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            envvar="NEO4J_PASSWORD",
            help="Initial password of user neo4j (8+ characters); generated when absent.",
            show_default=False,
        ),
    ] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Disable authentication (tests only).")
    ] = False,
    heap: Annotated[str, typer.Option("--heap", help="JVM maximum heap, e.g. 1g.")] = "1g",
    pagecache: Annotated[
        str, typer.Option("--pagecache", help="Neo4j page cache size, e.g. 256m.")
    ] = "256m",
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for the server to answer.")
    ] = 90.0,
    cache_dir: CacheDirOption = None,
) -> None:
    """Start the server in the background and print the environment to reach it."""
    home_dir = _home(home, cache_dir)
    running = status(home_dir)
    if running is not None:
        raise _fail(
            Neo4jServerError(
                f"a Neo4j server from {home_dir} is already running at {running.uri} "
                f"(pid {running.pid}); stop it first"
            )
        )
    auth: tuple[str, str] | None = None
    generated = False
    if not no_auth:
        if password is None:
            if has_database(home_dir):
                # The initial password only applies to a fresh home; a new one would not work.
                raise _fail(
                    Neo4jServerError(
                        f"{home_dir} already holds a database: pass the password it was created "
                        "with (--password or NEO4J_PASSWORD), or use --no-auth"
                    )
                )
            password = secrets.token_urlsafe(18)
            generated = True
        auth = (DEFAULT_USER, password)
    with _err.status(f"Starting Neo4j {NEO4J_VERSION} from {escape(str(home_dir))}..."):
        try:
            server = start(
                home=home_dir,
                cache_dir=_cache_dir(cache_dir),
                bolt_port=port,
                auth=auth,
                heap=heap,
                pagecache=pagecache,
                timeout_s=timeout,
            )
        except (Neo4jServerError, ValueError) as error:
            raise _fail(error) from error
    _err.print(f"[green]Neo4j is up[/] at [bold]{server.uri}[/] (pid {server.pid})")
    _err.print(f"logs: {escape(str(server.log_path))}")
    if generated:
        _err.print("[yellow]Generated a password for user neo4j; it is in the lines below.[/]")
    # Plain echo: rich would wrap long lines and interpret markup or emoji codes in a password.
    typer.echo(f"export NEO4J_URI={shlex.quote(server.uri)}")
    if auth is not None:
        typer.echo(f"export NEO4J_USER={shlex.quote(auth[0])}")
        typer.echo(f"export NEO4J_PASSWORD={shlex.quote(auth[1])}")
    else:
        typer.echo("unset NEO4J_USER NEO4J_PASSWORD")


@app.command("stop")
def stop_command(
    home: HomeOption = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait after SIGTERM before SIGKILL.")
    ] = 30.0,
    cache_dir: CacheDirOption = None,
) -> None:
    """Stop the server started from the home directory (does nothing if none runs)."""
    home_dir = _home(home, cache_dir)
    try:
        stopped = stop(home_dir, timeout_s=timeout)
    except Neo4jServerError as error:
        raise _fail(error) from error
    if stopped:
        _out.print(f"[green]Stopped[/] the Neo4j server from {escape(str(home_dir))}")
    else:
        _out.print(f"No Neo4j server from {escape(str(home_dir))} was running")


@app.command("status")
def status_command(home: HomeOption = None, cache_dir: CacheDirOption = None) -> None:
    """Show the server started from the home directory; exit status 1 when none runs."""
    home_dir = _home(home, cache_dir)
    server = status(home_dir)
    if server is None:
        _out.print(f"No Neo4j server from {escape(str(home_dir))} is running")
        raise typer.Exit(code=1)
    auth = "disabled" if server.auth_user is None else f"user {server.auth_user}"
    _out.print(f"[green]running[/] at [bold]{server.uri}[/] (pid {server.pid}, auth {auth})")
    _out.print(f"home: {escape(str(server.home))}\nlogs: {escape(str(server.log_path))}")

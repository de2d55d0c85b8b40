"""``tiegraph serve`` and ``tiegraph schema``: run the HTTP service; print the GraphQL schema."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.options import (
    DataDirOption,
    Neo4jDatabaseOption,
    Neo4jUriOption,
    StoreOption,
    err,
    settings_from_options,
)

if TYPE_CHECKING:
    from fastapi import FastAPI  # only for the factory's return type: loaded by serve itself

__all__ = ["app_from_environment", "register"]

_DEMO_FLAG = "TIEGRAPH_DEMO"


def app_from_environment() -> FastAPI:
    """Build the app from the environment: the entry point each uvicorn worker calls once."""
    from api.http.app import create_app
    from api.http.observability import configure_logging
    from api.settings import load_settings
    from graph.samples.demo import load_demo

    configure_logging("INFO")
    settings = load_settings()
    return create_app(settings, on_open=load_demo if os.environ.get(_DEMO_FLAG) == "1" else None)


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``schema`` to the command line."""

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
        workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
        demo: Annotated[
            bool, typer.Option("--demo", help="Load the demo network (docs/demo.md) at start-up.")
        ] = False,
        no_auth: Annotated[
            bool,
            typer.Option(
                "--no-auth", help="Local development only: treat every request as an admin."
            ),
        ] = False,
        store: StoreOption = None,
        data_dir: DataDirOption = None,
        neo4j_uri: Neo4jUriOption = None,
        neo4j_database: Neo4jDatabaseOption = None,
    ) -> None:
        """Serve the GraphQL API at /graphql (with GraphiQL), the dashboard at /dashboard,
        /healthz and /readyz."""
        import uvicorn

        from api.http.protocol import BoundedHttpToolsProtocol

        settings = settings_from_options(store, data_dir, neo4j_uri, neo4j_database)
        if workers > 1 and settings.store.value == "embedded":
            err.print(
                "[red]--workers must be 1 on the embedded store[/red]: it serves one process"
                " (its tie graph lives in that process's memory). Use Neo4j for several workers."
            )
            raise typer.Exit(2)
        # Workers are separate processes: hand them the settings through their environment.
        os.environ["TIEGRAPH_STORE"] = settings.store.value
        os.environ["TIEGRAPH_DATA_DIR"] = str(settings.data_dir)
        if settings.neo4j_uri:
            os.environ["NEO4J_URI"] = settings.neo4j_uri
        os.environ["NEO4J_DATABASE"] = settings.neo4j_database
        os.environ[_DEMO_FLAG] = "1" if demo else "0"
        # Limits kept in each worker's memory are shared out among the workers.
        os.environ["TIEGRAPH_WORKERS"] = str(workers)
        if no_auth:
            os.environ["TIEGRAPH_NO_AUTH"] = "true"
            err.print(
                "[bold red]AUTHENTICATION IS DISABLED[/bold red]: every request is treated as an"
                " admin. Use this for local development only."
            )
        where = (
            f"embedded store in {settings.data_dir}"
            if settings.store.value == "embedded"
            else f"Neo4j at {settings.neo4j_uri}"
        )
        err.print(f"tiegraph on http://{host}:{port}/graphql — {where}")
        uvicorn.run(
            "api.cli.serve:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            # Our own JSON access log never records query strings or headers; uvicorn's would.
            access_log=False,
            # httptools parses a request in a fraction of h11's time; this protocol bounds what
            # it holds of an incomplete request head by the limit uvicorn gives h11.
            http=BoundedHttpToolsProtocol,
            h11_max_incomplete_event_size=settings.max_header_bytes,
        )

    @app.command("schema")
    def print_schema() -> None:
        """Print the GraphQL schema (SDL), as checked in as schema.graphql."""
        from api.graphql.schema import schema

        typer.echo(schema.as_str())

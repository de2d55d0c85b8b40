"""The ``tiegraph`` root command: one typer app, each command group registered from its module.

Command modules depend on :mod:`api.cli.options` and :mod:`api.cli.output` only; this module is
the one place that knows them all, so there is no import circle among them.
"""

from __future__ import annotations

import typer

from api.cli.options import EXIT_CODES_HELP

__all__ = ["app", "main"]

app = typer.Typer(
    name="tiegraph",
    help="tiegraph: a relationship graph of people, groups, meetings and the ties between them.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_registered = False


def _register() -> None:
    """Attach the command groups that live in their own modules (once)."""
    global _registered
    if _registered:
        return
    _registered = True
    # Imported here so that ``tiegraph --help`` and a single command load only what they need.
    from api.cli import (
        backup,
        demo,
        export,
        import_,
        neo4j,
        queries,
        serve,
        tokens,
    )

    app.add_typer(neo4j.app, name="neo4j")
    import_.register(app)
    export.register(app)
    backup.register(app)
    queries.register(app)
    serve.register(app)
    tokens.register(app)
    demo.register(app)


def main() -> None:
    """Run the command line."""
    _register()
    app()

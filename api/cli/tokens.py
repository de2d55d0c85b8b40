"""``tiegraph token create``: sign a bearer token with ``TIEGRAPH_JWT_SECRET`` and print it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import typer

from api.cli.options import err
from graph.domain.errors import ConfigurationError
from graph.usecases.viewer import Role

__all__ = ["parse_ttl", "register"]

_TTL = re.compile(r"(?P<amount>[0-9]+)(?P<unit>[smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

app = typer.Typer(name="token", help="Bearer tokens for the HTTP API.", no_args_is_help=True)


def parse_ttl(text: str) -> timedelta:
    """Read a lifetime such as ``90s``, ``30m``, ``1h`` or ``7d``.

    >>> parse_ttl("30m")
    datetime.timedelta(seconds=1800)
    """
    match = _TTL.fullmatch(text.strip().lower())
    if match is None or int(match["amount"]) == 0:
        raise typer.BadParameter(
            "expected a positive number and a unit: s, m, h or d (e.g. 1h)", param_hint="--ttl"
        )
    return timedelta(**{_UNITS[match["unit"]]: int(match["amount"])})


@app.command("create")
def create(
    role: Annotated[
        list[Role],
        typer.Option("--role", help="A role the token grants; repeat for several."),
    ],
    person: Annotated[
        str | None,
        typer.Option("--person", help="The person id it acts as; omit for a service token."),
    ] = None,
    ttl: Annotated[
        str, typer.Option("--ttl", help="How long it is valid: e.g. 30m, 1h, 7d.")
    ] = "1h",
) -> None:
    """Print a signed bearer token, and nothing else, for the Authorization header."""
    from api.http.auth import create_token
    from api.settings import load_settings

    if person is not None and not person.strip():
        raise typer.BadParameter("must not be empty", param_hint="--person")
    lifetime = parse_ttl(ttl)
    try:
        settings = load_settings()
        token = create_token(settings=settings, person_id=person, roles=role, ttl=lifetime)
    except ConfigurationError as error:
        err.print(f"[red]configuration error:[/red] {error}")
        raise typer.Exit(2) from error
    typer.echo(token)


def register(parent: typer.Typer) -> None:
    """Add ``token`` (with ``create``) to the command line."""
    parent.add_typer(app, name="token")

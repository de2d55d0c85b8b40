"""What the query and export commands share: reading moments, wording errors, printing answers.

Answers go to stdout (a rich table, or with ``--json`` one JSON document and nothing else);
progress and errors go to stderr, an error as one line that names the argument at fault.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli.options import ExitCode, err, fail
from graph.domain.errors import InvalidInput, NotFound, TiegraphError
from graph.usecases.viewer import Viewer

__all__ = [
    "OPERATOR",
    "JsonOption",
    "explainer",
    "iso",
    "number",
    "parse_moment",
    "print_json",
    "progress_bar",
    "stdout",
]

OPERATOR = Viewer.admin("cli")
"""The command line is an operator's tool: it reads the store as an admin."""

JsonOption = Annotated[
    bool,
    typer.Option(
        "--json", help="Print one JSON document on stdout (and nothing else), for scripts."
    ),
]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EARLIEST, _LATEST = 1900, 2200
"""The years tiegraph records (as the write path checks); moments outside are mistakes."""


def stdout() -> Console:
    """The console answers are printed to (resolved when printing, so tests can capture it)."""
    return Console(highlight=False)


def parse_moment(text: str, option: str) -> datetime:
    """Read ``--at``-style text: ISO-8601 with a time zone (``Z`` or an offset), or a date
    (midnight UTC that day). Ends the command with status 2, naming ``option``, otherwise.

    >>> parse_moment("2024-06-01T14:00:00+02:00", "--at").isoformat()
    '2024-06-01T12:00:00+00:00'
    >>> parse_moment("2024-06-01", "--at").isoformat()
    '2024-06-01T00:00:00+00:00'
    """
    value = text.strip()
    try:
        if _DATE.fullmatch(value):
            moment = datetime.combine(date.fromisoformat(value), time(), UTC)
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        fail(
            f"{option} {text!r}: not a date or time; give ISO-8601 with a time zone, e.g."
            " 2024-06-01T12:00:00Z, or a date, e.g. 2024-06-01",
            ExitCode.USAGE,
        )
    if moment.tzinfo is None:
        fail(
            f"{option} {text!r}: a time needs a time zone, e.g. {value}Z or {value}+02:00",
            ExitCode.USAGE,
        )
    moment = moment.astimezone(UTC)
    if not _EARLIEST <= moment.year <= _LATEST:
        fail(f"{option} {text!r}: must be between {_EARLIEST} and {_LATEST}", ExitCode.USAGE)
    return moment


def explainer(
    arguments: Mapping[str, str], options: Mapping[str, str] | None = None
) -> Callable[[TiegraphError], str]:
    """Return how to word an expected error for the command line: an unknown id names the
    argument that held it (``arguments``: argument name to value, in order); a rejected
    input names the option its field came from (``options``: use-case field to option)."""
    fields = dict(options or {})

    def explain(error: TiegraphError) -> str:
        if isinstance(error, NotFound):
            for name, value in arguments.items():
                if value == error.id:
                    return f"{name} {error.id!r}: no {error.entity} has this id"
            return str(error)
        if isinstance(error, InvalidInput):
            return "; ".join(
                f"{fields.get(p.field, p.field)}"
                + ("" if p.value is None else f" {p.value!r}")
                + f": {p.reason}"
                for p in error.problems
            )
        return str(error)

    return explain


def iso(moment: datetime | date | None) -> str | None:
    """An instant or a date as ISO-8601 text (``None`` stays ``None``)."""
    return None if moment is None else moment.isoformat()


def number(value: float | None, digits: int = 3) -> str:
    """A figure for a table: rounded, or a dash when there is none; a small figure that would
    round to zero keeps its digits in scientific notation (an old tie is weak, not nothing).

    >>> number(0.5), number(0.00012), number(0.0)
    ('0.500', '1.20e-04', '0.000')
    """
    if value is None or math.isnan(value):
        return "–"
    if value != 0 and abs(value) < 0.5 * 10**-digits:
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}f}"


def facts_table(title: str, heading: str, rows: list[tuple[str, str | None]]) -> Table:
    """Return a table of named values: ``heading`` on the left, the values right-aligned."""
    table = Table(title=title)
    table.add_column(heading)
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    return table


def print_json(document: Any) -> None:
    """Print ``document`` as JSON on stdout: the only thing ``--json`` prints there."""
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False))


def progress_bar() -> Progress:
    """A progress bar on stderr that leaves stdout alone (and disappears when done)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )

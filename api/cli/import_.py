"""``tiegraph import``: load JSON Lines, CSV and other tools' exports into the store, with a report.

Exit status: 0 when every line was imported, 1 when anything was rejected (the report says
what and why), 2 for usage or configuration errors (nothing was read or written), among them
a ``--member``, ``--meeting`` or ``--group`` that names nothing stored; 3 when the store is
unavailable.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from api.cli.options import (
    DataDirOption,
    Neo4jDatabaseOption,
    Neo4jUriOption,
    StoreOption,
    err,
    open_store_and_run,
    settings_from_options,
)
from graph.importing.identity import Identification
from graph.importing.runner import (
    FormatChoice,
    ImportReport,
    ImportUsageError,
    check_options,
    format_of,
    import_files,
)
from graph.ports import GraphStore

__all__ = ["register"]

SHOWN_PROBLEMS = 20
"""How many problems the report lists; the count of the rest follows them."""
SHOWN_MATCHES = 20
"""How many rows matched by name and organization the report lists; the count of the rest
follows them."""


class FormatOption(enum.StrEnum):
    """How to read the files: by their extension, or all in one format."""

    AUTO = "auto"
    JSONL = "jsonl"
    CSV = "csv"
    LINKEDIN = "linkedin"
    MEETING_REPORT = "meeting-report"
    ICS = "ics"


_FORMATS: dict[FormatOption, FormatChoice] = {
    FormatOption.AUTO: "auto",
    FormatOption.JSONL: "jsonl",
    FormatOption.CSV: "csv",
    FormatOption.LINKEDIN: "linkedin",
    FormatOption.MEETING_REPORT: "meeting-report",
    FormatOption.ICS: "ics",
}


def import_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Files to import: .jsonl/.ndjson (any records), .csv (interactions), or"
            " exports named by --format.",
            exists=True,
            dir_okay=False,
            readable=True,
            show_default=False,
        ),
    ],
    file_format: Annotated[
        FormatOption,
        typer.Option(
            "--format",
            help="auto: by extension (.jsonl/.ndjson, .csv); or one for all files: linkedin"
            " (Connections.csv of LinkedIn's data export, with --member), meeting-report (a"
            " video meeting's participant report, with --meeting), ics (an iCalendar export of"
            " Google Calendar or Outlook, with --group; .ics files are read so by default).",
        ),
    ] = FormatOption.AUTO,
    member: Annotated[
        str | None,
        typer.Option(
            "--member",
            help="With --format linkedin: the id of the person whose connections the file lists.",
            show_default=False,
        ),
    ] = None,
    meeting: Annotated[
        str | None,
        typer.Option(
            "--meeting",
            help="With --format meeting-report: the id of the meeting the report is of.",
            show_default=False,
        ),
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            help="With --format ics: the id of the group whose meetings the calendar holds.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Read, validate and check against the store; write nothing."
        ),
    ] = False,
    create_missing_people: Annotated[
        bool,
        typer.Option(
            "--create-missing-people",
            help="Create Person(id=x, name=x) for person ids that neither store nor files hold.",
        ),
    ] = False,
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", min=1, help="Records per all-or-nothing write."),
    ] = 10_000,
    no_name_match: Annotated[
        bool,
        typer.Option(
            "--no-name-match",
            help="With --format linkedin or meeting-report: never match a known person by name"
            " and organization (only by profile URL or e-mail, and, in a meeting report, by"
            " name among the meeting's group).",
        ),
    ] = False,
    store: StoreOption = None,
    data_dir: DataDirOption = None,
    neo4j_uri: Neo4jUriOption = None,
    neo4j_database: Neo4jDatabaseOption = None,
) -> None:
    """Import records from JSON Lines, interactions from CSV, a member's LinkedIn connections or a
    meeting's participant report (see docs/import-formats.md)."""
    chosen = _FORMATS[file_format]
    try:
        formats = [format_of(path, chosen) for path in files]
        check_options(formats, member=member, meeting=meeting, group=group)
    except ImportUsageError as error:
        _usage_error(error)
    settings = settings_from_options(store, data_dir, neo4j_uri, neo4j_database)

    async def work(opened: GraphStore) -> ImportReport | ImportUsageError:
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("reading", total=None)

            def show(done: int, total: int) -> None:
                bar.update(task, description="applying", completed=done, total=total)

            try:
                return await import_files(
                    opened,
                    files,
                    dry_run=dry_run,
                    create_missing_people=create_missing_people,
                    batch_size=batch_size,
                    file_format=chosen,
                    progress=show,
                    member=member,
                    meeting=meeting,
                    match_names=not no_name_match,
                    group=group,
                )
            except ImportUsageError as error:
                # Returned, not raised: the store is closed before the command exits.
                return error

    report = open_store_and_run(settings, work)
    if isinstance(report, ImportUsageError):
        _usage_error(report)
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def _usage_error(error: ImportUsageError) -> NoReturn:
    err.print(f"[red]usage error:[/red] {escape(str(error))}", highlight=False)
    raise typer.Exit(2) from error


def _print_report(report: ImportReport) -> None:
    out = Console()
    title = "Import (dry run: nothing was written)" if report.dry_run else "Import"
    table = Table(title=title)
    table.add_column("kind")
    for heading in ("created", "updated", "unchanged", "rejected"):
        table.add_column(heading, justify="right")
    for kind, counts in report.rows():
        table.add_row(
            kind,
            str(counts.created),
            str(counts.updated),
            str(counts.unchanged),
            str(counts.rejected),
        )
    out.print(table)
    _print_identities(out, report)
    # Plain echo: problems quote user data, which rich would read as markup or wrap.
    for problem in report.problems[:SHOWN_PROBLEMS]:
        typer.echo(str(problem))
    hidden = len(report.problems) - SHOWN_PROBLEMS
    if hidden > 0:
        typer.echo(f"... and {hidden} more problems")


def _print_identities(out: Console, report: ImportReport) -> None:
    """Say how the rows of exports found their people, then list the rows matched by name and
    organization (the matches worth a look); ambiguous rows are among the problems."""
    counted = report.identifications()
    if not counted:
        return
    table = Table(title="People in the rows")
    table.add_column("found")
    table.add_column("rows", justify="right")
    for how, count in counted.items():
        table.add_row(str(how), str(count))
    out.print(table)
    by_name = [i for i in report.identities if i.how is Identification.NAME_AND_ORGANIZATION]
    for identified in by_name[:SHOWN_MATCHES]:
        typer.echo(str(identified))
    hidden = len(by_name) - SHOWN_MATCHES
    if hidden > 0:
        typer.echo(f"... and {hidden} more rows matched by name and organization")


def register(app: typer.Typer) -> None:
    """Add the ``import`` command to ``app``."""
    app.command("import")(import_command)

"""``tiegraph import``: load JSON Lines, CSV and other tools' exports into the store, with a report.

Exit status: 0 when every line was imported, 1 when anything was rejected (the report says
what and why), 2 for usage or configuration errors (nothing was read or written), among them
a ``--member``, ``--meeting`` or ``--group`` that names nothing stored; 3 when the store is
unavailable.
"""

from __future__ import annotations

import contextlib
import enum
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn
from urllib.parse import urlsplit

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
    ExitCode,
    Neo4jDatabaseOption,
    Neo4jUriOption,
    StoreOption,
    err,
    exit_code_of,
    fail,
    open_store_and_run,
    settings_from_options,
)
from api.settings import Settings, StoreKind
from graph.domain.errors import Problem, TiegraphError
from graph.importing.identity import Identification
from graph.importing.runner import (
    FileFormat,
    FormatChoice,
    ImportReport,
    ImportUsageError,
    ProgressCallback,
    check_options,
    format_of,
    import_files,
)
from graph.ports import GraphStore

if TYPE_CHECKING:
    from graph.adapters.neo4j.server import RunningNeo4j
    from graph.importing.columnar import InteractionColumns

__all__ = ["register"]

SHOWN_PROBLEMS = 20
"""How many problems the report lists; the count of the rest follows them."""
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts a NEO4J_URI may name to reach the local server `tiegraph neo4j start` runs."""
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
    bulk: Annotated[
        bool | None,
        typer.Option(
            "--bulk/--no-bulk",
            help="Load interactions CSV files in bulk, or never: into an embedded store that"
            " holds no interactions, in one transaction; into an empty Neo4j database with"
            " neo4j-admin (the server from --neo4j-home is stopped, loaded and started again)."
            " Default: in bulk when it can be, else through transactions, saying why.",
            show_default=False,
        ),
    ] = None,
    neo4j_home: Annotated[
        Path | None,
        typer.Option(
            "--neo4j-home",
            help="With --bulk: the home of the server `tiegraph neo4j start` runs"
            " [default: $TIEGRAPH_CACHE_DIR/neo4j-home or ~/.cache/tiegraph/neo4j-home].",
            show_default=False,
        ),
    ] = None,
    store: StoreOption = None,
    data_dir: DataDirOption = None,
    neo4j_uri: Neo4jUriOption = None,
    neo4j_database: Neo4jDatabaseOption = None,
) -> None:
    """Import records from JSON Lines, interactions from CSV, a member's LinkedIn connections or a
    meeting's participant report (see docs/import-formats.md).

    Into an embedded store that holds no interactions yet, interactions CSV files are loaded in
    bulk in one transaction; into an empty Neo4j database of a server `tiegraph neo4j start`
    runs, with neo4j-admin (see --bulk and docs/operations.md): the same checks, refusals and
    graph as through transactions, many times faster.
    """
    chosen = _FORMATS[file_format]
    try:
        formats = [format_of(path, chosen) for path in files]
        check_options(formats, member=member, meeting=meeting, group=group)
    except ImportUsageError as error:
        _usage_error(error)
    settings = settings_from_options(store, data_dir, neo4j_uri, neo4j_database)
    if bulk is not False and settings.store is StoreKind.NEO4J:
        server = _bulk_target(
            settings, formats, dry_run=dry_run, home=neo4j_home, required=bulk is True
        )
        if server is not None:
            # Millions of rows stay alive until the load is written: see below.
            gc.disable()
            try:
                loaded = _bulk_import(
                    settings, server, files, create_missing_people=create_missing_people
                )
            finally:
                gc.enable()
            if loaded is not None:
                _print_report(loaded, how="bulk load with neo4j-admin")
                if not loaded.ok:
                    raise typer.Exit(1)
                return
    elif bulk is not False and settings.store is StoreKind.EMBEDDED:
        reason = _embedded_bulk_reason(settings, formats, dry_run=dry_run, required=bulk is True)
        if reason is None:
            # Millions of rows stay alive until the load is written: the cyclic garbage
            # collector would walk them all again and again (they hold no cycles).
            gc.disable()
            try:
                first_load = _embedded_bulk_import(
                    settings, files, create_missing_people=create_missing_people
                )
            finally:
                gc.enable()
            if isinstance(first_load, ImportReport):
                _print_report(first_load, how="first load in bulk")
                if not first_load.ok:
                    raise typer.Exit(1)
                return
            reason = first_load
        if reason is not None and _mentioned(reason):
            if bulk is True:
                fail(f"--bulk: {reason}", ExitCode.USAGE)
            err.print(f"importing through transactions: {escape(reason)}", highlight=False)

    async def work(opened: GraphStore) -> ImportReport | ImportUsageError:
        with _progress() as show:
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


@contextlib.contextmanager
def _progress() -> Iterator[ProgressCallback]:
    """Show a progress bar on stderr while the import runs; yield what updates it."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("reading", total=None)

        def show(done: int, total: int) -> None:
            bar.update(task, description="applying", completed=done, total=total)

        yield show


def _auth(settings: Settings) -> tuple[str, str] | None:
    password = settings.neo4j_password
    return None if password is None else (settings.neo4j_user, password.get_secret_value())


def _bulk_target(
    settings: Settings,
    formats: list[FileFormat],
    *,
    dry_run: bool,
    home: Path | None,
    required: bool,
) -> RunningNeo4j | None:
    """Return the server to load in bulk, or None (saying why on stderr) to use transactions.

    With ``required`` (``--bulk``), a reason not to ends the command with status 2 instead.
    """
    from graph.adapters.neo4j.bulk import NotEmpty, check_empty
    from graph.adapters.neo4j.server import default_cache_dir, status

    home = default_cache_dir() / "neo4j-home" if home is None else home
    server = status(home)
    uri = urlsplit(settings.require_neo4j())
    reason: str | None = None
    if dry_run:
        reason = "a dry run writes nothing"
    elif any(f != "csv" for f in formats):
        reason = "only interactions CSV files are loaded in bulk"
    if reason is not None:
        # Unasked, a bulk load that was never on the cards goes unmentioned.
        if required:
            fail(f"--bulk: {reason}", ExitCode.USAGE)
        return None
    if server is None:
        reason = f"no server started by `tiegraph neo4j start` from {home} is running"
    elif uri.hostname not in _LOCAL_HOSTS or uri.port != server.bolt_port:
        reason = f"NEO4J_URI does not name the server from {home} ({server.uri})"
    elif server.auth_user is not None and settings.neo4j_password is None:
        reason = "NEO4J_PASSWORD is needed to start the server again"
    else:
        try:
            check_empty(server.uri, None if server.auth_user is None else _auth(settings),
                        settings.neo4j_database)  # fmt: skip
        except NotEmpty:
            reason = f"database {settings.neo4j_database!r} already holds records"
        except TiegraphError as error:
            fail(str(error), exit_code_of(error))
    if reason is None:
        return server
    if required:
        fail(f"--bulk: {reason}", ExitCode.USAGE)
    err.print(f"importing through transactions: {escape(reason)}", highlight=False)
    return None


def _bulk_import(
    settings: Settings,
    server: RunningNeo4j,
    files: list[Path],
    *,
    create_missing_people: bool,
) -> ImportReport | None:
    """Read ``files`` into columns with every check of the transactional import, load the
    result with neo4j-admin and open the store (which creates its constraints and indexes);
    None if the database stopped being empty meanwhile (the caller then imports through
    transactions)."""
    from graph.adapters.neo4j.bulk import (
        BulkLoadError,
        FirstLoad,
        NotEmpty,
        load_into_empty_database,
    )
    from graph.adapters.neo4j.server import Neo4jServerError, default_cache_dir
    from graph.importing.columnar import plan_first_load

    columns, failed = _read_columns(files)
    planned = plan_first_load(
        columns,
        stored_people=(),  # the database is empty
        create_missing_people=create_missing_people,
        failed=failed,
    )
    del columns
    report = planned.report
    if not planned.people and not len(planned.interactions):
        return report
    load = FirstLoad.planned(planned, settings.strength_model())
    err.print(
        f"bulk load: {len(load.interactions):,} interactions, {len(load.people):,} people and"
        f" {len(load.ties):,} ties with neo4j-admin; the server from {escape(str(server.home))}"
        " stops meanwhile",
        highlight=False,
    )
    auth = None if server.auth_user is None else _auth(settings)
    try:
        with err.status("stopping Neo4j, loading, starting it again..."):
            load_into_empty_database(
                load,
                server=server,
                cache_dir=default_cache_dir(),
                auth=auth,
                database=settings.neo4j_database,
            )
    except NotEmpty as error:
        err.print(f"importing through transactions: {escape(str(error))}", highlight=False)
        return None
    except (BulkLoadError, Neo4jServerError) as error:
        fail(str(error), ExitCode.STORE_UNAVAILABLE)
    with err.status("creating constraints and indexes..."):
        open_store_and_run(settings, lambda opened: opened.ping())
    return report


def _read_columns(files: list[Path]) -> tuple[list[InteractionColumns], list[Problem]]:
    """Read interactions CSV ``files`` into columns for a first load in bulk (on every core,
    before any store is opened: the reader forks, best done with no thread running); the
    problems of files that cannot be read."""
    from graph.importing.columnar import read_interaction_columns

    err.print(f"reading {len(files):,} file(s) for a first load in bulk...", highlight=False)
    columns = []
    failed = []
    for path in files:
        try:
            columns.append(read_interaction_columns(path))
        except OSError as error:
            failed.append(
                Problem(str(path), "(file)", str(path), f"cannot be read: {error.strerror}")
            )
    return columns, failed


_NEVER_ON_THE_CARDS = ("a dry run writes nothing", "only interactions CSV files are loaded in bulk")
"""Reasons not to load in bulk that go unmentioned unless ``--bulk`` asked for it."""


def _mentioned(reason: str) -> bool:
    return reason not in _NEVER_ON_THE_CARDS


def _embedded_bulk_reason(
    settings: Settings, formats: list[FileFormat], *, dry_run: bool, required: bool
) -> str | None:
    """Return why the embedded store cannot take a first load in bulk, or None if it can (as
    far as can be told before it is opened; the load checks again in its transaction).

    With ``required`` (``--bulk``), a reason not to ends the command with status 2 instead.
    """
    from graph.adapters.embedded.bulk import holds_interactions

    reason: str | None = None
    if dry_run:
        reason = _NEVER_ON_THE_CARDS[0]
    elif any(f != "csv" for f in formats):
        reason = _NEVER_ON_THE_CARDS[1]
    elif holds_interactions(settings.data_dir):
        reason = _HOLDS_INTERACTIONS
    if reason is not None and required:
        fail(f"--bulk: {reason}", ExitCode.USAGE)
    return reason


_HOLDS_INTERACTIONS = "the store already holds interactions"


def _embedded_bulk_import(
    settings: Settings, files: list[Path], *, create_missing_people: bool
) -> ImportReport | str:
    """Read ``files`` into columns, then load them into the embedded store in one transaction;
    return the report, or why the store could not take them after all (it held interactions
    when it was opened: nothing was written)."""
    from graph.adapters.embedded.bulk import HoldsInteractions
    from graph.adapters.embedded.store import EmbeddedStore
    from graph.importing.columnar import plan_first_load

    columns, failed = _read_columns(files)

    async def load(opened: GraphStore) -> ImportReport | str:
        assert isinstance(opened, EmbeddedStore)
        with err.status("checking and writing in one transaction..."):
            if await opened.holds_interactions():
                return _HOLDS_INTERACTIONS
            planned = plan_first_load(
                columns,
                stored_people=await opened.person_ids(),
                create_missing_people=create_missing_people,
                failed=failed,
            )
            try:
                await opened.load_first(people=planned.people, interactions=planned.interactions)
            except HoldsInteractions:
                return _HOLDS_INTERACTIONS
            return planned.report

    return open_store_and_run(settings, load)


def _usage_error(error: ImportUsageError) -> NoReturn:
    err.print(f"[red]usage error:[/red] {escape(str(error))}", highlight=False)
    raise typer.Exit(2) from error


def _print_report(report: ImportReport, *, how: str | None = None) -> None:
    out = Console()
    title = "Import (dry run: nothing was written)" if report.dry_run else "Import"
    if how is not None:
        title = f"Import ({how})"
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

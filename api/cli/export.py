"""``tiegraph export``: the whole store as JSON Lines (that ``tiegraph import`` reads back) or as
GraphML (for networkx, Gephi and other graph tools). See :mod:`graph.exporting`.

The export goes to ``--output`` (written to a temporary file beside it and renamed when
complete, so a failed export leaves no partial file) or to stdout with ``-``. A progress bar
and a one-line summary go to stderr; with ``--json`` the summary goes to stdout instead.
"""

from __future__ import annotations

import contextlib
import enum
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from api.cli.options import (
    EXIT_CODES_HELP,
    DataDirOption,
    ExitCode,
    Neo4jDatabaseOption,
    Neo4jUriOption,
    StoreOption,
    at_option,
    err,
    fail,
    open_store_and_run,
    settings_from_options,
)
from api.cli.output import JsonOption, explainer, iso, parse_moment, print_json, progress_bar
from graph.exporting import ExportSummary, export_graphml, export_jsonl
from graph.ports import GraphStore
from graph.private_files import open_private
from graph.usecases.insights import utc_now

__all__ = ["register"]

STDOUT = "-"


class ExportFormat(enum.StrEnum):
    """What to write."""

    JSONL = "jsonl"
    GRAPHML = "graphml"


@contextlib.contextmanager
def _sink(output: str) -> Iterator[IO[bytes]]:
    """Open where the export goes: stdout, or a temporary file renamed to ``output`` on success."""
    if output == STDOUT:
        stream = sys.stdout.buffer
        try:
            yield stream
        finally:
            stream.flush()
        return
    target = Path(output)
    # Beside the target, so the rename stays on one file system; readable by its owner only
    # (it names people), and never over an existing one ("x").
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with open_private(temporary) as stream:
            yield stream
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _check_output(output: str) -> None:
    """End with status 2 if ``output`` cannot be written, before the store is opened."""
    if output == STDOUT:
        return
    target = Path(output)
    if target.is_dir():
        fail(f"--output {output!r}: is a directory; name a file", ExitCode.USAGE)
    parent = target.parent
    if not parent.is_dir():
        fail(f"--output {output!r}: the directory {str(parent)!r} does not exist", ExitCode.USAGE)
    if not os.access(parent, os.W_OK):
        fail(f"--output {output!r}: the directory {str(parent)!r} is not writable", ExitCode.USAGE)


def _summary_document(summary: ExportSummary, output: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": summary.format,
        "output": output,
        "written": summary.written,
        "total": summary.total,
    }
    if summary.format == "jsonl":
        document["derived_left_out"] = summary.derived_left_out
        document["diverging"] = summary.diverging
    else:
        document["at"] = iso(summary.at)
    return document


def _report(summary: ExportSummary, output: str) -> None:
    where = "stdout" if output == STDOUT else output
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in summary.written.items()) or "nothing"
    noun = "records" if summary.format == "jsonl" else "nodes and edges"
    err.print(f"exported {summary.total:,} {noun} ({kinds}) to {where}", soft_wrap=True)
    if summary.diverging:
        n = summary.diverging
        what = (
            "1 interaction that a meeting, breakout, side conversation or introduction left"
            " behind differs"
            if n == 1
            else f"{n:,} interactions that meetings, breakouts, side conversations or"
            " introductions left behind differ"
        )
        err.print(
            f"[yellow]warning:[/yellow] {what} from what an import derives again (after an"
            " erasure, attendance recorded in several writes, or a meeting moved after it was"
            " attended): after an import, some ties will differ.",
            soft_wrap=True,
        )


def export_command(
    file_format: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="jsonl: every record, for tiegraph import; graphml: people and ties, for"
            " networkx and Gephi.",
        ),
    ] = ExportFormat.JSONL,
    output: Annotated[
        str, typer.Option("--output", "-o", help="The file to write, or - for stdout.")
    ] = STDOUT,
    with_groups: Annotated[
        bool,
        typer.Option("--with-groups", help="GraphML: groups as nodes, memberships as edges."),
    ] = False,
    with_organizations: Annotated[
        bool,
        typer.Option(
            "--with-organizations", help="GraphML: organizations as nodes, employment as edges."
        ),
    ] = False,
    at: Annotated[
        str | None,
        at_option(
            "GraphML: assess tie strength at this moment (ISO-8601 or a date). Default: now."
        ),
    ] = None,
    json_output: JsonOption = False,
    store: StoreOption = None,
    data_dir: DataDirOption = None,
    neo4j_uri: Neo4jUriOption = None,
    neo4j_database: Neo4jDatabaseOption = None,
) -> None:
    """Write the whole store as JSON Lines (import reads it back) or GraphML (people, ties).

    With --json, a summary of what was written goes to stdout (needs --output FILE).
    """
    graphml = file_format is ExportFormat.GRAPHML
    if not graphml:
        for given, option in (
            (with_groups, "--with-groups"),
            (with_organizations, "--with-organizations"),
            (at is not None, "--at"),
        ):
            if given:
                fail(f"{option}: applies to --format graphml only", ExitCode.USAGE)
    if json_output and output == STDOUT:
        fail(
            "--json: prints a summary on stdout, where the export goes; give --output FILE",
            ExitCode.USAGE,
        )
    moment: datetime = parse_moment(at, "--at") if at is not None else utc_now()
    _check_output(output)
    settings = settings_from_options(store, data_dir, neo4j_uri, neo4j_database)

    async def work(opened: GraphStore) -> ExportSummary:
        with progress_bar() as bar, _sink(output) as sink:
            task = bar.add_task(f"exporting {file_format.value}", total=None)

            def show(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            if graphml:
                return await export_graphml(
                    opened,
                    sink,
                    at=moment,
                    groups=with_groups,
                    organizations=with_organizations,
                    progress=show,
                )
            return await export_jsonl(opened, sink, progress=show)

    try:
        summary = open_store_and_run(settings, work, explain=explainer({}))
    except OSError as error:
        fail(f"--output {output!r}: cannot be written: {error.strerror or error}", ExitCode.USAGE)
    if json_output:
        print_json(_summary_document(summary, output))
    else:
        _report(summary, output)


def register(app: typer.Typer) -> None:
    """Add ``export`` to the command line."""
    app.command("export", epilog=EXIT_CODES_HELP)(export_command)

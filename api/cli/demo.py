"""``tiegraph demo load``: write the demo network into the configured store, with a report.

The demo is Lena's three groups in a background network of 2,000 people (see ``docs/demo.md``
and :mod:`graph.samples.demo`). Loading is idempotent: a second load reports every record unchanged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.options import (
    DataDirOption,
    Neo4jDatabaseOption,
    Neo4jUriOption,
    StoreOption,
    open_store_and_run,
    settings_from_options,
)
from api.cli.output import JsonOption, print_json, progress_bar, stdout
from graph.domain.batch import WriteSummary
from graph.ports import GraphStore
from graph.samples.demo import DEFAULT_BATCH_SIZE, DEMO_AS_OF, WORTH_A_LOOK, load_demo

__all__ = ["app", "register"]

app = typer.Typer(
    help="The demo network: a leader's three groups in a background of 2,000 people.",
    no_args_is_help=True,
)


@dataclass(frozen=True, slots=True)
class _Loaded:
    """What a load did and what the store holds after it."""

    summary: WriteSummary
    stored: dict[str, int]
    seconds: float


@app.command("load")
def load_command(
    as_json: JsonOption = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Records per all-or-nothing write.")
    ] = DEFAULT_BATCH_SIZE,
    store: StoreOption = None,
    data_dir: DataDirOption = None,
    neo4j_uri: Neo4jUriOption = None,
    neo4j_database: Neo4jDatabaseOption = None,
) -> None:
    """Load the demo network into the store (idempotent: loading it again changes nothing)."""
    settings = settings_from_options(store, data_dir, neo4j_uri, neo4j_database)

    async def work(opened: GraphStore) -> _Loaded:
        started = time.perf_counter()
        with progress_bar() as bar:
            task = bar.add_task("building the demo", total=None)

            def show(done: int, total: int) -> None:
                bar.update(task, description="writing records", completed=done, total=total)

            summary = await load_demo(opened, batch_size=batch_size, progress=show)
        seconds = time.perf_counter() - started
        return _Loaded(summary=summary, stored=await opened.counts(), seconds=seconds)

    loaded = open_store_and_run(settings, work)
    where = (
        str(settings.data_dir) if settings.store.value == "embedded" else settings.neo4j_uri or ""
    )
    if as_json:
        print_json(_as_json(loaded, settings.store.value, where))
    else:
        _print_report(loaded, settings.store.value, where)


def _as_json(loaded: _Loaded, backend: str, where: str) -> dict[str, Any]:
    summary = loaded.summary
    return {
        "store": backend,
        "location": where,
        "seconds": round(loaded.seconds, 3),
        "as_of": DEMO_AS_OF.isoformat(),
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "kinds": {
            kind: {"created": c.created, "updated": c.updated, "unchanged": c.unchanged}
            for kind, c in sorted(summary.counts.items())
        },
        "stored": dict(sorted(loaded.stored.items())),
        "worth_a_look": dict(WORTH_A_LOOK),
    }


def _print_report(loaded: _Loaded, backend: str, where: str) -> None:
    out = stdout()
    summary = loaded.summary
    table = Table(title=f"Demo loaded into the {backend} store ({where}) in {loaded.seconds:.1f} s")
    table.add_column("kind")
    for heading in ("created", "updated", "unchanged", "stored now"):
        table.add_column(heading, justify="right")
    kinds = sorted(set(summary.counts) | set(loaded.stored))
    for kind in kinds:
        c = summary.counts.get(kind)
        table.add_row(
            kind,
            f"{c.created:,}" if c else "",
            f"{c.updated:,}" if c else "",
            f"{c.unchanged:,}" if c else "",
            f"{loaded.stored.get(kind, 0):,}",
        )
    table.add_section()
    table.add_row(
        "all",
        f"{summary.created:,}",
        f"{summary.updated:,}",
        f"{summary.unchanged:,}",
        "",
    )
    out.print(table)
    if summary.created == 0 and summary.updated == 0:
        out.print("The demo was already loaded: nothing changed.")
    out.print(f"The story is told as of {DEMO_AS_OF:%d %B %Y}. Worth a look (docs/demo.md):")
    for rid, why in WORTH_A_LOOK:
        out.print(f"  [bold]{rid}[/bold]: {why}")


def register(root: typer.Typer) -> None:
    """Add the ``demo`` commands to ``root``."""
    root.add_typer(app, name="demo")

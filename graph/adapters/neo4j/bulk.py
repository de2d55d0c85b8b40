"""A first load of interactions into an empty Neo4j database through ``neo4j-admin``.

Writing 300,000 contacts through Cypher costs about 200 µs of server CPU each (an
``Interaction`` node, two ``PARTICIPATED`` relationships, a tie merge, index entries and the
commits); ``neo4j-admin database import full`` writes the same store files directly, at a
small fraction of that. It needs the database stopped and empty, so it serves one case: the
first import into a database of a server that ``tiegraph neo4j start`` runs (whose home, and
so whose files, are known).

The load decides nothing of its own. The import reads the files into columns and plans the
load with every check and refusal of the transactional import
(:func:`graph.importing.columnar.plan_first_load`); :class:`FirstLoad` adds the ties up with
numpy (:func:`graph.adapters.tie_columns.tie_rows_of`), and :func:`load_into_empty_database`
writes people, interactions, participations, ties, the change log's entries (one per tie)
and the schema record as neo4j-admin's CSV files in a private temporary directory, column by
column, stops the server, imports, and starts it again; opening a
:class:`~graph.adapters.neo4j.store.Neo4jStore` afterwards creates the constraints and
indexes as on every open.

All or nothing: the database's directories are moved aside before the import and moved back
if it fails, so a failed load leaves the database as it was (empty) and the server running.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, LiteralString

import numpy as np
import numpy.typing as npt
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable

from graph.adapters.neo4j import cypher
from graph.adapters.neo4j.server import (
    Neo4jServerError,
    RunningNeo4j,
    run_admin,
    start,
    stop,
)
from graph.adapters.tie_columns import KINDS, TieRows, tie_rows_of
from graph.domain.changes import ChangeKind
from graph.domain.codec import encode
from graph.domain.errors import ConfigurationError, StoreUnavailable
from graph.domain.model import Person
from graph.domain.strength import StrengthModel
from graph.private_files import open_private

if TYPE_CHECKING:
    from graph.importing.columnar import FirstLoad as PlannedLoad
    from graph.importing.columnar import InteractionColumns

__all__ = [
    "BulkLoadError",
    "FirstLoad",
    "NotEmpty",
    "UnsupportedRecord",
    "check_empty",
    "load_into_empty_database",
]

ADMIN_TIMEOUT_S: Final = 6 * 3600.0
"""How long neo4j-admin may take: hours for hundreds of millions of rows."""
ADMIN_HEAP: Final = "1g"
"""neo4j-admin's heap; its caches live off-heap (``ADMIN_OFF_HEAP``)."""
ADMIN_OFF_HEAP: Final = "1g"
"""neo4j-admin's off-heap cache: its default, 90 % of free memory, is too greedy for a
machine shared with the server's own page cache and other work."""
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

_QUIET: Final[dict[str, Any]] = {
    # A fresh or wiped database lacks the labels these queries name: not a mistake.
    "notifications_disabled_classifications": ["UNRECOGNIZED"],
}

_QUOTE_WHEN: Final = ("\t", '"', "\n", "\r")
"""A cell holding one of these is quoted (and its quotes doubled), as the csv module does."""
_CHUNK_ROWS: Final = 65_536
_ARRAY_SEPARATOR: Final = "|"
"""Ids never hold ``|`` (graph.domain.batch.ID_PATTERN), so lists of ids split on it."""
_TIE_COUNTER_OF: Final = {name.removeprefix("n_"): name for name in cypher.TIE_COUNT_PROPERTIES}


class BulkLoadError(Neo4jServerError):
    """The bulk load failed; the database was left as it was and the server runs again."""


class NotEmpty(BulkLoadError):
    """The database holds records: a bulk load would replace them, so it is not done."""


class UnsupportedRecord(ValueError):
    """A batch holds a record a bulk first load does not write (only people and interactions)."""


@dataclass(slots=True)
class FirstLoad:
    """What a first load writes into an empty database: the people it creates (bare, as
    ``--create-missing-people`` makes them: ``Person(id=x, name=x)``), the interactions it
    stores (columns, in file order) and the ties they add up to (columns, one per pair).

    Made from the first load the import planned (:func:`graph.importing.columnar.plan_first_load`:
    every check and refusal of the transactional import) with :meth:`planned`.
    """

    model: StrengthModel
    people: list[str]
    interactions: InteractionColumns
    ties: TieRows

    @classmethod
    def planned(cls, plan: PlannedLoad, model: StrengthModel) -> FirstLoad:
        """The load of ``plan``, its ties summed with numpy and scored by ``model``."""
        return cls(
            model=model,
            people=list(plan.people),
            interactions=plan.interactions,
            ties=tie_rows_of(plan.interactions, model),
        )


def check_empty(uri: str, auth: tuple[str, str] | None, database: str) -> dict[str, dict[str, Any]]:
    """Return the database's schema records by name if it holds nothing else; raise
    :class:`NotEmpty` if it does, ``StoreUnavailable`` if it cannot be reached."""
    try:
        with (
            GraphDatabase.driver(uri, auth=auth, connection_timeout=5.0, **_QUIET) as driver,
            driver.session(database=database) as session,
        ):
            held = session.execute_read(_single, cypher.HOLDS_RECORDS)
            if held:
                raise NotEmpty(
                    f"database {database!r} at {uri} already holds records; a bulk load only"
                    " fills an empty one"
                )
            rows = session.execute_read(_single, cypher.SCHEMA_RECORDS)
    except AuthError as error:
        raise ConfigurationError(
            f"NEO4J_USER/NEO4J_PASSWORD: Neo4j at {uri} refused the credentials"
        ) from error
    except (Neo4jError, DriverError, OSError) as error:
        raise StoreUnavailable(f"Neo4j at {uri} is unavailable: {error}") from error
    return {str(name): dict(props) for name, props in rows}


def _single(tx: Any, query: LiteralString) -> Any:
    result = tx.run(query)
    return result.single(strict=True)[0]


def load_into_empty_database(
    load: FirstLoad,
    *,
    server: RunningNeo4j,
    cache_dir: Path,
    auth: tuple[str, str] | None,
    database: str = "neo4j",
    scratch: Path | None = None,
    start_timeout_s: float = 120.0,
) -> RunningNeo4j:
    """Write ``load`` into the empty ``database`` of ``server`` with neo4j-admin; return the
    server as started again.

    Stops the server, imports, and starts it with the same port, memory and credentials.
    Raises :class:`NotEmpty` (before stopping anything) if the database holds records, and
    :class:`BulkLoadError` if the import fails -- after putting the database back as it was
    and starting the server again. The CSV files go to a private temporary directory (under
    ``scratch`` if given) that is removed at the end.

    A load of millions of rows is best written with the cyclic garbage collector off (the
    import command turns it off): the files are written in short-lived chunks, for which the
    collector would walk the whole load again and again (three times slower).
    """
    schema = check_empty(server.uri, auth, database)
    with tempfile.TemporaryDirectory(prefix="tiegraph-bulk-", dir=scratch) as tmp:
        directory = Path(tmp)  # created 0700 by tempfile
        arguments = _write_import_files(load, directory, schema, database=database)
        # Looked at again just before stopping: an API worker may have written meanwhile.
        check_empty(server.uri, auth, database)
        stop(server.home)
        failure: Neo4jServerError | None = None
        try:
            _import_keeping_the_old_on_failure(
                server, cache_dir, arguments, database=database, report=directory
            )
        except Neo4jServerError as error:
            failure = error
        finally:
            restarted = start(
                home=server.home,
                cache_dir=cache_dir,
                bolt_port=server.bolt_port,
                auth=auth,
                heap=server.heap,
                pagecache=server.pagecache,
                timeout_s=start_timeout_s,
            )
    if failure is not None:
        raise BulkLoadError(
            f"the bulk load into {database!r} failed; the database is as it was and the server"
            f" runs again at {restarted.uri}: {failure}"
        ) from failure
    _finish(restarted.uri, auth, database)
    return restarted


def _import_keeping_the_old_on_failure(
    server: RunningNeo4j,
    cache_dir: Path,
    arguments: list[str],
    *,
    database: str,
    report: Path,
) -> None:
    """Run the import with the database's directories moved aside; put them back on failure."""
    data = server.home / "data"
    places = [data / "databases" / database, data / "transactions" / database]
    aside = data / f".tiegraph-bulk-aside-{database}"
    if aside.exists():
        raise BulkLoadError(
            f"{aside} is left from an earlier bulk load that did not finish: the database it"
            " holds must be put back or removed by hand"
        )
    aside.mkdir(mode=0o700)
    moved: list[tuple[Path, Path]] = []
    for place in places:
        if place.exists():
            target = aside / place.parent.name
            place.rename(target)
            moved.append((target, place))
    try:
        run_admin(
            home=server.home,
            cache_dir=cache_dir,
            arguments=[*arguments, f"--report-file={report / 'import.report'}"],
            heap=ADMIN_HEAP,
            timeout_s=ADMIN_TIMEOUT_S,
        )
    except BaseException:
        for _, place in moved:
            shutil.rmtree(place, ignore_errors=True)
        for target, place in moved:
            target.rename(place)
        aside.rmdir()
        raise
    shutil.rmtree(aside)


def _finish(uri: str, auth: tuple[str, str] | None, database: str) -> None:
    """Set what neo4j-admin cannot write (empty lists on people)."""
    try:
        with (
            GraphDatabase.driver(uri, auth=auth, **_QUIET) as driver,
            driver.session(database=database) as session,
        ):
            session.execute_write(lambda tx: tx.run(cypher.RESTORE_EMPTY_PERSON_LISTS).consume())
    except (Neo4jError, ServiceUnavailable) as error:
        raise BulkLoadError(f"the loaded people could not be completed: {error}") from error


# ---------------------------------------------------------------------------------------------
# neo4j-admin's CSV files: tab-separated, lists split on "|", text quoted when it must be.


def _write_import_files(
    load: FirstLoad, directory: Path, schema: dict[str, dict[str, Any]], *, database: str
) -> list[str]:
    """Write the files into ``directory``; return neo4j-admin's arguments to import them.

    Nodes are named in the files by integers (a person by its place in ``load.people``, an
    interaction by its row), not by their ids and keys: neo4j-admin then maps numbers instead
    of strings (a 1.2 million contact load: 43 s → 29 s) and the relationship files are a
    fifth of the size. Ids and keys are written as the properties they are.
    """
    at_us = _micros(datetime.now(UTC))
    interactions = load.interactions
    number_of = {pid: number for number, pid in enumerate(load.people)}.__getitem__
    # Each table is made just before its file is written, so only one is held at a time.
    files: dict[str, Callable[[], _Table]] = {
        "people": lambda: _people_table(load.people),
        "interactions": lambda: _interaction_table(interactions),
        # Once per person, as the store links them: a CSV row names two different people.
        "participated": lambda: _Table(
            (":START_ID(Person)", ":END_ID(Interaction)"),
            [
                [*map(number_of, interactions.person_a), *map(number_of, interactions.person_b)],
                [*range(len(interactions)), *range(len(interactions))],
            ],
        ),
        "ties": lambda: _tie_table(load.ties, number_of),
        "changes": lambda: _change_table(load.ties, schema, at_us),
        "schema": lambda: _schema_table(load, schema),
    }
    for name, table in files.items():
        try:
            made = table()
        except KeyError as error:  # from number_of: the load is not whole
            raise BulkLoadError(
                f"the load names {error.args[0]!r}, who is not among the people it creates;"
                " nothing was loaded and the database is as it was"
            ) from None
        with open_private(directory / f"{name}.csv", "xb") as raw:
            _write_table(raw, made)
    path = {name: directory / f"{name}.csv" for name in files}
    return [
        "database",
        "import",
        "full",
        database,
        f"--nodes=Person={path['people']}",
        f"--nodes=Interaction={path['interactions']}",
        f"--nodes=TiegraphChange={path['changes']}",
        f"--nodes=TiegraphSchema={path['schema']}",
        f"--relationships=PARTICIPATED={path['participated']}",
        f"--relationships=TIE={path['ties']}",
        "--id-type=INTEGER",
        "--delimiter=TAB",
        f"--array-delimiter={_ARRAY_SEPARATOR}",
        '--quote="',
        # A field over several lines makes neo4j-admin read each file on one thread.
        f"--multiline-fields={'true' if _spans_lines(load) else 'false'}",
        "--overwrite-destination=true",
        # Every line counts: one neo4j-admin would skip fails the load instead.
        "--bad-tolerance=0",
        "--skip-bad-relationships=false",
        "--skip-duplicate-nodes=false",
        f"--max-off-heap-memory={ADMIN_OFF_HEAP}",
        "--threads=2",
    ]


def _spans_lines(load: FirstLoad) -> bool:
    """Whether a text of the load holds a line break (ids never do: graph.domain.batch)."""
    interactions = load.interactions
    texts = (text for column in (interactions.key, interactions.channel) for text in column)
    return any(text is not None and ("\n" in text or "\r" in text) for text in texts)


@dataclass(frozen=True, slots=True)
class _Table:
    """One of neo4j-admin's files: its header's cells and its columns, of equal lengths."""

    header: Sequence[str]
    columns: Sequence[Sequence[Any]]


def _write_table(raw: IO[bytes], table: _Table) -> None:
    """Write ``table`` tab-separated, a chunk of rows at a time, column by column: cells are
    quoted as the csv module quotes them (only those holding a tab, a quote or a line
    break), in a fraction of its time (it looks at every cell of every row)."""
    rows = len(table.columns[0])
    if any(len(column) != rows for column in table.columns):
        raise ValueError("the columns of a table differ in length")
    raw.write(("\t".join(table.header) + "\n").encode())
    for first in range(0, rows, _CHUNK_ROWS):
        cut = slice(first, first + _CHUNK_ROWS)
        texts = [_texts(column[cut]) for column in table.columns]
        raw.write(("\n".join(map("\t".join, zip(*texts, strict=True))) + "\n").encode())


def _texts(column: Sequence[Any]) -> Sequence[str]:
    """The cells of one column of a chunk, quoted where they must be."""
    texts = [
        v if v.__class__ is str else "" if v is None else str(v if v.__class__ is int else _cell(v))
        for v in column
    ]
    joined = "".join(texts)
    if any(mark in joined for mark in _QUOTE_WHEN):
        return [_quoted(text) for text in texts]
    return texts


def _quoted(text: str) -> str:
    if any(mark in text for mark in _QUOTE_WHEN):
        return '"' + text.replace('"', '""') + '"'
    return text


def _cell(value: Any) -> Any:
    """Render one value as neo4j-admin reads it; ``None`` is an empty cell (no property)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        for item in value:
            if not isinstance(item, str) or _ARRAY_SEPARATOR in item:
                raise UnsupportedRecord(f"a list item {item!r} cannot be bulk loaded")
        return _ARRAY_SEPARATOR.join(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo is UTC else value.astimezone(UTC)).isoformat()
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same double
    return value


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return ":boolean"
    if isinstance(value, int):
        return ":long"
    if isinstance(value, float):
        return ":double"
    if isinstance(value, list | tuple):
        return ":string[]"
    if isinstance(value, datetime):
        return ":datetime"
    return ""


def _people_table(people: Sequence[str]) -> _Table:
    """Bare people (``Person(id=x, name=x)``): one encoded, the others written like it."""
    template = encode(Person(id="-", name="-"), temporal="native")
    columns = {name: _type_of(value) for name, value in template.items() if name != "id"}
    assert next(iter(columns)) == "name", "a person's name follows its id"
    rest = [[_cell(template[name])] * len(people) for name in columns if name != "name"]
    return _Table(
        (":ID(Person)", "id", *(f"{name}{kind}" for name, kind in columns.items())),
        [range(len(people)), people, people, *rest],
    )


# The tables below hold a row for every contact and tie: values go to _write_table as they
# are (None is an empty cell, ints print exactly), column by column without a list per row.


def _instants(micros: Iterable[int] | npt.NDArray[np.int64]) -> list[str]:
    """ISO texts (UTC, ``+00:00``) of instants in microseconds since the epoch, formatted by
    numpy in one pass: neo4j-admin reads them as the datetimes the store writes."""
    at = np.asarray(micros, np.int64).astype("datetime64[us]")
    texts: list[str] = np.datetime_as_string(at, unit="us").tolist()
    return [text + "+00:00" for text in texts]  # a third of numpy's char.add


def _interaction_table(interactions: InteractionColumns) -> _Table:
    rows = len(interactions)
    return _Table(
        (
            ":ID(Interaction)",
            "key",
            "at:datetime",
            "kind",
            "participant_ids:string[]",
            "initiator_id",
            "duration_s:long",
            "channel",
            "group_size:long",
        ),
        [
            range(rows),
            interactions.key,
            _instants(interactions.at_us),
            interactions.kind,
            _pairs(interactions.person_a, interactions.person_b),
            interactions.initiator,
            interactions.duration_s,
            interactions.channel,
            [None] * rows,
        ],
    )


def _pairs(a: Sequence[str], b: Sequence[str], separator: str = _ARRAY_SEPARATOR) -> list[str]:
    return list(map(separator.join, zip(a, b, strict=True)))


def _tie_table(ties: TieRows, number_of: Callable[[str], int]) -> _Table:
    counters = list(cypher.TIE_COUNT_PROPERTIES)
    counts = np.asarray(ties.counts)
    column_of_counter = {_TIE_COUNTER_OF[kind.value]: column for column, kind in enumerate(KINDS)}
    return _Table(
        (
            ":START_ID(Person)",
            ":END_ID(Person)",
            "pair",
            "first_at:datetime",
            "last_at:datetime",
            "count:long",
            "initiated_by_a:long",
            "initiated_by_b:long",
            "score:double",
            "score_by_a:double",
            "score_by_b:double",
            *(f"{name}:long" for name in counters),
        ),
        [
            list(map(number_of, ties.a)),
            list(map(number_of, ties.b)),
            # The pair key, as the store writes it.
            _pairs(ties.a, ties.b, cypher.TIE_PAIR_SEPARATOR),
            _instants(ties.first_us),
            _instants(ties.last_us),
            ties.count.tolist(),
            ties.initiated_by_a.tolist(),
            ties.initiated_by_b.tolist(),
            # The shortest texts that read back as the same doubles.
            list(map(repr, ties.score.tolist())),
            list(map(repr, ties.score_by_a.tolist())),
            list(map(repr, ties.score_by_b.tolist())),
            # A kind never counted between two people: no property, as the store leaves it.
            *(
                [n or None for n in counts[:, column_of_counter[name]].tolist()]
                for name in counters
            ),
        ],
    )


def _change_table(ties: TieRows, schema: dict[str, dict[str, Any]], at_us: int) -> _Table:
    """One entry per tie (the transactional import logs one per tie and batch)."""
    # Sequences go on from a wiped database's, so a reader's cursor is never reused.
    base = int(schema.get("change_log", {}).get("sequence", 0))
    pairs = _pairs(ties.a, ties.b)
    rows = len(pairs)
    return _Table(
        ("sequence:long", "at_us:long", "kind", "key", "people:string[]", "group_id"),
        [
            range(base + 1, base + 1 + rows),
            [at_us] * rows,
            [ChangeKind.TIE.value] * rows,
            pairs,
            pairs,
            [None] * rows,
        ],
    )


def _schema_table(load: FirstLoad, schema: dict[str, dict[str, Any]]) -> _Table:
    """The schema records: the graph model's version and the strength model the ties were
    scored by (so opening the store rescores nothing), and the change log's sequence."""
    tiegraph = {
        **schema.get("tiegraph", {}),
        "version": cypher.SCHEMA_VERSION,
        "strength_model": load.model.fingerprint(),
    }
    records = {"tiegraph": tiegraph}
    if len(load.ties) or "change_log" in schema:
        base = int(schema.get("change_log", {}).get("sequence", 0))
        records["change_log"] = {
            **schema.get("change_log", {}),
            "sequence": base + len(load.ties),
            "locked": True,
        }
    columns: dict[str, str] = {}
    for props in records.values():
        for name, value in props.items():
            if name != "name" and name not in columns:
                columns[name] = _type_of(value)
    return _Table(
        (":ID(TiegraphSchema)", "name", *(f"{name}{kind}" for name, kind in columns.items())),
        [
            range(len(records)),
            list(records),
            *([_cell(props.get(column)) for props in records.values()] for column in columns),
        ],
    )


def _micros(at: datetime) -> int:
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds

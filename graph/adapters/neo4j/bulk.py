"""A first load of interactions into an empty Neo4j database through ``neo4j-admin``.

Writing 300,000 contacts through Cypher costs about 200 µs of server CPU each (an
``Interaction`` node, two ``PARTICIPATED`` relationships, a tie merge, index entries and the
commits); ``neo4j-admin database import full`` writes the same store files directly, at a
small fraction of that. It needs the database stopped and empty, so it serves one case: the
first import into a database of a server that ``tiegraph neo4j start`` runs (whose home, and
so whose files, are known).

The import decides nothing of its own. :class:`FirstLoad` is an
:class:`~graph.importing.runner.ImportTarget`: the importer hands it the same batches it
would hand the store, and it validates and plans each with :func:`graph.domain.batch.plan_batch`
against what the earlier batches planned (the database being empty), refusing lines exactly
as the store would, and folds each batch's tie deltas with
:func:`graph.domain.batch.merge_tie`. :func:`load_into_empty_database` then writes people,
interactions, participations, ties, the change log's entries and the schema record as
neo4j-admin's CSV files in a private temporary directory, stops the server, imports, and
starts it again; opening a :class:`~graph.adapters.neo4j.store.Neo4jStore` afterwards creates
the constraints and indexes as on every open.

All or nothing: the database's directories are moved aside before the import and moved back
if it fails, so a failed load leaves the database as it was (empty) and the server running.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, LiteralString, TypeVar, cast

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
from graph.domain.batch import (
    Snapshot,
    TieDelta,
    WriteBatch,
    WriteSummary,
    merge_tie,
    plan_batch,
    snapshot_request,
    validate_batch,
)
from graph.domain.changes import ChangeEntry
from graph.domain.codec import Record, encode
from graph.domain.errors import ConfigurationError, StoreUnavailable
from graph.domain.model import Attendance, Interaction, InteractionKind, Person
from graph.domain.strength import StrengthModel
from graph.private_files import open_private

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
R = TypeVar("R", bound=Record)

_QUIET: Final[dict[str, Any]] = {
    # A fresh or wiped database lacks the labels these queries name: not a mistake.
    "notifications_disabled_classifications": ["UNRECOGNIZED"],
}

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
    """What an import into an empty database writes, planned batch by batch as the store would.

    ``apply`` validates a batch and plans it with :func:`~graph.domain.batch.plan_batch` over
    what earlier batches planned, raising the same ``InvalidInput``/``Conflict`` the store
    would (then nothing changes), and keeps the result: people, interactions, the ties summed
    with :func:`~graph.domain.batch.merge_tie`, and the change log's entries in order.
    """

    model: StrengthModel
    people: dict[str, Person] = field(default_factory=dict)
    interactions: dict[str, Interaction] = field(default_factory=dict)
    ties: dict[tuple[str, str], TieDelta] = field(default_factory=dict)
    changes: list[ChangeEntry] = field(default_factory=list)

    async def apply(self, batch: WriteBatch) -> WriteSummary:
        """Plan ``batch`` all or nothing and keep what it writes; return what it did."""
        validate_batch(batch)
        if not len(batch):
            return WriteSummary()
        request = snapshot_request(batch)
        snapshot = Snapshot()
        for kind, ids in request.records.items():
            held = self._held(kind)
            snapshot.records[kind] = {i: held[i] for i in ids if i in held}
            snapshot.existing[kind] = set(snapshot.records[kind])
        for kind, ids in request.references.items():
            held = self._held(kind)
            snapshot.existing.setdefault(kind, set()).update(i for i in ids if i in held)
        plan = plan_batch(batch, snapshot, self.model)
        for kind, records in plan.writes.items():
            if kind != "person":
                raise UnsupportedRecord(f"a bulk first load writes no {kind} records")
            for person in records:
                assert isinstance(person, Person)
                if person.organization_id is not None or person.interests:
                    raise UnsupportedRecord(
                        f"person {person.id!r}: a bulk first load links no organizations or"
                        " interests"
                    )
        for person in plan.writes.get("person", ()):
            assert isinstance(person, Person)
            self.people[person.id] = person
        for interaction in plan.interactions:
            self.interactions[interaction.key] = interaction
        half_life = self.model.half_life
        for delta in plan.ties:
            held_tie = self.ties.get((delta.a, delta.b))
            if held_tie is None:
                self.ties[(delta.a, delta.b)] = delta
            else:
                merge_tie(held_tie, delta, half_life)
        self.changes.extend(plan.changes)
        return plan.summary

    def _held(self, kind: str) -> dict[str, Any]:
        if kind == "person":
            return self.people
        if kind == "interaction":
            return self.interactions
        return {}  # the database is empty, and nothing else is loaded

    async def get(self, kind: type[R], ids: Collection[str]) -> dict[str, R]:
        """Return the records of ``kind`` among ``ids`` that earlier batches planned."""
        held = self.people if kind is Person else self.interactions if kind is Interaction else {}
        return {i: cast(R, held[i]) for i in ids if i in held}

    async def attendance(
        self,
        *,
        meeting_ids: Collection[str] | None = None,
        person_ids: Collection[str] | None = None,
    ) -> list[Attendance]:
        """Return no attendance: a first load of interactions holds none."""
        return []


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
    """Write the files into ``directory``; return neo4j-admin's arguments to import them."""
    at_us = _micros(datetime.now(UTC))
    instants = _Instants()
    files = {
        "people": _people_rows(load.people.values()),
        "interactions": _interaction_rows(load.interactions.values(), instants),
        "participated": _participation_rows(load.interactions.values()),
        "ties": _tie_rows(load.ties.values(), instants),
        "changes": _change_rows(load.changes, schema, at_us),
        "schema": _schema_rows(load, schema),
    }
    for name, rows in files.items():
        with open_private(directory / f"{name}.csv", "xb") as raw:
            _write_rows(raw, rows)
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
        "--delimiter=TAB",
        f"--array-delimiter={_ARRAY_SEPARATOR}",
        '--quote="',
        "--multiline-fields=true",
        "--overwrite-destination=true",
        # Every line counts: one neo4j-admin would skip fails the load instead.
        "--bad-tolerance=0",
        "--skip-bad-relationships=false",
        "--skip-duplicate-nodes=false",
        f"--max-off-heap-memory={ADMIN_OFF_HEAP}",
        "--threads=2",
    ]


def _write_rows(raw: IO[bytes], rows: Iterable[list[Any]]) -> None:
    with open(raw.fileno(), "w", encoding="utf-8", newline="", closefd=False) as text:
        writer = csv.writer(text, delimiter="\t", quotechar='"', lineterminator="\n")
        writer.writerows(rows)


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


def _people_rows(people: Iterable[Person]) -> Iterator[list[Any]]:
    encoded = [encode(person, temporal="native") for person in people]
    columns: dict[str, str] = {}
    for props in encoded:
        for name, value in props.items():
            if name != "id" and name not in columns:
                columns[name] = _type_of(value)
    yield ["id:ID(Person)", *(f"{name}{kind}" for name, kind in columns.items())]
    for props in encoded:
        yield [props["id"], *(_cell(props.get(name)) for name in columns)]


# The rows below are written for every contact: values go to the csv module as they are
# (None is an empty cell, ints and floats print exactly), and lists of ids are joined
# directly, since an id never holds the separator.


class _Instants:
    """ISO texts of instants, each formatted once (a tie's instants are its contacts')."""

    def __init__(self) -> None:
        self._texts: dict[datetime, str] = {}

    def text(self, at: datetime) -> str:
        found = self._texts.get(at)
        if found is None:
            found = self._texts[at] = _cell(at)
        return found


def _interaction_rows(
    interactions: Iterable[Interaction], instants: _Instants
) -> Iterator[list[Any]]:
    yield [
        "key:ID(Interaction)",
        "at:datetime",
        "kind",
        "participant_ids:string[]",
        "initiator_id",
        "duration_s:long",
        "channel",
        "group_size:long",
    ]
    join = _ARRAY_SEPARATOR.join
    for i in interactions:
        yield [
            i.key,
            instants.text(i.at),
            i.kind.value,
            join(i.participant_ids),
            i.initiator_id,
            i.duration_s,
            i.channel,
            i.group_size,
        ]


def _participation_rows(interactions: Iterable[Interaction]) -> Iterator[list[str]]:
    yield [":START_ID(Person)", ":END_ID(Interaction)"]
    for i in interactions:
        for person_id in dict.fromkeys(i.participant_ids):  # once per person, as the store
            yield [person_id, i.key]


def _tie_rows(ties: Iterable[TieDelta], instants: _Instants) -> Iterator[list[Any]]:
    counters = list(cypher.TIE_COUNT_PROPERTIES)
    column_of = {kind: counters.index(_TIE_COUNTER_OF[kind.value]) for kind in InteractionKind}
    yield [
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
    ]
    separator = cypher.TIE_PAIR_SEPARATOR  # the pair key, as the store writes it
    for t in ties:
        counted: list[int | None] = [None] * len(counters)  # a kind never counted: no property
        for kind, n in t.counts.items():
            if n:
                counted[column_of[kind]] = n
        yield [
            t.a,
            t.b,
            f"{t.a}{separator}{t.b}",
            instants.text(t.first_at),
            instants.text(t.last_at),
            t.count,
            t.initiated_by_a,
            t.initiated_by_b,
            repr(t.score),  # the shortest text that reads back as the same double
            repr(t.score_by_a),
            repr(t.score_by_b),
            *counted,
        ]


def _change_rows(
    changes: list[ChangeEntry], schema: dict[str, dict[str, Any]], at_us: int
) -> Iterator[list[Any]]:
    # Sequences go on from a wiped database's, so a reader's cursor is never reused.
    base = int(schema.get("change_log", {}).get("sequence", 0))
    yield ["sequence:long", "at_us:long", "kind", "key", "people:string[]", "group_id"]
    join = _ARRAY_SEPARATOR.join
    for offset, entry in enumerate(changes, start=1):
        yield [
            base + offset,
            at_us,
            entry.kind.value,
            entry.key,
            join(entry.people),
            entry.group_id,
        ]


def _schema_rows(load: FirstLoad, schema: dict[str, dict[str, Any]]) -> Iterator[list[Any]]:
    """The schema records: the graph model's version and the strength model the ties were
    scored by (so opening the store rescores nothing), and the change log's sequence."""
    tiegraph = {
        **schema.get("tiegraph", {}),
        "version": cypher.SCHEMA_VERSION,
        "strength_model": load.model.fingerprint(),
    }
    records = {"tiegraph": tiegraph}
    if load.changes or "change_log" in schema:
        base = int(schema.get("change_log", {}).get("sequence", 0))
        records["change_log"] = {
            **schema.get("change_log", {}),
            "sequence": base + len(load.changes),
            "locked": True,
        }
    columns: dict[str, str] = {}
    for props in records.values():
        for name, value in props.items():
            if name != "name" and name not in columns:
                columns[name] = _type_of(value)
    yield ["name:ID(TiegraphSchema)", *(f"{name}{kind}" for name, kind in columns.items())]
    for name, props in records.items():
        yield [name, *(_cell(props.get(column)) for column in columns)]


def _micros(at: datetime) -> int:
    delta = at - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds

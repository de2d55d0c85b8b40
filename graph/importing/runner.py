"""Import files into a store: read and check every line, then apply in batches, references first.

Five formats: tiegraph JSON Lines and interactions CSV (each line a record on its own), and three
exports of other tools whose rows are resolved against the store as they are read: LinkedIn's
connections of one member (:mod:`graph.importing.linkedin`, ``member``), a video meeting's
participant report (:mod:`graph.importing.meeting_report`, ``meeting``) and an iCalendar
export whose events are one group's meetings (:mod:`graph.importing.ics`, ``group``).

The rule, so that a file may list people after the interactions that name them: one import
run first reads every file once, keeping each valid record by kind (a bad line is rejected on
its own and the rest still import), and then applies the kinds in reference order --
organizations, interests, people, groups, memberships, meetings, attendance, breakouts, side
conversations, interactions, introductions -- each in batches of ``batch_size`` records. Every
batch is one all-or-nothing :meth:`~graph.ports.GraphStore.apply`.

Before a batch is applied, every id it names is looked up (in this run and in the store); a
record naming something that exists in neither is rejected alone. A batch the store still
rejects (e.g. an interaction key already stored with other values) is reported with its
records counted as rejected, and the run goes on with the next batch.

Because records are upserted by id and interactions stored once per key, running an import
again -- after it was interrupted, or after it finished -- ends with the same graph.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from graph.domain.batch import (
    ID_PATTERN,
    Snapshot,
    WriteBatch,
    WriteSummary,
    ids_named_by,
    plan_batch,
    references_of,
    snapshot_request,
    validate_batch,
)
from graph.domain.codec import ENTITY_KINDS, Record, record_id
from graph.domain.errors import Conflict, InvalidInput, Problem
from graph.domain.model import Attendance, Group, Meeting, Person
from graph.domain.strength import StrengthModel
from graph.importing import ParseResult, Rejected
from graph.importing.csv_interactions import name_by_column, read_interactions_csv
from graph.importing.ics import meeting_records, read_calendar
from graph.importing.identity import Identification, Identified
from graph.importing.jsonl import read_jsonl
from graph.importing.linkedin import connection_records, read_linkedin_connections
from graph.importing.meeting_report import attendance_records, read_meeting_report
from graph.ports import GraphStore

__all__ = [
    "FileFormat",
    "FormatChoice",
    "ImportReport",
    "ImportTarget",
    "ImportUsageError",
    "KindReport",
    "ProgressCallback",
    "UnknownFormat",
    "UnknownTarget",
    "check_options",
    "format_of",
    "import_files",
]

FileFormat = Literal["jsonl", "csv", "linkedin", "meeting-report", "ics"]
FormatChoice = Literal["auto", "jsonl", "csv", "linkedin", "meeting-report", "ics"]
ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(records_done, records_total)`` after each batch (and once at 0)."""

UNKNOWN_KIND = "unknown"
"""The kind rejected lines are counted under when they do not say what they are."""
_EXTENSIONS: dict[str, FileFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".ics": "ics",
}
_LOOKUP_CHUNK = 1_000
"""Ids per ``store.get`` call when checking references."""
_KIND_OF: dict[type[Record], str] = {kind: name for name, kind in ENTITY_KINDS.items()}
_ID_FIELD = {
    "membership": "group_id|person_id",
    "attendance": "meeting_id|person_id",
    "interaction": "key",
}

Labeled = tuple[Record, str]
Rename = Callable[[Problem, Record], Problem]
"""Names a problem the store found in a record as the record's file names it."""
_STREAMED: frozenset[FileFormat] = frozenset({"csv"})
"""Formats of interactions only, applied as they are read after every other file."""
_YIELD_EVERY = 1_000
"""Rows read between chances for the batch being written to move on (see :func:`_stream`)."""


R = TypeVar("R", bound=Record)


class ImportTarget(Protocol):
    """What importing interactions CSV files needs of a store (every
    :class:`~graph.ports.GraphStore` is one)."""

    @property
    def model(self) -> StrengthModel:
        """How ties are scored."""
        ...

    async def apply(self, batch: WriteBatch) -> WriteSummary:
        """Write ``batch`` all or nothing, as :meth:`graph.ports.GraphStore.apply` does."""
        ...

    async def get(self, kind: type[R], ids: Collection[str]) -> dict[str, R]:
        """Return the stored records of ``kind`` among ``ids``, by id."""
        ...

    async def attendance(
        self,
        *,
        meeting_ids: Collection[str] | None = None,
        person_ids: Collection[str] | None = None,
    ) -> list[Attendance]:
        """Return attendance at the given meetings and/or by the given people."""
        ...


class ImportUsageError(ValueError):
    """The import was asked for something it cannot do; nothing was read or written."""


class UnknownFormat(ImportUsageError):
    """A file's format cannot be told from its name; name it with ``--format``."""


class UnknownTarget(ImportUsageError):
    """``--member``, ``--meeting`` or ``--group`` names nothing the store holds."""


_OPTION_OF: dict[FileFormat, str] = {
    "linkedin": "--member",
    "meeting-report": "--meeting",
    "ics": "--group",
}


def check_options(
    formats: Collection[FileFormat],
    *,
    member: str | None,
    meeting: str | None,
    group: str | None = None,
) -> None:
    """Raise :class:`ImportUsageError` unless each option is given exactly when a format needs it.

    >>> check_options(["jsonl"], member="ann", meeting=None)
    Traceback (most recent call last):
    ...
    graph.importing.runner.ImportUsageError: --member applies only to --format linkedin
    """
    needs = {
        "linkedin": (member, "--member <person id>: the person whose connections the file lists"),
        "meeting-report": (meeting, "--meeting <meeting id>: the meeting the report is of"),
        "ics": (group, "--group <group id>: the group whose meetings the calendar holds"),
    }
    for file_format, (value, what) in needs.items():
        if file_format in formats and not value:
            raise ImportUsageError(f"--format {file_format} needs {what}")
    given_by_format = {"linkedin": member, "meeting-report": meeting, "ics": group}
    for file_format, option in _OPTION_OF.items():
        given = given_by_format[file_format]
        if given is not None and file_format not in formats:
            raise ImportUsageError(f"{option} applies only to --format {file_format}")


def format_of(path: Path, requested: FormatChoice = "auto") -> FileFormat:
    """Return the format to read ``path`` in: the requested one, or the one its extension names.

    >>> format_of(Path("people.ndjson"))
    'jsonl'
    """
    if requested != "auto":
        return requested
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise UnknownFormat(
            f"{path}: cannot tell the format from the extension {path.suffix!r}; "
            "use .jsonl, .ndjson, .csv or .ics, or pass --format"
        )
    return found


@dataclass(slots=True)
class KindReport:
    """What an import did with the records of one kind."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass(slots=True)
class ImportReport:
    """What an import did, per kind, and every problem that rejected a line or a batch.

    Interactions that meetings, breakouts, side conversations and met introductions leave
    behind are counted as interactions created, as the store counts them. With ``dry_run``
    the counts say what the import would have done; nothing was written. For exports of other
    tools (LinkedIn, meeting reports), ``identities`` says per row how its person was found.
    """

    dry_run: bool
    kinds: dict[str, KindReport] = field(default_factory=lambda: defaultdict(KindReport))
    problems: list[Problem] = field(default_factory=list)
    identities: list[Identified] = field(default_factory=list)

    def identifications(self) -> dict[Identification, int]:
        """Return how many rows found their person each way, in :class:`Identification`
        order, leaving out the ways no row took."""
        counted = dict.fromkeys(Identification, 0)
        for identified in self.identities:
            counted[identified.how] += 1
        return {how: count for how, count in counted.items() if count}

    @property
    def rejected(self) -> int:
        """Records (lines) rejected, of every kind."""
        return sum(k.rejected for k in self.kinds.values())

    @property
    def ok(self) -> bool:
        """Whether everything read was imported (or, in a dry run, would have been)."""
        return self.rejected == 0 and not self.problems

    def rows(self) -> Iterator[tuple[str, KindReport]]:
        """Yield ``(kind, counts)`` for every kind with something to say, in reference order."""
        for kind in (*ENTITY_KINDS, UNKNOWN_KIND):
            counts = self.kinds.get(kind)
            if counts is not None and dataclasses.astuple(counts) != (0, 0, 0, 0):
                yield kind, counts

    def _add(self, summary: WriteSummary) -> None:
        for kind, counts in summary.counts.items():
            mine = self.kinds[kind]
            mine.created += counts.created
            mine.updated += counts.updated
            mine.unchanged += counts.unchanged


@dataclass(slots=True)
class _RunState:
    """What this run has established so far, to check references and plan dry runs."""

    known: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """Ids known to exist, by kind: found in the store or applied (or planned) in this run."""
    planned_meetings: dict[str, Meeting] = field(default_factory=dict)
    """Dry run only: meetings planned in earlier batches (the store does not have them)."""
    planned_attendees: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """Dry run only: attendees planned in earlier batches, by meeting."""
    create_missing_people: bool = False
    """Whether a person id named but held nowhere gets a person (files read as they are
    applied add theirs to the batch that names them)."""


async def import_files(
    store: GraphStore,
    paths: Sequence[Path],
    *,
    dry_run: bool = False,
    create_missing_people: bool = False,
    batch_size: int = 10_000,
    file_format: FormatChoice = "auto",
    progress: ProgressCallback | None = None,
    member: str | None = None,
    meeting: str | None = None,
    match_names: bool = True,
    group: str | None = None,
) -> ImportReport:
    """Import ``paths`` into ``store`` (see the module docstring for the rules) and report.

    ``dry_run`` reads, validates and plans every batch against the store exactly as
    :meth:`~graph.ports.GraphStore.apply` would, and writes nothing. ``create_missing_people``
    adds ``Person(id=x, name=x)`` for every person id that records name but that neither the
    store nor the files hold. ``member`` (for ``linkedin`` files) is the id of the person
    whose connections they list, ``meeting`` (for ``meeting-report`` files) the id of the
    meeting they report, ``group`` (for ``ics`` files) the id of the group whose meetings they
    hold. ``match_names`` lets those exports match a known person by name at their
    organization (when nothing else matches and exactly one person does). Raises
    :class:`ImportUsageError` before reading anything if a file's format cannot be told
    (:class:`UnknownFormat`), an option is missing or out of place, or the member, meeting or
    group is not stored (:class:`UnknownTarget`); errors of the store itself
    (e.g. ``StoreUnavailable``) propagate, leaving the batches applied so far in place.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    formats = [format_of(path, file_format) for path in paths]
    check_options(formats, member=member, meeting=meeting, group=group)
    targets = await _targets(store, member=member, meeting=meeting, group=group)
    report = ImportReport(dry_run=dry_run)
    files = list(zip(paths, formats, strict=True))
    streamed = [path for path, chosen in files if chosen in _STREAMED]
    buckets = await _read(
        store,
        [(path, chosen) for path, chosen in files if chosen not in _STREAMED],
        report,
        targets,
        match_names=match_names,
    )
    state = _RunState(create_missing_people=create_missing_people)
    if create_missing_people:
        await _add_missing_people(store, buckets, state)
    total = sum(len(bucket) for bucket in buckets.values()) + sum(map(_rows_in, streamed))
    done = 0
    if progress is not None:
        progress(done, total)
    for kind in ENTITY_KINDS:
        records = list(buckets.pop(kind, {}).values())
        for chunk in _import_batches(kind, records, batch_size):
            await _apply_chunk(store, kind, chunk, state, report)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    for path in streamed:
        done = await _stream(
            store, path, state, report, batch_size=batch_size, done=done, total=total,
            progress=progress,
        )  # fmt: skip
    return report


def _rows_in(path: Path) -> int:
    """Count the rows of a CSV file cheaply (its lines but the header), for progress only."""
    try:
        with path.open("rb") as raw:
            lines = sum(block.count(b"\n") for block in iter(lambda: raw.read(1 << 20), b""))
    except OSError:
        return 0
    return max(lines - 1, 0)


async def _stream(
    store: ImportTarget,
    path: Path,
    state: _RunState,
    report: ImportReport,
    *,
    batch_size: int,
    done: int,
    total: int,
    progress: ProgressCallback | None,
) -> int:
    """Apply the interactions of a CSV file batch by batch as they are read; return ``done``.

    Only one batch is held at a time, so a file of any size imports in bounded memory. While
    a batch is written (on the store's own thread), the next one is read. A key repeated in
    one batch is counted unchanged or rejected as in :func:`_read`; repeated in a later batch,
    it reaches the store, which counts it unchanged or refuses that line alone (a dry run,
    which stores nothing, keeps every key it read to tell instead).
    """
    pending: asyncio.Future[None] | None = None
    chunk: dict[str, Labeled] = {}
    seen: dict[str, Labeled] | None = {} if report.dry_run else None
    rows = 0
    try:
        for result in read_interactions_csv(path):
            rows += 1
            if rows % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # lets the batch in flight take its next step
            if isinstance(result, Rejected):
                report.kinds[result.kind or UNKNOWN_KIND].rejected += 1
                report.problems.extend(result.problems)
                continue
            if seen is not None:  # a dry run stores nothing: repeats are found here
                if record_id(result[0]) in seen:
                    _keep(seen, result, report)
                    continue
                seen[record_id(result[0])] = result
            _keep(chunk, result, report)
            if len(chunk) >= batch_size:
                if pending is not None:
                    await pending
                    done = _advanced(progress, done, rows - len(chunk), total)
                    rows = len(chunk)
                pending = asyncio.ensure_future(
                    _apply_chunk(store, "interaction", list(chunk.values()), state, report,
                                 rename=name_by_column)
                )  # fmt: skip
                chunk = {}
    except OSError as error:
        report.problems.append(
            Problem(str(path), "(file)", str(path), f"cannot be read: {error.strerror}")
        )
    finally:
        if pending is not None:
            await pending
    if chunk:
        await _apply_chunk(
            store, "interaction", list(chunk.values()), state, report, rename=name_by_column
        )
    return _advanced(progress, done, rows, total)


def _advanced(progress: ProgressCallback | None, done: int, by: int, total: int) -> int:
    done += by
    if progress is not None:
        progress(done, max(done, total))
    return done


def _keep(bucket: dict[str, Labeled], result: Labeled, report: ImportReport) -> None:
    """Keep a record by id unless the bucket holds it already: a repeat counts unchanged, a
    record giving an earlier id other values is rejected (which one is meant cannot be told)."""
    record, label = result
    kind = _KIND_OF[type(record)]
    rid = record_id(record)
    earlier = bucket.get(rid)
    if earlier is None:
        bucket[rid] = result
    elif earlier[0] == record:
        report.kinds[kind].unchanged += 1
    else:
        report.kinds[kind].rejected += 1
        report.problems.append(
            Problem(
                label,
                _ID_FIELD.get(kind, "id"),
                rid,
                f"{earlier[1]} has this {kind.replace('_', ' ')} with other values",
            )
        )


def _import_batches(kind: str, records: list[Labeled], size: int) -> Iterator[list[Labeled]]:
    """Cut ``records`` into batches of about ``size``; a meeting's attendance stays whole.

    Attendees recorded together meet as one group (their pairwise contacts share its size), so
    an import gives the same interactions however large the file or small the batches.
    """
    if kind != "attendance":
        for start in range(0, len(records), size):
            yield records[start : start + size]
        return
    by_meeting: dict[str, list[Labeled]] = {}
    for labeled in records:
        attendance = labeled[0]
        assert isinstance(attendance, Attendance)
        by_meeting.setdefault(attendance.meeting_id, []).append(labeled)
    chunk: list[Labeled] = []
    for meeting_id in sorted(by_meeting):
        if chunk and len(chunk) + len(by_meeting[meeting_id]) > size:
            yield chunk
            chunk = []
        chunk.extend(by_meeting[meeting_id])
    if chunk:
        yield chunk


@dataclass(frozen=True, slots=True)
class _Targets:
    """What the options name, as stored: the member and the meeting, when given."""

    member: Person | None = None
    meeting: Meeting | None = None
    group: Group | None = None


async def _targets(
    store: GraphStore, *, member: str | None, meeting: str | None, group: str | None = None
) -> _Targets:
    """Look up the member, meeting and group the options name; raise if one is not stored."""
    found_member: Person | None = None
    found_meeting: Meeting | None = None
    if member is not None:
        found_member = (await store.get(Person, [member])).get(member)
        if found_member is None:
            raise UnknownTarget(f"--member {member!r}: no person has this id")
    if meeting is not None:
        found_meeting = (await store.get(Meeting, [meeting])).get(meeting)
        if found_meeting is None:
            raise UnknownTarget(f"--meeting {meeting!r}: no meeting has this id")
    found_group: Group | None = None
    if group is not None:
        found_group = (await store.get(Group, [group])).get(group)
        if found_group is None:
            raise UnknownTarget(f"--group {group!r}: no group has this id")
    return _Targets(member=found_member, meeting=found_meeting, group=found_group)


async def _parsed(
    store: GraphStore,
    path: Path,
    file_format: FileFormat,
    targets: _Targets,
    *,
    report: ImportReport,
    match_names: bool,
) -> Iterable[ParseResult]:
    """Return what ``path`` holds, line by line: streamed for tiegraph's own formats, resolved
    against the store for exports of other tools (adding to ``report`` how each row's person
    was found). Raises ``OSError`` (perhaps only when the result is iterated) if the file
    cannot be read."""
    match file_format:
        case "jsonl":
            return read_jsonl(path)
        case "csv":
            return read_interactions_csv(path)
        case "linkedin":
            assert targets.member is not None  # check_options and _targets saw to it
            resolved = await connection_records(
                store,
                read_linkedin_connections(path),
                member_id=targets.member.id,
                match_names=match_names,
            )
        case "meeting-report":
            assert targets.meeting is not None
            resolved = await attendance_records(
                store,
                read_meeting_report(path),
                meeting=targets.meeting,
                match_names=match_names,
            )
        case "ics":
            assert targets.group is not None
            return await meeting_records(store, read_calendar(path), group=targets.group)
    report.identities.extend(resolved.identities)
    return resolved.results


async def _read(
    store: GraphStore,
    files: Iterable[tuple[Path, FileFormat]],
    report: ImportReport,
    targets: _Targets,
    *,
    match_names: bool,
) -> dict[str, dict[str, Labeled]]:
    """Parse every file, keeping valid records by kind and id; count and list rejected lines.

    A record that repeats an earlier one exactly is counted unchanged; one that gives an
    earlier id other values is rejected (which of two versions is meant cannot be guessed).
    """
    buckets: dict[str, dict[str, Labeled]] = {kind: {} for kind in ENTITY_KINDS}
    for path, file_format in files:
        try:
            results = await _parsed(
                store, path, file_format, targets, report=report, match_names=match_names
            )
            for result in results:
                if isinstance(result, Rejected):
                    report.kinds[result.kind or UNKNOWN_KIND].rejected += 1
                    report.problems.extend(result.problems)
                    continue
                _keep(buckets[_KIND_OF[type(result[0])]], result, report)
        except OSError as error:
            report.problems.append(
                Problem(str(path), "(file)", str(path), f"cannot be read: {error.strerror}")
            )
    return buckets


def _batch_of(records: Iterable[Labeled]) -> WriteBatch:
    batch = WriteBatch()
    for record, label in records:
        batch.add(record, label)
    return batch


async def _stored(store: ImportTarget, kind: str, ids: Collection[str]) -> dict[str, Record]:
    """Return the stored records of ``kind`` among ``ids``, asking in modest chunks."""
    wanted = sorted(ids)
    found: dict[str, Record] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        found.update(await store.get(ENTITY_KINDS[kind], wanted[start : start + _LOOKUP_CHUNK]))
    return found


async def _add_missing_people(
    store: GraphStore, buckets: dict[str, dict[str, Labeled]], state: _RunState
) -> None:
    """Add a person named after their id for every person id named but held nowhere."""
    named = {
        ref
        for kind, bucket in buckets.items()
        if kind != "person"
        for record, _ in bucket.values()
        for _, target, ref in references_of(record)
        if target == "person"
    }
    people = buckets["person"]
    unknown = named - people.keys()
    stored = await _stored(store, "person", unknown)
    state.known["person"].update(stored)
    for pid in sorted(unknown - stored.keys()):
        people[pid] = _missing_person(pid)


def _missing_person(pid: str) -> Labeled:
    return Person(id=pid, name=pid), f"person {pid!r} (--create-missing-people)"


_REFERENCED_KINDS = frozenset({"organization", "person", "group", "meeting"})
"""Kinds other records name: the ids of these that exist are remembered during a run."""


async def _apply_chunk(
    store: ImportTarget,
    kind: str,
    chunk: Sequence[Labeled],
    state: _RunState,
    report: ImportReport,
    *,
    rename: Rename | None = None,
) -> None:
    """Apply (or, in a dry run, plan) one batch of one kind, rejecting what cannot go in.

    References are checked here, once per batch, from what each record says it names; the
    records themselves are checked by the store (or the dry run's plan) as every write is.
    When it refuses some lines, naming them, those lines are rejected and the rest applied
    again; a refusal that names no line rejects the batch whole.
    """
    records = await _without_dangling_references(store, chunk, state, report, rename)
    while records:
        batch = _batch_of(records)
        try:
            if report.dry_run:
                summary = await _plan(store, batch, state)
            else:
                summary = await store.apply(batch)
        except (InvalidInput, Conflict) as error:
            records = _without_refused(records, error, report, rename)
            continue
        report._add(summary)
        for record, _ in records:
            written = _KIND_OF[type(record)]
            if written in _REFERENCED_KINDS:
                state.known[written].add(record_id(record))
        if report.dry_run:
            for record in batch.meetings:
                state.planned_meetings[record.id] = record
            for attendance in batch.attendance:
                state.planned_attendees[attendance.meeting_id].add(attendance.person_id)
        return


def _without_refused(
    records: list[Labeled],
    error: InvalidInput | Conflict,
    report: ImportReport,
    rename: Rename | None,
) -> list[Labeled]:
    """Reject the records ``error`` names and return the others (none if it names none)."""
    by_label = {label: record for record, label in records}
    named = {problem.record for problem in error.problems if problem.record in by_label}
    for problem in error.problems:
        record = by_label.get(problem.record)
        shown = problem if rename is None or record is None else rename(problem, record)
        report.problems.append(shown)
    refused = [(r, label) for r, label in records if not named or label in named]
    for record, _ in refused:
        report.kinds[_KIND_OF[type(record)]].rejected += 1
    return [(r, label) for r, label in records if named and label not in named]


async def _without_dangling_references(
    store: ImportTarget,
    chunk: Sequence[Labeled],
    state: _RunState,
    report: ImportReport,
    rename: Rename | None,
) -> list[Labeled]:
    """Return the records whose references all exist, after people this run creates (with
    ``--create-missing-people``); reject the others one by one.

    An id that is not an id at all is left to the store, whose check names what is wrong.
    """
    missing: dict[str, set[str]] = {}
    for target, ids in ids_named_by(record for record, _ in chunk).items():
        unknown = {ref for ref in ids - state.known[target] if ID_PATTERN.fullmatch(ref)}
        if unknown:
            found = (await _stored(store, target, unknown)).keys()
            state.known[target].update(found)
            if unknown - found:
                missing[target] = set(unknown - found)
    kept: list[Labeled] = []
    if state.create_missing_people and "person" in missing:
        kept += [_missing_person(pid) for pid in sorted(missing.pop("person"))]
        state.known["person"].update(record_id(person) for person, _ in kept)
    if not missing:
        return kept + list(chunk)
    for record, label in chunk:
        problems = [
            Problem(label, attribute, ref, f"no {target.replace('_', ' ')} has this id")
            for attribute, target, ref in references_of(record)
            if ref in missing.get(target, ())
        ]
        if problems:
            report.kinds[_KIND_OF[type(record)]].rejected += 1
            report.problems.extend(p if rename is None else rename(p, record) for p in problems)
        else:
            kept.append((record, label))
    return kept


async def _plan(store: ImportTarget, batch: WriteBatch, state: _RunState) -> WriteSummary:
    """Plan ``batch`` as :meth:`GraphStore.apply` would, from the store and this run; write nothing.

    Raises what ``apply`` raises (``InvalidInput``, ``Conflict``) for the same batch.
    """
    validate_batch(batch)
    request = snapshot_request(batch)
    snapshot = Snapshot()
    for kind, ids in request.records.items():
        snapshot.records[kind] = await _stored(store, kind, ids)
    meetings = snapshot.records.setdefault("meeting", {})
    for meeting_id in request.records.get("meeting", ()):
        if meeting_id in state.planned_meetings:
            meetings[meeting_id] = state.planned_meetings[meeting_id]
    for target, ids in request.references.items():
        snapshot.existing[target] = set(ids) & state.known[target]
    if request.attendees_of:
        attendees: dict[str, set[str]] = defaultdict(set)
        for attendance in await _attendance(store, request.attendees_of):
            attendees[attendance.meeting_id].add(attendance.person_id)
        for meeting_id in request.attendees_of:
            attendees[meeting_id] |= state.planned_attendees.get(meeting_id, set())
        snapshot.attendees = dict(attendees)
    return plan_batch(batch, snapshot, store.model).summary


async def _attendance(store: ImportTarget, meeting_ids: Collection[str]) -> list[Attendance]:
    wanted = sorted(meeting_ids)
    found: list[Attendance] = []
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        found += await store.attendance(meeting_ids=wanted[start : start + _LOOKUP_CHUNK])
    return found

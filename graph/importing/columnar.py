"""Interactions CSV read into columns, for a first load in bulk into a store that holds none.

The transactional import (:mod:`graph.importing.runner`) turns every row into an
:class:`~graph.domain.model.Interaction`, checks its references per batch and lets the store
validate and plan each batch: some 80 microseconds of CPU a row. A first load knows more: the
store holds no interactions, so no key can be stored already, and the whole file is one
decision. This module reads the files into parallel lists (one entry per row) with a quick
check per row; only a row that fails the quick check goes the exact way of the transactional
import (:func:`~graph.importing.csv_interactions.parse_interactions_csv`'s reading, then the
store's :func:`~graph.domain.batch.record_problems`), so every rejected line is named with the
same label, column, value and message. :func:`plan_first_load` then applies the import's rules
to the whole load at once:

* a key repeated with the same values counts unchanged, with other values is rejected naming
  the earlier line -- the transactional import's rule within one batch; across its batches
  the store refuses the later line instead ("a different interaction is already stored under
  this id");
* a row naming a person neither the store nor ``--create-missing-people`` provides is
  rejected (``no person has this id``), before the store's own checks, as in a batch;
* with ``--create-missing-people``, everyone named (by a row kept, even one the store's checks
  then refuse, as in a batch) and not stored becomes ``Person(id=x, name=x)``.

A file without a quote character is read in parts, one per process (each part starts after
a line break; its first line number is counted), so reading uses both cores.

What a store writes from the plan (:class:`FirstLoad`) is the adapter's affair
(:mod:`graph.adapters.embedded.bulk`); the plan knows nothing of SQLite or numpy.
"""

from __future__ import annotations

import concurrent.futures
import csv
import dataclasses
import hashlib
import multiprocessing
import os
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from pathlib import Path

import orjson

from graph.domain.batch import ID_PATTERN, record_problems
from graph.domain.errors import Problem
from graph.domain.model import Interaction, InteractionKind
from graph.importing import Rejected
from graph.importing.csv_interactions import (
    KEY_PREFIX,
    CsvRows,
    _parse_row,
    name_by_column,
)
from graph.importing.runner import UNKNOWN_KIND, ImportReport

__all__ = [
    "FirstLoad",
    "InteractionColumns",
    "plan_first_load",
    "read_interaction_columns",
    "read_part",
    "split_points",
]

_ID_MATCH = ID_PATTERN.fullmatch
_KINDS = frozenset(k.value for k in InteractionKind)
_KIND_TEXT = {k.value: k.value for k in InteractionKind}
"""Each kind's one shared string."""
_LATEST_SECOND = 7_258_118_399
"""2200-12-31T23:59:59Z: later whole seconds fail the store's range of years (slow path)."""
_MAX_SECONDS = 10**9
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = (
    "line", "key", "at_us", "kind", "person_a", "person_b", "initiator", "duration_s", "channel",
)  # fmt: skip
_SPLIT_AT_LEAST = 4 << 20
"""Bytes a file needs before it is read in parts: below, a second process costs more than it
saves."""


@dataclass(slots=True)
class InteractionColumns:
    """Interactions of one CSV source as parallel lists, one entry per row kept by the reader,
    in file order; with the rows the reader (or the store's checks) refused."""

    source: str
    line: list[int] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    at_us: list[int] = field(default_factory=list)
    """Microseconds since the Unix epoch (UTC)."""
    kind: list[str] = field(default_factory=list)
    person_a: list[str] = field(default_factory=list)
    person_b: list[str] = field(default_factory=list)
    initiator: list[str | None] = field(default_factory=list)
    duration_s: list[int | None] = field(default_factory=list)
    channel: list[str | None] = field(default_factory=list)
    invalid: dict[int, list[Problem]] = field(default_factory=dict)
    """By row index: what the store's checks find wrong with a row the CSV reader took (named
    by column); such a row is never stored."""
    rejected: list[tuple[int, Rejected]] = field(default_factory=list)
    """Rows the reader refused, with their first line, in file order."""

    def __len__(self) -> int:
        return len(self.key)

    def label(self, index: int) -> str:
        """The label the transactional import gives row ``index``."""
        return f"{self.source} line {self.line[index]}"

    def values(self, index: int) -> tuple[object, ...]:
        """Everything that makes row ``index`` the interaction it is (to compare repeats)."""
        return (
            self.key[index],
            self.at_us[index],
            self.kind[index],
            self.person_a[index],
            self.person_b[index],
            self.initiator[index],
            self.duration_s[index],
            self.channel[index],
        )

    def extend(self, other: InteractionColumns) -> None:
        """Append the rows of ``other``, a later part of the same source."""
        offset = len(self)
        for name in _COLUMNS:
            getattr(self, name).extend(getattr(other, name))
        self.invalid.update({offset + i: problems for i, problems in other.invalid.items()})
        self.rejected.extend(other.rejected)


class _InstantTexts:
    """:func:`~graph.domain.codec.format_instant` of whole Unix seconds, from two caches (the
    day, the second of the day): a contacts file names few days and few seconds of a day."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._times: dict[int, str] = {}

    def of(self, seconds: int) -> str:
        day, second = divmod(seconds, 86_400)
        date = self._days.get(day)
        if date is None:
            date = self._days[day] = (_EPOCH + timedelta(days=day)).date().isoformat()
        time = self._times.get(second)
        if time is None:
            hours, rest = divmod(second, 3600)
            minutes, seconds = divmod(rest, 60)
            time = self._times[second] = f"T{hours:02d}:{minutes:02d}:{seconds:02d}.000000+00:00"
        return date + time


def read_part(
    path: Path,
    *,
    source: str,
    start: int = 0,
    end: int | None = None,
    header: list[str] | None = None,
    first_line: int = 1,
) -> InteractionColumns:
    """Read the rows of ``path`` between the byte offsets ``start`` and ``end`` (a whole file
    by default; a later part starts after a line break, with the file's ``header`` and the
    number of its first line).

    Raises ``OSError`` if the file cannot be read.
    """
    with path.open("rb") as raw:
        raw.seek(start)
        data = raw.read() if end is None else raw.read(end - start)
    text = data.decode("utf-8", "surrogateescape")
    del data
    rows = CsvRows(
        text.splitlines(keepends=True) if _has_lone_cr(text) else _lines(text),
        source=source,
        header=header,
        first_line=first_line,
    )
    return _columns_of(rows, source)


def _has_lone_cr(text: str) -> bool:
    """Whether ``text`` has a line break other than ``\\n`` and ``\\r\\n`` (as a file opened
    with ``newline=""`` splits lines, where ``str.split("\\n")`` would not)."""
    return "\r" in text and text.count("\r") != text.count("\r\n")


def _lines(text: str) -> list[str]:
    """``text``'s lines with their endings, as a file opened with ``newline=""`` yields them
    (when no line ends in a lone ``\\r``)."""
    lines = text.split("\n")
    last = lines.pop()
    found = [line + "\n" for line in lines]
    if last:
        found.append(last)
    return found


def _columns_of(rows: CsvRows, source: str) -> InteractionColumns:
    out = InteractionColumns(source)
    lines, keys, ats, kinds = out.line, out.key, out.at_us, out.kind
    firsts, seconds, initiators, durations, channels = (
        out.person_a, out.person_b, out.initiator, out.duration_s, out.channel,
    )  # fmt: skip
    rejected = out.rejected
    instant = _InstantTexts().of
    sha1 = hashlib.sha1
    dumps = orjson.dumps
    matches = _ID_MATCH
    kinds_known = _KINDS
    kind_of = _KIND_TEXT
    intern = sys.intern
    for item in rows:
        if type(item) is Rejected:
            rejected.append((_line_of(item), item))
            continue
        assert type(item) is tuple
        line, row = item
        positions = rows.positions
        assert positions is not None
        at = row[positions.at]
        a = row[positions.person_a]
        b = row[positions.person_b]
        kind = row[positions.kind]
        duration = "" if positions.duration_s is None else row[positions.duration_s]
        initiator = "" if positions.initiator is None else row[positions.initiator]
        channel = "" if positions.channel is None else row[positions.channel]
        key = "" if positions.key is None else row[positions.key]
        # The quick check: the common shape of an export, every cell as the slow path would
        # take it (ASCII, no white space, whole seconds in the store's range of years).
        if (
            at.isdigit()
            and at.isascii()
            and len(at) <= 10
            and kind in kinds_known
            and a != b
            and a.isascii()
            and b.isascii()
            and matches(a) is not None
            and matches(b) is not None
            and (not initiator or initiator in (a, b))
            and not channel
            and (not duration or (duration.isdigit() and duration.isascii() and len(duration) < 11))
            and (not key or (key.isascii() and matches(key) is not None))
        ):
            seconds_at = int(at)
            seconds_long = int(duration) if duration else None
            if seconds_at <= _LATEST_SECOND and (
                seconds_long is None or seconds_long <= _MAX_SECONDS
            ):
                started_by = initiator or None
                if not key:
                    content = [instant(seconds_at), a, b, kind, None, started_by, seconds_long]
                    key = KEY_PREFIX + sha1(dumps(content), usedforsecurity=False).hexdigest()
                lines.append(line)
                keys.append(key)
                ats.append(seconds_at * 1_000_000)
                kinds.append(kind_of[kind])
                # The same few ids recur on many rows: one shared string each.
                firsts.append(intern(a))
                seconds.append(intern(b))
                initiators.append(started_by and intern(started_by))
                durations.append(seconds_long)
                channels.append(None)
                continue
        # The exact way of the transactional import, for the rest.
        assert rows.columns is not None
        label = f"{source} line {line}"
        result = _parse_row(row, positions, rows.columns, label)
        if isinstance(result, Rejected):
            rejected.append((line, result))
            continue
        record = result[0]
        assert isinstance(record, Interaction)
        problems = [name_by_column(p, record) for p in record_problems(record, label)]
        if problems:
            out.invalid[len(keys)] = problems
        delta = record.at - _EPOCH
        lines.append(line)
        keys.append(record.key)
        ats.append((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)
        kinds.append(record.kind.value)
        firsts.append(record.participant_ids[0])
        seconds.append(record.participant_ids[1])
        initiators.append(record.initiator_id)
        durations.append(record.duration_s)
        channels.append(record.channel)
    return out


def _line_of(rejected: Rejected) -> int:
    return int(rejected.label.rsplit(" ", 1)[1])


def split_points(path: Path, parts: int) -> list[tuple[int, int | None, int]] | None:
    """Where to cut ``path`` into ``parts`` to read in parallel: ``(start, end, first line)``
    per part, the first part from the file's start (with its header); ``None`` when the file
    must be read whole (a quote character may hold a line break inside a cell, and a line
    ending in a lone carriage return is hard to count).

    Each later part starts right after a ``\\n``.
    """
    size = path.stat().st_size
    if parts < 2 or size < _SPLIT_AT_LEAST:
        return None
    data = path.read_bytes()
    if b'"' in data or data.count(b"\r") != data.count(b"\r\n"):
        return None
    cuts = [0]
    for n in range(1, parts):
        cut = data.find(b"\n", size * n // parts)
        if cut < 0 or cut + 1 >= size or cut + 1 <= cuts[-1]:
            break
        cuts.append(cut + 1)
    if len(cuts) < 2:
        return None
    found: list[tuple[int, int | None, int]] = []
    line = 1
    for n, cut in enumerate(cuts):
        end = cuts[n + 1] if n + 1 < len(cuts) else None
        found.append((cut, end, line))
        if end is not None:
            line += data.count(b"\n", cut, end)
    return found


def _header_of(path: Path) -> list[str]:
    """The columns of the file's first line, as :class:`CsvRows` reads its header."""
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as lines:
        first = lines.readline().removeprefix("\ufeff")
    return [cell.strip() for cell in next(csv.reader([first]), [])]


def _without(part: InteractionColumns, left_out: set[int]) -> InteractionColumns:
    """``part``'s rows but those at ``left_out`` (``part`` itself when there are none), without
    what the reader refused (already reported)."""
    if not left_out:
        return dataclasses.replace(part, rejected=[], invalid={})
    kept = [i for i in range(len(part)) if i not in left_out]
    out = InteractionColumns(part.source)
    for name in _COLUMNS:
        values = getattr(part, name)
        getattr(out, name).extend([values[i] for i in kept])
    return out


def read_interaction_columns(
    path: Path, *, source: str | None = None, parts: int = 0
) -> InteractionColumns:
    """Read an interactions CSV file into columns, in ``parts`` processes when it can be split
    (``0``: as many as there are cores, at most 2 -- the second process pays for itself only on
    a large file). Raises ``OSError`` if the file cannot be read."""
    name = str(path) if source is None else source
    wanted = parts or min(2, os.cpu_count() or 1)
    cuts = split_points(path, wanted)
    if cuts is None:
        return read_part(path, source=name)
    first, *later = cuts
    header = _header_of(path)
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(len(later), mp_context=context) as pool:
        futures = [
            pool.submit(
                read_part, path, source=name, start=s, end=e, header=header, first_line=line
            )
            for s, e, line in later
        ]
        columns = read_part(path, source=name, end=first[1])
        for future in futures:
            columns.extend(future.result())
    return columns


def _kept(columns: Sequence[InteractionColumns], dropped: list[set[int]]) -> list[tuple[int, int]]:
    """``(file, row)`` of every row not ``dropped``, in order."""
    return [
        (number, index)
        for number, part in enumerate(columns)
        for index in range(len(part))
        if index not in dropped[number]
    ]


@dataclass(slots=True)
class FirstLoad:
    """What a first load writes: the people to create (``Person(id=x, name=x)``) and the
    interactions to store, in the order of their row numbers; and the import's report.

    ``interactions`` may share its lists with the columns it was planned from (one file, every
    row kept): neither is to be changed afterwards."""

    report: ImportReport
    people: list[str]
    interactions: InteractionColumns


def plan_first_load(
    columns: Sequence[InteractionColumns],
    *,
    stored_people: Collection[str],
    create_missing_people: bool,
    failed: Sequence[Problem] = (),
) -> FirstLoad:
    """Decide what a first load of the read ``columns`` (one per file, in order) writes into a
    store that holds no interactions and the people ``stored_people``; report it as the
    transactional import would (see the module docstring). ``failed`` are problems of files
    that could not be read at all."""
    report = ImportReport(dry_run=False)
    counts = report.kinds["interaction"]
    phase_one: list[tuple[int, int, list[Problem]]] = []
    """(file, line, problems) of lines the reader or a repeat rejected, to list in file order."""
    first_of: dict[str, tuple[int, int]] = {}
    dropped: list[set[int]] = [set() for _ in columns]
    """By file, the rows not stored (repeats, then rows refused)."""
    for number, part in enumerate(columns):
        for line, rejection in part.rejected:
            report.kinds[rejection.kind or UNKNOWN_KIND].rejected += 1
            phase_one.append((number, line, list(rejection.problems)))
        keys = part.key
        if not first_of and len(set(keys)) == len(keys):  # no key repeats: every row is kept
            if number + 1 < len(columns):  # where each key is first, for the later files
                first_of = dict(zip(keys, zip(repeat(number), range(len(keys))), strict=True))
            continue
        for index in range(len(keys)):
            earlier = first_of.setdefault(keys[index], (number, index))
            if earlier == (number, index):
                continue
            dropped[number].add(index)
            before = columns[earlier[0]]
            if before.values(earlier[1]) == part.values(index):
                counts.unchanged += 1
                continue
            counts.rejected += 1
            problem = Problem(
                part.label(index),
                "key",
                keys[index],
                f"{before.label(earlier[1])} has this interaction with other values",
            )
            phase_one.append((number, part.line[index], [problem]))
    phase_one.sort(key=lambda found: (found[0], found[1]))
    report.problems.extend(problem for *_, problems in phase_one for problem in problems)
    report.problems.extend(failed)

    stored = stored_people if isinstance(stored_people, (set, frozenset)) else set(stored_people)
    named: set[str] = set()
    for part in columns:
        named.update(part.person_a)
        named.update(part.person_b)
    unknown = {pid for pid in named - stored if _ID_MATCH(pid)}
    # Everyone a kept row names: a row left out as a repeat names nobody new.
    if unknown and any(dropped):
        named_by_kept = set()
        for number, index in _kept(columns, dropped):
            part = columns[number]
            named_by_kept.add(part.person_a[index])
            named_by_kept.add(part.person_b[index])
        unknown &= named_by_kept
    people: list[str] = []
    missing: set[str] = set()
    if create_missing_people:
        people = sorted(unknown)
        report.kinds["person"].created += len(people)
    else:
        missing = unknown

    refused: list[Problem] = []
    invalid: list[Problem] = []
    # Only rows naming someone missing, or that the store's checks refuse, are looked at.
    suspects = (
        _kept(columns, dropped)
        if missing
        else [
            (number, index)
            for number, part in enumerate(columns)
            for index in sorted(part.invalid)
            if index not in dropped[number]
        ]
    )
    for number, index in suspects:
        part = columns[number]
        if missing:
            a, b = part.person_a[index], part.person_b[index]
            if a in missing or b in missing:
                counts.rejected += 1
                dropped[number].add(index)
                refused += [
                    Problem(part.label(index), column, ref, "no person has this id")
                    for column, ref in (("person_a", a), ("person_b", b))
                    if ref in missing
                ]
                continue
        problems = part.invalid.get(index)
        if problems is not None:
            counts.rejected += 1
            dropped[number].add(index)
            invalid += problems
    report.problems.extend(refused)
    report.problems.extend(invalid)
    if len(columns) == 1:
        # One file: the plan holds its lists themselves when it keeps every row, instead of a
        # copy of each (80 MB a column at ten million rows, while the read columns live on).
        stored_rows = _without(columns[0], dropped[0])
    else:
        stored_rows = InteractionColumns(columns[0].source if columns else "")
        for part, left_out in zip(columns, dropped, strict=True):
            stored_rows.extend(_without(part, left_out))
    counts.created += len(stored_rows)
    return FirstLoad(report=report, people=people, interactions=stored_rows)

"""Interactions from CSV: one contact between two people per row.

The header contract: the columns ``at,person_a,person_b,kind`` are required, the columns
``duration_s,initiator,channel,key`` optional, in any order; any other column, a repeated
column or a missing required one rejects the file. Each row becomes an
:class:`~graph.domain.model.Interaction` with ``participant_ids=(person_a, person_b)``.

``at`` is ISO-8601 with an offset or ``Z``, or Unix seconds (whole or fractional); ``kind`` is an
:class:`~graph.domain.model.InteractionKind` value; ``initiator``, when given, is ``person_a``'s
or ``person_b``'s id. An empty cell means "not given". When ``key`` is empty, the row gets a
key derived from its content (:func:`row_key`), so importing the same file again records
nothing twice. See ``docs/import-formats.md``.

The reader checks what only the file can say (a cell is missing, not a time, not a kind); what
every interaction must satisfy (ids, text, the range of times) is checked once, by the store,
as for every write -- the importer names the line and the column of what it refuses.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from graph.domain.codec import Record, format_instant
from graph.domain.errors import Problem
from graph.domain.model import Interaction, InteractionKind
from graph.importing import ParseResult, Rejected, instant_from, line_excerpt

__all__ = [
    "COLUMN_OF_FIELD",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "CsvRows",
    "name_by_column",
    "parse_interactions_csv",
    "read_interactions_csv",
    "row_key",
]

REQUIRED_COLUMNS = ("at", "person_a", "person_b", "kind")
OPTIONAL_COLUMNS = ("duration_s", "initiator", "channel", "key")
KEY_PREFIX = "csv:"
"""Derived keys start with this; ``|`` is not allowed in keys, it marks keys tiegraph derives."""

_HEADER = "(header)"
_ROW = "(row)"
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")
_KINDS = ", ".join(k.value for k in InteractionKind)
_KIND_OF_TEXT = {k.value: k for k in InteractionKind}
COLUMN_OF_FIELD = {
    "participant_ids[0]": "person_a",
    "participant_ids[1]": "person_b",
    "participant_ids": "person_b",
    "initiator_id": "initiator",
}
"""Domain validation speaks of the record's fields; a CSV user knows the columns."""
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def row_key(
    *,
    at: datetime,
    person_a: str,
    person_b: str,
    kind: InteractionKind,
    channel: str | None,
    initiator: str | None,
    duration_s: int | None,
) -> str:
    """Derive the key of a row that has none: the same content always gives the same key.

    The key is ``"csv:"`` and the SHA-1 (hex) of the compact UTF-8 JSON array
    ``[at, person_a, person_b, kind, channel, initiator, duration_s]``, where ``at`` is written
    as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (so every spelling of one instant gives one key) and
    empty cells are ``null``.

    >>> from datetime import UTC
    >>> row_key(at=datetime(2024, 5, 1, 12, tzinfo=UTC), person_a="ann", person_b="bo",
    ...         kind=InteractionKind.CALL, channel=None, initiator=None, duration_s=None)
    'csv:9e406e3fbad16e72f441e03796239543cacd48f7'
    """
    content = [format_instant(at), person_a, person_b, kind.value, channel, initiator, duration_s]
    digest = hashlib.sha1(orjson.dumps(content), usedforsecurity=False).hexdigest()
    return KEY_PREFIX + digest


def _header_problems(columns: list[str], label: str) -> list[Problem]:
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    problems: list[Problem] = []
    unknown = [c for c in columns if c not in known]
    if unknown:
        problems.append(
            Problem(
                label,
                _HEADER,
                ",".join(unknown),
                f"unknown column(s); the columns are {','.join(known)}",
            )
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        problems.append(Problem(label, _HEADER, ",".join(repeated), "repeated column(s)"))
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(
            Problem(
                label,
                _HEADER,
                ",".join(missing),
                f"missing required column(s); required are {','.join(REQUIRED_COLUMNS)}",
            )
        )
    return problems


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where each column is in a row (``None`` for an optional column the file lacks)."""

    at: int
    person_a: int
    person_b: int
    kind: int
    duration_s: int | None
    initiator: int | None
    channel: int | None
    key: int | None

    @classmethod
    def of(cls, header: list[str]) -> _Columns:
        where = {column: index for index, column in enumerate(header)}
        return cls(
            at=where["at"],
            person_a=where["person_a"],
            person_b=where["person_b"],
            kind=where["kind"],
            duration_s=where.get("duration_s"),
            initiator=where.get("initiator"),
            channel=where.get("channel"),
            key=where.get("key"),
        )


def _parse_row(row: list[str], columns: _Columns, header: list[str], label: str) -> ParseResult:
    """Read one row by position; check what only the CSV can say.

    What every record must satisfy (ids, text, time range) is not checked here: the store
    checks each record once, as it checks every write, and the importer names the line.
    """
    if not "".join(row).isascii():
        problems = [
            Problem(label, column, _shown(cell), "is not valid UTF-8")
            for column, cell in zip(header, row, strict=True)
            if _UNDECODABLE.search(cell)
        ]
        if problems:
            return Rejected(label, "interaction", tuple(problems))
    problems = []
    at_text = row[columns.at].strip()
    person_a = row[columns.person_a].strip()
    person_b = row[columns.person_b].strip()
    kind_text = row[columns.kind].strip()
    at: datetime | None = None
    if not at_text:
        problems.append(Problem(label, "at", row[columns.at], "is required"))
    else:
        try:
            at = instant_from(at_text)
        except ValueError as error:
            problems.append(Problem(label, "at", at_text, str(error)))
    if not person_a:
        problems.append(Problem(label, "person_a", row[columns.person_a], "is required"))
    if not person_b:
        problems.append(Problem(label, "person_b", row[columns.person_b], "is required"))
    elif person_a == person_b:
        problems.append(Problem(label, "person_b", person_b, "must differ from person_a"))
    kind = _KIND_OF_TEXT.get(kind_text)
    if not kind_text:
        problems.append(Problem(label, "kind", row[columns.kind], "is required"))
    elif kind is None:
        problems.append(Problem(label, "kind", kind_text, f"must be one of: {_KINDS}"))
    duration_s: int | None = None
    duration_text = "" if columns.duration_s is None else row[columns.duration_s].strip()
    if duration_text:
        if _WHOLE_NUMBER.fullmatch(duration_text):
            duration_s = int(duration_text)
        else:
            problems.append(
                Problem(label, "duration_s", duration_text, "must be a whole number of seconds")
            )
    initiator = None if columns.initiator is None else row[columns.initiator].strip() or None
    if initiator is not None and initiator not in (person_a, person_b):
        problems.append(
            Problem(label, "initiator", initiator, "must be the id in person_a or person_b")
        )
    # Channels are kept as written; ids, kinds, numbers and keys never hold white space.
    channel = None if columns.channel is None else row[columns.channel] or None
    if problems or at is None or kind is None:
        return Rejected(label, "interaction", tuple(problems))
    key = (None if columns.key is None else row[columns.key].strip()) or row_key(
        at=at,
        person_a=person_a,
        person_b=person_b,
        kind=kind,
        channel=channel,
        initiator=initiator,
        duration_s=duration_s,
    )
    # The same few ids recur on many rows; one shared string each keeps a batch small.
    person_a, person_b = sys.intern(person_a), sys.intern(person_b)
    record = Interaction(
        key=key,
        at=at,
        kind=kind,
        participant_ids=(person_a, person_b),
        initiator_id=None if initiator is None else sys.intern(initiator),
        duration_s=duration_s,
        channel=channel,
    )
    return record, label


def _shown(cell: str) -> str:
    return cell.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def parse_interactions_csv(lines: Iterable[str], *, source: str) -> Iterator[ParseResult]:
    """Yield an interaction and its label per CSV row, or the row's rejection.

    ``lines`` are the file's lines with their line endings (a quoted cell may span lines);
    labels read ``"<source> line N"`` with N the row's first line. A bad header rejects itself
    and, without problems of their own, every row after it. Blank rows are skipped.

    >>> rows = ["at,person_a,person_b,kind\\n", "1714564800,ann,bo,call\\n"]
    >>> [(r.participant_ids, label) for r, label in parse_interactions_csv(rows, source="c.csv")]
    [(('ann', 'bo'), 'c.csv line 2')]
    """
    rows = CsvRows(lines, source=source)
    for item in rows:
        if isinstance(item, Rejected):
            yield item
            continue
        line, row = item
        assert rows.positions is not None  # a good header was read
        assert rows.columns is not None
        yield _parse_row(row, rows.positions, rows.columns, f"{source} line {line}")


class CsvRows:
    """The rows of an interactions CSV file (or of a part of one), each with its first line.

    Iterating yields ``(line, cells)`` for every row that has as many cells as the header has
    columns, and a :class:`Rejected` for the header when it is bad, for every row after a bad
    header, for a row that is not valid CSV or has another number of cells, and for a file
    without a header. Blank rows are skipped. A part of a file that does not start with the
    header is read with ``header`` given (its columns) and ``first_line``, the line it starts
    on; then ``positions`` and ``columns`` are known before the first row.
    """

    def __init__(
        self,
        lines: Iterable[str],
        *,
        source: str,
        header: list[str] | None = None,
        first_line: int = 1,
    ) -> None:
        self._lines = lines
        self._source = source
        self._first_line = first_line
        self._given_header = header is not None
        self.columns: list[str] | None = header
        """The header's columns (stripped), once read."""
        self.positions: _Columns | None = None
        """Where each column is, once a good header was read (``None`` after a bad one)."""
        self.bad_header = False
        if header is not None:
            if _header_problems(header, source):
                self.bad_header = True
            else:
                self.positions = _Columns.of(header)

    def __iter__(self) -> Iterator[Rejected | tuple[int, list[str]]]:
        last_line = [""]
        source = self._source

        def remembered() -> Iterator[str]:
            lines = self._lines if self._given_header else _without_bom(self._lines)
            for text in lines:
                last_line[0] = text
                yield text

        reader = csv.reader(remembered(), strict=True)
        offset = self._first_line
        columns = self.columns
        while True:
            start = reader.line_num + offset
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                label = f"{source} line {start}"
                problem = Problem(
                    label, _ROW, line_excerpt(last_line[0]), f"is not valid CSV: {error}"
                )
                yield Rejected(label, "interaction", (problem,))
                continue
            if columns is None:
                label = f"{source} line {start}"
                columns = self.columns = [c.strip() for c in row]
                problems = _header_problems(columns, label)
                if problems:
                    self.bad_header = True
                    yield Rejected(label, "interaction", tuple(problems))
                else:
                    self.positions = _Columns.of(columns)
                continue
            if not (row and row[0].strip()) and not any(cell.strip() for cell in row):
                continue  # a blank row (the first cell decides for nearly every other row)
            if self.bad_header:
                yield Rejected(f"{source} line {start}", "interaction", ())
                continue
            if len(row) != len(columns):
                label = f"{source} line {start}"
                problem = Problem(
                    label,
                    _ROW,
                    line_excerpt(",".join(row)),
                    f"has {len(row)} cells; the header has {len(columns)} columns",
                )
                yield Rejected(label, "interaction", (problem,))
                continue
            yield start, row
        if columns is None:
            label = f"{source} line 1"
            problem = Problem(
                label,
                _HEADER,
                "",
                f"the file is empty; it needs the header {','.join(REQUIRED_COLUMNS)}",
            )
            yield Rejected(label, "interaction", (problem,))


def name_by_column(problem: Problem, record: Record) -> Problem:
    """Name a problem of an interaction read from CSV by its column, as the file does."""
    column = "key" if problem.field == "id" else COLUMN_OF_FIELD.get(problem.field, problem.field)
    if problem.field == "participant_ids" and isinstance(record, Interaction):
        first = record.participant_ids[0]
        column = "person_a" if problem.value == first else "person_b"
    return dataclasses.replace(problem, field=column)


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    iterator = iter(lines)
    for first in iterator:
        yield first.removeprefix("\ufeff")
        break
    yield from iterator


def read_interactions_csv(path: Path, *, source: str | None = None) -> Iterator[ParseResult]:
    """Stream a CSV file of interactions through :func:`parse_interactions_csv`.

    The file is read as UTF-8 line by line; a cell that is not valid UTF-8 rejects its row only.
    ``source`` defaults to the path as given. Raises ``OSError`` if the file cannot be read.
    """
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as lines:
        yield from parse_interactions_csv(lines, source=str(path) if source is None else source)

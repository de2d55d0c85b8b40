"""Reading CSV exports of other tools: find the header row, name the columns, yield the rows.

Exports written by other tools (LinkedIn's connections, video-meeting participant reports) do
not follow a contract of ours: a few lines of notes may come before the header, headers are
spelled in different ways, and columns we do not use come and go. :func:`read_table` reads
such a file by a :class:`TableSpec`: the header is the first row (within the first
``preamble_rows`` rows) that the spec recognises; the rows before it are skipped; each header
cell is compared ignoring case and repeated spaces with the spellings the spec knows, and
columns it does not know are ignored. Every row after the header is yielded with its cells by
the spec's own column names, or rejected (not valid CSV, not valid UTF-8, a cell count other
than the header's).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from graph.domain.errors import Problem
from graph.importing import Rejected, line_excerpt

__all__ = ["HEADER_FIELD", "ROW_FIELD", "TableRow", "TableSpec", "decoded_lines", "read_table"]

HEADER_FIELD = "(header)"
ROW_FIELD = "(row)"
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def header_text(cell: str) -> str:
    """Return a header cell as it is compared: trimmed, spaces collapsed, case folded.

    >>> header_text("  Connected   On ")
    'connected on'
    """
    return " ".join(cell.split()).casefold()


@dataclass(frozen=True, slots=True)
class TableSpec:
    """How to read one kind of export.

    ``columns`` maps every recognised spelling (as :func:`header_text` gives it) to the
    column's own name; ``required`` lists own names the header must have; ``is_header`` tells
    the header row from notes before it, given the own names a row's cells spell. ``kind`` is
    the kind of record rejected rows count under, ``expected`` describes the header in errors.
    """

    kind: str
    columns: Mapping[str, str]
    required: tuple[str, ...]
    is_header: Callable[[frozenset[str]], bool]
    expected: str
    preamble_rows: int = 20


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row after the header: its label (``<file> line N``) and cells by own column name.

    ``headers`` gives each own column name as the file spells it, for messages.
    """

    label: str
    cells: Mapping[str, str]
    headers: Mapping[str, str]

    def get(self, column: str) -> str | None:
        """Return the trimmed cell of ``column``, or ``None`` if it is empty or absent."""
        value = self.cells.get(column, "").strip()
        return value or None

    def header(self, column: str) -> str:
        """Return how the file spells the header of ``column``."""
        return self.headers.get(column, column)


def _recognised(spec: TableSpec, row: list[str]) -> frozenset[str]:
    return frozenset(spec.columns[text] for text in map(header_text, row) if text in spec.columns)


def _header_problems(spec: TableSpec, row: list[str], label: str) -> list[Problem]:
    problems: list[Problem] = []
    named = [spec.columns[t] for t in map(header_text, row) if t in spec.columns]
    repeated = sorted({c for c in named if named.count(c) > 1})
    if repeated:
        spelled = [cell.strip() for cell in row if spec.columns.get(header_text(cell)) in repeated]
        problems.append(
            Problem(label, HEADER_FIELD, ",".join(spelled), "the same column appears twice")
        )
    missing = [c for c in spec.required if c not in named]
    if missing:
        problems.append(
            Problem(
                label,
                HEADER_FIELD,
                ",".join(cell.strip() for cell in row),
                f"missing required column(s) {', '.join(missing)}; expected {spec.expected}",
            )
        )
    return problems


def read_table(
    lines: Iterable[str], *, source: str, spec: TableSpec
) -> Iterator[TableRow | Rejected]:
    """Yield every row after the header of a CSV export, or the row's rejection.

    ``lines`` are the file's lines with their line endings (a quoted cell may span lines; a
    leading byte-order mark is dropped); labels read ``<source> line N`` with N the row's first
    line. Blank rows are skipped. Without a header in the first ``spec.preamble_rows`` rows the
    file is rejected at line 1 and nothing more is read; a header that repeats a column or
    lacks a required one rejects itself and (without problems of their own) every row after it.
    """
    last_line = [""]

    def remembered() -> Iterator[str]:
        first = True
        for text in lines:
            if first:
                text = text.removeprefix("\ufeff")
                first = False
            last_line[0] = text
            yield text

    reader = csv.reader(remembered(), strict=True)
    headers: dict[str, str] | None = None
    columns: list[str | None] = []
    bad_header = False
    seen = 0
    first_text: str | None = None
    while True:
        start = reader.line_num + 1
        label = f"{source} line {start}"
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            if headers is None:
                seen += 1  # notes before the header need not be valid CSV
                if seen >= spec.preamble_rows:
                    break
                continue
            problem = Problem(
                label, ROW_FIELD, line_excerpt(last_line[0]), f"is not valid CSV: {error}"
            )
            yield Rejected(label, spec.kind, (problem,))
            continue
        if not any(cell.strip() for cell in row):
            continue
        if headers is None:
            if first_text is None:
                first_text = ",".join(row)
            if spec.is_header(_recognised(spec, row)):
                problems = _header_problems(spec, row, label)
                columns = [spec.columns.get(header_text(cell)) for cell in row]
                headers = {own: cell.strip() for own, cell in zip(columns, row, strict=True) if own}
                if problems:
                    bad_header = True
                    yield Rejected(label, spec.kind, tuple(problems))
                continue
            seen += 1
            if seen >= spec.preamble_rows:
                break
            continue
        if bad_header:
            yield Rejected(label, spec.kind, ())
            continue
        while len(row) > len(columns) and not row[-1].strip():
            row.pop()  # some tools end rows with a separator the header does not have
        if len(row) != len(columns):
            problem = Problem(
                label,
                ROW_FIELD,
                line_excerpt(",".join(row)),
                f"has {len(row)} cells; the header has {len(columns)} columns",
            )
            yield Rejected(label, spec.kind, (problem,))
            continue
        cells = {own: cell for own, cell in zip(columns, row, strict=True) if own}
        undecodable = [
            Problem(
                label,
                headers[own],
                cell.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
                "is not valid UTF-8",
            )
            for own, cell in cells.items()
            if _UNDECODABLE.search(cell)
        ]
        if undecodable:
            yield Rejected(label, spec.kind, tuple(undecodable))
            continue
        yield TableRow(label, cells, headers)
    if headers is None:
        label = f"{source} line 1"
        if first_text is None:
            problem = Problem(
                label, HEADER_FIELD, "", f"the file is empty; expected {spec.expected}"
            )
        else:
            problem = Problem(
                label,
                HEADER_FIELD,
                line_excerpt(first_text),
                f"no header row in the first {spec.preamble_rows} rows; expected {spec.expected}",
            )
        yield Rejected(label, spec.kind, (problem,))


def decoded_lines(path: Path) -> Iterator[str]:
    """Yield the lines of a file as UTF-8 text; bytes that are not UTF-8 are kept as surrogates
    (so the row holding them is rejected, not the file). Raises ``OSError`` if it cannot be read.
    """
    with path.open("rb") as raw:
        for line in raw:
            yield line.decode("utf-8", "surrogateescape")

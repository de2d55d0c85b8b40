"""The columnar reader takes and refuses exactly the rows the transactional import does, read
whole or in parts, and names every refused line the same way."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.domain.batch import record_problems
from graph.domain.model import Interaction
from graph.importing import Rejected
from graph.importing.columnar import (
    InteractionColumns,
    read_part,
    split_points,
)
from graph.importing.csv_interactions import name_by_column, read_interactions_csv

# Per column: values a phone export writes, then values the import must refuse or take the
# slow way (drawn one time in five).
PEOPLE = (["ann", "bo", "cy"], ["x|y", "zoë", " dee ", "a" * 201, ""])
TIMES = (
    ["1714564800", "0", "7258118399", "1714564801"],
    ["1714564800.5", "2024-05-01T12:00:00Z", "2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00",
     "7258118400", "99999999999", "+1714564800", "soon", "", " 1714564800"],
)  # fmt: skip
KINDS = (["call", "message", "contact", "meeting"], ["bogus", "", " call"])
DURATIONS = (["", "30", "0012", "1000000000"], ["-5", "x", "1000000001", " 7 ", "99999999999"])
CHANNELS = ([""], ["zoom", "a\x01b", "zo,om", ' "q" '])
KEYS = (["", "", "k1", "k2"], ["bad key", "k|x", " k3 ", "é"])


@st.composite
def cell(draw: st.DrawFn, values: tuple[list[str], list[str]]) -> str:
    good, bad = values
    return draw(st.sampled_from(bad if draw(st.integers(0, 4)) == 0 else good))


def _cell(text: str) -> str:
    """A cell as CSV writes it: quoted when it holds a comma, a quote or a line break."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


@st.composite
def csv_lines(draw: st.DrawFn) -> list[str]:
    """A CSV file's lines: mostly plausible rows, with bad cells, blank lines, short rows and
    repeated rows (the same, or with one cell changed)."""
    lines = ["at,person_a,person_b,kind,duration_s,initiator,channel,key"]
    for _ in range(draw(st.integers(0, 40))):
        shape = draw(st.sampled_from(["row"] * 6 + ["blank", "short", "repeat", "changed"]))
        rows = lines[1:]
        if shape == "blank":
            lines.append(draw(st.sampled_from(["", ",,,,,,,", " "])))
            continue
        if shape == "short":
            lines.append("1714564800,ann,bo")
            continue
        if shape in ("repeat", "changed") and rows:
            earlier = draw(st.sampled_from(rows))
            if shape == "changed":
                earlier = earlier.replace("call", "message", 1).replace("30", "31", 1)
            lines.append(earlier)
            continue
        a = draw(cell(PEOPLE))
        b = draw(cell(PEOPLE))
        initiator = draw(st.sampled_from(["", "", a, b, "zed"]))
        seconds = st.integers(1_700_000_000, 1_720_000_000).map(str)  # ties decay between them
        cells = [
            draw(st.one_of(cell(TIMES), seconds)),
            a,
            b,
            draw(cell(KINDS)),
            draw(cell(DURATIONS)),
            initiator,
            draw(cell(CHANNELS)),
            draw(cell(KEYS)),
        ]
        lines.append(",".join(map(_cell, cells)))
    return lines


def expected_of(path: Path) -> tuple[list[tuple[object, ...]], list[Rejected]]:
    """What the transactional import reads: per row taken, its values and what the store's
    checks find wrong with it (named by column); and the rows refused as they are read."""
    taken: list[tuple[object, ...]] = []
    refused: list[Rejected] = []
    for result in read_interactions_csv(path):
        if isinstance(result, Rejected):
            refused.append(result)
            continue
        record, label = result
        assert isinstance(record, Interaction)
        problems = [name_by_column(p, record) for p in record_problems(record, label)]
        at_us = (record.at - datetime(1970, 1, 1, tzinfo=UTC)) // _MICROSECOND
        values = (
            label, record.key, at_us, record.kind.value, *record.participant_ids,
            record.initiator_id, record.duration_s, record.channel, problems,
        )  # fmt: skip
        taken.append(values)
    return taken, refused


_MICROSECOND = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)


def read_of(columns: InteractionColumns) -> tuple[list[tuple[object, ...]], list[Rejected]]:
    taken: list[tuple[object, ...]] = [
        (
            columns.label(i),
            columns.key[i],
            columns.at_us[i],
            columns.kind[i],
            columns.person_a[i],
            columns.person_b[i],
            columns.initiator[i],
            columns.duration_s[i],
            columns.channel[i],
            columns.invalid.get(i, []),
        )
        for i in range(len(columns))
    ]
    return taken, [rejected for _, rejected in columns.rejected]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=csv_lines(), ending=st.sampled_from(["\n", "\r\n"]))
def test_the_reader_takes_and_refuses_what_the_transactional_reader_does(
    tmp_path: Path, lines: list[str], ending: str
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(ending.join(lines).encode() + ending.encode())
    assert read_of(read_part(path, source=str(path))) == expected_of(path)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=csv_lines(), cut=st.integers(1, 40))
def test_a_file_read_in_two_parts_reads_as_a_whole(
    tmp_path: Path, lines: list[str], cut: int
) -> None:
    path = tmp_path / "contacts.csv"
    # Parts are cut at line breaks of files without quotes: leave quoted rows out.
    lines = [line for line in lines if '"' not in line and "\n" not in line]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = path.read_bytes()
    starts = [n + 1 for n, byte in enumerate(data) if byte == ord("\n")]
    start = starts[min(cut, len(starts)) - 1]
    header = lines[0].split(",")
    first = read_part(path, source="c.csv", end=start)
    second = read_part(
        path, source="c.csv", start=start, header=header, first_line=data.count(b"\n", 0, start) + 1
    )
    first.extend(second)
    assert read_of(first) == read_of(read_part(path, source="c.csv"))


def test_a_large_file_without_quotes_is_cut_after_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    rows = [f"{1714564800 + n},p{n % 97},q{n % 89},call,,\n" for n in range(200_000)]
    path.write_text("at,person_a,person_b,kind,duration_s,initiator\n" + "".join(rows))
    cuts = split_points(path, 2)
    assert cuts is not None
    (start, end, line), (second_start, second_end, second_line) = cuts
    data = path.read_bytes()
    assert (start, line, second_end) == (0, 1, None)
    assert end == second_start
    assert data[second_start - 1 : second_start] == b"\n"
    assert second_line == data.count(b"\n", 0, second_start) + 1


def test_a_file_with_a_quote_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    rows = [f"{1714564800 + n},p{n % 97},q{n % 89},call,,\n" for n in range(200_000)]
    path.write_text('at,person_a,person_b,kind,duration_s,"initiator"\n' + "".join(rows))
    assert split_points(path, 2) is None


def test_rows_are_repeats_only_with_the_same_values() -> None:
    columns = InteractionColumns("c.csv")
    for name, value in dataclasses.asdict(InteractionColumns("x")).items():
        if isinstance(value, list) and name != "rejected":
            getattr(columns, name).extend(["1", "1"])
    assert columns.values(0) == columns.values(1)
    columns.kind[1] = "2"
    assert columns.values(0) != columns.values(1)

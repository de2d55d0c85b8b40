"""Reading interactions from CSV: the header contract, one interaction per row, derived keys."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.domain.codec import format_instant
from graph.domain.errors import Problem
from graph.domain.model import Interaction, InteractionKind
from graph.importing import ParseResult, Rejected
from graph.importing.csv_interactions import (
    parse_interactions_csv,
    read_interactions_csv,
    row_key,
)

HEADER = "at,person_a,person_b,kind,duration_s,initiator,channel,key"
NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)


def parse(*rows: str) -> list[ParseResult]:
    lines = io.StringIO("".join(row + "\n" for row in rows), newline="")
    return list(parse_interactions_csv(lines, source="calls.csv"))


def interactions(results: list[ParseResult]) -> list[tuple[Interaction, str]]:
    assert not [r for r in results if isinstance(r, Rejected)]
    found = []
    for result in results:
        assert not isinstance(result, Rejected)
        record, label = result
        assert isinstance(record, Interaction)
        found.append((record, label))
    return found


def the_problems(results: list[ParseResult]) -> list[Problem]:
    rejected = [r for r in results if isinstance(r, Rejected)]
    assert rejected, "expected a rejected row"
    return [p for r in rejected for p in r.problems]


def test_a_row_becomes_an_interaction_between_person_a_and_person_b() -> None:
    results = parse(HEADER, "2024-05-01T12:00:00Z,ann,bo,call,900,ann,phone,crm-1")

    assert interactions(results) == [
        (
            Interaction(
                key="crm-1",
                at=NOON,
                kind=InteractionKind.CALL,
                participant_ids=("ann", "bo"),
                initiator_id="ann",
                duration_s=900,
                channel="phone",
            ),
            "calls.csv line 2",
        )
    ]


def test_the_optional_columns_may_be_left_out_and_the_columns_come_in_any_order() -> None:
    results = parse("kind,person_b,at,person_a", "message,bo,2024-05-01T12:00:00Z,ann")

    ((record, _),) = interactions(results)
    assert record.participant_ids == ("ann", "bo")
    assert record.kind is InteractionKind.MESSAGE
    assert (record.initiator_id, record.duration_s, record.channel) == (None, None, None)


@pytest.mark.parametrize(
    "written",
    ["2024-05-01T12:00:00Z", "2024-05-01T14:00:00+02:00", "1714564800", "1714564800.0"],
)
def test_at_is_iso_8601_with_an_offset_or_unix_seconds(written: str) -> None:
    results = parse("at,person_a,person_b,kind", f"{written},ann,bo,call")

    ((record, _),) = interactions(results)
    assert record.at == NOON


def test_fractional_unix_seconds_keep_their_microseconds() -> None:
    results = parse("at,person_a,person_b,kind", "1714564800.123456,ann,bo,call")

    ((record, _),) = interactions(results)
    assert record.at == NOON.replace(microsecond=123456)


def test_csv_row_without_key_gets_the_same_key_on_every_import() -> None:
    row = "2024-05-01T12:00:00Z,ann,bo,call,900,ann,phone,"

    first = interactions(parse(HEADER, row))
    again = interactions(parse(HEADER, "", row))

    assert first[0][0].key == again[0][0].key
    assert first[0][0].key.startswith("csv:")


def test_one_instant_written_differently_gets_the_same_derived_key() -> None:
    results = parse(
        "at,person_a,person_b,kind",
        "2024-05-01T12:00:00Z,ann,bo,call",
        "2024-05-01T14:00:00+02:00,ann,bo,call",
        "1714564800,ann,bo,call",
    )

    assert len({record.key for record, _ in interactions(results)}) == 1


@pytest.mark.parametrize(
    "changed",
    [
        "2024-05-01T12:00:01Z,ann,bo,call,900,ann,phone,",
        "2024-05-01T12:00:00Z,bo,ann,call,900,ann,phone,",
        "2024-05-01T12:00:00Z,ann,cy,call,900,ann,phone,",
        "2024-05-01T12:00:00Z,ann,bo,message,900,ann,phone,",
        "2024-05-01T12:00:00Z,ann,bo,call,901,ann,phone,",
        "2024-05-01T12:00:00Z,ann,bo,call,,ann,phone,",
        "2024-05-01T12:00:00Z,ann,bo,call,900,bo,phone,",
        "2024-05-01T12:00:00Z,ann,bo,call,900,ann,zoom,",
        "2024-05-01T12:00:00Z,ann,bo,call,900,ann,,",
    ],
)
def test_rows_that_differ_in_any_cell_get_different_derived_keys(changed: str) -> None:
    original = "2024-05-01T12:00:00Z,ann,bo,call,900,ann,phone,"

    (a, b) = interactions(parse(HEADER, original, changed))

    assert a[0].key != b[0].key


def test_the_derived_key_is_the_documented_hash_of_the_row() -> None:
    results = parse(HEADER, "2024-05-01T12:00:00Z,ann,bo,call,,,,")

    ((record, _),) = interactions(results)
    assert record.key == row_key(
        at=NOON,
        person_a="ann",
        person_b="bo",
        kind=InteractionKind.CALL,
        channel=None,
        initiator=None,
        duration_s=None,
    )
    assert record.key == "csv:9e406e3fbad16e72f441e03796239543cacd48f7"


def test_a_quoted_channel_may_hold_commas_and_line_breaks_and_rows_keep_their_first_line() -> None:
    results = parse(
        HEADER, '1714564800,ann,bo,call,,,"zoom, then\nphone",k1', "1714564800,a,b,call"
    )

    assert the_problems(results)[0].record == "calls.csv line 4"
    ((record, label),) = interactions(results[:1])
    assert (record.channel, label) == ("zoom, then\nphone", "calls.csv line 2")


def test_blank_rows_are_skipped() -> None:
    results = parse("at,person_a,person_b,kind", "", ",,,", "1714564800,ann,bo,call")

    assert [label for _, label in interactions(results)] == ["calls.csv line 4"]


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        ("at,person_a,person_b,kind,mood", "mood", "unknown column(s)"),
        ("at,person_a,person_b,kind,Mood,note", "Mood,note", "unknown column(s)"),
        ("at,person_a,kind", "person_b", "missing required column(s)"),
        ("at,person_a,person_b,kind,at", "at", "repeated column(s)"),
    ],
)
def test_a_header_that_breaks_the_contract_rejects_the_file_naming_the_columns(
    header: str, value: str, reason: str
) -> None:
    results = parse(header, "1714564800,ann,bo,call,x", "1714564800,ann,bo,call,y")

    assert the_problems(results) == [
        Problem("calls.csv line 1", "(header)", value, the_problems(results)[0].reason)
    ]
    assert reason in the_problems(results)[0].reason
    assert [r.label for r in results if isinstance(r, Rejected)] == [
        "calls.csv line 1",
        "calls.csv line 2",
        "calls.csv line 3",
    ]


def test_an_empty_file_is_rejected_for_lacking_the_header() -> None:
    (problem,) = the_problems(parse())

    assert problem.record == "calls.csv line 1"
    assert "at,person_a,person_b,kind" in problem.reason


@pytest.mark.parametrize(
    ("row", "field", "value", "reason"),
    [
        (",ann,bo,call,,,,", "at", "", "is required"),
        ("2024-05-01T12:00:00,ann,bo,call,,,,", "at", "2024-05-01T12:00:00", "no time zone"),
        ("yesterday,ann,bo,call,,,,", "at", "yesterday", "must be an ISO-8601 time"),
        ("1714564800,,bo,call,,,,", "person_a", "", "is required"),
        ("1714564800,ann,,call,,,,", "person_b", "", "is required"),
        ("1714564800,ann,ann,call,,,,", "person_b", "ann", "must differ from person_a"),
        ("1714564800,ann,bo,,,,,", "kind", "", "is required"),
        ("1714564800,ann,bo,chat,,,,", "kind", "chat", "must be one of: meeting, breakout"),
        ("1714564800,ann,bo,call,1.5,,,", "duration_s", "1.5", "whole number of seconds"),
        ("1714564800,ann,bo,call,,cy,,", "initiator", "cy", "person_a or person_b"),
        ("999999999999999,ann,bo,call,,,,", "at", "999999999999999", "out of range"),
        ("1714564800,ann,bo,call", "(row)", "1714564800,ann,bo,call", "has 4 cells"),
        ('1714564800,"ann"x,bo,call,,,,', "(row)", '1714564800,"ann"x,bo,call,,,,', "valid CSV"),
    ],
)
def test_a_bad_row_is_rejected_naming_file_line_column_value_and_reason(
    row: str, field: str, value: object, reason: str
) -> None:
    results = parse(HEADER, "1714564800,x,y,call,,,,", row)

    (problem,) = the_problems(results)
    assert (problem.record, problem.field, problem.value) == ("calls.csv line 3", field, value)
    assert reason in problem.reason
    assert len(interactions(results[:1])) == 1


def test_a_file_is_read_by_its_path_with_a_byte_order_mark_and_crlf_endings(
    tmp_path: Path,
) -> None:
    path = tmp_path / "calls.csv"
    path.write_bytes(b"\xef\xbb\xbfat,person_a,person_b,kind\r\n1714564800,ann,bo,call\r\n")

    ((record, label),) = interactions(list(read_interactions_csv(path)))

    assert (record.participant_ids, label) == (("ann", "bo"), f"{path} line 2")


def test_a_cell_that_is_not_utf_8_rejects_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_bytes(b"at,person_a,person_b,kind\n1714564800,ann,b\xf6,call\n1714564800,a,b,call\n")

    results = list(read_interactions_csv(path))

    (problem,) = the_problems(results)
    assert (problem.record, problem.field, problem.value) == (
        f"{path} line 2",
        "person_b",
        "b\ufffd",
    )
    assert "not valid UTF-8" in problem.reason
    assert not isinstance(results[1], Rejected)


ids = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")).filter(
        lambda c: not c.isspace() and c != "|"
    ),
    min_size=1,
    max_size=12,
)
channels = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]).filter(
        lambda c: c in "\t\n" or not (ord(c) < 32 or ord(c) == 0x7F)
    ),
    min_size=1,
    max_size=20,
)


@st.composite
def valid_interactions(draw: st.DrawFn) -> Interaction:
    a, b = draw(st.lists(ids, min_size=2, max_size=2, unique=True))
    return Interaction(
        key=draw(ids),
        at=draw(
            st.datetimes(
                min_value=datetime(1900, 1, 2),
                max_value=datetime(2199, 12, 30),
                timezones=st.just(UTC),
            )
        ),
        kind=draw(st.sampled_from(InteractionKind)),
        participant_ids=(a, b),
        initiator_id=draw(st.sampled_from([None, a, b])),
        duration_s=draw(st.none() | st.integers(0, 10**9)),
        channel=draw(st.none() | channels),
    )


def csv_row(record: Interaction) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(
        [
            format_instant(record.at),
            *record.participant_ids,
            record.kind.value,
            "" if record.duration_s is None else record.duration_s,
            record.initiator_id or "",
            record.channel or "",
            record.key,
        ]
    )
    return out.getvalue()


@given(record=valid_interactions())
def test_any_valid_interaction_encoded_to_a_csv_row_parses_back_equal(record: Interaction) -> None:
    lines = io.StringIO(HEADER + "\r\n" + csv_row(record), newline="")

    results = list(parse_interactions_csv(lines, source="calls.csv"))

    assert interactions(results) == [(record, "calls.csv line 2")]

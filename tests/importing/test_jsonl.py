"""Reading tiegraph JSON Lines: records with their file and line, or problems that say why not."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.domain.codec import ENTITY_KINDS, Record, encode
from graph.domain.errors import Problem
from graph.domain.model import (
    GroupFormat,
    Interaction,
    InteractionKind,
    Person,
    SideConversation,
)
from graph.importing import ParseResult, Rejected
from graph.importing.jsonl import parse_jsonl, read_jsonl
from tests.factories import (
    attendance,
    breakout,
    group,
    interaction,
    introduction,
    meeting,
    membership,
    organization,
    person,
    side_conversation,
)

DOCS = Path(__file__).parents[2] / "docs" / "import-formats.md"


def line_of(record: Record) -> str:
    """Write a record as one JSON Lines line, the way an exporter would."""
    kind = next(name for name, cls in ENTITY_KINDS.items() if isinstance(record, cls))
    return orjson.dumps({"type": kind, **encode(record)}).decode()


def parse(*lines: str) -> list[ParseResult]:
    return list(parse_jsonl(lines, source="people.jsonl"))


def records(results: list[ParseResult]) -> list[tuple[Record, str]]:
    assert not [r for r in results if isinstance(r, Rejected)]
    return [r for r in results if not isinstance(r, Rejected)]


def the_problems(results: list[ParseResult]) -> list[Problem]:
    rejected = [r for r in results if isinstance(r, Rejected)]
    assert rejected, "expected a rejected line"
    return [p for r in rejected for p in r.problems]


def test_each_record_comes_with_its_file_and_line() -> None:
    results = parse(line_of(person("ann")), line_of(person("bo")))

    assert records(results) == [
        (person("ann"), "people.jsonl line 1"),
        (person("bo"), "people.jsonl line 2"),
    ]


def test_every_kind_of_record_reads_back_as_written() -> None:
    written: list[Record] = [
        organization("acme", industry="Logistics"),
        person("ann", organization_id="acme", interests=("jazz",), discoverable=False),
        group("g1", leader_id="ann", format=GroupFormat.HYBRID, capacity=6),
        membership("g1", "ann"),
        meeting("m1", "g1", duration_s=3600),
        attendance("m1", "ann", speaking_s=60),
        breakout("b1", "m1", "ann", "bo"),
        side_conversation("s1", "ann", "bo", channel="coffee", initiator_id="bo"),
        interaction("k1", "ann", "bo", kind=InteractionKind.CALL, duration_s=30),
        introduction("i1", "ann", "bo", "cy", note="hello"),
    ]

    results = parse(*(line_of(r) for r in written))

    assert [r for r, _ in records(results)] == written


def test_the_header_names_the_format_and_is_not_a_record() -> None:
    results = parse('{"type": "tiegraph", "version": 1}', line_of(person("ann")))

    assert records(results) == [(person("ann"), "people.jsonl line 2")]


def test_a_header_with_an_unknown_version_rejects_the_whole_file_naming_its_line() -> None:
    results = parse('{"type": "tiegraph", "version": 2}', line_of(person("ann")), "not even json")

    assert the_problems(results) == [
        Problem(
            "people.jsonl line 1",
            "version",
            2,
            "is not a version this tiegraph reads (it reads 1)",
        )
    ]
    assert [r.label for r in results if isinstance(r, Rejected)] == [
        "people.jsonl line 1",
        "people.jsonl line 2",
        "people.jsonl line 3",
    ]


def test_a_header_after_the_first_line_is_an_error_on_its_line() -> None:
    results = parse(line_of(person("ann")), '{"type": "tiegraph", "version": 1}')

    assert the_problems(results) == [
        Problem("people.jsonl line 2", "type", "tiegraph", "a header may only be the first line")
    ]


def test_blank_lines_are_skipped_but_still_counted_in_line_numbers() -> None:
    results = parse("", "   ", line_of(person("ann")))

    assert records(results) == [(person("ann"), "people.jsonl line 3")]


@pytest.mark.parametrize(
    ("line", "field", "value", "reason"),
    [
        ('{"type": "person", "id": "ann"', "(line)", '{"type": "person", "id": "ann"', "JSON"),
        ("[1, 2]", "(line)", [1, 2], "must be a JSON object"),
        ('{"id": "ann", "name": "Ann"}', "type", None, "is required"),
        ('{"type": "pet", "id": "rex"}', "type", "pet", "must be one of"),
        ('{"type": "person", "id": "ann", "name": "Ann", "nick": "A"}', "nick", "A", "not a field"),
        ('{"type": "person", "id": "ann"}', "name", None, "is required"),
        ('{"type": "person", "id": "ann", "name": null}', "name", None, "is required"),
        ('{"type": "person", "id": 7, "name": "Ann"}', "id", 7, "must be a JSON string"),
        (
            '{"type": "person", "id": "ann", "name": "Ann", "interests": "jazz"}',
            "interests",
            "jazz",
            "must be a JSON array of strings",
        ),
        (
            '{"type": "person", "id": "ann", "name": "Ann", "discoverable": "yes"}',
            "discoverable",
            "yes",
            "must be true or false",
        ),
        (
            '{"type": "person", "id": "ann", "name": "Ann", "discoverable": null}',
            "discoverable",
            None,
            "may not be null",
        ),
        ('{"type": "group", "id": "g", "name": "G", "capacity": 8.5}', "capacity", 8.5, "whole"),
        (
            '{"type": "group", "id": "g", "name": "G", "format": "zoom"}',
            "format",
            "zoom",
            "must be one of: digital, in_person, hybrid",
        ),
        (
            '{"type": "group", "id": "g", "name": "G", "starts_on": "01/05/2024"}',
            "starts_on",
            "01/05/2024",
            "must be a date written YYYY-MM-DD",
        ),
        (
            '{"type": "group", "id": "g", "name": "G", "starts_on": "2024-02-30"}',
            "starts_on",
            "2024-02-30",
            "is not a valid calendar date",
        ),
        (
            '{"type": "meeting", "id": "m", "group_id": "g", "starts_at": "2024-05-01T12:00:00"}',
            "starts_at",
            "2024-05-01T12:00:00",
            "has no time zone offset",
        ),
        (
            '{"type": "meeting", "id": "m", "group_id": "g", "starts_at": "next tuesday"}',
            "starts_at",
            "next tuesday",
            "must be an ISO-8601 time with a time zone",
        ),
        (
            '{"type": "meeting", "id": "m", "group_id": "g", "starts_at": true}',
            "starts_at",
            True,
            "must be an ISO-8601 time with a time zone",
        ),
        (
            '{"type": "interaction", "key": "k", "at": 0, "kind": "chat",'
            ' "participant_ids": ["a", "b"]}',
            "kind",
            "chat",
            "must be one of",
        ),
        ('{"type": "person", "id": "a b", "name": "A"}', "id", "a b", "without white space"),
        (
            '{"type": "interaction", "key": "k", "at": 0, "kind": "call",'
            ' "participant_ids": ["a", "a"]}',
            "participant_ids",
            ["a", "a"],
            "needs at least two different people",
        ),
    ],
)
def test_a_bad_line_is_rejected_naming_file_line_field_value_and_reason(
    line: str, field: str, value: Any, reason: str
) -> None:
    results = parse(line_of(person("ok")), line)

    (problem,) = the_problems(results)
    assert problem.record == "people.jsonl line 2"
    assert (problem.field, problem.value) == (field, value)
    assert reason in problem.reason
    assert str(problem).startswith(f"people.jsonl line 2: field {field!r} = {value!r}: ")


def test_one_line_reports_everything_wrong_with_it() -> None:
    results = parse('{"type": "person", "id": "a b", "name": "", "nick": 1}')

    assert [p.field for p in the_problems(results)] == ["nick", "id", "name"]


def test_a_bad_line_rejects_only_itself() -> None:
    results = parse(line_of(person("ann")), "{", line_of(person("bo")))

    assert [r.label for r in results if isinstance(r, Rejected)] == ["people.jsonl line 2"]
    assert [r[1] for r in results if not isinstance(r, Rejected)] == [
        "people.jsonl line 1",
        "people.jsonl line 3",
    ]


def test_a_rejected_line_says_which_kind_it_claimed_to_be() -> None:
    results = parse('{"type": "person", "id": "ann"}', "{")

    assert [r.kind for r in results if isinstance(r, Rejected)] == ["person", None]


@pytest.mark.parametrize(
    "written",
    [
        '"2024-05-01T12:00:00Z"',
        '"2024-05-01T14:00:00+02:00"',
        '"2024-05-01T12:00:00.000000+00:00"',
        "1714564800",
        "1714564800.0",
        '"1714564800"',
    ],
)
def test_instants_are_iso_8601_with_an_offset_or_unix_seconds(written: str) -> None:
    line = (
        '{"type": "interaction", "key": "k", "kind": "call", "participant_ids": ["a", "b"],'
        f' "at": {written}}}'
    )

    ((record, _),) = records(parse(line))

    assert isinstance(record, Interaction)
    assert record.at == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert record.at.tzinfo is UTC


def test_fractional_unix_seconds_keep_their_microseconds() -> None:
    line = '{"type": "side_conversation", "id": "s", "participant_ids": ["a", "b"], "at": 0.000001}'

    ((record, _),) = records(parse(line))

    assert isinstance(record, SideConversation)
    assert record.at == datetime(1970, 1, 1, 0, 0, 0, 1, UTC)


def test_dates_are_read_as_calendar_dates() -> None:
    line = '{"type": "membership", "group_id": "g", "person_id": "p", "joined_on": "2024-02-29"}'

    ((record, _),) = records(parse(line))

    assert record == membership("g", "p", joined_on=date(2024, 2, 29))


def test_a_file_is_read_by_its_path_with_a_byte_order_mark_and_crlf_endings(
    tmp_path: Path,
) -> None:
    path = tmp_path / "people.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + f"{line_of(person('ann'))}\r\n\r\n{{\r\n".encode())

    results = list(read_jsonl(path))

    assert results[0] == (person("ann"), f"{path} line 1")
    assert isinstance(results[1], Rejected)
    assert results[1].label == f"{path} line 3"


def test_invalid_utf_8_rejects_only_its_line() -> None:
    results = list(parse_jsonl([b'{"type": "interest", "id": "x", "name": "\xff"}'], source="f"))

    assert the_problems(results)[0].field == "(line)"


def test_every_example_line_in_the_format_docs_is_a_valid_record() -> None:
    examples = re.findall(r"```json\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    lines = [line for example in examples for line in example.splitlines()]

    results = parse(*lines)

    kinds = {type(r).__name__ for r, _ in records(results)}
    assert len(kinds) == len(ENTITY_KINDS)


ids = st.from_regex(r"[a-z0-9][a-z0-9._:-]{0,11}", fullmatch=True)
texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=20
).filter(str.strip)
instants = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30), timezones=st.just(UTC)
)


@st.composite
def interactions(draw: st.DrawFn) -> Interaction:
    people = draw(st.lists(ids, min_size=2, max_size=5, unique=True))
    return Interaction(
        key=draw(ids),
        at=draw(instants),
        kind=draw(st.sampled_from(InteractionKind)),
        participant_ids=tuple(people),
        initiator_id=draw(st.none() | st.sampled_from(people)),
        duration_s=draw(st.none() | st.integers(0, 10**9)),
        channel=draw(st.none() | texts),
    )


people = st.builds(
    Person,
    id=ids,
    name=texts,
    title=st.none() | texts,
    organization_id=st.none() | ids,
    interests=st.lists(texts, max_size=3).map(tuple),
    discoverable=st.booleans(),
)


@given(record=st.one_of(interactions(), people))
def test_any_valid_record_written_as_a_line_reads_back_equal(record: Record) -> None:
    assert records(parse(line_of(record))) == [(record, "people.jsonl line 1")]

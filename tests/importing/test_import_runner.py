"""Importing files into the real embedded store: ordering, rejection, dry runs, re-runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.codec import ENTITY_KINDS, Record, encode, record_id
from graph.domain.model import Interaction, InteractionKind, IntroductionStatus, Person
from graph.importing.runner import ImportReport, UnknownFormat, import_files
from graph.ports import GraphStore, batch_of
from tests.factories import (
    at,
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


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    """A fresh, open embedded store in its own directory."""
    store = EmbeddedStore(tmp_path / "store")
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def line_of(record: Record) -> str:
    kind = next(name for name, cls in ENTITY_KINDS.items() if isinstance(record, cls))
    return orjson.dumps({"type": kind, **encode(record)}).decode()


def write_jsonl(path: Path, *lines: Record | str) -> Path:
    text = "".join((line if isinstance(line, str) else line_of(line)) + "\n" for line in lines)
    path.write_text(text, encoding="utf-8")
    return path


def counts(report: ImportReport) -> dict[str, tuple[int, int, int, int]]:
    """Each kind's (created, updated, unchanged, rejected)."""
    return {kind: (c.created, c.updated, c.unchanged, c.rejected) for kind, c in report.rows()}


async def everything(store: GraphStore) -> dict[str, Any]:
    """Every record of every kind and every tie: the whole graph, to compare two stores."""
    graph: dict[str, Any] = {}
    for name, kind in ENTITY_KINDS.items():
        found: list[Record] = []
        after: str | None = None
        while True:
            page = await store.list_records(kind, first=500, after=after)
            found += page.items
            if not page.has_next:
                break
            after = record_id(page.items[-1])
        graph[name] = found
    people = [p.id for p in graph["person"]]
    graph["ties"] = await store.ties_of(people)
    graph["counts"] = await store.counts()
    return graph


def a_whole_network(directory: Path) -> list[Path]:
    """Two files that between them hold every kind, the references listed after their users."""
    activity = write_jsonl(
        directory / "activity.jsonl",
        '{"type": "tiegraph", "version": 1}',
        interaction("k1", "ann", "bo", kind=InteractionKind.CALL),
        introduction("i1", "ann", "bo", "cy", status=IntroductionStatus.MET, updated_at=at(3)),
        side_conversation("s1", "bo", "cy", day=2, initiator_id="cy"),
        breakout("b1", "m1", "ann", "bo", "cy"),
        attendance("m1", "ann"),
        attendance("m1", "bo"),
        attendance("m1", "cy"),
        meeting("m1", "g1", day=1),
        membership("g1", "ann"),
        group("g1", leader_id="ann"),
    )
    people = write_jsonl(
        directory / "people.jsonl",
        person("ann", organization_id="acme"),
        person("bo"),
        person("cy"),
        organization("acme"),
    )
    calls = directory / "calls.csv"
    calls.write_text(
        "at,person_a,person_b,kind,initiator\n"
        "2024-01-20T10:00:00Z,ann,cy,call,cy\n"
        "1705744800,bo,cy,message,\n",
        encoding="utf-8",
    )
    return [activity, people, calls]


async def test_records_are_applied_in_reference_order_whatever_the_order_of_the_files(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    report = await import_files(embedded, a_whole_network(tmp_path))

    assert report.ok, report.problems
    assert counts(report) == {
        "organization": (1, 0, 0, 0),
        "person": (3, 0, 0, 0),
        "group": (1, 0, 0, 0),
        "membership": (1, 0, 0, 0),
        "meeting": (1, 0, 0, 0),
        "attendance": (3, 0, 0, 0),
        "breakout": (1, 0, 0, 0),
        "side_conversation": (1, 0, 0, 0),
        # 1 given + 2 from CSV + 3 meeting pairs + breakout + side conversation + introduction
        "interaction": (9, 0, 0, 0),
        "introduction": (1, 0, 0, 0),
    }
    tie = await embedded.tie("ann", "cy")
    assert tie is not None
    assert tie.initiated_by_b == 1


async def test_a_bad_line_is_rejected_alone_and_the_valid_lines_still_import(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "people.jsonl",
        person("ann"),
        '{"type": "person", "id": "bo", "name": 7}',
        person("cy"),
    )

    report = await import_files(embedded, [path])

    assert counts(report) == {"person": (2, 0, 0, 1)}
    assert [str(p) for p in report.problems] == [
        f"{path} line 2: field 'name' = 7: must be a JSON string"
    ]
    assert set(await embedded.get(Person, ["ann", "bo", "cy"])) == {"ann", "cy"}


async def test_a_record_naming_an_unknown_person_is_rejected_alone(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "activity.jsonl",
        person("ann"),
        person("bo"),
        interaction("k1", "ann", "bo"),
        interaction("k2", "ann", "zed"),
        interaction("k3", "bo", "ann"),
    )

    report = await import_files(embedded, [path])

    assert counts(report)["interaction"] == (2, 0, 0, 1)
    assert [str(p) for p in report.problems] == [
        f"{path} line 4: field 'participant_ids' = 'zed': no person has this id"
    ]
    assert set(await embedded.get(Interaction, ["k1", "k2", "k3"])) == {"k1", "k3"}


async def test_references_to_records_already_in_the_store_are_found_there(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    await embedded.apply(batch_of([person("ann"), person("bo")]))
    path = write_jsonl(tmp_path / "activity.jsonl", interaction("k1", "ann", "bo"))

    report = await import_files(embedded, [path])

    assert report.ok
    assert counts(report) == {"interaction": (1, 0, 0, 0)}


async def test_create_missing_people_adds_a_person_named_after_each_unknown_id(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    await embedded.apply(batch_of([person("ann", title="CEO")]))
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "at,person_a,person_b,kind\n1705744800,ann,bo,call\n1705744800,bo,cy,call\n",
        encoding="utf-8",
    )
    people = write_jsonl(tmp_path / "people.jsonl", person("cy", name="Cy Young"))

    report = await import_files(embedded, [calls, people], create_missing_people=True)

    assert report.ok
    assert counts(report) == {"person": (2, 0, 0, 0), "interaction": (2, 0, 0, 0)}
    assert await embedded.get(Person, ["ann", "bo", "cy"]) == {
        "ann": person("ann", title="CEO"),
        "bo": Person(id="bo", name="bo"),
        "cy": person("cy", name="Cy Young"),
    }


async def test_without_create_missing_people_their_interactions_are_rejected(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    calls = tmp_path / "calls.csv"
    calls.write_text("at,person_a,person_b,kind\n1705744800,ann,bo,call\n", encoding="utf-8")

    report = await import_files(embedded, [calls])

    assert counts(report) == {"interaction": (0, 0, 0, 1)}
    assert {p.value for p in report.problems} == {"ann", "bo"}


@pytest.mark.parametrize(
    ("row", "column", "value", "reason"),
    [
        ("1714564800,ann,bo,call,-5,,,", "duration_s", -5, "whole number of seconds >= 0"),
        ("1714564800,a|x,bo,call,,,,", "person_a", "a|x", "without white space or '|'"),
        ("1714564800,ann,b|x,call,,,,", "person_b", "b|x", "without white space or '|'"),
        ("1714564800,ann,bo,call,,,,k|1", "key", "k|1", "without white space or '|'"),
        ("1714564800,ann,bo,call,,,\x01,", "channel", "\x01", "control characters"),
        (
            "-3000000000,ann,bo,call,,,,",
            "at",
            datetime(1874, 12, 7, 18, 40, tzinfo=UTC),
            "between the years 1900 and 2200",
        ),
    ],
)
async def test_a_csv_row_the_store_refuses_is_rejected_alone_naming_its_line_and_column(
    embedded: EmbeddedStore, tmp_path: Path, row: str, column: str, value: object, reason: str
) -> None:
    calls = tmp_path / "calls.csv"
    header = "at,person_a,person_b,kind,duration_s,initiator,channel,key"
    calls.write_text(f"{header}\n1714564800,x,y,call,,,,\n{row}\n", encoding="utf-8")

    report = await import_files(embedded, [calls], create_missing_people=True)

    (problem,) = report.problems
    assert (problem.record, problem.field, problem.value) == (f"{calls} line 3", column, value)
    assert reason in problem.reason
    assert counts(report)["interaction"] == (1, 0, 0, 1)
    assert await embedded.get(Person, ["a|x", "b|x"]) == {}


async def test_a_csv_row_naming_an_unknown_person_names_the_column_that_holds_the_id(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    await embedded.apply(batch_of([person("ann")]))
    calls = tmp_path / "calls.csv"
    calls.write_text("at,person_a,person_b,kind\n1705744800,zed,ann,call\n", encoding="utf-8")

    report = await import_files(embedded, [calls])

    assert [(p.record, p.field, p.value) for p in report.problems] == [
        (f"{calls} line 2", "person_a", "zed")
    ]


async def test_a_csv_file_larger_than_a_batch_is_applied_batch_by_batch_with_repeats_across_them(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    made = [f"{1705744800 + n},p{n % 7},q{n % 5},call,,,," for n in range(23)]
    # Line 26 repeats line 3 exactly, line 27 gives line 2's key other values: both in
    # batches after the ones that hold the first, so the store tells.
    rows = ["1705744800,p0,q0,message,,,,k", *made, made[0], "1705744801,p0,q0,call,,,,k"]
    calls = tmp_path / "calls.csv"
    header = "at,person_a,person_b,kind,duration_s,initiator,channel,key"
    calls.write_text(header + "\n" + "".join(row + "\n" for row in rows), encoding="utf-8")
    seen: list[tuple[int, int]] = []

    report = await import_files(
        embedded,
        [calls],
        create_missing_people=True,
        batch_size=4,
        progress=lambda done, total: seen.append((done, total)),
    )

    assert counts(report) == {"person": (12, 0, 0, 0), "interaction": (24, 0, 1, 1)}
    assert [(p.record, p.field, p.value) for p in report.problems] == [
        (f"{calls} line 27", "key", "k")
    ]
    assert seen[0] == (0, 26)
    assert seen[-1] == (26, 26)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    again = await import_files(embedded, [calls], create_missing_people=True, batch_size=4)
    assert counts(again)["interaction"] == (0, 0, 25, 1)


async def test_a_line_the_store_refuses_is_rejected_alone_and_the_rest_of_its_batch_applies(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    await embedded.apply(
        batch_of([person("ann"), person("bo"), interaction("k3", "ann", "bo", day=9)])
    )
    path = write_jsonl(
        tmp_path / "activity.jsonl",
        *(interaction(f"k{n}", "ann", "bo", day=n) for n in range(1, 7)),
    )

    report = await import_files(embedded, [path], batch_size=2)

    # k3 is stored with another time: its line is refused, k4 of the same batch goes in.
    assert counts(report) == {"interaction": (5, 0, 0, 1)}
    assert [(p.record, p.field, p.value) for p in report.problems] == [
        (f"{path} line 3", "id", "k3")
    ]
    stored = await embedded.get(Interaction, [f"k{n}" for n in range(1, 7)])
    assert sorted(stored) == ["k1", "k2", "k3", "k4", "k5", "k6"]
    assert stored["k3"].at == at(9)


async def test_a_record_repeated_exactly_counts_unchanged_and_repeated_differently_is_rejected(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "people.jsonl",
        person("ann"),
        person("ann"),
        person("ann", title="CEO"),
    )

    report = await import_files(embedded, [path])

    assert counts(report) == {"person": (1, 0, 1, 1)}
    assert [str(p) for p in report.problems] == [
        f"{path} line 3: field 'id' = 'ann': {path} line 1 has this person with other values"
    ]


async def test_importing_the_same_files_again_changes_nothing(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    files = a_whole_network(tmp_path)
    await import_files(embedded, files)
    before = await everything(embedded)

    again = await import_files(embedded, files)

    assert again.ok
    assert all(created == updated == 0 for created, updated, _, _ in counts(again).values())
    assert await everything(embedded) == before


async def test_an_updated_person_is_counted_updated(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    await embedded.apply(batch_of([person("ann")]))
    path = write_jsonl(tmp_path / "people.jsonl", person("ann", title="CTO"))

    report = await import_files(embedded, [path])

    assert counts(report) == {"person": (0, 1, 0, 0)}


async def test_an_interrupted_import_run_again_ends_with_exactly_the_same_graph(
    tmp_path: Path,
) -> None:
    files = a_whole_network(tmp_path)
    complete = EmbeddedStore(tmp_path / "complete")
    interrupted = EmbeddedStore(tmp_path / "interrupted")
    await complete.open()
    await interrupted.open()
    try:
        await import_files(complete, files, batch_size=2)

        class Interrupted(Exception):
            pass

        def stop_after_three_batches(done: int, total: int) -> None:
            if done >= 6:
                raise Interrupted

        with pytest.raises(Interrupted):
            await import_files(interrupted, files, batch_size=2, progress=stop_after_three_batches)
        assert (await interrupted.counts()) != (await complete.counts())
        await interrupted.close()
        await interrupted.open()  # as a restarted process would
        rerun = await import_files(interrupted, files, batch_size=2)

        assert rerun.ok
        assert await everything(interrupted) == await everything(complete)
    finally:
        await complete.close()
        await interrupted.close()


async def test_a_dry_run_writes_nothing_and_counts_what_the_import_would_do(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    files = a_whole_network(tmp_path)
    bad = write_jsonl(tmp_path / "bad.jsonl", interaction("k9", "ann", "zed"), "{")

    dry = await import_files(embedded, [*files, bad], dry_run=True, batch_size=2)

    assert dry.dry_run
    assert all(n == 0 for n in (await embedded.counts()).values())
    real = await import_files(embedded, [*files, bad], batch_size=2)
    assert counts(dry) == counts(real)
    assert dry.problems == real.problems
    assert len(dry.problems) == 2


async def test_a_dry_run_reports_a_conflict_with_what_is_stored(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    await embedded.apply(batch_of([person("ann"), person("bo"), interaction("k1", "ann", "bo")]))
    path = write_jsonl(tmp_path / "activity.jsonl", interaction("k1", "ann", "bo", day=5))

    report = await import_files(embedded, [path], dry_run=True)

    assert counts(report) == {"interaction": (0, 0, 0, 1)}
    assert report.problems[0].record == f"{path} line 1"


async def test_progress_counts_records_out_of_the_total_after_each_batch(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "people.jsonl", *(person(f"p{n}") for n in range(5)))
    seen: list[tuple[int, int]] = []

    await import_files(embedded, [path], batch_size=2, progress=lambda d, t: seen.append((d, t)))

    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]


async def test_a_file_that_cannot_be_read_is_a_problem_and_the_others_still_import(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    directory = tmp_path / "not-a-file.jsonl"
    directory.mkdir()
    path = write_jsonl(tmp_path / "people.jsonl", person("ann"))

    report = await import_files(embedded, [directory, path])

    assert not report.ok
    assert report.problems[0].record == str(directory)
    assert counts(report) == {"person": (1, 0, 0, 0)}


async def test_a_file_whose_format_cannot_be_told_stops_the_import_before_it_starts(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    people = write_jsonl(tmp_path / "people.jsonl", person("ann"))
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n", encoding="utf-8")

    with pytest.raises(UnknownFormat, match=r"notes\.txt"):
        await import_files(embedded, [people, notes])

    assert await embedded.get(Person, ["ann"]) == {}
    report = await import_files(embedded, [notes], file_format="jsonl")
    assert counts(report) == {"unknown": (0, 0, 0, 1)}


async def test_a_meetings_attendance_is_imported_together_however_small_the_batches(
    tmp_path: Path,
) -> None:
    people = [f"p{n}" for n in range(6)]
    path = write_jsonl(
        tmp_path / "meeting.jsonl",
        *(person(p) for p in people),
        group("g"),
        meeting("m1", "g"),
        meeting("m2", "g"),
        *(attendance("m1", p) for p in people),
        *(attendance("m2", p) for p in people[:3]),
    )
    graphs = []
    for batch_size in (100, 2):
        store = EmbeddedStore(tmp_path / f"store-{batch_size}")
        await store.open()
        try:
            report = await import_files(store, [path], batch_size=batch_size)
            assert report.ok
            graphs.append(await everything(store))
        finally:
            await store.close()
    in_one, in_small_batches = graphs
    assert in_small_batches["interaction"] == in_one["interaction"]
    sizes = {i.key: i.group_size for i in in_one["interaction"]}
    assert sizes["meeting|m1|p0|p5"] == 6


async def test_a_dry_run_of_a_csv_counts_repeats_across_batches_as_the_import_would(
    embedded: EmbeddedStore, tmp_path: Path
) -> None:
    calls = tmp_path / "calls.csv"
    rows = [f"{1705744800 + n},p{n},q{n},call,k{n}" for n in range(5)]
    rows += [rows[0], "1705744801,p0,q0,call,k0"]
    calls.write_text("at,person_a,person_b,kind,key\n" + "\n".join(rows) + "\n", encoding="utf-8")

    planned = await import_files(
        embedded, [calls], create_missing_people=True, batch_size=2, dry_run=True
    )
    imported = await import_files(embedded, [calls], create_missing_people=True, batch_size=2)

    assert (
        counts(planned)
        == counts(imported)
        == {
            "person": (10, 0, 0, 0),
            "interaction": (5, 0, 1, 1),
        }
    )

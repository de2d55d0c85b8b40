"""Video-meeting participant reports, Zoom's and a generic one: people found, never invented."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.errors import Problem
from graph.domain.model import Attendance
from graph.importing import Rejected
from graph.importing.identity import Identification
from graph.importing.meeting_report import (
    Participation,
    parse_meeting_report,
    parse_moment,
    parse_talk_seconds,
)
from graph.importing.runner import ImportReport, UnknownTarget, import_files
from graph.ports import GraphStore, batch_of
from tests.factories import attendance, group, meeting, membership, organization, person
from tests.importing.test_import_runner import everything

FIXTURES = Path(__file__).parent / "fixtures"
GENERIC = "name,email,joined,left,talk_seconds"
WITH_ORGANIZATION = "name,email,organization,talk_seconds"
ZOOM_DETAILS = (
    "Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants\n"
    "812 3456 7890,Spring circle 1,03/04/2024 06:00:00 PM,03/04/2024 07:31:00 PM,"
    "host@example.org,91,3\n"
    "\n"
)
ZOOM = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest"


def parse(*rows: str, before: str = "") -> list[Participation | Rejected]:
    text = before + "".join(row + "\n" for row in rows)
    return list(parse_meeting_report(io.StringIO(text, newline=""), source="r.csv"))


def participations(results: list[Participation | Rejected]) -> list[Participation]:
    assert [r for r in results if isinstance(r, Rejected)] == []
    return [r for r in results if isinstance(r, Participation)]


def problems(results: list[Participation | Rejected]) -> list[Problem]:
    return [p for r in results if isinstance(r, Rejected) for p in r.problems]


def counts(report: ImportReport) -> dict[str, tuple[int, int, int, int]]:
    return {kind: (c.created, c.updated, c.unchanged, c.rejected) for kind, c in report.rows()}


# -- reading the file ------------------------------------------------------------------------


def test_zoom_rows_are_read_after_the_meeting_details_that_come_before_them() -> None:
    results = parse(
        ZOOM,
        "Ada Lind,ada@example.org,03/04/2024 05:58:12 PM,03/04/2024 07:31:00 PM,93,No",
        "Fay (Fay Olsson),,03/04/2024 06:01:40 PM,03/04/2024 06:40:02 PM,39,No",
        before=ZOOM_DETAILS,
    )

    ada, fay = participations(results)
    assert (ada.label, ada.name, ada.email, ada.talk_s) == (
        "r.csv line 5",
        "Ada Lind",
        "ada@example.org",
        None,
    )
    assert (fay.label, fay.name, fay.email) == ("r.csv line 6", "Fay (Fay Olsson)", None)


def test_generic_rows_give_talk_time_in_seconds_or_as_a_clock() -> None:
    results = parse(
        GENERIC,
        "Ada Lind,,2024-03-04T17:00:00Z,2024-03-04T18:30:00Z,610",
        "Bo Ek,,,,0:02:05",
        "Cy Ng,,,,",
    )

    assert [(p.name, p.talk_s) for p in participations(results)] == [
        ("Ada Lind", 610),
        ("Bo Ek", 125),
        ("Cy Ng", None),
    ]


def test_a_byte_order_mark_and_letters_beyond_ascii_are_read() -> None:
    (asa,) = participations(parse("\ufeff" + GENERIC, '"Öberg, Åsa",,,,5'))

    assert asa.name == "Öberg, Åsa"


@pytest.mark.parametrize(
    ("text", "seconds"), [("0", 0), ("754", 754), ("12:34", 754), ("1:02:03", 3723)]
)
def test_talk_time_is_whole_seconds_or_a_clock(text: str, seconds: int) -> None:
    assert parse_talk_seconds(text) == seconds


@pytest.mark.parametrize("text", ["-5", "1.5", "12:61", "abc", "1:2:3:4"])
def test_anything_else_is_no_talk_time(text: str) -> None:
    with pytest.raises(ValueError, match="whole seconds"):
        parse_talk_seconds(text)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("03/04/2024 06:01:40 PM", datetime(2024, 3, 4, 18, 1, 40)),
        ("03/04/2024 12:00:00 AM", datetime(2024, 3, 4, 0, 0)),
        ("03/04/2024 18:01", datetime(2024, 3, 4, 18, 1)),
        ("2024-03-04 18:01:40", datetime(2024, 3, 4, 18, 1, 40)),
    ],
)
def test_join_and_leave_times_are_read_in_zoom_and_iso_forms(text: str, moment: datetime) -> None:
    assert parse_moment(text) == moment


def test_bad_talk_and_join_times_and_a_leave_before_the_join_reject_their_rows() -> None:
    results = parse(
        GENERIC,
        "Ada Lind,,,,ten minutes",
        "Bo Ek,,yesterday,,",
        "Cy Ng,,2024-03-04T18:00:00Z,2024-03-04T17:00:00Z,",
        "Dee Ho,,2024-03-04T17:00:00Z,2024-03-04T18:00:00Z,60",
    )

    assert [p.name for p in results if isinstance(p, Participation)] == ["Dee Ho"]
    assert [(p.record, p.field, p.value) for p in problems(results)] == [
        ("r.csv line 2", "talk_seconds", "ten minutes"),
        ("r.csv line 3", "joined", "yesterday"),
        ("r.csv line 4", "left", "2024-03-04T17:00:00Z"),
    ]


def test_a_row_with_neither_name_nor_email_is_rejected() -> None:
    results = parse(GENERIC, ",,,,60")

    assert [(p.record, p.field, p.reason) for p in problems(results)] == [
        ("r.csv line 2", "name", "a name or an e-mail is required")
    ]


def test_a_file_without_a_name_or_email_column_is_rejected_at_line_1() -> None:
    results = parse("who,when", "Ada,now")

    (problem,) = problems(results)
    assert (problem.record, problem.field, problem.value) == (
        "r.csv line 1",
        "(header)",
        "who,when",
    )


def test_an_email_only_report_needs_a_join_leave_or_talk_column_to_be_told_from_notes() -> None:
    (ada,) = participations(parse("E-mail,Talk Time", "ada@example.org,0:10:00", before="Notes\n"))

    assert (ada.label, ada.email, ada.talk_s) == ("r.csv line 3", "ada@example.org", 600)


# -- resolving against the store --------------------------------------------------------------


@pytest.fixture
async def spring(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    """A group led by Ada with members Cy, Fay and Gus, one meeting, and Hal outside it."""
    store = EmbeddedStore(tmp_path / "store")
    await store.open()
    await store.apply(
        batch_of(
            [
                person("ada", name="Ada Lind", email="ada.lind@example.org"),
                person("cy", name="Cy Nordström"),
                person("fay", name="Fay Olsson", email="Fay.Olsson@Example.org"),
                person("gus", name="Gus Berg"),
                person("hal", name="Hal Visitor"),
                group("spring", leader_id="ada"),
                membership("spring", "cy"),
                membership("spring", "fay"),
                membership("spring", "gus"),
                meeting("spring-1", "spring"),
            ]
        )
    )
    try:
        yield store
    finally:
        await store.close()


def write(path: Path, *rows: str) -> Path:
    path.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    return path


async def import_report(
    store: GraphStore, path: Path, *, dry_run: bool = False, match_names: bool = True
) -> ImportReport:
    """Import ``path`` as the report of meeting spring-1."""
    return await import_files(
        store,
        [path],
        file_format="meeting-report",
        meeting="spring-1",
        dry_run=dry_run,
        match_names=match_names,
    )


async def attended(store: GraphStore) -> dict[str, int | None]:
    return {a.person_id: a.speaking_s for a in await store.attendance(meeting_ids=["spring-1"])}


async def test_the_zoom_fixture_finds_people_by_email_and_by_name_and_reports_a_stranger(
    spring: EmbeddedStore,
) -> None:
    path = FIXTURES / "zoom-participants.csv"

    report = await import_report(spring, path)

    assert await attended(spring) == {"ada": None, "fay": None, "gus": None}
    assert counts(report)["attendance"] == (3, 0, 0, 1)
    (problem,) = report.problems
    assert (problem.record, problem.field, problem.value) == (
        f"{path} line 9",
        "User Email",
        "hal@example.net",
    )
    assert "add the person first" in problem.reason


async def test_speaking_times_of_several_stays_are_summed_into_one_attendance(
    spring: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "r.csv",
        GENERIC,
        "Cy Nordström,,,,300",
        "Ada Lind,ADA.LIND@example.org,,,610",
        "Cy Nordström,,,,0:02:05",
        "Gus Berg,,,,",
    )

    report = await import_report(spring, path)

    assert report.ok, report.problems
    assert counts(report)["attendance"] == (3, 0, 0, 0)
    assert await attended(spring) == {"ada": 610, "cy": 425, "gus": None}


async def test_a_renamed_zoom_participant_is_found_by_their_original_name(
    spring: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(tmp_path / "r.csv", ZOOM, "Cy (Cy Nordström),,,,5,No", "gus berg ,,,,5,No")

    report = await import_report(spring, path)

    assert report.ok, report.problems
    assert set(await attended(spring)) == {"cy", "gus"}


async def test_a_known_name_outside_the_meetings_group_is_not_matched(
    spring: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(tmp_path / "r.csv", GENERIC, "Hal Visitor,,,,60")

    report = await import_report(spring, path)

    (problem,) = report.problems
    assert (problem.field, problem.value) == ("name", "Hal Visitor")
    assert "no member of group spring has this name" in problem.reason
    assert await attended(spring) == {}


async def test_an_email_finds_people_outside_the_group_too(
    spring: EmbeddedStore, tmp_path: Path
) -> None:
    await spring.apply(batch_of([person("hal", name="Hal Visitor", email="hal@example.net")]))
    path = write(tmp_path / "r.csv", GENERIC, "H. Visitor,HAL@example.net,,,60")

    report = await import_report(spring, path)

    assert report.ok, report.problems
    assert await attended(spring) == {"hal": 60}


async def test_two_members_with_one_name_are_reported_not_guessed(
    spring: EmbeddedStore, tmp_path: Path
) -> None:
    await spring.apply(batch_of([person("gus2", name="Gus Berg"), membership("spring", "gus2")]))
    path = write(tmp_path / "r.csv", GENERIC, "Gus Berg,,,,60")

    report = await import_report(spring, path)

    (problem,) = report.problems
    assert "several members of group spring have this name (gus, gus2)" in problem.reason
    assert await attended(spring) == {}


async def test_a_speaking_time_already_stored_is_kept_when_the_report_has_none(
    spring: EmbeddedStore, tmp_path: Path
) -> None:
    await spring.apply(batch_of([attendance("spring-1", "fay", speaking_s=455)]))
    path = write(tmp_path / "r.csv", ZOOM, "Fay Olsson,fay.olsson@example.org,,,50,No")

    report = await import_report(spring, path)

    assert counts(report)["attendance"] == (0, 0, 1, 0)
    assert await attended(spring) == {"fay": 455}


async def test_attending_leaves_a_meeting_interaction_between_every_two_attendees(
    spring: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(tmp_path / "r.csv", GENERIC, "Ada Lind,,,,1", "Cy Nordström,,,,2")

    await import_report(spring, path)

    tie = await spring.tie("ada", "cy")
    assert tie is not None
    assert tie.count == 1


async def test_importing_the_same_report_again_changes_nothing(spring: EmbeddedStore) -> None:
    path = FIXTURES / "meeting-report.csv"
    first = await import_report(spring, path)
    after_first = await everything(spring)

    again = await import_report(spring, path)

    assert first.ok, first.problems
    assert counts(first) == {"attendance": (4, 0, 0, 0), "interaction": (6, 0, 0, 0)}
    assert counts(again) == {"attendance": (0, 0, 4, 0)}
    assert await everything(spring) == after_first
    assert await attended(spring) == {"ada": 610, "cy": 425, "fay": 455, "gus": None}


async def test_a_rejected_row_adds_nothing_to_its_person(
    spring: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(tmp_path / "r.csv", GENERIC, "Cy Nordström,,,,300", "Cy Nordström,,,,lots")

    report = await import_report(spring, path)

    assert [(p.record, p.field) for p in report.problems] == [(f"{path} line 3", "talk_seconds")]
    assert counts(report)["attendance"] == (1, 0, 0, 1)
    assert await attended(spring) == {"cy": 300}


async def test_a_dry_run_writes_nothing(spring: EmbeddedStore) -> None:
    before = await everything(spring)

    report = await import_report(spring, FIXTURES / "meeting-report.csv", dry_run=True)

    assert counts(report)["attendance"] == (4, 0, 0, 0)
    assert await everything(spring) == before


async def test_the_meeting_must_be_stored(spring: EmbeddedStore, tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", GENERIC, "Ada Lind,,,,1")

    with pytest.raises(UnknownTarget, match="--meeting 'spring-9': no meeting has this id"):
        await import_files(spring, [path], file_format="meeting-report", meeting="spring-9")
    assert await attended(spring) == {}


async def test_attendance_keeps_meeting_and_person_ids(
    spring: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(tmp_path / "r.csv", GENERIC, "Gus Berg,,,,42")

    await import_report(spring, path)

    assert await spring.attendance(person_ids=["gus"]) == [
        Attendance(meeting_id="spring-1", person_id="gus", speaking_s=42)
    ]


# -- matching by name and organization ------------------------------------------------------


@pytest.fixture
async def with_ivy(spring: EmbeddedStore) -> EmbeddedStore:
    """The spring group, and Ivy Holm of Acme Bank, known but no member and without e-mail."""
    await spring.apply(
        batch_of(
            [
                organization("acme", name="Acme Bank"),
                organization("northwind", name="Northwind"),
                person("ivy", name="Ivy Holm", organization_id="acme"),
            ]
        )
    )
    return spring


def test_an_organization_column_is_read_under_its_usual_names() -> None:
    for header in ("organization", "Organisation", "Company"):
        (row,) = participations(parse(f"name,{header}", "Ivy Holm,Acme Bank"))
        assert row.organization == "Acme Bank"


async def test_someone_outside_the_group_is_found_by_name_at_the_organization_the_row_names(
    with_ivy: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(tmp_path / "r.csv", WITH_ORGANIZATION, "IVY  holm,,ACME bank,60", "Gus Berg,,,5")

    report = await import_report(with_ivy, path)

    assert report.ok, report.problems
    assert await attended(with_ivy) == {"ivy": 60, "gus": 5}
    assert report.identifications() == {
        Identification.GROUP_NAME: 1,
        Identification.NAME_AND_ORGANIZATION: 1,
    }
    assert [(i.label, i.person_id, i.organization_id) for i in report.identities] == [
        (f"{path} line 2", "ivy", "acme"),
        (f"{path} line 3", "gus", None),
    ]


async def test_two_known_people_of_the_name_at_the_organization_are_reported_never_guessed(
    with_ivy: EmbeddedStore, tmp_path: Path
) -> None:
    await with_ivy.apply(batch_of([person("ivy2", name="Ivy Holm", organization_id="acme")]))
    path = write(tmp_path / "r.csv", WITH_ORGANIZATION, "Ivy Holm,,Acme Bank,60")

    report = await import_report(with_ivy, path)

    (problem,) = report.problems
    assert (problem.field, problem.value) == ("name", "Ivy Holm")
    assert "several known people at acme have this name (ivy, ivy2)" in problem.reason
    assert report.identifications() == {Identification.AMBIGUOUS: 1}
    assert await attended(with_ivy) == {}


async def test_the_name_at_another_organization_is_not_matched(
    with_ivy: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "r.csv",
        WITH_ORGANIZATION,
        "Ivy Holm,,Northwind,60",
        "Ivy Holm,,Nobody Inc,60",
    )

    report = await import_report(with_ivy, path)

    assert [p.value for p in report.problems] == ["Ivy Holm", "Ivy Holm"]
    assert "nor at organization 'Northwind'" in report.problems[0].reason
    assert await attended(with_ivy) == {}


async def test_without_name_matching_only_the_group_is_searched_by_name(
    with_ivy: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(tmp_path / "r.csv", WITH_ORGANIZATION, "Ivy Holm,,Acme Bank,60", "Gus Berg,,,5")

    report = await import_report(with_ivy, path, match_names=False)

    (problem,) = report.problems
    assert (problem.record, problem.value) == (f"{path} line 2", "Ivy Holm")
    assert "no member of group spring has this name" in problem.reason
    assert await attended(with_ivy) == {"gus": 5}


async def test_a_member_of_the_name_is_found_before_anyone_at_the_organization(
    with_ivy: EmbeddedStore, tmp_path: Path
) -> None:
    await with_ivy.apply(batch_of([person("gus-acme", name="Gus Berg", organization_id="acme")]))
    path = write(tmp_path / "r.csv", WITH_ORGANIZATION, "Gus Berg,,Acme Bank,60")

    report = await import_report(with_ivy, path)

    assert report.ok, report.problems
    assert await attended(with_ivy) == {"gus": 60}


async def test_importing_again_after_matching_by_name_changes_nothing(
    with_ivy: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(tmp_path / "r.csv", WITH_ORGANIZATION, "Ivy Holm,,Acme Bank,60", "Gus Berg,,,5")
    first = await import_report(with_ivy, path)
    after_first = await everything(with_ivy)

    again = await import_report(with_ivy, path)

    assert first.ok, first.problems
    assert counts(again) == {"attendance": (0, 0, 2, 0)}
    assert again.identifications() == first.identifications()
    assert await everything(with_ivy) == after_first

"""iCalendar exports of Google Calendar and Outlook: a group's meetings, and who was invited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.model import GroupFormat, Meeting
from graph.importing import Rejected
from graph.importing.ics import meeting_id_of, parse_calendar
from graph.importing.runner import ImportReport, ImportUsageError, UnknownTarget, import_files
from graph.ports import GraphStore, batch_of
from tests.factories import attendance, group, membership, person
from tests.importing.test_import_runner import everything

FIXTURES = Path(__file__).parent / "fixtures"
GOOGLE = FIXTURES / "google-calendar.ics"
OUTLOOK = FIXTURES / "outlook-calendar.ics"
WEEKLY = "5q9v0c2m7j3k1l8n4p6r0t2v4x@google.com"
DINNER = "0a1b2c3d4e5f6g7h8i9j@google.com"
CHECK_IN = (
    "040000008200E00074C5B7101A82E00800000000D0B2C1A7F1E5DA01000000000000000"
    "01000000045D3A4E4B2E1F14B8C7A0C5E6D7F8091"
)


def utc(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def line_of(path: Path, text: str) -> int:
    """The number of the first line of ``path`` that holds ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)


def counts(report: ImportReport) -> dict[str, tuple[int, int, int, int]]:
    return {kind: (c.created, c.updated, c.unchanged, c.rejected) for kind, c in report.rows()}


@pytest.fixture
async def circle(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    """Lena leads a group of Amir, Britt and Carl through 2024; Britt has no e-mail on record."""
    store = EmbeddedStore(tmp_path / "store")
    await store.open()
    await store.apply(
        batch_of(
            [
                person("lena", name="Lena Berg", email="lena@example.org"),
                person("amir", name="Amir Haddad", email="amir@example.org"),
                person("britt", name="Britt Holm"),
                person("carl", name="Carl Nilsson", email="carl@example.org"),
                group("circle", leader_id="lena", ends_on=date(2024, 12, 31)),
                membership("circle", "amir"),
                membership("circle", "britt"),
                membership("circle", "carl"),
            ]
        )
    )
    try:
        yield store
    finally:
        await store.close()


async def import_calendar(store: GraphStore, path: Path, **options: object) -> ImportReport:
    return await import_files(store, [path], group="circle", **options)  # type: ignore[arg-type]


async def meetings(store: GraphStore) -> dict[str, Meeting]:
    return {m.id: m for m in (await store.list_records(Meeting, first=100)).items}


async def attendees(store: GraphStore, meeting_id: str) -> set[str]:
    return {a.person_id for a in await store.attendance(meeting_ids=[meeting_id])}


# -- Google Calendar ----------------------------------------------------------------------------


async def test_google_occurrences_become_meetings_in_utc_less_exceptions_and_cancellations(
    circle: EmbeddedStore,
) -> None:
    await import_calendar(circle, GOOGLE)

    found = await meetings(circle)
    # Weekly on Tuesdays at 18:00 Stockholm time, four times: the 19th excepted (EXDATE), the
    # 26th cancelled, 2 April moved to 19:00 (summer time by then: 17:00 UTC).
    assert sorted((m.starts_at, m.theme) for m in found.values()) == [
        (utc(2024, 3, 12, 17), "Communicators: weekly session"),
        (utc(2024, 4, 2, 17), "Communicators: weekly session (moved an hour later)"),
        (utc(2024, 4, 16, 16), "Closing dinner"),
    ]
    first = found[meeting_id_of(WEEKLY, utc(2024, 3, 12, 17))]
    assert (first.group_id, first.duration_s, first.format) == ("circle", 90 * 60, "digital")
    # The moved occurrence keeps the id of the slot it was moved from (18:00 CEST).
    assert meeting_id_of(WEEKLY, utc(2024, 4, 2, 16)) in found
    dinner = found[meeting_id_of(DINNER, utc(2024, 4, 16, 16))]
    assert dinner.format == GroupFormat.IN_PERSON


async def test_google_attendees_are_found_by_email_then_by_name_and_decliners_left_out(
    circle: EmbeddedStore,
) -> None:
    await import_calendar(circle, GOOGLE)

    # Amir by e-mail; Britt by her name (her gmail address is unknown); Carl declined.
    assert await attendees(circle, meeting_id_of(WEEKLY, utc(2024, 3, 12, 17))) == {
        "lena",
        "amir",
        "britt",
    }
    # The moved occurrence lists its own attendees.
    assert await attendees(circle, meeting_id_of(WEEKLY, utc(2024, 4, 2, 16))) == {"lena", "amir"}
    # Carl came to dinner from a private address, found by his name in the group.
    assert await attendees(circle, meeting_id_of(DINNER, utc(2024, 4, 16, 16))) == {
        "lena",
        "carl",
    }


async def test_an_unknown_attendee_is_reported_once_and_never_invented(
    circle: EmbeddedStore,
) -> None:
    report = await import_calendar(circle, GOOGLE)

    assert [(p.record, p.field, p.value) for p in report.problems] == [
        (f"{GOOGLE} line {line_of(GOOGLE, 'CN=ze')}", "ATTENDEE", "zeke@example.net")
    ]
    assert "add the person first" in report.problems[0].reason
    assert counts(report)["attendance"] == (7, 0, 0, 1)
    assert counts(report)["meeting"] == (3, 0, 0, 0)
    assert await circle.people_by_contact(emails=["zeke@example.net"]) == {}


# -- Outlook -------------------------------------------------------------------------------------


async def test_outlook_windows_time_zones_and_a_cancelled_override_are_honoured(
    circle: EmbeddedStore,
) -> None:
    report = await import_calendar(circle, OUTLOOK)

    assert report.ok, report.problems
    found = await meetings(circle)
    # First Tuesday monthly at 10:00 "W. Europe Standard Time" until 3 December; November's
    # cancelled. October is summer time (08:00 UTC), December winter time (09:00 UTC).
    assert sorted(m.starts_at for m in found.values()) == [
        utc(2024, 10, 1, 8),
        utc(2024, 12, 3, 9),
    ]
    assert {m.theme for m in found.values()} == {"Alumni check-in"}
    assert {m.format for m in found.values()} == {GroupFormat.DIGITAL}
    # The room is no person; Carl's upper-case address is his; Britt is found by name.
    for meeting_id in found:
        assert await attendees(circle, meeting_id) == {"lena", "amir", "britt", "carl"}
    assert meeting_id_of(CHECK_IN, utc(2024, 10, 1, 8)) in found


def test_a_windows_zone_name_without_its_vtimezone_block_is_still_understood() -> None:
    text = (
        "BEGIN:VCALENDAR\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\n"
        "BEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=W. Europe Standard Time:20240702T100000\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    parsed = parse_calendar(text, source="c.ics")
    assert not isinstance(parsed, Rejected)
    (event,) = parsed.calendar.walk("VEVENT")
    assert event.decoded("DTSTART").astimezone(UTC) == utc(2024, 7, 2, 8)


# -- re-importing ------------------------------------------------------------------------------


async def test_importing_the_same_calendars_again_changes_nothing(circle: EmbeddedStore) -> None:
    await import_calendar(circle, GOOGLE)
    await import_calendar(circle, OUTLOOK)
    before = await everything(circle)

    again = await import_files(circle, [GOOGLE, OUTLOOK], group="circle")

    assert counts(again)["meeting"] == (0, 0, 5, 0)
    assert counts(again)["attendance"] == (0, 0, 15, 1)
    assert await everything(circle) == before


async def test_a_speaking_time_recorded_from_a_report_survives_a_calendar_import(
    circle: EmbeddedStore,
) -> None:
    await import_calendar(circle, OUTLOOK)
    october = meeting_id_of(CHECK_IN, utc(2024, 10, 1, 8))
    await circle.apply(batch_of([attendance(october, "amir", speaking_s=300)]))

    await import_calendar(circle, OUTLOOK)

    stored = {a.person_id: a.speaking_s for a in await circle.attendance(meeting_ids=[october])}
    assert stored["amir"] == 300


async def test_ics_files_are_read_as_calendars_by_their_extension_and_need_a_group(
    circle: EmbeddedStore,
) -> None:
    with pytest.raises(ImportUsageError, match="--group"):
        await import_files(circle, [GOOGLE])
    with pytest.raises(UnknownTarget, match="no group"):
        await import_files(circle, [GOOGLE], group="nobody")
    with pytest.raises(ImportUsageError, match="--group applies only"):
        await import_files(circle, [FIXTURES / "network.jsonl"], group="circle")


async def test_only_occurrences_within_the_groups_dates_are_its_meetings(
    circle: EmbeddedStore,
) -> None:
    await circle.apply(batch_of([group("circle", leader_id="lena", ends_on=date(2024, 3, 31))]))

    await import_calendar(circle, GOOGLE)

    assert [m.starts_at for m in (await meetings(circle)).values()] == [utc(2024, 3, 12, 17)]


# -- malformed files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        (
            "DTSTART;TZID=Europe/Stockholm:20240312T180000",
            "DTSTART;TZID=Europe/Stockholm:2024-03-12 18:00",
            "DTSTART",
            "datetime",
        ),
        ("RRULE:FREQ=WEEKLY;", "RRULE:FREQ=SOMETIMES;", "RRULE", "frequency"),
        ("SEQUENCE:1", "SEQUENCE 1", "(line)", "NAME"),
        ("END:VEVENT\r\nBEGIN:VEVENT", "BEGIN:VEVENT", "END", "END:VEVENT"),
    ],
)
async def test_a_malformed_file_is_rejected_whole_naming_the_line_and_stores_nothing(
    circle: EmbeddedStore, tmp_path: Path, old: str, new: str, field: str, reason: str
) -> None:
    text = GOOGLE.read_bytes().decode("utf-8")
    assert old in text
    broken = tmp_path / "broken.ics"
    broken.write_bytes(text.replace(old, new, 1).encode("utf-8"))
    first = new.split("\r\n")[0]
    expected_line = line_of(broken, first) if field != "END" else None

    report = await import_calendar(circle, broken)

    assert not report.ok
    problem = report.problems[0]
    assert problem.field == field
    if field == "DTSTART":
        assert problem.value == "2024-03-12 18:00"
    assert reason in problem.reason
    assert problem.record.startswith(f"{broken} line ")
    if expected_line is not None:
        assert problem.record == f"{broken} line {expected_line}"
    assert await meetings(circle) == {}


async def test_an_all_day_event_is_no_meeting_and_says_so(
    circle: EmbeddedStore, tmp_path: Path
) -> None:
    holiday = tmp_path / "holiday.ics"
    holiday.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:holiday\r\n"
        "DTSTART;VALUE=DATE:20240501\r\nSUMMARY:May Day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        encoding="utf-8",
    )

    report = await import_calendar(circle, holiday)

    assert [(p.record, p.field, p.reason) for p in report.problems] == [
        (f"{holiday} line 3", "DTSTART", "an all-day event has no time")
    ]
    assert await meetings(circle) == {}

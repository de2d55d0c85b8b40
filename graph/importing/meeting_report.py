"""Who attended a meeting, and how long they spoke, from a video-meeting participant report.

Two shapes are read, told apart by nothing but their header (see :data:`COLUMNS`): Zoom's
participant export (``Name (Original Name),User Email,Join Time,Leave Time,Duration
(Minutes),...``, with or without the meeting's own details on the lines before it) and a
generic one (``name,email,joined,left,talk_seconds``). Reading takes two steps:

1. :func:`parse_meeting_report` (pure) reads each row into a :class:`Participation`, or
   rejects it naming the line, the column, the value and the reason.
2. :func:`attendance_records` (reads the store, writes nothing) finds the person of each row:
   by e-mail among everyone known, else by name among the meeting's group (its members and its
   leader). Someone it cannot find is reported, never invented. A person's rows (one per time
   they joined) become one :class:`~graph.domain.model.Attendance`, their speaking times summed.

Join and leave times are checked (a leave before its join is an error) but not stored: an
attendance records who was there and how long they spoke. See ``docs/import-formats.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from graph.domain.errors import Problem
from graph.domain.model import Attendance, Group, Meeting, Person
from graph.importing import ParseResult, Rejected, check_record, instant_from
from graph.importing.csv_table import TableRow, TableSpec, decoded_lines, read_table
from graph.importing.identity import (
    Identification,
    Identified,
    Resolved,
    known_organizations,
    organization_id_for,
    people_by_email,
    people_by_name,
    people_by_name_at,
)
from graph.ports import GraphStore, email_key, person_name_key

__all__ = [
    "COLUMNS",
    "Participation",
    "attendance_records",
    "name_key",
    "parse_meeting_report",
    "parse_moment",
    "parse_talk_seconds",
    "read_meeting_report",
]

_KIND = "attendance"

COLUMNS: dict[str, str] = {
    # who
    "name": "name",
    "name (original name)": "name",
    "full name": "name",
    "participant": "name",
    "participant name": "name",
    "display name": "name",
    "email": "email",
    "e-mail": "email",
    "user email": "email",
    "email address": "email",
    "organization": "organization",
    "organisation": "organization",
    "company": "organization",
    # when
    "joined": "joined",
    "join time": "joined",
    "join_time": "joined",
    "left": "left",
    "leave time": "left",
    "leave_time": "left",
    # how long they spoke
    "talk_seconds": "talk",
    "speaking_seconds": "talk",
    "talk time": "talk",
    "speaking time": "talk",
}
"""Every header the reader recognises (compared trimmed, ignoring case and repeated spaces),
by the column it is. Other columns (``Duration (Minutes)``, ``Guest``, ...) are ignored."""

SPEC = TableSpec(
    kind=_KIND,
    columns=COLUMNS,
    required=(),
    # Zoom's meeting details (``Meeting ID,Topic,...,User Email,...``) name the host's e-mail
    # but nothing about joining or speaking: they are notes before the participants' header.
    is_header=lambda named: (
        "name" in named or ("email" in named and bool(named & {"joined", "left", "talk"}))
    ),
    expected="a name or e-mail column (e.g. name,email,joined,left,talk_seconds or Zoom's"
    " Name (Original Name),User Email,Join Time,Leave Time,...)",
)

_WHOLE = re.compile(r"\d+")
_CLOCK = re.compile(r"(?:(\d+):)?([0-5]?\d):([0-5]\d)")
_US_TIME = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp][Mm]))?"
)
NOT_SECONDS = "must be whole seconds (e.g. 754) or h:mm:ss (e.g. 0:12:34)"
NOT_A_MOMENT = (
    "must be a time: ISO-8601 (2024-03-12T10:02:15Z, or without a zone), Unix seconds, or"
    " MM/DD/YYYY hh:mm:ss [AM|PM]"
)


@dataclass(frozen=True, slots=True)
class Participation:
    """One row of a report: someone's stay in the meeting (a person may have several)."""

    label: str
    name: str | None
    email: str | None
    talk_s: int | None
    organization: str | None = None
    """The organization the row names (e.g. Zoom's registration column), as written."""
    headers: dict[str, str] = field(default_factory=dict)

    def column(self, own: str) -> str:
        """Return how the file spells the column ``own``."""
        return self.headers.get(own, own)


def parse_talk_seconds(text: str) -> int:
    """Read a speaking time: whole seconds or ``[h:]mm:ss``; raise ``ValueError`` if neither.

    >>> parse_talk_seconds("754"), parse_talk_seconds("0:12:34"), parse_talk_seconds("12:34")
    (754, 754, 754)
    """
    value = text.strip()
    if _WHOLE.fullmatch(value):
        return int(value)
    clock = _CLOCK.fullmatch(value)
    if clock:
        hours = int(clock[1] or 0)
        return hours * 3600 + int(clock[2]) * 60 + int(clock[3])
    raise ValueError(NOT_SECONDS)


def parse_moment(text: str) -> datetime:
    """Read a join or leave time. Times without a zone stay naive (they are only compared with
    each other); raise ``ValueError`` if ``text`` is no time.

    >>> parse_moment("03/12/2024 01:05:09 PM")
    datetime.datetime(2024, 3, 12, 13, 5, 9)
    """
    value = text.strip()
    found = _US_TIME.fullmatch(value)
    try:
        if found:
            month, day, year, hour, minute = (int(found[i]) for i in range(1, 6))
            second = int(found[6] or 0)
            half = (found[7] or "").lower()
            if half:
                if not 1 <= hour <= 12:
                    raise ValueError(NOT_A_MOMENT)
                hour = hour % 12 + (12 if half == "pm" else 0)
            return datetime(year, month, day, hour, minute, second)
        try:
            return instant_from(value)
        except ValueError:
            return datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(NOT_A_MOMENT) from error


def _participation(row: TableRow) -> Participation | Rejected:
    problems: list[Problem] = []
    name = row.get("name")
    email = row.get("email")
    if name is None and email is None:
        column = row.header("name") if "name" in row.headers else row.header("email")
        problems.append(Problem(row.label, column, "", "a name or an e-mail is required"))
    if email is not None and email_key(email) is None:
        problems.append(Problem(row.label, row.header("email"), email, "must be an e-mail address"))
    moments: dict[str, datetime] = {}
    for column in ("joined", "left"):
        text = row.get(column)
        if text is None:
            continue
        try:
            moments[column] = parse_moment(text)
        except ValueError as error:
            problems.append(Problem(row.label, row.header(column), text, str(error)))
    joined, left = moments.get("joined"), moments.get("left")
    if (
        joined is not None
        and left is not None
        and (joined.tzinfo is None) == (left.tzinfo is None)
        and left < joined
    ):
        problems.append(
            Problem(row.label, row.header("left"), row.get("left"), "is before the join time")
        )
    talk_s: int | None = None
    talk_text = row.get("talk")
    if talk_text is not None:
        try:
            talk_s = parse_talk_seconds(talk_text)
        except ValueError as error:
            problems.append(Problem(row.label, row.header("talk"), talk_text, str(error)))
    if problems:
        return Rejected(row.label, _KIND, tuple(problems))
    return Participation(
        label=row.label,
        name=None if name is None else unicodedata.normalize("NFC", name),
        email=email,
        talk_s=talk_s,
        organization=row.get("organization"),
        headers=dict(row.headers),
    )


def parse_meeting_report(
    lines: Iterable[str], *, source: str
) -> Iterator[Participation | Rejected]:
    """Yield a :class:`Participation` per row of a participant report, or its rejection.

    ``lines`` are the file's lines with their line endings; lines before the header are
    skipped; labels read ``<source> line N``.

    >>> rows = ["name,email,joined,left,talk_seconds\\n", "Ada Lind,,,,120\\n"]
    >>> [(p.name, p.talk_s) for p in parse_meeting_report(rows, source="r.csv")]
    [('Ada Lind', 120)]
    """
    for row in read_table(lines, source=source, spec=SPEC):
        yield row if isinstance(row, Rejected) else _participation(row)


def read_meeting_report(
    path: Path, *, source: str | None = None
) -> Iterator[Participation | Rejected]:
    """Stream a participant report through :func:`parse_meeting_report`.

    Raises ``OSError`` if the file cannot be read.
    """
    yield from parse_meeting_report(
        decoded_lines(path), source=str(path) if source is None else source
    )


# ---------------------------------------------------------------------------------------------
# Finding the people.


def name_key(name: str) -> str:
    """Return the form names are matched by (:func:`~graph.ports.person_name_key`; ``""`` for
    a blank name).

    >>> name_key("  Ada   LIND ")
    'ada lind'
    """
    return person_name_key(name) or ""


_RENAMED = re.compile(r"(.+?)\s*\((.+)\)")


def _names_of(name: str) -> list[str]:
    """Return the names a report's name cell may mean, most likely first: the cell, then (for
    Zoom's ``Shown name (Original Name)``) the original name and the shown one."""
    names = [name]
    renamed = _RENAMED.fullmatch(name.strip())
    if renamed:
        names += [renamed[2], renamed[1]]
    return names


@dataclass(slots=True)
class _Attendee:
    label: str
    """The label of the person's first row."""
    talk_s: int | None = None


async def _group_people(store: GraphStore, meeting: Meeting) -> list[Person]:
    """Return the people of the meeting's group: its members and its leader."""
    ids = {m.person_id for m in await store.memberships(group_ids=[meeting.group_id])}
    group = (await store.get(Group, [meeting.group_id])).get(meeting.group_id)
    if group is not None and group.leader_id is not None:
        ids.add(group.leader_id)
    return sorted((await store.get(Person, ids)).values(), key=lambda p: p.id)


@dataclass(frozen=True, slots=True)
class _Found:
    """The person a row names, how they were found, and at which organization (by name)."""

    person_id: str
    how: Identification
    organization_id: str | None = None


@dataclass(slots=True)
class _Known:
    """What the store holds that the rows of one report may name."""

    by_email: dict[str, list[Person]]
    by_name: dict[str, list[Person]]
    """The meeting's group (members and leader) by name key."""
    members: set[str]
    organizations: dict[str, str]
    """Stored organization ids by the id their names derive to (only if a row names one)."""
    by_name_at: dict[tuple[str, str], list[Person]]
    """Everyone known, by name key and organization id, for the rows' names and organizations."""
    group_id: str
    match_names: bool
    """Whether rows may match people outside the group by name and organization."""


def _organization_of(row: Participation, known: _Known) -> str | None:
    """Return the stored organization the row names, if any."""
    if row.organization is None:
        return None
    return known.organizations.get(organization_id_for(row.organization))


@dataclass(frozen=True, slots=True)
class _Ambiguous:
    """A row that names several people: the problem to report."""

    problem: Problem


def _ambiguous(row: Participation, column: str, value: str | None, reason: str) -> _Ambiguous:
    return _Ambiguous(Problem(row.label, row.column(column), value, reason))


def _who(row: Participation, known: _Known) -> _Found | _Ambiguous | Problem:
    """Return the person a row names and how they were found, or the problem that says why
    there is none."""
    group_id = known.group_id
    if row.email is not None:
        people = known.by_email.get(email_key(row.email) or "", [])
        if len(people) > 1:
            # Two records share an address; the one in the group is the one who came.
            people = [p for p in people if p.id in known.members] or people
        if len(people) == 1:
            return _Found(people[0].id, Identification.EMAIL)
        if len(people) > 1:
            ids = ", ".join(p.id for p in people)
            return _ambiguous(
                row,
                "email",
                row.email,
                f"several people have this e-mail ({ids}); cannot tell which one attended",
            )
    if row.name is not None:
        for name in _names_of(row.name):
            people = known.by_name.get(name_key(name), [])
            if len(people) == 1:
                return _Found(people[0].id, Identification.GROUP_NAME)
            if len(people) > 1:
                ids = ", ".join(p.id for p in people)
                return _ambiguous(
                    row,
                    "name",
                    row.name,
                    f"several members of group {group_id} have this name ({ids});"
                    " give their e-mail in the report",
                )
        organization_id = _organization_of(row, known)
        if organization_id is not None:
            for name in _names_of(row.name):
                people = known.by_name_at.get((name_key(name), organization_id), [])
                if len(people) == 1:
                    return _Found(
                        people[0].id, Identification.NAME_AND_ORGANIZATION, organization_id
                    )
                if len(people) > 1:
                    ids = ", ".join(p.id for p in people)
                    return _ambiguous(
                        row,
                        "name",
                        row.name,
                        f"several known people at {organization_id} have this name ({ids});"
                        " cannot tell which one attended, so the row was not imported: give"
                        " their e-mail in the report",
                    )
    elsewhere = ""
    if known.match_names and row.name is not None and row.organization is not None:
        elsewhere = f" nor at organization {row.organization!r}"
    if row.email is not None and row.name is not None:
        return Problem(
            row.label,
            row.column("email"),
            row.email,
            f"no known person has this e-mail and no member of group {group_id}{elsewhere} is"
            f" called {row.name!r}; add the person first",
        )
    if row.email is not None:
        return Problem(
            row.label,
            row.column("email"),
            row.email,
            "no known person has this e-mail; add the person first",
        )
    return Problem(
        row.label,
        row.column("name"),
        row.name,
        f"no member of group {group_id}{elsewhere} has this name; add an e-mail column or the"
        " person first",
    )


async def _known(
    store: GraphStore, rows: list[Participation], meeting: Meeting, *, match_names: bool
) -> _Known:
    by_email = await people_by_email(store, (p.email for p in rows if p.email is not None))
    group = await _group_people(store, meeting)
    by_name = people_by_name(group)
    known = _Known(
        by_email=by_email,
        by_name=by_name,
        members={p.id for p in group},
        organizations={},
        by_name_at={},
        group_id=meeting.group_id,
        match_names=match_names,
    )
    with_organization = [p for p in rows if p.name is not None and p.organization is not None]
    if match_names and with_organization:
        known.organizations = await known_organizations(store)
        names = [
            (name, organization_id)
            for row in with_organization
            if row.name is not None and (organization_id := _organization_of(row, known))
            for name in _names_of(row.name)
        ]
        known.by_name_at = await people_by_name_at(store, names)
    return known


async def attendance_records(
    store: GraphStore,
    rows: Iterable[Participation | Rejected],
    *,
    meeting: Meeting,
    match_names: bool = True,
) -> Resolved:
    """Turn a report's rows into one attendance per person found, labelled with their first
    row; reject the rows whose person cannot be found. Say how each row's person was found.
    Reads the store; writes nothing.

    A row's person is the one with its e-mail, else the only member (or leader) of the
    meeting's group with its name, else (with ``match_names``, when the row names an
    organization that is stored) the only person known by that name at that organization.
    A person's speaking time is the sum over their rows that give one. When no row does, a
    speaking time already stored for them at this meeting is kept.
    """
    results: list[ParseResult] = []
    identities: list[Identified] = []
    participations: list[Participation] = []
    for row in rows:
        if isinstance(row, Rejected):
            results.append(row)
        else:
            participations.append(row)
    if not participations:
        return Resolved(results, identities)
    known = await _known(store, participations, meeting, match_names=match_names)

    attendees: dict[str, _Attendee] = {}
    for row in participations:
        who = _who(row, known)
        if isinstance(who, Problem):
            results.append(Rejected(row.label, _KIND, (who,)))
            continue
        if isinstance(who, _Ambiguous):
            results.append(Rejected(row.label, _KIND, (who.problem,)))
            identities.append(
                Identified(row.label, Identification.AMBIGUOUS, row.name or row.email, None)
            )
            continue
        identities.append(
            Identified(
                row.label,
                who.how,
                row.name or row.email,
                who.person_id,
                organization_id=who.organization_id,
            )
        )
        attendee = attendees.setdefault(who.person_id, _Attendee(label=row.label))
        if row.talk_s is not None:
            attendee.talk_s = (attendee.talk_s or 0) + row.talk_s
    stored = {a.person_id: a for a in await store.attendance(meeting_ids=[meeting.id])}
    for person_id, attendee in attendees.items():
        talk_s = attendee.talk_s
        if talk_s is None and person_id in stored:
            talk_s = stored[person_id].speaking_s
        record = Attendance(meeting_id=meeting.id, person_id=person_id, speaking_s=talk_s)
        problems = check_record(record, attendee.label)
        if problems:
            results.append(Rejected(attendee.label, _KIND, tuple(problems)))
        else:
            results.append((record, attendee.label))
    return Resolved(results, identities)

"""A group's meetings, and who was invited to them, from an iCalendar export (Google, Outlook).

RFC 5545 is read by ``icalendar`` and recurrences are expanded by ``recurring_ical_events``;
this module decides what an event means for a group. Reading takes two steps:

1. :func:`parse_calendar` (pure) checks the file's structure line by line (every content line
   ``NAME;PARAMS:VALUE``, every ``BEGIN`` closed by its ``END``) and lets ``icalendar`` read
   it; a value it cannot read (a ``DTSTART`` that is no time, an ``RRULE`` it does not
   understand) rejects the whole file, naming the line and the property, so that nothing of a
   half-understood calendar is stored.
2. :func:`meeting_records` (reads the store, writes nothing) expands every event within the
   group's dates: repetitions (``RRULE``, ``RDATE``) less their exceptions (``EXDATE``),
   moved occurrences (``RECURRENCE-ID``) at their new time, and occurrences or events whose
   ``STATUS`` is ``CANCELLED`` skipped. Each occurrence becomes a
   :class:`~graph.domain.model.Meeting` whose id comes from the event's ``UID`` and the
   occurrence's original start, so importing the calendar again (or after a change) updates
   the same meetings. Times are read in the zone the file gives them (its ``VTIMEZONE``
   blocks, ``TZID`` parameters -- Outlook's Windows names such as ``W. Europe Standard Time``
   included) and stored in UTC.

Every organizer and attendee who did not decline becomes an
:class:`~graph.domain.model.Attendance` (rooms and other resources, and non-participants, are
not people). Attendees are found by e-mail among everyone known, else by their ``CN`` among the
group's members and leader; someone not found is reported once per event, never invented.
All-day events have no time and are rejected one by one. See ``docs/import-formats.md``.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import icalendar
import recurring_ical_events

from graph.domain.errors import Problem
from graph.domain.model import Attendance, Group, GroupFormat, Meeting, Person
from graph.importing import ParseResult, Rejected, check_record
from graph.importing.identity import people_by_email, people_by_name
from graph.importing.meeting_report import name_key
from graph.ports import GraphStore, email_key

__all__ = [
    "Calendar",
    "meeting_id_of",
    "meeting_records",
    "parse_calendar",
    "read_calendar",
]

_KIND = "meeting"
_CONTENT_LINE = re.compile(
    r"""[A-Za-z0-9-]+                                   # the property's name
        (?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^";:,]*)          # parameters, quoted or not
           (?:,(?:"[^"]*"|[^";:,]*))*)*
        :""",
    re.VERBOSE,
)
_OPEN_ENDED = timedelta(days=366)
"""How far past the latest start in the file a rule without an end is expanded, when the group
has no end date either."""
_DECLINED = "DECLINED"
_NOT_PEOPLE = {"RESOURCE", "ROOM", "GROUP", "UNKNOWN"}
_ONLINE = re.compile(r"teams|zoom|meet\.google|webex|whereby|skype|https?://", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Line:
    """One content line, unfolded: where it starts in the file, its name and its text."""

    number: int
    name: str
    text: str


@dataclass(slots=True)
class _Component:
    """A ``BEGIN``..``END`` block as the file spells it: its kind and its own content lines."""

    kind: str
    begins: int
    lines: list[_Line] = field(default_factory=list)

    def line_of(self, name: str) -> int:
        """Return the line of this block's first ``name`` property (its BEGIN line if none)."""
        return next((line.number for line in self.lines if line.name == name), self.begins)


@dataclass(frozen=True, slots=True)
class Calendar:
    """A calendar file read and checked: ``icalendar``'s object, and where each block begins."""

    source: str
    calendar: icalendar.Calendar
    components: tuple[_Component, ...]

    def label(self, number: int) -> str:
        """Return the label of a line: ``<source> line N``."""
        return f"{self.source} line {number}"


def _unfolded(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(first line number, content line)``: continuation lines joined (RFC 5545 3.1)."""
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and current:
            current.append(raw[1:])
            continue
        if current:
            yield start, "".join(current)
        current, start = [raw], number
    if current:
        yield start, "".join(current)


def _structure(text: str, source: str) -> tuple[_Component, ...] | Problem:
    """Check the file's lines and blocks; return its blocks in document order, or the problem."""
    stack: list[_Component] = []
    components: list[_Component] = []
    seen_calendar = False
    for number, line in _unfolded(text):
        label = f"{source} line {number}"
        if not line.strip():
            continue
        if not _CONTENT_LINE.match(line):
            return Problem(label, "(line)", line[:80], "is not NAME[;PARAM=VALUE]:VALUE")
        name = re.split(r"[;:]", line, maxsplit=1)[0].upper()
        value = line.split(":", 1)[1] if ":" in line else ""
        if name == "BEGIN":
            kind = value.strip().upper()
            if not stack and (seen_calendar or kind != "VCALENDAR"):
                return Problem(
                    label, "BEGIN", value, "a calendar file is one BEGIN:VCALENDAR block"
                )
            seen_calendar = True
            component = _Component(kind, number)
            stack.append(component)
            components.append(component)
        elif name == "END":
            kind = value.strip().upper()
            if not stack or stack[-1].kind != kind:
                expected = f"END:{stack[-1].kind}" if stack else "nothing after END:VCALENDAR"
                return Problem(label, "END", value, f"expected {expected}")
            stack.pop()
        elif not stack:
            return Problem(label, name, value[:80], "is outside BEGIN:VCALENDAR ... END:VCALENDAR")
        else:
            stack[-1].lines.append(_Line(number, name, line))
    if stack:
        return Problem(
            f"{source} line {stack[-1].begins}",
            "BEGIN",
            stack[-1].kind,
            f"has no END:{stack[-1].kind} (the file ends first)",
        )
    if not components:
        return Problem(f"{source} line 1", "BEGIN", "", "the file holds no BEGIN:VCALENDAR")
    return tuple(components)


def _problems_of(
    calendar: icalendar.Calendar, blocks: tuple[_Component, ...], source: str
) -> list[Problem]:
    """Return what ``icalendar`` could not read, and what an event lacks, by line and property."""
    problems: list[Problem] = []
    read = list(calendar.walk())
    for component, block in zip(read, blocks, strict=False):
        for name, reason in component.errors:
            number = block.line_of(str(name).upper())
            text = next((ln.text for ln in block.lines if ln.number == number), "")
            value = text.split(":", 1)[1] if ":" in text else text
            problems.append(Problem(f"{source} line {number}", str(name), value, str(reason)))
        if block.kind != "VEVENT":
            continue
        for required in ("UID", "DTSTART"):
            if required not in component:
                problems.append(
                    Problem(f"{source} line {block.begins}", required, "", "an event needs one")
                )
    return problems


def parse_calendar(text: str, *, source: str) -> Calendar | Rejected:
    """Read an iCalendar file's text, or reject the whole file naming the line and property.

    >>> parse_calendar("BEGIN:VCALENDAR\\nVERSION 2.0\\nEND:VCALENDAR\\n", source="c.ics")
    Rejected(label='c.ics line 2', kind='meeting', problems=(Problem(record='c.ics line 2', \
field='(line)', value='VERSION 2.0', reason='is not NAME[;PARAM=VALUE]:VALUE'),))
    """
    blocks = _structure(text, source)
    if isinstance(blocks, Problem):
        return Rejected(blocks.record, _KIND, (blocks,))
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as error:
        problem = Problem(f"{source} line 1", "(file)", "", f"is not iCalendar: {error}")
        return Rejected(problem.record, _KIND, (problem,))
    problems = _problems_of(calendar, blocks, source)
    if problems:
        return Rejected(problems[0].record, _KIND, tuple(problems))
    return Calendar(source=source, calendar=calendar, components=blocks)


def read_calendar(path: Path, *, source: str | None = None) -> Calendar | Rejected:
    """Read an iCalendar file through :func:`parse_calendar`; raise ``OSError`` if it cannot."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = Problem(str(path), "(file)", "", f"is not UTF-8 text: {error.reason}")
        return Rejected(str(path), _KIND, (problem,))
    return parse_calendar(text, source=str(path) if source is None else source)


# ---------------------------------------------------------------------------------------------
# Meetings and attendance.


def meeting_id_of(uid: str, original_start: datetime) -> str:
    """Return the id of an occurrence: from its event's UID and its original start (in UTC).

    Stable across imports: a moved occurrence keeps the id of the slot it was moved from.

    >>> meeting_id_of("abc@google.com", datetime(2024, 3, 12, 17, tzinfo=UTC))
    'ics-670a9e53280dcfbe-20240312T170000Z'
    """
    digest = hashlib.sha256(uid.encode()).hexdigest()[:16]
    return f"ics-{digest}-{original_start.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _utc(value: date | datetime) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=UTC)
    if value.tzinfo is None:
        # A "floating" time: no zone given, so it is taken as UTC (documented).
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _format_of(event: Any) -> GroupFormat:
    """Where the event happens: a conference link, a place, or both."""
    location = str(event.get("LOCATION", "")).strip()
    online = any(
        str(key).upper().startswith(("X-GOOGLE-CONFERENCE", "X-MICROSOFT-ONLINEMEETING"))
        and str(value).strip()
        for key, value in event.items()
    ) or bool(_ONLINE.search(location))
    place = bool(location) and not _ONLINE.search(location)
    if online and place:
        return GroupFormat.HYBRID
    return GroupFormat.IN_PERSON if place else GroupFormat.DIGITAL


@dataclass(frozen=True, slots=True)
class _Invitee:
    """Someone an event names: their address, their CN, and the line naming them."""

    email: str | None
    name: str | None
    label: str
    field: str


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _address(value: Any) -> str | None:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text or None


def _invitees(event: Any, lines: dict[tuple[str, str], int], calendar: Calendar) -> list[_Invitee]:
    """Return the people an occurrence names who did not decline (not rooms, not observers)."""
    found: list[_Invitee] = []
    for name in ("ORGANIZER", "ATTENDEE"):
        for entry in _as_list(event.get(name)):
            params = getattr(entry, "params", {})
            if str(params.get("PARTSTAT", "")).upper() == _DECLINED:
                continue
            if str(params.get("CUTYPE", "")).upper() in _NOT_PEOPLE:
                continue
            if str(params.get("ROLE", "")).upper() == "NON-PARTICIPANT":
                continue
            email = _address(entry)
            cn = params.get("CN")
            shown = str(cn).strip() if cn else None
            if shown is not None and email is not None and shown.lower() == email.lower():
                shown = None  # Google writes the address as the CN when it knows no name
            number = lines.get((name, (email or "").lower()), 0)
            found.append(_Invitee(email, shown, calendar.label(number), name))
    return found


def _declined(event: Any) -> set[str]:
    out: set[str] = set()
    for entry in _as_list(event.get("ATTENDEE")):
        if str(getattr(entry, "params", {}).get("PARTSTAT", "")).upper() == _DECLINED:
            address = _address(entry)
            if address:
                out.add(address.lower())
    return out


def _window(calendar: Calendar, group: Group) -> tuple[datetime, datetime]:
    """The span to expand events in: the group's dates, or around the file's own events."""
    starts = [_utc(event.decoded("DTSTART")) for event in calendar.calendar.walk("VEVENT")] or [
        datetime.now(UTC)
    ]
    begin = (
        datetime.combine(group.starts_on, time(), tzinfo=UTC)
        if group.starts_on is not None
        else min(starts) - timedelta(days=1)
    )
    end = (
        datetime.combine(group.ends_on + timedelta(days=1), time(), tzinfo=UTC)
        if group.ends_on is not None
        else max(starts) + _OPEN_ENDED
    )
    return begin, end


def _lines_by_invitee(calendar: Calendar) -> dict[str, dict[tuple[str, str], int]]:
    """For each UID, the line naming each organizer or attendee address (first one wins)."""
    out: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for block in calendar.components:
        if block.kind != "VEVENT":
            continue
        uid = next((ln.text.split(":", 1)[1].strip() for ln in block.lines if ln.name == "UID"), "")
        for line in block.lines:
            if line.name in ("ORGANIZER", "ATTENDEE"):
                value = (
                    line.text.rsplit(":", 1)[-1]
                    if "mailto:" not in line.text.lower()
                    else (line.text[line.text.lower().rindex("mailto:") + 7 :])
                )
                out[uid].setdefault((line.name, value.strip().lower()), line.number)
    return out


@dataclass(frozen=True, slots=True)
class _Occurrence:
    meeting: Meeting
    label: str
    uid: str
    invitees: tuple[_Invitee, ...]


def _occurrences(calendar: Calendar, group: Group) -> Iterator[_Occurrence | Rejected]:
    """Yield each occurrence to import, in time order, or the rejection of an all-day event."""
    begin, end = _window(calendar, group)
    lines = _lines_by_invitee(calendar)
    event_lines = {
        str(ev.get("UID")): block.begins
        for ev, block in zip(calendar.calendar.walk(), calendar.components, strict=False)
        if block.kind == "VEVENT" and "RECURRENCE-ID" not in ev
    }
    all_day_reported: set[str] = set()
    query = recurring_ical_events.of(calendar.calendar)
    for event in query.between(begin, end):
        uid = str(event.get("UID"))
        label = calendar.label(event_lines.get(uid, 1))
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        start = event.decoded("DTSTART")
        if not isinstance(start, datetime):
            if uid not in all_day_reported:
                all_day_reported.add(uid)
                yield Rejected(
                    label,
                    _KIND,
                    (Problem(label, "DTSTART", str(start), "an all-day event has no time"),),
                )
            continue
        original = event.decoded("RECURRENCE-ID") if "RECURRENCE-ID" in event else start
        ends = event.decoded("DTEND") if "DTEND" in event else start
        summary = str(event.get("SUMMARY", "")).strip() or None
        meeting = Meeting(
            id=meeting_id_of(uid, _utc(original)),
            group_id=group.id,
            starts_at=_utc(start),
            duration_s=max(0, int((_utc(ends) - _utc(start)).total_seconds())),
            theme=summary,
            format=_format_of(event),
        )
        declined = _declined(event)
        invitees = tuple(
            i
            for i in _invitees(event, lines.get(uid, {}), calendar)
            if (i.email or "").lower() not in declined
        )
        yield _Occurrence(meeting, f"{label} ({meeting.starts_at:%Y-%m-%dT%H:%MZ})", uid, invitees)


async def _group_people(store: GraphStore, group: Group) -> list[Person]:
    ids = {m.person_id for m in await store.memberships(group_ids=[group.id])}
    if group.leader_id is not None:
        ids.add(group.leader_id)
    return sorted((await store.get(Person, ids)).values(), key=lambda p: p.id)


def _who(
    invitee: _Invitee,
    by_email: dict[str, list[Person]],
    by_name: dict[str, list[Person]],
    members: set[str],
    group_id: str,
) -> str | Problem:
    """Return the id of the person an invitee is, or the problem that says why there is none."""
    if invitee.email is not None:
        people = by_email.get(email_key(invitee.email) or "", [])
        if len(people) > 1:
            people = [p for p in people if p.id in members] or people
        if len(people) == 1:
            return people[0].id
        if len(people) > 1:
            ids = ", ".join(p.id for p in people)
            return Problem(
                invitee.label,
                invitee.field,
                invitee.email,
                f"several people have this e-mail ({ids}); cannot tell which one is meant",
            )
    if invitee.name is not None:
        people = by_name.get(name_key(invitee.name), [])
        if len(people) == 1:
            return people[0].id
        if len(people) > 1:
            ids = ", ".join(p.id for p in people)
            return Problem(
                invitee.label,
                invitee.field,
                invitee.name,
                f"several members of group {group_id} have this name ({ids})",
            )
    called = (
        f" and no member of group {group_id} is called {invitee.name!r}" if invitee.name else ""
    )
    return Problem(
        invitee.label,
        invitee.field,
        invitee.email or invitee.name,
        f"no known person has this e-mail{called}; add the person first",
    )


async def meeting_records(
    store: GraphStore, calendar: Calendar | Rejected, *, group: Group
) -> list[ParseResult]:
    """Turn a calendar into the group's meetings and their attendance; reject what cannot be.

    Reads the store, writes nothing. A rejected file yields only its rejection. A speaking time
    already stored for an attendee is kept.
    """
    if isinstance(calendar, Rejected):
        return [calendar]
    results: list[ParseResult] = []
    occurrences: list[_Occurrence] = []
    for found in _occurrences(calendar, group):
        if isinstance(found, Rejected):
            results.append(found)
        else:
            occurrences.append(found)
    by_email = await people_by_email(
        store, (i.email for o in occurrences for i in o.invitees if i.email is not None)
    )
    people = await _group_people(store, group)
    by_name = people_by_name(people)
    members = {p.id for p in people}
    stored = (
        {
            (a.meeting_id, a.person_id): a.speaking_s
            for a in await store.attendance(meeting_ids=[o.meeting.id for o in occurrences])
        }
        if occurrences
        else {}
    )

    reported: set[tuple[str, str]] = set()
    for occurrence in occurrences:
        problems = check_record(occurrence.meeting, occurrence.label)
        if problems:
            results.append(Rejected(occurrence.label, _KIND, tuple(problems)))
            continue
        results.append((occurrence.meeting, occurrence.label))
        attending: set[str] = set()
        for invitee in occurrence.invitees:
            who = _who(invitee, by_email, by_name, members, group.id)
            if isinstance(who, Problem):
                key = (occurrence.uid, str(who.value))
                if key not in reported:
                    reported.add(key)
                    results.append(Rejected(invitee.label, "attendance", (who,)))
                continue
            if who in attending:
                continue
            attending.add(who)
            record = Attendance(
                meeting_id=occurrence.meeting.id,
                person_id=who,
                speaking_s=stored.get((occurrence.meeting.id, who)),
            )
            results.append((record, f"{invitee.label} ({occurrence.meeting.starts_at:%Y-%m-%d})"))
    return results

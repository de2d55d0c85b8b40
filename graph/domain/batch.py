"""Write batches: validation, and the plan that turns a batch into changes, for every store alike.

A store applies a batch in one transaction: it loads what it already holds for the ids the
batch touches (:class:`Snapshot`), asks :func:`plan_batch` what to write, and writes exactly
that. Because the planning is shared, both stores count, reject and derive identically.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from graph.domain.changes import ChangeEntry, changes_of_write
from graph.domain.codec import ENTITY_KINDS, Record, record_id
from graph.domain.errors import Conflict, InvalidInput, Problem
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    Interaction,
    InteractionKind,
    Interest,
    Introduction,
    IntroductionStatus,
    Meeting,
    Membership,
    Organization,
    Person,
    SideConversation,
    Tie,
    pair_key,
)
from graph.domain.strength import StrengthModel, combine_scores

__all__ = [
    "ID_PATTERN",
    "Counts",
    "Snapshot",
    "SnapshotRequest",
    "TieAccumulator",
    "TieDelta",
    "TieParts",
    "WriteBatch",
    "WritePlan",
    "WriteSummary",
    "check_instant",
    "ids_named_by",
    "merge_tie",
    "plan_batch",
    "record_problems",
    "references_of",
    "validate_batch",
]

MAX_ID_LENGTH = 200
MAX_TEXT_LENGTH = 2_000
MAX_LIST_ITEMS = 200
MAX_PARTICIPANTS = 500
MAX_GROUP_SIZE = 100_000
ID_PATTERN = re.compile(r"[^\s|\x00-\x1f\x7f]{1,200}")
"""An id is 1-200 printable characters with no white space and no ``|`` (used in derived keys)."""


@dataclass(slots=True)
class WriteBatch:
    """Records to write together, all or nothing. Lists may be empty; order within one is kept."""

    organizations: list[Organization] = field(default_factory=list)
    interests: list[Interest] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    attendance: list[Attendance] = field(default_factory=list)
    breakouts: list[Breakout] = field(default_factory=list)
    side_conversations: list[SideConversation] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)
    introductions: list[Introduction] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)
    """Optional names for records in errors, by ``id()`` of the record (e.g. a file and line)."""

    def sections(self) -> Iterator[tuple[str, list[Any]]]:
        """Yield ``(kind name, records)`` in the order references must be applied."""
        yield "organization", self.organizations
        yield "interest", self.interests
        yield "person", self.people
        yield "group", self.groups
        yield "membership", self.memberships
        yield "meeting", self.meetings
        yield "attendance", self.attendance
        yield "breakout", self.breakouts
        yield "side_conversation", self.side_conversations
        yield "interaction", self.interactions
        yield "introduction", self.introductions

    def add(self, record: Record, label: str | None = None) -> None:
        """Append a record to the list for its kind, optionally naming it for error messages."""
        section: list[Any] = getattr(self, _SECTION_OF[type(record)])
        section.append(record)
        if label is not None:
            self.labels[id(record)] = label

    def __len__(self) -> int:
        return sum(len(records) for _, records in self.sections())

    def label(self, kind: str, index: int, record: object) -> str:
        """Name a record for an error: its label if it has one, else ``kind[index]``."""
        return self.labels.get(id(record), f"{kind}[{index}]")


_KIND_NAME: dict[type[Any], str] = {model: name for name, model in ENTITY_KINDS.items()}
_SECTION_OF: dict[type[Any], str] = {
    Organization: "organizations",
    Interest: "interests",
    Person: "people",
    Group: "groups",
    Membership: "memberships",
    Meeting: "meetings",
    Attendance: "attendance",
    Breakout: "breakouts",
    SideConversation: "side_conversations",
    Interaction: "interactions",
    Introduction: "introductions",
}


@dataclass(slots=True)
class Counts:
    """How many records of one kind a write created, updated or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(slots=True)
class WriteSummary:
    """What a write did, per kind of record (derived interactions are counted as interactions)."""

    counts: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))

    def add(self, other: WriteSummary) -> None:
        """Fold another summary into this one."""
        for kind, c in other.counts.items():
            mine = self.counts[kind]
            mine.created += c.created
            mine.updated += c.updated
            mine.unchanged += c.unchanged

    @property
    def created(self) -> int:
        """Records created, of every kind."""
        return sum(c.created for c in self.counts.values())

    @property
    def updated(self) -> int:
        """Records updated, of every kind."""
        return sum(c.updated for c in self.counts.values())

    @property
    def unchanged(self) -> int:
        """Records that were already stored as given, of every kind."""
        return sum(c.unchanged for c in self.counts.values())


# ---------------------------------------------------------------------------------------------
# Validation: everything that can be checked without looking at the store.


def _check_id(problems: list[Problem], where: str, name: str, value: object) -> None:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        problems.append(
            Problem(
                where,
                name,
                value,
                "must be 1-200 printable characters without white space or '|'",
            )
        )


def _check_text(
    problems: list[Problem], where: str, name: str, value: object, *, required: bool = False
) -> None:
    if value is None:
        if required:
            problems.append(Problem(where, name, value, "is required"))
        return
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(Problem(where, name, value, "must be non-empty text"))
    elif len(value) > MAX_TEXT_LENGTH:
        problems.append(
            Problem(where, name, value[:40] + "…", f"is longer than {MAX_TEXT_LENGTH} characters")
        )
    elif any(ord(ch) < 32 and ch not in "\t\n" for ch in value):
        problems.append(Problem(where, name, value, "contains control characters"))


def _check_instant(problems: list[Problem], where: str, name: str, value: object) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        problems.append(Problem(where, name, value, "must be a time with a time zone"))
    elif not 1900 <= _year_in_utc(value) <= 2200:
        problems.append(Problem(where, name, value, "must be between the years 1900 and 2200"))


def _year_in_utc(value: datetime) -> int:
    if value.tzinfo is UTC:  # what importers and stores give: no conversion needed
        return value.year
    try:
        return value.astimezone(UTC).year
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00, which is before the year 1 in UTC
        return value.year


def check_instant(name: str, value: datetime) -> datetime:
    """Return a moment a query names, in UTC; refuse it as ``InvalidInput`` naming ``name``.

    The same rule as for stored instants: aware, between the years 1900 and 2200.

    >>> from datetime import timedelta, timezone
    >>> check_instant("at", datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))))
    datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    >>> try:
    ...     check_instant("at", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))))
    ... except InvalidInput as refused:
    ...     print(refused.problems[0].reason)
    must be between the years 1900 and 2200
    """
    problems: list[Problem] = []
    _check_instant(problems, "query", name, value)
    if problems:
        raise InvalidInput(problems)
    return value.astimezone(UTC)


def _check_seconds(problems: list[Problem], where: str, name: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**9:
        problems.append(Problem(where, name, value, "must be a whole number of seconds >= 0"))


def _check_list(problems: list[Problem], where: str, name: str, values: tuple[str, ...]) -> None:
    if len(values) > MAX_LIST_ITEMS:
        problems.append(Problem(where, name, len(values), f"has more than {MAX_LIST_ITEMS} items"))
    for i, item in enumerate(values):
        _check_text(problems, where, f"{name}[{i}]", item, required=True)


def _check_participants(
    problems: list[Problem], where: str, name: str, ids: tuple[str, ...], initiator: str | None
) -> None:
    for i, pid in enumerate(ids):
        _check_id(problems, where, f"{name}[{i}]", pid)
    if len(set(ids)) < 2:
        problems.append(Problem(where, name, list(ids), "needs at least two different people"))
    elif len(ids) > MAX_PARTICIPANTS:
        problems.append(Problem(where, name, len(ids), f"has more than {MAX_PARTICIPANTS} people"))
    if initiator is not None and initiator not in ids:
        problems.append(
            Problem(where, "initiator_id", initiator, "must be one of the participants")
        )


def _is_plainly_valid(record: Interaction) -> bool:
    """Whether an interaction passes every check of :func:`_validate_record`, decided quickly
    for the common shape (two people, a UTC time, no channel, no group size); ``False`` only
    means "check it in full"."""
    ids = record.participant_ids
    at = record.at
    duration = record.duration_s
    key = record.key
    return (
        len(ids) == 2
        and type(key) is str
        and type(ids[0]) is str
        and type(ids[1]) is str
        and ids[0] != ids[1]
        and (record.initiator_id is None or record.initiator_id in ids)
        and type(at) is datetime
        and at.tzinfo is UTC
        and 1900 <= at.year <= 2200
        and (duration is None or (type(duration) is int and 0 <= duration <= 10**9))
        and record.channel is None
        and record.group_size is None
        and _ID_MATCH(key) is not None
        and _ID_MATCH(ids[0]) is not None
        and _ID_MATCH(ids[1]) is not None
    )


_ID_MATCH = ID_PATTERN.fullmatch


def _validate_record(problems: list[Problem], where: str, record: Record) -> None:
    if type(record) is Interaction and _is_plainly_valid(record):
        return
    _check_fully(problems, where, record)


def _check_fully(problems: list[Problem], where: str, record: Record) -> None:
    match record:
        case Person():
            _check_id(problems, where, "id", record.id)
            _check_text(problems, where, "name", record.name, required=True)
            for name in ("title", "profession", "industry", "location", "email", "profile_url"):
                _check_text(problems, where, name, getattr(record, name))
            if record.organization_id is not None:
                _check_id(problems, where, "organization_id", record.organization_id)
            for name in ("interests", "offers", "seeks"):
                _check_list(problems, where, name, getattr(record, name))
            _check_list(problems, where, "blocked_ids", record.blocked_ids)
            for blocked in record.blocked_ids:
                _check_id(problems, where, "blocked_ids", blocked)
            if record.id in record.blocked_ids:
                problems.append(
                    Problem(where, "blocked_ids", record.id, "a person cannot block themselves")
                )
        case Organization() | Interest():
            _check_id(problems, where, "id", record.id)
            _check_text(problems, where, "name", record.name, required=True)
        case Group():
            _check_id(problems, where, "id", record.id)
            _check_text(problems, where, "name", record.name, required=True)
            _check_text(problems, where, "theme", record.theme)
            if record.leader_id is not None:
                _check_id(problems, where, "leader_id", record.leader_id)
            if not 1 <= record.capacity <= 1000:
                problems.append(Problem(where, "capacity", record.capacity, "must be 1-1000"))
            if record.starts_on and record.ends_on and record.ends_on < record.starts_on:
                problems.append(
                    Problem(where, "ends_on", record.ends_on.isoformat(), "is before starts_on")
                )
        case Membership():
            _check_id(problems, where, "group_id", record.group_id)
            _check_id(problems, where, "person_id", record.person_id)
            if record.joined_on and record.left_on and record.left_on < record.joined_on:
                problems.append(
                    Problem(where, "left_on", record.left_on.isoformat(), "is before joined_on")
                )
            _check_list(problems, where, "hopes", record.hopes)
            _check_list(problems, where, "contributions", record.contributions)
        case Meeting():
            _check_id(problems, where, "id", record.id)
            _check_id(problems, where, "group_id", record.group_id)
            _check_instant(problems, where, "starts_at", record.starts_at)
            _check_seconds(problems, where, "duration_s", record.duration_s)
            _check_text(problems, where, "theme", record.theme)
        case Attendance():
            _check_id(problems, where, "meeting_id", record.meeting_id)
            _check_id(problems, where, "person_id", record.person_id)
            _check_seconds(problems, where, "speaking_s", record.speaking_s)
        case Breakout():
            _check_id(problems, where, "id", record.id)
            _check_id(problems, where, "meeting_id", record.meeting_id)
            _check_participants(problems, where, "member_ids", record.member_ids, None)
        case SideConversation():
            _check_id(problems, where, "id", record.id)
            _check_participants(
                problems, where, "participant_ids", record.participant_ids, record.initiator_id
            )
            _check_instant(problems, where, "at", record.at)
            _check_seconds(problems, where, "duration_s", record.duration_s)
            _check_text(problems, where, "channel", record.channel)
            if record.group_id is not None:
                _check_id(problems, where, "group_id", record.group_id)
        case Interaction():
            _check_id(problems, where, "key", record.key)
            _check_participants(
                problems, where, "participant_ids", record.participant_ids, record.initiator_id
            )
            _check_instant(problems, where, "at", record.at)
            _check_seconds(problems, where, "duration_s", record.duration_s)
            _check_text(problems, where, "channel", record.channel)
            size = record.group_size
            if size is not None and not (
                len(set(record.participant_ids)) <= size <= MAX_GROUP_SIZE
            ):
                problems.append(
                    Problem(
                        where,
                        "group_size",
                        size,
                        "must count at least the participants and at most"
                        f" {MAX_GROUP_SIZE:,} people",
                    )
                )
        case Introduction():
            _check_id(problems, where, "id", record.id)
            for name in ("requester_id", "introducer_id", "target_id"):
                _check_id(problems, where, name, getattr(record, name))
            if len({record.requester_id, record.introducer_id, record.target_id}) < 3:
                problems.append(
                    Problem(
                        where,
                        "introducer_id",
                        record.introducer_id,
                        "requester, introducer and target must be three different people",
                    )
                )
            _check_instant(problems, where, "requested_at", record.requested_at)
            if record.updated_at is not None:
                _check_instant(problems, where, "updated_at", record.updated_at)
            _check_text(problems, where, "note", record.note)


def record_problems(record: Record, where: str) -> list[Problem]:
    """Return what is wrong with one record on its own (empty when nothing is), as
    :func:`validate_batch` finds it; ``where`` names the record in each problem.

    >>> from graph.domain.model import Organization
    >>> [p.reason for p in record_problems(Organization(id="a b", name="Acme"), "line 3")]
    ["must be 1-200 printable characters without white space or '|'"]
    """
    problems: list[Problem] = []
    _validate_record(problems, where, record)
    return problems


def validate_batch(batch: WriteBatch) -> None:
    """Reject a batch whose records are malformed, or that gives one id two different records.

    Raises :class:`InvalidInput` listing every problem; checks nothing against the store.
    """
    problems: list[Problem] = []
    for kind, records in batch.sections():
        seen: dict[str, Record] = {}
        for index, record in enumerate(records):
            # Named only when something is wrong: most records of a large batch are fine.
            if type(record) is not Interaction or not _is_plainly_valid(record):
                _check_fully(problems, batch.label(kind, index, record), record)
            rid = record_id(record)
            earlier = seen.get(rid)
            if earlier is not None and earlier != record:
                problems.append(
                    Problem(
                        batch.label(kind, index, record),
                        "id",
                        rid,
                        "appears twice in the batch with different values",
                    )
                )
            seen[rid] = record
    if problems:
        raise InvalidInput(problems)


# ---------------------------------------------------------------------------------------------
# Planning: what the batch changes, given what the store holds.


@dataclass(frozen=True, slots=True)
class SnapshotRequest:
    """The ids a store must look up before planning a batch.

    ``records`` are ids of each kind whose stored record is needed (to compare or to read);
    ``references`` are ids whose existence alone is needed; ``attendees_of`` are meetings whose
    stored attendees are needed to derive who met whom.
    """

    records: dict[str, frozenset[str]]
    references: dict[str, frozenset[str]]
    attendees_of: frozenset[str]


@dataclass(slots=True)
class Snapshot:
    """What a store holds for a :class:`SnapshotRequest`: records by kind and id, ids that exist."""

    records: dict[str, dict[str, Record]] = field(default_factory=dict)
    existing: dict[str, set[str]] = field(default_factory=dict)
    attendees: dict[str, set[str]] = field(default_factory=dict)


class TieParts(Protocol):
    """What a stretch of one pair's history adds up to: a :class:`TieDelta` or a stored
    :class:`~graph.domain.model.Tie`."""

    @property
    def first_at(self) -> datetime: ...
    @property
    def last_at(self) -> datetime: ...
    @property
    def count(self) -> int: ...
    @property
    def counts(self) -> dict[InteractionKind, int]: ...
    @property
    def initiated_by_a(self) -> int: ...
    @property
    def initiated_by_b(self) -> int: ...
    @property
    def score(self) -> float: ...
    @property
    def score_by_a(self) -> float: ...
    @property
    def score_by_b(self) -> float: ...


@dataclass(slots=True)
class TieDelta:
    """How one batch changes the tie between ``a`` and ``b`` (``a`` sorts first)."""

    a: str
    b: str
    first_at: datetime
    last_at: datetime
    count: int = 0
    counts: dict[InteractionKind, int] = field(default_factory=dict)
    initiated_by_a: int = 0
    initiated_by_b: int = 0
    score: float = 0.0
    """The decaying score these interactions add, at ``last_at``."""
    score_by_a: float = 0.0
    """The part of ``score`` from contacts ``a`` started."""
    score_by_b: float = 0.0

    @classmethod
    def of(cls, tie: Tie) -> TieDelta:
        """Return a copy of a stored tie to merge more history into."""
        return cls(
            a=tie.a,
            b=tie.b,
            first_at=tie.first_at,
            last_at=tie.last_at,
            count=tie.count,
            counts=dict(tie.counts),
            initiated_by_a=tie.initiated_by_a,
            initiated_by_b=tie.initiated_by_b,
            score=tie.score,
            score_by_a=tie.score_by_a,
            score_by_b=tie.score_by_b,
        )

    def as_tie(self) -> Tie:
        """Return what this history adds up to as a tie."""
        return Tie(
            a=self.a,
            b=self.b,
            first_at=self.first_at,
            last_at=self.last_at,
            count=self.count,
            counts=dict(self.counts),
            initiated_by_a=self.initiated_by_a,
            initiated_by_b=self.initiated_by_b,
            score=self.score,
            score_by_a=self.score_by_a,
            score_by_b=self.score_by_b,
        )


def merge_tie(into: TieDelta, other: TieParts, half_life: timedelta) -> None:
    """Fold ``other`` (another stretch of the same pair's history, earlier or later) into
    ``into``, in place.

    The one place where tie arithmetic lives: counts add up, the first and last contact
    widen, and the three decaying scores add at the later of the two last contacts
    (:func:`~graph.domain.strength.combine_scores`). Merging is associative and commutative up
    to floating-point rounding, so a tie kept up interaction by interaction, batch by batch,
    or rebuilt from the whole history is the same tie. O(kinds).

    >>> from datetime import UTC
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> tie = TieDelta("a", "b", t, t, 1, {InteractionKind.CALL: 1}, 1, 0, 3.0, 3.0, 0.0)
    >>> later = TieDelta("a", "b", t + timedelta(days=60), t + timedelta(days=60), 1,
    ...                  {InteractionKind.CALL: 1}, 0, 1, 3.0, 0.0, 3.0)
    >>> merge_tie(tie, later, timedelta(days=60))
    >>> tie.count, tie.counts[InteractionKind.CALL], tie.score, tie.score_by_a
    (2, 2, 4.5, 1.5)
    """
    counts = into.counts
    for kind, n in other.counts.items():
        counts[kind] = counts.get(kind, 0) + n
    (into.score, into.score_by_a, into.score_by_b), into.last_at = combine_scores(
        (into.score, into.score_by_a, into.score_by_b),
        into.last_at,
        (other.score, other.score_by_a, other.score_by_b),
        other.last_at,
        half_life,
    )
    into.first_at = min(into.first_at, other.first_at)
    into.count += other.count
    into.initiated_by_a += other.initiated_by_a
    into.initiated_by_b += other.initiated_by_b


@dataclass(slots=True)
class WritePlan:
    """Exactly what a store must write for a batch: new or changed records, new interactions
    (given and derived), the tie changes they make, and the change log's entries for them
    (:mod:`graph.domain.changes`), written in the same transaction."""

    writes: dict[str, list[Record]]
    interactions: list[Interaction]
    ties: list[TieDelta]
    summary: WriteSummary
    changes: list[ChangeEntry] = field(default_factory=list)


_REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "person": (("organization_id", "organization"),),
    "group": (("leader_id", "person"),),
    "membership": (("group_id", "group"), ("person_id", "person")),
    "meeting": (("group_id", "group"),),
    "attendance": (("meeting_id", "meeting"), ("person_id", "person")),
    "breakout": (("meeting_id", "meeting"), ("member_ids", "person")),
    "side_conversation": (("participant_ids", "person"), ("group_id", "group")),
    "interaction": (("participant_ids", "person"),),
    "introduction": (
        ("requester_id", "person"),
        ("introducer_id", "person"),
        ("target_id", "person"),
    ),
}


def _referenced(record: Record, attribute: str) -> Iterable[str]:
    value = getattr(record, attribute)
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def references_of(record: Record) -> Iterator[tuple[str, str, str]]:
    """Yield ``(field, kind, id)`` for every other record ``record`` names, which must exist
    (in the store or in the same batch) for it to be written.

    Derived needs (a meeting's stored attendees, an introduction's interaction) are not
    references: a store looks them up itself.

    >>> from graph.domain.model import Membership
    >>> list(references_of(Membership(group_id="g1", person_id="ann")))
    [('group_id', 'group', 'g1'), ('person_id', 'person', 'ann')]
    """
    for attribute, target in _REFERENCES.get(_KIND_NAME[type(record)], ()):
        for ref in _referenced(record, attribute):
            yield attribute, target, ref


def ids_named_by(records: Iterable[Record]) -> dict[str, set[str]]:
    """Return the ids :func:`references_of` yields for ``records``, gathered by kind; O(ids).

    >>> from datetime import UTC, datetime
    >>> call = Interaction(key="k", at=datetime(2024, 5, 1, tzinfo=UTC),
    ...                    kind=InteractionKind.CALL, participant_ids=("ann", "bo"))
    >>> sorted(ids_named_by([call])["person"])
    ['ann', 'bo']
    """
    named: dict[str, set[str]] = defaultdict(set)
    people = named["person"]
    for record in records:
        if type(record) is Interaction:  # by far the most numerous: its people, directly
            people.update(record.participant_ids)
            continue
        for _, target, ref in references_of(record):
            named[target].add(ref)
    return {kind: ids for kind, ids in named.items() if ids}


def snapshot_request(batch: WriteBatch) -> SnapshotRequest:
    """Return the ids a store must look up to plan ``batch``."""
    records: dict[str, set[str]] = defaultdict(set)
    references: dict[str, set[str]] = defaultdict(set)
    attendees_of: set[str] = set()
    for kind, items in batch.sections():
        for record in items:
            records[kind].add(record_id(record))
            for attribute, target in _REFERENCES.get(kind, ()):
                references[target].update(_referenced(record, attribute))
    # Derived interactions need the meeting's time, and its stored attendees.
    records["meeting"].update(a.meeting_id for a in batch.attendance)
    records["meeting"].update(b.meeting_id for b in batch.breakouts)
    attendees_of.update(a.meeting_id for a in batch.attendance)
    # A met introduction leaves an interaction behind only once, however often it is re-sent.
    records["interaction"].update(
        derived_key("introduction", i.id)
        for i in batch.introductions
        if i.status is IntroductionStatus.MET
    )
    return SnapshotRequest(
        records={k: frozenset(v) for k, v in records.items()},
        references={k: frozenset(v) for k, v in references.items()},
        attendees_of=frozenset(attendees_of),
    )


def derived_key(kind: str, *parts: str) -> str:
    """Build the key of an interaction that a meeting, breakout or conversation leaves behind.

    >>> derived_key("breakout", "b1")
    'breakout|b1'
    """
    return "|".join((kind, *parts))


class TieAccumulator:
    """Sums what interactions add to each pair's tie, scored by ``model``."""

    def __init__(self, model: StrengthModel) -> None:
        self.model = model
        self.deltas: dict[tuple[str, str], TieDelta] = {}

    def add(self, interaction: Interaction) -> None:
        """Count ``interaction`` once for every pair of its participants."""
        people = sorted(set(interaction.participant_ids))
        at = interaction.at
        initiator = interaction.initiator_id
        weight = self.model.weight_of(interaction)
        half_life = self.model.half_life
        kinds = {interaction.kind: 1}
        for a, b in itertools.combinations(people, 2):
            by_a = weight if initiator == a else 0.0
            by_b = weight if initiator == b else 0.0
            contact = TieDelta(
                a=a, b=b, first_at=at, last_at=at, count=1, counts=dict(kinds),
                initiated_by_a=int(initiator == a), initiated_by_b=int(initiator == b),
                score=weight, score_by_a=by_a, score_by_b=by_b,
            )  # fmt: skip
            delta = self.deltas.get((a, b))
            if delta is None:
                self.deltas[(a, b)] = contact
            else:
                merge_tie(delta, contact, half_life)


def _normalized(record: Record) -> Record:
    """Return the record as a store would give it back (instants in UTC)."""
    match record:
        case Meeting() if record.starts_at.tzinfo is not UTC:
            return replace(record, starts_at=record.starts_at.astimezone(UTC))
        case SideConversation() | Interaction() if record.at.tzinfo is not UTC:
            return replace(record, at=record.at.astimezone(UTC))
        case Introduction() if record.requested_at.tzinfo is not UTC or (
            record.updated_at is not None and record.updated_at.tzinfo is not UTC
        ):
            updated = record.updated_at.astimezone(UTC) if record.updated_at else None
            return replace(
                record, requested_at=record.requested_at.astimezone(UTC), updated_at=updated
            )
        case _:
            return record


_IMMUTABLE = {"breakout", "side_conversation", "interaction"}
"""Kinds that record what happened: re-sending one unchanged is fine, changing one conflicts."""


def plan_batch(batch: WriteBatch, snapshot: Snapshot, model: StrengthModel) -> WritePlan:
    """Decide what ``batch`` writes over ``snapshot``; raise if it must be rejected as a whole.

    Raises :class:`InvalidInput` when a record names something that exists neither in the store
    nor in the batch, and :class:`Conflict` when it would change a recorded fact (an
    interaction, breakout or side conversation stored with other values). Runs in
    O(records + derived pairs). Tie deltas are scored by ``model``.
    """
    problems: list[Problem] = []
    conflicts: list[Problem] = []
    summary = WriteSummary()
    writes: dict[str, list[Record]] = defaultdict(list)
    in_batch: dict[str, dict[str, Record]] = defaultdict(dict)

    for kind, items in batch.sections():
        stored = snapshot.records.get(kind, {})
        for index, raw in enumerate(items):
            record = _normalized(raw)
            rid = record_id(record)
            if rid in in_batch[kind]:
                continue  # an exact repeat inside the batch (validation rejected others)
            for attribute, target in _REFERENCES.get(kind, ()):
                for ref in _referenced(record, attribute):
                    if ref in snapshot.existing.get(target, ()) or ref in in_batch[target]:
                        continue
                    problems.append(
                        Problem(
                            batch.label(kind, index, raw),
                            attribute,
                            ref,
                            f"no {target.replace('_', ' ')} has this id",
                        )
                    )
            in_batch[kind][rid] = record
            before = stored.get(rid)
            if before is None:
                summary.counts[kind].created += 1
                writes[kind].append(record)
            elif before == record:
                summary.counts[kind].unchanged += 1
            elif kind in _IMMUTABLE:
                conflicts.append(
                    Problem(
                        batch.label(kind, index, raw),
                        "id",
                        rid,
                        f"a different {kind.replace('_', ' ')} is already stored under this id",
                    )
                )
            else:
                summary.counts[kind].updated += 1
                writes[kind].append(record)
    if problems:
        raise InvalidInput(problems)
    if conflicts:
        raise Conflict(conflicts)

    meetings: dict[str, Record] = {
        **snapshot.records.get("meeting", {}),
        **in_batch["meeting"],
    }

    def meeting_at(meeting_id: str) -> Meeting:
        meeting = meetings[meeting_id]
        assert isinstance(meeting, Meeting)
        return meeting

    derived: list[Interaction] = []
    # Everyone who attended a meeting met everyone else there: one pairwise interaction each.
    new_attendees: dict[str, list[str]] = defaultdict(list)
    for record in writes.get("attendance", ()):
        assert isinstance(record, Attendance)
        if record_id(record) not in snapshot.records.get("attendance", {}):
            new_attendees[record.meeting_id].append(record.person_id)
    for meeting_id, arrivals in new_attendees.items():
        meeting = meeting_at(meeting_id)
        present = sorted(snapshot.attendees.get(meeting_id, set()))
        size = len(present) + len(set(arrivals))
        pairs = itertools.chain(
            itertools.combinations(sorted(arrivals), 2),
            ((a, p) for a in arrivals for p in present),
        )
        for x, y in pairs:
            a, b = pair_key(x, y)
            derived.append(
                Interaction(
                    key=derived_key("meeting", meeting_id, a, b),
                    at=meeting.starts_at,
                    kind=InteractionKind.MEETING,
                    participant_ids=(a, b),
                    duration_s=meeting.duration_s,
                    channel=meeting.format.value,
                    group_size=size,
                )
            )
    for record in writes.get("breakout", ()):
        assert isinstance(record, Breakout)
        meeting = meeting_at(record.meeting_id)
        derived.append(
            Interaction(
                key=derived_key("breakout", record.id),
                at=meeting.starts_at,
                kind=InteractionKind.BREAKOUT,
                participant_ids=record.member_ids,
                duration_s=None,
                channel=meeting.format.value,
            )
        )
    for record in writes.get("side_conversation", ()):
        assert isinstance(record, SideConversation)
        derived.append(
            Interaction(
                key=derived_key("side_conversation", record.id),
                at=record.at,
                kind=InteractionKind.SIDE_CONVERSATION,
                participant_ids=record.participant_ids,
                initiator_id=record.initiator_id,
                duration_s=record.duration_s,
                channel=record.channel,
            )
        )
    for record in writes.get("introduction", ()):
        assert isinstance(record, Introduction)
        if record.status is IntroductionStatus.MET:
            derived.append(
                Interaction(
                    key=derived_key("introduction", record.id),
                    at=record.updated_at or record.requested_at,
                    kind=InteractionKind.INTRODUCTION,
                    participant_ids=(record.requester_id, record.target_id),
                    initiator_id=record.requester_id,
                )
            )

    stored_interactions = snapshot.records.get("interaction", {})
    new_interactions = [i for i in writes.pop("interaction", []) if isinstance(i, Interaction)]
    seen_keys = {record_id(i) for i in new_interactions}
    for interaction in derived:
        # A derived key already stored (e.g. a met introduction re-sent) adds nothing again.
        if interaction.key in stored_interactions or interaction.key in seen_keys:
            continue
        seen_keys.add(interaction.key)
        new_interactions.append(interaction)
        summary.counts["interaction"].created += 1

    ties = TieAccumulator(model)
    for interaction in new_interactions:
        ties.add(interaction)
    deltas = list(ties.deltas.values())
    return WritePlan(
        writes=dict(writes),
        interactions=new_interactions,
        ties=deltas,
        summary=summary,
        changes=changes_of_write(
            writes,
            sorted((d.a, d.b) for d in deltas),
            lambda meeting_id: meeting_at(meeting_id).group_id,
        ),
    )

"""The domain vocabulary of tiegraph: people, groups, meetings and the contacts between them.

Every record is an immutable value identified by a stable application id (client-supplied or
generated, never a database-internal id). Every instant is a timezone-aware UTC ``datetime``.
These classes know nothing of storage, HTTP or GraphQL.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = [
    "Attendance",
    "Breakout",
    "Group",
    "GroupFormat",
    "Interaction",
    "InteractionKind",
    "Interest",
    "Introduction",
    "IntroductionStatus",
    "Meeting",
    "MeetingFormat",
    "Membership",
    "MembershipRole",
    "MembershipStatus",
    "Organization",
    "Person",
    "SideConversation",
    "Tie",
    "pair_key",
]


class InteractionKind(enum.StrEnum):
    """What kind of contact an interaction was; kinds weigh differently in tie strength."""

    MEETING = "meeting"
    """Both attended the same group meeting."""
    BREAKOUT = "breakout"
    """Both were in the same breakout group of a meeting."""
    SIDE_CONVERSATION = "side_conversation"
    """Members talked outside the meetings."""
    MESSAGE = "message"
    """A written message (e-mail, chat)."""
    CALL = "call"
    """A one-to-one call or video call."""
    CONTACT = "contact"
    """Any other recorded contact, e.g. imported from another tool."""
    CONNECTION = "connection"
    """The two declared that they know each other (e.g. connected on a network)."""
    INTRODUCTION = "introduction"
    """Two people met through an introduction."""


class GroupFormat(enum.StrEnum):
    """How a group meets."""

    DIGITAL = "digital"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


MeetingFormat = GroupFormat
"""A meeting is held in one of the same formats as a group."""


class MembershipRole(enum.StrEnum):
    """The part a person plays in a group."""

    LEADER = "leader"
    MEMBER = "member"


class MembershipStatus(enum.StrEnum):
    """Whether the person agreed to be in the group: a leader's enrolment is an invitation."""

    INVITED = "invited"
    """A leader added them; until they accept, the group sees nothing private of theirs."""
    ACTIVE = "active"
    """They accepted, joined themselves, or were enrolled by an admin or an import."""
    DECLINED = "declined"
    """They said no; the group sees nothing private of theirs."""


class IntroductionStatus(enum.StrEnum):
    """Where an introduction stands: requested, then accepted or declined, then met or not."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MET = "met"
    NOT_MET = "not_met"


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """Someone in the network, with what matches them to others and what they consent to."""

    id: str
    name: str
    title: str | None = None
    profession: str | None = None
    organization_id: str | None = None
    industry: str | None = None
    location: str | None = None
    interests: tuple[str, ...] = ()
    offers: tuple[str, ...] = ()
    seeks: tuple[str, ...] = ()
    email: str | None = None
    profile_url: str | None = None
    discoverable: bool = True
    """May appear in search results and recommendations."""
    intermediary: bool = True
    """May be shown as an intermediary on someone else's introduction path."""
    share_post_group_contact: bool = True
    """May be counted, by the leader, among members who kept in touch after a group ended."""
    blocked_ids: tuple[str, ...] = ()
    """People this person does not want to be introduced to or through (private)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Organization:
    """An employer or other organization people belong to."""

    id: str
    name: str
    industry: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Interest:
    """A topic people care about; its id is the normalized form of its name."""

    id: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """A networking group: a leader, a handful of members, a theme, a start and an end."""

    id: str
    name: str
    leader_id: str | None = None
    capacity: int = 8
    theme: str | None = None
    format: GroupFormat = GroupFormat.DIGITAL
    starts_on: date | None = None
    ends_on: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Membership:
    """A person's place in a group; identified by the pair (group, person)."""

    group_id: str
    person_id: str
    role: MembershipRole = MembershipRole.MEMBER
    joined_on: date | None = None
    left_on: date | None = None
    hopes: tuple[str, ...] = ()
    """From the pre-interview: what the member hopes to get from this group (seeks)."""
    contributions: tuple[str, ...] = ()
    """From the pre-interview: what the member will bring to this group (offers)."""
    status: MembershipStatus = MembershipStatus.ACTIVE
    """Only active memberships count: stores answer ``memberships()`` with those alone unless
    asked, so an invitation grants nobody anything. Stored memberships from before this field
    read as active (a missing value decodes to the default): no migration is needed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Meeting:
    """One meeting of a group, on a theme, at a time, for a duration."""

    id: str
    group_id: str
    starts_at: datetime
    duration_s: int = 90 * 60
    theme: str | None = None
    format: MeetingFormat = GroupFormat.DIGITAL


@dataclass(frozen=True, slots=True, kw_only=True)
class Attendance:
    """A person attended a meeting, optionally with how long they spoke."""

    meeting_id: str
    person_id: str
    speaking_s: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Breakout:
    """A sub-group of a meeting's attendees who talked together."""

    id: str
    meeting_id: str
    member_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SideConversation:
    """Members talking outside the meetings: when, who, through what, who started it."""

    id: str
    participant_ids: tuple[str, ...]
    at: datetime
    channel: str | None = None
    initiator_id: str | None = None
    duration_s: int | None = None
    group_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Interaction:
    """A time-stamped contact between two or more people; ``key`` makes recording idempotent.

    Meetings, breakouts and side conversations each leave interactions behind (with keys
    derived from their ids); other contacts are recorded or imported directly.
    """

    key: str
    at: datetime
    kind: InteractionKind
    participant_ids: tuple[str, ...]
    initiator_id: str | None = None
    duration_s: int | None = None
    channel: str | None = None
    group_size: int | None = None
    """How many people were at the group event this pairwise contact comes from (a meeting's
    attendees when it was recorded); ``None`` means just the participants."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Introduction:
    """A asked B to introduce them to C, and what came of it."""

    id: str
    requester_id: str
    introducer_id: str
    target_id: str
    status: IntroductionStatus = IntroductionStatus.REQUESTED
    requested_at: datetime
    updated_at: datetime | None = None
    note: str | None = None


def pair_key(a: str, b: str) -> tuple[str, str]:
    """Return the unordered pair ``{a, b}`` in its one canonical order.

    >>> pair_key("zoe", "adam")
    ('adam', 'zoe')
    """
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tie:
    """What two people's interaction history adds up to, maintained as interactions arrive.

    ``a`` sorts before ``b``. ``counts`` holds the number of interactions of each kind;
    ``initiated_by_a``/``initiated_by_b`` count contacts each side started. ``score`` is the
    decaying strength score at ``last_at`` (see :mod:`graph.domain.strength`);
    ``score_by_a``/``score_by_b`` are the parts of it from contacts each side started.
    """

    a: str
    b: str
    first_at: datetime
    last_at: datetime
    count: int
    counts: dict[InteractionKind, int] = field(default_factory=dict)
    initiated_by_a: int = 0
    initiated_by_b: int = 0
    score: float = 0.0
    score_by_a: float = 0.0
    score_by_b: float = 0.0

    def other(self, person_id: str) -> str:
        """Return the person at the other end of the tie from ``person_id``."""
        return self.b if person_id == self.a else self.a

"""Speaking balance: did everyone get to speak about equally?

For one meeting, each attendee with a recorded speaking time has a **share** of the total
spoken; the **fair share** is one over the number of those attendees. The **Gini
coefficient** of the speaking times summarizes the imbalance (0: everyone spoke equally; it
approaches 1 when one person does all the talking). Someone who spoke **less than half their
fair share** is flagged as quiet. Attendees without a recorded time are listed as unknown and
left out of the shares, so a partly entered meeting is not mistaken for a silent one.

Across a group's meetings, each member's share relative to the fair share of each meeting
(1.0 = exactly fair) gives a trend: the slope of a least-squares line through those ratios in
meeting order (positive: speaking up over time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graph.domain.model import Attendance

__all__ = [
    "MeetingBalance",
    "MemberBalance",
    "SpeakerShare",
    "gini",
    "group_balance",
    "meeting_balance",
]

QUIET = 0.5
"""Speaking less than this fraction of one's fair share counts as quiet."""


def gini(values: Sequence[float]) -> float:
    """Return the Gini coefficient of non-negative values (0 for none, or all zero).

    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([0, 0, 0, 4])
    0.75
    """
    if any(v < 0 for v in values):
        raise ValueError("speaking times cannot be negative")
    n = len(values)
    total = sum(values)
    if n == 0 or total == 0:
        return 0.0
    ordered = sorted(values)
    weighted = sum((2 * (i + 1) - n - 1) * v for i, v in enumerate(ordered))
    return weighted / (n * total)


@dataclass(frozen=True, slots=True)
class SpeakerShare:
    """One attendee's part of a meeting's speaking time."""

    person_id: str
    seconds: int
    share: float
    """Of the total spoken by attendees with a recorded time."""
    relative: float
    """``share`` over the fair share: 1.0 is exactly fair."""
    quiet: bool


@dataclass(frozen=True, slots=True)
class MeetingBalance:
    """How evenly a meeting's attendees spoke."""

    meeting_id: str
    speakers: tuple[SpeakerShare, ...]
    """Largest share first, then by person id."""
    unknown: tuple[str, ...]
    """Attendees without a recorded speaking time."""
    fair_share: float | None
    gini: float | None

    @property
    def quiet(self) -> tuple[str, ...]:
        """Who spoke less than half their fair share."""
        return tuple(s.person_id for s in self.speakers if s.quiet)


def meeting_balance(meeting_id: str, attendance: Sequence[Attendance]) -> MeetingBalance:
    """Return the speaking balance of one meeting from its attendance records."""
    timed = [a for a in attendance if a.speaking_s is not None]
    unknown = tuple(sorted(a.person_id for a in attendance if a.speaking_s is None))
    total = sum(a.speaking_s or 0 for a in timed)
    if not timed:
        return MeetingBalance(meeting_id, (), unknown, None, None)
    fair = 1 / len(timed)
    speakers = []
    for a in timed:
        seconds = a.speaking_s or 0
        share = seconds / total if total else fair
        relative = share / fair
        speakers.append(SpeakerShare(a.person_id, seconds, share, relative, relative < QUIET))
    speakers.sort(key=lambda s: (-s.share, s.person_id))
    return MeetingBalance(
        meeting_id=meeting_id,
        speakers=tuple(speakers),
        unknown=unknown,
        fair_share=fair,
        gini=gini([a.speaking_s or 0 for a in timed]),
    )


@dataclass(frozen=True, slots=True)
class MemberBalance:
    """One member's speaking across a group's meetings."""

    person_id: str
    relative: tuple[float | None, ...]
    """Per meeting in order: share over fair share; ``None`` where not recorded or absent."""
    mean_relative: float | None
    trend: float | None
    """Least-squares slope of ``relative`` per meeting (needs two recorded meetings)."""
    quiet_meetings: int


def _slope(points: Sequence[tuple[float, float]]) -> float | None:
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def group_balance(
    member_ids: Sequence[str], meetings: Sequence[MeetingBalance]
) -> list[MemberBalance]:
    """Return each member's speaking across ``meetings`` (in meeting order), by person id."""
    rows = []
    for pid in sorted(set(member_ids)):
        relative: list[float | None] = []
        quiet = 0
        for meeting in meetings:
            found = next((s for s in meeting.speakers if s.person_id == pid), None)
            relative.append(None if found is None else found.relative)
            quiet += bool(found and found.quiet)
        known = [(float(i), r) for i, r in enumerate(relative) if r is not None]
        rows.append(
            MemberBalance(
                person_id=pid,
                relative=tuple(relative),
                mean_relative=sum(r for _, r in known) / len(known) if known else None,
                trend=_slope(known),
                quiet_meetings=quiet,
            )
        )
    return rows

"""GraphQL for running better meetings: speaking balance and breakout suggestions (a thin layer
over :class:`graph.usecases.meetings.Meetings`)."""

from __future__ import annotations

import strawberry

from api.types import Info, Person, key_of, people_of, person_of
from graph.domain.balance import MeetingBalance as DomainMeetingBalance

__all__ = ["group_balance", "meeting_balance", "suggest_breakouts"]


@strawberry.type(description="One attendee's part of a meeting's speaking time.")
class SpeakerShare:
    person_key: strawberry.Private[str]
    seconds: int
    share: float = strawberry.field(description="Of the time spoken by attendees on record.")
    relative: float = strawberry.field(description="Share over the fair share; 1 is fair.")
    quiet: bool = strawberry.field(description="Spoke less than half their fair share.")

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_key)


@strawberry.type(description="How evenly a meeting's attendees spoke.")
class MeetingBalance:
    meeting_key: strawberry.Private[str]
    fair_share: float | None
    gini: float | None = strawberry.field(description="0: all equal; near 1: one person spoke.")
    speakers: list[SpeakerShare]
    unknown_keys: strawberry.Private[tuple[str, ...]]

    @strawberry.field
    def meeting(self) -> strawberry.ID:
        return strawberry.ID(self.meeting_key)

    @strawberry.field(description="Attendees without a recorded speaking time.")
    async def unknown(self, info: Info) -> list[Person]:
        return await people_of(info, self.unknown_keys)

    @classmethod
    def of(cls, b: DomainMeetingBalance) -> MeetingBalance:
        """Show a meeting's balance."""
        return cls(
            meeting_key=b.meeting_id,
            fair_share=b.fair_share,
            gini=b.gini,
            speakers=[
                SpeakerShare(
                    person_key=s.person_id,
                    seconds=s.seconds,
                    share=s.share,
                    relative=s.relative,
                    quiet=s.quiet,
                )
                for s in b.speakers
            ],
            unknown_keys=b.unknown,
        )


@strawberry.type(description="A member's speaking across a group's meetings.")
class MemberBalance:
    person_key: strawberry.Private[str]
    relative: list[float | None] = strawberry.field(
        description="Per meeting in time order: share over fair share (null: not on record)."
    )
    mean_relative: float | None
    trend: float | None = strawberry.field(
        description="Change of the relative share per meeting (positive: speaking up)."
    )
    quiet_meetings: int

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_key)


@strawberry.type(description="Speaking balance over a group's meetings.")
class GroupBalance:
    meetings: list[MeetingBalance]
    members: list[MemberBalance]


@strawberry.type(description="Suggested breakout groups, their score and why.")
class BreakoutSuggestion:
    group_keys: strawberry.Private[tuple[tuple[str, ...], ...]]
    score: float
    new_pairs: int = strawberry.field(description="Pairs who never shared a breakout before.")
    weak_pairs: int = strawberry.field(description="Pairs with a weak tie or none.")
    reasons: list[str]

    @strawberry.field(description="The groups, each a list of people.")
    async def groups(self, info: Info) -> list[list[Person]]:
        return [await people_of(info, g) for g in self.group_keys]


async def meeting_balance(info: Info, meeting: strawberry.ID) -> MeetingBalance:
    """Each attendee's share of the speaking time against the fair share (the leader)."""
    found = await info.context.service.meetings.meeting_balance(
        info.context.viewer, key_of(meeting, "Meeting", argument="meeting")
    )
    return MeetingBalance.of(found)


async def group_balance(info: Info, group: strawberry.ID) -> GroupBalance:
    """Speaking balance across a group's meetings, with each member's trend (the leader)."""
    found = await info.context.service.meetings.group_balance(
        info.context.viewer, key_of(group, "Group", argument="group")
    )
    return GroupBalance(
        meetings=[MeetingBalance.of(m) for m in found.meetings],
        members=[
            MemberBalance(
                person_key=m.person_id,
                relative=list(m.relative),
                mean_relative=m.mean_relative,
                trend=m.trend,
                quiet_meetings=m.quiet_meetings,
            )
            for m in found.members
        ],
    )


async def suggest_breakouts(
    info: Info,
    meeting: strawberry.ID | None = None,
    attendees: list[strawberry.ID] | None = None,
    group: strawberry.ID | None = None,
    group_size: int = 4,
    seed: int = 0,
) -> BreakoutSuggestion:
    """Breakout groups for a meeting's attendees (or the given people, optionally within a
    group's series): weakest ties together, dominant speakers apart, partners rotating.
    Deterministic for a seed."""
    found = await info.context.service.meetings.suggest_breakouts(
        info.context.viewer,
        meeting_id=key_of(meeting, "Meeting", argument="meeting") if meeting else None,
        attendee_ids=(
            [key_of(a, "Person", argument="attendees") for a in attendees]
            if attendees is not None
            else None
        ),
        series_of=key_of(group, "Group", argument="group") if group else None,
        group_size=group_size,
        seed=seed,
    )
    return BreakoutSuggestion(
        group_keys=found.groups,
        score=found.score,
        new_pairs=found.new_pairs,
        weak_pairs=found.weak_pairs,
        reasons=list(found.reasons),
    )

"""GraphQL for running better meetings: speaking balance, breakout suggestions and cohort
composition (a thin layer over :class:`graph.usecases.meetings.Meetings`)."""

from __future__ import annotations

import strawberry

from api.graphql.types import GroupFormat, Info, Person, key_of, people_of, person_of
from graph.domain import model
from graph.domain.balance import MeetingBalance as DomainMeetingBalance
from graph.domain.cohorts import CohortConstraints, CohortExplanation
from graph.usecases.meetings import ApplicantRequest

__all__ = ["compose_cohorts", "group_balance", "meeting_balance", "suggest_breakouts"]


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


@strawberry.input(description="Someone to place in a cohort.")
class ApplicantInput:
    person: strawberry.ID
    format: GroupFormat | None = strawberry.field(
        default=None, description="The format they insist on; null: any format suits them."
    )
    hopes: list[str] = strawberry.field(
        default_factory=list,
        description="What they hope to get (seeks), beyond their profile and pre-interview.",
    )
    contributions: list[str] = strawberry.field(
        default_factory=list,
        description="What they will bring (offers), beyond their profile and pre-interview.",
    )


@strawberry.input(description="The hard constraints every composition keeps.")
class CohortConstraintsInput:
    format: GroupFormat | None = strawberry.field(
        default=None,
        description="Every cohort meets in this format (others are left out); null: each "
        "cohort takes the format its members insist on.",
    )
    separate_organizations: bool = strawberry.field(
        default=True, description="No two people from the same organization in one cohort."
    )
    max_cohorts: int | None = strawberry.field(
        default=None, description="Capacity: at most this many cohorts; later applicants wait."
    )


@strawberry.type(description="A label and how many members of a cohort carry it.")
class LabelCount:
    label: str
    count: int


def _counts(pairs: tuple[tuple[str, int], ...]) -> list[LabelCount]:
    return [LabelCount(label=label, count=count) for label, count in pairs]


@strawberry.type(description="One composed cohort: who, in which format, and why together.")
class Cohort:
    member_keys: strawberry.Private[tuple[str, ...]]
    format: GroupFormat | None
    value: float = strawberry.field(description="Its part of the objective.")
    professions: list[LabelCount] = strawberry.field(
        description="Professions two or more members share."
    )
    industries: list[LabelCount] = strawberry.field(description="Every industry in the cohort.")
    matches: list[str] = strawberry.field(description="Who offers what another member seeks.")
    interests: list[LabelCount] = strawberry.field(
        description="Interests two or more members share."
    )
    places: list[LabelCount] = strawberry.field(
        description="Places two or more members share (in-person or hybrid cohorts)."
    )
    reasons: list[str]

    @strawberry.field
    async def members(self, info: Info) -> list[Person]:
        return await people_of(info, self.member_keys)

    @classmethod
    def of(cls, e: CohortExplanation) -> Cohort:
        """Show one cohort of a composition."""
        return cls(
            member_keys=e.member_ids,
            format=e.format,
            value=e.value,
            professions=_counts(e.professions),
            industries=_counts(e.industries),
            matches=list(e.matches),
            interests=_counts(e.interests),
            places=_counts(e.places),
            reasons=list(e.reasons),
        )


@strawberry.type(description="An applicant without a cohort, and why.")
class LeftOutApplicant:
    person_key: strawberry.Private[str]
    reason: str = strawberry.field(description="format or capacity.")
    explanation: str

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_key)


@strawberry.type(description="Cohorts composed from a pool, with the objective and baselines.")
class CohortComposition:
    cohorts: list[Cohort]
    left_out: list[LeftOutApplicant]
    objective: float
    greedy_objective: float | None = strawberry.field(
        description="A greedy composition's objective on the same pool."
    )
    random_objective: float | None = strawberry.field(
        description="A random composition's objective on the same pool (the floor)."
    )
    iterations: int = strawberry.field(description="Swaps the search proposed.")


async def compose_cohorts(
    info: Info,
    applicants: list[ApplicantInput],
    cohort_size: int = 8,
    constraints: CohortConstraintsInput | None = None,
    interviews_of: strawberry.ID | None = None,
    seed: int = 0,
    iterations: int | None = None,
) -> CohortComposition:
    """Compose cohorts (any leader): members share professions but come from different
    industries, offer what others seek and share some interests; never two of one organization.
    Reproducible for a seed and a number of iterations."""
    given = constraints or CohortConstraintsInput()
    found = await info.context.service.meetings.compose_cohorts(
        info.context.viewer,
        [
            ApplicantRequest(
                person_id=key_of(a.person, "Person", argument="applicants"),
                format=model.GroupFormat(a.format) if a.format is not None else None,
                hopes=tuple(a.hopes),
                contributions=tuple(a.contributions),
            )
            for a in applicants
        ],
        CohortConstraints(
            cohort_size=cohort_size,
            format=model.GroupFormat(given.format) if given.format is not None else None,
            separate_organizations=given.separate_organizations,
            max_cohorts=given.max_cohorts,
        ),
        interviews_of=key_of(interviews_of, "Group", argument="interviewsOf")
        if interviews_of
        else None,
        seed=seed,
        iterations=iterations,
    )
    return CohortComposition(
        cohorts=[Cohort.of(e) for e in found.explanations],
        left_out=[
            LeftOutApplicant(
                person_key=o.applicant_id, reason=str(o.reason), explanation=o.explanation
            )
            for o in found.left_out
        ],
        objective=found.objective,
        greedy_objective=found.greedy_objective,
        random_objective=found.random_objective,
        iterations=found.iterations,
    )

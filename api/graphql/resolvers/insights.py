"""GraphQL for relationship strength and keep-in-touch analytics: types and root resolvers.

A thin layer: each resolver turns arguments into domain values, calls
:class:`graph.usecases.insights.Insights` (through the request's service) and shows the result.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import strawberry

from api.graphql.pagination import DEFAULT_PAGE, Connection, check_first, paginate
from api.graphql.types import (
    Info,
    Interaction,
    KindCount,
    Person,
    PersonRef,
    TieBand,
    TieStrength,
    key_of,
    people_of,
    person_of,
)
from graph.domain.errors import InvalidInput, Problem
from graph.domain.relationship import Assessment
from graph.domain.retention import GroupRetention as DomainRetention
from graph.ports import MAX_PAGE
from graph.usecases.insights import DEFAULT_HORIZONS, Drift, RelationshipReport
from graph.usecases.insights import GroupTie as DomainGroupTie

__all__ = [
    "DriftingTie",
    "GroupRetention",
    "GroupTie",
    "RankedTie",
    "RelationshipView",
    "TieStrength",
    "compare_groups",
    "drifting_ties",
    "group_retention",
    "group_ties",
    "relationship",
    "strongest_ties",
    "tie_history",
]

MAX_WINDOW_DAYS = 3_650


@strawberry.type(description="An interaction and how much it still adds to the tie's score.")
class Evidence:
    interaction: Interaction
    contribution: float


@strawberry.type(
    description="A tie between two people: how strong, why, and the contacts behind it."
)
class RelationshipView:
    a_key: strawberry.Private[str]
    b_key: strawberry.Private[str]
    strength: TieStrength
    first_contact: datetime
    last_contact: datetime
    interaction_count: int
    initiated_by_a: int = strawberry.field(description="Contacts the first person started.")
    initiated_by_b: int = strawberry.field(description="Contacts the second person started.")
    recent_interactions: int = strawberry.field(description="Interactions in the last 90 days.")
    shared_contacts: int
    shared_groups: int
    kinds: list[KindCount]
    evidence: list[Evidence] = strawberry.field(
        description="The interactions that add most to the score now, largest first."
    )

    @strawberry.field(description="The first person asked about.")
    async def a(self, info: Info) -> Person | None:
        return await person_of(info, self.a_key)

    @strawberry.field(description="The second person asked about.")
    async def b(self, info: Info) -> Person | None:
        return await person_of(info, self.b_key)

    @classmethod
    def of(cls, report: RelationshipReport, a: str, b: str) -> RelationshipView:
        """Show a report, with ``a`` and ``b`` in the order they were asked for."""
        tie = report.relationship.tie
        by_a, by_b = (
            (tie.initiated_by_a, tie.initiated_by_b)
            if tie.a == a
            else (tie.initiated_by_b, tie.initiated_by_a)
        )
        return cls(
            a_key=a,
            b_key=b,
            strength=TieStrength.of(report.relationship.assessment),
            first_contact=tie.first_at,
            last_contact=tie.last_at,
            interaction_count=tie.count,
            initiated_by_a=by_a,
            initiated_by_b=by_b,
            recent_interactions=report.recent_interactions,
            shared_contacts=report.shared_contacts,
            shared_groups=report.shared_groups,
            kinds=[KindCount(kind=k.value, count=n) for k, n in sorted(tie.counts.items())],
            evidence=[
                Evidence(interaction=Interaction.from_domain(i), contribution=c)
                for i, c in report.evidence
            ],
        )


@strawberry.type(description="One of a person's ties, ranked by strength.")
class RankedTie:
    other_key: strawberry.Private[str]
    strength: TieStrength
    last_contact: datetime
    interaction_count: int

    @strawberry.field(description="The person at the other end.")
    async def other(self, info: Info) -> Person | None:
        return await person_of(info, self.other_key)


@strawberry.type(description="A pair's strength at one moment of a series; null before they met.")
class TiePoint:
    at: datetime
    strength: TieStrength | None


@strawberry.type(description="A tie that fell to a weaker band within the window.")
class DriftingTie:
    person_key: strawberry.Private[str]
    other_key: strawberry.Private[str]
    before: TieStrength = strawberry.field(description="At the start of the window.")
    now: TieStrength = strawberry.field(description="At the end of the window.")
    last_contact: datetime

    @strawberry.field(description="The person asked about (or the first of a group's pair).")
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_key)

    @strawberry.field(description="The person they are losing touch with.")
    async def other(self, info: Info) -> Person | None:
        return await person_of(info, self.other_key)

    @classmethod
    def of(cls, d: Drift) -> DriftingTie:
        """Show a drift."""
        return cls(
            person_key=d.person_id,
            other_key=d.other_id,
            before=TieStrength.of(d.before),
            now=TieStrength.of(d.now),
            last_contact=d.tie.last_at,
        )


@strawberry.type(description="A tie between two people of a group, and whether it outlived it.")
class GroupTie:
    a_key: strawberry.Private[str]
    b_key: strawberry.Private[str]
    strength: TieStrength
    first_contact: datetime
    last_contact: datetime
    interaction_count: int
    contact_after: bool | None = strawberry.field(
        description="A direct contact (anything but a meeting) after the group ended, up to"
        " `at`; null when the group has no end date or either person keeps post-group contact"
        " private."
    )

    @strawberry.field(description="The first of the pair (by key).")
    async def a(self, info: Info) -> Person | None:
        return await person_of(info, self.a_key)

    @strawberry.field(description="The second of the pair (by key).")
    async def b(self, info: Info) -> Person | None:
        return await person_of(info, self.b_key)

    @classmethod
    def of(cls, found: DomainGroupTie) -> GroupTie:
        """Show a tie among a group's people."""
        tie = found.relationship.tie
        return cls(
            a_key=tie.a,
            b_key=tie.b,
            strength=TieStrength.of(found.relationship.assessment),
            first_contact=tie.first_at,
            last_contact=tie.last_at,
            interaction_count=tie.count,
            contact_after=found.contact_after,
        )


@strawberry.type(description="Share of member pairs still in contact some days after the end.")
class RetentionPoint:
    days: int
    share: float | None = strawberry.field(
        description="Pairs whose contact lasted at least this long; null until observable."
    )
    pairs: int


@strawberry.type(description="Whether two members kept in touch after their group ended.")
class PairRetention:
    a_key: strawberry.Private[str]
    b_key: strawberry.Private[str]
    contact_during: bool
    contact_after: bool
    last_contact: datetime | None
    days_in_contact_after: float | None
    strength_now: float
    band_now: TieBand
    keep_in_touch_probability: float = strawberry.field(
        description="The early signal: predicted from in-group contact up to the end."
    )

    @strawberry.field
    async def a(self, info: Info) -> Person | None:
        return await person_of(info, self.a_key)

    @strawberry.field
    async def b(self, info: Info) -> Person | None:
        return await person_of(info, self.b_key)


@strawberry.type(description="How many group-mates a member still talks to.")
class MemberRetention:
    person_key: strawberry.Private[str]
    group_mates_in_contact: int
    other_groups_reached: int = strawberry.field(
        description="Other groups their post-group contacts belong to (bridging)."
    )

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_key)


@strawberry.type(description="Who in a group kept in touch after it ended.")
class GroupRetention:
    group_key: strawberry.Private[str]
    after: datetime = strawberry.field(description="The moment contact counts as 'after'.")
    at: datetime = strawberry.field(description="The moment the figures describe.")
    member_count: int = strawberry.field(description="Members who agreed to be counted.")
    pair_count: int
    share_during: float | None = strawberry.field(
        description="Pairs in direct contact during the group; null when withheld (a small"
        " group, seen by a non-leader)."
    )
    share_after: float | None = strawberry.field(
        description="Pairs in direct contact after it; null when withheld (a small group, seen"
        " by a non-leader)."
    )
    curve: list[RetentionPoint]
    aggregated: bool = strawberry.field(
        description="True when only totals are shown (a small group, seen by a non-leader):"
        " then every figure that counts pairs is null and `at` and `after` are whole days."
    )
    pairs: list[PairRetention] = strawberry.field(
        description="Per pair; for anyone but the leader only pairs whose strength they may"
        " read (their own)."
    )
    members: list[MemberRetention] = strawberry.field(
        description="Per member; for anyone but the leader only their own row."
    )
    bridge_keys: strawberry.Private[tuple[str, ...]]

    @strawberry.field(
        description="Members whose contacts reach other groups, most first; for anyone but the"
        " leader only themselves."
    )
    async def bridges(self, info: Info) -> list[Person]:
        return await people_of(info, self.bridge_keys)

    @strawberry.field
    async def group(self, info: Info) -> strawberry.ID:
        return strawberry.ID(self.group_key)

    @classmethod
    def of(cls, r: DomainRetention) -> GroupRetention:
        """Show a group's retention."""
        return cls(
            group_key=r.group_id,
            after=r.after,
            at=r.now,
            member_count=r.member_count,
            pair_count=r.pair_count,
            share_during=r.share_during,
            share_after=r.share_after,
            curve=[RetentionPoint(days=p.days, share=p.share, pairs=p.pairs) for p in r.curve],
            aggregated=r.aggregated,
            pairs=[
                PairRetention(
                    a_key=p.a,
                    b_key=p.b,
                    contact_during=p.contact_during,
                    contact_after=p.contact_after,
                    last_contact=p.last_contact,
                    days_in_contact_after=p.days_in_contact_after,
                    strength_now=p.strength_now,
                    band_now=p.band_now,
                    keep_in_touch_probability=p.keep_in_touch_probability,
                )
                for p in r.pairs
            ],
            members=[
                MemberRetention(
                    person_key=m.person_id,
                    group_mates_in_contact=m.group_mates_in_contact,
                    other_groups_reached=m.other_groups_reached,
                )
                for m in r.members
            ],
            bridge_keys=r.bridges,
        )


# -- root resolvers ------------------------------------------------------------------------------

AtArgument = Annotated[
    datetime | None,
    strawberry.argument(description="The moment to look at (default: now); may be in the past."),
]


async def relationship(
    info: Info,
    a: PersonRef,
    b: PersonRef,
    at: AtArgument = None,
    evidence: Annotated[
        int, strawberry.argument(description="How many contributing interactions to show.")
    ] = 5,
) -> RelationshipView | None:
    """How strong the tie between two people is, why, and the contacts behind it."""
    a_key = key_of(a, "Person", argument="a")
    b_key = key_of(b, "Person", argument="b")
    report = await info.context.service.insights.relationship(
        info.context.viewer, a_key, b_key, at=at, evidence=evidence
    )
    return None if report is None else RelationshipView.of(report, a_key, b_key)


async def strongest_ties(
    info: Info,
    person: PersonRef,
    first: Annotated[int, strawberry.argument(description="How many ties a page holds.")] = 10,
    min_strength: float = 0.0,
    at: AtArgument = None,
    after: str | None = None,
) -> Connection[RankedTie]:
    """A person's ties, strongest first (theirs to see), a page at a time (at most 1,000)."""
    check_first(first)
    me = key_of(person, "Person", argument="person")
    ranked = await info.context.service.insights.strongest_ties(
        info.context.viewer, me, first=MAX_PAGE, min_strength=min_strength, at=at
    )
    return paginate(
        ranked,
        key=lambda r: r.tie.other(me),
        show=lambda r: RankedTie(
            other_key=r.tie.other(me),
            strength=TieStrength.of(r.assessment),
            last_contact=r.tie.last_at,
            interaction_count=r.tie.count,
        ),
        first=first,
        after=after,
        strict=True,
    )


def _days(value: float, argument: str) -> timedelta:
    if not 0 < value <= MAX_WINDOW_DAYS:
        raise InvalidInput(
            [
                Problem(
                    argument, argument, value, f"must be more than 0 and at most {MAX_WINDOW_DAYS}"
                )
            ]
        )
    return timedelta(days=value)


async def tie_history(
    info: Info,
    a: PersonRef,
    b: PersonRef,
    from_: Annotated[datetime, strawberry.argument(name="from")],
    to: datetime,
    step_days: Annotated[
        float, strawberry.argument(description="Days between points (fractions allowed).")
    ] = 7.0,
) -> list[TiePoint]:
    """A pair's strength over time, one point per step (at most 1,000 points)."""
    series = await info.context.service.insights.tie_history(
        info.context.viewer,
        key_of(a, "Person", argument="a"),
        key_of(b, "Person", argument="b"),
        start=from_,
        end=to,
        step=_days(step_days, "stepDays"),
    )
    return [
        TiePoint(at=when, strength=None if a_ is None else TieStrength.of(a_))
        for when, a_ in series
    ]


async def drifting_ties(
    info: Info,
    person: PersonRef | None = None,
    group: strawberry.ID | None = None,
    window_days: Annotated[
        int, strawberry.argument(description="How far back to compare bands.")
    ] = 90,
    at: AtArgument = None,
    first: Annotated[
        int, strawberry.argument(description="How many ties a page holds.")
    ] = DEFAULT_PAGE,
    after: str | None = None,
) -> Connection[DriftingTie]:
    """Ties of a person, or among a group's members, that fell to a weaker band within the
    window: the contacts being lost. Most bands fallen first, a page at a time."""
    check_first(first)
    drifts = await info.context.service.insights.drifting_ties(
        info.context.viewer,
        person_id=key_of(person, "Person", argument="person") if person else None,
        group_id=key_of(group, "Group", argument="group") if group else None,
        window=_days(window_days, "windowDays"),
        at=at,
    )
    return paginate(
        drifts,
        key=lambda d: f"{d.person_id}~{d.other_id}",
        show=DriftingTie.of,
        first=first,
        after=after,
        strict=True,
    )


HorizonsArgument = Annotated[
    list[int] | None,
    strawberry.argument(
        description="Days after the end to read the curve at (default 30, 90, 180)."
    ),
]


async def group_retention(
    info: Info,
    group: strawberry.ID,
    after: Annotated[
        datetime | None,
        strawberry.argument(description="When 'after' starts (default: the group's end date)."),
    ] = None,
    horizons: HorizonsArgument = None,
    at: AtArgument = None,
) -> GroupRetention:
    """Who in a group kept in touch after it ended, and the survival curve of its pairs."""
    found = await info.context.service.insights.group_retention(
        info.context.viewer,
        key_of(group, "Group", argument="group"),
        after=after,
        horizons=horizons or DEFAULT_HORIZONS,
        at=at,
    )
    return GroupRetention.of(found)


async def compare_groups(
    info: Info,
    groups: list[strawberry.ID],
    horizons: HorizonsArgument = None,
    at: AtArgument = None,
) -> list[GroupRetention]:
    """Several groups' keep-in-touch curves side by side (e.g. digital against in person)."""
    found = await info.context.service.insights.compare_groups(
        info.context.viewer,
        [key_of(g, "Group", argument="groups") for g in groups],
        horizons=horizons or DEFAULT_HORIZONS,
        at=at,
    )
    return [GroupRetention.of(r) for r in found]


async def group_ties(info: Info, group: strawberry.ID, at: AtArgument = None) -> list[GroupTie]:
    """The ties among a group's people, each pair once, with whether it outlived the group."""
    found = await info.context.service.insights.group_ties(
        info.context.viewer, key_of(group, "Group", argument="group"), at=at
    )
    return [GroupTie.of(t) for t in found]


def strength_of_tie(assessments: dict[str, Assessment] | None, other: str) -> TieStrength | None:
    """Show the strength of one of a person's ties from the request's batch of assessments."""
    if assessments is None or other not in assessments:
        return None
    return TieStrength.of(assessments[other])

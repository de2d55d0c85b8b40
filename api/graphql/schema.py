"""The GraphQL schema: queries and mutations, a thin layer over :class:`Service`.

Resolvers call use cases from the per-request context, never the store. Expected errors are
part of the schema: a mutation returns a union of its payload and ``NotFound``,
``InvalidInput`` (with field paths), ``Forbidden`` or ``Conflict``; a query returns null (for a
node the viewer may not see, or an unknown one) or a GraphQL error naming what was wrong.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from api.graphql.errors import error_kind
from api.graphql.resolvers import discovery as discovery_api
from api.graphql.resolvers import insights
from api.graphql.resolvers import introductions as introduction_api
from api.graphql.resolvers import meetings as meetings_api
from api.graphql.resolvers import nudges as nudges_api
from api.graphql.resolvers.live import Subscription
from api.graphql.types import (
    DEFAULT_PAGE,
    NODE_TYPES,
    Connection,
    GroupFormat,
    Info,
    InteractionKind,
    IntroductionStatus,
    KindCount,
    MembershipRole,
    Node,
    PersonRef,
    check_first,
    connection,
    cursor_key,
    decode_global_id,
    key_of,
    paginate,
    to_node,
)
from api.graphql.types import (
    Group as GroupNode,
)
from api.graphql.types import (
    Interaction as InteractionNode,
)
from api.graphql.types import (
    Interest as InterestNode,
)
from api.graphql.types import (
    Introduction as IntroductionNode,
)
from api.graphql.types import (
    Meeting as MeetingNode,
)
from api.graphql.types import (
    Membership as MembershipNode,
)
from api.graphql.types import (
    Organization as OrganizationNode,
)
from api.graphql.types import (
    Person as PersonNode,
)
from api.graphql.types import (
    SideConversation as SideConversationNode,
)
from graph.domain import model
from graph.domain.batch import WriteBatch, WriteSummary
from graph.domain.codec import Record, record_id
from graph.domain.errors import Conflict as ConflictError
from graph.domain.errors import Forbidden as ForbiddenError
from graph.domain.errors import InvalidInput as InvalidInputError
from graph.domain.errors import NotFound as NotFoundError
from graph.domain.errors import Problem
from graph.ports import PeopleQuery
from graph.usecases.policy import Action

__all__ = ["OPERATION_ACTIONS", "build_schema", "schema"]

log = logging.getLogger("tiegraph.graphql")
T = TypeVar("T")


# -- errors as data ----------------------------------------------------------------------------


@strawberry.type(description="One thing wrong with the input: where, the value, and why.")
class FieldProblem:
    path: list[str] = strawberry.field(description="Path to the field, e.g. input/0/startsAt.")
    value: str | None
    reason: str


@strawberry.type(description="The input was rejected; nothing was changed.")
class InvalidInput:
    message: str
    problems: list[FieldProblem]


@strawberry.type(description="Something named by id or key does not exist.")
class NotFound:
    message: str
    key: str


@strawberry.type(description="The viewer may not do this; nothing was changed.")
class Forbidden:
    message: str


@strawberry.type(description="The write contradicts what is stored; nothing was changed.")
class Conflict:
    message: str
    problems: list[FieldProblem]


@strawberry.type(description="How many records of one kind a write created, updated or kept.")
class WriteCount:
    kind: str
    created: int
    updated: int
    unchanged: int


@strawberry.type(description="A person was erased, or there was nothing left to erase.")
class ErasePayload:
    erased: bool = strawberry.field(description="False when nothing was stored (idempotent).")
    removed: list[KindCount] = strawberry.field(description="Records removed, by kind.")
    rewritten: int = strawberry.field(description="Shared records kept for others without them.")


EraseResult = Annotated[
    ErasePayload | Forbidden,
    strawberry.union("EraseResult", description="An erasure, or why it was refused."),
]


@strawberry.type(description="A write was applied, all of it.")
class WritePayload:
    created: int
    updated: int
    unchanged: int
    counts: list[WriteCount]
    nodes: list[Node] = strawberry.field(description="The records as given, now stored.")


WriteResult = Annotated[
    WritePayload | InvalidInput | NotFound | Forbidden | Conflict,
    strawberry.union("WriteResult", description="A write's payload, or why it was refused."),
]

_RENAMED = {
    "id": "key",
    "duration_s": "durationSeconds",
    "speaking_s": "speakingSeconds",
    "participant_ids": "participants",
    "member_ids": "members",
}


def _graphql_field(name: str) -> str:
    if name in _RENAMED:
        return _RENAMED[name]
    name = name.removesuffix("_ids").removesuffix("_id")
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _problem(p: Problem) -> FieldProblem:
    record = p.record.replace("[", "/").replace("]", "")
    field, _, index = p.field.partition("[")
    path = [*record.split("/"), _graphql_field(field)]
    if index:
        path.append(index.rstrip("]"))
    value = None if p.value is None else str(p.value)[:200]
    return FieldProblem(path=path, value=value, reason=p.reason)


def _refusal(
    error: InvalidInputError | ConflictError | ForbiddenError | NotFoundError, *, conflict: str
) -> InvalidInput | NotFound | Forbidden | Conflict:
    """Show an expected refusal as data; ``conflict`` is the message a conflict carries."""
    match error:
        case InvalidInputError():
            return InvalidInput(
                message="the input was rejected; nothing was changed",
                problems=[_problem(p) for p in error.problems],
            )
        case ConflictError():
            return Conflict(
                message=conflict,
                problems=[_problem(p) for p in error.problems],
            )
        case ForbiddenError():
            return Forbidden(message=str(error))
        case NotFoundError():
            return NotFound(message=str(error), key=error.id)


async def _write(
    info: Info, records: Sequence[Record]
) -> WritePayload | InvalidInput | NotFound | Forbidden | Conflict:
    batch = WriteBatch()
    for index, record in enumerate(records):
        batch.add(record, label=f"input[{index}]")
    service, viewer = info.context.service, info.context.viewer
    try:
        # A leader's enrolment of someone else is an invitation: show it as stored.
        settled = await service.settle_enrolments(viewer, batch)
        summary: WriteSummary = await service.write(viewer, settled)
    except (InvalidInputError, ConflictError, ForbiddenError, NotFoundError) as error:
        return _refusal(error, conflict="the write contradicts what is stored; nothing was changed")
    memberships = iter(settled.memberships)
    records = [next(memberships) if isinstance(r, model.Membership) else r for r in records]
    return WritePayload(
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        counts=[
            WriteCount(kind=k, created=c.created, updated=c.updated, unchanged=c.unchanged)
            for k, c in sorted(summary.counts.items())
        ],
        nodes=[to_node(r) for r in records],
    )


def _refused(error: InvalidInputError) -> InvalidInput:
    return InvalidInput(
        message="the input was rejected; nothing was changed",
        problems=[_problem(p) for p in error.problems],
    )


# -- inputs ----------------------------------------------------------------------------------


def _new_key() -> str:
    return uuid.uuid4().hex


@strawberry.input(description="A person to create or update (upserted by key).")
class PersonInput:
    name: str
    key: str | None = strawberry.field(default=None, description="Generated when absent.")
    title: str | None = None
    profession: str | None = None
    organization: strawberry.ID | None = None
    industry: str | None = None
    location: str | None = None
    interests: list[str] = strawberry.field(default_factory=list)
    offers: list[str] = strawberry.field(default_factory=list)
    seeks: list[str] = strawberry.field(default_factory=list)
    email: str | None = None
    profile_url: str | None = None
    discoverable: bool = True
    intermediary: bool = True
    share_post_group_contact: bool = True
    blocked: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="People not to be introduced to or through (private to the person).",
    )

    def to_domain(self, where: str) -> model.Person:
        return model.Person(
            id=self.key or _new_key(),
            name=self.name,
            title=self.title,
            profession=self.profession,
            organization_id=(
                key_of(self.organization, "Organization", argument=f"{where}/organization")
                if self.organization
                else None
            ),
            industry=self.industry,
            location=self.location,
            interests=tuple(self.interests),
            offers=tuple(self.offers),
            seeks=tuple(self.seeks),
            email=self.email,
            profile_url=self.profile_url,
            discoverable=self.discoverable,
            intermediary=self.intermediary,
            share_post_group_contact=self.share_post_group_contact,
            blocked_ids=tuple(
                key_of(b, "Person", argument=f"{where}/blocked") for b in self.blocked
            ),
        )


@strawberry.input(description="An organization to create or update.")
class OrganizationInput:
    name: str
    key: str | None = None
    industry: str | None = None

    def to_domain(self, where: str) -> model.Organization:
        return model.Organization(id=self.key or _new_key(), name=self.name, industry=self.industry)


@strawberry.input(description="An interest to create or update.")
class InterestInput:
    name: str
    key: str | None = None

    def to_domain(self, where: str) -> model.Interest:
        return model.Interest(id=self.key or _new_key(), name=self.name)


@strawberry.input(description="A group to create or update.")
class GroupInput:
    name: str
    key: str | None = None
    leader: strawberry.ID | None = None
    capacity: int = 8
    theme: str | None = None
    format: GroupFormat = model.GroupFormat.DIGITAL
    starts_on: date | None = None
    ends_on: date | None = None

    def to_domain(self, where: str) -> model.Group:
        return model.Group(
            id=self.key or _new_key(),
            name=self.name,
            leader_id=key_of(self.leader, "Person", argument=f"{where}/leader")
            if self.leader
            else None,
            capacity=self.capacity,
            theme=self.theme,
            format=self.format,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
        )


@strawberry.input(description="A person's membership of a group (upserted by the pair).")
class MembershipInput:
    group: strawberry.ID
    person: strawberry.ID
    role: MembershipRole = model.MembershipRole.MEMBER
    joined_on: date | None = None
    left_on: date | None = None
    hopes: list[str] = strawberry.field(
        default_factory=list, description="Pre-interview: what they hope to get (seeks)."
    )
    contributions: list[str] = strawberry.field(
        default_factory=list, description="Pre-interview: what they will bring (offers)."
    )

    def to_domain(self, where: str) -> model.Membership:
        return model.Membership(
            group_id=key_of(self.group, "Group", argument=f"{where}/group"),
            person_id=key_of(self.person, "Person", argument=f"{where}/person"),
            role=self.role,
            joined_on=self.joined_on,
            left_on=self.left_on,
            hopes=tuple(self.hopes),
            contributions=tuple(self.contributions),
        )


@strawberry.input(description="A meeting of a group.")
class MeetingInput:
    group: strawberry.ID
    starts_at: datetime
    key: str | None = None
    duration_seconds: int = 90 * 60
    theme: str | None = None
    format: GroupFormat = model.GroupFormat.DIGITAL

    def to_domain(self, where: str) -> model.Meeting:
        return model.Meeting(
            id=self.key or _new_key(),
            group_id=key_of(self.group, "Group", argument=f"{where}/group"),
            starts_at=self.starts_at,
            duration_s=self.duration_seconds,
            theme=self.theme,
            format=self.format,
        )


@strawberry.input(description="A person attended a meeting (upserted by the pair).")
class AttendanceInput:
    meeting: strawberry.ID
    person: strawberry.ID
    speaking_seconds: int | None = None

    def to_domain(self, where: str) -> model.Attendance:
        return model.Attendance(
            meeting_id=key_of(self.meeting, "Meeting", argument=f"{where}/meeting"),
            person_id=key_of(self.person, "Person", argument=f"{where}/person"),
            speaking_s=self.speaking_seconds,
        )


@strawberry.input(description="A breakout group of a meeting.")
class BreakoutInput:
    meeting: strawberry.ID
    members: list[strawberry.ID]
    key: str | None = None

    def to_domain(self, where: str) -> model.Breakout:
        return model.Breakout(
            id=self.key or _new_key(),
            meeting_id=key_of(self.meeting, "Meeting", argument=f"{where}/meeting"),
            member_ids=tuple(
                key_of(m, "Person", argument=f"{where}/members/{i}")
                for i, m in enumerate(self.members)
            ),
        )


@strawberry.input(description="Members talking outside the meetings.")
class SideConversationInput:
    participants: list[strawberry.ID]
    at: datetime
    key: str | None = strawberry.field(default=None, description="Makes retries idempotent.")
    channel: str | None = None
    initiator: strawberry.ID | None = None
    duration_seconds: int | None = None
    group: strawberry.ID | None = None

    def to_domain(self, where: str) -> model.SideConversation:
        return model.SideConversation(
            id=self.key or _new_key(),
            participant_ids=tuple(
                key_of(p, "Person", argument=f"{where}/participants/{i}")
                for i, p in enumerate(self.participants)
            ),
            at=self.at,
            channel=self.channel,
            initiator_id=key_of(self.initiator, "Person", argument=f"{where}/initiator")
            if self.initiator
            else None,
            duration_s=self.duration_seconds,
            group_id=key_of(self.group, "Group", argument=f"{where}/group") if self.group else None,
        )


@strawberry.input(description="A contact between two or more people.")
class InteractionInput:
    participants: list[strawberry.ID]
    at: datetime
    kind: InteractionKind
    key: str | None = strawberry.field(
        default=None, description="Idempotency key: the same key twice is stored once."
    )
    initiator: strawberry.ID | None = None
    duration_seconds: int | None = None
    channel: str | None = None

    def to_domain(self, where: str) -> model.Interaction:
        return model.Interaction(
            key=self.key or _new_key(),
            at=self.at,
            kind=self.kind,
            participant_ids=tuple(
                key_of(p, "Person", argument=f"{where}/participants/{i}")
                for i, p in enumerate(self.participants)
            ),
            initiator_id=key_of(self.initiator, "Person", argument=f"{where}/initiator")
            if self.initiator
            else None,
            duration_s=self.duration_seconds,
            channel=self.channel,
        )


@strawberry.input(description="An introduction: requested, then answered, then met or not.")
class IntroductionInput:
    requester: strawberry.ID
    introducer: strawberry.ID
    target: strawberry.ID
    requested_at: datetime
    key: str | None = None
    status: IntroductionStatus = model.IntroductionStatus.REQUESTED
    updated_at: datetime | None = None
    note: str | None = None

    def to_domain(self, where: str) -> model.Introduction:
        return model.Introduction(
            id=self.key or _new_key(),
            requester_id=key_of(self.requester, "Person", argument=f"{where}/requester"),
            introducer_id=key_of(self.introducer, "Person", argument=f"{where}/introducer"),
            target_id=key_of(self.target, "Person", argument=f"{where}/target"),
            status=self.status,
            requested_at=self.requested_at,
            updated_at=self.updated_at,
            note=self.note,
        )


def _converted(inputs: Sequence[Any]) -> list[Record]:
    return [item.to_domain(f"input/{i}") for i, item in enumerate(inputs)]


def _write_field(input_type: type[Any], *, batch: bool, description: str) -> Any:
    """Build a mutation field writing one (``batch=False``) or many records of one input type."""

    async def write(info: Info, input: Any) -> Any:
        try:
            records = _converted(input if batch else [input])
        except InvalidInputError as error:
            return _refused(error)
        return await _write(info, records)

    # Annotations are strings under postponed evaluation; give Strawberry the real types.
    write.__annotations__ = {
        "info": Info,
        "input": list[input_type] if batch else input_type,  # type: ignore[valid-type]  # a type made at run time, which mypy cannot follow
        "return": WriteResult,
    }
    return strawberry.mutation(resolver=write, description=description)


# -- queries ---------------------------------------------------------------------------------


@strawberry.input(description="Filters for finding people; every given one must match.")
class PeopleFilter:
    name: str | None = strawberry.field(default=None, description="A part of the name.")
    interest: str | None = None
    profession: str | None = None
    industry: str | None = None
    organization: strawberry.ID | None = None
    location: str | None = None


def _one(found: Sequence[T | None]) -> T | None:
    return found[0] if found else None


@strawberry.type
class Query:
    @strawberry.field(description="Any entity by its global id; null if unknown or not visible.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return _one(await _nodes(info, [id]))

    @strawberry.field(description="Entities by global id, in order; null where unknown.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > 100:
            raise InvalidInputError([Problem("ids", "ids", len(ids), "at most 100 ids")])
        return await _nodes(info, ids)

    @strawberry.field(description="The person the viewer is signed in as.")
    async def viewer(self, info: Info) -> PersonNode | None:
        person_id = info.context.viewer.person_id
        if person_id is None:
            return None
        found = await info.context.loaders.person.load(person_id)
        return None if found is None else PersonNode.from_domain(found)

    @strawberry.field(description="A person by global id or key.")
    async def person(self, info: Info, id: PersonRef) -> PersonNode | None:
        key = key_of(id, "Person", argument="id")
        found = await info.context.loaders.person.load(key)
        return None if found is None else PersonNode.from_domain(found)

    @strawberry.field(description="People who agreed to be found, in key order.")
    async def people(
        self,
        info: Info,
        filter: PeopleFilter | None = None,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Connection[PersonNode]:
        f = filter or PeopleFilter()
        query = PeopleQuery(
            name=f.name,
            interest=f.interest,
            profession=f.profession,
            industry=f.industry,
            organization_id=key_of(f.organization, "Organization", argument="filter.organization")
            if f.organization
            else None,
            location=f.location,
        )
        page = await info.context.service.search_people(
            info.context.viewer, query, first=check_first(first), after=cursor_key(after)
        )
        return connection(
            page,
            key=lambda p: p.id,
            show=PersonNode.from_domain,
            after=after is not None,
        )

    @strawberry.field(description="A group by global id or key.")
    async def group(self, info: Info, id: strawberry.ID) -> GroupNode | None:
        found = await info.context.loaders.group.load(key_of(id, "Group", argument="id"))
        return None if found is None else GroupNode.from_domain(found)

    @strawberry.field(description="A meeting by global id or key.")
    async def meeting(self, info: Info, id: strawberry.ID) -> MeetingNode | None:
        found = await info.context.loaders.meeting.load(key_of(id, "Meeting", argument="id"))
        return None if found is None else MeetingNode.from_domain(found)

    @strawberry.field(description="Groups in key order.")
    async def groups(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[GroupNode]:
        page = await info.context.service.list_records(
            info.context.viewer, model.Group, first=check_first(first), after=cursor_key(after)
        )
        return connection(
            page,
            key=lambda g: g.id,
            show=GroupNode.from_domain,
            after=after is not None,
        )

    @strawberry.field(description="Organizations in key order.")
    async def organizations(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[OrganizationNode]:
        page = await info.context.service.list_records(
            info.context.viewer,
            model.Organization,
            first=check_first(first),
            after=cursor_key(after),
        )
        return connection(
            page,
            key=lambda o: o.id,
            show=OrganizationNode.from_domain,
            after=after is not None,
        )

    @strawberry.field(description="A person's interactions in time order (theirs to see).")
    async def interactions(
        self,
        info: Info,
        person: PersonRef,
        with_: Annotated[
            strawberry.ID | None, strawberry.argument(name="with", description="Only with them.")
        ] = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Connection[InteractionNode]:
        found = await info.context.service.interactions_of(
            info.context.viewer,
            key_of(person, "Person", argument="person"),
            other_id=key_of(with_, "Person", argument="with") if with_ else None,
            since=since,
            until=until,
        )
        return paginate(
            found,
            key=record_id,
            show=InteractionNode.from_domain,
            first=first,
            after=after,
        )

    @strawberry.field(description="A person's side conversations in time order (theirs to see).")
    async def side_conversations(
        self, info: Info, person: PersonRef, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[SideConversationNode]:
        found = await info.context.service.side_conversations_of(
            info.context.viewer, key_of(person, "Person", argument="person")
        )
        return paginate(
            found,
            key=record_id,
            show=SideConversationNode.from_domain,
            first=first,
            after=after,
        )

    @strawberry.field(description="The introductions a person is part of (theirs to see).")
    async def introductions(
        self, info: Info, person: PersonRef, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[IntroductionNode]:
        found = await info.context.service.introductions_of(
            info.context.viewer, key_of(person, "Person", argument="person")
        )
        return paginate(
            found,
            key=record_id,
            show=IntroductionNode.from_domain,
            first=first,
            after=after,
        )

    relationship = strawberry.field(
        resolver=insights.relationship,
        description="How strong the tie between two people is, why, and the contacts behind"
        " it; null if they have not interacted (by `at`).",
    )
    strongest_ties = strawberry.field(
        resolver=insights.strongest_ties,
        description="A person's ties, strongest first (theirs to see).",
    )
    tie_history = strawberry.field(
        resolver=insights.tie_history,
        description="A pair's strength over time, one point per step (at most 1,000).",
    )
    drifting_ties = strawberry.field(
        resolver=insights.drifting_ties,
        description="Ties of a person, or among a group's members (its leader only), that fell"
        " to a weaker band within the window: the contacts being lost.",
    )
    group_retention = strawberry.field(
        resolver=insights.group_retention,
        description="Who in a group kept in touch after it ended, with the survival curve of"
        " its member pairs (its leader and members; small groups only in aggregate for"
        " members).",
    )
    compare_groups = strawberry.field(
        resolver=insights.compare_groups,
        description="Several groups' keep-in-touch figures side by side.",
    )
    group_ties = strawberry.field(
        resolver=insights.group_ties,
        description="The ties among a group's people (its leader too), each pair once, with"
        " strength and whether they kept in touch after the group ended (its leader).",
    )
    keep_in_touch = strawberry.field(
        resolver=nudges_api.keep_in_touch,
        description="Your own ties worth renewing now (strong once, fading now), most worth"
        " first, each with the group you shared, the last contact, who started it and why"
        " (theirs to see).",
    )

    shared_interests = strawberry.field(
        resolver=discovery_api.shared_interests,
        description="What two people have in common, weighted by rarity and explained (groups"
        " and meetings only for the two and their leaders).",
    )
    recommended_people = strawberry.field(
        resolver=discovery_api.recommended_people,
        description="People you do not know yet who share your interests or whose offers meet"
        " your seeks (for yourself).",
    )
    interest_overlap = strawberry.field(
        resolver=discovery_api.interest_overlap,
        description="Interests several of a group's members hold (its leader and members).",
    )
    meeting_balance = strawberry.field(
        resolver=meetings_api.meeting_balance,
        description="How evenly a meeting's attendees spoke (its group's leader).",
    )
    group_balance = strawberry.field(
        resolver=meetings_api.group_balance,
        description="Speaking balance across a group's meetings, with trends (its leader).",
    )
    suggest_breakouts = strawberry.field(
        resolver=meetings_api.suggest_breakouts,
        description="Breakout groups that make people meet: weakest ties together, talkers"
        " apart, partners rotating over the series (a leader). Record the ones used with"
        " recordBreakouts.",
    )
    compose_cohorts = strawberry.field(
        resolver=meetings_api.compose_cohorts,
        description="Cohorts from a pool of applicants: shared professions across industries,"
        " complementary offers and seeks, some shared interests; never two people of one"
        " organization, formats and capacity kept (a leader). Reproducible for a seed.",
    )
    introduction_paths = strawberry.field(
        resolver=introduction_api.introduction_paths,
        description="Who can introduce you to someone, through whom, and why: the best paths"
        " of people who know each other (and agreed to be intermediaries), each link explained.",
    )
    connection_degree = strawberry.field(
        resolver=introduction_api.connection_degree,
        description="How far apart two people are (either of them may ask).",
    )
    mutual_connections = strawberry.field(
        resolver=introduction_api.mutual_connections,
        description="People both have a tie with (either of them may ask).",
    )

    @strawberry.field(
        description="How often a person accepts requests to introduce and how often they lead"
        " to a meeting (anyone signed in, for people who make introductions)."
    )
    async def intermediary_stats(self, info: Info, person: PersonRef) -> IntermediaryStats:
        stats = await info.context.service.introductions.intermediary_stats(
            info.context.viewer, key_of(person, "Person", argument="person")
        )
        return IntermediaryStats(
            asked=stats.asked,
            pending=stats.pending,
            accepted=stats.accepted,
            declined=stats.declined,
            met=stats.met,
            not_met=stats.not_met,
            acceptance_rate=stats.acceptance_rate,
            success_rate=stats.success_rate,
        )

    @strawberry.field(description="How many records of each kind are stored (admins only).")
    async def statistics(self, info: Info) -> list[KindCount]:
        counts = await info.context.service.counts(info.context.viewer)
        return [KindCount(kind=k, count=n) for k, n in counts.items()]


async def _nodes(info: Info, ids: Sequence[str]) -> list[Node | None]:
    decoded = [decode_global_id(i) for i in ids]
    by_type: dict[str, list[str]] = {}
    for d in decoded:
        if d is not None:
            by_type.setdefault(d[0], []).append(d[1])
    found: dict[tuple[str, str], object] = {}
    for type_name, keys in by_type.items():
        records = await info.context.service.records(
            info.context.viewer,
            NODE_TYPES[type_name],
            keys,
        )
        found.update({(type_name, k): r for k, r in zip(keys, records, strict=True) if r})
    return [to_node(found[d]) if d is not None and d in found else None for d in decoded]


@strawberry.type(description="An introduction as it now stands.")
class IntroductionPayload:
    introduction: IntroductionNode


IntroductionResult = Annotated[
    IntroductionPayload | InvalidInput | NotFound | Forbidden | Conflict,
    strawberry.union(
        "IntroductionResult", description="The introduction, or why the step was refused."
    ),
]


async def _introduction_step(
    step: Callable[[], Awaitable[model.Introduction]],
) -> IntroductionPayload | InvalidInput | NotFound | Forbidden | Conflict:
    """Run one workflow step, turning expected refusals into data."""
    try:
        introduction = await step()
    except (InvalidInputError, ConflictError, ForbiddenError, NotFoundError) as error:
        return _refusal(
            error, conflict="the step does not follow from where the introduction stands"
        )
    return IntroductionPayload(introduction=IntroductionNode.from_domain(introduction))


@strawberry.type(description="A membership as it now stands.")
class MembershipPayload:
    membership: MembershipNode


MembershipResult = Annotated[
    MembershipPayload | InvalidInput | NotFound | Forbidden | Conflict,
    strawberry.union("MembershipResult", description="The membership, or why it was refused."),
]


@strawberry.type(description="How a person answers requests to introduce, and what comes of it.")
class IntermediaryStats:
    asked: int
    pending: int
    accepted: int
    declined: int
    met: int
    not_met: int
    acceptance_rate: float | None = strawberry.field(
        description="Accepted out of answered; null before any answer."
    )
    success_rate: float | None = strawberry.field(
        description="Met out of accepted introductions with a known outcome."
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Ask someone to introduce you to someone they know.")
    async def request_introduction(
        self,
        info: Info,
        to: PersonRef,
        via: PersonRef,
        note: str | None = None,
        from_: Annotated[
            strawberry.ID | None,
            strawberry.argument(name="from", description="Who asks (default: the viewer)."),
        ] = None,
    ) -> IntroductionResult:
        flow = info.context.service.introductions
        return await _introduction_step(
            lambda: flow.request_introduction(
                info.context.viewer,
                key_of(to, "Person", argument="to"),
                key_of(via, "Person", argument="via"),
                requester=key_of(from_, "Person", argument="from") if from_ else None,
                note=note,
            )
        )

    @strawberry.mutation(description="As the introducer, accept or decline a request.")
    async def answer_introduction(
        self, info: Info, id: strawberry.ID, accept: bool
    ) -> IntroductionResult:
        flow = info.context.service.introductions
        return await _introduction_step(
            lambda: flow.answer_introduction(
                info.context.viewer, key_of(id, "Introduction", argument="id"), accept=accept
            )
        )

    @strawberry.mutation(
        description="Record whether an accepted introduction led to a meeting; a meeting"
        " becomes an interaction between the two and feeds their tie."
    )
    async def record_introduction_outcome(
        self, info: Info, id: strawberry.ID, met: bool
    ) -> IntroductionResult:
        flow = info.context.service.introductions
        return await _introduction_step(
            lambda: flow.record_introduction_outcome(
                info.context.viewer, key_of(id, "Introduction", argument="id"), met=met
            )
        )

    @strawberry.mutation(
        description="Accept or decline an invitation to a group (a leader's enrolment); until"
        " accepted, the group's leader sees nothing private of the person. An invitation that"
        " is not yours answers NotFound, like an unknown one."
    )
    async def answer_invitation(
        self,
        info: Info,
        group: strawberry.ID,
        accept: bool,
        person: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Who answers (default: the viewer; admins only)."),
        ] = None,
    ) -> MembershipResult:
        try:
            membership = await info.context.service.enrolment.answer_invitation(
                info.context.viewer,
                key_of(group, "Group", argument="group"),
                accept=accept,
                person_id=key_of(person, "Person", argument="person") if person else None,
            )
        except (InvalidInputError, ConflictError, ForbiddenError, NotFoundError) as error:
            return _refusal(error, conflict="the invitation was answered already")
        return MembershipPayload(membership=MembershipNode.from_domain(membership))

    @strawberry.mutation(
        description="Erase a person and every attribution to them (GDPR); idempotent."
    )
    async def erase_person(self, info: Info, person: PersonRef) -> EraseResult:
        key = key_of(person, "Person", argument="person")
        try:
            receipt = await info.context.service.erase_person(
                info.context.viewer, key, at=datetime.now(UTC)
            )
        except ForbiddenError as error:
            return Forbidden(message=str(error))
        return ErasePayload(
            erased=receipt.erased,
            removed=[KindCount(kind=k, count=n) for k, n in sorted(receipt.removed.items())],
            rewritten=receipt.rewritten,
        )

    upsert_person = _write_field(PersonInput, batch=False, description="Create or update a person.")
    upsert_people = _write_field(PersonInput, batch=True, description="Create or update people.")
    upsert_organization = _write_field(
        OrganizationInput, batch=False, description="Create or update an organization."
    )
    upsert_organizations = _write_field(
        OrganizationInput, batch=True, description="Create or update organizations."
    )
    upsert_interest = _write_field(
        InterestInput, batch=False, description="Create or update an interest."
    )
    upsert_interests = _write_field(
        InterestInput, batch=True, description="Create or update interests."
    )
    upsert_group = _write_field(GroupInput, batch=False, description="Create or update a group.")
    upsert_groups = _write_field(GroupInput, batch=True, description="Create or update groups.")
    upsert_membership = _write_field(
        MembershipInput,
        batch=False,
        description="Add a person to a group or change their role; a leader's enrolment of"
        " someone else is an invitation (status INVITED) until they answerInvitation.",
    )
    upsert_memberships = _write_field(
        MembershipInput,
        batch=True,
        description="Add people to groups or change their role (a leader's enrolments are"
        " invitations).",
    )
    upsert_meeting = _write_field(
        MeetingInput, batch=False, description="Create or update a meeting."
    )
    upsert_meetings = _write_field(
        MeetingInput, batch=True, description="Create or update meetings."
    )
    record_attendee = _write_field(
        AttendanceInput, batch=False, description="Record that someone attended a meeting."
    )
    record_attendance = _write_field(
        AttendanceInput, batch=True, description="Record who attended meetings."
    )
    record_breakout = _write_field(
        BreakoutInput, batch=False, description="Record a breakout group a meeting used."
    )
    record_breakouts = _write_field(
        BreakoutInput, batch=True, description="Record the breakout groups a meeting used."
    )
    record_side_conversation = _write_field(
        SideConversationInput, batch=False, description="Record a conversation beside the meetings."
    )
    record_side_conversations = _write_field(
        SideConversationInput, batch=True, description="Record conversations beside the meetings."
    )
    record_interaction = _write_field(
        InteractionInput, batch=False, description="Record one contact (idempotent by key)."
    )
    record_interactions = _write_field(
        InteractionInput, batch=True, description="Record contacts, all or nothing."
    )
    upsert_introduction = _write_field(
        IntroductionInput,
        batch=False,
        description="Write an introduction directly (admins and imports; members use"
        " requestIntroduction, answerIntroduction and recordIntroductionOutcome).",
    )
    upsert_introductions = _write_field(
        IntroductionInput,
        batch=True,
        description="Write introductions directly (admins and imports).",
    )


OPERATION_ACTIONS: dict[str, Action] = {
    "Query.node": Action.READ_PUBLIC_PROFILE,
    "Query.nodes": Action.READ_PUBLIC_PROFILE,
    "Query.viewer": Action.READ_PUBLIC_PROFILE,
    "Query.person": Action.READ_PUBLIC_PROFILE,
    "Query.people": Action.READ_PUBLIC_PROFILE,
    "Query.group": Action.READ_GROUP,
    "Query.groups": Action.READ_GROUP,
    "Query.meeting": Action.READ_GROUP,
    "Query.organizations": Action.READ_GROUP,
    "Query.interactions": Action.READ_CONTACTS,
    "Query.sideConversations": Action.READ_CONTACTS,
    "Query.introductions": Action.READ_INTRODUCTION,
    "Query.statistics": Action.READ_STATISTICS,
    "Mutation.upsertPerson": Action.WRITE_PERSON,
    "Mutation.upsertPeople": Action.WRITE_PERSON,
    "Mutation.upsertOrganization": Action.WRITE_DIRECTORY,
    "Mutation.upsertOrganizations": Action.WRITE_DIRECTORY,
    "Mutation.upsertInterest": Action.WRITE_DIRECTORY,
    "Mutation.upsertInterests": Action.WRITE_DIRECTORY,
    "Mutation.upsertGroup": Action.WRITE_GROUP,
    "Mutation.upsertGroups": Action.WRITE_GROUP,
    "Mutation.upsertMembership": Action.RECORD_GROUP_EVENT,
    "Mutation.upsertMemberships": Action.RECORD_GROUP_EVENT,
    "Mutation.upsertMeeting": Action.RECORD_GROUP_EVENT,
    "Mutation.upsertMeetings": Action.RECORD_GROUP_EVENT,
    "Mutation.recordAttendee": Action.RECORD_GROUP_EVENT,
    "Mutation.recordAttendance": Action.RECORD_GROUP_EVENT,
    "Mutation.recordBreakout": Action.RECORD_GROUP_EVENT,
    "Mutation.recordBreakouts": Action.RECORD_GROUP_EVENT,
    "Mutation.recordSideConversation": Action.RECORD_CONTACT,
    "Mutation.recordSideConversations": Action.RECORD_CONTACT,
    "Mutation.recordInteraction": Action.RECORD_CONTACT,
    "Mutation.recordInteractions": Action.RECORD_CONTACT,
    "Mutation.upsertIntroduction": Action.IMPORT_INTRODUCTION,
    "Mutation.upsertIntroductions": Action.IMPORT_INTRODUCTION,
    "Mutation.answerInvitation": Action.ANSWER_INVITATION,
    "Mutation.erasePerson": Action.ERASE_PERSON,
    "Query.relationship": Action.READ_RELATIONSHIP,
    "Query.strongestTies": Action.READ_TIES,
    "Query.tieHistory": Action.READ_RELATIONSHIP,
    "Query.driftingTies": Action.READ_TIES,
    "Query.groupRetention": Action.READ_GROUP_RETENTION,
    "Query.compareGroups": Action.READ_GROUP_RETENTION,
    "Query.groupTies": Action.READ_GROUP_TIES,
    "Query.keepInTouch": Action.READ_TIES,
    "Query.introductionPaths": Action.FIND_INTRODUCTIONS,
    "Query.connectionDegree": Action.READ_CONNECTION_DEGREE,
    "Query.mutualConnections": Action.READ_CONNECTION_DEGREE,
    "Query.intermediaryStats": Action.READ_PUBLIC_PROFILE,
    "Query.meetingBalance": Action.RUN_MEETINGS,
    "Query.groupBalance": Action.RUN_MEETINGS,
    "Query.suggestBreakouts": Action.RUN_MEETINGS,
    "Query.composeCohorts": Action.RUN_MEETINGS,
    "Query.sharedInterests": Action.READ_PUBLIC_PROFILE,
    "Query.recommendedPeople": Action.READ_TIES,
    "Query.interestOverlap": Action.READ_GROUP_DETAILS,
    "Mutation.requestIntroduction": Action.FIND_INTRODUCTIONS,
    "Mutation.answerIntroduction": Action.WRITE_INTRODUCTION,
    "Mutation.recordIntroductionOutcome": Action.WRITE_INTRODUCTION,
    "Subscription.tieChanged": Action.READ_TIES,
    "Subscription.introductionUpdates": Action.READ_INTRODUCTION,
    "Subscription.groupActivity": Action.FOLLOW_GROUP,
}
"""The policy action each root operation needs (see :mod:`graph.usecases.policy`).

Nested fields apply the policy too (private profile fields, a group's members and meetings,
ties); the authorization matrix test runs every operation here as every role and fails when
an operation is missing.
"""


class _Schema(strawberry.Schema):
    """The schema, logging errors without the query text or argument values they may carry."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            original = error.original_error
            path = "/".join(str(p) for p in error.path or ())
            # A variable of the wrong type carries graphql-core's own error as its original: the
            # caller's doing, like the domain's refusals, and no reason for an error log line.
            if error_kind(error) != "unexpected":
                kind = type(original).__name__ if original is not None else "GraphQLError"
                log.info("graphql request refused: %s at %s", kind, path or "-")
            else:
                log.error("unexpected error at %s", path or "-", exc_info=original)


def build_schema(
    extensions: Sequence[type[SchemaExtension] | Callable[[], SchemaExtension]] = (),
) -> strawberry.Schema:
    """Build the schema with the given extensions (protections, metrics)."""
    return _Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            PersonNode,
            GroupNode,
            OrganizationNode,
            # Reached only through ``Node`` (a written interest, ``node(id:)``): list it, or
            # graphql-core cannot resolve it and the write answers an error.
            InterestNode,
            InteractionNode,
            IntroductionNode,
            SideConversationNode,
        ],
        extensions=list(extensions),
    )


schema = build_schema()
"""The schema without runtime extensions, for printing ``schema.graphql``."""

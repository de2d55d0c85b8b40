"""GraphQL object types: Relay nodes for every entity and their nested fields.

The request context and its DataLoaders are in :mod:`api.graphql.context`, connections and
cursors in :mod:`api.graphql.pagination` (both re-exported here).

Every entity is a ``Node`` with an opaque global ``id`` and its stable application id
``key``. Nested lists are connections paged in memory from what one DataLoader call returned,
so a page of people with their groups and meetings costs a fixed number of store calls.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, TypeAlias

import strawberry

from api.graphql.context import Context, Info, Loaders
from api.graphql.pagination import (
    DEFAULT_PAGE,
    Connection,
    Edge,
    PageInfo,
    check_first,
    connection,
    cursor_key,
    page_of,
    paginate,
)
from graph.domain import model
from graph.domain.codec import Record, record_id
from graph.domain.errors import InvalidInput, Problem
from graph.domain.relationship import Assessment, Band
from graph.usecases.policy import Action, Facts, may

__all__ = [
    "DEFAULT_PAGE",
    "Connection",
    "Context",
    "Edge",
    "Info",
    "Loaders",
    "Node",
    "PageInfo",
    "check_first",
    "connection",
    "cursor_key",
    "decode_global_id",
    "global_id",
    "page_of",
    "paginate",
    "to_node",
]


# strawberry.enum registers each domain enum under its GraphQL name and returns the same class;
# the aliases are what annotations name.
strawberry.enum(model.InteractionKind, name="InteractionKind")
strawberry.enum(model.GroupFormat, name="Format")
strawberry.enum(model.MembershipRole, name="MembershipRole")
strawberry.enum(
    model.MembershipStatus,
    name="MembershipStatus",
    description="Whether the person agreed to be in the group: a leader's enrolment is an"
    " invitation until the person accepts it.",
)
strawberry.enum(model.IntroductionStatus, name="IntroductionStatus")
strawberry.enum(Band, name="TieBand", description="A tie's strength in words.")
InteractionKind: TypeAlias = model.InteractionKind
GroupFormat: TypeAlias = model.GroupFormat
MembershipRole: TypeAlias = model.MembershipRole
MembershipStatus: TypeAlias = model.MembershipStatus
IntroductionStatus: TypeAlias = model.IntroductionStatus
TieBand: TypeAlias = Band


# -- global ids ------------------------------------------------------------------------------


def global_id(type_name: str, key: str) -> str:
    """Return the opaque global id of the ``type_name`` entity with application id ``key``."""
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def decode_global_id(value: str) -> tuple[str, str] | None:
    """Return ``(type name, key)`` if ``value`` is a global id this API gave out, else ``None``."""
    try:
        padded = value + "=" * (-len(value) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError, binascii.Error):
        return None
    type_name, sep, key = text.partition(":")
    if not sep or type_name not in NODE_TYPES or not key:
        return None
    return type_name, key


def key_of(value: str, type_name: str, *, argument: str) -> str:
    """Accept a global id of ``type_name`` or a plain key; return the key.

    A global id of another type is refused, naming the argument.
    """
    decoded = decode_global_id(value)
    if decoded is None:
        return value
    found_type, key = decoded
    if found_type != type_name:
        raise InvalidInput(
            [Problem(argument, argument, value, f"is the id of a {found_type}, not a {type_name}")]
        )
    return key


# -- nodes -----------------------------------------------------------------------------------


@strawberry.interface(description="An entity with a global id.")
class Node:
    key: str = strawberry.field(description="The stable application id it was created with.")

    @strawberry.field(description="The opaque global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(type(self).__name__, self.key))


def _show_person(p: object) -> Person:
    assert isinstance(p, model.Person)
    return Person.from_domain(p)


@strawberry.type(description="A tie: what two people's interactions add up to.")
class Tie:
    other_key: strawberry.Private[str]
    count: int = strawberry.field(description="How many interactions the two shared.")
    first_at: datetime = strawberry.field(description="Their first interaction.")
    last_at: datetime = strawberry.field(description="Their latest interaction.")
    initiated_by_me: int = strawberry.field(description="Contacts the person asked about began.")
    initiated_by_other: int = strawberry.field(description="Contacts the other person began.")
    kind_counts: strawberry.Private[dict[model.InteractionKind, int]]
    me_key: strawberry.Private[str]

    @strawberry.field(description="The person at the other end.")
    async def other(self, info: Info) -> Person | None:
        return await person_of(info, self.other_key)

    @strawberry.field(description="How strong the tie is now, and why.")
    async def strength(self, info: Info) -> TieStrength | None:
        found = await info.context.loaders.tie_strength.load((self.me_key, self.other_key))
        return None if found is None else TieStrength.of(found)

    @strawberry.field(description="How many interactions of each kind, by kind name.")
    def kinds(self) -> list[KindCount]:
        return [KindCount(kind=k.value, count=n) for k, n in sorted(self.kind_counts.items())]


@strawberry.type(description="What a strength is made of, each part between 0 and 1.")
class StrengthComponents:
    recency: float = strawberry.field(description="How much survives since the last contact.")
    frequency: float = strawberry.field(
        description="How much recent, weighted contact had built up by the last contact."
    )
    longevity: float = strawberry.field(description="How long from first to last contact.")
    reciprocity: float = strawberry.field(
        description="1 when both start contact equally, 0 when one side always does."
    )
    diversity: float = strawberry.field(description="How many kinds of contact they share.")
    embeddedness: float = strawberry.field(description="Shared contacts and shared groups.")


@strawberry.type(description="How strong a tie is at one moment.")
class TieStrength:
    at: datetime
    strength: float = strawberry.field(description="Normalized strength between 0 and 1.")
    band: TieBand
    score: float = strawberry.field(description="The raw decaying score behind the strength.")
    components: StrengthComponents

    @classmethod
    def of(cls, a: Assessment) -> TieStrength:
        """Show an assessment."""
        c = a.components
        return cls(
            at=a.at,
            strength=a.strength,
            band=a.band,
            score=a.score,
            components=StrengthComponents(
                recency=c.recency,
                frequency=c.frequency,
                longevity=c.longevity,
                reciprocity=c.reciprocity,
                diversity=c.diversity,
                embeddedness=c.embeddedness,
            ),
        )


@strawberry.type(description="How many of one kind of thing.")
class KindCount:
    kind: str
    count: int


@strawberry.type(description="Someone in the network.")
class Person(Node):
    name: str
    title: str | None
    profession: str | None
    industry: str | None
    location: str | None
    interests: list[str]
    organization_key: strawberry.Private[str | None]
    offers: list[str] | None = strawberry.field(description="Private: self and their leaders.")
    seeks: list[str] | None = strawberry.field(description="Private: self and their leaders.")
    email: str | None = strawberry.field(description="Private: self and their leaders.")
    profile_url: str | None = strawberry.field(description="Private: self and their leaders.")
    consent: strawberry.Private[tuple[bool, bool, bool]] = (True, True, True)
    """Discoverable, intermediary, shares post-group contact: the person's own to read."""
    blocked_keys: strawberry.Private[tuple[str, ...]] = ()

    @classmethod
    def from_domain(cls, p: model.Person) -> Person:
        """Show a domain person (already redacted by the use case where needed)."""
        return cls(
            key=p.id,
            name=p.name,
            title=p.title,
            profession=p.profession,
            industry=p.industry,
            location=p.location,
            interests=list(p.interests),
            organization_key=p.organization_id,
            offers=list(p.offers),
            seeks=list(p.seeks),
            email=p.email,
            profile_url=p.profile_url,
            consent=(p.discoverable, p.intermediary, p.share_post_group_contact),
            blocked_keys=p.blocked_ids,
        )

    def _own(self, info: Info) -> bool:
        """Whether the viewer may read this person's consent flags and blocks."""
        return may(info.context.viewer, Action.READ_CONSENT, Facts(people=[self.key]))

    @strawberry.field(
        description="May appear in search results. Private: only for themselves (null for"
        " anyone else)."
    )
    def discoverable(self, info: Info) -> bool | None:
        return self.consent[0] if self._own(info) else None

    @strawberry.field(
        description="May be shown on introduction paths and asked to introduce. Private: only"
        " for themselves (null for anyone else)."
    )
    def intermediary(self, info: Info) -> bool | None:
        return self.consent[1] if self._own(info) else None

    @strawberry.field(
        description="May be counted among members who kept in touch after a group ended."
        " Private: only for themselves (null for anyone else)."
    )
    def share_post_group_contact(self, info: Info) -> bool | None:
        return self.consent[2] if self._own(info) else None

    @strawberry.field(
        description="Keys of people they will not be introduced to or through; only for"
        " themselves (null for anyone else)."
    )
    def blocked(self, info: Info) -> list[str] | None:
        return list(self.blocked_keys) if self._own(info) else None

    @strawberry.field(description="Where they work.")
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_key is None:
            return None
        found = await info.context.loaders.organization.load(self.organization_key)
        return None if found is None else Organization.from_domain(found)

    @strawberry.field(description="The groups they belong to, as memberships.")
    async def memberships(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[Membership]:
        found = await info.context.loaders.person_memberships.load(self.key)
        return paginate(
            found,
            key=record_id,
            show=Membership.from_domain,
            first=first,
            after=after,
        )

    @strawberry.field(
        description="Their ties by the other person's key; null unless it is the viewer's own."
    )
    async def ties(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[Tie] | None:
        found = await info.context.loaders.ties.load(self.key)
        if found is None:
            return None
        me = self.key

        def show(t: object) -> Tie:
            assert isinstance(t, model.Tie)
            mine_first = t.a == me
            return Tie(
                other_key=t.other(me),
                count=t.count,
                first_at=t.first_at,
                last_at=t.last_at,
                initiated_by_me=t.initiated_by_a if mine_first else t.initiated_by_b,
                initiated_by_other=t.initiated_by_b if mine_first else t.initiated_by_a,
                kind_counts=dict(t.counts),
                me_key=me,
            )

        return paginate(
            found,
            key=lambda t: t.other(me),
            show=show,
            first=first,
            after=after,
        )


@strawberry.type(description="An employer or other organization.")
class Organization(Node):
    name: str
    industry: str | None

    @classmethod
    def from_domain(cls, o: model.Organization) -> Organization:
        """Show a domain organization."""
        return cls(key=o.id, name=o.name, industry=o.industry)


@strawberry.type(description="A topic people care about.")
class Interest(Node):
    name: str

    @classmethod
    def from_domain(cls, i: model.Interest) -> Interest:
        """Show a domain interest."""
        return cls(key=i.id, name=i.name)


@strawberry.type(description="A networking group: a leader, members, meetings, a start and an end.")
class Group(Node):
    name: str
    leader_key: strawberry.Private[str | None]
    capacity: int
    theme: str | None
    format: GroupFormat
    starts_on: date | None
    ends_on: date | None

    @classmethod
    def from_domain(cls, g: model.Group) -> Group:
        """Show a domain group."""
        return cls(
            key=g.id,
            name=g.name,
            leader_key=g.leader_id,
            capacity=g.capacity,
            theme=g.theme,
            format=g.format,
            starts_on=g.starts_on,
            ends_on=g.ends_on,
        )

    @strawberry.field(description="The group's leader.")
    async def leader(self, info: Info) -> Person | None:
        if self.leader_key is None:
            return None
        found = await info.context.loaders.person.load(self.leader_key)
        return None if found is None else _show_person(found)

    @strawberry.field(description="Its memberships; null unless the viewer leads or belongs to it.")
    async def members(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[Membership] | None:
        return await page_of(
            info.context.loaders.group_memberships,
            self.key,
            show=Membership.from_domain,
            first=first,
            after=after,
        )

    @strawberry.field(description="Its meetings in time order; null unless leader or member.")
    async def meetings(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[Meeting] | None:
        return await page_of(
            info.context.loaders.group_meetings,
            self.key,
            show=Meeting.from_domain,
            first=first,
            after=after,
        )


@strawberry.type(description="A person's place in a group.")
class Membership(Node):
    group_key: strawberry.Private[str]
    person_key: strawberry.Private[str]
    role: MembershipRole
    joined_on: date | None
    left_on: date | None
    status: MembershipStatus = strawberry.field(
        description="INVITED until the person accepts (answerInvitation); only ACTIVE"
        " memberships give the group's leader anything about the person."
    )
    pre_interview: strawberry.Private[tuple[tuple[str, ...], tuple[str, ...]]] = ((), ())

    @classmethod
    def from_domain(cls, m: model.Membership) -> Membership:
        """Show a domain membership; its key is ``group|person``."""
        return cls(
            key=record_id(m),
            group_key=m.group_id,
            person_key=m.person_id,
            role=m.role,
            joined_on=m.joined_on,
            left_on=m.left_on,
            status=m.status,
            pre_interview=(m.hopes, m.contributions),
        )

    def _own(self, info: Info) -> bool:
        viewer = info.context.viewer
        return viewer.is_admin or viewer.person_id == self.person_key

    @strawberry.field(description="Pre-interview hopes (seeks); only for the member.")
    def hopes(self, info: Info) -> list[str] | None:
        return list(self.pre_interview[0]) if self._own(info) else None

    @strawberry.field(description="Pre-interview contributions (offers); only for the member.")
    def contributions(self, info: Info) -> list[str] | None:
        return list(self.pre_interview[1]) if self._own(info) else None

    @strawberry.field
    async def group(self, info: Info) -> Group | None:
        found = await info.context.loaders.group.load(self.group_key)
        return None if found is None else Group.from_domain(found)

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        found = await info.context.loaders.person.load(self.person_key)
        return None if found is None else _show_person(found)


@strawberry.type(description="One meeting of a group.")
class Meeting(Node):
    group_key: strawberry.Private[str]
    starts_at: datetime
    duration_seconds: int
    theme: str | None
    format: GroupFormat

    @classmethod
    def from_domain(cls, m: model.Meeting) -> Meeting:
        """Show a domain meeting."""
        return cls(
            key=m.id,
            group_key=m.group_id,
            starts_at=m.starts_at,
            duration_seconds=m.duration_s,
            theme=m.theme,
            format=m.format,
        )

    @strawberry.field
    async def group(self, info: Info) -> Group | None:
        found = await info.context.loaders.group.load(self.group_key)
        return None if found is None else Group.from_domain(found)

    @strawberry.field(description="Who attended; null unless the viewer leads or belongs to it.")
    async def attendance(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[Attendance] | None:
        attendance, _ = await info.context.loaders.meeting_details.load(self.key)
        if attendance is None:
            return None
        return paginate(
            attendance, key=record_id, show=Attendance.from_domain, first=first, after=after
        )

    @strawberry.field(description="Its breakout groups; null unless leader or member.")
    async def breakouts(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[Breakout] | None:
        _, breakouts = await info.context.loaders.meeting_details.load(self.key)
        if breakouts is None:
            return None
        return paginate(
            breakouts, key=record_id, show=Breakout.from_domain, first=first, after=after
        )


@strawberry.type(description="A person attended a meeting.")
class Attendance(Node):
    meeting_key: strawberry.Private[str]
    person_key: strawberry.Private[str]
    speaking_seconds: int | None

    @classmethod
    def from_domain(cls, a: model.Attendance) -> Attendance:
        """Show a domain attendance; its key is ``meeting|person``."""
        return cls(
            key=record_id(a),
            meeting_key=a.meeting_id,
            person_key=a.person_id,
            speaking_seconds=a.speaking_s,
        )

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        found = await info.context.loaders.person.load(self.person_key)
        return None if found is None else _show_person(found)

    @strawberry.field
    async def meeting(self, info: Info) -> Meeting | None:
        found = await info.context.loaders.meeting.load(self.meeting_key)
        return None if found is None else Meeting.from_domain(found)


async def person_of(info: Info, key: str) -> Person | None:
    """The person with ``key`` as the viewer may see them, through the request's loader."""
    found = await info.context.loaders.person.load(key)
    return None if found is None else _show_person(found)


async def people_or_none(info: Info, keys: Sequence[str]) -> list[Person | None]:
    """The people with ``keys`` as the viewer may see them (``None`` where unknown), in order,
    batched in one load."""
    found = await info.context.loaders.person.load_many(list(keys))
    return [None if p is None else _show_person(p) for p in found]


async def people_of(info: Info, keys: Sequence[str]) -> list[Person]:
    """The people with ``keys`` the viewer may see, in order, batched in one load."""
    found = await info.context.loaders.person.load_many(list(keys))
    return [_show_person(p) for p in found if p is not None]


@strawberry.type(description="A sub-group of a meeting's attendees who talked together.")
class Breakout(Node):
    meeting_key: strawberry.Private[str]
    member_keys: strawberry.Private[tuple[str, ...]]

    @classmethod
    def from_domain(cls, b: model.Breakout) -> Breakout:
        """Show a domain breakout."""
        return cls(key=b.id, meeting_key=b.meeting_id, member_keys=b.member_ids)

    @strawberry.field
    async def meeting(self, info: Info) -> Meeting | None:
        found = await info.context.loaders.meeting.load(self.meeting_key)
        return None if found is None else Meeting.from_domain(found)

    @strawberry.field
    async def members(self, info: Info) -> list[Person]:
        return await people_of(info, self.member_keys)


@strawberry.type(description="Members talking outside the meetings.")
class SideConversation(Node):
    participant_keys: strawberry.Private[tuple[str, ...]]
    initiator_key: strawberry.Private[str | None]
    at: datetime
    channel: str | None
    duration_seconds: int | None
    group_key: strawberry.Private[str | None]

    @classmethod
    def from_domain(cls, s: model.SideConversation) -> SideConversation:
        """Show a domain side conversation."""
        return cls(
            key=s.id,
            participant_keys=s.participant_ids,
            initiator_key=s.initiator_id,
            at=s.at,
            channel=s.channel,
            duration_seconds=s.duration_s,
            group_key=s.group_id,
        )

    @strawberry.field
    async def participants(self, info: Info) -> list[Person]:
        return await people_of(info, self.participant_keys)

    @strawberry.field
    async def initiator(self, info: Info) -> Person | None:
        if self.initiator_key is None:
            return None
        found = await info.context.loaders.person.load(self.initiator_key)
        return None if found is None else _show_person(found)


@strawberry.type(description="A time-stamped contact between two or more people.")
class Interaction(Node):
    at: datetime
    kind: InteractionKind
    participant_keys: strawberry.Private[tuple[str, ...]]
    initiator_key: strawberry.Private[str | None]
    duration_seconds: int | None
    channel: str | None
    group_size: int | None = strawberry.field(
        description="For a meeting's pairwise contact: how many attended (weights it down)."
    )

    @classmethod
    def from_domain(cls, i: model.Interaction) -> Interaction:
        """Show a domain interaction; its key is its idempotency key."""
        return cls(
            key=i.key,
            at=i.at,
            kind=i.kind,
            participant_keys=i.participant_ids,
            initiator_key=i.initiator_id,
            duration_seconds=i.duration_s,
            channel=i.channel,
            group_size=i.group_size,
        )

    @strawberry.field
    async def participants(self, info: Info) -> list[Person]:
        return await people_of(info, self.participant_keys)

    @strawberry.field
    async def initiator(self, info: Info) -> Person | None:
        if self.initiator_key is None:
            return None
        found = await info.context.loaders.person.load(self.initiator_key)
        return None if found is None else _show_person(found)


@strawberry.type(description="A asked B to introduce them to C, and what came of it.")
class Introduction(Node):
    requester_key: strawberry.Private[str]
    introducer_key: strawberry.Private[str]
    target_key: strawberry.Private[str]
    status: IntroductionStatus
    requested_at: datetime
    updated_at: datetime | None
    note: str | None

    @classmethod
    def from_domain(cls, i: model.Introduction) -> Introduction:
        """Show a domain introduction."""
        return cls(
            key=i.id,
            requester_key=i.requester_id,
            introducer_key=i.introducer_id,
            target_key=i.target_id,
            status=i.status,
            requested_at=i.requested_at,
            updated_at=i.updated_at,
            note=i.note,
        )

    @strawberry.field
    async def requester(self, info: Info) -> Person | None:
        found = await info.context.loaders.person.load(self.requester_key)
        return None if found is None else _show_person(found)

    @strawberry.field
    async def introducer(self, info: Info) -> Person | None:
        found = await info.context.loaders.person.load(self.introducer_key)
        return None if found is None else _show_person(found)

    @strawberry.field
    async def target(self, info: Info) -> Person | None:
        found = await info.context.loaders.person.load(self.target_key)
        return None if found is None else _show_person(found)


NODE_TYPES: dict[str, type[Record]] = {
    "Person": model.Person,
    "Organization": model.Organization,
    "Interest": model.Interest,
    "Group": model.Group,
    "Membership": model.Membership,
    "Meeting": model.Meeting,
    "Attendance": model.Attendance,
    "Breakout": model.Breakout,
    "SideConversation": model.SideConversation,
    "Interaction": model.Interaction,
    "Introduction": model.Introduction,
}
"""The domain kind behind each node type."""

# Each shows its own kind, which the key guarantees and a dict's type cannot say.
_SHOW: dict[type[object], Callable[[Any], Node]] = {
    model.Person: Person.from_domain,
    model.Organization: Organization.from_domain,
    model.Interest: Interest.from_domain,
    model.Group: Group.from_domain,
    model.Membership: Membership.from_domain,
    model.Meeting: Meeting.from_domain,
    model.Attendance: Attendance.from_domain,
    model.Breakout: Breakout.from_domain,
    model.SideConversation: SideConversation.from_domain,
    model.Interaction: Interaction.from_domain,
    model.Introduction: Introduction.from_domain,
}


def to_node(record: object) -> Node:
    """Show any domain record as its GraphQL node type."""
    return _SHOW[type(record)](record)


PersonRef = Annotated[
    strawberry.ID, strawberry.argument(description="A person's global id or key.")
]

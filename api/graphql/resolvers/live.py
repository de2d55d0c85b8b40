"""GraphQL subscriptions: the ``Subscription`` root and the events it sends.

Live updates reach a frontend over a websocket at ``/graphql`` (graphql-transport-ws only; see
:mod:`api.http.live`, which signs the connection in). Each subscription is authorized like the
query it mirrors and shows each event only as a direct read would (see
:mod:`graph.usecases.live`).
"""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry

from api.graphql.types import (
    Attendance,
    Breakout,
    Context,
    Group,
    Info,
    Introduction,
    Person,
    PersonRef,
    SideConversation,
    TieBand,
    key_of,
    person_of,
)
from graph.domain.changes import ChangeKind
from graph.domain.errors import InvalidInput, Problem
from graph.domain.model import Attendance as AttendanceRecord
from graph.domain.model import Breakout as BreakoutRecord
from graph.domain.model import SideConversation as SideConversationRecord
from graph.usecases.live import GroupActivity as Activity
from graph.usecases.live import Live
from graph.usecases.live import TieChange as Changed
from graph.usecases.service import Service
from graph.usecases.viewer import Viewer

__all__ = ["GroupActivity", "LiveContext", "Subscription", "TieChange"]


class LiveContext(Context):
    """A websocket connection's context: the viewer is known once ``connection_init`` came.

    ``websocket`` is the connection (``None`` for a subscription run in this process, as in
    tests); only the HTTP layer uses it.
    """

    def __init__(
        self, service: Service, viewer: Viewer, *, live: Live, websocket: object = None
    ) -> None:
        super().__init__(service, viewer)
        self.live = live
        self.websocket = websocket


def _live(info: Info) -> tuple[Live, Viewer]:
    context = info.context
    if not isinstance(context, LiveContext):
        raise InvalidInput(
            [Problem("query", "subscription", None, "subscribe over a websocket at /graphql")]
        )
    return context.live, context.viewer


def _person(viewer: Viewer, person: PersonRef | None) -> str:
    if person is not None:
        return key_of(person, "Person", argument="person")
    if viewer.person_id is None:
        raise InvalidInput([Problem("query", "person", None, "is required for this viewer")])
    return viewer.person_id


# -- what subscribers get ---------------------------------------------------------------------


@strawberry.type(description="One of your ties moved to another band: new, stronger or drifting.")
class TieChange:
    other_key: strawberry.Private[str]
    band_before: TieBand | None = strawberry.field(
        description="The band it was in before (null for a new tie)."
    )
    band: TieBand
    strength: float = strawberry.field(description="Its strength now (0 to 1).")
    at: datetime = strawberry.field(description="The moment it was assessed.")
    drifting: bool = strawberry.field(description="True when the band is weaker than before.")

    @strawberry.field(description="The person at the other end.")
    async def other(self, info: Info) -> Person | None:
        return await person_of(info, self.other_key)

    @classmethod
    def of(cls, change: Changed) -> TieChange:
        """Show a band change."""
        now = change.now
        return cls(
            other_key=change.other_id,
            band_before=change.before,
            band=now.band,
            strength=now.strength,
            at=now.at,
            drifting=change.before is not None and now.band.rank < change.before.rank,
        )


@strawberry.enum(description="What was recorded for a group.")
class GroupActivityKind(enum.Enum):
    ATTENDANCE = "attendance"
    BREAKOUT = "breakout"
    SIDE_CONVERSATION = "side_conversation"


@strawberry.type(description="Something recorded for a group you lead, as it was recorded.")
class GroupActivity:
    group_key: strawberry.Private[str]
    kind: GroupActivityKind
    recorded_at: datetime = strawberry.field(description="When it was written.")
    attendance: Attendance | None = strawberry.field(description="For ATTENDANCE.")
    breakout: Breakout | None = strawberry.field(description="For BREAKOUT.")
    side_conversation: SideConversation | None = strawberry.field(
        description="For SIDE_CONVERSATION: one tagged with the group."
    )

    @strawberry.field(description="The group.")
    async def group(self, info: Info) -> Group | None:
        found = await info.context.loaders.group.load(self.group_key)
        return None if found is None else Group.from_domain(found)

    @classmethod
    def of(cls, activity: Activity) -> GroupActivity:
        """Show one recorded thing."""
        record = activity.record
        return cls(
            group_key=activity.group_id,
            kind=GroupActivityKind(ChangeKind(activity.kind).value),
            recorded_at=activity.at,
            attendance=Attendance.from_domain(record)
            if isinstance(record, AttendanceRecord)
            else None,
            breakout=Breakout.from_domain(record) if isinstance(record, BreakoutRecord) else None,
            side_conversation=SideConversation.from_domain(record)
            if isinstance(record, SideConversationRecord)
            else None,
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Your ties as they change band: a new tie, one a contact strengthened, one"
        " drifting as time passes (a person's own, as strongestTies)."
    )
    async def tie_changed(
        self,
        info: Info,
        person: Annotated[
            PersonRef | None,
            strawberry.argument(description="Whose ties (default: the viewer)."),
        ] = None,
    ) -> AsyncGenerator[TieChange, None]:
        live, viewer = _live(info)
        async for change in live.tie_changes(viewer, _person(viewer, person)):
            yield TieChange.of(change)

    @strawberry.subscription(
        description="Introductions requested by, through or to you, each time one is"
        " requested, answered or its outcome recorded (as introductions shows them)."
    )
    async def introduction_updates(
        self,
        info: Info,
        person: Annotated[
            PersonRef | None,
            strawberry.argument(description="Whose introductions (default: the viewer)."),
        ] = None,
    ) -> AsyncGenerator[Introduction, None]:
        live, viewer = _live(info)
        async for found in live.introduction_updates(viewer, _person(viewer, person)):
            yield Introduction.from_domain(found)

    @strawberry.subscription(
        description="For a group's leader: attendance, breakouts and side conversations tagged"
        " with the group, as they are recorded."
    )
    async def group_activity(
        self, info: Info, group: strawberry.ID
    ) -> AsyncGenerator[GroupActivity, None]:
        live, viewer = _live(info)
        group_id = key_of(group, "Group", argument="group")
        async for activity in live.group_activity(viewer, group_id):
            yield GroupActivity.of(activity)

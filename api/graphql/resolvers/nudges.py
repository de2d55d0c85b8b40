"""GraphQL for keep-in-touch nudges: the type and the root resolver.

A thin layer over :class:`graph.usecases.nudges.KeepInTouch` (through the request's service).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.graphql.types import (
    Group,
    Info,
    Interaction,
    Person,
    PersonRef,
    TieBand,
    key_of,
    person_of,
)
from graph.usecases.nudges import KeepInTouchNudge

__all__ = ["KeepInTouch", "keep_in_touch"]


@strawberry.type(description="One of your ties worth renewing now: strong once, fading now.")
class KeepInTouch:
    other_key: strawberry.Private[str]
    started_last_key: strawberry.Private[str | None]
    worth: float = strawberry.field(
        description="peak × share of it lost × 2^(−years without contact): the ranking's key."
    )
    peak_strength: float = strawberry.field(description="The strongest the tie was (0 to 1).")
    peak_band: TieBand
    peak_at: datetime = strawberry.field(description="When it was that strong.")
    strength: float = strawberry.field(description="Its strength at the moment asked (0 to 1).")
    band: TieBand
    last_contact: datetime
    last_interaction: Interaction = strawberry.field(
        description="The last contact: its kind and channel are the last topic."
    )
    shared_group: Group | None = strawberry.field(
        description="The latest group you both belong to, if any."
    )
    last_group: Group | None = strawberry.field(
        description="The group the last contact happened in (a meeting, breakout or side"
        " conversation during a group you share), if any."
    )
    reason: str = strawberry.field(description="One sentence saying why, for people.")

    @strawberry.field(description="The person at the other end.")
    async def other(self, info: Info) -> Person | None:
        return await person_of(info, self.other_key)

    @strawberry.field(description="Who started the latest contact someone started.")
    async def started_last_by(self, info: Info) -> Person | None:
        return (
            None if self.started_last_key is None else await person_of(info, self.started_last_key)
        )

    @classmethod
    def of(cls, found: KeepInTouchNudge) -> KeepInTouch:
        """Show a nudge."""
        tie = found.nudge.tie
        return cls(
            other_key=tie.other_id,
            started_last_key=found.started_last_by,
            worth=found.nudge.worth,
            peak_strength=tie.peak,
            peak_band=found.nudge.peak_band,
            peak_at=tie.peak_at,
            strength=tie.now,
            band=found.nudge.now_band,
            last_contact=tie.last_contact,
            last_interaction=Interaction.from_domain(found.last_interaction),
            shared_group=None
            if found.shared_group is None
            else Group.from_domain(found.shared_group),
            last_group=None if found.last_group is None else Group.from_domain(found.last_group),
            reason=found.reason,
        )


async def keep_in_touch(
    info: Info,
    person: PersonRef,
    first: Annotated[int, strawberry.argument(description="How many nudges at most.")] = 5,
    at: Annotated[
        datetime | None,
        strawberry.argument(description="The moment to look at (default: now)."),
    ] = None,
) -> list[KeepInTouch]:
    """A person's own ties worth renewing now, most worth first (theirs to see)."""
    found = await info.context.service.nudges.keep_in_touch(
        info.context.viewer, key_of(person, "Person", argument="person"), first=first, at=at
    )
    return [KeepInTouch.of(n) for n in found]

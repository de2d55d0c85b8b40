"""GraphQL for introduction paths, connection degrees and mutual connections: a thin layer over
:class:`graph.usecases.introductions.Introductions`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, TypeAlias

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from api.graphql.pagination import Connection, check_first, paginate
from api.graphql.types import (
    Group,
    Info,
    InteractionKind,
    Person,
    PersonRef,
    TieBand,
    key_of,
    people_of,
    people_or_none,
    person_of,
)
from graph.domain.paths import Strategy
from graph.usecases.introductions import MAX_MUTUAL, Degree, ExplainedPath
from graph.usecases.policy import Action, Facts, may

__all__ = ["connection_degree", "introduction_paths", "mutual_connections"]

strawberry.enum(
    Strategy,
    name="PathStrategy",
    description="STRONGEST ranks by the product of link strengths (fewer hops, then keys,"
    " break ties); SHORTEST returns every path of the fewest hops, strongest first.",
)
NetworkAt = Annotated[
    datetime | None,
    strawberry.argument(
        description="The network as it stood at this moment (default: now): ties formed"
        " later are left out, links are scored on the history up to it."
    ),
]
strawberry.enum(Degree, name="ConnectionDegree", description="How far apart two people are.")
PathStrategy: TypeAlias = Strategy
ConnectionDegreeName: TypeAlias = Degree


@strawberry.type(description="One link of an introduction path, and why it holds.")
class IntroductionHop:
    from_key: strawberry.Private[str]
    to_key: strawberry.Private[str]
    strength: float = strawberry.field(
        description="The link's strength at the moment asked (its tie's strength without"
        " embeddedness); above 0 for every tie, however old."
    )
    band: TieBand
    contact: strawberry.Private[tuple[datetime | None, int]]
    groups: strawberry.Private[tuple[Group, ...]]
    shared_interests: list[str]

    async def _may_read_tie(self, info: Info) -> bool:
        """Whether the viewer may read this link's tie directly (the policy's rule); the
        viewer's standing in the groups is read once for every link of the answer."""
        groups = [g.key for g in self.groups]
        standing = await info.context.loaders.group_standing.load_many(groups)
        facts = Facts(
            people=(self.from_key, self.to_key),
            groups=groups,
            led_by_viewer={g for g, (led, _) in zip(groups, standing, strict=True) if led},
            member_of={g for g, (_, member) in zip(groups, standing, strict=True) if member},
        )
        return may(info.context.viewer, Action.READ_RELATIONSHIP, facts)

    @strawberry.field(
        description="Their latest contact; null when the viewer may not read the tie (a link"
        " between two others, outside a group the viewer leads) or they have none."
    )
    async def last_contact(self, info: Info) -> datetime | None:
        return self.contact[0] if await self._may_read_tie(info) else None

    @strawberry.field(
        description="How many interactions they shared; null when the viewer may not read the tie."
    )
    async def interaction_count(self, info: Info) -> int | None:
        return self.contact[1] if await self._may_read_tie(info) else None

    @strawberry.field(
        description="Groups both belong to, among those whose members the viewer may see."
    )
    async def shared_groups(self, info: Info) -> list[Group]:
        members = info.context.loaders.group_memberships
        seen = await members.load_many([g.key for g in self.groups])
        return [g for g, found in zip(self.groups, seen, strict=True) if found is not None]

    @strawberry.field(name="from")
    async def from_(self, info: Info) -> Person | None:
        return await person_of(info, self.from_key)

    @strawberry.field
    async def to(self, info: Info) -> Person | None:
        return await person_of(info, self.to_key)


@strawberry.type(description="A chain of people who know each other, from you to someone.")
class IntroductionPath:
    keys: strawberry.Private[tuple[str, ...]]
    score: float = strawberry.field(description="The product of the links' strengths.")
    hop_count: int = strawberry.field(name="hops")
    links: list[IntroductionHop]

    @strawberry.field(description="Everyone on the path, from the start to the target.")
    async def people(self, info: Info) -> list[Person | None]:
        return await people_or_none(info, self.keys)

    @strawberry.field(description="The people who would make the introduction, in order.")
    async def via(self, info: Info) -> list[Person | None]:
        return await people_or_none(info, self.keys[1:-1])

    @classmethod
    def of(cls, explained: ExplainedPath) -> IntroductionPath:
        """Show an explained path."""
        return cls(
            keys=explained.path.people,
            score=explained.path.score,
            hop_count=explained.path.hops,
            links=[
                IntroductionHop(
                    from_key=h.a,
                    to_key=h.b,
                    strength=h.strength,
                    band=h.band,
                    contact=(h.tie.last_at, h.tie.count) if h.tie else (None, 0),
                    groups=tuple(Group.from_domain(g) for g in h.shared_groups),
                    shared_interests=list(h.shared_interests),
                )
                for h in explained.hops
            ],
        )


async def introduction_paths(
    info: Info,
    from_: Annotated[
        strawberry.ID,
        strawberry.argument(name="from", description="Global id or key of who asks."),
    ],
    to: PersonRef,
    max_hops: Annotated[int, strawberry.argument(description="1 to 4.")] = 3,
    first: Annotated[int, strawberry.argument(description="1 to 20.")] = 5,
    min_link_strength: Annotated[
        float, strawberry.argument(description="Leave out links weaker than this (0 to 1).")
    ] = 0.0,
    strategy: PathStrategy = Strategy.STRONGEST,
    at: NetworkAt = None,
    kinds: Annotated[
        list[InteractionKind] | None,
        strawberry.argument(
            description="Walk only ties with contact of these kinds, e.g. [CONNECTION] for"
            " declared connections (default: every tie)."
        ),
    ] = None,
) -> list[IntroductionPath]:
    """Who can introduce you to someone, through whom, and why."""
    found = await info.context.service.introductions.introduction_paths(
        info.context.viewer,
        key_of(from_, "Person", argument="from"),
        key_of(to, "Person", argument="to"),
        max_hops=max_hops,
        first=first,
        min_link_strength=min_link_strength,
        strategy=strategy,
        at=at,
        kinds=kinds,
        # Why each link holds (its tie, shared groups and interests) costs three more reads:
        # made only for a query that asks for the links.
        explain=any(_selects(field.selections, "links") for field in info.selected_fields),
    )
    # The use case read everyone the paths name: shape them for the viewer once and hand
    # them to the person loader, so `people`, `via`, `from` and `to` read nobody again.
    named = {k: p for path in found for k, p in path.people.items()}
    if named:
        shown = await info.context.service.shown(info.context.viewer, named)
        info.context.loaders.person.prime_many(shown)
    return [IntroductionPath.of(p) for p in found]


def _selects(selections: Iterable[Selection], name: str) -> bool:
    """Whether ``selections`` ask for the field ``name``, directly or in a fragment."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                return True
        elif _selects(selection.selections, name):
            return True
    return False


async def connection_degree(
    info: Info, a: PersonRef, b: PersonRef, at: NetworkAt = None
) -> ConnectionDegreeName:
    """How far apart two people are: FIRST (they have a tie), SECOND, THIRD or BEYOND; the
    length of the shortest introduction path, so introductionPaths agrees."""
    return await info.context.service.introductions.connection_degree(
        info.context.viewer,
        key_of(a, "Person", argument="a"),
        key_of(b, "Person", argument="b"),
        at=at,
    )


async def mutual_connections(
    info: Info,
    a: PersonRef,
    b: PersonRef,
    first: Annotated[int, strawberry.argument(description="How many people a page holds.")] = 20,
    at: NetworkAt = None,
    after: str | None = None,
) -> Connection[Person]:
    """People both have a tie with who could introduce them (intermediaries who agreed to be
    discoverable, neither tie blocked), in key order, a page at a time (100 at most)."""
    check_first(first)
    found = await info.context.service.introductions.mutual_connections(
        info.context.viewer,
        key_of(a, "Person", argument="a"),
        key_of(b, "Person", argument="b"),
        first=MAX_MUTUAL,
        at=at,
    )
    shown = await people_of(info, [p.id for p in found])
    return paginate(shown, key=lambda p: p.key, show=lambda p: p, first=first, after=after)

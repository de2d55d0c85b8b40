"""GraphQL for shared interests, recommended people and a group's interest overlap: a thin layer
over :class:`graph.usecases.discovery.Discovery`."""

from __future__ import annotations

from typing import Annotated, TypeAlias

import strawberry

from api.graphql.pagination import Connection, check_first, paginate
from api.graphql.types import Info, Person, PersonRef, key_of, people_of, person_of
from graph.domain.similarity import Facet
from graph.domain.similarity import SharedItem as DomainItem
from graph.usecases.discovery import MAX_RECOMMENDATIONS

__all__ = ["interest_overlap", "recommended_people", "shared_interests"]

strawberry.enum(Facet, name="SharedFacet", description="What two people share.")
SharedFacet: TypeAlias = Facet


@strawberry.type(description="One thing two people have in common, weighted by its rarity.")
class SharedItem:
    facet: SharedFacet
    key: str
    label: str
    holders: int | None = strawberry.field(description="How many people have it, if known.")
    weight: float = strawberry.field(description="Rarer things weigh more (1 = everyone).")
    explanation: str

    @classmethod
    def of(cls, item: DomainItem) -> SharedItem:
        """Show a shared item."""
        return cls(
            facet=item.facet,
            key=item.key,
            label=item.label,
            holders=item.count,
            weight=item.weight,
            explanation=item.explanation,
        )


@strawberry.type(description="What two people have in common, heaviest first.")
class SharedInterests:
    score: float
    items: list[SharedItem]
    group_context_shown: bool = strawberry.field(
        description="False when groups and meetings in common are not the viewer's to see."
    )


@strawberry.type(description="Someone you do not know yet, and why you might want to.")
class RecommendedPerson:
    person_key: strawberry.Private[str]
    score: float
    reasons: list[str]
    shared: list[SharedItem]

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_key)


@strawberry.type(description="An interest several members of a group hold.")
class InterestOverlap:
    key: str
    label: str
    member_keys: strawberry.Private[tuple[str, ...]]
    member_count: int
    rarity: float
    explanation: str

    @strawberry.field
    async def members(self, info: Info) -> list[Person]:
        return await people_of(info, self.member_keys)


async def shared_interests(info: Info, a: PersonRef, b: PersonRef) -> SharedInterests:
    """Interests, groups, meetings, organizations and industries two people share, weighted by
    rarity (something everyone has counts little) and explained."""
    shared = await info.context.service.discovery.shared_interests(
        info.context.viewer, key_of(a, "Person", argument="a"), key_of(b, "Person", argument="b")
    )
    return SharedInterests(
        score=shared.score,
        items=[SharedItem.of(i) for i in shared.items],
        group_context_shown=shared.groups is not None,
    )


async def recommended_people(
    info: Info,
    person: PersonRef,
    first: Annotated[int, strawberry.argument(description="How many people a page holds.")] = 10,
    after: str | None = None,
) -> Connection[RecommendedPerson]:
    """People a person does not know yet who share their interests or whose offers meet their
    seeks (and the other way round); only people who agreed to be discoverable. Best first, a
    page at a time (the best 100 at most)."""
    check_first(first)
    found = await info.context.service.discovery.recommended_people(
        info.context.viewer,
        key_of(person, "Person", argument="person"),
        first=MAX_RECOMMENDATIONS,
    )
    return paginate(
        found,
        key=lambda r: r.person_id,
        show=lambda r: RecommendedPerson(
            person_key=r.person_id,
            score=r.score,
            reasons=list(r.reasons),
            shared=[SharedItem.of(i) for i in r.interests],
        ),
        first=first,
        after=after,
        strict=True,
    )


async def interest_overlap(info: Info, group: strawberry.ID) -> list[InterestOverlap]:
    """Interests two or more of a group's members hold, most widely held first."""
    found = await info.context.service.discovery.interest_overlap(
        info.context.viewer, key_of(group, "Group", argument="group")
    )
    return [
        InterestOverlap(
            key=o.key,
            label=o.label,
            member_keys=o.member_ids,
            member_count=len(o.member_ids),
            rarity=o.rarity,
            explanation=o.explanation,
        )
        for o in found
    ]

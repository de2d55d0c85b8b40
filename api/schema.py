"""The GraphQL schema: a thin layer that turns use-case results into GraphQL types.

Resolvers call use cases from the per-request context, never the store; nested lists go through
per-request DataLoaders so a page of people costs one store call per kind of field, not one per
person.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from graph.domain import model
from graph.ports import PeopleQuery
from graph.usecases.directory import Directory

__all__ = ["Context", "build_context", "schema"]


@dataclass
class Loaders:
    """DataLoaders for one request."""

    person: DataLoader[str, model.Person | None]
    ties: DataLoader[str, list[model.Tie]]


class Context(BaseContext):
    """What every resolver gets: the use cases and this request's DataLoaders."""

    def __init__(self, directory: Directory) -> None:
        super().__init__()
        self.directory = directory
        self.loaders = Loaders(
            person=DataLoader(load_fn=directory.people_by_key),
            ties=DataLoader(load_fn=directory.ties_of),
        )


def build_context(directory: Directory) -> Context:
    """Return a fresh context (and so fresh DataLoaders) for one request."""
    return Context(directory)


def _cursor(key: str) -> str:
    return base64.urlsafe_b64encode(f"cursor:{key}".encode()).decode()


def _after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"after: {cursor!r} is not a cursor this API gave out") from error
    if not text.startswith("cursor:"):
        raise ValueError(f"after: {cursor!r} is not a cursor this API gave out")
    return text.removeprefix("cursor:")


@strawberry.type(description="A tie: what two people's interactions add up to.")
class Tie:
    other_key: strawberry.Private[str]
    count: int = strawberry.field(description="How many interactions the two shared.")
    first_at: datetime = strawberry.field(description="Their first interaction.")
    last_at: datetime = strawberry.field(description="Their latest interaction.")

    @strawberry.field(description="The person at the other end of the tie.")
    async def other(self, info: strawberry.Info[Context, None]) -> Person | None:
        found = await info.context.loaders.person.load(self.other_key)
        return None if found is None else Person.from_domain(found)


@strawberry.type(description="Someone in the network.")
class Person:
    key: str = strawberry.field(description="The stable application id.")
    name: str
    title: str | None
    profession: str | None
    industry: str | None
    location: str | None
    interests: list[str]

    @classmethod
    def from_domain(cls, person: model.Person) -> Person:
        """Show a domain person."""
        return cls(
            key=person.id,
            name=person.name,
            title=person.title,
            profession=person.profession,
            industry=person.industry,
            location=person.location,
            interests=list(person.interests),
        )

    @strawberry.field(description="This person's ties, ordered by the other person's key.")
    async def ties(self, info: strawberry.Info[Context, None]) -> list[Tie]:
        ties = await info.context.loaders.ties.load(self.key)
        return [
            Tie(other_key=t.other(self.key), count=t.count, first_at=t.first_at, last_at=t.last_at)
            for t in ties
        ]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class PersonEdge:
    cursor: str
    node: Person


@strawberry.type
class PersonConnection:
    total_count: int
    page_info: PageInfo
    edges: list[PersonEdge]


@strawberry.input(description="Filters for finding people; every given one must match.")
class PeopleFilter:
    name: str | None = None
    interest: str | None = None
    profession: str | None = None
    industry: str | None = None
    location: str | None = None


@strawberry.type(description="How many records of one kind the store holds.")
class KindCount:
    kind: str
    count: int


@strawberry.type
class Query:
    @strawberry.field(description="A person by key.")
    async def person(self, info: strawberry.Info[Context, None], key: str) -> Person | None:
        found = await info.context.loaders.person.load(key)
        return None if found is None else Person.from_domain(found)

    @strawberry.field(description="People who agreed to be found, in key order.")
    async def people(
        self,
        info: strawberry.Info[Context, None],
        filter: PeopleFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> PersonConnection:
        f = filter or PeopleFilter()
        page = await info.context.directory.find_people(
            PeopleQuery(
                name=f.name,
                interest=f.interest,
                profession=f.profession,
                industry=f.industry,
                location=f.location,
            ),
            first=first,
            after=_after(after),
        )
        edges = [PersonEdge(cursor=_cursor(p.id), node=Person.from_domain(p)) for p in page.items]
        return PersonConnection(
            total_count=page.total,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
            ),
            edges=edges,
        )

    @strawberry.field(description="How many records of each kind are stored.")
    async def counts(self, info: strawberry.Info[Context, None]) -> list[KindCount]:
        counts = await info.context.directory.counts()
        return [KindCount(kind=k, count=n) for k, n in counts.items()]


schema = strawberry.Schema(query=Query)

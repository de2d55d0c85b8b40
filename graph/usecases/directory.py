"""Looking people up: by key, by search, and the ties they have."""

from __future__ import annotations

from dataclasses import dataclass

from graph.domain.model import Person, Tie
from graph.ports import GraphStore, Page, PeopleQuery

__all__ = ["Directory"]


@dataclass(frozen=True, slots=True)
class Directory:
    """Finds people and their ties, respecting who agreed to be found."""

    store: GraphStore

    async def people_by_key(self, keys: list[str]) -> list[Person | None]:
        """Return the person for each key, or ``None`` where there is none (in order)."""
        found = await self.store.get(Person, keys)
        return [found.get(key) for key in keys]

    async def find_people(
        self, query: PeopleQuery, *, first: int, after: str | None = None
    ) -> Page[Person]:
        """Search people; only those who agreed to be discoverable are listed."""
        visible = PeopleQuery(
            name=query.name,
            interest=query.interest,
            profession=query.profession,
            industry=query.industry,
            organization_id=query.organization_id,
            location=query.location,
            discoverable_only=True,
        )
        return await self.store.search_people(visible, first=first, after=after)

    async def ties_of(self, keys: list[str]) -> list[list[Tie]]:
        """Return each person's ties, by the other person's key (in order of ``keys``)."""
        found = await self.store.ties_of(keys)
        return [found.get(key, []) for key in keys]

    async def counts(self) -> dict[str, int]:
        """Return how many records of each kind the store holds."""
        return await self.store.counts()

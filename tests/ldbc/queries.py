"""LDBC SNB Interactive complex reads 1, 13 and 14 (v1), answered through the store port.

Each query is written from its definition in the data's ``spec/`` folder, using only
:class:`~graph.ports.GraphStore` reads over the graph :mod:`graph.importing.ldbc` loads: the
``knows`` graph is the ties with a ``connection`` interaction, replies are ``message``
interactions on the channels ``reply-to-post`` and ``reply-to-comment``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from graph.domain.model import InteractionKind, Person
from graph.importing.ldbc import REPLY_TO_COMMENT, REPLY_TO_POST
from graph.ports import GraphStore

__all__ = [
    "IC1_LIMIT",
    "KNOWS",
    "MAX_HOPS",
    "FriendRow",
    "PathRow",
    "friends_with_first_name",
    "shortest_path_length",
    "trusted_connection_paths_v1",
]

KNOWS = [InteractionKind.CONNECTION]
"""The ``knows`` subgraph: ties between people who declared a connection."""
MAX_HOPS = 12
"""The path search bound; the test graph's connected people are at most 5 hops apart."""
IC1_LIMIT = 20
REPLY_WEIGHTS = {REPLY_TO_POST: 1.0, REPLY_TO_COMMENT: 0.5}
"""IC14 v1: a direct reply to the other's post weighs 1.0, to the other's comment 0.5."""


async def shortest_path_length(store: GraphStore, person1: str, person2: str) -> int | None:
    """IC13: the length of a shortest ``knows`` path; -1 when there is none, 0 for one person.

    Returns ``None`` for "no row": one of the two people does not exist.
    """
    found = await store.get(Person, [person1, person2])
    if person1 not in found or person2 not in found:
        return None
    length = await store.distance(person1, person2, limit=MAX_HOPS, kinds=KNOWS)
    return -1 if length is None else length


@dataclass(frozen=True, slots=True)
class PathRow:
    """One IC14 row: the people on a shortest path, in order, and the path's weight."""

    people: tuple[str, ...]
    weight: float


async def _pair_weight(store: GraphStore, a: str, b: str) -> float:
    """Sum the replies between two people, whichever of them wrote the reply."""
    between = await store.interactions_of(a, other_id=b)
    return sum(
        REPLY_WEIGHTS.get(i.channel or "", 0.0)
        for i in between
        if i.kind is InteractionKind.MESSAGE
    )


async def trusted_connection_paths_v1(
    store: GraphStore, person1: str, person2: str
) -> list[PathRow]:
    """IC14 v1: every shortest ``knows`` path with its weight, the heaviest first.

    A path weighs the sum of its consecutive pairs' weights (see ``REPLY_WEIGHTS``). The
    specification leaves the order of equally heavy paths open; they come in the order of their
    people's ids, as numbers, to be deterministic. No rows when there is no path.
    """
    paths = await store.shortest_paths(person1, person2, limit=MAX_HOPS, kinds=KNOWS)
    weights: dict[frozenset[str], float] = {}
    rows = []
    for path in paths:
        total = 0.0
        for a, b in itertools.pairwise(path):
            pair = frozenset((a, b))
            if pair not in weights:
                weights[pair] = await _pair_weight(store, a, b)
            total += weights[pair]
        rows.append(PathRow(tuple(path), total))
    rows.sort(key=lambda row: (-row.weight, [int(p) for p in row.people]))
    return rows


@dataclass(frozen=True, slots=True)
class FriendRow:
    """One IC1 row, as far as the reference records it: who, their last name, how far."""

    person_id: str
    last_name: str
    distance: int


async def friends_with_first_name(
    store: GraphStore, person_id: str, first_name: str
) -> list[FriendRow]:
    """IC1: people with this first name within 3 ``knows`` hops (not the person), with distance.

    Sorted by distance, last name, then id (as a number); the first 20. A stored name is
    ``"<firstName> <lastName>"``, so the last name is what follows the first name and a space.
    """
    near = await store.neighbourhood(person_id, max_hops=3, kinds=KNOWS)
    people = await store.get(Person, list(near))
    prefix = f"{first_name} "
    rows = [
        FriendRow(pid, person.name.removeprefix(prefix), near[pid])
        for pid, person in people.items()
        if person.name.startswith(prefix)
    ]
    rows.sort(key=lambda row: (row.distance, row.last_name, int(row.person_id)))
    return rows[:IC1_LIMIT]

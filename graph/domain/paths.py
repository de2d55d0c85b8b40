"""Introduction paths: the best chains of people who know each other, found without
enumerating every path.

A path's **score** is the product of its links' strengths: read each link's strength as the
chance that it carries an introduction, so a path is as good as all its links holding
together, one weak link spoils it, and every extra hop costs (strengths are at most 1).
Ranking, deterministic:

- ``STRONGEST``: highest score first, then fewer hops, then the people's ids in order;
- ``SHORTEST``: fewest hops first (only the shortest length is returned, every path of that
  length, as LDBC IC14 does), then highest score, then ids.

Scores are compared rounded to 12 significant digits, so both stores (which compute strengths
with different floating-point libraries) order equal paths the same way.

The search is **meet in the middle**: simple partial paths of up to ``ceil(h / 2)`` hops from
the source and up to ``floor(h / 2)`` from the target, joined where they meet. For degree ``d``
that is O(d ** ceil(h / 2)) work instead of the O(d ** h) of enumerating paths from one end.
Intermediaries who do not consent are never inside a path (the two ends always may be); links
the caller leaves out (blocked, too weak) are simply not offered by ``links_of``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from graph.domain.deadline import Deadline

__all__ = [
    "MAX_HOPS",
    "Path",
    "Strategy",
    "best_paths",
    "brute_force_paths",
    "rank",
    "shortest_distance",
]

MAX_HOPS = 4
"""The longest introduction path tiegraph searches for."""


class Strategy(StrEnum):
    """How introduction paths are ranked."""

    STRONGEST = "strongest"
    SHORTEST = "shortest"


@dataclass(frozen=True, slots=True)
class Path:
    """People from the source to the target, and the strength of each link between them."""

    people: tuple[str, ...]
    links: tuple[float, ...]

    @property
    def hops(self) -> int:
        """How many links the path has."""
        return len(self.links)

    @property
    def score(self) -> float:
        """The product of the links' strengths."""
        return math.prod(self.links)


def _rounded(value: float) -> float:
    return float(f"{value:.12g}")


def rank(paths: Iterable[Path], strategy: Strategy, first: int) -> list[Path]:
    """Order paths as ``strategy`` says and keep the first ``first``.

    For ``SHORTEST`` only the paths of the fewest hops are kept.
    """
    found = list(paths)
    if strategy is Strategy.SHORTEST:
        fewest = min((p.hops for p in found), default=0)
        found = [p for p in found if p.hops == fewest]
        found.sort(key=lambda p: (-_rounded(p.score), p.people))
    else:
        found.sort(key=lambda p: (-_rounded(p.score), p.hops, p.people))
    return found[:first]


LinksOf = Callable[[str], Mapping[str, float]]
"""A person's usable links: the other person's id and the link's strength."""
Apart = Callable[[str, str], bool]
"""Whether two people may not be on one path together (one of them blocked the other)."""


def _fits(person: str, people: Iterable[str], apart: Apart | None) -> bool:
    """Whether ``person`` may join a path holding ``people``."""
    return apart is None or not any(apart(person, other) for other in people)


_CHECK_EVERY = 256
"""Partial paths joined between two looks at the deadline (growing one, which reads and may
score every link of a person, looks each time)."""


def _partials(
    start: str,
    end: str,
    depth: int,
    links_of: LinksOf,
    may_pass: Callable[[str], bool],
    deadline: Deadline | None = None,
    apart: Apart | None = None,
) -> dict[str, list[tuple[tuple[str, ...], tuple[float, ...]]]]:
    """Every simple partial path from ``start`` of 1..``depth`` hops, by the person it ends
    at. A partial never continues through ``end`` or through someone who may not be passed,
    and never holds two people who are ``apart``."""
    found: dict[str, list[tuple[tuple[str, ...], tuple[float, ...]]]] = {}
    layer: list[tuple[tuple[str, ...], tuple[float, ...]]] = [((start,), ())]
    for _ in range(depth):
        following = []
        for people, links in layer:
            if deadline is not None:
                deadline.check()
            last = people[-1]
            if last != start and (last == end or not may_pass(last)):
                continue
            for other, strength in links_of(last).items():
                if other in people or not _fits(other, people, apart):
                    continue
                grown = ((*people, other), (*links, strength))
                found.setdefault(other, []).append(grown)
                following.append(grown)
        layer = following
    return found


def best_paths(
    source: str,
    target: str,
    *,
    links_of: LinksOf,
    may_pass: Callable[[str], bool],
    max_hops: int = 3,
    first: int = 5,
    strategy: Strategy = Strategy.STRONGEST,
    deadline: Deadline | None = None,
    apart: Apart | None = None,
) -> list[Path]:
    """Return the best ``first`` simple paths from ``source`` to ``target`` of at most
    ``max_hops`` links (meet in the middle; see the module documentation).

    ``links_of`` gives each person's usable links (already without blocked or too-weak ones);
    ``may_pass`` says who may be an intermediary; no path holds two people who are ``apart``
    (a block holds along the whole path, not only between neighbours). Past ``deadline``, the
    search stops with :class:`~graph.domain.errors.BudgetExceeded`.

    >>> links = {"a": {"b": 0.5, "c": 0.4}, "b": {"a": 0.5, "d": 0.5},
    ...          "c": {"a": 0.4, "d": 0.4}, "d": {"b": 0.5, "c": 0.4}}
    >>> [p.people for p in best_paths("a", "d", links_of=links.__getitem__,
    ...                               may_pass=lambda _: True)]
    [('a', 'b', 'd'), ('a', 'c', 'd')]
    >>> [p.people for p in best_paths("a", "d", links_of=links.__getitem__,
    ...     may_pass=lambda _: True, apart=lambda x, y: {x, y} == {"b", "d"})]
    [('a', 'c', 'd')]
    """
    if source == target or max_hops < 1 or first < 1:
        return []
    forward = _partials(source, target, (max_hops + 1) // 2, links_of, may_pass, deadline, apart)
    backward = _partials(target, source, max_hops // 2, links_of, may_pass, deadline, apart)
    paths: dict[tuple[str, ...], Path] = {}
    for people, links in forward.get(target, ()):
        paths[people] = Path(people, links)
    joined_ends = 0
    for middle, ends in backward.items():
        if middle in (source, target) or middle not in forward or not may_pass(middle):
            continue
        for back_people, back_links in ends:
            joined_ends += 1
            if deadline is not None and not joined_ends % _CHECK_EVERY:
                deadline.check()
            back_inner = set(back_people[:-1])
            for people, links in forward[middle]:
                if len(people) - 1 + len(back_links) > max_hops:
                    continue
                if back_inner.intersection(people):
                    continue
                if apart is not None and not all(
                    _fits(person, people, apart) for person in back_people[:-1]
                ):
                    continue
                joined = people + tuple(reversed(back_people[:-1]))
                if joined not in paths:
                    paths[joined] = Path(joined, links + tuple(reversed(back_links)))
    return rank(paths.values(), strategy, first)


def brute_force_paths(
    source: str,
    target: str,
    *,
    links_of: LinksOf,
    may_pass: Callable[[str], bool],
    max_hops: int = 3,
    first: int = 5,
    strategy: Strategy = Strategy.STRONGEST,
    apart: Apart | None = None,
) -> list[Path]:
    """The oracle: enumerate every simple path up to ``max_hops`` from the source, rank them.

    Exponential; for tests on small graphs only.
    """
    found: list[Path] = []

    def walk(people: tuple[str, ...], links: tuple[float, ...]) -> None:
        last = people[-1]
        if last == target:
            found.append(Path(people, links))
            return
        if len(links) == max_hops or (last != source and not may_pass(last)):
            return
        for other, strength in links_of(last).items():
            if other not in people and _fits(other, people, apart):
                walk((*people, other), (*links, strength))

    if source != target:
        walk((source,), ())
    return rank(found, strategy, first)


def shortest_distance(
    source: str, target: str, *, neighbours: Callable[[str], Iterable[str]], limit: int
) -> int | None:
    """Return the fewest hops between two people (0 for the same person), or ``None`` if
    there is no path of at most ``limit`` hops.

    Bidirectional breadth-first search, always growing the smaller frontier by a whole layer:
    the first layer that touches the other side holds the shortest meeting.
    """
    if source == target:
        return 0
    depth = {source: 0}, {target: 0}
    frontiers = [source], [target]
    levels = [0, 0]
    while frontiers[0] and frontiers[1] and levels[0] + levels[1] < limit:
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        mine, theirs = depth[side], depth[1 - side]
        grown: list[str] = []
        best: int | None = None
        for person in frontiers[side]:
            for other in neighbours(person):
                if other in theirs:
                    total = levels[side] + 1 + theirs[other]
                    best = total if best is None else min(best, total)
                if other not in mine:
                    mine[other] = levels[side] + 1
                    grown.append(other)
        if best is not None:
            return best if best <= limit else None
        levels[side] += 1
        frontiers = (grown, frontiers[1]) if side == 0 else (frontiers[0], grown)
    return None

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

import heapq
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, NamedTuple, Protocol, TypeVar

from graph.domain.deadline import Deadline

__all__ = [
    "FLOORS",
    "MAX_HOPS",
    "LinkView",
    "Path",
    "Strategy",
    "best_paths",
    "brute_force_paths",
    "rank",
    "shortest_distance",
    "top_paths",
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
"""Partial paths joined between two looks at the deadline (growing a layer looks for every
partial path it grows)."""
_MARGIN = 1e-9
"""Relative slack on every bound: scores compared rounded to 12 digits tie within it, so only
paths strictly below the k-th best (even after rounding) are ever dropped."""
FLOORS = (0.05, 0.0)
"""Link floors of the successive passes of :func:`top_paths`: a first pass over strong links
only, then (when it found fewer than ``first`` paths at least that strong) every link."""

N = TypeVar("N", bound=Hashable)
M = TypeVar("M")


class LinkView(Protocol[N, M]):
    """The usable links of a network, as :func:`top_paths` reads them.

    ``M`` is the view's own representation of a set of people (a ``set``, a boolean array),
    which the search only passes back to it.
    """

    def links(self, person: N, floor: float) -> Sequence[tuple[N, float]]:
        """The person's usable links (not blocked, strong enough, of the wanted kinds) of
        strength at least ``floor``, strongest first."""
        ...

    def links_among(self, person: N, people: M, floor: float) -> Sequence[tuple[N, float]]:
        """:meth:`links`, only those to ``people``."""
        ...

    def reach(self, people: Iterable[N]) -> M:
        """``people`` and everyone they have a tie with (usable or not)."""
        ...

    def marks(self, people: Iterable[N]) -> M:
        """``people`` as a set of the view's kind."""
        ...

    def may_pass(self, person: N) -> bool:
        """Whether the person may be an intermediary."""
        ...

    def apart(self, one: N, other: N) -> bool:
        """Whether two people may not be on one path together."""
        ...

    def degree(self, person: N) -> int:
        """How many ties the person has (to choose the side to grow)."""
        ...


class _Partial(NamedTuple, Generic[N]):
    people: tuple[N, ...]
    links: tuple[float, ...]
    score: float


class _Found(Generic[N]):
    """The complete paths found so far, and the ``first``-th best score among them."""

    def __init__(self, first: int) -> None:
        self.first = first
        self.paths: dict[tuple[N, ...], tuple[float, ...]] = {}
        self._best: list[float] = []  # a min-heap of the best ``first`` scores

    def add(self, people: tuple[N, ...], links: tuple[float, ...]) -> None:
        if people in self.paths:
            return
        self.paths[people] = links
        score = math.prod(links)
        if len(self._best) < self.first:
            heapq.heappush(self._best, score)
        elif score > self._best[0]:
            heapq.heapreplace(self._best, score)

    def bar(self) -> float:
        """The score a path must reach to matter: the ``first``-th best so far (0 before)."""
        return self._best[0] if len(self._best) == self.first else 0.0

    def at_least(self, score: float) -> int:
        return sum(1 for links in self.paths.values() if math.prod(links) >= score)


def top_paths(
    view: LinkView[N, M],
    source: N,
    target: N,
    *,
    max_hops: int = 3,
    first: int = 5,
    strategy: Strategy = Strategy.STRONGEST,
    deadline: Deadline | None = None,
    floors: Sequence[float] = FLOORS,
) -> list[tuple[tuple[N, ...], tuple[float, ...]]]:
    """Return the best ``first`` simple paths from ``source`` to ``target`` of at most
    ``max_hops`` links, ranked as :func:`rank` ranks them: the people and the links' strengths.

    A pruned meet in the middle over ``view``. A path's score is at most its weakest link, so
    paths at least as strong as ``f`` only use links at least as strong as ``f``: a first pass
    walks only strong links (``floors``) and a later one every link, only when the first found
    fewer than ``first`` paths that strong. Within a pass, a partial path whose score cannot
    reach the ``first``-th best found so far is dropped, links are read strongest first and no
    further than the bound allows, the deeper side grows from the person with fewer ties, and
    the last layer of each side only reads the links that lead to the other side (the view
    answers "links of this person to those people" without walking all of a hub's ties).

    Same answers as :func:`brute_force_paths` (a property test holds them equal). Worst case
    O(d ** ceil(h / 2)) as an unpruned meet in the middle; typically the links of the two ends
    and of their strong neighbours.
    """
    if source == target or max_hops < 1 or first < 1:
        return []
    if strategy is Strategy.SHORTEST:
        for hops in range(1, max_hops + 1):
            found = _search(view, source, target, hops, hops, first, floors, deadline)
            if found.paths:
                return _ranked(found, strategy, first)
        return []
    found = _search(view, source, target, 1, max_hops, first, floors, deadline)
    return _ranked(found, strategy, first)


def _ranked(
    found: _Found[N], strategy: Strategy, first: int
) -> list[tuple[tuple[N, ...], tuple[float, ...]]]:
    def key(item: tuple[tuple[N, ...], tuple[float, ...]]) -> tuple[float, int]:
        return (-_rounded(math.prod(item[1])), len(item[1]))

    # Ids sort last, and only among paths equal in score and length (the view's ``N`` may be
    # another type than the ids the caller ranks by, so callers sort those ties themselves).
    ordered = sorted(found.paths.items(), key=key)
    if strategy is Strategy.SHORTEST:
        fewest = min(len(links) for _, links in ordered)
        ordered = [item for item in ordered if len(item[1]) == fewest]
    if len(ordered) <= first:
        return ordered
    last = key(ordered[first - 1])
    return [item for item in ordered if key(item) <= last]


def _search(
    view: LinkView[N, M],
    source: N,
    target: N,
    shortest: int,
    longest: int,
    first: int,
    floors: Sequence[float],
    deadline: Deadline | None,
) -> _Found[N]:
    """Every path of ``shortest`` to ``longest`` hops that can be among the best ``first``."""
    swapped = view.degree(source) > view.degree(target)
    start, end = (target, source) if swapped else (source, target)
    found: _Found[N] = _Found(first)
    for floor in floors:
        _pass(view, start, end, shortest, longest, floor, found, swapped, deadline)
        if floor <= 0 or found.at_least(floor * (1 + _MARGIN)) >= first:
            break
    return found


def _pass(
    view: LinkView[N, M],
    start: N,
    end: N,
    shortest: int,
    longest: int,
    floor: float,
    found: _Found[N],
    swapped: bool,
    deadline: Deadline | None,
) -> None:
    """Find every path of ``shortest`` to ``longest`` hops whose score is at least ``floor``
    and the bar of ``found`` (it may find weaker ones too), into ``found``."""

    def bar() -> float:
        return max(floor, found.bar()) * (1 - _MARGIN)

    def record(people: tuple[N, ...], links: tuple[float, ...]) -> None:
        if swapped:
            found.add(people[::-1], links[::-1])
        else:
            found.add(people, links)

    deep, shallow = (longest + 1) // 2, longest // 2
    start_partials = [_Partial((start,), (), 1.0)]
    end_partials = [_Partial((end,), (), 1.0)]
    # The deep side's layers but the last, grown in full (above the bar).
    forward: list[list[_Partial[N]]] = [start_partials]
    for _ in range(deep - 1):
        forward.append(_grow(view, forward[-1], end, None, bar, deadline))
    # The shallow side: its last layer only towards people the deep side can reach.
    backward: list[list[_Partial[N]]] = [end_partials]
    for depth in range(1, shallow + 1):
        towards = view.reach(p.people[-1] for p in forward[-1]) if depth == shallow else None
        backward.append(_grow(view, backward[-1], start, towards, bar, deadline))
    ends: dict[N, list[_Partial[N]]] = {}
    for layer in backward:
        for partial in layer:
            ends.setdefault(partial.people[-1], []).append(partial)
    for partials in ends.values():
        partials.sort(key=lambda p: -p.score)
    best_end = {person: partials[0].score for person, partials in ends.items()}

    def join(partial: _Partial[N]) -> None:
        """Join a deep-side partial with every shallow-side partial that ends where it does."""
        meeting = partial.people[-1]
        if meeting not in (start, end) and not view.may_pass(meeting):
            return
        hops = len(partial.links)
        inner = set(partial.people)
        for count, other in enumerate(ends.get(meeting, ()), start=1):
            if deadline is not None and not count % _CHECK_EVERY:
                deadline.check()
            total = hops + len(other.links)
            if partial.score * other.score < bar():
                break
            if not shortest <= total <= longest:
                continue
            rest = other.people[-2::-1]  # the shallow side's people, towards its end
            if inner.intersection(rest) or any(
                view.apart(one, two) for one in rest for two in partial.people
            ):
                continue
            record(partial.people + rest, partial.links + other.links[::-1])

    for layer in forward:
        for partial in layer:
            join(partial)
    # The deep side's last layer: only links towards where the shallow side ends, best first.
    if deep:
        towards = view.marks(ends)
        last = sorted(forward[-1], key=lambda p: -p.score)
        for count, partial in enumerate(last):
            if deadline is not None and not count % 16:
                deadline.check()
            person = partial.people[-1]
            if partial.score * max(best_end.values(), default=0.0) < bar():
                break
            if person != start and (person == end or not view.may_pass(person)):
                continue
            reach = bar() / partial.score
            for other, strength in view.links_among(person, towards, reach):
                gained = partial.score * strength
                if gained * best_end[other] < bar():
                    continue
                if other in partial.people or any(view.apart(other, one) for one in partial.people):
                    continue
                join(_Partial((*partial.people, other), (*partial.links, strength), gained))


def _grow(
    view: LinkView[N, M],
    layer: list[_Partial[N]],
    other_end: N,
    towards: M | None,
    bar: Callable[[], float],
    deadline: Deadline | None,
) -> list[_Partial[N]]:
    """The next layer of partial paths: each partial one link longer, above the bar, never
    through the other end or someone who may not be passed."""
    grown: list[_Partial[N]] = []
    origin = layer[0].people[0] if layer else other_end
    for partial in sorted(layer, key=lambda p: -p.score):
        if deadline is not None:
            deadline.check()
        person = partial.people[-1]
        if person != origin and (person == other_end or not view.may_pass(person)):
            continue
        floor = bar() / partial.score
        if floor > 1.0:
            break
        links = (
            view.links(person, floor)
            if towards is None
            else view.links_among(person, towards, floor)
        )
        for other, strength in links:
            if other in partial.people or any(view.apart(other, one) for one in partial.people):
                continue
            grown.append(
                _Partial(
                    (*partial.people, other), (*partial.links, strength), partial.score * strength
                )
            )
    return grown


class _MappingView(Generic[N]):
    """A :class:`LinkView` over plain mappings of links (for :func:`best_paths`)."""

    def __init__(
        self, links_of: Callable[[N], Mapping[N, float]], may_pass: Callable[[N], bool],
        apart: Callable[[N, N], bool] | None,
    ) -> None:  # fmt: skip
        self._links_of = links_of
        self._sorted: dict[N, list[tuple[N, float]]] = {}
        self.may_pass = may_pass
        self._apart = apart

    def _all(self, person: N) -> list[tuple[N, float]]:
        found = self._sorted.get(person)
        if found is None:
            found = self._sorted[person] = sorted(
                self._links_of(person).items(), key=lambda item: -item[1]
            )
        return found

    def links(self, person: N, floor: float) -> list[tuple[N, float]]:
        return [(o, s) for o, s in self._all(person) if s >= floor]

    def links_among(self, person: N, people: set[N], floor: float) -> list[tuple[N, float]]:
        return [(o, s) for o, s in self._all(person) if s >= floor and o in people]

    def reach(self, people: Iterable[N]) -> set[N]:
        found: set[N] = set()
        for person in people:
            found.add(person)
            found.update(self._links_of(person))
        return found

    def marks(self, people: Iterable[N]) -> set[N]:
        return set(people)

    def apart(self, one: N, other: N) -> bool:
        return self._apart is not None and self._apart(one, other)

    def degree(self, person: N) -> int:
        return len(self._all(person))


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
    ``max_hops`` links (:func:`top_paths` over the given links).

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
    view = _MappingView(links_of, may_pass, apart)
    found = top_paths(
        view, source, target, max_hops=max_hops, first=first, strategy=strategy,
        deadline=deadline,
    )  # fmt: skip
    return rank((Path(people, links) for people, links in found), strategy, first)


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

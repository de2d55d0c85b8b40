"""Who can introduce me to X, through whom, and why: paths, degrees and mutual connections.

The search runs in the store (:meth:`GraphStore.introduction_paths`: in memory on the embedded
store, in Cypher on Neo4j); this module checks who may ask, validates arguments and explains
each hop with what the two people share.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from graph.domain.batch import check_instant
from graph.domain.deadline import Deadline
from graph.domain.errors import Conflict, InvalidInput, NotFound, Problem
from graph.domain.model import (
    Group,
    InteractionKind,
    Introduction,
    IntroductionStatus,
    Person,
    Tie,
)
from graph.domain.paths import MAX_HOPS, Path, Strategy, best_paths
from graph.domain.relationship import Band, band_of, link_strength
from graph.ports import GraphStore, batch_of
from graph.usecases.budget import DEFAULT_BUDGETS, Budgets, off_loop, within
from graph.usecases.facts import blocked_between
from graph.usecases.policy import Action, Facts, authorize, authorize_or_hide, may
from graph.usecases.viewer import Viewer

__all__ = [
    "MAX_PATHS",
    "Degree",
    "ExplainedPath",
    "Hop",
    "IntermediaryStats",
    "Introductions",
]

MAX_PATHS = 20
"""The most paths one request may ask for."""
MAX_MUTUAL = 100


class Degree(StrEnum):
    """How far apart two people are, LinkedIn-style."""

    SELF = "self"
    FIRST = "first"
    SECOND = "second"
    THIRD = "third"
    BEYOND = "beyond"


_DEGREES = {0: Degree.SELF, 1: Degree.FIRST, 2: Degree.SECOND, 3: Degree.THIRD}


@dataclass(frozen=True, slots=True)
class Hop:
    """One link of a path, explained."""

    a: str
    b: str
    strength: float
    band: Band
    tie: Tie | None
    shared_groups: tuple[Group, ...]
    shared_interests: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExplainedPath:
    """A path and why each of its links holds."""

    path: Path
    hops: tuple[Hop, ...]
    people: Mapping[str, Person] = field(default_factory=dict)
    """The people the path names, by id, as stored (shape them for a viewer before showing)."""


@dataclass(frozen=True, slots=True)
class IntermediaryStats:
    """How a person answers the introductions they are asked to make, and what comes of them."""

    person_id: str
    asked: int
    pending: int
    accepted: int
    declined: int
    met: int
    not_met: int

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted out of answered (``None`` before any answer)."""
        answered = self.accepted + self.declined
        return self.accepted / answered if answered else None

    @property
    def success_rate(self) -> float | None:
        """Met out of accepted introductions with a known outcome (``None`` before any)."""
        known = self.met + self.not_met
        return self.met / known if known else None


_NEXT = {
    IntroductionStatus.REQUESTED: {IntroductionStatus.ACCEPTED, IntroductionStatus.DECLINED},
    IntroductionStatus.ACCEPTED: {IntroductionStatus.MET, IntroductionStatus.NOT_MET},
}
"""The workflow: requested, then accepted or declined by the introducer, then met or not."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Search:
    """What an introduction-path search asks for, apart from its two ends and moment."""

    max_hops: int
    first: int
    strategy: Strategy
    min_link_strength: float
    kinds: frozenset[InteractionKind] | None = None


_NEAREST = _Search(max_hops=3, first=1, strategy=Strategy.SHORTEST, min_link_strength=0.0)
"""The search a connection degree is: one shortest path of up to three hops, any link."""


@dataclass(frozen=True, slots=True)
class Introductions:
    """Introduction paths, connection degrees and mutual connections over one store."""

    store: GraphStore
    clock: Callable[[], datetime]
    budgets: Budgets = DEFAULT_BUDGETS

    async def _require_people(self, *ids: str) -> dict[str, Person]:
        found = await self.store.get(Person, list(dict.fromkeys(ids)))
        for pid in ids:
            if pid not in found:
                raise NotFound("person", pid)
        return found

    async def introduction_paths(
        self,
        viewer: Viewer,
        source: str,
        target: str,
        *,
        max_hops: int = 3,
        first: int = 5,
        min_link_strength: float = 0.0,
        strategy: Strategy = Strategy.STRONGEST,
        at: datetime | None = None,
        kinds: Collection[InteractionKind] | None = None,
        explain: bool = True,
    ) -> list[ExplainedPath]:
        """Return the best paths from ``source`` (the viewer, or anyone for an admin) to
        ``target`` through people who know each other and agreed to be intermediaries, in the
        network as it stood at ``at`` (default: now), each link explained (its tie, shared
        groups and interests) unless ``explain`` is false (then ``hops`` is empty).

        Every tie counts, however old: an old tie is a weak link, never a missing one. Two
        people one of whom blocked the other are strangers here: no path between them.
        ``kinds``, if given, walks only ties with contact of those kinds (e.g. declared
        connections). Past the request budget the search stops with ``BudgetExceeded``.
        """
        deadline = self.budgets.deadline(
            "narrow the search: lower maxHops (each hop multiplies the work), raise"
            " minLinkStrength, or ask for fewer paths (first)"
        )
        problems = []
        if not 1 <= max_hops <= MAX_HOPS:
            problems.append(Problem("query", "maxHops", max_hops, f"must be 1 to {MAX_HOPS}"))
        if not 1 <= first <= MAX_PATHS:
            problems.append(Problem("query", "first", first, f"must be 1 to {MAX_PATHS}"))
        if not (math.isfinite(min_link_strength) and 0 <= min_link_strength <= 1):
            problems.append(
                Problem("query", "minLinkStrength", min_link_strength, "must be 0 to 1")
            )
        if source == target:
            problems.append(Problem("query", "to", target, "must be someone other than from"))
        if problems:
            raise InvalidInput(problems)
        moment = None if at is None else check_instant("at", at)
        authorize(viewer, Action.FIND_INTRODUCTIONS, Facts(people=[source]))
        people = await self._require_people(source, target)
        if blocked_between(people[source], people[target]):
            return []
        search = _Search(
            max_hops=max_hops,
            first=first,
            strategy=strategy,
            min_link_strength=min_link_strength,
            kinds=frozenset(kinds) if kinds else None,
        )
        paths = await self._search(source, target, search, at=moment, deadline=deadline)
        if not explain:
            return await self._named(paths, known=people)
        return await self._explain(paths, moment, known=people)

    async def _named(
        self, paths: Sequence[Path], *, known: Mapping[str, Person]
    ) -> list[ExplainedPath]:
        """The paths with the people they name (one read; the ends are ``known``), unexplained."""
        wanted = sorted({p for path in paths for p in path.people} - known.keys())
        people = {**known, **(await self.store.get(Person, wanted) if wanted else {})}
        return [
            ExplainedPath(
                path=path, hops=(), people={p: people[p] for p in path.people if p in people}
            )
            for path in paths
        ]

    async def _search(
        self,
        source: str,
        target: str,
        search: _Search,
        *,
        at: datetime | None,
        deadline: Deadline | None = None,
    ) -> list[Path]:
        """Search now where the data lives, or over the network as it stood at a past ``at``."""
        if at is None:
            return await self.store.introduction_paths(
                source,
                target,
                max_hops=search.max_hops,
                first=search.first,
                strategy=search.strategy,
                min_link_strength=search.min_link_strength,
                at=self.clock(),
                kinds=search.kinds,
                deadline=deadline,
            )
        return await self._search_as_of(source, target, search, at=at, deadline=deadline)

    async def _search_as_of(
        self,
        source: str,
        target: str,
        search: _Search,
        *,
        at: datetime,
        deadline: Deadline | None = None,
    ) -> list[Path]:
        """The same meet-in-the-middle search over the ties as they stood at ``at``.

        Loads, layer by layer from each end, the ties of the people the search expands (the
        ``ceil(h/2) - 1`` and ``floor(h/2) - 1`` hop neighbourhoods through people who may be
        passed), then runs :func:`graph.domain.paths.best_paths` on them: one ties read and
        one people read per layer. The search itself runs off the event loop.
        """
        model = self.store.model
        kinds = search.kinds
        ties: dict[str, dict[str, Tie]] = {}
        people: dict[str, Person] = {}

        def may_pass(person_id: str) -> bool:
            person = people.get(person_id)
            return person is None or person.intermediary

        async def load(ids: list[str]) -> None:
            new = [i for i in dict.fromkeys(ids) if i not in ties]
            if not new:
                return
            found = await self.store.ties_as_of(new, at)
            for pid in new:
                ties[pid] = {
                    t.other(pid): t
                    for t in found.get(pid, [])
                    if kinds is None or any(t.counts.get(kind) for kind in kinds)
                }
            wanted = {o for pid in new for o in ties[pid]} | set(new)
            people.update(await self.store.get(Person, sorted(wanted - people.keys())))

        async def expand(start: str, depth: int) -> None:
            layer, seen = [start], {start}
            for level in range(depth):
                await load(layer)
                if level == depth - 1:
                    return
                following = []
                for person_id in layer:
                    if person_id != start and not may_pass(person_id):
                        continue
                    for other in ties[person_id]:
                        if other not in seen:
                            seen.add(other)
                            following.append(other)
                layer = following

        await expand(source, (search.max_hops + 1) // 2)
        await expand(target, search.max_hops // 2)

        def links_of(person_id: str) -> dict[str, float]:
            found = {}
            me = people.get(person_id)
            for other, tie in ties.get(person_id, {}).items():
                them = people.get(other)
                if me is not None and them is not None and blocked_between(me, them):
                    continue
                strength = link_strength(tie, at, model)
                if strength >= search.min_link_strength:
                    found[other] = strength
            return found

        def apart(one: str, other: str) -> bool:
            a, b = people.get(one), people.get(other)
            return a is not None and b is not None and blocked_between(a, b)

        found = off_loop(
            best_paths,
            source,
            target,
            links_of=links_of,
            may_pass=may_pass,
            max_hops=search.max_hops,
            first=search.first,
            strategy=search.strategy,
            deadline=deadline,
            apart=apart,
        )
        return await (found if deadline is None else within(deadline, found))

    async def _explain(
        self, paths: Sequence[Path], at: datetime | None, *, known: Mapping[str, Person]
    ) -> list[ExplainedPath]:
        """Add to each hop its tie, band, shared groups and shared interests, and to each path
        the people it names (a fixed number of store calls for all paths; the people in
        ``known``, the ends, are not read again)."""
        people_ids = sorted({p for path in paths for p in path.people})
        if not people_ids:
            return []
        # One read for every hop's tie, keyed by the pair (only those ties: a hub on a path
        # has thousands). The three reads do not depend on each other: one round trip's wait.
        hop_pairs = {
            hop for path in paths for hop in zip(path.people, path.people[1:], strict=False)
        }
        read, memberships, ties = await asyncio.gather(
            self.store.get(Person, [p for p in people_ids if p not in known]),
            self.store.memberships(person_ids=people_ids),
            self.store.ties_between(hop_pairs, at),
        )
        people = {**known, **read}
        groups_of: dict[str, set[str]] = {p: set() for p in people_ids}
        for m in memberships:
            groups_of[m.person_id].add(m.group_id)
        groups = await self.store.get(Group, sorted(set().union(*groups_of.values())))
        explained = []
        for path in paths:
            hops = []
            for (a, b), strength in zip(
                zip(path.people, path.people[1:], strict=False), path.links, strict=True
            ):
                pair = (a, b) if a < b else (b, a)
                shared = sorted(groups_of[a] & groups_of[b])
                interests_a = {i.casefold(): i for i in people[a].interests} if a in people else {}
                interests_b = {i.casefold() for i in people[b].interests} if b in people else set()
                hops.append(
                    Hop(
                        a=a,
                        b=b,
                        strength=strength,
                        band=band_of(strength),
                        tie=ties.get(pair),
                        shared_groups=tuple(groups[g] for g in shared if g in groups),
                        shared_interests=tuple(
                            sorted(v for k, v in interests_a.items() if k in interests_b)
                        ),
                    )
                )
            named = {p: people[p] for p in path.people if p in people}
            explained.append(ExplainedPath(path=path, hops=tuple(hops), people=named))
        return explained

    async def connection_degree(
        self, viewer: Viewer, a: str, b: str, *, at: datetime | None = None
    ) -> Degree:
        """How far apart two people are at ``at`` (default: now): first, second, third degree
        or beyond (for either of them, or an admin).

        The degree is the length of the shortest introduction path, so whenever it is
        ``FIRST``, ``SECOND`` or ``THIRD`` :meth:`introduction_paths` offers a path of that
        length; people who blocked each other are ``BEYOND``.
        """
        moment = None if at is None else check_instant("at", at)
        authorize(viewer, Action.READ_CONNECTION_DEGREE, Facts(people=[a, b]))
        people = await self._require_people(a, b)
        if a == b:
            return Degree.SELF
        if blocked_between(people[a], people[b]):
            return Degree.BEYOND
        paths = await self._search(a, b, _NEAREST, at=moment)
        return _DEGREES[paths[0].hops] if paths else Degree.BEYOND

    async def mutual_connections(
        self, viewer: Viewer, a: str, b: str, *, first: int = 20, at: datetime | None = None
    ) -> list[Person]:
        """People with a tie to both at ``at`` (default: now) who could introduce them, in key
        order: they agreed to be intermediaries and to be discoverable (or are the viewer),
        and neither tie is blocked. People who blocked each other have none."""
        if not 1 <= first <= MAX_MUTUAL:
            raise InvalidInput([Problem("query", "first", first, f"must be 1 to {MAX_MUTUAL}")])
        moment = self.clock() if at is None else check_instant("at", at)
        authorize(viewer, Action.READ_CONNECTION_DEGREE, Facts(people=[a, b]))
        ends = await self._require_people(a, b)
        if a == b or blocked_between(ends[a], ends[b]):
            return []
        found = await self.store.ties_as_of([a, b], moment)
        near_a = {t.other(a) for t in found.get(a, [])}
        near_b = {t.other(b) for t in found.get(b, [])}
        mutual = sorted((near_a & near_b) - {a, b})
        people = await self.store.get(Person, mutual)
        shown = [
            people[p]
            for p in mutual
            if p in people
            and people[p].intermediary
            and not blocked_between(people[p], ends[a])
            and not blocked_between(people[p], ends[b])
            and (people[p].discoverable or p == viewer.person_id)
        ]
        return shown[:first]

    # -- the introduction workflow ---------------------------------------------------------

    async def request_introduction(
        self,
        viewer: Viewer,
        target: str,
        via: str,
        *,
        requester: str | None = None,
        note: str | None = None,
    ) -> Introduction:
        """Ask ``via`` to introduce ``requester`` (default: the viewer) to ``target``.

        Refused with one answer, naming ``via``, when ``via`` does not make introductions or
        any two of the three blocked one another."""
        requester = requester or viewer.person_id
        if requester is None:
            raise InvalidInput(
                [Problem("input", "from", None, "give who asks, or sign in as a person")]
            )
        authorize(viewer, Action.FIND_INTRODUCTIONS, Facts(people=[requester]))
        if len({requester, target, via}) < 3:
            raise InvalidInput(
                [Problem("input", "via", via, "requester, introducer and target must differ")]
            )
        people = await self._require_people(requester, target, via)
        # One answer for every reason not to: someone who does not make introductions, and a
        # block between any two of the three (whoever blocked whom), so a refusal reveals
        # neither a private consent flag nor who blocked whom.
        if not people[via].intermediary or any(
            blocked_between(people[x], people[y])
            for x, y in ((requester, target), (requester, via), (via, target))
        ):
            raise InvalidInput([Problem("input", "via", via, "cannot introduce you to them")])
        introduction = Introduction(
            id=f"intro-{uuid.uuid4().hex}",
            requester_id=requester,
            introducer_id=via,
            target_id=target,
            status=IntroductionStatus.REQUESTED,
            requested_at=self.clock(),
            note=note,
        )
        await self.store.apply(batch_of([introduction]))
        return introduction

    async def _advance(
        self,
        viewer: Viewer,
        introduction_id: str,
        status: IntroductionStatus,
        allowed: Callable[[Introduction], set[str]],
    ) -> Introduction:
        found = (await self.store.get(Introduction, [introduction_id])).get(introduction_id)
        if found is None:
            raise NotFound("introduction", introduction_id)
        facts = Facts(people=sorted(allowed(found)))
        everyone = Facts(people=(found.requester_id, found.introducer_id, found.target_id))
        if may(viewer, Action.READ_INTRODUCTION, everyone):
            authorize(viewer, Action.WRITE_INTRODUCTION, facts)  # theirs to see: say why not
        else:
            # Someone else's introduction answers as an unknown one: ids tell nothing.
            authorize_or_hide(
                viewer,
                Action.WRITE_INTRODUCTION,
                facts,
                entity="introduction",
                key=introduction_id,
            )
        if status not in _NEXT.get(found.status, set()):
            raise Conflict(
                [
                    Problem(
                        "input",
                        "status",
                        status.value,
                        f"the introduction is {found.status.value}; it cannot become"
                        f" {status.value}",
                    )
                ]
            )
        moved = replace(found, status=status, updated_at=self.clock())
        await self.store.apply(batch_of([moved]))
        return moved

    async def answer_introduction(
        self, viewer: Viewer, introduction_id: str, *, accept: bool
    ) -> Introduction:
        """The introducer accepts or declines a request."""
        status = IntroductionStatus.ACCEPTED if accept else IntroductionStatus.DECLINED
        return await self._advance(viewer, introduction_id, status, lambda i: {i.introducer_id})

    async def record_introduction_outcome(
        self, viewer: Viewer, introduction_id: str, *, met: bool
    ) -> Introduction:
        """Any of the three records whether the two met; a meeting becomes an interaction
        between requester and target (and so feeds their tie's strength)."""
        status = IntroductionStatus.MET if met else IntroductionStatus.NOT_MET
        return await self._advance(
            viewer,
            introduction_id,
            status,
            lambda i: {i.requester_id, i.introducer_id, i.target_id},
        )

    async def intermediary_stats(self, viewer: Viewer, person_id: str) -> IntermediaryStats:
        """How often a person accepts requests to introduce and how often those lead to a
        meeting: for anyone signed in when the person makes introductions, else only for
        themselves."""
        people = await self._require_people(person_id)
        if not people[person_id].intermediary:
            authorize(viewer, Action.READ_TIES, Facts(people=[person_id]))
        else:
            authorize(viewer, Action.READ_PUBLIC_PROFILE)
        asked = [
            i for i in await self.store.introductions_of(person_id) if i.introducer_id == person_id
        ]
        count = {s: sum(1 for i in asked if i.status is s) for s in IntroductionStatus}
        return IntermediaryStats(
            person_id=person_id,
            asked=len(asked),
            pending=count[IntroductionStatus.REQUESTED],
            accepted=count[IntroductionStatus.ACCEPTED]
            + count[IntroductionStatus.MET]
            + count[IntroductionStatus.NOT_MET],
            declined=count[IntroductionStatus.DECLINED],
            met=count[IntroductionStatus.MET],
            not_met=count[IntroductionStatus.NOT_MET],
        )

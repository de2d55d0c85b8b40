"""Discovery: what two people have in common, whom to meet next, and what a group shares.

The scoring is pure domain code (:mod:`graph.domain.similarity`); this module gathers the facts
from the store and decides what the viewer may see. Rarity needs to know how many people have
each thing: every count is one ``search_people`` call asking for no items, whose page's
``total`` is the count (the people in the network are the total of an empty query). Counts are
asked only for what the answer needs: the interests two people share, the interests of the
person recommendations are for, the interests two or more members of a group have.

What counting costs depends on the store. The embedded store counts the people with an
interest through its index of labels (in proportion to how many have it) and the population
with one scan of an index of every person; an organization or an industry is counted by reading
every person's record. Neo4j reads every person for each count, as its people search does. A
call makes one count per interest involved, plus the population (and, for two people who share
them, their organization and industry).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from graph.domain.errors import InvalidInput, NotFound, Problem
from graph.domain.model import (
    Group,
    Meeting,
    Organization,
    Person,
)
from graph.domain.similarity import (
    InterestOverlap,
    Recommendation,
    Shared,
    interest_labels,
    interest_overlap,
    label_key,
    recommend,
    shared_between,
)
from graph.ports import MAX_PAGE, GraphStore, PeopleQuery
from graph.usecases.budget import DEFAULT_BUDGETS, Budgets, off_loop, within
from graph.usecases.facts import (
    blocked_between,
    group_facts,
    readable_private_profiles,
    without_private_profile,
)
from graph.usecases.policy import Action, Facts, authorize, may
from graph.usecases.viewer import Viewer

__all__ = ["MAX_RECOMMENDATIONS", "Discovery"]

MAX_RECOMMENDATIONS = 100
"""The most recommendations one call returns."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _GroupContext:
    """The group side of what two people share, as far as one viewer may see it."""

    shown: bool
    """``False`` when the viewer may see none of it."""
    groups_a: list[Group] = field(default_factory=list)
    groups_b: list[Group] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    """The meetings both attended."""
    group_sizes: dict[str, int] = field(default_factory=dict)
    meeting_sizes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Discovery:
    """The discovery use cases over one store: shared interests, recommendations, overlap."""

    store: GraphStore
    max_candidates: int = 2000
    """The most people a recommendation call reads and scores (see :meth:`recommended_people`)."""
    budgets: Budgets = DEFAULT_BUDGETS
    """How long one request's computation may take."""

    # -- counting -------------------------------------------------------------------------------

    async def _count(self, query: PeopleQuery) -> int:
        """How many people match ``query``: a page of no items, for its total."""
        return (await self.store.search_people(query, first=0)).total

    async def _population(self) -> int:
        return await self._count(PeopleQuery())

    async def _interest_counts(
        self, labels: Mapping[str, Collection[str]], population: int
    ) -> dict[str, int]:
        """How many people have each interest key, from the spellings given for it.

        Stores match an interest as a whole value up to case, while keys also equate spacing
        and hyphens: the counts of a key's spellings are added up (at most the population).
        """
        counts: dict[str, int] = {}
        for key, spellings in labels.items():
            total = 0
            for spelling in spellings:
                total += await self._count(PeopleQuery(interest=spelling))
            counts[key] = min(total, population)
        return counts

    # -- facts for the policy -------------------------------------------------------------------

    async def _group_facts(self, viewer: Viewer, group_ids: Collection[str]) -> Facts:
        """Which of ``group_ids`` the viewer leads or belongs to."""
        return await group_facts(self.store, viewer, group_ids)

    async def _people(self, person_ids: Sequence[str]) -> dict[str, Person]:
        """The people by id; ``NotFound`` naming the first who does not exist."""
        found = await self.store.get(Person, list(person_ids))
        for pid in person_ids:
            if pid not in found:
                raise NotFound("person", pid)
        return found

    # -- two people -----------------------------------------------------------------------------

    async def shared_interests(self, viewer: Viewer, a: str, b: str) -> Shared:
        """Return what ``a`` and ``b`` have in common, each part weighed by rarity and explained.

        Anyone signed in sees what comes from public profile fields: the interests, the
        organization and the industry both have. Which groups both belong to and which meetings
        both attended is group data: it is shown to ``a`` and ``b`` themselves and to admins;
        to the leader of a group both belong to, it is shown for the groups both belong to
        that the leader may read the details of (those they lead or belong to), and for the
        meetings of those groups; to anyone else the two parts are withheld (``None``, which
        is not the same as nothing in common) and do not count in the score.

        If either of the two blocked the viewer, or the viewer blocked them, the answer is the
        one for someone unknown (``NotFound``), whoever blocked whom.
        """
        if a == b:
            raise InvalidInput([Problem("query", "b", b, "must be someone other than a")])
        authorize(viewer, Action.READ_PUBLIC_PROFILE)
        people = await self._people([a, b])
        await self._refuse_blocked(viewer, people)
        pa, pb = people[a], people[b]
        population = await self._population()

        labels = interest_labels([pa, pb])
        common = {label_key(i) for i in pa.interests} & {label_key(i) for i in pb.interests}
        interest_counts = await self._interest_counts(
            {k: v for k, v in labels.items() if k in common}, population
        )
        organization_counts: dict[str, int] = {}
        organization_names: dict[str, str] = {}
        if pa.organization_id is not None and pa.organization_id == pb.organization_id:
            oid = pa.organization_id
            organization_counts[oid] = await self._count(PeopleQuery(organization_id=oid))
            stored = await self.store.get(Organization, [oid])
            if oid in stored:
                organization_names[oid] = stored[oid].name
        industry_counts: dict[str, int] = {}
        if pa.industry and pb.industry and label_key(pa.industry) == label_key(pb.industry):
            spellings = {s.strip().casefold(): s.strip() for s in (pa.industry, pb.industry)}
            total = 0
            for spelling in spellings.values():
                total += await self._count(PeopleQuery(industry=spelling))
            industry_counts[label_key(pa.industry)] = min(total, population)

        context = await self._group_context(viewer, a, b)
        shared = shared_between(
            pa,
            pb,
            interest_counts=interest_counts,
            population=population,
            groups_a=context.groups_a,
            groups_b=context.groups_b,
            meetings_a=context.meetings,
            meetings_b=context.meetings,
            organization_counts=organization_counts,
            industry_counts=industry_counts,
            organization_names=organization_names,
            group_sizes=context.group_sizes,
            meeting_sizes=context.meeting_sizes,
        )
        if not context.shown:
            return replace(shared, groups=None, meetings=None)
        return shared

    async def _refuse_blocked(self, viewer: Viewer, people: Mapping[str, Person]) -> None:
        """Answer for someone with a block between them and the viewer as for someone unknown
        (whichever of the two blocked: the answer does not say)."""
        me = viewer.person_id
        if me is None or viewer.is_admin:
            return
        mine = people.get(me) or (await self.store.get(Person, [me])).get(me)
        if mine is None:
            return
        for pid, other in people.items():
            if pid != me and blocked_between(mine, other):
                raise NotFound("person", pid)

    async def _group_context(self, viewer: Viewer, a: str, b: str) -> _GroupContext:
        """The groups both belong to and the meetings both attended, as far as the viewer may
        see them (see :meth:`shared_interests`), with their sizes."""
        memberships = await self.store.memberships(person_ids=[a, b])
        of_a = {m.group_id for m in memberships if m.person_id == a}
        of_b = {m.group_id for m in memberships if m.person_id == b}
        shared_groups = sorted(of_a & of_b)
        visible: set[str] | None = None  # every group, for the two themselves and admins
        if not (viewer.is_admin or viewer.person_id in (a, b)):
            facts = await self._group_facts(viewer, shared_groups)
            if not may(viewer, Action.READ_RELATIONSHIP, replace(facts, people=(a, b))):
                return _GroupContext(shown=False)
            visible = {
                gid
                for gid in shared_groups
                if may(viewer, Action.READ_GROUP_DETAILS, replace(facts, groups=(gid,)))
            }
        attended = await self.store.attendance(person_ids=[a, b])
        meetings_of_a = {x.meeting_id for x in attended if x.person_id == a}
        meetings_of_b = {x.meeting_id for x in attended if x.person_id == b}
        both_attended = await self.store.get(Meeting, sorted(meetings_of_a & meetings_of_b))
        meetings = [m for m in both_attended.values() if visible is None or m.group_id in visible]
        group_ids = [g for g in shared_groups if visible is None or g in visible]
        # A meeting's group names it; a group neither belongs to any more is shown by its id.
        groups = await self.store.get(Group, group_ids)
        group_sizes: dict[str, int] = {}
        if group_ids:
            for m in await self.store.memberships(group_ids=group_ids):
                group_sizes[m.group_id] = group_sizes.get(m.group_id, 0) + 1
        meeting_sizes: dict[str, int] = {}
        if meetings:
            for x in await self.store.attendance(meeting_ids=[m.id for m in meetings]):
                meeting_sizes[x.meeting_id] = meeting_sizes.get(x.meeting_id, 0) + 1
        return _GroupContext(
            shown=True,
            groups_a=[g for g in groups.values() if g.id in of_a],
            groups_b=[g for g in groups.values() if g.id in of_b],
            meetings=meetings,
            group_sizes=group_sizes,
            meeting_sizes=meeting_sizes,
        )

    # -- recommendations ------------------------------------------------------------------------

    async def recommended_people(
        self, viewer: Viewer, person_id: str, *, first: int
    ) -> list[Recommendation]:
        """Return up to ``first`` people a person might like to meet, best first, with reasons.

        Only for the person themselves (or an admin). Candidates are the discoverable people
        who share one of the person's interests, read interest by interest from the rarest to
        the commonest, ``max_candidates`` people records at most (someone with several of the
        interests is read once for each): a cut falls on the commonest interests, which weigh
        least, and within an interest on the ids that sort last. Each candidate is scored by
        the shared interests and by offer/seek matches both ways (:func:`recommend`); people
        the person already has a tie with, or blocked, or who blocked them, are left out.

        Someone whose only link is an offer/seek match, with no interest in common, is not
        found: the store cannot search offers and seeks short of reading every person. A
        candidate's offers and seeks are private: they count (in the score, the order and the
        reasons) only where the viewer may read the candidate's private profile (a leader of
        a group the candidate belongs to, or an admin); otherwise the candidate is matched on
        public interests only.
        """
        deadline = self.budgets.deadline(
            "retry later: the candidates are capped, so only a busy service runs out of time here"
        )
        if not 1 <= first <= MAX_RECOMMENDATIONS:
            raise InvalidInput(
                [Problem("query", "first", first, f"must be 1 to {MAX_RECOMMENDATIONS}")]
            )
        authorize(viewer, Action.READ_TIES, Facts(people=[person_id]))
        person = (await self._people([person_id]))[person_id]
        known = set(await self.store.neighbourhood(person_id, max_hops=1))
        population = await self._population()
        labels = interest_labels([person])
        counts = await self._interest_counts(labels, population)

        candidates: dict[str, Person] = {}
        budget = self.max_candidates
        for key in sorted(labels, key=lambda k: (counts[k], k)):
            for spelling in labels[key]:
                after: str | None = None
                while budget > 0:
                    page = await self.store.search_people(
                        PeopleQuery(interest=spelling, discoverable_only=True),
                        first=min(MAX_PAGE, budget),
                        after=after,
                    )
                    budget -= len(page.items)
                    for found in page.items:
                        candidates.setdefault(found.id, found)
                    if not page.has_next or not page.items:
                        break
                    after = page.items[-1].id
        # Scored on what the viewer may read: a candidate's offers and seeks only where the
        # viewer may read their private profile, so neither reasons nor order reveal them.
        readable = await readable_private_profiles(self.store, viewer, candidates)
        shown = [c if c.id in readable else without_private_profile(c) for c in candidates.values()]
        # Scoring is the CPU-heavy part (thousands of candidates): off the event loop.
        return await within(
            deadline,
            off_loop(
                recommend,
                person,
                shown,
                known=known,
                interest_counts=counts,
                population=population,
                first=first,
                deadline=deadline,
            ),
        )

    # -- groups ---------------------------------------------------------------------------------

    async def interest_overlap(self, viewer: Viewer, group_id: str) -> list[InterestOverlap]:
        """Return the interests two or more of a group's members have, with who and how rare.

        For the group's leader and its members (and admins). Everyone with a membership of the
        group counts, the leader too when they have one.
        """
        found = (await self.store.get(Group, [group_id])).get(group_id)
        if found is None:
            raise NotFound("group", group_id)
        authorize(viewer, Action.READ_GROUP_DETAILS, await self._group_facts(viewer, [group_id]))
        member_ids = sorted(
            {m.person_id for m in await self.store.memberships(group_ids=[group_id])}
        )
        members = list((await self.store.get(Person, member_ids)).values())
        held: dict[str, int] = {}
        for member in members:
            for key in {label_key(i) for i in member.interests}:
                held[key] = held.get(key, 0) + 1
        labels = {k: v for k, v in interest_labels(members).items() if held.get(k, 0) >= 2}
        population = await self._population()
        counts = await self._interest_counts(labels, population)
        return interest_overlap(
            sorted(members, key=lambda p: p.id), interest_counts=counts, population=population
        )

"""Running better meetings: speaking balance, breakout suggestions and cohort composition,
for a group's leader.

The arithmetic is pure domain code (:mod:`graph.domain.balance`,
:mod:`graph.domain.breakouts`, :mod:`graph.domain.cohorts`); this module reads what it needs
and checks who asks.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from graph.domain.balance import MeetingBalance, MemberBalance, group_balance, meeting_balance
from graph.domain.breakouts import Suggestion, suggest_breakouts
from graph.domain.cohorts import (
    ITERATIONS_PER_APPLICANT,
    Applicant,
    CohortConstraints,
    Composition,
    compose_cohorts,
)
from graph.domain.errors import InvalidInput, NotFound, Problem
from graph.domain.model import Attendance, Group, GroupFormat, Meeting, MembershipRole, Person
from graph.domain.relationship import link_strength
from graph.ports import GraphStore
from graph.usecases.budget import DEFAULT_BUDGETS, Budgets, in_process, off_loop, within
from graph.usecases.facts import (
    blocked_between,
    group_facts,
    readable_private_profiles,
    without_private_profile,
)
from graph.usecases.policy import Action, Facts, authorize, may
from graph.usecases.viewer import Viewer

__all__ = ["ApplicantRequest", "GroupBalance", "Meetings"]

MAX_BREAKOUT_PEOPLE = 200
MAX_APPLICANTS = 1_000
"""The largest pool one request composes (about ten seconds of search)."""


@dataclass(frozen=True, slots=True)
class ApplicantRequest:
    """Someone to place in a cohort: the person, the format they insist on (``None``: any),
    and what they said in the pre-interview if it is not on record."""

    person_id: str
    format: GroupFormat | None = None
    hopes: tuple[str, ...] = ()
    contributions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupBalance:
    """Speaking balance over a group's meetings, and each member's trend."""

    group_id: str
    meetings: tuple[MeetingBalance, ...]
    members: tuple[MemberBalance, ...]


@dataclass(frozen=True, slots=True)
class Meetings:
    """Speaking balance and breakout suggestions over one store."""

    store: GraphStore
    clock: Callable[[], datetime]
    budgets: Budgets = DEFAULT_BUDGETS

    async def _meeting(self, meeting_id: str) -> Meeting:
        found = (await self.store.get(Meeting, [meeting_id])).get(meeting_id)
        if found is None:
            raise NotFound("meeting", meeting_id)
        return found

    async def _authorize_leader(self, viewer: Viewer, group_id: str) -> None:
        authorize(viewer, Action.RUN_MEETINGS, await group_facts(self.store, viewer, [group_id]))

    async def meeting_balance(self, viewer: Viewer, meeting_id: str) -> MeetingBalance:
        """Each attendee's share of the speaking time against the fair share (the leader)."""
        meeting = await self._meeting(meeting_id)
        await self._authorize_leader(viewer, meeting.group_id)
        return meeting_balance(meeting_id, await self.store.attendance(meeting_ids=[meeting_id]))

    async def group_balance(self, viewer: Viewer, group_id: str) -> GroupBalance:
        """Speaking balance across a group's meetings, in time order, with member trends."""
        if not (await self.store.get(Group, [group_id])):
            raise NotFound("group", group_id)
        await self._authorize_leader(viewer, group_id)
        meetings = await self.store.meetings_of([group_id])
        attendance = await self.store.attendance(meeting_ids=[m.id for m in meetings])
        by_meeting: dict[str, list[Attendance]] = {m.id: [] for m in meetings}
        for a in attendance:
            by_meeting[a.meeting_id].append(a)
        balances = tuple(meeting_balance(m.id, by_meeting[m.id]) for m in meetings)
        members = [
            m.person_id
            for m in await self.store.memberships(group_ids=[group_id])
            if m.role is not MembershipRole.LEADER
        ]
        return GroupBalance(group_id, balances, tuple(group_balance(members, balances)))

    async def suggest_breakouts(
        self,
        viewer: Viewer,
        *,
        meeting_id: str | None = None,
        attendee_ids: Sequence[str] | None = None,
        series_of: str | None = None,
        group_size: int = 4,
        seed: int = 0,
    ) -> Suggestion:
        """Suggest breakout groups for a meeting's attendees (or the given people, optionally
        within the series of group ``series_of``): weakest ties together, dominant speakers
        apart, partners rotating over the group's earlier breakouts.

        Only ties whose strength the leader may read (pairs of a group they lead, or their
        own) are weighed; any other pair counts as having no tie, so neither the score, the
        reasons nor the grouping reveal how strong it is. Two people of whom either blocked
        the other are kept in different groups whenever the sizes allow. The search runs off
        the event loop, within the request budget."""
        deadline = self.budgets.deadline(
            "split the attendees into smaller sessions, or ask for smaller groups (groupSize)"
        )
        if (meeting_id is None) == (attendee_ids is None):
            raise InvalidInput(
                [Problem("query", "meeting", meeting_id, "give a meeting or attendees, not both")]
            )
        if not 2 <= group_size <= 50:
            raise InvalidInput([Problem("query", "groupSize", group_size, "must be 2 to 50")])
        group_id: str | None = None
        if meeting_id is not None:
            meeting = await self._meeting(meeting_id)
            group_id = meeting.group_id
            await self._authorize_leader(viewer, group_id)
            people = sorted(
                {a.person_id for a in await self.store.attendance(meeting_ids=[meeting_id])}
            )
            leader = (await self.store.get(Group, [group_id]))[group_id].leader_id
            people = [p for p in people if p != leader]
        else:
            assert attendee_ids is not None
            people = sorted(set(attendee_ids))
            group_id = series_of
            if group_id is not None:
                if not (await self.store.get(Group, [group_id])):
                    raise NotFound("group", group_id)
                await self._authorize_leader(viewer, group_id)
            else:  # an ad-hoc session: any leader may plan one
                authorize(viewer, Action.RUN_MEETINGS, Facts())
        if not 2 <= len(people) <= MAX_BREAKOUT_PEOPLE:
            raise InvalidInput(
                [
                    Problem(
                        "query",
                        "attendees",
                        len(people),
                        f"breakouts need 2 to {MAX_BREAKOUT_PEOPLE} people",
                    )
                ]
            )
        now = self.clock()
        strengths: dict[tuple[str, str], float] = {}
        wanted = set(people)
        readable = await self._readable_pairs(viewer, people)
        for pid, ties in (await self.store.ties_of(people)).items():
            for tie in ties:
                if tie.other(pid) in wanted and tie.last_at <= now and readable(tie.a, tie.b):
                    strengths[(tie.a, tie.b)] = link_strength(tie, now, self.store.model)
        together: Counter[tuple[str, str]] = Counter()
        speaking: dict[str, float] = {}
        if group_id is not None:
            series = await self.store.meetings_of([group_id])
            earlier = [m.id for m in series if m.id != meeting_id]
            for breakout in await self.store.breakouts_of(earlier) if earlier else []:
                members = sorted(set(breakout.member_ids))
                together.update(itertools.combinations(members, 2))
            attendance = await self.store.attendance(meeting_ids=earlier) if earlier else []
            by_meeting: dict[str, list[Attendance]] = {}
            for a in attendance:
                by_meeting.setdefault(a.meeting_id, []).append(a)
            balances = [meeting_balance(mid, rows) for mid, rows in sorted(by_meeting.items())]
            for row in group_balance(people, balances):
                if row.mean_relative is not None:
                    speaking[row.person_id] = row.mean_relative
        stored = await self.store.get(Person, people)
        # A block holds here too: two people who blocked each other sit in different groups.
        blocked = [
            (a, b)
            for a, b in itertools.combinations(people, 2)
            if a in stored and b in stored and blocked_between(stored[a], stored[b])
        ]
        return await within(
            deadline,
            off_loop(
                suggest_breakouts,
                people,
                group_size=group_size,
                seed=seed,
                strengths=strengths,
                together=together,
                speaking=speaking,
                apart=blocked,
                deadline=deadline,
            ),
        )

    async def _readable_pairs(
        self, viewer: Viewer, people: Sequence[str]
    ) -> Callable[[str, str], bool]:
        """Whether the viewer may read how strong a pair of ``people`` is: a tie they are in,
        or one of two people in a group they lead (the same rule as reading it directly)."""
        groups_of: dict[str, set[str]] = {p: set() for p in people}
        for m in await self.store.memberships(person_ids=list(people)):
            groups_of[m.person_id].add(m.group_id)
        facts = await group_facts(self.store, viewer, sorted(set().union(*groups_of.values())))

        def readable(a: str, b: str) -> bool:
            shared = sorted(groups_of.get(a, set()) & groups_of.get(b, set()))
            return may(
                viewer,
                Action.READ_RELATIONSHIP,
                dataclasses.replace(facts, people=(a, b), groups=shared),
            )

        return readable

    async def compose_cohorts(
        self,
        viewer: Viewer,
        applicants: Sequence[ApplicantRequest],
        constraints: CohortConstraints,
        *,
        interviews_of: str | None = None,
        seed: int = 0,
        iterations: int | None = None,
    ) -> Composition:
        """Compose cohorts from a pool of people (any leader): shared professions across
        industries, complementary offers and seeks, some shared interests; never two people of
        one organization together; formats and capacity respected.

        Each applicant is matched on their profile; what they hope for and bring (seeks and
        offers) adds the hopes and contributions given here and, with ``interviews_of``, those
        of their pre-interview for that group (only for its leader). An applicant's offers,
        seeks and pre-interview answers count only where the viewer may read their private
        profile (they are a member of a group the viewer leads); what the request itself gives
        always counts. Reproducible for a seed: the search makes a fixed number of swaps, in a
        worker process, and a search that does not finish within the compose budget is refused
        with ``BudgetExceeded`` rather than cut short.
        """
        deadline = self.budgets.compose_deadline(
            "compose fewer applicants at a time, or ask for fewer iterations"
        )
        authorize(viewer, Action.RUN_MEETINGS, Facts())
        if not 1 <= len(applicants) <= MAX_APPLICANTS:
            raise InvalidInput(
                [
                    Problem(
                        "query",
                        "applicants",
                        len(applicants),
                        f"give 1 to {MAX_APPLICANTS} applicants",
                    )
                ]
            )
        if iterations is not None and not 0 <= iterations <= 100 * 1_000_000:
            raise InvalidInput(
                [Problem("query", "iterations", iterations, "must be 0 to 100,000,000")]
            )
        ids = [a.person_id for a in applicants]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise InvalidInput(
                [Problem("query", "applicants", p, "is in the pool twice") for p in repeated]
            )
        people = await self.store.get(Person, ids)
        unknown = [i for i in ids if i not in people]
        if unknown:
            raise InvalidInput(
                [Problem("query", "applicants", p, "no such person") for p in unknown]
            )
        interviews: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        if interviews_of is not None:
            if not (await self.store.get(Group, [interviews_of])):
                raise NotFound("group", interviews_of)
            # Pre-interviews are the group's: only its leader (who held them) may use them.
            await self._authorize_leader(viewer, interviews_of)
            for m in await self.store.memberships(group_ids=[interviews_of]):
                interviews[m.person_id] = (m.hopes, m.contributions)
        # Offers, seeks and pre-interview answers are private: used (and so shown in the
        # reasons, or felt in who is put with whom) only where the viewer may read them.
        readable = await readable_private_profiles(self.store, viewer, ids)
        pool: list[Applicant] = []
        for request in applicants:
            person = people[request.person_id]
            if request.person_id not in readable:
                person = without_private_profile(person)
            hopes, contributions = (
                interviews.get(request.person_id, ((), ()))
                if request.person_id in readable
                else ((), ())
            )
            pool.append(
                dataclasses.replace(
                    Applicant.from_person(person, request.format),
                    seeks=_merged(person.seeks, hopes, request.hopes),
                    offers=_merged(person.offers, contributions, request.contributions),
                )
            )
        # A block holds here too: two people one of whom blocked the other are put in
        # different cohorts wherever the other constraints allow (never refused for it: a
        # refusal would tell the leader that a block exists).
        apart = sorted(
            {
                (min(pid, other), max(pid, other))
                for pid, person in people.items()
                for other in person.blocked_ids
                if other in people and other != pid
            }
        )
        try:
            return await within(
                deadline,
                in_process(
                    compose_cohorts,
                    pool,
                    constraints,
                    seed=seed,
                    apart=apart,
                    iterations=(
                        iterations
                        if iterations is not None
                        else ITERATIONS_PER_APPLICANT * len(pool)
                    ),
                    budget=deadline,
                ),
            )
        except ValueError as error:
            reason = str(error)
            field, value = "applicants", len(pool)
            if "cohort_size" in reason:
                field, value = "cohortSize", constraints.cohort_size
            elif "max_cohorts" in reason:
                field, value = "maxCohorts", constraints.max_cohorts or 0
            raise InvalidInput([Problem("query", field, value, reason)]) from error


def _merged(*parts: Sequence[str]) -> tuple[str, ...]:
    """Return the labels of ``parts`` in order, each once.

    >>> _merged(("mentoring",), ("press", "mentoring"), ())
    ('mentoring', 'press')
    """
    return tuple(dict.fromkeys(label for part in parts for label in part))

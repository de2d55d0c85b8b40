"""Running better meetings: speaking balance and breakout suggestions, for a group's leader.

The arithmetic is pure domain code (:mod:`graph.domain.balance`,
:mod:`graph.domain.breakouts`); this module reads what it needs and checks who asks.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from graph.domain.balance import MeetingBalance, MemberBalance, group_balance, meeting_balance
from graph.domain.breakouts import Suggestion, suggest_breakouts
from graph.domain.errors import InvalidInput, NotFound, Problem
from graph.domain.model import Attendance, Group, Meeting, MembershipRole
from graph.domain.relationship import link_strength
from graph.ports import GraphStore
from graph.usecases.facts import group_facts
from graph.usecases.policy import Action, Facts, authorize
from graph.usecases.viewer import Viewer

__all__ = ["GroupBalance", "Meetings"]

MAX_BREAKOUT_PEOPLE = 200


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
        apart, partners rotating over the group's earlier breakouts."""
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
        for pid, ties in (await self.store.ties_of(people)).items():
            for tie in ties:
                if tie.other(pid) in wanted and tie.last_at <= now:
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
        return suggest_breakouts(
            people,
            group_size=group_size,
            seed=seed,
            strengths=strengths,
            together=together,
            speaking=speaking,
        )

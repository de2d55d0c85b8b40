"""Keep-in-touch nudges: the ties of a person's own that are worth renewing now, with context.

The ranking is the pure :func:`graph.domain.nudges.rank_nudges`; this module reads what it
needs (the person's ties, their history up to the moment, the groups they share) and adds what
a person wants to know before writing to someone: the group they shared, what their last
contact was, who started it, and one sentence saying why. A person's own ties only
(``Action.READ_TIES``: themselves, or an admin).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from graph.domain.batch import check_instant
from graph.domain.deadline import Deadline
from graph.domain.errors import InvalidInput, Problem
from graph.domain.model import Group, Interaction, InteractionKind, Person
from graph.domain.nudges import FadingTie, LastContact, Nudge, describe_nudge, rank_nudges
from graph.domain.relationship import (
    DEFAULT_SCALE,
    StrengthScale,
    embeddedness_of_counts,
    pair_series,
)
from graph.ports import GraphStore, TieContext, check_page_size
from graph.usecases.budget import DEFAULT_BUDGETS, Budgets, off_loop, within
from graph.usecases.insights import utc_now
from graph.usecases.policy import Action, Facts, authorize
from graph.usecases.viewer import Viewer

__all__ = ["KeepInTouch", "KeepInTouchNudge"]

_JUST_AFTER = timedelta(microseconds=1)
"""Store reads take ``until`` exclusive; a moment's own interactions count at that moment."""
_GROUP_KINDS = frozenset(
    {InteractionKind.MEETING, InteractionKind.BREAKOUT, InteractionKind.SIDE_CONVERSATION}
)
"""Contacts that happen within a group: the last topic names the group for these."""
_HINT = "ask about an earlier moment (at): there is less history to go through"


@dataclass(frozen=True, slots=True)
class KeepInTouchNudge:
    """A tie worth renewing and what to know before renewing it."""

    nudge: Nudge
    shared_group: Group | None
    """The latest group both belong to (by its end, then its start), if any."""
    last_interaction: Interaction
    last_group: Group | None
    """The shared group the last contact happened in (a meeting, breakout or side
    conversation during it)."""
    started_last_by: str | None
    """Who started the latest contact that someone started (either of the two)."""
    reason: str


@dataclass(frozen=True, slots=True)
class KeepInTouch:
    """Ranks a person's fading ties and explains each."""

    store: GraphStore
    clock: Callable[[], datetime] = utc_now
    scale: StrengthScale = DEFAULT_SCALE
    budgets: Budgets = DEFAULT_BUDGETS

    async def keep_in_touch(
        self, viewer: Viewer, person_id: str, *, first: int = 5, at: datetime | None = None
    ) -> list[KeepInTouchNudge]:
        """Return at most ``first`` of the person's ties worth renewing at ``at`` (default
        now), most worth first.

        One read of the person's ties and one of their history up to the moment; each tie's
        peak comes from its own history in one pass (:func:`pair_series` at its contacts), off
        the event loop and within the request budget.
        """
        check_page_size(first)
        authorize(viewer, Action.READ_TIES, Facts(people=[person_id]))
        when = self._moment(at)
        deadline = self.budgets.deadline(_HINT)
        contexts = await self.store.tie_contexts(person_id)
        history = await self.store.interactions_of(person_id, until=when + _JUST_AFTER)
        with_other: dict[str, list[Interaction]] = defaultdict(list)
        for interaction in history:
            for other in set(interaction.participant_ids) - {person_id}:
                with_other[other].append(interaction)
        candidates = await within(
            deadline,
            off_loop(self._all_fading, person_id, contexts, with_other, when, deadline),
        )
        ranked = rank_nudges(candidates, at=when, first=first, scale=self.scale)
        if not ranked:
            return []
        return await self._explain(person_id, ranked, with_other, when)

    def _all_fading(
        self,
        person_id: str,
        contexts: Sequence[TieContext],
        with_other: dict[str, list[Interaction]],
        when: datetime,
        deadline: Deadline,
    ) -> list[FadingTie]:
        found = []
        for context in contexts:
            deadline.check()
            fading = self._fading(person_id, context, with_other.get(context.other_id), when)
            if fading is not None:
                found.append(fading)
        return found

    def _moment(self, at: datetime | None) -> datetime:
        if at is None:
            return self.clock()
        if at.tzinfo is None:
            raise InvalidInput([Problem("query", "at", at.isoformat(), "needs a time zone")])
        return check_instant("at", at)

    def _fading(
        self,
        person_id: str,
        context: TieContext,
        shared: Sequence[Interaction] | None,
        when: datetime,
    ) -> FadingTie | None:
        """The tie's peak (at one of its contacts up to ``when``) and its strength at ``when``."""
        if not shared:
            return None
        embedded = embeddedness_of_counts(
            context.shared_contacts,
            context.degree - 1,
            context.other_degree - 1,
            context.shared_groups,
        )
        times = sorted({i.at for i in shared} | {when})
        series = pair_series(
            shared,
            person_id,
            context.other_id,
            times,
            self.store.model,
            embedded=embedded,
            scale=self.scale,
        )
        assessed = [(t, a) for t, a in series if a is not None]
        if not assessed:
            return None
        peak_at, peak = max(assessed, key=lambda pair: pair[1].strength)
        now = assessed[-1][1]
        return FadingTie(
            other_id=context.other_id,
            peak=peak.strength,
            peak_at=peak_at,
            now=now.strength,
            last_contact=max(i.at for i in shared),
        )

    async def _explain(
        self,
        person_id: str,
        ranked: Sequence[Nudge],
        with_other: dict[str, list[Interaction]],
        when: datetime,
    ) -> list[KeepInTouchNudge]:
        others = [n.tie.other_id for n in ranked]
        people = await self.store.get(Person, others)
        groups_of: dict[str, set[str]] = defaultdict(set)
        for m in await self.store.memberships(person_ids=[person_id, *others]):
            groups_of[m.person_id].add(m.group_id)
        group_ids = set().union(*(groups_of[o] & groups_of[person_id] for o in others))
        groups = await self.store.get(Group, sorted(group_ids))
        found = []
        for nudge in ranked:
            other = nudge.tie.other_id
            shared_groups = sorted(
                (groups[g] for g in groups_of[other] & groups_of[person_id] if g in groups),
                key=_recency,
                reverse=True,
            )
            interactions = sorted(with_other[other], key=lambda i: (i.at, i.key))
            last = interactions[-1]
            last_group = None
            if last.kind in _GROUP_KINDS:
                last_group = next((g for g in shared_groups if _during(g, last.at.date())), None)
            started = next(
                (
                    i.initiator_id
                    for i in reversed(interactions)
                    if i.initiator_id in (person_id, other)
                ),
                None,
            )
            person = people.get(other)
            name = person.name.split()[0] if person is not None and person.name else other
            reason = describe_nudge(
                nudge,
                name=name,
                at=when,
                last=LastContact(
                    kind=last.kind,
                    channel=last.channel,
                    group_name=None if last_group is None else last_group.name,
                    started_by_person=None if started is None else started == person_id,
                ),
            )
            found.append(
                KeepInTouchNudge(
                    nudge=nudge,
                    shared_group=shared_groups[0] if shared_groups else None,
                    last_interaction=last,
                    last_group=last_group,
                    started_last_by=started,
                    reason=reason,
                )
            )
        return found


def _recency(group: Group) -> tuple[date, date]:
    return (group.ends_on or date.max, group.starts_on or date.min)


def _during(group: Group, day: date) -> bool:
    starts = group.starts_on or date.min
    ends = group.ends_on or date.max
    return starts <= day <= ends

"""Relationship insights: how strong ties are, how they change, and who kept in touch.

Everything here reads the store and leaves the arithmetic to the pure domain modules
(:mod:`graph.domain.relationship`, :mod:`graph.domain.retention`). The clock is injected, so
"now" is whatever the caller says (tests and benchmarks pin it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from graph.domain.batch import check_instant
from graph.domain.deadline import Deadline
from graph.domain.errors import InvalidInput, NotFound, Problem
from graph.domain.model import (
    Group,
    Interaction,
    MembershipRole,
    Person,
    Tie,
    pair_key,
)
from graph.domain.relationship import (
    DEFAULT_SCALE,
    Assessment,
    Relationship,
    StrengthScale,
    assess,
    contributions,
    embeddedness_of_counts,
    series_of_stretches,
)
from graph.domain.retention import (
    GroupRetention,
    aggregate_only,
    group_retention,
    withhold_pair_figures,
)
from graph.domain.ties import ties_from_history
from graph.ports import GraphStore, GroupContacts, TieContext, check_page_size
from graph.usecases.budget import DEFAULT_BUDGETS, Budgets, off_loop, within
from graph.usecases.facts import group_facts
from graph.usecases.policy import Action, Facts, authorize, may
from graph.usecases.viewer import Viewer

__all__ = [
    "DEFAULT_HORIZONS",
    "Drift",
    "GroupTie",
    "Insights",
    "RelationshipReport",
    "utc_now",
]

DEFAULT_HORIZONS: tuple[int, ...] = (30, 90, 180)
"""Days after a group's end at which its keep-in-touch curve is read, unless asked otherwise."""
MAX_SERIES_POINTS = 1_000
MAX_EVIDENCE = 50
RECENT = timedelta(days=90)
"""How far back "recent interactions" in a relationship report look."""
_RETENTION_HINT = "give fewer horizons, or ask about a moment nearer the group's end (at)"
_JUST_AFTER = timedelta(microseconds=1)
"""Store reads take ``until`` exclusive; a moment's own interactions count at that moment."""


def utc_now() -> datetime:
    """The wall clock, in UTC: the default "now" of every insight."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RelationshipReport:
    """Everything about one tie at one moment: strength, why, and the contacts behind it."""

    relationship: Relationship
    evidence: list[tuple[Interaction, float]]
    """The interactions that contribute most to the score at the moment, with what each adds."""
    recent_interactions: int
    """Interactions in the 90 days up to the moment."""
    shared_contacts: int
    shared_groups: int


@dataclass(frozen=True, slots=True)
class Drift:
    """A tie that fell to a weaker band within a window."""

    tie: Tie
    other_id: str
    """For a person's drift: the other person; for a group's: the second of the pair."""
    person_id: str
    before: Assessment
    now: Assessment


@dataclass(frozen=True, slots=True)
class GroupTie:
    """A tie between two people of a group at one moment, and whether it outlived the group."""

    relationship: Relationship
    contact_after: bool | None
    """A direct contact (anything but a meeting) after the group's end, up to the moment;
    ``None`` when the group has no end date or either person keeps post-group contact private."""


@dataclass(frozen=True, slots=True)
class Insights:
    """The strength and keep-in-touch use cases over one store."""

    store: GraphStore
    clock: Callable[[], datetime] = utc_now
    scale: StrengthScale = DEFAULT_SCALE
    privacy_min_group: int = 5
    """Groups smaller than this are shown to anyone but their leader only in aggregate."""
    budgets: Budgets = DEFAULT_BUDGETS
    """How long one request's computation may take."""

    # -- authorization helpers ------------------------------------------------------------------

    async def _groups_of(self, person_ids: Collection[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {p: set() for p in person_ids}
        for m in await self.store.memberships(person_ids=list(person_ids)):
            found[m.person_id].add(m.group_id)
        return found

    async def _group_facts(self, viewer: Viewer, group_ids: Collection[str]) -> Facts:
        return await group_facts(self.store, viewer, group_ids)

    async def _authorize_pair(self, viewer: Viewer, a: str, b: str) -> datetime | None:
        """Authorize reading the pair's tie; return the moment the viewer's view of it ends.

        ``None`` for the two themselves (and admins). A leader reads the tie through the groups
        they lead that both belong to; if either keeps post-group contact private and all those
        groups have ended, the leader's view ends with the last of them.
        """
        if may(viewer, Action.READ_RELATIONSHIP, Facts(people=(a, b))):
            return None
        groups = await self._groups_of([a, b])
        shared = groups[a] & groups[b]
        facts = await self._group_facts(viewer, sorted(shared))
        authorize(viewer, Action.READ_RELATIONSHIP, replace(facts, people=(a, b)))
        people = await self.store.get(Person, [a, b])
        if all(p.share_post_group_contact for p in people.values()):
            return None
        led = await self.store.get(Group, sorted(set(facts.led_by_viewer)))
        ends = [g.ends_on for g in led.values()]
        if not ends or any(end is None for end in ends):
            return None
        return max(_end_of(end) for end in ends if end is not None)

    def _moment(self, at: datetime | None, argument: str = "at") -> datetime:
        if at is None:
            return self.clock()
        if at.tzinfo is None:
            raise InvalidInput([Problem("query", argument, at.isoformat(), "needs a time zone")])
        # Moments the domain cannot hold (0001-01-01T00:00+14:00) would overflow further on.
        return check_instant(argument, at)

    # -- one tie --------------------------------------------------------------------------------

    async def relationship(
        self, viewer: Viewer, a: str, b: str, *, at: datetime | None = None, evidence: int = 5
    ) -> RelationshipReport | None:
        """Return how strong the tie between ``a`` and ``b`` is at ``at`` (default now), why,
        and the interactions behind it; ``None`` if they had not interacted by then.

        A leader reading it through their groups, when either keeps post-group contact
        private, sees only the contacts up to the end of those groups (see
        :meth:`_authorize_pair`)."""
        if a == b:
            raise InvalidInput([Problem("query", "b", b, "must be someone other than a")])
        if not 0 <= evidence <= MAX_EVIDENCE:
            raise InvalidInput(
                [Problem("query", "evidence", evidence, f"must be 0 to {MAX_EVIDENCE}")]
            )
        cutoff = await self._authorize_pair(viewer, a, b)
        when = self._moment(at)
        contexts = await self.store.tie_contexts(a, [b])
        if not contexts:
            return None
        context = contexts[0]
        until = when + _JUST_AFTER if cutoff is None else min(when + _JUST_AFTER, cutoff)
        history = await self.store.interactions_of(a, other_id=b, until=until)
        tie = context.tie
        if when < tie.last_at or (cutoff is not None and tie.last_at >= cutoff):
            past = ties_from_history(history, self.store.model).get(pair_key(a, b))
            if past is None:
                return None
            tie = past
        assessment = assess(
            tie, when, self.store.model, embedded=_embedded(context), scale=self.scale
        )
        return RelationshipReport(
            relationship=Relationship(tie, assessment),
            evidence=contributions(history, when, self.store.model)[:evidence],
            recent_interactions=sum(1 for i in history if i.at > when - RECENT),
            shared_contacts=context.shared_contacts,
            shared_groups=context.shared_groups,
        )

    async def tie_history(
        self,
        viewer: Viewer,
        a: str,
        b: str,
        *,
        start: datetime,
        end: datetime,
        step: timedelta,
    ) -> list[tuple[datetime, Assessment | None]]:
        """Return the pair's strength at ``start``, ``start + step``, ... up to ``end``."""
        if a == b:
            raise InvalidInput([Problem("query", "b", b, "must be someone other than a")])
        start, end = self._moment(start, "from"), self._moment(end, "to")
        problems = []
        if step <= timedelta(0):
            problems.append(Problem("query", "step", str(step), "must be positive"))
        elif end < start:
            problems.append(Problem("query", "to", end.isoformat(), "must not be before from"))
        elif (end - start) / step >= MAX_SERIES_POINTS:
            problems.append(
                Problem(
                    "query",
                    "step",
                    str(step),
                    f"gives more than {MAX_SERIES_POINTS} points between from and to",
                )
            )
        if problems:
            raise InvalidInput(problems)
        cutoff = await self._authorize_pair(viewer, a, b)
        times = []
        moment = start
        while moment <= end:
            times.append(moment)
            moment += step
        until = end + _JUST_AFTER if cutoff is None else min(end + _JUST_AFTER, cutoff)
        # Each point's stretch folded where the interactions are stored: never the history.
        stretches = await self.store.pair_tie_stretches(a, b, ends=times, until=until)
        contexts = await self.store.tie_contexts(a, [b])
        embedded = _embedded(contexts[0]) if contexts else 0.0
        return series_of_stretches(
            stretches, times, self.store.model, embedded=embedded, scale=self.scale
        )

    # -- a person's ties ------------------------------------------------------------------------

    async def strongest_ties(
        self,
        viewer: Viewer,
        person_id: str,
        *,
        first: int,
        min_strength: float = 0.0,
        at: datetime | None = None,
    ) -> list[Relationship]:
        """Return a person's ties by strength at ``at`` (strongest first, then by the other's
        id), at least ``min_strength``, at most ``first``."""
        check_page_size(first)
        authorize(viewer, Action.READ_TIES, Facts(people=[person_id]))
        when = self._moment(at)
        ranked = await self._assessed(person_id, when)
        ranked = [r for r in ranked if r.strength >= min_strength]
        ranked.sort(key=lambda r: (-r.strength, r.tie.other(person_id)))
        return ranked[:first]

    async def ties_with_strength(
        self, viewer: Viewer, person_ids: Sequence[str]
    ) -> list[dict[str, Assessment] | None]:
        """Return, for each person whose ties the viewer may read, each tie's assessment now
        by the other person's id (``None`` for the others)."""
        when = self.clock()
        result: list[dict[str, Assessment] | None] = []
        for pid in person_ids:
            if not may(viewer, Action.READ_TIES, Facts(people=[pid])):
                result.append(None)
                continue
            assessed = await self._assessed(pid, when)
            result.append({r.tie.other(pid): r.assessment for r in assessed})
        return result

    async def strengths_of_ties(
        self, viewer: Viewer, pairs: Sequence[tuple[str, str]]
    ) -> list[Assessment | None]:
        """Return the assessment now of each (person, other) tie, where the viewer may read
        the person's ties (``None`` there, and where the two have no tie).

        Reads only the asked ties' contexts, one store call per person: a page that shows ten
        of a person's ties does not count the neighbourhoods of all of them. Each answer is
        the one :meth:`ties_with_strength` gives for that tie.
        """
        when = self.clock()
        wanted: dict[str, set[str]] = {}
        for person_id, other_id in pairs:
            if may(viewer, Action.READ_TIES, Facts(people=[person_id])):
                wanted.setdefault(person_id, set()).add(other_id)
        found: dict[tuple[str, str], Assessment] = {}
        for person_id, others in wanted.items():
            contexts = await self.store.tie_contexts(person_id, sorted(others))
            for assessed in await self._assessed(person_id, when, contexts):
                found[(person_id, assessed.tie.other(person_id))] = assessed.assessment
        return [found.get(pair) for pair in pairs]

    async def _assessed(
        self,
        person_id: str,
        when: datetime,
        contexts: Sequence[TieContext] | None = None,
    ) -> list[Relationship]:
        """Assess every tie of a person at ``when``, recomputing from history if needed
        (``contexts``: the person's tie contexts, when the caller has read them already)."""
        if contexts is None:
            contexts = await self.store.tie_contexts(person_id)
        model = self.store.model
        past: dict[tuple[str, str], Tie] = {}
        if any(c.tie.last_at > when for c in contexts):
            history = await self.store.interactions_of(person_id, until=when + _JUST_AFTER)
            past = ties_from_history(history, model)
        out = []
        for context in contexts:
            tie: Tie | None = context.tie
            if context.tie.last_at > when:
                tie = past.get(pair_key(person_id, context.other_id))
            if tie is None:
                continue
            out.append(
                Relationship(
                    tie,
                    assess(tie, when, model, embedded=_embedded(context), scale=self.scale),
                )
            )
        return out

    async def drifting_ties(
        self,
        viewer: Viewer,
        *,
        person_id: str | None = None,
        group_id: str | None = None,
        window: timedelta,
        at: datetime | None = None,
    ) -> list[Drift]:
        """Return the ties of a person, or among a group's members, whose band fell within
        ``window`` up to ``at`` (default now): the contacts they are losing touch with.

        Sorted by how far they fell (most bands first), then by strength lost. For a group
        whose end lies before ``at``, pairs of whom either keeps post-group contact private are
        left out: whether they drifted tells of their contact after the group.
        """
        if (person_id is None) == (group_id is None):
            raise InvalidInput(
                [Problem("query", "person", person_id, "give exactly one of person or group")]
            )
        if window <= timedelta(0):
            raise InvalidInput([Problem("query", "window", str(window), "must be positive")])
        now = self._moment(at)
        before = now - window
        private: set[str] = set()
        if person_id is not None:
            authorize(viewer, Action.READ_TIES, Facts(people=[person_id]))
            centres = [person_id]
            members: set[str] | None = None
        else:
            assert group_id is not None
            group = await self._require_group(group_id)
            authorize(viewer, Action.READ_GROUP_TIES, await self._group_facts(viewer, [group_id]))
            members = {m.person_id for m in await self.store.memberships(group_ids=[group_id])}
            centres = sorted(members)
            if group.ends_on is not None and now >= _end_of(group.ends_on):
                # Past the end, a drift (or its absence) tells of contact after the group:
                # only for pairs who both share it.
                people = await self.store.get(Person, centres)
                private = {p.id for p in people.values() if not p.share_post_group_contact}
        drifts: list[Drift] = []
        seen: set[tuple[str, str]] = set()
        for centre in centres:
            contexts = await self.store.tie_contexts(centre)
            earlier = await self._assessed(centre, before, contexts)
            then = {r.tie.other(centre): r for r in earlier}
            for now_r in await self._assessed(centre, now, contexts):
                other = now_r.tie.other(centre)
                pair = pair_key(centre, other)
                if pair in seen or (members is not None and other not in members):
                    continue
                if {centre, other} & private:
                    continue
                seen.add(pair)
                was = then.get(other)
                if was is not None and now_r.assessment.band.rank < was.assessment.band.rank:
                    drifts.append(
                        Drift(
                            tie=now_r.tie,
                            other_id=other,
                            person_id=centre,
                            before=was.assessment,
                            now=now_r.assessment,
                        )
                    )
        drifts.sort(
            key=lambda d: (
                d.now.band.rank - d.before.band.rank,
                d.now.strength - d.before.strength,
                d.person_id,
                d.other_id,
            )
        )
        return drifts

    # -- groups ---------------------------------------------------------------------------------

    async def group_ties(
        self, viewer: Viewer, group_id: str, *, at: datetime | None = None
    ) -> list[GroupTie]:
        """Return the ties among a group's people (its leader too) at ``at`` (default now), by
        pair, each with whether the two kept in direct contact after the group ended.

        A pair of whom either keeps post-group contact private is shown as their contacts up
        to the group's end leave them (first and last contact, count, strength at ``at``), and
        not at all if they had none by then: contact after the end is theirs.

        One read of tie contexts per person, restricted to the group; interaction history only
        for moments in the past and for the pairs whose latest contact is after the end.
        """
        group = await self._require_group(group_id)
        authorize(viewer, Action.READ_GROUP_TIES, await self._group_facts(viewer, [group_id]))
        when = self._moment(at)
        member_ids = sorted(
            {m.person_id for m in await self.store.memberships(group_ids=[group_id])}
        )
        people = await self.store.get(Person, member_ids)
        shares = {p.id for p in people.values() if p.share_post_group_contact}
        after = None if group.ends_on is None else _end_of(group.ends_on)
        assessed: list[tuple[Relationship, float]] = []
        for index, centre in enumerate(member_ids):
            later = member_ids[index + 1 :]
            if not later:
                break
            contexts = await self.store.tie_contexts(centre, later)
            embedded = {c.other_id: _embedded(c) for c in contexts}
            assessed.extend(
                (r, embedded.get(r.tie.other(centre), 0.0))
                for r in await self._assessed(centre, when, contexts)
            )
        # Whether the pairs who share their contact kept it up: counted in the store, all at once.
        in_touch = (
            set()
            if after is None
            else set(
                await self.store.direct_contacts(
                    [
                        (r.tie.a, r.tie.b)
                        for r, _ in assessed
                        if {r.tie.a, r.tie.b} <= shares and r.tie.last_at > after
                    ],
                    after=after,
                    until=when + _JUST_AFTER,
                )
            )
        )
        found: list[GroupTie] = []
        for relationship, embeddedness in assessed:
            tie = relationship.tie
            contact_after: bool | None = None
            if after is not None and {tie.a, tie.b} <= shares:
                contact_after = (tie.a, tie.b) in in_touch
            elif after is not None and tie.last_at >= after:
                # Either keeps post-group contact private: the tie as the group left it.
                until_end = await self._tie_until(tie, after, when, embedded=embeddedness)
                if until_end is None:
                    continue  # they met only after the group: that alone is post-group contact
                relationship = until_end
            found.append(GroupTie(relationship, contact_after))
        found.sort(key=lambda t: (t.relationship.tie.a, t.relationship.tie.b))
        return found

    async def _tie_until(
        self, tie: Tie, end: datetime, when: datetime, *, embedded: float
    ) -> Relationship | None:
        """The pair's tie from their contacts before ``end`` only, assessed at ``when``."""
        history = await self.store.interactions_of(tie.a, other_id=tie.b, until=end)
        past = ties_from_history(history, self.store.model).get(pair_key(tie.a, tie.b))
        if past is None:
            return None
        return Relationship(
            past, assess(past, when, self.store.model, embedded=embedded, scale=self.scale)
        )

    async def _require_group(self, group_id: str) -> Group:
        found = (await self.store.get(Group, [group_id])).get(group_id)
        if found is None:
            raise NotFound("group", group_id)
        return found

    async def group_retention(
        self,
        viewer: Viewer,
        group_id: str,
        *,
        after: datetime | None = None,
        horizons: Sequence[int] = DEFAULT_HORIZONS,
        at: datetime | None = None,
        deadline: Deadline | None = None,
    ) -> GroupRetention:
        """Return who in a group kept in touch after ``after`` (default: the group's end).

        The figures are computed off the event loop, within the request budget (or
        ``deadline``, when the request asks for more than this)."""
        deadline = deadline or self.budgets.deadline(_RETENTION_HINT)
        # Reads that do not depend on each other go side by side: on a database server each
        # round trip waits its turn, and one after the other they add up. Nothing read here
        # leaves this method before the viewer is authorized.
        group, facts, memberships = await asyncio.gather(
            self._require_group(group_id),
            self._group_facts(viewer, [group_id]),
            self.store.memberships(group_ids=[group_id]),
        )
        authorize(viewer, Action.READ_GROUP_RETENTION, facts)
        # The leader runs the group; the pairs that matter are the members'.
        member_ids = sorted(
            {m.person_id for m in memberships if m.role is not MembershipRole.LEADER}
            - ({group.leader_id} if group.leader_id else set())
        )
        leads = viewer.is_admin or group_id in facts.led_by_viewer
        # A small group seen by a member: whole days only, so no two moments of one day differ
        # (see the policy on differencing).
        coarse = not leads and len(member_ids) < self.privacy_min_group
        now = self._moment(at)
        if coarse:
            now = _start_of_day(now)
        if after is None:
            if group.ends_on is None:
                raise InvalidInput(
                    [
                        Problem(
                            "query", "after", None, f"group {group_id!r} has no end date; give one"
                        )
                    ]
                )
            after = _end_of(group.ends_on)
        else:
            after = self._moment(after, "after")
            if coarse:
                after = _start_of_day(after)
        if any(h <= 0 for h in horizons):
            raise InvalidInput(
                [Problem("query", "horizons", list(horizons), "days must be positive")]
            )
        opened, until = after, now + _JUST_AFTER

        async def contacts() -> tuple[set[str], GroupContacts]:
            people = await self.store.get(Person, member_ids)
            consenting = {p.id for p in people.values() if p.share_post_group_contact}
            # Counted where the interactions are stored: only the members' shared interactions
            # and each member's reach come back, never their whole histories.
            found = await self.store.group_contacts(
                sorted(consenting),
                hidden=sorted(set(member_ids) - consenting),
                after=opened,
                until=until,
            )
            return consenting, found

        # Embeddedness is the same from either side, so each pair is read once.
        (consenting, found), groups_of, contexts = await asyncio.gather(
            contacts(),
            self._groups_of(member_ids),
            self.store.tie_contexts_among(member_ids),
        )
        embedded = {(c.tie.a, c.tie.b): _embedded(c) for c in contexts}
        starts = group.starts_on or (
            found.first_at.date() if found.first_at is not None else after.date()
        )
        starts_at = datetime.combine(starts, time(), UTC)
        if after < starts_at:
            raise InvalidInput(
                [Problem("query", "after", after.isoformat(), "is before the group started")]
            )
        retention = await within(
            deadline,
            off_loop(
                group_retention,
                group_id=group_id,
                member_ids=member_ids,
                consenting=consenting,
                starts_at=starts_at,
                after=after,
                now=now,
                horizons=sorted(set(horizons)),
                interactions=found.shared,
                groups_of=groups_of,
                model=self.store.model,
                embedded=embedded,
                groups_reached=found.groups_reached,
                deadline=deadline,
            ),
        )
        if leads:
            return retention
        if coarse:
            return withhold_pair_figures(retention)
        return await self._own_rows(viewer, retention, groups_of)

    async def _own_rows(
        self, viewer: Viewer, retention: GroupRetention, groups_of: Mapping[str, set[str]]
    ) -> GroupRetention:
        """Keep the figures; keep only the pairs whose strength the viewer may read (their own,
        or pairs of a group the viewer leads) and the viewer's own member row and bridging."""
        shared = {
            (p.a, p.b): sorted(groups_of.get(p.a, set()) & groups_of.get(p.b, set()))
            for p in retention.pairs
        }
        facts = await self._group_facts(viewer, sorted({g for gs in shared.values() for g in gs}))
        me = viewer.person_id
        pairs = tuple(
            p
            for p in retention.pairs
            if may(
                viewer,
                Action.READ_RELATIONSHIP,
                replace(facts, people=(p.a, p.b), groups=shared[(p.a, p.b)]),
            )
        )
        return replace(
            aggregate_only(retention),
            aggregated=False,
            pairs=pairs,
            members=tuple(m for m in retention.members if m.person_id == me),
            bridges=tuple(b for b in retention.bridges if b == me),
        )

    async def compare_groups(
        self,
        viewer: Viewer,
        group_ids: Sequence[str],
        *,
        horizons: Sequence[int] = DEFAULT_HORIZONS,
        at: datetime | None = None,
    ) -> list[GroupRetention]:
        """Return each group's keep-in-touch figures side by side, from each group's end."""
        if not 1 <= len(group_ids) <= 20:
            raise InvalidInput(
                [Problem("query", "ids", len(group_ids), "compare between 1 and 20 groups")]
            )
        deadline = self.budgets.deadline(f"compare fewer groups, or {_RETENTION_HINT}")
        return [
            await self.group_retention(viewer, gid, horizons=horizons, at=at, deadline=deadline)
            for gid in dict.fromkeys(group_ids)
        ]


def _embedded(context: TieContext) -> float:
    """Embeddedness of a tie from its context (each side's contacts besides the other)."""
    return embeddedness_of_counts(
        context.shared_contacts,
        context.degree - 1,
        context.other_degree - 1,
        context.shared_groups,
    )


def _start_of_day(moment: datetime) -> datetime:
    """The midnight (UTC) that starts the day of ``moment``.

    >>> _start_of_day(datetime(2024, 6, 1, 13, 5, 7, tzinfo=UTC))
    datetime.datetime(2024, 6, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    return datetime.combine(moment.astimezone(UTC).date(), time(), UTC)


def _end_of(day: date) -> datetime:
    """The first instant after ``day`` ends, in UTC: a group's end date counts as in-group."""
    return datetime.combine(day + timedelta(days=1), time(), UTC)

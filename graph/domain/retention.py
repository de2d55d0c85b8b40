"""Who kept in touch after a group ended: the leader's view of a group's pairs and members.

A **direct contact** is any interaction but a meeting: co-attending a meeting is not a choice to
talk, whereas a breakout, a side conversation, a message or a call is. For each pair of the
group's members, :func:`group_retention` tells whether they had direct contact while the group
ran and after it ended, how long after the end they were still in touch, how strong their tie
is now, and how likely the early signal (:mod:`graph.domain.early_signal`) judged it, from the
group alone, that they would keep in touch. For the group as a whole it gives the shares of
pairs in touch during and after, and a **retention curve**: the share of pairs still in direct
contact at least ``d`` days after the end, for each horizon ``d`` that can be observed yet.
Members who reached people in other groups after the end are the group's **bridges**.

Only members who agreed to share their post-group contact are analysed; the others are
invisible (left out of every pair, count and share, and never counted as someone a member
reached), not counted as lost. :func:`aggregate_only` keeps the figures and drops every
per-person detail, for views that may show only aggregates.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from graph.domain.deadline import Deadline
from graph.domain.early_signal import DEFAULT_EARLY_SIGNAL, EarlySignal, pair_features
from graph.domain.model import Interaction, InteractionKind
from graph.domain.relationship import Band, assess
from graph.domain.strength import StrengthModel
from graph.domain.ties import ties_from_history

__all__ = [
    "CurvePoint",
    "GroupRetention",
    "MemberRetention",
    "PairRetention",
    "aggregate_only",
    "group_retention",
    "withhold_pair_figures",
]

_DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class PairRetention:
    """How two members of a group stayed in touch; ``a`` sorts before ``b``."""

    a: str
    b: str
    contact_during: bool
    """A direct contact between the group's start and its end (both inclusive)."""
    contact_after: bool
    """A direct contact after the end (exclusive) and up to now."""
    last_contact: datetime | None
    """Their latest direct contact up to now, ``None`` if they never had one."""
    days_in_contact_after: float | None
    """Days from the end to their last direct contact after it; ``None`` if none."""
    strength_now: float
    """Their tie's strength now, from all their interactions up to now (0 if none)."""
    band_now: Band
    keep_in_touch_probability: float
    """What the early signal predicted from their interactions up to the end."""


@dataclass(frozen=True, slots=True)
class MemberRetention:
    """How one member stayed in touch after the group ended."""

    person_id: str
    group_mates_in_contact: int
    """Analysed group-mates with whom they had a direct contact after the end."""
    other_groups_reached: int
    """Distinct other groups that the people they had direct contact with after the end
    belong to: how far they bridge beyond this group."""


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One point of a retention curve: the pairs still in touch ``days`` after the end."""

    days: int
    share: float | None
    """Share of pairs whose last direct contact after the end is at least ``days`` days after
    it; ``None`` when ``days`` days have not passed since the end (not observable yet)."""
    pairs: int
    """How many pairs that share is (0 when the share is ``None``)."""


@dataclass(frozen=True, slots=True)
class GroupRetention:
    """Who in a group kept in touch after ``after`` (its end), as seen at ``now``.

    ``pairs`` are sorted by ``(a, b)``, ``members`` by id, ``bridges`` by most other groups
    reached, then id; all three are empty when ``aggregated``.
    """

    group_id: str
    after: datetime
    now: datetime
    member_count: int
    """Consenting members analysed."""
    pair_count: int
    share_during: float | None
    """Share of pairs with a direct contact while the group ran (0.0 when there are no pairs;
    ``None`` when withheld, see :func:`withhold_pair_figures`)."""
    share_after: float | None
    """Share of pairs with a direct contact after the end (0.0 when there are no pairs;
    ``None`` when withheld)."""
    curve: tuple[CurvePoint, ...]
    """One point per horizon, ascending in days."""
    pairs: tuple[PairRetention, ...]
    members: tuple[MemberRetention, ...]
    bridges: tuple[str, ...]
    """Members who reached at least one other group, most groups first, then by id."""
    aggregated: bool = False


@dataclass(slots=True)
class _PairContacts:
    """What one pass over the interactions learns about one pair."""

    history: list[Interaction]
    during: bool = False
    last: datetime | None = None
    last_after: datetime | None = None


def group_retention(
    *,
    group_id: str,
    member_ids: Sequence[str],
    consenting: Collection[str],
    starts_at: datetime,
    after: datetime,
    now: datetime,
    horizons: Sequence[int],
    interactions: Iterable[Interaction],
    groups_of: Mapping[str, Collection[str]],
    model: StrengthModel,
    early: EarlySignal = DEFAULT_EARLY_SIGNAL,
    embedded: Mapping[tuple[str, str], float] | None = None,
    groups_reached: Mapping[str, Collection[str]] | None = None,
    deadline: Deadline | None = None,
) -> GroupRetention:
    """Return who in the group kept in touch after ``after``, as seen at ``now``.

    ``interactions`` are all interactions of the members (any others' are ignored, except that
    people outside the group a member reached count for bridging); interactions with the same
    key count once and those after ``now`` not at all. Only members in ``consenting`` are
    analysed. ``groups_of`` gives each person's group ids (this group is never counted as
    reached); ``embedded`` the embeddedness of a canonical pair for its strength now (default
    0). ``groups_reached``, when given, is each analysed member's reach as a store counts it
    (the groups of the people, hidden ones aside, they had direct contact with after ``after``
    and up to ``now``); ``interactions`` then need only those among the members, and
    ``groups_of`` is not read. ``after`` may lie after ``now``: the group has not ended yet,
    nobody is in touch after it, every point of the curve is ``None``, and the early signal
    reads the pair as it stands at ``now``.

    Horizons are positive whole days; duplicates count once. O(interactions + members^2 +
    horizons * pairs), for interactions that each involve a few members. Past ``deadline``,
    raises ``BudgetExceeded``.
    """
    days = _checked_horizons(horizons)
    for name, instant in (("starts_at", starts_at), ("after", after), ("now", now)):
        if instant.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware, not {instant.isoformat()}")
    if after < starts_at:
        raise ValueError(
            f"after ({after.isoformat()}) must not be before starts_at ({starts_at.isoformat()})"
        )
    members = sorted({m for m in member_ids if m in consenting})
    analysed = frozenset(members)
    # Group-mates who did not consent are invisible, even as someone a member reached.
    hidden = frozenset(member_ids) - analysed

    contacts: dict[tuple[str, str], _PairContacts] = {}
    reached: dict[str, set[str]] = defaultdict(set)
    seen: set[str] = set()
    for n, interaction in enumerate(interactions):
        if deadline is not None and not n % 1024:
            deadline.check()
        if interaction.at > now or interaction.key in seen:
            continue
        seen.add(interaction.key)
        people = set(interaction.participant_ids)
        present = sorted(people & analysed)
        if not present:
            continue
        direct = interaction.kind is not InteractionKind.MEETING
        at = interaction.at
        if direct and at > after:
            for member in present:
                reached[member].update(people - hidden - {member})
        for pair in itertools.combinations(present, 2):
            found = contacts.get(pair)
            if found is None:
                found = contacts[pair] = _PairContacts(history=[])
            found.history.append(interaction)
            if not direct:
                continue
            if found.last is None or at > found.last:
                found.last = at
            if at > after:
                if found.last_after is None or at > found.last_after:
                    found.last_after = at
            elif at >= starts_at:
                found.during = True

    signal_at = min(after, now)
    pairs: list[PairRetention] = []
    for n, pair in enumerate(itertools.combinations(members, 2)):
        if deadline is not None and not n % 64:  # a pair reads its whole shared history
            deadline.check()
        found = contacts.get(pair) or _PairContacts(history=[])
        pairs.append(
            _pair_retention(
                pair,
                found,
                after=after,
                now=now,
                signal_at=signal_at,
                model=model,
                early=early,
                embedded=(embedded or {}).get(pair, 0.0),
            )
        )

    in_contact: dict[str, int] = dict.fromkeys(members, 0)
    for p in pairs:
        if p.contact_after:
            in_contact[p.a] += 1
            in_contact[p.b] += 1
    member_rows = tuple(
        MemberRetention(
            person_id=m,
            group_mates_in_contact=in_contact[m],
            other_groups_reached=len(
                (
                    set(groups_reached.get(m, ()))
                    if groups_reached is not None
                    else {g for other in reached.get(m, ()) for g in groups_of.get(other, ())}
                )
                - {group_id}
            ),
        )
        for m in members
    )
    bridges = tuple(
        r.person_id
        for r in sorted(member_rows, key=lambda r: (-r.other_groups_reached, r.person_id))
        if r.other_groups_reached > 0
    )

    count = len(pairs)
    return GroupRetention(
        group_id=group_id,
        after=after,
        now=now,
        member_count=len(members),
        pair_count=count,
        share_during=_share(sum(p.contact_during for p in pairs), count),
        share_after=_share(sum(p.contact_after for p in pairs), count),
        curve=_curve(
            days,
            [c.last_after for c in contacts.values()],
            pair_count=count,
            after=after,
            now=now,
        ),
        pairs=tuple(pairs),
        members=member_rows,
        bridges=bridges,
    )


def aggregate_only(retention: GroupRetention) -> GroupRetention:
    """Return ``retention`` with its figures only: no pairs, members or bridges.

    >>> from datetime import UTC
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> full = GroupRetention("g1", t, t, 2, 1, 1.0, 0.0, (), (), (), ("ann",))
    >>> aggregate_only(full).bridges, aggregate_only(full).aggregated
    ((), True)
    """
    return replace(retention, pairs=(), members=(), bridges=(), aggregated=True)


def withhold_pair_figures(retention: GroupRetention) -> GroupRetention:
    """Return ``retention`` as aggregates with every figure that counts pairs withheld.

    Any count of pairs changes when one pair's contact does, so in a group too small to hide
    a pair among the others, two such answers (at two moments, or for two horizons) would pin
    one pair's contact. What is left (members, pairs, the horizons asked for) depends on no
    one's contact. Withholding depends on nothing in the data, so it reveals nothing either.

    >>> from datetime import UTC
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> full = GroupRetention("g1", t, t, 2, 1, 1.0, 0.0, (CurvePoint(30, 1.0, 1),), (), (), ())
    >>> shown = withhold_pair_figures(full)
    >>> shown.share_during, shown.share_after, shown.curve, shown.aggregated
    (None, None, (CurvePoint(days=30, share=None, pairs=0),), True)
    """
    return replace(
        aggregate_only(retention),
        share_during=None,
        share_after=None,
        curve=tuple(CurvePoint(days=p.days, share=None, pairs=0) for p in retention.curve),
    )


def _checked_horizons(horizons: Sequence[int]) -> list[int]:
    """Return the horizons ascending without duplicates; raise unless each is a positive int."""
    for days in horizons:
        if isinstance(days, bool) or not isinstance(days, int):
            raise ValueError(f"horizons must be whole days (int), not {days!r}")
        if days <= 0:
            raise ValueError(f"horizons must be positive numbers of days, not {days}")
    return sorted(set(horizons))


def _pair_retention(
    pair: tuple[str, str],
    found: _PairContacts,
    *,
    after: datetime,
    now: datetime,
    signal_at: datetime,
    model: StrengthModel,
    early: EarlySignal,
    embedded: float,
) -> PairRetention:
    a, b = pair
    tie = ties_from_history(found.history, model).get(pair)
    if tie is None:
        strength, band = 0.0, Band.DORMANT
    else:
        assessment = assess(tie, now, model, embedded=embedded)
        strength, band = assessment.strength, assessment.band
    last_after = found.last_after
    return PairRetention(
        a=a,
        b=b,
        contact_during=found.during,
        contact_after=last_after is not None,
        last_contact=found.last,
        days_in_contact_after=(
            None if last_after is None else (last_after - after).total_seconds() / _DAY_S
        ),
        strength_now=strength,
        band_now=band,
        keep_in_touch_probability=early.probability(
            pair_features(found.history, a, b, signal_at, model)
        ),
    )


def _curve(
    horizons: Sequence[int],
    last_after: Sequence[datetime | None],
    *,
    pair_count: int,
    after: datetime,
    now: datetime,
) -> tuple[CurvePoint, ...]:
    """Return one point per horizon; ``last_after`` holds the pairs' last contacts after the end."""
    lasts = [last for last in last_after if last is not None]
    points = []
    for days in horizons:
        cutoff = after + timedelta(days=days)
        if now < cutoff:
            points.append(CurvePoint(days=days, share=None, pairs=0))
            continue
        kept = sum(1 for last in lasts if last >= cutoff)
        points.append(CurvePoint(days=days, share=_share(kept, pair_count), pairs=kept))
    return tuple(points)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0

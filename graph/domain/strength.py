"""Tie strength that decays when contact stops: the continuous-time decay at the heart of it.

Each interaction adds a weight ``w_k`` that halves every ``half_life``:
``S(t) = sum_k w_k * 2 ** (-(t - t_k) / h)``. A :class:`DecayingScore` keeps only the score at
its reference instant (the latest interaction) and that instant, so adding an interaction is
O(1) and the score at any later time is one multiplication; interactions that arrive out of
order are decayed to the reference instant before they are added. The result does not depend
on the order interactions arrive in, up to floating-point rounding (relative 1e-12).

Weights: voluntary one-to-one contact (a side conversation, a call) weighs more than sharing a
breakout, which weighs more than attending the same meeting; group events are divided by the
number of other people present, so a meeting of 8 counts less per pair than a breakout of 3.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

from graph.domain.model import Interaction, InteractionKind

__all__ = [
    "DEFAULT_WEIGHTS",
    "DecayingScore",
    "StrengthModel",
    "combine",
    "combine_scores",
    "decay",
    "score_history",
]

DEFAULT_WEIGHTS: Mapping[InteractionKind, float] = MappingProxyType(
    {
        InteractionKind.SIDE_CONVERSATION: 3.0,
        InteractionKind.CALL: 3.0,
        InteractionKind.INTRODUCTION: 2.5,
        InteractionKind.MESSAGE: 1.5,
        InteractionKind.CONTACT: 1.0,
        InteractionKind.CONNECTION: 1.0,
        InteractionKind.BREAKOUT: 2.0,
        InteractionKind.MEETING: 2.0,
    }
)
"""Weight of one interaction per kind, before group events are divided by group size."""

GROUP_KINDS: Final = frozenset({InteractionKind.MEETING, InteractionKind.BREAKOUT})
"""Kinds whose weight is shared among the others present (see :meth:`StrengthModel.weight`)."""


@dataclass(frozen=True, slots=True)
class StrengthModel:
    """The configurable part of tie strength: weights and how fast contact fades."""

    half_life: timedelta = timedelta(days=60)
    weights: Mapping[InteractionKind, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)

    def __post_init__(self) -> None:
        if self.half_life <= timedelta(0):
            raise ValueError("half_life must be positive")
        if any(w < 0 or not math.isfinite(w) for w in self.weights.values()):
            raise ValueError("weights must be finite and not negative")

    def weight(self, kind: InteractionKind, *, group_size: int = 2) -> float:
        """Return what one interaction adds to a pair's score.

        Group events (meetings, breakouts) are shared among the ``group_size - 1`` others
        present; one-to-one and voluntary contact keeps its whole weight.

        >>> model = StrengthModel()
        >>> model.weight(InteractionKind.CALL)
        3.0
        >>> model.weight(InteractionKind.MEETING, group_size=9)
        0.25
        """
        base = self.weights.get(kind, 0.0)
        if kind in GROUP_KINDS and group_size > 2:
            return base / (group_size - 1)
        return base

    def weight_of(self, interaction: Interaction) -> float:
        """Return what ``interaction`` adds to each pair of its participants' score."""
        size = interaction.group_size or len(set(interaction.participant_ids))
        return self.weight(interaction.kind, group_size=size)

    def fingerprint(self) -> str:
        """Return a stable text naming this model; stores keep it to notice a changed model.

        >>> one_day = timedelta(days=1)
        >>> StrengthModel(half_life=one_day, weights={InteractionKind.CALL: 2}).fingerprint()
        'half_life_s=86400;call=2.0'
        """
        weights = ";".join(f"{k.value}={float(w)!r}" for k, w in sorted(self.weights.items()))
        return f"half_life_s={self.half_life.total_seconds():g};{weights}"


@dataclass(frozen=True, slots=True)
class DecayingScore:
    """A decaying sum of weights: its value ``value`` at the instant ``at``."""

    value: float
    at: datetime

    def at_time(self, when: datetime, half_life: timedelta) -> float:
        """Return the score at ``when``; before ``at`` it is the score decayed back (grown).

        >>> from datetime import UTC
        >>> t = datetime(2024, 1, 1, tzinfo=UTC)
        >>> DecayingScore(8.0, t).at_time(t + timedelta(days=60), timedelta(days=60))
        4.0
        """
        return self.value * _decay(when - self.at, half_life)

    def add(self, weight: float, when: datetime, half_life: timedelta) -> DecayingScore:
        """Return the score with one more interaction of ``weight`` at ``when``. O(1)."""
        if when >= self.at:
            return DecayingScore(self.value * _decay(when - self.at, half_life) + weight, when)
        return DecayingScore(self.value + weight * _decay(self.at - when, half_life), self.at)


def decay(elapsed: timedelta, half_life: timedelta) -> float:
    """Return ``2 ** (-elapsed / half_life)``, exactly 1.0 when nothing elapsed."""
    if not elapsed:
        return 1.0
    return math.pow(2.0, -(elapsed / half_life))


_decay = decay


def combine_scores(
    scores: tuple[float, float, float],
    at: datetime,
    others: tuple[float, float, float],
    other_at: datetime,
    half_life: timedelta,
) -> tuple[tuple[float, float, float], datetime]:
    """:func:`combine` for a tie's three scores at once: the total, and the parts started by
    each side; the decay is computed once.

    >>> from datetime import UTC
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> combine_scores((2.0, 2.0, 0.0), t, (3.0, 0.0, 3.0), t + timedelta(days=60),
    ...                timedelta(days=60))[0]
    (4.0, 1.0, 3.0)
    """
    if other_at >= at:
        factor = decay(other_at - at, half_life)
        return (
            scores[0] * factor + others[0],
            scores[1] * factor + others[1],
            scores[2] * factor + others[2],
        ), other_at
    factor = decay(at - other_at, half_life)
    return (
        scores[0] + others[0] * factor,
        scores[1] + others[1] * factor,
        scores[2] + others[2] * factor,
    ), at


def combine(
    score: float, at: datetime, other: float, other_at: datetime, half_life: timedelta
) -> tuple[float, datetime]:
    """Add two decaying scores, each given at its own instant; return the sum at the later one.

    This is how a tie's stored score (at its last contact) takes in a batch's contribution (at
    the batch's last contact for that pair), in either order. O(1).

    >>> from datetime import UTC
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> combine(2.0, t, 3.0, t + timedelta(days=60), timedelta(days=60))[0]
    4.0
    """
    if other_at >= at:
        return score * decay(other_at - at, half_life) + other, other_at
    return score + other * decay(at - other_at, half_life), at


def score_history(
    events: Iterable[tuple[datetime, float]], half_life: timedelta
) -> DecayingScore | None:
    """Recompute a score from ``(instant, weight)`` events in any order; ``None`` if none.

    Sums in time order with :func:`math.fsum`, relative to the latest instant, so the result is
    the reference the incremental score is checked against.
    """
    ordered = sorted(events)
    if not ordered:
        return None
    latest = ordered[-1][0]
    total = math.fsum(w * _decay(latest - t, half_life) for t, w in ordered)
    return DecayingScore(total, latest)

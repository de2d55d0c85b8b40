"""Ties recomputed from interaction history: the reference the maintained ties must equal."""

from __future__ import annotations

from collections.abc import Iterable

from graph.domain.batch import TieAccumulator
from graph.domain.model import Interaction, Tie
from graph.domain.strength import StrengthModel

__all__ = ["ties_from_history"]


def ties_from_history(
    interactions: Iterable[Interaction], model: StrengthModel | None = None
) -> dict[tuple[str, str], Tie]:
    """Return every pairwise tie that ``interactions`` add up to, by canonical pair.

    Interactions with the same key count once (the first one seen); scores follow ``model``
    (the default model if none). O(sum of pairs).

    >>> from datetime import UTC, datetime
    >>> from graph.domain.model import InteractionKind
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> call = Interaction(key="k", at=t, kind=InteractionKind.CALL, participant_ids=("b", "a"))
    >>> ties_from_history([call, call])[("a", "b")].count
    1
    """
    seen: set[str] = set()
    accumulator = TieAccumulator(model or StrengthModel())
    for interaction in interactions:
        if interaction.key in seen:
            continue
        seen.add(interaction.key)
        accumulator.add(interaction)
    return {pair: d.as_tie() for pair, d in accumulator.deltas.items()}

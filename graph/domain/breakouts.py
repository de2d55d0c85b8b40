"""Breakout groups that make people meet: new contact, spread talkers, rotate partners.

A suggestion partitions attendees into groups whose sizes differ by at most one (as many groups
as ``ceil(n / group_size)``). Its **score** adds, over every pair placed together:

- ``new_contact * (1 - strength)``: pairs with the weakest ties gain the most;
- ``- repeat * times_together``: pairs who already shared breakouts in the group's series lose,
  so over a series partners rotate and every pair meets when that is feasible;

and, over every group, ``- spread * (talkers - 1)`` for each group holding more than one
dominant speaker (someone who, on average, speaks more than 1.5 times their fair share).

**Method**: seeded random restarts of steepest-ascent local search over swaps of two people in
different groups (swaps keep the sizes); the best local optimum wins. Deterministic for a seed.
For a handful of groups of ~8 the search space is small and this finds the optimum in practice;
the tests compare with exhaustive search on small instances.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from graph.domain.deadline import Deadline

__all__ = ["BreakoutWeights", "Suggestion", "suggest_breakouts"]

DOMINANT = 1.5
"""Speaking more than this many fair shares on average makes someone a dominant speaker."""


@dataclass(frozen=True, slots=True)
class BreakoutWeights:
    """How much each goal counts."""

    new_contact: float = 1.0
    repeat: float = 1.0
    spread: float = 1.0
    restarts: int = 20


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Breakout groups (each sorted, groups sorted), their score and the reasons."""

    groups: tuple[tuple[str, ...], ...]
    score: float
    new_pairs: int
    """Pairs placed together who never shared a breakout in the series."""
    weak_pairs: int
    """Pairs placed together whose tie is weaker than 0.2 (or who have none)."""
    reasons: tuple[str, ...]


Pair = tuple[str, str]

_APART = 1e6
"""What placing a pair to be kept apart together costs: more than every goal can gain."""


def _pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def _sizes(n: int, group_size: int) -> list[int]:
    groups = math.ceil(n / group_size)
    base, extra = divmod(n, groups)
    return [base + 1 if i < extra else base for i in range(groups)]


def suggest_breakouts(
    attendees: Sequence[str],
    *,
    group_size: int,
    seed: int = 0,
    strengths: Mapping[Pair, float] | None = None,
    together: Mapping[Pair, int] | None = None,
    speaking: Mapping[str, float] | None = None,
    apart: Collection[Pair] = (),
    weights: BreakoutWeights = BreakoutWeights(),
    deadline: Deadline | None = None,
) -> Suggestion:
    """Partition ``attendees`` into breakout groups of about ``group_size``.

    ``strengths`` are tie strengths by sorted pair (missing: 0), ``together`` how many
    breakouts each pair already shared in the series, ``speaking`` each person's mean share
    over the fair share. ``apart`` are pairs (either order) never to be placed together while
    the groups allow it (a block between two people): they weigh far more than any goal, yet
    the score reported leaves that weight out, so it reads as if they were not there.
    Raises ``ValueError`` for fewer than two attendees, repeated attendees, or a group size
    below 2; past ``deadline``, ``BudgetExceeded``.

    >>> suggest_breakouts(["a", "b", "c", "d"], group_size=2, strengths={("a", "c"): 0.9,
    ...     ("b", "d"): 0.9}, apart=[("a", "b")]).groups
    (('a', 'd'), ('b', 'c'))
    """
    people = sorted(attendees)
    if len(set(people)) != len(people):
        raise ValueError("an attendee is listed twice")
    if len(people) < 2:
        raise ValueError("breakouts need at least two attendees")
    if group_size < 2:
        raise ValueError("a breakout group needs at least two people")
    strengths = strengths or {}
    together = together or {}
    speaking = speaking or {}
    talkers = {p for p in people if speaking.get(p, 0.0) > DOMINANT}
    kept_apart = {_pair(a, b) for a, b in apart}

    def pair_value(a: str, b: str) -> float:
        pair = _pair(a, b)
        value = weights.new_contact * (1.0 - strengths.get(pair, 0.0)) - weights.repeat * (
            together.get(pair, 0)
        )
        return value - _APART if pair in kept_apart else value

    def group_value(group: Sequence[str]) -> float:
        value = sum(pair_value(a, b) for a, b in itertools.combinations(group, 2))
        extra = sum(1 for p in group if p in talkers) - 1
        return value - weights.spread * max(0, extra)

    sizes = _sizes(len(people), group_size)
    rng = random.Random(seed)
    best: list[list[str]] | None = None
    best_value = -math.inf
    for _ in range(max(1, weights.restarts)):
        shuffled = people[:]
        rng.shuffle(shuffled)
        groups, start = [], 0
        for size in sizes:
            groups.append(shuffled[start : start + size])
            start += size
        values = [group_value(g) for g in groups]
        improved = True
        while improved:
            improved = False
            best_move: tuple[float, int, int, int, int] | None = None
            for gi, gj in itertools.combinations(range(len(groups)), 2):
                if deadline is not None:  # each pair of groups tries every swap between them
                    deadline.check()
                for i, a in enumerate(groups[gi]):
                    for j, b in enumerate(groups[gj]):
                        new_i = [*groups[gi][:i], b, *groups[gi][i + 1 :]]
                        new_j = [*groups[gj][:j], a, *groups[gj][j + 1 :]]
                        gain = group_value(new_i) + group_value(new_j) - values[gi] - values[gj]
                        if gain > 1e-12 and (best_move is None or gain > best_move[0]):
                            best_move = (gain, gi, gj, i, j)
            if best_move is not None:
                _, gi, gj, i, j = best_move
                groups[gi][i], groups[gj][j] = groups[gj][j], groups[gi][i]
                values[gi], values[gj] = group_value(groups[gi]), group_value(groups[gj])
                improved = True
        total = sum(values)
        if total > best_value + 1e-12:
            best_value, best = total, [g[:] for g in groups]
    assert best is not None
    placed = tuple(sorted(tuple(sorted(g)) for g in best))
    pairs = [p for g in placed for p in itertools.combinations(g, 2)]
    best_value += _APART * sum(1 for p in pairs if _pair(*p) in kept_apart)
    new_pairs = sum(1 for a, b in pairs if not together.get(_pair(a, b)))
    weak_pairs = sum(1 for a, b in pairs if strengths.get(_pair(a, b), 0.0) < 0.2)
    crowded = sum(1 for g in placed if sum(1 for p in g if p in talkers) > 1)
    reasons = [
        f"{new_pairs} of {len(pairs)} pairs have not shared a breakout before",
        f"{weak_pairs} of {len(pairs)} pairs have a weak tie or none",
    ]
    if talkers:
        reasons.append(
            f"{len(talkers)} dominant speaker(s) spread over {len(placed)} groups"
            + (f"; {crowded} group(s) still hold two" if crowded else "")
        )
    return Suggestion(
        groups=placed,
        score=best_value,
        new_pairs=new_pairs,
        weak_pairs=weak_pairs,
        reasons=tuple(reasons),
    )

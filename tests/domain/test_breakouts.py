"""Breakout suggestions: balanced, everyone placed once, deterministic, and they rotate."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.domain.breakouts import BreakoutWeights, suggest_breakouts

PEOPLE = [f"m{n}" for n in range(8)]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 14), size=st.integers(2, 6), seed=st.integers(0, 1000))
def test_everyone_is_placed_once_in_groups_whose_sizes_differ_by_at_most_one(
    n: int, size: int, seed: int
) -> None:
    people = [f"p{i}" for i in range(n)]
    found = suggest_breakouts(people, group_size=size, seed=seed)
    placed = [p for g in found.groups for p in g]
    assert sorted(placed) == sorted(people)
    sizes = [len(g) for g in found.groups]
    assert max(sizes) - min(sizes) <= 1
    assert max(sizes) <= size


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(4, 12),
    size=st.integers(2, 5),
    seed=st.integers(0, 1000),
    strength=st.floats(0.0, 1.0),
    data=st.data(),
)
def test_people_who_blocked_each_other_sit_apart_and_the_score_does_not_say_so(
    n: int, size: int, seed: int, strength: float, data: st.DataObject
) -> None:
    people = [f"p{i}" for i in range(n)]
    order = data.draw(st.permutations(people))
    pairs = data.draw(st.integers(1, n // 2))
    apart = [(order[2 * i], order[2 * i + 1]) for i in range(pairs)]
    # The pairs to keep apart are each other's strangers: the search would rather join them.
    strengths = {
        (a, b): strength for a, b in itertools.combinations(people, 2) if (a, b) not in apart
    }
    found = suggest_breakouts(people, group_size=size, seed=seed, strengths=strengths, apart=apart)
    if len(found.groups) < 2:
        return
    for group in found.groups:
        together = set(itertools.combinations(sorted(group), 2))
        assert not together & {tuple(sorted(p)) for p in apart}
    # The score is what the groups are worth by the goals alone, as without a block.
    value = sum(
        1.0 - strengths.get(pair, 0.0)
        for group in found.groups
        for pair in itertools.combinations(group, 2)
    )
    assert found.score == pytest.approx(value)


def test_the_same_seed_gives_the_same_groups() -> None:
    first = suggest_breakouts(PEOPLE, group_size=3, seed=7)
    assert suggest_breakouts(list(reversed(PEOPLE)), group_size=3, seed=7) == first


def test_strangers_are_put_together_and_close_friends_apart() -> None:
    strengths = {("m0", "m1"): 0.9, ("m2", "m3"): 0.9, ("m4", "m5"): 0.9, ("m6", "m7"): 0.9}
    found = suggest_breakouts(PEOPLE, group_size=4, seed=1, strengths=strengths)
    for group in found.groups:
        assert not any(pair in strengths for pair in itertools.combinations(group, 2))
    assert found.weak_pairs == 12


def test_two_dominant_speakers_are_split() -> None:
    speaking = {"m0": 2.5, "m1": 2.0}
    found = suggest_breakouts(PEOPLE, group_size=4, seed=3, speaking=speaking)
    assert not any({"m0", "m1"} <= set(g) for g in found.groups)


def test_over_six_meetings_every_pair_of_eight_shares_a_breakout() -> None:
    together: Counter[tuple[str, str]] = Counter()
    for meeting in range(6):
        found = suggest_breakouts(PEOPLE, group_size=4, seed=meeting, together=together)
        for group in found.groups:
            together.update(itertools.combinations(group, 2))
    assert len(together) == 28  # all pairs of eight


def test_local_search_finds_the_exhaustive_optimum_on_small_instances() -> None:
    people = PEOPLE[:6]
    strengths = {pair: (5 * i % 7) / 7 for i, pair in enumerate(itertools.combinations(people, 2))}
    found = suggest_breakouts(
        people, group_size=3, seed=0, strengths=strengths, weights=BreakoutWeights(restarts=5)
    )
    best = max(
        sum(1 - strengths[p] for p in itertools.combinations(g, 2))
        + sum(1 - strengths[p] for p in itertools.combinations(sorted(set(people) - set(g)), 2))
        for g in itertools.combinations(people, 3)
    )
    assert found.score == pytest.approx(best)


@pytest.mark.parametrize(
    ("attendees", "size", "message"),
    [(["a"], 2, "at least two attendees"), (["a", "a"], 2, "twice"), (["a", "b"], 1, "two")],
)
def test_impossible_requests_are_refused_clearly(
    attendees: list[str], size: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        suggest_breakouts(attendees, group_size=size)

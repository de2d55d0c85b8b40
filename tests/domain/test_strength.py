"""Decaying tie scores: half-life, order independence, incremental equals recomputed."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.domain.model import InteractionKind
from graph.domain.strength import DecayingScore, StrengthModel, score_history

T0 = datetime(2024, 1, 1, tzinfo=UTC)
HALF = timedelta(days=60)

events = st.lists(
    st.tuples(
        st.integers(0, 3 * 365 * 24).map(lambda h: T0 + timedelta(hours=h)),
        st.floats(0.0, 5.0, allow_nan=False),
    ),
    min_size=1,
    max_size=40,
)


def incremental(history: list[tuple[datetime, float]]) -> DecayingScore:
    first_at, first_weight = history[0]
    score = DecayingScore(first_weight, first_at)
    for at, weight in history[1:]:
        score = score.add(weight, at, HALF)
    return score


def test_a_tie_decays_to_half_after_one_half_life() -> None:
    score = DecayingScore(3.0, T0)
    assert score.at_time(T0 + HALF, HALF) == pytest.approx(1.5, rel=1e-15)
    assert score.at_time(T0 + 2 * HALF, HALF) == pytest.approx(0.75, rel=1e-15)


@given(history=events, later=st.integers(0, 1000))
def test_incremental_equals_recomputed_from_history(
    history: list[tuple[datetime, float]], later: int
) -> None:
    when = max(t for t, _ in history) + timedelta(days=later)
    reference = score_history(history, HALF)
    assert reference is not None
    got = incremental(history).at_time(when, HALF)
    assert got == pytest.approx(reference.at_time(when, HALF), rel=1e-12, abs=1e-300)


@given(history=events, data=st.data())
def test_ingestion_order_does_not_change_the_score(
    history: list[tuple[datetime, float]], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(history))
    when = max(t for t, _ in history)
    a = incremental(history).at_time(when, HALF)
    b = incremental(list(shuffled)).at_time(when, HALF)
    assert a == pytest.approx(b, rel=1e-12, abs=1e-300)


@given(history=events, weight=st.floats(0.0, 5.0), offset=st.integers(-2000, 2000))
def test_adding_an_interaction_never_lowers_the_current_score(
    history: list[tuple[datetime, float]], weight: float, offset: int
) -> None:
    score = incremental(history)
    now = score.at + timedelta(hours=abs(offset))
    when = score.at + timedelta(hours=offset)
    before = score.at_time(now, HALF)
    after = score.add(weight, when, HALF).at_time(now, HALF)
    assert after >= before * (1 - 1e-12)


def test_voluntary_contact_outweighs_breakouts_which_outweigh_meetings() -> None:
    model = StrengthModel()
    call = model.weight(InteractionKind.CALL)
    breakout = model.weight(InteractionKind.BREAKOUT, group_size=4)
    meeting = model.weight(InteractionKind.MEETING, group_size=9)
    assert call > breakout > meeting > 0


def test_a_model_refuses_a_half_life_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="half_life"):
        StrengthModel(half_life=timedelta(0))
    with pytest.raises(ValueError, match="weights"):
        StrengthModel(weights={InteractionKind.CALL: math.inf})


def test_no_history_has_no_score() -> None:
    assert score_history([], HALF) is None

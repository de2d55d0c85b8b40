"""The early signal: pair features read at a group's end, and the logistic fit behind it."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.domain.early_signal import (
    DEFAULT_EARLY_SIGNAL,
    FEATURES,
    EarlySignal,
    fit,
    pair_features,
)
from graph.domain.model import InteractionKind
from graph.domain.relationship import assess
from graph.domain.strength import StrengthModel
from graph.domain.ties import ties_from_history
from tests.factories import at, interaction

MODEL = StrengthModel()
SIDE = InteractionKind.SIDE_CONVERSATION
BREAKOUT = InteractionKind.BREAKOUT


def synthetic_rows(
    n: int, *, seed: int, truth: tuple[float, ...], intercept: float
) -> tuple[list[list[float]], list[bool]]:
    """Rows of uniform features whose labels follow a known logistic model."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(n):
        row = [rng.uniform(-1.0, 1.0) for _ in truth]
        z = intercept + sum(c * x for c, x in zip(truth, row, strict=True))
        rows.append(row)
        labels.append(rng.random() < 1 / (1 + math.exp(-z)))
    return rows, labels


def penalized_gradient(
    model: EarlySignal, *, rows: list[list[float]], labels: list[bool], l2: float
) -> list[float]:
    """The gradient of the penalized log-likelihood, computed independently of the fit."""
    weights = [model.intercept, *model.coefficients]
    gradient = [0.0] * len(weights)
    for row, label in zip(rows, labels, strict=True):
        residual = float(label) - model.probability(row)
        for j, x in enumerate((1.0, *row)):
            gradient[j] += residual * x
    penalties = [0.0] + [l2 * w for w in weights[1:]]
    return [g - penalty for g, penalty in zip(gradient, penalties, strict=True)]


# -- the fit ------------------------------------------------------------------------------------


def test_fit_recovers_the_signs_of_a_clear_signal() -> None:
    rows, labels = synthetic_rows(2_000, seed=1, truth=(3.0, 0.0, -3.0), intercept=-0.5)
    model = fit(rows, labels, l2=1.0)
    rising, noise, falling = model.coefficients
    assert rising > 1.5
    assert falling < -1.5
    assert abs(noise) < 0.5


def test_the_fit_is_the_optimum_its_penalized_gradient_vanishes() -> None:
    rows, labels = synthetic_rows(500, seed=2, truth=(1.0, -2.0), intercept=0.3)
    model = fit(rows, labels, l2=2.0)
    assert max(map(abs, penalized_gradient(model, rows=rows, labels=labels, l2=2.0))) < 1e-6


def test_a_stronger_penalty_shrinks_the_coefficients_but_not_the_intercept_to_zero() -> None:
    rows, labels = synthetic_rows(300, seed=3, truth=(2.0,), intercept=-1.5)
    loose = fit(rows, labels, l2=0.01)
    tight = fit(rows, labels, l2=1_000.0)
    assert abs(tight.coefficients[0]) < abs(loose.coefficients[0]) / 5
    # With the slope held near zero, the intercept still matches the base rate.
    base_rate = sum(labels) / len(labels)
    assert tight.probability([0.0]) == pytest.approx(base_rate, abs=0.02)


def test_fitting_twice_gives_the_same_model_and_row_order_does_not_matter() -> None:
    rows, labels = synthetic_rows(400, seed=4, truth=(1.0, 1.0), intercept=0.0)
    assert fit(rows, labels) == fit(rows, labels)
    shuffled = list(zip(rows, labels, strict=True))
    random.Random(5).shuffle(shuffled)
    again = fit([r for r, _ in shuffled], [y for _, y in shuffled])
    first = fit(rows, labels)
    assert again.intercept == pytest.approx(first.intercept, rel=1e-9)
    assert again.coefficients == pytest.approx(first.coefficients, rel=1e-9)


def test_separated_classes_without_a_penalty_still_give_finite_coefficients() -> None:
    rows = [[-2.0], [-1.0], [1.0], [2.0]]
    model = fit(rows, [False, False, True, True], l2=0.0)
    assert math.isfinite(model.intercept)
    assert math.isfinite(model.coefficients[0])
    assert model.coefficients[0] > 0


@pytest.mark.parametrize(
    ("rows", "labels", "message"),
    [
        ([], [], "no rows"),
        ([[1.0], [2.0, 3.0]], [True, False], "same number of features"),
        ([[1.0], [2.0]], [True, True], "both classes"),
        ([[1.0], [2.0]], [False, False], "both classes"),
        ([[1.0], [2.0]], [True], "2 rows but 1 labels"),
        ([[1.0], [math.nan]], [True, False], "finite"),
    ],
)
def test_bad_input_is_refused_with_a_reason(
    rows: list[list[float]], labels: list[bool], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        fit(rows, labels)


def test_a_negative_penalty_is_refused() -> None:
    with pytest.raises(ValueError, match="l2"):
        fit([[0.0], [1.0]], [False, True], l2=-1.0)


# -- probabilities ------------------------------------------------------------------------------

small = st.floats(-3.0, 3.0, allow_nan=False)


@given(intercept=small, coefficients=st.lists(small, min_size=3, max_size=3), data=st.data())
def test_a_probability_lies_strictly_between_zero_and_one(
    intercept: float, coefficients: list[float], data: st.DataObject
) -> None:
    features = data.draw(st.lists(small, min_size=3, max_size=3))
    p = EarlySignal(intercept, tuple(coefficients)).probability(features)
    assert 0.0 < p < 1.0


@given(coefficient=st.floats(0.1, 3.0), low=small, rise=st.floats(0.01, 3.0))
def test_a_positive_coefficient_raises_the_probability_with_its_feature(
    coefficient: float, low: float, rise: float
) -> None:
    model = EarlySignal(-0.5, (coefficient,))
    assert model.probability([low + rise]) > model.probability([low])


def test_extreme_scores_do_not_overflow() -> None:
    model = EarlySignal(0.0, (1.0,))
    assert model.probability([-1e6]) == 0.0
    assert model.probability([1e6]) == 1.0


def test_a_row_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="expected 4 features, got 2"):
        DEFAULT_EARLY_SIGNAL.probability([0.0, 1.0])


def test_the_default_model_has_one_coefficient_per_feature() -> None:
    assert len(DEFAULT_EARLY_SIGNAL.coefficients) == len(FEATURES) == 4


def test_the_default_model_expects_pairs_with_side_conversations_to_keep_in_touch() -> None:
    quiet = pair_features([], "ann", "bob", at(100), MODEL)
    talked = pair_features(
        [interaction(f"s{k}", "ann", "bob", day=10 * k, kind=SIDE) for k in range(1, 4)],
        "ann",
        "bob",
        at(100),
        MODEL,
    )
    assert DEFAULT_EARLY_SIGNAL.probability(talked) > DEFAULT_EARLY_SIGNAL.probability(quiet)


# -- pair features ------------------------------------------------------------------------------


def test_a_pair_that_never_interacted_has_all_features_zero() -> None:
    others = [interaction("m1", "ann", "cat", day=1)]
    assert pair_features(others, "ann", "bob", at(10), MODEL) == (0.0, 0.0, 0.0, 0.0)


def test_side_conversations_and_breakouts_are_counted_on_a_log_scale() -> None:
    history = [
        interaction("s1", "ann", "bob", day=1, kind=SIDE, initiator_id="ann"),
        interaction("s2", "bob", "ann", day=1, kind=SIDE, initiator_id="bob"),
        interaction("b1", "ann", "bob", "cat", day=3, kind=BREAKOUT),
    ]
    strength, reciprocity, sides, breakouts = pair_features(history, "bob", "ann", at(3), MODEL)
    assert sides == pytest.approx(math.log(3))
    assert breakouts == pytest.approx(math.log(2))
    assert reciprocity == pytest.approx(1.0)  # each started one, at the same moment
    assert 0.0 < strength <= 1.0


def test_strength_and_reciprocity_are_the_assessment_of_the_pairs_tie_at_the_end() -> None:
    history = [
        interaction("s1", "ann", "bob", day=1, kind=SIDE, initiator_id="ann"),
        interaction("c1", "bob", "ann", day=5, kind=InteractionKind.CALL, initiator_id="bob"),
        interaction("m1", "ann", "bob", day=6, kind=InteractionKind.MEETING, group_size=6),
        interaction("s2", "ann", "cat", day=7, kind=SIDE, initiator_id="ann"),
    ]
    end = at(30)
    tie = ties_from_history(history[:3], MODEL)[("ann", "bob")]
    expected = assess(tie, end, MODEL)
    strength, reciprocity, _, _ = pair_features(history, "ann", "bob", end, MODEL)
    assert strength == expected.strength
    assert reciprocity == expected.components.reciprocity


def test_one_sided_contact_has_no_reciprocity() -> None:
    history = [
        interaction(f"s{k}", "ann", "bob", day=k, kind=SIDE, initiator_id="ann") for k in range(3)
    ]
    assert pair_features(history, "ann", "bob", at(5), MODEL)[1] == 0.0


def test_interactions_after_the_end_are_ignored() -> None:
    before = [interaction("s1", "ann", "bob", day=1, kind=SIDE, initiator_id="ann")]
    later = [
        interaction("s2", "ann", "bob", day=11, kind=SIDE, initiator_id="bob"),
        interaction("b1", "ann", "bob", day=12, kind=BREAKOUT),
        interaction("c1", "ann", "bob", day=13, kind=InteractionKind.CALL),
    ]
    end = at(10)
    assert pair_features(before + later, "ann", "bob", end, MODEL) == pair_features(
        before, "ann", "bob", end, MODEL
    )


def test_an_interaction_exactly_at_the_end_counts() -> None:
    talk = interaction("s1", "ann", "bob", day=10, kind=SIDE)
    assert pair_features([talk], "ann", "bob", at(10), MODEL)[2] == pytest.approx(math.log(2))


def test_interactions_of_other_pairs_are_ignored_but_shared_group_events_count() -> None:
    own = [interaction("s1", "ann", "bob", day=1, kind=SIDE, initiator_id="ann")]
    others = [
        interaction("s2", "ann", "cat", day=2, kind=SIDE, initiator_id="cat"),
        interaction("b1", "bob", "cat", day=3, kind=BREAKOUT),
    ]
    end = at(5)
    assert pair_features(own + others, "ann", "bob", end, MODEL) == pair_features(
        own, "ann", "bob", end, MODEL
    )
    trio = interaction("b2", "ann", "bob", "cat", day=4, kind=BREAKOUT)
    assert pair_features([*own, trio], "ann", "bob", end, MODEL)[3] == pytest.approx(math.log(2))


def test_a_repeated_interaction_counts_once() -> None:
    talk = interaction("s1", "ann", "bob", day=1, kind=SIDE)
    assert pair_features([talk, talk], "ann", "bob", at(2), MODEL) == pair_features(
        [talk], "ann", "bob", at(2), MODEL
    )


def test_strength_fades_the_longer_the_end_lies_after_the_last_contact() -> None:
    talk = [interaction("s1", "ann", "bob", day=0, kind=SIDE)]
    soon = pair_features(talk, "ann", "bob", at(1), MODEL)[0]
    late = pair_features(talk, "ann", "bob", at(120), MODEL)[0]
    assert 0.0 < late < soon


def test_a_person_is_not_a_pair_with_themselves() -> None:
    with pytest.raises(ValueError, match="two different people"):
        pair_features([], "ann", "ann", at(0), MODEL)

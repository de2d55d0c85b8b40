"""Longevity and embeddedness as factors on the score: off by default, compounding when set."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.domain.model import Interaction, InteractionKind, Tie
from graph.domain.relationship import Components, StrengthScale, assess, evidence_factor
from graph.domain.strength import StrengthModel
from graph.domain.ties import ties_from_history

T0 = datetime(2024, 1, 1, tzinfo=UTC)
MODEL = StrengthModel()
FLOORED = StrengthScale(longevity_floor=0.1, embeddedness_floor=0.05)

unit = st.floats(0.0, 1.0)
floor = st.floats(0.001, 1.0)


def call(key: str, day: float) -> Interaction:
    return Interaction(
        key=key, at=T0 + timedelta(days=day), kind=InteractionKind.CALL, participant_ids=("a", "b")
    )


def tie_of(history: list[Interaction]) -> Tie:
    return ties_from_history(history, MODEL)[("a", "b")]


def parts(longevity: float, embedded: float) -> Components:
    return Components(1.0, 1.0, longevity, 1.0, 0.25, embedded)


@given(longevity=unit, embedded=unit, floor_l=floor, floor_e=floor)
def test_the_factor_lies_between_the_product_of_the_floors_and_one(
    longevity: float, embedded: float, floor_l: float, floor_e: float
) -> None:
    scale = StrengthScale(longevity_floor=floor_l, embeddedness_floor=floor_e)
    found = evidence_factor(parts(longevity, embedded), scale)
    assert floor_l * floor_e - 1e-12 <= found <= 1.0 + 1e-12


@given(longevity=unit, embedded=unit, more=unit, floor_l=floor, floor_e=floor)
def test_more_longevity_or_embeddedness_never_lowers_the_factor(
    longevity: float, embedded: float, more: float, floor_l: float, floor_e: float
) -> None:
    scale = StrengthScale(longevity_floor=floor_l, embeddedness_floor=floor_e)
    before = evidence_factor(parts(longevity, embedded), scale)
    assert evidence_factor(parts(max(longevity, more), embedded), scale) >= before
    assert evidence_factor(parts(longevity, max(embedded, more)), scale) >= before


def test_with_the_default_floors_the_factors_change_no_strength() -> None:
    tie = tie_of([call("c1", 0), call("c2", 1)])
    at = T0 + timedelta(days=2)
    default = assess(tie, at, MODEL, embedded=0.0)
    assert evidence_factor(default.components) == 1.0
    assert default.strength == assess(tie, at, MODEL, scale=StrengthScale()).strength


def test_with_floors_a_new_isolated_tie_scores_below_a_long_embedded_one_with_less_contact() -> (
    None
):
    at = T0 + timedelta(days=200)
    new = tie_of([call(f"n{n}", 199.9) for n in range(3)])
    long = tie_of([call("l1", 0), call("l2", 199.9)])
    alone = assess(new, at, MODEL, embedded=0.0, scale=FLOORED)
    embedded = assess(long, at, MODEL, embedded=0.8, scale=FLOORED)
    assert embedded.strength > alone.strength
    assert assess(new, at, MODEL).strength > assess(long, at, MODEL, embedded=0.8).strength


def test_a_scale_refuses_floors_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="floor"):
        StrengthScale(longevity_floor=0.0)
    with pytest.raises(ValueError, match="floor"):
        StrengthScale(embeddedness_floor=1.5)


def test_the_factor_adds_its_logarithm_to_the_mass_the_strength_grows_with() -> None:
    tie = tie_of([call("c1", 0), call("c2", 3)])
    at = T0 + timedelta(days=10)
    plain = assess(tie, at, MODEL, embedded=0.4)
    floored = assess(tie, at, MODEL, embedded=0.4, scale=FLOORED)
    factor = evidence_factor(floored.components, FLOORED)
    assert floored.log_mass == pytest.approx(plain.log_mass + math.log(factor))
    assert floored.strength < plain.strength

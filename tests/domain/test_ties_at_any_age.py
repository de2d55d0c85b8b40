"""Ties keep their order and stay above zero however old they are."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from graph.domain.model import Interaction, InteractionKind, Tie
from graph.domain.relationship import assess, link_strength
from graph.domain.strength import StrengthModel
from graph.domain.ties import ties_from_history

START = datetime(1901, 1, 1, tzinfo=UTC)
END = datetime(2199, 12, 31, tzinfo=UTC)

half_lives = st.sampled_from([timedelta(days=1), timedelta(days=3), timedelta(days=60)])


def history(pair: tuple[str, str], moments: list[tuple[int, InteractionKind, int]]) -> Tie:
    """The tie two people's contacts add up to; each contact is (day, kind, who started)."""
    contacts = [
        Interaction(
            key=f"{pair}-{n}",
            at=START + timedelta(days=day),
            kind=kind,
            participant_ids=pair,
            initiator_id=None if side == 2 else pair[side],
        )
        for n, (day, kind, side) in enumerate(moments)
    ]
    return ties_from_history(contacts, StrengthModel())[pair]


contact_lists = st.lists(
    st.tuples(st.integers(0, 3_000), st.sampled_from(list(InteractionKind)), st.integers(0, 2)),
    min_size=1,
    max_size=12,
)


def shifted(tie: Tie, by: timedelta) -> Tie:
    """The same history, every contact ``by`` earlier."""
    return replace(tie, first_at=tie.first_at - by, last_at=tie.last_at - by)


@settings(max_examples=300)
@given(contact_lists, contact_lists, st.integers(0, 100_000), half_lives)
def test_ageing_two_ties_by_the_same_time_never_swaps_their_order(
    one: list[tuple[int, InteractionKind, int]],
    other: list[tuple[int, InteractionKind, int]],
    days: int,
    half_life: timedelta,
) -> None:
    model = StrengthModel(half_life=half_life)
    first, second = history(("a", "b"), one), history(("a", "c"), other)
    at = START + timedelta(days=3_000)
    older = timedelta(days=days)
    before = (assess(first, at, model), assess(second, at, model))
    after = (assess(shifted(first, older), at, model), assess(shifted(second, older), at, model))
    # The masses differ by the same amount at any age (up to rounding of the age term) ...
    gap_before = before[0].log_mass - before[1].log_mass
    gap_after = after[0].log_mass - after[1].log_mass
    assert abs(gap_before - gap_after) <= 1e-9 * max(1.0, abs(after[0].log_mass))
    # ... so a clearly stronger tie stays at least as strong, at any age.
    if gap_before > 1e-6:
        assert after[0].strength >= after[1].strength
    elif gap_before < -1e-6:
        assert after[0].strength <= after[1].strength


@settings(max_examples=300)
@given(contact_lists, st.integers(0, 109_000), half_lives)
def test_a_tie_with_history_is_strictly_stronger_than_nothing_at_any_moment(
    moments: list[tuple[int, InteractionKind, int]], days_later: int, half_life: timedelta
) -> None:
    model = StrengthModel(half_life=half_life)
    tie = history(("a", "b"), moments)
    at = min(END, tie.last_at + timedelta(days=days_later))
    assert assess(tie, at, model).strength > 0
    assert link_strength(tie, at, model) > 0


def test_dormant_ties_keep_the_order_of_what_they_were() -> None:
    model = StrengthModel()
    ten_years_on = datetime(2026, 6, 1, tzinfo=UTC)
    calls = history(("a", "b"), [(d, InteractionKind.CALL, 2) for d in range(40_000, 40_100, 7)])
    one_connection = history(("a", "c"), [(40_050, InteractionKind.CONNECTION, 0)])
    strong_then = assess(calls, ten_years_on, model)
    weak_then = assess(one_connection, ten_years_on, model)
    assert strong_then.band.value == weak_then.band.value == "dormant"
    assert strong_then.strength > weak_then.strength > 0


def test_any_recent_contact_outranks_an_old_connection() -> None:
    model = StrengthModel()
    now = datetime(2026, 6, 1, tzinfo=UTC)
    old = history(("a", "b"), [(d, InteractionKind.CALL, 2) for d in range(42_000, 42_300, 3)])
    recent = Interaction(
        key="m",
        at=now - timedelta(days=30),
        kind=InteractionKind.MEETING,
        participant_ids=("a", "c"),
        group_size=12,
    )
    new = ties_from_history([recent], model)[("a", "c")]
    assert link_strength(new, now, model) > link_strength(old, now, model)

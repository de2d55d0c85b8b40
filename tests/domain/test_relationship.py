"""Normalized strength, bands and components: what a tie's strength means and how it moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.domain.model import Interaction, InteractionKind, Tie
from graph.domain.relationship import (
    Band,
    StrengthScale,
    assess,
    band_of,
    contributions,
    embeddedness,
    link_strength,
    pair_series,
)
from graph.domain.strength import StrengthModel
from graph.domain.ties import ties_from_history

T0 = datetime(2024, 1, 1, tzinfo=UTC)
MODEL = StrengthModel()
NOW = T0 + timedelta(days=400)


def contact(
    key: str, day: float, kind: InteractionKind = InteractionKind.CALL, by: str | None = None
) -> Interaction:
    return Interaction(
        key=key,
        at=T0 + timedelta(days=day),
        kind=kind,
        participant_ids=("a", "b"),
        initiator_id=by,
    )


def tie_of(history: list[Interaction]) -> Tie:
    return ties_from_history(history, MODEL)[("a", "b")]


def strength(history: list[Interaction], at: datetime = NOW, embedded: float = 0.0) -> float:
    return assess(tie_of(history), at, MODEL, embedded=embedded).strength


contacts = st.lists(
    st.builds(
        lambda n, day, kind, by: contact(f"k{n}", day, kind, by),
        st.integers(0, 10_000),
        st.integers(0, 400),
        st.sampled_from(list(InteractionKind)),
        st.sampled_from([None, "a", "b"]),
    ),
    min_size=1,
    max_size=25,
    unique_by=lambda i: i.key,
)


@given(history=contacts, extra=contacts)
def test_recording_more_contact_between_two_people_never_lowers_their_strength(
    history: list[Interaction], extra: list[Interaction]
) -> None:
    known = {i.key for i in history}
    more = [i for i in extra if i.key not in known]
    before = strength(history)
    after = strength(history + more)
    assert after >= before - 1e-12


@given(history=contacts, embedded=st.floats(0.0, 1.0))
def test_strength_is_between_zero_and_one_and_its_band_follows_the_thresholds(
    history: list[Interaction], embedded: float
) -> None:
    found = assess(tie_of(history), NOW, MODEL, embedded=embedded)
    assert 0.0 <= found.strength <= 1.0
    assert found.band is band_of(found.strength)
    for part in (
        found.components.recency,
        found.components.frequency,
        found.components.longevity,
        found.components.reciprocity,
        found.components.diversity,
        found.components.embeddedness,
    ):
        assert 0.0 <= part <= 1.0


def test_contact_both_sides_start_is_stronger_than_the_same_contact_started_by_one() -> None:
    mutual = [contact("c1", 395, by="a"), contact("c2", 395, by="b")]
    one_way = [contact("c1", 395, by="a"), contact("c2", 395, by="a")]
    assert strength(mutual) > strength(one_way)
    assert assess(tie_of(mutual), NOW, MODEL).components.reciprocity == 1.0
    assert assess(tie_of(one_way), NOW, MODEL).components.reciprocity == 0.0


def test_a_tie_nobody_keeps_up_fades_from_strong_to_dormant() -> None:
    history = [contact(f"c{n}", 7 * n, by="ab"[n % 2]) for n in range(12)]
    last = T0 + timedelta(days=77)
    bands = [
        assess(tie_of(history), last + timedelta(days=days), MODEL).band
        for days in (0, 180, 300, 600)
    ]
    assert bands == [Band.STRONG, Band.MODERATE, Band.WEAK, Band.DORMANT]


def test_a_single_meeting_among_eight_is_a_weak_tie() -> None:
    meeting = Interaction(
        key="m",
        at=NOW,
        kind=InteractionKind.MEETING,
        participant_ids=("a", "b"),
        group_size=8,
    )
    assert assess(tie_of([meeting]), NOW, MODEL).band is Band.WEAK


def test_shared_contacts_and_groups_make_an_otherwise_equal_tie_stronger() -> None:
    history = [contact("c1", 399, by="a"), contact("c2", 399.5, by="b")]
    alone = strength(history, embedded=embeddedness({"b"}, {"a"}, "a", "b", shared_groups=0))
    embedded = embeddedness({"b", "x", "y"}, {"a", "x", "y"}, "a", "b", shared_groups=1)
    assert embedded == 1.0
    assert strength(history, embedded=embedded) > alone


def test_contact_recorded_after_the_moment_counts_as_if_it_were_then() -> None:
    # A meeting booked for next week must not break today's answers; for an exact past answer
    # the caller recomputes the tie up to the moment (``pair_series``, ``ties_as_of``).
    booked = tie_of([contact("c1", 10)])
    early = assess(booked, T0, MODEL)
    on_the_day = assess(booked, T0 + timedelta(days=10), MODEL)
    assert early.strength == on_the_day.strength
    assert early.at == T0


def test_a_series_agrees_with_assessing_the_history_up_to_each_moment() -> None:
    history = [contact("c1", 10, by="a"), contact("c2", 50, by="b"), contact("c3", 200)]
    times = [T0 + timedelta(days=d) for d in (5, 10, 49, 50, 120, 300)]
    series = pair_series(history, "a", "b", times, MODEL)
    assert series[0] == (times[0], None)
    for when, found in series[1:]:
        upto = [i for i in history if i.at <= when]
        assert found == assess(tie_of(upto), when, MODEL)


def test_evidence_lists_what_still_counts_most_first() -> None:
    history = [
        contact("old-call", 0),
        contact("recent-message", 390, InteractionKind.MESSAGE),
        contact("recent-call", 395),
        contact("future", 500),
    ]
    found = contributions(history, NOW, MODEL)
    assert [i.key for i, _ in found] == ["recent-call", "recent-message", "old-call"]
    assert found[0][1] == pytest.approx(3.0 * 2 ** (-5 / 60))


def test_a_scale_refuses_weights_that_do_not_add_up_and_thresholds_out_of_order() -> None:
    with pytest.raises(ValueError, match="add up to 1"):
        StrengthScale(base=0.9)
    with pytest.raises(ValueError, match="rise"):
        StrengthScale(weak=0.3, moderate=0.2)


@given(
    history=contacts,
    moment=st.floats(-30.0, 5_000.0),
    scale=st.sampled_from(
        [StrengthScale(), StrengthScale(longevity_floor=0.5, embeddedness_floor=0.25)]
    ),
)
def test_a_link_strength_from_a_ties_numbers_is_its_assessed_strength_to_the_last_bit(
    history: list[Interaction], moment: float, scale: StrengthScale
) -> None:
    tie = ties_from_history(history, MODEL)[("a", "b")]
    at = T0 + timedelta(days=moment)
    assert link_strength(tie, at, MODEL, scale) == assess(tie, at, MODEL, scale=scale).strength

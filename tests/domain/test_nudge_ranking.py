"""Keep-in-touch nudges: strong once and fading now comes first; never strong never comes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from graph.domain.model import InteractionKind
from graph.domain.nudges import FadingTie, LastContact, describe_nudge, rank_nudges, worth_of
from graph.domain.relationship import DEFAULT_SCALE

AT = datetime(2026, 11, 16, tzinfo=UTC)

strengths = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
fades = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
silences = st.integers(min_value=0, max_value=3_650).map(lambda d: timedelta(days=d))


def _tie(other: str, peak: float, now: float, silence: timedelta) -> FadingTie:
    last = AT - silence
    return FadingTie(other, peak=peak, peak_at=last, now=now, last_contact=last)


@st.composite
def ties(draw: st.DrawFn) -> FadingTie:
    peak = draw(strengths)
    now = draw(strengths) * peak  # a tie is never stronger now than at its peak
    return _tie(draw(st.text("abcdef", min_size=1, max_size=4)), peak, now, draw(silences))


@given(
    strong_peak=st.floats(min_value=DEFAULT_SCALE.moderate, max_value=1.0),
    weak_peak=st.floats(min_value=0.0, max_value=DEFAULT_SCALE.moderate, exclude_max=True),
    fade=fades,
    silence=silences,
)
def test_a_tie_never_strong_is_never_ranked_above_a_strong_one_fading_equally(
    strong_peak: float, weak_peak: float, fade: float, silence: timedelta
) -> None:
    strong = _tie("strong", strong_peak, strong_peak * (1 - fade), silence)
    weak = _tie("weak", weak_peak, weak_peak * (1 - fade), silence)
    ranked = [n.tie.other_id for n in rank_nudges([weak, strong], at=AT, first=5)]
    assert "weak" not in ranked


@given(peaks=st.lists(st.floats(min_value=0.2, max_value=1.0), min_size=2, max_size=2, unique=True))
def test_of_two_ties_fading_equally_the_one_that_was_stronger_comes_first(
    peaks: list[float],
) -> None:
    fade, silence = 0.99, timedelta(days=100)  # both fall to dormant
    found = [_tie(f"p{i}", p, p * (1 - fade), silence) for i, p in enumerate(peaks)]
    ranked = rank_nudges(found, at=AT, first=5)
    assert [n.tie.peak for n in ranked] == sorted(peaks, reverse=True)


@given(st.lists(ties(), max_size=30))
def test_only_ties_that_reached_the_moderate_band_and_left_their_peak_band_are_ranked(
    found: list[FadingTie],
) -> None:
    for nudge in rank_nudges(found, at=AT, first=100):
        assert nudge.tie.peak >= DEFAULT_SCALE.moderate
        assert nudge.now_band.rank < nudge.peak_band.rank


@given(st.lists(ties(), max_size=30), st.integers(min_value=0, max_value=10))
def test_the_ranking_is_most_worth_first_and_at_most_first_long(
    found: list[FadingTie], first: int
) -> None:
    ranked = rank_nudges(found, at=AT, first=first)
    assert len(ranked) <= first
    worths = [n.worth for n in ranked]
    assert worths == sorted(worths, reverse=True)
    everything = rank_nudges(found, at=AT, first=len(found))
    assert ranked == everything[:first]


@given(peak=strengths, silence=silences)
def test_a_tie_just_renewed_is_not_worth_a_nudge(peak: float, silence: timedelta) -> None:
    renewed = _tie("b", peak, peak, silence)
    assert rank_nudges([renewed], at=AT, first=5) == []
    assert worth_of(renewed, AT) == 0


@given(peak=st.floats(min_value=0.3, max_value=1.0), fade=st.floats(0.9, 1.0), days=silences)
def test_a_tie_fading_today_is_worth_more_than_the_same_tie_gone_cold_long_ago(
    peak: float, fade: float, days: timedelta
) -> None:
    today = _tie("b", peak, peak * (1 - fade), days)
    long_ago = _tie("b", peak, peak * (1 - fade), days + timedelta(days=365))
    assert worth_of(today, AT) > worth_of(long_ago, AT)


def test_the_reason_names_the_peak_the_fall_the_silence_and_the_last_contact() -> None:
    tie = _tie("ines", 0.7, 0.03, timedelta(days=200))
    nudge = rank_nudges([tie], at=AT, first=1)[0]
    sentence = describe_nudge(
        nudge,
        name="Ines",
        at=AT,
        last=LastContact(
            InteractionKind.SIDE_CONVERSATION,
            "coffee",
            "Communicators, autumn 2024",
            started_by_person=True,
        ),
    )
    assert sentence == (
        "You and Ines were strong (0.70) in April 2026 and are weak now (0.03):"
        " 7 months without contact since a side conversation (coffee) in"
        " Communicators, autumn 2024 you started."
    )

"""Speaking balance: shares against the fair share, the Gini coefficient, quiet members."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.domain.balance import gini, group_balance, meeting_balance
from graph.domain.model import Attendance


def spoke(pid: str, seconds: int | None, meeting: str = "m1") -> Attendance:
    return Attendance(meeting_id=meeting, person_id=pid, speaking_s=seconds)


def test_an_even_meeting_has_no_quiet_member_and_a_gini_of_zero() -> None:
    balance = meeting_balance("m1", [spoke(p, 600) for p in "abcd"])
    assert balance.fair_share == 0.25
    assert balance.gini == 0.0
    assert balance.quiet == ()
    assert {s.relative for s in balance.speakers} == {1.0}


def test_someone_below_half_their_fair_share_is_quiet_and_the_talker_comes_first() -> None:
    balance = meeting_balance(
        "m1", [spoke("a", 1800), spoke("b", 600), spoke("c", 300), spoke("d", None)]
    )
    assert [s.person_id for s in balance.speakers] == ["a", "b", "c"]
    assert balance.quiet == ("c",)  # 300 of 2700 s is a third of a fair third
    assert balance.unknown == ("d",)
    assert balance.gini == pytest.approx(gini([1800, 600, 300]))


def test_a_meeting_without_recorded_times_has_no_balance_yet() -> None:
    balance = meeting_balance("m1", [spoke("a", None), spoke("b", None)])
    assert (balance.fair_share, balance.gini, balance.speakers) == (None, None, ())


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=12))
def test_gini_is_between_zero_and_one_and_ignores_order_and_scale(times: list[int]) -> None:
    value = gini(times)
    assert 0.0 <= value < 1.0
    assert gini(list(reversed(times))) == pytest.approx(value)
    assert gini([t * 3 for t in times]) == pytest.approx(value)


def test_a_member_who_speaks_up_over_the_series_has_a_rising_trend() -> None:
    meetings = [
        meeting_balance(f"m{n}", [spoke("a", 100 * (n + 1)), spoke("b", 600)]) for n in range(4)
    ]
    rows = {r.person_id: r for r in group_balance(["a", "b", "c"], meetings)}
    assert rows["a"].trend is not None
    assert rows["a"].trend > 0
    assert rows["b"].trend is not None
    assert rows["b"].trend < 0
    assert rows["a"].quiet_meetings == 1
    assert rows["c"].relative == (None, None, None, None)
    assert rows["c"].trend is None

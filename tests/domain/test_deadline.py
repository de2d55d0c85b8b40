"""Deadlines: long computations stop with a typed error once their budget has run out."""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import pytest

from graph.domain.breakouts import suggest_breakouts
from graph.domain.cohorts import Applicant, CohortConstraints, compose_cohorts
from graph.domain.deadline import Deadline
from graph.domain.errors import BudgetExceeded, TiegraphError
from graph.domain.model import Person
from graph.domain.paths import Path, best_paths
from graph.domain.retention import group_retention
from graph.domain.similarity import recommend
from graph.domain.strength import StrengthModel
from tests.factories import at, interaction


class FakeClock:
    """A clock that reads what the test sets."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def passed_deadline() -> Deadline:
    """A deadline that has already passed, on a clock that will not move."""
    clock = FakeClock()
    deadline = Deadline.after(1.0, hint="ask for less", clock=clock)
    clock.now += 5.0
    return deadline


# -- the deadline ---------------------------------------------------------------------------------


def test_a_deadline_passes_its_budget_after_it_was_set() -> None:
    clock = FakeClock()
    deadline = Deadline.after(2.0, hint="lower maxHops", clock=clock)
    clock.now += 1.5
    deadline.check()
    assert not deadline.passed()
    assert deadline.remaining() == pytest.approx(0.5)
    clock.now += 0.5
    assert deadline.passed()
    with pytest.raises(BudgetExceeded) as raised:
        deadline.check()
    assert raised.value.seconds == 2.0
    assert str(raised.value) == ("this request needs more than its 2 s time budget; lower maxHops")


def test_budget_exceeded_is_one_of_tiegraphs_expected_errors() -> None:
    assert issubclass(BudgetExceeded, TiegraphError)


def test_a_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Deadline.after(0.0)


def test_a_deadline_that_never_passes_never_stops_anything() -> None:
    never = Deadline.never()
    never.check()
    assert not never.passed()
    assert never.remaining() == float("inf")


def test_another_hint_keeps_the_same_moment() -> None:
    clock = FakeClock()
    deadline = Deadline.after(1.0, clock=clock).with_hint("ask for fewer paths")
    assert deadline.at == 101.0
    clock.now = 101.0
    with pytest.raises(BudgetExceeded, match="ask for fewer paths"):
        deadline.check()


def test_a_deadline_and_its_error_cross_to_a_worker_process_intact() -> None:
    deadline = Deadline.after(3.0, hint="compose fewer applicants")
    assert pickle.loads(pickle.dumps(deadline)) == deadline  # noqa: S301 (our own bytes)
    error = BudgetExceeded(3.0, "compose fewer applicants")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    assert (copy.seconds, copy.hint, str(copy)) == (error.seconds, error.hint, str(error))


# -- the algorithms stop at it ----------------------------------------------------------------


def ring(size: int) -> dict[str, dict[str, float]]:
    """People in a circle, each linked to the next two on either side."""
    links: dict[str, dict[str, float]] = {f"p{n}": {} for n in range(size)}
    for n in range(size):
        for step in (1, 2):
            a, b = f"p{n}", f"p{(n + step) % size}"
            links[a][b] = links[b][a] = 0.5
    return links


def test_a_path_search_past_its_deadline_stops_with_budget_exceeded() -> None:
    links = ring(40)
    found = best_paths("p0", "p20", links_of=links.__getitem__, may_pass=lambda _: True, max_hops=4)
    assert found == []  # p20 is 10 hops away: the search itself would answer
    with pytest.raises(BudgetExceeded):
        best_paths(
            "p0",
            "p20",
            links_of=links.__getitem__,
            may_pass=lambda _: True,
            max_hops=4,
            deadline=passed_deadline(),
        )


def test_a_path_search_within_its_deadline_finds_what_it_would_without() -> None:
    links = ring(12)

    def search(deadline: Deadline | None) -> list[Path]:
        return best_paths(
            "p0",
            "p5",
            links_of=links.__getitem__,
            may_pass=lambda _: True,
            max_hops=4,
            deadline=deadline,
        )

    assert search(Deadline.after(3600.0)) == search(None) != []


def applicants(count: int) -> list[Applicant]:
    return [
        Applicant(f"a{n}", ("marketing", "hr")[n % 2], ("energy", "retail")[n % 3 % 2], f"o{n}")
        for n in range(count)
    ]


def test_composing_cohorts_past_the_deadline_is_refused_not_cut_short() -> None:
    with pytest.raises(BudgetExceeded):
        compose_cohorts(
            applicants(16),
            CohortConstraints(cohort_size=4),
            iterations=10_000,
            budget=passed_deadline(),
        )


def test_composing_cohorts_within_the_deadline_gives_the_same_answer_for_a_seed() -> None:
    pool = applicants(16)
    constraints = CohortConstraints(cohort_size=4)
    plain = compose_cohorts(pool, constraints, seed=3, iterations=2_000)
    budgeted = compose_cohorts(
        pool, constraints, seed=3, iterations=2_000, budget=Deadline.after(3600.0)
    )
    assert budgeted.cohorts == plain.cohorts
    assert budgeted.iterations == plain.iterations == 2_000


def test_breakout_suggestions_past_the_deadline_stop_with_budget_exceeded() -> None:
    people = [f"p{n}" for n in range(12)]
    with pytest.raises(BudgetExceeded):
        suggest_breakouts(people, group_size=3, deadline=passed_deadline())


def test_keep_in_touch_figures_past_the_deadline_stop_with_budget_exceeded() -> None:
    with pytest.raises(BudgetExceeded):
        group_retention(
            group_id="g1",
            member_ids=["ann", "bob"],
            consenting={"ann", "bob"},
            starts_at=at(0),
            after=at(100),
            now=at(200),
            horizons=[30],
            interactions=[interaction("c1", "ann", "bob", day=150)],
            groups_of={},
            model=StrengthModel(),
            deadline=passed_deadline(),
        )


def candidates() -> Iterator[Person]:
    for n in range(10):
        yield Person(id=f"c{n}", name=f"C{n}", interests=("chess",))


def test_recommendations_past_the_deadline_stop_with_budget_exceeded() -> None:
    me = Person(id="me", name="Me", interests=("chess",))
    with pytest.raises(BudgetExceeded):
        recommend(
            me,
            candidates(),
            known=set(),
            interest_counts={"chess": 11},
            population=11,
            first=5,
            deadline=passed_deadline(),
        )

"""Cohort composition: every hard constraint kept, deterministic, better than the baselines."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.domain.cohorts import (
    Applicant,
    CohortConstraints,
    CohortWeights,
    Composition,
    LeftOutReason,
    compose_cohorts,
    greedy_cohorts,
    random_cohorts,
)
from graph.domain.model import GroupFormat, Person
from graph.domain.similarity import label_key

DIGITAL, HYBRID, IN_PERSON = GroupFormat.DIGITAL, GroupFormat.HYBRID, GroupFormat.IN_PERSON
PROFESSIONS = ("marketing", "HR", "sales", "engineering", "finance", None)
INDUSTRIES = ("fintech", "retail", "energy", "health", None)
PLACES = ("Stockholm", "Göteborg", None)
NEEDS = ("mentoring", "copywriting", "budgeting", "a mentor", "feedback")
TOPICS = ("AI", "leadership", "storytelling", "GDPR", "pricing")
QUICK = 3_000
"""Proposals for searches on small pools: plenty, and fast."""


def assert_feasible(
    found: Composition, pool: Sequence[Applicant], constraints: CohortConstraints
) -> None:
    """Every hard constraint holds, checked from the applicants alone."""
    by_id = {a.id: a for a in pool}
    placed = [i for cohort in found.cohorts for i in cohort]
    left_out = [o.applicant_id for o in found.left_out]
    assert len(placed) == len(set(placed)), "someone is placed twice"
    assert sorted(placed + left_out) == sorted(by_id), "everyone is placed or left out, once"
    sizes = [len(c) for c in found.cohorts]
    assert len(sizes) == math.ceil(len(placed) / constraints.cohort_size)
    assert max(sizes) - min(sizes) <= 1
    assert len(found.formats) == len(found.explanations) == len(sizes)
    for cohort, fmt in zip(found.cohorts, found.formats, strict=True):
        members = [by_id[i] for i in cohort]
        if constraints.separate_organizations:
            orgs = [a.organization_id for a in members if a.organization_id]
            assert len(orgs) == len(set(orgs)), f"an organization twice in {cohort}"
        if constraints.format is not None:
            assert fmt == constraints.format
        assert all(a.format in (None, fmt) for a in members), f"a format ignored in {cohort}"
    for out in found.left_out:
        if out.reason == LeftOutReason.FORMAT:
            assert by_id[out.applicant_id].format not in (None, constraints.format)
        else:
            assert constraints.max_cohorts is not None
            assert len(found.cohorts) == constraints.max_cohorts


def objective_of(found: Composition, pool: Sequence[Applicant], weights: CohortWeights) -> float:
    """The objective recomputed pair by pair, as the module docstring defines it."""
    by_id = {a.id: a for a in pool}

    def key(label: str | None) -> str:
        return label_key(label) if label else ""

    def keys(labels: Sequence[str]) -> set[str]:
        return {label_key(label) for label in labels} - {""}

    total = []
    for cohort, fmt in zip(found.cohorts, found.formats, strict=True):
        for a, b in itertools.combinations([by_id[i] for i in cohort], 2):
            if key(a.profession) and key(a.profession) == key(b.profession):
                total.append(weights.same_profession)
            if key(a.industry) and key(b.industry):
                same = key(a.industry) == key(b.industry)
                total.append(-weights.same_industry if same else weights.other_industry)
            matched = len(keys(a.offers) & keys(b.seeks)) + len(keys(b.offers) & keys(a.seeks))
            total.append(weights.match * matched)
            shared = len(keys(a.interests) & keys(b.interests))
            total.append(weights.shared_interest * min(weights.interest_cap, shared))
            if fmt in (IN_PERSON, HYBRID) and key(a.location) and a.location == b.location:
                total.append(weights.same_location)
    return math.fsum(total)


def make_pool(
    n: int, seed: int, *, organizations: int, formats: Sequence[GroupFormat | None] = (None,)
) -> list[Applicant]:
    """A seeded pool; each organization has at most ``organizations`` applicants."""
    rng = random.Random(seed)
    return [
        Applicant(
            id=f"a{i:03d}",
            profession=rng.choice(PROFESSIONS),
            industry=rng.choice(INDUSTRIES),
            organization_id=f"o{i % max(1, n // organizations + 1)}" if i % 7 else None,
            location=rng.choice(PLACES),
            interests=tuple(rng.sample(TOPICS, rng.randint(0, 3))),
            offers=tuple(rng.sample(NEEDS, rng.randint(0, 2))),
            seeks=tuple(rng.sample(NEEDS, rng.randint(0, 2))),
            format=rng.choice(formats),
        )
        for i in range(n)
    ]


@st.composite
def pools(draw: st.DrawFn) -> tuple[list[Applicant], CohortConstraints]:
    """A pool and constraints that can be met: at most as many from one organization as
    there are cohorts, and format preferences the cohorts can hold."""
    n = draw(st.integers(2, 40))
    size = draw(st.integers(2, min(8, n)))
    wanted = draw(st.sampled_from([None, DIGITAL, IN_PERSON]))
    # Without a format for all, only digital is insisted on, so the cohorts always hold it.
    preferences = [None, DIGITAL] if wanted is None else [None, wanted, HYBRID]
    formats = draw(st.lists(st.sampled_from(preferences), min_size=n, max_size=n))
    accepting = sum(1 for f in formats if f in (None, wanted) or wanted is None)
    if accepting < size:
        formats = [None] * n
        accepting = n
    cohorts = math.ceil(accepting / size)
    max_cohorts = draw(st.one_of(st.none(), st.integers(1, cohorts)))
    cohorts = min(cohorts, max_cohorts or cohorts)
    labels = draw(st.lists(st.sampled_from(["o1", "o2", "o3", "o4", None]), min_size=n, max_size=n))
    seen: Counter[str] = Counter()
    organizations: list[str | None] = []
    for label, fmt in zip(labels, formats, strict=True):
        # Only applicants who are placed count toward an organization's share.
        counted = wanted is None or fmt in (None, wanted)
        if label is not None and counted:
            seen[label] += 1
            label = label if seen[label] <= cohorts else None
        organizations.append(label)
    seed = draw(st.integers(0, 10_000))
    rng = random.Random(seed)
    pool = [
        Applicant(
            id=f"p{i:02d}",
            profession=rng.choice(PROFESSIONS),
            industry=rng.choice(INDUSTRIES),
            organization_id=organizations[i],
            location=rng.choice(PLACES),
            interests=tuple(rng.sample(TOPICS, rng.randint(0, 3))),
            offers=tuple(rng.sample(NEEDS, rng.randint(0, 2))),
            seeks=tuple(rng.sample(NEEDS, rng.randint(0, 2))),
            format=formats[i],
        )
        for i in range(n)
    ]
    return pool, CohortConstraints(cohort_size=size, format=wanted, max_cohorts=max_cohorts)


# -- invariants ---------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(case=pools(), seed=st.integers(0, 1000))
def test_every_hard_constraint_holds_for_the_optimizer_and_both_baselines(
    case: tuple[list[Applicant], CohortConstraints], seed: int
) -> None:
    pool, constraints = case
    found = compose_cohorts(pool, constraints, seed=seed, iterations=QUICK)
    assert_feasible(found, pool, constraints)
    assert_feasible(greedy_cohorts(pool, constraints, seed=seed), pool, constraints)
    assert_feasible(random_cohorts(pool, constraints, seed=seed), pool, constraints)


@settings(max_examples=40, deadline=None)
@given(case=pools(), seed=st.integers(0, 1000))
def test_the_objective_is_the_documented_sum_and_never_below_the_greedy_start(
    case: tuple[list[Applicant], CohortConstraints], seed: int
) -> None:
    pool, constraints = case
    weights = CohortWeights()
    found = compose_cohorts(pool, constraints, seed=seed, iterations=QUICK)
    assert found.objective == pytest.approx(objective_of(found, pool, weights))
    assert found.objective == pytest.approx(math.fsum(e.value for e in found.explanations))
    assert found.greedy_objective is not None
    assert found.objective >= found.greedy_objective - 1e-9
    assert found.greedy_objective == greedy_cohorts(pool, constraints, seed=seed).objective
    assert found.random_objective == random_cohorts(pool, constraints, seed=seed).objective


def _partitions(people: list[int], sizes: Sequence[int]) -> Iterator[list[tuple[int, ...]]]:
    """Every way to split ``people`` into groups of ``sizes``, in that order."""
    if not sizes:
        yield []
        return
    first, rest = people[0], people[1:]
    for others in itertools.combinations(rest, sizes[0] - 1):
        left = [p for p in rest if p not in others]
        for groups in _partitions(left, sizes[1:]):
            yield [(first, *others), *groups]


def _can_be_met(pool: Sequence[Applicant], size: int) -> bool:
    """Whether any split of the pool keeps every hard constraint (by trying them all)."""
    count = math.ceil(len(pool) / size)
    base, extra = divmod(len(pool), count)
    sizes = [base + 1] * extra + [base] * (count - extra)
    for order in set(itertools.permutations(sizes)):
        for groups in _partitions(list(range(len(pool))), order):
            if all(
                len({pool[i].format for i in g} - {None}) <= 1
                and len([pool[i].organization_id for i in g if pool[i].organization_id])
                == len({pool[i].organization_id for i in g} - {None})
                for g in groups
            ):
                return True
    return False


@settings(max_examples=300, deadline=None)
@given(
    formats=st.lists(st.sampled_from([None, DIGITAL, HYBRID, IN_PERSON]), min_size=2, max_size=8),
    organizations=st.lists(st.sampled_from(["o1", "o2", None]), min_size=8, max_size=8),
    size=st.integers(2, 4),
    seed=st.integers(0, 100),
)
def test_on_small_pools_a_request_is_refused_exactly_when_nothing_can_meet_it(
    formats: list[GroupFormat | None], organizations: list[str | None], size: int, seed: int
) -> None:
    pool = [
        Applicant(f"p{i}", "HR", "retail", organizations[i], format=fmt)
        for i, fmt in enumerate(formats)
    ]
    constraints = CohortConstraints(cohort_size=min(size, len(pool)))
    try:
        found = compose_cohorts(pool, constraints, seed=seed, iterations=200)
    except ValueError:
        assert not _can_be_met(pool, constraints.cohort_size)
    else:
        assert_feasible(found, pool, constraints)


def test_cohorts_take_the_formats_their_members_insist_on() -> None:
    pool = make_pool(120, 3, organizations=6, formats=(None, None, DIGITAL, HYBRID, IN_PERSON))
    constraints = CohortConstraints()
    found = compose_cohorts(pool, constraints, seed=1, iterations=20_000)
    assert_feasible(found, pool, constraints)
    assert {DIGITAL, HYBRID, IN_PERSON} <= set(found.formats)
    assert not found.left_out


def test_people_without_a_preference_join_format_cohorts_to_keep_organizations_apart() -> None:
    pool = [
        Applicant("a", "HR", "retail", "o1"),
        Applicant("b", "HR", "energy", "o1"),
        Applicant("c", "HR", "health", None, format=DIGITAL),
        Applicant("d", "HR", "fintech", None, format=DIGITAL),
    ]
    constraints = CohortConstraints(cohort_size=2)
    found = compose_cohorts(pool, constraints, iterations=100)
    assert_feasible(found, pool, constraints)
    assert found.formats == (DIGITAL, DIGITAL)


def test_with_one_format_for_all_those_preferring_another_are_left_out_and_told_why() -> None:
    pool = make_pool(40, 5, organizations=4, formats=(None, DIGITAL, IN_PERSON))
    constraints = CohortConstraints(cohort_size=6, format=DIGITAL)
    found = compose_cohorts(pool, constraints, seed=2, iterations=QUICK)
    assert_feasible(found, pool, constraints)
    expected = {a.id for a in pool if a.format == IN_PERSON}
    assert {o.applicant_id for o in found.left_out} == expected
    assert all("prefers in_person" in o.explanation for o in found.left_out)


def test_beyond_capacity_the_latest_applicants_are_left_out() -> None:
    pool = make_pool(30, 6, organizations=3)
    found = compose_cohorts(pool, CohortConstraints(cohort_size=8, max_cohorts=3), seed=0)
    assert [o.applicant_id for o in found.left_out] == [a.id for a in pool[24:]]
    assert {o.reason for o in found.left_out} == {LeftOutReason.CAPACITY}
    assert sorted(len(c) for c in found.cohorts) == [8, 8, 8]


def test_organizations_may_share_a_cohort_when_not_kept_apart() -> None:
    pool = [Applicant(f"a{i}", "HR", f"industry {i}", "same") for i in range(4)]
    found = compose_cohorts(pool, CohortConstraints(cohort_size=4, separate_organizations=False))
    assert found.cohorts == (("a0", "a1", "a2", "a3"),)


# -- determinism --------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_composition_in_any_input_order() -> None:
    pool = make_pool(64, 11, organizations=5, formats=(None, DIGITAL))
    first = compose_cohorts(pool, seed=7, iterations=20_000)
    again = compose_cohorts(list(reversed(pool)), seed=7, iterations=20_000)
    assert again == first
    assert greedy_cohorts(pool, seed=7) == greedy_cohorts(pool[::-1], seed=7)
    assert random_cohorts(pool, seed=7) == random_cohorts(pool[::-1], seed=7)


def test_a_time_limit_cuts_the_search_short() -> None:
    pool = make_pool(64, 12, organizations=5)
    found = compose_cohorts(pool, seed=1, iterations=10**12, time_limit_s=0.2)
    assert 0 < found.iterations < 10**12


# -- quality ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_search_beats_the_greedy_and_random_baselines_on_generated_pools(seed: int) -> None:
    pool = make_pool(96, seed, organizations=6, formats=(None, None, DIGITAL))
    found = compose_cohorts(pool, seed=seed, iterations=100_000)
    assert found.greedy_objective is not None
    assert found.random_objective is not None
    assert found.objective > found.greedy_objective
    assert found.objective > 1.5 * found.random_objective


def test_similar_professions_from_different_industries_are_put_together() -> None:
    pool = [
        Applicant(f"{profession}-{industry}", profession, industry, f"org-{profession}-{industry}")
        for profession in ("marketing", "HR", "sales")
        for industry in ("fintech", "retail", "energy")
    ]
    found = compose_cohorts(pool, CohortConstraints(cohort_size=3), seed=4, iterations=5_000)
    for explanation in found.explanations:
        assert len(explanation.professions) == 1
        assert explanation.professions[0][1] == 3
        assert [count for _, count in explanation.industries] == [1, 1, 1]


def test_an_explanation_names_shared_professions_industries_and_matches() -> None:
    pool = [
        Applicant("ann", "Marketing", "fintech", "o1", offers=("Mentoring",), seeks=("budgets",)),
        Applicant("bo", "marketing ", "energy", "o2", offers=("budgets",), seeks=("mentoring",)),
    ]
    found = compose_cohorts(pool, CohortConstraints(cohort_size=2), iterations=100)
    (explanation,) = found.explanations
    assert explanation.professions == (("Marketing", 2),)
    assert explanation.industries == (("energy", 1), ("fintech", 1))
    assert explanation.matches == (
        "ann offers Mentoring, which bo seeks",
        "bo offers budgets, which ann seeks",
    )
    weights = CohortWeights()
    assert found.objective == weights.same_profession + weights.other_industry + 2 * weights.match


def test_an_applicant_can_be_made_from_a_person() -> None:
    person = Person(id="p", name="P", profession="HR", industry="retail", organization_id="o")
    applicant = Applicant.from_person(person, IN_PERSON)
    assert (applicant.id, applicant.profession, applicant.format) == ("p", "HR", IN_PERSON)


# -- refusals -----------------------------------------------------------------------------------


def _people(*orgs: str | None, fmt: GroupFormat | None = None) -> list[Applicant]:
    return [Applicant(f"a{i}", "HR", "retail", org, format=fmt) for i, org in enumerate(orgs)]


@pytest.mark.parametrize(
    ("pool", "constraints", "message"),
    [
        ([], CohortConstraints(), "no applicants"),
        (_people("o1", "o2"), CohortConstraints(cohort_size=1), "at least two people"),
        (_people("o1", "o2", "o3"), CohortConstraints(cohort_size=4), "larger than the pool"),
        (
            [*_people("o1", "o2"), Applicant("a0", "HR", "retail", "o3")],
            CohortConstraints(cohort_size=2),
            "applicant 'a0' is given twice",
        ),
        (
            _people("o1", "o1", "o1", "o2"),
            CohortConstraints(cohort_size=2),
            "organization 'o1' has 3 applicants but there are only 2 cohorts",
        ),
        (
            [
                *_people("o1", "o2", "o3", fmt=DIGITAL),
                Applicant("h1", "HR", "retail", "o4", format=HYBRID),
                Applicant("h2", "HR", "retail", "o4", format=HYBRID),
            ],
            CohortConstraints(cohort_size=2),
            r"\(digital 3, hybrid 2; 2 from 'o4' prefer hybrid\) need more cohorts than the 3",
        ),
        (
            [
                Applicant("d", "HR", "retail", None, format=DIGITAL),
                Applicant("h", "HR", "retail", None, format=HYBRID),
                Applicant("i", "HR", "retail", None, format=IN_PERSON),
                Applicant("x", "HR", "retail", None),
            ],
            CohortConstraints(cohort_size=2),
            "insist on a format .* need more cohorts than the 2 there are",
        ),
        (
            _people("o1", "o2", fmt=IN_PERSON),
            CohortConstraints(cohort_size=2, format=DIGITAL),
            "none of the 2 applicants accepts digital cohorts",
        ),
        (
            [
                Applicant("i", "HR", "retail", "o1", format=IN_PERSON),
                Applicant("d", "HR", "retail", "o2", format=DIGITAL),
                Applicant("x", "HR", "retail", None),
            ],
            CohortConstraints(cohort_size=3, format=DIGITAL),
            "there are 2 applicants who accept digital cohorts",
        ),
        (_people("o1", "o2"), CohortConstraints(cohort_size=2, max_cohorts=0), "max_cohorts"),
    ],
)
def test_impossible_requests_are_refused_clearly(
    pool: list[Applicant], constraints: CohortConstraints, message: str
) -> None:
    for compose in (compose_cohorts, greedy_cohorts, random_cohorts):
        with pytest.raises(ValueError, match=message):
            compose(pool, constraints)


def test_a_search_without_iterations_or_time_is_refused() -> None:
    pool = _people("o1", "o2")
    with pytest.raises(ValueError, match="iterations cannot be negative"):
        compose_cohorts(pool, CohortConstraints(cohort_size=2), iterations=-1)
    with pytest.raises(ValueError, match="time_limit_s must be positive"):
        compose_cohorts(pool, CohortConstraints(cohort_size=2), time_limit_s=0)


# -- pairs kept apart (blocks) ------------------------------------------------------------------


def _colleagues(count: int) -> list[Applicant]:
    """People who would all gain most from sitting together: one profession, many industries."""
    return [Applicant(f"p{i:02}", "marketing", f"industry-{i}", f"org-{i}") for i in range(count)]


def _together(found: Composition, a: str, b: str) -> bool:
    return any(a in cohort and b in cohort for cohort in found.cohorts)


@pytest.mark.parametrize("compose", [compose_cohorts, greedy_cohorts])
def test_people_one_of_whom_blocked_the_other_never_share_a_cohort(
    compose: Callable[..., Composition],
) -> None:
    # Two professions of four: without the blocks, each profession would make one cohort.
    pool = [
        Applicant(f"p{i}", "marketing" if i < 4 else "finance", f"industry-{i % 4}", f"org-{i}")
        for i in range(8)
    ]
    apart = [("p0", "p1"), ("p5", "p4")]
    kwargs = {"iterations": 2_000} if compose is compose_cohorts else {}
    unblocked = compose(pool, CohortConstraints(cohort_size=4), seed=3, **kwargs)
    assert all(_together(unblocked, *pair) for pair in apart)
    found = compose(pool, CohortConstraints(cohort_size=4), seed=3, apart=apart, **kwargs)
    assert not [pair for pair in apart if _together(found, *pair)]
    assert sorted(p for cohort in found.cohorts for p in cohort) == [a.id for a in pool]


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(min_value=6, max_value=24),
    seed=st.integers(min_value=0, max_value=1_000),
    order=st.permutations(range(24)),
    pairs=st.integers(min_value=0, max_value=6),
)
def test_pairs_kept_apart_stay_apart_whatever_the_search_does(
    size: int, seed: int, order: list[int], pairs: int
) -> None:
    pool = _colleagues(size)
    # Each person in one pair at most (some pairs name people outside the pool): with two
    # cohorts or more such pairs can always be kept apart, so every one of them must be.
    people = [f"p{i:02}" for i in order]
    apart = [(people[2 * k], people[2 * k + 1]) for k in range(pairs)]
    found = compose_cohorts(
        pool, CohortConstraints(cohort_size=3), seed=seed, iterations=500, apart=apart
    )
    assert not [pair for pair in apart if _together(found, *pair)]


def test_pairs_that_cannot_be_kept_apart_are_composed_as_if_no_block_existed() -> None:
    pool = _colleagues(4)
    # One cohort: nothing can keep the pair apart; the answer must not tell the leader so.
    blocked = compose_cohorts(
        pool, CohortConstraints(cohort_size=4), seed=1, iterations=200, apart=[("p00", "p01")]
    )
    unblocked = compose_cohorts(pool, CohortConstraints(cohort_size=4), seed=1, iterations=200)
    assert blocked == unblocked

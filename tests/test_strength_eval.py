"""The evaluation's own arithmetic and its promise: parameters are chosen without the data
they are reported on."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bench.strength_eval as evaluation
from bench.strength_eval import (
    Choice,
    Contact,
    Dataset,
    held_out,
    interactions,
    questions,
    ranking_key,
    read_contacts,
    roc_auc,
    score_choices,
    select,
)
from graph.domain.model import Tie
from graph.domain.relationship import StrengthScale, assess
from graph.domain.strength import StrengthModel

scores = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30)
DAY1 = datetime(2024, 3, 4, 8, tzinfo=UTC)


def test_perfect_separation_is_one_and_reversed_is_zero() -> None:
    assert roc_auc([3.0, 4.0], [1.0, 2.0]) == 1.0
    assert roc_auc([1.0, 2.0], [3.0, 4.0]) == 0.0


@given(positives=scores, negatives=scores)
def test_auc_counts_pairs_won_with_ties_as_half(
    positives: list[float], negatives: list[float]
) -> None:
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    assert roc_auc(positives, negatives) == pytest.approx(wins / (len(positives) * len(negatives)))


def test_contacts_are_read_in_time_order_with_each_persons_class(tmp_path: Path) -> None:
    data = tmp_path / "contacts.csv"
    data.write_text("40\t2\t1\tB\tA\r\n20\t1\t3\tA\tA\r\n", encoding="utf-8")
    contacts, classes = read_contacts(data)
    assert [(c.a, c.b) for c in contacts] == [("1", "3"), ("1", "2")]
    assert classes == {"1": "A", "2": "B", "3": "A"}


def test_a_malformed_line_is_named(tmp_path: Path) -> None:
    data = tmp_path / "contacts.csv"
    data.write_text("20\t1\t3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1: expected 5 fields"):
        read_contacts(data)


def at(day: int, seconds: int = 0) -> datetime:
    return DAY1 + timedelta(days=day, seconds=seconds)


def test_records_at_most_20_s_apart_make_one_contact_event_with_its_duration() -> None:
    contacts = [
        Contact(at(0, 0), "a", "b"),
        Contact(at(0, 20), "a", "b"),
        Contact(at(0, 40), "a", "b"),
        Contact(at(0, 20), "a", "c"),
        Contact(at(0, 100), "a", "b"),
    ]
    events = interactions(sorted(contacts, key=lambda c: c.at), "event")
    assert [(i.participant_ids, i.at, i.duration_s) for i in events] == [
        (("a", "b"), at(0, 0), 60),
        (("a", "c"), at(0, 20), 20),
        (("a", "b"), at(0, 100), 20),
    ]
    assert len(interactions(contacts, "record")) == 5


@pytest.mark.parametrize(
    "scale",
    [
        StrengthScale(),
        StrengthScale(longevity_floor=0.1, embeddedness_floor=0.01),
        evaluation.MIXES["flat"],
    ],
)
def test_the_ranking_key_is_the_mass_the_domain_grows_strength_with(scale: StrengthScale) -> None:
    model = StrengthModel(half_life=timedelta(days=1))
    tie = Tie(a="a", b="b", first_at=at(0), last_at=at(2), count=5, score=3.5, score_by_a=1.0)
    found = assess(tie, at(4), model, embedded=0.3, scale=scale)
    key = ranking_key(tie, at(4), model, found.components, scale)
    assert key == pytest.approx(found.log_mass)
    doubled = replace(tie, score=7.0, score_by_a=2.0)
    assert ranking_key(doubled, at(4), model, found.components, scale) == pytest.approx(
        key + math.log(2)
    )
    assert ranking_key(tie, at(5), model, found.components, scale) == pytest.approx(
        key - math.log(2)
    )


def school() -> Dataset:
    """Two classes of four and one odd pair, over three days.

    Classmates meet once a day, so they share every other classmate; four pairs across classes
    meet ten times a day with nobody in common; the odd pair (two other classes) meets once on
    the first day only. Counting contact gets the classes wrong; shared contacts get them right.
    """
    classes = {f"a{n}": "A" for n in range(4)} | {f"b{n}": "B" for n in range(4)}
    classes |= {"x": "X", "y": "Y"}
    contacts = [Contact(at(0, 3600), "x", "y")]
    for day in range(3):
        for group in ("a", "b"):
            for i in range(4):
                for j in range(i + 1, 4):
                    contacts.append(Contact(at(day, 600 * (i + j)), f"{group}{i}", f"{group}{j}"))
        for n in range(4):
            for k in range(10):
                contacts.append(Contact(at(day, 7200 + 300 * k + 60 * n), f"a{n}", f"b{n}"))
    contacts.sort(key=lambda c: c.at)
    return Dataset("school", contacts, classes)


def test_on_data_where_shared_contacts_tell_classes_apart_selection_chooses_embeddedness() -> None:
    chosen, (same_class, meet_again) = select(school())
    assert chosen.scale.embeddedness_floor < 1.0
    assert same_class == 1.0
    assert meet_again == 1.0
    count_only = Choice("event", timedelta(days=1), "flat", evaluation.MIXES["flat"])
    assert score_choices(school(), [count_only])[count_only][0] < 0.5


def test_the_parameters_are_chosen_on_the_tuning_set_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tuning, test = school(), Dataset("held out", school().contacts, school().classes)
    seen: list[str] = []
    asked = evaluation.questions

    def watched(dataset: Dataset, unit: str, model: StrengthModel) -> tuple[object, object]:
        seen.append(dataset.name)
        return asked(dataset, unit, model)

    monkeypatch.setattr(evaluation, "questions", watched)
    chosen: list[Dataset] = []

    def choose(dataset: Dataset) -> tuple[Choice, tuple[float, float]]:
        chosen.append(dataset)
        found = select(dataset)
        assert set(seen) == {"school"}
        return found

    result = held_out(tuning, test, choose=choose, resamples=20)
    assert chosen == [tuning]
    assert chosen[0] is tuning
    assert "held out" in seen
    assert result.tuning == "school"
    assert result.held_out == "held out"
    assert result.strength == pytest.approx(score_choices(test, [result.choice])[result.choice])


def test_the_questions_label_same_class_pairs_and_pairs_that_meet_again() -> None:
    same_class, meet_again = questions(school(), "event", StrengthModel())
    labels = {c.pair: c.label for c in same_class.cases}
    assert labels[("a0", "a1")]
    assert not labels[("a0", "b0")]
    assert not labels[("x", "y")]
    again = {c.pair: c.label for c in meet_again.cases}
    assert again[("a0", "a1")]
    assert again[("a0", "b0")]
    assert not again[("x", "y")]
    counts = dict(
        zip((c.pair for c in same_class.cases), same_class.baselines["contact count"], strict=True)
    )
    assert counts[("a0", "b0")] == 30
    assert counts[("a0", "a1")] == 3
    days = dict(
        zip(
            (c.pair for c in same_class.cases),
            same_class.baselines["days with contact"],
            strict=True,
        )
    )
    assert days[("a0", "a1")] == 3
    assert days[("x", "y")] == 1


def test_a_margin_that_holds_in_every_resample_has_an_interval_above_zero() -> None:
    result = held_out(school(), school(), resamples=50)
    low, high = result.intervals[0]
    assert result.margins[0] > 0
    assert 0 < low <= result.margins[0] <= high

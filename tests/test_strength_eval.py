"""The evaluation's own arithmetic: ROC AUC and reading contact files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.strength_eval import read_contacts, roc_auc

scores = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30)


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

"""Comparing ties: every field exactly, the floating-point score to 1e-9 relative."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TypeVar

import pytest

from graph.domain.model import Tie

K = TypeVar("K")


def assert_same_ties(actual: Mapping[K, Tie], expected: Mapping[K, Tie]) -> None:
    """Assert two collections of ties agree: counts and instants exactly, scores (the total and
    each side's part) closely.

    Scores are sums of exponentials computed in different orders (and, on Neo4j, by Java),
    so they agree to rounding, not bit for bit.
    """
    assert {k: _without_scores(t) for k, t in actual.items()} == {
        k: _without_scores(t) for k, t in expected.items()
    }
    assert _scores(actual) == pytest.approx(_scores(expected), rel=1e-9, abs=1e-12)


def _without_scores(tie: Tie) -> Tie:
    return replace(tie, score=0.0, score_by_a=0.0, score_by_b=0.0)


def _scores(ties: Mapping[K, Tie]) -> dict[tuple[K, str], float]:
    """Every score of every tie, flat (approx compares flat mappings only)."""
    flat: dict[tuple[K, str], float] = {}
    for k, t in ties.items():
        flat[(k, "score")] = t.score
        flat[(k, "score_by_a")] = t.score_by_a
        flat[(k, "score_by_b")] = t.score_by_b
    return flat

"""Comparing ties: every field exactly, the floating-point score to 1e-9 relative."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TypeVar

import pytest

from graph.domain.model import Tie

K = TypeVar("K")


def assert_same_ties(actual: Mapping[K, Tie], expected: Mapping[K, Tie]) -> None:
    """Assert two collections of ties agree: counts and instants exactly, scores closely.

    Scores are sums of exponentials computed in different orders (and, on Neo4j, by Java),
    so they agree to rounding, not bit for bit.
    """
    assert {k: replace(t, score=0.0) for k, t in actual.items()} == {
        k: replace(t, score=0.0) for k, t in expected.items()
    }
    assert {k: t.score for k, t in actual.items()} == pytest.approx(
        {k: t.score for k, t in expected.items()}, rel=1e-9, abs=1e-12
    )

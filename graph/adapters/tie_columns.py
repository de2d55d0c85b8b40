"""Ties as columns: what the stores' bulk paths share (numpy arrays, one entry per tie).

:class:`TieRows` is how the embedded store's tie index loads ties in bulk and how both stores'
first loads in bulk hand ties to their writers; :func:`tie_rows_of` adds up the two-person
interactions of a first load (:class:`~graph.importing.columnar.InteractionColumns`) into ties
with numpy, equal to the store's fold of one interaction at a time
(:func:`~graph.domain.batch.merge_tie`) up to rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import orjson

from graph.domain.model import InteractionKind
from graph.domain.strength import StrengthModel

if TYPE_CHECKING:
    from graph.importing.columnar import InteractionColumns

__all__ = ["KINDS", "Floats", "Int32s", "Int64s", "TieRows", "counts_as_json", "tie_rows_of"]

KINDS: tuple[InteractionKind, ...] = tuple(InteractionKind)
"""The columns of the per-kind counts, in this order (at most 8: a kind mask is one byte)."""
_KIND_COLUMN = {kind.value: column for column, kind in enumerate(KINDS)}

Int64s = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]


def counts_as_json() -> Callable[[list[int]], bytes]:
    """A function giving a tie's counts per kind (in the order of :data:`KINDS`) as the JSON
    object the ``ties`` table stores, each distinct set of counts encoded once.

    >>> as_json = counts_as_json()
    >>> as_json([0, 0, 0, 2, 1, 0, 0, 0])
    b'{"message":2,"call":1}'
    """
    encoded: dict[tuple[int, ...], bytes] = {}

    def as_json(counts: list[int]) -> bytes:
        key = tuple(counts)
        found = encoded.get(key)
        if found is None:
            found = encoded[key] = orjson.dumps(
                {KINDS[k].value: n for k, n in enumerate(counts) if n}
            )
        return found

    return as_json


@dataclass(slots=True)
class TieRows:
    """Ties as columns, for loading in bulk (one entry per tie, ``a < b``); ``counts`` per
    kind in the order of :data:`KINDS`."""

    a: list[str]
    b: list[str]
    first_us: Int64s
    last_us: Int64s
    count: Int64s
    counts: list[tuple[int, ...]] | Int32s
    initiated_by_a: Int64s
    initiated_by_b: Int64s
    score: Floats
    score_by_a: Floats
    score_by_b: Floats

    def __len__(self) -> int:
        return len(self.a)


def tie_rows_of(interactions: InteractionColumns, model: StrengthModel) -> TieRows:
    """The ties of two-person ``interactions`` as columns, one per pair in name order; O(n log n).

    >>> from graph.importing.columnar import InteractionColumns
    >>> day = 86_400_000_000
    >>> calls = InteractionColumns("c.csv", line=[2, 3], key=["k1", "k2"], at_us=[0, 60 * day],
    ...     kind=["call", "call"], person_a=["bo", "ann"], person_b=["ann", "bo"],
    ...     initiator=["bo", None], duration_s=[None, None], channel=[None, None])
    >>> rows = tie_rows_of(calls, StrengthModel())
    >>> rows.a, rows.b, rows.count.tolist(), rows.initiated_by_b.tolist(), rows.score.tolist()
    (['ann'], ['bo'], [2], [1], [4.5])
    """
    names = sorted(set(interactions.person_a).union(interactions.person_b))
    pid = {name: n for n, name in enumerate(names)}
    n = len(interactions)
    first_ids = np.fromiter(map(pid.__getitem__, interactions.person_a), np.int64, n)
    second_ids = np.fromiter(map(pid.__getitem__, interactions.person_b), np.int64, n)
    low = np.minimum(first_ids, second_ids)
    high = np.maximum(first_ids, second_ids)
    codes, tie_of = np.unique((low << 32) | high, return_inverse=True)
    tie_of = tie_of.reshape(-1)
    ties = len(codes)
    at = np.array(interactions.at_us, np.int64)
    first = np.full(ties, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first, tie_of, at)
    last = np.full(ties, np.iinfo(np.int64).min, np.int64)
    np.maximum.at(last, tie_of, at)
    kind = np.fromiter(map(_KIND_COLUMN.__getitem__, interactions.kind), np.int64, n)
    counts = np.bincount(tie_of * len(KINDS) + kind, minlength=ties * len(KINDS))
    pid_or_no_one: dict[str | None, int] = dict(pid.items())
    pid_or_no_one[None] = len(names)
    started = np.fromiter(map(pid_or_no_one.__getitem__, interactions.initiator), np.int64, n)
    by_low = started == low
    by_high = started == high
    weights = np.array([model.weight(k, group_size=2) for k in KINDS], np.float64)
    half_life_us = model.half_life.total_seconds() * 1e6
    decayed = weights[kind] * np.exp2(-((last[tie_of] - at) / half_life_us))
    low_names, high_names = codes >> 32, codes & 0xFFFFFFFF
    return TieRows(
        a=[names[i] for i in low_names.tolist()],
        b=[names[i] for i in high_names.tolist()],
        first_us=first,
        last_us=last,
        count=np.bincount(tie_of, minlength=ties).astype(np.int64),
        counts=counts.reshape(ties, len(KINDS)).astype(np.int32),
        initiated_by_a=np.bincount(tie_of, weights=by_low, minlength=ties).astype(np.int64),
        initiated_by_b=np.bincount(tie_of, weights=by_high, minlength=ties).astype(np.int64),
        score=_sums(tie_of, decayed, ties),
        score_by_a=_sums(tie_of, decayed * by_low, ties),
        score_by_b=_sums(tie_of, decayed * by_high, ties),
    )


def _sums(groups: Any, values: Any, size: int) -> npt.NDArray[np.float64]:
    """The sum of ``values`` per group, for groups ``0..size-1``."""
    return np.bincount(groups, weights=values, minlength=size).astype(np.float64, copy=False)

"""The embedded store's ties in memory: a compact index of flat arrays, not a graph of objects.

A million people with ten million ties must fit a few gigabytes: a general-purpose graph of
Python objects costs ~500 bytes a tie, these arrays ~120. People who have ties get dense
integer ids (in the order they were first seen). Every tie has one slot in parallel numpy
arrays (its pair, first and last contact, counts per kind, who started how much, the three
decaying scores), and two entries in a CSR adjacency (``indptr``, ``neighbour``, ``slot``),
each person's row ordered strongest first by a **key** that does not change with time:

    key = ln(weighted effective score) + ln 2 * last contact / half-life

A link's log mass at a moment ``t`` (:func:`graph.domain.relationship.log_mass`) is
``key - ln 2 * t / half-life`` (or less, for contact recorded after ``t``), and its strength
grows with its mass, so one sort serves every moment: a search reads a person's links
strongest first and stops at the first whose bound is too weak (a hub's ten thousand ties cost
only the few it needs). Exact strengths are computed per link, by the same function as
everywhere else (:func:`graph.domain.relationship.link_strength_of_parts`).

Writes do not rebuild the arrays: a tie that changes is updated in its slot, a new tie takes a
new slot at the end, and both are noted in a small **delta** (per person, the slots to read
besides the sorted row: a changed tie's key only grows, so its place in the row is stale).
When the delta grows past an eighth of the ties, the index is **compacted** in bulk: slots
sorted by pair, rows rebuilt with numpy sorts, the delta emptied. In the store that happens
on a thread of its own (:class:`Compaction`): readers and writers carry on with the old
arrays and the delta meanwhile, and the new arrays are swapped in under the lock.

Why numpy and nothing more: the work is bulk sorts and gathers at load and compaction, and
membership tests over a hub's row during a search, all of which numpy does in C; scipy's
sparse matrices would add a dependency for a CSR we build in a few lines, and the search's
per-link work is small scalar arithmetic that must match the domain's to the last bit, which
a JIT (numba) would not guarantee and would add compile time to start-up.

All changes run on the event loop thread under :attr:`TieIndex.lock` (and a compaction's
swap, on its thread); searches in the search thread take the lock for each read (a row, a
tie), so they never see a tie half-written.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.adapters.tie_columns import KINDS, Int32s, Int64s, TieRows, counts_as_json
from graph.domain.batch import TieDelta, merge_tie
from graph.domain.model import InteractionKind, Tie
from graph.domain.relationship import DEFAULT_SCALE, link_strength_function, mass_strength_function
from graph.domain.strength import StrengthModel

__all__ = ["KINDS", "Compaction", "TieIndex", "TieRows", "rows_of_segment"]

_KIND_COLUMN = {kind: column for column, kind in enumerate(KINDS)}
_LN2 = math.log(2.0)
_SMALLEST_MASS = 1e-12
_KEY_SLACK = 1e-9
"""Added to every key bound: keys are computed in another order of operations than exact
strengths, so they may be a few ulps off."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_GRID = np.linspace(-60.0, 12.0, 4097)
"""Log masses at which :class:`IndexView` tabulates strengths, for vectorized bounds."""


def _micros(at: datetime) -> int:
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _instant(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _span_micros(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


class _Slots:
    """Per-tie columns with room to grow (a tie's slot is its row in every column)."""

    FIELDS: tuple[tuple[str, Any], ...] = (
        ("code", np.int64),
        ("first", np.int64),
        ("last", np.int64),
        ("count", np.int32),
        ("by_a", np.int32),
        ("by_b", np.int32),
        ("score", np.float64),
        ("score_a", np.float64),
        ("score_b", np.float64),
        ("key", np.float64),
        ("kinds", np.uint8),
        ("alive", np.bool_),
    )

    def __init__(self, capacity: int) -> None:
        self.size = 0
        self.code = np.zeros(capacity, np.int64)
        self.first = np.zeros(capacity, np.int64)
        self.last = np.zeros(capacity, np.int64)
        self.count = np.zeros(capacity, np.int32)
        self.by_a = np.zeros(capacity, np.int32)
        self.by_b = np.zeros(capacity, np.int32)
        self.score = np.zeros(capacity, np.float64)
        self.score_a = np.zeros(capacity, np.float64)
        self.score_b = np.zeros(capacity, np.float64)
        self.key = np.zeros(capacity, np.float64)
        self.kinds = np.zeros(capacity, np.uint8)
        self.alive = np.zeros(capacity, np.bool_)
        self.counts = np.zeros((capacity, len(KINDS)), np.int32)

    @property
    def capacity(self) -> int:
        return len(self.code)

    def grow(self, capacity: int) -> None:
        """Make room for ``capacity`` slots (new arrays; readers keep the old ones)."""
        for name, _ in self.FIELDS:
            old = getattr(self, name)
            new = np.zeros(capacity, old.dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)
        counts = np.zeros((capacity, len(KINDS)), np.int32)
        counts[: self.size] = self.counts[: self.size]
        self.counts = counts

    def write(self, where: Int64s | slice, rows: TieRows) -> None:
        """Set the slots at ``where`` (in order) to the ties of ``rows``: every column but
        the pair code, the order key and whether the slot is alive."""
        self.first[where] = rows.first_us
        self.last[where] = rows.last_us
        self.count[where] = rows.count
        self.by_a[where] = rows.initiated_by_a
        self.by_b[where] = rows.initiated_by_b
        self.score[where] = rows.score
        self.score_a[where] = rows.score_by_a
        self.score_b[where] = rows.score_by_b
        counts = np.asarray(rows.counts, np.int32).reshape(len(rows), len(KINDS))
        self.counts[where] = counts
        self.kinds[where] = _kind_masks(counts)

    def take(self, order: Int64s) -> _Slots:
        """A copy holding the slots at ``order``, in that order."""
        taken = _Slots(0)
        for name, _ in self.FIELDS:
            setattr(taken, name, getattr(self, name)[order])
        taken.counts = self.counts[order]
        taken.size = len(order)
        return taken


class TieIndex:
    """Every tie of the embedded store, scored by one strength model (see the module doc)."""

    def __init__(
        self, model: StrengthModel, *, compact_after: int = 50_000, background: bool = False
    ) -> None:
        self.model = model
        self._compact_after = compact_after
        """Compact once the delta holds this many ties (or an eighth of all, if more)."""
        self.background = background
        """Whether a write that fills the delta starts a :class:`Compaction` on a thread of its
        own (the store's way) rather than compacting there and then."""
        self.lock = threading.Lock()
        self._half_life_us = _span_micros(model.half_life)
        self._ids: dict[str, int] = {}
        self._names: list[str | None] = []
        self._slots = _Slots(0)
        self._compacted = 0
        """Slots ``[0, compacted)`` are sorted by pair code and indexed by the rows."""
        self._indptr: Int64s = np.zeros(1, np.int64)
        self._neighbour: Int32s = np.zeros(0, np.int32)
        self._slot_of: Int32s = np.zeros(0, np.int32)
        self._fresh: dict[int, int] = {}
        """Slots of ties added since the compaction, by pair code."""
        self._extra: dict[int, set[int]] = {}
        """Per person, slots to read besides the sorted row (new ties, and changed ones)."""
        self._stale: set[int] = set()
        """Compacted slots whose key rose since the compaction (read from ``_extra``)."""
        self._degree: list[int] = []
        self._ties = 0
        self.generation = 0
        """Counts compactions: slot numbers change with each."""
        self._table: npt.NDArray[np.float64] | None = None
        self._compaction: Compaction | None = None
        """The compaction being built off the lock, if any."""
        self._touched: list[Int64s] = []
        """Slots written (or killed) since that compaction began, to copy again at its end."""
        self._worker: threading.Thread | None = None

    # -- people ---------------------------------------------------------------------------------

    def __contains__(self, person: str) -> bool:
        """Whether the person has at least one tie."""
        pid = self._ids.get(person)
        return pid is not None and self._degree[pid] > 0

    def __len__(self) -> int:
        """How many ties there are."""
        return self._ties

    def id_of(self, person: str) -> int | None:
        return self._ids.get(person)

    def name_of(self, pid: int) -> str:
        name = self._names[pid]
        assert name is not None
        return name

    def _id(self, person: str) -> int:
        pid = self._ids.get(person)
        if pid is None:
            pid = self._ids[person] = len(self._names)
            self._names.append(person)
            self._degree.append(0)
        return pid

    def degree(self, pid: int) -> int:
        return self._degree[pid]

    @property
    def people(self) -> int:
        """How many ids were given out (people who had a tie at some point)."""
        return len(self._names)

    # -- ties -----------------------------------------------------------------------------------

    def _code(self, x: str, y: str) -> int | None:
        a, b = (x, y) if x <= y else (y, x)
        ia, ib = self._ids.get(a), self._ids.get(b)
        if ia is None or ib is None:
            return None
        return (ia << 32) | ib

    def _slot(self, code: int) -> int | None:
        """The live slot of a pair, if they have a tie."""
        slot = self._fresh.get(code)
        if slot is None and self._compacted:
            found = int(np.searchsorted(self._slots.code[: self._compacted], code))
            if found < self._compacted and int(self._slots.code[found]) == code:
                slot = found
        if slot is None or not self._slots.alive[slot]:
            return None
        return slot

    def tie(self, x: str, y: str) -> Tie | None:
        """The tie between two people, if any."""
        with self.lock:
            code = self._code(x, y)
            slot = None if code is None else self._slot(code)
            return None if slot is None else self._tie_at(slot)

    def _tie_at(self, slot: int) -> Tie:
        s = self._slots
        code = int(s.code[slot])
        row = s.counts[slot].tolist()
        return Tie(
            a=self.name_of(code >> 32),
            b=self.name_of(code & 0xFFFFFFFF),
            first_at=_instant(int(s.first[slot])),
            last_at=_instant(int(s.last[slot])),
            count=int(s.count[slot]),
            counts={KINDS[k]: n for k, n in enumerate(row) if n},
            initiated_by_a=int(s.by_a[slot]),
            initiated_by_b=int(s.by_b[slot]),
            score=float(s.score[slot]),
            score_by_a=float(s.score_a[slot]),
            score_by_b=float(s.score_b[slot]),
        )

    def _row(self, pid: int) -> Iterator[tuple[int, int]]:
        """A person's live ties as (other person, slot): the sorted row, then the delta."""
        if pid + 1 < len(self._indptr):
            lo, hi = int(self._indptr[pid]), int(self._indptr[pid + 1])
            alive, stale = self._slots.alive, self._stale
            for other, slot in zip(
                self._neighbour[lo:hi].tolist(), self._slot_of[lo:hi].tolist(), strict=True
            ):
                if alive[slot] and slot not in stale:
                    yield other, slot
        for slot in self._extra.get(pid, ()):
            if self._slots.alive[slot]:
                code = int(self._slots.code[slot])
                a, b = code >> 32, code & 0xFFFFFFFF
                yield (b if a == pid else a), slot

    def _neighbour_ids(self, pid: int) -> set[int]:
        """The ids of a person's live neighbours: the sorted row's slice, then the delta.

        A stale slot of the row is also in the delta; the set keeps its neighbour once.
        """
        found: set[int] = set()
        if pid + 1 < len(self._indptr):
            lo, hi = int(self._indptr[pid]), int(self._indptr[pid + 1])
            if hi > lo:
                alive = self._slots.alive[self._slot_of[lo:hi]]
                found.update(self._neighbour[lo:hi][alive].tolist())
        for slot in self._extra.get(pid, ()):
            if self._slots.alive[slot]:
                code = int(self._slots.code[slot])
                a, b = code >> 32, code & 0xFFFFFFFF
                found.add(b if a == pid else a)
        return found

    def contexts(
        self, person: str, others: Collection[str] | None = None
    ) -> list[tuple[Tie, str, int, int, int]]:
        """A person's ties (with ``others`` only, if given), by the other person's id, each as
        (tie, other, people both have a tie with, the person's ties, the other's ties).

        Neighbourhoods are compared as sets of ids: no name and no tie is made for a
        neighbour's neighbours.
        """
        with self.lock:
            pid = self._ids.get(person)
            if pid is None:
                return []
            mine = self._neighbour_ids(pid)
            if others is None:
                wanted = [(self.name_of(o), o) for o in mine]
            else:
                wanted = [
                    (other, o)
                    for other in set(others)
                    if (o := self._ids.get(other)) is not None and o in mine
                ]
            wanted.sort()
            found = []
            for other, o in wanted:
                code = self._code(person, other)
                slot = None if code is None else self._slot(code)
                if slot is None:  # pragma: no cover - a neighbour always has a live slot
                    continue
                theirs = self._neighbour_ids(o)
                # A set intersection walks the smaller set: a hub next door costs its row.
                shared = len(mine & theirs)
                found.append((self._tie_at(slot), other, shared, len(mine), len(theirs)))
            return found

    def neighbours(self, person: str) -> list[str]:
        """The people someone has a tie with."""
        with self.lock:
            pid = self._ids.get(person)
            if pid is None:
                return []
            return [self.name_of(other) for other, _ in self._row(pid)]

    def ties_of(self, person: str) -> list[tuple[str, Tie]]:
        """A person's ties, by the other person's id, in id order."""
        with self.lock:
            pid = self._ids.get(person)
            if pid is None:
                return []
            found = [(self.name_of(other), self._tie_at(slot)) for other, slot in self._row(pid)]
        found.sort(key=lambda item: item[0])
        return found

    def kind_mask(self, kinds: Iterable[InteractionKind]) -> int:
        mask = 0
        for kind in kinds:
            mask |= 1 << _KIND_COLUMN[kind]
        return mask

    def neighbours_of_kinds(self, person: str, mask: int) -> list[str]:
        """The people someone has a tie with that had contact of one of the kinds in ``mask``."""
        with self.lock:
            pid = self._ids.get(person)
            if pid is None:
                return []
            kinds = self._slots.kinds
            return [self.name_of(o) for o, slot in self._row(pid) if int(kinds[slot]) & mask]

    def all_ties(self) -> list[Tie]:
        """Every tie (a snapshot), gathered column by column. O(ties)."""
        with self.lock:
            s = self._slots
            slots = np.flatnonzero(s.alive[: s.size]).tolist()
            columns = list(self._columns(slots)) if slots else []
        return [_tie_of(*row) for row in columns]

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Every pair with a tie (a snapshot)."""
        with self.lock:
            s = self._slots
            codes = s.code[: s.size][s.alive[: s.size]].tolist()
        for code in codes:
            yield self.name_of(code >> 32), self.name_of(code & 0xFFFFFFFF)

    # -- writes ---------------------------------------------------------------------------------

    def _slots_of(self, pairs: Sequence[tuple[str, str]]) -> list[int | None]:
        """The live slots of many pairs at once (``None`` for a pair without a tie)."""
        codes = [self._code(x, y) for x, y in pairs]
        wanted = np.array([-1 if c is None else c for c in codes], np.int64)
        found: list[int | None] = [None] * len(codes)
        s = self._slots
        if self._compacted:
            sorted_codes = s.code[: self._compacted]
            at = np.minimum(np.searchsorted(sorted_codes, wanted), self._compacted - 1)
            hit = (sorted_codes[at] == wanted) & (wanted >= 0)
            for i in np.flatnonzero(hit).tolist():
                found[i] = int(at[i])
        fresh = self._fresh
        if fresh:
            for i, code in enumerate(codes):
                if code is not None and found[i] is None:
                    found[i] = fresh.get(code)
        alive = s.alive
        return [None if slot is None or not alive[slot] else slot for slot in found]

    def _columns(self, slots: list[int]) -> Iterator[tuple[Any, ...]]:
        """Each slot's tie as (a, b, first, last, count, counts, by a, by b, three scores),
        the times in microseconds and the counts per column of :data:`KINDS`."""
        s = self._slots
        at = np.array(slots, np.int64)
        codes = s.code[at].tolist()
        names = self._names
        return zip(
            [names[c >> 32] for c in codes],
            [names[c & 0xFFFFFFFF] for c in codes],
            s.first[at].tolist(),
            s.last[at].tolist(),
            s.count[at].tolist(),
            s.counts[at].tolist(),
            s.by_a[at].tolist(),
            s.by_b[at].tolist(),
            s.score[at].tolist(),
            s.score_a[at].tolist(),
            s.score_b[at].tolist(),
            strict=True,
        )

    def merged(self, deltas: Iterable[TieDelta]) -> list[TieDelta]:
        """The ties after ``deltas`` (one per pair), computed without changing the index (for
        a write to commit first); :meth:`put` stores them."""
        deltas = list(deltas)
        out: list[TieDelta] = []
        with self.lock:
            slots = self._slots_of([(d.a, d.b) for d in deltas])
            held = [slot for slot in slots if slot is not None]
            olds = iter(self._columns(held)) if held else iter(())
            half_life = self.model.half_life
            for delta, slot in zip(deltas, slots, strict=True):
                if slot is None:
                    out.append(
                        TieDelta(
                            a=delta.a, b=delta.b, first_at=delta.first_at,
                            last_at=delta.last_at, count=delta.count, counts=dict(delta.counts),
                            initiated_by_a=delta.initiated_by_a,
                            initiated_by_b=delta.initiated_by_b, score=delta.score,
                            score_by_a=delta.score_by_a, score_by_b=delta.score_by_b,
                        )
                    )  # fmt: skip
                    continue
                a, b, first, last, count, counts, by_a, by_b, score, sa, sb = next(olds)
                merged = TieDelta(
                    a=a, b=b, first_at=_instant(first), last_at=_instant(last), count=count,
                    counts={KINDS[k]: n for k, n in enumerate(counts) if n},
                    initiated_by_a=by_a, initiated_by_b=by_b, score=score, score_by_a=sa,
                    score_by_b=sb,
                )  # fmt: skip
                merge_tie(merged, delta, half_life)
                out.append(merged)
        return out

    def put(self, ties: Iterable[TieDelta]) -> None:
        """Store whole ties (as :meth:`merged` returned them, one per pair), replacing any
        held for the pair."""
        ties = list(ties)
        if not ties:
            return
        column = _KIND_COLUMN
        counts = np.zeros((len(ties), len(KINDS)), np.int32)
        for row, tie in enumerate(ties):
            for kind, n in tie.counts.items():
                counts[row, column[kind]] = n
        self.put_rows(
            TieRows(
                a=[t.a for t in ties],
                b=[t.b for t in ties],
                first_us=np.array([_micros(t.first_at) for t in ties], np.int64),
                last_us=np.array([_micros(t.last_at) for t in ties], np.int64),
                count=np.array([t.count for t in ties], np.int64),
                counts=counts,
                initiated_by_a=np.array([t.initiated_by_a for t in ties], np.int64),
                initiated_by_b=np.array([t.initiated_by_b for t in ties], np.int64),
                score=np.array([t.score for t in ties], np.float64),
                score_by_a=np.array([t.score_by_a for t in ties], np.float64),
                score_by_b=np.array([t.score_by_b for t in ties], np.float64),
            )
        )

    def put_rows(self, rows: TieRows) -> None:
        """Store whole ties given as columns (one per pair), replacing any held for the pair."""
        if not len(rows):
            return
        with self.lock:
            held = self._slots_of(list(zip(rows.a, rows.b, strict=True)))
            slots = np.fromiter(
                (self._place(a, b, slot) for a, b, slot in zip(rows.a, rows.b, held, strict=True)),
                np.int64,
                len(rows),
            )
            s = self._slots
            s.write(slots, rows)
            s.key[slots] = _keys(
                s.first[slots], s.last[slots], s.score[slots], s.score_a[slots],
                s.score_b[slots], s.kinds[slots], self._half_life_us,
            )  # fmt: skip
            if self._compaction is not None:
                self._touched.append(slots)
            elif len(self._fresh) + len(self._stale) > max(self._compact_after, self._ties // 8):
                if self.background:
                    self._start_in_background()
                else:
                    self._compact()

    def _place(self, a: str, b: str, slot: int | None) -> int:
        """The slot for a pair's tie: its own (``slot``), or a new one (noted in the delta)."""
        ia, ib = self._id(a), self._id(b)
        code = (ia << 32) | ib
        s = self._slots
        if slot is None:
            if s.size == s.capacity:
                s.grow(max(1024, s.capacity + s.capacity // 4))
            slot = s.size
            s.size += 1
            s.code[slot] = code
            s.alive[slot] = True
            self._fresh[code] = slot
            self._extra.setdefault(ia, set()).add(slot)
            self._extra.setdefault(ib, set()).add(slot)
            self._degree[ia] += 1
            self._degree[ib] += 1
            self._ties += 1
        elif slot < self._compacted and slot not in self._stale:
            self._stale.add(slot)
            self._extra.setdefault(ia, set()).add(slot)
            self._extra.setdefault(ib, set()).add(slot)
        return slot

    def remove_person(self, person: str) -> None:
        """Drop a person and all their ties (erasure): their id is not reused, their name
        is forgotten."""
        with self.lock:
            pid = self._ids.pop(person, None)
            if pid is None:
                return
            gone = list(self._row(pid))
            if self._compaction is not None:
                self._touched.append(np.array([slot for _, slot in gone], np.int64))
            s = self._slots
            dead = np.array([slot for _, slot in gone], np.int64)
            # Nothing of their ties stays in memory, nor in an index saved as it is.
            for name, _ in _Slots.FIELDS:
                if name != "code":
                    getattr(s, name)[dead] = 0
            s.counts[dead] = 0
            for other, slot in gone:
                self._degree[other] -= 1
                self._ties -= 1
                code = int(self._slots.code[slot])
                self._fresh.pop(code, None)
                self._stale.discard(slot)
                if other in self._extra:
                    self._extra[other].discard(slot)
            self._extra.pop(pid, None)
            self._degree[pid] = 0
            self._names[pid] = None

    def held(self, pairs: Iterable[tuple[str, str]]) -> list[tuple[Any, ...]]:
        """The ties of the given pairs that are still held, as rows of the ``ties`` table
        (a, b, first and last contact in microseconds, count, counts as JSON, by a, by b,
        the three scores), for a checkpoint."""
        counts_json = counts_as_json()
        with self.lock:
            slots = [slot for slot in self._slots_of(list(pairs)) if slot is not None]
            if not slots:
                return []
            return [
                (a, b, first, last, count, counts_json(counts), *rest)
                for a, b, first, last, count, counts, *rest in self._columns(slots)
            ]

    def segment(self, pairs: Iterable[tuple[str, str]]) -> dict[str, npt.NDArray[Any]]:
        """The ties of the given pairs that are still held, as named arrays (the two people's
        names joined by newlines, as bytes; the other columns of :class:`TieRows`), to be
        stored beside a :meth:`snapshot` and read back with :func:`rows_of_segment`."""
        with self.lock:
            found = [slot for slot in self._slots_of(list(pairs)) if slot is not None]
            at = np.array(found, np.int64)
            s = self._slots
            codes = s.code[at].tolist()
            names = self._names
            return {
                "a": _joined([names[c >> 32] for c in codes]),
                "b": _joined([names[c & 0xFFFFFFFF] for c in codes]),
                "first": s.first[at],
                "last": s.last[at],
                "count": s.count[at].astype(np.int64),
                "by_a": s.by_a[at].astype(np.int64),
                "by_b": s.by_b[at].astype(np.int64),
                "score": s.score[at],
                "score_a": s.score_a[at],
                "score_b": s.score_b[at],
                "counts": s.counts[at],
            }

    # -- bulk -----------------------------------------------------------------------------------

    def load(self, chunks: Iterable[TieRows]) -> None:
        """Fill an empty index with ties in bulk (each pair at most once), then compact."""
        with self.lock:
            assert self._ties == 0, "load fills an empty index"
            s = self._slots
            for rows in chunks:
                n = len(rows)
                if s.size + n > s.capacity:
                    s.grow(max(s.size + n, s.capacity * 2, 1024))
                known = self._ids
                for name in dict.fromkeys(rows.a + rows.b):
                    if name not in known:
                        known[name] = len(self._names)
                        self._names.append(name)
                part = slice(s.size, s.size + n)
                first_ids = np.fromiter(map(known.__getitem__, rows.a), np.int64, n)
                second_ids = np.fromiter(map(known.__getitem__, rows.b), np.int64, n)
                s.code[part] = (first_ids << 32) | second_ids
                s.write(part, rows)
                s.alive[part] = True
                s.size += n
            size = s.size
            s.key[:size] = _keys(
                s.first[:size], s.last[:size], s.score[:size], s.score_a[:size],
                s.score_b[:size], s.kinds[:size], self._half_life_us,
            )  # fmt: skip
            degree = np.bincount(
                np.concatenate([s.code[:size] >> 32, s.code[:size] & 0xFFFFFFFF]),
                minlength=len(self._names),
            )
            self._degree = degree.tolist()
            self._ties = size
            self._compact()

    def compact(self) -> None:
        """Fold the delta into the sorted arrays now (a compaction under way is dropped)."""
        with self.lock:
            self._compact()

    def _compact(self) -> None:
        """Rebuild the arrays from the live slots, holding the lock throughout."""
        job = self._begin()
        job.build()
        job._install()

    def begin_compaction(self) -> Compaction:
        """Start a compaction of the ties as they are now: :meth:`Compaction.build` it
        without the lock (readers and writers carry on meanwhile), then
        :meth:`Compaction.install` it. Replaces a compaction begun before and not installed."""
        with self.lock:
            return self._begin()

    def _begin(self) -> Compaction:
        s = self._slots
        columns = {name: getattr(s, name) for name, _ in _Slots.FIELDS}
        columns["counts"] = s.counts
        job = Compaction(self, size=s.size, people=len(self._names), columns=columns)
        self._compaction = job
        self._touched = []
        return job

    def compact_in_background(self) -> None:
        """Begin a compaction and build and install it on a thread of its own (what a write
        that fills the delta does when :attr:`background` is set)."""
        with self.lock:
            self._start_in_background()

    def _start_in_background(self) -> None:
        job = self._begin()
        self._worker = threading.Thread(target=job.run, name="tiegraph-tie-compaction", daemon=True)
        self._worker.start()

    def wait_for_compaction(self, timeout: float | None = None) -> None:
        """Return once the compaction started in the background (if any) has ended."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    @property
    def compacting(self) -> bool:
        """Whether a compaction was begun and not installed yet."""
        return self._compaction is not None

    # -- snapshot -------------------------------------------------------------------------------

    def snapshot(self, *, compact: bool = True) -> dict[str, npt.NDArray[Any]]:
        """The whole index as named arrays, to be stored and read back by
        :meth:`from_snapshot` far faster than ties are read row by row.

        Compacted first, unless ``compact`` is false: then the arrays are copied as they are,
        with the delta (O(ties) copies under the lock, but no sort), for a snapshot taken
        while requests are served.
        """
        with self.lock:
            if compact:
                self._compact()
            s = self._slots
            arrays: dict[str, npt.NDArray[Any]] = {
                name: getattr(s, name)[: s.size] for name, _ in _Slots.FIELDS
            }
            arrays["counts"] = s.counts[: s.size]
            arrays["indptr"] = self._indptr
            arrays["neighbour"] = self._neighbour
            arrays["slot_of"] = self._slot_of
            arrays["degree"] = np.array(self._degree, np.int32)
            arrays["names"] = _joined([name or "" for name in self._names])
            arrays["compacted"] = np.array([self._compacted], np.int64)
            arrays["stale"] = np.array(sorted(self._stale), np.int64)
            if not compact:  # the live arrays change as writes arrive: keep them as they are
                arrays = {name: np.array(array, copy=True) for name, array in arrays.items()}
            return arrays

    @classmethod
    def from_snapshot(
        cls, model: StrengthModel, arrays: dict[str, npt.NDArray[Any]], *, background: bool = False
    ) -> TieIndex:
        """The index :meth:`snapshot` saved (the arrays must be writable and not shared)."""
        index = cls(model, background=background)
        names: list[str | None] = list(arrays["names"].tobytes().decode().split("\n"))
        if names == [""]:
            names = []
        index._names = [name or None for name in names]
        index._ids = {name: pid for pid, name in enumerate(names) if name}
        slots = _Slots(0)
        for name, _ in _Slots.FIELDS:
            setattr(slots, name, arrays[name])
        slots.counts = arrays["counts"].reshape(-1, len(KINDS))
        slots.size = len(slots.code)
        index._slots = slots
        compacted = arrays.get("compacted")
        index._compacted = slots.size if compacted is None else int(compacted[0])
        index._indptr = arrays["indptr"]
        index._neighbour = arrays["neighbour"]
        index._slot_of = arrays["slot_of"]
        index._degree = arrays["degree"].tolist()
        index._ties = int(np.count_nonzero(slots.alive))
        stale = arrays.get("stale")
        index._stale = set() if stale is None else set(stale.tolist())
        fresh = np.arange(index._compacted, slots.size)
        fresh = fresh[slots.alive[fresh]]
        index._fresh = dict(zip(slots.code[fresh].tolist(), fresh.tolist(), strict=True))
        for slot in itertools.chain(index._stale, index._fresh.values()):
            code = int(slots.code[slot])
            index._extra.setdefault(code >> 32, set()).add(slot)
            index._extra.setdefault(code & 0xFFFFFFFF, set()).add(slot)
        return index

    # -- search ---------------------------------------------------------------------------------

    def strength_table(self) -> npt.NDArray[np.float64]:
        """Strengths at the log masses of :data:`_GRID` (computed once)."""
        if self._table is None:
            of_mass = mass_strength_function(self._half_life_us)
            self._table = np.array([of_mass(m) for m in _GRID.tolist()])
        return self._table

    def search_view(
        self,
        *,
        at: datetime,
        min_link_strength: float,
        kinds: Iterable[InteractionKind] | None,
        refusing: set[str],
        blocks: dict[str, frozenset[str]],
    ) -> IndexView:
        """A :class:`graph.domain.paths.LinkView` over the index for one search."""
        return IndexView(
            self,
            at=at,
            min_link_strength=min_link_strength,
            kinds=None if not kinds else self.kind_mask(kinds),
            refusing={pid for p in refusing if (pid := self._ids.get(p)) is not None},
            blocks={
                pid: {o for p in blocked if (o := self._ids.get(p)) is not None}
                for person, blocked in blocks.items()
                if (pid := self._ids.get(person)) is not None
            },
        )


_CATCH_UP_ROUNDS = 4
_FEW_WRITES = 2_000
"""Writes few enough to carry over under the lock at the swap (milliseconds)."""


class Compaction:
    """One compaction of a :class:`TieIndex`, built from the slots as they were when it began.

    :meth:`build` sorts and gathers without the index's lock (numpy releases the interpreter
    lock in its sorts and gathers, so a thread of its own leaves the event loop free):
    searches keep reading the old arrays plus the delta, and writes keep landing in them.
    What was written meanwhile is then carried over: each slot written or killed since the
    beginning is copied again from the live arrays (its place in its rows may be stale, so it
    is read from the delta, as a changed tie always is), and each tie added since is appended
    and becomes the new delta. :meth:`catch_up` carries over what was written during the
    build without the lock (the lock is held only to take the list of written slots);
    :meth:`install` carries over the rest, written during the catch-up, and swaps the new
    arrays in, under the lock: in time proportional to those last writes, not to the ties.
    """

    def __init__(
        self, index: TieIndex, *, size: int, people: int, columns: dict[str, npt.NDArray[Any]]
    ) -> None:
        self._index = index
        self._size = size
        self._people = people
        self._columns = columns
        """The columns as they were (a write that grows them makes new arrays; these stay)."""
        self._built: tuple[_Slots, Int64s, Int64s, Int32s, Int32s] | None = None
        self._copied = size
        """Live slots below this were carried over (those from ``size`` on were appended)."""
        self._fresh: dict[int, int] = {}
        self._extra: dict[int, set[int]] = {}
        self._stale: set[int] = set()

    def run(self) -> None:
        """Build, catch up and install (what the background thread does): catching up again
        while the writes made during the last round are many, so that few are left for the
        swap."""
        self.build()
        for _ in range(_CATCH_UP_ROUNDS):
            if self.catch_up() <= _FEW_WRITES:
                break
        self.install()

    def build(self) -> None:
        """Sort the slots by pair and each person's row by key. O(ties log ties), no lock."""
        size, columns = self._size, self._columns
        live = np.flatnonzero(columns["alive"][:size])
        order = live[np.argsort(columns["code"][live], kind="stable")]
        n = len(order)
        # Room for the ties written meanwhile, so that installing does not copy every column.
        slots = _Slots(n + max(1024, n // 16))
        for name, _ in _Slots.FIELDS:
            np.take(columns[name], order, out=getattr(slots, name)[:n])
        np.take(columns["counts"], order, axis=0, out=slots.counts[:n])
        slots.size = n
        code, key = slots.code[:n], slots.key[:n]
        a = (code >> 32).astype(np.int32)
        b = (code & 0xFFFFFFFF).astype(np.int32)
        own = np.concatenate([a, b])
        other = np.concatenate([b, a])
        slot_ids = np.concatenate([np.arange(n, dtype=np.int32)] * 2)
        # Strongest first, then (stable, a radix sort on int32) by person: rows by key.
        by_key = np.argsort(-np.concatenate([key, key]), kind="stable")
        by_row = by_key[np.argsort(own[by_key], kind="stable")]
        del by_key
        indptr = np.zeros(self._people + 1, np.int64)
        np.cumsum(np.bincount(own, minlength=self._people), out=indptr[1:])
        moved = np.full(size, -1, np.int64)
        moved[order] = np.arange(n, dtype=np.int64)
        self._built = (slots, moved, indptr, other[by_row], slot_ids[by_row])
        self._columns = {}

    def catch_up(self) -> int:
        """Carry over what was written since the beginning (or the last catch-up), mostly
        without the lock: a slot written while this copies is noted again, and carried over
        by the next catch-up or :meth:`install`. Return how many writes it carried over."""
        index = self._index
        with index.lock:
            if index._compaction is not self:
                return 0
            touched, index._touched = index._touched, []
            upto = index._slots.size
        writes = sum(map(len, touched)) + max(0, upto - self._copied)
        self._carry_over(touched, upto)
        return writes

    def install(self) -> bool:
        """Swap the built arrays in, unless another compaction replaced this one; say whether
        it was installed."""
        with self._index.lock:
            return self._install()

    def _carry_over(self, touched: list[Int64s], upto: int) -> None:
        """Copy the slots in ``touched`` again, append the live slots up to ``upto``, and note
        both in the new delta."""
        assert self._built is not None, "build before carrying writes over"
        slots, moved = self._built[0], self._built[1]
        live = self._index._slots
        n, first = self._n(), self._copied
        written = np.unique(np.concatenate(touched)) if touched else np.zeros(0, np.int64)
        written = written[written < first]  # those from ``first`` on are appended below
        new = np.full(len(written), -1, np.int64)
        sorted_part = written < self._size
        new[sorted_part] = moved[written[sorted_part]]
        new[~sorted_part] = n + written[~sorted_part] - self._size
        kept = new >= 0
        written, new = written[kept], new[kept]
        added = np.arange(first, upto, dtype=np.int64)
        to = n + added - self._size
        if n + upto - self._size > slots.capacity:
            slots.grow(n + upto - self._size + max(1024, n // 16))
        for name, _ in _Slots.FIELDS:
            column = getattr(slots, name)
            source = getattr(live, name)
            column[new] = source[written]
            column[to] = source[added]
        slots.counts[new] = live.counts[written]
        slots.counts[to] = live.counts[added]
        slots.size = max(slots.size, n + upto - self._size)
        self._copied = max(first, upto)
        # The new delta: changed ties of the sorted part are stale there, added ones fresh.
        alive = slots.alive
        changed = new[(new < n) & alive[new]].tolist()
        self._stale.update(changed)
        gone = new[(new >= n) & ~alive[new]]
        for code, slot in zip(slots.code[gone].tolist(), gone.tolist(), strict=True):
            if self._fresh.get(code) == slot:
                del self._fresh[code]
        born = to[alive[to]]
        codes = slots.code[born].tolist()
        self._fresh.update(zip(codes, born.tolist(), strict=True))
        extra = self._extra
        for code, slot in zip(
            itertools.chain(slots.code[changed].tolist(), codes),
            itertools.chain(changed, born.tolist()),
            strict=True,
        ):
            extra.setdefault(code >> 32, set()).add(slot)
            extra.setdefault(code & 0xFFFFFFFF, set()).add(slot)

    def _n(self) -> int:
        """How many slots the sorted part holds."""
        assert self._built is not None
        return len(self._built[3]) // 2

    def _install(self) -> bool:
        index = self._index
        if index._compaction is not self:
            return False
        assert self._built is not None, "build before install"
        self._carry_over(index._touched, index._slots.size)
        slots, _, indptr, neighbour, slot_of = self._built
        index._slots = slots
        index._compacted = self._n()
        index._indptr = indptr
        index._neighbour = neighbour
        index._slot_of = slot_of
        index._fresh = self._fresh
        index._extra = self._extra
        index._stale = self._stale
        index._compaction = None
        index._touched = []
        index.generation += 1
        self._built = None
        return True


def _joined(names: list[str]) -> npt.NDArray[np.uint8]:
    """Names joined by newlines, as an array of bytes (names hold no newline)."""
    return np.frombuffer("\n".join(names).encode(), np.uint8).copy()


def rows_of_segment(arrays: dict[str, npt.NDArray[Any]]) -> TieRows:
    """The ties a :meth:`TieIndex.segment` holds, as columns for :meth:`TieIndex.put_rows`."""
    a = arrays["a"].tobytes().decode().split("\n")
    b = arrays["b"].tobytes().decode().split("\n")
    if a == [""]:
        a, b = [], []
    return TieRows(
        a=a,
        b=b,
        first_us=arrays["first"],
        last_us=arrays["last"],
        count=arrays["count"],
        counts=arrays["counts"].reshape(-1, len(KINDS)),
        initiated_by_a=arrays["by_a"],
        initiated_by_b=arrays["by_b"],
        score=arrays["score"],
        score_by_a=arrays["score_a"],
        score_by_b=arrays["score_b"],
    )


def _tie_of(
    a: str, b: str, first: int, last: int, count: int, counts: list[int], by_a: int, by_b: int,
    score: float, score_a: float, score_b: float,
) -> Tie:  # fmt: skip
    """A tie from its columns (as :meth:`TieIndex._columns` gives them)."""
    return Tie(
        a=a, b=b, first_at=_instant(first), last_at=_instant(last), count=count,
        counts={KINDS[k]: n for k, n in enumerate(counts) if n}, initiated_by_a=by_a,
        initiated_by_b=by_b, score=score, score_by_a=score_a, score_by_b=score_b,
    )  # fmt: skip


def _kind_masks(counts: npt.NDArray[np.int32]) -> npt.NDArray[np.uint8]:
    """One bit per kind a tie had contact of, in the order of :data:`KINDS`."""
    bits = (counts > 0).astype(np.uint8) << np.arange(len(KINDS), dtype=np.uint8)
    masks: npt.NDArray[np.uint8] = bits.sum(axis=1, dtype=np.uint8)
    return masks


def _keys(
    first: Int64s,
    last: Int64s,
    score: npt.NDArray[np.float64],
    score_a: npt.NDArray[np.float64],
    score_b: npt.NDArray[np.float64],
    kinds: npt.NDArray[np.uint8],
    half_life_us: int,
) -> npt.NDArray[np.float64]:
    """Each tie's key (see the module doc): the log of its weighted effective score, moved to
    the Unix epoch, so that ``key - ln 2 * t / half-life`` bounds its log mass at ``t``."""
    scale = DEFAULT_SCALE
    effective = np.maximum(0.0, score - (1.0 - scale.one_way) * np.abs(score_a - score_b))
    span = (last - first).astype(np.float64)
    longevity = 1.0 - np.power(2.0, -(span / _span_micros(scale.longevity_half)))
    distinct = np.unpackbits(kinds[:, None], axis=1).sum(axis=1)
    diversity = np.minimum(1.0, distinct / scale.diversity_kinds)
    quality = (
        scale.base
        + scale.diversity_weight * diversity
        + scale.longevity_weight * longevity
        + scale.embeddedness_weight * 0.0
    )
    evidence = (scale.longevity_floor + (1.0 - scale.longevity_floor) * longevity) * (
        scale.embeddedness_floor
    )
    weighted = np.maximum(effective * quality * evidence, _SMALLEST_MASS)
    result: npt.NDArray[np.float64] = np.log(weighted) + _LN2 * (
        last.astype(np.float64) / half_life_us
    )
    return result


class IndexView:
    """The links of one search over a :class:`TieIndex`, on integer ids.

    Strengths are exact (:func:`~graph.domain.relationship.link_strength_of_parts`, through
    the function :func:`~graph.domain.relationship.link_strength_function` makes once per
    search) and computed once per tie per search; a person's links are read strongest first
    by their key and no further than the floor asked for. Bounds come from a table of the
    strength at log masses a little apart, rounded up (so a bound is never below the exact
    strength).
    """

    def __init__(
        self,
        index: TieIndex,
        *,
        at: datetime,
        min_link_strength: float,
        kinds: int | None,
        refusing: set[int],
        blocks: dict[int, set[int]],
    ) -> None:
        self._index = index
        self._at_us = _micros(at)
        self._shift = _LN2 * (self._at_us / index._half_life_us)
        self._half_life = index.model.half_life
        self._min = min_link_strength
        self._kinds = kinds
        self._refusing = refusing
        self._blocks = blocks
        self._involved = set(blocks).union(*blocks.values()) if blocks else set()
        self._generation = index.generation
        self._strength: dict[int, float] = {}
        self._read: dict[int, tuple[float, list[tuple[int, float]]]] = {}
        self._table = index.strength_table()
        self._link_strength = link_strength_function(index._half_life_us)

    def _fresh_generation(self) -> None:
        if self._generation != self._index.generation:  # compacted meanwhile: slots moved
            self._generation = self._index.generation
            self._strength.clear()
            self._read.clear()

    def _bounds(self, keys: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The most links of these keys can be worth now (each at or above the exact)."""
        above = np.searchsorted(_GRID, keys - self._shift + _KEY_SLACK, side="left")
        bounds: npt.NDArray[np.float64] = np.where(
            above >= len(_GRID), 1.0, self._table[np.minimum(above, len(_GRID) - 1)]
        )
        return bounds

    def _exact_many(self, slots: list[int]) -> list[float]:
        """The exact strengths of these ties, computing those not known yet in one gather."""
        known = self._strength
        missing = [slot for slot in slots if slot not in known]
        if missing:
            s = self._index._slots
            at = np.array(missing, np.int64)
            strength = self._link_strength
            now = self._at_us
            for slot, first, last, score, by_a, by_b, kinds in zip(
                missing,
                s.first[at].tolist(),
                s.last[at].tolist(),
                s.score[at].tolist(),
                s.score_a[at].tolist(),
                s.score_b[at].tolist(),
                s.kinds[at].tolist(),
                strict=True,
            ):
                known[slot] = strength(
                    max(0, now - last), last - first, score, by_a, by_b, kinds.bit_count()
                )
        return [known[slot] for slot in slots]

    def _keep(
        self, pid: int, others: list[int], slots: list[int], floor: float, *, from_row: bool
    ) -> list[tuple[int, float]]:
        """The usable links among candidates, exactly at or above ``floor`` (from the sorted
        row, a changed tie is skipped: the delta holds it)."""
        s = self._index._slots
        stale = self._index._stale if from_row else set()
        kinds = self._kinds
        involved = self._involved
        chosen_others = []
        chosen_slots = []
        masks = s.kinds[np.array(slots, np.int64)].tolist() if kinds is not None else None
        for i, (other, slot) in enumerate(zip(others, slots, strict=True)):
            if slot in stale:
                continue
            if masks is not None and not masks[i] & kinds:
                continue
            if pid in involved and other in involved and self.apart(pid, other):
                continue
            chosen_others.append(other)
            chosen_slots.append(slot)
        strengths = self._exact_many(chosen_slots)
        return [
            (other, strength)
            for other, strength in zip(chosen_others, strengths, strict=True)
            if strength >= floor
        ]

    def links(self, person: int, floor: float) -> list[tuple[int, float]]:
        floor = max(floor, self._min)
        with self._index.lock:
            self._fresh_generation()
            done = self._read.get(person)
            if done is not None and done[0] <= floor:
                return [(o, w) for o, w in done[1] if w >= floor]
            found = self._links(person, floor, None)
        self._read[person] = (floor, found)
        return found

    def links_among(
        self, person: int, people: npt.NDArray[np.bool_], floor: float
    ) -> list[tuple[int, float]]:
        floor = max(floor, self._min)
        with self._index.lock:
            self._fresh_generation()
            done = self._read.get(person)
            if done is not None and done[0] <= floor:
                return [(o, w) for o, w in done[1] if w >= floor and people[o]]
            return self._links(person, floor, people)

    def _links(
        self, pid: int, floor: float, among: npt.NDArray[np.bool_] | None
    ) -> list[tuple[int, float]]:
        """A person's usable links at or above ``floor`` (to ``among``, if given), strongest
        first: the row up to where its bounds fall below the floor, then the delta."""
        index = self._index
        s = index._slots
        found: list[tuple[int, float]] = []
        if pid + 1 < len(index._indptr):
            lo, hi = int(index._indptr[pid]), int(index._indptr[pid + 1])
            slots = index._slot_of[lo:hi]
            # The row is ordered by key, so the links that may reach the floor are a prefix.
            end = int(np.count_nonzero(self._bounds(s.key[slots]) >= floor))
            others = index._neighbour[lo : lo + end]
            slots = slots[:end]
            keep = s.alive[slots]
            if among is not None:
                keep &= among[others]
            found = self._keep(
                pid, others[keep].tolist(), slots[keep].tolist(), floor, from_row=True
            )
        extra = [
            (other, slot) for other, slot in self._extra_of(pid) if among is None or among[other]
        ]
        if extra:
            others_extra, slots_extra = zip(*extra, strict=True)
            found += self._keep(pid, list(others_extra), list(slots_extra), floor, from_row=False)
        found.sort(key=lambda item: -item[1])
        return found

    def _extra_of(self, pid: int) -> list[tuple[int, int]]:
        index = self._index
        s = index._slots
        out = []
        for slot in index._extra.get(pid, ()):
            if s.alive[slot]:
                code = int(s.code[slot])
                a, b = code >> 32, code & 0xFFFFFFFF
                out.append((b if a == pid else a, slot))
        return out

    def reach(self, people: Iterable[int]) -> npt.NDArray[np.bool_]:
        index = self._index
        with index.lock:
            marks = np.zeros(index.people, np.bool_)
            rows = []
            for pid in people:
                marks[pid] = True
                if pid + 1 < len(index._indptr):
                    rows.append(index._neighbour[index._indptr[pid] : index._indptr[pid + 1]])
                for other, _ in self._extra_of(pid):
                    marks[other] = True
            if rows:
                marks[np.concatenate(rows)] = True
        return marks

    def marks(self, people: Iterable[int]) -> npt.NDArray[np.bool_]:
        marks = np.zeros(self._index.people, np.bool_)
        marks[list(people)] = True
        return marks

    def may_pass(self, person: int) -> bool:
        return person not in self._refusing

    def apart(self, one: int, other: int) -> bool:
        if one not in self._involved or other not in self._involved:
            return False
        return other in self._blocks.get(one, ()) or one in self._blocks.get(other, ())

    def degree(self, person: int) -> int:
        return self._index.degree(person)

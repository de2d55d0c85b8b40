"""The whole graph of a store in a canonical form, to tell whether two stores hold the same.

Records of every kind in id order, encoded as the JSON Lines format writes them; every tie once,
with its counts, who initiated, and its scores. Scores are sums of decaying floats whose last
bits depend on the order the interactions arrived in, so they are compared to 1e-9 relative
(the tolerance the stores guarantee against ties recomputed from history); everything else
must be equal exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from graph.domain.codec import ENTITY_KINDS, Record, encode, record_id
from graph.domain.model import Person
from graph.ports import GraphStore

__all__ = ["GraphDump", "dump_graph"]

_SCORES = ("score", "score_by_a", "score_by_b")


@dataclass(frozen=True)
class GraphDump:
    """Records by kind and ties by pair, each as plain data."""

    records: dict[str, list[dict[str, Any]]]
    ties: dict[tuple[str, str], dict[str, Any]]

    def sizes(self) -> dict[str, int]:
        """Count the records of each kind, and the ties."""
        return {**{k: len(v) for k, v in self.records.items()}, "tie": len(self.ties)}

    def differences(self, other: GraphDump, *, shown: int = 5) -> list[str]:
        """Describe how ``other`` differs (at most ``shown`` items per kind); empty if alike."""
        found: list[str] = []
        for kind in sorted(set(self.records) | set(other.records)):
            mine, theirs = self.records.get(kind, []), other.records.get(kind, [])
            if mine != theirs:
                left = {_key(r): r for r in mine}
                right = {_key(r): r for r in theirs}
                odd = sorted(k for k in left.keys() | right.keys() if left.get(k) != right.get(k))
                found.append(f"{kind}: {len(odd)} differ, e.g. {odd[:shown]}")
        pairs = sorted(self.ties.keys() | other.ties.keys())
        odd_ties = [p for p in pairs if not _same_tie(self.ties.get(p), other.ties.get(p))]
        if odd_ties:
            found.append(f"ties: {len(odd_ties)} differ, e.g. {odd_ties[:shown]}")
        return found


def _key(values: dict[str, Any]) -> str:
    return str(values.get("id", values.get("key")))


def _same_tie(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    if a is None or b is None:
        return a is b
    exact = {k: v for k, v in a.items() if k not in _SCORES}
    if exact != {k: v for k, v in b.items() if k not in _SCORES}:
        return False
    return all(math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-12) for k in _SCORES)


async def dump_graph(store: GraphStore) -> GraphDump:
    """Read every record and every tie of ``store``."""
    records: dict[str, list[dict[str, Any]]] = {}
    people: list[str] = []
    for name, kind in ENTITY_KINDS.items():
        found: list[Record] = []
        after: str | None = None
        while True:
            page = await store.list_records(kind, first=500, after=after)
            found += page.items
            if not page.has_next:
                break
            after = record_id(page.items[-1])
        records[name] = [{"id": record_id(r), **encode(r)} for r in found]
        if kind is Person:
            people = [record_id(r) for r in found]
    ties: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(people), 500):
        for person_ties in (await store.ties_of(people[start : start + 500])).values():
            for tie in person_ties:
                ties[(tie.a, tie.b)] = {
                    "first_at": tie.first_at.isoformat(),
                    "last_at": tie.last_at.isoformat(),
                    "count": tie.count,
                    "counts": sorted((k.value, n) for k, n in tie.counts.items()),
                    "initiated_by_a": tie.initiated_by_a,
                    "initiated_by_b": tie.initiated_by_b,
                    **{k: getattr(tie, k) for k in _SCORES},
                }
    return GraphDump(records=records, ties=ties)

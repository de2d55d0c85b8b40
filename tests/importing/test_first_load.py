"""A bulk first load plans the same import as the store applies it: the embedded store is the
oracle for the report (counts and refused lines), the people, the interactions and the ties.

The load into Neo4j itself is tested against a real server in
``tests/cli/test_import_bulk_neo4j.py``.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.adapters.embedded.store import EmbeddedStore
from graph.adapters.neo4j.bulk import FirstLoad, UnsupportedRecord
from graph.domain.batch import WriteBatch
from graph.domain.errors import InvalidInput
from graph.domain.model import Group, Interaction, Person
from graph.domain.strength import StrengthModel
from graph.importing.runner import ImportReport, import_interaction_files
from tests.factories import interaction

HEADER = "at,person_a,person_b,kind,duration_s,initiator,channel,key"


def contacts_csv(path: Path, *, seed: int, rows: int, people: int) -> Path:
    """Contacts among a few people, with repeats, conflicting keys and refused lines."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    lines = [HEADER]
    for n in range(rows):
        a, b = rng.sample(range(people), 2)
        at = (start + timedelta(minutes=rng.randrange(500_000))).isoformat()
        kind = rng.choice(["call", "message", "contact"])
        key = f"k{rng.randrange(rows)}" if rng.random() < 0.3 else ""  # repeats, conflicts
        initiator = rng.choice([f"p{a}", f"p{b}", ""])
        lines.append(f"{at},p{a},p{b},{kind},{rng.choice(['', '30'])},{initiator},,{key}")
        if n % 17 == 0:
            lines.append(f"not-a-time,p{a},p{b},call,,,,")
        if n % 23 == 0:
            lines.append(f"{at},p{a},p{a},call,,,,")  # the same person twice
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def report_of(report: ImportReport) -> tuple[object, ...]:
    kinds = {kind: (c.created, c.updated, c.unchanged, c.rejected) for kind, c in report.rows()}
    return kinds, [str(problem) for problem in report.problems]


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    batch_size=st.sampled_from([1, 7, 50, 10_000]),
    create_missing=st.booleans(),
)
async def test_a_first_load_plans_what_the_store_applies(
    tmp_path_factory: pytest.TempPathFactory, seed: int, batch_size: int, create_missing: bool
) -> None:
    tmp = tmp_path_factory.mktemp("first-load")
    csv = contacts_csv(tmp / "contacts.csv", seed=seed, rows=120, people=12)
    store = EmbeddedStore(tmp / "store")
    await store.open()
    try:
        stored = await import_interaction_files(
            store, [csv], create_missing_people=create_missing, batch_size=batch_size
        )
        load = FirstLoad(store.model)
        planned = await import_interaction_files(
            load, [csv], create_missing_people=create_missing, batch_size=batch_size
        )

        assert report_of(planned) == report_of(stored)
        people = await store.get(Person, load.people.keys() | {f"p{i}" for i in range(12)})
        assert load.people == people
        assert load.interactions == await store.get(Interaction, load.interactions.keys())
        assert len(load.interactions) == planned.kinds["interaction"].created
        ties = await store.ties_of(list(people))
        held = {(t.a, t.b): t for found in ties.values() for t in found}
        assert load.ties.keys() == held.keys()
        for pair, delta in load.ties.items():
            tie = delta.as_tie()
            assert (tie.count, tie.counts, tie.first_at, tie.last_at) == (
                held[pair].count,
                held[pair].counts,
                held[pair].first_at,
                held[pair].last_at,
            )
            assert (tie.initiated_by_a, tie.initiated_by_b) == (
                held[pair].initiated_by_a,
                held[pair].initiated_by_b,
            )
            assert math.isclose(tie.score, held[pair].score, rel_tol=1e-9)
    finally:
        await store.close()


async def test_a_refused_batch_changes_nothing_in_the_load() -> None:
    load = FirstLoad(StrengthModel())
    await load.apply(WriteBatch(people=[Person(id="ann", name="Ann")]))
    with pytest.raises(InvalidInput, match="no person has this id"):
        await load.apply(WriteBatch(interactions=[interaction("k1", "ann", "nobody")]))
    assert load.interactions == {}
    assert load.ties == {}
    assert load.changes == []


async def test_a_first_load_refuses_records_it_cannot_write_in_bulk() -> None:
    load = FirstLoad(StrengthModel())
    with pytest.raises(UnsupportedRecord):
        await load.apply(WriteBatch(groups=[Group(id="g", name="G")]))

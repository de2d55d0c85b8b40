"""A first load in bulk leaves the embedded store exactly as the transactional import does.

The transactional import (``tiegraph import --no-bulk``) is the oracle: for a random CSV --
bad lines, blank lines, repeats equal and different, explicit keys, unknown people, with and
without ``--create-missing-people``, read whole or in two parts -- the bulk load must give the
same report (counts and every problem: the file fits one batch, whose rule for repeats the bulk
load applies to the whole file), the same people, the same rows of interactions and of their
per-person index, the same ties (scores up to rounding), before and after the store is opened
again, and the same answers to path searches.
"""

from __future__ import annotations

import math
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.adapters.embedded.bulk import HoldsInteractions
from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.batch import WriteBatch
from graph.domain.model import Interaction, InteractionKind, Person, Tie
from graph.domain.paths import Strategy
from graph.importing.columnar import InteractionColumns, plan_first_load, read_part
from graph.importing.runner import ImportReport, import_files
from tests.importing.test_columnar import csv_lines


def report_of(report: ImportReport) -> tuple[object, ...]:
    kinds = {kind: (c.created, c.updated, c.unchanged, c.rejected) for kind, c in report.rows()}
    return kinds, [str(problem) for problem in report.problems]


def read_in_parts(path: Path, cut: int | None) -> InteractionColumns:
    """Read ``path`` whole, or in two parts cut after its ``cut``-th line break."""
    data = path.read_bytes()
    breaks = [n + 1 for n, byte in enumerate(data) if byte == ord("\n")]
    if cut is None or b'"' in data or b"\r" in data or len(breaks) < 2:
        return read_part(path, source=str(path))
    start = breaks[min(cut, len(breaks) - 1) - 1]
    header = [c.strip() for c in data[: breaks[0]].decode().split(",")]
    columns = read_part(path, source=str(path), end=start)
    columns.extend(
        read_part(
            path,
            source=str(path),
            start=start,
            header=header,
            first_line=data.count(b"\n", 0, start) + 1,
        )
    )
    return columns


async def load_in_bulk(
    store: EmbeddedStore, path: Path, *, create_missing_people: bool, cut: int | None
) -> ImportReport:
    planned = plan_first_load(
        [read_in_parts(path, cut)],
        stored_people=await store.person_ids(),
        create_missing_people=create_missing_people,
    )
    await store.load_first(people=planned.people, interactions=planned.interactions)
    return planned.report


def rows(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data_dir / "tiegraph.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def assert_same_ties(actual: list[Tie], expected: list[Tie]) -> None:
    assert [(t.a, t.b) for t in actual] == [(t.a, t.b) for t in expected]
    for mine, theirs in zip(actual, expected, strict=True):
        scores = ("score", "score_by_a", "score_by_b")
        for name in scores:
            # Scores decayed for centuries are subnormal: their last digits are rounding.
            assert math.isclose(
                getattr(mine, name), getattr(theirs, name), rel_tol=1e-9, abs_tol=1e-300
            )
        assert {n: v for n, v in vars_of(mine).items() if n not in scores} == {
            n: v for n, v in vars_of(theirs).items() if n not in scores
        }


def vars_of(tie: Tie) -> dict[str, object]:
    return {name: getattr(tie, name) for name in tie.__dataclass_fields__}


async def ties_of(store: EmbeddedStore) -> list[Tie]:
    graph = store.tie_graph()
    ties: list[Tie] = [graph.edges[a, b]["tie"] for a, b in graph.edges]
    return sorted(ties, key=lambda tie: (tie.a, tie.b))


async def answers_of(store: EmbeddedStore, people: list[str]) -> list[object]:
    """What path searches answer between every two people."""
    found: list[object] = []
    at = datetime(2030, 1, 1, tzinfo=UTC)
    for source in people:
        found.append(await store.neighbourhood(source, max_hops=2))
        for target in people:
            if source == target:
                continue
            found.append(await store.distance(source, target, limit=3))
            paths = await store.introduction_paths(
                source, target, max_hops=3, first=3, strategy=Strategy.STRONGEST,
                min_link_strength=0.0, at=at,
            )  # fmt: skip
            found.append([(p.people, [round(link, 9) for link in p.links]) for p in paths])
    return found


async def opened(data_dir: Path) -> EmbeddedStore:
    store = EmbeddedStore(data_dir)
    await store.open()
    return store


async def with_ann(data_dir: Path) -> EmbeddedStore:
    """A store that holds one person and nothing else."""
    store = await opened(data_dir)
    batch = WriteBatch()
    batch.add(Person(id="ann", name="Ann"))
    await store.apply(batch)
    return store


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=csv_lines(),
    create_missing_people=st.booleans(),
    cut=st.none() | st.integers(1, 40),
)
async def test_a_first_load_in_bulk_equals_the_transactional_import(
    lines: list[str], create_missing_people: bool, cut: int | None
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        path = root / "contacts.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        bulk, transactional = await with_ann(root / "bulk"), await with_ann(root / "tx")
        try:
            loaded = await load_in_bulk(
                bulk, path, create_missing_people=create_missing_people, cut=cut
            )
            imported = await import_files(
                transactional, [path], create_missing_people=create_missing_people
            )
            assert report_of(loaded) == report_of(imported)
            assert await bulk.counts() == await transactional.counts()
            assert_same_ties(await ties_of(bulk), await ties_of(transactional))
        finally:
            await bulk.close()
            await transactional.close()
        for sql in (
            "SELECT * FROM interactions ORDER BY seq",
            "SELECT * FROM interaction_people ORDER BY person, at_us, seq",
            "SELECT kind, id, data FROM records ORDER BY kind, id",
            "SELECT * FROM refs ORDER BY kind, ref_kind, ref, at, id",
            "SELECT value FROM meta WHERE key IN ('ties_through', 'strength_model') ORDER BY key",
        ):
            assert rows(root / "bulk", sql) == rows(root / "tx", sql), sql
        # Opened again: the bulk load's saved index, the other's checkpoint and replay.
        bulk, transactional = await opened(root / "bulk"), await opened(root / "tx")
        try:
            assert_same_ties(await ties_of(bulk), await ties_of(transactional))
            people = sorted({p for t in await ties_of(bulk) for p in (t.a, t.b)})[:4]
            assert await answers_of(bulk, people) == await answers_of(transactional, people)
            for person in people:
                assert await bulk.interactions_of(person) == await transactional.interactions_of(
                    person
                )
        finally:
            await bulk.close()
            await transactional.close()


async def test_a_store_that_holds_interactions_takes_no_first_load(tmp_path: Path) -> None:
    store = await with_ann(tmp_path)
    try:
        batch = WriteBatch()
        batch.add(Person(id="bo", name="Bo"))
        batch.add(
            Interaction(
                key="k", at=datetime(2024, 5, 1, tzinfo=UTC), kind=InteractionKind.CALL,
                participant_ids=("ann", "bo"),
            )
        )  # fmt: skip
        await store.apply(batch)
        before = await store.counts()
        columns = read_part(write(tmp_path / "c.csv", "1714564800,ann,bo,message"), source="c")
        planned = plan_first_load(
            [columns], stored_people={"ann", "bo"}, create_missing_people=False
        )
        with pytest.raises(HoldsInteractions):
            await store.load_first(people=planned.people, interactions=planned.interactions)
        assert await store.counts() == before
    finally:
        await store.close()


async def test_a_load_that_fails_midway_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph.adapters.embedded import bulk

    store = await with_ann(tmp_path)
    try:
        columns = read_part(write(tmp_path / "c.csv", "1714564800,ann,bo,message"), source="c")
        planned = plan_first_load([columns], stored_people={"ann"}, create_missing_people=True)

        def broken(*args: object) -> None:
            raise OSError("disk gone")

        monkeypatch.setattr(bulk, "_tie_table_rows", broken)  # after interactions and people
        with pytest.raises(OSError, match="disk gone"):
            await store.load_first(people=planned.people, interactions=planned.interactions)
    finally:
        await store.close()
    for table in ("interactions", "interaction_people", "ties", "changes"):
        assert rows(tmp_path, f"SELECT count(*) FROM {table}") == [(0,)]  # noqa: S608
    assert rows(tmp_path, "SELECT id FROM records") == [("ann",)]


def write(path: Path, *lines: str) -> Path:
    path.write_text("at,person_a,person_b,kind\n" + "".join(f"{line}\n" for line in lines))
    return path


def key_indexes(data_dir: Path) -> list[tuple[str, int]]:
    """The interactions table's indexes, with whether each is unique."""
    return sorted((name, unique) for _, name, unique, *_ in rows(
        data_dir, "PRAGMA index_list(interactions)"
    ))  # fmt: skip


def made_before_the_key_index_had_a_name(data_dir: Path) -> None:
    """Make the (empty) interactions table again as stores made before had it: the keys
    unique by a constraint of the table."""
    with sqlite3.connect(data_dir / "tiegraph.sqlite3") as conn:
        conn.execute("DROP TABLE interactions")
        conn.execute(
            "CREATE TABLE interactions (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,"
            " at_us INTEGER NOT NULL, kind TEXT NOT NULL, participants TEXT NOT NULL,"
            " initiator TEXT, duration_s INTEGER, channel TEXT, group_size INTEGER)"
        )


def stored_again(data_dir: Path) -> None:
    """Store the first interaction again under its key, behind the store's back."""
    with sqlite3.connect(data_dir / "tiegraph.sqlite3") as conn:
        conn.execute(
            "INSERT INTO interactions (key, at_us, kind, participants)"
            " SELECT key, at_us + 1, kind, participants FROM interactions WHERE seq = 1"
        )


async def test_a_new_store_and_a_first_load_keep_interaction_keys_unique(tmp_path: Path) -> None:
    store = await with_ann(tmp_path)
    try:
        assert key_indexes(tmp_path) == [("interactions_by_key", 1)]
        await load_in_bulk(
            store,
            write(tmp_path / "c.csv", "1714564800,ann,bo,message", "1714564801,bo,cy,call"),
            create_missing_people=True,
            cut=None,
        )
    finally:
        await store.close()

    assert key_indexes(tmp_path) == [("interactions_by_key", 1)]
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        stored_again(tmp_path)


async def test_a_store_whose_keys_are_unique_by_the_table_keeps_that_form_until_a_first_load(
    tmp_path: Path,
) -> None:
    await (await with_ann(tmp_path)).close()
    made_before_the_key_index_had_a_name(tmp_path)
    store = await opened(tmp_path)
    await store.close()
    assert key_indexes(tmp_path) == [("sqlite_autoindex_interactions_1", 1)]

    store = await opened(tmp_path)
    try:
        await load_in_bulk(
            store,
            write(tmp_path / "c.csv", "1714564800,ann,bo,message", "1714564801,bo,cy,call"),
            create_missing_people=True,
            cut=None,
        )
        assert len(await store.interactions_of("bo")) == 2
    finally:
        await store.close()

    assert key_indexes(tmp_path) == [("interactions_by_key", 1)]
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        stored_again(tmp_path)


async def test_a_load_that_fails_midway_leaves_the_key_constraint_of_an_older_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph.adapters.embedded import bulk

    await (await with_ann(tmp_path)).close()
    made_before_the_key_index_had_a_name(tmp_path)
    store = await opened(tmp_path)
    try:
        columns = read_part(write(tmp_path / "c.csv", "1714564800,ann,bo,message"), source="c")
        planned = plan_first_load([columns], stored_people={"ann"}, create_missing_people=True)

        def broken(*args: object) -> None:
            raise OSError("disk gone")

        monkeypatch.setattr(bulk, "_tie_table_rows", broken)
        with pytest.raises(OSError, match="disk gone"):
            await store.load_first(people=planned.people, interactions=planned.interactions)
    finally:
        await store.close()

    assert key_indexes(tmp_path) == [("sqlite_autoindex_interactions_1", 1)]
    assert rows(tmp_path, "SELECT count(*) FROM interactions") == [(0,)]


def test_a_key_of_an_earlier_file_repeated_in_a_later_one_is_unchanged_or_refused(
    tmp_path: Path,
) -> None:
    files = []
    for name, lines in (
        ("a.csv", ["k1,1714564800,ann,bo,message", "k2,1714564801,bo,cy,call"]),
        ("b.csv", ["k1,1714564800,ann,bo,message", "k3,1714564802,cy,ann,call",
                   "k2,1714564803,bo,cy,call"]),
    ):  # fmt: skip
        path = tmp_path / name
        path.write_text("key,at,person_a,person_b,kind\n" + "".join(f"{x}\n" for x in lines))
        files.append(read_part(path, source=name))

    planned = plan_first_load(files, stored_people={"ann"}, create_missing_people=True)

    counts = planned.report.kinds["interaction"]
    assert (counts.created, counts.unchanged, counts.rejected) == (3, 1, 1)
    assert [(p.record, p.field, p.value, p.reason) for p in planned.report.problems] == [
        ("b.csv line 4", "key", "k2", "a.csv line 3 has this interaction with other values")
    ]
    assert planned.interactions.key == ["k1", "k2", "k3"]


async def test_the_ties_table_is_the_same_whether_written_in_one_chunk_or_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph.adapters.embedded import bulk

    path = tmp_path / "contacts.csv"
    path.write_text(
        "at,person_a,person_b,kind,initiator\n"
        + "".join(
            f"{1_700_000_000 + n * 3_600},p{n % 7},p{7 + n % 5},call,p{n % 7}\n" for n in range(40)
        ),
        encoding="utf-8",
    )
    tables = []
    for chunk in (65_536, 2, 3):
        monkeypatch.setattr(bulk, "_TIE_CHUNK", chunk)
        store = await opened(tmp_path / f"chunk-{chunk}")
        try:
            await load_in_bulk(store, path, create_missing_people=True, cut=None)
        finally:
            await store.close()
        tables.append(rows(tmp_path / f"chunk-{chunk}", "SELECT * FROM ties ORDER BY a, b"))
    assert len(tables[0]) == 35  # every pair of p0..p6 with p7..p11 meets
    assert tables[1] == tables[0]
    assert tables[2] == tables[0]

"""What only the embedded store has to promise: one process at a time per directory, files
for their owner's eyes only."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from graph.adapters.embedded import store as store_module
from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.errors import ConfigurationError
from graph.ports import batch_of
from tests.contract.test_store_writes import a_small_network
from tests.factories import interaction, person
from tests.support.ties import assert_same_ties


async def test_a_second_store_on_the_same_directory_is_refused_until_the_first_closes(
    tmp_path: Path,
) -> None:
    first = EmbeddedStore(tmp_path)
    await first.open()
    second = EmbeddedStore(tmp_path)
    with pytest.raises(ConfigurationError, match="in use by another tiegraph process"):
        await second.open()
    await first.close()
    await second.open()
    await second.close()


async def test_an_unusable_data_directory_is_named_in_the_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigurationError, match="TIEGRAPH_DATA_DIR"):
        await EmbeddedStore(blocker / "store").open()


async def test_a_store_from_before_tie_scores_is_upgraded_and_rescored_on_open(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path)
    await store.open()
    await store.apply(a_small_network())
    expected = await store.ties_of(["ada", "bo", "cy"])
    await store.close()
    # What schema version 1 looked like: no scores, no group sizes, no model on record.
    with sqlite3.connect(tmp_path / "tiegraph.sqlite3") as conn:
        for column in ("score", "score_by_a", "score_by_b"):
            conn.execute(f"ALTER TABLE ties DROP COLUMN {column}")
        conn.execute("ALTER TABLE interactions DROP COLUMN group_size")
        conn.execute("DELETE FROM meta WHERE key = 'strength_model'")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    upgraded = EmbeddedStore(tmp_path)
    await upgraded.open()
    try:
        found = await upgraded.ties_of(["ada", "bo", "cy"])
        for pid in expected:
            assert_same_ties(
                {t.other(pid): t for t in found[pid]}, {t.other(pid): t for t in expected[pid]}
            )
    finally:
        await upgraded.close()


async def test_the_store_its_log_and_its_directory_are_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    previous = os.umask(0o022)  # the usual umask, which would leave them world-readable
    try:
        store = EmbeddedStore(tmp_path / "store")
        await store.open()
        await store.apply(a_small_network())
        files = {p.name: p for p in (tmp_path / "store").iterdir()}
        # Checked while open: the write-ahead log and shared memory exist only then.
        assert {"tiegraph.sqlite3-wal", "tiegraph.sqlite3-shm", "tiegraph.lock"} <= set(files)
        for name, path in files.items():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        assert stat.S_IMODE((tmp_path / "store").stat().st_mode) == 0o700
        await store.close()
    finally:
        os.umask(previous)


async def test_a_store_created_world_readable_is_made_private_when_opened(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path)
    await store.open()
    await store.close()
    database = tmp_path / "tiegraph.sqlite3"
    database.chmod(0o644)
    await store.open()
    await store.close()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


@pytest.mark.parametrize(("page", "saved"), [(1, False), (2, False), (100_000, False), (1, True)])
async def test_the_ties_export_as_a_networkx_graph_and_come_back_whole_after_a_reopen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: int, saved: bool
) -> None:
    monkeypatch.setattr(store_module, "_CHUNK", page)
    store = EmbeddedStore(tmp_path)
    await store.open()
    await store.apply(a_small_network())
    before = await store.ties_of(["ada", "bo", "cy"])
    graph = store.tie_graph()
    for pid, ties in before.items():
        assert sorted(graph.adj[pid]) == sorted(t.other(pid) for t in ties)
        for tie in ties:
            assert graph.adj[pid][tie.other(pid)]["tie"] == tie
    await store.close()
    if not saved:  # read the checkpoint in pages of ``page`` ties, by columns
        with sqlite3.connect(tmp_path / "tiegraph.sqlite3") as conn:
            conn.execute("DELETE FROM meta WHERE key = 'tie_index_through'")
    reopened = EmbeddedStore(tmp_path)
    await reopened.open()
    try:
        assert await reopened.ties_of(["ada", "bo", "cy"]) == before
        assert await reopened.neighbourhood("ada", max_hops=2) == {"bo": 1, "cy": 1}
    finally:
        await reopened.close()


def _copy_as_after_a_crash(source: Path, target: Path) -> None:
    """The files of an open store as ``kill -9`` would leave them (WAL included)."""
    target.mkdir()
    for name in ("tiegraph.sqlite3", "tiegraph.sqlite3-wal"):
        if (source / name).exists():
            shutil.copyfile(source / name, target / name)


async def test_a_saved_index_plus_the_contacts_after_it_are_the_ties_after_a_crash(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path / "live")
    await store.open()
    await store.apply(a_small_network())
    await store.close()  # saves the index
    await store.open()
    await store.apply(batch_of([interaction("late", "bo", "cy", day=9)]))
    expected = await store.ties_of(["ada", "bo", "cy"])
    _copy_as_after_a_crash(tmp_path / "live", tmp_path / "crashed")
    await store.close()
    recovered = EmbeddedStore(tmp_path / "crashed")
    await recovered.open()
    try:
        assert await recovered.ties_of(["ada", "bo", "cy"]) == expected
    finally:
        await recovered.close()


def _names_saved(database: Path) -> set[str]:
    """The people the saved index and its segments name."""
    with sqlite3.connect(database) as conn:
        texts = conn.execute(
            "SELECT group_concat(CAST(data AS TEXT), char(10)) FROM tie_index"
            " WHERE name = 'names' OR name LIKE '+%/a' OR name LIKE '+%/b'"
        ).fetchone()[0]
    return set((texts or "").split("\n")) - {""}


async def test_erasing_someone_saves_the_index_again_without_them(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "live")
    await store.open()
    await store.apply(a_small_network())
    await store.close()
    await store.open()
    await store.erase_person("bo", by="admin", at=datetime(2026, 1, 1, tzinfo=UTC))
    _copy_as_after_a_crash(tmp_path / "live", tmp_path / "crashed")
    await store.close()
    assert _names_saved(tmp_path / "crashed" / "tiegraph.sqlite3") == {"ada", "cy"}
    recovered = EmbeddedStore(tmp_path / "crashed")
    await recovered.open()
    try:
        assert await recovered.ties_of(["bo"]) == {"bo": []}
        assert "bo" not in await recovered.neighbourhood("ada", max_hops=2)
    finally:
        await recovered.close()


@pytest.mark.parametrize("segments_at_least", [1, 1_000])
async def test_a_store_that_crashed_after_checkpoints_opens_from_saved_arrays_not_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, segments_at_least: int
) -> None:
    # Every write checkpoints; the changed ties are saved as a segment beside the saved index,
    # or (with room for one tie only) the index is saved whole again.
    monkeypatch.setattr(store_module, "_CHECKPOINT_AFTER", 1)
    monkeypatch.setattr(store_module, "_SEGMENTS_AT_LEAST", segments_at_least)
    store = EmbeddedStore(tmp_path / "live")
    await store.open()
    await store.apply(a_small_network())
    await store.apply(batch_of([person("dee")]))
    for day, pair in enumerate([("bo", "cy"), ("ada", "dee"), ("bo", "cy")], start=9):
        await store.apply(batch_of([interaction(f"late{day}", *pair, day=day)]))
    await store.apply(batch_of([interaction("unsaved", "ada", "bo", day=20)]))
    people = ["ada", "bo", "cy", "dee"]
    expected = await store.ties_of(people)
    _copy_as_after_a_crash(tmp_path / "live", tmp_path / "crashed")
    await store.close()
    with sqlite3.connect(tmp_path / "crashed" / "tiegraph.sqlite3") as conn:
        segments = conn.execute(
            "SELECT count(DISTINCT substr(name, 1, 8)) FROM tie_index WHERE name LIKE '+%'"
        ).fetchone()[0]
        assert (segments > 0) == (segments_at_least > 1)
        conn.execute("DELETE FROM ties")  # what is opened must come from the saved arrays
    recovered = EmbeddedStore(tmp_path / "crashed")
    await recovered.open()
    try:
        assert await recovered.ties_of(people) == expected
        assert await recovered.neighbourhood("dee", max_hops=1) == {"ada": 1}
    finally:
        await recovered.close()


async def test_after_an_erasure_the_store_opens_from_arrays_that_do_not_name_the_person(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "_CHECKPOINT_AFTER", 1)
    store = EmbeddedStore(tmp_path / "live")
    await store.open()
    await store.apply(a_small_network())
    await store.erase_person("bo", by="admin", at=datetime(2026, 1, 1, tzinfo=UTC))
    await store.apply(batch_of([interaction("late", "ada", "cy", day=9)]))
    expected = await store.ties_of(["ada", "cy"])
    _copy_as_after_a_crash(tmp_path / "live", tmp_path / "crashed")
    await store.close()
    assert _names_saved(tmp_path / "crashed" / "tiegraph.sqlite3") == {"ada", "cy"}
    with sqlite3.connect(tmp_path / "crashed" / "tiegraph.sqlite3") as conn:
        conn.execute("DELETE FROM ties")
    recovered = EmbeddedStore(tmp_path / "crashed")
    await recovered.open()
    try:
        assert await recovered.ties_of(["ada", "cy"]) == expected
        assert await recovered.ties_of(["bo"]) == {"bo": []}
    finally:
        await recovered.close()


async def test_a_store_read_from_its_checkpoint_table_saves_its_index_as_arrays_while_serving(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path / "live")
    await store.open()
    await store.apply(a_small_network())
    await store.close()
    with sqlite3.connect(tmp_path / "live" / "tiegraph.sqlite3") as conn:  # as from before
        conn.execute("DELETE FROM tie_index")
        conn.execute("DELETE FROM meta WHERE key = 'tie_index_through'")
    await store.open()
    await asyncio.sleep(0)  # the save begins once the store serves
    await store.apply(batch_of([interaction("late", "bo", "cy", day=9)]))
    expected = await store.ties_of(["ada", "bo", "cy"])
    _copy_as_after_a_crash(tmp_path / "live", tmp_path / "crashed")
    await store.close()
    assert _names_saved(tmp_path / "crashed" / "tiegraph.sqlite3") == {"ada", "bo", "cy"}
    with sqlite3.connect(tmp_path / "crashed" / "tiegraph.sqlite3") as conn:
        conn.execute("DELETE FROM ties")
    recovered = EmbeddedStore(tmp_path / "crashed")
    await recovered.open()
    try:
        assert await recovered.ties_of(["ada", "bo", "cy"]) == expected
    finally:
        await recovered.close()


async def test_a_hubs_tie_contexts_counted_off_the_loop_are_its_neighbourhood(
    tmp_path: Path,
) -> None:
    fans = [f"fan{n:03d}" for n in range(store_module._MANY_TIES + 20)]
    store = EmbeddedStore(tmp_path / "store")
    await store.open()
    try:
        contacts = [interaction(f"h{n}", "hub", fan) for n, fan in enumerate(fans)]
        # Some fans know each other: their ties to the hub share contacts.
        pairs = enumerate(itertools.pairwise(fans))
        contacts += [interaction(f"f{n}", a, b) for n, (a, b) in pairs]
        await store.apply(batch_of([person("hub"), *map(person, fans), *contacts]))
        contexts = await store.tie_contexts("hub")
        ties = await store.ties_of(["hub", *fans])
    finally:
        await store.close()
    neighbours = {p: {t.other(p) for t in ties[p]} for p in ["hub", *fans]}
    assert [c.other_id for c in contexts] == sorted(fans)
    for context in contexts:
        other = context.other_id
        assert context.shared_contacts == len(neighbours["hub"] & neighbours[other])
        assert (context.degree, context.other_degree) == (len(fans), len(neighbours[other]))

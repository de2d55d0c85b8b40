"""Every store logs what a write changed, in the write's transaction, for live updates."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from graph.domain.changes import ChangeKind
from graph.domain.errors import InvalidInput
from graph.domain.model import IntroductionStatus
from graph.ports import GraphStore, batch_of
from tests.conftest import Reopen
from tests.contract.test_store_writes import a_small_network
from tests.factories import attendance, interaction, introduction, person


def _entries(page: object) -> list[tuple[str, str, tuple[str, ...], str | None]]:
    changes = getattr(page, "changes")  # noqa: B009 - one helper for every page
    return [(c.entry.kind.value, c.entry.key, c.entry.people, c.entry.group_id) for c in changes]


async def test_a_store_with_no_changes_starts_its_log_at_zero(store: GraphStore) -> None:
    page = await store.changes_since(None, limit=10)
    assert page.changes == []
    assert page.cursor >= 0
    assert (await store.changes_since(page.cursor, limit=10)).changes == []


async def test_a_write_logs_its_group_events_introductions_and_ties(store: GraphStore) -> None:
    start = (await store.changes_since(None, limit=0)).cursor
    await store.apply(a_small_network())
    page = await store.changes_since(start, limit=100)
    entries = _entries(page)
    assert ("introduction", "x1", ("bo", "ada", "cy"), None) in entries
    assert ("attendance", "m1|bo", ("bo",), "g1") in entries
    assert ("breakout", "b1", ("bo", "cy"), "g1") in entries
    assert ("side_conversation", "s1", ("ada", "bo"), None) in entries
    ties = sorted(e[1] for e in entries if e[0] == "tie")
    assert ties == ["ada|bo", "ada|cy", "bo|cy"]
    sequences = [c.sequence for c in page.changes]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == len(sequences)
    assert sequences[0] > start
    assert page.cursor == sequences[-1]
    assert all(abs(c.at - datetime.now(UTC)) < timedelta(minutes=5) for c in page.changes)


async def test_reading_on_from_the_cursor_sees_each_change_once(store: GraphStore) -> None:
    await store.apply(a_small_network())
    cursor = (await store.changes_since(None, limit=0)).cursor
    await store.apply(batch_of([interaction("i2", "bo", "cy", day=9)]))
    await store.apply(batch_of([interaction("i3", "ada", "bo", day=9)]))
    first = await store.changes_since(cursor, limit=1)
    second = await store.changes_since(first.cursor, limit=10)
    assert _entries(first) == [("tie", "bo|cy", ("bo", "cy"), None)]
    assert _entries(second) == [("tie", "ada|bo", ("ada", "bo"), None)]
    assert (await store.changes_since(second.cursor, limit=10)).changes == []


async def test_an_unchanged_or_rejected_write_logs_nothing(store: GraphStore) -> None:
    await store.apply(a_small_network())
    cursor = (await store.changes_since(None, limit=0)).cursor
    await store.apply(a_small_network())  # every record as stored
    with pytest.raises(InvalidInput):
        await store.apply(batch_of([attendance("m1", "nobody")]))
    assert (await store.changes_since(cursor, limit=10)).changes == []


async def test_an_answered_introduction_is_logged_again(store: GraphStore) -> None:
    await store.apply(a_small_network())
    cursor = (await store.changes_since(None, limit=0)).cursor
    answered = introduction("x1", "bo", "ada", "cy", status=IntroductionStatus.ACCEPTED)
    await store.apply(batch_of([answered]))
    assert _entries(await store.changes_since(cursor, limit=10)) == [
        ("introduction", "x1", ("bo", "ada", "cy"), None)
    ]


async def test_concurrent_writes_get_distinct_sequences_in_order(store: GraphStore) -> None:
    await store.apply(batch_of([person(f"p{i}") for i in range(6)]))
    cursor = (await store.changes_since(None, limit=0)).cursor
    await asyncio.gather(
        *(
            store.apply(batch_of([interaction(f"c{i}", f"p{i}", f"p{i + 1}", day=1)]))
            for i in range(5)
        )
    )
    page = await store.changes_since(cursor, limit=100)
    assert sorted(e[1] for e in _entries(page)) == [f"p{i}|p{i + 1}" for i in range(5)]
    sequences = [c.sequence for c in page.changes]
    assert sequences == sorted(set(sequences))


async def test_pruning_removes_changes_written_before_the_moment(store: GraphStore) -> None:
    cursor = (await store.changes_since(None, limit=0)).cursor
    await store.apply(a_small_network())
    assert await store.prune_changes(before=datetime.now(UTC) - timedelta(hours=1)) == 0
    logged = len((await store.changes_since(cursor, limit=100)).changes)
    assert logged > 0
    assert await store.prune_changes(before=datetime.now(UTC) + timedelta(seconds=1)) == logged
    page = await store.changes_since(cursor, limit=100)
    assert page.changes == []
    assert page.cursor > cursor  # the sequence carries on where it was


async def test_sequences_are_not_reused_after_everything_is_deleted(
    store: GraphStore, reopen: Reopen
) -> None:
    await store.apply(a_small_network())
    before = (await store.changes_since(None, limit=0)).cursor
    await store.delete_everything()
    fresh = await reopen(store)
    try:
        await fresh.apply(a_small_network())
        page = await fresh.changes_since(before, limit=100)
        assert page.changes
        assert min(c.sequence for c in page.changes) > before
    finally:
        await fresh.close()


async def test_erasing_a_person_removes_the_changes_that_name_them(store: GraphStore) -> None:
    cursor = (await store.changes_since(None, limit=0)).cursor
    await store.apply(a_small_network())
    await store.erase_person("cy", by="admin", at=datetime.now(UTC))
    entries = _entries(await store.changes_since(cursor, limit=100))
    assert entries
    assert not [e for e in entries if "cy" in e[2] or "cy" in e[1]]
    assert {e[0] for e in entries} >= {ChangeKind.TIE.value, ChangeKind.ATTENDANCE.value}


async def test_a_person_written_alone_is_not_a_logged_change(store: GraphStore) -> None:
    await store.apply(a_small_network())
    cursor = (await store.changes_since(None, limit=0)).cursor
    ada = person("ada", title="Chief")
    await store.apply(batch_of([ada]))
    assert (await store.changes_since(cursor, limit=10)).changes == []

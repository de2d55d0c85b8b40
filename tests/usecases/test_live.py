"""Live updates as use cases: drift with nothing written, a leader replaced, a slow reader."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import pytest

from graph.domain.errors import Forbidden, NotFound
from graph.domain.model import Group, InteractionKind
from graph.domain.relationship import Band
from graph.ports import GraphStore, batch_of
from graph.usecases import live as live_module
from graph.usecases.live import ChangeFeed, FellBehind, Live, prune_change_log
from graph.usecases.service import Service
from graph.usecases.viewer import Role, Viewer
from tests.factories import at, breakout, group, interaction, meeting, membership, person
from tests.support.counting import CountingStore

T = TypeVar("T")


def member(pid: str) -> Viewer:
    return Viewer(person_id=pid, roles=frozenset({Role.MEMBER}), subject=pid)


def leader(pid: str) -> Viewer:
    return Viewer(person_id=pid, roles=frozenset({Role.LEADER}), subject=pid)


class Clock:
    """A "now" the test moves; ``asked`` is set once someone asked what time it is."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.asked = asyncio.Event()

    def __call__(self) -> datetime:
        self.asked.set()
        return self.now


async def _started(stream: AsyncIterator[T], feed: ChangeFeed) -> asyncio.Task[T]:
    """Ask for the stream's first item in a task; return once it is subscribed."""
    task = asyncio.ensure_future(anext(stream))
    async with asyncio.timeout(10):
        # Nothing to wait on but the feed's own state: poll it.
        while not (feed.subscribers and feed.tailing):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    return task


class ReadsTies(CountingStore):
    """A store that says when a person's ties have been read."""

    def __init__(self, inner: GraphStore) -> None:
        super().__init__(inner)
        self.read = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        found = super().__getattr__(name)
        if name != "tie_contexts":
            return found

        async def watched(*args: Any, **kwargs: Any) -> Any:
            result = await found(*args, **kwargs)
            self.read.set()
            return result

        return watched


@pytest.fixture
async def network(store: GraphStore) -> GraphStore:
    """ann leads g1 (ben and cat are members, one meeting); ann and ben called often."""
    await store.apply(
        batch_of(
            [
                *(person(p) for p in ("ann", "ben", "cat", "dan")),
                group("g1", leader_id="ann"),
                membership("g1", "ben"),
                membership("g1", "cat"),
                meeting("m1", "g1", day=1),
                *(
                    interaction(f"c{d}", "ann", "ben", day=d, kind=InteractionKind.CALL)
                    for d in range(0, 30, 3)
                ),
            ]
        )
    )
    return store


async def test_a_tie_drifting_with_nothing_written_is_told_at_the_next_recheck(
    network: GraphStore,
) -> None:
    clock = Clock(at(30))
    service = Service(network, clock=clock)
    feed = ChangeFeed(network, poll_interval_s=0.01)
    live = Live(service, feed, recheck=timedelta(seconds=0.2))
    stream = live.tie_changes(member("ann"), "ann")
    first = asyncio.ensure_future(anext(stream))
    await asyncio.wait_for(clock.asked.wait(), 10)  # the bands as they stand now were read
    clock.now = at(30 + 365)  # a year of silence
    change = await asyncio.wait_for(first, 20)
    assert change.other_id == "ben"
    assert change.before is not None
    assert change.now.band.rank < change.before.rank
    await stream.aclose()
    await feed.close()


async def test_a_new_contact_is_told_once_and_an_unchanged_band_not_at_all(
    network: GraphStore,
) -> None:
    watched = ReadsTies(network)
    feed = ChangeFeed(network, poll_interval_s=0.01)
    live = Live(Service(cast(GraphStore, watched), clock=Clock(at(30))), feed)
    stream = live.tie_changes(member("cat"), "cat")
    first = await _started(stream, feed)
    # A change written before cat's ties are read is in what was read: it changes no band.
    await asyncio.wait_for(watched.read.wait(), 10)
    await network.apply(batch_of([interaction("x1", "cat", "dan", day=30)]))
    change = await asyncio.wait_for(first, 20)
    assert (change.other_id, change.before) == ("dan", None)
    assert change.now.band is not Band.DORMANT
    second = asyncio.ensure_future(anext(stream))
    # The same contact again a second later hardly moves the tie: no band change, no event.
    await network.apply(batch_of([interaction("x2", "cat", "dan", day=30.00001)]))
    await asyncio.sleep(0.3)
    assert not second.done()
    second.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await second
    await stream.aclose()
    await feed.close()


async def test_someone_elses_ties_cannot_be_followed(network: GraphStore) -> None:
    feed = ChangeFeed(network)
    live = Live(Service(network), feed)
    with pytest.raises(Forbidden, match="not allowed"):
        await anext(live.tie_changes(member("ben"), "ann"))
    assert feed.subscribers == 0


async def test_a_leader_replaced_stops_hearing_of_the_group(network: GraphStore) -> None:
    feed = ChangeFeed(network, poll_interval_s=0.01)
    live = Live(Service(network), feed)
    stream = live.group_activity(leader("ann"), "g1")
    first = await _started(stream, feed)
    stored = (await network.get(Group, ["g1"]))["g1"]
    await network.apply(batch_of([replace(stored, leader_id="dan")]))
    await network.apply(batch_of([breakout("b1", "m1", "ben", "cat")]))
    with pytest.raises(NotFound):
        await asyncio.wait_for(first, 20)
    assert feed.subscribers == 0
    await feed.close()


async def test_a_group_event_reaches_the_leader_and_not_another_groups(
    network: GraphStore,
) -> None:
    await network.apply(
        batch_of([group("g2", leader_id="dan"), membership("g2", "ben"), meeting("m2", "g2")])
    )
    feed = ChangeFeed(network, poll_interval_s=0.01)
    live = Live(Service(network), feed)
    stream = live.group_activity(leader("ann"), "g1")
    first = await _started(stream, feed)
    await network.apply(batch_of([breakout("b2", "m2", "ben", "dan")]))  # g2's
    await network.apply(batch_of([breakout("b1", "m1", "ben", "cat")]))
    activity = await asyncio.wait_for(first, 20)
    assert (activity.group_id, activity.record) == ("g1", breakout("b1", "m1", "ben", "cat"))
    await stream.aclose()
    await feed.close()


async def test_a_subscriber_who_reads_nothing_is_ended_as_fallen_behind(
    network: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_module, "QUEUE_SIZE", 2)
    feed = ChangeFeed(network, poll_interval_s=0.01)
    async with feed.subscription(lambda entry: True) as subscription:
        for n in range(4):
            await network.apply(batch_of([interaction(f"y{n}", "ben", "cat", day=40 + n)]))
        await asyncio.sleep(0.3)
        with pytest.raises(FellBehind):
            await subscription.next(1)
    await feed.close()


async def test_the_pruner_removes_changes_older_than_the_retention(network: GraphStore) -> None:
    assert (await network.changes_since(0, limit=100)).changes, "the network's write was logged"
    pruner = asyncio.create_task(
        prune_change_log(
            network,
            retention=timedelta(seconds=0),
            every=timedelta(seconds=0.05),
            clock=lambda: datetime.now(UTC) + timedelta(seconds=1),
        )
    )
    try:
        async with asyncio.timeout(10):
            # The store has no event to wait on: read the log until it is empty.
            while (await network.changes_since(0, limit=100)).changes:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        pruner.cancel()
    kept = Clock(datetime.now(UTC))
    await network.apply(batch_of([interaction("z1", "cat", "dan", day=50)]))
    pruner = asyncio.create_task(
        prune_change_log(
            network, retention=timedelta(hours=1), every=timedelta(hours=1), clock=kept
        )
    )
    await asyncio.wait_for(kept.asked.wait(), 10)
    await asyncio.sleep(0.2)
    pruner.cancel()
    assert len((await network.changes_since(0, limit=100)).changes) == 1

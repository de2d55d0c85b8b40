"""Live updates: what changed for a viewer, as it is written, whichever process wrote it.

One :class:`ChangeFeed` per process tails the store's change log
(:meth:`graph.ports.GraphStore.changes_since`) while anyone is subscribed, and hands each
change to the subscriptions that want it. :class:`Live` turns changes into events for a
viewer under the same policy as a direct read: every event is read again through the use cases
as the viewer (an introduction they may read, attendance at a meeting of a group they lead, a
tie's strength they may read), so an event never shows what a query would refuse. Subscribing
is authorized like the matching query; a leader who stops leading the group stops getting its
events.

Several processes serving one Neo4j database each tail the same log, so a write acknowledged
by one process reaches subscribers of all of them within one poll interval, with no server
besides the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from graph.domain.changes import Change, ChangeEntry, ChangeKind
from graph.domain.errors import NotFound, StoreUnavailable, TiegraphError
from graph.domain.model import Attendance, Breakout, Group, Introduction, SideConversation
from graph.domain.relationship import Assessment, Band
from graph.ports import GraphStore
from graph.usecases.policy import Action, Facts, authorize, authorize_or_hide
from graph.usecases.service import Service
from graph.usecases.viewer import Viewer

__all__ = [
    "ChangeFeed",
    "FellBehind",
    "GroupActivity",
    "Live",
    "TieChange",
    "prune_change_log",
]

log = logging.getLogger("tiegraph.live")

QUEUE_SIZE = 1_000
"""Changes one subscription may hold unread before it is ended as fallen behind."""
PAGE = 500
"""Changes read from the log at a time."""


class FellBehind(TiegraphError):
    """A subscription did not read its events as fast as they came; it ends (resubscribe)."""


@dataclass(eq=False)
class _Subscription:
    wants: Callable[[ChangeEntry], bool]
    queue: asyncio.Queue[Change] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    fell_behind: bool = False

    async def next(self, wait_s: float | None = None) -> Change | None:
        """Return the next change it wants, or ``None`` after ``wait_s`` seconds without one."""
        if self.fell_behind:
            raise FellBehind("too many changes went unread; subscribe again")
        try:
            async with asyncio.timeout(wait_s):
                return await self.queue.get()
        except TimeoutError:
            return None


class ChangeFeed:
    """Tails the store's change log for this process while anyone is subscribed.

    One reader per process, however many subscriptions: each poll is one cheap indexed read
    (``poll_interval_s`` apart while the log is quiet). A subscription sees the changes
    committed after it started.
    """

    def __init__(self, store: GraphStore, *, poll_interval_s: float = 0.1) -> None:
        self.store = store
        self.poll_interval_s = poll_interval_s
        self._subscriptions: set[_Subscription] = set()
        self._cursor: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = asyncio.Event()

    @property
    def subscribers(self) -> int:
        """How many subscriptions are open in this process."""
        return len(self._subscriptions)

    @property
    def tailing(self) -> bool:
        """Whether the log is being read: a subscription open now sees every later change."""
        return self._task is not None and not self._task.done() and self._started.is_set()

    @contextlib.asynccontextmanager
    async def subscription(
        self, wants: Callable[[ChangeEntry], bool]
    ) -> AsyncIterator[_Subscription]:
        """Receive the changes ``wants`` picks, from now until the block ends."""
        subscription = _Subscription(wants)
        self._subscriptions.add(subscription)
        try:
            if self._task is None or self._task.done():
                self._started = asyncio.Event()
                self._task = asyncio.create_task(self._tail(), name="tiegraph-change-feed")
            await self._started.wait()
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    async def close(self) -> None:
        """Stop reading the log."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _tail(self) -> None:
        backoff = self.poll_interval_s
        while self._subscriptions:
            try:
                if self._cursor is None:
                    self._cursor = (await self.store.changes_since(None, limit=0)).cursor
                    self._started.set()
                page = await self.store.changes_since(self._cursor, limit=PAGE)
            except StoreUnavailable as error:
                log.warning("the change log cannot be read: %s", error)
                backoff = min(5.0, backoff * 2)
                await asyncio.sleep(backoff)
                continue
            except Exception:  # a bug must not silence every subscription of the process
                log.exception("reading the change log failed")
                backoff = min(5.0, backoff * 2)
                await asyncio.sleep(backoff)
                continue
            backoff = self.poll_interval_s
            self._cursor = page.cursor
            for change in page.changes:
                for subscription in list(self._subscriptions):
                    if subscription.fell_behind or not subscription.wants(change.entry):
                        continue
                    try:
                        subscription.queue.put_nowait(change)
                    except asyncio.QueueFull:
                        subscription.fell_behind = True
            if len(page.changes) < PAGE:
                await asyncio.sleep(self.poll_interval_s)
        # Nobody listens: the next subscription starts from the log's end again.
        self._cursor = None


async def prune_change_log(
    store: GraphStore,
    *,
    retention: timedelta,
    every: timedelta | None = None,
    clock: Callable[[], datetime],
) -> None:
    """Remove changes older than ``retention`` now, then (with ``every``) every ``every``,
    for ever."""
    while True:
        try:
            removed = await store.prune_changes(before=clock() - retention)
            if removed:
                log.info("pruned %d changes older than %s", removed, retention)
        except StoreUnavailable as error:
            log.warning("the change log cannot be pruned now: %s", error)
        if every is None:
            return
        await asyncio.sleep(every.total_seconds())


@dataclass(frozen=True, slots=True)
class TieChange:
    """One of a person's ties moved to another band (``before`` is ``None`` for a new tie)."""

    person_id: str
    other_id: str
    before: Band | None
    now: Assessment


@dataclass(frozen=True, slots=True)
class GroupActivity:
    """Something recorded for a group: attendance, a breakout or a side conversation."""

    group_id: str
    kind: ChangeKind
    at: datetime
    record: Attendance | Breakout | SideConversation


_ACTIVITY = {
    ChangeKind.ATTENDANCE: Attendance,
    ChangeKind.BREAKOUT: Breakout,
    ChangeKind.SIDE_CONVERSATION: SideConversation,
}


@dataclass(frozen=True, slots=True)
class Live:
    """The live update use cases: each an endless stream of events for one viewer."""

    service: Service
    feed: ChangeFeed
    recheck: timedelta = timedelta(hours=1)
    """How often a person's ties are assessed again with no change written: ties drift into
    weaker bands as time passes, with nothing written at all."""

    async def tie_changes(self, viewer: Viewer, person_id: str) -> AsyncGenerator[TieChange, None]:
        """Yield each time one of a person's ties changes band (the person's own, as
        ``strongestTies``): a new tie, one strengthened by a contact, or one drifting."""
        authorize(viewer, Action.READ_TIES, Facts(people=[person_id]))
        insights = self.service.insights

        def wants(entry: ChangeEntry) -> bool:
            return entry.kind is ChangeKind.TIE and person_id in entry.people

        async with self.feed.subscription(wants) as subscription:
            bands = await self._bands(viewer, person_id)
            while True:
                change = await subscription.next(self.recheck.total_seconds())
                if change is None:
                    now = await self._assessments(viewer, person_id)
                else:
                    other = next(p for p in change.entry.people if p != person_id)
                    report = await insights.relationship(viewer, person_id, other, evidence=0)
                    if report is None:
                        continue
                    now = {other: report.relationship.assessment}
                for other, assessment in sorted(now.items()):
                    before = bands.get(other)
                    bands[other] = assessment.band
                    if before is not assessment.band:
                        yield TieChange(person_id, other, before, assessment)

    async def _assessments(self, viewer: Viewer, person_id: str) -> dict[str, Assessment]:
        (found,) = await self.service.insights.ties_with_strength(viewer, [person_id])
        if found is None:  # the policy changed its mind: the same refusal as at the start
            authorize(viewer, Action.READ_TIES, Facts(people=[person_id]))
        return found or {}

    async def _bands(self, viewer: Viewer, person_id: str) -> dict[str, Band]:
        found = await self._assessments(viewer, person_id)
        return {other: a.band for other, a in found.items()}

    async def introduction_updates(
        self, viewer: Viewer, person_id: str
    ) -> AsyncGenerator[Introduction, None]:
        """Yield a person's introductions (requested by, through or to them) as each is
        requested, answered or met, as ``introductions`` would show it."""
        authorize(viewer, Action.READ_INTRODUCTION, Facts(people=[person_id]))

        def wants(entry: ChangeEntry) -> bool:
            return entry.kind is ChangeKind.INTRODUCTION and person_id in entry.people

        async with self.feed.subscription(wants) as subscription:
            while True:
                change = await subscription.next()
                assert change is not None
                (found,) = await self.service.records(viewer, Introduction, [change.entry.key])
                if isinstance(found, Introduction) and person_id in (
                    found.requester_id,
                    found.introducer_id,
                    found.target_id,
                ):
                    yield found

    async def group_activity(
        self, viewer: Viewer, group_id: str
    ) -> AsyncGenerator[GroupActivity, None]:
        """Yield what is recorded for a group, for its leader: attendance, breakouts, and side
        conversations tagged with the group. A group the viewer does not lead answers as an
        unknown one; a leader who stops leading it stops getting its events."""
        await self._authorize_group(viewer, group_id)

        def wants(entry: ChangeEntry) -> bool:
            return entry.group_id == group_id and entry.kind in _ACTIVITY

        async with self.feed.subscription(wants) as subscription:
            while True:
                change = await subscription.next()
                assert change is not None
                await self._authorize_group(viewer, group_id)
                kind = _ACTIVITY[change.entry.kind]
                (found,) = await self.service.records(viewer, kind, [change.entry.key])
                if isinstance(found, Attendance | Breakout | SideConversation):
                    yield GroupActivity(group_id, change.entry.kind, change.at, found)

    async def _authorize_group(self, viewer: Viewer, group_id: str) -> None:
        if not await self.service.store.get(Group, [group_id]):
            raise NotFound("group", group_id)
        facts = await self.service.facts(viewer, groups=[group_id])
        authorize_or_hide(viewer, Action.FOLLOW_GROUP, facts, entity="group", key=group_id)

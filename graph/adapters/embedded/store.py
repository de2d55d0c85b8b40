"""The embedded store: SQLite on local disk for durability, an in-memory graph for algorithms.

Why SQLite: it ships with Python, is one file in the data directory, and in WAL mode with
``synchronous=FULL`` a transaction that has returned from ``COMMIT`` survives ``kill -9`` and
power loss. Readers do not block the writer. Batches are one transaction each, so a rejected
batch leaves no trace.

Layout: every record is one row of ``records(kind, id, data)`` with its fields as JSON (the
codec's ISO form, so it round-trips exactly); ``refs(kind, ref_kind, ref, at, id)`` indexes who
or what each record names, which answers "meetings of a group", "interactions of a person" and
the like with one index range scan. Interactions, by far the most numerous, have a table of
their own in plain columns (no JSON to encode) with a compact per-person index (person, time in
microseconds, row number), which costs a third of the generic one to write.

Ties live in memory in a compact index (:mod:`graph.adapters.embedded.tie_index`: flat
arrays, ~120 bytes a tie) that path searches and neighbourhoods run on. They are derived
data: the ``ties`` table is a checkpoint of them "through" an interaction row number, written
on close and whenever many ties have changed, and the index is saved beside it as arrays
(whole on close, the changed ties as a segment at each checkpoint); on open those arrays are
read back (or, without them, the checkpoint table) and the interactions recorded after the
checkpoint are replayed. So a write pays only for the interactions
themselves, and after a crash the ties are rebuilt exactly from what was committed.

All SQLite work runs on one worker thread per connection (a writer and a reader), so the event
loop never blocks on disk. The tie index is only changed on the event loop thread; path
searches read it from a search thread of their own (so that the loop answers other requests
meanwhile), under the index's lock one person's links at a time. networkx is not the serving
structure; :meth:`EmbeddedStore.tie_graph` exports the ties as a networkx graph for other
tools (and the tests' oracles).
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, TypeVar

import networkx as nx
import numpy as np
import orjson

from graph.adapters.embedded.bulk import write_first_load
from graph.adapters.embedded.schema import (
    INTERACTION_KEYS,
    SCHEMA,
    SCHEMA_VERSION,
    create_schema,
)
from graph.adapters.embedded.tie_index import KINDS, TieIndex, TieRows, rows_of_segment
from graph.domain.batch import (
    Snapshot,
    SnapshotRequest,
    TieAccumulator,
    TieDelta,
    WriteBatch,
    WritePlan,
    WriteSummary,
    plan_batch,
    snapshot_request,
)
from graph.domain.changes import Change, ChangeEntry, ChangeKind, ChangePage
from graph.domain.codec import ENTITY_KINDS, Record, decode, encode, record_id
from graph.domain.deadline import Deadline
from graph.domain.erasure import (
    ErasurePlan,
    ErasureReceipt,
    Involvement,
    audit_actor,
    plan_erasure,
)
from graph.domain.errors import ConfigurationError, StoreUnavailable
from graph.domain.model import (
    Attendance,
    Breakout,
    Interaction,
    InteractionKind,
    Introduction,
    Meeting,
    Membership,
    MembershipStatus,
    Person,
    SideConversation,
    Tie,
    pair_key,
)
from graph.domain.paths import Path as IntroductionPath
from graph.domain.paths import Strategy, rank, shortest_distance, top_paths
from graph.domain.strength import GROUP_KINDS, StrengthModel
from graph.ports import (
    GraphStore,
    GroupContacts,
    Page,
    PeopleQuery,
    TieContext,
    check_page_size,
    email_key,
    name_keys_by_organization,
    person_name_key,
    profile_url_key,
)
from graph.private_files import create_private_file, make_private_dir, open_private, tighten

if TYPE_CHECKING:
    from graph.importing.columnar import InteractionColumns

__all__ = ["INTERACTION_KEYS", "SCHEMA", "SCHEMA_VERSION", "EmbeddedStore"]

_CACHE_KIB = 65_536
"""SQLite's page cache per connection (KiB)."""
_FIRST_LOAD_CACHE_KIB = 4_000_000
"""The writer's page cache (KiB, at most: SQLite takes pages as it needs them) while it writes
a first load in bulk."""
_CHECKPOINT_AFTER = 200_000
"""Checkpoint the ties once this many have changed, to bound the replay after a crash."""
T = TypeVar("T")
R = TypeVar("R", bound=Record)

_KIND_NAMES: dict[type[Any], str] = {kind: name for name, kind in ENTITY_KINDS.items()}


# What each kind of record names, for the refs index: (field, kind it names, sort key field).
_REFS: dict[str, tuple[tuple[str, str], ...]] = {
    "person": (("organization_id", "organization"), ("interests", "interest_label")),
    "group": (("leader_id", "person"),),
    "membership": (("group_id", "group"), ("person_id", "person")),
    "meeting": (("group_id", "group"),),
    "attendance": (("meeting_id", "meeting"), ("person_id", "person")),
    "breakout": (("meeting_id", "meeting"), ("member_ids", "person")),
    "side_conversation": (("participant_ids", "person"), ("group_id", "group")),
    "introduction": (
        ("requester_id", "person"),
        ("introducer_id", "person"),
        ("target_id", "person"),
    ),
}
_SORT_FIELD = {"meeting": "starts_at", "side_conversation": "at"}


def _dumps(values: dict[str, Any]) -> bytes:
    return orjson.dumps(values)


def _ref_rows(kind: str, values: dict[str, Any], rid: str) -> Iterator[tuple[str, ...]]:
    at = values.get(_SORT_FIELD.get(kind, ""), "")
    for name, ref_kind in _REFS.get(kind, ()):
        value = values.get(name)
        if value is None:
            continue
        targets = value if isinstance(value, list) else [value]
        if ref_kind == "interest_label":
            targets = [t.casefold() for t in targets]
        for target in dict.fromkeys(targets):
            yield (kind, ref_kind, target, at, rid)


@contextmanager
def _unavailable_when_unreadable() -> Iterator[None]:
    """Report SQLite's failure to read as the store being unavailable (callers retry)."""
    try:
        yield
    except sqlite3.OperationalError as error:
        raise StoreUnavailable(f"the embedded store cannot be read: {error}") from error


_MANY_TIES: Final = 500
"""Ties of one person past which their tie contexts are counted off the event loop."""

_FEW: Final = 32
"""Records read by key at most, for a read to run on the event loop (:meth:`_read_few`)."""


def _active_groups(people: list[str], conn: sqlite3.Connection) -> dict[str, set[str]]:
    """The groups each person is an accepted member of (absent status means accepted)."""
    found: dict[str, set[str]] = {p: set() for p in people}
    rows = conn.execute(
        "SELECT f.ref, f.id, d.data FROM refs f"
        " JOIN records d ON d.kind = 'membership' AND d.id = f.id"
        " WHERE f.kind = 'membership' AND f.ref_kind = 'person'"
        " AND f.ref IN (SELECT value FROM json_each(?))",
        (orjson.dumps(people).decode(),),
    )
    for person, membership_id, data in rows:
        status = orjson.loads(data).get("status", MembershipStatus.ACTIVE.value)
        if status == MembershipStatus.ACTIVE.value:
            found[person].add(membership_id.split("|", 1)[0])
    return found


def _tie_contexts(
    person_id: str,
    found_ties: list[tuple[Tie, str, int, int, int]],
    groups_of: dict[str, set[str]],
) -> list[TieContext]:
    my_groups = groups_of[person_id]
    return [
        TieContext(
            tie=tie,
            other_id=other,
            shared_contacts=shared,
            degree=degree,
            other_degree=other_degree,
            shared_groups=len(my_groups & groups_of[other]),
        )
        for tie, other, shared, degree, other_degree in found_ties
    ]


class EmbeddedStore(GraphStore):
    """A tiegraph store in a local directory; durable, crash-safe, no server needed."""

    backend = "embedded"

    def __init__(self, data_dir: Path, model: StrengthModel | None = None) -> None:
        self._dir = Path(data_dir)
        self.model = model or StrengthModel()
        self._path = self._dir / "tiegraph.sqlite3"
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._quick: sqlite3.Connection | None = None
        """Reads a few records by key on the event loop itself (see :meth:`_read_few`)."""
        self._write_thread: ThreadPoolExecutor | None = None
        self._read_thread: ThreadPoolExecutor | None = None
        self._search_thread: ThreadPoolExecutor | None = None
        """Runs path searches, one at a time: a second thread would not search faster (one
        interpreter lock) but would slow the event loop further."""
        self._write_lock = asyncio.Lock()
        self._lock_file: IO[bytes] | None = None
        self._ties = TieIndex(self.model, background=True)
        self._dirty: set[tuple[str, str]] = set()
        """Ties changed since the last checkpoint."""
        self._saved_segments: int | None = None
        """How many ties the segments saved after the saved index hold, if the saved index
        and its segments are complete through the tie checkpoint (``None``: they are not, so
        the next checkpoint saves the index whole)."""
        self._saving: asyncio.Task[None] | None = None
        """Saving the index whole after it was read from the checkpoint table."""
        self._saved_as_is = False
        """Whether the saved index is the index in memory, compacted (after a first load in
        bulk), so that closing need not save it again."""
        self._refusing: set[str] = set()
        """People who do not consent to be intermediaries on introduction paths."""
        self._blocks: dict[str, frozenset[str]] = {}
        """Whom each person blocked (only people who blocked someone)."""

    # -- lifecycle ------------------------------------------------------------------------------

    async def open(self) -> None:
        """Create or open the database, check its schema version and load the tie graph."""
        try:
            make_private_dir(self._dir)
            create_private_file(self._path)
            tighten(*(self._path.with_name(self._path.name + s) for s in ("", "-wal", "-shm")))
        except OSError as error:
            raise ConfigurationError(
                f"TIEGRAPH_DATA_DIR {str(self._dir)!r} cannot be created: {error}"
            ) from error
        self._lock_file = self._take_lock()
        self._write_thread = ThreadPoolExecutor(1, thread_name_prefix="tiegraph-sqlite-write")
        self._read_thread = ThreadPoolExecutor(1, thread_name_prefix="tiegraph-sqlite-read")
        self._search_thread = ThreadPoolExecutor(1, thread_name_prefix="tiegraph-search")
        self._writer = await self._on(self._write_thread, self._connect, True)
        self._reader = await self._on(self._read_thread, self._connect, False)
        self._quick = self._connect(False)
        # It reads a few hot rows by key: a small cache of its own is enough.
        self._quick.execute("PRAGMA cache_size=-8192")
        self._ties, self._dirty, rebuilt, self._saved_segments = await self._read(self._load_ties)
        self._refusing, self._blocks = await self._read(_path_consent)
        if rebuilt:  # scored by another model (or none): store the rescored ties right away
            await self._checkpoint_ties(replace_all=True)
        elif self._saved_segments is None and len(self._ties):
            # Read from the checkpoint table (a store from before): save the index as arrays
            # once, while serving, so that even a crash before the next close opens from them.
            self._saving = asyncio.create_task(self._save_whole())

    async def _save_whole(self) -> None:
        async with self._write_lock:
            if self._saved_segments is None:
                await self._checkpoint_ties(whole=True)

    def _take_lock(self) -> IO[bytes]:
        """Hold an exclusive lock on the directory for as long as the store is open.

        The tie graph lives in this process's memory, so a second process writing the same
        files would leave both with wrong ties. The operating system drops the lock when the
        process ends, even by ``kill -9``.
        """
        handle = open_private(self._dir / "tiegraph.lock", "a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            handle.close()
            raise ConfigurationError(
                f"TIEGRAPH_DATA_DIR {str(self._dir)!r} is in use by another tiegraph process;"
                " the embedded store serves one process at a time (stop the other one, or"
                " use Neo4j for several processes)"
            ) from error
        return handle

    def _connect(self, writer: bool) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a returned COMMIT is on disk, so an acknowledged write survives a crash.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            # SQLite's lower() folds ASCII only; searches fold all of Unicode, as Neo4j does.
            conn.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)
            conn.create_function("people_in", 1, _people_in, deterministic=True)
            if writer:
                # Deleted and overwritten rows are zeroed, not left in free space: an erased
                # person's data must not stay readable in the file.
                conn.execute("PRAGMA secure_delete=ON")
                create_schema(conn)
                self._check_schema_version(conn)
        except sqlite3.Error as error:
            raise ConfigurationError(
                f"TIEGRAPH_DATA_DIR: cannot open the store at {str(self._path)!r}: {error}"
            ) from error
        return conn

    @staticmethod
    def _check_schema_version(conn: sqlite3.Connection) -> None:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        elif int(row[0]) > SCHEMA_VERSION:
            raise ConfigurationError(
                f"TIEGRAPH_DATA_DIR holds a store of schema version {row[0]}, newer than this "
                f"tiegraph understands ({SCHEMA_VERSION}); upgrade tiegraph"
            )
        elif int(row[0]) == 1:  # version 2 scores ties and keeps the size of group events
            conn.execute("ALTER TABLE interactions ADD COLUMN group_size INTEGER")
            for column in ("score", "score_by_a", "score_by_b"):
                conn.execute(f"ALTER TABLE ties ADD COLUMN {column} REAL NOT NULL DEFAULT 0")
            # A meeting's pairwise contacts were as many as its attendees then; they are now.
            conn.execute(
                "UPDATE interactions SET group_size = ("
                " SELECT count(*) FROM refs WHERE kind = 'attendance' AND ref_kind = 'meeting'"
                " AND ref = substr(key, 9, instr(substr(key, 9), '|') - 1))"
                " WHERE kind = 'meeting' AND key LIKE 'meeting|%'"
            )
            conn.execute("DELETE FROM meta WHERE key = 'strength_model'")
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", ("2",))

    async def close(self) -> None:
        """Checkpoint the ties and save the tie index whole, then close both connections and
        their threads."""
        if self._saving is not None:
            await self._saving
            self._saving = None
        if self._writer is not None and self._write_thread is not None:
            async with self._write_lock:
                await self._checkpoint_ties(save_arrays=False)
                if not self._saved_as_is or self._dirty:
                    await self._save_index()
        for conn, thread in ((self._writer, self._write_thread), (self._reader, self._read_thread)):
            if conn is not None and thread is not None:
                await self._on(thread, conn.close)
                thread.shutdown(wait=True)
        if self._search_thread is not None:
            self._search_thread.shutdown(wait=True)  # a search ends by its deadline at the latest
        if self._quick is not None:
            self._quick.close()
        self._writer = self._reader = self._quick = None
        self._write_thread = self._read_thread = self._search_thread = None
        if self._lock_file is not None:
            self._lock_file.close()  # closing the file releases the lock
            self._lock_file = None

    async def ping(self) -> None:
        """Run a trivial query on the reader connection."""
        await self._read(lambda conn: conn.execute("SELECT 1").fetchone())

    # -- plumbing -------------------------------------------------------------------------------

    @staticmethod
    async def _on(pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, fn, *args)

    async def _search(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run an in-memory graph search on the search thread, leaving the event loop free."""
        if self._search_thread is None:
            raise StoreUnavailable("the embedded store is not open")
        return await self._on(self._search_thread, functools.partial(fn, *args, **kwargs))

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._reader is None or self._read_thread is None:
            raise StoreUnavailable("the embedded store is not open")
        with _unavailable_when_unreadable():
            return await self._on(self._read_thread, fn, self._reader)

    def _read_few(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read of a few records by key right here, on the event loop.

        An indexed lookup of a few rows takes microseconds; handing it to the read thread
        and back costs tens (two thread switches and the loop's wake-up), and a page read
        makes a dozen of them. Anything larger, or scanning, goes to :meth:`_read`.
        """
        if self._quick is None:
            raise StoreUnavailable("the embedded store is not open")
        with _unavailable_when_unreadable():
            return fn(self._quick)

    @staticmethod
    @contextmanager
    def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- writes ---------------------------------------------------------------------------------

    async def _apply(self, batch: WriteBatch) -> WriteSummary:
        if self._writer is None or self._write_thread is None:
            raise StoreUnavailable("the embedded store is not open")
        request = snapshot_request(batch)
        async with self._write_lock:
            # The tie index only changes under this lock, on this thread, so reading it to
            # compute the new ties before the commit and updating it after is consistent.
            ties = self._ties
            try:
                plan, new_ties = await self._on(
                    self._write_thread, self._write, self._writer, batch, request, ties
                )
            except sqlite3.OperationalError as error:
                raise StoreUnavailable(f"the embedded store cannot be written: {error}") from error
            ties.put(new_ties)
            self._saved_as_is = False
            self._dirty.update((tie.a, tie.b) for tie in new_ties)
            for record in plan.writes.get("person", ()):
                assert isinstance(record, Person)
                self._note_consent(record)
            if len(self._dirty) >= _CHECKPOINT_AFTER:
                await self._checkpoint_ties()
        return plan.summary

    async def holds_interactions(self) -> bool:
        """Whether the store holds at least one interaction."""
        return bool(
            await self._read(
                lambda conn: conn.execute("SELECT 1 FROM interactions LIMIT 1").fetchone()
            )
        )

    async def person_ids(self) -> set[str]:
        """The ids of every stored person."""
        return await self._read(
            lambda conn: {pid for (pid,) in conn.execute(
                "SELECT id FROM records WHERE kind = 'person'"
            )}
        )  # fmt: skip

    async def load_first(self, *, people: Sequence[str], interactions: InteractionColumns) -> None:
        """Write a first load in bulk (:mod:`graph.adapters.embedded.bulk`): create ``people``
        (``Person(id=x, name=x)``, none of them stored) and store ``interactions`` (valid, two
        people each, every person stored or created, keys distinct), in one transaction.

        Raises :class:`~graph.adapters.embedded.bulk.HoldsInteractions`, having written
        nothing, when the store holds interactions already.
        """
        if self._writer is None or self._write_thread is None:
            raise StoreUnavailable("the embedded store is not open")

        def run(conn: sqlite3.Connection) -> TieIndex:
            # The whole load is one transaction: its pages stay in the cache until the commit
            # (a small cache would write them out and read them back, at random, meanwhile).
            conn.execute(f"PRAGMA cache_size=-{_FIRST_LOAD_CACHE_KIB}")
            try:
                with self._transaction(conn):
                    return write_first_load(
                        conn,
                        people=people,
                        interactions=interactions,
                        model=self.model,
                        store_arrays=_store_arrays,
                    )
            finally:
                conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")

        async with self._write_lock:
            try:
                index = await self._on(self._write_thread, run, self._writer)
            except sqlite3.OperationalError as error:
                raise StoreUnavailable(f"the embedded store cannot be written: {error}") from error
            index.background = True
            self._ties = index
            self._dirty = set()
            self._saved_segments = 0
            self._saved_as_is = True  # people created so are intermediaries who block no one

    def _note_consent(self, person: Person) -> None:
        """Keep the in-memory consent and blocks of one person current."""
        if person.intermediary:
            self._refusing.discard(person.id)
        else:
            self._refusing.add(person.id)
        if person.blocked_ids:
            self._blocks[person.id] = frozenset(person.blocked_ids)
        else:
            self._blocks.pop(person.id, None)

    async def _checkpoint_ties(
        self, *, replace_all: bool = False, save_arrays: bool = True, whole: bool = False
    ) -> None:
        """Write the changed ties (or all ties, replacing the stored ones) and the interaction
        row they are complete through, with the strength model that scored them.

        Unless ``save_arrays`` is false, the changed ties are also saved as arrays beside the
        saved index (a *segment*, read back in bulk on open), so that a store that stops
        without closing opens from arrays, not from the checkpoint table. When there is no
        complete saved index to add to, or its segments would hold more than a quarter of the
        ties, the index is saved whole instead (copied as it is, without compacting it), as it
        is when ``whole`` is set (then even with no tie changed).
        """
        if self._writer is None or self._write_thread is None:
            return
        if replace_all:
            self._dirty = set(self._ties.pairs())
        elif not self._dirty and not whole:
            return
        # In key order: the ties table is a B-tree on (a, b), filled page by page so.
        rows = self._ties.held(sorted(self._dirty))
        fingerprint = self.model.fingerprint()
        segment: dict[str, Any] | None = None
        arrays: dict[str, Any] | None = None
        segments = self._saved_segments
        if not save_arrays:
            segments = None
        elif (
            replace_all
            or whole
            or segments is None
            or segments + len(rows) > max(_SEGMENTS_AT_LEAST, len(self._ties) // 4)
        ):
            arrays = self._ties.snapshot(compact=False)
            segments = 0
        else:
            segment = self._ties.segment(self._dirty)
            segments += len(rows)

        def run(conn: sqlite3.Connection) -> None:
            with self._transaction(conn):
                through = conn.execute("SELECT coalesce(max(seq), 0) FROM interactions")
                if replace_all:
                    conn.execute("DELETE FROM ties")
                conn.executemany(
                    "INSERT OR REPLACE INTO ties VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
                )
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('ties_through', ?)",
                    (str(through.fetchone()[0]),),
                )
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('strength_model', ?)",
                    (fingerprint,),
                )
                if arrays is not None:
                    _store_arrays(conn, arrays)
                elif segment is not None:
                    _store_segment(conn, segment)
                else:  # the saved index no longer matches the checkpoint
                    conn.execute("DELETE FROM meta WHERE key = 'tie_index_through'")

        await self._on(self._write_thread, run, self._writer)
        self._dirty = set()
        self._saved_segments = segments

    async def _save_index(self) -> None:
        """Store the tie index's arrays as they are, with the checkpoint they match, so the
        next open reads a few large blobs instead of every tie (right after a checkpoint)."""
        if self._writer is None or self._write_thread is None:
            return
        arrays = self._ties.snapshot()

        def run(conn: sqlite3.Connection) -> None:
            with self._transaction(conn):
                _store_arrays(conn, arrays)

        await self._on(self._write_thread, run, self._writer)
        self._saved_segments = 0

    def _write(
        self,
        conn: sqlite3.Connection,
        batch: WriteBatch,
        request: SnapshotRequest,
        ties: TieIndex,
    ) -> tuple[WritePlan, list[TieDelta]]:
        with self._transaction(conn):
            snapshot = self._snapshot(conn, request)
            plan = plan_batch(batch, snapshot, self.model)
            record_rows: list[tuple[str, str, bytes]] = []
            ref_rows: list[tuple[str, ...]] = []
            stale_refs: list[tuple[str, str]] = []
            for kind, records in plan.writes.items():
                stored = snapshot.records.get(kind, {})
                for record in records:
                    rid = record_id(record)
                    values = encode(record)
                    record_rows.append((kind, rid, _dumps(values)))
                    if rid in stored:  # an update: what it named before may have changed
                        stale_refs.append((kind, rid))
                    ref_rows.extend(_ref_rows(kind, values, rid))
            if plan.interactions:
                self._insert_interactions(conn, plan.interactions)
            if stale_refs:
                conn.executemany("DELETE FROM refs WHERE kind = ? AND id = ?", stale_refs)
            conn.executemany(
                "INSERT OR REPLACE INTO records (kind, id, data) VALUES (?, ?, ?)", record_rows
            )
            conn.executemany("INSERT OR IGNORE INTO refs VALUES (?, ?, ?, ?, ?)", ref_rows)
            _log_changes(conn, plan.changes)
        # Computed after the commit succeeded; stored in the index by the caller.
        return plan, ties.merged(plan.ties)

    @staticmethod
    def _insert_interactions(conn: sqlite3.Connection, interactions: list[Interaction]) -> None:
        """Append new interactions and index them by participant and time."""
        row = conn.execute("SELECT coalesce(max(seq), 0) FROM interactions").fetchone()
        first_seq = int(row[0]) + 1
        rows = []
        people: list[tuple[str, int, int]] = []
        add_person = people.append
        for seq, i in enumerate(interactions, start=first_seq):
            at_us = (i.at - _EPOCH) // _MICROSECOND  # exact, as _micros
            ids = i.participant_ids
            # The kind is a str enum: SQLite stores its value as text.
            rows.append(
                (seq, i.key, at_us, i.kind, "|".join(ids), i.initiator_id, i.duration_s,
                 i.channel, i.group_size)
            )  # fmt: skip
            if len(ids) == 2 and ids[0] != ids[1]:
                add_person((ids[0], at_us, seq))
                add_person((ids[1], at_us, seq))
            else:
                people.extend((p, at_us, seq) for p in dict.fromkeys(ids))
        conn.executemany("INSERT INTO interactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT INTO interaction_people VALUES (?, ?, ?)", people)

    @staticmethod
    def _snapshot(conn: sqlite3.Connection, request: SnapshotRequest) -> Snapshot:
        snapshot = Snapshot()
        for kind, ids in request.records.items():
            snapshot.records[kind] = _load_records(conn, kind, ids)
        for kind, ids in request.references.items():
            snapshot.existing[kind] = _existing_ids(conn, kind, ids)
        for meeting_id in request.attendees_of:
            rows = conn.execute(
                "SELECT id FROM refs WHERE kind = 'attendance' AND ref_kind = 'meeting'"
                " AND ref = ?",
                (meeting_id,),
            )
            # An attendance id is "meeting|person": keep the person part.
            snapshot.attendees[meeting_id] = {rid.split("|", 1)[1] for (rid,) in rows}
        return snapshot

    # -- reads ----------------------------------------------------------------------------------

    async def get(self, kind: type[R], ids: Collection[str]) -> dict[str, R]:
        """Return stored records of ``kind`` among ``ids``."""
        name = _KIND_NAMES[kind]
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}

        def run(conn: sqlite3.Connection) -> dict[str, R]:
            return _load_records(conn, name, wanted)  # type: ignore[return-value]

        if len(wanted) <= _FEW:
            return self._read_few(run)
        return await self._read(run)

    async def list_records(self, kind: type[R], *, first: int, after: str | None = None) -> Page[R]:
        """Return records of ``kind`` in id order after ``after``."""
        name = _KIND_NAMES[kind]
        first = check_page_size(first)

        def run(conn: sqlite3.Connection) -> Page[R]:
            if name == "interaction":
                total = conn.execute("SELECT count(*) FROM interactions").fetchone()
                found = conn.execute(
                    f"SELECT {_INTERACTION_COLUMNS} FROM interactions"  # noqa: S608 - constant
                    " WHERE key > ? ORDER BY key LIMIT ?",
                    (after or "", first + 1),
                ).fetchall()
                interactions = [_interaction(row) for row in found[:first]]
                return Page(
                    items=interactions,  # type: ignore[arg-type]
                    total=int(total[0]),
                    has_next=len(found) > first,
                )
            total = conn.execute("SELECT count(*) FROM records WHERE kind = ?", (name,)).fetchone()
            rows = conn.execute(
                "SELECT data FROM records WHERE kind = ? AND id > ? ORDER BY id LIMIT ?",
                (name, after or "", first + 1),
            ).fetchall()
            items = [decode(kind, orjson.loads(data)) for (data,) in rows[:first]]
            return Page(items=items, total=int(total[0]), has_next=len(rows) > first)

        return await self._read(run)

    async def search_people(
        self, query: PeopleQuery, *, first: int, after: str | None = None
    ) -> Page[Person]:
        """Return people matching every given filter, in id order."""
        first = check_page_size(first)
        conditions = ["r.kind = 'person'"]
        params: list[Any] = []
        if query.name:
            conditions.append("instr(unicode_lower(json_extract(r.data, '$.name')), ?) > 0")
            params.append(query.name.lower())
        for field, value in (
            ("profession", query.profession),
            ("industry", query.industry),
            ("organization_id", query.organization_id),
            ("location", query.location),
        ):
            if value:
                conditions.append(f"unicode_lower(json_extract(r.data, '$.{field}')) = ?")
                params.append(value.lower())
        if query.interest:
            conditions.append(
                "r.id IN (SELECT id FROM refs WHERE kind = 'person'"
                " AND ref_kind = 'interest_label' AND ref = ?)"
            )
            params.append(query.interest.casefold())
        if query.discoverable_only:
            conditions.append("json_extract(r.data, '$.discoverable') = 1")
        where = " AND ".join(conditions)

        def run(conn: sqlite3.Connection) -> Page[Person]:
            total = conn.execute(f"SELECT count(*) FROM records r WHERE {where}", params)  # noqa: S608 - fixed fragments, values bound
            count = int(total.fetchone()[0])
            rows = conn.execute(
                f"SELECT r.data FROM records r WHERE {where} AND r.id > ? ORDER BY r.id LIMIT ?",  # noqa: S608
                [*params, after or "", first + 1],
            ).fetchall()
            items = [decode(Person, orjson.loads(data)) for (data,) in rows[:first]]
            return Page(items=items, total=count, has_next=len(rows) > first)

        return await self._read(run)

    async def people_by_contact(
        self, *, emails: Collection[str] = (), profile_urls: Collection[str] = ()
    ) -> dict[str, Person]:
        """Return the people with one of the addresses or profile URLs (see the port), by id.

        Stored values are matched by their keys, which SQL cannot compute, so this reads the
        contact fields of every person who has one: one scan of the people, no JSON decoded but
        that of the people found.
        """
        wanted_emails = {key for key in map(email_key, emails) if key}
        wanted_urls = {key for key in map(profile_url_key, profile_urls) if key}
        if not wanted_emails and not wanted_urls:
            return {}

        def matches(email: object, url: object) -> bool:
            return (isinstance(email, str) and email_key(email) in wanted_emails) or (
                isinstance(url, str) and profile_url_key(url) in wanted_urls
            )

        def run(conn: sqlite3.Connection) -> dict[str, Person]:
            rows = conn.execute(
                "SELECT id, json_extract(data, '$.email'), json_extract(data, '$.profile_url')"
                " FROM records WHERE kind = 'person'"
                " AND (json_extract(data, '$.email') IS NOT NULL"
                " OR json_extract(data, '$.profile_url') IS NOT NULL)"
            )
            found = [rid for rid, email, url in rows if matches(email, url)]
            return _load_records(conn, "person", found)  # type: ignore[return-value]

        return await self._read(run)

    async def people_by_name(self, names: Collection[tuple[str, str]]) -> dict[str, Person]:
        """Return the people with one of the names at its organization (see the port), by id.

        Names are matched by their keys, which SQL cannot compute, so this reads the names of
        the people of the given organizations (a range of the ``refs`` index per organization,
        no JSON decoded but the names and the people found), and compares the keys here.
        """
        wanted = name_keys_by_organization(names)
        if not wanted:
            return {}

        def run(conn: sqlite3.Connection) -> dict[str, Person]:
            rows = conn.execute(
                "SELECT f.ref, f.id, json_extract(r.data, '$.name') FROM refs f"
                " JOIN records r ON r.kind = 'person' AND r.id = f.id"
                " WHERE f.kind = 'person' AND f.ref_kind = 'organization'"
                " AND f.ref IN (SELECT value FROM json_each(?))",
                (orjson.dumps(sorted(wanted)).decode(),),
            )
            found = [
                rid
                for organization_id, rid, name in rows
                if isinstance(name, str) and person_name_key(name) in wanted[organization_id]
            ]
            return _load_records(conn, "person", found)  # type: ignore[return-value]

        return await self._read(run)

    async def _referencing(
        self,
        kind: type[R],
        by: Iterable[tuple[str, Collection[str] | None]],
        *,
        order: Callable[[R], Any],
    ) -> list[R]:
        """Return records of ``kind`` that name any of the given ids, for every given field."""
        name = _KIND_NAMES[kind]
        filters = [(ref_kind, list(ids)) for ref_kind, ids in by if ids is not None]

        def run(conn: sqlite3.Connection) -> list[R]:
            found: set[str] | None = None
            for ref_kind, ids in filters:
                rows = _select_in(
                    conn,
                    "SELECT id FROM refs WHERE kind = ? AND ref_kind = ? AND ref IN",
                    name,
                    ids,
                    ref_kind,
                )
                matched = {rid for (rid,) in rows}
                found = matched if found is None else found & matched
            if not found:
                return []
            rows = _select_in(
                conn, "SELECT data FROM records WHERE kind = ? AND id IN", name, found
            )
            return sorted((decode(kind, orjson.loads(data)) for (data,) in rows), key=order)

        people = [ids for ref_kind, ids in filters if ref_kind == "person"]
        if people and len(people[0]) <= _FEW and sum(len(ids) for _, ids in filters) <= _FEW:
            return self._read_few(run)  # a few people's records: a few rows
        return await self._read(run)

    async def memberships(
        self,
        *,
        group_ids: Collection[str] | None = None,
        person_ids: Collection[str] | None = None,
        accepted_only: bool = True,
    ) -> list[Membership]:
        """Return memberships of the given groups and/or people (active ones unless asked)."""
        found = await self._referencing(
            Membership,
            (("group", group_ids), ("person", person_ids)),
            order=lambda m: (m.group_id, m.person_id),
        )
        return [m for m in found if not accepted_only or m.status is MembershipStatus.ACTIVE]

    async def meetings_of(self, group_ids: Collection[str]) -> list[Meeting]:
        """Return the meetings of the given groups in time order."""
        return await self._referencing(
            Meeting, (("group", group_ids),), order=lambda m: (m.starts_at, m.id)
        )

    async def attendance(
        self,
        *,
        meeting_ids: Collection[str] | None = None,
        person_ids: Collection[str] | None = None,
    ) -> list[Attendance]:
        """Return attendance at the given meetings and/or by the given people."""
        return await self._referencing(
            Attendance,
            (("meeting", meeting_ids), ("person", person_ids)),
            order=lambda a: (a.meeting_id, a.person_id),
        )

    async def breakouts_of(self, meeting_ids: Collection[str]) -> list[Breakout]:
        """Return the breakouts of the given meetings."""
        return await self._referencing(
            Breakout, (("meeting", meeting_ids),), order=lambda b: (b.meeting_id, b.id)
        )

    async def side_conversations_of(self, person_id: str) -> list[SideConversation]:
        """Return a person's side conversations in time order."""
        return await self._referencing(
            SideConversation, (("person", [person_id]),), order=lambda s: (s.at, s.id)
        )

    async def introductions_of(self, person_id: str) -> list[Introduction]:
        """Return the introductions a person is part of, by id."""
        return await self._referencing(
            Introduction, (("person", [person_id]),), order=lambda i: i.id
        )

    async def interactions_of(
        self,
        person_id: str,
        *,
        other_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Interaction]:
        """Return a person's interactions in time order (then key)."""
        lo = _micros(since) if since else -(2**62)
        hi = _micros(until) if until else 2**62

        def run(conn: sqlite3.Connection) -> list[Interaction]:
            if other_id is None:
                rows = conn.execute(
                    f"SELECT {_INTERACTION_COLUMNS_OF_I} FROM interaction_people p"  # noqa: S608
                    " JOIN interactions i ON i.seq = p.seq"
                    " WHERE p.person = ? AND p.at_us >= ? AND p.at_us < ?",
                    (person_id, lo, hi),
                )
            else:
                rows = conn.execute(
                    f"SELECT {_INTERACTION_COLUMNS_OF_I} FROM interaction_people p"  # noqa: S608
                    " JOIN interaction_people q"
                    " ON q.person = ? AND q.at_us = p.at_us AND q.seq = p.seq"
                    " JOIN interactions i ON i.seq = p.seq"
                    " WHERE p.person = ? AND p.at_us >= ? AND p.at_us < ?",
                    (other_id, person_id, lo, hi),
                )
            found = [_interaction(row) for row in rows]
            return sorted(found, key=lambda i: (i.at, i.key))

        return await self._read(run)

    async def group_contacts(
        self,
        member_ids: Collection[str],
        *,
        hidden: Collection[str] = (),
        after: datetime,
        until: datetime,
    ) -> GroupContacts:
        """Count a group's contacts in SQL over the people index of the interactions table;
        only shared interactions and the reached people's participant lists are read."""
        members = sorted(set(member_ids))
        unseen = frozenset(hidden) - set(members)
        ids = orjson.dumps(members).decode()
        everyone = orjson.dumps(sorted(set(members) | unseen)).decode()
        lo, hi = _micros(after), _micros(until)

        def run(conn: sqlite3.Connection) -> tuple[list[Interaction], list[Any], int | None]:
            shared = conn.execute(
                f"SELECT {_INTERACTION_COLUMNS_OF_I} FROM interactions i"  # noqa: S608
                " WHERE i.seq IN (SELECT p.seq FROM interaction_people p"
                " JOIN json_each(?) m ON p.person = m.value WHERE p.at_us < ?"
                " GROUP BY p.seq HAVING count(*) >= 2)",
                (ids, hi),
            )
            found = sorted((_interaction(row) for row in shared), key=lambda i: (i.at, i.key))
            reach = conn.execute(
                "SELECT DISTINCT p.person, i.participants FROM interaction_people p"
                " JOIN json_each(?) m ON p.person = m.value"
                " JOIN interactions i ON i.seq = p.seq"
                " WHERE p.at_us > ? AND p.at_us < ? AND i.kind != ?",
                (ids, lo, hi, InteractionKind.MEETING.value),
            ).fetchall()
            first = conn.execute(
                "SELECT min(p.at_us) FROM interaction_people p"
                " JOIN json_each(?) m ON p.person = m.value WHERE p.at_us < ?",
                (everyone, hi),
            ).fetchone()[0]
            return found, reach, first

        shared, reach, first = await self._read(run)
        people: dict[str, set[str]] = {m: set() for m in members}
        for member, participants in reach:
            people[member].update(participants.split("|"))
        for member, reached in people.items():
            reached -= unseen | {member}
        others = sorted({p for reached in people.values() for p in reached})
        groups: dict[str, set[str]] = {p: set() for p in others}
        for m in await self.memberships(person_ids=others) if others else []:
            groups[m.person_id].add(m.group_id)
        return GroupContacts(
            shared=tuple(shared),
            groups_reached={
                m: frozenset(g for p in reached for g in groups[p]) for m, reached in people.items()
            },
            first_at=None if first is None else _instant(first),
        )

    async def direct_contacts(
        self, pairs: Collection[tuple[str, str]], *, after: datetime, until: datetime
    ) -> dict[tuple[str, str], int]:
        """Count the pairs' direct contacts in SQL over the interactions' people index."""
        wanted = sorted({pair_key(a, b) for a, b in pairs if a != b})
        lo, hi = _micros(after), _micros(until)

        def run(conn: sqlite3.Connection) -> dict[tuple[str, str], int]:
            counted: dict[tuple[str, str], int] = {}
            for a, b in wanted:
                (count,) = conn.execute(
                    "SELECT count(*) FROM interaction_people p"
                    " JOIN interaction_people q"
                    " ON q.person = ? AND q.at_us = p.at_us AND q.seq = p.seq"
                    " JOIN interactions i ON i.seq = p.seq"
                    " WHERE p.person = ? AND p.at_us > ? AND p.at_us < ? AND i.kind != ?",
                    (b, a, lo, hi, InteractionKind.MEETING.value),
                ).fetchone()
                if count:
                    counted[(a, b)] = count
            return counted

        return await self._read(run)

    async def pair_tie_stretches(
        self, a: str, b: str, *, ends: Sequence[datetime], until: datetime
    ) -> list[Tie | None]:
        """Fold the pair's interactions in each stretch in SQL: each stretch a range of the
        interactions' people index; one row per stretch comes back (see the port)."""
        found: list[Tie | None] = [None] * len(ends)
        if a == b or not ends:
            return found
        first, second = pair_key(a, b)
        model = self.model
        bounds = orjson.dumps([_micros(end) for end in ends]).decode()
        weights = orjson.dumps({k.value: float(w) for k, w in model.weights.items()}).decode()
        grouped = orjson.dumps(sorted(k.value for k in GROUP_KINDS)).decode()
        half_life_us = model.half_life / timedelta(microseconds=1)

        def run(conn: sqlite3.Connection) -> list[Any]:
            return conn.execute(
                "WITH bounds(k, lo, hi) AS ("
                " SELECT key, lag(value, 1, -9223372036854775807) OVER (ORDER BY key), value"
                " FROM json_each(:ends)),"
                " shared(k, at_us, kind, initiator, w) AS ("
                " SELECT b.k, p.at_us, i.kind, i.initiator,"
                " coalesce(json_extract(:weights, '$.' || i.kind), 0.0)"
                " / CASE WHEN i.kind IN (SELECT value FROM json_each(:grouped))"
                " AND coalesce(nullif(i.group_size, 0), people_in(i.participants)) > 2"
                " THEN coalesce(nullif(i.group_size, 0), people_in(i.participants)) - 1"
                " ELSE 1 END"
                " FROM bounds b"
                " JOIN interaction_people p"
                " ON p.person = :a AND p.at_us > b.lo AND p.at_us <= b.hi AND p.at_us < :until"
                " JOIN interaction_people q"
                " ON q.person = :b AND q.at_us = p.at_us AND q.seq = p.seq"
                " JOIN interactions i ON i.seq = p.seq),"
                " decayed AS (SELECT *, w * pow(2.0,"
                " -(max(at_us) OVER (PARTITION BY k) - at_us) / :half_life_us) AS part"
                " FROM shared)"
                " SELECT k, min(at_us), max(at_us), count(*),"
                " sum(initiator IS :a), sum(initiator IS :b),"
                " sum(part), total(iif(initiator IS :a, part, 0.0)),"
                " total(iif(initiator IS :b, part, 0.0)), json_group_array(kind)"
                " FROM decayed GROUP BY k",
                {
                    "ends": bounds,
                    "a": first,
                    "b": second,
                    "until": _micros(until),
                    "weights": weights,
                    "grouped": grouped,
                    "half_life_us": half_life_us,
                },
            ).fetchall()

        for k, lo, hi, count, by_a, by_b, score, score_a, score_b, kinds in await self._read(run):
            counts: dict[InteractionKind, int] = {}
            for kind in orjson.loads(kinds):
                counts[InteractionKind(kind)] = counts.get(InteractionKind(kind), 0) + 1
            found[k] = Tie(
                a=first,
                b=second,
                first_at=_instant(lo),
                last_at=_instant(hi),
                count=count,
                counts=counts,
                initiated_by_a=by_a,
                initiated_by_b=by_b,
                score=score,
                score_by_a=score_a,
                score_by_b=score_b,
            )
        return found

    async def tie(self, a: str, b: str) -> Tie | None:
        """Return the tie between two people from the tie index."""
        return self._ties.tie(a, b)

    async def ties_of(self, person_ids: Collection[str]) -> dict[str, list[Tie]]:
        """Return each person's ties, by the other person's id."""
        return {
            pid: [tie for _, tie in self._ties.ties_of(pid)] for pid in dict.fromkeys(person_ids)
        }

    async def ties_between(
        self, pairs: Collection[tuple[str, str]], at: datetime | None = None
    ) -> dict[tuple[str, str], Tie]:
        """Return the ties between the given pairs (see the port): each looked up in the tie
        index, never every tie of a hub on a path; only a tie with contact both before and
        after ``at`` is recomputed from its history."""
        found: dict[tuple[str, str], Tie] = {}
        then: set[tuple[str, str]] = set()
        for a, b in {pair_key(a, b) for a, b in pairs if a != b}:
            tie = self._ties.tie(a, b)
            if tie is None or (at is not None and tie.first_at > at):
                continue
            if at is not None and tie.last_at > at:
                then.add((a, b))
            else:
                found[(a, b)] = tie
        if then:
            found.update(await super().ties_between(then, at))
        return found

    def tie_graph(self) -> nx.Graph[str]:
        """The ties as a networkx graph (each edge's ``tie`` a :class:`Tie`), for export and
        for tools that speak networkx; a copy, built on demand. O(ties)."""
        graph: nx.Graph[str] = nx.Graph()
        graph.add_edges_from((tie.a, tie.b, {"tie": tie}) for tie in self._ties.all_ties())
        return graph

    async def tie_contexts(
        self, person_id: str, others: Collection[str] | None = None
    ) -> list[TieContext]:
        """Return the person's ties with their neighbourhoods, from the tie index.

        A hub's whole neighbourhood (thousands of ties, each compared with the other's) is
        counted on the search thread, so that it does not hold up the event loop."""
        pid = self._ties.id_of(person_id)
        many = pid is not None and others is None and self._ties.degree(pid) > _MANY_TIES
        found_ties = (
            await self._search(self._ties.contexts, person_id, others)
            if many
            else self._ties.contexts(person_id, others)
        )
        if not found_ties:
            return []
        groups_of = await self._read(
            functools.partial(_active_groups, [person_id, *(o for _, o, *_ in found_ties)])
        )
        return _tie_contexts(person_id, found_ties, groups_of)

    async def tie_contexts_among(self, person_ids: Sequence[str]) -> list[TieContext]:
        """Return the ties among the people, from the tie index, with one read of their groups."""
        ordered = sorted(set(person_ids))
        found = [
            (pid, self._ties.contexts(pid, ordered[index + 1 :]))
            for index, pid in enumerate(ordered[:-1])
        ]
        if not any(ties for _, ties in found):
            return []
        groups_of = await self._read(functools.partial(_active_groups, ordered))
        return [context for pid, ties in found for context in _tie_contexts(pid, ties, groups_of)]

    # -- paths over the in-memory graph -------------------------------------------------------

    async def introduction_paths(
        self,
        source: str,
        target: str,
        *,
        max_hops: int,
        first: int,
        strategy: Strategy,
        min_link_strength: float,
        at: datetime,
        kinds: Collection[InteractionKind] | None = None,
        deadline: Deadline | None = None,
    ) -> list[IntroductionPath]:
        """A pruned meet in the middle over the tie index (:func:`top_paths`), in the search
        thread."""
        ties = self._ties
        if source not in ties or target not in ties:
            return []
        view = ties.search_view(
            at=at,
            min_link_strength=min_link_strength,
            kinds=kinds,
            refusing=self._refusing,
            blocks=self._blocks,
        )
        ends = ties.id_of(source), ties.id_of(target)
        assert ends[0] is not None
        assert ends[1] is not None
        found = await self._search(
            top_paths,
            view,
            ends[0],
            ends[1],
            max_hops=max_hops,
            first=first,
            strategy=strategy,
            deadline=deadline,
        )
        paths = (
            IntroductionPath(tuple(ties.name_of(p) for p in people), links)
            for people, links in found
        )
        return rank(paths, strategy, first)

    def _neighbours(
        self, kinds: Collection[InteractionKind] | None
    ) -> Callable[[str], Iterable[str]]:
        ties = self._ties
        if not kinds:
            return ties.neighbours
        mask = ties.kind_mask(kinds)
        return lambda person: ties.neighbours_of_kinds(person, mask)

    async def distance(
        self,
        source: str,
        target: str,
        *,
        limit: int,
        kinds: Collection[InteractionKind] | None = None,
    ) -> int | None:
        """Bidirectional breadth-first search over the in-memory graph."""
        if source == target:  # someone without ties is still zero hops from themselves
            return 0 if await self.get(Person, [source]) else None
        if source not in self._ties or target not in self._ties:
            return None
        return shortest_distance(source, target, neighbours=self._neighbours(kinds), limit=limit)

    async def shortest_paths(
        self,
        source: str,
        target: str,
        *,
        limit: int,
        kinds: Collection[InteractionKind] | None = None,
    ) -> list[tuple[str, ...]]:
        """Every shortest path: the distance first, then the layers that lie on one."""
        if source == target:
            return []
        hops = await self.distance(source, target, limit=limit, kinds=kinds)
        if hops is None:
            return []
        neighbours = self._neighbours(kinds)
        from_source = _layers(source, hops, neighbours)
        from_target = _layers(target, hops, neighbours)
        paths: list[tuple[str, ...]] = []

        def extend(path: tuple[str, ...]) -> None:
            last = path[-1]
            step = len(path)
            if last == target:
                paths.append(path)
                return
            for other in neighbours(last):
                if from_source.get(other) == step and from_target.get(other) == hops - step:
                    extend((*path, other))

        extend((source,))
        return sorted(paths)

    async def neighbourhood(
        self,
        person_id: str,
        *,
        max_hops: int,
        kinds: Collection[InteractionKind] | None = None,
    ) -> dict[str, int]:
        """Breadth-first search to ``max_hops`` over the in-memory graph."""
        if person_id not in self._ties:
            return {}
        found = _layers(person_id, max_hops, self._neighbours(kinds))
        del found[person_id]
        return found

    async def counts(self) -> dict[str, int]:
        """Return how many records of each kind are stored, and how many ties."""

        def run(conn: sqlite3.Connection) -> dict[str, int]:
            found = dict.fromkeys(ENTITY_KINDS, 0)
            for kind, n in conn.execute("SELECT kind, count(*) FROM records GROUP BY kind"):
                found[kind] = int(n)
            found["interaction"] = int(
                conn.execute("SELECT count(*) FROM interactions").fetchone()[0]
            )
            return found

        found = await self._read(run)
        found["tie"] = len(self._ties)
        return found

    async def changes_since(self, cursor: int | None, *, limit: int) -> ChangePage:
        """Return logged changes after ``cursor``, read from the reader connection."""

        def run(conn: sqlite3.Connection) -> ChangePage:
            latest = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'")
            row = latest.fetchone()
            last = int(row[0]) if row else 0
            if cursor is None or limit <= 0:
                return ChangePage([], last)
            rows = conn.execute(
                "SELECT seq, at_us, kind, key, people, group_id FROM changes WHERE seq > ?"
                " ORDER BY seq LIMIT ?",
                (cursor, limit),
            ).fetchall()
            changes = [
                Change(
                    sequence=int(seq),
                    at=_instant(at_us),
                    entry=ChangeEntry(ChangeKind(kind), key, tuple(people.split("|")), group),
                )
                for seq, at_us, kind, key, people, group in rows
            ]
            # No change after the cursor: carry on from the latest (behind the cursor only when
            # the log was replaced, e.g. by restoring a backup).
            return ChangePage(changes, changes[-1].sequence if changes else last)

        return await self._read(run)

    async def prune_changes(self, *, before: datetime) -> int:
        """Delete logged changes older than ``before``."""
        if self._writer is None or self._write_thread is None:
            raise StoreUnavailable("the embedded store is not open")

        def run(conn: sqlite3.Connection) -> int:
            with self._transaction(conn):
                return conn.execute(
                    "DELETE FROM changes WHERE at_us < ?", (_micros(before),)
                ).rowcount

        async with self._write_lock:
            return await self._on(self._write_thread, run, self._writer)

    async def delete_everything(self) -> None:
        """Remove every record and tie (keeping the schema)."""
        if self._writer is None or self._write_thread is None:
            raise StoreUnavailable("the embedded store is not open")

        def run(conn: sqlite3.Connection) -> None:
            with self._transaction(conn):
                conn.execute("DELETE FROM records")
                conn.execute("DELETE FROM refs")
                conn.execute("DELETE FROM ties")
                conn.execute("DELETE FROM interactions")
                conn.execute("DELETE FROM interaction_people")
                conn.execute("DELETE FROM changes")  # AUTOINCREMENT never reuses a sequence
                conn.execute("DELETE FROM meta WHERE key = 'ties_through'")
                conn.execute("DELETE FROM tie_index")
                conn.execute("DELETE FROM meta WHERE key = 'tie_index_through'")

        async with self._write_lock:
            await self._on(self._write_thread, run, self._writer)
            self._ties = TieIndex(self.model, background=True)
            self._saved_as_is = False
            self._dirty = set()
            self._saved_segments = None

    async def erase_person(self, person_id: str, *, by: str, at: datetime) -> ErasureReceipt:
        """Erase a person and every attribution to them; leave an audit record naming no one."""
        if self._writer is None or self._write_thread is None:
            raise StoreUnavailable("the embedded store is not open")

        def run(conn: sqlite3.Connection) -> ErasurePlan:
            with self._transaction(conn):
                plan = plan_erasure(person_id, self._involvement(conn, person_id))
                if plan.is_empty:
                    return plan
                for kind, ids in plan.delete.items():
                    if kind == "interaction":
                        _delete_interactions(conn, ids)
                    elif ids:
                        conn.executemany(
                            "DELETE FROM records WHERE kind = ? AND id = ?",
                            [(kind, i) for i in ids],
                        )
                        conn.executemany(
                            "DELETE FROM refs WHERE kind = ? AND id = ?", [(kind, i) for i in ids]
                        )
                for record in plan.rewrite:
                    kind = _KIND_NAMES[type(record)]
                    previous = plan.previous_id(kind, record)
                    if isinstance(record, Interaction):
                        _rewrite_interaction(conn, record, person_id, previous)
                    else:
                        rid = record_id(record)
                        values = encode(record)
                        conn.execute("DELETE FROM refs WHERE kind = ? AND id = ?", (kind, previous))
                        if previous != rid:
                            conn.execute(
                                "DELETE FROM records WHERE kind = ? AND id = ?", (kind, previous)
                            )
                        conn.execute(
                            "INSERT OR REPLACE INTO records (kind, id, data) VALUES (?, ?, ?)",
                            (kind, rid, _dumps(values)),
                        )
                        conn.executemany(
                            "INSERT OR IGNORE INTO refs VALUES (?, ?, ?, ?, ?)",
                            list(_ref_rows(kind, values, rid)),
                        )
                conn.execute("DELETE FROM ties WHERE a = ? OR b = ?", (person_id, person_id))
                # The saved index names the person: drop it (the ties table is read instead).
                conn.execute("DELETE FROM tie_index")
                conn.execute("DELETE FROM meta WHERE key = 'tie_index_through'")
                conn.execute(
                    "DELETE FROM changes WHERE instr('|' || people || '|', '|' || ? || '|') > 0",
                    (person_id,),
                )
                conn.execute(
                    "INSERT INTO audit (at_us, action, by, details)"
                    " VALUES (?, 'erase_person', ?, ?)",
                    (
                        _micros(at),
                        audit_actor(by, person_id),
                        orjson.dumps(_receipt(plan).removed),
                    ),
                )
            if not plan.is_empty:
                # The write-ahead log still holds earlier copies of the pages that named the
                # person: copy the erased pages into the database and empty the log.
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return plan

        async with self._write_lock:
            plan = await self._on(self._write_thread, run, self._writer)
            self._saved_segments = None  # the saved index was dropped with the person
            self._dirty = {pair for pair in self._dirty if person_id not in pair}
            self._ties.remove_person(person_id)
            self._saved_as_is = False
            if not plan.is_empty:
                # Saved again without them at once, so that a crash opens from arrays.
                await self._checkpoint_ties(whole=True)
            self._refusing.discard(person_id)
            self._blocks.pop(person_id, None)
            for blocker in [b for b, blocked in self._blocks.items() if person_id in blocked]:
                rest = self._blocks[blocker] - {person_id}
                if rest:
                    self._blocks[blocker] = rest
                else:
                    del self._blocks[blocker]
        return _receipt(plan)

    @staticmethod
    def _involvement(conn: sqlite3.Connection, person_id: str) -> Involvement:
        def referencing(kind: str, ref_kind: str = "person") -> list[Any]:
            ids = [
                rid
                for (rid,) in conn.execute(
                    "SELECT id FROM refs WHERE kind = ? AND ref_kind = ? AND ref = ?",
                    (kind, ref_kind, person_id),
                )
            ]
            return list(_load_records(conn, kind, ids).values())

        interactions = [
            _interaction(row)
            for row in conn.execute(
                f"SELECT {_INTERACTION_COLUMNS_OF_I} FROM interaction_people p"  # noqa: S608
                " JOIN interactions i ON i.seq = p.seq WHERE p.person = ?",
                (person_id,),
            )
        ]
        return Involvement(
            person_exists=bool(_existing_ids(conn, "person", [person_id])),
            memberships=referencing("membership"),
            attendance=referencing("attendance"),
            breakouts=referencing("breakout"),
            side_conversations=referencing("side_conversation"),
            interactions=interactions,
            introductions=referencing("introduction"),
            groups_led=referencing("group"),
            # Every person is read to find them: erasures are rare, block lists unindexed.
            blockers=[
                decode(Person, orjson.loads(data))
                for (data,) in conn.execute(
                    "SELECT data FROM records WHERE kind = 'person' AND EXISTS ("
                    " SELECT 1 FROM json_each(records.data, '$.blocked_ids') WHERE value = ?)",
                    (person_id,),
                )
            ],
        )

    # -- the in-memory graph --------------------------------------------------------------------

    def _load_ties(
        self, conn: sqlite3.Connection
    ) -> tuple[TieIndex, set[tuple[str, str]], bool, int | None]:
        """Load the saved index and its segments (or, without them, the tie checkpoint) in
        bulk, then replay the interactions recorded after the checkpoint.

        If the checkpoint was scored by another strength model, rebuild every tie from the whole
        history instead (and say so: the third value is ``True``). The fourth is how many ties
        the saved segments hold (``None`` when the index was not read from them).
        """
        ties = TieIndex(self.model)
        row = conn.execute("SELECT value FROM meta WHERE key = 'strength_model'").fetchone()
        rebuild = row is None or row[0] != self.model.fingerprint()
        row = conn.execute("SELECT value FROM meta WHERE key = 'ties_through'").fetchone()
        through = 0 if rebuild or row is None else int(row[0])
        saved = conn.execute("SELECT value FROM meta WHERE key = 'tie_index_through'").fetchone()
        segments: int | None = None
        if not rebuild and saved is not None and row is not None and saved[0] == row[0]:
            ties = TieIndex.from_snapshot(self.model, _saved_arrays(conn))
            segments = 0
            for segment in _saved_segments(conn):
                ties.put_rows(segment)
                segments += len(segment)
        elif not rebuild:
            ties.load(_tie_chunks(conn))
        ties.background = True
        accumulator = TieAccumulator(self.model)
        replay = conn.execute(
            f"SELECT {_INTERACTION_COLUMNS} FROM interactions WHERE seq > ? ORDER BY seq",  # noqa: S608
            (through,),
        )
        for found in replay:
            accumulator.add(_interaction(found))
        ties.put(ties.merged(accumulator.deltas.values()))
        return ties, set(accumulator.deltas), rebuild, segments


_CHUNK = 100_000


_INDEX_PART = 64 * 1024 * 1024
"""Bytes per row of a saved tie index array (SQLite's blobs end at 1 GB)."""


_SEGMENTS_AT_LEAST = 200_000
"""Ties the saved segments may hold, however few ties there are, before the index is saved
whole instead."""


def _store_arrays(conn: sqlite3.Connection, arrays: dict[str, Any]) -> None:
    """Replace the saved index (and its segments) with ``arrays``, complete through the tie
    checkpoint."""
    conn.execute("DELETE FROM tie_index")
    for name, array in arrays.items():
        _store_array(conn, name, array)
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) SELECT 'tie_index_through', value"
        " FROM meta WHERE key = 'ties_through'"
    )


def _store_segment(conn: sqlite3.Connection, arrays: dict[str, Any]) -> None:
    """Add a segment (changed ties, :meth:`TieIndex.segment`) after the saved index's others;
    the saved index is then complete through the tie checkpoint."""
    (last,) = conn.execute(
        "SELECT coalesce(max(substr(name, 2, 6)), 0) FROM tie_index WHERE name LIKE '+%'"
    ).fetchone()
    for name, array in arrays.items():
        _store_array(conn, f"+{int(last) + 1:06d}/{name}", array)
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) SELECT 'tie_index_through', value"
        " FROM meta WHERE key = 'ties_through'"
    )


def _store_array(conn: sqlite3.Connection, name: str, array: Any) -> None:
    flat = array.reshape(-1)
    step = max(1, _INDEX_PART // array.itemsize)
    for part, start in enumerate(range(0, max(1, len(flat)), step)):
        conn.execute(
            "INSERT INTO tie_index VALUES (?, ?, ?, ?)",
            (name, part, array.dtype.str, flat[start : start + step].tobytes()),
        )


def _saved_arrays(conn: sqlite3.Connection, prefix: str = "") -> dict[str, Any]:
    """The tie index's arrays as :meth:`EmbeddedStore._save_index` stored them (or, with a
    ``prefix``, one segment's), each read into one writable array of its own."""
    sizes = conn.execute(
        "SELECT name, dtype, sum(length(data)) FROM tie_index"
        " WHERE substr(name, 1, length(?)) = ? AND (? != '' OR name NOT LIKE '+%')"
        " GROUP BY name, dtype",
        (prefix, prefix, prefix),
    ).fetchall()
    arrays = {}
    for name, dtype, size in sizes:
        buffer = np.empty(size, np.uint8)
        at = 0
        for (data,) in conn.execute(
            "SELECT data FROM tie_index WHERE name = ? ORDER BY part", (name,)
        ):
            buffer[at : at + len(data)] = np.frombuffer(data, np.uint8)
            at += len(data)
        arrays[name[len(prefix) :]] = buffer.view(np.dtype(dtype))
    return arrays


def _saved_segments(conn: sqlite3.Connection) -> Iterator[TieRows]:
    """The segments saved after the saved index, oldest first."""
    prefixes = [
        prefix
        for (prefix,) in conn.execute(
            "SELECT DISTINCT substr(name, 1, 8) FROM tie_index WHERE name LIKE '+%' ORDER BY 1"
        )
    ]
    for prefix in prefixes:
        yield rows_of_segment(_saved_arrays(conn, prefix))


_TIE_PAGE = "FROM ties WHERE (a, b) > (?, ?) ORDER BY a, b LIMIT ?"
_TIE_PAGE_TEXTS = (
    "SELECT group_concat(a, char(10)), group_concat(b, char(10)),"
    " group_concat(CAST(counts AS TEXT), char(10))"
    " FROM (SELECT a, b, counts FROM ties WHERE (a, b) > (?, ?) ORDER BY a, b LIMIT ?)"
)


def _tie_chunks(conn: sqlite3.Connection) -> Iterator[TieRows]:
    """The checkpoint's rows as columns, a page at a time (the whole of them would need
    several times the index's memory as Python tuples).

    Two reads of each page in key order: the numbers as rows of one type (which numpy turns
    into arrays in C; times in microseconds and counts are exact in a double below 2**53),
    and the two ids and the counts each as one text SQLite joins (split once here; the few
    distinct patterns of counts parsed once each): a fifth of the time of reading whole rows.
    """
    patterns: dict[str, int] = {}
    table: list[tuple[int, ...]] = []

    def pattern_of(text: str) -> int:
        found = patterns.get(text)
        if found is None:
            named = orjson.loads(text)
            found = patterns[text] = len(table)
            table.append(tuple(named.get(kind.value, 0) for kind in KINDS))
        return found

    after = ("", "")
    while True:
        page = (*after, _CHUNK)
        numbers = conn.execute(
            "SELECT first_us, last_us, count, initiated_by_a, initiated_by_b, score,"
            f" score_by_a, score_by_b {_TIE_PAGE}",
            page,
        ).fetchall()
        if not numbers:
            return
        texts = conn.execute(_TIE_PAGE_TEXTS, page).fetchone()
        values = np.array(numbers, np.float64)
        del numbers
        ints = values[:, :5].astype(np.int64)
        a, b = texts[0].split("\n"), texts[1].split("\n")
        kinds = np.fromiter(map(pattern_of, texts[2].split("\n")), np.int64, len(a))
        yield TieRows(
            a=a,
            b=b,
            first_us=ints[:, 0],
            last_us=ints[:, 1],
            count=ints[:, 2],
            counts=np.array(table, np.int32).reshape(-1, len(KINDS))[kinds],
            initiated_by_a=ints[:, 3],
            initiated_by_b=ints[:, 4],
            score=values[:, 5].copy(),
            score_by_a=values[:, 6].copy(),
            score_by_b=values[:, 7].copy(),
        )
        after = (a[-1], b[-1])


def _layers(start: str, depth: int, neighbours: Callable[[str], Iterable[str]]) -> dict[str, int]:
    """Distances from ``start`` to everyone within ``depth`` hops (``start`` itself at 0)."""
    found = {start: 0}
    frontier = [start]
    for level in range(1, depth + 1):
        grown = []
        for person in frontier:
            for other in neighbours(person):
                if other not in found:
                    found[other] = level
                    grown.append(other)
        frontier = grown
    return found


def _path_consent(conn: sqlite3.Connection) -> tuple[set[str], dict[str, frozenset[str]]]:
    """Read who refuses to be an intermediary and whom each person blocked."""
    refusing = {
        row[0]
        for row in conn.execute(
            "SELECT id FROM records WHERE kind = 'person'"
            " AND json_extract(data, '$.intermediary') = 0"
        )
    }
    blocks = {
        pid: frozenset(orjson.loads(blocked))
        for pid, blocked in conn.execute(
            "SELECT id, json_extract(data, '$.blocked_ids') FROM records WHERE kind = 'person'"
            " AND json_array_length(data, '$.blocked_ids') > 0"
        )
    }
    return refusing, blocks


def _log_changes(conn: sqlite3.Connection, entries: list[ChangeEntry]) -> None:
    """Append a batch's change log entries, in its transaction, stamped with the time now."""
    if not entries:
        return
    now = _micros(datetime.now(UTC))
    conn.executemany(
        "INSERT INTO changes (at_us, kind, key, people, group_id) VALUES (?, ?, ?, ?, ?)",
        [(now, e.kind.value, e.key, "|".join(e.people), e.group_id) for e in entries],
    )


def _delete_interactions(conn: sqlite3.Connection, keys: list[str]) -> None:
    """Delete interactions by key, with their index rows."""
    rows = conn.execute(
        "SELECT seq FROM interactions WHERE key IN (SELECT value FROM json_each(?))",
        (orjson.dumps(keys).decode(),),
    ).fetchall()
    conn.executemany("DELETE FROM interaction_people WHERE seq = ?", rows)
    conn.executemany("DELETE FROM interactions WHERE seq = ?", rows)


def _rewrite_interaction(
    conn: sqlite3.Connection, i: Interaction, person_id: str, previous_key: str
) -> None:
    """Store an interaction again with fewer participants (and perhaps a new key), dropping the
    erased one's index row. It keeps its row number, so the tie checkpoint still covers it."""
    row = conn.execute("SELECT seq FROM interactions WHERE key = ?", (previous_key,)).fetchone()
    conn.execute(
        "UPDATE interactions SET key = ?, participants = ?, initiator = ?, group_size = ?"
        " WHERE seq = ?",
        (i.key, "|".join(i.participant_ids), i.initiator_id, i.group_size, row[0]),
    )
    conn.execute("DELETE FROM interaction_people WHERE seq = ? AND person = ?", (row[0], person_id))


def _receipt(plan: ErasurePlan) -> ErasureReceipt:
    return ErasureReceipt(
        erased=not plan.is_empty,
        removed={kind: len(ids) for kind, ids in plan.delete.items() if ids},
        rewritten=len(plan.rewrite),
    )


def _select_in(
    conn: sqlite3.Connection, sql: str, kind: str, ids: Iterable[str], *extra: str
) -> list[Any]:
    """Run ``sql`` (ending in ``IN``) with ``ids`` bound as one JSON array parameter."""
    return conn.execute(
        f"{sql} (SELECT value FROM json_each(?))",  # noqa: S608 - callers pass constant SQL
        (kind, *extra, orjson.dumps(list(ids)).decode()),
    ).fetchall()


_INTERACTION_COLUMNS = "key, at_us, kind, participants, initiator, duration_s, channel, group_size"
_INTERACTION_COLUMNS_OF_I = (
    "i.key, i.at_us, i.kind, i.participants, i.initiator, i.duration_s, i.channel, i.group_size"
)


def _interaction(row: tuple[Any, ...]) -> Interaction:
    """Rebuild an interaction from its columns (in the order of ``_INTERACTION_COLUMNS``)."""
    key, at_us, kind, participants, initiator, duration_s, channel, group_size = row
    return Interaction(
        key=key,
        at=_instant(at_us),
        kind=InteractionKind(kind),
        participant_ids=tuple(participants.split("|")),
        initiator_id=initiator,
        duration_s=duration_s,
        channel=channel,
        group_size=group_size,
    )


def _load_records(conn: sqlite3.Connection, kind: str, ids: Iterable[str]) -> dict[str, Record]:
    """Return the stored records of ``kind`` among ``ids``, by id."""
    if kind == "interaction":
        rows = conn.execute(
            f"SELECT {_INTERACTION_COLUMNS} FROM interactions"  # noqa: S608 - constant columns
            " WHERE key IN (SELECT value FROM json_each(?))",
            (orjson.dumps(list(ids)).decode(),),
        )
        return {row[0]: _interaction(row) for row in rows}
    model = ENTITY_KINDS[kind]
    return {
        rid: decode(model, orjson.loads(data))
        for rid, data in _select_in(
            conn, "SELECT id, data FROM records WHERE kind = ? AND id IN", kind, ids
        )
    }


def _existing_ids(conn: sqlite3.Connection, kind: str, ids: Iterable[str]) -> set[str]:
    """Return which of ``ids`` name a stored record of ``kind``."""
    if kind == "interaction":
        rows = conn.execute(
            "SELECT key FROM interactions WHERE key IN (SELECT value FROM json_each(?))",
            (orjson.dumps(list(ids)).decode(),),
        ).fetchall()
    else:
        rows = _select_in(conn, "SELECT id FROM records WHERE kind = ? AND id IN", kind, ids)
    return {rid for (rid,) in rows}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _unicode_lower(text: str | int | float | None) -> str | int | float | None:
    """Lower-case text the way Neo4j's ``toLower`` does (SQL ``NULL`` and numbers pass)."""
    return text.lower() if isinstance(text, str) else text


def _people_in(participants: str) -> int:
    """Count the different people of a stored participant list (``a|b|a`` is two)."""
    return len(set(participants.split("|")))


def _micros(at: datetime) -> int:
    """Return an aware instant as whole microseconds since the Unix epoch (exact, unlike floats)."""
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _instant(micros: int) -> datetime:
    """Return the UTC instant ``micros`` microseconds after the Unix epoch."""
    return _EPOCH + timedelta(microseconds=micros)

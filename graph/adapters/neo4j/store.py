"""The Neo4j store: tiegraph's records and ties in a Neo4j 5 server or cluster.

The graph model (application ids only; the database's internal ids are never used)::

    (:Person {id, name, ..., interests: [...]})
    (:Person)-[:WORKS_AT]->(:Organization {id, name, industry})
    (:Person)-[:INTERESTED_IN]->(:Interest {id, name, name_key})
    (:Person)-[:MEMBER_OF {id: "group|person", role, joined_on, left_on}]->(:Group {id, ...})
    (:Group)-[:LED_BY]->(:Person)                          when the group has a leader
    (:Meeting {id, group_id, starts_at, ...})-[:OF_GROUP]->(:Group)
    (:Person)-[:ATTENDED {id: "meeting|person", speaking_s}]->(:Meeting)
    (:Breakout {id, meeting_id, member_ids})-[:DURING]->(:Meeting)
    (:Person)-[:IN_BREAKOUT]->(:Breakout)
    (:Person)-[:TOOK_PART]->(:SideConversation {id, participant_ids, at, ...})
    (:Person)-[:PARTICIPATED]->(:Interaction {key, at, kind, participant_ids, ...})
    (:Introduction {id, ...})-[:REQUESTED_BY|INTRODUCER|TARGET]->(:Person)
    (:Person {id: a})-[:TIE {pair: "a|b", first_at, last_at, count, initiated_by_a,
                             initiated_by_b, score, score_by_a, score_by_b,
                             n_meeting, n_breakout, ..., n_introduction}]->(:Person {id: b})
    (:TiegraphSchema {name: 'tiegraph', version})

Every node keeps all of its record's fields as properties (lists in order, absent when
``None``), so a record read back equals the record written; foreign ids are kept as properties
beside the relationships that mirror them. A person's ``interests`` are free-text labels:
``INTERESTED_IN`` links a person to each stored interest whose id or folded name
(``name_key``) equals a folded label. There is one ``TIE`` per pair of people who interacted,
directed from the id that sorts first; it sums the pair's interactions, in total and per kind,
and is found by its unique ``pair`` key (an index seek, however many ties either person has).

Writes run as one managed write transaction per batch: load what the batch touches with a few
batched reads, let :func:`graph.domain.batch.plan_batch` decide, then write the plan with
``UNWIND`` statements in chunks. The number of statements per batch depends on the kinds of
record in it, never on how many records there are.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Concatenate, Final, LiteralString, ParamSpec, Protocol, TypeVar, cast
from urllib.parse import quote, unquote, urlsplit

import neo4j
from neo4j import AsyncDriver, AsyncManagedTransaction
from neo4j.exceptions import (
    AuthError,
    ConnectionPoolError,
    ConstraintError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)
from neo4j.exceptions import ConfigurationError as DriverConfigurationError

from graph.adapters.neo4j import cypher
from graph.adapters.neo4j.procedures import source_digest
from graph.domain.batch import (
    Snapshot,
    SnapshotRequest,
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
from graph.domain.errors import (
    BudgetExceeded,
    ConfigurationError,
    Conflict,
    Problem,
    StoreUnavailable,
    TiegraphError,
)
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
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
from graph.domain.paths import Strategy, rank
from graph.domain.relationship import DEFAULT_SCALE
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

__all__ = ["Neo4jStore", "introduction_path_parameters", "tie_pair_key"]

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)
T = TypeVar("T")
P = ParamSpec("P")

CHUNK_ROWS: Final = 5_000
"""Rows per ``UNWIND`` statement: large enough to amortize a round trip, small enough to keep
one statement's memory on the server bounded."""
RESCORE_PAGE: Final = 500
"""People whose ties one transaction rebuilds from history when every tie is rescored: a
page of ordinary people holds a few tens of thousands of interactions, well inside the
server's transaction timeout."""
RESCORE_LANES: Final = 2
"""Rescoring transactions run side by side, one per core of a small server: their pages hold
disjoint people, so they never set the same tie (the server may still see a deadlock between
two; the page then runs again)."""

DELETE_CHUNK: Final = 10_000
"""Nodes or relationships removed per transaction by :meth:`Neo4jStore.delete_everything`."""

CONNECTION_TIMEOUT_S: Final = 5.0
"""Default for opening one connection (TCP, TLS, handshake); the driver's is 30 s."""
ACQUISITION_TIMEOUT_S: Final = 10.0
"""Default for getting a connection (opening one included) and for waiting for the writes ahead;
the driver's is 60 s."""
MAX_RETRY_TIME_S: Final = 2.0
"""Default for how long a transaction that failed transiently is retried; the driver's is 30 s.
With the driver's back-off (1 s, then 2 s, with jitter) a unit of work meets an unreachable
server three times and fails after about three seconds."""

RETRY_FIRST_DELAY_S: Final = 1.0
RETRY_MULTIPLIER: Final = 2.0
RETRY_JITTER: Final = 0.2
"""The driver's back-off between attempts of a managed transaction, kept for auto-commit reads."""

MIN_TIMEOUT_S: Final = 0.001
"""The shortest transaction timeout sent (the server reads 0 as "no timeout")."""

_TIMED_OUT: Final = frozenset(
    {
        "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
        "Neo.ClientError.Transaction.TransactionTimedOut",
        "Neo.TransientError.Transaction.TransactionTimedOut",
    }
)
"""Codes of a transaction the server ended at its timeout."""

RACE_ATTEMPTS: Final = 10
"""How often a batch is planned at most when concurrent writers keep storing its new records
first; each attempt waits a little longer (with jitter) so that racing writers fall apart."""

_TIE_COUNTERS: Final = tuple((kind, f"n_{kind.value}") for kind in InteractionKind)
if {name for _, name in _TIE_COUNTERS} != set(cypher.TIE_COUNT_PROPERTIES) or any(
    f"{name}: nullIf(" not in cypher.RESCORE_TIES_OF_PEOPLE
    or f"{name}: size(" not in cypher.PAIR_TIE_STRETCHES
    or f"coalesce(held.{name}, 0)" not in cypher.RESCORE_TIES_OF_PEOPLE
    or f"coalesce(tie.{name}, 0)" not in cypher.RESCORE_TIES_OF_PEOPLE
    for _, name in _TIE_COUNTERS
):
    # MERGE_TIES, RESCORE_TIES_OF_PEOPLE and PAIR_TIE_STRETCHES spell every counter out; a
    # new InteractionKind must be added there too.
    raise RuntimeError("cypher.MERGE_TIES does not cover every InteractionKind")

_TIE_COUNTER_OF: Final = dict(_TIE_COUNTERS)

_KIND_NAMES: Final[dict[type[Any], str]] = {kind: name for name, kind in ENTITY_KINDS.items()}

_GET: Final[dict[str, LiteralString]] = {
    "organization": cypher.GET_ORGANIZATIONS,
    "interest": cypher.GET_INTERESTS,
    "person": cypher.GET_PEOPLE,
    "group": cypher.GET_GROUPS,
    "membership": cypher.GET_MEMBERSHIPS,
    "meeting": cypher.GET_MEETINGS,
    "attendance": cypher.GET_ATTENDANCE,
    "breakout": cypher.GET_BREAKOUTS,
    "side_conversation": cypher.GET_SIDE_CONVERSATIONS,
    "interaction": cypher.GET_INTERACTIONS,
    "introduction": cypher.GET_INTRODUCTIONS,
}

_EXISTING: Final[dict[str, LiteralString]] = {
    "organization": cypher.EXISTING_ORGANIZATION_IDS,
    "person": cypher.EXISTING_PERSON_IDS,
    "group": cypher.EXISTING_GROUP_IDS,
    "meeting": cypher.EXISTING_MEETING_IDS,
}

_LIST: Final[dict[str, LiteralString]] = {
    "organization": cypher.LIST_ORGANIZATIONS,
    "interest": cypher.LIST_INTERESTS,
    "person": cypher.LIST_PEOPLE,
    "group": cypher.LIST_GROUPS,
    "membership": cypher.LIST_MEMBERSHIPS,
    "meeting": cypher.LIST_MEETINGS,
    "attendance": cypher.LIST_ATTENDANCE,
    "breakout": cypher.LIST_BREAKOUTS,
    "side_conversation": cypher.LIST_SIDE_CONVERSATIONS,
    "interaction": cypher.LIST_INTERACTIONS,
    "introduction": cypher.LIST_INTRODUCTIONS,
}

_ERASE: Final[dict[str, LiteralString]] = {
    "membership": cypher.DELETE_MEMBERSHIPS,
    "attendance": cypher.DELETE_ATTENDANCE,
    "introduction": cypher.DELETE_INTRODUCTIONS,
    "breakout": cypher.DELETE_BREAKOUTS,
    "side_conversation": cypher.DELETE_SIDE_CONVERSATIONS,
    "interaction": cypher.DELETE_INTERACTIONS,
    "person": cypher.DELETE_PEOPLE,  # last: the rest is found through the person
}

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

_SCHEMES: Final = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
"""Bolt URIs only: a direct connection (bolt) or a routed one (neo4j), with or without TLS."""


# ---------------------------------------------------------------------------------------------
# Translating driver errors into domain errors.


_CONTENTION: Final = frozenset(
    {
        "Neo.TransientError.Transaction.DeadlockDetected",
        "Neo.TransientError.Transaction.LockClientStopped",
        "Neo.TransientError.Transaction.Outdated",
    }
)
"""Codes of a transaction that lost to another writer; running it again can succeed."""


class _Contended(Exception):
    """A write lost to a concurrent writer (deadlock) even after the driver's retries."""


@contextlib.contextmanager
def _driver_errors(uri: str, database: str, *, contention: bool = False) -> Iterator[None]:
    """Turn the driver's errors into tiegraph's, keeping the cause (``raise ... from``).

    With ``contention``, a transaction that lost to another writer raises :class:`_Contended`
    for the caller to run it again, rather than calling the server unavailable.
    """
    try:
        yield
    except TransientError as error:
        if contention and error.code in _CONTENTION:
            raise _Contended(error.message) from error
        # The driver already retried for a while; the server is busy, starting or failing over.
        raise StoreUnavailable(f"Neo4j at {uri} is unavailable: {error.message}") from error
    except AuthError as error:
        raise ConfigurationError(
            f"Neo4j at {uri} refused the credentials: check NEO4J_USER and NEO4J_PASSWORD"
            f" ({error.message})"
        ) from error
    except (ServiceUnavailable, SessionExpired, ConnectionPoolError) as error:
        raise StoreUnavailable(f"Neo4j at {uri} cannot be reached: {error}") from error
    except Neo4jError as error:
        if error.code == "Neo.ClientError.Database.DatabaseNotFound":
            raise ConfigurationError(
                f"NEO4J_DATABASE: Neo4j at {uri} has no database {database!r}"
            ) from error
        raise
    except DriverConfigurationError as error:
        raise ConfigurationError(f"NEO4J_URI: cannot connect to {uri}: {error}") from error


# ---------------------------------------------------------------------------------------------
# Small helpers for transaction functions. Each consumes its result before returning, as the
# driver requires of managed transactions.


class _Runner(Protocol):
    """What a helper of :data:`_AUTO_COMMIT` runs its statements in: a managed transaction, or
    :class:`_AutoCommit`."""

    async def run(self, query: LiteralString, parameters: dict[str, Any], /) -> neo4j.AsyncResult:
        """Run ``query`` and return its result, to be consumed before the unit returns."""
        ...


class _AutoCommit:
    """Runs each statement as an auto-commit query in ``session``, within ``timeout`` seconds."""

    def __init__(self, session: neo4j.AsyncSession, timeout: float | None) -> None:
        self._session = session
        self._timeout = timeout

    async def run(self, query: LiteralString, parameters: dict[str, Any], /) -> neo4j.AsyncResult:
        return await self._session.run(neo4j.Query(query, timeout=self._timeout), parameters)


_PROCEDURE_NOT_FOUND: Final = "Neo.ClientError.Procedure.ProcedureNotFound"


def _paths_of(rows: Sequence[neo4j.Record]) -> list[IntroductionPath]:
    """The paths of the path queries' rows (``ids``, ``links``)."""
    return [IntroductionPath(tuple(row["ids"]), tuple(row["links"])) for row in rows]


async def _column(tx: _Runner, query: LiteralString, /, **params: Any) -> list[Any]:
    """Run a query and return its first column."""
    result = await tx.run(query, params)
    return await result.value()


async def _execute(tx: _Runner, query: LiteralString, /, **params: Any) -> None:
    """Run a query for its effects."""
    result = await tx.run(query, params)
    await result.consume()


async def _execute_chunked(
    tx: AsyncManagedTransaction,
    query: LiteralString,
    rows: Sequence[Any],
    /,
    *,
    key: str = "rows",
    chunk: int = CHUNK_ROWS,
    **params: Any,
) -> None:
    """Run an ``UNWIND $rows`` query over ``rows``, at most ``chunk`` rows per statement."""
    for start in range(0, len(rows), chunk):
        result = await tx.run(query, {**params, key: rows[start : start + chunk]})
        await result.consume()


async def _records(tx: _Runner, query: LiteralString, /, **params: Any) -> list[neo4j.Record]:
    """Run a query and return all its rows."""
    result = await tx.run(query, params)
    return [row async for row in result]


async def _collected(tx: _Runner, query: LiteralString, /, **params: Any) -> list[Any]:
    """Run a query that returns one row holding one list (``RETURN collect(...)``); return it.

    One list costs the driver far less to decode than as many rows.
    """
    result = await tx.run(query, params)
    row = await result.single(strict=True)
    return list(row[0])


async def _collected_chunked(
    tx: _Runner,
    query: LiteralString,
    ids: Collection[str],
    *,
    chunk: int = CHUNK_ROWS,
) -> list[Any]:
    """Run an ``UNWIND $ids ... RETURN collect(...)`` query over ``ids`` in chunks; join them."""
    listed = list(ids)
    out: list[Any] = []
    for start in range(0, len(listed), chunk):
        out.extend(await _collected(tx, query, ids=listed[start : start + chunk]))
    return out


def _instant(at: datetime) -> list[int]:
    """Return an aware instant as [whole seconds since the epoch, nanoseconds], exactly."""
    delta = at - _EPOCH
    return [delta.days * 86_400 + delta.seconds, delta.microseconds * 1_000]


# ---------------------------------------------------------------------------------------------
# Reading records.


async def _get_records(
    tx: _Runner, kind_name: str, ids: Collection[str], chunk: int
) -> dict[str, Record]:
    """Return the stored records of one kind among ``ids``, by id."""
    kind = ENTITY_KINDS[kind_name]
    records: dict[str, Record] = {}
    for props in await _collected_chunked(tx, _GET[kind_name], ids, chunk=chunk):
        record = decode(kind, props)
        records[record_id(record)] = record
    return records


_AUTO_COMMIT: Final[frozenset[Callable[..., Awaitable[Any]]]] = frozenset(
    {_column, _execute, _records, _collected, _get_records}
)
"""Units of work whose statements are independent reads: a read of one of these runs each
statement as an auto-commit query. Most run one statement; ``_get_records`` runs one per chunk
of ids, which may as well be transactions of their own: Neo4j's isolation is read committed,
so the statements of one transaction share no snapshot either."""


async def _load_snapshot(
    tx: AsyncManagedTransaction, request: SnapshotRequest, chunk: int
) -> Snapshot:
    """Read what :func:`plan_batch` needs: whole records, existing ids and meeting attendees."""
    snapshot = Snapshot()
    for kind_name, ids in request.records.items():
        if ids:
            records = await _get_records(tx, kind_name, ids, chunk)
            snapshot.records[kind_name] = records
            snapshot.existing[kind_name] = set(records)
    for kind_name, ids in request.references.items():
        existing = snapshot.existing.setdefault(kind_name, set())
        unknown = ids - existing - request.records.get(kind_name, frozenset())
        if not unknown:
            continue
        query = _EXISTING.get(kind_name)
        if query is None:
            existing.update(await _get_records(tx, kind_name, unknown, chunk))
        else:
            existing.update(await _collected_chunked(tx, query, unknown, chunk=chunk))
    if request.attendees_of:
        pairs = await _collected_chunked(
            tx, cypher.ATTENDEES_OF_MEETINGS, request.attendees_of, chunk=chunk
        )
        for meeting_id, person_id in pairs:
            snapshot.attendees.setdefault(meeting_id, set()).add(person_id)
    return snapshot


# ---------------------------------------------------------------------------------------------
# Writing a plan.


def _node_rows(records: Sequence[Record], *instants: str) -> list[dict[str, Any]]:
    """Rows of ``{id, props}`` for node records, with the named instants moved out of props."""
    rows = []
    for record in records:
        props = encode(record, temporal="native")
        row: dict[str, Any] = {"id": record_id(record), "props": props}
        for name in instants:
            at = props.pop(name, None)
            row[name] = None if at is None else _instant(at)
        rows.append(row)
    return rows


async def _write_records(
    tx: AsyncManagedTransaction, kind_name: str, records: Sequence[Record], chunk: int
) -> None:
    """Write new or changed records of one kind, with the relationships that mirror them."""
    ids = [record_id(r) for r in records]
    rows: list[dict[str, Any]] = []
    match kind_name:
        case "organization":
            await _execute_chunked(
                tx, cypher.UPSERT_ORGANIZATIONS, _node_rows(records), chunk=chunk
            )
        case "interest":
            await _execute_chunked(tx, cypher.UPSERT_INTERESTS, _node_rows(records), chunk=chunk)
            await _execute_chunked(tx, cypher.UNLINK_INTERESTS, ids, key="ids", chunk=chunk)
            await _execute_chunked(tx, cypher.LINK_PEOPLE_TO_INTERESTS, ids, key="ids", chunk=chunk)
        case "person":
            people = [r for r in records if isinstance(r, Person)]
            await _execute_chunked(tx, cypher.UPSERT_PEOPLE, _node_rows(people), chunk=chunk)
            await _execute_chunked(tx, cypher.UNLINK_PEOPLE, ids, key="ids", chunk=chunk)
            employed = [
                {"id": p.id, "organization_id": p.organization_id}
                for p in people
                if p.organization_id is not None
            ]
            await _execute_chunked(tx, cypher.LINK_PEOPLE_TO_ORGANIZATIONS, employed, chunk=chunk)
            curious = [p.id for p in people if p.interests]
            await _execute_chunked(
                tx, cypher.LINK_INTERESTS_OF_PEOPLE, curious, key="ids", chunk=chunk
            )
        case "group":
            groups = [r for r in records if isinstance(r, Group)]
            await _execute_chunked(tx, cypher.UPSERT_GROUPS, _node_rows(groups), chunk=chunk)
            await _execute_chunked(tx, cypher.UNLINK_GROUPS, ids, key="ids", chunk=chunk)
            led = [{"id": g.id, "leader_id": g.leader_id} for g in groups if g.leader_id]
            await _execute_chunked(tx, cypher.LINK_GROUPS_TO_LEADERS, led, chunk=chunk)
        case "membership":
            for m in records:
                assert isinstance(m, Membership)
                props = encode(m, temporal="native")
                del props["group_id"], props["person_id"]
                props["id"] = record_id(m)
                rows.append({"group_id": m.group_id, "person_id": m.person_id, "props": props})
            await _execute_chunked(tx, cypher.UPSERT_MEMBERSHIPS, rows, chunk=chunk)
        case "meeting":
            meetings = [r for r in records if isinstance(r, Meeting)]
            await _execute_chunked(
                tx, cypher.UPSERT_MEETINGS, _node_rows(meetings, "starts_at"), chunk=chunk
            )
            await _execute_chunked(tx, cypher.UNLINK_MEETINGS, ids, key="ids", chunk=chunk)
            held = [{"id": m.id, "group_id": m.group_id} for m in meetings]
            await _execute_chunked(tx, cypher.LINK_MEETINGS_TO_GROUPS, held, chunk=chunk)
        case "attendance":
            for a in records:
                assert isinstance(a, Attendance)
                props = encode(a, temporal="native")
                del props["meeting_id"], props["person_id"]
                props["id"] = record_id(a)
                rows.append({"meeting_id": a.meeting_id, "person_id": a.person_id, "props": props})
            await _execute_chunked(tx, cypher.UPSERT_ATTENDANCE, rows, chunk=chunk)
        case "breakout":
            for b in records:
                assert isinstance(b, Breakout)
                rows.append(
                    {
                        "props": encode(b, temporal="native"),
                        "meeting_id": b.meeting_id,
                        "people": sorted(set(b.member_ids)),
                    }
                )
            await _execute_chunked(tx, cypher.CREATE_BREAKOUTS, rows, chunk=chunk)
        case "side_conversation":
            for s in records:
                assert isinstance(s, SideConversation)
                props = encode(s, temporal="native")
                del props["at"]
                rows.append(
                    {"props": props, "at": _instant(s.at), "people": sorted(set(s.participant_ids))}
                )
            await _execute_chunked(tx, cypher.CREATE_SIDE_CONVERSATIONS, rows, chunk=chunk)
        case "introduction":
            introductions = [r for r in records if isinstance(r, Introduction)]
            await _execute_chunked(
                tx,
                cypher.UPSERT_INTRODUCTIONS,
                _node_rows(introductions, "requested_at", "updated_at"),
                chunk=chunk,
            )
            await _execute_chunked(tx, cypher.UNLINK_INTRODUCTIONS, ids, key="ids", chunk=chunk)
            links = [
                {
                    "id": i.id,
                    "requester_id": i.requester_id,
                    "introducer_id": i.introducer_id,
                    "target_id": i.target_id,
                }
                for i in introductions
            ]
            await _execute_chunked(tx, cypher.LINK_INTRODUCTIONS_TO_PEOPLE, links, chunk=chunk)
        case _:  # pragma: no cover - plan_batch never writes other kinds here
            raise AssertionError(f"cannot write records of kind {kind_name!r}")


def _interaction_row(interaction: Interaction) -> dict[str, Any]:
    """Return the row CREATE_INTERACTIONS takes; absent keys read as null there."""
    # Spelled out rather than encode(): this runs for every interaction of every batch, and
    # every value left out is one the driver need not pack.
    participants = interaction.participant_ids
    row: dict[str, Any] = {
        "key": interaction.key,
        "at": _instant(interaction.at),
        "kind": interaction.kind.value,
        "participant_ids": participants,
    }
    if interaction.initiator_id is not None:
        row["initiator_id"] = interaction.initiator_id
    if interaction.duration_s is not None:
        row["duration_s"] = interaction.duration_s
    if interaction.channel is not None:
        row["channel"] = interaction.channel
    if interaction.group_size is not None:
        row["group_size"] = interaction.group_size
    if len(set(participants)) < len(participants):
        row["people"] = sorted(set(participants))
    return row


def tie_pair_key(a: str, b: str) -> str:
    """Return the ``pair`` key of the tie from ``a`` to ``b`` (``a`` sorting first).

    >>> tie_pair_key("ann", "ben")
    'ann|ben'
    """
    return f"{a}{cypher.TIE_PAIR_SEPARATOR}{b}"


def _tie_row(delta: TieDelta) -> dict[str, Any]:
    """Return the row MERGE_TIES takes; kinds not counted are left out (null there)."""
    row: dict[str, Any] = {
        "a": delta.a,
        "b": delta.b,
        "pair": tie_pair_key(delta.a, delta.b),
        "first_at": _instant(delta.first_at),
        "last_at": _instant(delta.last_at),
        "count": delta.count,
        "initiated_by_a": delta.initiated_by_a,
        "initiated_by_b": delta.initiated_by_b,
        "score": delta.score,
        "score_by_a": delta.score_by_a,
        "score_by_b": delta.score_by_b,
    }
    for kind, count in delta.counts.items():
        if count:
            row[_TIE_COUNTER_OF[kind]] = count
    return row


async def _write_plan(
    tx: AsyncManagedTransaction, plan: WritePlan, chunk: int, model: StrengthModel
) -> None:
    """Write what a plan asks for: records (references first), interactions, ties."""
    for kind_name in ENTITY_KINDS:  # references before the records that name them
        records = plan.writes.get(kind_name)
        if records:
            await _write_records(tx, kind_name, records, chunk)
    if plan.interactions:
        rows = [_interaction_row(i) for i in plan.interactions]
        await _execute_chunked(tx, cypher.CREATE_INTERACTIONS, rows, chunk=chunk)
    if plan.ties:
        # One lock order for every writer makes deadlocks between concurrent batches rarer.
        ties = sorted(plan.ties, key=lambda d: (d.a, d.b))
        await _execute_chunked(
            tx,
            cypher.MERGE_TIES,
            [_tie_row(d) for d in ties],
            chunk=chunk,
            half_life_s=model.half_life.total_seconds(),
        )
    if plan.changes:
        # Last, so the change log's lock is held for as short a time as the commit allows.
        rows = [
            {"kind": e.kind.value, "key": e.key, "people": list(e.people), "group_id": e.group_id}
            for e in plan.changes
        ]
        await _execute_chunked(
            tx, cypher.APPEND_CHANGES, rows, chunk=chunk, at_us=_micros(datetime.now(UTC))
        )


async def _apply_batch(
    tx: AsyncManagedTransaction, batch: WriteBatch, chunk: int, model: StrengthModel
) -> WriteSummary:
    """Plan and write a batch inside one transaction; the driver may call this more than once.

    Everything is recomputed from what the transaction reads, so a retried attempt starts
    afresh; ``InvalidInput`` and ``Conflict`` propagate and roll the transaction back.
    """
    snapshot = await _load_snapshot(tx, snapshot_request(batch), chunk)
    plan = plan_batch(batch, snapshot, model)
    await _write_plan(tx, plan, chunk, model)
    return plan.summary


# ---------------------------------------------------------------------------------------------
# Erasing a person.


def _receipt(plan: ErasurePlan) -> ErasureReceipt:
    """Summarize an erasure plan without naming anyone."""
    return ErasureReceipt(
        erased=not plan.is_empty,
        removed={kind: len(ids) for kind, ids in plan.delete.items() if ids},
        rewritten=len(plan.rewrite),
    )


async def _erase_person(
    tx: AsyncManagedTransaction, person_id: str, by: str, at: datetime, chunk: int
) -> ErasureReceipt:
    """Find everything that names a person, then delete or rewrite it as the plan says."""
    result = await tx.run(cypher.ERASURE_INVOLVEMENT, {"person_id": person_id})
    found = await result.single(strict=True)
    involvement = Involvement(
        person_exists=bool(found["person_exists"]),
        memberships=[decode(Membership, props) for props in found["memberships"]],
        attendance=[decode(Attendance, props) for props in found["attendance"]],
        breakouts=[decode(Breakout, props) for props in found["breakouts"]],
        side_conversations=[
            decode(SideConversation, props) for props in found["side_conversations"]
        ],
        interactions=[decode(Interaction, props) for props in found["interactions"]],
        introductions=[decode(Introduction, props) for props in found["introductions"]],
        groups_led=[decode(Group, props) for props in found["groups_led"]],
        blockers=[decode(Person, props) for props in found["blockers"]],
    )
    plan = plan_erasure(person_id, involvement)
    receipt = _receipt(plan)
    if plan.is_empty:
        return receipt
    for kind_name, model in (("group", Group), ("person", Person)):
        kept = [r for r in plan.rewrite if isinstance(r, model)]
        if kept:
            await _write_records(tx, kind_name, kept, chunk)
    rewrites: tuple[tuple[LiteralString, str, type[Record], tuple[str, ...]], ...] = (
        (cypher.REWRITE_BREAKOUTS, "breakout", Breakout, ()),
        (cypher.REWRITE_SIDE_CONVERSATIONS, "side_conversation", SideConversation, ("at",)),
        (cypher.REWRITE_INTERACTIONS, "interaction", Interaction, ("at",)),
    )
    for query, kind_name, kind, instants in rewrites:
        records = [r for r in plan.rewrite if isinstance(r, kind)]
        rows = _node_rows(records, *instants)
        for record, row in zip(records, rows, strict=True):
            row["id"] = plan.previous_id(kind_name, record)  # found by the key it has now
        await _execute_chunked(tx, query, rows, chunk=chunk)
    for kind_name, query in _ERASE.items():
        ids = plan.delete.get(kind_name, [])
        await _execute_chunked(tx, query, ids, key="ids", chunk=chunk)
    await _execute(tx, cypher.ERASE_CHANGES_OF, person_id=person_id)
    await _execute(
        tx,
        cypher.RECORD_ERASURE,
        at=at.astimezone(UTC),
        by=audit_actor(by, person_id),
        removed=json.dumps(receipt.removed, sort_keys=True),
        rewritten=receipt.rewritten,
    )
    return receipt


# ---------------------------------------------------------------------------------------------
# Transaction functions for reads and maintenance.


async def _list_in_tx(
    tx: AsyncManagedTransaction, query: LiteralString, kind_name: str, after: str, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of a listing and how many records of the kind there are."""
    rows = await _collected(tx, query, after=after, limit=limit)
    counts = await _column(tx, cypher.COUNT_EVERYTHING)
    return rows, int(counts[0][kind_name])


async def _search_in_tx(
    tx: AsyncManagedTransaction, filters: dict[str, Any], after: str, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of people found and how many are found in all."""
    rows = await _collected(tx, cypher.SEARCH_PEOPLE, after=after, limit=limit, **filters)
    total = await _column(tx, cypher.COUNT_PEOPLE_FOUND, **filters)
    return rows, int(total[0])


_PLAIN_RUN: Final = re.compile(r"[A-Za-z0-9]+")


def _url_fragments(key: str) -> list[str]:
    """Return text that every stored URL with this profile URL key contains as it is.

    The key's path, decoded, appears literally in such a URL except where it was
    percent-encoded there; its longest run of ASCII letters and digits never is, in practice
    (browsers and exports encode other characters only). Without such a run: the path decoded
    and encoded both ways.
    """
    path = unquote(urlsplit(key).path)
    runs = sorted(_PLAIN_RUN.findall(path), key=len, reverse=True)
    if runs:
        return [runs[0]]
    encoded = quote(path, safe="/")
    return sorted({path, encoded, re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), encoded)})


async def _people_by_contact_in_tx(
    tx: AsyncManagedTransaction, emails: list[str], fragments: list[str], chunk: int
) -> list[dict[str, Any]]:
    """Return the properties of the people who may have one of the addresses or URLs."""
    found: list[dict[str, Any]] = []
    if emails:
        found += await _collected(tx, cypher.PEOPLE_BY_EMAIL, emails=emails)
    for start in range(0, len(fragments), chunk):
        found += await _collected(
            tx, cypher.PEOPLE_BY_PROFILE_URL, fragments=fragments[start : start + chunk]
        )
    return found


async def _people_by_name_in_tx(
    tx: AsyncManagedTransaction, wanted: dict[str, set[str]], chunk: int
) -> list[dict[str, Any]]:
    """Return the properties of the people with one of the wanted name keys at its
    organization (``wanted``: name keys by organization id)."""
    found = await _collected_chunked(
        tx, cypher.PEOPLE_NAMES_AT_ORGANIZATIONS, sorted(wanted), chunk=chunk
    )
    ids = sorted(
        {
            person_id
            for organization_id, person_id, name in found
            if isinstance(name, str) and person_name_key(name) in wanted[organization_id]
        }
    )
    return await _collected_chunked(tx, cypher.GET_PEOPLE, ids, chunk=chunk) if ids else []


def _micros(at: datetime) -> int:
    """Return an aware instant as whole microseconds since the epoch."""
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


async def _changes_since_in_tx(
    tx: AsyncManagedTransaction, cursor: int | None, limit: int
) -> ChangePage:
    """Read the latest sequence, then the changes after ``cursor``, in one transaction."""
    latest = await _column(tx, cypher.LATEST_CHANGE)
    last = int(latest[0]) if latest else 0
    if cursor is None or limit <= 0:
        return ChangePage([], last)
    rows = await _collected(tx, cypher.CHANGES_SINCE, after=cursor, limit=limit)
    changes = [
        Change(
            sequence=int(sequence),
            at=_EPOCH + timedelta(microseconds=int(at_us)),
            entry=ChangeEntry(ChangeKind(kind), key, tuple(people), group_id),
        )
        for sequence, at_us, kind, key, people, group_id in rows
    ]
    # No change after the cursor: carry on from the latest (behind the cursor only when the
    # log was replaced, e.g. by restoring a backup).
    return ChangePage(changes, changes[-1].sequence if changes else last)


async def _column_int(tx: AsyncManagedTransaction, query: LiteralString, /, **params: Any) -> int:
    """Run a query returning one number; return it."""
    found = await _column(tx, query, **params)
    return int(found[0]) if found else 0


async def _delete_some(tx: AsyncManagedTransaction, query: LiteralString, limit: int) -> int:
    """Delete up to ``limit`` nodes or relationships; return how many went."""
    deleted = await _column(tx, query, limit=limit)
    return int(deleted[0]) if deleted else 0


def _counters(kinds: Collection[InteractionKind] | None) -> list[str] | None:
    """The TIE counter names of ``kinds``, for queries that walk only ties of those kinds."""
    return None if not kinds else sorted(_TIE_COUNTER_OF[kind] for kind in kinds)


async def _rescore_ties_of_people(
    tx: AsyncManagedTransaction, model: StrengthModel, after: str, last: str
) -> int:
    """Rebuild, on the server, the ties of the people whose id is after ``after`` and up to
    ``last`` from their history; return how many ties were written. Idempotent: each tie is
    set whole from what is stored."""
    result = await tx.run(
        cypher.RESCORE_TIES_OF_PEOPLE,
        {
            "after": after,
            "last": last,
            "weights": {kind.value: float(weight) for kind, weight in model.weights.items()},
            "group_kinds": sorted(kind.value for kind in GROUP_KINDS),
            "half_life_s": model.half_life.total_seconds(),
        },
    )
    row = await result.single(strict=True)
    return int(row["ties"])


async def _set_missing_tie_pairs(tx: AsyncManagedTransaction, after: str, last: str) -> int:
    """Give the ties of one page of people their pair key where it is missing; return how many."""
    return await _column_int(tx, cypher.SET_MISSING_TIE_PAIRS, after=after, last=last)


async def _read_schema_version(tx: AsyncManagedTransaction) -> int | None:
    """Return the graph model version the database records, if any."""
    versions = await _column(tx, cypher.READ_SCHEMA_VERSION)
    return int(versions[0]) if versions else None


async def _group_contacts(
    tx: AsyncManagedTransaction,
    members: list[str],
    hidden: list[str],
    after: datetime,
    until: datetime,
) -> GroupContacts:
    """Read a group's shared interactions and first interaction (one pass over everyone's
    interactions), then the members' reach, in one transaction."""
    result = await tx.run(
        cypher.GROUP_SHARED_AND_FIRST,
        {"ids": members, "everyone": members + hidden, "until": until},
    )
    row = await result.single(strict=True)
    first, shared = row["first_at"], row["shared"]
    reach = await _records(
        tx, cypher.GROUP_REACH, ids=members, hidden=hidden, after=after, until=until
    )
    reached = {m: frozenset[str]() for m in members}
    for found in reach:
        reached[found["id"]] = frozenset(found["groups"])
    interactions = sorted((decode(Interaction, props) for props in shared), key=_time_then_key)
    return GroupContacts(
        shared=tuple(interactions),
        groups_reached=reached,
        first_at=None if first is None else first.to_native().astimezone(UTC),
    )


def _time_then_key(interaction: Interaction) -> tuple[datetime, str]:
    return interaction.at, interaction.key


def _tie(a: str, b: str, props: dict[str, Any]) -> Tie:
    """Build a domain tie from the properties of a TIE relationship."""
    first_at = props["first_at"]
    last_at = props["last_at"]
    counts = {kind: int(props.get(name) or 0) for kind, name in _TIE_COUNTERS}
    return Tie(
        a=a,
        b=b,
        first_at=first_at.to_native().astimezone(UTC),
        last_at=last_at.to_native().astimezone(UTC),
        count=int(props["count"]),
        counts={kind: n for kind, n in counts.items() if n},
        initiated_by_a=int(props.get("initiated_by_a") or 0),
        initiated_by_b=int(props.get("initiated_by_b") or 0),
        score=float(props.get("score") or 0.0),
        score_by_a=float(props.get("score_by_a") or 0.0),
        score_by_b=float(props.get("score_by_b") or 0.0),
    )


# ---------------------------------------------------------------------------------------------
# The store.


def introduction_path_parameters(
    model: StrengthModel,
    *,
    source: str,
    target: str,
    first: int,
    strategy: Strategy,
    min_link_strength: float,
    at: datetime,
    kinds: Collection[InteractionKind] | None = None,
) -> dict[str, Any]:
    """The parameters of :func:`cypher.introduction_paths_query` for one search."""
    scale = DEFAULT_SCALE
    return {
        "source": source,
        "target": target,
        "first": first,
        "shortest": strategy is Strategy.SHORTEST,
        "min_strength": min_link_strength,
        "far_set_limit": cypher.FAR_SET_LIMIT,
        "max_partials": cypher.MAX_PARTIAL_PATHS,
        "kinds": _counters(kinds),
        "counters": [name for _, name in _TIE_COUNTERS],
        "now_s": (at - _EPOCH).total_seconds(),
        "half_life_s": model.half_life.total_seconds(),
        "one_way": scale.one_way,
        "saturation": scale.saturation,
        "longevity_half_s": scale.longevity_half.total_seconds(),
        "diversity_kinds": scale.diversity_kinds,
        "base": scale.base,
        "w_div": scale.diversity_weight,
        "w_long": scale.longevity_weight,
        "trace_weight": scale.trace_weight,
        "trace_scale_s": scale.trace_scale.total_seconds(),
    }


_STRENGTH_PARAMETERS: Final = (
    "counters",
    "now_s",
    "half_life_s",
    "one_way",
    "saturation",
    "longevity_half_s",
    "diversity_kinds",
    "base",
    "w_div",
    "w_long",
    "trace_weight",
    "trace_scale_s",
)
"""The parameters of the link strength, which the procedure takes as one map."""


def procedure_path_parameters(parameters: dict[str, Any], max_hops: int) -> dict[str, Any]:
    """The parameters of :data:`cypher.INTRODUCTION_PATHS_PROCEDURE`, from those of
    :func:`introduction_path_parameters`."""
    return {
        "max_hops": max_hops,
        "strength": {name: parameters[name] for name in _STRENGTH_PARAMETERS},
        **{k: v for k, v in parameters.items() if k not in _STRENGTH_PARAMETERS},
    }


@contextlib.contextmanager
def _refusing_oversized_searches(deadline: Deadline | None) -> Iterator[None]:
    """Turn a path search's refusal to hold more than ``MAX_PARTIAL_PATHS`` partial paths
    (the procedure's or the Cypher query's: both say ``SEARCH_TOO_LARGE``) into
    ``BudgetExceeded``; any other failure passes unchanged."""
    try:
        yield
    except Neo4jError as error:
        if cypher.SEARCH_TOO_LARGE not in (error.message or ""):
            raise
        raise BudgetExceeded(
            deadline.seconds if deadline is not None else 0.0,
            f"the search would hold more than {cypher.MAX_PARTIAL_PATHS:,} partial paths; "
            + (deadline.hint if deadline is not None else "lower maxHops"),
        ) from error


_PLANNING_PEOPLE: Final = ("tiegraph:planning-a", "tiegraph:planning-b")
"""Valid ids for :meth:`Neo4jStore._plan_writes`, whose writes are rolled back: whether or not
someone has them, nothing of theirs changes."""

_NO_ONE: Final = (("no one", "nor one"), ("no one of this size", "nor one of this size"))
"""Ids with a space, which no person has (nothing is searched), of two common sizes: for
:meth:`Neo4jStore._plan_path_queries`."""
_ONE_KIND: Final = (InteractionKind.CALL,)


class Neo4jStore(GraphStore):
    """A graph store on a Neo4j 5 server or cluster, in the graph model the module describes.

    One async driver per store; every write is a managed transaction in the configured
    database, every read a managed transaction or (when its statements are independent) one
    auto-commit query per statement, routed as a read; all with one bookmark manager so a read
    sees the writes before it even on a cluster.
    """

    backend = "neo4j"

    def __init__(
        self,
        *,
        uri: str,
        auth: tuple[str, str] | None = None,
        database: str = "neo4j",
        chunk_rows: int = CHUNK_ROWS,
        model: StrengthModel | None = None,
        connection_timeout_s: float = CONNECTION_TIMEOUT_S,
        acquisition_timeout_s: float = ACQUISITION_TIMEOUT_S,
        max_retry_time_s: float = MAX_RETRY_TIME_S,
        plan_searches_at_open: bool = True,
        use_procedures: bool | None = None,
    ) -> None:
        self.model = model or StrengthModel()
        self._uri = uri
        self._auth = auth
        self._database = database
        self._chunk = chunk_rows
        self._driver: AsyncDriver | None = None
        self._bookmarks = neo4j.AsyncGraphDatabase.bookmark_manager()
        # Concurrent batches lock people in different orders and deadlock, and the driver's
        # retries then wait for seconds; one batch at a time per process avoids that.
        self._write_lock = asyncio.Lock()
        # Bounded, so that a request during an outage fails within seconds (503) instead of
        # waiting out the driver's defaults (30 s per connection, 30 s of retries).
        self._connection_timeout_s = connection_timeout_s
        self._acquisition_timeout_s = acquisition_timeout_s
        self._max_retry_time_s = max_retry_time_s
        self._plan_searches_at_open = plan_searches_at_open
        self._use_procedures = use_procedures
        self._procedures = False
        """Whether introduction paths are searched by tiegraph's procedure (found at open)."""
        self._failed_writes = 0
        """Writes that failed as unavailable; those queued behind one fail at once too."""
        self._planned_path_queries: set[int] = set()
        """Hop counts whose path query ran to its end here, so the server holds its plan."""
        self._planning_path_queries: dict[int, asyncio.Task[None]] = {}
        """Searches running without a timeout to leave the plan (see _plan_path_query)."""

    def __repr__(self) -> str:
        return f"Neo4jStore(uri={self._uri!r}, database={self._database!r})"

    # -- lifecycle ----------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect, check the schema version, and create constraints and indexes if missing.

        Raises ``ConfigurationError`` for a bad URI, refused credentials, an unknown database or
        a database written by a newer tiegraph; ``StoreUnavailable`` when the server is down.
        """
        if self._driver is not None:
            return
        if not self._uri.startswith(_SCHEMES):
            raise ConfigurationError(
                f"NEO4J_URI: {self._uri!r} must start with one of {', '.join(_SCHEMES)}"
            )
        try:
            driver = neo4j.AsyncGraphDatabase.driver(
                self._uri,
                auth=self._auth,
                user_agent="tiegraph",
                notifications_min_severity="WARNING",
                # A fresh or wiped database lacks labels and properties that queries name;
                # warnings about those are noise, not mistakes.
                notifications_disabled_classifications=["UNRECOGNIZED"],
                connection_timeout=self._connection_timeout_s,
                connection_acquisition_timeout=self._acquisition_timeout_s,
                max_transaction_retry_time=self._max_retry_time_s,
            )
        except (ValueError, DriverConfigurationError) as error:
            raise ConfigurationError(f"NEO4J_URI: {self._uri!r} is not usable: {error}") from error
        self._driver = driver
        try:
            with _driver_errors(self._uri, self._database):
                await driver.verify_connectivity()
            await self._prepare_schema()
            self._procedures = await self._find_procedures()
            if self._plan_searches_at_open:
                await self._plan_reads()
                await self._plan_writes()
                if not self._procedures:
                    await self._plan_path_queries()
        except BaseException:
            self._driver = None
            await driver.close()
            raise

    @property
    def searches_by_procedure(self) -> bool:
        """Whether introduction paths are searched by tiegraph's procedure on the server
        (installed by ``tiegraph neo4j start``), not by the Cypher query."""
        return self._procedures

    async def _find_procedures(self) -> bool:
        """Tell whether the server has tiegraph's procedures in the version this code needs.

        ``use_procedures=None`` uses them when they are there, ``False`` never; ``True``
        requires them (``ConfigurationError`` otherwise)."""
        if self._use_procedures is False:
            return False
        installed = await self._read(_column_int, cypher.PROCEDURES_INSTALLED)
        version = (await self._read(_column, cypher.PROCEDURES_VERSION))[0] if installed else None
        needed = source_digest()
        found = version == needed
        if not found:
            why = (
                "not installed on the server"
                if version is None
                else f"version {version!r} on the server, {needed!r} needed"
            )
            if self._use_procedures:
                raise ConfigurationError(f"tiegraph's Neo4j procedures are {why}")
            log.warning(
                "introduction paths are searched by the slower Cypher query: tiegraph's"
                " procedures are %s (`tiegraph neo4j start` installs them; see docs/operations.md)",
                why,
            )
        return found

    async def _plan_reads(self) -> None:
        """Run the reads of ``groupRetention`` once, for no one, so the server plans them
        before the first request asks.

        Their queries take a fresh server 1 to 2 s each to plan, so the first retention
        requests after a start ran past their budget while it did (measured: with the page
        cache warm and the plan cache cleared, 4 budget errors in the first 30 s of the mixed
        load). Planned here, in the start-up of the first store on a server; the others find
        the plans cached. A read that fails is logged; it plans on first use then.
        """
        nobody, other = _NO_ONE[0]
        now = datetime.now(UTC)
        reads: tuple[Callable[[], Awaitable[object]], ...] = (
            lambda: self.memberships(group_ids=[nobody]),
            lambda: self.memberships(group_ids=[nobody], person_ids=[other]),
            lambda: self.memberships(person_ids=[nobody, other]),
            lambda: self.get(Group, [nobody]),
            lambda: self.get(Person, [nobody, other]),
            lambda: self.group_contacts([nobody], hidden=[other], after=now, until=now),
            lambda: self.tie_contexts_among([nobody, other]),
        )
        for read in reads:
            try:
                await read()
            except Neo4jError:
                log.warning("planning the retention reads at start-up failed", exc_info=True)
                return

    async def _plan_writes(self) -> None:
        """Write a contact and a side conversation between two people who do not exist in a
        transaction that is rolled back, so the server plans the write queries before the
        first request asks.

        Planning them took a freshly started server 3 to 5 s (a first recorded contact on the
        100,000-people database: 3.2 and 4.7 s in two runs, the next ones 0.04 to 0.2 s;
        ``bench.first_write``). Nothing is kept: the
        transaction rolls back, change log included. A write that fails is logged; the
        queries plan on first use then.
        """
        nobody, other = _PLANNING_PEOPLE
        now = datetime.now(UTC)
        # The people first, then contacts between them (as a request records them: between
        # people who are stored).
        batches = (
            WriteBatch(people=[Person(id=nobody, name=nobody), Person(id=other, name=other)]),
            WriteBatch(
                interactions=[
                    Interaction(
                        key=nobody,
                        at=now,
                        kind=InteractionKind.CALL,
                        participant_ids=(nobody, other),
                        initiator_id=nobody,
                        duration_s=60,
                        channel=nobody,
                    )
                ],
                side_conversations=[
                    SideConversation(
                        id=nobody, participant_ids=(nobody, other), at=now, initiator_id=nobody
                    )
                ],
            ),
        )
        try:
            async with self._turn_to_write(), self._session(neo4j.WRITE_ACCESS) as session:
                tx = await session.begin_transaction()
                try:
                    for batch in batches:
                        # An explicit transaction runs what a managed one does, and rolls back.
                        await _apply_batch(
                            cast(AsyncManagedTransaction, tx), batch, self._chunk, self.model
                        )
                finally:
                    await tx.rollback()
        except (Neo4jError, neo4j.exceptions.DriverError, TiegraphError):
            log.warning("planning the writes at start-up failed", exc_info=True)

    async def _plan_path_queries(self) -> None:
        """Run each introduction path query once, for no one, so the server plans and caches
        it before the first search asks.

        Planning one takes 1 to 7 s on a fresh server of two busy cores, more than a
        request's budget, and its plan lives in the server's cache: only the first store
        opened on a server pays it; the others find the plans and take milliseconds. The
        server keys its plans by the parameters' types and rough sizes (a 3-character id and
        a 20-character one are planned apart; any kinds against a list of kinds), so the
        queries run for ids of under 10 characters and of 10 to 99, with any kinds and with
        one, one after another: sixteen plannings at once outlived the server's transaction
        timeout on two cores. A warm-up that fails is logged; the searches plan for
        themselves then (see :meth:`_plan_path_query`). A store made with
        ``plan_searches_at_open=False`` skips it.
        """
        at = datetime.now(UTC)
        for (source, target), kinds in itertools.product(_NO_ONE, (None, _ONE_KIND)):
            parameters = introduction_path_parameters(
                self.model,
                source=source,
                target=target,
                first=5,
                strategy=Strategy.STRONGEST,
                min_link_strength=0.0,
                at=at,
                kinds=kinds,
            )
            for hops in range(1, cypher.MAX_PATH_HOPS + 1):
                query = cypher.introduction_paths_query(hops)
                try:
                    await self._read(_execute, query, **parameters)
                except Neo4jError:
                    log.warning("planning the %d-hop path query at start-up failed", hops)
                    return
        self._planned_path_queries.update(range(1, cypher.MAX_PATH_HOPS + 1))

    async def _prepare_schema(self) -> None:
        """Refuse a newer graph model; create constraints and indexes; record ours."""
        version = await self._read(_read_schema_version)
        if version is not None and version > cypher.SCHEMA_VERSION:
            raise ConfigurationError(
                f"NEO4J_DATABASE: database {self._database!r} at {self._uri} holds tiegraph"
                f" schema version {version}, newer than this tiegraph knows"
                f" ({cypher.SCHEMA_VERSION}); upgrade tiegraph or use another database"
            )
        # Schema changes cannot share a transaction with other writes: one each.
        for statement in cypher.SCHEMA_STATEMENTS:
            await self._write(_execute, statement)
        await self._read(_execute, cypher.AWAIT_INDEXES, timeout_s=300)
        if version is None or version < 2:  # version 2 keyed every tie by its pair
            await self._set_missing_tie_pairs()
        await self._write(_execute, cypher.WRITE_SCHEMA_VERSION, version=cypher.SCHEMA_VERSION)
        stored = await self._read(_column, cypher.READ_STRENGTH_MODEL)
        fingerprint = self.model.fingerprint()
        if not stored or stored[0] != fingerprint:
            await self.recompute_ties()
            await self._write(_execute, cypher.WRITE_STRENGTH_MODEL, model=fingerprint)

    async def _set_missing_tie_pairs(self) -> int:
        """Migrate to schema version 2: give every tie its pair key, a page of people per
        write transaction (so a large graph is never one transaction). Runs on open, before
        any write could look a tie up by its key; returns how many ties got one."""
        bounds: list[str] = (
            await self._read(_column, cypher.RESCORE_PAGE_BOUNDS, page=RESCORE_PAGE)
        )[0]
        done = 0
        for after, last in zip(["", *bounds], bounds, strict=False):
            done += await self._write(_set_missing_tie_pairs, after, last)
        if done:
            log.info("gave %d ties of %s their pair key", done, self._database)
        return done

    async def recompute_ties(self) -> int:
        """Rebuild every tie from the whole interaction history with this store's model.

        Runs when the database was scored by another model (or by none). The history is folded
        where it lives, a page of people per write transaction (so no transaction outlives the
        server's timeout), :data:`RESCORE_LANES` pages at a time: nothing but counts come back
        to Python. Returns how many ties were written.
        """
        bounds: list[str] = (
            await self._read(_column, cypher.RESCORE_PAGE_BOUNDS, page=RESCORE_PAGE)
        )[0]
        pages = list(zip(["", *bounds], bounds, strict=False))
        lanes = asyncio.Semaphore(RESCORE_LANES)

        async def rescore(after: str, last: str) -> int:
            # The pages write disjoint ties, yet the server reports deadlocks between two of
            # them now and then (locks it takes beyond the ties set); a page is idempotent, so
            # it simply runs again.
            for attempt in range(1, RACE_ATTEMPTS + 1):
                try:
                    async with lanes:
                        with _driver_errors(self._uri, self._database, contention=True):
                            async with self._session(neo4j.WRITE_ACCESS) as session:
                                return await session.execute_write(
                                    _rescore_ties_of_people, self.model, after, last
                                )
                except _Contended as error:
                    if attempt == RACE_ATTEMPTS:
                        raise StoreUnavailable(
                            f"Neo4j at {self._uri} kept deadlocking while rescoring: {error}"
                        ) from error
                    await asyncio.sleep(min(1.0, 0.01 * 2**attempt) * random.uniform(0.5, 1.5))
            raise AssertionError("unreachable")

        async with self._write_lock:
            written = await asyncio.gather(*(rescore(after, last) for after, last in pages))
        return sum(written)

    async def close(self) -> None:
        """Close the driver and its connections; :meth:`open` may be called again."""
        for task in list(self._planning_path_queries.values()):
            task.cancel()
        self._planning_path_queries.clear()
        driver, self._driver = self._driver, None
        if driver is not None:
            with _driver_errors(self._uri, self._database):
                await driver.close()

    async def ping(self) -> None:
        """Return when the database answers a trivial query, else raise ``StoreUnavailable``.

        No retries: a health check should report the state now, not wait out a failover.
        """
        with _driver_errors(self._uri, self._database):
            async with self._session(neo4j.READ_ACCESS, max_transaction_retry_time=0) as session:
                await session.execute_read(_execute, cypher.PING)

    # -- units of work --------------------------------------------------------------------------

    def _session(self, access_mode: str, **config: Any) -> neo4j.AsyncSession:
        """Open a session on the configured database; raise ``StoreUnavailable`` if closed."""
        if self._driver is None:
            raise StoreUnavailable("the Neo4j store is not open")
        return self._driver.session(
            database=self._database,
            default_access_mode=access_mode,
            bookmark_manager=self._bookmarks,
            **config,
        )

    async def _read(
        self,
        work: Callable[Concatenate[AsyncManagedTransaction, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``work`` as one read transaction, translating driver errors.

        A unit of independent statements (:data:`_AUTO_COMMIT`) runs them as auto-commit
        queries, any other runs as a managed read transaction (see :meth:`_run_read`).
        """
        return await self._run_read(None, work, *args, **kwargs)

    async def _run_read(
        self,
        server_timeout_s: float | None,
        work: Callable[Concatenate[AsyncManagedTransaction, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``work`` as one read transaction that the server ends after ``server_timeout_s``.

        A managed transaction costs three round trips (BEGIN; RUN and PULL; COMMIT), and the
        server about 1 ms of CPU per transaction on a small machine, however small the query.
        A unit of independent statements (most run one) therefore runs each as an auto-commit
        query instead: RUN (carrying the bookmarks, mode, database and timeout) and PULL in one
        round trip, the server beginning and committing the transaction itself. It sees the
        same writes (the session carries the store's bookmark manager either way) and the unit
        is retried as the driver retries a managed transaction (:meth:`_retried`).
        """
        with _driver_errors(self._uri, self._database):
            if work in _AUTO_COMMIT:
                unit = cast(Callable[Concatenate[_Runner, P], Awaitable[T]], work)

                async def attempt() -> T:
                    async with self._session(neo4j.READ_ACCESS) as session:
                        return await unit(_AutoCommit(session, server_timeout_s), *args, **kwargs)

                return await self._retried(attempt)
            if server_timeout_s is not None:
                work = neo4j.unit_of_work(timeout=server_timeout_s)(work)
            async with self._session(neo4j.READ_ACCESS) as session:
                return await session.execute_read(work, *args, **kwargs)

    async def _retried(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` again after a retryable failure, as the driver runs a managed
        transaction again: the same errors (transient ones, a lost connection), the same
        back-off (1 s, then twice as long each time, with 20 % jitter), for as long as the
        store's ``max_retry_time_s`` after the first failure."""
        started: float | None = None
        delay = RETRY_FIRST_DELAY_S
        while True:
            try:
                return await attempt()
            except (neo4j.exceptions.DriverError, Neo4jError) as error:
                if not error.is_retryable():
                    raise
                now = time.monotonic()
                if started is None:
                    started = now
                if now - started > self._max_retry_time_s:
                    raise
                pause = delay * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)
                log.warning("read failed and will be retried in %.2f s (%s)", pause, error)
                await asyncio.sleep(pause)
                delay *= RETRY_MULTIPLIER

    async def _read_within(
        self,
        deadline: Deadline | None,
        work: Callable[Concatenate[AsyncManagedTransaction, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``work`` as one read transaction that the server ends at ``deadline``.

        The rest of the request's budget becomes the transaction's timeout, so a heavy query
        stops on the server and the request ends in ``BudgetExceeded`` instead of waiting.
        """
        if deadline is None or deadline.seconds == math.inf:
            return await self._read(work, *args, **kwargs)
        remaining = deadline.remaining()
        if remaining <= 0:
            raise BudgetExceeded(deadline.seconds, deadline.hint)
        try:
            return await self._run_read(max(remaining, MIN_TIMEOUT_S), work, *args, **kwargs)
        except Neo4jError as error:
            if error.code in _TIMED_OUT:
                raise BudgetExceeded(deadline.seconds, deadline.hint) from error
            raise

    async def _write(
        self,
        work: Callable[Concatenate[AsyncManagedTransaction, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``work`` as a managed write transaction, translating driver errors."""
        with _driver_errors(self._uri, self._database):
            async with self._session(neo4j.WRITE_ACCESS) as session:
                return await session.execute_write(work, *args, **kwargs)

    # -- writes -------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _turn_to_write(self) -> AsyncIterator[None]:
        """Hold the write lock, waiting for it no longer than the acquisition timeout.

        Writes take turns (see ``__init__``), so during an outage each queued write would spend
        its own retry time after the one ahead of it: the last of many would wait for minutes.
        A write that was queued behind one that failed as unavailable therefore fails at once
        with the same news, and none waits longer than the acquisition timeout for its turn.
        """
        failed_before = self._failed_writes
        try:
            async with asyncio.timeout(self._acquisition_timeout_s):
                await self._write_lock.acquire()
        except TimeoutError:
            raise StoreUnavailable(
                f"Neo4j at {self._uri} is not keeping up: this write waited"
                f" {self._acquisition_timeout_s:g} s for the writes ahead of it"
            ) from None
        try:
            if self._failed_writes != failed_before:
                raise StoreUnavailable(
                    f"Neo4j at {self._uri} is unavailable: a write ahead of this one failed"
                )
            try:
                yield
            except StoreUnavailable:
                self._failed_writes += 1
                raise
        finally:
            self._write_lock.release()

    async def _apply(self, batch: WriteBatch) -> WriteSummary:
        """Write a batch in one transaction; re-plan if a concurrent writer won a race, and run
        it again if it deadlocked with another process's batch."""
        attempt = 1
        while True:
            try:
                async with self._turn_to_write():
                    with _driver_errors(self._uri, self._database, contention=True):
                        async with self._session(neo4j.WRITE_ACCESS) as session:
                            return await session.execute_write(
                                _apply_batch, batch, self._chunk, self.model
                            )
            except (ConstraintError, _Contended) as error:
                # A concurrent batch created one of our new records after we looked, or holds
                # people we need in another order (another API worker): planning again sees
                # its records (unchanged, or a conflict) instead of counting them twice.
                log.info("batch raced another writer (attempt %d): %r", attempt, error)
                if attempt >= RACE_ATTEMPTS:
                    raise Conflict(
                        [
                            Problem(
                                "batch",
                                "id",
                                str(error),
                                "concurrent writers kept storing the same records first",
                            )
                        ]
                    ) from error
                await asyncio.sleep(min(1.0, 0.01 * 2**attempt) * random.uniform(0.5, 1.5))
                attempt += 1

    # -- reads --------------------------------------------------------------------------------

    async def get(self, kind: type[R], ids: Collection[str]) -> dict[str, R]:
        """Return the stored records of ``kind`` among ``ids``, by id."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        kind_name = _KIND_NAMES[kind]
        records = await self._read(_get_records, kind_name, wanted, self._chunk)
        return {rid: record for rid, record in records.items() if isinstance(record, kind)}

    async def list_records(self, kind: type[R], *, first: int, after: str | None = None) -> Page[R]:
        """Return records of ``kind`` in id order, ``first`` at most, after the id ``after``."""
        size = check_page_size(first)
        kind_name = _KIND_NAMES[kind]
        rows, total = await self._read(
            _list_in_tx, _LIST[kind_name], kind_name, after or "", size + 1
        )
        items = [decode(kind, props) for props in rows[:size]]
        return Page(items=items, total=total, has_next=len(rows) > size)

    async def people_by_name(self, names: Collection[tuple[str, str]]) -> dict[str, Person]:
        """Return the people with one of the names at its organization (see the port), by id.

        Reads the names of the people of the given organizations (through their ``WORKS_AT``
        relationships) and compares their keys here, then reads the people found.
        """
        wanted = name_keys_by_organization(names)
        if not wanted:
            return {}
        rows = await self._read(_people_by_name_in_tx, wanted, self._chunk)
        people = (decode(Person, props) for props in rows)
        return {person.id: person for person in people}

    async def search_people(
        self, query: PeopleQuery, *, first: int, after: str | None = None
    ) -> Page[Person]:
        """Return the people matching ``query`` in id order (filters case-insensitive)."""
        size = check_page_size(first)
        filters = {
            "name": query.name,
            "interest": query.interest,
            "profession": query.profession,
            "industry": query.industry,
            "organization_id": query.organization_id,
            "location": query.location,
            "discoverable_only": query.discoverable_only,
        }
        rows, total = await self._read(_search_in_tx, filters, after or "", size + 1)
        items = [decode(Person, props) for props in rows[:size]]
        return Page(items=items, total=total, has_next=len(rows) > size)

    async def people_by_contact(
        self, *, emails: Collection[str] = (), profile_urls: Collection[str] = ()
    ) -> dict[str, Person]:
        """Return the people with one of the addresses or profile URLs (see the port), by id.

        Candidates come from a scan of the people's addresses and from the text index on
        profile URLs (a seek per fragment of each URL); their keys are then compared here.
        """
        wanted_emails = {key for key in map(email_key, emails) if key}
        wanted_urls = {key for key in map(profile_url_key, profile_urls) if key}
        if not wanted_emails and not wanted_urls:
            return {}
        fragments = sorted({f for key in wanted_urls for f in _url_fragments(key)})
        rows = await self._read(
            _people_by_contact_in_tx, sorted(wanted_emails), fragments, self._chunk
        )
        found: dict[str, Person] = {}
        for props in rows:
            person = decode(Person, props)
            by_email = person.email is not None and email_key(person.email) in wanted_emails
            by_url = (
                person.profile_url is not None
                and profile_url_key(person.profile_url) in wanted_urls
            )
            if by_email or by_url:
                found[person.id] = person
        return found

    async def memberships(
        self,
        *,
        group_ids: Collection[str] | None = None,
        person_ids: Collection[str] | None = None,
        accepted_only: bool = True,
    ) -> list[Membership]:
        """Return memberships matching every given filter, by group then person (active ones
        unless asked; the state is decoded like every other field, so both stores agree)."""
        people = None if person_ids is None else sorted(set(person_ids))
        groups = None if group_ids is None else sorted(set(group_ids))
        query: LiteralString
        if groups is not None and people is not None and len(people) <= len(groups):
            # Fewer people than groups (the viewer's memberships among the groups a policy
            # asks about): their own memberships are fewer than the groups' members.
            query = cypher.MEMBERSHIPS_OF_PEOPLE_IN_GROUPS
        elif groups is not None:
            query = cypher.MEMBERSHIPS_OF_GROUPS
        elif people is not None:
            query = cypher.MEMBERSHIPS_OF_PEOPLE
        else:
            query = cypher.ALL_MEMBERSHIPS
        rows = await self._read(_collected, query, group_ids=groups, person_ids=people)
        found = [decode(Membership, props) for props in rows]
        return [m for m in found if not accepted_only or m.status is MembershipStatus.ACTIVE]

    async def meetings_of(self, group_ids: Collection[str]) -> list[Meeting]:
        """Return the meetings of the given groups by start time, then id."""
        ids = sorted(set(group_ids))
        if not ids:
            return []
        rows = await self._read(_collected, cypher.MEETINGS_OF_GROUPS, ids=ids)
        return [decode(Meeting, props) for props in rows]

    async def attendance(
        self,
        *,
        meeting_ids: Collection[str] | None = None,
        person_ids: Collection[str] | None = None,
    ) -> list[Attendance]:
        """Return attendance matching every given filter, by meeting then person."""
        people = None if person_ids is None else sorted(set(person_ids))
        if meeting_ids is not None:
            rows = await self._read(
                _collected,
                cypher.ATTENDANCE_AT_MEETINGS,
                meeting_ids=sorted(set(meeting_ids)),
                person_ids=people,
            )
        elif people is not None:
            rows = await self._read(_collected, cypher.ATTENDANCE_OF_PEOPLE, person_ids=people)
        else:
            rows = await self._read(_collected, cypher.ALL_ATTENDANCE)
        return [decode(Attendance, props) for props in rows]

    async def breakouts_of(self, meeting_ids: Collection[str]) -> list[Breakout]:
        """Return the breakouts of the given meetings, by meeting then id."""
        ids = sorted(set(meeting_ids))
        if not ids:
            return []
        rows = await self._read(_collected, cypher.BREAKOUTS_OF_MEETINGS, ids=ids)
        return [decode(Breakout, props) for props in rows]

    async def side_conversations_of(self, person_id: str) -> list[SideConversation]:
        """Return the side conversations a person took part in, by time, then id."""
        rows = await self._read(
            _collected, cypher.SIDE_CONVERSATIONS_OF_PERSON, person_id=person_id
        )
        return [decode(SideConversation, props) for props in rows]

    async def introductions_of(self, person_id: str) -> list[Introduction]:
        """Return the introductions a person requested, made or was introduced in, by id."""
        rows = await self._read(_collected, cypher.INTRODUCTIONS_OF_PERSON, person_id=person_id)
        return [decode(Introduction, props) for props in rows]

    async def interactions_of(
        self,
        person_id: str,
        *,
        other_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Interaction]:
        """Return a person's interactions in time order, then by key (``until`` exclusive)."""
        window: dict[str, Any] = {
            "person_id": person_id,
            "since": None if since is None else since.astimezone(UTC),
            "until": None if until is None else until.astimezone(UTC),
        }
        if other_id is None:
            rows = await self._read(_collected, cypher.INTERACTIONS_OF_PERSON, **window)
        else:
            rows = await self._read(
                _collected, cypher.INTERACTIONS_OF_PAIR, other_id=other_id, **window
            )
        return [decode(Interaction, props) for props in rows]

    async def group_contacts(
        self,
        member_ids: Collection[str],
        *,
        hidden: Collection[str] = (),
        after: datetime,
        until: datetime,
    ) -> GroupContacts:
        """Count a group's contacts in the database: three queries in one read transaction,
        each binding the members by id; only shared interactions and group ids come back."""
        members = sorted(set(member_ids))
        return await self._read(
            _group_contacts,
            members,
            sorted(set(hidden) - set(members)),
            after.astimezone(UTC),
            until.astimezone(UTC),
        )

    async def direct_contacts(
        self, pairs: Collection[tuple[str, str]], *, after: datetime, until: datetime
    ) -> dict[tuple[str, str], int]:
        """Count the pairs' direct contacts in the database, all pairs in one ``UNWIND``."""
        wanted = sorted({pair_key(a, b) for a, b in pairs if a != b})
        if not wanted:
            return {}
        found = await self._read(
            _collected,
            cypher.DIRECT_CONTACTS_OF_PAIRS,
            pairs=[list(p) for p in wanted],
            after=after.astimezone(UTC),
            until=until.astimezone(UTC),
        )
        return {(a, b): int(count) for a, b, count in found}

    async def pair_tie_stretches(
        self, a: str, b: str, *, ends: Sequence[datetime], until: datetime
    ) -> list[Tie | None]:
        """Fold the pair's interactions in each stretch in the database, in one query binding
        both people by id; one small tie per stretch comes back (see the port)."""
        found: list[Tie | None] = [None] * len(ends)
        if a == b or not ends:
            return found
        first, second = pair_key(a, b)
        model = self.model
        stretches = await self._read(
            _collected,
            cypher.PAIR_TIE_STRETCHES,
            a=first,
            b=second,
            ends_us=[_micros(end) for end in ends],
            last=ends[-1].astimezone(UTC),
            until=until.astimezone(UTC),
            weights={kind.value: float(weight) for kind, weight in model.weights.items()},
            group_kinds=sorted(kind.value for kind in GROUP_KINDS),
            half_life_s=model.half_life.total_seconds(),
        )
        for k, props in stretches:
            found[int(k)] = _tie(first, second, props)
        return found

    async def tie(self, a: str, b: str) -> Tie | None:
        """Return the tie between two people, or ``None`` if they never interacted."""
        if a == b:
            return None
        first, second = pair_key(a, b)
        rows = await self._read(_column, cypher.GET_TIE, pair=tie_pair_key(first, second))
        return _tie(first, second, rows[0]) if rows else None

    async def ties_of(self, person_ids: Collection[str]) -> dict[str, list[Tie]]:
        """Return each given person's ties, ordered by the other person's id."""
        ids = sorted(set(person_ids))
        ties: dict[str, list[Tie]] = {pid: [] for pid in ids}
        if not ids:
            return ties
        found = await self._read(_collected, cypher.TIES_OF_PEOPLE, ids=ids)
        for pid, other_id, props in found:
            a, b = pair_key(pid, other_id)
            ties[pid].append(_tie(a, b, props))
        return ties

    async def ties_between(
        self, pairs: Collection[tuple[str, str]], at: datetime | None = None
    ) -> dict[tuple[str, str], Tie]:
        """Read only the asked ties (one seek of the pair key each), so a hub on a path costs
        one tie, not all of them; ties changed after ``at`` are rebuilt from history as
        :meth:`ties_as_of` does."""
        wanted = sorted({pair_key(a, b) for a, b in pairs if a != b})
        if not wanted:
            return {}
        keys = [[a, b, tie_pair_key(a, b)] for a, b in wanted]
        found = await self._read(_collected, cypher.TIES_BETWEEN, pairs=keys)
        ties = {(a, b): _tie(a, b, props) for a, b, props in found}
        if at is None:
            return ties
        if any(t.last_at > at for t in ties.values()):
            return await super().ties_between(wanted, at)
        return {pair: t for pair, t in ties.items() if t.first_at <= at}

    async def tie_contexts(
        self, person_id: str, others: Collection[str] | None = None
    ) -> list[TieContext]:
        """Return the person's ties with their neighbourhoods, counted in one query."""
        wanted = None if others is None else sorted(set(others))
        rows = await self._read(_records, cypher.TIE_CONTEXTS, person_id=person_id, others=wanted)
        contexts = []
        for row in rows:
            a, b = pair_key(person_id, row["other_id"])
            contexts.append(
                TieContext(
                    tie=_tie(a, b, row["props"]),
                    other_id=row["other_id"],
                    shared_contacts=int(row["shared_contacts"]),
                    degree=int(row["degree"]),
                    other_degree=int(row["other_degree"]),
                    shared_groups=int(row["shared_groups"]),
                )
            )
        return contexts

    async def tie_contexts_among(self, person_ids: Sequence[str]) -> list[TieContext]:
        """Return the ties among the people with their neighbourhoods, in one query: each
        person's ties expanded once, however many pairs they are in (see the port)."""
        ids = sorted(set(person_ids))
        if len(ids) < 2:
            return []
        rows = await self._read(_records, cypher.TIE_CONTEXTS_AMONG, ids=ids)
        return [
            TieContext(
                tie=_tie(row["person_id"], row["other_id"], row["props"]),
                other_id=row["other_id"],
                shared_contacts=int(row["shared_contacts"]),
                degree=int(row["degree"]),
                other_degree=int(row["other_degree"]),
                shared_groups=int(row["shared_groups"]),
            )
            for row in rows
        ]

    # -- paths, searched inside the database ----------------------------------------------------

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
        """A top-k search from the end with fewer ties, pruned by the k-th best path found so
        far, scored, ranked and limited in the database: by tiegraph's procedure where the
        server has it, else by one Cypher query.

        The search runs on the server, so the event loop is free meanwhile; what is left of
        ``deadline`` is the transaction's timeout, so the server stops a search that outlives
        its budget and this raises ``BudgetExceeded``."""
        if source == target or first < 1 or max_hops < 1:
            return []
        hops = min(max_hops, cypher.MAX_PATH_HOPS)
        parameters = introduction_path_parameters(
            self.model,
            source=source,
            target=target,
            first=first,
            strategy=strategy,
            min_link_strength=min_link_strength,
            at=at,
            kinds=kinds,
        )
        if self._procedures:
            try:
                with _refusing_oversized_searches(deadline):
                    rows = await self._read_within(
                        deadline,
                        _records,
                        cypher.INTRODUCTION_PATHS_PROCEDURE,
                        **procedure_path_parameters(parameters, hops),
                    )
            except Neo4jError as error:
                if error.code != _PROCEDURE_NOT_FOUND:
                    raise
                # The server was started again without the procedures: Cypher from now on.
                log.warning("tiegraph's procedures are gone from the server: searching in Cypher")
                self._procedures = False
                return await self.introduction_paths(
                    source,
                    target,
                    max_hops=max_hops,
                    first=first,
                    strategy=strategy,
                    min_link_strength=min_link_strength,
                    at=at,
                    kinds=kinds,
                    deadline=deadline,
                )
            return rank(_paths_of(rows), strategy, first)
        query = cypher.introduction_paths_query(hops)
        if deadline is not None and hops not in self._planned_path_queries:
            self._plan_path_query(hops, query, parameters)
        with _refusing_oversized_searches(deadline):
            try:
                rows = await self._read_within(deadline, _records, query, **parameters)
            except BudgetExceeded:  # timed out: the plan may be gone (not so a size refusal)
                self._planned_path_queries.discard(hops)
                raise
        return rank(_paths_of(rows), strategy, first)

    def _plan_path_query(self, hops: int, query: LiteralString, parameters: dict[str, Any]) -> None:
        """Run one search of ``hops`` without a timeout, in the background, once at a time.

        Planning the path query takes seconds on a busy server, and a transaction that its
        timeout ends while planning leaves no plan in the server's cache: every search within
        a budget would then fail. A search run to its end leaves the plan for the next ones;
        it is run again after any search that timed out (the plan may have been evicted).
        """
        if hops in self._planning_path_queries:
            return

        async def plan() -> None:
            try:
                await self._read(_execute, query, **parameters)
                self._planned_path_queries.add(hops)
            except Exception:  # a warm-up: the searches report their own errors
                log.info("planning the %d-hop path query failed", hops, exc_info=True)
            finally:
                self._planning_path_queries.pop(hops, None)

        self._planning_path_queries[hops] = asyncio.create_task(plan())

    async def distance(
        self,
        source: str,
        target: str,
        *,
        limit: int,
        kinds: Collection[InteractionKind] | None = None,
    ) -> int | None:
        """``SHORTEST 1`` between the two bound people (a bidirectional search in Neo4j)."""
        if source == target:
            found = await self.get(Person, [source])
            return 0 if found else None
        rows = await self._read(
            _column,
            cypher.distance_query(limit),
            source=source,
            target=target,
            kinds=_counters(kinds),
        )
        return int(rows[0]) if rows else None

    async def shortest_paths(
        self,
        source: str,
        target: str,
        *,
        limit: int,
        kinds: Collection[InteractionKind] | None = None,
    ) -> list[tuple[str, ...]]:
        """``ALL SHORTEST`` between the two bound people."""
        if source == target:
            return []
        rows = await self._read(
            _column,
            cypher.shortest_paths_query(limit),
            source=source,
            target=target,
            kinds=_counters(kinds),
        )
        return sorted(tuple(ids) for ids in rows)

    async def neighbourhood(
        self,
        person_id: str,
        *,
        max_hops: int,
        kinds: Collection[InteractionKind] | None = None,
    ) -> dict[str, int]:
        """``SHORTEST 1`` from the person to everyone within ``max_hops``."""
        rows = await self._read(
            _records,
            cypher.neighbourhood_query(max_hops),
            person_id=person_id,
            kinds=_counters(kinds),
        )
        return {row["id"]: int(row["hops"]) for row in rows}

    async def counts(self) -> dict[str, int]:
        """Return how many records of each kind are stored, and how many ties (``tie``)."""
        rows = await self._read(_column, cypher.COUNT_EVERYTHING)
        counted: dict[str, Any] = rows[0]
        return {name: int(counted[name]) for name in (*ENTITY_KINDS, "tie")}

    async def erase_person(self, person_id: str, *, by: str, at: datetime) -> ErasureReceipt:
        """Erase a person and every attribution to them, in one transaction.

        :mod:`graph.domain.erasure` decides what goes and what is rewritten; an audit record
        says when, by whom and how much, never who.
        """
        return await self._write(_erase_person, person_id, by, at, self._chunk)

    async def changes_since(self, cursor: int | None, *, limit: int) -> ChangePage:
        """Return logged changes after ``cursor`` (one read transaction)."""
        return await self._read(_changes_since_in_tx, cursor, limit)

    async def prune_changes(self, *, before: datetime) -> int:
        """Delete logged changes older than ``before``, a bounded transaction at a time."""
        before_us = _micros(before.astimezone(UTC))
        total = 0
        while True:
            deleted = await self._write(
                _column_int, cypher.PRUNE_SOME_CHANGES, before_us=before_us, limit=DELETE_CHUNK
            )
            total += deleted
            if deleted < DELETE_CHUNK:
                return total

    async def delete_everything(self) -> None:
        """Remove every record and tie, a bounded transaction at a time.

        The schema record and the audit trail of erasures stay, as do constraints and indexes.
        """
        # Relationships first, so no single node deletion has to drag along a huge degree.
        while await self._write(_delete_some, cypher.DELETE_SOME_RELATIONSHIPS, DELETE_CHUNK):
            pass
        while await self._write(_delete_some, cypher.DELETE_SOME_NODES, DELETE_CHUNK):
            pass

"""A write load of ``recordInteractions`` batches, each retried with its keys until acknowledged.

Each simulated client sends its own numbered batches one after the other; every interaction
carries an idempotency key derived from (client, batch, position), so sending a batch again can
never store it twice. A batch is acknowledged by HTTP 200 with a ``WritePayload``; a 503 must
say plainly that the store is unavailable and when to retry (``Retry-After``), and the client
waits that long and sends the same batch again. Anything else -- a 500, a 200 with errors, a
masked internal error -- fails the load at once with the answer it got.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx

from graph.domain.model import Interaction
from graph.ports import GraphStore

__all__ = [
    "PEOPLE",
    "Answer",
    "ReadinessProbe",
    "UnexpectedAnswer",
    "WriteLoad",
    "assert_acknowledged_writes_stored_once",
    "seed_people",
]

PEOPLE = tuple(f"fault-p{n:02d}" for n in range(12))
"""The people every interaction of the load is between."""

_START = datetime(2024, 1, 1, tzinfo=UTC)

RECORD = """
mutation($input: [InteractionInput!]!) {
  recordInteractions(input: $input) {
    __typename
    ... on WritePayload { created unchanged }
  }
}
"""

UPSERT_PEOPLE = """
mutation($input: [PersonInput!]!) {
  upsertPeople(input: $input) { __typename ... on WritePayload { created unchanged } }
}
"""

Outcome = Literal["ack", "unavailable", "timeout", "refused"]


class UnexpectedAnswer(AssertionError):
    """The service answered something a client cannot act on."""


@dataclass(frozen=True)
class Answer:
    """What one request of the load got, and when."""

    client: int
    batch: int
    sent_at: float
    """``time.monotonic()`` when the request was sent."""
    seconds: float
    outcome: Outcome
    created: int = 0
    unchanged: int = 0
    retry_after: int | None = None


def interaction_key(client: int, batch: int, position: int) -> str:
    """Return the idempotency key of one interaction of the load."""
    return f"fault-c{client}-b{batch:05d}-i{position}"


def batch_input(client: int, batch: int, size: int) -> list[dict[str, Any]]:
    """Return the ``InteractionInput`` list of one batch: the same for the same arguments."""
    rng = random.Random(f"fault-load/{client}/{batch}")
    rows = []
    for position in range(size):
        a, b = rng.sample(PEOPLE, 2)
        at = _START + timedelta(minutes=(client * 100_000 + batch) * 10 + position)
        rows.append(
            {
                "key": interaction_key(client, batch, position),
                "participants": [a, b],
                "at": at.isoformat().replace("+00:00", "Z"),
                "kind": "CALL",
                "initiator": a,
                "durationSeconds": 60 + position,
            }
        )
    return rows


async def seed_people(client: httpx.AsyncClient) -> None:
    """Create the load's people (idempotent)."""
    people = [{"key": p, "name": f"Fault {p[-2:]}"} for p in PEOPLE]
    response = await client.post(
        "/graphql", json={"query": UPSERT_PEOPLE, "variables": {"input": people}}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"]["upsertPeople"]["__typename"] == "WritePayload", body


def check_unavailable(response: httpx.Response) -> int:
    """Check a 503 says plainly that the store is unavailable; return its ``Retry-After``."""
    retry_after = response.headers.get("Retry-After", "")
    if not retry_after.isdigit() or int(retry_after) < 1:
        raise UnexpectedAnswer(f"503 without a usable Retry-After: {response.headers!r}")
    try:
        body = response.json()
    except ValueError as error:
        raise UnexpectedAnswer(f"503 without a JSON body: {response.text[:300]!r}") from error
    errors = body.get("errors") or [{}]
    codes = {(e.get("extensions") or {}).get("code") for e in errors}
    message = " ".join(str(e.get("message")) for e in errors)
    if codes != {"STORE_UNAVAILABLE"} or "unavailable" not in message:
        raise UnexpectedAnswer(f"503 that does not say the store is unavailable: {body}")
    if "bolt" in response.text or "Traceback" in response.text or "neo4j." in response.text:
        raise UnexpectedAnswer(f"503 that shows internals: {body}")
    return int(retry_after)


@dataclass
class WriteLoad:
    """``clients`` concurrent writers, each sending its batches until :attr:`stop` is set.

    A client stops only between batches: a batch once sent is sent again until acknowledged,
    so when :meth:`run` returns every key in :attr:`sent` has been acknowledged.
    """

    http: httpx.AsyncClient
    clients: int = 4
    batch_size: int = 5
    pause_s: float = 0.05
    request_timeout_s: float = 30.0
    tolerate_refused: bool = False
    """Whether a refused connection (the service itself is down) is retried, not a failure."""
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    answers: list[Answer] = field(default_factory=list)
    sent: set[str] = field(default_factory=set)
    acknowledged: set[str] = field(default_factory=set)
    batches_done: Counter[int] = field(default_factory=Counter)

    async def run(self) -> None:
        """Run every client until :attr:`stop` is set and each has finished its batch."""
        await asyncio.gather(*(self._client(c) for c in range(self.clients)))

    def outcomes(self) -> Counter[str]:
        """Count the answers by outcome."""
        return Counter(a.outcome for a in self.answers)

    def acks_after(self, moment: float) -> Counter[int]:
        """Count acknowledgements per client of requests sent after ``moment``."""
        return Counter(a.client for a in self.answers if a.outcome == "ack" and a.sent_at > moment)

    async def wait_until(self, condition: Any, within_s: float, what: str) -> None:
        """Wait until ``condition()`` holds, or fail saying ``what`` did not happen."""
        deadline = time.monotonic() + within_s
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{what} did not happen within {within_s:g} s: {self.outcomes()}"
                )
            await asyncio.sleep(0.05)

    async def _client(self, client: int) -> None:
        batch = 0
        while not self.stop.is_set():
            await self._until_acknowledged(client, batch)
            self.batches_done[client] += 1
            batch += 1
            await asyncio.sleep(self.pause_s)

    async def _until_acknowledged(self, client: int, batch: int) -> None:
        rows = batch_input(client, batch, self.batch_size)
        keys = [row["key"] for row in rows]
        payload = {"query": RECORD, "variables": {"input": rows}}
        while True:
            sent_at = time.monotonic()
            self.sent.update(keys)
            try:
                response = await self.http.post(
                    "/graphql", json=payload, timeout=self.request_timeout_s
                )
            except httpx.TimeoutException:
                self._note(client, batch, sent_at, "timeout")
                continue
            except httpx.TransportError:
                if not self.tolerate_refused:
                    raise
                self._note(client, batch, sent_at, "refused")
                await asyncio.sleep(0.1)
                continue
            if response.status_code == 503:
                retry_after = check_unavailable(response)
                self._note(client, batch, sent_at, "unavailable", retry_after=retry_after)
                await asyncio.sleep(retry_after)
                continue
            if response.status_code != 200:
                raise UnexpectedAnswer(f"HTTP {response.status_code}: {response.text[:500]}")
            body = response.json()
            result = (body.get("data") or {}).get("recordInteractions") or {}
            if body.get("errors") or result.get("__typename") != "WritePayload":
                raise UnexpectedAnswer(f"HTTP 200 without an acknowledgement: {body}")
            self._note(
                client,
                batch,
                sent_at,
                "ack",
                created=int(result["created"]),
                unchanged=int(result["unchanged"]),
            )
            self.acknowledged.update(keys)
            return

    def _note(self, client: int, batch: int, sent_at: float, outcome: Outcome, **more: Any) -> None:
        seconds = time.monotonic() - sent_at
        self.answers.append(Answer(client, batch, sent_at, seconds, outcome, **more))


@dataclass
class ReadinessProbe:
    """Ask ``/readyz`` every ``every_s`` seconds and keep (time, status) of each answer."""

    http: httpx.AsyncClient
    every_s: float = 0.1
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    seen: list[tuple[float, int]] = field(default_factory=list)

    async def run(self) -> None:
        """Probe until :attr:`stop` is set; a refused connection counts as status 0."""
        while not self.stop.is_set():
            at = time.monotonic()
            try:
                status = (await self.http.get("/readyz", timeout=10.0)).status_code
            except httpx.TransportError:
                status = 0
            self.seen.append((at, status))
            await asyncio.sleep(self.every_s)

    def first(self, status: int, after: float) -> float | None:
        """Return when ``status`` was first seen after ``after``."""
        return next((at for at, s in self.seen if s == status and at > after), None)


async def assert_acknowledged_writes_stored_once(
    store: GraphStore, load: WriteLoad, acknowledged_before: set[str]
) -> tuple[int, int]:
    """Open ``store`` and check that every write ``load`` had acknowledged (those before the
    fault among them) is stored, and each exactly once, in the records and in the ties; return
    how many are stored and how many interactions the store counts, for the report."""
    await store.open()
    try:
        stored = await store.get(Interaction, load.acknowledged)
        counts = await store.counts()
        ties = await store.ties_of(PEOPLE)
    finally:
        await store.close()
    assert acknowledged_before <= set(stored)
    assert set(stored) == load.acknowledged
    assert counts["interaction"] == len(load.acknowledged)  # none twice
    pairs = {(t.a, t.b): t.count for person_ties in ties.values() for t in person_ties}
    assert sum(pairs.values()) == len(load.acknowledged)  # each counted once in the ties
    return len(stored), counts["interaction"]

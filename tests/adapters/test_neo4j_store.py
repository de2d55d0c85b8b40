"""What only the Neo4j store has to promise: routing URIs, clear errors for bad settings."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any, LiteralString

import neo4j
import pytest

from graph.adapters.neo4j import store as neo4j_store
from graph.adapters.neo4j.store import Neo4jStore
from graph.domain.deadline import Deadline
from graph.domain.errors import BudgetExceeded, ConfigurationError, StoreUnavailable
from graph.domain.model import InteractionKind, Person
from graph.domain.paths import Strategy
from graph.ports import batch_of
from tests.factories import at, interaction, person
from tests.support.neo4j import Neo4jTarget
from tests.support.ties import assert_same_ties

CALL = InteractionKind.CALL
DEADLOCK = "Neo.TransientError.Transaction.DeadlockDetected"


def _target(neo4j_target: Neo4jTarget | None) -> Neo4jTarget:
    if neo4j_target is None:
        pytest.skip("no Neo4j server")
    return neo4j_target


async def test_a_routing_uri_reaches_the_same_server(neo4j_target: Neo4jTarget | None) -> None:
    target = _target(neo4j_target)
    routed_uri = target.uri.replace("bolt://", "neo4j://")
    direct = Neo4jStore(uri=target.uri, auth=target.auth, database=target.database)
    routed = Neo4jStore(uri=routed_uri, auth=target.auth, database=target.database)
    await direct.open()
    await routed.open()
    try:
        await direct.delete_everything()
        await routed.apply(batch_of([person("routed")]))
        assert "routed" in await direct.get(Person, ["routed"])
    finally:
        await direct.delete_everything()
        await direct.close()
        await routed.close()


async def test_an_unknown_database_is_named_in_the_error(
    neo4j_target: Neo4jTarget | None,
) -> None:
    target = _target(neo4j_target)
    store = Neo4jStore(uri=target.uri, auth=target.auth, database="no-such-database")
    with pytest.raises((ConfigurationError, StoreUnavailable), match="no-such-database"):
        await store.open()
    await store.close()


async def test_a_server_that_is_not_there_is_unavailable_not_a_crash() -> None:
    store = Neo4jStore(uri="bolt://127.0.0.1:9", auth=None, database="neo4j")
    with pytest.raises(StoreUnavailable):
        await store.open()
    await store.close()


async def test_rescoring_a_page_of_people_at_a_time_misses_no_tie_and_rebuilds_a_lost_one(
    neo4j_target: Neo4jTarget | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _target(neo4j_target)
    store = Neo4jStore(uri=target.uri, auth=target.auth, database=target.database)
    await store.open()
    try:
        await store.delete_everything()
        people = ["ann", "ben", "cat"]
        await store.apply(batch_of([person(p) for p in people]))
        await store.apply(
            batch_of(
                [
                    interaction(f"k{n}", people[n % 3], people[(n + 1) % 3], day=n, kind=CALL)
                    for n in range(7)
                ]
            )
        )
        before = await store.ties_of(people)
        driver = neo4j.AsyncGraphDatabase.driver(target.uri, auth=target.auth)
        async with driver:
            await driver.execute_query(
                "MATCH (:Person {id: 'ann'})-[t:TIE]->(:Person {id: 'ben'}) DELETE t",
                database_=target.database,
            )
        assert len((await store.ties_of(["ann"]))["ann"]) == 1
        monkeypatch.setattr(neo4j_store, "RESCORE_PAGE", 2)
        assert await store.recompute_ties() == 3
        after = await store.ties_of(people)
        for pid in people:
            assert_same_ties(
                {t.other(pid): t for t in after[pid]}, {t.other(pid): t for t in before[pid]}
            )
    finally:
        await store.delete_everything()
        await store.close()


async def _run(target: Neo4jTarget, *queries: LiteralString) -> list[list[Any]]:
    """Run queries straight on the server, as an older tiegraph or an operator would."""
    found = []
    driver = neo4j.AsyncGraphDatabase.driver(target.uri, auth=target.auth)
    async with driver:
        for query in queries:
            records, _, _ = await driver.execute_query(query, database_=target.database)
            found.append([r[0] for r in records])
    return found


async def _three_people_in_contact(store: Neo4jStore) -> list[str]:
    people = ["ann", "ben", "cat"]
    await store.apply(batch_of([person(p) for p in people]))
    await store.apply(
        batch_of(
            [
                interaction(
                    f"k{n}-{kind.value}", people[n % 3], people[(n + 1) % 3], day=n, kind=kind
                )
                for n in range(9)
                for kind in ([CALL] if n % 2 else [CALL, InteractionKind.MESSAGE])
            ]
        )
    )
    return people


async def test_rescoring_repairs_a_tie_whose_counts_went_wrong_and_every_tie_keeps_its_key(
    neo4j_target: Neo4jTarget | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _target(neo4j_target)
    store = Neo4jStore(uri=target.uri, auth=target.auth, database=target.database)
    await store.open()
    try:
        await store.delete_everything()
        people = await _three_people_in_contact(store)
        before = await store.ties_between([("ann", "ben"), ("ben", "cat")])
        assert len(before) == 2
        await _run(
            target,
            "MATCH (:Person {id: 'ann'})-[t:TIE]->(:Person {id: 'ben'})"
            " SET t.count = 99, t.n_call = 5, t.score = 0.0",
            "MATCH (:Person {id: 'ben'})-[t:TIE]->(:Person {id: 'cat'})"
            " SET t.score = 123.0, t.score_by_a = 0.5",
        )
        monkeypatch.setattr(neo4j_store, "RESCORE_PAGE", 2)
        assert await store.recompute_ties() == 3
        assert_same_ties(await store.ties_between(before), before)
        ties = await store.ties_of(people)
        assert sum(len(ts) for ts in ties.values()) == 6
    finally:
        await store.delete_everything()
        await store.close()


async def test_a_database_of_schema_version_1_gets_its_ties_pair_keys_when_opened(
    neo4j_target: Neo4jTarget | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _target(neo4j_target)
    store = Neo4jStore(uri=target.uri, auth=target.auth, database=target.database)
    await store.open()
    try:
        await store.delete_everything()
        people = await _three_people_in_contact(store)
        before = await store.ties_of(people)
        await store.close()
        # As tiegraph wrote it before ties had a key.
        await _run(
            target,
            "MATCH ()-[t:TIE]->() REMOVE t.pair",
            "DROP CONSTRAINT tie_pair IF EXISTS",
            "MATCH (s:TiegraphSchema {name: 'tiegraph'}) SET s.version = 1",
        )
        monkeypatch.setattr(neo4j_store, "RESCORE_PAGE", 2)
        await store.open()
        keys, versions = await _run(
            target,
            "MATCH (a)-[t:TIE]->(b) RETURN collect([t.pair, a.id + '|' + b.id])",
            "MATCH (s:TiegraphSchema {name: 'tiegraph'}) RETURN s.version",
        )
        assert sorted(keys[0]) == [
            ["ann|ben", "ann|ben"],
            ["ann|cat", "ann|cat"],
            ["ben|cat", "ben|cat"],
        ]
        assert versions == [2]
        after = await store.ties_of(people)
        for pid in people:
            assert_same_ties(
                {t.other(pid): t for t in after[pid]}, {t.other(pid): t for t in before[pid]}
            )
        # A later contact adds to the tie found by its key, never a second tie.
        await store.apply(batch_of([interaction("later", "ben", "ann", day=30, kind=CALL)]))
        tie = await store.tie("ann", "ben")
        assert tie is not None
        assert tie.count == {t.other("ann"): t for t in before["ann"]}["ben"].count + 1
        assert (await store.counts())["tie"] == 3
    finally:
        await store.delete_everything()
        await store.close()


async def test_a_read_past_its_budget_is_ended_by_the_server_as_budget_exceeded(
    neo4j_target: Neo4jTarget | None,
) -> None:
    target = _target(neo4j_target)
    store = Neo4jStore(uri=target.uri, auth=target.auth, database=target.database)
    await store.open()
    try:
        endless: LiteralString = (
            "UNWIND range(1, 10000000000) AS x WITH x WHERE x < 0 RETURN count(x) AS n"
        )
        started = time.monotonic()
        with pytest.raises(BudgetExceeded, match=r"0\.5 s"):
            await store._read_within(
                Deadline.after(0.5, hint="ask for less"), neo4j_store._column, endless
            )
        # The server looks at its transactions every 100 ms (server.py); the rest is slack
        # for a busy machine, far below the minutes the query would run.
        assert time.monotonic() - started < 3.0
    finally:
        await store.close()


async def test_a_path_search_whose_budget_is_spent_does_not_start(
    neo4j_target: Neo4jTarget | None,
) -> None:
    target = _target(neo4j_target)
    store = Neo4jStore(uri=target.uri, auth=target.auth, database=target.database)
    await store.open()
    try:
        ticks = iter([0.0, 5.0])
        spent = Deadline.after(1.0, clock=lambda: next(ticks))
        with pytest.raises(BudgetExceeded):
            await store.introduction_paths(
                "ann",
                "ben",
                max_hops=3,
                first=5,
                strategy=Strategy.STRONGEST,
                min_link_strength=0.0,
                at=at(0),
                deadline=spent,
            )
    finally:
        await store.close()


async def test_two_processes_writing_the_same_people_at_once_lose_and_double_nothing(
    neo4j_target: Neo4jTarget | None,
) -> None:
    # Two stores stand for two API workers: each has its own write lock, so their batches meet
    # on the server, lock the same people in different orders and deadlock there. The driver's
    # own retries are off, so the store's must cope.
    target = _target(neo4j_target)
    stores = [
        Neo4jStore(uri=target.uri, auth=target.auth, database=target.database, max_retry_time_s=0.0)
        for _ in range(2)
    ]
    for store in stores:
        await store.open()
    try:
        await stores[0].delete_everything()
        people = [f"p{n:02d}" for n in range(12)]
        await stores[0].apply(batch_of([person(p) for p in people]))
        rng = random.Random(5)
        batches = []
        for b in range(16):
            for worker in ("w0", "w1"):
                order = rng.sample(people, len(people))
                contacts = [
                    interaction(f"{worker}-{b}-{k}", order[k], order[(k + 1) % 12], day=b)
                    for k in range(12)
                ]
                batches.append(batch_of(contacts))
        # Each batch is sent by both workers (a client retrying elsewhere): the copy that comes
        # second must change nothing.
        await asyncio.gather(*(stores[n].apply(batch) for batch in batches for n in range(2)))
        stored = await stores[0].counts()
        assert stored["interaction"] == 32 * 12
        ties = await stores[0].ties_of(people)
        assert sum(t.count for ts in ties.values() for t in ts) == 2 * 32 * 12
    finally:
        await stores[0].delete_everything()
        for store in stores:
            await store.close()


async def test_a_batch_that_deadlocks_with_another_worker_s_is_run_again_exactly_once(
    neo4j_target: Neo4jTarget | None, caplog: pytest.LogCaptureFixture
) -> None:
    # Two stores stand for two API workers, with the driver's own retries off. Each round,
    # both write contacts along one ring of people at once, one walking it forwards and the
    # other backwards, so each takes the people's locks in the other's reverse order: the
    # server finds a deadlock and fails one of the two transactions. Only the store's own
    # retry can then save that batch.
    target = _target(neo4j_target)
    stores = [
        Neo4jStore(uri=target.uri, auth=target.auth, database=target.database, max_retry_time_s=0.0)
        for _ in range(2)
    ]
    for store in stores:
        await store.open()
    caplog.set_level(logging.INFO, logger=neo4j_store.__name__)
    try:
        await stores[0].delete_everything()
        # A long ring makes each batch take long enough for the two to overlap on an idle
        # server as on a busy one.
        people = [f"p{n:03d}" for n in range(120)]
        await stores[0].apply(batch_of([person(p) for p in people]))
        ring = list(zip(people, people[1:] + people[:1], strict=True))
        rounds = 0
        while rounds < 100 and not _deadlocks_retried(caplog):
            forwards = [interaction(f"f{rounds}-{k}", a, b) for k, (a, b) in enumerate(ring)]
            backwards = [
                interaction(f"b{rounds}-{k}", b, a) for k, (a, b) in reversed(list(enumerate(ring)))
            ]
            await asyncio.gather(
                stores[0].apply(batch_of(forwards)), stores[1].apply(batch_of(backwards))
            )
            rounds += 1
        assert _deadlocks_retried(caplog), f"no deadlock between the writers in {rounds} rounds"
        stored = await stores[0].counts()
        assert stored["interaction"] == 2 * len(ring) * rounds
        ties = await stores[0].ties_between(ring)
        assert sorted(t.count for t in ties.values()) == [2 * rounds] * len(ring)
    finally:
        await stores[0].delete_everything()
        for store in stores:
            await store.close()


def _deadlocks_retried(caplog: pytest.LogCaptureFixture) -> int:
    """How many batches the store ran again because the server reported a deadlock."""
    found = 0
    for record in caplog.records:
        raced = record.args[-1] if isinstance(record.args, tuple) and record.args else None
        if isinstance(raced, Exception) and record.msg.startswith("batch raced another writer"):
            cause = raced.__cause__
            found += isinstance(cause, neo4j.exceptions.Neo4jError) and cause.code == DEADLOCK
    return found

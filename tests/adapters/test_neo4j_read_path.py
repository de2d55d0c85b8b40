"""How the Neo4j store sends a read: what it sees and what it survives.

Reads of one statement run as auto-commit queries (one round trip) rather than managed
transactions; they must still see every acknowledged write and be retried after a failure
the driver would retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import LiteralString
from urllib.parse import urlsplit

import neo4j
import pytest

from graph.adapters.neo4j import store as neo4j_store
from graph.adapters.neo4j.store import Neo4jStore
from graph.domain.deadline import Deadline
from graph.domain.model import Person
from graph.domain.paths import Strategy
from graph.ports import batch_of
from tests.factories import interaction, person
from tests.support.neo4j import Neo4jTarget


def _target(neo4j_target: Neo4jTarget | None) -> Neo4jTarget:
    if neo4j_target is None:
        pytest.skip("no Neo4j server")
    return neo4j_target


def _open(target: Neo4jTarget) -> Neo4jStore:
    return Neo4jStore(uri=target.uri, auth=target.auth, database=target.database)


async def test_a_read_right_after_another_store_s_write_sees_it(
    neo4j_target: Neo4jTarget | None,
) -> None:
    target = _target(neo4j_target)
    writer, reader = _open(target), _open(target)
    await writer.open()
    await reader.open()
    try:
        await writer.delete_everything()
        for n in range(20):
            a, b = f"a{n}", f"b{n}"
            await writer.apply(batch_of([person(a), person(b), interaction(f"k{n}", a, b, day=n)]))
            # No bookmark passes between the two stores: only the server orders them.
            assert set(await reader.get(Person, [a, b])) == {a, b}
            assert [t.other(a) for t in (await reader.ties_of([a]))[a]] == [b]
            assert (await reader.counts())["person"] == 2 * (n + 1)
    finally:
        await writer.delete_everything()
        await writer.close()
        await reader.close()


class _Cable:
    """A TCP relay to the Neo4j server whose open connections can be cut, as a network would.

    Once told to hold the server's replies, it keeps the next bytes the server sends, cuts
    every connection at that moment and relays normally again: the client has sent its query,
    the server has answered, and the answer never arrives.
    """

    def __init__(self, host: str, port: int) -> None:
        self._to = (host, port)
        self._open: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None
        self._holding = False
        self.cuts = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def cut_when_the_server_answers(self) -> None:
        """Cut every connection as soon as the server sends anything, which is then lost."""
        self._holding = True

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._to)
        self._open += [writer, up_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    if self._holding and source is up_reader:
                        self._holding = False
                        self.cut()
                        return
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        """Drop every open connection at once, without a word to either side."""
        self.cuts += 1
        for writer in self._open:
            writer.transport.abort()
        self._open.clear()

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()


async def test_a_read_that_loses_its_connection_midway_is_run_again(
    neo4j_target: Neo4jTarget | None, caplog: pytest.LogCaptureFixture
) -> None:
    target = _target(neo4j_target)
    where = urlsplit(target.uri)
    assert where.hostname is not None
    assert where.port is not None
    cable = _Cable(where.hostname, where.port)
    port = await cable.start()
    store = Neo4jStore(
        uri=f"bolt://127.0.0.1:{port}",
        auth=target.auth,
        database=target.database,
        plan_searches_at_open=False,
    )
    await store.open()
    read: LiteralString = "UNWIND range(1, 1000) AS x WITH x WHERE x < 0 RETURN count(x) AS n"
    try:
        with caplog.at_level(logging.WARNING, logger="graph.adapters.neo4j.store"):
            cable.cut_when_the_server_answers()
            # One statement: an auto-commit query, which the driver itself never retries.
            counted = await store._read(neo4j_store._column, read)

        assert cable.cuts == 1, "the read's answer was never lost"
        assert counted == [0]
        assert "will be retried" in caplog.text
    finally:
        await store.close()
        await cable.close()


async def test_a_store_opened_on_a_server_without_cached_plans_searches_paths_within_budget_at_once(
    neo4j_target: Neo4jTarget | None,
) -> None:
    target = _target(neo4j_target)
    writer = _open(target)
    await writer.open()
    await writer.delete_everything()
    await writer.apply(
        batch_of(
            [person("ann"), person("mo"), person("bo"), interaction("k1", "ann", "mo", day=1),
             interaction("k2", "mo", "bo", day=2)]
        )
    )  # fmt: skip
    # A restarted server holds no plans: planning a path query takes it seconds.
    with neo4j.GraphDatabase.driver(target.uri, auth=target.auth) as driver:
        driver.execute_query("CALL db.clearQueryCaches()", database_=target.database)
    store = _open(target)
    await store.open()
    try:
        for hops in range(2, 5):
            paths = await store.introduction_paths(
                "ann",
                "bo",
                max_hops=hops,
                first=5,
                strategy=Strategy.STRONGEST,
                min_link_strength=0.0,
                at=datetime(2024, 6, 1, tzinfo=UTC),
                deadline=Deadline.after(1.0, hint="a fresh server's first search"),
            )
            assert [path.people for path in paths] == [("ann", "mo", "bo")]
    finally:
        await store.close()
        await writer.delete_everything()
        await writer.close()

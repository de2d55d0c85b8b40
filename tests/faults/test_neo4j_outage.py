"""Neo4j goes away under a write load and comes back: clear 503s, then recovery, nothing lost.

A ``tiegraph serve`` process runs over a Neo4j server of the test's own while four clients send
``recordInteractions`` batches with idempotency keys. Mid-load the server is stopped (SIGTERM,
as an operator or orchestrator would) or killed (SIGKILL, as a crash would), and the clients
keep sending: every answer must be an acknowledgement or a 503 that says the store is
unavailable with a ``Retry-After`` -- never a 500, never an internal message -- and must come
within a bounded time (the driver's timeouts are settings; the defaults are used here). The
server is started again on the same port; the service, never restarted, must recover by
itself, and afterwards every key the clients sent (each batch was sent again with its keys until
acknowledged) is stored exactly once, with ties that count each interaction once.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import httpx
import pytest

from api.graphql.types import global_id
from api.settings import Settings
from graph.adapters.neo4j.store import Neo4jStore
from tests.faults.load import (
    ReadinessProbe,
    WriteLoad,
    assert_acknowledged_writes_stored_once,
    seed_people,
)
from tests.faults.service import child_environment, start_service
from tests.support.neo4j import Neo4jInstance

DEFAULTS = Settings()
SLOWEST_503_S = (
    DEFAULTS.neo4j_acquisition_timeout_seconds + DEFAULTS.neo4j_max_retry_time_seconds + 3.0
)
"""No 503 may take longer: waiting for its turn to write, then the driver's retries (whose
back-off may start one last attempt just before the retry time is up), plus slack."""
CLIENT_TIMEOUT_S = 60.0
"""A request not answered within this counts as hung (none may be)."""
RECOVERY_WITHIN_S = 60.0
"""How soon after Neo4j answers again every client must have been acknowledged again. A
restarted server plans every query afresh on a cold JVM, which takes seconds on a busy
machine: the figure printed is the one to watch; this bound only says "by itself"."""


@pytest.mark.slow
@pytest.mark.parametrize("how", ["stopped", "killed"])
async def test_a_neo4j_outage_under_write_load_is_answered_503_and_loses_nothing(
    own_neo4j: Neo4jInstance, tmp_path: Path, how: str
) -> None:
    target = own_neo4j.target
    env = child_environment(TIEGRAPH_RATE_LIMIT_PER_MINUTE="1000000")
    served = start_service(
        args=["--store", "neo4j", "--neo4j-uri", target.uri],
        env=env,
        log_path=tmp_path / "serve.log",
    )
    try:
        async with httpx.AsyncClient(base_url=served.url, timeout=CLIENT_TIMEOUT_S) as http:
            await seed_people(http)
            load = WriteLoad(http, clients=4, batch_size=5)
            probe = ReadinessProbe(http)
            running = [asyncio.create_task(load.run()), asyncio.create_task(probe.run())]
            try:
                await load.wait_until(lambda: load.outcomes()["ack"] >= 20, 60, "20 acks")
                went_away = time.monotonic()
                acknowledged_before = set(load.acknowledged)
                await asyncio.to_thread(own_neo4j.stop if how == "stopped" else own_neo4j.kill)
                await load.wait_until(
                    lambda: load.outcomes()["unavailable"] >= load.clients, 60, "503s"
                )
                await asyncio.sleep(2.0)  # an outage of some seconds, under load
                restarting = time.monotonic()
                await asyncio.to_thread(own_neo4j.start)
                back = time.monotonic()
                await load.wait_until(
                    lambda: len(load.acks_after(back)) == load.clients,
                    RECOVERY_WITHIN_S,
                    "every client acknowledged again after Neo4j came back",
                )
                recovered = time.monotonic()
                await load.wait_until(
                    lambda: min(load.acks_after(back)[c] for c in range(load.clients)) >= 3,
                    30,
                    "three more acks per client",
                )
            finally:
                load.stop.set()
                probe.stop.set()
                await asyncio.gather(*running)
            assert served.process.poll() is None, "the service was not meant to exit"

            # Read back through the API too: the keys as Relay nodes.
            keys = sorted(load.acknowledged)
            for start in range(0, len(keys), 100):
                ids = [global_id("Interaction", k) for k in keys[start : start + 100]]
                body = (
                    await http.post(
                        "/graphql",
                        json={
                            "query": "query($ids: [ID!]!) { nodes(ids: $ids) { key } }",
                            "variables": {"ids": ids},
                        },
                    )
                ).json()
                assert [n and n["key"] for n in body["data"]["nodes"]] == keys[start : start + 100]
    finally:
        served.terminate()

    answers = load.answers
    outcomes = load.outcomes()
    unavailable = [a for a in answers if a.outcome == "unavailable"]
    # A cold server on a busy machine may make writes wait their turn past the acquisition
    # timeout (503) even before the outage; those count as answers, not as the outage.
    in_outage = [a for a in unavailable if a.sent_at + a.seconds >= went_away]
    assert outcomes["timeout"] == 0, "a request hung until the client gave up"
    assert in_outage, "the outage was never seen"
    slowest_503 = max(a.seconds for a in unavailable)
    assert slowest_503 <= SLOWEST_503_S, f"a 503 took {slowest_503:.1f} s"
    slowest_ack = max(a.seconds for a in answers if a.outcome == "ack")
    assert load.sent == load.acknowledged  # every batch was retried until acknowledged
    not_ready = probe.first(503, after=went_away)
    assert not_ready is not None, "/readyz never said unavailable"
    assert not_ready < back

    store = Neo4jStore(uri=target.uri, auth=None, database=target.database)
    stored, interactions = await assert_acknowledged_writes_stored_once(
        store, load, acknowledged_before
    )

    first_503 = min(a.sent_at + a.seconds for a in in_outage)
    last_503 = max(a.sent_at + a.seconds for a in in_outage)
    ready_again = probe.first(200, after=back - 1.0)
    retried_acks = [a for a in answers if a.outcome == "ack" and a.unchanged > 0]
    print(
        f"\nFIGURES neo4j {how}: answers {dict(outcomes)}"
        f" ({len(unavailable) - len(in_outage)} of the 503s before the outage);"
        f" first 503 {first_503 - went_away:.1f} s after Neo4j went away,"
        f" 503s for {last_503 - first_503:.1f} s;"
        f" Neo4j restart took {back - restarting:.1f} s;"
        f" /readyz 200 {0.0 if ready_again is None else ready_again - back:.1f} s after;"
        f" every client acknowledged again {recovered - back:.1f} s after;"
        f" 503 answered in {statistics.median(a.seconds for a in in_outage):.1f} s (median),"
        f" slowest 503 {slowest_503:.1f} s, slowest acknowledgement {slowest_ack:.1f} s;"
        f" acknowledged {len(load.acknowledged)} writes, stored {stored},"
        f" interactions {interactions};"
        f" batches found (partly) stored already when sent again: {len(retried_acks)}"
    )

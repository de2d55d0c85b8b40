"""The embedded service and import killed with SIGKILL mid-way: restart, nothing acknowledged lost.

* ``tiegraph import`` of a generated network is killed while it writes, then run again on the
  same directory: the graph must be identical to one imported into a fresh store without a
  crash (every record, every tie with its counts and scores), and right after the kill the
  partial graph must already be consistent (every tie equals its stored history).
* ``tiegraph serve`` is killed while four clients send ``recordInteractions`` batches with
  idempotency keys, and started again on the same directory and port: every batch acknowledged
  before the kill is there, the clients' retries (same keys) store nothing twice.

Both restarts also show that the directory lock a killed process held does not stand in the
way: the operating system releases it with the process.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import pytest

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.codec import ENTITY_KINDS, encode, record_id
from graph.domain.model import Interaction
from graph.domain.ties import ties_from_history
from graph.samples.synth import generate_network
from tests.faults.dump import GraphDump, dump_graph
from tests.faults.load import WriteLoad, assert_acknowledged_writes_stored_once, seed_people
from tests.faults.service import (
    ROOT,
    child_environment,
    log_tail,
    run_tiegraph,
    start_service,
    tiegraph_command,
)
from tests.support.ties import assert_same_ties

NETWORK_PEOPLE = 1500
"""Enough for an import of a few seconds: about 35,000 records and 40,000 interactions."""
BATCH_SIZE = "2000"


def write_network(path: Path) -> int:
    """Write a seeded synthetic network as JSON Lines; return how many records it holds."""
    kinds = {cls: name for name, cls in ENTITY_KINDS.items()}
    count = 0
    with path.open("wb") as out:
        out.write(b'{"type": "tiegraph", "version": 1}\n')
        for record in generate_network(people=NETWORK_PEOPLE, seed=23).records():
            out.write(orjson.dumps({"type": kinds[type(record)], **encode(record)}) + b"\n")
            count += 1
    return count


CONTACTS = 60_000
"""Rows of the contacts CSV: an import of a few seconds, as for the network."""


def write_contacts(path: Path) -> int:
    """Write a seeded contacts CSV among the network's people, without keys (each row's key is
    derived from its content, as for a phone export); return how many rows it holds."""
    rng = random.Random(23)
    people = [f"p{n:06d}" for n in range(NETWORK_PEOPLE)]
    with path.open("w", encoding="utf-8") as out:
        out.write("at,person_a,person_b,kind,duration_s,initiator\n")
        for _ in range(CONTACTS):
            a, b = rng.sample(people, 2)
            at = 1_672_531_200 + rng.randrange(730 * 86_400)
            kind = rng.choice(("message", "call", "contact"))
            duration = str(rng.randrange(30, 3_600)) if kind == "call" else ""
            out.write(f"{at},{a},{b},{kind},{duration},{rng.choice((a, b, ''))}\n")
    return CONTACTS


def stored_rows(data_dir: Path) -> int:
    """Count the rows an embedded store holds, read-only, while another process writes it."""
    database = data_dir / "tiegraph.sqlite3"
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
            records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
            interactions = conn.execute("SELECT count(*) FROM interactions").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet
    return int(records) + int(interactions)


def kill_import_midway(data_dir: Path, network: Path, log: Path, total: int, *options: str) -> int:
    """Start an import, SIGKILL it once 40 % of ``total`` rows are in; return the rows stored."""
    command = tiegraph_command(
        "import", str(network), "--store", "embedded", "--data-dir", str(data_dir), *options
    )
    with log.open("ab") as output:
        child = subprocess.Popen(
            [*command, "--batch-size", BATCH_SIZE],
            cwd=ROOT,
            env=child_environment(),
            stdout=output,
            stderr=output,
        )
    deadline = time.monotonic() + 120
    try:
        while stored_rows(data_dir) < total * 0.4:
            assert child.poll() is None, f"the import ended before the kill:\n{log_tail(log)}"
            assert time.monotonic() < deadline, "the import made no progress"
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return stored_rows(data_dir)


def import_into(
    data_dir: Path, network: Path, log_path: Path, *options: str
) -> subprocess.CompletedProcess[bytes]:
    return run_tiegraph(
        "import",
        str(network),
        *options,
        "--store",
        "embedded",
        "--data-dir",
        str(data_dir),
        "--batch-size",
        BATCH_SIZE,
        env=child_environment(),
        log_path=log_path,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "write", "options"),
    [
        ("network.jsonl", write_network, ()),
        # Read and applied batch by batch, each naming the people it creates (a first load in
        # bulk is one transaction: see the test below).
        ("contacts.csv", write_contacts, ("--create-missing-people", "--no-bulk")),
    ],
)
async def test_an_import_killed_midway_and_run_again_ends_identical_to_an_uninterrupted_one(
    tmp_path: Path, name: str, write: Callable[[Path], int], options: tuple[str, ...]
) -> None:
    network = tmp_path / name
    write(network)
    log = tmp_path / "import.log"

    started = time.monotonic()
    fresh = await asyncio.to_thread(import_into, tmp_path / "fresh", network, log, *options)
    clean_import_s = time.monotonic() - started
    assert fresh.returncode == 0, log_tail(log)
    total = stored_rows(tmp_path / "fresh")

    crashed = tmp_path / "crashed"
    at_kill = await asyncio.to_thread(kill_import_midway, crashed, network, log, total, *options)
    assert 0 < at_kill < total, "the kill was meant to land in the middle of the import"

    # The partial graph is consistent: ties replayed from the interactions that committed.
    # Looked at in a copy, so that the import below starts from the state the kill left.
    shutil.copytree(crashed, tmp_path / "partial")
    partial = EmbeddedStore(tmp_path / "partial")
    await partial.open()
    try:
        interactions = await _all_interactions(partial)
        people = sorted({p for i in interactions for p in i.participant_ids})
        stored_ties = {
            (t.a, t.b): t for ties in (await partial.ties_of(people)).values() for t in ties
        }
        assert_same_ties(stored_ties, ties_from_history(interactions, partial.model))
    finally:
        await partial.close()

    started = time.monotonic()
    again = await asyncio.to_thread(import_into, crashed, network, log, *options)
    rerun_s = time.monotonic() - started
    assert again.returncode == 0, log_tail(log)  # a lock left by the killed import would refuse

    expected = await _dump(tmp_path / "fresh")
    actual = await _dump(crashed)
    assert actual.differences(expected) == []
    assert actual.sizes() == expected.sizes()
    print(
        f"\nFIGURES import killed: clean import {clean_import_s:.1f} s;"
        f" killed at {at_kill}/{total} rows ({at_kill / total:.0%});"
        f" re-run {rerun_s:.1f} s; graph identical: {not actual.differences(expected)};"
        f" {actual.sizes()}"
    )


def kill_after(command: list[str], seconds: float, log: Path) -> int:
    """Run ``command``, SIGKILL it after ``seconds`` (unless it ended); return its status."""
    with log.open("ab") as output:
        child = subprocess.Popen(
            command, cwd=ROOT, env=child_environment(), stdout=output, stderr=output
        )
    time.sleep(seconds)
    child.send_signal(signal.SIGKILL)
    return child.wait(timeout=30)


@pytest.mark.slow
async def test_a_first_load_in_bulk_killed_midway_leaves_the_store_as_it_was(
    tmp_path: Path,
) -> None:
    """Killed at several moments of a first load in bulk (one transaction), the store holds
    what it held before or the whole load, never a part; run again, it ends identical to an
    uninterrupted load."""
    contacts = tmp_path / "contacts.csv"
    write_contacts(contacts)
    people = tmp_path / "people.jsonl"
    people.write_text('{"type": "person", "id": "p000001", "name": "Ann"}\n')
    log = tmp_path / "import.log"
    options = ("--create-missing-people", "--bulk")

    fresh = tmp_path / "fresh"
    assert import_into(fresh, people, log).returncode == 0
    before = await _dump(fresh)
    started = time.monotonic()
    assert import_into(fresh, contacts, log, *options).returncode == 0, log_tail(log)
    clean_load_s = time.monotonic() - started
    expected = await _dump(fresh)
    assert expected.differences(before) != []

    outcomes = []
    for n, fraction in enumerate((0.5, 0.7, 0.85, 0.95)):
        crashed = tmp_path / f"crashed{n}"
        assert import_into(crashed, people, log).returncode == 0
        command = tiegraph_command(
            "import", str(contacts), "--store", "embedded", "--data-dir", str(crashed), *options
        )
        returncode = await asyncio.to_thread(kill_after, command, clean_load_s * fraction, log)
        left = await _dump(crashed)
        if left.differences(before) == []:
            outcomes.append("as it was")
        else:
            assert left.differences(expected) == [], "a killed load left a part of itself"
            outcomes.append("whole" if returncode == -signal.SIGKILL else "finished")
        again = import_into(crashed, contacts, log, "--create-missing-people")
        assert again.returncode == 0, log_tail(log)
        assert (await _dump(crashed)).differences(expected) == []
    assert "as it was" in outcomes, f"no kill landed before the load committed: {outcomes}"
    print(f"\nFIGURES first load killed: clean load {clean_load_s:.1f} s; outcomes {outcomes}")


async def _all_interactions(store: EmbeddedStore) -> list[Interaction]:
    found: list[Interaction] = []
    after: str | None = None
    while True:
        page = await store.list_records(Interaction, first=1000, after=after)
        found += page.items
        if not page.has_next:
            return found
        after = record_id(page.items[-1])


async def _dump(data_dir: Path) -> GraphDump:
    store = EmbeddedStore(data_dir)
    await store.open()
    try:
        return await dump_graph(store)
    finally:
        await store.close()


@pytest.mark.slow
async def test_a_service_killed_under_write_load_keeps_every_acknowledged_write(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "store"
    args = ["--store", "embedded", "--data-dir", str(data_dir)]
    env = child_environment(TIEGRAPH_RATE_LIMIT_PER_MINUTE="1000000")
    log = tmp_path / "serve.log"
    served = start_service(args=args, env=env, log_path=log)
    try:
        async with httpx.AsyncClient(base_url=served.url, timeout=60.0) as http:
            await seed_people(http)
            load = WriteLoad(http, clients=4, batch_size=5, pause_s=0.0, tolerate_refused=True)
            running = asyncio.create_task(load.run())
            try:
                await load.wait_until(lambda: load.outcomes()["ack"] >= 200, 60, "200 acks")
                in_flight = len(load.sent - load.acknowledged)
                served.kill()
                killed_at = time.monotonic()
                acknowledged_before_kill = set(load.acknowledged)
                assert served.process.returncode == -signal.SIGKILL
                served = await asyncio.to_thread(
                    start_service, args=args, env=env, log_path=log, port=served.port
                )
                restarted_in = time.monotonic() - killed_at
                back = time.monotonic()
                await load.wait_until(
                    lambda: min(load.acks_after(back)[c] for c in range(load.clients)) >= 5,
                    60,
                    "five acks per client after the restart",
                )
            finally:
                load.stop.set()
                await running
    finally:
        served.terminate()

    assert load.sent == load.acknowledged  # every batch was retried until acknowledged
    store = EmbeddedStore(data_dir)
    stored, interactions = await assert_acknowledged_writes_stored_once(
        store, load, acknowledged_before_kill
    )
    outcomes = load.outcomes()
    already = [a for a in load.answers if a.outcome == "ack" and a.created == 0]
    print(
        f"\nFIGURES serve killed: acknowledged before the kill {len(acknowledged_before_kill)},"
        f" in flight {in_flight}; restarted and ready in {restarted_in:.1f} s;"
        f" answers {dict(outcomes)}; acknowledged in all {len(load.acknowledged)},"
        f" stored {stored}, interactions {interactions};"
        f" batches found already stored when sent again: {len(already)}"
    )

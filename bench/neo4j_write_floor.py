"""What Neo4j itself costs per contact written through Cypher: the transactional import's floor.

Run ``python -m bench.neo4j_write_floor [--people 20000] [--contacts 200000]``.

Starts a fresh server (``tiegraph neo4j start``'s, in a temporary home), creates ``--people``
people, then writes ``--contacts`` random two-person contacts among them in transactions of
``--batch`` rows (``UNWIND``), four ways, each into a database holding the same people:

- today's model: an ``Interaction`` node and two ``PARTICIPATED`` relationships per contact,
  its key unique;
- the lighter model: the contact as one ``CONTACT`` relationship between the two people,
  its key unique (a relationship uniqueness constraint);

each with and without merging the contacts' ties (one ``TIE`` per pair, keyed by its pair,
counts and scores summed per batch as the import's plan does). Prints the server's CPU per
contact (read from ``/proc``) and what that allows on this machine's cores with no client
work at all: ``cores / CPU per contact``. The rows are built before the clock starts; the
client's own CPU is printed too. The first pass of each way warms the server up and is not
counted.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any, Final, LiteralString

from neo4j import Driver, GraphDatabase, ManagedTransaction

from bench._kit import cpu_seconds, machine
from graph.adapters.neo4j.server import default_cache_dir, running_neo4j

__all__ = ["main"]

PEOPLE: Final[LiteralString] = """
UNWIND range(0, $people - 1) AS n
CREATE (:Person {id: 'p' + toString(n), name: 'p' + toString(n)})
"""
SCHEMA: Final[tuple[LiteralString, ...]] = (
    "CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT interaction_key IF NOT EXISTS FOR (n:Interaction) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT contact_key IF NOT EXISTS FOR ()-[c:CONTACT]-() REQUIRE c.key IS UNIQUE",
    "CREATE CONSTRAINT tie_pair IF NOT EXISTS FOR ()-[t:TIE]-() REQUIRE t.pair IS UNIQUE",
)
AS_NODES: Final[LiteralString] = """
UNWIND $rows AS r
MATCH (a:Person {id: r.a}), (b:Person {id: r.b})
CREATE (i:Interaction {key: r.key, at: datetime({epochMillis: r.at}), kind: r.kind,
                       participant_ids: [r.a, r.b], initiator_id: r.a})
CREATE (a)-[:PARTICIPATED]->(i), (b)-[:PARTICIPATED]->(i)
"""
AS_RELATIONSHIPS: Final[LiteralString] = """
UNWIND $rows AS r
MATCH (a:Person {id: r.a}), (b:Person {id: r.b})
CREATE (a)-[:CONTACT {key: r.key, at: datetime({epochMillis: r.at}), kind: r.kind,
                      initiator_id: r.a}]->(b)
"""
TIES: Final[LiteralString] = """
UNWIND $ties AS t
MATCH (a:Person {id: t.a}), (b:Person {id: t.b})
MERGE (a)-[x:TIE {pair: t.pair}]->(b)
  ON CREATE SET x.count = t.n, x.score = t.s, x.first_at = datetime({epochMillis: t.at}),
                x.last_at = datetime({epochMillis: t.at})
  ON MATCH SET x.count = x.count + t.n, x.score = x.score + t.s,
               x.last_at = datetime({epochMillis: t.at})
"""
WIPE: Final[LiteralString] = """
MATCH (n) WHERE NOT n:Person
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
"""
WIPE_RELATIONSHIPS: Final[LiteralString] = """
MATCH ()-[r]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS
"""

Batch = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def batches(people: int, contacts: int, size: int, seed: int, tag: str) -> list[Batch]:
    """Random two-person contacts with unique keys, and per batch the ties they sum to."""
    rng = random.Random(seed)
    made: list[Batch] = []
    for start in range(0, contacts, size):
        rows: list[dict[str, Any]] = []
        ties: dict[tuple[str, str], dict[str, Any]] = {}
        for n in range(start, min(contacts, start + size)):
            a, b = sorted(f"p{x}" for x in rng.sample(range(people), 2))
            at = 1_700_000_000_000 + n * 1000
            rows.append({"a": a, "b": b, "key": f"{tag}:{n}", "at": at, "kind": "call"})
            tie = ties.setdefault(
                (a, b), {"a": a, "b": b, "pair": f"{a}|{b}", "n": 0, "s": 0.0, "at": at}
            )
            tie["n"] += 1
            tie["s"] += 1.0
            tie["at"] = at
        made.append((rows, list(ties.values())))
    return made


def write(driver: Driver, contacts: LiteralString, with_ties: bool, work: list[Batch]) -> None:
    def one(tx: ManagedTransaction, rows: list[dict[str, Any]], ties: list[dict[str, Any]]) -> None:
        tx.run(contacts, rows=rows).consume()
        if with_ties:
            tx.run(TIES, ties=ties).consume()

    with driver.session() as session:
        for rows, ties in work:
            session.execute_write(one, rows, ties)


def _server_cpu(pid: int) -> float:
    seconds = cpu_seconds(pid)
    if seconds is None:
        raise SystemExit(f"the server (pid {pid}) is gone")
    return seconds


def measure(
    driver: Driver, pid: int, contacts: LiteralString, with_ties: bool, work: list[Batch]
) -> tuple[float, float, float]:
    """Write ``work``, then remove it; wall seconds, server and client CPU µs a contact."""
    count = sum(len(rows) for rows, _ in work)
    server_before, client_before = _server_cpu(pid), time.process_time()
    started = time.perf_counter()
    write(driver, contacts, with_ties, work)
    wall = time.perf_counter() - started
    server = (_server_cpu(pid) - server_before) / count * 1e6
    client = (time.process_time() - client_before) / count * 1e6
    with driver.session() as session:  # CALL … IN TRANSACTIONS runs in auto-commit only
        session.run(WIPE_RELATIONSHIPS).consume()
        session.run(WIPE).consume()
    return wall, server, client


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0))
    print(f"machine: {machine()}")
    ways = [
        ("Interaction node + 2 PARTICIPATED", AS_NODES, False),
        ("Interaction node + 2 PARTICIPATED, ties merged", AS_NODES, True),
        ("CONTACT relationship", AS_RELATIONSHIPS, False),
        ("CONTACT relationship, ties merged", AS_RELATIONSHIPS, True),
    ]
    with (
        tempfile.TemporaryDirectory(prefix="tiegraph-write-floor-") as tmp,
        running_neo4j(
            home=Path(tmp) / "home",
            cache_dir=default_cache_dir(),
            auth=None,
            heap="1g",
            pagecache="512m",
        ) as server,
        GraphDatabase.driver(server.uri, auth=None) as driver,
    ):
        driver.execute_query(PEOPLE, people=args.people)
        for statement in SCHEMA:
            driver.execute_query(statement)
        driver.execute_query("CALL db.awaitIndexes(300)")
        print(
            f"{args.people:,} people, {args.contacts:,} contacts a way in transactions of"
            f" {args.batch:,}; server CPU from /proc, {cores} cores"
        )
        for index, (name, query, with_ties) in enumerate(ways):
            warm = batches(args.people, min(args.contacts, 50_000), args.batch, index, "warm")
            measure(driver, server.pid, query, with_ties, warm)
            work = batches(args.people, args.contacts, args.batch, args.seed + index, "k")
            wall, server_us, client_us = measure(driver, server.pid, query, with_ties, work)
            print(
                f"  {name:<48} {args.contacts / wall:>8,.0f}/s wall; server {server_us:5.0f} µs"
                f" a contact (at most {cores * 1e6 / server_us:>7,.0f}/s on {cores} cores with"
                f" no client work); client {client_us:4.0f} µs"
            )


if __name__ == "__main__":
    main()

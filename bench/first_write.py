"""How long the first contacts recorded after a Neo4j start take, against the next ones.

Run ``NEO4J_URI=bolt://… python -m bench.first_write`` right after starting the server
(``tiegraph neo4j stop`` then ``start`` on a loaded home): it opens a store as the service
does (warm-ups included), then records ``--writes`` one-contact batches between the first
people of the database, each under a new key, and prints how long opening and each write took.
The contacts it records are kept (they are real writes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime

from graph.adapters.neo4j.store import Neo4jStore
from graph.domain.batch import WriteBatch
from graph.domain.model import Interaction, InteractionKind, Person

__all__ = ["main"]


async def run(uri: str, writes: int) -> None:
    password = os.environ.get("NEO4J_PASSWORD")
    auth = None if password is None else (os.environ.get("NEO4J_USER", "neo4j"), password)
    store = Neo4jStore(uri=uri, auth=auth)
    started = time.perf_counter()
    await store.open()
    print(f"store open (warm-ups included): {time.perf_counter() - started:.2f} s")
    try:
        people = [p.id for p in (await store.list_records(Person, first=writes + 1)).items]
        if len(people) < 2:
            raise SystemExit("the database needs at least two people")
        for n in range(writes):
            other = people[1 + n % (len(people) - 1)]
            contact = Interaction(
                key=f"first-write-{uuid.uuid4()}",
                at=datetime.now(UTC),
                kind=InteractionKind.CALL,
                participant_ids=(people[0], other),
                initiator_id=people[0],
            )
            started = time.perf_counter()
            await store.apply(WriteBatch(interactions=[contact]))
            print(f"write {n + 1}: {time.perf_counter() - started:.3f} s")
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", default=os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687"))
    parser.add_argument("--writes", type=int, default=3)
    args = parser.parse_args(argv)
    asyncio.run(run(args.uri, args.writes))


if __name__ == "__main__":
    main()

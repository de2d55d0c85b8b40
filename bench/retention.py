"""Time ``groupRetention`` in process, on the store the synthetic network is loaded in.

Run ``NEO4J_URI=bolt://... python -m bench.retention --people 10000 --groups 20 --repeat 3``.

The Neo4j server at ``NEO4J_URI`` is used (without ``NEO4J_URI``, a temporary embedded store).
An empty database is loaded with the synthetic network of ``--people`` people first; a database
holding exactly that many people is used as it is, anything else is refused. Then ``--groups``
groups, picked at random (seeded), are asked for their retention as an administrator sees it
(the leader's view: every pair), ``--repeat`` times each, with no budget. It prints each
group's size and the p50, p90 and largest latency over all calls, and the CPU time this
process spent per call (the Python side: decoding, folding, the retention arithmetic).

``--profile`` also says where each call's time went: the wall time of every store method the
use case called (summed per method over all calls; side-by-side calls overlap, so the sum
may exceed the call's time), and on Neo4j the database hits of each of the group's queries
for the first group, from ``PROFILE``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any, LiteralString, cast

from graph.adapters.embedded.store import EmbeddedStore
from graph.ports import GraphStore
from graph.samples.synth import generate_network, network_batches
from graph.usecases.budget import Budgets
from graph.usecases.insights import Insights
from graph.usecases.viewer import Viewer


async def _open(people: int, seed: int, scratch: Path) -> GraphStore:
    uri = os.environ.get("NEO4J_URI")
    store: GraphStore
    if uri:
        from graph.adapters.neo4j.store import Neo4jStore

        password = os.environ.get("NEO4J_PASSWORD")
        user = os.environ.get("NEO4J_USER") or "neo4j"
        store = Neo4jStore(uri=uri, auth=None if password is None else (user, password))
    else:
        store = EmbeddedStore(scratch)
    await store.open()
    stored = (await store.counts()).get("person", 0)
    if stored == 0:
        await store.delete_everything()
        began = time.perf_counter()
        for batch in network_batches(generate_network(people=people, seed=seed), 1_000):
            await store.apply(batch)
        print(f"loaded {people:,} people in {time.perf_counter() - began:.0f} s")
    elif stored != people:
        raise SystemExit(f"the store holds {stored:,} people, not {people:,}")
    return store


class _TimedStore:
    """A store whose every awaited method call is timed, by method name."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.spent: dict[str, list[float]] = defaultdict(list)

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.store, name)
        if not asyncio.iscoroutinefunction(found):
            return found

        async def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return await cast("Callable[..., Awaitable[Any]]", found)(*args, **kwargs)
            finally:
                self.spent[name].append(time.perf_counter() - began)

        return timed


async def _profile_queries(member_ids: list[str], after: datetime, until: datetime) -> None:
    """Print the database hits of a group's read queries on Neo4j, each run with PROFILE."""
    import neo4j

    from graph.adapters.neo4j import cypher

    uri = os.environ["NEO4J_URI"]
    password = os.environ.get("NEO4J_PASSWORD")
    user = os.environ.get("NEO4J_USER") or "neo4j"
    queries: dict[str, tuple[LiteralString, dict[str, Any]]] = {
        "GROUP_SHARED_AND_FIRST": (cypher.GROUP_SHARED_AND_FIRST, {"everyone": member_ids}),
        "GROUP_REACH": (cypher.GROUP_REACH, {"hidden": []}),
        "MEMBERSHIPS_OF_PEOPLE": (cypher.MEMBERSHIPS_OF_PEOPLE, {"person_ids": member_ids}),
        "TIE_CONTEXTS_AMONG (every pair)": (cypher.TIE_CONTEXTS_AMONG, {}),
        **{
            f"TIE_CONTEXTS (member {n + 1})": (
                cypher.TIE_CONTEXTS,
                {"person_id": pid, "others": member_ids[n + 1 :]},
            )
            for n, pid in enumerate(member_ids[:-1])
        },
    }
    auth = None if password is None else (user, password)
    async with neo4j.AsyncGraphDatabase.driver(uri, auth=auth) as driver:
        for name, (query, extra) in queries.items():
            params = {"ids": member_ids, "after": after, "until": until, **extra}
            async with driver.session() as session:
                result = await session.run("PROFILE " + query, params)
                summary = await result.consume()
            assert summary.profile is not None
            print(f"  PROFILE {name}: {_db_hits(summary.profile):,} db hits")


def _db_hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(_db_hits(c) for c in plan.get("children", []))


async def _run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="tiegraph-retention-") as scratch:
        store = await _open(args.people, args.seed, Path(scratch))
        try:
            network = generate_network(people=args.people, seed=args.seed)
            ended = [g for g in network.groups() if g.ends_on is not None]
            picked = random.Random(f"{args.seed}-retention").sample(
                ended, min(args.groups, len(ended))
            )
            timed = _TimedStore(store)
            insights = Insights(
                cast("GraphStore", timed) if args.profile else store,
                budgets=Budgets(request_s=math.inf),
            )
            viewer = Viewer.admin()
            latencies: list[float] = []
            cpu: list[float] = []
            for group in picked:
                for _ in range(args.repeat):
                    began, began_cpu = time.perf_counter(), time.process_time()
                    found = await insights.group_retention(viewer, group.id)
                    latencies.append(time.perf_counter() - began)
                    cpu.append(time.process_time() - began_cpu)
                print(
                    f"{group.id}: {found.member_count} members, {found.pair_count} pairs, "
                    f"share after {found.share_after:.3f}, last {latencies[-1] * 1000:,.0f} ms"
                )
            cuts = statistics.quantiles(latencies, n=10) if len(latencies) > 1 else latencies * 9
            print(
                f"{store.backend}: {len(latencies)} calls, p50 "
                f"{statistics.median(latencies) * 1000:,.0f} ms, p90 {cuts[8] * 1000:,.0f} ms, "
                f"max {max(latencies) * 1000:,.0f} ms; this process's CPU per call: p50 "
                f"{statistics.median(cpu) * 1000:,.0f} ms, "
                f"mean {statistics.mean(cpu) * 1000:,.0f} ms"
            )
            if args.profile:
                print(f"store calls over the {len(latencies)} calls (wall time, summed):")
                for name, spent in sorted(timed.spent.items(), key=lambda kv: -sum(kv[1])):
                    print(
                        f"  {name}: {len(spent)} calls, {sum(spent) * 1000:,.0f} ms in all, "
                        f"{statistics.mean(spent) * 1000:,.1f} ms each"
                    )
                if store.backend == "neo4j" and picked:
                    first = picked[0]
                    assert first.ends_on is not None
                    after = datetime.combine(first.ends_on + timedelta(days=1), clock_time(), UTC)
                    members = [m.person_id for m in network.memberships() if m.group_id == first.id]
                    print(f"{first.id}, {len(members)} members:")
                    await _profile_queries(sorted(members), after, datetime.now(UTC))
        finally:
            await store.close()


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.retention", description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--profile", action="store_true", help="time each store call; PROFILE the queries"
    )
    asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()

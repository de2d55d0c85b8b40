"""Time ``groupRetention`` in process, on the store the synthetic network is loaded in.

Run ``NEO4J_URI=bolt://... python -m bench.retention --people 10000 --groups 20 --repeat 3``.

The Neo4j server at ``NEO4J_URI`` is used (without ``NEO4J_URI``, a temporary embedded store).
An empty database is loaded with the synthetic network of ``--people`` people first; a database
holding exactly that many people is used as it is, anything else is refused. Then ``--groups``
groups, picked at random (seeded), are asked for their retention as an administrator sees it
(the leader's view: every pair), ``--repeat`` times each, with no budget. It prints each
group's size and the p50, p90 and largest latency over all calls.
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
from pathlib import Path

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


async def _run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="tiegraph-retention-") as scratch:
        store = await _open(args.people, args.seed, Path(scratch))
        try:
            network = generate_network(people=args.people, seed=args.seed)
            ended = [g for g in network.groups() if g.ends_on is not None]
            picked = random.Random(f"{args.seed}-retention").sample(
                ended, min(args.groups, len(ended))
            )
            insights = Insights(store, budgets=Budgets(request_s=math.inf))
            viewer = Viewer.admin()
            latencies: list[float] = []
            for group in picked:
                for _ in range(args.repeat):
                    began = time.perf_counter()
                    found = await insights.group_retention(viewer, group.id)
                    latencies.append(time.perf_counter() - began)
                print(
                    f"{group.id}: {found.member_count} members, {found.pair_count} pairs, "
                    f"share after {found.share_after:.3f}, last {latencies[-1] * 1000:,.0f} ms"
                )
            cuts = statistics.quantiles(latencies, n=10) if len(latencies) > 1 else latencies * 9
            print(
                f"{store.backend}: {len(latencies)} calls, p50 "
                f"{statistics.median(latencies) * 1000:,.0f} ms, p90 {cuts[8] * 1000:,.0f} ms, "
                f"max {max(latencies) * 1000:,.0f} ms"
            )
        finally:
            await store.close()


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.retention", description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()

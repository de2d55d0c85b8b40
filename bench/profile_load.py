"""Where each read of the mixed load spends its CPU: the operations of :mod:`bench.load`, one at
a time, through the whole ASGI app in process.

Run ``python -m bench.profile_load [--people 2000] [--requests 300] [--profile OPERATION]
[--data-dir DIR]``.

The synthetic network of ``--people`` people (the one ``bench.load`` serves, same seed) is
loaded into an embedded store (kept in ``--data-dir`` and reused when it holds the network);
the service ``tiegraph serve`` runs (:func:`api.http.app.create_app`, every middleware) is
opened on it, and each read operation of the load's mix is sent ``--requests`` times with
the variables the load would send, as the member or leader it would send them as. Prints the
CPU per request (the whole process, and the event loop's thread alone), and with
``--profile`` cProfile's top entries for that operation. No sockets and no client: the
figures are the server's own work, without queueing.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import random
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from pydantic import SecretStr

from api.http.app import create_app
from api.http.auth import create_token
from api.settings import Settings, StoreKind
from bench._kit import asgi_post
from bench.load import Cast, pick_cast
from bench.mix import GROUP_RETENTION, INTRODUCTION_PATHS, PERSON_PAGE, RELATIONSHIP
from graph.adapters.embedded.store import EmbeddedStore
from graph.samples.synth import generate_network, network_batches
from graph.usecases.viewer import Role

__all__ = ["main"]

SECRET = secrets.token_urlsafe(48)

Request = tuple[bytes, list[tuple[bytes, bytes]]]
"""A request's body and headers."""


def _headers(settings: Settings, person: str, role: Role) -> list[tuple[bytes, bytes]]:
    token = create_token(settings=settings, person_id=person, roles=(role,), ttl=timedelta(hours=2))
    return [
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"application/json"),
        (b"host", b"tiegraph"),
    ]


def _operations(
    cast: Cast, settings: Settings, rng: random.Random
) -> dict[str, Callable[[], Request]]:
    members = sorted(cast.members)

    def body(query: str, name: str, variables: dict[str, Any]) -> bytes:
        return orjson.dumps({"query": query, "operationName": name, "variables": variables})

    headers: dict[str, list[tuple[bytes, bytes]]] = {}

    def member_headers(key: str, role: Role = Role.MEMBER) -> list[tuple[bytes, bytes]]:
        if key not in headers:
            headers[key] = _headers(settings, key, role)
        return headers[key]

    def person_page() -> Request:
        key = rng.choice(members)
        return body(PERSON_PAGE, "PersonPage", {"id": key}), member_headers(key)

    def paths() -> Request:
        key = rng.choice(members)
        target = rng.choice(cast.people)
        variables = {"from": key, "to": target, "maxHops": 3}
        return body(INTRODUCTION_PATHS, "IntroductionPaths", variables), member_headers(key)

    def relationship() -> Request:
        key = rng.choice(members)
        other = rng.choice(cast.members[key])[0]
        return body(RELATIONSHIP, "Relationship", {"a": key, "b": other}), member_headers(key)

    def retention() -> Request:
        group, leader = rng.choice(cast.groups)
        return (
            body(GROUP_RETENTION, "GroupRetention", {"group": group}),
            member_headers(leader, Role.LEADER),
        )

    return {
        "person page": person_page,
        "introductionPaths": paths,
        "relationship": relationship,
        "groupRetention": retention,
    }


async def _load(data_dir: Path, people: int) -> None:
    store = EmbeddedStore(data_dir)
    await store.open()
    try:
        if (await store.counts()).get("person", 0) == people:
            return
        for batch in network_batches(generate_network(people=people, seed=7), 2000):
            await store.apply(batch)
    finally:
        await store.close()


async def _run(args: argparse.Namespace, data_dir: Path) -> None:
    await _load(data_dir, args.people)
    network = generate_network(people=args.people, seed=7)
    cast = pick_cast(network, groups=300, members=2000, seed=7)
    settings = Settings(
        store=StoreKind.EMBEDDED,
        data_dir=data_dir,
        jwt_secret=SecretStr(SECRET),
        rate_limit_per_minute=10_000_000,
    )
    app = create_app(settings)
    operations = _operations(cast, settings, random.Random(7))
    async with app.router.lifespan_context(app):
        print(f"{'operation':<20} {'CPU ms/request':>15} {'of it loop thread':>18}")
        for name, make in operations.items():
            requests = [make() for _ in range(args.requests)]
            for body, headers in requests[:20]:  # warm caches
                answer = orjson.loads(await asgi_post(app, "/graphql", body, headers))
                assert "errors" not in answer, (name, answer)
            began, began_here = time.process_time(), time.thread_time()
            for body, headers in requests:
                await asgi_post(app, "/graphql", body, headers)
            cpu = (time.process_time() - began) / len(requests) * 1e3
            here = (time.thread_time() - began_here) / len(requests) * 1e3
            print(f"{name:<20} {cpu:>15.2f} {here:>18.2f}", flush=True)
            if args.profile == name:
                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
                for body, headers in requests:
                    await asgi_post(app, "/graphql", body, headers)
                profiler.disable()
                if args.save is not None:
                    profiler.dump_stats(args.save)
                for order in ("tottime", "cumulative"):
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
                    print(out.getvalue(), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", help="an operation to profile, e.g. 'person page'")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--save", type=Path, help="also write the raw profile to this file")
    parser.add_argument("--data-dir", type=Path, help="keep (and reuse) the store here")
    args = parser.parse_args(argv)
    if args.data_dir is not None:
        asyncio.run(_run(args, args.data_dir))
        return
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(_run(args, Path(scratch) / "store"))


if __name__ == "__main__":
    main()

"""Where a person lookup's time goes: N lookups through the whole ASGI app, in process, profiled.

Run ``python -m bench.profile_api [--requests 3000] [--top 25] [--persisted]``.

The service is the one ``tiegraph serve`` runs (:func:`api.http.app.create_app`, every
middleware and extension), on an embedded store holding the demo network; requests are
handed to the ASGI app directly (no sockets, no client), so the profile holds the server's
work only. It prints cProfile's top entries by own time and by cumulative time, and the
microseconds per request with and without the profiler.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import io
import pstats
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import strawberry
from fastapi import FastAPI
from pydantic import SecretStr
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

from api.http.app import create_app
from api.http.auth import create_token
from api.settings import Settings, StoreKind
from bench._kit import asgi_post
from bench.api import PERSON_LOOKUP
from graph.samples.demo import load_core_demo
from graph.usecases.viewer import Role

__all__ = ["main"]


def _body(persisted: bool) -> bytes:
    document: dict[str, Any] = {"operationName": "PersonLookup", "variables": {"id": "lena"}}
    if persisted:
        digest = hashlib.sha256(PERSON_LOOKUP.encode()).hexdigest()
        document["extensions"] = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    else:
        document["query"] = PERSON_LOOKUP
    return orjson.dumps(document)


@strawberry.type
class BarePerson:
    """The lookup's fields, for the bare schema."""

    key: str
    name: str
    title: str | None
    profession: str | None
    industry: str | None
    location: str | None


LENA = BarePerson(
    key="lena",
    name="Lena Holm",
    title=None,
    profession="network leader",
    industry="consulting",
    location="Stockholm",
)


@strawberry.type
class BareQuery:
    """One resolver answering from memory."""

    @strawberry.field
    async def person(self, id: strawberry.ID) -> BarePerson | None:
        return LENA if id == "lena" else None


def bare_app() -> FastAPI:
    """The floor: a bare Strawberry schema with one resolver under FastAPI, mounted as
    ``tiegraph serve`` mounts its own (a plain route to Strawberry's ASGI app), answering the
    lookup from memory: no store, no auth, no middleware; only Strawberry's own parser and
    validation caches (without them, parsing and validating every request costs far more than
    everything else)."""
    app = FastAPI()
    schema = strawberry.Schema(
        query=BareQuery, extensions=[lambda: ParserCache(maxsize=16), lambda: ValidationCache(16)]
    )
    graphql = GraphQL[None, None](schema)
    app.router.routes.append(Route("/graphql", graphql, methods=["POST"]))
    return app


async def _measure(
    app: Any, body: bytes, headers: list[tuple[bytes, bytes]], requests: int
) -> tuple[float, cProfile.Profile]:
    answer = orjson.loads(await asgi_post(app, "/graphql", body, headers))
    assert answer.get("data", {}).get("person"), answer
    for _ in range(200):  # warm caches
        await asgi_post(app, "/graphql", body, headers)
    started, started_here = time.process_time(), time.thread_time()
    for _ in range(requests):
        await asgi_post(app, "/graphql", body, headers)
    plain_us = (time.process_time() - started) / requests * 1e6
    here_us = (time.thread_time() - started_here) / requests * 1e6
    print(f"{here_us:.0f} µs of it in the event loop's thread")
    profiler = cProfile.Profile(time.thread_time)  # this thread's CPU, not waits
    profiler.enable()
    for _ in range(requests):
        await asgi_post(app, "/graphql", body, headers)
    profiler.disable()
    return plain_us, profiler


async def _run(requests: int, top: int, persisted: bool, save: Path | None, bare: bool) -> None:
    if bare:
        headers = [(b"content-type", b"application/json"), (b"host", b"tiegraph")]
        plain_us, profiler = await _measure(bare_app(), _body(False), headers, requests)
        _report(plain_us, profiler, requests, top, save)
        return
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            store=StoreKind.EMBEDDED,
            data_dir=Path(scratch) / "store",
            jwt_secret=SecretStr("profile-secret-that-is-long-enough-for-hs256"),
            rate_limit_per_minute=10_000_000,
        )
        token = create_token(
            settings=settings, person_id=None, roles=(Role.ADMIN,), ttl=timedelta(hours=1)
        )
        headers = [
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"host", b"tiegraph"),
        ]
        app = create_app(settings, on_open=load_core_demo)
        async with app.router.lifespan_context(app):
            if persisted:  # register the document once, as a client does on a miss
                digest = hashlib.sha256(PERSON_LOOKUP.encode()).hexdigest()
                first = orjson.loads(_body(False))
                first["extensions"] = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
                await asgi_post(app, "/graphql", orjson.dumps(first), headers)
            plain_us, profiler = await _measure(app, _body(persisted), headers, requests)
    _report(plain_us, profiler, requests, top, save)


def _report(
    plain_us: float, profiler: cProfile.Profile, requests: int, top: int, save: Path | None
) -> None:
    if save is not None:
        profiler.dump_stats(save)
    print(f"{plain_us:.0f} µs CPU per lookup without the profiler ({requests} requests)")
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
        print(out.getvalue(), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--persisted", action="store_true", help="send a persisted query's hash")
    parser.add_argument("--save", type=Path, help="also write the raw profile to this file")
    parser.add_argument("--bare", action="store_true", help="the floor: a bare Strawberry app")
    args = parser.parse_args(argv)
    asyncio.run(_run(args.requests, args.top, args.persisted, args.save, args.bare))


if __name__ == "__main__":
    main()

"""The HTTP service: an app factory whose lifespan owns the store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from strawberry.fastapi import GraphQLRouter

from api.schema import Context, build_context, schema
from graph.bootstrap import build_store
from graph.domain.errors import StoreUnavailable
from graph.ports import GraphStore
from graph.settings import Settings
from graph.usecases.directory import Directory

__all__ = ["create_app"]


def create_app(
    settings: Settings,
    *,
    on_open: Callable[[GraphStore], Awaitable[object]] | None = None,
) -> FastAPI:
    """Build the service for ``settings``; ``on_open`` runs once the store is open (e.g. a demo)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = build_store(settings)
        await store.open()
        if on_open is not None:
            await on_open(store)
        app.state.store = store
        app.state.directory = Directory(store)
        try:
            yield
        finally:
            await store.close()

    app = FastAPI(title="tiegraph", lifespan=lifespan)

    async def context(request: Request) -> Context:
        return build_context(request.app.state.directory)

    app.include_router(GraphQLRouter(schema, context_getter=context), prefix="/graphql")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Answer while the process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", response_model=None)
    async def readyz(request: Request) -> dict[str, str] | JSONResponse:
        """Answer 200 when the store is reachable, 503 otherwise."""
        store: GraphStore = request.app.state.store
        try:
            await store.ping()
        except StoreUnavailable:
            return JSONResponse({"status": "store unavailable"}, status_code=503)
        return {"status": "ready", "store": store.backend}

    return app

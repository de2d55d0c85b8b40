"""The HTTP service: an app factory whose lifespan owns the store.

``create_app(settings)`` wires everything once: the store (opened and closed by the
lifespan), the use cases, authentication, the GraphQL router with its protections, health
checks and metrics. Nothing here reads the environment.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.fastapi import GraphQLRouter

from api.auth import Authenticator, Unauthenticated
from api.observability import graphql_metrics_extension, install_observability
from api.protections import enforce_rate_limit, graphql_protections, install_protections
from api.schema import build_schema
from api.types import Context
from graph.bootstrap import build_store
from graph.domain.errors import StoreUnavailable
from graph.ports import GraphStore
from graph.settings import Settings
from graph.usecases.service import Service
from graph.usecases.viewer import Viewer

__all__ = ["create_app"]

log = logging.getLogger("tiegraph.api")

NO_AUTH_HEADER = "X-Tiegraph-Auth"
NO_AUTH_WARNING = "disabled: every request is treated as an admin (serve --no-auth)"


def _unauthenticated(reason: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": reason, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="tiegraph"'},
    )


def create_app(
    settings: Settings,
    *,
    on_open: Callable[[GraphStore], Awaitable[object]] | None = None,
    store: GraphStore | None = None,
) -> FastAPI:
    """Build the service for ``settings``.

    ``on_open`` runs once the store is open (e.g. loading a demo); ``store`` replaces the one
    the settings describe (tests pass an instrumented one).
    """
    authenticator = Authenticator.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store if store is not None else build_store(settings)
        await opened.open()
        if settings.no_auth:
            log.warning("authentication %s", NO_AUTH_WARNING)
        try:
            if on_open is not None:
                await on_open(opened)
            app.state.store = opened
            app.state.service = Service(opened)
            yield
        finally:
            await opened.close()

    app = FastAPI(title="tiegraph", lifespan=lifespan, docs_url=None, redoc_url=None)

    class Authenticate(BaseHTTPMiddleware):
        """Every path but the health checks needs a valid bearer token or API key."""

        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            if request.url.path in ("/healthz", "/readyz"):
                return await call_next(request)
            try:
                viewer = authenticator.authenticate(request.headers.get("authorization"))
            except Unauthenticated as error:
                return _unauthenticated(str(error))
            request.state.viewer = viewer
            response = await call_next(request)
            if settings.no_auth:
                response.headers[NO_AUTH_HEADER] = NO_AUTH_WARNING
            return response

    app.add_middleware(Authenticate)

    async def context(request: Request) -> Context:
        viewer: Viewer = request.state.viewer
        enforce_rate_limit(request, viewer.subject)
        return Context(request.app.state.service, viewer)

    registry = CollectorRegistry()
    schema = build_schema(
        [
            # Frontends send the same few documents again and again: parse and validate once.
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            *graphql_protections(settings),
            graphql_metrics_extension(registry),
        ]
    )
    graphql: GraphQLRouter[Any, None] = GraphQLRouter(schema, context_getter=context)
    app.include_router(graphql, prefix="/graphql")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Answer while the process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", response_model=None)
    async def readyz(request: Request) -> dict[str, str] | JSONResponse:
        """Answer 200 when the store is reachable, 503 otherwise."""
        opened: GraphStore = request.app.state.store
        try:
            await opened.ping()
        except StoreUnavailable:
            return JSONResponse({"status": "store unavailable"}, status_code=503)
        return {"status": "ready", "store": opened.backend}

    install_protections(app, settings)
    # Last, so that it wraps everything: refused requests get a request id and are counted too.
    install_observability(app, registry)
    return app

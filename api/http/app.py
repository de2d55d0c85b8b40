"""The HTTP service: an app factory whose lifespan owns the store.

``create_app(settings)`` wires everything once: the store (opened and closed by the
lifespan), the use cases, authentication, the GraphQL router with its protections, health
checks and metrics. Nothing here reads the environment.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
import strawberry
from cross_web import HTTPException
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from api import graphiql
from api.dashboard import mount_dashboard, serves_no_data
from api.graphql.errors import (
    STORE_RETRY_AFTER_S,
    operation_protections,
    store_unavailable_retry_after,
)
from api.graphql.operations import Operations
from api.graphql.schema import build_schema
from api.graphql.types import Context
from api.http.auth import Authenticator, Unauthenticated
from api.http.direct import DirectExecution
from api.http.live import CONNECTION_INIT_WAIT, PROTOCOLS, LiveUpdates, live_updates
from api.http.middleware import (
    RateLimiter,
    install_protections,
    rate_limit_response,
)
from api.http.observability import install_observability, operation_recorder
from api.http.persisted import PersistedQueries, PersistedQueryNotFound
from api.settings import Settings, per_worker
from graph.bootstrap import build_store
from graph.domain.errors import StoreUnavailable
from graph.ports import GraphStore
from graph.usecases.budget import start_workers
from graph.usecases.service import Service
from graph.usecases.viewer import Viewer

__all__ = ["create_app"]

log = logging.getLogger("tiegraph.api")

SWITCH_INTERVAL_S = 0.001
"""How long a thread may hold the interpreter while another waits for it (Python's default is
5 ms). Heavy computations run in worker threads (:mod:`graph.usecases.budget`); every time the
event loop needs the interpreter back it may wait this long, and a request takes the
interpreter a dozen times or more (parsing, each store read, the answer). Measured with
``bench/stall.py`` (a lookup beside four heavy path searches and a cohort composition), 1 ms
gives the lookup half the latency of 5 ms: p50 37 against 76 ms, p99 203 against 330 ms."""

NO_AUTH_HEADER = "X-Tiegraph-Auth"
NO_AUTH_WARNING = "disabled: every request is treated as an admin (serve --no-auth)"


def _unauthenticated(reason: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": reason, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="tiegraph"'},
    )


OPEN_PATHS = frozenset({"/healthz", "/readyz"})
NOBODY = Viewer(person_id=None, roles=frozenset(), subject="anonymous")


class Authenticate:
    """Every request but the health checks needs a valid bearer token or API key.

    Plain ASGI (not ``BaseHTTPMiddleware``, which costs a quarter of a millisecond a request):
    it puts the viewer in the request state, and flags every response when auth is off.

    An authenticated request takes one from its credential's allowance (the rate limit) and is
    answered 429 with ``Retry-After`` here when none is left. Each failed authentication takes a
    token from its client address's allowance
    (``failures``); an address with none left is answered 429 with ``Retry-After`` before its
    credentials are even looked at, so keys and tokens cannot be guessed at speed. Behind a
    proxy the address is the one uvicorn's ``--forwarded-allow-ips`` trusts.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticator: Authenticator,
        no_auth: bool,
        failures: RateLimiter,
        hold_seconds: float = 0.0,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.no_auth = no_auth
        self.failures = failures
        self.hold_seconds = hold_seconds

    async def _refuse(self, retry_after: float, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 429, held for up to ``hold_seconds`` (never past the ``Retry-After``) first.

        A flooding client waits for each answer on its connection, so holding the refusal
        caps it at one refused request per hold per connection: without it, refusing several
        thousand requests a second took the core the other callers needed.
        """
        hold = min(self.hold_seconds, retry_after)
        if hold > 0:
            await asyncio.sleep(hold)
        await rate_limit_response(retry_after)(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] not in ("http", "websocket")
            or scope["path"] in OPEN_PATHS
            or serves_no_data(scope["path"])
            or graphiql.serves_no_data(scope["path"])
            or _asks_for_the_ide(scope)
            # A websocket authenticates in its first message (api.http.live).
            or (scope["type"] == "websocket" and scope["path"] == "/graphql")
        ):
            await self.app(scope, receive, send)
            return
        header = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None
        )
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        wait = self.failures.waiting(address)
        if wait > 0:
            await self._refuse(wait, scope, receive, send)
            return
        try:
            viewer = self.authenticator.authenticate(header)
        except Unauthenticated as error:
            self.failures.allow(address)
            await _unauthenticated(str(error))(scope, receive, send)
            return
        scope.setdefault("state", {})["viewer"] = viewer
        if scope["type"] == "http":
            # The credential's allowance is taken here, before any GraphQL work: a caller over
            # its limit costs a token check, not a parsed request (a flood of refused requests
            # would otherwise take the CPU the others need).
            allowed, retry_after = scope["app"].state.rate_limiter.allow(viewer.subject)
            if not allowed:
                await self._refuse(retry_after, scope, receive, send)
                return
        if not self.no_auth:
            await self.app(scope, receive, send)
            return

        async def flagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((NO_AUTH_HEADER.lower().encode(), NO_AUTH_WARNING.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, flagged)


def _asks_for_the_ide(scope: Scope) -> bool:
    """Whether this is a browser fetching the GraphiQL page, which holds no data.

    GraphiQL then sends its queries with the Authorization header the user sets in it.
    """
    if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != "/graphql":
        return False
    if scope.get("query_string"):
        return False
    accept = next((v for k, v in scope["headers"] if k == b"accept"), b"")
    return b"text/html" in accept


BODY_NOT_JSON = "Unable to parse request body as JSON"
BODY_NOT_UNICODE = "the request holds text that is not valid Unicode (an unpaired surrogate)"


def parse_json_request(data: str | bytes) -> Any:
    """Decode a GraphQL request's JSON, or refuse it with :class:`HTTPException` 400.

    Strawberry answers 400 for malformed JSON but lets other failures through as a 500: bytes
    that are not UTF-8, arrays nested deeper than the decoder's recursion, and a body that is a
    JSON string or number. A ``\\ud800`` escape decodes to an unpaired surrogate, which neither
    store can hold (and SQLite cannot even bind as a search term): refused here, once, for every
    argument and variable.
    """
    try:
        # Strict UTF-8 (JSON on the wire is UTF-8): json.loads would decode bytes with
        # "surrogatepass", letting encoded surrogates through.
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        decoded = json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise HTTPException(400, BODY_NOT_JSON) from None
    if not isinstance(decoded, dict | list):
        raise HTTPException(400, "the request body must be a JSON object")
    # Now only an escape can make a surrogate: a body without one costs nothing more.
    if "\\u" in text:
        try:
            json.dumps(decoded, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            raise HTTPException(400, BODY_NOT_UNICODE) from None
    return decoded


class GraphQLShortcut:
    """Hand a GraphQL POST straight to the GraphQL endpoint, past FastAPI's exception
    handlers and router, which have nothing to do for it (a tenth of a lookup's CPU).

    The innermost middleware: authentication, limits and observability have run. The route is
    set in the scope as the router would, so metrics label the request by its template.
    """

    def __init__(self, app: ASGIApp, *, route: Route) -> None:
        self.app = app
        self.route = route
        self.endpoint = route.app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/graphql":
            scope["route"] = self.route
            await self.endpoint(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _plain_json_post(scope: Scope) -> bool:
    """Whether a request is a POST of JSON that asks for a plain JSON answer."""
    if scope["method"] != "POST":
        return False
    content_type = accept = b""
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value
        elif name == b"accept":
            accept = value
    media = content_type.split(b";", 1)[0].strip().lower()
    return (
        media == b"application/json"
        and b"multipart" not in accept
        and b"event-stream" not in accept
    )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # disconnected: what came is all there is
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over the body already read, then what ``receive`` gives."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class _GraphQL(LiveUpdates, GraphQL[Context, None]):
    """Strawberry's ASGI app with tiegraph's context: the viewer, rate limit and use cases."""

    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        auth_required: bool,
        operations: Operations | None = None,
    ) -> None:
        super().__init__(
            schema,
            subscription_protocols=PROTOCOLS,
            connection_init_wait_timeout=CONNECTION_INIT_WAIT,
        )
        self._ide_page = graphiql.render_page(auth_required=auth_required)
        self.persisted = PersistedQueries()
        self.direct = (
            None
            if operations is None
            else DirectExecution(
                schema,
                operations,
                self.persisted,
                parse_json=self.parse_json,
                encode_json=self.encode_json,
            )
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a plain JSON operation on the direct path; anything else, or anything the
        direct path leaves, through Strawberry's view (with the body it read handed on)."""
        viewer = scope.get("state", {}).get("viewer") if scope["type"] == "http" else None
        if self.direct is not None and viewer is not None and _plain_json_post(scope):
            body = await _read_body(receive)
            response = await self.direct.answer(body, viewer, scope["app"].state.service)
            if response is not None:
                await response(scope, receive, send)
                return
            receive = _replaying(body, receive)
        await super().__call__(scope, receive, send)

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Run one operation, the query found by its hash for an automatic persisted query."""
        try:
            query = self.persisted.resolve(
                request_data.query, request_data.extensions, owner=context.viewer.subject
            )
        except PersistedQueryNotFound as missing:
            return ExecutionResult(data=None, errors=[missing])
        if query is not request_data.query:
            request_data = dataclasses.replace(request_data, query=query)
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )

    def encode_json(self, data: object) -> str:
        """Encode an answer with orjson: a lookup's answer in a fifth of ``json.dumps``'s time.

        Text, not bytes: the same encoder writes websocket messages, and bytes would go out as
        binary frames, which a browser hands over as Blobs that no graphql-transport-ws client
        parses.
        """
        try:
            return orjson.dumps(data).decode()
        except TypeError:  # an integer past 64 bits, which orjson refuses and JSON allows
            return json.dumps(data, separators=(",", ":"))

    async def render_graphql_ide(self, request: Request) -> Response:
        """Serve GraphiQL from our own vendored files (Strawberry's page needs a CDN)."""
        return HTMLResponse(self._ide_page, headers=graphiql.SECURITY_HEADERS)

    async def get_context(self, request: Request | WebSocket, response: object) -> Context:
        if isinstance(request, WebSocket):
            return await self.websocket_context(request)
        viewer: Viewer | None = getattr(request.state, "viewer", None)
        if viewer is None:
            # Only the GraphiQL page gets here unauthenticated; it executes nothing, and a
            # viewer without roles may do nothing (see graph.usecases.policy.may).
            return Context(request.app.state.service, NOBODY)
        # The rate limit was taken by Authenticate, before the request reached GraphQL.
        return Context(request.app.state.service, viewer)

    def parse_json(self, data: str | bytes) -> Any:
        """Read a JSON body (or GET parameter): what Strawberry would crash on is a 400 too."""
        return parse_json_request(data)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """Answer 503 with ``Retry-After`` when the store was unavailable, so callers retry."""
        response = super().create_response(response_data, sub_response)
        retry_after = store_unavailable_retry_after(response_data)
        if retry_after is not None:
            response.status_code = 503
            response.headers["Retry-After"] = str(retry_after)
        return response


def create_app(
    settings: Settings,
    *,
    on_open: Callable[[GraphStore], Awaitable[object]] | None = None,
    store: GraphStore | None = None,
    direct_execution: bool = True,
) -> FastAPI:
    """Build the service for ``settings``.

    ``on_open`` runs once the store is open (e.g. loading a demo); ``store`` replaces the one
    the settings describe (tests pass an instrumented one); ``direct_execution`` off sends
    every request through Strawberry's view (a test compares the two).
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
            app.state.service = Service(
                opened,
                privacy_min_group=settings.privacy_min_group,
                max_recorded_participants=settings.max_recorded_participants,
                budgets=settings.budgets(),
            )
            await start_workers()
            switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL_S)
            # The embedded store holds millions of long-lived objects; leaving them out of
            # every full garbage collection removes pauses of half a second under load.
            gc.collect()
            gc.freeze()
            try:
                async with live_updates(
                    app,
                    opened,
                    app.state.service,
                    settings,
                    authenticator=authenticator,
                    failures=failures,
                ):
                    yield
            finally:
                sys.setswitchinterval(switch_interval)
        finally:
            await opened.close()

    app = FastAPI(title="tiegraph", lifespan=lifespan, docs_url=None, redoc_url=None)

    registry = CollectorRegistry()
    # One extension does it all (Strawberry's per-hook cost is paid per extension): parsing
    # and validating each document once, the limits, error answers and metrics; the direct
    # path shares it.
    operations = operation_protections(settings, on_done=operation_recorder(registry))
    schema = build_schema([operations.extension()])
    # A plain Starlette route to Strawberry's ASGI app: FastAPI's GraphQLRouter adds a third of
    # a millisecond per request for dependency injection this endpoint does not use.
    graphql_app = _GraphQL(
        schema,
        auth_required=not settings.no_auth,
        operations=operations if direct_execution else None,
    )
    graphql_route = Route("/graphql", graphql_app, methods=["GET", "POST"])
    app.router.routes.append(graphql_route)
    app.router.routes.append(WebSocketRoute("/graphql", graphql_app))
    # Innermost: a GraphQL POST, authenticated, goes straight to its endpoint.
    app.add_middleware(GraphQLShortcut, route=graphql_route)

    failures = RateLimiter(per_worker(settings.auth_failures_per_minute, settings.workers))
    app.add_middleware(
        Authenticate,
        authenticator=authenticator,
        no_auth=settings.no_auth,
        failures=failures,
        hold_seconds=settings.refusal_hold_seconds,
    )

    graphiql.mount_graphiql_assets(app)
    # The dashboard page and its assets hold no data; it asks /graphql with the user's token.
    mount_dashboard(app, auth_required=not settings.no_auth)

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
            return JSONResponse(
                {"status": "store unavailable"},
                status_code=503,
                headers={"Retry-After": str(STORE_RETRY_AFTER_S)},
            )
        return {"status": "ready", "store": opened.backend}

    install_protections(app, settings)
    # Last, so that it wraps everything: refused requests get a request id and are counted too.
    install_observability(app, registry)
    return app

"""Live updates over a websocket at ``/graphql``: graphql-transport-ws only, signed in by the
first message.

The legacy ``graphql-ws`` subprotocol is not offered (it has had authentication-bypass
advisories); a client asking only for it is refused with 4406. Browsers cannot set headers on
a websocket, so the credential travels in the ``connection_init`` payload
(``{"Authorization": "Bearer <token>"}``, or an API key) and is checked by the same
:class:`~api.http.auth.Authenticator` as HTTP requests: a bad one closes the socket with 4403,
and failures count against the address as they do over HTTP. When the token expires the socket
is closed with 4401 ("token expired"): sign in again and resubscribe. A subscription sent over
HTTP is refused with 400.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import jwt
from cross_web import HTTPException
from fastapi import FastAPI
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.graphql.resolvers.live import LiveContext
from api.graphql.types import Context
from api.http.auth import Authenticator, Unauthenticated
from api.http.middleware import RateLimiter
from api.settings import Settings
from graph.ports import GraphStore
from graph.usecases.live import ChangeFeed, Live, prune_change_log
from graph.usecases.service import Service
from graph.usecases.viewer import Viewer

__all__ = [
    "CONNECTION_INIT_WAIT",
    "PROTOCOLS",
    "LiveUpdates",
    "live_updates",
]

log = logging.getLogger("tiegraph.live")

PROTOCOLS = (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
"""The websocket subprotocols served: graphql-transport-ws alone."""
TOKEN_EXPIRED = 4401
"""The close code when the credential a connection was opened with expires."""
CONNECTION_INIT_WAIT = timedelta(seconds=10)
"""How long a new connection may take to send ``connection_init`` (then 4408): an open socket
that never signs in holds nothing for long."""


def _expiry(header: str) -> float | None:
    """When a bearer token that was just verified expires (seconds since the epoch)."""
    token = header.split(None, 1)[-1]
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None  # an API key: it does not expire
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) else None


OVER_HTTP = "subscriptions are served over a websocket at /graphql (graphql-transport-ws)"


def _subscribes(query: object, operation_name: object) -> bool:
    """Whether a request's operation is a subscription (checked only when the word is there)."""
    if not isinstance(query, str) or "subscription" not in query:
        return False
    try:
        document = parse(query)
    except GraphQLError:
        return False  # the schema answers it as the syntax error it is
    name = operation_name if isinstance(operation_name, str) else None
    operation = get_operation_ast(document, name)
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION


class LiveUpdates:
    """What the GraphQL endpoint adds for websockets (mixed into Strawberry's ASGI app)."""

    async def execute_operation(
        self,
        request: Any,
        request_adapter: Any,
        request_data: Any,
        context: Any,
        root_value: Any,
        sub_response: Any,
    ) -> Any:
        """Refuse a subscription sent over HTTP with 400, as an operation the endpoint does not
        serve there (it would otherwise run as a query and fail)."""
        for data in request_data if isinstance(request_data, list) else [request_data]:
            if _subscribes(getattr(data, "query", None), getattr(data, "operation_name", None)):
                raise HTTPException(400, OVER_HTTP)
        # Strawberry's router builds this method from a mixin mypy does not see through.
        return await super().execute_operation(  # type: ignore[misc]
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # GraphQLRouter's ASGI entry comes from Starlette's router through a base mypy cannot
        # resolve in Strawberry's stubs: the two calls below are typed by hand.
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)  # type: ignore[misc]
            return
        tasks: list[asyncio.Task[None]] = []
        scope.setdefault("state", {})["live_tasks"] = tasks
        try:
            await super().__call__(scope, receive, send)  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()

    async def websocket_context(self, websocket: WebSocket) -> LiveContext:
        """A connection's context before ``connection_init``: nobody, with no roles."""
        state = websocket.app.state
        nobody = Viewer(person_id=None, roles=frozenset(), subject="anonymous")
        return LiveContext(state.service, nobody, live=state.live, websocket=websocket)

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        """Authenticate ``connection_init``; refuse (4403) a bad credential."""
        assert isinstance(context, LiveContext)
        websocket = context.websocket
        assert isinstance(websocket, WebSocket)
        state = websocket.app.state
        authenticator: Authenticator = state.authenticator
        failures: RateLimiter = state.auth_failures
        address = websocket.client.host if websocket.client else "unknown"
        if failures.waiting(address) > 0:
            raise ConnectionRejectionError({"message": "too many failed sign-ins"})
        params: Any = context.connection_params or {}
        raw = params.get("Authorization") or params.get("authorization")
        header = raw if isinstance(raw, str) else None
        if header is not None and " " not in header.strip():
            header = f"Bearer {header.strip()}"
        try:
            viewer = authenticator.authenticate(header)
        except Unauthenticated as error:
            failures.allow(address)
            raise ConnectionRejectionError({"message": str(error)}) from None
        context.viewer = viewer
        context.loaders = type(context.loaders)(context.service, viewer)
        expires_at = None if header is None else _expiry(header)
        if expires_at is not None:
            tasks: list[asyncio.Task[None]] = websocket.state.live_tasks
            tasks.append(asyncio.create_task(_close_when_expired(websocket, expires_at)))
        return None


async def _close_when_expired(websocket: WebSocket, expires_at: float) -> None:
    await asyncio.sleep(max(0.0, expires_at - time.time()))
    with contextlib.suppress(Exception):  # already closed: nothing to do
        await websocket.close(code=TOKEN_EXPIRED, reason="token expired")


@contextlib.asynccontextmanager
async def live_updates(
    app: FastAPI,
    store: GraphStore,
    service: Service,
    settings: Settings,
    *,
    authenticator: Authenticator,
    failures: RateLimiter,
) -> AsyncIterator[None]:
    """Serve live updates while the block runs: one change feed for this process, and the
    pruning of old changes from the log."""
    feed = ChangeFeed(store, poll_interval_s=settings.live_poll_seconds)
    app.state.live = Live(service, feed, recheck=timedelta(seconds=settings.tie_recheck_seconds))
    app.state.authenticator = authenticator
    app.state.auth_failures = failures
    retention = timedelta(hours=settings.change_log_retention_hours)
    every = min(retention / 4, timedelta(hours=1))
    # Once before serving (so it never competes with the first requests), then now and then.
    await prune_change_log(store, retention=retention, clock=service.clock)

    async def prune_later() -> None:
        await asyncio.sleep(every.total_seconds())
        await prune_change_log(store, retention=retention, every=every, clock=service.clock)

    pruner = asyncio.create_task(prune_later(), name="tiegraph-change-log-pruner")
    try:
        yield
    finally:
        pruner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pruner
        await feed.close()

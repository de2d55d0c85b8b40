"""HTTP limits that keep one caller from hurting the service: head and body size, request rate.

* :class:`HeaderLimitMiddleware` refuses a request line and headers over ``max_header_bytes``
  with 431.
* :class:`BodyLimitMiddleware` refuses bodies over ``max_body_bytes`` with 413, before reading
  them when ``Content-Length`` says so, and as soon as the streamed bytes pass the limit when not.
* :class:`RateLimiter` is an in-memory token bucket per credential; ``api.http.app.Authenticate``
  takes from it for each authenticated request, before any GraphQL work, and answers 429 with
  ``Retry-After`` itself (:func:`enforce_rate_limit` and the handler :func:`install_protections`
  registers do the same for other routes). Failed authentications take from another one, per
  client address.

The limits on a GraphQL operation's shape are in :mod:`api.graphql.limits`, its error answers in
:mod:`api.graphql.errors`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings, per_worker

__all__ = [
    "BodyLimitMiddleware",
    "HeaderLimitMiddleware",
    "RateLimited",
    "RateLimiter",
    "enforce_rate_limit",
    "install_protections",
    "rate_limit_response",
]

# --- request body ------------------------------------------------------------------------


class _BodyTooLarge(Exception):
    """The streamed body passed the limit; raised into the app to stop it reading."""


class BodyLimitMiddleware:
    """Refuse HTTP request bodies larger than ``max_bytes`` with 413 and a GraphQL-shaped body.

    A ``Content-Length`` over the limit is refused before the app runs. Otherwise the bytes are
    counted as the app reads them; once past the limit the app's next read raises, the rest of
    the body is never read, and whatever the app tries to answer is replaced by the 413.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return

        received = 0
        too_large = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            if too_large:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if too_large:
                # The app turned our exception into a response of its own: answer 413 instead.
                if not response_started:
                    response_started = True
                    await self._refuse(send)
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not response_started:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse(
            {
                "errors": [
                    {
                        "message": f"request body is larger than {self.max_bytes} bytes",
                        "extensions": {"code": "PAYLOAD_TOO_LARGE"},
                    }
                ]
            },
            status_code=413,
            headers={"Connection": "close"},
        )
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": response.raw_headers,
            }
        )
        await send({"type": "http.response.body", "body": response.body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects these; counting still protects us
    return None


# --- request line and headers ------------------------------------------------------------


class HeaderLimitMiddleware:
    """Refuse requests whose line and headers together are over ``max_bytes`` with 431.

    The HTTP server bounds what it holds of a request's head while the head is incomplete
    (``tiegraph serve`` runs :mod:`api.http.protocol` with the same limit); a head that
    arrives whole in one read (up to a few hundred kilobytes) gets past that check, and is
    refused here, before
    authentication or any work.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and _head_size(scope) > self.max_bytes:
            response = JSONResponse(
                {
                    "errors": [
                        {
                            "message": (
                                f"request line and headers are larger than {self.max_bytes} bytes"
                            ),
                            "extensions": {"code": "HEADERS_TOO_LARGE"},
                        }
                    ]
                },
                status_code=431,
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _head_size(scope: Scope) -> int:
    """Return about how many bytes the request line and headers took on the wire."""
    line = len(scope.get("raw_path") or scope["path"].encode()) + len(scope["query_string"]) + 16
    return line + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


# --- request rate ------------------------------------------------------------------------


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allow each key ``per_minute`` requests a minute, in bursts of up to ``per_minute``.

    A token bucket per key: it holds at most ``per_minute`` tokens, refills at
    ``per_minute / 60`` tokens a second, and each allowed request takes one. Memory is bounded:
    a bucket left alone long enough to be full again is forgotten (a new one is the same), and
    past ``max_keys`` the least recently used bucket is dropped. State is per process, so with
    several workers each enforces its share of the limit (:func:`api.settings.per_worker`).

    >>> now = [0.0]
    >>> limiter = RateLimiter(2, clock=lambda: now[0])
    >>> limiter.allow("ada"), limiter.allow("ada"), limiter.allow("ada")
    ((True, 0.0), (True, 0.0), (False, 30.0))
    >>> now[0] = 30.0
    >>> limiter.allow("ada")
    (True, 0.0)
    """

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_keys: int = 10_000,
    ) -> None:
        if per_minute < 1:
            raise ValueError(f"per_minute must be at least 1, got {per_minute}")
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, got {max_keys}")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Return how many buckets are held."""
        return len(self._buckets)

    def allow(self, key: str) -> tuple[bool, float]:
        """Take a token for ``key``: ``(True, 0.0)``, or ``(False, seconds until one is free)``.

        Amortised O(1).
        """
        with self._lock:
            now = self._clock()
            bucket = self._buckets.pop(key, None)
            if bucket is None:
                bucket = _Bucket(tokens=self.capacity, updated=now)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.rate)
                bucket.updated = now
            self._buckets[key] = bucket  # most recently used last
            self._forget_idle(now)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return True, 0.0
            return False, (1.0 - bucket.tokens) / self.rate

    def waiting(self, key: str) -> float:
        """Return how long ``key`` must wait for a token (0.0: one is free), taking none.

        >>> now = [0.0]
        >>> limiter = RateLimiter(1, clock=lambda: now[0])
        >>> limiter.waiting("ada"), limiter.allow("ada")[0], limiter.waiting("ada")
        (0.0, True, 60.0)
        """
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return 0.0
            elapsed = max(0.0, self._clock() - bucket.updated)
            tokens = min(self.capacity, bucket.tokens + elapsed * self.rate)
            return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        full_after = self.capacity / self.rate
        while self._buckets:
            oldest_key, oldest = next(iter(self._buckets.items()))
            idle_and_full = now - oldest.updated >= full_after
            if not idle_and_full and len(self._buckets) <= self.max_keys:
                return
            del self._buckets[oldest_key]


class RateLimited(Exception):
    """A caller went over its request rate; ``retry_after`` says when it may try again."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"rate limit exceeded; retry after {retry_after:.1f} s")


def rate_limit_response(retry_after: float) -> JSONResponse:
    """Return the 429 answer for a caller that must wait ``retry_after`` seconds."""
    seconds = max(1, math.ceil(retry_after))
    return JSONResponse(
        {
            "errors": [
                {
                    "message": f"rate limit exceeded; retry after {seconds} s",
                    "extensions": {"code": "RATE_LIMITED", "retryAfter": seconds},
                }
            ]
        },
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


def enforce_rate_limit(connection: HTTPConnection, key: str) -> None:
    """Take one request from ``key``'s allowance, or raise :class:`RateLimited`.

    Call it from a route with the caller's subject (e.g. ``user:<sub>``,
    ``key:<name>``, or ``anonymous:<client address>``); the handler that
    :func:`install_protections` registers answers 429 with ``Retry-After``.
    """
    limiter = getattr(connection.app.state, "rate_limiter", None)
    if not isinstance(limiter, RateLimiter):
        raise RuntimeError("install_protections(app, settings) must run before rate limiting")
    allowed, retry_after = limiter.allow(key)
    if not allowed:
        raise RateLimited(retry_after)


async def _rate_limited_handler(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RateLimited)
    return rate_limit_response(error.retry_after)


def install_protections(app: FastAPI, settings: Settings) -> None:
    """Limit request heads and bodies; keep a rate limiter for :func:`enforce_rate_limit`.

    Call it before :func:`api.http.observability.install_observability`, so refusals are counted
    and logged with a request id.
    """
    app.state.rate_limiter = RateLimiter(
        per_worker(settings.rate_limit_per_minute, settings.workers)
    )
    app.add_exception_handler(RateLimited, _rate_limited_handler)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(HeaderLimitMiddleware, max_bytes=settings.max_header_bytes)

"""The id of the request being served: set by the HTTP middleware
(:class:`api.http.observability.ObservabilityMiddleware`), quoted by GraphQL error answers and
every log line of the request."""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["REQUEST_ID", "current_request_id"]

REQUEST_ID: ContextVar[str | None] = ContextVar("tiegraph_request_id", default=None)


def current_request_id() -> str | None:
    """Return the id of the request being served, or ``None`` outside a request."""
    return REQUEST_ID.get()

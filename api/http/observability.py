"""Metrics, structured logs and request ids for the HTTP service.

Everything here is per app: metrics live in a :class:`~prometheus_client.CollectorRegistry`
that the composition root creates and passes in, so a test can build several apps side by side.
The request id lives in a context variable for the life of one request; every log line written
while the request runs carries it, and masked GraphQL errors hand it to the caller.

What is never logged: headers, bodies, query strings, GraphQL queries or variables, tokens.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
import sys
import time
import traceback
import weakref
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from api.graphql.errors import error_kind
from api.request_id import REQUEST_ID, current_request_id

__all__ = [
    "JsonFormatter",
    "ObservabilityMiddleware",
    "configure_logging",
    "current_request_id",
    "error_kind",
    "graphql_metrics_extension",
    "install_observability",
    "operation_recorder",
]

# A caller's id is echoed only when it cannot smuggle anything into a header or a log line.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_SAFE_OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_MAX_OPERATION_NAMES = 200
"""Operation names are chosen by clients; past this many distinct ones they share ``other``."""

_access_log = logging.getLogger("tiegraph.access")


# --- metrics -----------------------------------------------------------------------------


@dataclass
class _Metrics:
    """The service's metrics, all registered in one registry."""

    http_requests: Counter
    graphql_operations: Counter
    graphql_seconds: Histogram
    errors: Counter
    operation_names: set[str] = field(default_factory=set)

    def operation_label(self, name: str | None) -> str:
        """Return a bounded label for a client-chosen operation name."""
        if not name:
            return "anonymous"
        if _SAFE_OPERATION_NAME.fullmatch(name) is None:
            return "other"
        if name not in self.operation_names:
            if len(self.operation_names) >= _MAX_OPERATION_NAMES:
                return "other"
            self.operation_names.add(name)
        return name


_metrics_by_registry: weakref.WeakKeyDictionary[CollectorRegistry, _Metrics] = (
    weakref.WeakKeyDictionary()
)


def _metrics(registry: CollectorRegistry) -> _Metrics:
    """Return the metrics registered in ``registry``, registering them on first use."""
    found = _metrics_by_registry.get(registry)
    if found is None:
        found = _Metrics(
            http_requests=Counter(
                "tiegraph_http_requests",
                "HTTP requests served, by route template, method and status.",
                ["path", "method", "status"],
                registry=registry,
            ),
            graphql_operations=Counter(
                "tiegraph_graphql_operations",
                "GraphQL operations run, by operation name and outcome (ok or error).",
                ["operation", "outcome"],
                registry=registry,
            ),
            graphql_seconds=Histogram(
                "tiegraph_graphql_operation_seconds",
                "Time to run one GraphQL operation, from parsing to the last resolver.",
                ["operation"],
                registry=registry,
            ),
            errors=Counter(
                "tiegraph_errors",
                "Errors by kind: unexpected, invalid_request, unhandled, or a domain error.",
                ["kind"],
                registry=registry,
            ),
        )
        _metrics_by_registry[registry] = found
    return found


def operation_recorder(
    registry: CollectorRegistry,
) -> Callable[[ExecutionContext, float, bool], None]:
    """Return what records one GraphQL operation's latency and outcome in ``registry``.

    Pass it as ``on_done`` to :func:`api.graphql.errors.graphql_protections`. Errors are
    counted by :func:`error_kind` from the original errors, before any masking.
    """
    metrics = _metrics(registry)
    # A labelled child is looked up by hashing its label values on every call; there are as
    # few children as bounded operation names, so each is looked up once.
    counted: dict[tuple[str, str], Any] = {}
    timed: dict[str, Any] = {}

    def record(context: ExecutionContext, elapsed: float, failed: bool) -> None:
        name = metrics.operation_label(_operation_name(context))
        errors = list(context.pre_execution_errors or [])
        result_errors = context.result.errors if context.result is not None else None
        if not errors and result_errors:
            errors = list(result_errors)
        for error in errors:
            metrics.errors.labels(kind=error_kind(error)).inc()
        if failed and not errors:
            metrics.errors.labels(kind="unexpected").inc()
        outcome = "error" if failed or errors else "ok"
        operations = counted.get((name, outcome))
        if operations is None:
            operations = metrics.graphql_operations.labels(operation=name, outcome=outcome)
            counted[(name, outcome)] = operations
        operations.inc()
        seconds = timed.get(name)
        if seconds is None:
            seconds = timed[name] = metrics.graphql_seconds.labels(operation=name)
        seconds.observe(elapsed)

    return record


def graphql_metrics_extension(registry: CollectorRegistry) -> type[SchemaExtension]:
    """Return a schema extension that records each operation's latency and outcome.

    Pass the returned class in ``strawberry.Schema(extensions=[...])``; Strawberry builds one
    instance per operation. The app itself passes :func:`operation_recorder` to its one
    extension instead.
    """
    record = operation_recorder(registry)

    class GraphQLMetrics(SchemaExtension):
        """Times one operation and counts it as ok or error."""

        def on_operation(self) -> Iterator[None]:
            started = time.perf_counter()
            failed = True
            try:
                yield
                failed = False
            finally:
                record(self.execution_context, time.perf_counter() - started, failed)

    return GraphQLMetrics


def _operation_name(context: ExecutionContext) -> str | None:
    # The request's operationName, else the name of the document's first operation.
    name = context.operation_name
    return name if isinstance(name, str) else None


# --- logs --------------------------------------------------------------------------------

_STANDARD_RECORD_FIELDS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))
) | {"message", "asctime", "request_id"}
_SECRET_KEY = re.compile(r"authorization|cookie|token|secret|password|api[_-]?key", re.IGNORECASE)


class JsonFormatter(logging.Formatter):
    """Write each record as one JSON object on one line.

    Fields: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``msg``, ``request_id`` (``None``
    outside a request), then any ``extra=`` values. Extras whose names look like credentials
    are replaced by ``"[redacted]"``; an exception becomes ``exc_type`` and ``exc``.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD_RECORD_FIELDS or key.startswith("_") or key in entry:
                continue
            entry[key] = "[redacted]" if _SECRET_KEY.search(key) else value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: int | str = "INFO") -> None:
    """Send every log record to stderr as one JSON line, at ``level`` and above.

    Replaces the root logger's handlers, so calling it twice is harmless. Uvicorn's own
    loggers are routed through the same handler, and its access log is silenced: the
    middleware writes one access line per request, without the query string.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Nothing written reads the caller's source line, thread or process: leave them out of
    # every record (the logging HOWTO's optimizations), a third of an access line's cost.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True


# --- middleware --------------------------------------------------------------------------


class ObservabilityMiddleware:
    """Give each HTTP request an id, count it, and write one access log line for it.

    The id is the caller's ``X-Request-ID`` when that is a short safe token, else a fresh one
    (32 hex digits); it is set on the response and held in a context variable while the
    request runs.
    The ``path`` label is the matched route's template (``unrouted`` when no route was reached:
    404s, and refusals by middleware further in), so a scan of random URLs cannot grow the
    metrics without bound.
    """

    def __init__(self, app: ASGIApp, *, registry: CollectorRegistry) -> None:
        self.app = app
        self.metrics = _metrics(registry)
        # Fresh ids are a random prefix and a counter (32 hex digits, like a uuid4's): unique
        # across processes and restarts, without reading the system's randomness per request.
        self._id_prefix = secrets.token_hex(8)
        self._serial = itertools.count(1)
        self._counted: dict[tuple[str, str, str], Any] = {}
        """Labelled children of the request counter, looked up once each (bounded: route
        templates, known methods, statuses)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id_from(scope) or f"{self._id_prefix}{next(self._serial):016x}"
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        header = (b"x-request-id", request_id.encode("ascii"))

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"x-request-id"
                ]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            status = 500
            self.metrics.errors.labels(kind="unhandled").inc()
            raise
        finally:
            self._record(scope, status=status, started=started)
            REQUEST_ID.reset(token)

    def _record(self, scope: Scope, *, status: int, started: float) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        method = str(scope.get("method", "GET")).upper()
        labels = (
            _route_template(scope),
            method if method in _KNOWN_METHODS else "other",
            str(status),
        )
        counter = self._counted.get(labels)
        if counter is None:
            path, known_method, code = labels
            counter = self.metrics.http_requests.labels(path=path, method=known_method, status=code)
            self._counted[labels] = counter
        counter.inc()
        _access_log.info(
            "%s %s %d",
            method,
            scope.get("path", ""),
            status,
            extra={
                "method": method,
                "path": scope.get("path", ""),
                "status": status,
                "duration_ms": duration_ms,
            },
        )


def _request_id_from(scope: Scope) -> str | None:
    """The caller's ``X-Request-ID`` if it is a short safe token (else ``None``: make one)."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"x-request-id":
            offered = bytes(value).decode("latin-1")
            if _SAFE_REQUEST_ID.fullmatch(offered):
                return offered
            break
    return None


def _route_template(scope: MutableMapping[str, Any]) -> str:
    route = scope.get("route")
    if route is None:
        return "unrouted"
    # Recent FastAPI keeps an included router's routes unprefixed and records the full
    # template, prefix included, in its own corner of the scope; older versions copy the
    # routes with the prefix in their path.
    fastapi_scope = scope.get("fastapi")
    effective = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    for source in (effective, route):
        path: object = getattr(source, "path_format", None)
        if isinstance(path, str) and path.startswith("/"):
            return path
    return "unknown"


def install_observability(app: FastAPI, registry: CollectorRegistry) -> None:
    """Add request ids, access logs and HTTP metrics to ``app``, and serve ``GET /metrics``.

    Call it after any other ``add_middleware`` so this middleware is the outermost one and sees
    every response, including those other middleware send on their own (413, 429).
    """
    metrics_registry = registry
    _metrics(metrics_registry)
    app.add_middleware(ObservabilityMiddleware, registry=metrics_registry)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Serve the metrics in the Prometheus text exposition format."""
        return Response(generate_latest(metrics_registry), media_type=CONTENT_TYPE_LATEST)

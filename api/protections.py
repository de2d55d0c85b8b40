"""Limits that keep one caller from hurting the service: head and body size, request rate,
query shape.

* :class:`HeaderLimitMiddleware` refuses a request line and headers over ``max_header_bytes``
  with 431.
* :class:`BodyLimitMiddleware` refuses bodies over ``max_body_bytes`` with 413, before reading
  them when ``Content-Length`` says so, and as soon as the streamed bytes pass the limit when not.
* :class:`RateLimiter` is an in-memory token bucket per credential; :func:`enforce_rate_limit`
  is what the GraphQL context getter calls with the viewer's subject, and the handler
  :func:`install_protections` registers turns a refusal into 429 with ``Retry-After``. Failed
  authentications take from another one, per client address (see ``api.app.Authenticate``).
* :func:`graphql_protections` returns the schema extensions: a depth limit, a cost limit
  (:class:`QueryCostLimiter`), the masking of unexpected errors, and a plain answer when the
  store is unavailable, which :func:`store_unavailable_retry_after` finds so that the GraphQL
  endpoint answers 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    is_interface_type,
    is_object_type,
)
from graphql.type.definition import GraphQLNamedType
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import AddValidationRules, MaskErrors, SchemaExtension

from api.observability import current_request_id, error_kind
from graph.domain.cohorts import ITERATIONS_PER_APPLICANT
from graph.domain.errors import BudgetExceeded, StoreUnavailable
from graph.domain.paths import MAX_HOPS
from graph.ports import MAX_PAGE
from graph.settings import Settings, per_worker
from graph.usecases.meetings import MAX_APPLICANTS

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "PATH_FAN_OUT",
    "PROPOSALS_PER_COST",
    "STORE_RETRY_AFTER_S",
    "STORE_UNAVAILABLE",
    "BodyLimitMiddleware",
    "HeaderLimitMiddleware",
    "QueryCostLimiter",
    "RateLimited",
    "RateLimiter",
    "depth_limit_rule",
    "enforce_rate_limit",
    "graphql_protections",
    "install_protections",
    "query_cost",
    "query_depth",
    "rate_limit_response",
    "store_unavailable_retry_after",
]

log = logging.getLogger("tiegraph.graphql")

DEFAULT_PAGE_SIZE = 20
"""Items a ``first`` argument stands for when the query leaves it out and it has no default."""
MAX_PAGE_SIZE = MAX_PAGE
"""The most items one page may hold (the store's limit); larger ``first`` values count as this."""
PATH_FAN_OUT = 8
"""What each hop of an introduction path search multiplies its work by, in cost units."""
PROPOSALS_PER_COST = 20
"""Proposed swaps of a cohort composition that count as one cost unit."""


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
    (``tiegraph serve`` runs h11 with the same limit); a head that arrives whole in one read
    (up to a few hundred kilobytes) gets past that check, and is refused here, before
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
    several workers each enforces its share of the limit (:func:`graph.settings.per_worker`).

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

    Call it from the GraphQL context getter with the viewer's subject (e.g. ``user:<sub>``,
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

    Call it before :func:`api.observability.install_observability`, so refusals are counted
    and logged with a request id.
    """
    app.state.rate_limiter = RateLimiter(
        per_worker(settings.rate_limit_per_minute, settings.workers)
    )
    app.add_exception_handler(RateLimited, _rate_limited_handler)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(HeaderLimitMiddleware, max_bytes=settings.max_header_bytes)


# --- query cost --------------------------------------------------------------------------


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """Return what running ``operation`` may cost: one per field, times its enclosing pages.

    The formula, for a selection set ``S`` (fragments expanded, inline fragments all counted)::

        cost(S) = sum over fields f in S of  1 + page(f) * cost(selection set of f)

    where ``page(f)`` is 1 unless the schema gives ``f`` a ``first`` argument; then it is the
    ``first`` value (a literal, or the variable's value or default), else the argument's default
    when it is an int, else ``DEFAULT_PAGE_SIZE``; capped at ``MAX_PAGE_SIZE``. Values that
    cannot be read (negative, or a variable with no value) count as ``MAX_PAGE_SIZE``. So every
    field costs 1 for each time it may be resolved. Lists without ``first`` count once: their
    size is bounded some other way (``edges`` by the connection's ``first``). Linear in the
    size of the document.

    Two root fields do work that their answer's size does not show, and add it (each time
    they are written, so aliases add up): ``introductionPaths`` searches a neighbourhood that
    grows with every hop, ``first * PATH_FAN_OUT ** maxHops``; ``composeCohorts`` proposes
    ``iterations`` swaps (by default ``ITERATIONS_PER_APPLICANT`` per applicant), one unit per
    ``PROPOSALS_PER_COST``. Arguments that cannot be read count as their largest allowed value.

    >>> from graphql import build_schema, parse
    >>> schema = build_schema("type P { name: String, friends(first: Int): [P] } "
    ...                       "type Query { people(first: Int = 20): [P] }")
    >>> doc = parse("{ people(first: 50) { name friends(first: 10) { name } } }")
    >>> query_cost(schema, doc, doc.definitions[0])  # 1 + 50 * (1 + 1 + 10 * 1)
    601
    """
    return _CostCounter(schema, document, variables or {}).operation(operation)


class _CostCounter:
    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.fragment_costs: dict[str, int] = {}
        self.expanding: set[str] = set()
        self.variable_defaults: dict[str, Any] = {}

    def operation(self, operation: OperationDefinitionNode) -> int:
        self.variable_defaults = {
            d.variable.name.value: d.default_value
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        return self.selection_set(operation.selection_set, root)

    def selection_set(self, selection_set: SelectionSetNode, parent: GraphQLNamedType) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                found = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, found or parent)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> int:
        if name in self.fragment_costs:
            return self.fragment_costs[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.expanding:
            return 0  # unknown fragments and cycles are reported by graphql-core's own rules
        self.expanding.add(name)
        found = self.schema.get_type(definition.type_condition.name.value)
        cost = 0 if found is None else self.selection_set(definition.selection_set, found)
        self.expanding.discard(name)
        self.fragment_costs[name] = cost
        return cost

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> int:
        if not (is_object_type(parent) or is_interface_type(parent)):
            return 1
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return 1  # __typename, introspection, or unknown (reported elsewhere)
        work = self.work(node, parent.name, definition.args)
        if node.selection_set is None:
            return 1 + work
        child = get_named_type(definition.type)
        page = self.page(node, definition.args.get("first"))
        return 1 + work + page * self.selection_set(node.selection_set, child)

    def work(self, node: FieldNode, parent: str, arguments: Mapping[str, Any]) -> int:
        """Return what a root field costs beyond its answer: graph searches and compositions."""
        if parent != "Query":
            return 0
        if node.name.value == "introductionPaths":
            hops = self.integer(node, "maxHops", arguments)
            if hops is None or not 1 <= hops <= MAX_HOPS:
                hops = MAX_HOPS  # refused by the service anyway; counted at its worst
            return self.page(node, arguments.get("first")) * int(PATH_FAN_OUT**hops)
        if node.name.value == "composeCohorts":
            iterations = self.integer(node, "iterations", arguments)
            if iterations is None or iterations < 0:
                iterations = self.length(node, "applicants") * ITERATIONS_PER_APPLICANT
            return math.ceil(iterations / PROPOSALS_PER_COST)
        return 0

    def argument(self, node: FieldNode, name: str, arguments: Mapping[str, Any]) -> Any:
        """Return an argument's value as given (literal or variable) or its default."""
        given = next((a.value for a in node.arguments or () if a.name.value == name), None)
        if given is None or isinstance(given, NullValueNode):
            definition = arguments.get(name)
            return None if definition is None else definition.default_value
        if isinstance(given, IntValueNode):
            return int(given.value)
        if isinstance(given, VariableNode):
            return self.variable(given.name.value)
        return given

    def integer(self, node: FieldNode, name: str, arguments: Mapping[str, Any]) -> int | None:
        value = self.argument(node, name, arguments)
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        return value

    def length(self, node: FieldNode, name: str) -> int:
        """Return how many items a list argument holds (unknown: ``MAX_APPLICANTS``)."""
        given = next((a.value for a in node.arguments or () if a.name.value == name), None)
        if isinstance(given, ListValueNode):
            return len(given.values)
        if isinstance(given, VariableNode):
            value = self.variables.get(given.name.value)
            if isinstance(value, list):
                return len(value)
        return MAX_APPLICANTS

    def page(self, node: FieldNode, argument: Any) -> int:
        if argument is None:
            return 1
        given = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        if given is None:
            default = argument.default_value
            value: Any = default if isinstance(default, int) else DEFAULT_PAGE_SIZE
        elif isinstance(given, IntValueNode):
            value = int(given.value)
        elif isinstance(given, VariableNode):
            value = self.variable(given.name.value)
        elif isinstance(given, NullValueNode):
            default = argument.default_value
            value = default if isinstance(default, int) else DEFAULT_PAGE_SIZE
        else:
            value = None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return MAX_PAGE_SIZE
        return min(value, MAX_PAGE_SIZE)

    def variable(self, name: str) -> Any:
        if name in self.variables:
            return self.variables[name]
        default = self.variable_defaults.get(name)
        if isinstance(default, IntValueNode):
            return int(default.value)
        return None


# --- query depth -------------------------------------------------------------------------


def query_depth(document: DocumentNode, operation: OperationDefinitionNode) -> int:
    """Return how deeply ``operation`` nests fields with selections, fragments expanded.

    A field with a selection set is one level more than the deepest field inside it; leaves,
    introspection fields (``__schema``) and fragments add nothing. Each fragment is measured
    once, so a document whose fragments each spread the next twice (2**30 fields once
    expanded) takes linear time, as does one spreading an unknown or cyclic fragment (which
    graphql-core's own rules report).

    >>> from graphql import parse
    >>> doc = parse("{ a { b { c } ...F } } fragment F on T { d { e { f } } }")
    >>> query_depth(doc, doc.definitions[0])
    3
    """
    return _DepthCounter(document).selection_set(operation.selection_set)


class _DepthCounter:
    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.depths: dict[str, int] = {}
        self.expanding: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set is not None and not selection.name.value.startswith(
                    "__"
                ):
                    deepest = max(deepest, 1 + self.selection_set(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.selection_set(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self.fragment(selection.name.value))
        return deepest

    def fragment(self, name: str) -> int:
        if name in self.depths:
            return self.depths[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.expanding:
            return 0
        self.expanding.add(name)
        depth = self.selection_set(definition.selection_set)
        self.expanding.discard(name)
        self.depths[name] = depth
        return depth


def depth_limit_rule(max_depth: int) -> type[ValidationRule]:
    """Return a validation rule refusing operations nested deeper than ``max_depth``.

    It replaces Strawberry's ``QueryDepthLimiter``, which expands every fragment spread anew (a
    few hundred bytes of fragments then keep a worker busy for hours) and fails with a
    ``KeyError`` on a spread of an unknown fragment. The message is the same.
    """

    class DepthLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            counter = _DepthCounter(document)  # one for the document: fragments measured once
            for definition in document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                if counter.selection_set(definition.selection_set) > max_depth:
                    name = definition.name.value if definition.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}",
                            definition,
                        )
                    )

    return DepthLimit


def written_aliases(document: DocumentNode) -> int:
    """Return how many fields carry an alias where the document writes them (fragments counted
    once each, not per spread): linear in the document's size.

    >>> from graphql import parse
    >>> doc = parse("{ a: person { b: key } ...F } fragment F on Q { c: viewer { key } }")
    >>> written_aliases(doc)
    3
    """
    count = 0
    pending: list[SelectionSetNode] = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                count += selection.alias is not None
                if selection.selection_set is not None:
                    pending.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
    return count


def alias_limit_rule(max_aliases: int) -> type[ValidationRule]:
    """Return a validation rule refusing documents that write more than ``max_aliases`` aliases.

    Aliases let one request ask the same costly root field thousands of times, each within the
    cost limit (20,000 ``person`` lookups took 20 s). Strawberry's ``MaxAliasesLimiter``
    expands every fragment spread anew, as its depth limiter did; this counts what is written.
    """

    class AliasLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            found = written_aliases(context.document)
            if found > max_aliases:
                context.report_error(
                    GraphQLError(f"{found} aliases found; at most {max_aliases} are allowed")
                )

    return AliasLimit


class QueryCostLimiter(SchemaExtension):
    """Refuse operations whose :func:`query_cost` is over ``max_cost``, after validation.

    The cost depends on the request's variables (``first: $n``), so it cannot be part of the
    cached validation, which is keyed by the document alone; it runs in ``on_validate`` right
    after the cache (list this extension after ``ValidationCache``).
    """

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not context.pre_execution_errors:
            errors = self._too_costly(
                context.schema._schema, document, context.variables, context.operation_name
            )
            if errors:
                context.pre_execution_errors = errors
        yield

    def _too_costly(
        self,
        schema: Any,
        document: DocumentNode,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
    ) -> list[GraphQLError]:
        # Only the operation that runs: the named one, else the first (Strawberry passes the
        # first one's name on). Costing all of them would take time quadratic in a document
        # of thousands of operations.
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            operations = [d for d in operations if d.name and d.name.value == operation_name]
        found = []
        for definition in operations[:1]:
            cost = query_cost(schema, document, definition, dict(variables or {}))
            if cost > self.max_cost:
                found.append(
                    GraphQLError(
                        f"query cost {cost} exceeds the limit {self.max_cost}",
                        definition,
                        extensions={
                            "code": "QUERY_TOO_COSTLY",
                            "cost": cost,
                            "limit": self.max_cost,
                        },
                    )
                )
        return found


# --- error masking -----------------------------------------------------------------------


def _is_unexpected(error: GraphQLError) -> bool:
    return error_kind(error) == "unexpected"


class _MaskUnexpectedErrors(MaskErrors):
    """Mask unexpected errors as ``Unexpected error.`` with code ``INTERNAL`` and a request id.

    The caller can quote the id; an operator finds the original, traceback and all, in the log
    line Strawberry writes for it, which carries the same id.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        extensions: dict[str, Any] = {"code": "INTERNAL"}
        request_id = current_request_id()
        if request_id is not None:
            extensions["requestId"] = request_id
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=extensions,
        )


# --- store outages ------------------------------------------------------------------------

STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
"""The error code of an operation that failed because the store could not be reached."""
STORE_RETRY_AFTER_S = 2
"""Seconds a caller is asked to wait before retrying after the store was unavailable."""


def _store_was_unavailable(error: GraphQLError) -> bool:
    return isinstance(error.original_error, StoreUnavailable)


class _ExplainStoreUnavailable(MaskErrors):
    """Answer ``the store is unavailable`` with code ``STORE_UNAVAILABLE`` and when to retry.

    The adapter's message names the server and the driver's reason: an operator's business,
    so it goes to the log, not to the caller. The original error stays attached, so metrics
    and the schema's error log still see a ``StoreUnavailable``.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=_store_was_unavailable)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        log.warning("store unavailable: %s", error.original_error)
        extensions: dict[str, Any] = {
            "code": STORE_UNAVAILABLE,
            "retryAfter": STORE_RETRY_AFTER_S,
        }
        request_id = current_request_id()
        if request_id is not None:
            extensions["requestId"] = request_id
        return GraphQLError(
            message=(
                f"the store is unavailable right now; retry after {STORE_RETRY_AFTER_S} s"
                " (a write that carries its keys is safe to send again)"
            ),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=error.original_error,
            extensions=extensions,
        )


# --- time budgets -------------------------------------------------------------------------

BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
"""The error code of an operation whose computation ran past its time budget."""


def _budget_was_exceeded(error: GraphQLError) -> bool:
    return isinstance(error.original_error, BudgetExceeded)


class _ExplainBudgetExceeded(MaskErrors):
    """Give a computation that ran past its budget code ``BUDGET_EXCEEDED`` and the budget.

    The message (what to narrow) is the domain's own and stays; so does the original error,
    for metrics.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=_budget_was_exceeded)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        assert isinstance(original, BudgetExceeded)
        extensions: dict[str, Any] = {
            "code": BUDGET_EXCEEDED,
            "budgetSeconds": original.seconds,
        }
        request_id = current_request_id()
        if request_id is not None:
            extensions["requestId"] = request_id
        return GraphQLError(
            message=str(original),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=original,
            extensions=extensions,
        )


def store_unavailable_retry_after(response: object) -> int | None:
    """Return the seconds to wait if a GraphQL response (or batch) failed on an unavailable store.

    The GraphQL endpoint answers such a response with 503 and ``Retry-After``, so clients and
    load balancers that look only at the status know to retry.

    >>> error = {"message": "m", "extensions": {"code": STORE_UNAVAILABLE, "retryAfter": 2}}
    >>> store_unavailable_retry_after({"data": None, "errors": [error]})
    2
    >>> store_unavailable_retry_after([{"data": {"x": 1}}]) is None
    True
    """
    results = response if isinstance(response, list) else [response]
    for result in results:
        errors = result.get("errors") if isinstance(result, dict) else None
        for error in errors or ():
            extensions = error.get("extensions") if isinstance(error, dict) else None
            if isinstance(extensions, dict) and extensions.get("code") == STORE_UNAVAILABLE:
                retry_after = extensions.get("retryAfter")
                return retry_after if isinstance(retry_after, int) else STORE_RETRY_AFTER_S
    return None


def graphql_protections(
    settings: Settings,
) -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    """Return the schema extensions that bound query depth and cost and mask unexpected errors.

    Each entry is a class or a factory, so Strawberry builds fresh instances per operation.
    Validation errors and the domain's own errors (:class:`~graph.domain.errors.TiegraphError`)
    keep their messages, except that an unavailable store is reported plainly, with code
    ``STORE_UNAVAILABLE``, and a computation past its time budget gets code
    ``BUDGET_EXCEEDED``; anything else becomes ``Unexpected error.`` with code ``INTERNAL``.
    """
    # One depth rule for the app's life: the validation cache is keyed by the rule classes,
    # so a rule made per request would never hit it.
    depth_rule = depth_limit_rule(settings.max_query_depth)
    alias_rule = alias_limit_rule(settings.max_query_aliases)
    return [
        lambda: AddValidationRules([depth_rule, alias_rule]),
        partial(QueryCostLimiter, max_cost=settings.max_query_cost),
        _MaskUnexpectedErrors,
        _ExplainStoreUnavailable,
        _ExplainBudgetExceeded,
    ]

"""How GraphQL errors are answered: unexpected ones masked, an unavailable store and a spent time
budget said plainly, with codes.

:func:`graphql_protections` returns the schema extensions: a depth limit, an alias limit, a cost
limit (:mod:`api.graphql.limits`), the masking of unexpected errors, and a plain answer when the
store is unavailable, which :func:`store_unavailable_retry_after` finds so that the GraphQL
endpoint answers 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLError,
)
from strawberry.extensions import SchemaExtension

from api.graphql.limits import QueryCostLimiter, alias_limit_rule, depth_limit_rule
from api.graphql.operations import OperationDone, Operations
from api.request_id import current_request_id
from api.settings import Settings
from graph.domain.errors import BudgetExceeded, StoreUnavailable, TiegraphError

__all__ = [
    "BUDGET_EXCEEDED",
    "STORE_RETRY_AFTER_S",
    "STORE_UNAVAILABLE",
    "answer_error",
    "error_kind",
    "graphql_protections",
    "operation_protections",
    "store_unavailable_retry_after",
]

log = logging.getLogger("tiegraph.graphql")


def error_kind(error: GraphQLError) -> str:
    """Classify a GraphQL error: ``unexpected``, ``invalid_request`` or a domain error's name.

    Errors without an original exception (syntax, validation, variable coercion) and those a
    resolver raised on purpose as ``GraphQLError`` are the caller's doing. Domain errors are
    named after their class (``NotFound`` -> ``not_found``). Anything else is a bug or an outage
    and is ``unexpected``.

    >>> error_kind(GraphQLError("Cannot query field 'x' on type 'Query'."))
    'invalid_request'
    >>> from graph.domain.errors import NotFound
    >>> error_kind(GraphQLError("gone", original_error=NotFound("person", "p1")))
    'not_found'
    >>> error_kind(GraphQLError("boom", original_error=RuntimeError("boom")))
    'unexpected'
    """
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return "invalid_request"
    if isinstance(original, TiegraphError):
        return re.sub(r"(?<!^)(?=[A-Z])", "_", type(original).__name__).lower()
    return "unexpected"


# --- error answers ------------------------------------------------------------------------

STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
"""The error code of an operation that failed because the store could not be reached."""
STORE_RETRY_AFTER_S = 2
"""Seconds a caller is asked to wait before retrying after the store was unavailable."""

BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
"""The error code of an operation whose computation ran past its time budget."""

UNEXPECTED = "Unexpected error."


def _with_request_id(extensions: dict[str, Any]) -> dict[str, Any]:
    request_id = current_request_id()
    if request_id is not None:
        extensions["requestId"] = request_id
    return extensions


def _rewritten(
    error: GraphQLError, message: str, original: Exception | None, extensions: dict[str, Any]
) -> GraphQLError:
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions=_with_request_id(extensions),
    )


def answer_error(error: GraphQLError) -> GraphQLError:
    """Rewrite one error of a result for the caller.

    - A computation that ran past its budget keeps the domain's message (what to narrow) and
      gets code ``BUDGET_EXCEEDED`` and the budget.
    - An unavailable store is answered ``the store is unavailable`` with code
      ``STORE_UNAVAILABLE`` and when to retry. The adapter's message names the server and the
      driver's reason: an operator's business, so it goes to the log, not to the caller.
    - Anything unexpected (a bug, an outage) becomes ``Unexpected error.`` with code
      ``INTERNAL`` and the request id, which the caller can quote; an operator finds the
      original, traceback and all, in the log line Strawberry writes for it.
    - Validation errors and the domain's own errors keep their messages.

    The original error stays attached to the first two, so metrics and the schema's error log
    still see it.
    """
    original = error.original_error
    if isinstance(original, BudgetExceeded):
        return _rewritten(
            error,
            str(original),
            original,
            {"code": BUDGET_EXCEEDED, "budgetSeconds": original.seconds},
        )
    if isinstance(original, StoreUnavailable):
        log.warning("store unavailable: %s", original)
        return _rewritten(
            error,
            f"the store is unavailable right now; retry after {STORE_RETRY_AFTER_S} s"
            " (a write that carries its keys is safe to send again)",
            original,
            {"code": STORE_UNAVAILABLE, "retryAfter": STORE_RETRY_AFTER_S},
        )
    if error_kind(error) == "unexpected":
        return _rewritten(error, UNEXPECTED, None, {"code": "INTERNAL"})
    return error


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


def operation_protections(
    settings: Settings, *, on_done: OperationDone | None = None
) -> Operations:
    """Return what bounds query depth, aliases and cost and answers errors, for every operation.

    Its schema extension (:meth:`~api.graphql.operations.Operations.extension`) also parses and
    validates each document once; ``on_done`` is told of each operation (the metrics).
    Validation errors and the domain's own errors (:class:`~graph.domain.errors.TiegraphError`)
    keep their messages, except that an unavailable store is reported plainly, with code
    ``STORE_UNAVAILABLE``, and a computation past its time budget gets code
    ``BUDGET_EXCEEDED``; anything else becomes ``Unexpected error.`` with code ``INTERNAL``
    (:func:`answer_error`).
    """
    # One depth rule for the app's life: validation is cached by the rules too, so a rule made
    # per request would never hit the cache.
    rules = (
        depth_limit_rule(settings.max_query_depth),
        alias_limit_rule(settings.max_query_aliases),
    )
    cost = QueryCostLimiter(max_cost=settings.max_query_cost)
    return Operations(rules=rules, check=cost.refusals, answer=answer_error, on_done=on_done)


def graphql_protections(
    settings: Settings, *, on_done: OperationDone | None = None
) -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    """Return the schema extension of :func:`operation_protections`, as a list to build a
    schema with."""
    return [operation_protections(settings, on_done=on_done).extension()]

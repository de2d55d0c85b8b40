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
from functools import partial
from typing import Any

from graphql import (
    GraphQLError,
)
from strawberry.extensions import AddValidationRules, MaskErrors, SchemaExtension

from api.graphql.limits import QueryCostLimiter, alias_limit_rule, depth_limit_rule
from api.request_id import current_request_id
from api.settings import Settings
from graph.domain.errors import BudgetExceeded, StoreUnavailable, TiegraphError

__all__ = [
    "BUDGET_EXCEEDED",
    "STORE_RETRY_AFTER_S",
    "STORE_UNAVAILABLE",
    "error_kind",
    "graphql_protections",
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

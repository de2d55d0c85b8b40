"""One schema extension for everything an operation goes through before and after it runs.

Frontends send the same few documents again and again, so a document is parsed once and
validated once (the depth and alias rules included), keyed by its text; the cost limit, which
depends on the variables, runs on every request. After the operation, errors are answered as
:mod:`api.graphql.errors` says (masked, or explained with a code) and the outcome is handed to
``on_done`` (the metrics), which sees the errors as they were raised.

Strawberry builds every extension anew for each operation and wraps each of its hooks in a
context manager: eight extensions cost more than a third of a lookup's own CPU (see
``docs/benchmarks.md``). This one does their work for the price of one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Final, Generic, TypeVar

from graphql import DocumentNode, GraphQLError, parse
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.validation import ASTValidationRule, validate
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types import ExecutionResult as StrawberryExecutionResult

__all__ = ["DOCUMENTS_KEPT", "OperationDone", "operation_extension"]

DOCUMENTS_KEPT: Final = 256
"""Distinct documents whose parse and validation are kept (least recently used goes first)."""

OperationDone = Callable[[ExecutionContext, float, bool], None]
"""Told of each operation: its context (errors still unmasked), seconds taken, whether it
raised."""

ErrorAnswer = Callable[[GraphQLError], GraphQLError]
"""Rewrites one error for the caller (masking it or explaining it), or returns it unchanged."""


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """A dict that keeps the ``size`` most recently used entries."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> None:
        self.entries[key] = value
        self.entries.move_to_end(key)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)


def operation_extension(
    *,
    rules: tuple[type[ASTValidationRule], ...],
    check: Callable[[ExecutionContext], list[GraphQLError]],
    answer: ErrorAnswer,
    on_done: OperationDone | None = None,
    documents_kept: int = DOCUMENTS_KEPT,
) -> Callable[[], SchemaExtension]:
    """Return a factory of the extension (Strawberry makes one per operation).

    ``rules`` are validation rules added to the schema's, ``check`` refuses a valid operation
    on its variables (the cost limit), ``answer`` rewrites each error of the result.
    """
    parsed: _Lru[str, DocumentNode] = _Lru(documents_kept)
    validated: _Lru[tuple[str, tuple[type[ASTValidationRule], ...]], list[GraphQLError]] = _Lru(
        documents_kept
    )

    class Operation(SchemaExtension):
        """Cached parse and validation, the variable-dependent check, error answers, metrics."""

        def __init__(self) -> None:  # no state beyond the execution context Strawberry sets
            pass

        def on_operation(self) -> Iterator[None]:
            context = self.execution_context
            started = time.perf_counter()
            failed = True
            try:
                yield
                failed = False
            finally:
                if on_done is not None:
                    on_done(context, time.perf_counter() - started, failed)
                result = context.result
                answerable = isinstance(result, GraphQLExecutionResult | StrawberryExecutionResult)
                if answerable and result is not None and result.errors:
                    result.errors = [answer(error) for error in result.errors]

        def on_parse(self) -> Iterator[None]:
            context = self.execution_context
            query = context.query
            if query is not None and context.graphql_document is None:
                document = parsed.get(query)
                if document is None:
                    document = parse(query, **context.parse_options)  # raises on bad syntax
                    parsed.put(query, document)
                context.graphql_document = document
            yield

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            document = context.graphql_document
            query = context.query
            if document is not None and query is not None and context.pre_execution_errors is None:
                all_rules = (*context.validation_rules, *rules)
                key = (query, all_rules)
                errors = validated.get(key)
                if errors is None:
                    errors = validate(context.schema._schema, document, all_rules)
                    validated.put(key, errors)
                context.pre_execution_errors = list(errors) or check(context) or []
            yield

    return Operation

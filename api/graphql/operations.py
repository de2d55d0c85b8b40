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

__all__ = ["DOCUMENTS_KEPT", "OperationDone", "Operations", "operation_extension"]

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


class Operations:
    """Parsing and validation kept per document text, the variable-dependent check, error
    answers and metrics: what every operation goes through, whichever way it is run.

    The schema extension (:meth:`extension`) runs it inside Strawberry's execution; the direct
    path for plain JSON POSTs (:mod:`api.http.direct`) calls :meth:`prepare` and
    :meth:`finish` around graphql-core's execution itself, with the same caches.
    """

    def __init__(
        self,
        *,
        rules: tuple[type[ASTValidationRule], ...],
        check: Callable[[ExecutionContext], list[GraphQLError]],
        answer: ErrorAnswer,
        on_done: OperationDone | None = None,
        documents_kept: int = DOCUMENTS_KEPT,
    ) -> None:
        self.rules = rules
        self.check = check
        self.answer = answer
        self.on_done = on_done
        self._parsed: _Lru[str, DocumentNode] = _Lru(documents_kept)
        self._validated: _Lru[
            tuple[str, tuple[type[ASTValidationRule], ...]], list[GraphQLError]
        ] = _Lru(documents_kept)

    def parse(self, context: ExecutionContext) -> None:
        """Set the context's document from its query, parsed once per text (raises
        :class:`GraphQLError` on bad syntax)."""
        query = context.query
        if query is not None and context.graphql_document is None:
            document = self._parsed.get(query)
            if document is None:
                document = parse(query, **context.parse_options)
                self._parsed.put(query, document)
            context.graphql_document = document

    def validate(self, context: ExecutionContext) -> None:
        """Set the context's pre-execution errors: the schema's rules and ours (validated once
        per text), else the check on the variables (none if the operation may run)."""
        document = context.graphql_document
        query = context.query
        if document is not None and query is not None and context.pre_execution_errors is None:
            all_rules = (*context.validation_rules, *self.rules)
            key = (query, all_rules)
            errors = self._validated.get(key)
            if errors is None:
                errors = validate(context.schema._schema, document, all_rules)
                self._validated.put(key, errors)
            context.pre_execution_errors = list(errors) or self.check(context) or []

    def finish(self, context: ExecutionContext, started: float, failed: bool) -> None:
        """Tell ``on_done`` of the operation, then answer its errors for the caller."""
        if self.on_done is not None:
            self.on_done(context, time.perf_counter() - started, failed)
        result = context.result
        answerable = isinstance(result, GraphQLExecutionResult | StrawberryExecutionResult)
        if answerable and result is not None and result.errors:
            result.errors = [self.answer(error) for error in result.errors]

    def extension(self) -> Callable[[], SchemaExtension]:
        """Return a factory of the schema extension (Strawberry makes one per operation)."""
        operations = self

        class Operation(SchemaExtension):
            """Cached parse and validation, the variable-dependent check, error answers,
            metrics."""

            def __init__(self) -> None:  # no state beyond the context Strawberry sets
                pass

            def on_operation(self) -> Iterator[None]:
                context = self.execution_context
                started = time.perf_counter()
                failed = True
                try:
                    yield
                    failed = False
                finally:
                    operations.finish(context, started, failed)

            def on_parse(self) -> Iterator[None]:
                operations.parse(self.execution_context)
                yield

            def on_validate(self) -> Iterator[None]:
                operations.validate(self.execution_context)
                yield

        return Operation


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
    return Operations(
        rules=rules, check=check, answer=answer, on_done=on_done, documents_kept=documents_kept
    ).extension()

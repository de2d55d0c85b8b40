"""The direct path for the requests frontends send most: one query or mutation POSTed as JSON.

Strawberry's HTTP view serves every kind of GraphQL request (GET, multipart uploads, batches,
subscriptions over SSE, the IDE) and its schema runs each operation through extension hooks,
each a context manager; for a person lookup that machinery costs more than the lookup itself
(see ``docs/benchmarks.md``). A POST whose body is one JSON operation, by a signed-in viewer,
whose document parses and validates (both cached by :class:`~api.graphql.operations.Operations`)
and passes the cost check is run here instead: graphql-core's ``execute`` over the schema
Strawberry built, with the same context, executor class, error answers, error log and metrics,
and answered with the same JSON.

Anything else -- another content type, a batch, a persisted query not known yet, a syntax or
validation error, a refused cost, a subscription -- goes to Strawberry's view unchanged, which
answers it as before. A test sends the same requests down both paths and compares the answers.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeGuard, cast

import strawberry
from graphql import DocumentNode, OperationType, get_operation_ast
from graphql import ExecutionResult as GraphQLExecutionResult
from starlette.responses import Response
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.http import process_result
from strawberry.schema._graphql_core import execute, execution_context_class_kwargs
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType as StrawberryOperationType

from api.graphql.errors import store_unavailable_retry_after
from api.graphql.operations import Operations
from api.graphql.types import Context
from api.http.persisted import PersistedQueries
from graph.usecases.service import Service
from graph.usecases.viewer import Viewer

__all__ = ["DirectExecution"]

_KEYS: Final = frozenset({"query", "variables", "operationName", "extensions"})
_RUNS_HERE: Final = (OperationType.QUERY, OperationType.MUTATION)
_ALLOWED: Final = frozenset(StrawberryOperationType.from_http("POST"))
"""What Strawberry allows over POST; a subscription never gets this far (it goes to the view,
which refuses it over HTTP)."""

_IS_AWAITABLE: Final = cast("Callable[[Any], TypeGuard[Awaitable[Any]]]", optimized_is_awaitable)
"""Strawberry's test for an awaitable result, which graphql-core calls for every field."""


class DirectExecution:
    """Run one plain JSON operation without Strawberry's HTTP view and extension hooks."""

    def __init__(
        self,
        schema: strawberry.Schema,
        operations: Operations,
        persisted: PersistedQueries,
        *,
        parse_json: Callable[[bytes], Any],
        encode_json: Callable[[object], str],
    ) -> None:
        self.schema = schema
        self.operations = operations
        self.persisted = persisted
        self.parse_json = parse_json
        self.encode_json = encode_json
        self._executor = execution_context_class_kwargs(schema.execution_context_class)
        self.answered = 0
        """How many requests this path answered (the rest went to the view)."""

    async def answer(self, body: bytes, viewer: Viewer, service: Service) -> Response | None:
        """Answer the request, or return ``None`` for Strawberry's view to answer it."""
        request = self._request(body)
        if request is None:
            return None
        query, variables, operation_name, extensions = request
        try:
            query = self.persisted.resolve(query, extensions, owner=viewer.subject)
        except Exception:  # a hash not known yet, or a malformed one: the view answers it
            return None
        if query is None:
            return None
        context = self.schema._create_execution_context(
            query=query,
            allowed_operation_types=_ALLOWED,
            variable_values=variables,
            context_value=Context(service, viewer),
            root_value=None,
            operation_name=operation_name,
            operation_extensions=extensions,
        )
        try:
            self.operations.parse(context)
        except Exception:  # a document that does not parse: the view answers the error
            return None
        document = context.graphql_document
        assert document is not None
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation not in _RUNS_HERE:
            return None
        self.operations.validate(context)
        if context.pre_execution_errors:
            return None
        self.answered += 1
        return await self._execute(context, document)

    def _request(
        self, body: bytes
    ) -> tuple[str | None, dict[str, Any] | None, str | None, dict[str, Any] | None] | None:
        """The body's query, variables, operation name and extensions, if it is one plain
        operation; ``None`` for anything the view must judge."""
        try:
            data = self.parse_json(body)
        except Exception:  # not JSON, or JSON the service refuses: the view answers it
            return None
        if not isinstance(data, dict) or not data.keys() <= _KEYS:
            return None
        query = data.get("query")
        variables = data.get("variables")
        operation_name = data.get("operationName")
        extensions = data.get("extensions")
        if (
            not (query is None or isinstance(query, str))
            or not (variables is None or isinstance(variables, dict))
            or not (operation_name is None or isinstance(operation_name, str))
            or not (extensions is None or isinstance(extensions, dict))
        ):
            return None
        return query, variables, operation_name, extensions

    async def _execute(self, context: ExecutionContext, document: DocumentNode) -> Response:
        started = time.perf_counter()
        failed = True
        try:
            result = execute(
                self.schema._schema,
                document,
                root_value=None,
                middleware=None,
                variable_values=context.variables,
                operation_name=context.operation_name,
                context_value=context.context,
                is_awaitable=_IS_AWAITABLE,
                operation_extensions=context.operation_extensions,
                **self._executor,
            )
            if inspect.isawaitable(result):
                result = await result
            assert isinstance(result, GraphQLExecutionResult)
            context.result = result
            if result.errors:
                context.pre_execution_errors = result.errors
                self.schema._process_errors(result.errors, context)
            failed = False
        finally:
            self.operations.finish(context, started, failed)
        answer = process_result(context.result)
        response = Response(
            self.encode_json(answer), status_code=200, media_type="application/json"
        )
        retry_after = store_unavailable_retry_after(answer)
        if retry_after is not None:
            response.status_code = 503
            response.headers["Retry-After"] = str(retry_after)
        return response

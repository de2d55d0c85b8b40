"""Limits on a GraphQL operation's shape: depth, aliases and cost, checked before it runs.

:func:`query_cost` prices an operation from its selections and page sizes; the validation rules
from :func:`depth_limit_rule` and :func:`alias_limit_rule` and the :class:`QueryCostLimiter`
extension refuse what is over the settings' limits (:func:`api.graphql.errors.graphql_protections`
assembles them with the error answers).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

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
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graph.domain.cohorts import ITERATIONS_PER_APPLICANT
from graph.domain.paths import MAX_HOPS
from graph.ports import MAX_PAGE
from graph.usecases.meetings import MAX_APPLICANTS

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "PATH_FAN_OUT",
    "PROPOSALS_PER_COST",
    "QueryCostLimiter",
    "alias_limit_rule",
    "depth_limit_rule",
    "query_cost",
    "query_depth",
    "written_aliases",
]

DEFAULT_PAGE_SIZE = 20
"""Items a ``first`` argument stands for when the query leaves it out and it has no default."""
MAX_PAGE_SIZE = MAX_PAGE
"""The most items one page may hold (the store's limit); larger ``first`` values count as this."""
PATH_FAN_OUT = 8
"""What each hop of an introduction path search multiplies its work by, in cost units."""
PROPOSALS_PER_COST = 20
"""Proposed swaps of a cohort composition that count as one cost unit."""


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
    return _CostCounter(schema, document, {} if variables is None else variables).operation(
        operation
    )


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


FIXED_COSTS_KEPT = 256
"""Documents whose cost, read from their text alone, is kept."""


class _Reads(Mapping[str, Any]):
    """A request's variables, noting which ones the cost was read from."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.given = values
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        self.read.add(name)
        return self.given[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.read.add(name)
        return name in self.given

    def __iter__(self) -> Iterator[str]:
        self.read.update(self.given)  # reading them all depends on them all
        return iter(self.given)

    def __len__(self) -> int:
        self.read.add("")  # the count of variables is a reading too
        return len(self.given)


class QueryCostLimiter(SchemaExtension):
    """Refuse operations whose :func:`query_cost` is over ``max_cost``, after validation.

    The cost depends on the request's variables (``first: $n``), so it cannot be part of the
    cached validation, which is keyed by the document alone; it runs in ``on_validate`` right
    after the cache (list this extension after ``ValidationCache``).
    """

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost
        # Costs that read no variable, by (schema, query, operation): most documents' cost is
        # fixed by their text, and counting walks the whole document.
        self._fixed: dict[tuple[int, str, str | None], list[GraphQLError]] = {}

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors:
            errors = self.refusals(context)
            if errors:
                context.pre_execution_errors = errors
        yield

    def refusals(self, context: ExecutionContext) -> list[GraphQLError]:
        """The errors refusing a valid operation that costs too much (none if it does not).

        A document whose cost reads no variable is costed once (up to ``FIXED_COSTS_KEPT``).
        """
        document = context.graphql_document
        if document is None:
            return []
        schema = context.schema._schema
        key = (id(schema), context.query or "", context.operation_name)
        fixed = self._fixed.get(key)
        if fixed is not None:
            return list(fixed)
        variables = _Reads(context.variables or {})
        errors = self._too_costly(schema, document, variables, context.operation_name)
        if not variables.read and context.query is not None:
            if len(self._fixed) >= FIXED_COSTS_KEPT:
                self._fixed.pop(next(iter(self._fixed)))
            self._fixed[key] = list(errors)
        return errors

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
            cost = query_cost(schema, document, definition, variables)
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

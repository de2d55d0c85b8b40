"""Hypothesis strategies for GraphQL operations against tiegraph's schema, mostly hostile.

Two generators:

* ``hypothesis-graphql`` builds whole documents from the schema (inline argument values), valid
  ones (``Mode.POSITIVE``) and ones with exactly one schema violation (``Mode.NEGATIVE``). Our
  scalars get strategies of their own: ids of the demo's records (so operations reach real
  data) mixed with hostile text; absurd instants and dates beside ordinary ones.
* :func:`operations_with_variables` picks one root field and passes every argument it chooses as
  a variable, with JSON values that fit the argument's type most of the time and are anything
  at all otherwise.

The schema is the one the service runs (``api.graphql.schema.schema``); ``schema.graphql`` is
checked to equal it by ``tests/api/test_service.py``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, TypeVar

import graphql
import hypothesis_graphql as hg
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
)
from hypothesis import strategies as st

from api.graphql.schema import schema
from api.graphql.types import global_id
from tests.hostile.support import CORE_IDS, HOSTILE_TEXT

__all__ = [
    "CALLERS",
    "OUTCOME",
    "SCHEMA",
    "invalid_queries",
    "mutations",
    "operations_with_variables",
    "queries",
]

T = TypeVar("T")

SCHEMA: graphql.GraphQLSchema = schema._schema
OUTCOME = "hostileOutcome"
"""The alias under which each mutation's result reports its ``__typename``."""

CALLERS: st.SearchStrategy[tuple[str | None, str]] = st.sampled_from(
    [(None, "admin"), ("amir", "member"), ("lena", "leader"), ("stranger", "member")]
)
"""Who calls: (person, role). Admins reach every resolver; the others meet the policy."""

# -- values -------------------------------------------------------------------------------------

_NODE_TYPES = {
    "person": "Person",
    "group": "Group",
    "meeting": "Meeting",
    "introduction": "Introduction",
    "organization": "Organization",
}
KNOWN_IDS: tuple[str, ...] = (
    *(key for kind in _NODE_TYPES for key in CORE_IDS[kind][:4]),
    *(global_id(name, CORE_IDS[kind][0]) for kind, name in _NODE_TYPES.items()),
    global_id("Person", "nobody"),
    global_id("Interest", "ai"),
    global_id("Nope", "amir"),
    "UGVyc29uOg",  # "Person:" with no key
)
"""Keys and global ids of the demo's records, and global ids that are almost right."""

ABSURD_INSTANTS: tuple[str, ...] = (
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-14:00",
    "1899-12-31T23:59:59Z",
    "2201-01-01T00:00:00Z",
    "2024-02-30T10:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-01-01T25:00:00Z",
    "2024-01-01T00:00:00",
    "2024-01-01T00:00:00+24:00",
    "2024-01-01",
    "1e20",
    "now",
    "",
)
ABSURD_DATES: tuple[str, ...] = (
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "2024-02-30",
    "2024-01-01T00:00:00Z",
    "-1-01-01",
    "",
)
_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))])
INT_EDGES: tuple[int, ...] = (0, -1, 1, 2, 4, 20, 50, 100, 101, 1000, 1001, 3650, 3651)
INT32 = (-(2**31), 2**31 - 1)


def cursor_for(key: str) -> str:
    """The cursor the API gives out for the item with ``key``."""
    return base64.urlsafe_b64encode(f"after:{key}".encode()).decode()


def _mostly(usual: st.SearchStrategy[T], odd: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``usual`` four times in five, ``odd`` otherwise: odd values everywhere would stop every
    operation at its first argument, and the resolvers behind it would never run."""
    # Hypothesis favours small draws (0 above all), so the usual values are the small rolls.
    return st.integers(0, 9).flatmap(lambda roll: usual if roll < 8 else odd)


_ORDINARY_INSTANTS = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30), timezones=_ZONES
).map(datetime.isoformat)
_ORDINARY_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)).map(
    date.isoformat
)
_ORDINARY_TEXT = st.text(min_size=1, max_size=40) | st.sampled_from(KNOWN_IDS).map(cursor_for)
"""Text, and cursors the API gives out (after a known key), which the ``after`` arguments need."""


def _string_node(value: str) -> graphql.ValueNode:
    return graphql.StringValueNode(value=value)


def _int_node(value: int) -> graphql.ValueNode:
    return graphql.IntValueNode(value=str(value))


SCALAR_NODES: Mapping[str, st.SearchStrategy[graphql.ValueNode]] = {
    "ID": _mostly(
        st.sampled_from(KNOWN_IDS).map(_string_node),
        (st.sampled_from(HOSTILE_TEXT) | st.text(max_size=24)).map(_string_node)
        | st.integers(-5, 2**40).map(_int_node),
    ),
    "String": _mostly(_ORDINARY_TEXT, st.sampled_from(HOSTILE_TEXT)).map(_string_node),
    "Int": _mostly(
        st.integers(0, 100), st.sampled_from(INT_EDGES + INT32) | st.integers(*INT32)
    ).map(_int_node),
    "DateTime": _mostly(
        _ORDINARY_INSTANTS.map(_string_node),
        st.sampled_from(ABSURD_INSTANTS).map(_string_node)
        | st.sampled_from([0, 10**20]).map(_int_node),
    ),
    "Date": _mostly(_ORDINARY_DATES, st.sampled_from(ABSURD_DATES)).map(_string_node),
}
"""Value nodes for the scalars, for hypothesis-graphql."""


def _with_outcome(document: DocumentNode) -> str:
    """Print ``document`` with ``hostileOutcome: __typename`` in each root field's selection."""
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            fields = []
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode) and selection.selection_set is not None:
                    outcome = FieldNode(
                        alias=NameNode(value=OUTCOME),
                        name=NameNode(value="__typename"),
                        arguments=(),
                        directives=(),
                    )
                    selection = FieldNode(
                        alias=selection.alias,
                        name=selection.name,
                        arguments=selection.arguments,
                        directives=selection.directives,
                        selection_set=SelectionSetNode(
                            selections=(*selection.selection_set.selections, outcome)
                        ),
                    )
                fields.append(selection)
            definition = OperationDefinitionNode(
                operation=definition.operation,
                name=definition.name,
                variable_definitions=definition.variable_definitions,
                directives=definition.directives,
                selection_set=SelectionSetNode(selections=tuple(fields)),
            )
        definitions.append(definition)
    return graphql.print_ast(DocumentNode(definitions=tuple(definitions)))


queries: st.SearchStrategy[str] = hg.queries(SCHEMA, custom_scalars=SCALAR_NODES)
"""Valid queries selecting random fields with random arguments."""

invalid_queries: st.SearchStrategy[str] = hg.queries(
    SCHEMA, custom_scalars=SCALAR_NODES, mode=hg.Mode.NEGATIVE
)
"""Queries with exactly one schema violation: a wrong type, a missing argument, an unknown enum."""

mutations: st.SearchStrategy[str] = st.one_of(
    hg.mutations(SCHEMA, custom_scalars=SCALAR_NODES, print_ast=_with_outcome),
    hg.mutations(
        SCHEMA, custom_scalars=SCALAR_NODES, print_ast=_with_outcome, mode=hg.Mode.NEGATIVE
    ),
)
"""Mutations, valid and invalid, each reporting its outcome under :data:`OUTCOME`."""

# -- operations with variables ------------------------------------------------------------------

_JSON_SCALARS: Mapping[str, st.SearchStrategy[Any]] = {
    "ID": _mostly(
        st.sampled_from(KNOWN_IDS),
        st.sampled_from(HOSTILE_TEXT) | st.text(max_size=24) | st.integers(-5, 2**40),
    ),
    "String": _mostly(_ORDINARY_TEXT, st.sampled_from(HOSTILE_TEXT)),
    "Int": _mostly(
        st.integers(0, 100),
        st.sampled_from((*INT_EDGES, *INT32, 2**31, -(2**31) - 1, 10**30)),
    ),
    "Float": _mostly(
        st.floats(0, 1000), st.floats(allow_nan=False) | st.sampled_from([1e308, -0.0])
    ),
    "Boolean": st.booleans(),
    "DateTime": _mostly(_ORDINARY_INSTANTS, st.sampled_from((*ABSURD_INSTANTS, 0, 1e20, -1))),
    "Date": _mostly(_ORDINARY_DATES, st.sampled_from(ABSURD_DATES)),
}

_ANYTHING: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(HOSTILE_TEXT)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
"""Any JSON value: what a careless or hostile client may send for a variable."""


def json_values(type_: GraphQLInputType, depth: int = 0) -> st.SearchStrategy[Any]:
    """JSON for a variable of ``type_``: fitting 19 times in 20 (odd scalars included), anything
    at all otherwise."""
    fitting = _fitting(type_, depth)
    return st.integers(0, 19).flatmap(lambda roll: fitting if roll < 19 else _ANYTHING)


def _fitting(type_: GraphQLInputType, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(type_, GraphQLNonNull):
        return _present(type_.of_type, depth)
    return _mostly(_present(type_, depth), st.none())


def _present(type_: GraphQLInputType, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(type_, GraphQLScalarType):
        return _JSON_SCALARS.get(type_.name, _ANYTHING)
    if isinstance(type_, GraphQLEnumType):
        return _mostly(st.sampled_from(sorted(type_.values)), st.sampled_from(HOSTILE_TEXT))
    if isinstance(type_, GraphQLList):
        return st.lists(json_values(type_.of_type, depth + 1), max_size=4 if depth < 2 else 1)
    if isinstance(type_, GraphQLInputObjectType) and depth < 3:
        required = {
            name: json_values(field.type, depth + 1)
            for name, field in sorted(type_.fields.items())
            if graphql.is_required_input_field(field)
        }
        optional = {
            name: json_values(field.type, depth + 1)
            for name, field in sorted(type_.fields.items())
            if name not in required
        }
        return st.fixed_dictionaries(required, optional=optional)
    return _ANYTHING


@st.composite
def _operation(
    draw: st.DrawFn, root: GraphQLObjectType, keyword: str
) -> tuple[str, dict[str, Any]]:
    name, field = draw(st.sampled_from(sorted(root.fields.items())))
    chosen = [
        arg
        for arg, definition in sorted(field.args.items())
        if isinstance(definition.type, GraphQLNonNull) or draw(st.booleans())
    ]
    declared = ", ".join(f"${arg}: {field.args[arg].type}" for arg in chosen)
    passed = ", ".join(f"{arg}: ${arg}" for arg in chosen)
    selection = "" if is_leaf_type(get_named_type(field.type)) else f" {{ {OUTCOME}: __typename }}"
    document = (
        f"{keyword} Fuzzed{f'({declared})' if chosen else ''}"
        f" {{ {name}{f'({passed})' if chosen else ''}{selection} }}"
    )
    variables = {arg: draw(json_values(field.args[arg].type)) for arg in chosen}
    if chosen and draw(st.integers(0, 9)) == 9:
        del variables[draw(st.sampled_from(chosen))]  # a variable the operation needs, missing
    return document, variables


def operations_with_variables() -> st.SearchStrategy[tuple[str, str, dict[str, Any]]]:
    """``(keyword, document, variables)``: one root field, its arguments given as variables."""
    query_type, mutation_type = SCHEMA.query_type, SCHEMA.mutation_type
    assert query_type is not None
    assert mutation_type is not None
    return st.one_of(
        _operation(query_type, "query").map(lambda op: ("query", *op)),
        _operation(mutation_type, "mutation").map(lambda op: ("mutation", *op)),
    )

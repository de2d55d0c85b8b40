"""Random operations from the schema never fail the service, never leak, never write by accident.

Every example is POSTed over HTTP to the app ``create_app`` builds, as an admin, a leader or a
member. The examples are the same on every run (``derandomize``); ``TIEGRAPH_FUZZ_EXAMPLES``
sets how many each test runs, for longer runs locally.

The long runs use the embedded store, the fake every service test runs on, with a digest of
the whole store (read through its port) before and after each example. Neo4j gets targeted
runs of the same strategies, fewer examples each: there a digest takes half a second, so each
example compares the store's counts, and the query run compares the full digest once at the
end (queries must never write, so any write shows there).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given, settings

from graph.usecases.viewer import Role
from tests.api.conftest import Api
from tests.hostile.strategies import (
    CALLERS,
    OUTCOME,
    invalid_queries,
    mutations,
    operations_with_variables,
    queries,
)
from tests.hostile.support import (
    FUZZ_SETTINGS,
    assert_clean,
    fuzz_examples,
    served_store,
    store_digest,
)

REJECTIONS = frozenset({"InvalidInput", "NotFound", "Forbidden", "Conflict"})
"""A mutation result of one of these types says that nothing was changed."""

Snapshot = Callable[[], Awaitable[object]]
"""Something that changes whenever the store's contents do (or, on Neo4j, its counts)."""

Caller = tuple[str | None, str]


def _headers(api: Api, caller: Caller) -> dict[str, str]:
    person, role = caller
    return api.as_(person, Role(role))


def _rejected(body: dict[str, Any] | None) -> bool:
    """Whether every root field of a mutation was refused (so nothing may have changed)."""
    if body is None or body.get("data") is None:
        return True
    return all(
        value is None or (isinstance(value, dict) and value.get(OUTCOME) in REJECTIONS)
        for value in body["data"].values()
    )


def _digest(api: Api) -> Snapshot:
    store = served_store(api)
    return lambda: store_digest(store)


def _counts(api: Api) -> Snapshot:
    return served_store(api).counts


@pytest.fixture
async def neo4j_queries_never_write(neo4j_service: Api) -> AsyncIterator[Api]:
    """``neo4j_service``, whose whole digest must be the same after the test as before it."""
    before = await store_digest(served_store(neo4j_service))
    yield neo4j_service
    assert await store_digest(served_store(neo4j_service)) == before, "a query wrote to Neo4j"


# -- the checks ---------------------------------------------------------------------------------


async def query_is_answered_cleanly(
    api: Api, snapshot: Snapshot, query: str, caller: Caller
) -> None:
    before = await snapshot()

    response = await api.client.post(
        "/graphql", json={"query": query}, headers=_headers(api, caller)
    )

    assert_clean(response, query)
    assert await snapshot() == before, f"a query changed the store: {query}"


async def mutation_is_answered_cleanly(
    api: Api, snapshot: Snapshot, mutation: str, caller: Caller
) -> None:
    before = await snapshot()

    response = await api.client.post(
        "/graphql", json={"query": mutation}, headers=_headers(api, caller)
    )

    body = assert_clean(response, mutation)
    if _rejected(body):
        assert await snapshot() == before, f"a refused mutation wrote: {mutation}"


async def variables_are_answered_cleanly(
    api: Api, snapshot: Snapshot, operation: tuple[str, str, dict[str, Any]], caller: Caller
) -> None:
    keyword, document, variables = operation
    before = await snapshot()

    response = await api.client.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers=_headers(api, caller),
    )

    sent = response.request.content.decode("utf-8")
    body = assert_clean(response, sent)
    if keyword == "query" or _rejected(body):
        assert await snapshot() == before, f"{sent} changed the store"


# -- on the embedded store ----------------------------------------------------------------------


@settings(FUZZ_SETTINGS, max_examples=fuzz_examples(150))
@given(query=queries, caller=CALLERS)
async def test_random_queries_neither_fail_nor_leak_nor_write(
    service: Api, query: str, caller: Caller
) -> None:
    await query_is_answered_cleanly(service, _digest(service), query, caller)


@settings(FUZZ_SETTINGS, max_examples=fuzz_examples(60))
@given(query=invalid_queries, caller=CALLERS)
async def test_queries_that_break_the_schema_are_refused_with_a_reason(
    service: Api, query: str, caller: Caller
) -> None:
    response = await service.client.post(
        "/graphql", json={"query": query}, headers=_headers(service, caller)
    )

    body = assert_clean(response, query)
    assert body is not None
    assert body.get("data") is None, body
    assert body["errors"], body
    assert all(error["message"] for error in body["errors"])


@settings(FUZZ_SETTINGS, max_examples=fuzz_examples(60))
@given(mutation=mutations, caller=CALLERS)
async def test_random_mutations_neither_fail_nor_leak_and_refused_ones_change_nothing(
    service: Api, mutation: str, caller: Caller
) -> None:
    await mutation_is_answered_cleanly(service, _digest(service), mutation, caller)


@settings(FUZZ_SETTINGS, max_examples=fuzz_examples(80))
@given(operation=operations_with_variables(), caller=CALLERS)
async def test_random_variables_neither_fail_nor_leak_and_change_nothing_unless_accepted(
    service: Api, operation: tuple[str, str, dict[str, Any]], caller: Caller
) -> None:
    await variables_are_answered_cleanly(service, _digest(service), operation, caller)


# -- on Neo4j -----------------------------------------------------------------------------------


@settings(FUZZ_SETTINGS, max_examples=fuzz_examples(40))
@given(query=queries, caller=CALLERS)
async def test_on_neo4j_random_queries_neither_fail_nor_leak_nor_write(
    neo4j_queries_never_write: Api, query: str, caller: Caller
) -> None:
    api = neo4j_queries_never_write
    await query_is_answered_cleanly(api, _counts(api), query, caller)


@settings(FUZZ_SETTINGS, max_examples=fuzz_examples(20))
@given(mutation=mutations, caller=CALLERS)
async def test_on_neo4j_random_mutations_neither_fail_nor_leak_and_refused_ones_add_nothing(
    neo4j_service: Api, mutation: str, caller: Caller
) -> None:
    await mutation_is_answered_cleanly(neo4j_service, _counts(neo4j_service), mutation, caller)


@settings(FUZZ_SETTINGS, max_examples=fuzz_examples(30))
@given(operation=operations_with_variables(), caller=CALLERS)
async def test_on_neo4j_random_variables_neither_fail_nor_leak(
    neo4j_service: Api, operation: tuple[str, str, dict[str, Any]], caller: Caller
) -> None:
    await variables_are_answered_cleanly(neo4j_service, _counts(neo4j_service), operation, caller)

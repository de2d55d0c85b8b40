"""Limits on body size, request rate and query shape, and the masking of unexpected errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import strawberry
from fastapi import FastAPI, Request
from graphql import OperationDefinitionNode, parse
from prometheus_client import CollectorRegistry
from strawberry.fastapi import GraphQLRouter

from api.graphql.errors import graphql_protections
from api.graphql.limits import MAX_PAGE_SIZE, PATH_FAN_OUT, PROPOSALS_PER_COST, query_cost
from api.graphql.schema import schema as tiegraph_schema
from api.http.middleware import RateLimiter, enforce_rate_limit, install_protections
from api.http.observability import install_observability
from api.settings import Settings
from graph.domain.cohorts import ITERATIONS_PER_APPLICANT
from graph.domain.errors import NotFound
from graph.domain.paths import MAX_HOPS


@strawberry.type
class Item:
    name: str

    @strawberry.field
    def people(self, first: int = 20) -> list[Item]:
        return [Item(name=f"{self.name}.{i}") for i in range(min(first, 2))]


@strawberry.type
class Query:
    @strawberry.field
    def people(self, first: int = 20) -> list[Item]:
        return [Item(name=f"p{i}") for i in range(min(first, 2))]

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("secret cypher text")

    @strawberry.field
    def missing(self) -> str | None:
        raise NotFound("person", "nobody")


SETTINGS = Settings(
    max_query_depth=4, max_query_cost=200, max_body_bytes=1_000, rate_limit_per_minute=3
)


def build_app(settings: Settings = SETTINGS) -> FastAPI:
    """A tiny service wired the way ``create_app`` wires the real one."""
    app = FastAPI()
    schema = strawberry.Schema(query=Query, extensions=graphql_protections(settings))

    async def context(request: Request) -> dict[str, object]:
        enforce_rate_limit(request, request.headers.get("x-api-key", "anonymous"))
        return {"request": request}

    app.include_router(GraphQLRouter(schema, context_getter=context), prefix="/graphql")
    install_protections(app, settings)
    install_observability(app, CollectorRegistry())
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as c:
        yield c


async def _graphql(
    client: httpx.AsyncClient, query: str, **variables: Any
) -> tuple[httpx.Response, dict[str, Any]]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    return response, body


def _nested(levels: int) -> str:
    return "{ " + "people(first: 1) { " * levels + "name" + " }" * levels + " }"


# --- request heads -----------------------------------------------------------------------


async def test_headers_over_the_limit_are_refused_with_431_before_anything_runs(
    client: httpx.AsyncClient,
) -> None:
    limit = SETTINGS.max_header_bytes
    big = {"X-Padding": "a" * limit}
    response = await client.post("/graphql", json={"query": "{ boom }"}, headers=big)
    assert response.status_code == 431
    assert response.json()["errors"][0]["extensions"]["code"] == "HEADERS_TOO_LARGE"
    fits = {"X-Padding": "a" * (limit // 2)}
    response = await client.post("/graphql", json={"query": "{ people { name } }"}, headers=fits)
    assert response.status_code == 200


# --- query depth and cost ----------------------------------------------------------------


async def test_a_query_nested_deeper_than_the_limit_is_rejected(
    client: httpx.AsyncClient,
) -> None:
    _, body = await _graphql(client, _nested(8))
    assert body["data"] is None
    [error] = body["errors"]
    assert "exceeds maximum operation depth of 4" in error["message"]


async def test_a_query_at_the_depth_limit_passes(client: httpx.AsyncClient) -> None:
    _, body = await _graphql(client, _nested(4))
    assert "errors" not in body, body


async def test_a_too_costly_query_is_rejected_with_its_cost_in_the_message(
    client: httpx.AsyncClient,
) -> None:
    query = "query Costly { people(first: 50) { name people(first: 50) { name } } }"
    _, body = await _graphql(client, query)
    assert body["data"] is None
    [error] = body["errors"]
    # 1 + 50 * (1 + 1 + 50 * 1)
    assert error["message"] == "query cost 2601 exceeds the limit 200"
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_a_missing_first_counts_as_twenty(client: httpx.AsyncClient) -> None:
    _, body = await _graphql(client, "{ people { people { name } } }")
    assert body["errors"][0]["message"] == "query cost 421 exceeds the limit 200"


async def test_a_first_given_as_a_variable_is_counted_with_its_value(
    client: httpx.AsyncClient,
) -> None:
    query = "query Page($n: Int!) { people(first: $n) { name } }"
    _, cheap = await _graphql(client, query, n=10)
    _, costly = await _graphql(client, query, n=500)
    assert "errors" not in cheap, cheap
    assert costly["errors"][0]["message"] == "query cost 501 exceeds the limit 200"


async def test_a_cheap_query_passes(client: httpx.AsyncClient) -> None:
    response, body = await _graphql(client, "{ people(first: 2) { name } }")
    assert response.status_code == 200
    assert body == {"data": {"people": [{"name": "p0"}, {"name": "p1"}]}}


def _cost(query: str, variables: dict[str, Any] | None = None) -> int:
    schema = strawberry.Schema(query=Query)._schema
    document = parse(query)
    [operation] = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return query_cost(schema, document, operation, variables)


def test_cost_caps_first_at_the_page_maximum() -> None:
    assert _cost("{ people(first: 100000) { name } }") == 1 + MAX_PAGE_SIZE


def test_cost_counts_fragments_where_they_are_spread() -> None:
    query = """
        query { people(first: 10) { ...Named people(first: 3) { ...Named } } }
        fragment Named on Item { name }
    """
    assert _cost(query) == 1 + 10 * (1 + 1 + 3 * 1)


def test_cost_counts_an_unknown_variable_as_the_page_maximum() -> None:
    assert _cost("query($n: Int) { people(first: $n) { name } }") == 1 + MAX_PAGE_SIZE


def test_cost_counts_each_leaf_field_once_per_enclosing_item() -> None:
    assert _cost("{ people(first: 5) { name } boom }") == 1 + 5 + 1


# --- error masking -----------------------------------------------------------------------


async def test_an_unexpected_error_is_masked_with_a_request_id(
    client: httpx.AsyncClient,
) -> None:
    response, body = await _graphql(client, "{ boom }")
    [error] = body["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert "secret cypher text" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text


async def test_a_domain_error_keeps_its_message(client: httpx.AsyncClient) -> None:
    _, body = await _graphql(client, "{ missing }")
    assert body["data"] == {"missing": None}
    assert body["errors"][0]["message"] == "person 'nobody' not found"


async def test_a_validation_error_keeps_its_message(client: httpx.AsyncClient) -> None:
    _, body = await _graphql(client, "{ nope }")
    assert body["errors"][0]["message"] == "Cannot query field 'nope' on type 'Query'."


# --- request body ------------------------------------------------------------------------

_TOO_LARGE = {
    "errors": [
        {
            "message": "request body is larger than 1000 bytes",
            "extensions": {"code": "PAYLOAD_TOO_LARGE"},
        }
    ]
}


async def test_a_body_declared_larger_than_the_limit_is_refused(
    client: httpx.AsyncClient,
) -> None:
    padding = "x" * 2_000
    response = await client.post("/graphql", json={"query": "{ people { name } }", "p": padding})
    assert response.status_code == 413
    assert response.json() == _TOO_LARGE
    assert "x-request-id" in response.headers


async def test_a_streamed_body_is_refused_once_it_passes_the_limit_without_reading_on(
    client: httpx.AsyncClient,
) -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(10):
            sent.append(i)
            yield b" " * 400

    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == _TOO_LARGE
    assert len(sent) == 3  # 800 bytes were fine; the third chunk passed 1000


async def test_a_small_streamed_body_is_served(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ people(first: 1) '
        yield b'{ name } }"}'

    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"people": [{"name": "p0"}]}}


# --- request rate ------------------------------------------------------------------------


def test_the_limiter_allows_n_a_minute_then_refuses_until_a_token_refills() -> None:
    now = [100.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.allow("ada") == (True, 0.0) for _ in range(60))
    allowed, retry_after = limiter.allow("ada")
    assert not allowed
    assert retry_after == pytest.approx(1.0)
    assert limiter.allow("grace") == (True, 0.0)  # each credential has its own bucket
    now[0] += 0.5
    assert limiter.allow("ada")[0] is False
    now[0] += 0.5
    assert limiter.allow("ada") == (True, 0.0)
    assert limiter.allow("ada")[0] is False


def test_the_limiter_forgets_buckets_left_idle_long_enough_to_refill() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    for i in range(50):
        limiter.allow(f"user{i}")
    now[0] += 60.0
    limiter.allow("late")
    assert len(limiter) == 1


def test_the_limiter_holds_at_most_max_keys_buckets() -> None:
    limiter = RateLimiter(60, clock=lambda: 0.0, max_keys=100)
    for i in range(1_000):
        limiter.allow(f"user{i}")
    assert len(limiter) == 100


async def test_the_service_answers_429_with_retry_after_once_a_credential_is_over_its_rate(
    client: httpx.AsyncClient,
) -> None:
    query = {"query": "{ people(first: 1) { name } }"}
    headers = {"x-api-key": "ada"}
    for _ in range(3):
        assert (await client.post("/graphql", json=query, headers=headers)).status_code == 200
    refused = await client.post("/graphql", json=query, headers=headers)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    other = await client.post("/graphql", json=query, headers={"x-api-key": "grace"})
    assert other.status_code == 200


# --- the cost of graph searches and compositions -------------------------------------------


def _tiegraph_cost(query: str, variables: dict[str, Any] | None = None) -> int:
    document = parse(query)
    [operation] = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return query_cost(tiegraph_schema._schema, document, operation, variables)


PATHS = '{ introductionPaths(from: "a", to: "b", maxHops: %d, first: %d) { hops } }'


def test_introduction_paths_cost_what_their_search_may_visit() -> None:
    # 1 for the field, the search, then one `hops` per path returned.
    assert _tiegraph_cost(PATHS % (3, 5)) == 1 + 5 * PATH_FAN_OUT**3 + 5
    assert _tiegraph_cost(PATHS % (4, 5)) == 1 + 5 * PATH_FAN_OUT**4 + 5
    assert _tiegraph_cost(PATHS % (4, 20)) == 1 + 20 * PATH_FAN_OUT**4 + 20


def test_introduction_paths_with_defaults_or_unreadable_hops_are_costed() -> None:
    defaults = '{ introductionPaths(from: "a", to: "b") { hops } }'
    assert _tiegraph_cost(defaults) == 1 + 5 * PATH_FAN_OUT**3 + 5
    unknown = (
        'query($h: Int!) { introductionPaths(from: "a", to: "b", maxHops: $h, first: 1) { hops } }'
    )
    assert _tiegraph_cost(unknown) == 1 + PATH_FAN_OUT**MAX_HOPS + 1
    assert _tiegraph_cost(unknown, {"h": 2}) == 1 + PATH_FAN_OUT**2 + 1
    assert _tiegraph_cost(unknown, {"h": 99}) == 1 + PATH_FAN_OUT**MAX_HOPS + 1


def test_aliases_of_a_path_search_each_add_its_cost() -> None:
    one = _tiegraph_cost(PATHS % (4, 20))
    aliased = "{ " + " ".join(f"p{i}: " + (PATHS % (4, 20))[2:-2] for i in range(3)) + " }"
    assert _tiegraph_cost(aliased) == 3 * one
    assert _tiegraph_cost(aliased) > Settings().max_query_cost > one


COMPOSE = (
    "query($pool: [ApplicantInput!]!, $n: Int)"
    " {{ composeCohorts(applicants: $pool{}) {{ objective }} }}"
)


def test_composing_cohorts_costs_its_proposed_swaps() -> None:
    pool = [{"person": f"p{i}"} for i in range(100)]
    by_default = _tiegraph_cost(COMPOSE.format(""), {"pool": pool})
    assert by_default == 1 + 100 * ITERATIONS_PER_APPLICANT // PROPOSALS_PER_COST + 1
    doubled = _tiegraph_cost(COMPOSE.format(""), {"pool": pool * 2})
    assert doubled - 2 == 2 * (by_default - 2)
    chosen = _tiegraph_cost(COMPOSE.format(", iterations: $n"), {"pool": pool, "n": 2_000_000})
    assert chosen == 1 + 2_000_000 // PROPOSALS_PER_COST + 1
    literal = '{ composeCohorts(applicants: [{person: "a"}, {person: "b"}]) { objective } }'
    assert _tiegraph_cost(literal) == 1 + 2 * ITERATIONS_PER_APPLICANT // PROPOSALS_PER_COST + 1


async def test_a_too_costly_query_is_refused_each_time_it_is_sent(
    client: httpx.AsyncClient,
) -> None:
    query = "query Again { people(first: 50) { people(first: 50) { name } } }"
    answers = [(await _graphql(client, query))[1] for _ in range(3)]
    assert [a["errors"][0]["extensions"]["code"] for a in answers] == ["QUERY_TOO_COSTLY"] * 3

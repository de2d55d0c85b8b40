"""Metrics, request ids and JSON logs, on a tiny service built the way the real one is."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import strawberry
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from strawberry.fastapi import GraphQLRouter

from api.graphql.errors import graphql_protections
from api.http.observability import (
    JsonFormatter,
    configure_logging,
    graphql_metrics_extension,
    install_observability,
)
from api.settings import Settings
from graph.domain.errors import NotFound

_resolver_log = logging.getLogger("tests.api.resolver")


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str | None = None) -> str:
        _resolver_log.info("saying hello")
        return f"hello {name or 'you'}"

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("secret cypher text")

    @strawberry.field
    def missing(self) -> str | None:
        raise NotFound("person", "nobody")


def build_app(registry: CollectorRegistry) -> FastAPI:
    """A tiny service with the observability pieces wired as ``create_app`` wires them."""
    app = FastAPI()
    schema = strawberry.Schema(query=Query, extensions=[graphql_metrics_extension(registry)])
    app.include_router(GraphQLRouter(schema), prefix="/graphql")
    install_observability(app, registry)
    return app


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
async def client(registry: CollectorRegistry) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(registry))
    async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as c:
        yield c


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def _metrics(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[Any]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _key(name: str, **labels: str) -> tuple[str, frozenset[Any]]:
    return name, frozenset(labels.items())


# --- metrics -----------------------------------------------------------------------------


async def test_metrics_count_a_named_operation_and_its_http_request(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": "query Greeting { hello }", "operationName": "Greeting"}
    )
    assert response.status_code == 200

    samples = await _metrics(client)
    ok = _key("tiegraph_graphql_operations_total", operation="Greeting", outcome="ok")
    assert samples[ok] == 1.0
    count = _key("tiegraph_graphql_operation_seconds_count", operation="Greeting")
    assert samples[count] == 1.0
    http = _key("tiegraph_http_requests_total", path="/graphql", method="POST", status="200")
    assert samples[http] == 1.0


async def test_metrics_count_failed_operations_as_errors_by_kind(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/graphql", json={"query": "{ boom }"})
    await client.post("/graphql", json={"query": "query Gone { missing }"})
    await client.post("/graphql", json={"query": "{ nope }"})

    samples = await _metrics(client)
    anonymous = _key("tiegraph_graphql_operations_total", operation="anonymous", outcome="error")
    assert samples[anonymous] == 2.0
    gone = _key("tiegraph_graphql_operations_total", operation="Gone", outcome="error")
    assert samples[gone] == 1.0
    assert samples[_key("tiegraph_errors_total", kind="unexpected")] == 1.0
    assert samples[_key("tiegraph_errors_total", kind="not_found")] == 1.0
    assert samples[_key("tiegraph_errors_total", kind="invalid_request")] == 1.0


async def test_errors_masked_for_the_caller_are_still_counted_as_unexpected() -> None:
    registry = CollectorRegistry()
    app = FastAPI()
    extensions = [*graphql_protections(Settings()), graphql_metrics_extension(registry)]
    schema = strawberry.Schema(query=Query, extensions=extensions)
    app.include_router(GraphQLRouter(schema), prefix="/graphql")
    install_observability(app, registry)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as c:
        body = (await c.post("/graphql", json={"query": "{ boom }"})).json()
    assert body["errors"][0]["message"] == "Unexpected error."
    assert registry.get_sample_value("tiegraph_errors_total", {"kind": "unexpected"}) == 1.0


async def test_unrouted_requests_share_one_path_label(client: httpx.AsyncClient) -> None:
    for path in ("/nope", "/wp-admin", "/.env"):
        assert (await client.get(path)).status_code == 404

    samples = await _metrics(client)
    unrouted = _key("tiegraph_http_requests_total", path="unrouted", method="GET", status="404")
    assert samples[unrouted] == 3.0


async def test_each_app_counts_in_its_own_registry() -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    apps = build_app(first), build_app(second)
    for app in apps:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as c:
            await c.post("/graphql", json={"query": "{ hello }"})
    ok = {"operation": "anonymous", "outcome": "ok"}
    assert first.get_sample_value("tiegraph_graphql_operations_total", ok) == 1.0
    assert second.get_sample_value("tiegraph_graphql_operations_total", ok) == 1.0


async def test_client_chosen_operation_names_cannot_grow_the_metrics_without_bound(
    client: httpx.AsyncClient, registry: CollectorRegistry
) -> None:
    for i in range(250):
        name = f"Op{i}"
        await client.post("/graphql", json={"query": f"query {name} {{ hello }}"})
    other = {"operation": "other", "outcome": "ok"}
    assert registry.get_sample_value("tiegraph_graphql_operations_total", other) == 50.0


# --- request ids -------------------------------------------------------------------------


async def test_every_response_carries_a_fresh_request_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/metrics")
    second = await client.get("/nope")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", second.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_safe_incoming_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics", headers={"X-Request-ID": "edge-42.abc_DEF"})
    assert response.headers["x-request-id"] == "edge-42.abc_DEF"


@pytest.mark.parametrize("offered", ["has spaces", "x" * 65, "<script>", "-leading-dash"])
async def test_an_unsafe_incoming_request_id_is_replaced(
    client: httpx.AsyncClient, offered: str
) -> None:
    response = await client.get("/metrics", headers={"X-Request-ID": offered})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


# --- logs --------------------------------------------------------------------------------


async def test_each_request_logs_one_json_access_line_without_credentials(
    client: httpx.AsyncClient, log_lines: io.StringIO
) -> None:
    token = "Bearer eyJhbGciOi.sekrit-token-value"
    response = await client.post(
        "/graphql",
        json={
            "query": "query Hi($v: String) { hello(name: $v) }",
            "variables": {"v": "private-var"},
        },
        headers={"Authorization": token, "Cookie": "session=sekrit-cookie"},
        params={"access_token": "sekrit-in-query"},
    )
    request_id = response.headers["x-request-id"]

    entries = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    served = [e for e in entries if e["logger"] != "httpx"]  # the client logs its own URL
    assert served
    assert all(e["request_id"] == request_id for e in served)
    [access] = [e for e in entries if e["logger"] == "tiegraph.access"]
    assert access["request_id"] == request_id
    assert access["method"] == "POST"
    assert access["path"] == "/graphql"
    assert access["status"] == 200
    assert isinstance(access["duration_ms"], float)
    assert {"ts", "level", "msg"} <= access.keys()
    text = json.dumps(served)
    for secret in ("sekrit", "eyJhbGciOi", "private-var"):
        assert secret not in text


async def test_lines_logged_while_serving_a_request_carry_its_id(
    client: httpx.AsyncClient, log_lines: io.StringIO
) -> None:
    response = await client.post("/graphql", json={"query": "{ hello }"})
    entries = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    [said] = [e for e in entries if e["msg"] == "saying hello"]
    assert said["request_id"] == response.headers["x-request-id"]


def test_the_formatter_writes_extras_and_redacts_credential_like_ones() -> None:
    record = logging.LogRecord(
        "tiegraph.test", logging.WARNING, __file__, 1, "hi %s", ("ada",), None
    )
    record.__dict__.update({"people": 3, "authorization": "Bearer sekrit", "api_key": "k"})
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "hi ada"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "tiegraph.test"
    assert entry["request_id"] is None
    assert entry["people"] == 3
    assert entry["authorization"] == "[redacted]"
    assert entry["api_key"] == "[redacted]"


def test_the_formatter_keeps_an_exception_on_one_line() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        record = logging.LogRecord(
            "tiegraph.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["exc_type"] == "ValueError"


def test_configure_logging_installs_one_json_handler_however_often_it_is_called() -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        configure_logging("DEBUG")
        configure_logging("INFO")
        [handler] = root.handlers
        assert isinstance(handler.formatter, JsonFormatter)
        assert root.level == logging.INFO
        assert logging.getLogger("uvicorn.access").disabled
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        logging.getLogger("uvicorn.access").disabled = False

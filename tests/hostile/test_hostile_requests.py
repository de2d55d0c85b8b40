"""Malformed bodies, broken Unicode, absurd numbers and dates, and documents shaped to exhaust.

Each is refused with a 4xx or a GraphQL error that says what was wrong, never a 5xx, never a
leak, and never a change to the store. All of it is decided before a store is asked (parsing,
validation, limits, the domain's checks), so the service runs on the embedded store here;
``test_hostile_strings`` and the fuzz tests cover what reaches each store.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from graphql import parse, validate

from api.graphql.limits import depth_limit_rule
from api.graphql.schema import schema
from tests.api.conftest import Api
from tests.hostile.support import assert_clean, served_store, store_digest

UPSERT_NAME = (
    'mutation($name: String!) { upsertPerson(input: {key: "zed", name: $name}) { __typename } }'
)


async def post_raw(api: Api, body: bytes) -> httpx.Response:
    headers = {**api.admin, "content-type": "application/json"}
    return await api.client.post("/graphql", content=body, headers=headers)


def query_body(query: str, variables: str = "{}") -> bytes:
    """A JSON body written by hand, so that it can hold what ``json.dumps`` would never write."""
    return b'{"query": "' + query.encode() + b'", "variables": ' + variables.encode() + b"}"


# -- bodies ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"query": "{ person(id: \\"\xff\xfe\\") { key } }"}', "Unable to parse"),
        (b'{"query": "{ person(id: \\"\xc0\xaf\\") { key } }"}', "Unable to parse"),  # overlong
        (b'{"query": "{ person(id: \\"\xed\xa0\x80\\") { key } }"}', "Unable to parse"),  # CESU
        (
            query_body(UPSERT_NAME.replace('"', '\\"')).replace(b"{}", b'{"name": "\xed\xa0\x80"}'),
            "Unable to parse",
        ),
        (b"\xff\xfe{", "Unable to parse"),
        (b"", "Unable to parse"),
        (b'{"query": ', "Unable to parse"),
        (b'"{ viewer { key } }"', "must be a JSON object"),
        (b"42", "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (
            b'{"query": "{ viewer { key } }", "variables": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}",
            "Unable to parse",
        ),
        (query_body('{ person(id: \\"\\ud800\\") { key } }'), "not valid Unicode"),
        (query_body(UPSERT_NAME.replace('"', '\\"'), '{"name": "a\\ud800b"}'), "not valid Unicode"),
        (query_body(UPSERT_NAME.replace('"', '\\"'), '{"name": "\\udc00"}'), "not valid Unicode"),
        (b'[{"query": "{ viewer { key } }"}, {"query": "{ viewer { key } }"}]', "Batching"),
        (b'{"query": 5}', "must be a string"),
        (b'{"query": "{ viewer { key } }", "variables": "x"}', "must be an object"),
    ],
    ids=[
        "invalid-utf8",
        "overlong-utf8",
        "utf8-encoded-surrogate",
        "utf8-encoded-surrogate-in-a-variable",
        "garbage",
        "empty",
        "truncated",
        "a-json-string",
        "a-json-number",
        "json-null",
        "arrays-nested-100000-deep",
        "lone-surrogate-in-the-query",
        "lone-surrogate-in-a-variable",
        "lone-low-surrogate",
        "batched-operations",
        "query-not-a-string",
        "variables-not-an-object",
    ],
)
async def test_a_body_the_service_cannot_read_is_refused_with_400(
    service: Api, body: bytes, reason: str
) -> None:
    before = await store_digest(served_store(service))

    response = await post_raw(service, body)

    assert_clean(response, body.decode("utf-8", "replace"))
    assert response.status_code == 400
    assert reason in response.text
    assert await store_digest(served_store(service)) == before


async def test_a_lone_surrogate_in_a_get_parameter_is_refused_with_400(service: Api) -> None:
    response = await service.client.get(
        "/graphql",
        params={
            "query": "query($id: ID!) { person(id: $id) { key } }",
            "variables": '{"id": "\\ud800"}',
        },
        headers=service.admin,
    )

    assert response.status_code == 400
    assert "not valid Unicode" in response.text


async def test_a_surrogate_pair_escape_is_ordinary_text(service: Api) -> None:
    response = await post_raw(
        service, query_body(UPSERT_NAME.replace('"', '\\"'), '{"name": "\\ud83d\\ude00"}')
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"upsertPerson": {"__typename": "WritePayload"}}}
    assert await service.data('{ person(id: "zed") { name } }') == {
        "person": {"name": "\U0001f600"}
    }


# -- numbers and instants -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables", "says"),
    [
        ("{ people(first: 99999999999) { totalCount } }", {}, "non 32-bit signed integer"),
        ("{ people(first: -1) { totalCount } }", {}, "'first'"),
        ("{ people(first: 1001) { totalCount } }", {}, "'first'"),
        ("query($n: Int!) { people(first: $n) { totalCount } }", {"n": 10**30}, "$n"),
        ("query($n: Int!) { people(first: $n) { totalCount } }", {"n": 1.5}, "$n"),
        ("query($n: Int!) { people(first: $n) { totalCount } }", {"n": 1e308}, "$n"),
        (
            '{ tieHistory(a: "amir", b: "carl", from: "2024-01-01T00:00:00Z",'
            ' to: "2024-12-31T00:00:00Z", stepDays: 0.00001) { at } }',
            {},
            "'step",
        ),
        (
            '{ driftingTies(person: "amir", windowDays: 100000) { totalCount } }',
            {},
            "'windowDays'",
        ),
    ],
    ids=[
        "int-beyond-32-bits",
        "negative-page",
        "page-too-large",
        "int-variable-1e30",
        "int-variable-fraction",
        "int-variable-1e308",
        "a-step-of-a-second",
        "a-window-of-270-years",
    ],
)
async def test_absurd_numbers_are_refused_naming_the_argument(
    service: Api, query: str, variables: dict[str, Any], says: str
) -> None:
    response = await service.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=service.admin
    )

    body = assert_clean(response, query)
    assert body is not None
    assert body["errors"], body
    assert says in body["errors"][0]["message"]


INSTANT_QUERIES = (
    ("at", '{ relationship(a: "amir", b: "carl", at: $t) { strength { band } } }'),
    ("at", '{ driftingTies(person: "amir", at: $t) { totalCount } }'),
    ("at", '{ groupRetention(group: "spring-2024", at: $t) { shareAfter } }'),
    ("from", '{ tieHistory(a: "amir", b: "carl", from: $t, to: "2024-12-31T00:00:00Z") { at } }'),
    ("to", '{ tieHistory(a: "amir", b: "carl", from: "2024-01-01T00:00:00Z", to: $t) { at } }'),
    ("since", '{ interactions(person: "amir", since: $t) { totalCount } }'),
    ("until", '{ interactions(person: "amir", until: $t) { totalCount } }'),
)
ABSURD_INSTANTS = (
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-14:00",
    "1899-12-31T23:59:59Z",
    "2024-01-01T00:00:00",
)


@pytest.mark.parametrize("instant", ABSURD_INSTANTS)
async def test_a_moment_no_one_can_have_meant_is_refused_naming_the_argument(
    service: Api, instant: str
) -> None:
    for argument, shape in INSTANT_QUERIES:
        query = "query($t: DateTime!) " + shape

        response = await service.client.post(
            "/graphql", json={"query": query, "variables": {"t": instant}}, headers=service.admin
        )

        body = assert_clean(response, query + instant)
        assert body is not None
        assert body["errors"], (argument, body)
        assert f"field '{argument}'" in body["errors"][0]["message"], (argument, body)


ABSURD_WRITES = (
    ("recordInteraction", {"participants": ["amir", "carl"], "kind": "CALL"}, "at"),
    ("recordSideConversation", {"participants": ["amir", "carl"]}, "at"),
    ("upsertMeeting", {"group": "spring-2024"}, "startsAt"),
    (
        "upsertIntroduction",
        {"requester": "amir", "introducer": "carl", "target": "hanna"},
        "requestedAt",
    ),
)


@pytest.mark.parametrize("instant", ABSURD_INSTANTS)
async def test_a_write_at_a_moment_no_one_can_have_meant_is_refused_and_changes_nothing(
    service: Api, instant: str
) -> None:
    store = served_store(service)
    before = await store_digest(store)
    for mutation, value, field in ABSURD_WRITES:
        input_type = mutation.removeprefix("record").removeprefix("upsert") + "Input!"
        query = (
            f"mutation($input: {input_type}) {{ {mutation}(input: $input) {{ __typename"
            " ... on InvalidInput { problems { path reason } } } }"
        )

        response = await service.client.post(
            "/graphql",
            json={"query": query, "variables": {"input": {**value, field: instant}}},
            headers=service.admin,
        )

        body = assert_clean(response, query + instant)
        assert body is not None
        assert body["data"][mutation]["__typename"] == "InvalidInput", body
        assert [p["path"] for p in body["data"][mutation]["problems"]] == [["input", "0", field]]
    assert await store_digest(store) == before


async def test_negative_and_huge_durations_are_refused_naming_the_field(service: Api) -> None:
    query = (
        "mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) {"
        " __typename ... on InvalidInput { problems { path reason } } } }"
    )
    contact = {"participants": ["amir", "carl"], "kind": "CALL", "at": "2024-10-01T10:00:00Z"}

    body = await service.data(
        query,
        input=[{**contact, "durationSeconds": -1}, {**contact, "durationSeconds": 2**31 - 1}],
    )

    result = body["recordInteractions"]
    assert result["__typename"] == "InvalidInput"
    assert [p["path"] for p in result["problems"]] == [
        ["input", "0", "durationSeconds"],
        ["input", "1", "durationSeconds"],
    ]


# -- documents shaped to exhaust ------------------------------------------------------------------


def fragment_chain(levels: int) -> str:
    """A query whose fragments each spread the next one twice: 2**levels fields once expanded."""
    fragments = "".join(
        f"fragment F{i} on Person {{ ...F{i + 1} ...F{i + 1} }} " for i in range(levels)
    )
    return (
        f'{{ person(id: "amir") {{ ...F0 }} }} {fragments}fragment F{levels} on Person {{ name }}'
    )


def test_measuring_depth_visits_each_fragment_once() -> None:
    document = parse(fragment_chain(40))
    outcome: list[object] = []
    worker = threading.Thread(
        target=lambda: outcome.append(validate(schema._schema, document, [depth_limit_rule(10)])),
        daemon=True,  # were it exponential again, it would run for days: let it die with us
    )

    worker.start()
    worker.join(timeout=60)

    assert outcome == [[]], "measuring the depth of 40 chained fragments did not finish"


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (fragment_chain(40), "exceeds the limit"),
        ("{ viewer { ...Nope } }", "Unknown fragment 'Nope'."),
        (
            "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
            "Cannot spread fragment 'A' within itself",
        ),
        ("{ " + 'person(id: "amir") { ' * 3000 + "name" + " }" * 3000 + " }", "nested too deeply"),
        ("{ nodes(ids: " + "[" * 50_000 + '"x"' + "]" * 50_000 + ") { id } }", "nested too deeply"),
        ("{ " + "{" * 5000 + "}" * 5000 + " }", "Syntax Error"),
        ("{ viewer " + "@include(if: true) " * 2000 + "{ key } }", "can only be used once"),
        ("{ " + "__typename " * 20_000 + "}", "Validation aborted"),
        (
            "{ " + " ".join(f'x: person(id: "p{i}") {{ key }}' for i in range(50)) + " }",
            "conflict",
        ),
        (
            "query A { viewer { key } } query A { viewer { key } }",
            "There can be only one operation named 'A'.",
        ),
    ],
    ids=[
        "fragments-doubling-40-times",
        "unknown-fragment",
        "fragment-cycle",
        "fields-nested-3000-deep",
        "a-list-nested-50000-deep",
        "braces-nested-5000-deep",
        "a-directive-2000-times",
        "20000-fields-wide",
        "one-alias-for-50-fields",
        "two-operations-one-name",
    ],
)
async def test_a_document_built_to_exhaust_is_refused_with_a_reason(
    service: Api, query: str, says: str
) -> None:
    response = await service.client.post("/graphql", json={"query": query}, headers=service.admin)

    body = assert_clean(response, query)
    assert body is not None
    assert body.get("data") is None
    assert says in body["errors"][0]["message"]


async def test_aliases_are_answered_up_to_the_limit_and_refused_beyond_it(service: Api) -> None:
    def aliased(count: int) -> str:
        return "{ " + " ".join(f'a{i}: person(id: "amir") {{ key }}' for i in range(count)) + " }"

    allowed = service.settings.max_query_aliases
    response = await service.client.post(
        "/graphql", json={"query": aliased(allowed)}, headers=service.admin
    )
    body = assert_clean(response, aliased(allowed))
    assert body is not None
    assert body["data"] == {f"a{i}": {"key": "amir"} for i in range(allowed)}

    too_many = aliased(20_000)
    response = await service.client.post(
        "/graphql", json={"query": too_many}, headers=service.admin
    )
    body = assert_clean(response, too_many)
    assert body is not None
    assert body.get("data") is None
    assert f"20000 aliases found; at most {allowed}" in body["errors"][0]["message"]


async def test_only_the_operation_that_runs_is_costed(service: Api) -> None:
    cheap = "query Cheap { viewer { key } }"
    costly = (
        "query Costly { people(first: 1000) { nodes {"
        " memberships(first: 1000) { nodes { key } } } } }"
    )

    runs_cheap = await service.client.post(
        "/graphql",
        json={"query": f"{cheap} {costly}", "operationName": "Cheap"},
        headers=service.admin,
    )
    runs_costly = await service.client.post(
        "/graphql",
        json={"query": f"{cheap} {costly}", "operationName": "Costly"},
        headers=service.admin,
    )

    assert runs_cheap.json() == {"data": {"viewer": None}}
    assert runs_costly.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"

"""A plain JSON operation answered on the direct path answers exactly as Strawberry's view does.

The same requests -- lookups, writes, persisted queries, every kind of refusal, an internal
error, an unavailable store -- go to two services on the same demo network, one with the direct
path and one without; status, the headers a client reads and the JSON must be the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.routing import Route

from api.http.app import create_app
from api.settings import Settings
from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.errors import StoreUnavailable
from graph.domain.model import Person
from graph.samples.demo import load_core_demo
from graph.usecases.viewer import Role
from tests.api.conftest import bearer, settings_for

LOOKUP = "query Lookup($id: ID!) { person(id: $id) { key name title organization { name } } }"
WRITE = (
    "mutation Record($input: InteractionInput!) { recordInteraction(input: $input) {"
    " __typename ... on WritePayload { created unchanged } ... on InvalidInput { problems {"
    " path reason } } ... on Forbidden { message } } }"
)
PAGE = (
    '{ person(id: "amir") { key memberships(first: 2) { totalCount nodes { role group { key } } }'
    " ties(first: 3) { totalCount edges { node { count other { key } } } } } }"
)


class _Faulty(EmbeddedStore):
    """The embedded store, failing on purpose for two people: one unavailable, one broken."""

    async def get(self, kind: type[Any], ids: Collection[str]) -> dict[str, Any]:
        if kind is Person and "down" in ids:
            raise StoreUnavailable("the disk went away")
        if kind is Person and "boom" in ids:
            raise RuntimeError("a bug with secret details")
        return await super().get(kind, ids)


def _hash(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def _requests(admin: dict[str, str], amir: dict[str, str]) -> list[tuple[Any, dict[str, str]]]:
    """(body, headers) of each request, in order; a body that is bytes is sent as it is."""
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": _hash(LOOKUP)}}
    call = {"at": "2026-10-01T10:00:00Z", "kind": "CALL", "participants": ["amir", "britt"]}
    return [
        ({"query": LOOKUP, "variables": {"id": "amir"}}, admin),
        ({"query": LOOKUP, "variables": {"id": "amir"}, "operationName": "Lookup"}, amir),
        ({"query": PAGE}, amir),
        ({"query": PAGE}, admin),
        ({"query": LOOKUP, "variables": {"id": "nobody"}}, admin),
        ({"variables": {"id": "amir"}, "extensions": persisted}, amir),  # not known yet
        ({"query": LOOKUP, "variables": {"id": "amir"}, "extensions": persisted}, amir),
        ({"variables": {"id": "britt"}, "extensions": persisted}, amir),  # known now
        ({"variables": {"id": "britt"}, "extensions": persisted}, admin),  # not to this one
        ({"query": "{ viewer { key } }", "extensions": persisted}, amir),  # not its hash
        ({"query": LOOKUP, "variables": {"id": 7}}, admin),
        ({"query": LOOKUP, "variables": {}}, admin),
        ({"query": LOOKUP, "operationName": "Other", "variables": {"id": "a"}}, admin),
        ({"query": "{ person(id: "}, admin),
        ({"query": "{ nope }"}, admin),
        ({"query": "{ " + " ".join(f"a{i}: viewer {{ key }}" for i in range(150)) + " }"}, admin),
        ({"query": "subscription { introductionUpdates { key } }"}, amir),
        ({"query": WRITE, "variables": {"input": {**call, "key": "direct-1"}}}, amir),
        ({"query": WRITE, "variables": {"input": {**call, "key": "direct-1"}}}, amir),
        ({"query": WRITE, "variables": {"input": {**call, "participants": ["amir"]}}}, amir),
        ({"query": LOOKUP, "variables": {"id": "down"}}, admin),
        ({"query": LOOKUP, "variables": {"id": "boom"}}, admin),
        ([{"query": "{ viewer { key } }"}], admin),
        ({"query": "{ viewer { key } }", "unexpected": 1}, admin),
        (b"{not json", admin),
        (b'"just a string"', admin),
        ({"query": "{ viewer { key } }"}, {}),
    ]


@dataclass
class Service:
    client: httpx.AsyncClient
    settings: Settings
    graphql: Any
    """The app's GraphQL endpoint (its ``direct`` path, if on)."""


@contextlib.asynccontextmanager
async def _service(where: Path, direct: bool) -> AsyncIterator[Service]:
    settings = settings_for("embedded", where, None)
    app = create_app(
        settings, on_open=load_core_demo, store=_Faulty(settings.data_dir), direct_execution=direct
    )
    [graphql] = [r.app for r in app.router.routes if isinstance(r, Route) and r.path == "/graphql"]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client:
            yield Service(client, settings, graphql)


def _seen(response: httpx.Response) -> tuple[int, str | None, str | None, Any]:
    try:
        body: Any = response.json()
    except json.JSONDecodeError:
        body = response.text
    return (
        response.status_code,
        response.headers.get("content-type"),
        response.headers.get("retry-after"),
        body,
    )


async def _answers(service: Service) -> list[tuple[int, str | None, str | None, Any]]:
    admin = bearer(service.settings, None, Role.ADMIN)
    amir = bearer(service.settings, "amir")
    seen = []
    for number, (body, headers) in enumerate(_requests(admin, amir)):
        sent = {**headers, "X-Request-ID": f"request-{number}"}
        if isinstance(body, bytes):
            sent["content-type"] = "application/json"
            response = await service.client.post("/graphql", content=body, headers=sent)
        else:
            response = await service.client.post("/graphql", json=body, headers=sent)
        seen.append(_seen(response))
    return seen


async def test_the_direct_path_answers_every_request_as_strawberrys_view_does(
    tmp_path: Path,
) -> None:
    async with (
        _service(tmp_path / "direct", True) as direct,
        _service(tmp_path / "view", False) as view,
    ):
        mine, theirs = await _answers(direct), await _answers(view)
        answered = direct.graphql.direct.answered
        assert view.graphql.direct is None
    for number, (one, other) in enumerate(zip(mine, theirs, strict=True)):
        assert one == other, f"request {number}: {_requests({}, {})[number][0]!r}"
    # The corpus reaches what it means to: answers, refusals, the masked error, the 503.
    statuses = [status for status, *_ in mine]
    assert statuses.count(503) == 1
    assert {400, 401} <= set(statuses)
    bodies = json.dumps([body for *_, body in mine])
    assert "Unexpected error." in bodies
    assert "secret details" not in bodies
    assert "PersistedQueryNotFound" in bodies
    # Plain operations went the direct way: lookups and pages (4), the unknown person, the
    # persisted query sent with its query and then by its hash, the two lookups whose
    # variables the executor coerces or refuses, the three writes, the unavailable store and
    # the broken resolver; the view answered the rest.
    assert answered == 14

"""Automatic persisted queries: a client sends a query's hash, and the query only when asked."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from api.http.persisted import NOT_FOUND, NOT_FOUND_CODE, PersistedQueries, PersistedQueryNotFound
from graph.usecases.viewer import Role
from tests.api.conftest import Api

LOOKUP = "query Lookup($id: ID!) { person(id: $id) { key name } }"
DIGEST = hashlib.sha256(LOOKUP.encode()).hexdigest()


def _persisted(digest: str = DIGEST, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


async def _post(api: Api, body: dict[str, Any]) -> Any:
    return await api.client.post("/graphql", json=body, headers=api.admin)


async def test_an_unknown_hash_is_answered_persisted_query_not_found(api: Api) -> None:
    response = await _post(api, {"variables": {"id": "lena"}, "extensions": _persisted()})
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["message"] == NOT_FOUND
    assert error["extensions"]["code"] == NOT_FOUND_CODE


async def test_a_hash_sent_once_with_its_query_runs_that_query_without_it(api: Api) -> None:
    first = await _post(
        api, {"query": LOOKUP, "variables": {"id": "lena"}, "extensions": _persisted()}
    )
    assert first.json()["data"]["person"]["key"] == "lena"
    again = await _post(api, {"variables": {"id": "amir"}, "extensions": _persisted()})
    assert again.status_code == 200
    assert again.json() == {"data": {"person": {"key": "amir", "name": "Amir Haddad"}}}


async def test_a_query_that_does_not_match_its_hash_is_refused_and_not_kept(api: Api) -> None:
    wrong = hashlib.sha256(b"{ __typename }").hexdigest()
    response = await _post(
        api, {"query": LOOKUP, "variables": {"id": "lena"}, "extensions": _persisted(wrong)}
    )
    assert response.status_code == 400
    later = await _post(api, {"variables": {"id": "lena"}, "extensions": _persisted(wrong)})
    assert later.json()["errors"][0]["message"] == NOT_FOUND


async def test_a_version_other_than_one_is_refused(api: Api) -> None:
    response = await _post(
        api, {"query": LOOKUP, "variables": {"id": "lena"}, "extensions": _persisted(version=2)}
    )
    assert response.status_code == 400


async def test_a_hash_is_known_only_to_the_credential_that_sent_its_query(api: Api) -> None:
    # Someone else's query, values written in: its hash alone must not tell whether it was asked.
    asked = '{ person(id: "klara") { key } }'
    digest = hashlib.sha256(asked.encode()).hexdigest()
    amir = api.as_("amir", Role.MEMBER)
    sent = await api.client.post(
        "/graphql", json={"query": asked, "extensions": _persisted(digest)}, headers=amir
    )
    assert "errors" not in sent.json()
    probe = await api.client.post(
        "/graphql", json={"extensions": _persisted(digest)}, headers=api.as_("britt", Role.MEMBER)
    )
    assert probe.json()["errors"][0]["message"] == NOT_FOUND
    again = await api.client.post("/graphql", json={"extensions": _persisted(digest)}, headers=amir)
    assert again.json() == sent.json()


def test_the_least_recently_used_query_is_forgotten_first() -> None:
    kept = PersistedQueries(size=2)
    queries = ["{ a }", "{ b }", "{ c }"]
    digests = [hashlib.sha256(q.encode()).hexdigest() for q in queries]
    kept.resolve(queries[0], _persisted(digests[0]), owner="amir")
    kept.resolve(queries[1], _persisted(digests[1]), owner="amir")
    assert (
        kept.resolve(None, _persisted(digests[0]), owner="amir") == queries[0]
    )  # now the most recent
    kept.resolve(queries[2], _persisted(digests[2]), owner="amir")
    assert len(kept) == 2
    assert kept.resolve(None, _persisted(digests[0]), owner="amir") == queries[0]
    with pytest.raises(PersistedQueryNotFound):
        kept.resolve(None, _persisted(digests[1]), owner="amir")

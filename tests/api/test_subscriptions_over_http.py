"""Subscriptions are served over a websocket only: over HTTP they are refused plainly."""

from __future__ import annotations

from graph.usecases.viewer import Role
from tests.api.conftest import Api


async def test_a_subscription_sent_over_http_is_refused_with_400(api: Api) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": "subscription { introductionUpdates { key } }"},
        headers=api.as_("amir", Role.MEMBER),
    )
    assert response.status_code == 400
    assert "websocket" in response.text


async def test_a_named_subscription_among_queries_is_refused_only_when_chosen(api: Api) -> None:
    document = "query Me { viewer { key } } subscription Mine { introductionUpdates { key } }"
    headers = api.as_("amir", Role.MEMBER)
    chosen = await api.client.post(
        "/graphql", json={"query": document, "operationName": "Mine"}, headers=headers
    )
    assert chosen.status_code == 400
    query = await api.client.post(
        "/graphql", json={"query": document, "operationName": "Me"}, headers=headers
    )
    assert query.status_code == 200
    assert query.json()["data"] == {"viewer": {"key": "amir"}}


async def test_the_word_in_an_argument_does_not_make_a_query_a_subscription(api: Api) -> None:
    data = await api.data(
        '{ people(filter: {name: "subscription"}) { totalCount } }', api.as_("amir")
    )
    assert data == {"people": {"totalCount": 0}}

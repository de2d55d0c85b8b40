"""Live updates reach subscribers over a real websocket, from a real server, on both stores.

The service runs as ``tiegraph serve`` in a child process; on Neo4j with two workers, and the
writes go to a second server process, so an event can only arrive through the store's change
log. Bad faith: someone else's group or introductions, forged and expired tokens, the legacy
protocol, and events a direct read would refuse.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api.http.auth import create_token
from api.settings import Settings
from graph.samples.demo import load_core_demo
from graph.usecases.viewer import Role
from tests.api.conftest import SECRET, settings_for
from tests.conftest import BACKENDS, open_store
from tests.support.live import PROTOCOL, Server, Subscriber, serve, subscriber
from tests.support.neo4j import Neo4jTarget

TIES = "subscription { tieChanged { band bandBefore drifting strength other { key } } }"
INTRODUCTIONS = "subscription($p: ID) { introductionUpdates(person: $p) { key status } }"
ACTIVITY = (
    "subscription($g: ID!) { groupActivity(group: $g) { kind group { key }"
    " attendance { person { key } } breakout { key members { key } }"
    " sideConversation { key } } }"
)


@dataclass
class Live:
    """Where to subscribe, where to write, and tokens for anyone."""

    settings: Settings
    subscribe_at: Server
    write_at: Server
    workers: int

    def token(self, person: str | None, *roles: Role, ttl: float = 3600) -> str:
        return create_token(
            settings=self.settings,
            person_id=person,
            roles=roles or (Role.MEMBER,),
            ttl=timedelta(seconds=ttl),
        )

    def init(self, person: str | None, *roles: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(person, *roles)}"}

    async def write(self, document: str, **variables: Any) -> dict[str, Any]:
        """Run a mutation as an admin on the writing server; return its data once answered."""
        headers = {"Authorization": f"Bearer {self.token(None, Role.ADMIN)}"}
        async with httpx.AsyncClient(base_url=self.write_at.url, timeout=30) as client:
            response = await client.post(
                "/graphql", json={"query": document, "variables": variables}, headers=headers
            )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    neo4j_target: Neo4jTarget | None,
) -> Iterator[Live]:
    """The demo's spring-2024 group served by ``tiegraph serve``: one process on the embedded
    store; on Neo4j two workers to subscribe at, and another server process to write to."""
    backend: str = request.param
    tmp_path = tmp_path_factory.mktemp(backend)

    async def load() -> None:
        store = await open_store(backend, tmp_path, neo4j_target)
        try:
            await load_core_demo(store)
        finally:
            await store.close()

    asyncio.run(load())
    settings = settings_for(backend, tmp_path, neo4j_target, jwt_secret=SecretStr(SECRET))
    if backend == "embedded":
        with serve(settings) as server:
            yield Live(settings, server, server, workers=1)
    else:
        with serve(settings, workers=2) as served, serve(settings) as writer:
            yield Live(settings, served, writer, workers=2)


async def test_a_new_tie_reaches_the_person_whose_tie_it_is(live: Live) -> None:
    await live.write(
        'mutation { upsertPerson(input: {key: "nea", name: "Nea Lund"}) { __typename } }'
    )
    async with subscriber(live.subscribe_at.ws_url, live.init("amir")) as amir:
        assert (await amir.next())["type"] == "connection_ack"
        await amir.subscribe(TIES)
        await asyncio.sleep(1.5)  # the subscription starts at the log's end, its ties read
        await live.write(
            "mutation($i: InteractionInput!) { recordInteraction(input: $i) { __typename } }",
            i={
                "key": "live-call-nea",
                "at": "2026-12-01T10:00:00Z",
                "kind": "CALL",
                "participants": ["amir", "nea"],
            },
        )
        event = await amir.next()
        assert event["type"] == "next", event
        change = event["payload"]["data"]["tieChanged"]
        assert change["other"] == {"key": "nea"}
        assert change["bandBefore"] is None
        assert change["band"] in ("WEAK", "MODERATE", "STRONG")
        assert change["drifting"] is False


async def test_an_introduction_reaches_its_introducer_and_its_answer_the_requester(
    live: Live,
) -> None:
    async with (
        subscriber(live.subscribe_at.ws_url, live.init("carl")) as carl,
        subscriber(live.subscribe_at.ws_url, live.init("amir")) as amir,
    ):
        for connection in (carl, amir):
            assert (await connection.next())["type"] == "connection_ack"
            await connection.subscribe(INTRODUCTIONS)
        await asyncio.sleep(0.5)
        await live.write(
            "mutation($i: IntroductionInput!) { upsertIntroduction(input: $i) { __typename } }",
            i={
                "key": "intro-live",
                "requester": "amir",
                "introducer": "carl",
                "target": "hanna",
                "requestedAt": "2026-12-01T10:00:00Z",
            },
        )
        for connection in (carl, amir):
            event = await connection.next()
            assert event["payload"]["data"]["introductionUpdates"] == {
                "key": "intro-live",
                "status": "REQUESTED",
            }
        async with httpx.AsyncClient(base_url=live.write_at.url) as client:
            answered = await client.post(
                "/graphql",
                json={
                    "query": 'mutation { answerIntroduction(id: "intro-live", accept: true)'
                    " { __typename } }"
                },
                headers={"Authorization": f"Bearer {live.token('carl')}"},
            )
        assert answered.json()["data"]["answerIntroduction"]["__typename"] == "IntroductionPayload"
        event = await amir.next()
        assert event["payload"]["data"]["introductionUpdates"]["status"] == "ACCEPTED"


async def test_the_leader_follows_her_groups_breakouts_and_attendance(live: Live) -> None:
    async with subscriber(live.subscribe_at.ws_url, live.init("lena", Role.LEADER)) as lena:
        assert (await lena.next())["type"] == "connection_ack"
        await lena.subscribe(ACTIVITY, g="spring-2024")
        await asyncio.sleep(0.5)
        await live.write(
            "mutation($b: BreakoutInput!) { recordBreakout(input: $b) { __typename } }",
            b={"key": "live-breakout", "meeting": "spring-2024-m1", "members": ["amir", "dina"]},
        )
        event = (await lena.next())["payload"]["data"]["groupActivity"]
        assert event["kind"] == "BREAKOUT"
        assert event["group"] == {"key": "spring-2024"}
        assert event["breakout"]["key"] == "live-breakout"
        assert sorted(m["key"] for m in event["breakout"]["members"]) == ["amir", "dina"]


async def test_every_subscriber_hears_of_a_write_made_in_another_process(live: Live) -> None:
    # On Neo4j six connections spread over two workers, and the write goes to a third process.
    connections = 6 if live.workers > 1 else 2
    async with contextlib.AsyncExitStack() as stack:
        subscribers = [
            await stack.enter_async_context(subscriber(live.subscribe_at.ws_url, live.init("amir")))
            for _ in range(connections)
        ]
        for s in subscribers:
            assert (await s.next())["type"] == "connection_ack"
            await s.subscribe(INTRODUCTIONS)
        await asyncio.sleep(0.5)
        await live.write(
            "mutation($i: IntroductionInput!) { upsertIntroduction(input: $i) { __typename } }",
            i={
                "key": "intro-everywhere",
                "requester": "amir",
                "introducer": "lena",
                "target": "hanna",
                "requestedAt": "2026-12-01T10:00:00Z",
            },
        )
        for s in subscribers:
            event = await s.next()
            assert event["payload"]["data"]["introductionUpdates"]["key"] == "intro-everywhere"


# -- bad faith --------------------------------------------------------------------------------


async def _refusal(connection: Subscriber) -> list[dict[str, Any]]:
    """The errors a refused subscription ends with (and that it ends)."""
    answer = await connection.next()
    assert answer["type"] == "next", answer
    assert "data" not in answer["payload"] or answer["payload"]["data"] is None
    errors: list[dict[str, Any]] = answer["payload"]["errors"]
    assert (await connection.next())["type"] == "complete"
    return errors


async def test_another_leader_cannot_follow_a_group_and_learns_no_more_than_of_an_unknown_one(
    live: Live,
) -> None:
    async with subscriber(live.subscribe_at.ws_url, live.init("carl", Role.LEADER)) as carl:
        assert (await carl.next())["type"] == "connection_ack"
        await carl.subscribe(ACTIVITY, g="spring-2024")
        theirs = await _refusal(carl)
        await carl.subscribe(ACTIVITY, g="no-such-group")
        unknown = await _refusal(carl)
    assert "not found" in theirs[0]["message"]
    assert theirs[0]["message"].replace("spring-2024", "X") == unknown[0]["message"].replace(
        "no-such-group", "X"
    )
    assert theirs[0].get("extensions") == unknown[0].get("extensions")


async def test_a_member_cannot_subscribe_to_someone_elses_introductions(live: Live) -> None:
    async with subscriber(live.subscribe_at.ws_url, live.init("dina")) as dina:
        assert (await dina.next())["type"] == "connection_ack"
        await dina.subscribe(INTRODUCTIONS, p="amir")
        errors = await _refusal(dina)
    assert "not allowed" in errors[0]["message"]


async def test_events_about_others_never_reach_a_subscriber(live: Live) -> None:
    async with (
        subscriber(live.subscribe_at.ws_url, live.init("dina")) as dina,
        subscriber(live.subscribe_at.ws_url, live.init("lena", Role.LEADER)) as lena,
    ):
        assert (await dina.next())["type"] == "connection_ack"
        assert (await lena.next())["type"] == "connection_ack"
        await dina.subscribe(INTRODUCTIONS)
        await dina.subscribe(TIES)
        await lena.subscribe(ACTIVITY, g="spring-2024")
        await asyncio.sleep(0.5)
        await live.write(
            "mutation($i: IntroductionInput!, $s: SideConversationInput!) {"
            " upsertIntroduction(input: $i) { __typename }"
            " recordSideConversation(input: $s) { __typename } }",
            i={
                "key": "intro-not-dinas",
                "requester": "amir",
                "introducer": "carl",
                "target": "hanna",
                "requestedAt": "2026-12-01T10:00:00Z",
            },
            # A side conversation of two members, not tagged with the group: not the group's.
            s={
                "key": "side-untagged",
                "at": "2026-12-01T10:00:00Z",
                "participants": ["amir", "carl"],
            },
        )
        assert await dina.nothing_within(2.0), dina.pending
        assert await lena.nothing_within(0.5), lena.pending


async def test_a_forged_token_is_refused_with_4403(live: Live) -> None:
    forged = create_token(
        settings=live.settings.model_copy(
            update={"jwt_secret": SecretStr("another-secret-that-is-long-enough-for-hs256")}
        ),
        person_id="lena",
        roles=(Role.ADMIN,),
        ttl=timedelta(hours=1),
    )
    async with subscriber(
        live.subscribe_at.ws_url, {"Authorization": f"Bearer {forged}"}
    ) as someone:
        with pytest.raises(ConnectionClosed) as closed:
            await someone.next()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_no_credential_is_refused_with_4403(live: Live) -> None:
    async with subscriber(live.subscribe_at.ws_url, None) as someone:
        with pytest.raises(ConnectionClosed) as closed:
            await someone.next()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_an_expired_token_closes_the_subscription_with_4401(live: Live) -> None:
    token = live.token("amir", ttl=3)
    async with subscriber(live.subscribe_at.ws_url, {"Authorization": f"Bearer {token}"}) as amir:
        assert (await amir.next())["type"] == "connection_ack"
        await amir.subscribe(INTRODUCTIONS)
        with pytest.raises(ConnectionClosed) as closed:
            await amir.next(timeout=15)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
    assert closed.value.rcvd.reason == "token expired"


async def test_the_legacy_graphql_ws_protocol_is_not_served(live: Live) -> None:
    legacy = ["graphql-ws"]
    async with connect(live.subscribe_at.ws_url, subprotocols=legacy) as socket:  # type: ignore[arg-type]
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4406
    assert PROTOCOL != "graphql-ws"


async def test_a_subscription_deeper_than_the_limit_is_refused_before_it_starts(
    live: Live,
) -> None:
    deep = (
        "subscription($g: ID!) { groupActivity(group: $g) { breakout { meeting { group {"
        " meetings { nodes { breakouts { meeting { group { leader { organization { name }"
        " } } } } } } } } } } }"
    )
    async with subscriber(live.subscribe_at.ws_url, live.init("lena", Role.LEADER)) as lena:
        assert (await lena.next())["type"] == "connection_ack"
        await lena.subscribe(deep, g="spring-2024")
        answer = await lena.next()
    assert answer["type"] == "error", answer
    assert "depth" in answer["payload"][0]["message"]

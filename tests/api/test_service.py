"""The service over HTTP on both backends: health, auth, Relay nodes, queries and mutations."""

from __future__ import annotations

from pathlib import Path

import httpx

from api.graphql.schema import schema
from api.graphql.types import global_id
from graph.usecases.viewer import Role
from tests.api.conftest import Api

ROOT = Path(__file__).resolve().parents[2]

PERSON = "query($id: ID!) { person(id: $id) { id key name industry email ties { totalCount } } }"


def test_schema_graphql_is_generated_from_the_code() -> None:
    checked_in = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert checked_in == schema.as_str() + "\n", (
        "schema.graphql drifted: run `tiegraph schema > schema.graphql`"
    )


async def test_health_checks_answer_without_credentials(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_graphql_without_credentials_is_refused(api: Api) -> None:
    response = await api.client.post("/graphql", json={"query": "{ viewer { key } }"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    bad = await api.client.post(
        "/graphql",
        json={"query": "{ viewer { key } }"},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert bad.status_code == 401


async def test_a_person_is_found_by_key_or_by_global_id(api: Api) -> None:
    by_key = (await api.data(PERSON, id="amir"))["person"]
    assert by_key["name"] == "Amir Haddad"
    assert by_key["id"] == global_id("Person", "amir")
    by_id = (await api.data(PERSON, id=by_key["id"]))["person"]
    assert by_id == by_key


async def test_a_global_id_of_another_type_is_refused_by_name(api: Api) -> None:
    body = await api.query(PERSON, id=global_id("Group", "spring-2024"))
    assert body["data"] == {"person": None}
    assert "is the id of a Group, not a Person" in body["errors"][0]["message"]


async def test_node_resolves_any_entity_and_hides_what_the_viewer_may_not_see(api: Api) -> None:
    ids = [
        global_id("Group", "spring-2024"),
        global_id("Meeting", "spring-2024-m1"),
        global_id("Person", "nobody"),
        "not an id",
    ]
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename key } }"
    found = (await api.data(query, ids=ids))["nodes"]
    assert found == [
        {"__typename": "Group", "key": "spring-2024"},
        {"__typename": "Meeting", "key": "spring-2024-m1"},
        None,
        None,
    ]
    side = global_id("SideConversation", "side-amir-carl-2")
    outsider = api.as_("dina")
    node = "query($id: ID!) { node(id: $id) { key } }"
    assert (await api.data(node, outsider, id=side))["node"] is None
    assert (await api.data(node, api.as_("amir"), id=side))["node"] == {"key": "side-amir-carl-2"}


async def test_private_fields_and_ties_are_shown_only_to_the_person_and_their_leader(
    api: Api,
) -> None:
    await api.data(
        'mutation { upsertPerson(input: {key: "amir", name: "Amir Haddad",'
        ' profession: "communications", industry: "fintech", organization: "northbank",'
        ' location: "Stockholm", interests: ["storytelling", "crisis communication"],'
        ' email: "amir@example.org"}) { __typename } }'
    )
    own = (await api.data(PERSON, api.as_("amir"), id="amir"))["person"]
    assert own["email"] == "amir@example.org"
    assert own["ties"]["totalCount"] > 0
    other = (await api.data(PERSON, api.as_("dina"), id="amir"))["person"]
    assert other["email"] is None
    assert other["ties"] is None
    leader = (await api.data(PERSON, api.as_("lena", Role.LEADER), id="amir"))["person"]
    assert leader["email"] == "amir@example.org"


async def test_people_are_searched_and_paged_with_cursors(api: Api) -> None:
    query = """
      query($after: String) {
        people(filter: {profession: "marketing"}, first: 2, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { key } }
        }
      }
    """
    first = (await api.data(query, api.as_("amir")))["people"]
    assert first["totalCount"] == 4
    assert [e["node"]["key"] for e in first["edges"]] == ["britt", "dina"]
    assert first["pageInfo"]["hasNextPage"] is True
    cursor = first["pageInfo"]["endCursor"]
    rest = (await api.data(query, api.as_("amir"), after=cursor))["people"]
    assert [e["node"]["key"] for e in rest["edges"]] == ["fatima", "hanna"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_an_oversized_page_and_a_forged_cursor_are_refused(api: Api) -> None:
    big = await api.query("{ people(first: 5000) { totalCount } }")
    assert "must be 0-1000" in big["errors"][0]["message"]
    forged = await api.query('{ people(after: "xyz") { totalCount } }')
    assert "is not a cursor this API gave out" in forged["errors"][0]["message"]


async def test_a_group_shows_members_and_meetings_only_to_its_leader_and_members(
    api: Api,
) -> None:
    query = """{ group(id: "spring-2024") { name leader { key }
        members(first: 50) { totalCount } meetings { totalCount
          nodes { key attendance { totalCount } breakouts { nodes { members { key } } } } } } }"""
    mine = (await api.data(query, api.as_("britt")))["group"]
    assert mine["members"]["totalCount"] == 9
    assert mine["meetings"]["totalCount"] == 6
    assert mine["leader"] == {"key": "lena"}
    assert all(m["attendance"]["totalCount"] >= 7 for m in mine["meetings"]["nodes"])
    outsider = (await api.data(query, api.as_("stranger")))["group"]
    assert outsider["name"] == "Communicators, spring 2024"
    assert outsider["members"] is None
    assert outsider["meetings"] is None


async def test_a_member_records_an_interaction_they_take_part_in_once_per_key(
    api: Api,
) -> None:
    mutation = """
      mutation($input: InteractionInput!) {
        recordInteraction(input: $input) {
          __typename
          ... on WritePayload { created unchanged nodes { key } }
          ... on Forbidden { message }
          ... on InvalidInput { problems { path value reason } }
        }
      }
    """
    call = {
        "key": "coffee-1",
        "at": "2024-09-01T08:00:00+02:00",
        "kind": "CALL",
        "participants": ["britt", global_id("Person", "emil")],
        "initiator": "britt",
    }
    first = (await api.data(mutation, api.as_("britt"), input=call))["recordInteraction"]
    assert first["__typename"] == "WritePayload"
    assert first["created"] == 1
    again = (await api.data(mutation, api.as_("britt"), input=call))["recordInteraction"]
    assert (again["created"], again["unchanged"]) == (0, 1)
    outsider = (await api.data(mutation, api.as_("hanna"), input={**call, "key": "coffee-2"}))[
        "recordInteraction"
    ]
    assert outsider["__typename"] == "Forbidden"
    query = """{ interactions(person: "britt", with: "emil", since: "2024-08-01T00:00:00Z") {
        nodes { key at } } }"""
    found = (await api.data(query, api.as_("britt")))["interactions"]["nodes"]
    assert found == [{"key": "coffee-1", "at": "2024-09-01T06:00:00+00:00"}]


async def test_invalid_input_names_the_field_path_and_changes_nothing(api: Api) -> None:
    counts = "{ statistics { kind count } }"
    before = (await api.data(counts))["statistics"]
    mutation = """
      mutation($input: [InteractionInput!]!) {
        recordInteractions(input: $input) {
          __typename ... on InvalidInput { problems { path value reason } }
        }
      }
    """
    good = {
        "key": "ok",
        "at": "2024-09-01T08:00:00Z",
        "kind": "CALL",
        "participants": ["britt", "emil"],
    }
    bad = {
        "key": "bad",
        "at": "2024-09-01T08:00:00Z",
        "kind": "CALL",
        "participants": ["britt", "ghost"],
    }
    result = (await api.data(mutation, input=[good, bad]))["recordInteractions"]
    assert result["__typename"] == "InvalidInput"
    assert result["problems"] == [
        {
            "path": ["input", "1", "participants"],
            "value": "ghost",
            "reason": "no person has this id",
        }
    ]
    assert (await api.data(counts))["statistics"] == before


async def test_wrong_argument_types_get_a_graphql_error(api: Api) -> None:
    body = await api.query('{ people(first: "many") { totalCount } }')
    assert body.get("data") is None
    assert "Int cannot represent non-integer value" in body["errors"][0]["message"]


async def test_statistics_are_for_admins_only(api: Api) -> None:
    body = await api.query("{ statistics { kind } }", api.as_("britt"))
    assert body["data"] is None
    assert "not allowed to read store statistics" in body["errors"][0]["message"]


async def test_a_leader_creates_a_group_and_records_its_first_meeting(api: Api) -> None:
    mutation = """
      mutation($group: GroupInput!, $meeting: MeetingInput!) {
        upsertGroup(input: $group) { __typename }
        upsertMeeting(input: $meeting) { __typename }
      }
    """
    result = await api.data(
        mutation,
        api.as_("lena", Role.LEADER),
        group={"key": "autumn-2024", "name": "Autumn", "leader": "lena"},
        meeting={"key": "autumn-m1", "group": "autumn-2024", "startsAt": "2024-09-02T17:00:00Z"},
    )
    assert result == {
        "upsertGroup": {"__typename": "WritePayload"},
        "upsertMeeting": {"__typename": "WritePayload"},
    }
    refused = await api.data(
        mutation,
        api.as_("amir", Role.LEADER),
        group={"key": "autumn-2024", "name": "Hijacked", "leader": "amir"},
        meeting={"key": "autumn-m2", "group": "autumn-2024", "startsAt": "2024-09-09T17:00:00Z"},
    )
    assert refused["upsertGroup"]["__typename"] == "Forbidden"
    assert refused["upsertMeeting"]["__typename"] == "Forbidden"


async def test_an_unknown_person_is_null_not_an_error(api: Api) -> None:
    assert (await api.data('{ person(id: "nobody") { name } }'))["person"] is None


async def test_the_response_is_plain_json_over_http(api: Api) -> None:
    response = await api.client.post(
        "/graphql", json={"query": "{ viewer { key } }"}, headers=api.as_("amir")
    )
    assert isinstance(response, httpx.Response)
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"viewer": {"key": "amir"}}}


async def test_a_browser_gets_graphiql_without_credentials_but_no_data(api: Api) -> None:
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    query = await api.client.get(
        "/graphql", params={"query": "{ viewer { key } }"}, headers={"Accept": "text/html"}
    )
    assert query.status_code == 401

"""Attacks on the write paths, as an attacker with a token of their own would try them.

Each test speaks with two or more tokens on the demo network: the attacker's, and the owner's
or an admin's to see that nothing changed. Classes (see RELIABILITY.md, Security): writes by
key that ignore the stored record, enrolment that opens private data, contacts recorded in
others' names, and refusals that tell what exists.
"""

from __future__ import annotations

from typing import Any

from api.graphql.types import global_id
from graph.usecases.viewer import Role
from tests.api.conftest import Api

AT = "2026-10-01T10:00:00Z"
WRITE = (
    "__typename ... on WritePayload { created updated unchanged }"
    " ... on Forbidden { message } ... on NotFound { message key }"
    " ... on InvalidInput { problems { path reason } } ... on Conflict { message }"
)


async def _write(api: Api, mutation: str, input_type: str, value: object, headers: Any) -> Any:
    document = f"mutation($input: {input_type}) {{ {mutation}(input: $input) {{ {WRITE} }} }}"
    data = await api.data(document, headers, input=value)
    return data[mutation]


async def _a_leader_with_a_group_of_her_own(api: Api) -> dict[str, str]:
    """Carl, a leader, with a group he leads: the attacker of the group-event tests."""
    carl = api.as_("carl", Role.LEADER)
    made = await _write(
        api,
        "upsertGroup",
        "GroupInput!",
        {"key": "carls", "name": "Carl's", "leader": "carl"},
        carl,
    )
    assert made["__typename"] == "WritePayload", made
    return carl


# -- ownership on every write ----------------------------------------------------------------


async def test_a_member_cannot_take_over_someone_elses_introduction_by_its_key(api: Api) -> None:
    emil = api.as_("emil")
    forged = {
        "key": "intro-amir-hanna",
        "requester": "emil",
        "introducer": "carl",
        "target": "hanna",
        "requestedAt": AT,
    }
    refused = await _write(api, "upsertIntroduction", "IntroductionInput!", forged, emil)
    assert refused["__typename"] == "Forbidden"
    theirs = await api.data('{ introductions(person: "amir") { nodes { key requester { key } } } }')
    stored = {n["key"]: n["requester"]["key"] for n in theirs["introductions"]["nodes"]}
    assert stored["intro-amir-hanna"] == "amir"


async def test_nobody_raises_an_intermediarys_figures_with_a_forged_met_introduction(
    api: Api,
) -> None:
    query = '{ intermediaryStats(person: "lena") { asked met } }'
    before = (await api.data(query))["intermediaryStats"]
    forged = {
        "key": "intro-forged",
        "requester": "dina",
        "introducer": "lena",
        "target": "gustav",
        "requestedAt": AT,
        "status": "MET",
    }
    refused = await _write(api, "upsertIntroduction", "IntroductionInput!", forged, api.as_("dina"))
    assert refused["__typename"] == "Forbidden"
    assert (await api.data(query))["intermediaryStats"] == before
    tie = await api.data(
        f'{{ relationship(a: "dina", b: "gustav", at: "{AT}") {{ kinds {{ kind }} }} }}'
    )
    kinds = {k["kind"].lower() for k in (tie["relationship"] or {}).get("kinds", [])}
    assert "introduction" not in kinds


async def test_another_groups_leader_cannot_take_a_meeting_over_by_its_key(api: Api) -> None:
    carl = await _a_leader_with_a_group_of_her_own(api)
    hijack = {"key": "spring-2024-m1", "group": "carls", "startsAt": AT}
    refused = await _write(api, "upsertMeeting", "MeetingInput!", hijack, carl)
    assert refused["__typename"] == "Forbidden"
    meeting = await api.data('{ meeting(id: "spring-2024-m1") { group { key } } }')
    assert meeting["meeting"]["group"]["key"] == "spring-2024"
    balance = await api.data(
        '{ meetingBalance(meeting: "spring-2024-m1") { gini } }', api.as_("lena", Role.LEADER)
    )
    assert balance["meetingBalance"]["gini"] is not None


async def test_a_leader_records_breakouts_and_attendance_only_for_their_own_groups_members(
    api: Api,
) -> None:
    carl = await _a_leader_with_a_group_of_her_own(api)
    theirs = {"key": "x-b1", "meeting": "spring-2024-m1", "members": ["amir", "britt"]}
    assert (await _write(api, "recordBreakout", "BreakoutInput!", theirs, carl))[
        "__typename"
    ] == "Forbidden"
    mine = {"key": "carls-m1", "group": "carls", "startsAt": AT}
    assert (await _write(api, "upsertMeeting", "MeetingInput!", mine, carl))[
        "__typename"
    ] == "WritePayload"
    # Strangers at his own meeting would give him ties between people who never joined.
    stranger = {"meeting": "carls-m1", "person": "hanna"}
    refused = await _write(api, "recordAttendee", "AttendanceInput!", stranger, carl)
    assert refused["__typename"] == "Forbidden"
    himself = {"meeting": "carls-m1", "person": "carl"}
    done = await _write(api, "recordAttendee", "AttendanceInput!", himself, carl)
    assert done["__typename"] == "WritePayload"


async def test_nobody_but_an_admin_hands_a_group_to_another_leader(api: Api) -> None:
    carl = await _a_leader_with_a_group_of_her_own(api)
    takeover = {"key": "spring-2024", "name": "Mine now", "leader": "carl"}
    assert (await _write(api, "upsertGroup", "GroupInput!", takeover, carl))[
        "__typename"
    ] == "Forbidden"
    handover = {"key": "carls", "name": "Carl's", "leader": "lena"}
    assert (await _write(api, "upsertGroup", "GroupInput!", handover, carl))[
        "__typename"
    ] == "Forbidden"
    group = await api.data('{ group(id: "spring-2024") { name leader { key } } }')
    assert group["group"] == {"name": "Communicators, spring 2024", "leader": {"key": "lena"}}


async def test_a_leader_adds_organizations_but_does_not_rename_stored_ones(api: Api) -> None:
    lena = api.as_("lena", Role.LEADER)
    renamed = {"key": "northbank", "name": "Scam Bank", "industry": "fintech"}
    refused = await _write(api, "upsertOrganization", "OrganizationInput!", renamed, lena)
    assert refused["__typename"] == "Forbidden"
    again = {"key": "northbank", "name": "Northbank", "industry": "fintech"}
    same = await _write(api, "upsertOrganization", "OrganizationInput!", again, lena)
    assert same == {"__typename": "WritePayload", "created": 0, "updated": 0, "unchanged": 1}


# -- members record only what they took part in -------------------------------------------


async def test_a_member_cannot_record_a_contact_between_other_people(api: Api) -> None:
    call = {"at": AT, "kind": "CALL", "participants": ["britt", "gustav"]}
    refused = await _write(api, "recordInteraction", "InteractionInput!", call, api.as_("emil"))
    assert refused["__typename"] == "Forbidden"


async def test_a_member_records_contacts_as_themselves_not_as_started_by_someone_else(
    api: Api,
) -> None:
    emil = api.as_("emil")
    call = {"at": AT, "kind": "CALL", "participants": ["emil", "hanna"], "initiator": "hanna"}
    assert (await _write(api, "recordInteraction", "InteractionInput!", call, emil))[
        "__typename"
    ] == "Forbidden"
    mine = {**call, "initiator": "emil"}
    assert (await _write(api, "recordInteraction", "InteractionInput!", mine, emil))[
        "__typename"
    ] == "WritePayload"


async def test_a_member_tags_only_groups_they_belong_to(api: Api) -> None:
    await _a_leader_with_a_group_of_her_own(api)
    side = {"at": AT, "participants": ["emil", "fatima"], "group": "carls"}
    emil = api.as_("emil")
    refused = await _write(api, "recordSideConversation", "SideConversationInput!", side, emil)
    assert refused["__typename"] == "Forbidden"
    own = {**side, "group": "spring-2024"}
    done = await _write(api, "recordSideConversation", "SideConversationInput!", own, emil)
    assert done["__typename"] == "WritePayload"


async def test_a_member_cannot_record_a_crowd_or_a_meeting_as_one_contact(api: Api) -> None:
    emil = api.as_("emil")
    crowd = ["emil", *(f"extra-{n}" for n in range(20))]
    extras = [{"key": key, "name": f"Extra {key}"} for key in crowd[1:]]
    await _write(api, "upsertPeople", "[PersonInput!]!", extras, api.admin)
    call = {"at": AT, "kind": "CONTACT", "participants": crowd}
    refused = await _write(api, "recordInteraction", "InteractionInput!", call, emil)
    assert refused["__typename"] == "InvalidInput"
    assert "at most 20" in refused["problems"][0]["reason"]
    ties = await api.data(
        '{ strongestTies(person: "emil", first: 100) { nodes { other { key } } } }', emil
    )
    assert crowd[-1] not in {t["other"]["key"] for t in ties["strongestTies"]["nodes"]}
    twenty = {**call, "participants": crowd[:20]}
    assert (await _write(api, "recordInteraction", "InteractionInput!", twenty, emil))[
        "__typename"
    ] == "WritePayload"
    meeting = {"at": AT, "kind": "MEETING", "participants": ["emil", "fatima"]}
    assert (await _write(api, "recordInteraction", "InteractionInput!", meeting, emil))[
        "__typename"
    ] == "Forbidden"


async def test_a_member_cannot_overwrite_a_side_conversation_they_were_not_in(api: Api) -> None:
    stolen = {"key": "side-amir-carl-2", "at": AT, "participants": ["emil", "carl"]}
    refused = await _write(
        api, "recordSideConversation", "SideConversationInput!", stolen, api.as_("emil")
    )
    fresh = {**stolen, "key": "side-emil-carl-new", "participants": ["amir", "carl"]}
    not_theirs = await _write(
        api, "recordSideConversation", "SideConversationInput!", fresh, api.as_("emil")
    )
    # The taken key is refused as a record of others is: the message does not tell them apart.
    assert refused == not_theirs
    assert refused["__typename"] == "Forbidden"


# -- enrolment by consent --------------------------------------------------------------------

INES = {
    "key": "ines",
    "name": "Ines Berg",
    "offers": ["crisis coaching"],
    "seeks": ["a new job"],
    "email": "ines@example.org",
}
PRIVATE = '{ person(id: "ines") { offers seeks email } }'


async def test_a_leaders_enrolment_is_an_invitation_that_opens_nothing_until_accepted(
    api: Api,
) -> None:
    ines = api.as_("ines")
    assert (await _write(api, "upsertPerson", "PersonInput!", INES, ines))[
        "__typename"
    ] == "WritePayload"
    carl = await _a_leader_with_a_group_of_her_own(api)
    enrol = {"group": "carls", "person": "ines", "role": "LEADER"}
    document = (
        "mutation($input: MembershipInput!) { upsertMembership(input: $input) { __typename"
        " ... on WritePayload { nodes { ... on Membership { status } } } } }"
    )
    written = await api.data(document, carl, input=enrol)
    assert written["upsertMembership"]["nodes"] == [{"status": "INVITED"}]
    hidden: dict[str, object] = {"offers": [], "seeks": [], "email": None}  # what a stranger sees
    assert (await api.data(PRIVATE, carl))["person"] == hidden
    # Writing it again does not make it active: only Ines does.
    await api.data(document, carl, input=enrol)
    assert (await api.data(PRIVATE, carl))["person"] == hidden
    answer = (
        'mutation($accept: Boolean!) { answerInvitation(group: "carls", accept: $accept) {'
        " __typename ... on MembershipPayload { membership { status joinedOn } } } }"
    )
    accepted = await api.data(answer, ines, accept=True)
    assert accepted["answerInvitation"]["membership"]["status"] == "ACTIVE"
    assert accepted["answerInvitation"]["membership"]["joinedOn"] is not None
    shown = (await api.data(PRIVATE, carl))["person"]
    assert shown == {"offers": ["crisis coaching"], "seeks": ["a new job"], "email": INES["email"]}


async def test_an_invitation_declined_stays_closed_and_is_not_answered_twice(api: Api) -> None:
    ines = api.as_("ines")
    await _write(api, "upsertPerson", "PersonInput!", INES, ines)
    carl = await _a_leader_with_a_group_of_her_own(api)
    await _write(
        api, "upsertMembership", "MembershipInput!", {"group": "carls", "person": "ines"}, carl
    )
    answer = (
        'mutation($accept: Boolean!) { answerInvitation(group: "carls", accept: $accept) {'
        " __typename } }"
    )
    declined = await api.data(answer, ines, accept=False)
    assert declined["answerInvitation"]["__typename"] == "MembershipPayload"
    changed = await api.data(answer, ines, accept=True)
    assert changed["answerInvitation"]["__typename"] == "Conflict"
    assert (await api.data(PRIVATE, carl))["person"]["offers"] == []
    # Its leader sees the declined invitation, and nothing private of hers.
    members = '{ group(id: "carls") { members { nodes { person { key } status } } } }'
    listed = (await api.data(members, carl))["group"]["members"]["nodes"]
    assert {"person": {"key": "ines"}, "status": "DECLINED"} in listed


async def test_nobody_answers_someone_elses_invitation(api: Api) -> None:
    await _write(api, "upsertPerson", "PersonInput!", INES, api.as_("ines"))
    carl = await _a_leader_with_a_group_of_her_own(api)
    await _write(
        api, "upsertMembership", "MembershipInput!", {"group": "carls", "person": "ines"}, carl
    )
    forged = await api.data(
        'mutation { answerInvitation(group: "carls", person: "ines", accept: true) {'
        " __typename ... on NotFound { message key } } }",
        carl,
    )
    assert forged["answerInvitation"]["__typename"] == "NotFound"
    assert (await api.data(PRIVATE, carl))["person"]["offers"] == []


async def test_an_invitation_is_not_yet_a_member_for_the_groups_members(api: Api) -> None:
    await _write(api, "upsertPerson", "PersonInput!", INES, api.as_("ines"))
    lena = api.as_("lena", Role.LEADER)
    enrol = {"group": "spring-2024", "person": "ines"}
    await _write(api, "upsertMembership", "MembershipInput!", enrol, lena)
    members = '{ group(id: "spring-2024") { members(first: 50) { nodes { person { key } } } } }'
    seen = (await api.data(members, api.as_("amir")))["group"]["members"]["nodes"]
    assert {"key": "ines"} not in [n["person"] for n in seen]
    assert {"key": "amir"} in [n["person"] for n in seen]
    # Ines talks to Amir; the group's ties still leave her out until she accepts.
    call = {"at": AT, "kind": "CALL", "participants": ["ines", "amir"]}
    await _write(api, "recordInteraction", "InteractionInput!", call, api.as_("ines"))
    pairs = await api.data(
        f'{{ groupTies(group: "spring-2024", at: "{AT}") {{ a {{ key }} b {{ key }} }} }}', lena
    )
    people = {p["key"] for tie in pairs["groupTies"] for p in (tie["a"], tie["b"]) if p}
    assert "amir" in people
    assert "ines" not in people
    assert (await api.data(PRIVATE, lena))["person"]["offers"] == []


async def test_an_admin_enrols_directly(api: Api) -> None:
    await _write(api, "upsertPerson", "PersonInput!", INES, api.as_("ines"))
    enrol = {"group": "spring-2024", "person": "ines"}
    assert (await _write(api, "upsertMembership", "MembershipInput!", enrol, api.admin))[
        "__typename"
    ] == "WritePayload"
    lena = api.as_("lena", Role.LEADER)
    assert (await api.data(PRIVATE, lena))["person"]["offers"] == ["crisis coaching"]


# -- refusals that tell nothing --------------------------------------------------------------


def _shape(answer: dict[str, Any], key: str) -> dict[str, Any]:
    """The answer with the key it names blanked out: what is left must be the same."""
    return {k: (v.replace(key, "<key>") if isinstance(v, str) else v) for k, v in answer.items()}


async def test_someone_elses_introduction_answers_exactly_as_an_unknown_one(api: Api) -> None:
    step = (
        "mutation($id: ID!) { answerIntroduction(id: $id, accept: true) {"
        " __typename ... on NotFound { message key } ... on Forbidden { message } } }"
    )
    emil = api.as_("emil")
    response_theirs = await api.client.post(
        "/graphql", json={"query": step, "variables": {"id": "intro-amir-hanna"}}, headers=emil
    )
    response_unknown = await api.client.post(
        "/graphql", json={"query": step, "variables": {"id": "intro-nobody"}}, headers=emil
    )
    assert response_theirs.status_code == response_unknown.status_code == 200
    theirs = response_theirs.json()["data"]["answerIntroduction"]
    unknown = response_unknown.json()["data"]["answerIntroduction"]
    assert theirs["__typename"] == "NotFound"
    assert _shape(theirs, "intro-amir-hanna") == _shape(unknown, "intro-nobody")
    node = "query($id: ID!) { node(id: $id) { __typename } }"
    hidden = await api.data(node, emil, id=global_id("Introduction", "intro-amir-hanna"))
    assert hidden == await api.data(node, emil, id=global_id("Introduction", "intro-nobody"))
    assert hidden["node"] is None


async def test_someone_elses_invitation_answers_exactly_as_an_unknown_one(api: Api) -> None:
    await _write(api, "upsertPerson", "PersonInput!", INES, api.as_("ines"))
    carl = await _a_leader_with_a_group_of_her_own(api)
    await _write(
        api, "upsertMembership", "MembershipInput!", {"group": "carls", "person": "ines"}, carl
    )
    answer = (
        'mutation($group: ID!) { answerInvitation(group: $group, person: "ines", accept: true) {'
        " __typename ... on NotFound { message key } } }"
    )
    emil = api.as_("emil")
    theirs = (await api.data(answer, emil, group="carls"))["answerInvitation"]
    unknown = (await api.data(answer, emil, group="no-such-group"))["answerInvitation"]
    assert theirs["__typename"] == "NotFound"
    assert _shape(theirs, "carls") == _shape(unknown, "no-such-group")

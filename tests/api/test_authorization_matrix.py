"""Every operation, as every role, is allowed or refused exactly as the policy says.

The expected outcome of each (operation, role) pair is computed by the policy itself
(:func:`graph.usecases.policy.may`) from the facts of the scenario, and the operations are read
from the schema, so a new operation without a scenario or a rule fails here. An allowed cell
must show the operation working (a payload, or data that is there), not merely not refused; a
refused one answers ``Forbidden``, an error naming what is not allowed, or ``NotFound`` (a
record the caller may not touch answers like an unknown one). Scenarios that change what they
act on are set up again before each caller.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import pytest

from api.graphql.resolvers.live import LiveContext
from api.graphql.schema import OPERATION_ACTIONS, schema
from api.graphql.types import global_id
from graph.usecases.policy import Facts, may
from graph.usecases.viewer import Role, Viewer
from tests.api.conftest import Api

GROUP = "spring-2024"
AT = "2024-10-01T10:00:00Z"


@dataclass(frozen=True)
class Caller:
    """Someone calling the API: who they are and which demo groups they lead or belong to."""

    name: str
    person: str | None
    roles: tuple[Role, ...]
    leads: frozenset[str] = frozenset()
    member_of: frozenset[str] = frozenset()

    def viewer(self) -> Viewer:
        return Viewer(person_id=self.person, roles=frozenset(self.roles), subject=self.name)


CALLERS = [
    Caller("the person themselves", "amir", (Role.MEMBER,), member_of=frozenset({GROUP})),
    Caller("a fellow member", "dina", (Role.MEMBER,), member_of=frozenset({GROUP})),
    Caller("an outsider", "stranger", (Role.MEMBER,)),
    Caller(
        "the group's leader",
        "lena",
        (Role.LEADER,),
        leads=frozenset({GROUP}),
        member_of=frozenset({GROUP}),
    ),
    Caller("another group's leader", "carl", (Role.LEADER,), member_of=frozenset({GROUP})),
    Caller("an admin", None, (Role.ADMIN,)),
]


@dataclass(frozen=True)
class Setup:
    """A write run before each caller, as ``person`` with ``roles`` (an admin by default)."""

    document: str
    person: str | None = None
    roles: tuple[Role, ...] = (Role.ADMIN,)


@dataclass(frozen=True)
class Scenario:
    """One operation acting on the data of ``people`` in ``groups``.

    ``members`` are those of ``people`` who belong to the groups (for group events that name
    people); ``setup`` puts back what an earlier caller changed.
    """

    document: str
    variables: dict[str, Any] = field(default_factory=dict)
    people: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    setup: tuple[Setup, ...] = ()
    nothing_for: tuple[str, ...] = ()
    """Callers for whom an empty answer is the right one (e.g. the viewer of a token naming
    nobody)."""


def _write(mutation: str, input_type: str, value: object, **facts: Any) -> Scenario:
    doc = (
        f"mutation($input: {input_type}) {{ {mutation}(input: $input) {{ __typename"
        " ... on WritePayload { created updated unchanged }"
        " ... on InvalidInput { problems { path reason } } } }"
    )
    return Scenario(doc, {"input": value}, **facts)


def _introduction_as(status: str) -> Setup:
    """Put the demo's introduction of Amir to Hanna through Carl back at ``status``."""
    return Setup(
        'mutation { upsertIntroduction(input: {key: "intro-amir-hanna", requester: "amir",'
        f' introducer: "carl", target: "hanna", requestedAt: "{AT}", status: {status}}})'
        " { __typename } }"
    )


STRANGER = Setup(
    'mutation { upsertPerson(input: {key: "stranger", name: "Sam Ek"}) { __typename } }'
)
KINDRED = Setup(
    'mutation { upsertPerson(input: {key: "ines", name: "Ines Berg", interests: ["storytelling"]})'
    " { __typename } }"
)
"""Someone Amir does not know who shares an interest of his: one to recommend."""
INVITATION = Setup(
    'mutation { upsertGroup(input: {key: "alumni", name: "Alumni", leader: "lena"})'
    ' { __typename } upsertMembership(input: {group: "alumni", person: "amir"})'
    " { __typename } }",
    person="lena",
    roles=(Role.LEADER,),
)


AMIR = {
    "key": "amir",
    "name": "Amir Haddad",
    "profession": "communications",
    "organization": "northbank",
    "industry": "fintech",
    "location": "Stockholm",
    "interests": ["storytelling", "crisis communication"],
}
GROUP_INPUT = {
    "key": GROUP,
    "name": "Communicators, spring 2024",
    "leader": "lena",
    "theme": "Communication across industries",
    "startsOn": "2024-01-15",
    "endsOn": "2024-05-13",
}
MEETING = {"key": "spring-2024-extra", "group": GROUP, "startsAt": AT}
CALL = {"key": "call-x", "at": AT, "kind": "CALL", "participants": ["amir", "carl"]}
SIDE = {"key": "side-x", "at": AT, "participants": ["amir", "carl"], "group": GROUP}
BREAKOUT: dict[str, Any] = {
    "key": "spring-2024-m1-bx",
    "meeting": "spring-2024-m1",
    "members": ("amir", "britt", "carl", "dina"),
}
INTRO = {
    "key": "intro-x",
    "requester": "amir",
    "introducer": "carl",
    "target": "hanna",
    "requestedAt": AT,
}

SCENARIOS: dict[str, Scenario] = {
    "Query.node": Scenario(f'{{ node(id: "{global_id("Person", "amir")}") {{ key }} }}'),
    "Query.nodes": Scenario(f'{{ nodes(ids: ["{global_id("Group", GROUP)}"]) {{ key }} }}'),
    "Query.viewer": Scenario("{ viewer { key } }", setup=(STRANGER,), nothing_for=("an admin",)),
    "Query.person": Scenario('{ person(id: "amir") { key } }'),
    "Query.people": Scenario("{ people { totalCount } }"),
    "Query.group": Scenario(f'{{ group(id: "{GROUP}") {{ key }} }}'),
    "Query.groups": Scenario("{ groups { totalCount } }"),
    "Query.meeting": Scenario('{ meeting(id: "spring-2024-m1") { key } }'),
    "Query.organizations": Scenario("{ organizations { totalCount } }"),
    "Query.interactions": Scenario(
        '{ interactions(person: "amir") { totalCount } }', people=("amir",)
    ),
    "Query.sideConversations": Scenario(
        '{ sideConversations(person: "amir") { totalCount } }', people=("amir",)
    ),
    "Query.introductions": Scenario(
        '{ introductions(person: "amir") { totalCount } }', people=("amir",)
    ),
    "Query.statistics": Scenario("{ statistics { kind } }"),
    "Query.introductionPaths": Scenario(
        '{ introductionPaths(from: "amir", to: "carl") { score } }', people=("amir",)
    ),
    "Query.connectionDegree": Scenario(
        '{ connectionDegree(a: "amir", b: "carl") }', people=("amir", "carl")
    ),
    "Query.mutualConnections": Scenario(
        '{ mutualConnections(a: "amir", b: "carl") { nodes { key } } }', people=("amir", "carl")
    ),
    "Query.intermediaryStats": Scenario('{ intermediaryStats(person: "carl") { asked } }'),
    "Mutation.requestIntroduction": Scenario(
        'mutation { requestIntroduction(from: "amir", to: "hanna", via: "carl") { __typename } }',
        people=("amir",),
    ),
    "Mutation.answerIntroduction": Scenario(
        'mutation { answerIntroduction(id: "intro-amir-hanna", accept: true) { __typename } }',
        people=("carl",),
        setup=(_introduction_as("REQUESTED"),),
    ),
    "Mutation.recordIntroductionOutcome": Scenario(
        'mutation { recordIntroductionOutcome(id: "intro-amir-hanna", met: true) { __typename } }',
        people=("amir", "carl", "hanna"),
        setup=(_introduction_as("ACCEPTED"),),
    ),
    "Mutation.answerInvitation": Scenario(
        'mutation { answerInvitation(group: "alumni", person: "amir", accept: true)'
        " { __typename ... on MembershipPayload { membership { status } } } }",
        people=("amir",),
        setup=(INVITATION,),
    ),
    "Query.sharedInterests": Scenario('{ sharedInterests(a: "amir", b: "carl") { score } }'),
    "Query.recommendedPeople": Scenario(
        '{ recommendedPeople(person: "amir") { nodes { score } } }',
        people=("amir",),
        setup=(KINDRED,),
    ),
    "Query.interestOverlap": Scenario(
        f'{{ interestOverlap(group: "{GROUP}") {{ label }} }}', groups=(GROUP,)
    ),
    "Query.meetingBalance": Scenario(
        '{ meetingBalance(meeting: "spring-2024-m1") { gini } }', groups=(GROUP,)
    ),
    "Query.groupBalance": Scenario(
        f'{{ groupBalance(group: "{GROUP}") {{ members {{ trend }} }} }}', groups=(GROUP,)
    ),
    "Query.suggestBreakouts": Scenario(
        '{ suggestBreakouts(meeting: "spring-2024-m2", groupSize: 4) { score } }',
        groups=(GROUP,),
    ),
    "Query.composeCohorts": Scenario(
        '{ composeCohorts(applicants: [{person: "amir"}, {person: "britt"}, {person: "carl"},'
        ' {person: "dina"}], cohortSize: 2, iterations: 100) { objective } }'
    ),
    "Query.relationship": Scenario(
        f'{{ relationship(a: "amir", b: "carl", at: "{AT}") {{ strength {{ band }} }} }}',
        people=("amir", "carl"),
        groups=(GROUP,),
    ),
    "Query.strongestTies": Scenario(
        '{ strongestTies(person: "amir") { nodes { strength { strength } } } }', people=("amir",)
    ),
    "Query.tieHistory": Scenario(
        '{ tieHistory(a: "amir", b: "carl", from: "2024-01-01T00:00:00Z",'
        ' to: "2024-12-31T00:00:00Z", stepDays: 30) { at } }',
        people=("amir", "carl"),
        groups=(GROUP,),
    ),
    "Query.driftingTies": Scenario(
        f'{{ driftingTies(person: "amir", at: "{AT}") {{ nodes {{ now {{ band }} }} }} }}',
        people=("amir",),
    ),
    "Query.keepInTouch": Scenario(
        '{ keepInTouch(person: "amir", at: "2025-03-01T00:00:00Z") { reason } }',
        people=("amir",),
    ),
    "Query.groupRetention": Scenario(
        f'{{ groupRetention(group: "{GROUP}", at: "{AT}") {{ shareAfter }} }}', groups=(GROUP,)
    ),
    "Query.compareGroups": Scenario(
        f'{{ compareGroups(groups: ["{GROUP}"], at: "{AT}") {{ shareAfter }} }}', groups=(GROUP,)
    ),
    "Query.groupTies": Scenario(
        f'{{ groupTies(group: "{GROUP}", at: "{AT}") {{ strength {{ band }} }} }}',
        groups=(GROUP,),
    ),
    "Mutation.upsertPerson": _write("upsertPerson", "PersonInput!", AMIR, people=("amir",)),
    "Mutation.upsertPeople": _write("upsertPeople", "[PersonInput!]!", [AMIR], people=("amir",)),
    "Mutation.upsertOrganization": _write(
        "upsertOrganization",
        "OrganizationInput!",
        {"key": "northbank", "name": "Northbank", "industry": "fintech"},
    ),
    "Mutation.upsertOrganizations": _write(
        "upsertOrganizations", "[OrganizationInput!]!", [{"key": "acme", "name": "Acme"}]
    ),
    "Mutation.upsertInterest": _write(
        "upsertInterest", "InterestInput!", {"key": "ai", "name": "AI"}
    ),
    "Mutation.upsertInterests": _write(
        "upsertInterests", "[InterestInput!]!", [{"key": "ai", "name": "AI"}]
    ),
    "Mutation.upsertGroup": _write(
        "upsertGroup", "GroupInput!", GROUP_INPUT, people=("lena",), groups=(GROUP,)
    ),
    "Mutation.upsertGroups": _write(
        "upsertGroups", "[GroupInput!]!", [GROUP_INPUT], people=("lena",), groups=(GROUP,)
    ),
    "Mutation.upsertMembership": _write(
        "upsertMembership", "MembershipInput!", {"group": GROUP, "person": "amir"}, groups=(GROUP,)
    ),
    "Mutation.upsertMemberships": _write(
        "upsertMemberships",
        "[MembershipInput!]!",
        [{"group": GROUP, "person": "amir"}],
        groups=(GROUP,),
    ),
    "Mutation.upsertMeeting": _write("upsertMeeting", "MeetingInput!", MEETING, groups=(GROUP,)),
    "Mutation.upsertMeetings": _write(
        "upsertMeetings", "[MeetingInput!]!", [MEETING], groups=(GROUP,)
    ),
    "Mutation.recordAttendee": _write(
        "recordAttendee",
        "AttendanceInput!",
        {"meeting": "spring-2024-m1", "person": "lena", "speakingSeconds": 600},
        groups=(GROUP,),
        people=("lena",),
        members=("lena",),
    ),
    "Mutation.recordAttendance": _write(
        "recordAttendance",
        "[AttendanceInput!]!",
        [{"meeting": "spring-2024-m1", "person": "lena", "speakingSeconds": 600}],
        groups=(GROUP,),
        people=("lena",),
        members=("lena",),
    ),
    "Mutation.recordBreakout": _write(
        "recordBreakout",
        "BreakoutInput!",
        BREAKOUT,
        groups=(GROUP,),
        people=BREAKOUT["members"],
        members=BREAKOUT["members"],
    ),
    "Mutation.recordBreakouts": _write(
        "recordBreakouts",
        "[BreakoutInput!]!",
        [BREAKOUT],
        groups=(GROUP,),
        people=BREAKOUT["members"],
        members=BREAKOUT["members"],
    ),
    "Mutation.recordSideConversation": _write(
        "recordSideConversation",
        "SideConversationInput!",
        SIDE,
        people=("amir", "carl"),
        groups=(GROUP,),
    ),
    "Mutation.recordSideConversations": _write(
        "recordSideConversations",
        "[SideConversationInput!]!",
        [SIDE],
        people=("amir", "carl"),
        groups=(GROUP,),
    ),
    "Mutation.recordInteraction": _write(
        "recordInteraction", "InteractionInput!", CALL, people=("amir", "carl")
    ),
    "Mutation.recordInteractions": _write(
        "recordInteractions", "[InteractionInput!]!", [CALL], people=("amir", "carl")
    ),
    "Mutation.upsertIntroduction": _write(
        "upsertIntroduction", "IntroductionInput!", INTRO, people=("amir", "carl", "hanna")
    ),
    "Mutation.upsertIntroductions": _write(
        "upsertIntroductions", "[IntroductionInput!]!", [INTRO], people=("amir", "carl", "hanna")
    ),
    "Mutation.erasePerson": Scenario(
        'mutation { erasePerson(person: "stranger") { __typename } }', people=("stranger",)
    ),
}


@dataclass(frozen=True)
class Live:
    """A subscription acting on the data of ``people`` in ``groups``; ``trigger`` (formatted
    with a number new for each caller) is a write, made by an admin, that it must tell of."""

    document: str
    trigger: str
    people: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


SUBSCRIPTIONS: dict[str, Live] = {
    "Subscription.tieChanged": Live(
        'subscription { tieChanged(person: "amir") { band other { key } } }',
        'mutation {{ upsertPerson(input: {{key: "new-{n}", name: "New {n}"}}) {{ __typename }}'
        ' recordInteraction(input: {{key: "call-new-{n}", at: "2026-12-01T10:00:00Z",'
        ' kind: CALL, participants: ["amir", "new-{n}"]}}) {{ __typename }} }}',
        people=("amir",),
    ),
    "Subscription.introductionUpdates": Live(
        'subscription { introductionUpdates(person: "amir") { key status } }',
        'mutation {{ upsertIntroduction(input: {{key: "intro-live-{n}", requester: "amir",'
        ' introducer: "carl", target: "hanna", requestedAt: "2024-10-01T10:00:00Z"}})'
        " {{ __typename }} }}",
        people=("amir",),
    ),
    "Subscription.groupActivity": Live(
        f'subscription {{ groupActivity(group: "{GROUP}") {{ kind breakout {{ key }} }} }}',
        'mutation {{ recordBreakout(input: {{key: "live-bx-{n}", meeting: "spring-2024-m1",'
        ' members: ["amir", "dina"]}}) {{ __typename }} }}',
        groups=(GROUP,),
    ),
}


def _root_fields() -> set[str]:
    found: set[str] = set()
    for root in ("Query", "Mutation"):
        graphql_type = schema._schema.get_type(root)
        assert graphql_type is not None
        found.update(f"{root}.{name}" for name in graphql_type.fields)  # type: ignore[attr-defined]
    return found


def test_every_operation_has_a_policy_rule_and_a_scenario() -> None:
    operations = _root_fields()
    subscription = schema._schema.get_type("Subscription")
    assert subscription is not None
    live = {f"Subscription.{name}" for name in subscription.fields}  # type: ignore[attr-defined]
    assert operations | live == set(OPERATION_ACTIONS), "give each new operation a policy action"
    assert operations == set(SCENARIOS), "give each new operation a scenario here"
    assert live == set(SUBSCRIPTIONS), "give each new subscription a scenario here"


REFUSALS = {"Forbidden", "NotFound"}
"""How a refusal answers as data: not allowed, or (for a record the caller may not touch) as
if it did not exist."""
FAILURES = {"InvalidInput", "Conflict"}


def _refused(body: dict[str, Any]) -> bool:
    errors = body.get("errors") or []
    if any("not allowed" in e["message"] or "not found" in e["message"] for e in errors):
        return True
    data = body.get("data") or {}
    typenames = [v.get("__typename") for v in data.values() if isinstance(v, dict)]
    return bool(REFUSALS & set(typenames))


def _returned(value: Any) -> bool:
    """Whether ``value`` holds something: a payload, a non-empty list, a field with a value."""
    match value:
        case None:
            return False
        case list():
            return any(_returned(v) for v in value)
        case dict():
            if value.get("__typename") in REFUSALS | FAILURES:
                return False
            fields = {k: v for k, v in value.items() if k != "__typename"}
            return not fields or any(_returned(v) for v in fields.values())
        case _:
            return True


def _worked(body: dict[str, Any]) -> bool:
    """Whether the operation answered without errors and with data in every root field."""
    data = body.get("data") or {}
    return not body.get("errors") and bool(data) and all(_returned(v) for v in data.values())


@pytest.mark.parametrize("operation", sorted(SCENARIOS))
async def test_each_role_is_allowed_or_refused_as_the_policy_says(api: Api, operation: str) -> None:
    scenario = SCENARIOS[operation]
    action = OPERATION_ACTIONS[operation]
    outcomes = {}
    expected = {}
    for caller in CALLERS:
        for setup in scenario.setup:
            done = await api.data(setup.document, api.as_(setup.person, *setup.roles))
            assert all(v["__typename"] not in REFUSALS | FAILURES for v in done.values()), done
        facts = Facts(
            people=scenario.people,
            groups=scenario.groups,
            led_by_viewer=caller.leads,
            member_of=caller.member_of,
            members=scenario.members,
        )
        expected[caller.name] = may(caller.viewer(), action, facts)
        headers = api.as_(caller.person, *caller.roles)
        body = await api.query(scenario.document, headers, **scenario.variables)
        invalid = [
            v
            for v in (body.get("data") or {}).values()
            if isinstance(v, dict) and v.get("__typename") == "InvalidInput"
        ]
        assert not invalid, f"{operation} as {caller.name}: the scenario itself is invalid: {body}"
        refused = _refused(body)
        outcomes[caller.name] = not refused
        if expected[caller.name] and not refused and caller.name not in scenario.nothing_for:
            assert _worked(body), (
                f"{operation} as {caller.name} was allowed but gave nothing: {body}"
            )
    assert outcomes == expected


async def test_the_allowed_keep_in_touch_cell_returns_the_persons_own_nudges(api: Api) -> None:
    document = SCENARIOS["Query.keepInTouch"].document
    body = await api.query(document, api.as_("amir", Role.MEMBER))
    nudges = body["data"]["keepInTouch"]
    assert nudges, "Amir's group ties had faded by March 2025: something to renew"
    assert all(n["reason"].startswith("You and ") for n in nudges)


async def _first_event(api: Api, caller: Caller, live: Live, n: int) -> dict[str, Any]:
    """Subscribe as ``caller``; once subscribed, make the trigger write; return the first
    result (a refusal comes at once, before any write)."""
    state = api.app.state
    context = LiveContext(state.service, caller.viewer(), live=state.live)
    stream = await schema.subscribe(live.document, context_value=context)
    assert isinstance(stream, AsyncGenerator), stream
    listening = state.live.feed.subscribers
    first = asyncio.ensure_future(anext(stream))
    try:
        async with asyncio.timeout(10):
            # The feed's count of subscribers has no event to wait on: poll it.
            while not first.done() and state.live.feed.subscribers == listening:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            # A write landing while the subscription reads where it starts from can go untold
            # (a known gap, docs/api.md): this checks who may subscribe, so write again.
            attempt = 0
            while not first.done():
                await api.data(live.trigger.format(n=n + 100 * attempt), api.admin)
                attempt += 1
                await asyncio.wait({first}, timeout=2)
            result = await first
    finally:
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await first
        await stream.aclose()
    return {"data": result.data, "errors": [{"message": e.message} for e in result.errors or []]}


@pytest.mark.parametrize("operation", sorted(SUBSCRIPTIONS))
async def test_each_role_may_subscribe_as_the_policy_says(api: Api, operation: str) -> None:
    live = SUBSCRIPTIONS[operation]
    action = OPERATION_ACTIONS[operation]
    outcomes = {}
    expected = {}
    for n, caller in enumerate(CALLERS):
        facts = Facts(
            people=live.people,
            groups=live.groups,
            led_by_viewer=caller.leads,
            member_of=caller.member_of,
        )
        expected[caller.name] = may(caller.viewer(), action, facts)
        body = await _first_event(api, caller, live, n)
        refused = _refused(body)
        outcomes[caller.name] = not refused
        if not refused:
            assert not body["errors"], f"{operation} as {caller.name}: {body}"
            assert _worked(body), f"{operation} as {caller.name} was allowed but gave nothing"
    assert outcomes == expected

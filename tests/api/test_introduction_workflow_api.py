"""Asking for an introduction, answering it, recording whether the two met; and what people
share, over GraphQL on every backend."""

from __future__ import annotations

from graph.usecases.viewer import Role
from tests.api.conftest import Api

STEP = """
mutation($id: ID!, $accept: Boolean!) {
  answerIntroduction(id: $id, accept: $accept) {
    __typename
    ... on IntroductionPayload { introduction { status } }
    ... on Conflict { problems { reason } }
  }
}
"""
OUTCOME = """
mutation($id: ID!, $met: Boolean!) {
  recordIntroductionOutcome(id: $id, met: $met) {
    __typename
    ... on IntroductionPayload { introduction { status } }
    ... on Conflict { problems { reason } }
  }
}
"""


async def test_a_request_is_answered_then_met_and_the_meeting_feeds_the_tie(api: Api) -> None:
    asked = await api.data(
        """mutation { requestIntroduction(to: "hanna", via: "britt", note: "rebrand") {
             __typename ... on IntroductionPayload { introduction { key status } } } }""",
        api.as_("emil"),
    )
    introduction = asked["requestIntroduction"]["introduction"]
    assert introduction["status"] == "REQUESTED"
    key = introduction["key"]
    early = await api.data(OUTCOME, api.as_("emil"), id=key, met=True)
    assert early["recordIntroductionOutcome"]["__typename"] == "Conflict"
    refused = await api.query(STEP, api.as_("emil"), id=key, accept=True)
    assert refused["data"]["answerIntroduction"]["__typename"] == "Forbidden"
    accepted = await api.data(STEP, api.as_("britt"), id=key, accept=True)
    assert accepted["answerIntroduction"]["introduction"]["status"] == "ACCEPTED"
    met = await api.data(OUTCOME, api.as_("hanna"), id=key, met=True)
    assert met["recordIntroductionOutcome"]["introduction"]["status"] == "MET"
    contacts = await api.data(
        '{ interactions(person: "emil", with: "hanna") { nodes { kind } } }', api.as_("emil")
    )
    assert "INTRODUCTION" in [n["kind"] for n in contacts["interactions"]["nodes"]]
    stats = await api.data(
        '{ intermediaryStats(person: "britt") { asked accepted met acceptanceRate successRate } }',
        api.as_("dina"),
    )
    assert stats["intermediaryStats"] == {
        "asked": 1,
        "accepted": 1,
        "met": 1,
        "acceptanceRate": 1.0,
        "successRate": 1.0,
    }


async def test_a_declined_request_counts_against_the_acceptance_rate(api: Api) -> None:
    declined = await api.data(STEP, api.as_("carl"), id="intro-amir-hanna", accept=False)
    assert declined["answerIntroduction"]["introduction"]["status"] == "DECLINED"
    stats = await api.data(
        '{ intermediaryStats(person: "carl") { asked declined acceptanceRate successRate } }',
        api.as_("amir"),
    )
    assert stats["intermediaryStats"] == {
        "asked": 1,
        "declined": 1,
        "acceptanceRate": 0.0,
        "successRate": None,
    }


async def test_shared_interests_recommendations_and_group_overlap(api: Api) -> None:
    data = await api.data(
        """{ sharedInterests(a: "amir", b: "carl") { score groupContextShown
               items { facet label weight explanation } }
             recommendedPeople(person: "amir") { nodes { person { key } reasons } }
             interestOverlap(group: "spring-2024") { label memberCount members { key } } }""",
        api.as_("amir"),
    )
    shared = data["sharedInterests"]
    assert shared["groupContextShown"] is True
    assert "GROUP" in {i["facet"] for i in shared["items"]}
    weights = [i["weight"] for i in shared["items"]]
    assert weights == sorted(weights, reverse=True)
    assert all(r["person"]["key"] != "amir" for r in data["recommendedPeople"]["nodes"])
    for overlap in data["interestOverlap"]:
        assert overlap["memberCount"] == len(overlap["members"]) >= 2
    as_outsider = await api.data(
        '{ sharedInterests(a: "amir", b: "carl") { groupContextShown } }',
        api.as_("stranger", Role.MEMBER),
    )
    assert as_outsider["sharedInterests"]["groupContextShown"] is False

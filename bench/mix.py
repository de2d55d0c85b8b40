"""The documents of the mixed load (:mod:`bench.locustfile`), importable without locust.

Locust patches the standard library with gevent when imported; profiling the same requests in
process (:mod:`bench.profile_load`) must not.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "GROUP_RETENTION",
    "INTRODUCTION_PATHS",
    "PERSON_PAGE",
    "RECORD_INTERACTIONS",
    "RECORD_SIDE_CONVERSATIONS",
    "RELATIONSHIP",
]

PERSON_PAGE: Final = (
    "query PersonPage($id: ID!) { person(id: $id) { key name title organization { name } "
    "memberships(first: 10) { totalCount nodes { role group { key name theme } } } "
    "ties(first: 10) { totalCount edges { node { count lastAt strength { strength band } "
    "other { key name } } } } } }"
)
INTRODUCTION_PATHS: Final = (
    "query IntroductionPaths($from: ID!, $to: ID!, $maxHops: Int!) { introductionPaths(from: "
    "$from, to: $to, maxHops: $maxHops, first: 5) { score hops links { strength band from { key "
    "} to { key } } people { key name } } }"
)
RELATIONSHIP: Final = (
    "query Relationship($a: ID!, $b: ID!) { relationship(a: $a, b: $b) { interactionCount "
    "firstContact lastContact strength { strength band } evidence { __typename } } }"
)
GROUP_RETENTION: Final = (
    "query GroupRetention($group: ID!) { groupRetention(group: $group) { group memberCount "
    "pairCount shareDuring shareAfter aggregated curve { days share pairs } } }"
)
WRITE_RESULT: Final = (
    "{ __typename ... on WritePayload { created counts { kind created unchanged } }"
    " ... on InvalidInput { message } ... on NotFound { message }"
    " ... on Forbidden { message } ... on Conflict { message } }"
)
RECORD_INTERACTIONS: Final = (
    "mutation RecordInteractions($input: [InteractionInput!]!) { recordInteractions(input: "
    "$input) " + WRITE_RESULT + " }"
)
RECORD_SIDE_CONVERSATIONS: Final = (
    "mutation RecordSideConversations($input: [SideConversationInput!]!) { "
    "recordSideConversations(input: $input) " + WRITE_RESULT + " }"
)

"""Text built to break a query is only text: stored verbatim, matched literally, nothing else hit.

Every value reaches the stores as a bound parameter (``?`` in SQLite, ``$param`` in Cypher), so
an injection string is a name like any other. These tests hold both stores to that, over HTTP.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from graph.domain.codec import ENTITY_KINDS, encode, record_id
from graph.ports import MAX_PAGE, GraphStore
from tests.api.conftest import Api
from tests.hostile.support import INJECTIONS, served_store

AT = "2024-10-01T10:00:00Z"
UNICODE = (
    "\u202e\u0644\u0627 right-to-left",
    "\U0001f469\u200d\U0001f4bb emoji",
    "Z\u0351\u0361a\u0362l\u0361g\u0354o",
    "\ufeffbyte order mark",
    "line\nbreak\tand tab",
    "\uffff",
)
"""Unusual but valid text, stored as given."""

PERSON_FIELDS = "key name title location email profileUrl interests offers seeks"


async def contents(store: GraphStore) -> dict[str, dict[str, str]]:
    """Every record the store holds, by kind and id, as JSON text."""
    found: dict[str, dict[str, str]] = {}
    for name, kind in ENTITY_KINDS.items():
        records: dict[str, str] = {}
        after: str | None = None
        while True:
            page = await store.list_records(kind, first=MAX_PAGE, after=after)
            records.update(
                {
                    record_id(r): json.dumps(encode(r), sort_keys=True, default=str)
                    for r in page.items
                }
            )
            if not page.has_next or not page.items:
                break
            after = record_id(page.items[-1])
        found[name] = records
    return found


def without(found: dict[str, dict[str, str]], kind: str, ids: set[str]) -> dict[str, Any]:
    return {
        k: {i: v for i, v in records.items() if k != kind or i not in ids}
        for k, records in found.items()
    }


def person_input(key: str, text: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": text,
        "title": text,
        "location": text,
        "email": text,
        "profileUrl": text,
        "interests": [text],
        "offers": [text],
        "seeks": [text],
    }


UPSERT_PEOPLE = """
mutation($people: [PersonInput!]!) {
  upsertPeople(input: $people) {
    __typename
    ... on WritePayload { created }
    ... on InvalidInput { problems { path reason } }
  }
}
"""


async def test_injection_strings_are_stored_verbatim_and_nothing_else_changes(
    hostile: Api,
) -> None:
    store = served_store(hostile)
    before = await contents(store)
    texts = {f"inj-{n}": text for n, text in enumerate((*INJECTIONS, *UNICODE))}

    written = await hostile.data(
        UPSERT_PEOPLE, people=[person_input(key, text) for key, text in texts.items()]
    )

    assert written["upsertPeople"] == {"__typename": "WritePayload", "created": len(texts)}
    for key, text in texts.items():
        found = await hostile.data(
            f"query($id: ID!) {{ person(id: $id) {{ {PERSON_FIELDS} }} }}", id=key
        )
        assert found["person"] == {
            "key": key,
            "name": text,
            "title": text,
            "location": text,
            "email": text,
            "profileUrl": text,
            "interests": [text],
            "offers": [text],
            "seeks": [text],
        }
    after = await contents(store)
    assert without(after, "person", set(texts)) == before
    assert set(after["person"]) - set(before["person"]) == set(texts)


def as_id(text: str) -> str:
    """The injection string with what an id may not hold (white space, ``|``) taken out."""
    return "".join(text.split()).replace("|", "")[:200]


async def test_injection_strings_work_as_ids_of_people_and_of_their_contacts(hostile: Api) -> None:
    store = served_store(hostile)
    before = await contents(store)
    keys = sorted({as_id(text) for text in INJECTIONS})
    await hostile.data(UPSERT_PEOPLE, people=[{"key": key, "name": "Someone"} for key in keys])
    contacts: list[dict[str, Any]] = [
        {
            "key": f"{a}{b}"[:200],
            "at": AT,
            "kind": "CALL",
            "participants": [a, b],
            "initiator": a,
            "channel": INJECTIONS[n % len(INJECTIONS)],
        }
        for n, (a, b) in enumerate(itertools.pairwise(keys))
    ]

    recorded = await hostile.data(
        "mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) {"
        " __typename ... on InvalidInput { problems { path reason } } } }",
        input=contacts,
    )

    assert recorded["recordInteractions"] == {"__typename": "WritePayload"}
    for contact in contacts:
        a, b = contact["participants"]
        found = await hostile.data(
            "query($a: ID!, $b: ID!) { person(id: $a) { key }"
            " interactions(person: $a, with: $b) { nodes { key channel participants { key } } } }",
            a=a,
            b=b,
        )
        assert found["person"] == {"key": a}
        assert found["interactions"]["nodes"] == [
            {
                "key": contact["key"],
                "channel": contact["channel"],
                "participants": [{"key": a}, {"key": b}],
            }
        ]
    after = await contents(store)
    new_contacts = {c["key"] for c in contacts}
    assert without(without(after, "person", set(keys)), "interaction", new_contacts) == before


async def test_search_terms_match_literally_never_as_patterns(hostile: Api) -> None:
    names = (*INJECTIONS, "100% sure", "snake_case", "a.*b", "back\\slash", "Örjan Ängel")
    await hostile.data(
        UPSERT_PEOPLE,
        people=[
            {"key": f"named-{n}", "name": name, "interests": [name]} for n, name in enumerate(names)
        ],
    )
    everyone = await hostile.data("{ people(first: 1000) { nodes { key name interests } } }")
    people = everyone["people"]["nodes"]
    terms = (*INJECTIONS, "%", "_", ".*", "\\", "*", "' OR '1'='1", "ÖRJAN", "ängel")

    for term in terms:
        found = await hostile.data(
            "query($f: PeopleFilter) { people(filter: $f, first: 1000) { nodes { key } } }",
            f={"name": term},
        )
        expected = sorted(p["key"] for p in people if term.casefold() in p["name"].casefold())
        assert sorted(p["key"] for p in found["people"]["nodes"]) == expected, term
        by_interest = await hostile.data(
            "query($f: PeopleFilter) { people(filter: $f, first: 1000) { nodes { key } } }",
            f={"interest": term},
        )
        expected = sorted(
            p["key"] for p in people if term.casefold() in {i.casefold() for i in p["interests"]}
        )
        assert sorted(p["key"] for p in by_interest["people"]["nodes"]) == expected, term


async def test_notes_and_channels_keep_injection_strings_verbatim(hostile: Api) -> None:
    result = await hostile.data(
        "mutation($intros: [IntroductionInput!]!, $sides: [SideConversationInput!]!) {"
        " upsertIntroductions(input: $intros) { __typename }"
        " recordSideConversations(input: $sides) { __typename } }",
        intros=[
            {
                "key": f"intro-inj-{n}",
                "requester": "amir",
                "introducer": "carl",
                "target": "hanna",
                "requestedAt": AT,
                "note": text,
            }
            for n, text in enumerate(INJECTIONS)
        ],
        sides=[
            {"key": f"side-inj-{n}", "at": AT, "participants": ["amir", "carl"], "channel": text}
            for n, text in enumerate(INJECTIONS)
        ],
    )
    assert result == {
        "upsertIntroductions": {"__typename": "WritePayload"},
        "recordSideConversations": {"__typename": "WritePayload"},
    }

    found = await hostile.data(
        '{ introductions(person: "amir", first: 100) { nodes { key note } }'
        ' sideConversations(person: "amir", first: 100) { nodes { key channel } } }'
    )

    notes = {i["key"]: i["note"] for i in found["introductions"]["nodes"]}
    channels = {s["key"]: s["channel"] for s in found["sideConversations"]["nodes"]}
    for n, text in enumerate(INJECTIONS):
        assert notes[f"intro-inj-{n}"] == text
        assert channels[f"side-inj-{n}"] == text


async def test_control_characters_and_bad_ids_are_refused_naming_the_field(service: Api) -> None:
    # Refused by the domain's validation, before a store is asked: the embedded store will do.
    store = served_store(service)
    before = await contents(store)

    written = await service.data(
        UPSERT_PEOPLE,
        people=[
            {"key": "nul-in-name", "name": "a\u0000b"},
            {"key": "a b", "name": "space in key"},
            {"key": "a|b", "name": "pipe in key"},
            {"key": "x" * 201, "name": "long key"},
            {"key": "nul\u0000key", "name": "nul in key"},
            {"key": "ok-key", "name": "\u0007bell"},
        ],
    )

    assert written["upsertPeople"]["__typename"] == "InvalidInput"
    paths = sorted("/".join(p["path"]) for p in written["upsertPeople"]["problems"])
    assert paths == [
        "input/0/name",
        "input/1/key",
        "input/2/key",
        "input/3/key",
        "input/4/key",
        "input/5/name",
    ]
    assert await contents(store) == before

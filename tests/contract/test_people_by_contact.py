"""Every store finds people by e-mail and profile URL the same way, however they are spelled."""

from __future__ import annotations

import pytest

from graph.ports import GraphStore, batch_of
from tests.factories import person

ADA_URL = "https://www.linkedin.com/in/ada-lind/"


async def test_people_are_found_by_email_whatever_its_case_and_surrounding_spaces(
    store: GraphStore,
) -> None:
    ada = person("ada", email="Ada.Lind@Example.org")
    await store.apply(batch_of([ada, person("bo", email="bo@example.org"), person("cy")]))

    found = await store.people_by_contact(emails=["  ada.lind@EXAMPLE.ORG "])

    assert found == {"ada": ada}


@pytest.mark.parametrize(
    "spelling",
    [
        ADA_URL,
        "https://www.linkedin.com/in/ada-lind",
        "http://linkedin.com/in/ada-lind",
        "HTTPS://WWW.LINKEDIN.COM/in/ada-lind/?trk=public_profile",
        "linkedin.com/in/ada-lind#experience",
        "https://se.linkedin.com/in/ada-lind//",
    ],
)
async def test_people_are_found_by_any_spelling_of_their_profile_url(
    store: GraphStore, spelling: str
) -> None:
    ada = person("ada", profile_url=ADA_URL)
    await store.apply(batch_of([ada, person("bo", profile_url="https://linkedin.com/in/bo-ek")]))

    assert await store.people_by_contact(profile_urls=[spelling]) == {"ada": ada}


async def test_a_profile_url_matches_only_the_same_host_and_the_same_path_in_the_same_case(
    store: GraphStore,
) -> None:
    await store.apply(
        batch_of(
            [
                person("ada", profile_url=ADA_URL),
                person("longer", profile_url="https://www.linkedin.com/in/ada-lindqvist"),
                person("deeper", profile_url="https://www.linkedin.com/in/ada-lind/details"),
                person("elsewhere", profile_url="https://example.com/in/ada-lind"),
                person("capital", profile_url="https://www.linkedin.com/in/Ada-Lind"),
            ]
        )
    )

    found = await store.people_by_contact(profile_urls=["https://linkedin.com/in/ada-lind"])

    assert set(found) == {"ada"}


async def test_profile_urls_with_other_letters_match_encoded_or_not(store: GraphStore) -> None:
    dana = person("dana", profile_url="https://www.linkedin.com/in/dana-%c3%b6berg")
    jorg = person("jorg", profile_url="https://www.linkedin.com/in/jörg-müller")
    kana = person("kana", profile_url="https://example.jp/in/%E6%97%A5%E6%9C%AC")
    await store.apply(batch_of([dana, jorg, kana]))

    found = await store.people_by_contact(
        profile_urls=[
            "https://linkedin.com/in/dana-öberg",
            "https://linkedin.com/in/j%C3%B6rg-m%C3%BCller/",
            "https://example.jp/in/日本",
        ]
    )

    assert found == {"dana": dana, "jorg": jorg, "kana": kana}


async def test_everyone_with_a_matching_contact_is_returned_once(store: GraphStore) -> None:
    ada = person("ada", email="shared@example.org", profile_url=ADA_URL)
    bo = person("bo", email="Shared@Example.org")
    await store.apply(batch_of([ada, bo, person("cy", email="cy@example.org")]))

    found = await store.people_by_contact(
        emails=["shared@example.org", "nobody@example.org"], profile_urls=[ADA_URL]
    )

    assert found == {"ada": ada, "bo": bo}


async def test_values_that_are_no_address_or_url_find_nobody(store: GraphStore) -> None:
    await store.apply(
        batch_of(
            [
                person("ada", email="not an address", profile_url="not a url"),
                person("bo", email="bo@example.org"),
            ]
        )
    )

    assert await store.people_by_contact() == {}
    assert await store.people_by_contact(emails=["not an address"]) == {}
    assert await store.people_by_contact(profile_urls=["not a url", "mailto:bo@example.org"]) == {}


async def test_many_contacts_are_looked_up_at_once(store: GraphStore) -> None:
    people = [
        person(
            f"p{i:03d}",
            email=f"p{i:03d}@example.org" if i % 2 else None,
            profile_url=None if i % 2 else f"https://www.linkedin.com/in/person-{i:03d}",
        )
        for i in range(300)
    ]
    await store.apply(batch_of(people))

    found = await store.people_by_contact(
        emails=[f"P{i:03d}@EXAMPLE.ORG" for i in range(1, 300, 2)],
        profile_urls=[f"linkedin.com/in/person-{i:03d}/" for i in range(0, 300, 2)],
    )

    assert found == {p.id: p for p in people}

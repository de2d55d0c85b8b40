"""Every store finds people by name at an organization the same way, however the name is spelled."""

from __future__ import annotations

import pytest

from graph.ports import GraphStore, batch_of
from tests.factories import organization, person


@pytest.fixture
async def acme_and_bank(store: GraphStore) -> GraphStore:
    await store.apply(batch_of([organization("acme"), organization("bank")]))
    return store


@pytest.mark.parametrize(
    "spelling",
    ["Carl Ek", "carl ek", "  CARL   EK ", "Carl\u00a0Ek", "Ｃａｒｌ Ｅｋ", "Carl\tEk"],
)
async def test_a_person_is_found_by_any_spelling_of_their_name_at_their_organization(
    acme_and_bank: GraphStore, spelling: str
) -> None:
    carl = person("carl", name="Carl Ek", organization_id="acme")
    await acme_and_bank.apply(batch_of([carl, person("cy", name="Cy Ek", organization_id="acme")]))

    assert await acme_and_bank.people_by_name([(spelling, "acme")]) == {"carl": carl}


async def test_accents_count_and_a_decomposed_accent_is_the_composed_one(
    acme_and_bank: GraphStore,
) -> None:
    carl = person("carl", name="Carl Ek", organization_id="acme")
    carl_with_accent = person("carl2", name="Ćarl Ek", organization_id="acme")
    await acme_and_bank.apply(batch_of([carl, carl_with_accent]))

    assert await acme_and_bank.people_by_name([("C\u0301ARL ek", "acme")]) == {
        "carl2": carl_with_accent
    }
    assert await acme_and_bank.people_by_name([("carl ek", "acme")]) == {"carl": carl}


async def test_the_same_name_at_another_organization_or_none_is_not_found(
    acme_and_bank: GraphStore,
) -> None:
    await acme_and_bank.apply(
        batch_of(
            [
                person("carl", name="Carl Ek", organization_id="bank"),
                person("carl2", name="Carl Ek"),
            ]
        )
    )

    assert await acme_and_bank.people_by_name([("Carl Ek", "acme")]) == {}
    assert await acme_and_bank.people_by_name([("Carl Ek", "unknown-org")]) == {}


async def test_everyone_who_shares_a_name_at_an_organization_is_returned(
    acme_and_bank: GraphStore,
) -> None:
    first = person("carl", name="Carl Ek", organization_id="acme")
    second = person("carl-ek", name="CARL EK", organization_id="acme")
    await acme_and_bank.apply(batch_of([first, second]))

    assert await acme_and_bank.people_by_name([("carl ek", "acme")]) == {
        "carl": first,
        "carl-ek": second,
    }


async def test_a_name_must_match_whole_and_a_blank_name_finds_nobody(
    acme_and_bank: GraphStore,
) -> None:
    await acme_and_bank.apply(
        batch_of(
            [
                person("carl", name="Carl Ek", organization_id="acme"),
                person("carla", name="Carl Eklund", organization_id="acme"),
            ]
        )
    )

    assert await acme_and_bank.people_by_name([("Carl", "acme"), ("Ek", "acme")]) == {}
    assert await acme_and_bank.people_by_name([("  ", "acme")]) == {}
    assert await acme_and_bank.people_by_name([]) == {}


async def test_a_person_who_moved_is_found_at_their_new_organization_only(
    acme_and_bank: GraphStore,
) -> None:
    await acme_and_bank.apply(batch_of([person("carl", name="Carl Ek", organization_id="acme")]))
    moved = person("carl", name="Carl Ek", organization_id="bank")
    await acme_and_bank.apply(batch_of([moved]))

    assert await acme_and_bank.people_by_name([("Carl Ek", "acme")]) == {}
    assert await acme_and_bank.people_by_name([("Carl Ek", "bank")]) == {"carl": moved}


async def test_many_names_at_many_organizations_are_looked_up_at_once(store: GraphStore) -> None:
    organizations = [organization(f"org{i:02d}") for i in range(30)]
    people = [
        person(f"p{i:03d}", name=f"Person {i:03d}", organization_id=f"org{i % 30:02d}")
        for i in range(300)
    ]
    await store.apply(batch_of([*organizations, *people]))

    wanted = [(f"PERSON {i:03d}", f"org{i % 30:02d}") for i in range(0, 300, 2)]
    wrong_place = [(f"person {i:03d}", f"org{(i + 1) % 30:02d}") for i in range(1, 300, 2)]
    found = await store.people_by_name([*wanted, *wrong_place])

    assert found == {p.id: p for p in people[::2]}

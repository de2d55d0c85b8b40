"""Every store answers reads the same way: order, filters, pages, ties, counts."""

from __future__ import annotations

import pytest

from graph.domain.errors import InvalidInput
from graph.domain.model import InteractionKind, Interest, Membership, MembershipStatus, Person
from graph.ports import GraphStore, PeopleQuery, batch_of
from tests.contract.test_store_writes import a_small_network
from tests.factories import (
    at,
    attendance,
    breakout,
    group,
    interaction,
    meeting,
    membership,
    person,
    side_conversation,
)


async def test_people_are_listed_in_id_order_one_page_at_a_time(store: GraphStore) -> None:
    await store.apply(batch_of([person(f"p{i:02d}") for i in range(25)]))
    first = await store.list_records(Person, first=10)
    assert [p.id for p in first.items] == [f"p{i:02d}" for i in range(10)]
    assert (first.total, first.has_next) == (25, True)
    last = await store.list_records(Person, first=10, after="p19")
    assert [p.id for p in last.items] == [f"p{i:02d}" for i in range(20, 25)]
    assert last.has_next is False


async def test_an_empty_page_is_allowed_and_an_oversized_one_is_refused(
    store: GraphStore,
) -> None:
    await store.apply(batch_of([person("ada")]))
    empty = await store.list_records(Person, first=0)
    assert (empty.items, empty.total, empty.has_next) == ([], 1, True)
    with pytest.raises(InvalidInput) as caught:
        await store.list_records(Person, first=100_000)
    assert caught.value.problems[0].field == "first"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (PeopleQuery(name="AD"), ["ada"]),
        (PeopleQuery(profession="Marketing"), ["bo", "cy"]),
        (PeopleQuery(industry="fintech"), ["ada"]),
        (PeopleQuery(organization_id="acme"), ["ada"]),
        (PeopleQuery(location="järfälla"), ["bo"]),
        (PeopleQuery(interest="ai"), ["ada"]),
        (PeopleQuery(profession="marketing", discoverable_only=True), ["bo"]),
        (PeopleQuery(name="zz"), []),
        (PeopleQuery(), ["ada", "bo", "cy"]),
    ],
)
async def test_people_are_found_by_every_filter_case_insensitively(
    store: GraphStore, query: PeopleQuery, expected: list[str]
) -> None:
    await store.apply(a_small_network())
    page = await store.search_people(query, first=10)
    assert [p.id for p in page.items] == expected
    assert page.total == len(expected)


async def test_a_search_page_continues_after_the_given_id(store: GraphStore) -> None:
    await store.apply(a_small_network())
    page = await store.search_people(PeopleQuery(profession="marketing"), first=1)
    assert ([p.id for p in page.items], page.has_next) == (["bo"], True)
    rest = await store.search_people(PeopleQuery(profession="marketing"), first=1, after="bo")
    assert ([p.id for p in rest.items], rest.has_next) == (["cy"], False)


async def test_memberships_are_found_by_group_by_person_and_by_both(store: GraphStore) -> None:
    await store.apply(a_small_network())
    await store.apply(batch_of([group("g2"), membership("g2", "bo")]))
    by_group = await store.memberships(group_ids=["g1"])
    assert [(m.group_id, m.person_id) for m in by_group] == [
        ("g1", "ada"),
        ("g1", "bo"),
        ("g1", "cy"),
    ]
    by_person = await store.memberships(person_ids=["bo"])
    assert [(m.group_id, m.person_id) for m in by_person] == [("g1", "bo"), ("g2", "bo")]
    both = await store.memberships(group_ids=["g2"], person_ids=["bo", "ada"])
    assert [(m.group_id, m.person_id) for m in both] == [("g2", "bo")]
    assert await store.memberships(group_ids=[]) == []


async def test_memberships_not_yet_accepted_are_found_only_when_asked_for(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    invited = membership("g1", "dan", status=MembershipStatus.INVITED)
    declined = membership("g1", "eve", status=MembershipStatus.DECLINED)
    await store.apply(batch_of([person("dan"), person("eve"), invited, declined]))
    for found in (
        await store.memberships(group_ids=["g1"]),
        await store.memberships(person_ids=["dan", "eve", "ada"]),
        await store.memberships(),
    ):
        assert {m.person_id for m in found} & {"dan", "eve"} == set()
    everyone = await store.memberships(group_ids=["g1"], accepted_only=False)
    assert [m for m in everyone if m.person_id in {"dan", "eve"}] == [invited, declined]
    assert (await store.get(Membership, ["g1|dan"]))["g1|dan"] == invited


async def test_only_accepted_memberships_are_groups_in_common(store: GraphStore) -> None:
    await store.apply(a_small_network())
    invited = membership("g2", "bo", status=MembershipStatus.INVITED)
    await store.apply(batch_of([group("g2"), membership("g2", "ada"), invited]))
    (context,) = await store.tie_contexts("ada", ["bo"])
    assert context.shared_groups == 1
    await store.apply(batch_of([membership("g2", "bo")]))
    (context,) = await store.tie_contexts("ada", ["bo"])
    assert context.shared_groups == 2


async def test_meetings_come_in_time_order_and_their_attendance_and_breakouts_follow(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    await store.apply(
        batch_of(
            [
                meeting("m0", "g1", day=-7),
                meeting("m2", "g1", day=14),
                attendance("m2", "bo"),
                attendance("m2", "ada"),
                breakout("b2", "m2", "ada", "bo"),
            ]
        )
    )
    meetings = await store.meetings_of(["g1"])
    assert [m.id for m in meetings] == ["m0", "m1", "m2"]
    present = await store.attendance(meeting_ids=["m2", "m1"])
    assert [(a.meeting_id, a.person_id) for a in present] == [
        ("m1", "ada"),
        ("m1", "bo"),
        ("m1", "cy"),
        ("m2", "ada"),
        ("m2", "bo"),
    ]
    mine = await store.attendance(person_ids=["cy"])
    assert [(a.meeting_id, a.speaking_s) for a in mine] == [("m1", None)]
    breakouts = await store.breakouts_of(["m1", "m2"])
    assert [(b.id, b.member_ids) for b in breakouts] == [
        ("b1", ("bo", "cy")),
        ("b2", ("ada", "bo")),
    ]


async def test_side_conversations_and_introductions_are_found_by_person(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    await store.apply(batch_of([side_conversation("s0", "bo", "cy", day=1)]))
    assert [s.id for s in await store.side_conversations_of("bo")] == ["s0", "s1"]
    assert [s.id for s in await store.side_conversations_of("cy")] == ["s0"]
    for who in ("ada", "bo", "cy"):
        assert [i.id for i in await store.introductions_of(who)] == ["x1"]
    assert await store.introductions_of("nobody") == []


async def test_interactions_of_a_person_come_in_time_order_within_a_window(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    await store.apply(
        batch_of(
            [interaction("late", "ada", "bo", day=30), interaction("early", "bo", "cy", day=1)]
        )
    )
    keys = [i.key for i in await store.interactions_of("bo")]
    assert keys == [
        "breakout|b1",
        "meeting|m1|ada|bo",
        "meeting|m1|bo|cy",
        "early",
        "side_conversation|s1",
        "late",
    ]
    with_ada = await store.interactions_of("bo", other_id="ada")
    assert [i.key for i in with_ada] == ["meeting|m1|ada|bo", "side_conversation|s1", "late"]
    window = await store.interactions_of("bo", since=at(1), until=at(30))
    assert [i.key for i in window] == ["early", "side_conversation|s1"]


async def test_a_persons_ties_are_ordered_by_the_other_person(store: GraphStore) -> None:
    await store.apply(a_small_network())
    ties = await store.ties_of(["cy", "nobody"])
    assert [t.other("cy") for t in ties["cy"]] == ["ada", "bo"]
    assert ties["nobody"] == []
    ada_cy = ties["cy"][0]
    assert ada_cy.counts == {InteractionKind.MEETING: 1, InteractionKind.CALL: 1}


async def test_counts_cover_every_kind_and_the_ties(store: GraphStore) -> None:
    await store.apply(a_small_network())
    await store.apply(batch_of([Interest(id="ai", name="AI")]))
    counts = await store.counts()
    assert counts == {
        "organization": 1,
        "interest": 1,
        "person": 3,
        "group": 1,
        "membership": 3,
        "meeting": 1,
        "attendance": 3,
        "breakout": 1,
        "side_conversation": 1,
        "interaction": 6,
        "introduction": 1,
        "tie": 3,
    }


async def test_a_store_that_answers_pings_is_reachable(store: GraphStore) -> None:
    await store.ping()

"""Erasing a person removes them and every attribution to them, the same way on every store."""

from __future__ import annotations

from graph.domain.erasure import ErasureReceipt
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    Interaction,
    Introduction,
    Membership,
    Person,
    SideConversation,
)
from graph.domain.ties import ties_from_history
from graph.ports import GraphStore, batch_of
from tests.conftest import Reopen
from tests.contract.test_store_writes import a_small_network
from tests.factories import at, breakout, interaction, person
from tests.support.ties import assert_same_ties


async def _erase(store: GraphStore, person_id: str) -> ErasureReceipt:
    return await store.erase_person(person_id, by="test", at=at(100))


async def test_an_erased_person_and_their_attributions_are_gone(store: GraphStore) -> None:
    await store.apply(a_small_network())
    receipt = await _erase(store, "bo")
    assert receipt.erased is True
    assert await store.get(Person, ["bo"]) == {}
    assert await store.memberships(person_ids=["bo"]) == []
    assert await store.attendance(person_ids=["bo"]) == []
    assert await store.interactions_of("bo") == []
    assert await store.side_conversations_of("bo") == []
    assert await store.introductions_of("bo") == []
    assert (await store.ties_of(["bo"]))["bo"] == []
    assert await store.tie("ada", "bo") is None
    assert await store.get(Introduction, ["x1"]) == {}
    # The pair breakout and side conversation had no one left to talk to.
    assert await store.get(Breakout, ["b1"]) == {}
    assert await store.get(SideConversation, ["s1"]) == {}


async def test_others_keep_their_shared_history_without_the_erased_person(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    await store.apply(
        batch_of(
            [
                breakout("b9", "m1", "ada", "bo", "cy"),
                interaction("trio", "bo", "ada", "cy", day=9, initiator_id="bo"),
            ]
        )
    )
    ada_cy_before = await store.tie("ada", "cy")
    await _erase(store, "bo")
    assert (await store.get(Breakout, ["b9"]))["b9"].member_ids == ("ada", "cy")
    trio = (await store.get(Interaction, ["trio"]))["trio"]
    assert (trio.participant_ids, trio.initiator_id) == (("ada", "cy"), None)
    after = await store.tie("ada", "cy")
    assert after is not None
    assert ada_cy_before is not None
    assert_same_ties({"ada-cy": after}, {"ada-cy": ada_cy_before})
    history = {i.key: i for p in ("ada", "cy") for i in await store.interactions_of(p)}
    expected = ties_from_history(sorted(history.values(), key=lambda i: i.key))
    assert_same_ties({"ada-cy": after}, {"ada-cy": expected[("ada", "cy")]})


async def test_a_group_led_by_an_erased_person_keeps_going_without_a_leader(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    await _erase(store, "ada")
    group = (await store.get(Group, ["g1"]))["g1"]
    assert group.leader_id is None
    assert await store.get(Membership, ["g1|ada"]) == {}
    assert await store.get(Attendance, ["m1|ada"]) == {}


async def test_erasing_twice_or_erasing_a_stranger_changes_nothing(store: GraphStore) -> None:
    await store.apply(a_small_network())
    await _erase(store, "bo")
    counts = await store.counts()
    again = await _erase(store, "bo")
    assert again.erased is False
    stranger = await _erase(store, "nobody")
    assert stranger.erased is False
    assert await store.counts() == counts


async def test_erasure_survives_reopening(store: GraphStore, reopen: Reopen) -> None:
    await store.apply(a_small_network())
    await store.apply(batch_of([person("dee"), interaction("d1", "dee", "ada", day=2)]))
    await _erase(store, "dee")
    fresh = await reopen(store)
    try:
        assert await fresh.get(Person, ["dee"]) == {}
        assert await fresh.tie("ada", "dee") is None
        assert (await fresh.ties_of(["dee"]))["dee"] == []
    finally:
        await fresh.close()

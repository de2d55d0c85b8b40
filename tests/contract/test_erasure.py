"""Erasing a person removes them and every attribution to them, the same way on every store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from pathlib import Path
from typing import LiteralString

import neo4j
import pytest

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.batch import WriteBatch, derived_key
from graph.domain.erasure import ErasureReceipt
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    Interaction,
    InteractionKind,
    Introduction,
    Membership,
    Person,
    SideConversation,
)
from graph.domain.ties import ties_from_history
from graph.ports import GraphStore, batch_of
from tests.conftest import Reopen
from tests.contract.test_store_writes import a_small_network
from tests.factories import (
    at,
    attendance,
    breakout,
    group,
    interaction,
    introduction,
    meeting,
    membership,
    person,
    side_conversation,
)
from tests.support.neo4j import Neo4jTarget
from tests.support.ties import assert_same_ties


async def _erase(store: GraphStore, person_id: str, *, by: str = "test") -> ErasureReceipt:
    return await store.erase_person(person_id, by=by, at=at(100))


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


# -- no trace left -------------------------------------------------------------------------------

FindLeftovers = Callable[[Collection[str]], Awaitable[set[str]]]
"""Return which of the given strings the store still holds anywhere it keeps data."""

ERASED = "zelda-erasable-4711"
TRACES = (
    ERASED,
    "Zelda Quixote-Erasable",
    "zelda.q@erasable.example",
    "https://example.org/in/zelda-erasable",
    "Chief Erasable Officer",
    "Erasableville",
    "quantum beekeeping erasable",
    "erasable mentoring",
    "erasable seed funding",
    "hoping for an erasable job",
    "contributing erasable design",
    "Zelda asked for an erasable favour",
    "erasable walk in the park",
    "erasable late-night call",
)
"""What only the erased person's data holds: none of it may be left anywhere."""


@pytest.fixture
def leftovers(store: GraphStore, tmp_path: Path, neo4j_target: Neo4jTarget | None) -> FindLeftovers:
    """Search where each store keeps data: every file in the embedded store's directory (the
    database, its write-ahead log, its shared memory), or every property of every node and
    relationship in Neo4j."""
    if isinstance(store, EmbeddedStore):
        directory = tmp_path / "store"

        async def in_files(needles: Collection[str]) -> set[str]:
            files = [p.read_bytes() for p in directory.rglob("*") if p.is_file()]
            return {n for n in needles if any(n.encode() in data for data in files)}

        return in_files

    assert neo4j_target is not None

    async def in_the_graph(needles: Collection[str]) -> set[str]:
        values: list[str] = []
        async with neo4j.AsyncGraphDatabase.driver(
            neo4j_target.uri, auth=neo4j_target.auth
        ) as driver:
            for query in (ALL_NODE_PROPERTIES, ALL_RELATIONSHIP_PROPERTIES):
                records, _, _ = await driver.execute_query(query, database_=neo4j_target.database)
                values.extend(str(record["value"]) for record in records)
        return {n for n in needles if any(n in value for value in values)}

    return in_the_graph


ALL_NODE_PROPERTIES: LiteralString = """
MATCH (n)
UNWIND keys(n) AS key
RETURN n[key] AS value
"""
ALL_RELATIONSHIP_PROPERTIES: LiteralString = """
MATCH ()-[r]->()
UNWIND keys(r) AS key
RETURN r[key] AS value
"""


def zelda_and_her_traces() -> WriteBatch:
    """Zelda, in a group she leads, with a pair of everything that names her, and a trio."""
    return batch_of(
        [
            person(
                ERASED,
                name="Zelda Quixote-Erasable",
                email="zelda.q@erasable.example",
                profile_url="https://example.org/in/zelda-erasable",
                title="Chief Erasable Officer",
                location="Erasableville",
                interests=("quantum beekeeping erasable",),
                offers=("erasable mentoring",),
                seeks=("erasable seed funding",),
            ),
            group("gz", leader_id=ERASED),
            membership(
                "gz",
                ERASED,
                hopes=("hoping for an erasable job",),
                contributions=("contributing erasable design",),
            ),
            membership("gz", "ada"),
            meeting("mz", "gz", day=1),
            attendance("mz", ERASED, speaking_s=420),
            attendance("mz", "ada", speaking_s=300),
            breakout("bz", "mz", ERASED, "ada"),
            side_conversation(
                "sz", ERASED, "ada", day=2, channel="erasable walk in the park", initiator_id=ERASED
            ),
            interaction(
                "iz",
                ERASED,
                "bo",
                day=3,
                kind=InteractionKind.CALL,
                channel="erasable late-night call",
            ),
            interaction("trio-z", ERASED, "ada", "cy", day=4, initiator_id=ERASED),
            introduction("xz", ERASED, "ada", "cy", note="Zelda asked for an erasable favour"),
            # Kept for the others, under keys that name her.
            interaction(f"call-with-{ERASED}", ERASED, "ada", "cy", day=5),
            breakout(f"bz3-{ERASED}", "mz", ERASED, "ada", "cy"),
            side_conversation(f"sz3-{ERASED}", ERASED, "ada", "cy", day=6),
            # Someone who blocked her, and someone else.
            person("yann", blocked_ids=(ERASED, "bo")),
        ]
    )


async def test_an_erased_person_leaves_no_trace_in_what_the_store_keeps(
    store: GraphStore, leftovers: FindLeftovers
) -> None:
    await store.apply(a_small_network())
    await store.apply(zelda_and_her_traces())
    assert await leftovers(TRACES) == set(TRACES)  # the search finds what is there

    await _erase(store, ERASED)

    assert await leftovers(TRACES) == set()
    # What others share with her is kept for them: the trio, the group and its meeting.
    assert (await store.get(Interaction, ["trio-z"]))["trio-z"].participant_ids == ("ada", "cy")
    assert (await store.get(Group, ["gz"]))["gz"].leader_id is None
    assert await leftovers(["trio-z", "gz", "mz"]) == {"trio-z", "gz", "mz"}


async def test_an_erased_person_leaves_no_trace_of_records_settled_or_overwritten_earlier(
    store: GraphStore, leftovers: FindLeftovers, reopen: Reopen
) -> None:
    await store.apply(a_small_network())
    await store.apply(zelda_and_her_traces())
    # A restart settles what was written (the embedded store checkpoints its log into the
    # database file); then her record is overwritten before she asks to be forgotten.
    store = await reopen(store)
    await store.apply(batch_of([person(ERASED, name="Zelda Quixote-Erasable")]))

    await _erase(store, ERASED)
    assert await leftovers(TRACES) == set()
    fresh = await reopen(store)
    try:
        assert await leftovers(TRACES) == set()
    finally:
        await fresh.close()


async def test_an_erased_person_leaves_no_trace_in_the_audit_when_they_erase_themselves(
    store: GraphStore, leftovers: FindLeftovers
) -> None:
    await store.apply(a_small_network())
    await store.apply(zelda_and_her_traces())

    receipt = await _erase(store, ERASED, by=ERASED)

    assert receipt.erased is True
    assert await leftovers(TRACES) == set()


async def test_an_erased_person_is_forgotten_by_the_block_lists_of_others(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    await store.apply(zelda_and_her_traces())

    await _erase(store, ERASED)

    assert (await store.get(Person, ["yann"]))["yann"].blocked_ids == ("bo",)
    # Blocking still works for whom it still names.
    await store.apply(batch_of([person("yann", blocked_ids=("bo",))]))
    assert (await store.get(Person, ["yann"]))["yann"].blocked_ids == ("bo",)


async def test_records_kept_for_others_lose_keys_that_named_the_erased_person(
    store: GraphStore, reopen: Reopen
) -> None:
    await store.apply(a_small_network())
    await store.apply(zelda_and_her_traces())
    ada_cy_before = await store.tie("ada", "cy")
    pairs_before = _ada_and_cy_alone(await store.interactions_of("ada"))

    await _erase(store, ERASED)

    kept = {i.key: i for i in await store.interactions_of("ada")}
    assert not [key for key in kept if ERASED in key]
    # What was a trio with her: the call, the breakout's and the side conversation's contacts,
    # and trio-z.
    assert _ada_and_cy_alone(kept.values()) == pairs_before + 4
    renamed = [b for b in await store.breakouts_of(["mz"]) if b.member_ids == ("ada", "cy")]
    assert len(renamed) == 1
    assert ERASED not in renamed[0].id
    # The breakout's contact follows it to its new key, so the two still go together.
    assert derived_key("breakout", renamed[0].id) in kept
    after = await store.tie("ada", "cy")
    assert after is not None
    assert ada_cy_before is not None
    assert_same_ties({"ada-cy": after}, {"ada-cy": ada_cy_before})
    fresh = await reopen(store)
    try:
        reopened = await fresh.tie("ada", "cy")
        assert reopened is not None
        assert_same_ties({"ada-cy": reopened}, {"ada-cy": ada_cy_before})
    finally:
        await fresh.close()


def _ada_and_cy_alone(interactions: Iterable[Interaction]) -> int:
    return sum(set(i.participant_ids) == {"ada", "cy"} for i in interactions)

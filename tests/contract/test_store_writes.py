"""Every store writes the same way: upserts, idempotency, all-or-nothing, derived interactions."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from graph.domain.batch import WriteBatch
from graph.domain.errors import Conflict, InvalidInput
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    GroupFormat,
    Interaction,
    InteractionKind,
    Introduction,
    IntroductionStatus,
    Meeting,
    Membership,
    MembershipRole,
    Organization,
    Person,
    SideConversation,
)
from graph.ports import GraphStore, batch_of
from tests.conftest import Reopen
from tests.factories import (
    at,
    attendance,
    breakout,
    group,
    interaction,
    introduction,
    meeting,
    membership,
    organization,
    person,
    side_conversation,
)


def a_small_network() -> WriteBatch:
    """Three people in one group with one meeting, a breakout and a side conversation."""
    return batch_of(
        [
            organization("acme", industry="fintech"),
            person(
                "ada",
                title="Head of Communications",
                profession="communications",
                organization_id="acme",
                industry="fintech",
                location="Stockholm",
                interests=("storytelling", "AI"),
                offers=("media training",),
                seeks=("a mentor",),
                email="ada@example.org",
            ),
            person("bo", profession="marketing", industry="retail", location="Järfälla"),
            person("cy", profession="marketing", industry="energy", discoverable=False),
            group("g1", leader_id="ada", theme="Trust", format=GroupFormat.DIGITAL),
            membership("g1", "ada", role=MembershipRole.LEADER),
            membership("g1", "bo", hopes=("a mentor",), contributions=("design reviews",)),
            membership("g1", "cy"),
            meeting("m1", "g1", day=0, theme="Introductions"),
            attendance("m1", "ada", speaking_s=600),
            attendance("m1", "bo", speaking_s=300),
            attendance("m1", "cy"),
            breakout("b1", "m1", "bo", "cy"),
            side_conversation("s1", "ada", "bo", day=3, channel="phone", initiator_id="bo"),
            interaction("i1", "ada", "cy", day=5, kind=InteractionKind.CALL, duration_s=900),
            introduction("x1", "bo", "ada", "cy", status=IntroductionStatus.REQUESTED),
        ]
    )


async def test_every_kind_of_record_reads_back_exactly_as_written(store: GraphStore) -> None:
    batch = a_small_network()
    await store.apply(batch)
    for _, records in batch.sections():
        for record in records:
            kind = type(record)
            key = (
                f"{record.group_id}|{record.person_id}"
                if isinstance(record, Membership)
                else f"{record.meeting_id}|{record.person_id}"
                if isinstance(record, Attendance)
                else record.key
                if isinstance(record, Interaction)
                else record.id
            )
            stored = await store.get(kind, [key])
            assert stored == {key: record}


async def test_a_summary_counts_what_was_created_including_derived_interactions(
    store: GraphStore,
) -> None:
    summary = await store.apply(a_small_network())
    assert summary.counts["person"].created == 3
    assert summary.counts["attendance"].created == 3
    # 3 attendees meet pairwise (3), the breakout (1), the side conversation (1), the call (1).
    assert summary.counts["interaction"].created == 6
    assert summary.updated == 0
    assert summary.unchanged == 0


async def test_applying_the_same_batch_twice_changes_nothing_the_second_time(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    counts_before = await store.counts()
    tie_before = await store.tie("ada", "bo")
    again = await store.apply(a_small_network())
    assert again.created == 0
    assert again.updated == 0
    assert again.unchanged == len(a_small_network())
    assert await store.counts() == counts_before
    assert await store.tie("ada", "bo") == tie_before


async def test_changing_a_person_updates_them_and_clears_fields_set_to_none(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    ada = (await store.get(Person, ["ada"]))["ada"]
    changed = replace(ada, title=None, location="Linköping", interests=("AI",))
    summary = await store.apply(batch_of([changed]))
    assert summary.counts["person"].updated == 1
    assert (await store.get(Person, ["ada"]))["ada"] == changed


async def test_an_interaction_naming_an_unknown_person_is_rejected_with_its_field_and_value(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    with pytest.raises(InvalidInput) as caught:
        await store.apply(batch_of([interaction("i9", "ada", "nobody", day=9)]))
    [problem] = caught.value.problems
    assert problem.record == "interaction[0]"
    assert problem.field == "participant_ids"
    assert problem.value == "nobody"
    assert "no person" in problem.reason


async def test_a_rejected_batch_leaves_no_trace(store: GraphStore) -> None:
    await store.apply(a_small_network())
    counts_before = await store.counts()
    tie_before = await store.tie("ada", "bo")
    bad = batch_of(
        [
            person("dee"),
            interaction("i2", "ada", "bo", day=7),
            interaction("i3", "dee", "ghost", day=8),
        ]
    )
    with pytest.raises(InvalidInput):
        await store.apply(bad)
    assert await store.counts() == counts_before
    assert await store.get(Person, ["dee"]) == {}
    assert await store.tie("ada", "bo") == tie_before


async def test_a_malformed_record_is_rejected_before_anything_is_written(
    store: GraphStore,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await store.apply(batch_of([person("ok"), Person(id="has space", name="")]))
    fields = {(p.record, p.field) for p in caught.value.problems}
    assert fields == {("person[1]", "id"), ("person[1]", "name")}
    assert (await store.counts())["person"] == 0


async def test_reusing_an_interaction_key_for_another_contact_is_a_conflict(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    counts_before = await store.counts()
    with pytest.raises(Conflict) as caught:
        await store.apply(batch_of([interaction("i1", "ada", "bo", day=6)]))
    assert caught.value.problems[0].value == "i1"
    assert await store.counts() == counts_before


async def test_the_same_interaction_key_twice_in_one_batch_is_stored_once(
    store: GraphStore,
) -> None:
    await store.apply(batch_of([person("ada"), person("bo")]))
    call = interaction("k", "ada", "bo", day=1)
    summary = await store.apply(batch_of([call, call]))
    assert summary.counts["interaction"].created == 1
    tie = await store.tie("ada", "bo")
    assert tie is not None
    assert tie.count == 1


async def test_one_id_with_two_different_records_in_a_batch_is_rejected(
    store: GraphStore,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await store.apply(batch_of([person("ada"), person("ada", name="Other")]))
    assert caught.value.problems[0].reason.startswith("appears twice")


async def test_ties_count_every_kind_of_contact_with_first_and_last_time(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    ada_bo = await store.tie("bo", "ada")
    assert ada_bo is not None
    assert (ada_bo.a, ada_bo.b) == ("ada", "bo")
    assert ada_bo.counts == {InteractionKind.MEETING: 1, InteractionKind.SIDE_CONVERSATION: 1}
    assert ada_bo.count == 2
    assert ada_bo.first_at == at(0)
    assert ada_bo.last_at == at(3)
    assert (ada_bo.initiated_by_a, ada_bo.initiated_by_b) == (0, 1)
    bo_cy = await store.tie("bo", "cy")
    assert bo_cy is not None
    assert bo_cy.counts == {InteractionKind.MEETING: 1, InteractionKind.BREAKOUT: 1}
    assert await store.tie("ada", "nobody") is None


async def test_a_late_attendee_meets_everyone_already_recorded_at_the_meeting(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    summary = await store.apply(batch_of([person("dee"), attendance("m1", "dee")]))
    assert summary.counts["interaction"].created == 3
    for other in ("ada", "bo", "cy"):
        tie = await store.tie("dee", other)
        assert tie is not None
        assert tie.counts == {InteractionKind.MEETING: 1}


async def test_updating_speaking_time_does_not_count_the_meeting_again(store: GraphStore) -> None:
    await store.apply(a_small_network())
    summary = await store.apply(batch_of([attendance("m1", "cy", speaking_s=120)]))
    assert summary.counts["attendance"].updated == 1
    assert summary.counts["interaction"].created == 0
    tie = await store.tie("ada", "cy")
    assert tie is not None
    assert tie.counts[InteractionKind.MEETING] == 1


async def test_an_introduction_that_led_to_a_meeting_adds_one_interaction_once(
    store: GraphStore,
) -> None:
    await store.apply(a_small_network())
    met = introduction("x1", "bo", "ada", "cy", status=IntroductionStatus.MET, updated_at=at(20))
    first = await store.apply(batch_of([met]))
    assert first.counts["introduction"].updated == 1
    assert first.counts["interaction"].created == 1
    again = await store.apply(batch_of([replace(met, note="lunch went well")]))
    assert again.counts["interaction"].created == 0
    tie = await store.tie("bo", "cy")
    assert tie is not None
    assert tie.counts[InteractionKind.INTRODUCTION] == 1
    assert tie.last_at == at(20)


async def test_changing_a_recorded_breakout_is_a_conflict(store: GraphStore) -> None:
    await store.apply(a_small_network())
    with pytest.raises(Conflict):
        await store.apply(batch_of([breakout("b1", "m1", "ada", "cy")]))


async def test_instants_in_other_time_zones_are_stored_as_the_same_utc_instant(
    store: GraphStore,
) -> None:
    from datetime import timezone

    stockholm = timezone(timedelta(hours=1))
    await store.apply(batch_of([person("ada"), person("bo")]))
    local = Interaction(
        key="tz",
        at=at(1).astimezone(stockholm),
        kind=InteractionKind.CALL,
        participant_ids=("ada", "bo"),
    )
    await store.apply(batch_of([local]))
    stored = (await store.get(Interaction, ["tz"]))["tz"]
    assert stored.at == at(1)
    assert stored.at.utcoffset() == timedelta(0)


async def test_what_was_written_is_still_there_after_the_store_is_reopened(
    store: GraphStore, reopen: Reopen
) -> None:
    batch = a_small_network()
    await store.apply(batch)
    counts = await store.counts()
    tie = await store.tie("ada", "bo")
    fresh = await reopen(store)
    try:
        assert await fresh.counts() == counts
        assert await fresh.tie("ada", "bo") == tie
        assert (await fresh.get(Person, ["ada"]))["ada"] == batch.people[0]
    finally:
        await fresh.close()


async def test_delete_everything_empties_the_store(store: GraphStore) -> None:
    await store.apply(a_small_network())
    await store.delete_everything()
    counts = await store.counts()
    assert set(counts.values()) == {0}
    assert await store.tie("ada", "bo") is None


def test_every_record_kind_is_exercised_by_the_small_network() -> None:
    kinds = {type(r) for _, records in a_small_network().sections() for r in records}
    assert kinds == {
        Organization,
        Person,
        Group,
        Membership,
        Meeting,
        Attendance,
        Breakout,
        SideConversation,
        Interaction,
        Introduction,
    }

"""Writes checked against what is stored, as attackers with a viewer of their own would try them.

Runs the use cases on the embedded store: a small world of two groups, each with its leader.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from graph.domain.model import (
    Introduction,
    IntroductionStatus,
    Meeting,
    Membership,
    MembershipStatus,
)
from graph.ports import batch_of
from graph.usecases.service import Service
from graph.usecases.viewer import Role, Viewer
from tests.factories import breakout, group, interaction, introduction, meeting, membership, person

LENA = Viewer(person_id="lena", roles=frozenset({Role.LEADER}), subject="lena")
CARL = Viewer(person_id="carl", roles=frozenset({Role.LEADER}), subject="carl")
ADA = Viewer(person_id="ada", roles=frozenset({Role.MEMBER}), subject="ada")
BO = Viewer(person_id="bo", roles=frozenset({Role.MEMBER}), subject="bo")
NOW = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    """Lena leads "north" (Ada, Bo); Carl leads "south" (Cy); Dag and Eve belong to none."""
    store = EmbeddedStore(tmp_path)
    await store.open()
    await store.apply(
        batch_of(
            [
                *(person(p, offers=(f"{p}'s offer",)) for p in ("lena", "carl", "ada", "bo", "cy")),
                person("dag"),
                person("eve"),
                group("north", leader_id="lena"),
                group("south", leader_id="carl"),
                membership("north", "ada"),
                membership("north", "bo"),
                membership("south", "cy"),
                meeting("north-1", "north"),
                introduction("intro-1", "ada", "bo", "cy"),
            ]
        )
    )
    try:
        yield Service(store, clock=lambda: NOW, max_recorded_participants=3)
    finally:
        await store.close()


async def test_a_leader_cannot_move_another_groups_meeting_into_their_own(
    service: Service,
) -> None:
    with pytest.raises(Forbidden, match="not allowed to record"):
        await service.write(CARL, batch_of([meeting("north-1", "south")]))
    stored = await service.store.get(Meeting, ["north-1"])
    assert stored["north-1"].group_id == "north"
    # Nor record a breakout of it, even while moving it in the same batch.
    with pytest.raises(Forbidden):
        await service.write(
            CARL, batch_of([meeting("north-1", "south"), breakout("b", "north-1", "cy", "carl")])
        )


async def test_a_leader_names_only_their_groups_members_in_its_events(service: Service) -> None:
    with pytest.raises(Forbidden):
        await service.write(LENA, batch_of([breakout("b", "north-1", "ada", "dag")]))
    summary = await service.write(LENA, batch_of([breakout("b", "north-1", "ada", "lena")]))
    assert summary.counts["breakout"].created == 1


async def test_a_member_records_contacts_only_as_themselves_and_only_a_few_at_once(
    service: Service,
) -> None:
    with pytest.raises(Forbidden):
        await service.write(ADA, batch_of([interaction("x1", "dag", "eve")]))
    with pytest.raises(Forbidden):
        await service.write(ADA, batch_of([interaction("x2", "ada", "eve", initiator_id="eve")]))
    crowd = interaction("crowd", "ada", "bo", "dag", "eve")
    with pytest.raises(InvalidInput, match="at most 3 people"):
        await service.write(ADA, batch_of([crowd]))
    assert await service.store.tie("dag", "eve") is None
    # An admin (an import) is not capped by the member's limit.
    await service.write(Viewer.admin(), batch_of([crowd]))
    assert await service.store.tie("dag", "eve") is not None


async def test_a_leaders_enrolment_is_an_invitation_only_the_person_accepts(
    service: Service,
) -> None:
    enrol = batch_of([membership("north", "dag")])
    # Written as given (active), a leader's enrolment of someone else is refused...
    with pytest.raises(Forbidden, match="without their consent"):
        await service.write(LENA, enrol)
    # ...and settled, it is an invitation that counts for nothing yet.
    await service.write(LENA, await service.settle_enrolments(LENA, enrol))
    assert [m.person_id for m in await service.store.memberships(group_ids=["north"])] == [
        "ada",
        "bo",
    ]
    (seen,) = await service.people(LENA, ["dag"])
    assert seen is not None
    assert seen.offers == ()
    answered = await service.enrolment.answer_invitation(
        Viewer(person_id="dag", roles=frozenset({Role.MEMBER}), subject="dag"),
        "north",
        accept=True,
    )
    assert answered.status is MembershipStatus.ACTIVE
    assert answered.joined_on == NOW.date()
    stored = await service.store.get(Membership, ["north|dag"])
    assert stored["north|dag"].status is MembershipStatus.ACTIVE


async def test_a_leader_cannot_turn_an_invitation_active_by_writing_it_again(
    service: Service,
) -> None:
    invite = await service.settle_enrolments(LENA, batch_of([membership("north", "dag")]))
    await service.write(LENA, invite)
    active = batch_of([membership("north", "dag", status=MembershipStatus.ACTIVE)])
    with pytest.raises(Forbidden):
        await service.write(LENA, active)
    settled = await service.settle_enrolments(LENA, active)
    assert settled.memberships[0].status is MembershipStatus.INVITED
    dag = Viewer(person_id="dag", roles=frozenset({Role.MEMBER}), subject="dag")
    await service.enrolment.answer_invitation(dag, "north", accept=False)
    with pytest.raises(Conflict):
        await service.enrolment.answer_invitation(dag, "north", accept=True)


async def test_someone_elses_invitation_or_introduction_reads_as_an_unknown_one(
    service: Service,
) -> None:
    await service.write(
        LENA, await service.settle_enrolments(LENA, batch_of([membership("north", "dag")]))
    )
    with pytest.raises(NotFound) as theirs:
        await service.enrolment.answer_invitation(LENA, "north", accept=True, person_id="dag")
    with pytest.raises(NotFound) as unknown:
        await service.enrolment.answer_invitation(LENA, "nowhere", accept=True, person_id="dag")
    assert str(theirs.value).replace("north", "?") == str(unknown.value).replace("nowhere", "?")
    flow = service.introductions
    with pytest.raises(NotFound) as hidden:
        await flow.answer_introduction(LENA, "intro-1", accept=True)
    with pytest.raises(NotFound) as missing:
        await flow.answer_introduction(LENA, "intro-none", accept=True)
    assert str(hidden.value).replace("intro-1", "?") == str(missing.value).replace(
        "intro-none", "?"
    )
    # Those who see it are told why they may not act on it.
    with pytest.raises(Forbidden):
        await flow.answer_introduction(ADA, "intro-1", accept=True)


async def test_a_member_cannot_write_an_introduction_directly(service: Service) -> None:
    forged = introduction("intro-1", "bo", "lena", "cy", status=IntroductionStatus.MET)
    with pytest.raises(Forbidden, match="write introductions directly"):
        await service.write(BO, batch_of([forged]))
    stored = await service.store.get(Introduction, ["intro-1"])
    assert stored["intro-1"] == introduction("intro-1", "ada", "bo", "cy")

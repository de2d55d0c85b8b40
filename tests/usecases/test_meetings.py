"""Composing cohorts from people on record, with what they said in their pre-interviews."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.cohorts import CohortConstraints
from graph.domain.errors import Forbidden, InvalidInput, NotFound
from graph.domain.model import Person
from graph.ports import batch_of
from graph.usecases.meetings import ApplicantRequest
from graph.usecases.service import Service
from graph.usecases.viewer import Role, Viewer
from tests.factories import group, membership, organization, person

LEADER = Viewer(person_id="lea", roles=frozenset({Role.LEADER}), subject="lea")


async def a_pool(tmp_path: Path) -> Service:
    """Four marketers from four organizations; only the pre-interview says who helps whom."""
    store = EmbeddedStore(tmp_path)
    await store.open()
    people = [
        person("ann", profession="marketing", industry="energy", organization_id="o1"),
        person("bo", profession="marketing", industry="retail", organization_id="o2"),
        person("cy", profession="marketing", industry="energy", organization_id="o3"),
        person("di", profession="marketing", industry="retail", organization_id="o4"),
    ]
    await store.apply(
        batch_of(
            [
                *(organization(f"o{n}") for n in range(1, 5)),
                *people,
                person("lea"),
                group("pool", leader_id="lea"),
                membership("pool", "ann", hopes=("press relations",)),
                membership("pool", "di", contributions=("press relations",)),
            ]
        )
    )
    return Service(store)


async def test_pre_interview_hopes_and_contributions_bring_the_right_people_together(
    tmp_path: Path,
) -> None:
    service = await a_pool(tmp_path)
    pool = [ApplicantRequest(p) for p in ("ann", "bo", "cy", "di")]
    found = await service.meetings.compose_cohorts(
        LEADER, pool, CohortConstraints(cohort_size=2), interviews_of="pool", iterations=500
    )
    assert ("ann", "di") in found.cohorts
    (explained,) = [e for e in found.explanations if e.member_ids == ("ann", "di")]
    assert "di offers press relations, which ann seeks" in explained.matches


async def test_hopes_given_with_the_request_count_like_the_pre_interview(tmp_path: Path) -> None:
    service = await a_pool(tmp_path)
    pool = [
        ApplicantRequest("ann"),
        ApplicantRequest("bo", contributions=("mentoring",)),
        ApplicantRequest("cy", hopes=("mentoring",)),
        ApplicantRequest("di"),
    ]
    found = await service.meetings.compose_cohorts(
        LEADER, pool, CohortConstraints(cohort_size=2), iterations=500
    )
    assert ("bo", "cy") in found.cohorts


async def test_a_pool_that_cannot_be_composed_is_refused_naming_the_field(tmp_path: Path) -> None:
    service = await a_pool(tmp_path)
    pool = [ApplicantRequest("ann"), ApplicantRequest("bo")]
    with pytest.raises(InvalidInput, match="cohortSize"):
        await service.meetings.compose_cohorts(LEADER, pool, CohortConstraints(cohort_size=3))
    with pytest.raises(InvalidInput, match="maxCohorts"):
        await service.meetings.compose_cohorts(
            LEADER, pool, CohortConstraints(cohort_size=2, max_cohorts=0)
        )
    with pytest.raises(NotFound):
        await service.meetings.compose_cohorts(
            LEADER, pool, CohortConstraints(cohort_size=2), interviews_of="nope"
        )
    member = Viewer(person_id="ann", roles=frozenset({Role.MEMBER}), subject="ann")
    with pytest.raises(Forbidden):
        await service.meetings.compose_cohorts(member, pool, CohortConstraints(cohort_size=2))


async def test_someone_who_blocked_a_match_is_put_in_another_cohort(tmp_path: Path) -> None:
    service = await a_pool(tmp_path)
    pool = [ApplicantRequest(p) for p in ("ann", "bo", "cy", "di")]
    found = await service.meetings.compose_cohorts(
        LEADER, pool, CohortConstraints(cohort_size=2), interviews_of="pool", iterations=500
    )
    assert ("ann", "di") in found.cohorts
    ann = (await service.store.get(Person, ["ann"]))["ann"]
    await service.store.apply(batch_of([dataclasses.replace(ann, blocked_ids=("di",))]))
    found = await service.meetings.compose_cohorts(
        LEADER, pool, CohortConstraints(cohort_size=2), interviews_of="pool", iterations=500
    )
    assert not [c for c in found.cohorts if "ann" in c and "di" in c]

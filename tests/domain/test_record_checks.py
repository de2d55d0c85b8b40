"""Checking one record: the quick path for ordinary interactions agrees with the full check."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from graph.domain.batch import (
    _check_fully,
    _is_plainly_valid,
    ids_named_by,
    record_problems,
    references_of,
)
from graph.domain.errors import Problem
from graph.domain.model import Interaction, InteractionKind, Introduction, Person

ids = st.one_of(
    st.sampled_from(["ann", "bo", "cy", "a|b", "a b", "", "x" * 201, "\x7f"]),
    st.text(max_size=6),
)
instants = st.one_of(
    st.datetimes(
        min_value=datetime(1800, 1, 1),
        max_value=datetime(2300, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=14))]),
    ),
    st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(2300, 1, 1)),
)
interactions = st.builds(
    Interaction,
    key=ids,
    at=instants,
    kind=st.sampled_from(InteractionKind),
    participant_ids=st.lists(ids, min_size=0, max_size=3).map(tuple),
    initiator_id=st.one_of(st.none(), ids),
    duration_s=st.one_of(st.none(), st.integers(-2, 10**9 + 2), st.just(True)),
    channel=st.one_of(st.none(), st.sampled_from(["zoom", "\x01"])),
    group_size=st.one_of(st.none(), st.integers(0, 4)),
)


@given(interactions)
def test_an_interaction_passed_quickly_is_one_the_full_check_finds_nothing_wrong_with(
    interaction: Interaction,
) -> None:
    found: list[Problem] = []
    _check_fully(found, "here", interaction)

    if _is_plainly_valid(interaction):
        assert found == []
    assert record_problems(interaction, "here") == found


def test_an_ordinary_interaction_takes_the_quick_path() -> None:
    call = Interaction(
        key="k1",
        at=datetime(2024, 5, 1, tzinfo=UTC),
        kind=InteractionKind.CALL,
        participant_ids=("ann", "bo"),
        initiator_id="ann",
        duration_s=60,
    )

    assert _is_plainly_valid(call)
    assert not _is_plainly_valid(replace(call, participant_ids=("a b", "bo")))
    assert not _is_plainly_valid(replace(call, channel="zoom"))


def test_references_name_the_field_the_kind_and_the_id() -> None:
    intro = Introduction(
        id="i1",
        requester_id="ann",
        introducer_id="bo",
        target_id="cy",
        requested_at=datetime(2024, 5, 1, tzinfo=UTC),
    )

    assert list(references_of(intro)) == [
        ("requester_id", "person", "ann"),
        ("introducer_id", "person", "bo"),
        ("target_id", "person", "cy"),
    ]
    assert list(references_of(Person(id="ann", name="Ann", organization_id="acme"))) == [
        ("organization_id", "organization", "acme")
    ]


@given(st.lists(interactions, max_size=5))
def test_the_ids_records_name_gathered_are_those_each_record_names(
    records: list[Interaction],
) -> None:
    expected: dict[str, set[str]] = {}
    for record in records:
        for _, kind, ref in references_of(record):
            expected.setdefault(kind, set()).add(ref)

    assert ids_named_by(records) == expected

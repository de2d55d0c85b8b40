"""The synthetic network generator: deterministic, well-formed, and shaped like the domain."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.batch import WriteSummary, validate_batch
from graph.domain.codec import record_id
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    Interaction,
    Meeting,
    Membership,
    MembershipRole,
    Person,
    SideConversation,
)
from graph.samples.synth import KINDS, SyntheticNetwork, generate_network, network_batches

PEOPLE = 300
T = TypeVar("T")


@pytest.fixture(scope="module")
def network() -> SyntheticNetwork:
    """A network of a few hundred people, shared by the tests that only read it."""
    return generate_network(people=PEOPLE, seed=11)


def of_type(network: SyntheticNetwork, kind: type[T]) -> list[T]:
    """Every record of one type, in the order the network yields it."""
    return [r for r in network.records() if isinstance(r, kind)]


def test_the_same_seed_gives_identical_records() -> None:
    first = list(generate_network(people=150, seed=3).records())
    again = list(generate_network(people=150, seed=3).records())
    assert first == again


def test_a_different_seed_gives_a_different_network() -> None:
    one = list(generate_network(people=150, seed=3).records())
    other = list(generate_network(people=150, seed=4).records())
    assert one != other


def test_iterating_one_kind_agrees_with_iterating_them_all(network: SyntheticNetwork) -> None:
    everything = list(network.records())
    for kind in KINDS:
        alone = list(network.records_of(kind))
        mixed = [r for r in everything if type(r) is type(alone[0])]
        assert sorted(map(record_id, alone)) == sorted(map(record_id, mixed)), kind


def test_ids_are_unique_within_each_kind(network: SyntheticNetwork) -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for record in network.records():
        ids = seen[type(record).__name__]
        rid = record_id(record)
        assert rid not in ids
        ids.add(rid)


def test_groups_have_about_eight_members_and_one_leader(network: SyntheticNetwork) -> None:
    roles: dict[str, Counter[MembershipRole]] = defaultdict(Counter)
    for membership in of_type(network, Membership):
        roles[membership.group_id][membership.role] += 1
    sizes = [counts[MembershipRole.MEMBER] for counts in roles.values()]
    assert len(sizes) == len(of_type(network, Group)) > 10
    assert all(5 <= size <= 8 for size in sizes)
    assert sum(sizes) / len(sizes) >= 7
    assert all(counts[MembershipRole.LEADER] == 1 for counts in roles.values())
    leaders = {g.leader_id for g in of_type(network, Group)}
    assert len(leaders) <= network.leader_count


def test_each_group_meets_six_times_over_about_four_months(network: SyntheticNetwork) -> None:
    meetings: dict[str, list[Meeting]] = defaultdict(list)
    for meeting in of_type(network, Meeting):
        meetings[meeting.group_id].append(meeting)
    for group in of_type(network, Group):
        held = sorted(m.starts_at for m in meetings[group.id])
        assert len(held) == 6
        assert held[0].date() == group.starts_on
        assert held[-1].date() == group.ends_on
        assert timedelta(days=100) <= held[-1] - held[0] <= timedelta(days=130)


def test_a_group_matches_one_profession_family_across_industries(
    network: SyntheticNetwork,
) -> None:
    people = {p.id: p for p in of_type(network, Person)}
    members: dict[str, list[Person]] = defaultdict(list)
    for m in of_type(network, Membership):
        if m.role is MembershipRole.MEMBER:
            members[m.group_id].append(people[m.person_id])
    diverse = sum(len({p.industry for p in ms}) >= len(ms) - 2 for ms in members.values())
    assert diverse >= 0.7 * len(members)  # the last groups formed get what industries are left


def test_most_members_attend_and_breakouts_partition_the_attendees(
    network: SyntheticNetwork,
) -> None:
    leaders = {g.id: g.leader_id for g in of_type(network, Group)}
    group_of = {m.id: m.group_id for m in of_type(network, Meeting)}
    present: dict[str, set[str]] = defaultdict(set)
    for a in of_type(network, Attendance):
        present[a.meeting_id].add(a.person_id)
    rooms: dict[str, list[Breakout]] = defaultdict(list)
    for b in of_type(network, Breakout):
        rooms[b.meeting_id].append(b)
    seats = sum(1 for m in of_type(network, Membership) if m.role is MembershipRole.MEMBER)
    attended = sum(len(p) - 1 for p in present.values())  # the leader is always there
    assert attended >= 0.8 * seats * 6
    for meeting_id, people in present.items():
        members = people - {leaders[group_of[meeting_id]]}
        split = [set(b.member_ids) for b in rooms[meeting_id]]
        if len(members) < 4:
            assert split == []  # too few to split
            continue
        assert 2 <= len(split) <= 4
        assert set().union(*split) == members
        assert sum(map(len, split)) == len(members)


def test_online_meetings_record_who_spoke_how_long(network: SyntheticNetwork) -> None:
    spoken = [a.speaking_s for a in of_type(network, Attendance)]
    measured = [s for s in spoken if s is not None]
    assert len(measured) > 0.5 * len(spoken)
    assert all(0 <= s <= 90 * 60 for s in measured)


def test_some_pairs_keep_in_touch_after_their_group_ends_and_others_drift(
    network: SyntheticNetwork,
) -> None:
    groups = {g.id: g for g in of_type(network, Group)}
    members: dict[str, set[str]] = defaultdict(set)
    for m in of_type(network, Membership):
        if m.role is MembershipRole.MEMBER:
            members[m.group_id].add(m.person_id)
    contacts: dict[frozenset[str], list[date]] = defaultdict(list)
    for r in network.records(kinds={"side_conversation", "interaction"}):
        assert isinstance(r, SideConversation | Interaction)
        if len(r.participant_ids) == 2:
            contacts[frozenset(r.participant_ids)].append(r.at.date())
    kept = drifted = 0
    for gid, group in groups.items():
        assert group.starts_on is not None
        assert group.ends_on is not None
        for a, b in itertools.combinations(sorted(members[gid]), 2):
            days = contacts[frozenset((a, b))]
            talked_during = any(group.starts_on <= d <= group.ends_on for d in days)
            later = any(d > group.ends_on + timedelta(days=90) for d in days)
            kept += later
            drifted += talked_during and not later
    assert kept >= 10
    assert drifted >= 10


def test_every_record_passes_the_write_rules(network: SyntheticNetwork) -> None:
    for batch in network_batches(network, 5_000):
        validate_batch(batch)


def test_batches_hold_at_most_the_batch_size() -> None:
    small = generate_network(people=60, seed=2)
    batches = list(network_batches(small, 97))
    assert all(len(b) == 97 for b in batches[:-1])
    assert sum(map(len, batches)) == sum(small.counts().values())


async def test_the_whole_network_loads_into_a_real_store(
    network: SyntheticNetwork, tmp_path: Path
) -> None:
    store = EmbeddedStore(tmp_path / "store")
    await store.open()
    try:
        summary = WriteSummary()
        for batch in network_batches(network, 2_000):
            summary.add(await store.apply(batch))
        stored = await store.counts()
    finally:
        await store.close()
    expected = network.counts()
    attendees = Counter(a.meeting_id for a in of_type(network, Attendance))
    derived = (
        sum(n * (n - 1) // 2 for n in attendees.values())
        + expected["breakout"]
        + expected["side_conversation"]
    )
    for kind in KINDS:
        if kind != "interaction":
            assert stored[kind] == expected[kind], kind
    assert stored["interaction"] == expected["interaction"] + derived
    assert summary.updated == summary.unchanged == 0
    assert stored["tie"] > expected["person"]

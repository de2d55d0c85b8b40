"""A group's keep-in-touch figures counted where the interactions are stored agree with the
fold over the members' whole histories, on every store: shared interactions, each member's
reach and the first interaction, then the retention the use case builds from them."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.domain.model import (
    Group,
    Interaction,
    InteractionKind,
    Membership,
    MembershipRole,
    MembershipStatus,
    Person,
    pair_key,
)
from graph.domain.retention import GroupRetention, PairRetention, group_retention
from graph.ports import GraphStore, batch_of
from graph.usecases.budget import Budgets
from graph.usecases.insights import Insights, _embedded
from graph.usecases.viewer import Viewer
from tests.factories import group, interaction, membership, person

MEMBERS = ["ann", "ben", "cat", "dan", "eve"]
OUTSIDERS = ["fay", "gus", "hal"]
PEOPLE = ["lea", *MEMBERS, *OUTSIDERS]
STARTS = datetime(2024, 1, 8, tzinfo=UTC)
ENDS_ON = date(2024, 4, 29)
AFTER = datetime.combine(ENDS_ON + timedelta(days=1), time(), UTC)
"""The group's end: the start of the day after its last day."""
NOW = datetime(2024, 9, 1, 12, 0, 0, 500_001, tzinfo=UTC)
ADMIN = Viewer.admin()


@dataclass(frozen=True)
class Scene:
    """A group, its members' and outsiders' interactions and memberships elsewhere."""

    interactions: list[Interaction]
    refusing: frozenset[str]
    """Members who did not agree to share their post-group contact."""
    elsewhere: list[Membership]
    erased: str | None


@st.composite
def interactions(draw: st.DrawFn, key: int) -> Interaction:
    people = draw(st.lists(st.sampled_from(PEOPLE[1:]), min_size=2, max_size=4, unique=True))
    kind = draw(st.sampled_from(list(InteractionKind)))
    return Interaction(
        key=f"k{key}",
        # Microseconds apart, around the end and up to just after now.
        at=AFTER
        + timedelta(microseconds=draw(st.integers(-200 * 86_400_000_000, 130 * 86_400_000_000))),
        kind=kind,
        participant_ids=tuple(people),
        initiator_id=draw(st.none() | st.sampled_from(people)),
        group_size=draw(st.none() | st.integers(len(people), 12)),
    )


@st.composite
def scenes(draw: st.DrawFn) -> Scene:
    count = draw(st.integers(0, 14))
    found = [draw(interactions(n)) for n in range(count)]
    elsewhere = [
        Membership(
            group_id=gid,
            person_id=pid,
            status=draw(st.sampled_from(list(MembershipStatus))),
        )
        for gid in ("g2", "g3")
        for pid in draw(st.lists(st.sampled_from(PEOPLE[1:]), unique=True, max_size=4))
    ]
    return Scene(
        interactions=found,
        refusing=frozenset(draw(st.lists(st.sampled_from(MEMBERS), unique=True, max_size=2))),
        elsewhere=elsewhere,
        erased=draw(st.none() | st.sampled_from(MEMBERS + OUTSIDERS)),
    )


async def given_scene(store: GraphStore, scene: Scene) -> None:
    await store.delete_everything()
    people: list[Person] = [
        person(p, share_post_group_contact=p not in scene.refusing) for p in PEOPLE
    ]
    await store.apply(
        batch_of(
            [
                *people,
                group("g1", starts_on=STARTS.date(), ends_on=ENDS_ON, leader_id="lea"),
                group("g2"),
                group("g3"),
            ]
        )
    )
    await store.apply(
        batch_of(
            [
                membership("g1", "lea", role=MembershipRole.LEADER),
                *(membership("g1", m) for m in MEMBERS),
                *scene.elsewhere,
            ]
        )
    )
    if scene.interactions:
        await store.apply(batch_of(scene.interactions))
    if scene.erased is not None:
        await store.erase_person(scene.erased, by="admin", at=NOW)


async def folded_retention(store: GraphStore, *, consenting: set[str]) -> GroupRetention:
    """The retention as it was computed before: every member's whole history, folded."""
    until = NOW + timedelta(microseconds=1)
    everything: dict[str, Interaction] = {}
    for pid in MEMBERS:
        for i in await store.interactions_of(pid, until=until):
            everything[i.key] = i
    contacts = {p for i in everything.values() for p in i.participant_ids}
    groups_of: dict[str, set[str]] = {p: set() for p in contacts | set(MEMBERS)}
    for m in await store.memberships(person_ids=sorted(groups_of)):
        groups_of[m.person_id].add(m.group_id)
    embedded = {
        pair_key(pid, c.other_id): _embedded(c)
        for pid in MEMBERS
        for c in await store.tie_contexts(pid, MEMBERS)
    }
    return group_retention(
        group_id="g1",
        member_ids=MEMBERS,
        consenting=consenting,
        starts_at=STARTS,
        after=AFTER,
        now=NOW,
        horizons=[7, 30, 90],
        interactions=everything.values(),
        groups_of=groups_of,
        model=store.model,
        embedded=embedded,
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scene=scenes())
async def test_group_contacts_counted_in_the_store_equal_the_fold_over_histories(
    store: GraphStore, scene: Scene
) -> None:
    await given_scene(store, scene)
    hidden = sorted(scene.refusing)
    analysed = sorted(set(MEMBERS) - scene.refusing)
    for after in (AFTER, STARTS, NOW + timedelta(days=1)):
        until = NOW + timedelta(microseconds=1)
        counted = await store.group_contacts(analysed, hidden=hidden, after=after, until=until)
        folded = await GraphStore.group_contacts(
            store, analysed, hidden=hidden, after=after, until=until
        )
        assert counted == folded
    # The ties among the members, read in one call, are those read person by person.
    among = await store.tie_contexts_among([*MEMBERS, "nobody", "ann"])
    one_by_one = await GraphStore.tie_contexts_among(store, [*MEMBERS, "nobody", "ann"])
    assert among == one_by_one


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scene=scenes())
async def test_group_retention_from_counts_equals_the_fold_over_whole_histories(
    store: GraphStore, scene: Scene
) -> None:
    await given_scene(store, scene)
    people = await store.get(Person, MEMBERS)
    consenting = {p.id for p in people.values() if p.share_post_group_contact}
    # No budget: this compares answers, and a busy server may plan the queries slowly.
    insights = Insights(store, clock=lambda: NOW, budgets=Budgets(request_s=math.inf))
    found = await insights.group_retention(ADMIN, "g1", horizons=[7, 30, 90])
    expected = await folded_retention(store, consenting=consenting)
    # Strengths come from ties each store merged in its own order of additions: equal to the
    # last few bits, not bit for bit; everything else is equal exactly.
    assert dataclasses.replace(found, pairs=()) == dataclasses.replace(expected, pairs=())
    assert [_rounded(p) for p in found.pairs] == [_rounded(p) for p in expected.pairs]
    for got, want in zip(found.pairs, expected.pairs, strict=True):
        assert math.isclose(got.strength_now, want.strength_now, rel_tol=1e-12)
        assert math.isclose(
            got.keep_in_touch_probability, want.keep_in_touch_probability, rel_tol=1e-12
        )


def _rounded(pair: PairRetention) -> PairRetention:
    return dataclasses.replace(pair, strength_now=0.0, keep_in_touch_probability=0.0)


async def test_reach_counts_only_direct_contact_after_the_end_and_active_groups(
    store: GraphStore,
) -> None:
    scene = Scene(
        interactions=[
            interaction("before", "ann", "fay", day=30),
            interaction("meeting", "ann", "gus", day=140, kind=InteractionKind.MEETING),
            interaction("call", "ann", "hal", day=140, kind=InteractionKind.CALL),
            interaction("hidden", "ann", "eve", day=141),
        ],
        refusing=frozenset({"eve"}),
        elsewhere=[
            membership("g2", "fay"),
            membership("g2", "gus"),
            membership("g3", "hal"),
            membership("g2", "hal", status=MembershipStatus.INVITED),
            membership("g3", "eve"),
        ],
        erased=None,
    )
    await given_scene(store, scene)
    found = await store.group_contacts(["ann", "ben"], hidden=["eve"], after=AFTER, until=NOW)
    assert found.groups_reached == {"ann": frozenset({"g3"}), "ben": frozenset()}
    assert [i.key for i in found.shared] == []
    assert found.first_at == datetime(2024, 2, 7, 9, 0, tzinfo=UTC)
    stored = await store.get(Group, ["g1"])
    assert stored["g1"].leader_id == "lea"


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scene=scenes())
async def test_direct_contacts_counted_in_the_store_equal_the_count_over_pair_histories(
    store: GraphStore, scene: Scene
) -> None:
    await given_scene(store, scene)
    pairs = [(a, b) for a in PEOPLE for b in PEOPLE if a != b]
    for after in (AFTER, STARTS):
        until = NOW + timedelta(microseconds=1)
        counted = await store.direct_contacts(pairs, after=after, until=until)
        folded = await GraphStore.direct_contacts(store, pairs, after=after, until=until)
        assert counted == folded


async def test_direct_contacts_leave_out_meetings_and_the_window_s_ends(store: GraphStore) -> None:
    scene = Scene(
        interactions=[
            Interaction(
                key="on-the-end",
                at=AFTER,
                kind=InteractionKind.CALL,
                participant_ids=("ann", "ben"),
            ),
            interaction("meeting", "ann", "ben", day=140, kind=InteractionKind.MEETING),
            interaction("call", "ben", "ann", "cat", day=141, kind=InteractionKind.CALL),
            interaction("message", "ann", "ben", day=142),
        ],
        refusing=frozenset(),
        elsewhere=[],
        erased=None,
    )
    await given_scene(store, scene)
    found = await store.direct_contacts(
        [("ben", "ann"), ("ann", "cat"), ("ann", "dan"), ("ann", "ann")],
        after=AFTER,
        until=datetime.combine(date(2024, 5, 29), time(9), UTC),
    )
    assert found == {("ann", "ben"): 1, ("ann", "cat"): 1}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scene=scenes())
async def test_tie_contexts_among_people_read_at_once_equal_those_read_person_by_person(
    store: GraphStore, scene: Scene
) -> None:
    await given_scene(store, scene)
    for people in (MEMBERS, [*MEMBERS[:3], *OUTSIDERS], ["ann"], []):
        at_once = await store.tie_contexts_among(people)
        one_by_one = await GraphStore.tie_contexts_among(store, people)
        assert at_once == one_by_one


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scene=scenes(), asked=st.sampled_from([None, ["ben", "fay", "nobody"], []]))
async def test_a_person_s_tie_contexts_count_what_their_ties_and_groups_add_up_to(
    store: GraphStore, scene: Scene, asked: list[str] | None
) -> None:
    await given_scene(store, scene)
    ties = await store.ties_of(PEOPLE)
    neighbours = {p: {t.other(p) for t in found} for p, found in ties.items()}
    groups: dict[str, set[str]] = {p: set() for p in PEOPLE}
    for m in await store.memberships(person_ids=PEOPLE):
        groups[m.person_id].add(m.group_id)
    for pid in ("ann", "fay"):
        expected = [
            (
                t.other(pid),
                t,
                len(neighbours[pid] & neighbours[t.other(pid)] - {pid, t.other(pid)}),
                len(neighbours[pid]),
                len(neighbours[t.other(pid)]),
                len(groups[pid] & groups[t.other(pid)]),
            )
            for t in ties[pid]
            if asked is None or t.other(pid) in asked
        ]
        found = [
            (c.other_id, c.tie, c.shared_contacts, c.degree, c.other_degree, c.shared_groups)
            for c in await store.tie_contexts(pid, asked)
        ]
        assert found == expected


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scene=scenes(), accepted_only=st.booleans())
async def test_memberships_of_some_people_in_some_groups_are_those_of_the_groups_for_them(
    store: GraphStore, scene: Scene, accepted_only: bool
) -> None:
    await given_scene(store, scene)
    asked = [
        (["g1", "g2", "g3"], ["ann"]),
        (["g2", "g3"], ["fay", "ann"]),
        (["g3"], ["ann", "ben", "fay", "gus"]),
        (["g1", "nowhere"], ["nobody"]),
        ([], ["ann"]),
        (["g1"], []),
    ]
    for groups, people in asked:
        of_groups = await store.memberships(group_ids=groups, accepted_only=accepted_only)
        found = await store.memberships(
            group_ids=groups, person_ids=people, accepted_only=accepted_only
        )
        assert found == [m for m in of_groups if m.person_id in people]

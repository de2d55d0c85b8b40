"""The ties among a group's people, for its leader's picture of the group, on every store."""

from __future__ import annotations

import itertools

import pytest

from graph.domain.errors import Forbidden, NotFound
from graph.domain.model import InteractionKind, MembershipRole
from graph.ports import GraphStore, batch_of
from graph.usecases.insights import Insights
from graph.usecases.viewer import Role, Viewer
from tests.factories import at, group, interaction, membership, person

CALL = InteractionKind.CALL
MEETING = InteractionKind.MEETING
NOW = at(200)
ADMIN = Viewer.admin()
LEADER = Viewer(person_id="eve", roles=frozenset({Role.LEADER}), subject="eve")
END_DAY = 113
"""The factories' groups end on 29 April 2024, day 112; contact from day 113 on is after."""


async def a_group(store: GraphStore) -> None:
    """g1 (led by eve) meets once on day 10 with ann, ben, dan and fay; afterwards ann calls
    ben, ben and dan only meet at another group's meeting, and ann calls fay, who keeps her
    post-group contact private. cat is no member."""
    members = ["ann", "ben", "dan", "fay"]
    await store.apply(
        batch_of(
            [
                *(person(p) for p in ["ann", "ben", "cat", "dan", "eve"]),
                person("fay", share_post_group_contact=False),
                group("g1", leader_id="eve"),
                group("g2", starts_on=None, ends_on=None),
                membership("g1", "eve", role=MembershipRole.LEADER),
                *(membership("g1", p) for p in members),
                membership("g2", "ann"),
                membership("g2", "ben"),
            ]
        )
    )
    await store.apply(
        batch_of(
            [
                *(
                    interaction(f"m1-{a}-{b}", a, b, day=10, kind=MEETING, group_size=5)
                    for a, b in itertools.combinations(["eve", *members], 2)
                ),
                interaction("ann-dan", "ann", "dan", day=50),
                interaction("ann-ben", "ann", "ben", day=150, kind=CALL),
                interaction("ben-dan", "ben", "dan", day=160, kind=MEETING, group_size=6),
                interaction("ann-fay", "ann", "fay", day=150, kind=CALL),
                interaction("ann-cat", "ann", "cat", day=150, kind=CALL),
            ]
        )
    )


async def test_every_pair_of_the_group_appears_once_leader_included_outsiders_not(
    store: GraphStore,
) -> None:
    await a_group(store)
    ties = await Insights(store, clock=lambda: NOW).group_ties(LEADER, "g1")
    pairs = [(t.relationship.tie.a, t.relationship.tie.b) for t in ties]
    assert pairs == list(itertools.combinations(["ann", "ben", "dan", "eve", "fay"], 2))


async def test_only_direct_contact_after_the_end_counts_and_private_pairs_stay_unknown(
    store: GraphStore,
) -> None:
    await a_group(store)
    ties = await Insights(store, clock=lambda: NOW).group_ties(LEADER, "g1")
    after = {(t.relationship.tie.a, t.relationship.tie.b): t.contact_after for t in ties}
    assert after[("ann", "ben")] is True  # a call on day 150
    assert after[("ben", "dan")] is False  # only met again at a meeting
    assert after[("ann", "dan")] is False  # their message was during the group
    assert after[("ann", "fay")] is None  # fay keeps post-group contact private
    assert after[("dan", "fay")] is None


async def test_looking_back_counts_only_what_had_happened_by_then(store: GraphStore) -> None:
    await a_group(store)
    insights = Insights(store, clock=lambda: NOW)
    moment = at(END_DAY + 10)
    ties = await insights.group_ties(LEADER, "g1", at=moment)
    by_pair = {(t.relationship.tie.a, t.relationship.tie.b): t for t in ties}
    assert by_pair[("ann", "ben")].contact_after is False  # their call came later
    assert by_pair[("ann", "ben")].relationship.tie.count == 1
    for (a, b), found in by_pair.items():
        report = await insights.relationship(ADMIN, a, b, at=moment)
        assert report is not None
        assert found.relationship.assessment.strength == pytest.approx(
            report.relationship.assessment.strength
        )
        assert found.relationship.assessment.band == report.relationship.assessment.band


async def test_a_group_without_an_end_date_has_no_after(store: GraphStore) -> None:
    await a_group(store)
    ties = await Insights(store, clock=lambda: NOW).group_ties(ADMIN, "g2")
    assert [(t.relationship.tie.a, t.relationship.tie.b, t.contact_after) for t in ties] == [
        ("ann", "ben", None)
    ]


async def test_only_the_groups_leader_sees_the_ties_among_its_people(store: GraphStore) -> None:
    await a_group(store)
    insights = Insights(store, clock=lambda: NOW)
    with pytest.raises(Forbidden):
        await insights.group_ties(
            Viewer(person_id="ann", roles=frozenset({Role.MEMBER}), subject="ann"), "g1"
        )
    with pytest.raises(Forbidden):
        await insights.group_ties(
            Viewer(person_id="cat", roles=frozenset({Role.LEADER}), subject="cat"), "g1"
        )
    with pytest.raises(NotFound):
        await insights.group_ties(ADMIN, "no-such-group")

"""Discovery over every store: what people share, whom to meet, what a group has in common."""

from __future__ import annotations

import pytest

from graph.domain.errors import Forbidden, InvalidInput, NotFound
from graph.domain.model import MembershipRole
from graph.domain.similarity import MATCH_WEIGHT, rarity
from graph.ports import GraphStore, PeopleQuery, batch_of
from graph.usecases.discovery import Discovery
from graph.usecases.viewer import Role, Viewer
from tests.factories import attendance, group, meeting, membership, organization, person

ADMIN = Viewer.admin()
LEADER = MembershipRole.LEADER
PEOPLE = 11
"""How many people the network has."""


def member(pid: str, *roles: Role) -> Viewer:
    return Viewer(person_id=pid, roles=frozenset(roles or {Role.MEMBER}), subject=pid)


async def a_network(store: GraphStore) -> None:
    """Eleven people. ann, ben, cat and eve (its leader) are in Founders and met at m1; ann and
    ben are also in Makers, led by gus, and met at m2. Storytelling is held by 6, hiking by 5,
    chess by 3. dan is hidden, ann blocked fay, gus offers the funding ann seeks."""
    await store.apply(
        batch_of(
            [
                organization("acme", name="Acme Corp"),
                organization("initech"),
                person("fay", interests=("storytelling",)),
                person(
                    "ann",
                    interests=("storytelling", "Chess", "hiking"),
                    organization_id="acme",
                    industry="fintech",
                    offers=("mentoring",),
                    seeks=("funding",),
                    blocked_ids=("fay",),
                ),
                person(
                    "ben",
                    interests=("Storytelling", "chess"),
                    organization_id="acme",
                    industry="FinTech",
                ),
                person("cat", interests=("storytelling", "hiking"), seeks=("Mentoring",)),
                person("dan", interests=("storytelling", "chess"), discoverable=False),
                person("eve", interests=("hiking",), organization_id="initech"),
                person("gus", interests=("hiking",), offers=("Funding ",)),
                person("ivy", interests=("storytelling",)),
                person("jon", interests=("hiking",)),
                person("kim", interests=("knitting",)),
                person("hal", interests=("knitting",)),
                group("g1", name="Founders", leader_id="eve"),
                membership("g1", "eve", role=LEADER),
                *(membership("g1", p) for p in ["ann", "ben", "cat"]),
                group("g2", name="Makers", leader_id="gus"),
                membership("g2", "gus", role=LEADER),
                *(membership("g2", p) for p in ["ann", "ben"]),
                meeting("m1", "g1", day=3, theme="pricing"),
                meeting("m2", "g2", day=10),
                *(attendance("m1", p) for p in ["ann", "ben", "cat", "eve"]),
                *(attendance("m2", p) for p in ["ann", "ben"]),
            ]
        )
    )


async def test_counting_people_asks_the_store_for_totals_only(store: GraphStore) -> None:
    await a_network(store)
    everyone = await store.search_people(PeopleQuery(), first=0)
    assert (everyone.total, everyone.items) == (PEOPLE, [])
    assert (await store.search_people(PeopleQuery(interest="CHESS"), first=0)).total == 3


# -- what two people share ------------------------------------------------------------------------


async def test_two_people_share_interests_organization_industry_groups_and_meetings(
    store: GraphStore,
) -> None:
    await a_network(store)
    shared = await Discovery(store).shared_interests(member("ann"), "ann", "ben")
    assert shared.population == PEOPLE
    assert [i.explanation for i in shared.interests] == [
        "both are interested in Chess (3 of 11 people)",
        "both are interested in storytelling (6 of 11 people)",
    ]
    assert [i.explanation for i in shared.organizations] == [
        "both work at Acme Corp (2 of 11 people)"
    ]
    assert [i.explanation for i in shared.industries] == ["both work in fintech (2 of 11 people)"]
    assert shared.groups is not None
    assert [i.explanation for i in shared.groups] == [
        "both are members of Makers (3 members)",
        "both are members of Founders (4 members)",
    ]
    assert shared.meetings is not None
    assert [i.explanation for i in shared.meetings] == [
        "both attended the 2024-01-18 meeting of Makers (2 attended)",
        "both attended the 2024-01-11 meeting of Founders on pricing (4 attended)",
    ]
    assert shared.interests[0].weight == pytest.approx(rarity(3, PEOPLE))
    assert shared.score == pytest.approx(sum(i.weight for i in shared.items))


async def test_people_with_nothing_in_common_share_nothing(store: GraphStore) -> None:
    await a_network(store)
    shared = await Discovery(store).shared_interests(ADMIN, "ann", "kim")
    assert (shared.items, shared.groups, shared.meetings, shared.score) == ((), (), (), 0.0)


async def test_a_leader_sees_only_the_shared_groups_they_lead(store: GraphStore) -> None:
    await a_network(store)
    discovery = Discovery(store)
    as_eve = await discovery.shared_interests(member("eve", Role.LEADER), "ann", "ben")
    assert [i.key for i in as_eve.groups or ()] == ["g1"]
    assert [i.key for i in as_eve.meetings or ()] == ["m1"]
    as_gus = await discovery.shared_interests(member("gus", Role.LEADER), "ben", "ann")
    assert [i.key for i in as_gus.groups or ()] == ["g2"]
    assert [i.key for i in as_gus.meetings or ()] == ["m2"]


async def test_anyone_else_signed_in_sees_only_what_public_profiles_share(
    store: GraphStore,
) -> None:
    await a_network(store)
    discovery = Discovery(store)
    everything = await discovery.shared_interests(ADMIN, "ann", "ben")
    for viewer in (member("cat"), member("jon", Role.LEADER), member("eve")):
        public = await discovery.shared_interests(viewer, "ann", "ben")
        assert (public.groups, public.meetings) == (None, None)
        assert public.interests == everything.interests
        assert public.organizations == everything.organizations
        assert public.score == pytest.approx(
            sum(i.weight for i in (*everything.interests, *everything.organizations))
            + sum(i.weight for i in everything.industries)
        )


async def test_shared_interests_need_someone_signed_in_two_people_and_known_ids(
    store: GraphStore,
) -> None:
    await a_network(store)
    discovery = Discovery(store)
    nobody = Viewer(person_id=None, roles=frozenset(), subject="anonymous")
    with pytest.raises(Forbidden):
        await discovery.shared_interests(nobody, "ann", "ben")
    with pytest.raises(InvalidInput, match="someone other than a"):
        await discovery.shared_interests(ADMIN, "ann", "ann")
    with pytest.raises(NotFound, match="person 'zoe'"):
        await discovery.shared_interests(ADMIN, "ann", "zoe")


# -- recommendations ------------------------------------------------------------------------------


async def test_recommendations_are_strangers_with_rare_interests_or_offers_in_common(
    store: GraphStore,
) -> None:
    await a_network(store)
    # An admin may read every private profile, so offers count for them.
    found = await Discovery(store).recommended_people(ADMIN, "ann", first=10)
    # ben, cat and eve met ann at m1; dan is hidden; ann blocked fay; kim and hal share nothing.
    assert [r.person_id for r in found] == ["gus", "jon", "ivy"]
    gus = found[0]
    assert gus.score == pytest.approx(rarity(5, PEOPLE) + MATCH_WEIGHT)
    assert gus.reasons == (
        "Gus offers Funding, which Ann seeks",
        "both are interested in hiking (5 of 11 people)",
    )
    assert found[2].reasons == ("both are interested in storytelling (6 of 11 people)",)


async def test_a_strangers_private_offers_neither_explain_nor_rank_their_recommendation(
    store: GraphStore,
) -> None:
    await a_network(store)
    found = await Discovery(store).recommended_people(member("ann"), "ann", first=10)
    gus = next(r for r in found if r.person_id == "gus")
    assert gus.score == pytest.approx(rarity(5, PEOPLE))
    assert gus.matches == ()
    assert gus.reasons == ("both are interested in hiking (5 of 11 people)",)


async def test_an_admin_sees_a_persons_recommendations_and_first_cuts_them(
    store: GraphStore,
) -> None:
    await a_network(store)
    found = await Discovery(store).recommended_people(ADMIN, "ann", first=1)
    assert [r.person_id for r in found] == ["gus"]


async def test_the_candidate_budget_is_spent_on_the_rarest_interests_first(
    store: GraphStore,
) -> None:
    await a_network(store)
    # chess brings ann and ben (dan is hidden), hiking five more; storytelling is not read.
    found = await Discovery(store, max_candidates=7).recommended_people(ADMIN, "ann", first=10)
    assert [r.person_id for r in found] == ["gus", "jon"]


async def test_recommendations_are_only_for_the_person_themselves(store: GraphStore) -> None:
    await a_network(store)
    discovery = Discovery(store)
    for viewer in (member("ben"), member("eve", Role.LEADER)):
        with pytest.raises(Forbidden):
            await discovery.recommended_people(viewer, "ann", first=5)
    with pytest.raises(Forbidden):
        await discovery.recommended_people(member("ben"), "nobody", first=5)
    with pytest.raises(NotFound, match="person 'nobody'"):
        await discovery.recommended_people(ADMIN, "nobody", first=5)


@pytest.mark.parametrize("first", [0, 101])
async def test_between_one_and_a_hundred_recommendations_may_be_asked_for(
    store: GraphStore, first: int
) -> None:
    with pytest.raises(InvalidInput, match="first"):
        await Discovery(store).recommended_people(ADMIN, "ann", first=first)


# -- a group --------------------------------------------------------------------------------------


async def test_a_groups_interest_overlap_lists_what_two_or_more_members_have(
    store: GraphStore,
) -> None:
    await a_network(store)
    found = await Discovery(store).interest_overlap(member("eve", Role.LEADER), "g1")
    assert [(o.label, o.member_ids) for o in found] == [
        ("hiking", ("ann", "cat", "eve")),
        ("storytelling", ("ann", "ben", "cat")),
        ("Chess", ("ann", "ben")),
    ]
    assert found[0].explanation == "3 of 4 members are interested in hiking (5 of 11 people)"
    assert found[2].rarity == pytest.approx(rarity(3, PEOPLE))


async def test_a_groups_members_and_admins_see_its_overlap_and_nobody_else(
    store: GraphStore,
) -> None:
    await a_network(store)
    discovery = Discovery(store)
    expected = await discovery.interest_overlap(ADMIN, "g1")
    assert await discovery.interest_overlap(member("cat"), "g1") == expected
    for outsider in (member("jon"), member("gus", Role.LEADER)):
        with pytest.raises(Forbidden):
            await discovery.interest_overlap(outsider, "g1")
    with pytest.raises(NotFound, match="group 'g9'"):
        await discovery.interest_overlap(ADMIN, "g9")

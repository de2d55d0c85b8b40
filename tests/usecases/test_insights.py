"""Strength insights over every store: the same ranked ties, histories, drift and retention."""

from __future__ import annotations

from datetime import timedelta

import pytest

from graph.domain.errors import Forbidden, InvalidInput
from graph.domain.model import InteractionKind, MembershipRole
from graph.domain.relationship import Band, assess, embeddedness
from graph.domain.ties import ties_from_history
from graph.ports import GraphStore, batch_of
from graph.usecases.insights import Insights
from graph.usecases.viewer import Role, Viewer
from tests.factories import at, group, interaction, membership, person

CALL = InteractionKind.CALL
NOW = at(400)
ADMIN = Viewer.admin()


def member(pid: str, *roles: Role) -> Viewer:
    return Viewer(person_id=pid, roles=frozenset(roles or {Role.MEMBER}), subject=pid)


async def a_network(store: GraphStore) -> None:
    """ann knows ben well and recently, cat once long ago, dan through a group; ben and dan
    know each other too."""
    people = ["ann", "ben", "cat", "dan", "eve"]
    await store.apply(
        batch_of(
            [
                *(person(p) for p in people),
                group("g1", leader_id="eve"),
                membership("g1", "eve", role=MembershipRole.LEADER),
                membership("g1", "ann"),
                membership("g1", "dan"),
                membership("g1", "ben"),
            ]
        )
    )
    await store.apply(
        batch_of(
            [
                *(
                    interaction(
                        f"ab{n}",
                        "ann",
                        "ben",
                        day=300 + 10 * n,
                        kind=CALL,
                        initiator_id="ann" if n % 2 else "ben",
                    )
                    for n in range(8)
                ),
                interaction("ac", "ann", "cat", day=5, kind=CALL, initiator_id="ann"),
                interaction("ad", "ann", "dan", day=200, initiator_id="dan"),
                interaction("bd", "ben", "dan", day=250),
                interaction("ce", "cat", "eve", day=20),
            ]
        )
    )


async def expected_strengths(store: GraphStore, person_id: str) -> dict[str, float]:
    """Strength of each tie of ``person_id`` at NOW, computed from the raw history."""
    everyone = ["ann", "ben", "cat", "dan", "eve"]
    history = {i.key: i for p in everyone for i in await store.interactions_of(p)}
    ties = ties_from_history(history.values(), store.model)
    contacts: dict[str, set[str]] = {p: set() for p in everyone}
    for a, b in ties:
        contacts[a].add(b)
        contacts[b].add(a)
    groups = {"ann": {"g1"}, "ben": {"g1"}, "dan": {"g1"}, "eve": {"g1"}, "cat": set()}
    found = {}
    for (a, b), tie in ties.items():
        if person_id not in (a, b):
            continue
        shared = len(groups[a] & groups[b])
        embedded = embeddedness(contacts[a], contacts[b], a, b, shared_groups=shared)
        found[tie.other(person_id)] = assess(tie, NOW, store.model, embedded=embedded).strength
    return found


async def test_tie_contexts_count_shared_contacts_degrees_and_shared_groups(
    store: GraphStore,
) -> None:
    await a_network(store)
    contexts = {c.other_id: c for c in await store.tie_contexts("ann")}
    assert sorted(contexts) == ["ben", "cat", "dan"]
    ben = contexts["ben"]
    assert (ben.shared_contacts, ben.degree, ben.other_degree, ben.shared_groups) == (1, 3, 2, 1)
    cat = contexts["cat"]
    assert (cat.shared_contacts, cat.other_degree, cat.shared_groups) == (0, 2, 0)
    only = await store.tie_contexts("ann", ["dan", "eve"])
    assert [c.other_id for c in only] == ["dan"]
    assert await store.tie_contexts("nobody") == []


async def test_strongest_ties_rank_by_the_strength_the_history_adds_up_to(
    store: GraphStore,
) -> None:
    await a_network(store)
    insights = Insights(store, clock=lambda: NOW)
    ranked = await insights.strongest_ties(ADMIN, "ann", first=10)
    expected = await expected_strengths(store, "ann")
    assert [r.tie.other("ann") for r in ranked] == ["ben", "dan", "cat"]
    assert {r.tie.other("ann"): r.strength for r in ranked} == pytest.approx(expected, rel=1e-9)
    assert ranked[0].assessment.band is Band.STRONG
    top = await insights.strongest_ties(ADMIN, "ann", first=1, min_strength=0.0)
    assert [r.tie.other("ann") for r in top] == ["ben"]
    strong_only = await insights.strongest_ties(ADMIN, "ann", first=10, min_strength=0.5)
    assert [r.tie.other("ann") for r in strong_only] == ["ben"]


async def test_strength_in_the_past_counts_only_what_had_happened_by_then(
    store: GraphStore,
) -> None:
    await a_network(store)
    insights = Insights(store, clock=lambda: NOW)
    then = at(320)  # ann and ben had had three calls: days 300, 310 and 320
    report = await insights.relationship(ADMIN, "ann", "ben", at=then)
    assert report is not None
    assert report.relationship.tie.count == 3
    history = [i for i in await store.interactions_of("ann", other_id="ben") if i.at <= then]
    tie = ties_from_history(history, store.model)[("ann", "ben")]
    assert report.relationship.assessment.score == pytest.approx(tie.score, rel=1e-9)
    assert [i.key for i, _ in report.evidence] == ["ab2", "ab1", "ab0"]
    assert await insights.relationship(ADMIN, "ann", "ben", at=at(100)) is None
    ranked_then = await insights.strongest_ties(ADMIN, "ann", first=10, at=then)
    assert {r.tie.other("ann"): r.tie.count for r in ranked_then} == {"ben": 3, "cat": 1, "dan": 1}


async def test_a_history_of_strength_rises_with_contact_and_decays_without(
    store: GraphStore,
) -> None:
    await a_network(store)
    insights = Insights(store, clock=lambda: NOW)
    series = await insights.tie_history(
        ADMIN, "ann", "cat", start=at(0), end=at(365), step=timedelta(days=73)
    )
    assert [when for when, _ in series] == [at(d) for d in (0, 73, 146, 219, 292, 365)]
    assert series[0][1] is None
    strengths = [a.strength for _, a in series[1:] if a is not None]
    assert strengths == sorted(strengths, reverse=True)
    with pytest.raises(InvalidInput, match="step"):
        await insights.tie_history(
            ADMIN, "ann", "cat", start=at(0), end=at(365), step=timedelta(minutes=1)
        )


async def test_drifting_ties_are_those_that_fell_to_a_weaker_band_within_the_window(
    store: GraphStore,
) -> None:
    await a_network(store)
    insights = Insights(store, clock=lambda: NOW)
    # ben: strong and kept up; dan: one message of his on day 200 (weak then, weak now);
    # cat: one call on day 5, weak on day 220 and dormant by now.
    drifts = await insights.drifting_ties(ADMIN, person_id="ann", window=timedelta(days=180))
    assert [(d.other_id, d.before.band, d.now.band) for d in drifts] == [
        ("cat", Band.WEAK, Band.DORMANT)
    ]
    assert await insights.drifting_ties(ADMIN, person_id="ann", window=timedelta(days=90)) == []
    # Within the group, ben and dan's one message on day 250 has faded a band since.
    in_group = await insights.drifting_ties(ADMIN, group_id="g1", window=timedelta(days=150))
    assert [(d.person_id, d.other_id, d.before.band, d.now.band) for d in in_group] == [
        ("ben", "dan", Band.MODERATE, Band.WEAK)
    ]
    with pytest.raises(Forbidden):
        await insights.drifting_ties(member("ann"), group_id="g1", window=timedelta(days=30))
    with pytest.raises(InvalidInput, match="exactly one"):
        await insights.drifting_ties(ADMIN, window=timedelta(days=30))


async def test_only_the_pair_and_a_leader_of_both_see_how_strong_their_tie_is(
    store: GraphStore,
) -> None:
    await a_network(store)
    insights = Insights(store, clock=lambda: NOW)
    assert await insights.relationship(member("ann"), "ann", "ben") is not None
    assert await insights.relationship(member("eve", Role.LEADER), "ann", "ben") is not None
    with pytest.raises(Forbidden):
        await insights.relationship(member("dan"), "ann", "ben")
    with pytest.raises(Forbidden):
        await insights.relationship(member("eve", Role.LEADER), "ann", "cat")
    with pytest.raises(Forbidden):
        await insights.strongest_ties(member("ben"), "ann", first=5)


async def test_group_retention_counts_members_but_not_the_leader_and_hides_small_groups(
    store: GraphStore,
) -> None:
    await a_network(store)
    insights = Insights(store, clock=lambda: NOW, privacy_min_group=5)
    as_leader = await insights.group_retention(
        member("eve", Role.LEADER), "g1", after=at(280), horizons=[30, 90]
    )
    assert as_leader.member_count == 3  # ann, ben, dan; eve leads
    assert not as_leader.aggregated
    assert {(p.a, p.b) for p in as_leader.pairs} == {("ann", "ben"), ("ann", "dan"), ("ben", "dan")}
    kept = {(p.a, p.b) for p in as_leader.pairs if p.contact_after}
    assert kept == {("ann", "ben")}
    assert as_leader.share_after == pytest.approx(1 / 3)
    as_member = await insights.group_retention(member("dan"), "g1", after=at(280))
    assert as_member.aggregated
    assert as_member.pairs == ()
    # One pair's contact would change any share of three pairs: withheld, and whole days.
    assert (as_member.share_during, as_member.share_after) == (None, None)
    assert all(point.share is None for point in as_member.curve)
    assert as_member.after == at(280).replace(hour=0)
    assert (as_member.member_count, as_member.pair_count) == (3, 3)
    with pytest.raises(Forbidden):
        await insights.group_retention(member("cat"), "g1", after=at(280))


async def test_the_strengths_of_some_of_a_person_s_ties_are_those_of_all_their_ties(
    store: GraphStore,
) -> None:
    await a_network(store)
    insights = Insights(store, clock=lambda: NOW)
    (everything,) = await insights.ties_with_strength(ADMIN, ["ann"])
    assert everything is not None
    pairs = [("ann", "dan"), ("ann", "eve"), ("ben", "ann"), ("ann", "ben")]
    found = await insights.strengths_of_ties(ADMIN, pairs)
    (bens,) = await insights.ties_with_strength(ADMIN, ["ben"])
    assert bens is not None
    assert found == [everything["dan"], None, bens["ann"], everything["ben"]]
    assert await insights.strengths_of_ties(member("cat"), [("ann", "ben")]) == [None]

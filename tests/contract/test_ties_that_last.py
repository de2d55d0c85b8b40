"""Old ties carry introductions on both stores: degrees, mutual connections and paths agree,
whatever the ties' age, at any past moment, with blocks and consent applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.domain.model import Interaction, InteractionKind, Person
from graph.domain.paths import Strategy
from graph.ports import GraphStore, batch_of
from graph.usecases.introductions import Degree, Introductions
from graph.usecases.viewer import Viewer
from tests.factories import person

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
ADMIN = Viewer.admin()
PEOPLE = [f"p{n}" for n in range(8)]
HOPS = {Degree.FIRST: 1, Degree.SECOND: 2, Degree.THIRD: 3}


def connected(key: str, a: str, b: str, when: datetime) -> Interaction:
    """A connection two people declared (as a LinkedIn export lists it)."""
    return Interaction(key=key, at=when, kind=InteractionKind.CONNECTION, participant_ids=(a, b))


def year(y: int, month: int = 3) -> datetime:
    return datetime(y, month, 1, tzinfo=UTC)


async def given_people(store: GraphStore, *people: Person) -> None:
    await store.delete_everything()
    await store.apply(batch_of(list(people)))


async def test_connections_made_years_ago_still_carry_an_introduction(store: GraphStore) -> None:
    await given_people(store, person("ada"), person("bo"), person("cy"))
    await store.apply(
        batch_of(
            [connected("ab", "ada", "bo", year(2016)), connected("bc", "bo", "cy", year(2019))]
        )
    )
    introductions = Introductions(store, clock=lambda: NOW)
    assert await introductions.connection_degree(ADMIN, "ada", "cy") is Degree.SECOND
    for strategy in Strategy:
        found = await introductions.introduction_paths(ADMIN, "ada", "cy", strategy=strategy)
        assert [p.path.people for p in found] == [("ada", "bo", "cy")]
        assert 0 < found[0].path.score < 1e-3
    mutual = await introductions.mutual_connections(ADMIN, "ada", "cy")
    assert [p.id for p in mutual] == ["bo"]


async def test_strongest_ranks_an_old_link_after_a_live_one_but_offers_it(
    store: GraphStore,
) -> None:
    await given_people(store, *(person(p) for p in ("ada", "bo", "cy", "dee")))
    recent = NOW - timedelta(days=20)
    await store.apply(
        batch_of(
            [
                connected("ab", "ada", "bo", year(2016)),
                connected("bd", "bo", "dee", year(2017)),
                Interaction(
                    key="ac",
                    at=recent,
                    kind=InteractionKind.CALL,
                    participant_ids=("ada", "cy"),
                ),
                Interaction(
                    key="cd",
                    at=recent,
                    kind=InteractionKind.CALL,
                    participant_ids=("cy", "dee"),
                ),
            ]
        )
    )
    introductions = Introductions(store, clock=lambda: NOW)
    found = await introductions.introduction_paths(ADMIN, "ada", "dee")
    assert [p.path.people for p in found] == [("ada", "cy", "dee"), ("ada", "bo", "dee")]
    shortest = await introductions.introduction_paths(
        ADMIN, "ada", "dee", strategy=Strategy.SHORTEST
    )
    assert {p.path.people for p in shortest} == {("ada", "cy", "dee"), ("ada", "bo", "dee")}


async def test_people_who_blocked_each_other_are_strangers_to_paths_degree_and_mutuals(
    store: GraphStore,
) -> None:
    await given_people(
        store, person("ada"), person("bo"), person("cy", blocked_ids=("ada",)), person("dee")
    )
    await store.apply(
        batch_of(
            [
                connected("ab", "ada", "bo", year(2024)),
                connected("bc", "bo", "cy", year(2024)),
                connected("ac", "ada", "cy", year(2024)),
            ]
        )
    )
    introductions = Introductions(store, clock=lambda: NOW)
    assert await introductions.connection_degree(ADMIN, "ada", "cy") is Degree.BEYOND
    assert await introductions.mutual_connections(ADMIN, "ada", "cy") == []
    for strategy in Strategy:
        assert await introductions.introduction_paths(ADMIN, "ada", "cy", strategy=strategy) == []
    # Exactly what two strangers get (dee knows nobody): nothing tells the block apart.
    assert await introductions.connection_degree(ADMIN, "cy", "dee") is Degree.BEYOND
    assert await introductions.mutual_connections(ADMIN, "cy", "dee") == []


async def test_the_network_at_a_past_moment_leaves_out_later_ties_and_scores_links_then(
    store: GraphStore,
) -> None:
    await given_people(store, person("ada"), person("bo"), person("cy"))
    group_end = year(2024, 6)
    calls = [
        Interaction(
            key=f"ab{n}",
            at=group_end - timedelta(days=7 * n),
            kind=InteractionKind.CALL,
            participant_ids=("ada", "bo"),
        )
        for n in range(8)
    ]
    later = connected("bc", "bo", "cy", year(2025))
    await store.apply(batch_of([*calls, later]))
    introductions = Introductions(store, clock=lambda: NOW)
    assert await introductions.connection_degree(ADMIN, "ada", "cy") is Degree.SECOND
    assert await introductions.connection_degree(ADMIN, "ada", "cy", at=group_end) is (
        Degree.BEYOND
    )
    assert await introductions.introduction_paths(ADMIN, "ada", "cy", at=group_end) == []
    assert await introductions.mutual_connections(ADMIN, "ada", "cy", at=group_end) == []
    then = await introductions.introduction_paths(ADMIN, "ada", "bo", at=group_end)
    now = await introductions.introduction_paths(ADMIN, "ada", "bo")
    assert then[0].hops[0].band.value == "strong"
    assert now[0].hops[0].band.value == "dormant"
    assert then[0].hops[0].tie is not None
    assert then[0].hops[0].tie.count == 8


@st.composite
def old_networks(draw: st.DrawFn) -> tuple[list[Person], list[Interaction]]:
    refusing = draw(st.sets(st.sampled_from(PEOPLE), max_size=2))
    people = []
    for p in PEOPLE:
        blocked = draw(st.lists(st.sampled_from(PEOPLE), max_size=1))
        people.append(
            person(
                p, intermediary=p not in refusing, blocked_ids=tuple(b for b in blocked if b != p)
            )
        )
    pairs = [(a, b) for i, a in enumerate(PEOPLE) for b in PEOPLE[i + 1 :]]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, min_size=3, max_size=14))
    contacts = []
    for n, (a, b) in enumerate(chosen):
        days_ago = draw(st.integers(0, 365 * 12))
        kind = draw(st.sampled_from([InteractionKind.CONNECTION, InteractionKind.CALL]))
        contacts.append(
            Interaction(
                key=f"i{n}",
                at=NOW - timedelta(days=days_ago),
                kind=kind,
                participant_ids=(a, b),
            )
        )
    return people, contacts


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(network=old_networks(), source=st.sampled_from(PEOPLE), target=st.sampled_from(PEOPLE))
async def test_whenever_the_degree_is_first_to_third_both_strategies_offer_a_path_of_it(
    store: GraphStore,
    network: tuple[list[Person], list[Interaction]],
    source: str,
    target: str,
) -> None:
    if source == target:
        return
    people, contacts = network
    await given_people(store, *people)
    await store.apply(batch_of(contacts))
    introductions = Introductions(store, clock=lambda: NOW)
    degree = await introductions.connection_degree(ADMIN, source, target)
    shortest = await introductions.introduction_paths(
        ADMIN, source, target, strategy=Strategy.SHORTEST, first=20
    )
    strongest = await introductions.introduction_paths(ADMIN, source, target)
    # The structure finds them (every simple path of the walkable graph in which nobody
    # blocked anyone else, fewest hops first), the weights only order them.
    walkable = _walkable(people, contacts, ends=(source, target))
    blocked = {p.id: set(p.blocked_ids) for p in people}

    def fits(path: tuple[str, ...]) -> bool:
        return not any(b in blocked[a] for a in path for b in path)

    candidates = (
        sorted(p for p in map(tuple, nx.all_simple_paths(walkable, source, target, cutoff=3)))
        if source in walkable and target in walkable
        else []
    )
    usable = [p for p in candidates if fits(p)]
    fewest = min((len(p) for p in usable), default=0)
    expected = [p for p in usable if len(p) == fewest]
    assert sorted(p.path.people for p in shortest) == expected[:20]
    if degree in HOPS:
        assert shortest
        assert all(p.path.hops == HOPS[degree] for p in shortest)
        assert strongest
    else:
        assert degree is Degree.BEYOND
        assert shortest == strongest == []


def _walkable(
    people: list[Person], contacts: list[Interaction], ends: tuple[str, str]
) -> nx.Graph[str]:
    """The graph introductions may walk: no blocked tie, no refusing person inside a path."""
    by_id = {p.id: p for p in people if p.intermediary or p.id in ends}
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(by_id)
    for contact in contacts:
        a, b = contact.participant_ids
        if a not in by_id or b not in by_id:
            continue
        if b in by_id[a].blocked_ids or a in by_id[b].blocked_ids:
            continue
        graph.add_edge(a, b)
    return graph


async def test_the_ties_between_pairs_are_those_of_each_person_at_that_moment(
    store: GraphStore,
) -> None:
    await given_people(store, person("ada"), person("bo"), person("cy"), person("dee"))
    await store.apply(
        batch_of(
            [
                connected("ab", "ada", "bo", year(2022)),
                connected("ab2", "bo", "ada", year(2025)),
                connected("bc", "bo", "cy", year(2024)),
                connected("cd", "cy", "dee", year(2023)),
            ]
        )
    )
    asked = [("bo", "ada"), ("bo", "cy"), ("ada", "dee"), ("ada", "ada")]
    for moment in (NOW, year(2024, 1), year(2023, 6)):
        everyone = await store.ties_as_of(["ada", "bo", "cy", "dee"], moment)
        expected = {
            (t.a, t.b): t
            for ties in everyone.values()
            for t in ties
            if (t.a, t.b) in {("ada", "bo"), ("bo", "cy")}
        }
        assert await store.ties_between(asked, moment) == expected
    assert set(await store.ties_between(asked, NOW)) == {("ada", "bo"), ("bo", "cy")}
    now = await store.ties_of(["ada", "bo", "cy", "dee"])
    assert await store.ties_between(asked) == {
        (t.a, t.b): t
        for ties in now.values()
        for t in ties
        if (t.a, t.b) in {("ada", "bo"), ("bo", "cy")}
    }


async def test_contact_recorded_for_a_later_moment_counts_as_now_and_breaks_nothing(
    store: GraphStore,
) -> None:
    await given_people(store, person("ada"), person("bo"), person("cy"))
    await store.apply(
        batch_of(
            [
                Interaction(
                    key="next-week",
                    at=NOW + timedelta(days=7),
                    kind=InteractionKind.MEETING,
                    participant_ids=("ada", "bo"),
                ),
                connected("bc", "bo", "cy", year(2020)),
            ]
        )
    )
    introductions = Introductions(store, clock=lambda: NOW)
    found = await introductions.introduction_paths(ADMIN, "ada", "cy")
    assert [p.path.people for p in found] == [("ada", "bo", "cy")]
    assert await introductions.connection_degree(ADMIN, "ada", "cy") is Degree.SECOND
    # At a moment before it, the contact had not happened: no tie yet.
    assert await introductions.connection_degree(ADMIN, "ada", "bo", at=NOW) is Degree.BEYOND

"""Introduction paths: meet in the middle finds exactly what enumerating every path finds."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.domain.paths import (
    Path,
    Strategy,
    best_paths,
    brute_force_paths,
    rank,
    shortest_distance,
)

PEOPLE = [f"p{n}" for n in range(8)]


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, dict[str, float]]:
    """A small undirected graph with link strengths, often equal (to exercise tie-breaks)."""
    links: dict[str, dict[str, float]] = {p: {} for p in PEOPLE}
    pairs = [(a, b) for i, a in enumerate(PEOPLE) for b in PEOPLE[i + 1 :]]
    for a, b in draw(st.lists(st.sampled_from(pairs), unique=True, max_size=20)):
        strength = draw(st.sampled_from([0.1, 0.25, 0.5, 0.8, 1.0]) | st.floats(0.01, 1.0))
        links[a][b] = links[b][a] = strength
    return links


@settings(max_examples=300, deadline=None)
@given(
    links=graphs(),
    source=st.sampled_from(PEOPLE),
    target=st.sampled_from(PEOPLE),
    refusing=st.sets(st.sampled_from(PEOPLE), max_size=3),
    blocks=st.sets(st.tuples(st.sampled_from(PEOPLE), st.sampled_from(PEOPLE)), max_size=4),
    max_hops=st.integers(1, 4),
    first=st.integers(1, 6),
    strategy=st.sampled_from(list(Strategy)),
)
def test_meet_in_the_middle_returns_the_same_top_paths_as_enumerating_them_all(
    links: dict[str, dict[str, float]],
    source: str,
    target: str,
    refusing: set[str],
    blocks: set[tuple[str, str]],
    max_hops: int,
    first: int,
    strategy: Strategy,
) -> None:
    def may_pass(p: str) -> bool:
        return p not in refusing

    def apart(a: str, b: str) -> bool:
        return a != b and ((a, b) in blocks or (b, a) in blocks)

    fast = best_paths(
        source,
        target,
        links_of=links.__getitem__,
        may_pass=may_pass,
        max_hops=max_hops,
        first=first,
        strategy=strategy,
        apart=apart,
    )
    oracle = brute_force_paths(
        source,
        target,
        links_of=links.__getitem__,
        may_pass=may_pass,
        max_hops=max_hops,
        first=first,
        strategy=strategy,
        apart=apart,
    )
    assert fast == oracle
    for path in fast:  # a block holds along the whole path, not only between neighbours
        assert not any(apart(a, b) for a in path.people for b in path.people)


def test_a_strong_detour_beats_a_weak_shortcut_and_shortest_prefers_the_shortcut() -> None:
    links = {
        "me": {"weak": 0.1, "friend": 0.9},
        "weak": {"me": 0.1, "x": 0.9},
        "friend": {"me": 0.9, "mutual": 0.9},
        "mutual": {"friend": 0.9, "x": 0.9},
        "x": {"weak": 0.9, "mutual": 0.9},
    }
    strongest = best_paths(
        "me", "x", links_of=links.__getitem__, may_pass=lambda _: True, max_hops=3
    )
    assert [p.people for p in strongest] == [("me", "friend", "mutual", "x"), ("me", "weak", "x")]
    assert strongest[0].score == 0.9**3
    shortest = best_paths(
        "me",
        "x",
        links_of=links.__getitem__,
        may_pass=lambda _: True,
        strategy=Strategy.SHORTEST,
    )
    assert [p.people for p in shortest] == [("me", "weak", "x")]


def test_someone_who_does_not_consent_is_never_an_intermediary_but_may_be_the_target() -> None:
    links = {"me": {"shy": 1.0}, "shy": {"me": 1.0, "x": 1.0}, "x": {"shy": 1.0}}
    no_shy = {"links_of": links.__getitem__, "may_pass": lambda p: p != "shy"}
    assert best_paths("me", "x", **no_shy) == []  # type: ignore[arg-type]
    assert [p.people for p in best_paths("me", "shy", **no_shy)] == [("me", "shy")]  # type: ignore[arg-type]


def test_equal_scores_rank_by_hops_then_by_the_people_in_order() -> None:
    paths = [
        Path(("a", "c", "z"), (1.0, 0.5)),
        Path(("a", "b", "z"), (0.5, 1.0)),
        Path(("a", "z"), (0.5,)),
    ]
    assert [p.people for p in rank(paths, Strategy.STRONGEST, 5)] == [
        ("a", "z"),
        ("a", "b", "z"),
        ("a", "c", "z"),
    ]


@settings(max_examples=200, deadline=None)
@given(
    links=graphs(),
    source=st.sampled_from(PEOPLE),
    target=st.sampled_from([*PEOPLE, "stranger"]),
    limit=st.integers(0, 7),
)
def test_the_shortest_distance_is_what_networkx_finds_within_the_limit(
    links: dict[str, dict[str, float]], source: str, target: str, limit: int
) -> None:
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(PEOPLE)
    graph.add_edges_from((a, b) for a, others in links.items() for b in others)
    try:
        expected: int | None = int(nx.shortest_path_length(graph, source, target))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        expected = None
    if expected is not None and expected > limit:
        expected = None
    found = shortest_distance(
        source, target, neighbours=lambda p: links.get(p, {}).keys(), limit=limit
    )
    assert found == expected

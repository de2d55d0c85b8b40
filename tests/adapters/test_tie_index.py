"""The embedded store's tie index: built in bulk or tie by tie, compacted or not, it holds the
ties the history adds up to and finds the paths the brute-force oracle finds."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import networkx as nx
import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.adapters.embedded.tie_index import KINDS, TieIndex, TieRows
from graph.domain.batch import TieAccumulator
from graph.domain.model import Interaction, InteractionKind, Tie
from graph.domain.paths import Path, Strategy, brute_force_paths, rank, top_paths
from graph.domain.relationship import link_strength
from graph.domain.strength import StrengthModel
from graph.domain.ties import ties_from_history

MODEL = StrengthModel()
T0 = datetime(2024, 1, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=200)
PEOPLE = [f"p{n}" for n in range(9)]
PAIRS = list(itertools.combinations(PEOPLE, 2))


@st.composite
def histories(draw: st.DrawFn) -> list[list[Interaction]]:
    """Contacts between a few people, in several batches (as a store receives them)."""
    contacts = []
    for n in range(draw(st.integers(0, 40))):
        a, b = draw(st.sampled_from(PAIRS))
        contacts.append(
            Interaction(
                key=f"k{n}",
                at=T0 + timedelta(days=draw(st.integers(0, 250))),  # some after NOW
                kind=draw(st.sampled_from(list(InteractionKind))),
                participant_ids=(a, b),
                initiator_id=draw(st.sampled_from([None, a, b])),
            )
        )
    cuts = sorted(draw(st.lists(st.integers(0, len(contacts)), max_size=4)))
    bounds = [0, *cuts, len(contacts)]
    return [contacts[lo:hi] for lo, hi in itertools.pairwise(bounds)]


def incremental(batches: list[list[Interaction]], compact_after: int) -> TieIndex:
    index = TieIndex(MODEL, compact_after=compact_after)
    for batch in batches:
        add(index, batch)
    return index


def add(index: TieIndex, batch: list[Interaction]) -> None:
    accumulator = TieAccumulator(MODEL)
    for contact in batch:
        accumulator.add(contact)
    index.put(index.merged(accumulator.deltas.values()))


def strongest_paths(index: TieIndex, source: str, target: str) -> list[Path]:
    """The top paths of up to three hops between two people, as a search over ``index``."""
    if source not in index or target not in index:
        return []
    view = index.search_view(at=NOW, min_link_strength=0.0, kinds=None, refusing=set(), blocks={})
    ends = index.id_of(source), index.id_of(target)
    assert ends[0] is not None
    assert ends[1] is not None
    found = top_paths(view, ends[0], ends[1], max_hops=3, first=3, strategy=Strategy.STRONGEST)
    named = (Path(tuple(index.name_of(p) for p in people), s) for people, s in found)
    return rank(named, Strategy.STRONGEST, 3)


def same_as_built_in_bulk(index: TieIndex, contacts: list[Interaction]) -> None:
    """The index holds the ties of ``contacts`` and searches them as one loaded in bulk."""
    expected = ties_from_history(contacts, MODEL)
    same_ties(index, expected)
    bulk = in_bulk(expected)
    for source, target in PAIRS[::3]:
        # The same paths; their scores come from ties summed in another order (incrementally
        # or from the whole history), equal to the last few bits.
        found, loaded = (
            strongest_paths(index, source, target),
            strongest_paths(bulk, source, target),
        )
        assert [p.people for p in found] == [p.people for p in loaded]
        for mine, theirs in zip(found, loaded, strict=True):
            assert math.isclose(mine.score, theirs.score, rel_tol=1e-12)


def in_bulk(ties: dict[tuple[str, str], Tie]) -> TieIndex:
    index = TieIndex(MODEL)
    rows = list(ties.values())
    index.load(
        [
            TieRows(
                a=[t.a for t in rows],
                b=[t.b for t in rows],
                first_us=_micros([t.first_at for t in rows]),
                last_us=_micros([t.last_at for t in rows]),
                count=_ints([t.count for t in rows]),
                counts=[tuple(t.counts.get(kind, 0) for kind in KINDS) for t in rows],
                initiated_by_a=_ints([t.initiated_by_a for t in rows]),
                initiated_by_b=_ints([t.initiated_by_b for t in rows]),
                score=_floats([t.score for t in rows]),
                score_by_a=_floats([t.score_by_a for t in rows]),
                score_by_b=_floats([t.score_by_b for t in rows]),
            )
        ]
    )
    return index


def _ints(values: list[int]) -> npt.NDArray[np.int64]:
    return np.array(values, np.int64)


def _floats(values: list[float]) -> npt.NDArray[np.float64]:
    return np.array(values, np.float64)


def _micros(instants: list[datetime]) -> npt.NDArray[np.int64]:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return _ints([(t - epoch) // timedelta(microseconds=1) for t in instants])


def held(index: TieIndex, people: list[str] = PEOPLE) -> dict[tuple[str, str], Tie]:
    found = {}
    for person in people:
        for _, tie in index.ties_of(person):
            found[(tie.a, tie.b)] = tie
    return found


def same_ties(
    index: TieIndex, expected: dict[tuple[str, str], Tie], people: list[str] = PEOPLE
) -> None:
    found = held(index, people)
    assert found.keys() == expected.keys()
    for pair, tie in expected.items():
        got = found[pair]
        assert index.tie(*pair) == got
        assert index.tie(pair[1], pair[0]) == got
        assert got.counts == {k: n for k, n in tie.counts.items() if n}
        assert (got.first_at, got.last_at, got.count) == (tie.first_at, tie.last_at, tie.count)
        assert (got.initiated_by_a, got.initiated_by_b) == (tie.initiated_by_a, tie.initiated_by_b)
        for mine, theirs in (
            (got.score, tie.score),
            (got.score_by_a, tie.score_by_a),
            (got.score_by_b, tie.score_by_b),
        ):
            assert abs(mine - theirs) <= 1e-9 * max(1.0, abs(theirs))
    assert len(index) == len(expected)


@settings(max_examples=150, deadline=None)
@given(batches=histories(), compact_after=st.sampled_from([0, 1, 3, 1_000]))
def test_an_index_built_tie_by_tie_holds_what_one_built_in_bulk_and_the_history_hold(
    batches: list[list[Interaction]], compact_after: int
) -> None:
    expected = ties_from_history(itertools.chain.from_iterable(batches), MODEL)
    grown = incremental(batches, compact_after)
    same_ties(grown, expected)
    same_ties(in_bulk(expected), expected)
    grown.compact()
    same_ties(grown, expected)
    oracle: nx.Graph[str] = nx.Graph(list(expected))
    for person in PEOPLE:
        assert sorted(grown.neighbours(person)) == sorted(
            oracle.adj[person] if person in oracle else []
        )
        assert (person in grown) == (person in oracle)


@settings(max_examples=150, deadline=None)
@given(
    batches=histories(),
    compact_after=st.sampled_from([0, 1, 3, 1_000]),
    person=st.sampled_from(PEOPLE),
    others=st.none() | st.sets(st.sampled_from([*PEOPLE, "stranger"]), max_size=4),
)
def test_a_tie_context_counts_the_neighbourhood_networkx_sees(
    batches: list[list[Interaction]],
    compact_after: int,
    person: str,
    others: set[str] | None,
) -> None:
    expected_ties = ties_from_history(itertools.chain.from_iterable(batches), MODEL)
    oracle: nx.Graph[str] = nx.Graph(list(expected_ties))
    mine = set(oracle.adj[person]) if person in oracle else set()
    wanted = sorted(mine if others is None else mine & others)
    expected = [
        (other, len(mine & set(oracle.adj[other])), len(mine), oracle.degree[other])
        for other in wanted
    ]
    index = incremental(batches, compact_after)
    for _ in range(2):  # as grown, then compacted
        found = index.contexts(person, others)
        assert [(o, shared, d, od) for _, o, shared, d, od in found] == expected
        assert [tie for tie, *_ in found] == [index.tie(person, o) for o in wanted]
        index.compact()


@settings(max_examples=150, deadline=None)
@given(
    batches=histories(),
    compact_after=st.sampled_from([0, 2, 1_000]),
    source=st.sampled_from(PEOPLE),
    target=st.sampled_from(PEOPLE),
    refusing=st.sets(st.sampled_from(PEOPLE), max_size=2),
    blocks=st.sets(st.sampled_from(PAIRS), max_size=2),
    kinds=st.none() | st.sets(st.sampled_from(list(InteractionKind)), min_size=1, max_size=3),
    min_link=st.sampled_from([0.0, 0.05, 0.2]),
    max_hops=st.integers(1, 4),
    first=st.integers(1, 5),
    strategy=st.sampled_from(list(Strategy)),
    floors=st.sampled_from([(0.05, 0.0), (0.5, 0.1, 0.01, 0.0), (0.0,)]),
)
def test_a_search_over_the_index_finds_the_paths_the_oracle_ranks_first(
    batches: list[list[Interaction]],
    compact_after: int,
    source: str,
    target: str,
    refusing: set[str],
    blocks: set[tuple[str, str]],
    kinds: set[InteractionKind] | None,
    min_link: float,
    max_hops: int,
    first: int,
    strategy: Strategy,
    floors: tuple[float, ...],
) -> None:
    ties = ties_from_history(itertools.chain.from_iterable(batches), MODEL)
    blocked = {a: frozenset(b for x, b in blocks if x == a) for a, _ in blocks}
    index = incremental(batches, compact_after)

    def apart(one: str, other: str) -> bool:
        return other in blocked.get(one, ()) or one in blocked.get(other, ())

    links: dict[str, dict[str, float]] = {p: {} for p in PEOPLE}
    for (a, b), tie in ties.items():
        if apart(a, b) or (kinds and not any(tie.counts.get(k) for k in kinds)):
            continue
        strength = link_strength(tie, NOW, MODEL)
        if strength >= min_link:
            links[a][b] = links[b][a] = strength
    expected = brute_force_paths(
        source, target, links_of=links.__getitem__, may_pass=lambda p: p not in refusing,
        max_hops=max_hops, first=first, strategy=strategy, apart=apart,
    )  # fmt: skip

    def search() -> list[Path]:
        if source not in index or target not in index:
            return []
        view = index.search_view(
            at=NOW, min_link_strength=min_link, kinds=kinds, refusing=refusing, blocks=blocked
        )
        ends = index.id_of(source), index.id_of(target)
        assert ends[0] is not None
        assert ends[1] is not None
        found = top_paths(
            view, ends[0], ends[1], max_hops=max_hops, first=first, strategy=strategy,
            floors=floors,
        )  # fmt: skip
        named = (Path(tuple(index.name_of(p) for p in people), s) for people, s in found)
        return rank(named, strategy, first)

    assert search() == expected
    index.compact()
    assert search() == expected


@settings(max_examples=150, deadline=None)
@given(
    batches=histories(),
    steps=st.lists(st.integers(0, 5), min_size=5, max_size=5).map(sorted),
    again=st.booleans(),
    compact_after=st.sampled_from([0, 2, 1_000]),
)
def test_an_index_compacting_while_ties_are_added_ends_as_one_built_in_bulk(
    batches: list[list[Interaction]], steps: list[int], again: bool, compact_after: int
) -> None:
    # A compaction begins, is built, catches up twice and is installed after steps[0] to
    # [4] batches; writes land between those steps, and searches run over the old arrays
    # meanwhile.
    index = TieIndex(MODEL, compact_after=compact_after)
    begin, build, catch_up, again_up, install = steps
    job = None
    done: list[Interaction] = []
    for position in range(max(len(batches), install) + 1):
        if position == begin:
            job = index.begin_compaction()
        if position == build and job is not None:
            job.build()
            same_as_built_in_bulk(index, done)
        for catching_up in (catch_up, again_up):
            if position == catching_up and job is not None:
                job.catch_up()
                same_as_built_in_bulk(index, done)
        if position == install and job is not None:
            assert job.install() != (again and build < install)
            same_as_built_in_bulk(index, done)
        if again and position == build and job is not None:
            index.compact()  # replaces the one under way, which is then not installed
        if position < len(batches):
            add(index, batches[position])
            done.extend(batches[position])
    assert not index.compacting
    same_as_built_in_bulk(index, done)
    index.compact()
    same_as_built_in_bulk(index, done)


def test_an_erasure_during_a_compaction_survives_it() -> None:
    contacts = [
        Interaction(key=f"k{n}", at=T0, kind=InteractionKind.CALL, participant_ids=pair)
        for n, pair in enumerate([("ann", "bo"), ("bo", "cy"), ("ann", "cy"), ("cy", "dee")])
    ]
    index = incremental([contacts[:3]], compact_after=1_000)
    job = index.begin_compaction()
    job.build()
    index.remove_person("bo")
    add(index, contacts[3:])
    assert job.install()
    assert index.tie("ann", "bo") is None
    assert sorted(index.neighbours("cy")) == ["ann", "dee"]
    assert "bo" not in index
    assert sorted(index.pairs()) == [("ann", "cy"), ("cy", "dee")]


def test_an_index_compacting_in_the_background_as_writes_arrive_loses_none_of_them() -> None:
    people = [f"q{n}" for n in range(60)]
    contacts = [
        Interaction(
            key=f"k{n}", at=T0 + timedelta(hours=n), kind=list(InteractionKind)[n % 4],
            participant_ids=(people[n % 60], people[(n * 7 + 1 + n // 60) % 60]),
        )
        for n in range(6_000)
        if n % 60 != (n * 7 + 1 + n // 60) % 60
    ]  # fmt: skip
    index = TieIndex(MODEL, compact_after=10, background=True)
    compactions = 0
    for start in range(0, len(contacts), 50):
        add(index, contacts[start : start + 50])
        compactions += index.compacting
    index.wait_for_compaction()
    assert compactions > 0
    assert index.generation > 0
    same_ties(index, ties_from_history(contacts, MODEL), people)


def test_an_erased_person_leaves_no_tie_and_no_name_behind() -> None:
    contacts = [
        Interaction(key=f"k{n}", at=T0, kind=InteractionKind.CALL, participant_ids=pair)
        for n, pair in enumerate([("ann", "bo"), ("bo", "cy"), ("ann", "cy")])
    ]
    index = incremental([contacts[:2], contacts[2:]], compact_after=1_000)
    index.remove_person("bo")
    assert index.tie("ann", "bo") is None
    assert index.neighbours("cy") == ["ann"]
    assert "bo" not in index
    assert list(index.pairs()) == [("ann", "cy")]
    index.compact()
    assert list(index.pairs()) == [("ann", "cy")]
    assert len(index) == 1

"""A pair's strength series folded where the interactions are stored agrees with the fold over
the pair's whole history, on every store: each stretch's tie, then the series the use case
builds from them."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.domain.model import Interaction, InteractionKind, Tie
from graph.domain.relationship import pair_series
from graph.ports import GraphStore, batch_of
from graph.usecases.insights import Insights, _embedded
from graph.usecases.viewer import Viewer
from tests.factories import interaction, person

PEOPLE = ["ann", "ben", "cat", "dan"]
ORIGIN = datetime(2024, 3, 1, 9, 0, 0, 250_001, tzinfo=UTC)
SPAN_US = 400 * 86_400_000_000
"""The scenes' interactions and moments fall within this many microseconds of the origin."""
NOW = ORIGIN + timedelta(days=500)


@st.composite
def interactions(draw: st.DrawFn, key: int, instants: list[datetime]) -> Interaction:
    people = draw(st.lists(st.sampled_from(PEOPLE), min_size=2, max_size=4, unique=True))
    repeated = draw(st.lists(st.sampled_from(people), max_size=2))
    kind = draw(st.sampled_from(list(InteractionKind)))
    return Interaction(
        key=f"k{key}",
        at=draw(st.sampled_from(instants)),
        kind=kind,
        participant_ids=(*people, *repeated),
        initiator_id=draw(st.none() | st.sampled_from(people)),
        group_size=draw(st.none() | st.integers(len(people), 12)),
    )


@st.composite
def scenes(draw: st.DrawFn) -> tuple[list[Interaction], list[datetime], datetime]:
    """Interactions, the ends of the stretches and the moment reads stop before; ends and
    ``until`` often fall exactly on an interaction, where inclusive and exclusive differ."""
    instants = [
        ORIGIN + timedelta(microseconds=us)
        for us in draw(st.lists(st.integers(0, SPAN_US), min_size=1, max_size=8, unique=True))
    ]
    found = [draw(interactions(n, instants)) for n in range(draw(st.integers(0, 14)))]
    moments = st.sampled_from(instants) | st.integers(-1, SPAN_US + 1).map(
        lambda us: ORIGIN + timedelta(microseconds=us)
    )
    ends = sorted(set(draw(st.lists(moments, max_size=6))))
    return found, ends, draw(moments)


def assert_same_ties(found: list[Tie | None], expected: list[Tie | None]) -> None:
    """Equal ties, but for the last bits of the scores: each store adds the parts of a
    stretch's score in its own order."""
    assert len(found) == len(expected)
    for got, want in zip(found, expected, strict=True):
        if got is None or want is None:
            assert got is want
            continue
        assert (got.a, got.b, got.first_at, got.last_at, got.count, got.counts) == (
            want.a,
            want.b,
            want.first_at,
            want.last_at,
            want.count,
            want.counts,
        )
        assert (got.initiated_by_a, got.initiated_by_b) == (
            want.initiated_by_a,
            want.initiated_by_b,
        )
        for mine, theirs in (
            (got.score, want.score),
            (got.score_by_a, want.score_by_a),
            (got.score_by_b, want.score_by_b),
        ):
            assert math.isclose(mine, theirs, rel_tol=1e-12, abs_tol=1e-300)


async def given_interactions(store: GraphStore, found: list[Interaction]) -> None:
    await store.delete_everything()
    await store.apply(batch_of([person(p) for p in PEOPLE]))
    if found:
        await store.apply(batch_of(found))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scene=scenes())
async def test_pair_stretches_folded_in_the_store_equal_the_fold_over_the_pair_history(
    store: GraphStore, scene: tuple[list[Interaction], list[datetime], datetime]
) -> None:
    found, ends, until = scene
    await given_interactions(store, found)
    for a, b in (("ann", "ben"), ("dan", "cat"), ("ann", "ann")):
        folded = await store.pair_tie_stretches(a, b, ends=ends, until=until)
        expected = await GraphStore.pair_tie_stretches(store, a, b, ends=ends, until=until)
        assert_same_ties(folded, expected)


async def test_a_stretch_holds_its_end_and_nothing_from_until_on(store: GraphStore) -> None:
    await given_interactions(
        store,
        [
            interaction("before", "ann", "ben", day=1, kind=InteractionKind.CALL),
            interaction("on-the-end", "ben", "ann", day=2, initiator_id="ann"),
            interaction("next", "ann", "ben", "cat", day=3, kind=InteractionKind.MEETING),
            interaction("at-until", "ann", "ben", day=5),
            interaction("others", "ann", "cat", day=4),
        ],
    )
    day = interaction("x", "ann", "ben", day=2).at
    stretches = await store.pair_tie_stretches(
        "ben",
        "ann",
        ends=[day - timedelta(days=2), day, day + timedelta(days=1), day + timedelta(days=9)],
        until=day + timedelta(days=3),
    )
    assert [s and s.count for s in stretches] == [None, 2, 1, None]
    second = stretches[1]
    assert second is not None
    assert (second.a, second.b, second.initiated_by_a, second.initiated_by_b) == (
        "ann",
        "ben",
        1,
        0,
    )
    assert second.counts == {InteractionKind.CALL: 1, InteractionKind.MESSAGE: 1}


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scene=scenes())
async def test_tie_history_from_stretches_equals_the_series_over_the_whole_history(
    store: GraphStore, scene: tuple[list[Interaction], list[datetime], datetime]
) -> None:
    found, _, _ = scene
    await given_interactions(store, found)
    start, step = ORIGIN - timedelta(days=1), timedelta(days=37, microseconds=3)
    end = ORIGIN + timedelta(days=410)
    insights = Insights(store, clock=lambda: NOW)
    series = await insights.tie_history(
        Viewer.admin(), "ann", "ben", start=start, end=end, step=step
    )
    times = [t for t, _ in series]
    history = await store.interactions_of("ann", other_id="ben", until=end + timedelta.resolution)
    contexts = await store.tie_contexts("ann", ["ben"])
    expected = pair_series(
        history,
        "ann",
        "ben",
        times,
        store.model,
        embedded=_embedded(contexts[0]) if contexts else 0.0,
    )
    assert [(t, a is None) for t, a in series] == [(t, a is None) for t, a in expected]
    for (_, got), (_, want) in zip(series, expected, strict=True):
        if got is not None and want is not None:
            assert got.band == want.band
            assert math.isclose(got.strength, want.strength, rel_tol=1e-12)

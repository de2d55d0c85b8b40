"""Both stores keep each tie's decaying score as interactions arrive, by the same model."""

from __future__ import annotations

from datetime import timedelta

import pytest

from graph.domain.model import InteractionKind, Tie
from graph.domain.strength import StrengthModel
from graph.domain.ties import ties_from_history
from graph.ports import GraphStore, batch_of
from tests.conftest import Reopen
from tests.factories import attendance, group, interaction, meeting, person
from tests.support.ties import assert_same_ties

CALL = InteractionKind.CALL


async def _tie(store: GraphStore, a: str, b: str) -> Tie:
    tie = await store.tie(a, b)
    assert tie is not None
    return tie


async def test_a_call_scores_its_weight_and_a_later_call_adds_to_the_decayed_score(
    store: GraphStore,
) -> None:
    await store.apply(batch_of([person("ann"), person("ben")]))
    await store.apply(batch_of([interaction("c1", "ann", "ben", kind=CALL, day=0)]))
    assert (await _tie(store, "ann", "ben")).score == pytest.approx(3.0)
    # Sixty days later (one default half-life) the first call counts half.
    await store.apply(batch_of([interaction("c2", "ben", "ann", kind=CALL, day=60)]))
    assert (await _tie(store, "ann", "ben")).score == pytest.approx(1.5 + 3.0, rel=1e-12)


async def test_an_interaction_arriving_late_is_decayed_to_the_latest_contact(
    store: GraphStore,
) -> None:
    await store.apply(batch_of([person("ann"), person("ben")]))
    await store.apply(batch_of([interaction("c2", "ann", "ben", kind=CALL, day=120)]))
    await store.apply(batch_of([interaction("c1", "ann", "ben", kind=CALL, day=0)]))
    tie = await _tie(store, "ann", "ben")
    assert tie.score == pytest.approx(3.0 + 0.75, rel=1e-12)
    assert tie.last_at == interaction("x", day=120).at


async def test_a_meeting_counts_less_for_each_pair_the_more_people_attend(
    store: GraphStore,
) -> None:
    people = ["ann", "ben", "cat", "dan", "eve"]
    await store.apply(batch_of([*(person(p) for p in people), group("g")]))
    await store.apply(batch_of([meeting("m1", "g", day=0), meeting("m2", "g", day=0)]))
    await store.apply(batch_of([attendance("m1", "ann"), attendance("m1", "ben")]))
    await store.apply(batch_of([attendance("m2", p) for p in people]))
    pair = await _tie(store, "cat", "dan")
    # Meeting weight 2, shared with the 4 others present.
    assert pair.score == pytest.approx(2.0 / 4)
    assert (await _tie(store, "ann", "ben")).score == pytest.approx(2.0 + 2.0 / 4)


async def test_reopening_with_another_model_rescores_every_tie_from_history(
    store: GraphStore, reopen: Reopen
) -> None:
    await store.apply(batch_of([person("ann"), person("ben"), person("cat")]))
    await store.apply(
        batch_of(
            [
                interaction("c1", "ann", "ben", kind=CALL, day=0),
                interaction("m1", "ann", "ben", "cat", day=10),
                interaction("c2", "ben", "cat", kind=CALL, day=30, initiator_id="cat"),
            ]
        )
    )
    faster = StrengthModel(half_life=timedelta(days=10), weights={CALL: 1.0})
    store = await reopen(store, faster)
    try:
        history = await store.interactions_of("ben")
        maintained = {(t.a, t.b): t for t in (await store.ties_of(["ben"]))["ben"]}
        expected = ties_from_history(history, faster)
        assert_same_ties(maintained, {k: v for k, v in expected.items() if "ben" in k})
        assert maintained[("ann", "ben")].score == pytest.approx(0.5)  # messages weigh 0 now
        # Writes after the reopening use the new model too.
        await store.apply(batch_of([interaction("c3", "ann", "ben", kind=CALL, day=10)]))
        assert (await _tie(store, "ann", "ben")).score == pytest.approx(1.5)
    finally:
        store = await reopen(store)  # leave the default model behind for the next test
        await store.close()


async def test_rescoring_folds_group_sizes_initiators_repeats_and_microseconds_as_history_does(
    store: GraphStore, reopen: Reopen
) -> None:
    people = ["ann", "ben", "cat", "dan"]
    await store.apply(batch_of([person(p) for p in people]))
    await store.apply(
        batch_of(
            [
                interaction("b1", "ann", "ben", "cat", "dan", kind=InteractionKind.BREAKOUT),
                interaction("m1", "ann", "ben", kind=InteractionKind.MEETING, group_size=12),
                interaction("m2", "ben", "cat", "ben", kind=InteractionKind.MEETING, day=3),
                interaction("c1", "dan", "ann", kind=CALL, day=7.000001, initiator_id="dan"),
                interaction("c2", "ann", "dan", kind=CALL, day=40.5, initiator_id="ann"),
                interaction("s1", "cat", "dan", kind=InteractionKind.SIDE_CONVERSATION, day=90),
            ]
        )
    )
    slower = StrengthModel(half_life=timedelta(days=90))
    store = await reopen(store, slower)
    try:
        history = {i.key: i for p in people for i in await store.interactions_of(p)}
        expected = ties_from_history(history.values(), slower)
        maintained = {(t.a, t.b): t for p in people for t in (await store.ties_of([p]))[p]}
        assert set(maintained) == set(expected)
        assert_same_ties(maintained, expected)
    finally:
        store = await reopen(store)
        await store.close()

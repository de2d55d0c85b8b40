"""Maintained ties always equal ties recomputed from the stored history, on every store."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.domain.model import Interaction, InteractionKind
from graph.domain.ties import ties_from_history
from graph.ports import GraphStore, batch_of
from tests.factories import at, person
from tests.support.ties import assert_same_ties

PEOPLE = ["ann", "ben", "cat", "dan", "eve"]


@st.composite
def interactions(draw: st.DrawFn) -> Interaction:
    people = draw(st.lists(st.sampled_from(PEOPLE), min_size=2, max_size=4, unique=True))
    initiator = draw(st.none() | st.sampled_from(people))
    return Interaction(
        key=f"k{draw(st.integers(0, 30))}",
        at=at(draw(st.integers(0, 200)), hours=draw(st.integers(0, 23))),
        kind=draw(st.sampled_from(list(InteractionKind))),
        participant_ids=tuple(people),
        initiator_id=initiator,
    )


@st.composite
def histories(draw: st.DrawFn) -> list[list[Interaction]]:
    """Batches of interactions where a key always names the same interaction."""
    by_key: dict[str, Interaction] = {}
    batches = []
    for batch in draw(st.lists(st.lists(interactions(), max_size=8), min_size=1, max_size=4)):
        batches.append([by_key.setdefault(i.key, i) for i in batch])
    return batches


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=histories())
async def test_maintained_ties_equal_ties_recomputed_from_history(
    store: GraphStore, batches: list[list[Interaction]]
) -> None:
    await store.delete_everything()
    await store.apply(batch_of([person(p) for p in PEOPLE]))
    for batch in batches:
        await store.apply(batch_of(batch))
    history = []
    for p in PEOPLE:
        history.extend(await store.interactions_of(p))
    expected = ties_from_history(sorted(history, key=lambda i: i.key))
    maintained = {(t.a, t.b): t for ties in (await store.ties_of(PEOPLE)).values() for t in ties}
    assert_same_ties(maintained, expected)
    stored_keys = {i.key for i in history}
    assert stored_keys == {i.key for batch in batches for i in batch}

"""Keep-in-touch nudges over every store: a person's own fading ties, with their context."""

from __future__ import annotations

import pytest

from graph.domain.errors import BudgetExceeded, Forbidden
from graph.domain.model import InteractionKind
from graph.domain.relationship import Band
from graph.ports import GraphStore, batch_of
from graph.usecases.budget import Budgets
from graph.usecases.nudges import KeepInTouch
from graph.usecases.viewer import Role, Viewer
from tests.factories import at, group, interaction, membership, person

CALL = InteractionKind.CALL
NOW = at(400)


def member(pid: str) -> Viewer:
    return Viewer(person_id=pid, roles=frozenset({Role.MEMBER}), subject=pid)


async def a_network(store: GraphStore) -> None:
    """ann and ben were close during their group (days 0-112) and have not talked since; ann
    and cat talk every few days now; ann and dan exchanged one message once."""
    await store.apply(
        batch_of(
            [
                *(person(p) for p in ("ann", "ben", "cat", "dan")),
                group("g1", name="Spring circle"),
                membership("g1", "ann"),
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
                        day=10 + 10 * n,
                        kind=CALL,
                        initiator_id="ann" if n % 2 else "ben",
                    )
                    for n in range(8)
                ),
                interaction(
                    "ab-last",
                    "ann",
                    "ben",
                    day=90,
                    kind=InteractionKind.SIDE_CONVERSATION,
                    channel="coffee",
                    initiator_id="ben",
                ),
                *(
                    interaction(
                        f"ac{n}", "ann", "cat", day=380 + 3 * n, kind=CALL, initiator_id="cat"
                    )
                    for n in range(6)
                ),
                interaction("ad", "ann", "dan", day=50, initiator_id="dan"),
            ]
        )
    )


async def test_a_tie_strong_once_and_fading_now_is_worth_renewing_with_its_context(
    store: GraphStore,
) -> None:
    await a_network(store)
    nudges = await KeepInTouch(store, clock=lambda: NOW).keep_in_touch(member("ann"), "ann")
    assert [n.nudge.tie.other_id for n in nudges] == ["ben"]
    ben = nudges[0]
    assert ben.nudge.peak_band is Band.STRONG
    assert ben.nudge.now_band.rank < Band.MODERATE.rank
    assert ben.nudge.tie.peak_at <= at(90)
    assert ben.shared_group is not None
    assert ben.shared_group.id == "g1"
    assert ben.last_interaction.key == "ab-last"
    assert ben.last_group is not None
    assert ben.last_group.id == "g1"
    assert ben.started_last_by == "ben"
    assert ben.reason.startswith("You and Ben were strong (")
    assert "a side conversation (coffee) in Spring circle Ben started" in ben.reason


async def test_just_after_their_last_contact_nothing_has_faded_yet(store: GraphStore) -> None:
    await a_network(store)
    nudges = await KeepInTouch(store).keep_in_touch(member("ann"), "ann", at=at(91))
    assert [n.nudge.tie.other_id for n in nudges] == []


async def test_only_the_person_and_admins_see_their_nudges(store: GraphStore) -> None:
    await a_network(store)
    use_case = KeepInTouch(store, clock=lambda: NOW)
    with pytest.raises(Forbidden):
        await use_case.keep_in_touch(member("ben"), "ann")
    seen = await use_case.keep_in_touch(Viewer.admin(), "ann")
    assert [n.nudge.tie.other_id for n in seen] == ["ben"]


async def test_past_its_time_budget_the_ranking_stops_and_says_what_to_narrow(
    store: GraphStore,
) -> None:
    await a_network(store)
    hurried = KeepInTouch(store, clock=lambda: NOW, budgets=Budgets(request_s=1e-9))
    with pytest.raises(BudgetExceeded, match="earlier moment"):
        await hurried.keep_in_touch(member("ann"), "ann")

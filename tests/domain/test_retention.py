"""Who kept in touch after a group ended: pairs, members, bridges and the retention curve.

The hand-built group: ann, bob, cat and dan meet from day 0 to day 100, seen on day 400.

- ann and bob talk beside a meeting on day 20 (during) and on day 150, and call on day 250;
- ann and cat share a breakout on day 30 and message on day 120; a message on day 500 lies
  after "now";
- bob and cat only ever attend meetings together (day 10, and a reunion on day 200), and
  messaged once before the group started (day -5);
- dan did not agree to share post-group contact; ann messages him on day 300;
- after the end, cat messages zoe (in groups g2 and g3) and ann messages wil (in g2); bob
  messaged yan (in g4) during the group and met vic (in g5) at a meeting after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.domain.early_signal import EarlySignal
from graph.domain.model import Interaction, InteractionKind
from graph.domain.relationship import Band, band_of
from graph.domain.retention import (
    GroupRetention,
    PairRetention,
    aggregate_only,
    group_retention,
)
from graph.domain.strength import StrengthModel
from tests.factories import at, interaction

MODEL = StrengthModel()
MEETING = InteractionKind.MEETING
SIDE = InteractionKind.SIDE_CONVERSATION
MEMBERS = ("ann", "bob", "cat", "dan")
CONSENTING = frozenset({"ann", "bob", "cat"})
GROUPS_OF = {
    "ann": {"g1"},
    "bob": {"g1"},
    "cat": {"g1"},
    "dan": {"g1", "g9"},
    "zoe": {"g2", "g3"},
    "wil": {"g2"},
    "yan": {"g4"},
    "vic": {"g5"},
}
SIDE_TALK_ONLY = EarlySignal(intercept=0.0, coefficients=(0.0, 0.0, 1.0, 0.0))
"""An early signal that reads side conversations alone: P = 1 - 1 / (n + 2) for n of them."""

HISTORY = (
    interaction("m1|ann|bob", "ann", "bob", day=10, kind=MEETING),
    interaction("m1|ann|cat", "ann", "cat", day=10, kind=MEETING),
    interaction("m1|bob|cat", "bob", "cat", day=10, kind=MEETING),
    interaction("m1|ann|dan", "ann", "dan", day=10, kind=MEETING),
    interaction("s1", "ann", "bob", day=20, kind=SIDE, initiator_id="ann"),
    interaction("s2", "bob", "ann", day=150, kind=SIDE, initiator_id="bob"),
    interaction("c1", "ann", "bob", day=250, kind=InteractionKind.CALL, initiator_id="ann"),
    interaction("b1", "ann", "cat", day=30, kind=InteractionKind.BREAKOUT),
    interaction("x1", "cat", "ann", day=120, initiator_id="cat"),
    interaction("x2", "ann", "cat", day=500, initiator_id="ann"),
    interaction("x3", "bob", "cat", day=-5, initiator_id="bob"),
    interaction("reunion|bob|cat", "bob", "cat", day=200, kind=MEETING),
    interaction("x4", "ann", "dan", day=300, initiator_id="ann"),
    interaction("x5", "cat", "zoe", day=180, initiator_id="cat"),
    interaction("x6", "ann", "wil", day=210, initiator_id="ann"),
    interaction("x7", "bob", "yan", day=50, initiator_id="bob"),
    interaction("reunion|bob|vic", "bob", "vic", day=220, kind=MEETING),
)


def retention(
    history: Sequence[Interaction] = HISTORY,
    *,
    after: float = 100,
    now: float = 400,
    horizons: Sequence[int] = (180, 10, 365, 30),
    consenting: frozenset[str] = CONSENTING,
    **overrides: object,
) -> GroupRetention:
    arguments: dict[str, object] = {
        "group_id": "g1",
        "member_ids": MEMBERS,
        "consenting": consenting,
        "starts_at": at(0),
        "after": at(after),
        "now": at(now),
        "horizons": horizons,
        "interactions": history,
        "groups_of": GROUPS_OF,
        "model": MODEL,
        "early": SIDE_TALK_ONLY,
    }
    arguments.update(overrides)
    return group_retention(**arguments)  # type: ignore[arg-type]


def pair(result: GroupRetention, a: str, b: str) -> PairRetention:
    (found,) = [p for p in result.pairs if (p.a, p.b) == (a, b)]
    return found


# -- pairs and shares ---------------------------------------------------------------------------


def test_pairs_are_every_two_consenting_members_in_order() -> None:
    result = retention()
    assert [(p.a, p.b) for p in result.pairs] == [("ann", "bob"), ("ann", "cat"), ("bob", "cat")]
    assert result.member_count == 3
    assert result.pair_count == 3


def test_pairs_in_touch_during_and_after_the_group_are_told_apart() -> None:
    result = retention()
    ann_bob, ann_cat, bob_cat = result.pairs
    assert (ann_bob.contact_during, ann_bob.contact_after) == (True, True)
    assert (ann_cat.contact_during, ann_cat.contact_after) == (True, True)
    assert (bob_cat.contact_during, bob_cat.contact_after) == (False, False)
    assert result.share_during == pytest.approx(2 / 3)
    assert result.share_after == pytest.approx(2 / 3)


def test_last_contact_and_days_in_touch_after_the_end_come_from_direct_contacts_up_to_now() -> None:
    result = retention()
    assert pair(result, "ann", "bob").last_contact == at(250)
    assert pair(result, "ann", "bob").days_in_contact_after == pytest.approx(150.0)
    # The message on day 500 lies after now.
    assert pair(result, "ann", "cat").last_contact == at(120)
    assert pair(result, "ann", "cat").days_in_contact_after == pytest.approx(20.0)


def test_meetings_are_not_direct_contact() -> None:
    bob_cat = pair(retention(), "bob", "cat")
    # Their reunion meeting on day 200 is after the end, yet not a contact after it.
    assert not bob_cat.contact_after
    assert bob_cat.days_in_contact_after is None
    # Their only direct contact predates the group: the latest, but not "during".
    assert bob_cat.last_contact == at(-5)
    assert not bob_cat.contact_during


def test_a_pair_that_only_ever_met_at_meetings_has_no_last_contact() -> None:
    history = [i for i in HISTORY if i.key != "x3"]
    assert pair(retention(history), "bob", "cat").last_contact is None


def test_a_contact_at_the_very_end_counts_as_during_not_after() -> None:
    history = [interaction("x", "bob", "cat", day=100)]
    bob_cat = pair(retention(history), "bob", "cat")
    assert bob_cat.contact_during
    assert not bob_cat.contact_after


def test_a_repeated_interaction_counts_once() -> None:
    once = pair(retention(), "ann", "bob")
    twice = pair(retention([*HISTORY, *HISTORY]), "ann", "bob")
    assert twice == once


def test_strength_now_reflects_recent_direct_contact_and_embeddedness() -> None:
    result = retention()
    ann_bob, bob_cat = pair(result, "ann", "bob"), pair(result, "bob", "cat")
    assert ann_bob.strength_now > bob_cat.strength_now > 0.0
    assert all(p.band_now is band_of(p.strength_now) for p in result.pairs)
    embedded = pair(retention(embedded={("ann", "bob"): 1.0}), "ann", "bob")
    assert embedded.strength_now > ann_bob.strength_now


def test_a_pair_with_no_interactions_at_all_is_dormant_at_zero() -> None:
    alone = pair(retention([]), "ann", "bob")
    assert (alone.strength_now, alone.band_now) == (0.0, Band.DORMANT)
    assert alone.keep_in_touch_probability == pytest.approx(0.5)  # logistic(0)


def test_the_early_signal_reads_only_what_happened_up_to_the_end() -> None:
    result = retention()
    # ann and bob: one side conversation in the group (day 20); the one on day 150 is after it.
    assert pair(result, "ann", "bob").keep_in_touch_probability == pytest.approx(2 / 3)
    assert pair(result, "bob", "cat").keep_in_touch_probability == pytest.approx(1 / 2)


# -- the curve ----------------------------------------------------------------------------------


def test_the_curve_counts_pairs_still_in_touch_days_after_the_end() -> None:
    curve = retention().curve
    assert [p.days for p in curve] == [10, 30, 180, 365]
    ten, thirty, half_year, year = curve
    assert ten.share == pytest.approx(2 / 3)
    assert ten.pairs == 2
    assert thirty.share == pytest.approx(1 / 3)
    assert thirty.pairs == 1
    assert (half_year.share, half_year.pairs) == (0.0, 0)
    # Day 465 has not come yet on day 400.
    assert (year.share, year.pairs) == (None, 0)


def test_duplicate_horizons_count_once() -> None:
    assert [p.days for p in retention(horizons=[30, 10, 30]).curve] == [10, 30]


@pytest.mark.parametrize("horizons", [[0], [30, -1]])
def test_horizons_must_be_positive(horizons: list[int]) -> None:
    with pytest.raises(ValueError, match="positive"):
        retention(horizons=horizons)


def test_horizons_must_be_whole_days() -> None:
    with pytest.raises(ValueError, match="whole days"):
        retention(horizons=[1.5])  # type: ignore[list-item]  # a fraction is what is refused


pairs_of_four = [("ann", "bob"), ("ann", "cat"), ("ann", "dan"), ("bob", "cat"), ("bob", "dan")]
contacts = st.lists(
    st.tuples(
        st.sampled_from(pairs_of_four),
        st.integers(-20, 600),
        st.sampled_from(list(InteractionKind)),
    ),
    max_size=40,
)


@given(
    history=contacts,
    horizons=st.lists(st.integers(1, 400), min_size=1, max_size=8),
    now=st.integers(0, 600),
    consenting=st.sets(st.sampled_from(MEMBERS)),
)
def test_the_curve_never_rises_stays_within_zero_and_one_and_is_unknown_beyond_now(
    history: list[tuple[tuple[str, str], int, InteractionKind]],
    horizons: list[int],
    now: int,
    consenting: set[str],
) -> None:
    found = [
        interaction(f"k{n}", a, b, day=day, kind=kind)
        for n, ((a, b), day, kind) in enumerate(history)
    ]
    result = retention(found, now=now, horizons=horizons, consenting=frozenset(consenting))
    days = [p.days for p in result.curve]
    assert days == sorted(set(horizons))
    known = [p.share for p in result.curve if p.share is not None]
    for point in result.curve:
        assert (point.share is None) == (now < 100 + point.days)
        if point.share is None:
            assert point.pairs == 0
        else:
            assert 0.0 <= point.share <= 1.0
            assert point.pairs == round(point.share * result.pair_count)
            # The same count, read from the pairs themselves.
            assert point.pairs == sum(
                1
                for p in result.pairs
                if p.days_in_contact_after is not None and p.days_in_contact_after >= point.days
            )
    assert known == sorted(known, reverse=True)
    if known:
        assert result.share_after is not None
        assert known[0] <= result.share_after


# -- consent ------------------------------------------------------------------------------------


def test_members_who_did_not_consent_are_invisible_not_lost() -> None:
    result = retention()
    assert all("dan" not in (p.a, p.b) for p in result.pairs)
    assert [m.person_id for m in result.members] == ["ann", "bob", "cat"]
    assert "dan" not in result.bridges
    # Everyone consenting: dan's pairs count, and ann's message to dan is contact after.
    everyone = retention(consenting=frozenset(MEMBERS))
    assert everyone.pair_count == 6
    assert pair(everyone, "ann", "dan").contact_after


def test_a_non_consenting_member_is_never_counted_as_someone_reached() -> None:
    ann = next(m for m in retention().members if m.person_id == "ann")
    # ann messaged dan (in g9) after the end, but only wil's group g2 counts.
    assert ann.group_mates_in_contact == 2
    assert ann.other_groups_reached == 1


def test_what_a_non_consenting_member_did_changes_no_figure() -> None:
    without_dan = [i for i in HISTORY if "dan" not in i.participant_ids]
    assert aggregate_only(retention(without_dan)) == aggregate_only(retention())


# -- members and bridges ------------------------------------------------------------------------


def test_members_count_group_mates_in_touch_after_the_end() -> None:
    counts = {m.person_id: m.group_mates_in_contact for m in retention().members}
    assert counts == {"ann": 2, "bob": 1, "cat": 1}


def test_bridges_reached_other_groups_after_the_end_most_groups_first() -> None:
    result = retention()
    reached = {m.person_id: m.other_groups_reached for m in result.members}
    # cat: zoe's g2 and g3. ann: wil's g2. bob: yan was during the group, vic only at a meeting.
    assert reached == {"ann": 1, "bob": 0, "cat": 2}
    assert result.bridges == ("cat", "ann")


def test_the_groups_own_id_is_never_a_group_reached() -> None:
    groups_of = {**GROUPS_OF, "wil": {"g1"}}
    ann = next(m for m in retention(groups_of=groups_of).members if m.person_id == "ann")
    assert ann.other_groups_reached == 0


# -- aggregates ---------------------------------------------------------------------------------


def test_aggregate_only_keeps_the_figures_and_drops_every_person() -> None:
    full = retention()
    aggregated = aggregate_only(full)
    assert aggregated.aggregated
    assert (aggregated.pairs, aggregated.members, aggregated.bridges) == ((), (), ())
    assert replace(aggregated, pairs=full.pairs, members=full.members, bridges=full.bridges) == (
        replace(full, aggregated=True)
    )


# -- a group that has not ended -----------------------------------------------------------------


def test_a_group_that_has_not_ended_has_no_contact_after_and_an_unknown_curve() -> None:
    result = retention(after=500, now=400)
    assert result.share_after == 0.0
    assert all(not p.contact_after and p.days_in_contact_after is None for p in result.pairs)
    assert all(point.share is None and point.pairs == 0 for point in result.curve)
    assert result.bridges == ()
    assert pair(result, "ann", "bob").contact_during
    # The early signal reads the group as it stands now: both side conversations so far.
    assert pair(result, "ann", "bob").keep_in_touch_probability == pytest.approx(3 / 4)


# -- input --------------------------------------------------------------------------------------


def test_members_listed_twice_count_once() -> None:
    assert retention(member_ids=(*MEMBERS, "ann")).member_count == 3


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(ValueError, match="before starts_at"):
        retention(after=-1)


def test_naive_times_are_refused() -> None:
    naive = datetime(2024, 6, 1)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        group_retention(
            group_id="g1",
            member_ids=MEMBERS,
            consenting=CONSENTING,
            starts_at=at(0),
            after=at(100),
            now=naive,
            horizons=[30],
            interactions=HISTORY,
            groups_of=GROUPS_OF,
            model=MODEL,
        )

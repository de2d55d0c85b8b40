"""Similarity: rarer things in common weigh more, and recommendations respect who may appear."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.domain.model import Person
from graph.domain.similarity import (
    MATCH_WEIGHT,
    Facet,
    Shared,
    interest_labels,
    interest_overlap,
    label_key,
    matches,
    rarity,
    recommend,
    shared_between,
)
from tests.factories import group, meeting


def apart(a: Person, b: Person, counts: dict[str, int], population: int) -> Shared:
    """What ``a`` and ``b`` share when they have no group or meeting in common."""
    return shared_between(
        a,
        b,
        interest_counts=counts,
        population=population,
        groups_a=(),
        groups_b=(),
        meetings_a=(),
        meetings_b=(),
    )


def test_what_everyone_has_weighs_one_and_the_weight_grows_as_fewer_have_it() -> None:
    assert rarity(100, 100) == 1.0
    assert rarity(50, 100) > rarity(100, 100)
    assert rarity(0, 100) == pytest.approx(math.log(101) + 1)
    assert rarity(12, 4000) == pytest.approx(math.log(4001 / 13) + 1)


def test_a_count_above_the_population_weighs_as_if_everyone_had_it() -> None:
    assert rarity(120, 100) == rarity(100, 100) == 1.0


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        rarity(-1, 10)
    with pytest.raises(ValueError, match="negative"):
        rarity(1, -10)


@given(
    population=st.integers(0, 10**7),
    counts=st.tuples(st.integers(0, 10**7), st.integers(0, 10**7)).map(sorted),
)
def test_a_rarer_thing_never_weighs_less_than_a_commoner_one(
    population: int, counts: list[int]
) -> None:
    rarer, commoner = counts
    assert rarity(rarer, population) >= rarity(commoner, population) >= 1.0


@settings(max_examples=200, deadline=None)
@given(
    population=st.integers(2, 10**6),
    counts=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).map(sorted),
)
def test_a_rarer_shared_interest_never_weighs_less_than_a_commoner_one(
    population: int, counts: list[int]
) -> None:
    rarer, commoner = counts
    ann = Person(id="ann", name="Ann", interests=("chess", "Hiking"))
    ben = Person(id="ben", name="Ben", interests=("hiking", "Chess"))
    shared = apart(ann, ben, {"chess": rarer, "hiking": commoner}, population)
    weight = {i.key: i.weight for i in shared.interests}
    assert weight["chess"] >= weight["hiking"]
    assert shared.score == pytest.approx(weight["chess"] + weight["hiking"])


def test_labels_are_the_same_up_to_case_spacing_hyphens_and_underscores() -> None:
    assert label_key("  Machine-Learning ") == label_key("machine_learning") == "machine learning"
    assert label_key("Design") != label_key("interior design")
    assert label_key("ｆｕｌｌｗｉｄｔｈ") == "fullwidth"


def test_spellings_of_an_interest_are_gathered_under_its_key() -> None:
    people = [
        Person(id="a", name="A", interests=("Story-telling", "chess", "  ")),
        Person(id="b", name="B", interests=("story telling", "CHESS")),
    ]
    assert interest_labels(people) == {
        "story telling": ("Story-telling", "story telling"),
        "chess": ("chess",),
    }


def test_what_two_people_share_is_weighed_and_explained_part_by_part() -> None:
    g1, g2 = group("g1", name="Founders"), group("g2", name="Makers")
    m1 = meeting("m1", "g1", day=3, theme="pricing")
    m2 = meeting("m2", "g2", day=4)
    ann = Person(
        id="ann",
        name="Ann",
        interests=("Storytelling", "chess", "knitting"),
        organization_id="acme",
        industry="FinTech",
    )
    ben = Person(
        id="ben",
        name="Ben",
        interests=("storytelling ", "Chess"),
        organization_id="acme",
        industry="fintech",
    )
    shared = shared_between(
        ann,
        ben,
        interest_counts={"storytelling": 12, "chess": 400},
        population=4000,
        groups_a=(g1, g2),
        groups_b=(g1,),
        meetings_a=(m1, m2),
        meetings_b=(m1,),
        organization_counts={"acme": 40},
        industry_counts={"fintech": 300},
        organization_names={"acme": "Acme Corp"},
        group_sizes={"g1": 8},
        meeting_sizes={"m1": 6},
    )
    assert [i.explanation for i in shared.interests] == [
        "both are interested in Storytelling (12 of 4,000 people)",
        "both are interested in chess (400 of 4,000 people)",
    ]
    assert [i.explanation for i in shared.organizations] == [
        "both work at Acme Corp (40 of 4,000 people)"
    ]
    assert [i.explanation for i in shared.industries] == [
        "both work in FinTech (300 of 4,000 people)"
    ]
    assert shared.groups is not None
    assert [i.explanation for i in shared.groups] == ["both are members of Founders (8 members)"]
    assert shared.meetings is not None
    assert [i.explanation for i in shared.meetings] == [
        "both attended the 2024-01-11 meeting of Founders on pricing (6 attended)"
    ]
    assert shared.interests[0].weight == pytest.approx(rarity(12, 4000))
    assert shared.groups[0].weight == pytest.approx(rarity(8, 4000))
    assert shared.score == pytest.approx(math.fsum(i.weight for i in shared.items))
    assert [i.facet for i in shared.items][:3] == [Facet.MEETING, Facet.GROUP, Facet.INTEREST]


def test_nothing_in_common_scores_nothing() -> None:
    ann = Person(id="ann", name="Ann", interests=("chess",), organization_id="acme")
    ben = Person(id="ben", name="Ben", interests=("go",), organization_id="initech")
    shared = apart(ann, ben, {}, 10)
    assert shared.items == ()
    assert shared.score == 0.0


def test_a_thing_without_a_count_weighs_the_floor_and_says_no_number() -> None:
    ann = Person(id="ann", name="Ann", interests=("chess",), industry="Retail")
    ben = Person(id="ben", name="Ben", interests=("chess",), industry="retail")
    shared = apart(ann, ben, {}, 1000)
    assert [(i.weight, i.count) for i in shared.items] == [(1.0, None), (1.0, None)]
    assert shared.interests[0].explanation == "both are interested in chess"


def test_a_count_below_two_is_taken_as_the_two_people_who_share_it() -> None:
    ann = Person(id="ann", name="Ann", interests=("chess",))
    ben = Person(id="ben", name="Ben", interests=("chess",))
    shared = apart(ann, ben, {"chess": 0}, 50)
    assert shared.interests[0].count == 2
    assert shared.interests[0].weight == rarity(2, 50)


def test_offers_meet_seeks_both_ways_whatever_the_case_and_spacing() -> None:
    ann = Person(id="ann", name="Ann", offers=("Mentoring", "mentoring"), seeks=("seed-funding",))
    ben = Person(id="ben", name="Ben", offers=("Seed Funding",), seeks=(" mentoring", "design"))
    found = matches(ann, ben)
    assert [(m.giver_id, m.taker_id, m.key) for m in found] == [
        ("ann", "ben", "mentoring"),
        ("ben", "ann", "seed funding"),
    ]
    assert found[1].explanation == "Ben offers Seed Funding, which Ann seeks"
    assert all(m.weight == MATCH_WEIGHT for m in found)


def test_an_offer_does_not_meet_a_seek_that_only_contains_it() -> None:
    ann = Person(id="ann", name="Ann", offers=("design",))
    ben = Person(id="ben", name="Ben", seeks=("interior design",))
    assert matches(ann, ben) == []


def test_recommendations_rank_by_score_then_id_with_reasons() -> None:
    me = Person(id="me", name="Me", interests=("chess", "hiking"), seeks=("funding",))
    people = [
        Person(id="zed", name="Zed", interests=("hiking",)),
        Person(id="amy", name="Amy", interests=("hiking",)),
        Person(id="bob", name="Bob", interests=("chess",), offers=("Funding",)),
        Person(id="cy", name="Cy", interests=("knitting",)),
    ]
    found = recommend(
        me,
        people,
        known=set(),
        interest_counts={"chess": 20, "hiking": 50},
        population=100,
        first=10,
    )
    assert [r.person_id for r in found] == ["bob", "amy", "zed"]
    bob = found[0]
    assert bob.score == pytest.approx(rarity(20, 100) + MATCH_WEIGHT)
    assert bob.reasons == (
        "Bob offers Funding, which Me seeks",
        "both are interested in chess (20 of 100 people)",
    )
    top = recommend(me, people, known=set(), interest_counts={}, population=100, first=1)
    assert [r.person_id for r in top] == ["bob"]


def test_a_candidate_given_twice_is_recommended_once() -> None:
    me = Person(id="me", name="Me", interests=("chess",))
    amy = Person(id="amy", name="Amy", interests=("chess",))
    found = recommend(me, [amy, amy], known=(), interest_counts={}, population=3, first=5)
    assert [r.person_id for r in found] == ["amy"]


def test_a_negative_number_of_recommendations_is_refused() -> None:
    me = Person(id="me", name="Me")
    with pytest.raises(ValueError, match="first"):
        recommend(me, [], known=(), interest_counts={}, population=1, first=-1)


IDS = ["p0", "p1", "p2", "p3", "p4", "p5", "p6"]
WORDS = ["chess", "Chess", "go", "hiking", "story-telling", "Story Telling", "design"]


@st.composite
def people(draw: st.DrawFn, pid: str) -> Person:
    """A person with a few interests, offers and seeks from a small vocabulary."""
    words = st.lists(st.sampled_from(WORDS), max_size=3).map(tuple)
    return Person(
        id=pid,
        name=pid.upper(),
        interests=draw(words),
        offers=draw(words),
        seeks=draw(words),
        discoverable=draw(st.booleans()),
        blocked_ids=tuple(draw(st.sets(st.sampled_from([p for p in IDS if p != pid])))),
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data(), known=st.sets(st.sampled_from(IDS)), first=st.integers(0, 8))
def test_recommendations_never_include_the_person_known_hidden_or_blocked_people(
    data: st.DataObject, known: set[str], first: int
) -> None:
    everyone = [data.draw(people(pid)) for pid in IDS]
    me = everyone[0]
    candidates = data.draw(st.lists(st.sampled_from(everyone), max_size=10))
    counts = {label_key(w): data.draw(st.integers(0, 20)) for w in WORDS}
    found = recommend(
        me, candidates, known=known, interest_counts=counts, population=20, first=first
    )
    by_id = {p.id: p for p in everyone}
    assert len(found) <= first
    for r in found:
        other = by_id[r.person_id]
        assert r.person_id != me.id
        assert r.person_id not in known
        assert other.discoverable
        assert other.id not in me.blocked_ids
        assert me.id not in other.blocked_ids
        assert r.score > 0
        assert r.score == pytest.approx(
            math.fsum([*(i.weight for i in r.interests), *(m.weight for m in r.matches)])
        )
    assert [(-r.score, r.person_id) for r in found] == sorted(
        (-r.score, r.person_id) for r in found
    )
    assert len({r.person_id for r in found}) == len(found)


def test_a_groups_overlap_lists_interests_of_two_or_more_members_by_members_then_rarity() -> None:
    crew = [
        Person(id="a", name="A", interests=("chess", "Go", "hiking", "knitting")),
        Person(id="b", name="B", interests=("go", "Chess", "hiking")),
        Person(id="c", name="C", interests=("chess", "hiking")),
        Person(id="d", name="D", interests=("go", "Hiking")),
    ]
    found = interest_overlap(
        crew, interest_counts={"chess": 50, "go": 5, "hiking": 80}, population=100
    )
    assert [(o.key, o.member_ids) for o in found] == [
        ("hiking", ("a", "b", "c", "d")),
        ("go", ("a", "b", "d")),
        ("chess", ("a", "b", "c")),
    ]
    hiking = found[0]
    assert hiking.label == "hiking"
    assert hiking.members == 4
    assert hiking.explanation == "4 of 4 members are interested in hiking (80 of 100 people)"
    assert found[1].label == "go"
    assert found[1].rarity == pytest.approx(rarity(5, 100))


def test_a_groups_overlap_counts_a_member_once_and_an_interest_at_least_as_often_as_held() -> None:
    a = Person(id="a", name="A", interests=("chess", "chess"))
    b = Person(id="b", name="B", interests=("Chess",))
    found = interest_overlap([a, b, a], interest_counts={"chess": 1}, population=10)
    assert [(o.member_ids, o.count) for o in found] == [(("a", "b"), 2)]
    assert found[0].label == "Chess"  # equal use: the first in sort order
    assert interest_overlap([a], interest_counts={}, population=10) == []

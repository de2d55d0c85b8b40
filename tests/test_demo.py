"""The demo network: the same records every time, loaded once, and the story it tells holds."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.batch import WriteBatch
from graph.domain.codec import Record, record_id
from graph.domain.model import (
    Group,
    GroupFormat,
    Interaction,
    InteractionKind,
    Introduction,
    IntroductionStatus,
    Meeting,
    MembershipRole,
    Person,
    SideConversation,
    pair_key,
)
from graph.domain.relationship import Band
from graph.domain.retention import GroupRetention
from graph.ports import GraphStore
from graph.samples.demo import (
    BACKGROUND_PEOPLE,
    DEMO_AS_OF,
    DEMO_GROUP_IDS,
    LEADER_ID,
    WORTH_A_LOOK,
    core_batch,
    demo_batches,
    load_core_demo,
    load_demo,
)
from graph.usecases.service import Service
from graph.usecases.viewer import Viewer

ADMIN = Viewer.admin()
NEW_COHORTS = ("autumn-2024", "spring-2025")


def records_of(batches: list[WriteBatch]) -> Iterator[tuple[str, Record]]:
    """Every record of the batches with its kind, in the order they are written."""
    for batch in batches:
        for kind, records in batch.sections():
            for record in records:
                yield kind, record


@pytest.fixture(scope="module")
def batches() -> list[WriteBatch]:
    """The demo's batches, built once for the tests that only read them."""
    return demo_batches()


@pytest.fixture(scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    """The use cases over an embedded store holding the demo, with "now" when the story is
    told (loaded once: the tests only read)."""
    store = EmbeddedStore(tmp_path_factory.mktemp("demo"))
    await store.open()
    try:
        await load_demo(store)
        yield Service(store, clock=lambda: DEMO_AS_OF)
    finally:
        await store.close()


# -- the records --------------------------------------------------------------------------------


def test_the_demo_is_the_same_records_every_time(batches: list[WriteBatch]) -> None:
    assert demo_batches() == batches
    cut_otherwise = {(kind, record_id(r)): r for kind, r in records_of(demo_batches(777))}
    assert cut_otherwise == {(kind, record_id(r)): r for kind, r in records_of(batches)}


def test_the_core_is_the_first_batch_and_holds_spring_2024_alone(
    batches: list[WriteBatch],
) -> None:
    core = core_batch()
    assert batches[0] == core
    assert [g.id for g in core.groups] == ["spring-2024"]
    assert len(core.people) == 9
    assert [m.id for m in core.meetings] == [f"spring-2024-m{n}" for n in range(1, 7)]
    assert [i.id for i in core.introductions] == ["intro-amir-hanna"]


def test_every_record_is_given_once(batches: list[WriteBatch]) -> None:
    ids = Counter((kind, record_id(record)) for kind, record in records_of(batches))
    assert [key for key, times in ids.items() if times > 1] == []


def test_batches_hold_at_most_the_batch_size_after_the_core() -> None:
    sizes = [len(batch) for batch in demo_batches(batch_size=3_000)]
    assert max(sizes[1:]) <= 3_000
    assert len(sizes) > 5
    with pytest.raises(ValueError, match="batch_size"):
        demo_batches(batch_size=0)


def test_nothing_in_the_story_happens_after_the_moment_it_is_told(
    batches: list[WriteBatch],
) -> None:
    moments: list[datetime] = []
    for _, record in records_of(batches):
        match record:
            case Interaction() | SideConversation():
                moments.append(record.at)
            case Meeting():
                moments.append(record.starts_at)
            case Introduction():
                moments.append(record.updated_at or record.requested_at)
    assert max(moments) < DEMO_AS_OF
    assert max(moments) > DEMO_AS_OF - timedelta(days=30)  # the story runs up to it


def test_the_background_is_a_large_network_with_declared_connections_and_past_groups(
    batches: list[WriteBatch],
) -> None:
    people = [r for _, r in records_of(batches) if isinstance(r, Person)]
    groups = [r for _, r in records_of(batches) if isinstance(r, Group)]
    connections = [
        r
        for _, r in records_of(batches)
        if isinstance(r, Interaction) and r.kind is InteractionKind.CONNECTION
    ]
    assert len(people) > BACKGROUND_PEOPLE
    past = [g for g in groups if g.id not in DEMO_GROUP_IDS]
    assert len(past) >= 10
    assert all(g.leader_id != LEADER_ID for g in past)
    assert all(g.ends_on is not None and g.ends_on < date(2024, 6, 1) for g in past)
    assert len(connections) > BACKGROUND_PEOPLE
    demo_people = {p.id for p in people if not p.id.startswith("p")}
    wired = {p for c in connections for p in c.participant_ids if p in demo_people}
    assert wired == demo_people


# -- loading ------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_the_demo_loads_whole_on_every_store_and_loading_it_again_changes_nothing(
    store: GraphStore, batches: list[WriteBatch]
) -> None:
    given = Counter(kind for kind, _ in records_of(batches))
    written: list[int] = []

    first = await load_demo(store, progress=lambda done, total: written.append(done))

    assert written[-1] == sum(given.values())
    assert written == sorted(written)
    stored = await store.counts()
    for kind, count in given.items():
        if kind != "interaction":
            assert first.counts[kind].created == count, kind
            assert stored[kind] == count, kind
    # Meetings, breakouts, side conversations and met introductions leave interactions behind.
    assert stored["interaction"] == first.counts["interaction"].created > given["interaction"]
    assert first.updated == 0
    again = await load_demo(store)
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == sum(given.values())
    assert await store.counts() == stored


async def test_the_full_demo_loads_over_the_core_and_leaves_the_core_as_it_was(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path / "store")
    await store.open()
    try:
        core = await load_core_demo(store)
        full = await load_demo(store)
        stored = await store.counts()

        assert full.updated == 0
        assert full.unchanged == len(core_batch())
        assert core.created + full.created == sum(n for k, n in stored.items() if k != "tie")
        again = await load_core_demo(store)
        assert (again.created, again.updated) == (0, 0)
    finally:
        await store.close()


# -- the story ----------------------------------------------------------------------------------


async def test_lena_leads_three_groups_one_after_the_other_with_six_meetings_each(
    demo: Service,
) -> None:
    store = demo.store
    groups = await store.get(Group, list(DEMO_GROUP_IDS))
    assert [groups[g].leader_id for g in DEMO_GROUP_IDS] == [LEADER_ID] * 3
    assert [groups[g].format for g in DEMO_GROUP_IDS] == [
        GroupFormat.DIGITAL,
        GroupFormat.DIGITAL,
        GroupFormat.IN_PERSON,
    ]
    spans = [(groups[g].starts_on, groups[g].ends_on) for g in DEMO_GROUP_IDS]
    for (_, ended), (started, _) in itertools.pairwise(spans):
        assert ended is not None
        assert started is not None
        assert ended < started
    assert all(end is not None and end < DEMO_AS_OF.date() for _, end in spans)
    leaders = {
        m.group_id
        for m in await store.memberships(person_ids=[LEADER_ID])
        if m.role is MembershipRole.LEADER
    }
    assert leaders == set(DEMO_GROUP_IDS)
    meetings = await store.meetings_of(list(DEMO_GROUP_IDS))
    assert Counter(m.group_id for m in meetings) == dict.fromkeys(DEMO_GROUP_IDS, 6)
    assert all(m.theme for m in meetings)


async def test_members_work_in_different_industries_and_swedish_cities_and_said_what_they_hope_for(
    demo: Service,
) -> None:
    store = demo.store
    for gid in NEW_COHORTS:
        memberships = [
            m for m in await store.memberships(group_ids=[gid]) if m.role is MembershipRole.MEMBER
        ]
        people = await store.get(Person, [m.person_id for m in memberships])
        industries = [p.industry for p in people.values()]
        assert len(set(industries)) == len(industries) >= 8
        assert len({p.location for p in people.values()}) >= 4
        assert {p.profession for p in people.values()} == {"communications", "marketing"}
        assert all(p.interests and p.offers and p.seeks for p in people.values())
        assert all(m.hopes and m.contributions for m in memberships)


async def test_every_meeting_has_attendance_and_breakouts_follow_the_round_of_introductions(
    demo: Service,
) -> None:
    store = demo.store
    meetings = await store.meetings_of(list(DEMO_GROUP_IDS))
    attendance = await store.attendance(meeting_ids=[m.id for m in meetings])
    breakouts = await store.breakouts_of([m.id for m in meetings])
    present = Counter(a.meeting_id for a in attendance)
    rooms = Counter(b.meeting_id for b in breakouts)
    assert all(present[m.id] >= 8 for m in meetings)
    for gid in NEW_COHORTS:
        assert rooms[f"{gid}-m1"] == 0
        assert all(rooms[f"{gid}-m{n}"] >= 2 for n in range(2, 7))
    # Nobody timed the in-person group's first round of introductions.
    untimed = {a.meeting_id for a in attendance if a.speaking_s is None}
    assert untimed == {"spring-2025-m1"}


async def test_viktor_dominated_an_early_meeting_and_the_group_evened_out_later(
    demo: Service,
) -> None:
    early = await demo.meetings.meeting_balance(ADMIN, "autumn-2024-m2")
    late = await demo.meetings.meeting_balance(ADMIN, "autumn-2024-m6")
    top = early.speakers[0]
    assert early.fair_share is not None
    assert (top.person_id, top.share > 2 * early.fair_share) == ("viktor", True)
    assert "sara" in early.quiet
    assert early.gini is not None
    assert late.gini is not None
    assert late.gini < early.gini / 2
    assert late.quiet == ()
    balance = await demo.meetings.group_balance(ADMIN, "autumn-2024")
    trends = {m.person_id: m.trend for m in balance.members}
    sara, viktor = trends["sara"], trends["viktor"]
    assert sara is not None
    assert viktor is not None
    assert sara > 0 > viktor


async def test_members_talked_beside_the_meetings_while_each_group_ran(demo: Service) -> None:
    store = demo.store
    groups = await store.get(Group, list(DEMO_GROUP_IDS))
    for gid, group in groups.items():
        assert group.starts_on is not None
        assert group.ends_on is not None
        members = [m.person_id for m in await store.memberships(group_ids=[gid])]
        during = {
            s.id
            for pid in members
            for s in await store.side_conversations_of(pid)
            if group.starts_on <= s.at.date() <= group.ends_on
            and set(s.participant_ids) <= set(members)
        }
        assert len(during) >= 10, gid


async def test_autumn_2024_kept_in_touch_best_and_spring_2025_had_a_warm_summer_then_drifted(
    demo: Service,
) -> None:
    spring_2024, autumn, spring_2025 = await demo.insights.compare_groups(
        ADMIN, list(DEMO_GROUP_IDS), horizons=(30, 180)
    )

    def share(retention: GroupRetention, days: int) -> float:
        point = next(p for p in retention.curve if p.days == days)
        assert point.share is not None
        return point.share

    assert share(autumn, 180) > share(spring_2025, 180) > share(spring_2024, 180) > 0
    assert share(spring_2025, 30) > share(autumn, 30) > share(spring_2024, 30)
    assert share(spring_2025, 30) > 3 * share(spring_2025, 180)
    for retention in (spring_2024, autumn, spring_2025):
        kept = [p for p in retention.pairs if p.contact_after]
        lost = [p for p in retention.pairs if not p.contact_after]
        assert kept
        assert lost
        assert retention.share_during is not None
        assert retention.share_during > 0.8


async def test_some_pairs_still_talk_now_while_others_are_drifting_apart(demo: Service) -> None:
    autumn = await demo.insights.group_retention(ADMIN, "autumn-2024")
    strong_now = {(p.a, p.b) for p in autumn.pairs if p.band_now is Band.STRONG}
    assert {("ines", "maryam"), ("kerstin", "tomas")} <= strong_now

    drifting = await demo.insights.drifting_ties(
        ADMIN, group_id="spring-2025", window=timedelta(days=90)
    )
    fell = {pair_key(d.person_id, d.other_id): (d.before.band, d.now.band) for d in drifting}
    assert fell[("alva", "elsa")] == (Band.STRONG, Band.MODERATE)
    assert fell[("hugo", "julia")] == (Band.STRONG, Band.MODERATE)
    assert fell[("cecilia", "david")] == (Band.MODERATE, Band.WEAK)
    assert ("greta", "isak") not in fell
    ties = {
        r.tie.other("greta"): r.assessment.band
        for r in await demo.insights.strongest_ties(ADMIN, "greta", first=5)
    }
    assert ties["isak"] in (Band.STRONG, Band.MODERATE)


async def test_introductions_were_asked_for_in_every_state_and_lena_made_most_of_them(
    demo: Service, batches: list[WriteBatch]
) -> None:
    store = demo.store
    people = [p for batch in batches for p in batch.people if not p.id.startswith("p")]
    found = {i.id: i for p in people for i in await store.introductions_of(p.id)}
    assert {i.status for i in found.values()} == set(IntroductionStatus)
    stats = await demo.introductions.intermediary_stats(ADMIN, LEADER_ID)
    assert (stats.asked, stats.met, stats.not_met, stats.declined) == (5, 3, 1, 0)
    assert found["intro-amir-hanna"].status is IntroductionStatus.REQUESTED


async def test_a_met_introduction_made_a_tie_across_groups(demo: Service) -> None:
    tie = await demo.store.tie("amir", "ines")
    assert tie is not None
    assert tie.counts[InteractionKind.INTRODUCTION] == 1
    autumn = await demo.insights.group_retention(ADMIN, "autumn-2024")
    assert "ines" in autumn.bridges


async def test_a_member_reaches_someone_outside_the_groups_by_several_routes(
    demo: Service,
) -> None:
    klara_groups = await demo.store.memberships(person_ids=["klara"])
    paths = await demo.introductions.introduction_paths(ADMIN, "amir", "klara", max_hops=3)

    assert klara_groups == []
    assert len(paths) >= 3
    assert all(2 <= p.path.hops <= 3 for p in paths)
    assert len({p.path.people[1] for p in paths}) >= 2  # through different people
    scores = [p.path.score for p in paths]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 2 * scores[2]
    # Ines, whom Lena introduced to Amir, is now the best way to Klara.
    assert paths[0].path.people == ("amir", "ines", "klara")


async def test_the_best_route_can_be_longer_than_the_one_asked_for(demo: Service) -> None:
    asked = await demo.store.get(Introduction, ["intro-tomas-rebecka"])
    best = await demo.introductions.introduction_paths(ADMIN, "tomas", "rebecka", max_hops=4)

    assert asked["intro-tomas-rebecka"].introducer_id == "maryam"
    assert best[0].path.hops == 4
    direct = next(p for p in best if p.path.people == ("tomas", "maryam", "rebecka"))
    assert best[0].path.score > 5 * direct.path.score


def test_the_ids_worth_a_look_exist(batches: list[WriteBatch]) -> None:
    ids = {record_id(record) for _, record in records_of(batches)}
    assert {rid for rid, _ in WORTH_A_LOOK} <= ids


# -- the command --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_app() -> typer.Typer:
    """The ``tiegraph`` app with its sub-commands registered, as ``main`` runs it."""
    from api import cli

    cli._register()
    return cli.app


def test_tiegraph_demo_load_writes_the_demo_and_a_second_run_says_nothing_changed(
    cli_app: typer.Typer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    batches: list[WriteBatch],
) -> None:
    for name in ("TIEGRAPH_STORE", "TIEGRAPH_DATA_DIR", "NEO4J_URI", "NEO4J_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    data = str(tmp_path / "data")
    people = sum(len(b.people) for b in batches)

    first = runner.invoke(cli_app, ["demo", "load", "--data-dir", data, "--json"])
    second = runner.invoke(cli_app, ["demo", "load", "--data-dir", data])

    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["store"] == "embedded"
    assert summary["kinds"]["person"] == {"created": people, "updated": 0, "unchanged": 0}
    assert summary["stored"]["person"] == people
    assert summary["stored"]["tie"] > 0
    assert summary["as_of"] == DEMO_AS_OF.isoformat()
    assert second.exit_code == 0, second.output
    rows = [line.split() for line in second.stdout.splitlines()]
    assert ["│", "person", "│", "0", "│", "0", "│", f"{people:,}", "│", f"{people:,}", "│"] in rows
    assert "nothing changed" in second.stdout
    assert "lena" in second.stdout

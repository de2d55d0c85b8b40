"""``tiegraph paths``, ``strength``, ``retention`` and ``balance`` on the spring-2024 demo group:
the tables, the ``--json`` documents (against the use cases' own answers) and the exit statuses."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import typer
from typer.testing import CliRunner, Result

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.balance import MeetingBalance
from graph.domain.model import Person
from graph.domain.paths import Strategy
from graph.ports import batch_of
from graph.samples.demo import load_core_demo
from graph.usecases.service import Service
from graph.usecases.viewer import Viewer

T = TypeVar("T")

runner = CliRunner()
ADMIN = Viewer.admin("test")
MEMBERS = ("amir", "britt", "carl", "dina", "emil", "fatima", "gustav", "hanna")
LONER = "loner"
"""A person added to the demo who has never been in contact with anyone."""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded store holding the spring-2024 group, and one person nobody knows."""
    directory = tmp_path_factory.mktemp("cli") / "data"

    async def build() -> None:
        store = EmbeddedStore(directory)
        await store.open()
        try:
            await load_core_demo(store)
            await store.apply(batch_of([Person(id=LONER, name="Lone Ranger")]))
        finally:
            await store.close()

    asyncio.run(build())
    return directory


def run(app: typer.Typer, data_dir: Path, *args: str) -> Result:
    # Wide enough that rich does not wrap table cells.
    return runner.invoke(app, [*args, "--data-dir", str(data_dir)], env={"COLUMNS": "200"})


def ask(data_dir: Path, at: datetime, question: Callable[[Service], Awaitable[T]]) -> T:
    """The use case's own answer, on the same store, with "now" at ``at``."""

    async def answer() -> T:
        store = EmbeddedStore(data_dir)
        await store.open()
        try:
            return await question(Service(store, clock=lambda: at))
        finally:
            await store.close()

    return asyncio.run(answer())


def json_of(result: Result) -> Any:
    """The one JSON document ``--json`` printed (parsing fails on anything else on stdout)."""
    return json.loads(result.stdout)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- paths --------------------------------------------------------------------------------------


def test_paths_as_json_are_the_use_cases_paths_with_every_link_explained(
    app: typer.Typer, data_dir: Path
) -> None:
    result = run(app, data_dir, "paths", "amir", "hanna", "--limit", "4", "--json")

    assert result.exit_code == 0, result.output
    document = json_of(result)
    at = moment(document["at"])
    expected = ask(
        data_dir,
        at,
        lambda s: s.introductions.introduction_paths(ADMIN, "amir", "hanna", first=4),
    )
    assert expected, "the demo has a path from amir to hanna"
    assert (document["from"], document["to"], document["mode"]) == ("amir", "hanna", "strongest")
    assert [[p["id"] for p in path["people"]] for path in document["paths"]] == [
        list(e.path.people) for e in expected
    ]
    assert [path["rank"] for path in document["paths"]] == list(range(1, len(expected) + 1))
    for path, explained in zip(document["paths"], expected, strict=True):
        assert path["score"] == explained.path.score
        assert path["hops"] == explained.path.hops
        assert [
            (link["from"], link["to"], link["strength"], link["band"]) for link in path["links"]
        ] == [(h.a, h.b, h.strength, h.band.value) for h in explained.hops]
        assert [[g["id"] for g in link["shared_groups"]] for link in path["links"]] == [
            [g.id for g in h.shared_groups] for h in explained.hops
        ]
        assert [link["shared_interests"] for link in path["links"]] == [
            list(h.shared_interests) for h in explained.hops
        ]
        assert [link["tie"]["count"] for link in path["links"]] == [
            h.tie.count if h.tie else None for h in explained.hops
        ]
    assert {"id": "hanna", "name": "Hanna Ström"} in document["paths"][0]["people"]


def test_paths_in_shortest_mode_keep_only_the_fewest_hops(app: typer.Typer, data_dir: Path) -> None:
    result = run(
        app, data_dir, "paths", "britt", "gustav", "--mode", "shortest", "--max-hops", "2",
        "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    document = json_of(result)
    expected = ask(
        data_dir,
        moment(document["at"]),
        lambda s: s.introductions.introduction_paths(
            ADMIN, "britt", "gustav", max_hops=2, strategy=Strategy.SHORTEST
        ),
    )
    assert [path["hops"] for path in document["paths"]] == [e.path.hops for e in expected]
    assert len({path["hops"] for path in document["paths"]}) == 1


def test_paths_prints_each_path_with_the_people_on_it_and_why_each_link_holds(
    app: typer.Typer, data_dir: Path
) -> None:
    as_json = json_of(run(app, data_dir, "paths", "amir", "hanna", "--limit", "2", "--json"))

    result = run(app, data_dir, "paths", "amir", "hanna", "--limit", "2")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "Introduction paths from Amir Haddad (amir) to Hanna Ström (hanna): strongest first"
    )
    for rank, path in enumerate(as_json["paths"], start=1):
        chain = " → ".join(p["id"] for p in path["people"])
        assert any(line.startswith(f"{rank}. score ") and line.endswith(chain) for line in lines)
    assert "Communicators" in result.stdout  # the group both ends of a link share
    assert result.stderr == ""


def test_paths_to_someone_nobody_is_connected_with_exit_1_with_no_paths(
    app: typer.Typer, data_dir: Path
) -> None:
    result = run(app, data_dir, "paths", "amir", LONER, "--json")

    assert result.exit_code == 1
    assert json_of(result)["paths"] == []
    assert f"no introduction path from A 'amir' to B '{LONER}' within 3 hops" in result.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["zed", "hanna"], "A 'zed': no person has this id"),
        (["amir", "zed"], "B 'zed': no person has this id"),
    ],
)
def test_paths_for_an_unknown_person_exit_1_naming_the_argument(
    app: typer.Typer, data_dir: Path, args: list[str], named: str
) -> None:
    result = run(app, data_dir, "paths", *args, "--json")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == f"error: {named}"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["amir", "hanna", "--limit", "0"], "--limit 0: must be 1 to 20"),
        (["amir", "hanna", "--limit", "21"], "--limit 21: must be 1 to 20"),
        (["amir", "hanna", "--max-hops", "5"], "--max-hops 5: must be 1 to 4"),
        (["amir", "amir"], "B 'amir': must be someone other than A"),
        (["amir", "hanna", "--mode", "longest"], "--mode"),
    ],
)
def test_paths_with_a_bad_argument_exit_2_naming_it(
    app: typer.Typer, data_dir: Path, args: list[str], named: str
) -> None:
    result = run(app, data_dir, "paths", *args)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert named in result.stderr


# -- strength -----------------------------------------------------------------------------------

AT = "2024-06-01T12:00:00Z"
AT_MOMENT = datetime(2024, 6, 1, 12, tzinfo=UTC)


def test_strength_as_json_is_the_use_cases_assessment_with_its_evidence(
    app: typer.Typer, data_dir: Path
) -> None:
    result = run(
        app, data_dir, "strength", "carl", "amir", "--at", AT, "--evidence",
        "--evidence-limit", "3", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    document = json_of(result)
    report = ask(
        data_dir,
        AT_MOMENT,
        lambda s: s.insights.relationship(ADMIN, "carl", "amir", at=AT_MOMENT, evidence=3),
    )
    assert report is not None
    assessment, tie = report.relationship.assessment, report.relationship.tie
    assert (document["a"], document["b"]) == ("carl", "amir")
    assert moment(document["at"]) == AT_MOMENT
    assert document["strength"] == assessment.strength
    assert document["band"] == assessment.band.value
    assert document["score"] == assessment.score
    assert document["components"] == {
        "recency": assessment.components.recency,
        "frequency": assessment.components.frequency,
        "longevity": assessment.components.longevity,
        "reciprocity": assessment.components.reciprocity,
        "diversity": assessment.components.diversity,
        "embeddedness": assessment.components.embeddedness,
    }
    assert document["tie"]["count"] == tie.count
    assert moment(document["tie"]["last_contact"]) == tie.last_at
    assert document["tie"]["initiated"] == {
        tie.a: tie.initiated_by_a,
        tie.b: tie.initiated_by_b,
    }
    assert (
        document["recent_interactions"],
        document["shared_contacts"],
        document["shared_groups"],
    ) == (report.recent_interactions, report.shared_contacts, report.shared_groups)
    assert [(e["key"], e["contribution"]) for e in document["evidence"]] == [
        (i.key, adds) for i, adds in report.evidence
    ]
    assert len(document["evidence"]) == 3


def test_strength_in_the_past_differs_from_strength_later(app: typer.Typer, data_dir: Path) -> None:
    during = json_of(run(app, data_dir, "strength", "amir", "carl", "--at", "2024-03-01", "--json"))
    after = json_of(run(app, data_dir, "strength", "amir", "carl", "--at", AT, "--json"))

    assert moment(during["at"]) == datetime(2024, 3, 1, tzinfo=UTC)
    assert during["tie"]["count"] < after["tie"]["count"]
    assert "evidence" not in during


def test_strength_prints_the_strength_band_and_components(app: typer.Typer, data_dir: Path) -> None:
    document = json_of(run(app, data_dir, "strength", "amir", "carl", "--at", AT, "--json"))

    result = run(app, data_dir, "strength", "amir", "carl", "--at", AT, "--evidence")

    assert result.exit_code == 0, result.output
    assert "Amir Haddad (amir) and Carl Ek (carl) at 2024-06-01T12:00:00+00:00" in result.stdout
    assert f"strength {document['strength']:.3f} ({document['band']})" in result.stdout
    for component in document["components"]:
        assert component in result.stdout
    assert "Evidence" in result.stdout


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        ("yesterday", "--at 'yesterday': not a date or time"),
        ("2024-06-01T12:00", "--at '2024-06-01T12:00': a time needs a time zone"),
        ("2024-13-01", "--at '2024-13-01': not a date or time"),
        ("1066-10-14", "--at '1066-10-14': must be between 1900 and 2200"),
    ],
)
def test_strength_at_a_moment_it_cannot_read_exits_2_naming_at(
    app: typer.Typer, data_dir: Path, at: str, reason: str
) -> None:
    result = run(app, data_dir, "strength", "amir", "carl", "--at", at, "--json")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_strength_of_people_who_never_met_exits_1_with_null(
    app: typer.Typer, data_dir: Path
) -> None:
    before = run(app, data_dir, "strength", "amir", "carl", "--at", "2023-01-01", "--json")
    never = run(app, data_dir, "strength", "amir", LONER, "--json")

    assert before.exit_code == 1
    assert json_of(before) is None
    assert "had no contact by 2023-01-01T00:00:00+00:00" in before.stderr
    assert never.exit_code == 1
    assert json_of(never) is None


def test_strength_of_an_unknown_person_exits_1_naming_the_argument(
    app: typer.Typer, data_dir: Path
) -> None:
    result = run(app, data_dir, "strength", "nobody", "carl")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "error: A 'nobody': no person has this id"


# -- retention ----------------------------------------------------------------------------------


def test_retention_as_json_is_the_use_cases_keep_in_touch_figures(
    app: typer.Typer, data_dir: Path
) -> None:
    at = datetime(2024, 12, 1, tzinfo=UTC)

    result = run(
        app, data_dir, "retention", "spring-2024", "--at", "2024-12-01",
        "--horizon-days", "30,90", "--horizon-days", "400", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    document = json_of(result)
    expected = ask(
        data_dir,
        at,
        lambda s: s.insights.group_retention(ADMIN, "spring-2024", horizons=(30, 90, 400), at=at),
    )
    assert document["group"] == "spring-2024"
    assert moment(document["after"]) == expected.after
    assert moment(document["at"]) == at
    assert (document["member_count"], document["pair_count"]) == (8, 28)
    assert (document["share_during"], document["share_after"]) == (
        expected.share_during,
        expected.share_after,
    )
    assert [(p["days"], p["share"], p["pairs"]) for p in document["curve"]] == [
        (p.days, p.share, p.pairs) for p in expected.curve
    ]
    assert document["curve"][-1]["share"] is None  # 400 days after the end is not yet
    assert [
        (p["a"], p["b"], p["contact_during"], p["contact_after"], p["strength_now"])
        for p in document["pairs"]
    ] == [(p.a, p.b, p.contact_during, p.contact_after, p.strength_now) for p in expected.pairs]
    assert {m["person"] for m in document["members"]} == set(MEMBERS)
    assert document["bridges"] == list(expected.bridges)


def test_retention_prints_the_shares_the_curve_and_the_pairs(
    app: typer.Typer, data_dir: Path
) -> None:
    result = run(app, data_dir, "retention", "spring-2024", "--at", "2024-12-01")

    assert result.exit_code == 0, result.output
    assert "Keep-in-touch in Communicators, spring 2024 (spring-2024)" in result.stdout
    assert "pairs in direct contact after" in result.stdout
    assert "amir – carl" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "named"),
    [
        (["nope"], 1, "GROUP 'nope': no group has this id"),
        (["spring-2024", "--horizon-days", "0"], 2, "--horizon-days '0': must be"),
        (["spring-2024", "--horizon-days", "30,soon"], 2, "--horizon-days 'soon': must be"),
        (["spring-2024", "--at", "tomorrow"], 2, "--at 'tomorrow'"),
        (["spring-2024", "--after", "2023-01-01"], 2, "--after '2023-01-01T00:00:00+00:00'"),
    ],
)
def test_retention_errors_name_the_argument(
    app: typer.Typer, data_dir: Path, args: list[str], code: int, named: str
) -> None:
    result = run(app, data_dir, "retention", *args, "--json")

    assert result.exit_code == code
    assert result.stdout == ""
    assert named in result.stderr


# -- balance ------------------------------------------------------------------------------------


def test_balance_of_a_meeting_as_json_is_the_use_cases_balance(
    app: typer.Typer, data_dir: Path
) -> None:
    result = run(app, data_dir, "balance", "spring-2024-m1", "--json")

    assert result.exit_code == 0, result.output
    document = json_of(result)
    expected: MeetingBalance = ask(
        data_dir, AT_MOMENT, lambda s: s.meetings.meeting_balance(ADMIN, "spring-2024-m1")
    )
    assert document["meeting"] == "spring-2024-m1"
    assert (document["fair_share"], document["gini"]) == (expected.fair_share, expected.gini)
    assert [(s["person"], s["seconds"], s["share"], s["quiet"]) for s in document["speakers"]] == [
        (s.person_id, s.seconds, s.share, s.quiet) for s in expected.speakers
    ]
    assert document["quiet"] == list(expected.quiet)
    assert "lena" in {s["person"] for s in document["speakers"]}


def test_balance_of_a_group_as_json_is_the_use_cases_balance_over_its_meetings(
    app: typer.Typer, data_dir: Path
) -> None:
    result = run(app, data_dir, "balance", "--group", "spring-2024", "--json")

    assert result.exit_code == 0, result.output
    document = json_of(result)
    expected = ask(data_dir, AT_MOMENT, lambda s: s.meetings.group_balance(ADMIN, "spring-2024"))
    assert [m["meeting"] for m in document["meetings"]] == [
        f"spring-2024-m{n}" for n in range(1, 7)
    ]
    assert [m["gini"] for m in document["meetings"]] == [m.gini for m in expected.meetings]
    assert [(m["person"], m["relative"], m["trend"]) for m in document["members"]] == [
        (m.person_id, list(m.relative), m.trend) for m in expected.members
    ]
    assert {m["person"] for m in document["members"]} == set(MEMBERS)


def test_balance_prints_every_speaker_of_the_meeting(app: typer.Typer, data_dir: Path) -> None:
    document = json_of(run(app, data_dir, "balance", "spring-2024-m1", "--json"))

    result = run(app, data_dir, "balance", "spring-2024-m1")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Speaking balance of meeting spring-2024-m1")
    rows = [line.split("│")[1].strip() for line in result.stdout.splitlines() if "│" in line]
    assert rows == [s["person"] for s in document["speakers"]]


@pytest.mark.parametrize(
    ("args", "code", "named"),
    [
        (["nope"], 1, "MEETING 'nope': no meeting has this id"),
        (["--group", "nope"], 1, "--group 'nope': no group has this id"),
        ([], 2, "MEETING: give a meeting id, or --group GROUP"),
        (["spring-2024-m1", "--group", "spring-2024"], 2, "not both"),
    ],
)
def test_balance_errors_name_the_argument(
    app: typer.Typer, data_dir: Path, args: list[str], code: int, named: str
) -> None:
    result = run(app, data_dir, "balance", *args, "--json")

    assert result.exit_code == code
    assert result.stdout == ""
    assert named in result.stderr


# -- the store ----------------------------------------------------------------------------------


def closed_port() -> int:
    """A local port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    "command",
    [
        ["paths", "amir", "hanna", "--json"],
        ["strength", "amir", "carl"],
        ["retention", "spring-2024"],
        ["balance", "m1", "--json"],
        ["export", "--format", "graphml"],
        ["import", "people.jsonl"],
    ],
    ids=lambda command: command[0],
)
def test_a_store_that_cannot_be_reached_exits_3(
    app: typer.Typer, command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "people.jsonl").write_text(
        '{"type": "person", "id": "ann", "name": "Ann"}\n', encoding="utf-8"
    )
    uri = f"bolt://127.0.0.1:{closed_port()}"

    result = runner.invoke(app, [*command, "--store", "neo4j", "--neo4j-uri", uri])

    assert result.exit_code == 3
    assert result.stdout == ""
    assert "cannot be reached" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_neo4j_store_without_a_uri_is_a_configuration_error_exiting_2(
    app: typer.Typer,
) -> None:
    result = runner.invoke(app, ["strength", "amir", "carl", "--store", "neo4j"])

    assert result.exit_code == 2
    assert "NEO4J_URI" in result.stderr


def test_every_command_documents_the_exit_statuses_in_its_help(app: typer.Typer) -> None:
    for command in ("paths", "strength", "retention", "balance", "export"):
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})

        assert result.exit_code == 0
        assert "Exit status: 0 done; 1 an id given does not exist" in result.stdout


def test_nudges_as_json_are_the_use_cases_answer_and_the_table_says_why(
    app: typer.Typer, data_dir: Path
) -> None:
    when = datetime(2025, 3, 1, tzinfo=UTC)
    result = run(app, data_dir, "nudges", "amir", "--at", "2025-03-01", "--first", "3", "--json")

    assert result.exit_code == 0, result.output
    document = json_of(result)
    found = ask(data_dir, when, lambda s: s.nudges.keep_in_touch(ADMIN, "amir", first=3, at=when))
    assert found, "Amir's group ties had faded by March 2025"
    assert moment(document["at"]) == when
    assert [n["other"] for n in document["nudges"]] == [n.nudge.tie.other_id for n in found]
    assert [n["worth"] for n in document["nudges"]] == [n.nudge.worth for n in found]
    assert [n["reason"] for n in document["nudges"]] == [n.reason for n in found]
    assert document["nudges"][0]["shared_group"] == "spring-2024"

    table = run(app, data_dir, "nudges", "amir", "--at", "2025-03-01", "--first", "3")
    assert table.exit_code == 0, table.output
    assert found[0].reason in table.stdout


def test_nudges_refuse_a_bad_first_and_an_unknown_person(app: typer.Typer, data_dir: Path) -> None:
    assert run(app, data_dir, "nudges", "amir", "--first", "0").exit_code == 2
    assert run(app, data_dir, "nudges", "nobody-at-all").exit_code == 1

"""``tiegraph export``: GraphML that networkx reads back as the store's people and ties, JSON
Lines that ``tiegraph import`` turns into the same graph, and the exit statuses."""

from __future__ import annotations

import asyncio
import io
import json
import os
import stat
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
import pytest
import typer
from typer.testing import CliRunner, Result

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.model import Attendance, Organization, Person, Tie
from graph.importing.jsonl import parse_jsonl
from graph.ports import GraphStore, batch_of
from graph.samples.demo import load_core_demo
from graph.usecases.insights import Insights
from graph.usecases.viewer import Viewer
from tests.factories import group, meeting, membership, person
from tests.importing.test_import_runner import everything
from tests.support.ties import assert_same_ties

T = TypeVar("T")

runner = CliRunner()
ADMIN = Viewer.admin("test")
AT = datetime(2024, 6, 1, 12, tzinfo=UTC)
"""After the group ended, before the last contacts of the pairs that kept in touch."""
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def on_store(data_dir: Path, work: Callable[[GraphStore], Awaitable[T]]) -> T:
    async def run() -> T:
        store = EmbeddedStore(data_dir)
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded store holding the spring-2024 group."""
    directory = tmp_path_factory.mktemp("export") / "data"
    on_store(directory, load_core_demo)
    return directory


def run(app: typer.Typer, data_dir: Path, *args: str | Path) -> Result:
    return runner.invoke(app, [*map(str, args), "--data-dir", str(data_dir)])


def stored(data_dir: Path) -> tuple[dict[str, Person], dict[tuple[str, str], Tie]]:
    """The store's people by id, and its ties by pair."""

    async def read(store: GraphStore) -> tuple[dict[str, Person], dict[tuple[str, str], Tie]]:
        people = {p.id: p for p in (await store.list_records(Person, first=1000)).items}
        ties = {
            (t.a, t.b): t for found in (await store.ties_of(list(people))).values() for t in found
        }
        return people, ties

    return on_store(data_dir, read)


# -- GraphML ------------------------------------------------------------------------------------


def test_graphml_read_by_networkx_has_the_stores_people_and_ties_with_their_strengths(
    app: typer.Typer, data_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "network.graphml"

    result = run(
        app, data_dir, "export", "--format", "graphml", "-o", target, "--at", "2024-06-01T12:00:00Z"
    )

    assert result.exit_code == 0, result.output
    read = nx.read_graphml(target)
    people, ties = stored(data_dir)
    assert set(read.nodes) == set(people)
    for pid, values in read.nodes(data=True):
        p = people[pid]
        assert (values["kind"], values["name"], values["label"]) == ("person", p.name, p.name)
        assert values["profession"] == p.profession
        assert values["industry"] == p.industry
        assert values["location"] == p.location
        assert values["interests"] == "; ".join(p.interests)
        assert values["groups"] == "spring-2024"
    assert read.number_of_edges() == len(ties)
    assert {tuple(sorted(edge)) for edge in read.edges} == set(ties)

    async def assessed(store: GraphStore) -> dict[tuple[str, str], Any]:
        insights = Insights(store, clock=lambda: AT)
        reports = {}
        for a, b in ties:
            report = await insights.relationship(ADMIN, a, b, at=AT)
            assert report is not None
            reports[(a, b)] = report.relationship
        return reports

    expected = on_store(data_dir, assessed)
    for a, b, values in read.edges(data=True):
        relationship = expected[(min(a, b), max(a, b))]
        assert values["strength"] == pytest.approx(relationship.strength, rel=1e-9, abs=0)
        assert values["weight"] == values["strength"]
        assert values["band"] == relationship.assessment.band.value
        assert values["count"] == relationship.tie.count
        assert datetime.fromisoformat(values["last_contact"]) == relationship.tie.last_at
    assert read.graph["at"] == AT.isoformat(timespec="microseconds")
    # Some pairs were in touch after the moment: their ties were taken as they stood then.
    assert any(t.last_at > AT for t in ties.values())


def test_graphml_declares_only_legal_attribute_types_and_writes_no_empty_values(
    app: typer.Typer, data_dir: Path
) -> None:
    result = run(
        app, data_dir, "export", "--format", "graphml", "--with-groups", "--with-organizations"
    )

    assert result.exit_code == 0, result.output
    root = ET.fromstring(result.stdout_bytes)  # noqa: S314 - our own export, in a test
    keys = root.findall(f"{GRAPHML}key")
    assert {k.get("attr.type") for k in keys} <= {"string", "int", "double", "boolean"}
    assert len({k.get("id") for k in keys}) == len(keys)
    values = [d.text for d in root.iter(f"{GRAPHML}data")]
    assert values
    assert all(v not in (None, "", "None", "()", "[]") for v in values)


def test_graphml_with_groups_and_organizations_adds_them_as_nodes_with_edges_to_people(
    app: typer.Typer, data_dir: Path
) -> None:
    result = run(
        app, data_dir, "export", "--format", "graphml", "--with-groups", "--with-organizations"
    )

    assert result.exit_code == 0, result.output
    read = nx.read_graphml(io.BytesIO(result.stdout_bytes))
    people, ties = stored(data_dir)
    group_node = read.nodes["group|spring-2024"]
    assert (group_node["kind"], group_node["name"]) == ("group", "Communicators, spring 2024")
    members = {
        other: values["role"]
        for _, other, values in read.edges("group|spring-2024", data=True)
        if values["kind"] == "membership"
    }
    assert members == {"lena": "leader"} | {pid: "member" for pid in people if pid != "lena"}
    employers = {
        pid: other.removeprefix("organization|")
        for pid in people
        for _, other, values in read.edges(pid, data=True)
        if values["kind"] == "employment"
    }
    assert employers == {pid: p.organization_id for pid, p in people.items()}
    assert sum(1 for *_, v in read.edges(data=True) if v["kind"] == "tie") == len(ties)
    assert "exported" in result.stderr


def test_graphml_without_at_assesses_strength_now(app: typer.Typer, data_dir: Path) -> None:
    before = datetime.now(UTC)

    result = run(app, data_dir, "export", "--format", "graphml")

    assert result.exit_code == 0, result.output
    at = datetime.fromisoformat(nx.read_graphml(io.BytesIO(result.stdout_bytes)).graph["at"])
    assert before <= at <= datetime.now(UTC)


# -- JSON Lines ---------------------------------------------------------------------------------


def test_jsonl_imported_into_an_empty_store_gives_the_same_graph(
    app: typer.Typer, data_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "network.jsonl"
    fresh = tmp_path / "fresh"

    exported = run(app, data_dir, "export", "--output", target)
    imported = runner.invoke(app, ["import", str(target), "--data-dir", str(fresh)])

    assert exported.exit_code == 0, exported.output
    assert imported.exit_code == 0, imported.output
    before, after = on_store(data_dir, everything), on_store(fresh, everything)
    for kind in (
        "organization", "person", "group", "membership", "meeting", "attendance", "breakout",
        "side_conversation", "interaction", "introduction",
    ):  # fmt: skip
        assert after[kind] == before[kind], kind
        assert before[kind] or kind == "organization"  # the demo has every kind
    assert after["counts"] == before["counts"]
    assert_same_ties(
        {(pid, t.other(pid)): t for pid, found in after["ties"].items() for t in found},
        {(pid, t.other(pid)): t for pid, found in before["ties"].items() for t in found},
    )


def test_jsonl_to_stdout_is_a_header_then_one_valid_record_a_line(
    app: typer.Typer, data_dir: Path
) -> None:
    result = run(app, data_dir, "export")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert json.loads(lines[0]) == {"type": "tiegraph", "version": 1}
    parsed = list(parse_jsonl(lines, source="stdout"))
    assert len(parsed) == len(lines) - 1
    assert all(isinstance(item, tuple) for item in parsed), [
        item for item in parsed if not isinstance(item, tuple)
    ]
    assert not any("|" in json.loads(line).get("key", "") for line in lines)


def test_jsonl_export_is_the_same_every_time(app: typer.Typer, data_dir: Path) -> None:
    first = run(app, data_dir, "export")
    second = run(app, data_dir, "export")

    assert first.exit_code == second.exit_code == 0
    assert first.stdout_bytes == second.stdout_bytes


def test_json_summary_counts_what_was_written(
    app: typer.Typer, data_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "network.jsonl"

    result = run(app, data_dir, "export", "-o", target, "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    lines = target.read_text(encoding="utf-8").splitlines()[1:]
    kinds = [json.loads(line)["type"] for line in lines]
    assert summary["written"] == {kind: kinds.count(kind) for kind in dict.fromkeys(kinds)}
    assert summary["total"] == len(lines)
    assert summary["diverging"] == 0
    assert summary["derived_left_out"] > 0


def test_an_export_that_would_not_round_trip_says_so(app: typer.Typer, tmp_path: Path) -> None:
    """A meeting whose attendance came in two writes: its first pair counted two attendees,
    an import of everything at once counts three for every pair."""
    data = tmp_path / "data"

    async def record(store: GraphStore) -> None:
        people = [person("ann"), person("bo"), person("cy")]
        await store.apply(
            batch_of([*people, group("g1"), *(membership("g1", p.id) for p in people)])
        )
        await store.apply(
            batch_of([meeting("m1", "g1"), Attendance(meeting_id="m1", person_id="ann"),
                      Attendance(meeting_id="m1", person_id="bo")])
        )  # fmt: skip
        await store.apply(batch_of([Attendance(meeting_id="m1", person_id="cy")]))

    on_store(data, record)

    result = run(app, data, "export", "-o", tmp_path / "x.jsonl", "--json")
    quiet = run(app, data, "export", "-o", tmp_path / "y.jsonl")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["diverging"] == 1
    assert "warning: 1 interaction that a meeting" in quiet.stderr


def test_an_empty_store_exports_just_the_header(app: typer.Typer, tmp_path: Path) -> None:
    result = run(app, tmp_path / "empty", "export")

    assert result.exit_code == 0, result.output
    assert result.stdout == '{"type":"tiegraph","version":1}\n'


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--json"], "--json: prints a summary on stdout"),
        (["--with-groups"], "--with-groups: applies to --format graphml only"),
        (["--at", "2024-06-01"], "--at: applies to --format graphml only"),
        (["--format", "graphml", "--at", "noon"], "--at 'noon': not a date or time"),
        (["--output", "missing/x.jsonl"], "the directory 'missing' does not exist"),
        (["--output", "."], "--output '.': is a directory"),
        (["--format", "csv"], "--format"),
    ],
)
def test_usage_errors_exit_2_naming_the_option_and_write_nothing(
    app: typer.Typer,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    named: str,
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run(app, data_dir, "export", *args)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert named in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_leaves_no_file_behind(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    on_store(data, lambda store: store.apply(batch_of([Organization(id="o", name="O")])))

    async def broken(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("api.cli.export.export_jsonl", broken)
    target = tmp_path / "out.jsonl"

    result = run(app, data, "export", "-o", target)

    assert result.exit_code == 2
    assert "No space left on device" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_exporting_over_an_existing_file_replaces_it_whole(
    app: typer.Typer, data_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "network.jsonl"
    target.write_text("old\n", encoding="utf-8")

    result = run(app, data_dir, "export", "-o", target)

    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith('{"type":"tiegraph"')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["network.jsonl"]


def test_people_changed_after_an_export_differ_from_a_new_import(
    app: typer.Typer, tmp_path: Path
) -> None:
    """The comparison the round trip relies on does see a difference."""
    data = tmp_path / "data"
    on_store(data, load_core_demo)
    target = tmp_path / "x.jsonl"
    assert run(app, data, "export", "-o", target).exit_code == 0

    async def rename(store: GraphStore) -> None:
        [amir] = (await store.get(Person, ["amir"])).values()
        await store.apply(batch_of([replace(amir, name="Amir H.")]))

    on_store(data, rename)
    fresh = tmp_path / "fresh"
    assert runner.invoke(app, ["import", str(target), "--data-dir", str(fresh)]).exit_code == 0

    assert on_store(fresh, everything)["person"] != on_store(data, everything)["person"]


def test_an_export_file_is_readable_by_its_owner_only(
    app: typer.Typer, data_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "network.jsonl"
    previous = os.umask(0o022)  # the usual umask, which would leave it world-readable
    try:
        result = run(app, data_dir, "export", "--output", target)
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

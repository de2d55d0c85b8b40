"""Importing files gives the same graph on every store, and importing again changes nothing."""

from __future__ import annotations

from pathlib import Path

from graph.importing.runner import import_files
from graph.ports import GraphStore
from tests.factories import attendance, group, meeting, membership, organization, person
from tests.importing.test_import_runner import everything, write_jsonl

CSV = """at,person_a,person_b,kind,duration_s,initiator,channel,key
2024-03-01T10:00:00Z,ada,bo,call,900,bo,phone,call-1
1709290800,ada,cy,message,,,e-mail,
2024-03-02T10:00:00+01:00,bo,dee,call,,,,
"""


async def test_an_import_re_run_ends_with_exactly_the_same_graph(
    store: GraphStore, tmp_path: Path
) -> None:
    network = write_jsonl(
        tmp_path / "network.jsonl",
        '{"type": "tiegraph", "version": 1}',
        organization("acme"),
        person("ada", organization_id="acme"),
        person("bo"),
        person("cy"),
        group("g1", leader_id="ada"),
        membership("g1", "ada"),
        membership("g1", "bo"),
        meeting("m1", "g1"),
        attendance("m1", "ada"),
        attendance("m1", "bo"),
    )
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CSV, encoding="utf-8")
    first = await import_files(store, [network, contacts], create_missing_people=True)
    assert first.ok, first.problems
    assert first.kinds["interaction"].created == 4  # three rows and one meeting pair
    assert first.kinds["person"].created == 4  # "dee" was created from the CSV
    graph = await everything(store)
    again = await import_files(store, [network, contacts], create_missing_people=True)
    assert again.ok
    assert sum(k.created + k.updated for k in again.kinds.values()) == 0
    assert await everything(store) == graph


async def test_a_bad_line_is_rejected_by_file_and_line_and_the_rest_imports(
    store: GraphStore, tmp_path: Path
) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "at,person_a,person_b,kind\n2024-03-01T10:00:00Z,ada,bo,call\nyesterday,ada,bo,call\n",
        encoding="utf-8",
    )
    report = await import_files(store, [contacts], create_missing_people=True)
    assert report.rejected == 1
    [problem] = report.problems
    assert problem.record == f"{contacts} line 3"
    assert problem.field == "at"
    assert (await store.counts())["interaction"] == 1

"""``tiegraph import`` loads interactions CSV files into an embedded store that holds no
interactions in bulk, by default: the same report as through transactions; otherwise through
transactions, saying why (``--bulk`` insists: status 2 and the reason; ``--no-bulk`` never)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner, Result

CONTACTS = """at,person_a,person_b,kind,duration_s,initiator
1714564800,ann,bo,call,60,ann
1714568400,bo,cy,message,,
not-a-time,ann,bo,call,,
1714564800,ann,bo,call,60,ann
1714572000,ann,ann,call,,
1714575600,cy,dee,contact,,dee
"""


def run(app: typer.Typer, data_dir: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(app, ["import", *map(str, args), "--data-dir", str(data_dir)])


def contacts(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS)
    return path


def people(tmp_path: Path) -> Path:
    path = tmp_path / "people.jsonl"
    path.write_text('{"type": "person", "id": "ann", "name": "Ann"}\n')
    return path


def table(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data_dir / "tiegraph.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def snapshot(data_dir: Path) -> list[list[tuple[Any, ...]]]:
    return [
        table(data_dir, f"SELECT * FROM {name} ORDER BY 1, 2, 3")  # noqa: S608
        for name in ("records", "interactions", "interaction_people", "ties")
    ]


def test_an_empty_store_is_loaded_in_bulk_with_the_report_of_a_transactional_import(
    app: typer.Typer, tmp_path: Path
) -> None:
    loaded = run(app, tmp_path / "bulk", "--create-missing-people", contacts(tmp_path))
    imported = run(app, tmp_path / "tx", "--create-missing-people", "--no-bulk", contacts(tmp_path))
    assert (loaded.exit_code, imported.exit_code) == (1, 1)  # two lines are refused
    assert "Import (first load in bulk)" in loaded.output
    assert "first load in bulk" not in imported.output
    assert "importing through transactions" not in imported.output
    report = loaded.stdout.split("\n", 1)[1]  # all but the title
    assert report == imported.stdout.split("\n", 1)[1]
    assert "line 4" in report
    assert "line 6" in report
    assert snapshot(tmp_path / "bulk") == snapshot(tmp_path / "tx")


def test_people_and_other_records_stored_before_do_not_stand_in_the_way(
    app: typer.Typer, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    assert run(app, store, people(tmp_path)).exit_code == 0
    result = run(app, store, "--create-missing-people", contacts(tmp_path))
    assert "Import (first load in bulk)" in result.output
    [(kept,)] = table(store, "SELECT data FROM records WHERE id = 'ann'")
    assert b'"name":"Ann"' in kept  # not made over into Person(id="ann", name="ann")
    assert "│ person      │       3 │" in result.stdout  # bo, cy, dee


def test_a_store_holding_interactions_imports_through_transactions_saying_why(
    app: typer.Typer, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    run(app, store, "--create-missing-people", contacts(tmp_path))
    before = snapshot(store)
    again = run(app, store, "--create-missing-people", contacts(tmp_path))
    assert "importing through transactions: the store already holds interactions" in again.output
    assert "first load in bulk" not in again.output
    assert snapshot(store) == before  # idempotent: every line stored once already
    assert "│ interaction │       0 │       0 │         4 │        2 │" in again.stdout


def test_bulk_insists_and_exits_2_with_the_reason_writing_nothing(
    app: typer.Typer, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    run(app, store, "--create-missing-people", contacts(tmp_path))
    before = snapshot(store)
    result = run(app, store, "--bulk", "--create-missing-people", contacts(tmp_path))
    assert result.exit_code == 2
    assert "--bulk: the store already holds interactions" in result.output
    assert snapshot(store) == before
    for args, reason in (
        (("--dry-run", contacts(tmp_path)), "a dry run writes nothing"),
        ((people(tmp_path),), "only interactions CSV files are loaded in bulk"),
    ):
        result = run(app, tmp_path / "empty", "--bulk", *args)
        assert result.exit_code == 2
        assert f"--bulk: {reason}" in result.output


def test_no_bulk_never_loads_in_bulk(app: typer.Typer, tmp_path: Path) -> None:
    result = run(
        app, tmp_path / "store", "--no-bulk", "--create-missing-people", contacts(tmp_path)
    )
    assert "Import (first load in bulk)" not in result.output
    assert table(tmp_path / "store", "SELECT count(*) FROM interactions") == [(3,)]


def test_a_dry_run_or_another_format_goes_through_transactions_unmentioned(
    app: typer.Typer, tmp_path: Path
) -> None:
    dry = run(app, tmp_path / "store", "--dry-run", "--create-missing-people", contacts(tmp_path))
    assert "Import (dry run: nothing was written)" in dry.output
    assert "importing through transactions" not in dry.output
    jsonl = run(app, tmp_path / "store", people(tmp_path))
    assert jsonl.exit_code == 0
    assert "importing through transactions" not in jsonl.output

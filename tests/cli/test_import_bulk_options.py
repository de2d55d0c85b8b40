"""When ``tiegraph import`` cannot load in bulk, ``--bulk`` says why and writes nothing.

No server is needed for these: each reason is found before anything is read or written. The
bulk load itself is tested against a real server in ``tests/cli/test_import_bulk_neo4j.py``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner, Result


def run(app: typer.Typer, *args: str | Path) -> Result:
    return CliRunner().invoke(app, ["import", *map(str, args)])


def contacts(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text("at,person_a,person_b,kind\n2024-01-01T09:00:00Z,ann,bo,call\n")
    return path


def test_bulk_without_a_server_from_the_home_says_so_and_exits_2(
    app: typer.Typer, tmp_path: Path
) -> None:
    result = run(
        app,
        "--bulk",
        "--store",
        "neo4j",
        "--neo4j-uri",
        "bolt://127.0.0.1:9",
        "--neo4j-home",
        tmp_path / "home",
        contacts(tmp_path),
    )
    assert result.exit_code == 2
    assert "--bulk: no server started by `tiegraph neo4j start`" in result.output


def test_bulk_takes_interactions_csv_files_only(app: typer.Typer, tmp_path: Path) -> None:
    people = tmp_path / "people.jsonl"
    people.write_text('{"type": "person", "id": "ann", "name": "Ann"}\n')
    result = run(app, "--bulk", "--store", "neo4j", "--neo4j-uri", "bolt://127.0.0.1:9", people)
    assert result.exit_code == 2
    assert "only interactions CSV files are loaded in bulk" in result.output


def test_a_dry_run_is_never_a_bulk_load(app: typer.Typer, tmp_path: Path) -> None:
    result = run(
        app,
        "--bulk",
        "--dry-run",
        "--store",
        "neo4j",
        "--neo4j-uri",
        "bolt://127.0.0.1:9",
        contacts(tmp_path),
    )
    assert result.exit_code == 2
    assert "a dry run writes nothing" in result.output

"""``tiegraph import --format ics``: a group's calendar from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from tests.cli.test_import_cli import run, table_rows

FIXTURES = Path(__file__).parents[1] / "importing" / "fixtures"
CIRCLE = [
    '{"type": "person", "id": "lena", "name": "Lena Berg", "email": "lena@example.org"}',
    '{"type": "person", "id": "amir", "name": "Amir Haddad", "email": "amir@example.org"}',
    '{"type": "person", "id": "britt", "name": "Britt Holm"}',
    '{"type": "person", "id": "carl", "name": "Carl Nilsson", "email": "carl@example.org"}',
    '{"type": "group", "id": "circle", "name": "Circle", "leader_id": "lena",'
    ' "starts_on": "2024-01-08", "ends_on": "2024-12-31"}',
    '{"type": "membership", "group_id": "circle", "person_id": "amir"}',
    '{"type": "membership", "group_id": "circle", "person_id": "britt"}',
    '{"type": "membership", "group_id": "circle", "person_id": "carl"}',
]


def test_an_outlook_calendar_imports_and_imports_again_unchanged(
    app: typer.Typer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    circle = tmp_path / "circle.jsonl"
    circle.write_text("\n".join(CIRCLE) + "\n", encoding="utf-8")
    assert run(app, data, circle).exit_code == 0
    calendar = FIXTURES / "outlook-calendar.ics"

    first = run(app, data, calendar, "--group", "circle")
    again = run(app, data, calendar, "--format", "ics", "--group", "circle")

    assert first.exit_code == 0, first.output
    assert ["│", "meeting", "│", "2", "│", "0", "│", "0", "│", "0", "│"] in table_rows(first)
    assert ["│", "attendance", "│", "8", "│", "0", "│", "0", "│", "0", "│"] in table_rows(first)
    assert again.exit_code == 0, again.output
    assert ["│", "meeting", "│", "0", "│", "0", "│", "2", "│", "0", "│"] in table_rows(again)


def test_a_calendar_needs_a_stored_group_and_exits_2_otherwise(
    app: typer.Typer, tmp_path: Path
) -> None:
    calendar = FIXTURES / "google-calendar.ics"

    missing = run(app, tmp_path / "data", calendar)
    unknown = run(app, tmp_path / "data", calendar, "--group", "nobody")

    assert missing.exit_code == 2
    assert "--format ics needs --group" in missing.output
    assert unknown.exit_code == 2
    assert "no group has this id" in unknown.output

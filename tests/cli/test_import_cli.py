"""``tiegraph import``: the report, the problems listed, and the exit status, on a real store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.model import Person

runner = CliRunner()


def run(app: typer.Typer, data_dir: Path, *args: str | Path) -> Result:
    return runner.invoke(app, ["import", *map(str, args), "--data-dir", str(data_dir)])


def stored_people(data_dir: Path) -> dict[str, Person]:
    async def read() -> dict[str, Person]:
        store = EmbeddedStore(data_dir)
        await store.open()
        try:
            page = await store.list_records(Person, first=1000)
            return {p.id: p for p in page.items}
        finally:
            await store.close()

    return asyncio.run(read())


def people_file(path: Path, *ids: str) -> Path:
    path.write_text(
        "".join(f'{{"type": "person", "id": "{pid}", "name": "{pid.title()}"}}\n' for pid in ids),
        encoding="utf-8",
    )
    return path


def test_importing_valid_files_exits_0_and_prints_the_counts_per_kind(
    app: typer.Typer, tmp_path: Path
) -> None:
    people = people_file(tmp_path / "people.jsonl", "ann", "bo")
    calls = tmp_path / "calls.csv"
    calls.write_text("at,person_a,person_b,kind\n1714564800,ann,bo,call\n", encoding="utf-8")

    result = run(app, tmp_path / "data", people, calls)

    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["│", "person", "│", "2", "│", "0", "│", "0", "│", "0", "│"] in rows
    assert ["│", "interaction", "│", "1", "│", "0", "│", "0", "│", "0", "│"] in rows
    assert set(stored_people(tmp_path / "data")) == {"ann", "bo"}


def test_rejected_lines_exit_1_and_are_listed_with_file_line_field_value_and_reason(
    app: typer.Typer, tmp_path: Path
) -> None:
    people = people_file(tmp_path / "people.jsonl", "ann", "bo")
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "at,person_a,person_b,kind,initiator\n"
        "1714564800,ann,bo,call,cy\n"
        "1714564800,ann,bo,[bold]chat[/bold],\n"
        "1714564800,ann,bo,call,ann\n",
        encoding="utf-8",
    )

    result = run(app, tmp_path / "data", people, calls)

    assert result.exit_code == 1
    assert f"{calls} line 2: field 'initiator' = 'cy': must be the id in person_a or person_b" in (
        result.stdout
    )
    assert f"{calls} line 3: field 'kind' = '[bold]chat[/bold]': must be one of:" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["│", "interaction", "│", "1", "│", "0", "│", "0", "│", "2", "│"] in rows


def test_only_the_first_20_problems_are_listed_then_how_many_more(
    app: typer.Typer, tmp_path: Path
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("{\n" * 25, encoding="utf-8")

    result = run(app, tmp_path / "data", path)

    assert result.exit_code == 1
    listed = [line for line in result.stdout.splitlines() if line.startswith(str(path))]
    assert len(listed) == 20
    assert listed[0].startswith(f"{path} line 1: field '(line)' = '{{': is not valid JSON")
    assert "... and 5 more problems" in result.stdout


def test_a_dry_run_writes_nothing_and_says_so(app: typer.Typer, tmp_path: Path) -> None:
    people = people_file(tmp_path / "people.jsonl", "ann")

    result = runner.invoke(
        app, ["import", str(people), "--dry-run", "--data-dir", str(tmp_path / "data")]
    )

    assert result.exit_code == 0, result.output
    assert "dry run: nothing was written" in result.stdout
    assert stored_people(tmp_path / "data") == {}


def test_create_missing_people_creates_people_named_after_their_ids(
    app: typer.Typer, tmp_path: Path
) -> None:
    calls = tmp_path / "calls.csv"
    calls.write_text("at,person_a,person_b,kind\n1714564800,ann,bo,call\n", encoding="utf-8")

    without = run(app, tmp_path / "data", calls)
    with_flag = run(app, tmp_path / "data", calls, "--create-missing-people")

    assert without.exit_code == 1
    assert with_flag.exit_code == 0, with_flag.output
    assert stored_people(tmp_path / "data") == {
        "ann": Person(id="ann", name="ann"),
        "bo": Person(id="bo", name="bo"),
    }


def test_format_names_the_format_of_files_whose_extension_does_not(
    app: typer.Typer, tmp_path: Path
) -> None:
    export = people_file(tmp_path / "export.txt", "ann")

    without = run(app, tmp_path / "data", export)
    with_format = run(app, tmp_path / "data", export, "--format", "jsonl")

    assert without.exit_code == 2
    assert "export.txt" in without.output
    assert "--format" in without.output
    assert with_format.exit_code == 0, with_format.output
    assert set(stored_people(tmp_path / "data")) == {"ann"}


def test_batch_size_sets_how_many_records_each_write_holds(
    app: typer.Typer, tmp_path: Path
) -> None:
    people = people_file(tmp_path / "people.jsonl", "ann", "bo", "cy")

    result = run(app, tmp_path / "data", people, "--batch-size", "1")

    assert result.exit_code == 0, result.output
    assert set(stored_people(tmp_path / "data")) == {"ann", "bo", "cy"}


@pytest.mark.parametrize(
    "args",
    [
        ["missing.jsonl"],
        ["people.jsonl", "--batch-size", "0"],
        ["people.jsonl", "--format", "xml"],
        ["people.jsonl", "--store", "neo4j"],
    ],
    ids=["missing file", "zero batch size", "unknown format", "a neo4j store without a uri"],
)
def test_usage_and_configuration_errors_exit_2_and_write_nothing(
    app: typer.Typer, tmp_path: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    people_file(tmp_path / "people.jsonl", "ann")
    monkeypatch.chdir(tmp_path)

    result = run(app, tmp_path / "data", *args)

    assert result.exit_code == 2, result.output
    assert not (tmp_path / "data").exists()


FIXTURES = Path(__file__).parents[1] / "importing" / "fixtures"


def table_rows(result: Result) -> list[list[str]]:
    return [line.split() for line in result.stdout.splitlines()]


def test_a_members_linkedin_connections_import_and_import_again_unchanged(
    app: typer.Typer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert run(app, data, FIXTURES / "network.jsonl").exit_code == 0
    connections = FIXTURES / "Connections.csv"

    first = run(app, data, connections, "--format", "linkedin", "--member", "ada")
    again = run(app, data, connections, "--format", "linkedin", "--member", "ada")

    assert first.exit_code == 0, first.output
    assert ["│", "person", "│", "3", "│", "1", "│", "0", "│", "0", "│"] in table_rows(first)
    assert ["│", "interaction", "│", "4", "│", "0", "│", "0", "│", "0", "│"] in table_rows(first)
    assert again.exit_code == 0, again.output
    assert ["│", "person", "│", "0", "│", "0", "│", "4", "│", "0", "│"] in table_rows(again)
    people = stored_people(data)
    assert people["cy"].title == "Chief Economist"
    assert people["linkedin:dana-öberg-example"].name == "Dana Öberg"


def test_a_bad_linkedin_row_exits_1_naming_file_line_column_and_value(
    app: typer.Typer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    run(app, data, FIXTURES / "network.jsonl")
    connections = tmp_path / "Connections.csv"
    connections.write_text(
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Bo,Ek,https://www.linkedin.com/in/bo-ek,,,,12 Mar 2024\n"
        "Cy,Ng,https://www.linkedin.com/in/cy-ng,,,,yesterday\n",
        encoding="utf-8",
    )

    result = run(app, data, connections, "--format", "linkedin", "--member", "ada")

    assert result.exit_code == 1
    assert f"{connections} line 3: field 'Connected On' = 'yesterday': must be a date" in (
        result.stdout
    )
    assert "linkedin:bo-ek" in stored_people(data)
    assert "linkedin:cy-ng" not in stored_people(data)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "linkedin"], "--format linkedin needs --member"),
        (["--format", "linkedin", "--member", "zed"], "--member 'zed': no person has this id"),
        (["--format", "meeting-report"], "--format meeting-report needs --meeting"),
        (
            ["--format", "meeting-report", "--meeting", "nope"],
            "--meeting 'nope': no meeting has this id",
        ),
        (["--format", "csv", "--member", "ada"], "--member applies only to --format linkedin"),
    ],
    ids=["no member", "unknown member", "no meeting", "unknown meeting", "member out of place"],
)
def test_the_member_and_meeting_options_are_checked_and_exit_2_writing_nothing(
    app: typer.Typer, tmp_path: Path, args: list[str], message: str
) -> None:
    data = tmp_path / "data"
    run(app, data, FIXTURES / "network.jsonl")
    before = stored_people(data)

    result = run(app, data, FIXTURES / "Connections.csv", *args)

    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert stored_people(data) == before


def test_a_zoom_report_records_who_attended_and_lists_who_is_unknown(
    app: typer.Typer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    run(app, data, FIXTURES / "network.jsonl")
    report = FIXTURES / "zoom-participants.csv"

    result = run(app, data, report, "--format", "meeting-report", "--meeting", "spring-1")

    assert result.exit_code == 1
    assert ["│", "attendance", "│", "3", "│", "0", "│", "0", "│", "1", "│"] in table_rows(result)
    assert f"{report} line 9: field 'User Email' = 'hal@example.net':" in result.stdout


def test_a_generic_report_with_talk_times_imports_and_exits_0(
    app: typer.Typer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    run(app, data, FIXTURES / "network.jsonl")

    result = run(
        app,
        data,
        FIXTURES / "meeting-report.csv",
        "--format",
        "meeting-report",
        "--meeting",
        "spring-1",
    )

    assert result.exit_code == 0, result.output
    assert ["│", "attendance", "│", "4", "│", "0", "│", "0", "│", "0", "│"] in table_rows(result)


def carl_file(path: Path, *people: str) -> Path:
    """Known people of Acme Bank (from network.jsonl), without profile URL or e-mail."""
    path.write_text(
        "".join(
            f'{{"type": "person", "id": "{pid}", "name": "Carl Ek", "organization_id": "acme"}}\n'
            for pid in people
        ),
        encoding="utf-8",
    )
    return path


def carl_connection(path: Path) -> Path:
    path.write_text(
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Carl,Ek,https://www.linkedin.com/in/carl-ek,,Acme Bank,CFO,12 Mar 2024\n",
        encoding="utf-8",
    )
    return path


def test_a_linkedin_row_matched_by_name_and_organization_is_counted_and_listed(
    app: typer.Typer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    run(app, data, FIXTURES / "network.jsonl", carl_file(tmp_path / "carl.jsonl", "carl"))
    connections = carl_connection(tmp_path / "Connections.csv")

    first = run(app, data, connections, "--format", "linkedin", "--member", "ada")
    again = run(app, data, connections, "--format", "linkedin", "--member", "ada")

    assert first.exit_code == 0, first.output
    assert ["│", "matched", "by", "name", "and", "organization", "│", "1", "│"] in table_rows(first)
    assert f"{connections} line 2: 'Carl Ek' at acme -> carl (matched by name and" in first.stdout
    assert stored_people(data)["carl"].profile_url == "https://www.linkedin.com/in/carl-ek"
    assert "linkedin:carl-ek" not in stored_people(data)
    assert again.exit_code == 0, again.output
    assert ["│", "matched", "by", "profile", "URL", "│", "1", "│"] in table_rows(again)
    assert ["│", "person", "│", "0", "│", "0", "│", "1", "│", "0", "│"] in table_rows(again)


def test_an_ambiguous_linkedin_row_exits_1_and_creates_nobody(
    app: typer.Typer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    run(app, data, FIXTURES / "network.jsonl", carl_file(tmp_path / "carl.jsonl", "carl", "ek"))
    before = stored_people(data)
    connections = carl_connection(tmp_path / "Connections.csv")

    result = run(app, data, connections, "--format", "linkedin", "--member", "ada")

    assert result.exit_code == 1
    assert ["│", "ambiguous:", "rejected,", "nobody", "merged", "or", "created", "│", "1", "│"] in (
        table_rows(result)
    )
    assert f"{connections} line 2: field 'First Name' = 'Carl Ek': several known people" in (
        result.stdout
    )
    assert stored_people(data) == before


def test_no_name_match_adds_a_new_person_instead(app: typer.Typer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(app, data, FIXTURES / "network.jsonl", carl_file(tmp_path / "carl.jsonl", "carl"))
    connections = carl_connection(tmp_path / "Connections.csv")

    result = run(
        app, data, connections, "--format", "linkedin", "--member", "ada", "--no-name-match"
    )

    assert result.exit_code == 0, result.output
    assert ["│", "new", "person", "│", "1", "│"] in table_rows(result)
    assert {"carl", "linkedin:carl-ek"} <= set(stored_people(data))
    assert stored_people(data)["carl"].profile_url is None

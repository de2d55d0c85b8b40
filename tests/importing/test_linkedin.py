"""LinkedIn's Connections.csv: reading the export, finding known people, and importing it again."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.batch import ID_PATTERN
from graph.domain.errors import Problem
from graph.domain.model import Interaction, InteractionKind, Organization, Person
from graph.importing import Rejected
from graph.importing.identity import Identification, Resolved
from graph.importing.linkedin import (
    Connection,
    connection_key,
    connection_records,
    linkedin_person_id,
    organization_id_for,
    parse_connected_on,
    parse_linkedin_connections,
    read_linkedin_connections,
)
from graph.importing.runner import ImportReport, UnknownTarget, import_files
from graph.ports import GraphStore, batch_of
from tests.factories import organization, person
from tests.importing.test_import_runner import everything

FIXTURES = Path(__file__).parent / "fixtures"
NOTES = (
    "\ufeffNotes:\r\n"
    '"When exporting your connection data, you may notice that some of the email addresses are'
    ' missing. You will only see email addresses for connections who have allowed it."\r\n'
    "\r\n"
)
HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On"


def parse(*rows: str, notes: str = NOTES) -> list[Connection | Rejected]:
    text = notes + "".join(row + "\r\n" for row in rows)
    return list(parse_linkedin_connections(io.StringIO(text, newline=""), source="c.csv"))


def connections(results: list[Connection | Rejected]) -> list[Connection]:
    assert [r for r in results if isinstance(r, Rejected)] == []
    return [r for r in results if isinstance(r, Connection)]


def problems(results: list[Connection | Rejected]) -> list[Problem]:
    return [p for r in results if isinstance(r, Rejected) for p in r.problems]


def write(path: Path, *rows: str) -> Path:
    path.write_text(NOTES + "".join(row + "\r\n" for row in rows), encoding="utf-8", newline="")
    return path


def counts(report: ImportReport) -> dict[str, tuple[int, int, int, int]]:
    return {kind: (c.created, c.updated, c.unchanged, c.rejected) for kind, c in report.rows()}


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "store")
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def with_ada(embedded: EmbeddedStore) -> EmbeddedStore:
    """A store that holds the member, Ada."""
    await embedded.apply(batch_of([person("ada", name="Ada Lind")]))
    return embedded


async def import_connections(
    store: GraphStore, path: Path, *, dry_run: bool = False, match_names: bool = True
) -> ImportReport:
    """Import ``path`` as Ada's connections."""
    return await import_files(
        store,
        [path],
        file_format="linkedin",
        member="ada",
        dry_run=dry_run,
        match_names=match_names,
    )


# -- reading the file ------------------------------------------------------------------------


def test_the_notes_before_the_header_are_skipped_and_rows_are_numbered_by_their_file_line() -> None:
    results = parse(HEADER, "Bo,Ek,https://www.linkedin.com/in/bo-ek,,Northwind,CMO,12 Mar 2024")

    (bo,) = connections(results)
    assert (bo.label, bo.name, bo.company, bo.position) == (
        "c.csv line 5",
        "Bo Ek",
        "Northwind",
        "CMO",
    )
    assert (bo.profile_url, bo.email, bo.connected_on) == (
        "https://www.linkedin.com/in/bo-ek",
        None,
        date(2024, 3, 12),
    )


def test_a_file_without_notes_or_byte_order_mark_reads_the_same() -> None:
    row = "Bo,Ek,https://www.linkedin.com/in/bo-ek,,Northwind,CMO,12 Mar 2024"

    (with_notes,) = connections(parse(HEADER, row))
    (without,) = connections(parse(HEADER, row, notes=""))

    assert without.label == "c.csv line 2"
    assert (without.name, without.connected_on) == (with_notes.name, with_notes.connected_on)


def test_quoted_commas_and_letters_beyond_ascii_are_kept() -> None:
    results = parse(HEADER, 'Åsa,"Öberg, PhD",,,"Vattenfall, Nordic",Économiste,1 Jan 2020')

    (asa,) = connections(results)
    assert (asa.name, asa.company, asa.position) == (
        "Åsa Öberg, PhD",
        "Vattenfall, Nordic",
        "Économiste",
    )


def test_empty_company_position_url_and_email_are_not_given() -> None:
    (cy,) = connections(parse(HEADER, "Cy,,,,,,3 Jan 2023"))

    assert (cy.name, cy.profile_url, cy.email, cy.company, cy.position) == (
        "Cy",
        None,
        None,
        None,
        None,
    )


def test_a_bad_date_rejects_its_row_naming_line_column_and_value() -> None:
    results = parse(
        HEADER,
        "Bo,Ek,https://www.linkedin.com/in/bo-ek,,,,12 Mar 2024",
        "Cy,Ng,https://www.linkedin.com/in/cy-ng,,,,31 Feb 2024",
    )

    assert [c.name for c in results if isinstance(c, Connection)] == ["Bo Ek"]
    assert problems(results) == [
        Problem(
            "c.csv line 6",
            "Connected On",
            "31 Feb 2024",
            "must be a date like 12 Mar 2024 (or 2024-03-12)",
        )
    ]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("12 Mar 2024", date(2024, 3, 12)),
        ("1 jan 2020", date(2020, 1, 1)),
        ("07 Sept 2021", date(2021, 9, 7)),
        ("30 December 1999", date(1999, 12, 30)),
        ("2024-03-12", date(2024, 3, 12)),
    ],
)
def test_connected_on_reads_day_month_year_and_iso_dates(text: str, day: date) -> None:
    assert parse_connected_on(text) == day


@pytest.mark.parametrize(
    "text", ["", "12/03/2024", "12 Foo 2024", "32 Jan 2024", "Mar 12, 2024", "2024-13-01"]
)
def test_anything_else_is_not_a_connected_on_date(text: str) -> None:
    with pytest.raises(ValueError, match="must be a date like 12 Mar 2024"):
        parse_connected_on(text)


def test_a_row_without_a_name_or_with_a_bad_url_or_address_is_rejected() -> None:
    results = parse(
        HEADER,
        ",,https://www.linkedin.com/in/x,,,,12 Mar 2024",
        "Bo,Ek,not a url,,,,12 Mar 2024",
        "Cy,Ng,,cy-at-example.org,,,12 Mar 2024",
    )

    assert [(p.record, p.field, p.value) for p in problems(results)] == [
        ("c.csv line 5", "First Name", ""),
        ("c.csv line 6", "URL", "not a url"),
        ("c.csv line 7", "Email Address", "cy-at-example.org"),
    ]


def test_a_file_without_the_header_is_rejected_at_line_1() -> None:
    results = parse("Bo,Ek,https://www.linkedin.com/in/bo-ek,,,,12 Mar 2024")

    assert len(results) == 1
    assert isinstance(results[0], Rejected)
    (problem,) = results[0].problems
    assert (problem.record, problem.field, problem.value) == ("c.csv line 1", "(header)", "Notes:")
    assert "First Name,Last Name,URL" in problem.reason


def test_a_header_without_connected_on_rejects_the_file() -> None:
    results = parse("First Name,Last Name,URL", "Bo,Ek,https://www.linkedin.com/in/bo-ek")

    assert [r.label for r in results if isinstance(r, Rejected)] == ["c.csv line 4", "c.csv line 5"]
    assert "missing required column(s) connected_on" in problems(results)[0].reason


def test_header_names_are_read_whatever_their_case_and_order_and_unknown_columns_are_ignored() -> (
    None
):
    (bo,) = connections(parse("connected on,LAST NAME,first name,Notes", "12 Mar 2024,Ek,Bo,hello"))

    assert (bo.name, bo.connected_on) == ("Bo Ek", date(2024, 3, 12))


def test_a_row_with_more_cells_than_the_header_is_rejected() -> None:
    results = parse(HEADER, "Bo,Ek,,,,,12 Mar 2024,surplus")

    assert [(p.record, p.field) for p in problems(results)] == [("c.csv line 5", "(row)")]


def test_a_cell_that_is_not_utf8_rejects_its_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        (HEADER + "\n").encode() + b"Bo,Ek,,,Caf\xe9,,12 Mar 2024\nCy,Ng,,,,,12 Mar 2024\n"
    )

    results = list(read_linkedin_connections(path, source="c.csv"))

    assert [c.name for c in results if isinstance(c, Connection)] == ["Cy Ng"]
    assert [(p.record, p.field, p.reason) for p in problems(results)] == [
        ("c.csv line 2", "Company", "is not valid UTF-8")
    ]


# -- ids --------------------------------------------------------------------------------------


@given(st.text(max_size=300))
def test_every_organization_name_gives_a_valid_id(name: str) -> None:
    assert ID_PATTERN.fullmatch(organization_id_for(name))


@pytest.mark.parametrize(
    "spelling", ["Acme Bank", "ACME BANK", "  acme   bank ", "Acme-Bank", "Acme Bank."]
)
def test_spellings_of_one_name_give_one_organization_id(spelling: str) -> None:
    assert organization_id_for(spelling) == "acme-bank"


@given(st.text(max_size=60), st.none() | st.emails(), st.none() | st.text(max_size=250))
def test_every_person_gets_a_valid_id(name: str, email: str | None, url: str | None) -> None:
    assert ID_PATTERN.fullmatch(linkedin_person_id(name=name, email=email, profile_url=url))


def test_a_person_id_comes_from_the_profile_slug_else_from_a_hash_of_what_is_known() -> None:
    by_slug = linkedin_person_id(
        name="Dana Öberg", email=None, profile_url="se.linkedin.com/in/dana-%C3%B6berg/"
    )
    by_hash = linkedin_person_id(name="Cy Ng", email="cy@example.org", profile_url=None)

    assert by_slug == "linkedin:dana-öberg"
    assert by_hash.startswith("linkedin:")
    assert len(by_hash) == len("linkedin:") + 16
    assert by_hash == linkedin_person_id(name="Cy Ng", email="CY@example.org", profile_url=None)
    assert by_hash != linkedin_person_id(name="Cy Ng", email=None, profile_url=None)


# -- resolving against the store ----------------------------------------------------------------


async def test_new_connections_become_people_organizations_and_one_connection_each(
    with_ada: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "c.csv",
        HEADER,
        "Bo,Ek,https://www.linkedin.com/in/bo-ek/,,Northwind Retail,CMO,12 Mar 2024",
        "Cy,Ng,,cy@example.org,Northwind Retail,,3 Jan 2023",
    )

    report = await import_connections(with_ada, path)

    assert report.ok, report.problems
    assert counts(report) == {
        "organization": (1, 0, 0, 0),
        "person": (2, 0, 0, 0),
        "interaction": (2, 0, 0, 0),
    }
    cy_id = linkedin_person_id(name="Cy Ng", email="cy@example.org", profile_url=None)
    people = await with_ada.get(Person, ["linkedin:bo-ek", cy_id])
    assert people["linkedin:bo-ek"] == Person(
        id="linkedin:bo-ek",
        name="Bo Ek",
        title="CMO",
        organization_id="northwind-retail",
        profile_url="https://www.linkedin.com/in/bo-ek/",
    )
    assert people[cy_id].email == "cy@example.org"
    assert await with_ada.get(Organization, ["northwind-retail"]) == {
        "northwind-retail": Organization(id="northwind-retail", name="Northwind Retail")
    }
    assert await with_ada.interactions_of("ada", other_id="linkedin:bo-ek") == [
        Interaction(
            key=connection_key("ada", "linkedin:bo-ek"),
            at=datetime(2024, 3, 12, tzinfo=UTC),
            kind=InteractionKind.CONNECTION,
            participant_ids=("ada", "linkedin:bo-ek"),
            channel="linkedin",
        )
    ]
    tie = await with_ada.tie("ada", cy_id)
    assert tie is not None
    assert tie.counts == {InteractionKind.CONNECTION: 1}


async def test_known_people_are_matched_by_any_spelling_of_their_profile_url(
    with_ada: EmbeddedStore, tmp_path: Path
) -> None:
    await with_ada.apply(batch_of([person("bo", profile_url="http://LinkedIn.com/in/bo-ek?trk=1")]))
    path = write(
        tmp_path / "c.csv", HEADER, "Bo,Ek,https://www.linkedin.com/in/bo-ek/,,,,12 Mar 2024"
    )

    report = await import_connections(with_ada, path)

    assert counts(report) == {"person": (0, 0, 1, 0), "interaction": (1, 0, 0, 0)}
    assert set((await with_ada.list_records(Person, first=10)).items) == {
        person("ada", name="Ada Lind"),
        person("bo", profile_url="http://LinkedIn.com/in/bo-ek?trk=1"),
    }
    assert await with_ada.tie("ada", "bo") is not None


async def test_known_people_are_matched_by_email_whatever_its_case(
    with_ada: EmbeddedStore, tmp_path: Path
) -> None:
    await with_ada.apply(batch_of([person("cy", email="Cy.Ng@Example.org")]))
    path = write(tmp_path / "c.csv", HEADER, "Cy,Ng,,cy.ng@example.ORG,,,3 Jan 2023")

    report = await import_connections(with_ada, path)

    assert report.ok, report.problems
    assert set((await with_ada.list_records(Person, first=10)).items) == {
        person("ada", name="Ada Lind"),
        person("cy", email="Cy.Ng@Example.org"),
    }
    assert await with_ada.tie("ada", "cy") is not None


async def test_a_known_person_keeps_what_is_stored_and_gains_only_what_was_empty(
    with_ada: EmbeddedStore, tmp_path: Path
) -> None:
    bo = person(
        "bo",
        name="Bo Ek (board)",
        title="Board member",
        interests=("retail",),
        email="bo@example.org",
    )
    await with_ada.apply(batch_of([organization("acme", name="Acme Bank", industry="fintech"), bo]))
    path = write(
        tmp_path / "c.csv",
        HEADER,
        "Bo,Ek,https://www.linkedin.com/in/bo-ek,BO@example.org,ACME bank,CMO,12 Mar 2024",
    )

    report = await import_connections(with_ada, path)

    assert counts(report) == {"person": (0, 1, 0, 0), "interaction": (1, 0, 0, 0)}
    stored = (await with_ada.get(Person, ["bo"]))["bo"]
    assert stored == Person(
        id="bo",
        name="Bo Ek (board)",
        title="Board member",
        interests=("retail",),
        email="bo@example.org",
        organization_id="acme",
        profile_url="https://www.linkedin.com/in/bo-ek",
    )
    assert (await with_ada.get(Organization, ["acme"]))["acme"].industry == "fintech"


async def test_an_organization_stored_under_the_derived_id_is_used_whatever_its_name(
    with_ada: EmbeddedStore, tmp_path: Path
) -> None:
    await with_ada.apply(batch_of([organization("northwind", name="Northwind Group")]))
    path = write(
        tmp_path / "c.csv",
        HEADER,
        "Bo,Ek,https://www.linkedin.com/in/bo-ek,,Northwind,,12 Mar 2024",
        "Cy,Ng,https://www.linkedin.com/in/cy-ng,,Northwind Group,,12 Mar 2024",
    )

    report = await import_connections(with_ada, path)

    assert "organization" not in counts(report)
    people = await with_ada.get(Person, ["linkedin:bo-ek", "linkedin:cy-ng"])
    assert {p.organization_id for p in people.values()} == {"northwind"}


async def test_importing_the_same_file_again_changes_nothing(
    with_ada: EmbeddedStore, tmp_path: Path
) -> None:
    await with_ada.apply(
        batch_of([person("cy", profile_url="linkedin.com/in/cy-nordstrom-example")])
    )
    path = FIXTURES / "Connections.csv"
    first = await import_connections(with_ada, path)
    after_first = await everything(with_ada)

    again = await import_connections(with_ada, path)

    assert counts(first) == {
        "organization": (3, 0, 0, 0),
        "person": (3, 1, 0, 0),
        "interaction": (4, 0, 0, 0),
    }
    assert counts(again) == {"person": (0, 0, 4, 0), "interaction": (0, 0, 4, 0)}
    assert await everything(with_ada) == after_first


async def test_a_rejected_line_changes_nothing(with_ada: EmbeddedStore, tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv",
        HEADER,
        "Bo,Ek,https://www.linkedin.com/in/bo-ek,,Only Bo Works Here,CMO,12 Mrz 2024",
        "Cy,Ng,https://www.linkedin.com/in/cy-ng,,Northwind,,12 Mar 2024",
    )
    before = await everything(with_ada)

    report = await import_connections(with_ada, path)

    assert not report.ok
    assert [(p.record, p.field, p.value) for p in report.problems] == [
        (f"{path} line 5", "Connected On", "12 Mrz 2024")
    ]
    assert counts(report)["person"] == (1, 0, 0, 1)
    assert await with_ada.get(Person, ["linkedin:bo-ek"]) == {}
    assert await with_ada.get(Organization, ["only-bo-works-here"]) == {}
    assert len((await everything(with_ada))["person"]) == len(before["person"]) + 1


async def test_a_row_naming_the_member_is_rejected_alone(
    with_ada: EmbeddedStore, tmp_path: Path
) -> None:
    await with_ada.apply(batch_of([person("ada", name="Ada Lind", email="ada@example.org")]))
    path = write(
        tmp_path / "c.csv",
        HEADER,
        "Ada,Lind,,ADA@example.org,,,12 Mar 2024",
        "Bo,Ek,https://www.linkedin.com/in/bo-ek,,,,12 Mar 2024",
    )

    report = await import_connections(with_ada, path)

    assert [(p.record, p.field, p.value) for p in report.problems] == [
        (f"{path} line 5", "Email Address", "ADA@example.org")
    ]
    assert "--member ada" in report.problems[0].reason
    assert counts(report)["interaction"] == (1, 0, 0, 0)


async def test_a_url_several_known_people_have_is_rejected_as_ambiguous(
    with_ada: EmbeddedStore, tmp_path: Path
) -> None:
    url = "https://www.linkedin.com/in/bo-ek"
    await with_ada.apply(
        batch_of([person("bo", profile_url=url), person("bo2", profile_url=url + "/")])
    )
    path = write(tmp_path / "c.csv", HEADER, f"Bo,Ek,{url},,,,12 Mar 2024")

    report = await import_connections(with_ada, path)

    (problem,) = report.problems
    assert (problem.field, problem.value) == ("URL", url)
    assert "bo, bo2" in problem.reason
    assert await with_ada.tie("ada", "bo") is None


async def test_a_connection_stored_with_another_date_rejects_only_its_row(
    with_ada: EmbeddedStore, tmp_path: Path
) -> None:
    first = write(
        tmp_path / "old.csv", HEADER, "Bo,Ek,https://www.linkedin.com/in/bo-ek,,,,12 Mar 2024"
    )
    await import_connections(with_ada, first)
    second = write(
        tmp_path / "new.csv",
        HEADER,
        "Bo,Ek,https://www.linkedin.com/in/bo-ek,,,,13 Mar 2024",
        "Cy,Ng,https://www.linkedin.com/in/cy-ng,,,,13 Mar 2024",
    )

    report = await import_connections(with_ada, second)

    (problem,) = report.problems
    assert (problem.record, problem.field, problem.value) == (
        f"{second} line 5",
        "Connected On",
        "13 Mar 2024",
    )
    assert "2024-03-12" in problem.reason
    assert await with_ada.tie("ada", "linkedin:cy-ng") is not None


async def test_both_sides_exporting_their_connection_record_it_once(
    with_ada: EmbeddedStore, tmp_path: Path
) -> None:
    await with_ada.apply(
        batch_of(
            [person("ada", name="Ada Lind", profile_url="https://www.linkedin.com/in/ada-lind")]
        )
    )
    adas = write(
        tmp_path / "ada.csv", HEADER, "Bo,Ek,https://www.linkedin.com/in/bo-ek,,,,12 Mar 2024"
    )
    await import_connections(with_ada, adas)
    bos = write(
        tmp_path / "bo.csv", HEADER, "Ada,Lind,https://linkedin.com/in/ada-lind,,,,12 Mar 2024"
    )

    report = await import_files(with_ada, [bos], file_format="linkedin", member="linkedin:bo-ek")

    assert counts(report) == {"person": (0, 0, 1, 0), "interaction": (0, 0, 1, 0)}
    tie = await with_ada.tie("ada", "linkedin:bo-ek")
    assert tie is not None
    assert tie.count == 1


async def test_one_person_listed_twice_with_other_details_is_rejected_the_second_time(
    with_ada: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "c.csv",
        HEADER,
        "Bo,Ek,https://www.linkedin.com/in/bo-ek,,,CMO,12 Mar 2024",
        "Bo,Ek,https://www.linkedin.com/in/bo-ek/,,,CEO,12 Mar 2024",
    )

    report = await import_connections(with_ada, path)

    assert [(p.record, p.field) for p in report.problems] == [(f"{path} line 6", "URL")]
    assert f"{path} line 5 names the same person" in report.problems[0].reason
    assert (await with_ada.get(Person, ["linkedin:bo-ek"]))["linkedin:bo-ek"].title == "CMO"


async def test_the_member_must_be_stored(embedded: EmbeddedStore, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", HEADER, "Bo,Ek,,,,,12 Mar 2024")

    with pytest.raises(UnknownTarget, match="--member 'ada': no person has this id"):
        await import_connections(embedded, path)
    assert set((await embedded.counts()).values()) == {0}


async def test_a_dry_run_resolves_and_counts_but_writes_nothing(
    with_ada: EmbeddedStore, tmp_path: Path
) -> None:
    before = await everything(with_ada)

    report = await import_connections(with_ada, FIXTURES / "Connections.csv", dry_run=True)

    assert report.ok, report.problems
    assert counts(report)["interaction"] == (4, 0, 0, 0)
    assert await everything(with_ada) == before


async def test_resolving_reads_rejected_rows_through_unchanged(with_ada: EmbeddedStore) -> None:
    rejected = Rejected("c.csv line 9", "person", (Problem("c.csv line 9", "URL", "x", "bad"),))

    results = await connection_records(with_ada, [rejected], member_id="ada")

    assert results == Resolved([rejected], [])


# -- matching by name and organization ------------------------------------------------------


@pytest.fixture
async def with_carl(with_ada: EmbeddedStore) -> EmbeddedStore:
    """Ada, and Carl Ek of Acme Bank, known without a profile URL or an e-mail."""
    await with_ada.apply(
        batch_of(
            [
                organization("acme", name="Acme Bank"),
                person("carl", name="Carl Ek", organization_id="acme"),
            ]
        )
    )
    return with_ada


async def people_ids(store: GraphStore) -> set[str]:
    return {p.id for p in (await everything(store))["person"]}


async def test_a_known_person_without_url_or_email_is_matched_by_name_at_their_organization(
    with_carl: EmbeddedStore, tmp_path: Path
) -> None:
    url = "https://www.linkedin.com/in/carl-ek"
    path = write(tmp_path / "c.csv", HEADER, f"CARL,  ek,{url},,ACME bank,CFO,12 Mar 2024")

    report = await import_connections(with_carl, path)

    assert report.ok, report.problems
    assert await people_ids(with_carl) == {"ada", "carl"}
    assert (await with_carl.get(Person, ["carl"]))["carl"] == Person(
        id="carl", name="Carl Ek", title="CFO", organization_id="acme", profile_url=url
    )
    assert await with_carl.tie("ada", "carl") is not None
    assert report.identifications() == {Identification.NAME_AND_ORGANIZATION: 1}
    (identified,) = report.identities
    assert (identified.label, identified.person_id, identified.organization_id) == (
        f"{path} line 5",
        "carl",
        "acme",
    )


async def test_two_known_people_of_the_name_at_the_organization_are_reported_never_guessed(
    with_carl: EmbeddedStore, tmp_path: Path
) -> None:
    await with_carl.apply(batch_of([person("carl2", name="carl ek", organization_id="acme")]))
    path = write(tmp_path / "c.csv", HEADER, "Carl,Ek,,,Acme Bank,CFO,12 Mar 2024")
    before = await everything(with_carl)

    report = await import_connections(with_carl, path)

    assert not report.ok
    (problem,) = report.problems
    assert (problem.record, problem.field, problem.value) == (
        f"{path} line 5",
        "First Name",
        "Carl Ek",
    )
    assert "(carl, carl2)" in problem.reason
    assert "nobody merged, nobody created" in problem.reason
    assert counts(report) == {"person": (0, 0, 0, 1)}
    assert report.identifications() == {Identification.AMBIGUOUS: 1}
    assert report.identities[0].candidates == ("carl", "carl2")
    assert await everything(with_carl) == before


async def test_the_same_name_at_another_organization_or_at_none_is_a_new_person(
    with_carl: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "c.csv",
        HEADER,
        "Carl,Ek,https://www.linkedin.com/in/carl-ek-nw,,Northwind,,12 Mar 2024",
        "Carl,Ek,https://www.linkedin.com/in/carl-ek-free,,,,12 Mar 2024",
    )

    report = await import_connections(with_carl, path)

    assert report.ok, report.problems
    assert await people_ids(with_carl) == {
        "ada",
        "carl",
        "linkedin:carl-ek-nw",
        "linkedin:carl-ek-free",
    }
    assert await with_carl.tie("ada", "carl") is None
    assert report.identifications() == {Identification.NEW: 2}


async def test_accents_count_in_a_name(with_carl: EmbeddedStore, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", HEADER, "Ćarl,Ek,,,Acme Bank,,12 Mar 2024")

    report = await import_connections(with_carl, path)

    assert report.identifications() == {Identification.NEW: 1}
    assert await with_carl.tie("ada", "carl") is None


async def test_a_known_person_with_another_profile_url_is_not_matched_by_name(
    with_carl: EmbeddedStore, tmp_path: Path
) -> None:
    carl = person(
        "carl", name="Carl Ek", organization_id="acme", profile_url="linkedin.com/in/carl-ek"
    )
    await with_carl.apply(batch_of([carl]))
    path = write(
        tmp_path / "c.csv",
        HEADER,
        "Carl,Ek,https://www.linkedin.com/in/carl-ek-2,,Acme Bank,,12 Mar 2024",
    )

    report = await import_connections(with_carl, path)

    assert report.identifications() == {Identification.NEW: 1}
    assert (await with_carl.get(Person, ["carl"]))["carl"] == carl


async def test_two_rows_of_one_name_that_would_both_be_one_known_person_are_ambiguous(
    with_carl: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "c.csv",
        HEADER,
        "Carl,Ek,https://www.linkedin.com/in/carl-ek,,Acme Bank,,12 Mar 2024",
        "Carl,Ek,https://www.linkedin.com/in/carl-ek-2,,Acme Bank,,12 Mar 2024",
    )

    report = await import_connections(with_carl, path)

    assert [p.record for p in report.problems] == [f"{path} line 5", f"{path} line 6"]
    assert all("only carl is known" in p.reason for p in report.problems)
    assert report.identifications() == {Identification.AMBIGUOUS: 2}
    assert await people_ids(with_carl) == {"ada", "carl"}


async def test_the_member_is_never_matched_by_name(
    with_carl: EmbeddedStore, tmp_path: Path
) -> None:
    await with_carl.apply(batch_of([person("ada", name="Ada Lind", organization_id="acme")]))
    path = write(tmp_path / "c.csv", HEADER, "Ada,Lind,,,Acme Bank,,12 Mar 2024")

    report = await import_connections(with_carl, path)

    assert report.ok, report.problems
    assert report.identifications() == {Identification.NEW: 1}


async def test_without_name_matching_a_row_that_only_a_name_would_match_is_a_new_person(
    with_carl: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(tmp_path / "c.csv", HEADER, "Carl,Ek,,,Acme Bank,CFO,12 Mar 2024")

    report = await import_connections(with_carl, path, match_names=False)

    assert report.ok, report.problems
    new_id = linkedin_person_id(name="Carl Ek", email=None, profile_url=None)
    assert await people_ids(with_carl) == {"ada", "carl", new_id}
    assert (await with_carl.get(Person, [new_id]))[new_id].organization_id == "acme"
    assert report.identifications() == {Identification.NEW: 1}


async def test_a_person_an_earlier_import_created_is_matched_by_id_before_any_name(
    with_carl: EmbeddedStore, tmp_path: Path
) -> None:
    path = write(tmp_path / "c.csv", HEADER, "Carl,Ek,,,Acme Bank,CFO,12 Mar 2024")
    await import_connections(with_carl, path, match_names=False)
    after_first = await everything(with_carl)

    again = await import_connections(with_carl, path)

    assert again.ok, again.problems
    assert again.identifications() == {Identification.EARLIER_IMPORT: 1}
    assert await everything(with_carl) == after_first


async def test_importing_again_after_matching_by_name_changes_nothing(
    with_carl: EmbeddedStore, tmp_path: Path
) -> None:
    await with_carl.apply(batch_of([person("dan", name="Dan Berg", organization_id="acme")]))
    path = write(
        tmp_path / "c.csv",
        HEADER,
        "Carl,Ek,https://www.linkedin.com/in/carl-ek,,Acme Bank,CFO,12 Mar 2024",
        "Dan,Berg,,,Acme Bank,CTO,3 Jan 2023",
    )
    first = await import_connections(with_carl, path)
    after_first = await everything(with_carl)

    again = await import_connections(with_carl, path)

    assert first.identifications() == {Identification.NAME_AND_ORGANIZATION: 2}
    assert again.identifications() == {
        Identification.PROFILE_URL: 1,
        Identification.NAME_AND_ORGANIZATION: 1,
    }
    assert counts(again) == {"person": (0, 0, 2, 0), "interaction": (0, 0, 2, 0)}
    assert await everything(with_carl) == after_first

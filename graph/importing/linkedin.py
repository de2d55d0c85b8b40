"""A member's connections from LinkedIn's data export (``Connections.csv``).

The file: a few lines of notes, a blank line, then the header
``First Name,Last Name,URL,Email Address,Company,Position,Connected On`` and one row per
connection; ``Connected On`` reads like ``12 Mar 2024``. Reading it takes two steps:

1. :func:`parse_linkedin_connections` (pure) reads each row into a :class:`Connection`, or
   rejects it naming the line, the column, the value and the reason.
2. :func:`connection_records` (reads the store, writes nothing) turns connections into records:
   the person (a known one, matched by profile URL, e-mail, the id an earlier import gave, or
   name at their organization; or a new one with an id derived from the file), their
   organization, and one ``connection`` interaction between the member and them at the day
   they connected. A row that cannot be resolved (the member themself, several known people
   with its URL or its name at its organization) is rejected whole: nothing of it is written,
   nobody is merged and no duplicate is created. How each row's person was found is returned
   with the records (:class:`~graph.importing.identity.Resolved`).

A known person keeps everything stored about them; the import only fills in their title,
organization, e-mail and profile URL where those are empty. So re-importing a file, or a newer
export of it, changes nothing that someone wrote by hand. See ``docs/import-formats.md``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import orjson

from graph.domain.batch import ID_PATTERN
from graph.domain.codec import Record, record_id
from graph.domain.errors import Problem
from graph.domain.model import Interaction, InteractionKind, Organization, Person, pair_key
from graph.importing import ParseResult, Rejected, check_record
from graph.importing.csv_table import TableRow, TableSpec, decoded_lines, read_table
from graph.importing.identity import (
    Identification,
    Identified,
    Resolved,
    known_organizations,
    organization_id_for,
    people_by_name_at,
)
from graph.ports import GraphStore, email_key, person_name_key, profile_url_key

__all__ = [
    "CHANNEL",
    "Connection",
    "connection_key",
    "connection_records",
    "linkedin_person_id",
    "organization_id_for",
    "parse_connected_on",
    "parse_linkedin_connections",
    "read_linkedin_connections",
]

CHANNEL = "linkedin"
"""The channel of the connection interactions this import records."""
PERSON_PREFIX = "linkedin:"
KEY_PREFIX = "linkedin:"
_KIND = "person"
"""Rejected rows count as rejected people: a row is one person (and their connection)."""
_LOOKUP_CHUNK = 1_000
R = TypeVar("R", bound=Record)

SPEC = TableSpec(
    kind=_KIND,
    columns={
        "first name": "first_name",
        "last name": "last_name",
        "url": "url",
        "email address": "email",
        "company": "company",
        "position": "position",
        "connected on": "connected_on",
    },
    required=("first_name", "last_name", "connected_on"),
    is_header=lambda named: {"first_name", "last_name"} <= named,
    expected="First Name,Last Name,URL,Email Address,Company,Position,Connected On",
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[ -]([A-Za-z]+)\.?[ -](\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NOT_A_DATE = "must be a date like 12 Mar 2024 (or 2024-03-12)"


@dataclass(frozen=True, slots=True)
class Connection:
    """One row of the export: who the member is connected to, and since when."""

    label: str
    name: str
    profile_url: str | None
    email: str | None
    company: str | None
    position: str | None
    connected_on: date
    connected_on_text: str
    headers: dict[str, str]
    """Each column as the file spells it, for messages."""

    def column(self, own: str) -> str:
        """Return how the file spells the column ``own`` (e.g. ``url`` -> ``URL``)."""
        return self.headers.get(own, own)


def parse_connected_on(text: str) -> date:
    """Read a ``Connected On`` date; raise ``ValueError`` (with the reason) if it is not one.

    >>> parse_connected_on("12 Mar 2024")
    datetime.date(2024, 3, 12)
    >>> parse_connected_on("2024-03-12")
    datetime.date(2024, 3, 12)
    """
    value = text.strip()
    found = _DAY_MONTH_YEAR.fullmatch(value)
    try:
        if found:
            month = _MONTHS.get(found[2].casefold())
            if month is None:
                raise ValueError(NOT_A_DATE)
            return date(int(found[3]), month, int(found[1]))
        if _ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(NOT_A_DATE) from error
    raise ValueError(NOT_A_DATE)


def _text(value: str | None) -> str | None:
    """Return ``value`` in Unicode's composed form (NFC), so one name is spelled one way."""
    return None if value is None else unicodedata.normalize("NFC", value)


def _connection(row: TableRow) -> Connection | Rejected:
    problems: list[Problem] = []
    name = " ".join(
        part for part in (_text(row.get("first_name")), _text(row.get("last_name"))) if part
    )
    if not name:
        problems.append(
            Problem(row.label, row.header("first_name"), "", "a name is required (first or last)")
        )
    url = row.get("url")
    if url is not None and profile_url_key(url) is None:
        problems.append(
            Problem(row.label, row.header("url"), url, "must be an http(s) URL with a path")
        )
    email = row.get("email")
    if email is not None and email_key(email) is None:
        problems.append(Problem(row.label, row.header("email"), email, "must be an e-mail address"))
    connected_text = row.get("connected_on")
    connected_on: date | None = None
    if connected_text is None:
        problems.append(Problem(row.label, row.header("connected_on"), "", "is required"))
    else:
        try:
            connected_on = parse_connected_on(connected_text)
        except ValueError as error:
            problems.append(
                Problem(row.label, row.header("connected_on"), connected_text, str(error))
            )
    if problems or connected_on is None or connected_text is None:
        return Rejected(row.label, _KIND, tuple(problems))
    return Connection(
        label=row.label,
        name=name,
        profile_url=url,
        email=email,
        company=_text(row.get("company")),
        position=_text(row.get("position")),
        connected_on=connected_on,
        connected_on_text=connected_text,
        headers=dict(row.headers),
    )


def parse_linkedin_connections(
    lines: Iterable[str], *, source: str
) -> Iterator[Connection | Rejected]:
    """Yield a :class:`Connection` per row of a LinkedIn ``Connections.csv``, or its rejection.

    ``lines`` are the file's lines with their line endings; the notes before the header are
    skipped; labels read ``<source> line N``. See :func:`graph.importing.csv_table.read_table`
    for how the header is found and rows are split.

    >>> rows = ["Notes:\\n", "\\n", "First Name,Last Name,URL,Connected On\\n",
    ...         "Ada,Lind,https://www.linkedin.com/in/ada-lind,12 Mar 2024\\n"]
    >>> [(c.name, c.label) for c in parse_linkedin_connections(rows, source="c.csv")]
    [('Ada Lind', 'c.csv line 4')]
    """
    for row in read_table(lines, source=source, spec=SPEC):
        yield row if isinstance(row, Rejected) else _connection(row)


def read_linkedin_connections(
    path: Path, *, source: str | None = None
) -> Iterator[Connection | Rejected]:
    """Stream a ``Connections.csv`` through :func:`parse_linkedin_connections`.

    ``source`` defaults to the path as given. Raises ``OSError`` if the file cannot be read.
    """
    yield from parse_linkedin_connections(
        decoded_lines(path), source=str(path) if source is None else source
    )


# ---------------------------------------------------------------------------------------------
# Ids: the same file always gives the same ids.


def _digest(*parts: str | None) -> str:
    return hashlib.sha1(orjson.dumps(list(parts)), usedforsecurity=False).hexdigest()


def linkedin_person_id(*, name: str, email: str | None, profile_url: str | None) -> str:
    """Derive the id of a person first met in a LinkedIn export.

    ``linkedin:`` and the slug of a ``linkedin.com/in/<slug>`` profile URL (percent-decoded);
    otherwise ``linkedin:`` and the first 16 hex digits of the SHA-1 of the JSON array
    ``[profile URL key or null, name, e-mail key or null]``.

    >>> linkedin_person_id(name="Ada Lind", email=None,
    ...                    profile_url="https://www.linkedin.com/in/ada-lind/")
    'linkedin:ada-lind'
    """
    url_key = None if profile_url is None else profile_url_key(profile_url)
    if url_key is not None:
        parts = urlsplit(url_key)
        segments = parts.path.split("/")
        if parts.hostname == "linkedin.com" and len(segments) == 3 and segments[1] == "in":
            candidate = PERSON_PREFIX + unquote(segments[2])
            if ID_PATTERN.fullmatch(candidate):
                return candidate
    email_text = None if email is None else email_key(email)
    return PERSON_PREFIX + _digest(url_key, name, email_text)[:16]


def connection_key(a: str, b: str) -> str:
    """Return the key of the connection between two people: the same whichever side exports.

    ``linkedin:`` and the SHA-1 (hex) of the JSON array of both ids in sorted order.

    >>> connection_key("bo", "ann") == connection_key("ann", "bo")
    True
    """
    return KEY_PREFIX + _digest(*pair_key(a, b))


# ---------------------------------------------------------------------------------------------
# Resolving connections against the store.


@dataclass(slots=True)
class _Known:
    """What the store holds that the connections of one file may name."""

    by_url: dict[str, list[Person]]
    by_email: dict[str, list[Person]]
    by_id: dict[str, Person]
    organizations: dict[str, str]
    """Organization id by the id its name derives to, for every stored organization."""
    interactions: dict[str, Interaction]


async def _known(store: GraphStore, connections: Sequence[Connection]) -> _Known:
    urls = sorted({c.profile_url for c in connections if c.profile_url})
    emails = sorted({c.email for c in connections if c.email})
    people: dict[str, Person] = {}
    for start in range(0, max(len(urls), len(emails)), _LOOKUP_CHUNK):
        end = start + _LOOKUP_CHUNK
        people.update(
            await store.people_by_contact(emails=emails[start:end], profile_urls=urls[start:end])
        )
    by_url: dict[str, list[Person]] = defaultdict(list)
    by_email: dict[str, list[Person]] = defaultdict(list)
    for person in sorted(people.values(), key=lambda p: p.id):
        url_key = None if person.profile_url is None else profile_url_key(person.profile_url)
        if url_key is not None:
            by_url[url_key].append(person)
        address = None if person.email is None else email_key(person.email)
        if address is not None:
            by_email[address].append(person)
    return _Known(
        by_url=by_url,
        by_email=by_email,
        by_id={},
        organizations=await known_organizations(store),
        interactions={},
    )


@dataclass(frozen=True, slots=True)
class _Match:
    """The known person a row names, and how they were found."""

    person: Person
    how: Identification
    organization_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Ambiguity:
    """Why a row names nobody for sure: the problem to report and the people it may mean."""

    problem: Problem
    identified: Identified


def _matched(connection: Connection, known: _Known) -> _Match | _Ambiguity | None:
    """Return the known person a connection names (by URL, else by e-mail), or why it is
    ambiguous; ``None`` when nobody matches."""
    keyed = (
        ("url", connection.profile_url, profile_url_key, known.by_url),
        ("email", connection.email, email_key, known.by_email),
    )
    for column, value, key_of, index in keyed:
        if value is None:
            continue
        key = key_of(value)
        people = index.get(key, []) if key is not None else []
        how = Identification.PROFILE_URL if column == "url" else Identification.EMAIL
        if len(people) == 1:
            return _Match(people[0], how)
        if len(people) > 1:
            ids = tuple(p.id for p in people)
            what = "profile URL" if column == "url" else "e-mail"
            return _Ambiguity(
                Problem(
                    connection.label,
                    connection.column(column),
                    value,
                    f"several known people have this {what} ({', '.join(ids)}); cannot tell"
                    " which one it is",
                ),
                Identified(
                    connection.label,
                    Identification.AMBIGUOUS,
                    connection.name,
                    None,
                    candidates=ids,
                ),
            )
    return None


def _stored_organization(connection: Connection, known: _Known) -> str | None:
    """Return the id of the stored organization the connection's company is, if any."""
    if connection.company is None:
        return None
    return known.organizations.get(organization_id_for(connection.company))


def _other_profile(person: Person, connection: Connection) -> bool:
    """Whether a known person has a profile URL, and the connection another one: then they
    are someone else of the same name (a person has one profile)."""
    if person.profile_url is None or connection.profile_url is None:
        return False
    return profile_url_key(person.profile_url) != profile_url_key(connection.profile_url)


async def _matched_by_name(
    store: GraphStore,
    connections: Sequence[Connection],
    unmatched: dict[int, str],
    known: _Known,
    member_id: str,
) -> dict[int, _Match | _Ambiguity]:
    """Match the rows nobody was found for (``unmatched``: their would-be ids by index) by
    name at the stored organization of their company; one lookup per thousand rows.

    A stored person counts when they are not the member and have no other profile URL than
    the row. Exactly one left is a match, unless other rows of the file (other people by
    their URL, e-mail or name) come to the same person: then, as with two or more left, every
    such row is ambiguous and reported.
    """
    wanted: dict[int, str] = {}
    for index in unmatched:
        organization_id = _stored_organization(connections[index], known)
        if organization_id is not None:
            wanted[index] = organization_id
    if not wanted:
        return {}
    found = await people_by_name_at(
        store, ((connections[i].name, org) for i, org in wanted.items())
    )
    candidates: dict[int, list[Person]] = {}
    for index, organization_id in wanted.items():
        connection = connections[index]
        key = person_name_key(connection.name)
        people = found.get((key, organization_id), []) if key is not None else []
        people = [p for p in people if p.id != member_id and not _other_profile(p, connection)]
        if people:
            candidates[index] = people
    claims: dict[str, set[str]] = defaultdict(set)
    for index, people in candidates.items():
        if len(people) == 1:
            claims[people[0].id].add(unmatched[index])
    decided: dict[int, _Match | _Ambiguity] = {}
    for index, people in candidates.items():
        connection = connections[index]
        organization_id = wanted[index]
        if len(people) == 1 and len(claims[people[0].id]) == 1:
            decided[index] = _Match(
                people[0], Identification.NAME_AND_ORGANIZATION, organization_id
            )
            continue
        ids = tuple(p.id for p in people)
        if len(people) > 1:
            reason = f"several known people at {organization_id} have this name ({', '.join(ids)})"
        else:
            reason = (
                f"other rows name someone else of this name at {organization_id}, and only"
                f" {ids[0]} is known"
            )
        decided[index] = _Ambiguity(
            Problem(
                connection.label,
                connection.column("first_name"),
                connection.name,
                f"{reason}; cannot tell which one it is, so nothing of this row was imported"
                " (nobody merged, nobody created): add the profile URL or e-mail to the right"
                " person, or import with --no-name-match to add a new person",
            ),
            Identified(
                connection.label,
                Identification.AMBIGUOUS,
                connection.name,
                None,
                organization_id=organization_id,
                candidates=ids,
            ),
        )
    return decided


def _filled(person: Person, connection: Connection, organization_id: str | None) -> Person:
    """Return a known person with the connection's details where theirs are empty."""
    return replace(
        person,
        title=person.title if person.title is not None else connection.position,
        organization_id=(
            person.organization_id if person.organization_id is not None else organization_id
        ),
        email=person.email if person.email is not None else connection.email,
        profile_url=person.profile_url
        if person.profile_url is not None
        else connection.profile_url,
    )


_COLUMN_OF_FIELD = {
    "name": "first_name",
    "title": "position",
    "email": "email",
    "profile_url": "url",
    "organization_id": "company",
}


async def connection_records(
    store: GraphStore,
    rows: Iterable[Connection | Rejected],
    *,
    member_id: str,
    match_names: bool = True,
) -> Resolved:
    """Turn a file's connections of ``member_id`` into records, each with its row's label,
    and say how the person of each row was found.

    Per row: the organization of its company (only when no stored organization has its id or
    a name that derives to it, and once per file), the person (known, with empty details
    filled in, or new), and the ``connection`` interaction. The known person is the one with
    the row's profile URL, else its e-mail, else the id an earlier import of the row gave,
    else (with ``match_names``) the only one of the row's name at the stored organization of
    its company. Rows that cannot be resolved (among them ambiguous ones) are rejected whole.
    Reads the store; writes nothing.
    """
    results: list[ParseResult] = []
    identities: list[Identified] = []
    connections: list[Connection] = []
    for row in rows:
        if isinstance(row, Rejected):
            results.append(row)
        else:
            connections.append(row)
    if not connections:
        return Resolved(results, identities)
    known = await _known(store, connections)
    decided: dict[int, _Match | _Ambiguity] = {}
    for index, connection in enumerate(connections):
        found = _matched(connection, known)
        if found is not None:
            decided[index] = found
    derived = {
        index: linkedin_person_id(
            name=connection.name, email=connection.email, profile_url=connection.profile_url
        )
        for index, connection in enumerate(connections)
        if index not in decided
    }
    known.by_id = await _stored(store, Person, set(derived.values()))
    for index, person_id in derived.items():
        earlier = known.by_id.get(person_id)
        if earlier is not None:
            decided[index] = _Match(earlier, Identification.EARLIER_IMPORT)
    if match_names:
        unmatched = {i: pid for i, pid in derived.items() if i not in decided}
        decided.update(await _matched_by_name(store, connections, unmatched, known, member_id))
    matched = {i: d for i, d in decided.items() if isinstance(d, _Match)}
    new_ids = {i: pid for i, pid in derived.items() if i not in decided}
    person_ids = {**{i: m.person.id for i, m in matched.items()}, **new_ids}
    keys = {i: connection_key(member_id, pid) for i, pid in person_ids.items()}
    known.interactions = await _stored(store, Interaction, set(keys.values()))

    emitted_organizations: set[str] = set()
    emitted: dict[tuple[str, str], tuple[Record, str]] = {}
    for index, connection in enumerate(connections):
        found = decided.get(index)
        if isinstance(found, _Ambiguity):
            results.append(Rejected(connection.label, _KIND, (found.problem,)))
            identities.append(found.identified)
            continue
        person = None if found is None else found.person
        records = _records_of(
            connection,
            known,
            person=person,
            person_id=person_ids[index],
            key=keys[index],
            member_id=member_id,
        )
        if isinstance(records, Rejected):
            results.append(records)
            continue
        checked = _checked(connection, records, emitted)
        if isinstance(checked, Rejected):
            results.append(checked)
            continue
        identities.append(
            Identified(
                connection.label,
                Identification.NEW if found is None else found.how,
                connection.name,
                person_ids[index],
                organization_id=None if found is None else found.organization_id,
            )
        )
        for record in checked:
            if isinstance(record, Organization):
                if record.id in emitted_organizations:
                    continue
                emitted_organizations.add(record.id)
            else:
                emitted[_identity(record)] = (record, connection.label)
            results.append((record, connection.label))
    return Resolved(results, identities)


def _identity(record: Record) -> tuple[str, str]:
    return type(record).__name__, record_id(record)


async def _stored(store: GraphStore, kind: type[R], ids: set[str]) -> dict[str, R]:
    wanted = sorted(ids)
    found: dict[str, R] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        found.update(await store.get(kind, wanted[start : start + _LOOKUP_CHUNK]))
    return found


def _records_of(
    connection: Connection,
    known: _Known,
    *,
    person: Person | None,
    person_id: str,
    key: str,
    member_id: str,
) -> list[Record] | Rejected:
    """Return the organization (if new), the person (``person`` if known, else a new one with
    ``person_id``) and the connection (``key``) of one row."""
    records: list[Record] = []
    organization_id: str | None = None
    if connection.company is not None:
        derived = organization_id_for(connection.company)
        organization_id = known.organizations.get(derived)
        if organization_id is None:
            organization_id = derived
            records.append(Organization(id=derived, name=connection.company))
    if person is not None:
        if person.id == member_id:
            column = "url" if connection.profile_url is not None else "email"
            value = connection.profile_url or connection.email
            return Rejected(
                connection.label,
                _KIND,
                (
                    Problem(
                        connection.label,
                        connection.column(column),
                        value,
                        f"is the member's own (--member {member_id}); one cannot connect to"
                        " oneself",
                    ),
                ),
            )
        person = _filled(person, connection, organization_id)
    else:
        person = Person(
            id=person_id,
            name=connection.name,
            title=connection.position,
            organization_id=organization_id,
            email=connection.email,
            profile_url=connection.profile_url,
        )
    records.append(person)
    at = datetime(
        connection.connected_on.year,
        connection.connected_on.month,
        connection.connected_on.day,
        tzinfo=UTC,
    )
    interaction = Interaction(
        key=key,
        at=at,
        kind=InteractionKind.CONNECTION,
        participant_ids=pair_key(member_id, person.id),
        channel=CHANNEL,
    )
    stored = known.interactions.get(interaction.key)
    if stored is not None and stored != interaction:
        return Rejected(
            connection.label,
            _KIND,
            (
                Problem(
                    connection.label,
                    connection.column("connected_on"),
                    connection.connected_on_text,
                    "this connection is already stored with other values (connected on"
                    f" {stored.at.date().isoformat()}, key {stored.key})",
                ),
            ),
        )
    records.append(interaction)
    return records


def _checked(
    connection: Connection,
    records: list[Record],
    emitted: dict[tuple[str, str], tuple[Record, str]],
) -> list[Record] | Rejected:
    """Return the records of a row that the domain accepts and that agree with earlier rows;
    else the row's rejection. Records that repeat an earlier row's exactly are left out."""
    problems: list[Problem] = []
    kept: list[Record] = []
    for record in records:
        for problem in check_record(record, connection.label):
            field = problem.field
            if isinstance(record, Organization):
                field = "company"
            problems.append(
                Problem(
                    problem.record,
                    connection.column(_COLUMN_OF_FIELD.get(field, field)),
                    problem.value,
                    problem.reason,
                )
            )
        earlier = emitted.get(_identity(record)) if not isinstance(record, Organization) else None
        if earlier is None:
            kept.append(record)
        elif earlier[0] != record:
            what = "connection" if isinstance(record, Interaction) else "person"
            problems.append(
                Problem(
                    connection.label,
                    connection.column("url" if connection.profile_url else "first_name"),
                    connection.profile_url or connection.name,
                    f"{earlier[1]} names the same {what} with other values",
                )
            )
    if problems:
        return Rejected(connection.label, _KIND, tuple(problems))
    return kept

"""Who a row of another tool's export is: what the LinkedIn and meeting-report imports share.

An export names people by what it knows of them (a profile URL, an e-mail, a name, a company),
never by tiegraph's ids. Each import looks for the stored person in its own order (see
``docs/import-formats.md``) and records, per row, how it found them as an :class:`Identified`,
so the import's report can say which rows were matched by name and organization (the one
match a reader may want to check) and which were ambiguous.

The rule for names: a stored person matches a row's name at an organization when their names
have the same :func:`~graph.ports.person_name_key` and they work at the organization the row's
company resolves to (see :func:`known_organizations`); the match counts only when exactly one
stored person is left. Two or more is ambiguous: the row is reported and never guessed.
"""

from __future__ import annotations

import enum
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from graph.domain.model import Organization, Person
from graph.importing import ParseResult
from graph.ports import GraphStore, email_key, person_name_key

__all__ = [
    "Identification",
    "Identified",
    "Resolved",
    "known_organizations",
    "organization_id_for",
    "people_by_name_at",
]

_LOOKUP_CHUNK = 1_000
"""Names per ``store.people_by_name`` call."""
_SLUG_SEPARATORS = re.compile(r"[\W_]+")


class Identification(enum.StrEnum):
    """How the person of a row was found, in the order a report lists them."""

    PROFILE_URL = "matched by profile URL"
    EMAIL = "matched by e-mail"
    EARLIER_IMPORT = "matched by the id an earlier import gave"
    GROUP_NAME = "matched by name in the meeting's group"
    NAME_AND_ORGANIZATION = "matched by name and organization"
    NEW = "new person"
    AMBIGUOUS = "ambiguous: rejected, nobody merged or created"


@dataclass(frozen=True, slots=True)
class Identified:
    """How the person of one row was found: by what, who (``None`` when ambiguous), and for a
    match by name the organization; for an ambiguous row, the people it may mean."""

    label: str
    how: Identification
    name: str | None
    person_id: str | None
    organization_id: str | None = None
    candidates: tuple[str, ...] = ()

    def __str__(self) -> str:
        """Say it in one line, like a problem: ``<label>: <name> -> <id> (<how>)``."""
        who = self.person_id if self.person_id is not None else ", ".join(self.candidates)
        at = f" at {self.organization_id}" if self.organization_id is not None else ""
        return f"{self.label}: {self.name!r}{at} -> {who} ({self.how})"


@dataclass(frozen=True, slots=True)
class Resolved:
    """What an export's rows became: records and rejections, as a parser yields them, and how
    the person of each row was found (rows rejected for other reasons are not in it)."""

    results: list[ParseResult]
    identities: list[Identified]


def _digest(*parts: str | None) -> str:
    return hashlib.sha1(orjson.dumps(list(parts)), usedforsecurity=False).hexdigest()


def organization_id_for(name: str) -> str:
    """Derive an organization's id from its name: folded case, compatibility forms (NFKC),
    every run of other characters than letters and digits as one ``-``.

    >>> organization_id_for("  Acme Bank AB ")
    'acme-bank-ab'
    >>> organization_id_for("Åhléns & Co.")
    'åhléns-co'
    """
    slug = _SLUG_SEPARATORS.sub("-", unicodedata.normalize("NFKC", name).casefold()).strip("-")
    if not slug:
        return "org-" + _digest(name)[:16]
    if len(slug) > 200:
        return slug[:183] + "-" + _digest(name)[:16]
    return slug


async def known_organizations(store: GraphStore) -> dict[str, str]:
    """Return every stored organization's id by the id its name derives to (and by its own).

    So a company in an export resolves to the stored organization of that name however it is
    spelled (``ACME bank`` and ``Acme Bank`` both derive to ``acme-bank``). Reads every
    organization once, a page at a time.
    """
    found: dict[str, str] = {}
    after: str | None = None
    while True:
        page = await store.list_records(Organization, first=1_000, after=after)
        for organization in page.items:
            found.setdefault(organization_id_for(organization.name), organization.id)
        if not page.has_next or not page.items:
            break
        after = page.items[-1].id
    # An organization stored under the derived id is that organization, whatever its name.
    for organization_id in list(found.values()):
        found[organization_id] = organization_id
    return found


async def people_by_name_at(
    store: GraphStore, names: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[Person]]:
    """Return the stored people called each ``(name, organization id)``, in id order, by the
    pair's ``(name key, organization id)``; pairs nobody matches are left out.

    Asks the store in chunks of a thousand pairs, sorted by organization so that each
    organization's people are read as few times as possible.
    """
    keyed = ((organization_id, person_name_key(name)) for name, organization_id in names)
    wanted = sorted({(org, key) for org, key in keyed if key is not None})
    found: dict[tuple[str, str], list[Person]] = defaultdict(list)
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        asked = set(chunk)
        people = await store.people_by_name([(key, org) for org, key in chunk])
        for person in sorted(people.values(), key=lambda p: p.id):
            key = person_name_key(person.name)
            org = person.organization_id
            if key is not None and org is not None and (org, key) in asked:
                found[key, org].append(person)
    return dict(found)


async def people_by_email(store: GraphStore, emails: Iterable[str]) -> dict[str, list[Person]]:
    """Return the stored people who have any of ``emails``, by normalized address, each list
    in id order (two people may share an address: the caller decides)."""
    wanted = sorted(set(emails))
    stored = await store.people_by_contact(emails=wanted) if wanted else {}
    found: dict[str, list[Person]] = defaultdict(list)
    for person in sorted(stored.values(), key=lambda p: p.id):
        address = None if person.email is None else email_key(person.email)
        if address is not None:
            found[address].append(person)
    return found


def people_by_name(people: Iterable[Person]) -> dict[str, list[Person]]:
    """Return ``people`` by the form their names are matched by (:func:`person_name_key`)."""
    found: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        found[person_name_key(person.name) or ""].append(person)
    return found

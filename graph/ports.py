"""The one storage port: what tiegraph asks of a store, in domain words.

Two adapters implement it, :mod:`graph.adapters.embedded` (SQLite on local disk plus an in-memory
graph) and :mod:`graph.adapters.neo4j` (a Neo4j server or cluster). Both pass the same contract
suite in ``tests/contract``. Use cases depend on this module only, never on an adapter.
"""

from __future__ import annotations

import abc
import asyncio
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar
from urllib.parse import quote, unquote, urlsplit

from graph.domain.batch import WriteBatch, WriteSummary, validate_batch
from graph.domain.changes import ChangePage
from graph.domain.codec import Record
from graph.domain.deadline import Deadline
from graph.domain.erasure import ErasureReceipt
from graph.domain.errors import InvalidInput, Problem
from graph.domain.model import (
    Attendance,
    Breakout,
    Interaction,
    InteractionKind,
    Introduction,
    Meeting,
    Membership,
    Person,
    SideConversation,
    Tie,
    pair_key,
)
from graph.domain.paths import Path, Strategy
from graph.domain.relationship import stretches_of
from graph.domain.strength import StrengthModel
from graph.domain.ties import ties_from_history

__all__ = [
    "MAX_PAGE",
    "GraphStore",
    "GroupContacts",
    "Page",
    "PeopleQuery",
    "TieContext",
    "batch_of",
    "check_page_size",
    "email_key",
    "name_keys_by_organization",
    "person_name_key",
    "profile_url_key",
]

T = TypeVar("T")
R = TypeVar("R", bound=Record)

MAX_PAGE = 1_000
"""The most records one page may hold."""


def check_page_size(first: int) -> int:
    """Return ``first`` if it is a page size a store serves; raise ``InvalidInput`` if not.

    >>> check_page_size(20)
    20
    """
    if not 0 <= first <= MAX_PAGE:
        raise InvalidInput([Problem("page", "first", first, f"must be 0-{MAX_PAGE}")])
    return first


_NOT_AN_ADDRESS = re.compile(r"[\s,;<>]")
_PATH_KEEPS = "/:@!$&'()*+,;=-._~"
"""Characters a URL path may hold as they are (RFC 3986); any other is written %XX."""


def email_key(address: str) -> str | None:
    """Return the form e-mail addresses are matched by (trimmed, lower case); ``None`` if
    ``address`` is not one: nothing before or after its last ``@``, or white space, a comma, a
    semicolon or an angle bracket in it (a list of addresses, or a name and an address).

    >>> email_key("  Ada.Lind@Example.COM ")
    'ada.lind@example.com'
    >>> email_key("not an address") is None
    True
    """
    key = address.strip().lower()
    local, at, domain = key.rpartition("@")
    if not (local and at and domain) or _NOT_AN_ADDRESS.search(key):
        return None
    return key


def profile_url_key(url: str) -> str | None:
    """Return the form profile URLs are matched by; ``None`` if ``url`` is not an http(s) URL
    with a host and a path.

    The key is ``https://<host><path>``: ``http`` and ``https`` count as one; the host in lower
    case without ``www.``, a port or a trailing dot (and any ``*.linkedin.com``, e.g. a country
    site, as ``linkedin.com``); the path as it is, percent-encoded one canonical way, without
    trailing slashes. A missing scheme means ``https``; the query and the fragment do not count.
    The path keeps its case. Applying it to a key gives the key back.

    >>> profile_url_key("HTTP://WWW.LinkedIn.com/in/ada-lind/?trk=people")
    'https://linkedin.com/in/ada-lind'
    >>> profile_url_key("se.linkedin.com/in/j%c3%b6rg")
    'https://linkedin.com/in/j%C3%B6rg'
    """
    text = url.strip()
    if not text:
        return None
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    if host.startswith("www.") and "." in host[4:]:  # www.com is a site of its own
        host = host[4:]
    if host.endswith(".linkedin.com"):
        host = "linkedin.com"
    path = quote(unquote(parts.path), safe=_PATH_KEEPS).rstrip("/")
    if not host or not path:
        return None
    return f"https://{host}{path}"


def person_name_key(name: str) -> str | None:
    """Return the form people's names are matched by; ``None`` if ``name`` is blank.

    Compatibility forms folded (NFKC: a full-width letter, a ligature or a decomposed accent
    reads as the usual letter), case folded, every run of white space one space, none around.
    Accents and other marks are kept, as in organization ids: ``Ćarl`` is not ``Carl``, ``Öberg``
    is not ``Oberg``. Hyphens and other punctuation count. Applying it to a key gives the key back.

    >>> person_name_key("  Carl\u00a0  EK ")
    'carl ek'
    >>> person_name_key("C\u0301arl Ek") == person_name_key("Ćarl Ek") != person_name_key("Carl Ek")
    True
    """
    # Folding case can leave a string that NFKC would change again (e.g. a capital with a
    # combining mark), so normalise before and after, as Unicode's NFKC_Casefold does.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    key = " ".join(folded.split())
    return key or None


def name_keys_by_organization(names: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Return the keys of ``(name, organization id)`` pairs by organization; blank names are
    left out. What a store's :meth:`GraphStore.people_by_name` looks for.

    >>> name_keys_by_organization([("Carl Ek", "acme"), ("carl  EK", "acme"), (" ", "bank")])
    {'acme': {'carl ek'}}
    """
    wanted: dict[str, set[str]] = {}
    for name, organization_id in names:
        key = person_name_key(name)
        if key is not None:
            wanted.setdefault(organization_id, set()).add(key)
    return wanted


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of an id-ordered listing: ``items``, how many match in all, and whether more follow.

    Pages are keyset-paginated: pass the last item's id (or key) as ``after`` for the next.
    """

    items: list[T]
    total: int
    has_next: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PeopleQuery:
    """Filters for finding people; every given filter must match (case-insensitive).

    ``name`` matches a part of the name; the others match a whole value (``interest`` matches
    one of the person's interests).
    """

    name: str | None = None
    interest: str | None = None
    profession: str | None = None
    industry: str | None = None
    organization_id: str | None = None
    location: str | None = None
    discoverable_only: bool = False


@dataclass(frozen=True, slots=True)
class GroupContacts:
    """What a group's keep-in-touch figures need from its members' interactions.

    Small next to the members' histories: only the interactions among the members, and for
    each member the groups they reached, counted where the interactions are stored.
    """

    shared: tuple[Interaction, ...]
    """Interactions in which at least two of the members took part, by time then key."""
    groups_reached: dict[str, frozenset[str]]
    """Each member's reach: the groups (active memberships) of the people, besides themselves
    and the hidden ones, they had direct contact with (any interaction but a meeting) after
    the window opened; every member has an entry."""
    first_at: datetime | None
    """The earliest interaction of any member or hidden person; ``None`` if they have none."""


@dataclass(frozen=True, slots=True)
class TieContext:
    """A tie seen from one of its people, with the neighbourhood its embeddedness comes from."""

    tie: Tie
    other_id: str
    shared_contacts: int
    """People both have a tie with."""
    degree: int
    """How many ties the person asked about has."""
    other_degree: int
    shared_groups: int
    """Groups both are members of."""


class GraphStore(abc.ABC):
    """A durable store of tiegraph's records and of the ties between people.

    Writes go through :meth:`apply`, all or nothing; reads return domain records. Every
    method may raise :class:`~graph.domain.errors.StoreUnavailable` when the backend cannot be
    reached.
    """

    backend: str
    """A short name of the backend, e.g. ``embedded`` or ``neo4j``."""
    model: StrengthModel
    """How the store scores ties as interactions arrive (fixed for the store's lifetime)."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect, create what the store needs (schema, constraints) and load caches."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections and files; the store can be opened again."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Return when the store answers; raise ``StoreUnavailable`` otherwise."""

    async def apply(self, batch: WriteBatch) -> WriteSummary:
        """Write every record of ``batch`` in one transaction, or nothing at all.

        Records are upserted by id; interactions (and the interactions that meetings,
        breakouts, side conversations and met introductions leave behind) are stored once per
        key and update the ties between their participants. Raises ``InvalidInput`` (naming
        record, field, value and reason) or ``Conflict``; then nothing has changed.
        """
        validate_batch(batch)
        if not len(batch):
            return WriteSummary()
        return await self._apply(batch)

    @abc.abstractmethod
    async def _apply(self, batch: WriteBatch) -> WriteSummary:
        """Apply a validated, non-empty batch atomically (see :meth:`apply`)."""

    @abc.abstractmethod
    async def get(self, kind: type[R], ids: Collection[str]) -> dict[str, R]:
        """Return the stored records of ``kind`` among ``ids``, by id; unknown ids are left out.

        For memberships and attendance the id is ``"<group or meeting id>|<person id>"``; for
        interactions it is the key.
        """

    @abc.abstractmethod
    async def list_records(self, kind: type[R], *, first: int, after: str | None = None) -> Page[R]:
        """Return records of ``kind`` in id order, ``first`` at most, after the id ``after``."""

    @abc.abstractmethod
    async def people_by_contact(
        self, *, emails: Collection[str] = (), profile_urls: Collection[str] = ()
    ) -> dict[str, Person]:
        """Return the stored people whose e-mail is one of ``emails`` or whose profile URL is
        one of ``profile_urls``, by id.

        Addresses match by :func:`email_key` (case and surrounding spaces do not count), URLs by
        :func:`profile_url_key` (scheme and host case, ``www.``, a trailing slash, the query do
        not count), on both sides; a given value that is neither matches nobody. Several people
        may share an address or a URL: all of them are returned.
        """

    @abc.abstractmethod
    async def people_by_name(self, names: Collection[tuple[str, str]]) -> dict[str, Person]:
        """Return the stored people who have one of ``names``, each a pair ``(name,
        organization id)``: the person's name matches by :func:`person_name_key` and their
        organization is that organization. By id.

        Several people may share a name at one organization: all of them are returned (the
        caller decides what an ambiguous name means). A blank name matches nobody. Only the
        people of the given organizations are read, never every person.
        """

    @abc.abstractmethod
    async def search_people(
        self, query: PeopleQuery, *, first: int, after: str | None = None
    ) -> Page[Person]:
        """Return the people matching ``query`` in id order."""

    @abc.abstractmethod
    async def memberships(
        self,
        *,
        group_ids: Collection[str] | None = None,
        person_ids: Collection[str] | None = None,
        accepted_only: bool = True,
    ) -> list[Membership]:
        """Return the memberships of the given groups and/or people, by group then person.

        Only active ones (accepted, or enrolled directly) unless ``accepted_only`` is false:
        an invitation must grant nobody anything, so every reader gets that by default.
        """

    @abc.abstractmethod
    async def meetings_of(self, group_ids: Collection[str]) -> list[Meeting]:
        """Return the meetings of the given groups, in time order."""

    @abc.abstractmethod
    async def attendance(
        self,
        *,
        meeting_ids: Collection[str] | None = None,
        person_ids: Collection[str] | None = None,
    ) -> list[Attendance]:
        """Return attendance at the given meetings and/or by the given people."""

    @abc.abstractmethod
    async def breakouts_of(self, meeting_ids: Collection[str]) -> list[Breakout]:
        """Return the breakouts of the given meetings, by meeting then id."""

    @abc.abstractmethod
    async def side_conversations_of(self, person_id: str) -> list[SideConversation]:
        """Return the side conversations a person took part in, in time order."""

    @abc.abstractmethod
    async def introductions_of(self, person_id: str) -> list[Introduction]:
        """Return the introductions a person requested, made or was introduced in, by id."""

    @abc.abstractmethod
    async def interactions_of(
        self,
        person_id: str,
        *,
        other_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Interaction]:
        """Return a person's interactions (with ``other_id`` only, if given) in time order.

        ``since`` is inclusive, ``until`` exclusive; ties in time are ordered by key.
        """

    @abc.abstractmethod
    async def tie(self, a: str, b: str) -> Tie | None:
        """Return the tie between two people, or ``None`` if they never interacted."""

    @abc.abstractmethod
    async def ties_of(self, person_ids: Collection[str]) -> dict[str, list[Tie]]:
        """Return each given person's ties, ordered by the other person's id."""

    async def ties_as_of(self, person_ids: Collection[str], at: datetime) -> dict[str, list[Tie]]:
        """Return each person's ties as they stood at ``at``: ties formed after it are left
        out, and ties with contact after it are recomputed from their history up to it.

        Built on :meth:`ties_of` and :meth:`interactions_of`: one history read per person
        whose ties changed after ``at`` (none for "now").
        """
        found = await self.ties_of(person_ids)
        just_after = at + timedelta(microseconds=1)
        out: dict[str, list[Tie]] = {}
        for person_id, ties in found.items():
            kept = [t for t in ties if t.first_at <= at]
            if any(t.last_at > at for t in kept):
                history = await self.interactions_of(person_id, until=just_after)
                then = ties_from_history(history, self.model)
                kept = [t if t.last_at <= at else then[(t.a, t.b)] for t in kept]
            out[person_id] = kept
        return out

    async def group_contacts(
        self,
        member_ids: Collection[str],
        *,
        hidden: Collection[str] = (),
        after: datetime,
        until: datetime,
    ) -> GroupContacts:
        """Return what a group's keep-in-touch figures need from its members' interactions
        before ``until`` (exclusive); reach counts direct contact after ``after`` (exclusive).

        ``hidden`` people are never someone a member reached. Built on :meth:`interactions_of`
        and :meth:`memberships`, one whole history per member: a store that can count where
        the interactions are stored does much better.
        """
        members = frozenset(member_ids)
        unseen = frozenset(hidden)
        everything: dict[str, Interaction] = {}
        for person_id in sorted(members | unseen):
            for i in await self.interactions_of(person_id, until=until):
                everything[i.key] = i
        shared: list[Interaction] = []
        reached: dict[str, set[str]] = {m: set() for m in members}
        for i in everything.values():
            people = frozenset(i.participant_ids)
            present = people & members
            if len(present) > 1:
                shared.append(i)
            if i.kind is not InteractionKind.MEETING and i.at > after:
                for member in present:
                    reached[member] |= people - unseen - {member}
        others = sorted({p for people in reached.values() for p in people})
        groups: dict[str, set[str]] = {p: set() for p in others}
        for m in await self.memberships(person_ids=others) if others else []:
            groups[m.person_id].add(m.group_id)
        return GroupContacts(
            shared=tuple(sorted(shared, key=lambda i: (i.at, i.key))),
            groups_reached={
                m: frozenset(g for p in people for g in groups[p]) for m, people in reached.items()
            },
            first_at=min((i.at for i in everything.values()), default=None),
        )

    async def direct_contacts(
        self, pairs: Collection[tuple[str, str]], *, after: datetime, until: datetime
    ) -> dict[tuple[str, str], int]:
        """Count each pair's direct contacts (interactions but meetings that both took part in)
        after ``after`` and before ``until`` (both exclusive), keyed by the pair in id order;
        pairs without any are left out.

        Built on :meth:`interactions_of`, one shared history per pair: a store that can count
        where the interactions are stored does better.
        """
        counted: dict[tuple[str, str], int] = {}
        for a, b in sorted({pair_key(a, b) for a, b in pairs if a != b}):
            history = await self.interactions_of(a, other_id=b, since=after, until=until)
            direct = [i for i in history if i.kind is not InteractionKind.MEETING]
            count = sum(1 for i in direct if i.at > after)
            if count:
                counted[(a, b)] = count
        return counted

    async def pair_tie_stretches(
        self, a: str, b: str, *, ends: Sequence[datetime], until: datetime
    ) -> list[Tie | None]:
        """Return what the pair's interactions before ``until`` (exclusive) add up to in each
        stretch of time: the k-th tie from those after ``ends[k - 1]`` (from the first, for
        k = 0) up to ``ends[k]`` inclusive, ``None`` for a stretch without any
        (:func:`graph.domain.relationship.stretches_of`). ``ends`` ascend.

        A series of the pair's strength needs only these, one small tie per point. Built on
        :meth:`interactions_of`, the pair's whole shared history: a store that can fold where
        the interactions are stored does better.
        """
        history = await self.interactions_of(a, other_id=b, until=until)
        return stretches_of(history, a, b, ends, self.model)

    async def ties_between(
        self, pairs: Collection[tuple[str, str]], at: datetime | None = None
    ) -> dict[tuple[str, str], Tie]:
        """Return the ties between the given pairs of people as they stand now, or as they
        stood at ``at``, keyed by the pair in id order (pairs without a tie are left out).

        Built on :meth:`ties_of` (:meth:`ties_as_of`) over everyone in the pairs; a store that
        can read just those ties does better when one of them has thousands.
        """
        wanted = {(a, b) if a < b else (b, a) for a, b in pairs if a != b}
        people = sorted({p for pair in wanted for p in pair})
        found = await (self.ties_of(people) if at is None else self.ties_as_of(people, at))
        return {(t.a, t.b): t for ties in found.values() for t in ties if (t.a, t.b) in wanted}

    @abc.abstractmethod
    async def tie_contexts(
        self, person_id: str, others: Collection[str] | None = None
    ) -> list[TieContext]:
        """Return a person's ties (only those with ``others``, if given), by the other's id,
        each with what its embeddedness needs: shared contacts, both degrees, shared groups."""

    async def tie_contexts_among(self, person_ids: Sequence[str]) -> list[TieContext]:
        """Return the ties among ``person_ids`` (each tie once, seen from the person whose id
        sorts first), each with what its embeddedness needs, as :meth:`tie_contexts` tells.

        One reading for a group's pairs; this default asks :meth:`tie_contexts` once per
        person, side by side."""
        ordered = sorted(set(person_ids))
        found = await asyncio.gather(
            *(
                self.tie_contexts(pid, ordered[index + 1 :])
                for index, pid in enumerate(ordered[:-1])
            )
        )
        return [context for contexts in found for context in contexts]

    @abc.abstractmethod
    async def introduction_paths(
        self,
        source: str,
        target: str,
        *,
        max_hops: int,
        first: int,
        strategy: Strategy,
        min_link_strength: float,
        at: datetime,
        kinds: Collection[InteractionKind] | None = None,
        deadline: Deadline | None = None,
    ) -> list[Path]:
        """Return the best paths between two people through ties, as
        :func:`graph.domain.paths.best_paths` ranks them, searched where the data lives.

        A link's strength is :func:`graph.domain.relationship.link_strength` at ``at`` (pass
        "now": contact recorded after ``at`` counts as if at ``at``; for a past moment, search
        over :meth:`ties_as_of`), above 0 for every tie; links weaker than
        ``min_link_strength`` are not used, nor ties either person blocked, nor people who do
        not consent to be intermediaries (inside a path), and no path holds two people one of
        whom blocked the other. ``kinds``, if given, only uses ties
        with at least one interaction of those kinds. A search in this process stops with
        :class:`~graph.domain.errors.BudgetExceeded` past ``deadline`` and never holds up the
        event loop; a store that searches in a database server has the server stop the search
        at ``deadline`` and raises the same.
        """

    @abc.abstractmethod
    async def distance(
        self,
        source: str,
        target: str,
        *,
        limit: int,
        kinds: Collection[InteractionKind] | None = None,
    ) -> int | None:
        """Return the fewest ties between two people (0 for the same person), ``None`` if they
        are not connected within ``limit`` hops. Consent and blocks do not apply: this is
        about the graph, not about introductions."""

    @abc.abstractmethod
    async def shortest_paths(
        self,
        source: str,
        target: str,
        *,
        limit: int,
        kinds: Collection[InteractionKind] | None = None,
    ) -> list[tuple[str, ...]]:
        """Return every shortest path (of at most ``limit`` hops) between two different
        people, as the people on it, in order of those sequences; ``[]`` if none."""

    @abc.abstractmethod
    async def neighbourhood(
        self,
        person_id: str,
        *,
        max_hops: int,
        kinds: Collection[InteractionKind] | None = None,
    ) -> dict[str, int]:
        """Return everyone within ``max_hops`` ties of a person (not the person), with their
        distance."""

    @abc.abstractmethod
    async def changes_since(self, cursor: int | None, *, limit: int) -> ChangePage:
        """Return up to ``limit`` logged changes after ``cursor``, oldest first.

        Every batch logs its changes (:mod:`graph.domain.changes`) in the transaction that
        makes them, numbered in the order the transactions committed: a reader that asks again
        with the returned cursor misses none and sees none twice, whichever process wrote them.
        ``None`` (or ``limit`` 0) returns no changes and the latest sequence: where to start
        to see only what comes next. Sequences are never reused, even after
        :meth:`delete_everything`.
        """

    @abc.abstractmethod
    async def prune_changes(self, *, before: datetime) -> int:
        """Remove logged changes written before ``before``; return how many went."""

    @abc.abstractmethod
    async def counts(self) -> dict[str, int]:
        """Return how many records of each kind are stored, and how many ties (``tie``)."""

    @abc.abstractmethod
    async def erase_person(self, person_id: str, *, by: str, at: datetime) -> ErasureReceipt:
        """Erase a person and every attribution to them (see :mod:`graph.domain.erasure`).

        One transaction; leaves an audit record with when, ``by`` whom and how many records,
        never who. Logged changes that name the person go too. Erasing an unknown or already
        erased person changes nothing.
        """

    @abc.abstractmethod
    async def delete_everything(self) -> None:
        """Remove every record and tie. For tests and demos; never called by the service."""


def batch_of(records: Sequence[Record]) -> WriteBatch:
    """Put records of any kinds into one batch, in the order given.

    >>> from graph.domain.model import Organization
    >>> len(batch_of([Organization(id="o1", name="Acme")]))
    1
    """
    batch = WriteBatch()
    for record in records:
        batch.add(record)
    return batch

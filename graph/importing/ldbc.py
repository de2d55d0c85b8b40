"""The LDBC Social Network Benchmark's Interactive v1 graph, read into tiegraph's records.

The input is the "CsvBasic" layout of the LDBC SNB Interactive v1 data generator: a folder
holding ``dynamic/*_0_0.csv`` and ``static/*_0_0.csv``, ``|``-separated, a header on the first
line, instants as Unix epoch milliseconds. The mapping (also in ``docs/import-formats.md``):

- a tag some person is interested in -> :class:`Interest` (id: its name in lower case);
- a company some person works at now (latest ``workFrom``) -> :class:`Organization`;
- a person -> :class:`Person` named ``"<firstName> <lastName>"``, with their first e-mail
  address, their city as ``location``, that company as ``organization_id`` and the names of the
  tags they are interested in as ``interests``;
- a forum -> :class:`Group` named by its title, led by its moderator, starting on its creation
  date; each ``hasMember`` -> :class:`Membership` joined on the join date (the leader role for
  the moderator);
- ``person_knows_person`` -> one ``connection`` :class:`Interaction` per pair, at its creation
  date, keyed ``ldbc:knows:<smaller id>:<larger id>``;
- a comment replying to a post or a comment written by someone else -> a ``message``
  interaction from the comment's author to the author replied to, at the comment's creation
  date, on channel ``reply-to-post`` or ``reply-to-comment``, keyed ``ldbc:reply:<comment id>``.
  Replies to oneself are left out: an interaction needs two different people.

Keys use ``:`` because ``|`` is reserved for the keys tiegraph derives itself. Everything is
read and checked before the first batch is produced; a malformed line raises
:class:`~graph.domain.errors.InvalidInput` naming the file, the line and the column. The records
then go through the one write path, :meth:`~graph.ports.GraphStore.apply`, in reference order
(organizations, interests, people, groups, memberships, interactions) and in batches; loading
the same folder again changes nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from graph.domain.batch import WriteBatch, WriteSummary
from graph.domain.codec import Record
from graph.domain.errors import InvalidInput, Problem
from graph.domain.model import (
    Group,
    Interaction,
    InteractionKind,
    Interest,
    Membership,
    MembershipRole,
    Organization,
    Person,
)
from graph.ports import GraphStore

__all__ = [
    "REPLY_TO_COMMENT",
    "REPLY_TO_POST",
    "connection_key",
    "interest_id",
    "ldbc_batches",
    "ldbc_records",
    "load_ldbc",
    "reply_key",
]

REPLY_TO_POST = "reply-to-post"
"""The channel of a message interaction that comes from a comment replying to a post."""
REPLY_TO_COMMENT = "reply-to-comment"
"""The channel of a message interaction that comes from a comment replying to a comment."""
DEFAULT_BATCH_SIZE = 5_000
_MIN_CAPACITY = 8
_MAX_CAPACITY = 1_000
_LDBC_ID = re.compile(r"0|[1-9]\d{0,18}")
_MILLISECONDS = re.compile(r"-?\d{1,13}")
_YEAR = re.compile(r"\d{4}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WHOLE_LINE = "(line)"
_HEADER = "(header)"


@dataclass(frozen=True, slots=True)
class _Table:
    """One CSV file of the layout: where it is and the header it must have."""

    path: str
    columns: tuple[str, ...]


_PERSON = _Table(
    "dynamic/person_0_0.csv",
    (
        "id",
        "firstName",
        "lastName",
        "gender",
        "birthday",
        "creationDate",
        "locationIP",
        "browserUsed",
        "language",
        "email",
    ),
)
_PERSON_CITY = _Table("dynamic/person_isLocatedIn_place_0_0.csv", ("Person.id", "Place.id"))
_PERSON_INTEREST = _Table("dynamic/person_hasInterest_tag_0_0.csv", ("Person.id", "Tag.id"))
_PERSON_WORK = _Table(
    "dynamic/person_workAt_organisation_0_0.csv", ("Person.id", "Organisation.id", "workFrom")
)
_KNOWS = _Table("dynamic/person_knows_person_0_0.csv", ("Person.id", "Person.id", "creationDate"))
_FORUM = _Table("dynamic/forum_0_0.csv", ("id", "title", "creationDate"))
_FORUM_MODERATOR = _Table("dynamic/forum_hasModerator_person_0_0.csv", ("Forum.id", "Person.id"))
_FORUM_MEMBER = _Table(
    "dynamic/forum_hasMember_person_0_0.csv", ("Forum.id", "Person.id", "joinDate")
)
_POST_CREATOR = _Table("dynamic/post_hasCreator_person_0_0.csv", ("Post.id", "Person.id"))
_COMMENT = _Table(
    "dynamic/comment_0_0.csv",
    ("id", "creationDate", "locationIP", "browserUsed", "content", "length"),
)
_COMMENT_CREATOR = _Table("dynamic/comment_hasCreator_person_0_0.csv", ("Comment.id", "Person.id"))
_REPLY_OF_POST = _Table("dynamic/comment_replyOf_post_0_0.csv", ("Comment.id", "Post.id"))
_REPLY_OF_COMMENT = _Table("dynamic/comment_replyOf_comment_0_0.csv", ("Comment.id", "Comment.id"))
_TAG = _Table("static/tag_0_0.csv", ("id", "name", "url"))
_PLACE = _Table("static/place_0_0.csv", ("id", "name", "url", "type"))
_ORGANISATION = _Table("static/organisation_0_0.csv", ("id", "type", "name", "url"))


def interest_id(name: str) -> str:
    """Return the id of the interest a tag name stands for: the name in lower case, words
    joined by dashes.

    >>> interest_id("Hamid_Karzai")
    'hamid_karzai'
    """
    return "-".join(name.casefold().split())


def connection_key(a: str, b: str) -> str:
    """Return the key of the connection two people declared: the same whichever comes first.

    >>> connection_key("933", "143")
    'ldbc:knows:143:933'
    """
    low, high = sorted((a, b), key=int)
    return f"ldbc:knows:{low}:{high}"


def reply_key(comment_id: str) -> str:
    """Return the key of the message interaction a reply comment leaves behind.

    >>> reply_key("206158430246")
    'ldbc:reply:206158430246'
    """
    return f"ldbc:reply:{comment_id}"


class _Malformed(Exception):
    """One thing wrong with one line; the table reader collects these and raises them together."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True, slots=True)
class _Row:
    """One data line of a table: where it is, and its cells."""

    table: _Table
    number: int
    cells: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.table.path} line {self.number}"

    def fail(self, column: int, reason: str) -> _Malformed:
        name = f"{self.table.columns[column]} (column {column + 1})"
        return _Malformed(Problem(self.label, name, self.cells[column], reason))

    def ldbc_id(self, column: int) -> str:
        value = self.cells[column]
        if not _LDBC_ID.fullmatch(value):
            raise self.fail(column, "must be an LDBC id: a whole number >= 0, no leading zeros")
        return value

    def known(self, column: int, ids: Container[str], what: str) -> str:
        value = self.ldbc_id(column)
        if value not in ids:
            raise self.fail(column, f"no {what} has this id")
        return value

    def text(self, column: int) -> str:
        value = self.cells[column]
        if not value.strip():
            raise self.fail(column, "must not be empty")
        return value

    def instant(self, column: int) -> datetime:
        value = self.cells[column]
        if not _MILLISECONDS.fullmatch(value):
            raise self.fail(column, "must be a time in Unix epoch milliseconds")
        at = _EPOCH + timedelta(milliseconds=int(value))
        if not 1900 <= at.year <= 2200:
            raise self.fail(column, "must be between the years 1900 and 2200")
        return at

    def year(self, column: int) -> int:
        value = self.cells[column]
        if not _YEAR.fullmatch(value):
            raise self.fail(column, "must be a year")
        return int(value)


@dataclass(slots=True)
class _Reader:
    """Reads the tables of one folder, one at a time, and raises what is wrong with each."""

    root: Path
    _seen: dict[tuple[str, ...], int] = field(default_factory=dict)

    def read(self, table: _Table, handle: Callable[[_Row], None]) -> None:
        """Pass every data line of ``table`` to ``handle``.

        Raises ``InvalidInput`` naming every line that is malformed or that ``handle`` refused
        (by raising ``_Malformed``), after reading the whole table; at once if the file cannot be
        read or its header is not the expected one (no line of it can be trusted then).
        """
        path = self.root / table.path
        problems: list[Problem] = []
        self._seen = {}
        try:
            with path.open("rb") as lines:
                for number, raw in enumerate(lines, start=1):
                    try:
                        row = self._row(table, number, raw)
                        if row is not None:
                            handle(row)
                    except _Malformed as error:
                        if number == 1:
                            raise InvalidInput([error.problem]) from None
                        problems.append(error.problem)
        except OSError as error:
            reason = f"cannot be read: {error.strerror or error}"
            raise InvalidInput([Problem(table.path, "(file)", str(path), reason)]) from error
        if problems:
            raise InvalidInput(problems)

    @staticmethod
    def _row(table: _Table, number: int, raw: bytes) -> _Row | None:
        label = f"{table.path} line {number}"
        try:
            text = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as error:
            shown = raw.decode("utf-8", "replace").rstrip("\r\n")
            raise _Malformed(Problem(label, _WHOLE_LINE, shown, "is not valid UTF-8")) from error
        if number == 1:
            header = tuple(text.removeprefix("\ufeff").split("|"))
            if header != table.columns:
                reason = f"must be the header {'|'.join(table.columns)}"
                raise _Malformed(Problem(label, _HEADER, text, reason))
            return None
        if not text.strip():
            return None
        cells = tuple(text.split("|"))
        if len(cells) != len(table.columns):
            reason = f"has {len(cells)} cells where the header has {len(table.columns)}"
            raise _Malformed(Problem(label, _WHOLE_LINE, text, reason))
        return _Row(table, number, cells)

    def once(self, row: _Row, *columns: int) -> None:
        """Refuse a line whose values in ``columns`` an earlier line of the table already had."""
        values = tuple(row.ldbc_id(c) for c in columns)
        first = self._seen.setdefault(values, row.number)
        if first != row.number:
            raise row.fail(columns[0], f"repeats line {first}")


@dataclass(slots=True)
class _Graph:
    """Every record read, each with the label of the line it comes from, by kind."""

    organizations: list[tuple[Record, str]] = field(default_factory=list)
    interests: list[tuple[Record, str]] = field(default_factory=list)
    people: list[tuple[Record, str]] = field(default_factory=list)
    groups: list[tuple[Record, str]] = field(default_factory=list)
    memberships: list[tuple[Record, str]] = field(default_factory=list)
    interactions: list[tuple[Record, str]] = field(default_factory=list)

    def in_reference_order(self) -> list[tuple[Record, str]]:
        return [
            *self.organizations,
            *self.interests,
            *self.people,
            *self.groups,
            *self.memberships,
            *self.interactions,
        ]


def _named(reader: _Reader, table: _Table, name_column: int) -> dict[str, tuple[str, str]]:
    """Read a static table of named things as ``id -> (name, label of its line)``."""
    found: dict[str, tuple[str, str]] = {}

    def take(row: _Row) -> None:
        reader.once(row, 0)
        found[row.ldbc_id(0)] = (row.text(name_column), row.label)

    reader.read(table, take)
    return found


@dataclass(frozen=True, slots=True)
class _PersonRow:
    name: str
    email: str | None
    label: str


def _read_people(reader: _Reader, graph: _Graph) -> set[str]:
    """Read people, their city, interests and current workplace; return their ids."""
    tags = _named(reader, _TAG, 1)
    places = _named(reader, _PLACE, 1)
    companies = _named(reader, _ORGANISATION, 2)
    people: dict[str, _PersonRow] = {}
    city: dict[str, str] = {}
    interests: dict[str, list[str]] = defaultdict(list)
    interesting: set[str] = set()
    works: dict[str, tuple[int, int, str]] = {}

    def take_person(row: _Row) -> None:
        reader.once(row, 0)
        name = f"{row.text(1).strip()} {row.text(2).strip()}"
        emails = [e.strip() for e in row.cells[9].split(";") if e.strip()]
        people[row.ldbc_id(0)] = _PersonRow(name, emails[0] if emails else None, row.label)

    def take_city(row: _Row) -> None:
        reader.once(row, 0)
        pid = row.known(0, people, "person")
        city[pid] = places[row.known(1, places, "place")][0]

    def take_interest(row: _Row) -> None:
        reader.once(row, 0, 1)
        pid = row.known(0, people, "person")
        tag = row.known(1, tags, "tag")
        interests[pid].append(tags[tag][0])
        interesting.add(tag)

    def take_work(row: _Row) -> None:
        reader.once(row, 0, 1)
        pid = row.known(0, people, "person")
        company = row.known(1, companies, "organisation")
        # The latest workplace is the current one; of two started the same year, the later line.
        works[pid] = max(works.get(pid, (-1, -1, "")), (row.year(2), row.number, company))

    reader.read(_PERSON, take_person)
    reader.read(_PERSON_CITY, take_city)
    reader.read(_PERSON_INTEREST, take_interest)
    reader.read(_PERSON_WORK, take_work)

    for company in sorted({c for _, _, c in works.values()}, key=int):
        name, label = companies[company]
        graph.organizations.append((Organization(id=company, name=name), label))
    interest_ids: set[str] = set()
    for tag in sorted(interesting, key=int):
        name, label = tags[tag]
        iid = interest_id(name)
        if iid not in interest_ids:  # tags whose names differ only in case are one interest
            interest_ids.add(iid)
            graph.interests.append((Interest(id=iid, name=name), label))
    for pid, row in people.items():
        work = works.get(pid)
        person = Person(
            id=pid,
            name=row.name,
            email=row.email,
            location=city.get(pid),
            organization_id=work[2] if work else None,
            interests=tuple(interests.get(pid, ())),
        )
        graph.people.append((person, row.label))
    return set(people)


def _read_forums(reader: _Reader, graph: _Graph, people: set[str]) -> None:
    """Read forums as groups led by their moderators, and their members."""
    forums: dict[str, tuple[str, date, str]] = {}
    moderators: dict[str, str] = {}
    members: list[tuple[Membership, str]] = []
    count: dict[str, int] = defaultdict(int)

    def take_forum(row: _Row) -> None:
        reader.once(row, 0)
        forums[row.ldbc_id(0)] = (row.text(1), row.instant(2).date(), row.label)

    def take_moderator(row: _Row) -> None:
        reader.once(row, 0)
        forum = row.known(0, forums, "forum")
        moderators[forum] = row.known(1, people, "person")

    def take_member(row: _Row) -> None:
        reader.once(row, 0, 1)
        forum = row.known(0, forums, "forum")
        pid = row.known(1, people, "person")
        role = MembershipRole.LEADER if moderators.get(forum) == pid else MembershipRole.MEMBER
        joined = row.instant(2).date()
        membership = Membership(group_id=forum, person_id=pid, role=role, joined_on=joined)
        members.append((membership, row.label))
        count[forum] += 1

    reader.read(_FORUM, take_forum)
    reader.read(_FORUM_MODERATOR, take_moderator)
    reader.read(_FORUM_MEMBER, take_member)
    for forum, (title, created, label) in forums.items():
        group = Group(
            id=forum,
            name=title,
            leader_id=moderators.get(forum),
            capacity=min(_MAX_CAPACITY, max(_MIN_CAPACITY, count[forum])),
            starts_on=created,
        )
        graph.groups.append((group, label))
    graph.memberships.extend(members)


def _read_knows(reader: _Reader, graph: _Graph, people: set[str]) -> None:
    """Read who knows whom as declared connections, one per pair."""
    pairs: dict[str, int] = {}

    def take(row: _Row) -> None:
        a = row.known(0, people, "person")
        b = row.known(1, people, "person")
        if a == b:
            raise row.fail(1, "is the same person as in column 1")
        key = connection_key(a, b)
        first = pairs.setdefault(key, row.number)
        if first != row.number:
            raise row.fail(0, f"repeats the pair of line {first}")
        connection = Interaction(
            key=key,
            at=row.instant(2),
            kind=InteractionKind.CONNECTION,
            participant_ids=(a, b),
        )
        graph.interactions.append((connection, row.label))

    reader.read(_KNOWS, take)


def _read_replies(reader: _Reader, graph: _Graph, people: set[str]) -> None:
    """Read comments replying to someone else's post or comment as messages between the two."""
    post_author: dict[str, str] = {}
    comment_at: dict[str, datetime] = {}
    comment_author: dict[str, str] = {}
    replies: list[tuple[str, str, str, str]] = []  # comment, replied-to author, channel, label

    def take_post(row: _Row) -> None:
        reader.once(row, 0)
        post_author[row.ldbc_id(0)] = row.known(1, people, "person")

    def take_comment(row: _Row) -> None:
        reader.once(row, 0)
        comment_at[row.ldbc_id(0)] = row.instant(1)

    def take_author(row: _Row) -> None:
        reader.once(row, 0)
        comment = row.known(0, comment_at, "comment")
        comment_author[comment] = row.known(1, people, "person")

    replied: dict[str, int] = {}

    def reply_to(authors: dict[str, str], what: str, channel: str) -> Callable[[_Row], None]:
        def take(row: _Row) -> None:
            comment = row.known(0, comment_author, "comment with an author")
            other = authors[row.known(1, authors, f"{what} with an author")]
            first = replied.setdefault(comment, row.number)
            if first != row.number:
                raise row.fail(0, "replies to something else already")
            replies.append((comment, other, channel, row.label))

        return take

    reader.read(_POST_CREATOR, take_post)
    reader.read(_COMMENT, take_comment)
    reader.read(_COMMENT_CREATOR, take_author)
    reader.read(_REPLY_OF_POST, reply_to(post_author, "post", REPLY_TO_POST))
    reader.read(_REPLY_OF_COMMENT, reply_to(comment_author, "comment", REPLY_TO_COMMENT))
    for comment, other, channel, label in replies:
        author = comment_author[comment]
        if author == other:
            continue  # a reply to oneself is no contact between two people
        message = Interaction(
            key=reply_key(comment),
            at=comment_at[comment],
            kind=InteractionKind.MESSAGE,
            participant_ids=(author, other),
            initiator_id=author,
            channel=channel,
        )
        graph.interactions.append((message, label))


def _root(directory: Path) -> Path:
    """Accept the folder holding ``dynamic/`` and ``static/``, or the one holding ``vanilla/``."""
    if not (directory / "dynamic").is_dir() and (directory / "vanilla" / "dynamic").is_dir():
        return directory / "vanilla"
    return directory


def ldbc_records(directory: Path | str) -> list[tuple[Record, str]]:
    """Read an LDBC SNB Interactive v1 folder as tiegraph records in reference order.

    Each record comes with the label of the line it was read from (``"<file> line N"``).
    Raises ``InvalidInput`` naming file, line, column, value and reason for every malformed line
    of the first table that has any (later tables refer to it, so they are not read).
    """
    reader = _Reader(_root(Path(directory)))
    graph = _Graph()
    people = _read_people(reader, graph)
    _read_forums(reader, graph, people)
    _read_knows(reader, graph, people)
    _read_replies(reader, graph, people)
    return graph.in_reference_order()


def ldbc_batches(
    directory: Path | str, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[WriteBatch]:
    """Yield the records of an LDBC folder as write batches of ``batch_size``, references first.

    Pure: reads files, writes nothing. Every file is read and checked (see
    :func:`ldbc_records`) before the first batch is yielded. A batch may hold the last
    records of one kind and the first of the next; a batch applies its kinds in reference order.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    records = ldbc_records(directory)
    for start in range(0, len(records), batch_size):
        batch = WriteBatch()
        for record, label in records[start : start + batch_size]:
            batch.add(record, label)
        yield batch


async def load_ldbc(
    store: GraphStore, directory: Path | str, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> WriteSummary:
    """Load an LDBC folder into ``store`` through :meth:`GraphStore.apply`, batch by batch.

    Returns what the store did, summed over the batches. Nothing is written when a file is
    malformed (``InvalidInput`` is raised first); a store error stops the load after the
    batches already applied, and loading again completes it.
    """
    summary = WriteSummary()
    for batch in ldbc_batches(directory, batch_size=batch_size):
        summary.add(await store.apply(batch))
    return summary

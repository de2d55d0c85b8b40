"""Export a whole store: JSON Lines that ``tiegraph import`` reads back, or GraphML for analysis.

**JSON Lines** (:func:`export_jsonl`) writes the header ``{"type": "tiegraph", "version": 1}``
and then every record the store holds, kind by kind in reference order and by id within a kind,
in the format :mod:`graph.importing.jsonl` reads. Interactions that meetings, breakouts, side
conversations and met introductions leave behind (their keys hold a ``|``, which no given key
can) are left out: importing their sources derives them again. So exporting a store and
importing the file into an empty store gives the same records and the same ties, provided
each derived interaction is what an import derives from its source today. It is not after an
erasure (the derived contacts keep the size of the event they came from), when a meeting's
attendance was recorded in several writes (each pair keeps the attendance count of its own
write), or when a meeting moved after it was attended; the export counts such interactions
(:attr:`ExportSummary.diverging`) so that the caller can say so.

**GraphML** (:func:`export_graphml`) writes people as nodes (with their public profile:
name, title, profession, organization, industry, location, interests, groups) and their ties
as undirected edges with the strength, band, components and decayed score at one moment, the
number of contacts per kind and the first and last contact. Optionally groups and
organizations become nodes too, with membership and employment edges. Every attribute is
declared with a GraphML type (string, int, double), missing values are left out, lists are
joined with ``"; "``, so ``networkx.read_graphml`` and Gephi read the file as written. Node ids
are person ids; group and organization nodes are ``group|<id>`` and ``organization|<id>``
(``|`` never occurs in an id, so they cannot collide with a person).

Both stream to a binary sink page by page (``GraphStore.list_records``), holding in memory only
what they must: for JSON Lines the records that derive interactions (meetings, attendance,
breakouts, side conversations, introductions), for GraphML the people's ids.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Literal, TypeVar
from xml.sax.saxutils import escape, quoteattr

import orjson

from graph.domain.batch import Snapshot, WriteBatch, plan_batch, snapshot_request
from graph.domain.codec import ENTITY_KINDS, Record, encode, format_instant, record_id
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    Interaction,
    Introduction,
    Meeting,
    Membership,
    Organization,
    Person,
    SideConversation,
    Tie,
    pair_key,
)
from graph.domain.relationship import Assessment, assess, embeddedness_of_counts
from graph.domain.ties import ties_from_history
from graph.importing.jsonl import FORMAT_NAME, FORMAT_VERSION
from graph.ports import MAX_PAGE, GraphStore, TieContext

__all__ = [
    "GROUP_NODE_PREFIX",
    "ORGANIZATION_NODE_PREFIX",
    "ExportProgress",
    "ExportSummary",
    "all_records",
    "export_graphml",
    "export_jsonl",
    "is_derived_key",
]

R = TypeVar("R", bound=Record)

ExportProgress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` as the export goes (and once at 0)."""

GROUP_NODE_PREFIX = "group|"
ORGANIZATION_NODE_PREFIX = "organization|"
LIST_SEPARATOR = "; "
"""How list attributes (interests, groups) are joined in GraphML, which has no list type."""

_KIND_NAME: dict[type[Record], str] = {kind: name for name, kind in ENTITY_KINDS.items()}
_JUST_AFTER = timedelta(microseconds=1)
"""Store reads take ``until`` exclusive; a moment's own interactions count at that moment."""


def is_derived_key(key: str) -> bool:
    """Whether an interaction key is one a meeting, breakout, side conversation or met
    introduction derives (``kind|...``): given keys never hold a ``|``.

    >>> is_derived_key("breakout|b1"), is_derived_key("call-1")
    (True, False)
    """
    return "|" in key


@dataclass(slots=True)
class ExportSummary:
    """What an export wrote.

    ``written`` counts records per kind (JSON Lines) or nodes and edges per kind (GraphML:
    ``person``, ``group``, ``organization``, ``tie``, ``membership``, ``employment``).
    """

    format: Literal["jsonl", "graphml"]
    written: dict[str, int] = field(default_factory=dict)
    derived_left_out: int = 0
    """JSON Lines: derived interactions not written, because importing derives them again."""
    diverging: int = 0
    """JSON Lines: derived interactions an import would derive differently (or that it would
    derive although the store does not hold them): the round trip is not exact for these."""
    at: datetime | None = None
    """GraphML: the moment tie strengths were assessed at."""

    @property
    def total(self) -> int:
        """Records (or nodes and edges) written, of every kind."""
        return sum(self.written.values())


async def all_records(
    store: GraphStore, kind: type[R], *, page_size: int = MAX_PAGE
) -> AsyncIterator[list[R]]:
    """Yield every stored record of ``kind``, a page at a time, in id order (keyset paging)."""
    after: str | None = None
    while True:
        page = await store.list_records(kind, first=page_size, after=after)
        if page.items:
            yield page.items
        if not page.has_next or not page.items:
            return
        after = record_id(page.items[-1])


# -- JSON Lines ---------------------------------------------------------------------------------


def _line(record: Record) -> bytes:
    return orjson.dumps({"type": _KIND_NAME[type(record)], **encode(record)}) + b"\n"


@dataclass(slots=True)
class _Sources:
    """The records that derive interactions, kept to tell what an import would derive."""

    meetings: list[Meeting] = field(default_factory=list)
    attendance: list[Attendance] = field(default_factory=list)
    breakouts: list[Breakout] = field(default_factory=list)
    side_conversations: list[SideConversation] = field(default_factory=list)
    introductions: list[Introduction] = field(default_factory=list)

    def keep(self, record: Record) -> None:
        match record:
            case Meeting():
                self.meetings.append(record)
            case Attendance():
                self.attendance.append(record)
            case Breakout():
                self.breakouts.append(record)
            case SideConversation():
                self.side_conversations.append(record)
            case Introduction():
                self.introductions.append(record)
            case _:
                pass

    def derived(self, store: GraphStore) -> dict[str, Interaction]:
        """Return, by key, the interactions importing these records into an empty store
        derives (each meeting's attendance in one write, as an import of this file does)."""
        batch = WriteBatch(
            meetings=self.meetings,
            attendance=self.attendance,
            breakouts=self.breakouts,
            side_conversations=self.side_conversations,
            introductions=self.introductions,
        )
        if not len(batch):
            return {}
        # People and groups are exported too; planning only needs to know that they exist.
        request = snapshot_request(batch)
        snapshot = Snapshot(existing={kind: set(ids) for kind, ids in request.references.items()})
        plan = plan_batch(batch, snapshot, store.model)
        return {i.key: i for i in plan.interactions}


async def export_jsonl(
    store: GraphStore, sink: IO[bytes], *, progress: ExportProgress | None = None
) -> ExportSummary:
    """Write every record of ``store`` to ``sink`` as tiegraph JSON Lines (see the module
    documentation); return what was written, left out, and what would not round-trip."""
    counts = await store.counts()
    total = sum(counts.get(name, 0) for name in ENTITY_KINDS)
    done = 0
    if progress is not None:
        progress(done, total)
    summary = ExportSummary(format="jsonl")
    sink.write(orjson.dumps({"type": FORMAT_NAME, "version": FORMAT_VERSION}) + b"\n")
    sources = _Sources()
    # Introductions come after interactions, but what they derive must be known before.
    async for introductions in all_records(store, Introduction):
        sources.introductions.extend(introductions)
    for name, kind in ENTITY_KINDS.items():
        written = 0
        expected = sources.derived(store) if name == "interaction" else {}
        pages = _chunks(sources.introductions) if kind is Introduction else all_records(store, kind)
        async for page in pages:
            lines = []
            for record in page:
                if isinstance(record, Interaction) and is_derived_key(record.key):
                    summary.derived_left_out += 1
                    if expected.pop(record.key, None) != record:
                        summary.diverging += 1
                    continue
                if kind is not Introduction:
                    sources.keep(record)
                lines.append(_line(record))
            sink.write(b"".join(lines))
            written += len(lines)
            done += len(page)
            if progress is not None:
                progress(done, max(total, done))
        summary.diverging += len(expected)
        if written:
            summary.written[name] = written
    return summary


async def _chunks(records: Sequence[Record]) -> AsyncIterator[list[Record]]:
    """Yield records already in memory in pages, as :func:`all_records` yields stored ones."""
    for start in range(0, len(records), MAX_PAGE):
        yield list(records[start : start + MAX_PAGE])


# -- GraphML ------------------------------------------------------------------------------------

GraphMLType = Literal["string", "int", "double", "boolean"]

_PERSON_KEYS: tuple[tuple[str, GraphMLType], ...] = (
    ("kind", "string"),
    ("label", "string"),
    ("name", "string"),
    ("title", "string"),
    ("profession", "string"),
    ("organization_id", "string"),
    ("organization", "string"),
    ("industry", "string"),
    ("location", "string"),
    ("interests", "string"),
    ("groups", "string"),
)
_GROUP_KEYS: tuple[tuple[str, GraphMLType], ...] = (
    ("theme", "string"),
    ("format", "string"),
    ("capacity", "int"),
    ("starts_on", "string"),
    ("ends_on", "string"),
    ("leader_id", "string"),
)
_TIE_KEYS: tuple[tuple[str, GraphMLType], ...] = (
    ("kind", "string"),
    ("weight", "double"),
    ("strength", "double"),
    ("band", "string"),
    ("score", "double"),
    ("count", "int"),
    ("kinds", "string"),
    ("first_contact", "string"),
    ("last_contact", "string"),
    ("initiated_by_source", "int"),
    ("initiated_by_target", "int"),
    ("recency", "double"),
    ("frequency", "double"),
    ("longevity", "double"),
    ("reciprocity", "double"),
    ("diversity", "double"),
    ("embeddedness", "double"),
)
_MEMBERSHIP_KEYS: tuple[tuple[str, GraphMLType], ...] = (
    ("role", "string"),
    ("joined_on", "string"),
    ("left_on", "string"),
)

# Characters XML 1.0 cannot carry at all; validated text never holds them, but be safe.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Value = str | int | float | bool | None


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same double
    if isinstance(value, int):
        return str(value)
    return escape(_NOT_XML.sub("\ufffd", value), {"\r": "&#13;"})


def _joined(values: Sequence[str]) -> str | None:
    return LIST_SEPARATOR.join(values) if values else None


class _GraphMLWriter:
    """Writes GraphML element by element; keys are declared up front, one per name and scope."""

    def __init__(self, sink: IO[bytes]) -> None:
        self._sink = sink
        self._keys: dict[tuple[str, str], str] = {}
        self._buffer: list[str] = []

    def start(
        self,
        *,
        node_keys: Sequence[tuple[str, GraphMLType]],
        edge_keys: Sequence[tuple[str, GraphMLType]],
        graph_keys: Sequence[tuple[str, GraphMLType]],
    ) -> None:
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            ' xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns'
            ' http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n',
        ]
        for scope, keys in (("graph", graph_keys), ("node", node_keys), ("edge", edge_keys)):
            for name, kind in dict(keys).items():
                key_id = f"{scope[0]}_{name}"
                self._keys[(scope, name)] = key_id
                out.append(
                    f"  <key id={quoteattr(key_id)} for={quoteattr(scope)}"
                    f" attr.name={quoteattr(name)} attr.type={quoteattr(kind)}/>\n"
                )
        out.append('  <graph id="tiegraph" edgedefault="undirected">\n')
        self._sink.write("".join(out).encode("utf-8"))

    def _data(self, scope: str, values: dict[str, Value], indent: str) -> str:
        return "".join(
            f"{indent}<data key={quoteattr(self._keys[(scope, name)])}>{_text(value)}</data>\n"
            for name, value in values.items()
            if value is not None
        )

    def graph_data(self, values: dict[str, Value]) -> None:
        self._buffer.append(self._data("graph", values, "    "))

    def node(self, node_id: str, values: dict[str, Value]) -> None:
        self._buffer.append(
            f"    <node id={quoteattr(node_id)}>\n{self._data('node', values, '      ')}"
            "    </node>\n"
        )

    def edge(self, source: str, target: str, values: dict[str, Value]) -> None:
        self._buffer.append(
            f"    <edge source={quoteattr(source)} target={quoteattr(target)}>\n"
            f"{self._data('edge', values, '      ')}    </edge>\n"
        )

    def flush(self) -> None:
        if self._buffer:
            self._sink.write("".join(self._buffer).encode("utf-8"))
            self._buffer.clear()

    def finish(self) -> None:
        self._buffer.append("  </graph>\n</graphml>\n")
        self.flush()


def _embedded(context: TieContext) -> float:
    """Embeddedness of a tie from its context, as the insights use cases compute it."""
    return embeddedness_of_counts(
        context.shared_contacts,
        context.degree - 1,
        context.other_degree - 1,
        context.shared_groups,
    )


async def _assessed_ties(
    store: GraphStore, person_id: str, at: datetime
) -> list[tuple[Tie, Assessment]]:
    """The person's ties with people of later ids, as they stood at ``at``, each assessed as
    :meth:`graph.usecases.insights.Insights.relationship` assesses it."""
    contexts = [c for c in await store.tie_contexts(person_id) if c.other_id > person_id]
    past: dict[tuple[str, str], Tie] = {}
    if any(c.tie.last_at > at for c in contexts):
        history = await store.interactions_of(person_id, until=at + _JUST_AFTER)
        past = ties_from_history(history, store.model)
    found = []
    for context in contexts:
        tie: Tie | None = context.tie
        if context.tie.last_at > at:
            tie = past.get(pair_key(person_id, context.other_id))
        if tie is not None:
            found.append((tie, assess(tie, at, store.model, embedded=_embedded(context))))
    return found


def _tie_values(tie: Tie, assessment: Assessment) -> dict[str, Value]:
    parts = assessment.components
    kinds = ";".join(f"{kind.value}={n}" for kind, n in sorted(tie.counts.items()) if n)
    return {
        "kind": "tie",
        "weight": assessment.strength,
        "strength": assessment.strength,
        "band": assessment.band.value,
        "score": assessment.score,
        "count": tie.count,
        "kinds": kinds or None,
        "first_contact": format_instant(tie.first_at),
        "last_contact": format_instant(tie.last_at),
        "initiated_by_source": tie.initiated_by_a,
        "initiated_by_target": tie.initiated_by_b,
        "recency": parts.recency,
        "frequency": parts.frequency,
        "longevity": parts.longevity,
        "reciprocity": parts.reciprocity,
        "diversity": parts.diversity,
        "embeddedness": parts.embeddedness,
    }


async def export_graphml(
    store: GraphStore,
    sink: IO[bytes],
    *,
    at: datetime,
    groups: bool = False,
    organizations: bool = False,
    progress: ExportProgress | None = None,
) -> ExportSummary:
    """Write the people of ``store`` and their ties (strength assessed at ``at``) to ``sink``
    as GraphML; with ``groups``/``organizations``, those too (see the module documentation)."""
    if at.tzinfo is None:
        raise ValueError("at needs a time zone")
    at = at.astimezone(UTC)
    counts = await store.counts()
    people_total = counts.get("person", 0)
    total = 2 * people_total
    if groups:
        total += counts.get("group", 0) + counts.get("membership", 0)
    if organizations:
        total += counts.get("organization", 0)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, max(total, done))

    advance(0)
    summary = ExportSummary(format="graphml", at=at)
    written: dict[str, int] = {}
    node_keys = list(_PERSON_KEYS)
    edge_keys = list(_TIE_KEYS)
    if groups:
        node_keys += _GROUP_KEYS
        edge_keys += _MEMBERSHIP_KEYS
    writer = _GraphMLWriter(sink)
    writer.start(node_keys=node_keys, edge_keys=edge_keys, graph_keys=[("at", "string")])
    writer.graph_data({"at": format_instant(at)})

    group_ids: set[str] = set()
    if groups:
        async for group_page in all_records(store, Group):
            for g in group_page:
                group_ids.add(g.id)
                writer.node(
                    GROUP_NODE_PREFIX + g.id,
                    {
                        "kind": "group",
                        "label": g.name,
                        "name": g.name,
                        "theme": g.theme,
                        "format": g.format.value,
                        "capacity": g.capacity,
                        "starts_on": g.starts_on.isoformat() if g.starts_on else None,
                        "ends_on": g.ends_on.isoformat() if g.ends_on else None,
                        "leader_id": g.leader_id,
                    },
                )
            writer.flush()
            written["group"] = written.get("group", 0) + len(group_page)
            advance(len(group_page))
    organization_ids: set[str] = set()
    if organizations:
        async for organization_page in all_records(store, Organization):
            for o in organization_page:
                organization_ids.add(o.id)
                writer.node(
                    ORGANIZATION_NODE_PREFIX + o.id,
                    {
                        "kind": "organization",
                        "label": o.name,
                        "name": o.name,
                        "industry": o.industry,
                    },
                )
            writer.flush()
            written["organization"] = written.get("organization", 0) + len(organization_page)
            advance(len(organization_page))

    people: list[str] = []
    employer: dict[str, str] = {}
    async for page in all_records(store, Person):
        ids = [p.id for p in page]
        memberships: dict[str, list[str]] = {pid: [] for pid in ids}
        for m in await store.memberships(person_ids=ids):
            memberships[m.person_id].append(m.group_id)
        org_ids = sorted({p.organization_id for p in page if p.organization_id})
        orgs = await store.get(Organization, org_ids) if org_ids else {}
        for p in page:
            org = orgs.get(p.organization_id) if p.organization_id else None
            writer.node(
                p.id,
                {
                    "kind": "person",
                    "label": p.name,
                    "name": p.name,
                    "title": p.title,
                    "profession": p.profession,
                    "organization_id": p.organization_id,
                    "organization": org.name if org else None,
                    "industry": p.industry or (org.industry if org else None),
                    "location": p.location,
                    "interests": _joined(p.interests),
                    "groups": _joined(sorted(memberships[p.id])),
                },
            )
            if org is not None and org.id in organization_ids:
                employer[p.id] = org.id
        writer.flush()
        people.extend(ids)
        written["person"] = written.get("person", 0) + len(page)
        advance(len(page))

    if organizations:
        for pid in people:
            if pid in employer:
                writer.edge(pid, ORGANIZATION_NODE_PREFIX + employer[pid], {"kind": "employment"})
        writer.flush()
        if employer:
            written["employment"] = len(employer)
    if groups:
        known = set(people)
        async for memberships_page in all_records(store, Membership):
            for m in memberships_page:
                if m.person_id in known and m.group_id in group_ids:
                    writer.edge(
                        m.person_id,
                        GROUP_NODE_PREFIX + m.group_id,
                        {
                            "kind": "membership",
                            "role": m.role.value,
                            "joined_on": m.joined_on.isoformat() if m.joined_on else None,
                            "left_on": m.left_on.isoformat() if m.left_on else None,
                        },
                    )
                    written["membership"] = written.get("membership", 0) + 1
            writer.flush()
            advance(len(memberships_page))

    known_people = set(people)
    ties = 0
    for pid in people:
        for tie, assessment in await _assessed_ties(store, pid, at):
            if tie.b in known_people:
                writer.edge(tie.a, tie.b, _tie_values(tie, assessment))
                ties += 1
        writer.flush()
        advance(1)
    if ties:
        written["tie"] = ties
    writer.finish()
    summary.written = written
    return summary

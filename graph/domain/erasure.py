"""Erasing a person (GDPR): what goes, what is rewritten without them, for every store alike.

The person's record goes, and so does everything that attributes data to them: memberships,
attendance, introductions, and contacts between them and one other person. Contacts with
several others are kept for those others, with the person taken out (so the others' ties stay
exactly as their remaining history says). Groups they led lose their leader. Their ties go.
Others' block lists forget them. A record kept for others whose key names the person (a
conversation keyed ``call-with-<person>``) is kept under a new, opaque key, so the id is gone
from keys as well as from fields; an interaction a kept breakout or side conversation left
behind follows its source's new key, so the two still go together.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from graph.domain.batch import derived_key
from graph.domain.codec import Record, record_id
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    Interaction,
    Introduction,
    Membership,
    Person,
    SideConversation,
)

__all__ = [
    "ERASED_BY_THEMSELVES",
    "ErasurePlan",
    "ErasureReceipt",
    "Involvement",
    "audit_actor",
    "names_person",
    "plan_erasure",
]

ERASED_BY_THEMSELVES = "self"
"""What the audit record says did the erasure when the erased person asked for it."""


@dataclass(slots=True)
class Involvement:
    """Every stored record that names the person."""

    person_exists: bool = False
    memberships: list[Membership] = field(default_factory=list)
    attendance: list[Attendance] = field(default_factory=list)
    breakouts: list[Breakout] = field(default_factory=list)
    side_conversations: list[SideConversation] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)
    introductions: list[Introduction] = field(default_factory=list)
    groups_led: list[Group] = field(default_factory=list)
    blockers: list[Person] = field(default_factory=list)
    """Other people who have the person in their block list."""


@dataclass(slots=True)
class ErasurePlan:
    """Ids to delete per kind, and records to store again without the person.

    ``renamed`` maps ``(kind, new id)`` to the id a rewritten record was stored under, for the
    records whose old key named the person.
    """

    delete: dict[str, list[str]]
    rewrite: list[Record]
    renamed: dict[tuple[str, str], str] = field(default_factory=dict)

    def previous_id(self, kind: str, record: Record) -> str:
        """Return the id ``record`` (one of ``rewrite``) is stored under now."""
        rid = record_id(record)
        return self.renamed.get((kind, rid), rid)

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing to erase (the person is unknown or already erased)."""
        return not any(self.delete.values()) and not self.rewrite


@dataclass(frozen=True, slots=True)
class ErasureReceipt:
    """What an erasure did, without naming anyone: counts of records removed and rewritten."""

    erased: bool
    removed: dict[str, int]
    rewritten: int


def _without(ids: tuple[str, ...], person_id: str) -> tuple[str, ...]:
    return tuple(i for i in ids if i != person_id)


def names_person(text: str, person_id: str) -> bool:
    """Whether ``text`` (a key or id) holds ``person_id`` as a word of its own.

    >>> names_person("call-with-zelda-4711", "zelda-4711"), names_person("g1|ada", "ada")
    (True, True)
    >>> names_person("adamant", "ada")
    False
    """
    found = re.search(rf"(?<![A-Za-z0-9]){re.escape(person_id)}(?![A-Za-z0-9])", text)
    return found is not None


def audit_actor(by: str, person_id: str) -> str:
    """Return who the audit record says erased ``person_id``: never the person themselves.

    >>> audit_actor("admin-ops", "ada"), audit_actor("ada", "ada")
    ('admin-ops', 'self')
    """
    return ERASED_BY_THEMSELVES if names_person(by, person_id) else by


def _opaque_id() -> str:
    return f"erased-{secrets.token_hex(8)}"


def plan_erasure(
    person_id: str, involvement: Involvement, *, new_id: Callable[[], str] = _opaque_id
) -> ErasurePlan:
    """Decide what erasing ``person_id`` deletes and rewrites. O(records involved).

    >>> from datetime import UTC, datetime
    >>> from graph.domain.model import InteractionKind
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> trio = Interaction(key="k", at=t, kind=InteractionKind.CALL,
    ...                    participant_ids=("a", "b", "c"), initiator_id="a")
    >>> plan = plan_erasure("a", Involvement(person_exists=True, interactions=[trio]))
    >>> plan.delete["person"], plan.rewrite[0].participant_ids, plan.rewrite[0].initiator_id
    (['a'], ('b', 'c'), None)

    A record kept for the others whose key names the person gets a new one (``new_id``):

    >>> call = replace(trio, key="call-with-a")
    >>> plan = plan_erasure("a", Involvement(interactions=[call]), new_id=lambda: "x7")
    >>> plan.rewrite[0].key, plan.renamed
    ('x7', {('interaction', 'x7'): 'call-with-a'})
    """
    delete: dict[str, list[str]] = {
        "person": [person_id] if involvement.person_exists else [],
        "membership": [record_id(m) for m in involvement.memberships],
        "attendance": [record_id(a) for a in involvement.attendance],
        "introduction": [i.id for i in involvement.introductions],
        "breakout": [],
        "side_conversation": [],
        "interaction": [],
    }
    rewrite: list[Record] = []
    renamed: dict[tuple[str, str], str] = {}
    # Derived interaction keys of renamed sources: old key -> new key.
    derived: dict[str, str] = {}

    def rename(kind: str, old: str) -> str:
        if not names_person(old, person_id):
            return old
        new = new_id()
        renamed[(kind, new)] = old
        if kind in ("breakout", "side_conversation"):
            derived[derived_key(kind, old)] = derived_key(kind, new)
        return new

    for b in involvement.breakouts:
        rest = _without(b.member_ids, person_id)
        if len(set(rest)) < 2:
            delete["breakout"].append(b.id)
        else:
            rewrite.append(replace(b, id=rename("breakout", b.id), member_ids=rest))
    for s in involvement.side_conversations:
        rest = _without(s.participant_ids, person_id)
        if len(set(rest)) < 2:
            delete["side_conversation"].append(s.id)
        else:
            initiator = None if s.initiator_id == person_id else s.initiator_id
            rewrite.append(
                replace(
                    s,
                    id=rename("side_conversation", s.id),
                    participant_ids=rest,
                    initiator_id=initiator,
                )
            )
    for i in involvement.interactions:
        rest = _without(i.participant_ids, person_id)
        if len(set(rest)) < 2:
            delete["interaction"].append(i.key)
        else:
            initiator = None if i.initiator_id == person_id else i.initiator_id
            # The event's size stays what it was, so the others' strength does not change.
            size = i.group_size or len(set(i.participant_ids))
            key = derived.get(i.key)
            if key is None:
                key = rename("interaction", i.key)
            else:
                renamed[("interaction", key)] = i.key
            rewrite.append(
                replace(i, key=key, participant_ids=rest, initiator_id=initiator, group_size=size)
            )
    rewrite.extend(replace(g, leader_id=None) for g in involvement.groups_led)
    rewrite.extend(
        replace(p, blocked_ids=_without(p.blocked_ids, person_id))
        for p in involvement.blockers
        if p.id != person_id
    )
    return ErasurePlan(delete=delete, rewrite=rewrite, renamed=renamed)

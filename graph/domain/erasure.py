"""Erasing a person (GDPR): what goes, what is rewritten without them, for every store alike.

The person's record goes, and so does everything that attributes data to them: memberships,
attendance, introductions, and contacts between them and one other person. Contacts with
several others are kept for those others, with the person taken out (so the others' ties stay
exactly as their remaining history says). Groups they led lose their leader. Their ties go.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from graph.domain.codec import Record, record_id
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    Interaction,
    Introduction,
    Membership,
    SideConversation,
)

__all__ = ["ErasurePlan", "ErasureReceipt", "Involvement", "plan_erasure"]


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


@dataclass(slots=True)
class ErasurePlan:
    """Ids to delete per kind, and records to store again without the person."""

    delete: dict[str, list[str]]
    rewrite: list[Record]

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


def plan_erasure(person_id: str, involvement: Involvement) -> ErasurePlan:
    """Decide what erasing ``person_id`` deletes and rewrites. O(records involved).

    >>> from datetime import UTC, datetime
    >>> from graph.domain.model import InteractionKind
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> trio = Interaction(key="k", at=t, kind=InteractionKind.CALL,
    ...                    participant_ids=("a", "b", "c"), initiator_id="a")
    >>> plan = plan_erasure("a", Involvement(person_exists=True, interactions=[trio]))
    >>> plan.delete["person"], plan.rewrite[0].participant_ids, plan.rewrite[0].initiator_id
    (['a'], ('b', 'c'), None)
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
    for b in involvement.breakouts:
        rest = _without(b.member_ids, person_id)
        if len(set(rest)) < 2:
            delete["breakout"].append(b.id)
        else:
            rewrite.append(replace(b, member_ids=rest))
    for s in involvement.side_conversations:
        rest = _without(s.participant_ids, person_id)
        if len(set(rest)) < 2:
            delete["side_conversation"].append(s.id)
        else:
            initiator = None if s.initiator_id == person_id else s.initiator_id
            rewrite.append(replace(s, participant_ids=rest, initiator_id=initiator))
    for i in involvement.interactions:
        rest = _without(i.participant_ids, person_id)
        if len(set(rest)) < 2:
            delete["interaction"].append(i.key)
        else:
            initiator = None if i.initiator_id == person_id else i.initiator_id
            # The event's size stays what it was, so the others' strength does not change.
            size = i.group_size or len(set(i.participant_ids))
            rewrite.append(
                replace(i, participant_ids=rest, initiator_id=initiator, group_size=size)
            )
    rewrite.extend(replace(g, leader_id=None) for g in involvement.groups_led)
    return ErasurePlan(delete=delete, rewrite=rewrite)

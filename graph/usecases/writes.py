"""Who may write each record of a batch: the stored record is checked as well as the new one.

An upsert by key could otherwise take over what someone else recorded (another group's meeting,
another member's introduction), move it to another group, or change its people. So for every
record of a batch this module reads what is stored under the same key and asks
:mod:`graph.usecases.policy` about both: the viewer must be allowed to write the record as it
is stored *and* as it will be. It also settles what a leader's enrolment means (an invitation)
and caps what one member may record at once. A fixed number of store reads per batch, however
many records it holds.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace

from graph.domain.batch import WriteBatch, validate_batch
from graph.domain.codec import Record, record_id
from graph.domain.errors import Forbidden, InvalidInput, Problem
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    Interaction,
    InteractionKind,
    Interest,
    Introduction,
    Meeting,
    Membership,
    MembershipStatus,
    Organization,
    Person,
    SideConversation,
)
from graph.ports import GraphStore
from graph.usecases.facts import group_facts
from graph.usecases.policy import Action, Facts, may
from graph.usecases.viewer import Viewer

__all__ = ["GROUP_KINDS", "authorize_batch", "settle_enrolments"]

GROUP_KINDS: frozenset[InteractionKind] = frozenset(
    {InteractionKind.MEETING, InteractionKind.BREAKOUT, InteractionKind.INTRODUCTION}
)
"""Kinds of interaction that meetings, breakouts and introductions leave behind; a member
records those through them, never directly."""


async def settle_enrolments(store: GraphStore, viewer: Viewer, batch: WriteBatch) -> WriteBatch:
    """Return ``batch`` with a leader's enrolments turned into invitations.

    A non-admin's membership of someone else keeps the state stored for it, or becomes
    ``invited`` when new: only the person moves it on (see
    :meth:`graph.usecases.enrolment.Enrolment.answer_invitation`). Admins (and imports) enrol
    directly, so their batches are returned as they are.
    """
    if viewer.is_admin or not batch.memberships:
        return batch
    validate_batch(batch)  # nothing unchecked reaches the store
    stored = await store.get(Membership, [record_id(m) for m in batch.memberships])
    settled: list[Membership] = []
    labels = dict(batch.labels)
    for m in batch.memberships:
        if m.person_id == viewer.person_id:
            settled.append(m)
            continue
        before = stored.get(record_id(m))
        moved = replace(m, status=before.status if before else MembershipStatus.INVITED)
        if id(m) in labels:
            labels[id(moved)] = labels.pop(id(m))
        settled.append(moved)
    return replace(batch, memberships=settled, labels=labels)


@dataclass(frozen=True, slots=True)
class _Stored:
    """What is stored under the keys a batch writes."""

    meetings: dict[str, Meeting]
    memberships: dict[str, Membership]
    breakouts: dict[str, Breakout]
    side_conversations: dict[str, SideConversation]
    interactions: dict[str, Interaction]
    organizations: dict[str, Organization]
    interests: dict[str, Interest]


async def _stored(store: GraphStore, batch: WriteBatch) -> _Stored:
    breakouts = await store.get(Breakout, [b.id for b in batch.breakouts])
    meeting_ids = (
        {m.id for m in batch.meetings}
        | {a.meeting_id for a in batch.attendance}
        | {b.meeting_id for b in batch.breakouts}
        | {b.meeting_id for b in breakouts.values()}
    )
    return _Stored(
        meetings=await store.get(Meeting, sorted(meeting_ids)),
        memberships=await store.get(Membership, [record_id(m) for m in batch.memberships]),
        breakouts=breakouts,
        side_conversations=await store.get(
            SideConversation, [s.id for s in batch.side_conversations]
        ),
        interactions=await store.get(Interaction, [i.key for i in batch.interactions]),
        organizations=await store.get(Organization, [o.id for o in batch.organizations]),
        interests=await store.get(Interest, [i.id for i in batch.interests]),
    )


async def authorize_batch(
    store: GraphStore, viewer: Viewer, batch: WriteBatch, *, max_recorded_participants: int
) -> None:
    """Raise :class:`Forbidden` unless ``viewer`` may write every record of ``batch`` over what
    is stored under its key; raise :class:`InvalidInput` when a member's contact names more
    than ``max_recorded_participants`` people. Admins may write anything.

    A refusal names the record and the action, never what is stored: a key the viewer may not
    touch is refused with the same message as a record the viewer may not create.
    """
    if viewer.is_admin:
        return
    stored = await _stored(store, batch)
    in_batch = {m.id: m.group_id for m in batch.meetings}
    group_ids = sorted(
        {g.id for g in batch.groups}
        | {m.group_id for m in batch.memberships}
        | {m.group_id for m in stored.meetings.values()}
        | set(in_batch.values())
        | {s.group_id for s in batch.side_conversations if s.group_id}
    )
    groups = await store.get(Group, group_ids)
    base = await group_facts(store, viewer, group_ids)
    led = set(base.led_by_viewer)
    # A leader may create a group and record its first events in the same batch.
    new_groups = [g for g in batch.groups if g.id not in groups]
    led |= {g.id for g in new_groups if g.leader_id == viewer.person_id}
    # Who belongs to each group: its active members and its leader (one read).
    belongs: dict[str, set[str]] = {gid: set() for gid in group_ids}
    if batch.attendance or batch.breakouts:
        for m in await store.memberships(group_ids=group_ids):
            belongs[m.group_id].add(m.person_id)
    for g in [*groups.values(), *new_groups]:
        if g.leader_id:
            belongs[g.id].add(g.leader_id)
    rules = _BatchRules(
        viewer=viewer,
        stored=stored,
        groups=groups,
        meeting_groups=in_batch,
        led=led,
        member_of=set(base.member_of),
        belongs=belongs,
        max_recorded_participants=max_recorded_participants,
    )
    for kind, records in batch.sections():
        for index, record in enumerate(records):
            rules.check_record(batch.label(kind, index, record), record)
    if rules.problems:
        raise InvalidInput(rules.problems)


@dataclass(slots=True, kw_only=True)
class _BatchRules:
    """The facts of one batch, and the policy's questions about each of its records."""

    viewer: Viewer
    stored: _Stored
    groups: dict[str, Group]
    """Stored groups the batch touches."""
    meeting_groups: dict[str, str]
    """The group of each meeting of the batch, as written."""
    led: set[str]
    member_of: set[str]
    belongs: dict[str, set[str]]
    max_recorded_participants: int
    problems: list[Problem] = field(default_factory=list)

    def check(
        self,
        where: str,
        action: Action,
        *,
        people: Collection[str] = (),
        groups: Collection[str] = (),
        initiator: str | None = None,
    ) -> None:
        """Raise :class:`Forbidden` naming ``where`` unless the policy allows ``action``."""
        members = {p for p in people if all(p in self.belongs.get(g, ()) for g in groups)}
        facts = Facts(
            people=tuple(people),
            groups=tuple(groups),
            led_by_viewer=self.led,
            member_of=self.member_of,
            members=members,
            initiator=initiator,
        )
        if not may(self.viewer, action, facts):
            raise Forbidden(f"{where}: not allowed to {action.value}")

    def groups_of_meeting(self, meeting_id: str) -> set[str]:
        """The meeting's group as stored and as written (a move needs both)."""
        found = {self.meeting_groups[meeting_id]} if meeting_id in self.meeting_groups else set()
        if meeting_id in self.stored.meetings:
            found.add(self.stored.meetings[meeting_id].group_id)
        return found

    def check_record(self, where: str, record: Record) -> None:
        """Check one record of the batch against the policy, as stored and as written."""
        match record:
            case Person():
                self.check(where, Action.WRITE_PERSON, people=[record.id])
            case Organization() | Interest():
                self.check(where, Action.WRITE_DIRECTORY)
                directory: dict[str, Organization] | dict[str, Interest] = (
                    self.stored.organizations
                    if isinstance(record, Organization)
                    else self.stored.interests
                )
                before = directory.get(record.id)
                if before is not None and before != record:
                    self.check(where, Action.AMEND_DIRECTORY)
            case Group():
                self._check_group(where, record)
            case Membership():
                self.check(where, Action.RECORD_GROUP_EVENT, groups=[record.group_id])
                stored = self.stored.memberships.get(record_id(record))
                allowed = stored.status if stored is not None else MembershipStatus.INVITED
                if record.status is not allowed:
                    # Only the person (or an admin) moves a membership on; a leader may enrol
                    # themselves in a group they lead.
                    self.check(
                        where,
                        Action.ENROL_DIRECTLY,
                        people=[record.person_id],
                        groups=[record.group_id],
                    )
            case Meeting():
                stored_meeting = self.stored.meetings.get(record.id)
                moved = {stored_meeting.group_id} if stored_meeting is not None else set()
                self.check(
                    where, Action.RECORD_GROUP_EVENT, groups=sorted({record.group_id} | moved)
                )
            case Attendance():
                self.check(
                    where,
                    Action.RECORD_GROUP_EVENT,
                    people=[record.person_id],
                    groups=sorted(self.groups_of_meeting(record.meeting_id)),
                )
            case Breakout():
                stored_breakout = self.stored.breakouts.get(record.id)
                groups = self.groups_of_meeting(record.meeting_id)
                if stored_breakout is not None:
                    groups |= self.groups_of_meeting(stored_breakout.meeting_id)
                self.check(
                    where,
                    Action.RECORD_GROUP_EVENT,
                    people=record.member_ids,
                    groups=sorted(groups),
                )
            case SideConversation() | Interaction():
                self._check_contact(where, record)
            case Introduction():
                self.check(where, Action.IMPORT_INTRODUCTION, people=[record.requester_id])

    def _check_group(self, where: str, group: Group) -> None:
        existing = self.groups.get(group.id)
        # The new leader and the stored one must both be the viewer: no take-over, no hand-over.
        people = [group.leader_id or ""]
        if existing is not None:
            people.append(existing.leader_id or "")
        groups = [group.id] if existing is not None else []
        self.check(where, Action.WRITE_GROUP, people=people, groups=groups)

    def _check_contact(self, where: str, record: Interaction | SideConversation) -> None:
        before: Interaction | SideConversation | None = (
            self.stored.interactions.get(record.key)
            if isinstance(record, Interaction)
            else self.stored.side_conversations.get(record.id)
        )
        if before is not None:
            # Someone else's record under this key is refused like a contact of others.
            self.check(where, Action.RECORD_CONTACT, people=before.participant_ids)
        tagged = (
            [record.group_id] if isinstance(record, SideConversation) and record.group_id else []
        )
        self.check(
            where,
            Action.RECORD_CONTACT,
            people=record.participant_ids,
            groups=tagged,
            initiator=record.initiator_id,
        )
        if isinstance(record, Interaction) and record.kind in GROUP_KINDS:
            raise Forbidden(
                f"{where}: not allowed to record {record.kind.value} interactions directly"
                " (meetings and breakouts are recorded by the group's leader, introductions"
                " through their workflow)"
            )
        named = len(set(record.participant_ids))
        if named > self.max_recorded_participants:
            self.problems.append(
                Problem(
                    where,
                    "participant_ids",
                    named,
                    f"a member records at most {self.max_recorded_participants} people at"
                    " once; a group's meetings and breakouts are recorded by its leader",
                )
            )

"""The change log: what a write changed, in the order writes committed, for live updates.

Every store writes one :class:`ChangeEntry` per changed record or tie in the same transaction
as the change itself, and numbers them with a sequence that only grows, so that every API
process can tail the log (:meth:`graph.ports.GraphStore.changes_since`) and learn of writes
made by any other process, with no server besides the store.

An entry names *what* changed (its kind and key) and *whom and which group* it concerns, so a
reader can pick the entries that matter to it; never the record's contents. Whoever shows a
change to someone reads the record again through the use cases, under the same policy as a
direct read. Entries are derived by :func:`changes_of_write` inside
:func:`graph.domain.batch.plan_batch`, so both stores log the same entries for a batch.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from graph.domain.model import Attendance, Breakout, Introduction, SideConversation

__all__ = ["Change", "ChangeEntry", "ChangeKind", "ChangePage", "changes_of_write"]


class ChangeKind(enum.StrEnum):
    """What kind of thing changed."""

    TIE = "tie"
    INTRODUCTION = "introduction"
    ATTENDANCE = "attendance"
    BREAKOUT = "breakout"
    SIDE_CONVERSATION = "side_conversation"


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    """One change a write makes, before a store numbers it.

    ``key`` is the record's id (an attendance's ``meeting|person``; a tie's ``a|b``),
    ``people`` the people it concerns and ``group_id`` the group it belongs to, if any.
    """

    kind: ChangeKind
    key: str
    people: tuple[str, ...]
    group_id: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """A logged change: its entry, its place in the log and when it was written (UTC)."""

    sequence: int
    at: datetime
    entry: ChangeEntry


@dataclass(frozen=True, slots=True)
class ChangePage:
    """Changes after a cursor, oldest first, and the cursor to ask after next time.

    ``cursor`` is the last change's sequence, or the latest sequence in the log when there
    were none (so a reader that starts with no cursor starts at "now").
    """

    changes: list[Change]
    cursor: int


def changes_of_write(
    writes: Mapping[str, Sequence[object]],
    ties: Iterable[tuple[str, str]],
    group_of_meeting: Callable[[str], str],
) -> list[ChangeEntry]:
    """Return the log entries for records a batch writes (created or changed) and the ties
    it changes, ties last.

    Attendance and breakouts belong to their meeting's group (``group_of_meeting``); a side
    conversation to the group it names. Records written unchanged change nothing and are not
    in ``writes``.

    >>> from graph.domain.model import Breakout
    >>> entries = changes_of_write(
    ...     {"breakout": [Breakout(id="b1", meeting_id="m1", member_ids=("ada", "bo"))]},
    ...     [("ada", "bo")],
    ...     lambda meeting_id: "g1",
    ... )
    >>> [(e.kind.value, e.key, e.group_id) for e in entries]
    [('breakout', 'b1', 'g1'), ('tie', 'ada|bo', None)]
    """
    entries: list[ChangeEntry] = []
    for record in writes.get("introduction", ()):
        assert isinstance(record, Introduction)
        people = (record.requester_id, record.introducer_id, record.target_id)
        entries.append(ChangeEntry(ChangeKind.INTRODUCTION, record.id, people))
    for record in writes.get("attendance", ()):
        assert isinstance(record, Attendance)
        entries.append(
            ChangeEntry(
                ChangeKind.ATTENDANCE,
                f"{record.meeting_id}|{record.person_id}",
                (record.person_id,),
                group_of_meeting(record.meeting_id),
            )
        )
    for record in writes.get("breakout", ()):
        assert isinstance(record, Breakout)
        entries.append(
            ChangeEntry(
                ChangeKind.BREAKOUT,
                record.id,
                tuple(dict.fromkeys(record.member_ids)),
                group_of_meeting(record.meeting_id),
            )
        )
    for record in writes.get("side_conversation", ()):
        assert isinstance(record, SideConversation)
        entries.append(
            ChangeEntry(
                ChangeKind.SIDE_CONVERSATION,
                record.id,
                tuple(dict.fromkeys(record.participant_ids)),
                record.group_id,
            )
        )
    entries.extend(ChangeEntry(ChangeKind.TIE, f"{a}|{b}", (a, b)) for a, b in ties)
    return entries

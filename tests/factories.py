"""Small factories for test records: sensible defaults, override what the test is about."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    Interaction,
    InteractionKind,
    Introduction,
    Meeting,
    Membership,
    Organization,
    Person,
    SideConversation,
)

EPOCH = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)


def at(day: float = 0, hours: float = 0) -> datetime:
    """An instant ``day`` days (and ``hours`` hours) after a fixed Monday morning in 2024."""
    return EPOCH + timedelta(days=day, hours=hours)


def person(pid: str, **fields: Any) -> Person:
    """A person named after their id."""
    return Person(id=pid, name=fields.pop("name", pid.capitalize()), **fields)


def organization(oid: str, **fields: Any) -> Organization:
    """An organization named after its id."""
    return Organization(id=oid, name=fields.pop("name", oid.upper()), **fields)


def group(gid: str, **fields: Any) -> Group:
    """A digital group running from January to April 2024."""
    fields.setdefault("starts_on", date(2024, 1, 8))
    fields.setdefault("ends_on", date(2024, 4, 29))
    return Group(id=gid, name=fields.pop("name", f"Group {gid}"), **fields)


def membership(gid: str, pid: str, **fields: Any) -> Membership:
    """A membership of ``pid`` in ``gid``."""
    return Membership(group_id=gid, person_id=pid, **fields)


def meeting(mid: str, gid: str, day: float = 0, **fields: Any) -> Meeting:
    """A 90-minute meeting of ``gid`` on ``day``."""
    return Meeting(id=mid, group_id=gid, starts_at=at(day), **fields)


def attendance(mid: str, pid: str, speaking_s: int | None = None) -> Attendance:
    """``pid`` attended ``mid``."""
    return Attendance(meeting_id=mid, person_id=pid, speaking_s=speaking_s)


def breakout(bid: str, mid: str, *members: str) -> Breakout:
    """A breakout of ``members`` during ``mid``."""
    return Breakout(id=bid, meeting_id=mid, member_ids=members)


def side_conversation(sid: str, *people: str, day: float = 0, **fields: Any) -> SideConversation:
    """A side conversation between ``people`` on ``day``."""
    return SideConversation(id=sid, participant_ids=people, at=at(day), **fields)


def interaction(
    key: str,
    *people: str,
    day: float = 0,
    kind: InteractionKind = InteractionKind.MESSAGE,
    **fields: Any,
) -> Interaction:
    """An interaction between ``people`` on ``day`` (a message unless told otherwise)."""
    return Interaction(key=key, at=at(day), kind=kind, participant_ids=people, **fields)


def introduction(
    iid: str, requester: str, introducer: str, target: str, **fields: Any
) -> Introduction:
    """``requester`` asks ``introducer`` to introduce them to ``target``."""
    fields.setdefault("requested_at", at(0))
    return Introduction(
        id=iid, requester_id=requester, introducer_id=introducer, target_id=target, **fields
    )

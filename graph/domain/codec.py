"""Turn domain records into plain values a store can hold, and back, identically on every store.

Both stores go through these two functions, so a record read back from either one equals the
record written. ``temporal="iso"`` writes dates and instants as ISO-8601 text (which sorts
like time when the format is fixed); ``temporal="native"`` leaves them as ``date``/``datetime``
for stores with temporal types of their own.
"""

from __future__ import annotations

import dataclasses
import enum
import operator
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar

from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    Interaction,
    Interest,
    Introduction,
    Meeting,
    Membership,
    Organization,
    Person,
    SideConversation,
)

__all__ = [
    "ENTITY_KINDS",
    "Record",
    "decode",
    "encode",
    "format_instant",
    "parse_instant",
    "record_id",
]

Record = (
    Person
    | Organization
    | Interest
    | Group
    | Membership
    | Meeting
    | Attendance
    | Breakout
    | SideConversation
    | Interaction
    | Introduction
)
R = TypeVar("R", bound=Record)

ENTITY_KINDS: dict[str, type[Record]] = {
    "organization": Organization,
    "interest": Interest,
    "person": Person,
    "group": Group,
    "membership": Membership,
    "meeting": Meeting,
    "attendance": Attendance,
    "breakout": Breakout,
    "side_conversation": SideConversation,
    "interaction": Interaction,
    "introduction": Introduction,
}
"""Every kind of record by its name, in the order a batch applies them (references first)."""

Temporal = Literal["iso", "native"]


def record_id(record: Record) -> str:
    """Return the stable id of a record; pairs (membership, attendance) join theirs with ``|``.

    >>> record_id(Membership(group_id="g1", person_id="p1"))
    'g1|p1'
    """
    match record:
        case Membership(group_id=g, person_id=p):
            return f"{g}|{p}"
        case Attendance(meeting_id=m, person_id=p):
            return f"{m}|{p}"
        case Interaction(key=key):
            return key
        case _:
            return record.id


def format_instant(at: datetime) -> str:
    """Write an aware instant as fixed-width UTC ISO-8601 text that sorts like time.

    >>> format_instant(datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    '2024-05-01T12:00:00.000000+00:00'
    """
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    return at.isoformat(timespec="microseconds")


def parse_instant(text: str) -> datetime:
    """Read ISO-8601 text with an offset (or ``Z``) as an aware UTC instant."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone offset")
    return parsed.astimezone(UTC)


_FIELDS: dict[str, tuple[tuple[str, Any], ...]] = {}


def _fields(kind: type[Any]) -> tuple[tuple[str, Any], ...]:
    """Return each field's name and type annotation, computed once per kind."""
    found = _FIELDS.get(kind.__qualname__)
    if found is None:
        hints = typing.get_type_hints(kind)
        found = tuple((f.name, hints[f.name]) for f in dataclasses.fields(kind))
        _FIELDS[kind.__qualname__] = found
    return found


def _base_type(annotation: Any) -> Any:
    """Strip ``X | None`` down to ``X``."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0]
    return annotation


def _converter(annotation: Any, temporal: Temporal) -> Callable[[Any], Any] | None:
    """Return how to turn a field's value into a plain one, or ``None`` to keep it as it is."""
    base = _base_type(annotation)
    if base is datetime:
        if temporal == "iso":
            return format_instant
        return lambda value: value if value.tzinfo is UTC else value.astimezone(UTC)
    if base is date:
        return date.isoformat if temporal == "iso" else None
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return operator.attrgetter("value")
    if typing.get_origin(base) is tuple:
        return list
    return None


_ENCODERS: dict[tuple[str, Temporal], tuple[tuple[str, Callable[[Any], Any] | None], ...]] = {}


def encode(record: Record, *, temporal: Temporal = "iso") -> dict[str, Any]:
    """Return the record's fields as plain values; ``None`` fields are left out."""
    kind = type(record)
    plan = _ENCODERS.get((kind.__qualname__, temporal))
    if plan is None:
        plan = tuple((name, _converter(hint, temporal)) for name, hint in _fields(kind))
        _ENCODERS[(kind.__qualname__, temporal)] = plan
    out: dict[str, Any] = {}
    for name, convert in plan:
        value = getattr(record, name)
        if value is not None:
            out[name] = value if convert is None else convert(value)
    return out


def _instant_of(value: Any) -> datetime:
    if isinstance(value, str):
        return parse_instant(value)
    native = value.to_native() if hasattr(value, "to_native") else value
    return typing.cast(datetime, native).astimezone(UTC)


def _date_of(value: Any) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value)
    return typing.cast(date, value.to_native() if hasattr(value, "to_native") else value)


def _decoder(annotation: Any) -> Callable[[Any], Any] | None:
    """Return how to turn a stored value back into a field's, or ``None`` to keep it."""
    base = _base_type(annotation)
    if base is datetime:
        return _instant_of
    if base is date:
        return _date_of
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return typing.cast(Callable[[Any], Any], base)
    if typing.get_origin(base) is tuple:
        return tuple
    return None


_DECODERS: dict[str, tuple[tuple[str, Callable[[Any], Any] | None], ...]] = {}


def decode(kind: type[R], values: dict[str, Any]) -> R:
    """Rebuild a record of ``kind`` from what :func:`encode` produced (either temporal form).

    How each field is decoded is worked out once per kind (reading a page decodes hundreds
    of records)."""
    plan = _DECODERS.get(kind.__qualname__)
    if plan is None:
        plan = tuple((name, _decoder(hint)) for name, hint in _fields(kind))
        _DECODERS[kind.__qualname__] = plan
    kwargs: dict[str, Any] = {}
    for name, convert in plan:
        value = values.get(name)
        if value is not None:
            kwargs[name] = value if convert is None else convert(value)
    return kind(**kwargs)

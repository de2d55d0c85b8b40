"""Reading records from files: JSON Lines for every kind of record, CSV for interactions.

The parsers (:mod:`graph.importing.jsonl`, :mod:`graph.importing.csv_interactions`) are pure:
they stream lines and yield, per line, either a validated domain record with a label naming
its file and line, or a :class:`Rejected` saying what is wrong with the line. The runner
(:mod:`graph.importing.runner`) applies what they yield to a store in batches. The formats are
documented in ``docs/import-formats.md``.

This module holds what both parsers share: the result types, instant parsing and the
per-record domain validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import TypeAlias

from graph.domain.batch import record_problems
from graph.domain.codec import Record, parse_instant
from graph.domain.errors import Problem

__all__ = ["ParseResult", "Rejected", "check_record", "instant_from", "line_excerpt"]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A line that yields no record: its label, the kind it claimed to be, and why.

    ``kind`` is ``None`` when the line does not say (e.g. it is not JSON). ``problems`` is
    empty for lines skipped because their whole file was rejected (the file's header says why).
    """

    label: str
    kind: str | None
    problems: tuple[Problem, ...]


ParseResult: TypeAlias = tuple[Record, str] | Rejected
"""What a parser yields per line: ``(record, label)``, or the line's rejection."""

_UNIX_SECONDS = re.compile(r"[+-]?\d+(?:\.\d+)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = Decimal("0.000001")
NOT_AN_INSTANT = (
    "must be an ISO-8601 time with a time zone (e.g. 2024-05-01T12:00:00Z) or Unix seconds"
)


def _from_unix(seconds: Decimal) -> datetime:
    micros = int((seconds / _MICROSECOND).to_integral_value(ROUND_HALF_EVEN))
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError as error:
        raise ValueError("is out of range for a time") from error


def instant_from(value: object) -> datetime:
    """Read an instant: ISO-8601 text with an offset or ``Z``, or Unix seconds (number or text).

    Returns an aware UTC ``datetime``; raises ``ValueError`` whose message is the reason.

    >>> instant_from("2024-05-01T14:00:00+02:00")
    datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    >>> instant_from(1714564800.5)
    datetime.datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=datetime.timezone.utc)
    """
    if isinstance(value, bool):
        raise ValueError(NOT_AN_INSTANT)
    if isinstance(value, int):
        return _from_unix(Decimal(value))
    if isinstance(value, float):
        try:
            # repr() is the shortest text that reads back as the same float.
            return _from_unix(Decimal(repr(value)))
        except InvalidOperation as error:  # pragma: no cover - JSON has no NaN or infinity
            raise ValueError(NOT_AN_INSTANT) from error
    if not isinstance(value, str):
        raise ValueError(NOT_AN_INSTANT)
    text = value.strip()
    if text.isascii() and text.isdigit():  # whole Unix seconds, the usual export: no Decimal
        try:
            return _EPOCH + timedelta(seconds=int(text))
        except OverflowError as error:
            raise ValueError("is out of range for a time") from error
    if _UNIX_SECONDS.fullmatch(text):
        return _from_unix(Decimal(text))
    try:
        naive_or_aware = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(NOT_AN_INSTANT) from error
    if naive_or_aware.tzinfo is None:
        raise ValueError("has no time zone offset; add one, e.g. Z or +02:00")
    return parse_instant(text)


def check_record(record: Record, label: str) -> list[Problem]:
    """Return what the domain finds wrong with one record (empty when it is valid).

    These are the checks every store runs on a batch, run here per line so that one bad line
    rejects only itself.
    """
    return record_problems(record, label)


def line_excerpt(text: str, limit: int = 80) -> str:
    """Shorten a line for an error message.

    >>> line_excerpt("x" * 100, limit=5)
    'xxxxx…'
    """
    text = text.rstrip("\r\n")
    return text if len(text) <= limit else text[:limit] + "…"

"""The tiegraph JSON Lines format, version 1: one record per line, every kind of record.

An optional first line ``{"type": "tiegraph", "version": 1}`` names the format; then each line
is one JSON object ``{"type": "<kind>", ...fields}`` whose fields are named exactly as in
:mod:`graph.domain.model`. Ids are strings, dates ``YYYY-MM-DD``, instants ISO-8601 with an
offset (or ``Z``) or Unix seconds, lists JSON arrays, enums their values. Omitted optional
fields take their defaults; ``null`` is allowed only where a field may be empty. Blank lines
are skipped. See ``docs/import-formats.md``.

Parsing is pure and streaming: :func:`parse_jsonl` yields, line by line, a validated record
and its label (``"<file> line N"``) or a :class:`~graph.importing.Rejected` naming the line,
field, value and reason.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from graph.domain.codec import ENTITY_KINDS, Record
from graph.domain.errors import Problem
from graph.importing import ParseResult, Rejected, check_record, instant_from, line_excerpt

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "parse_jsonl", "read_jsonl"]

FORMAT_NAME = "tiegraph"
"""The ``type`` of the optional header line."""
FORMAT_VERSION = 1
"""The version of the format this module reads and documents."""

_WHOLE_LINE = "(line)"
"""The field named in a problem about a line as a whole (not JSON, not an object)."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BOM = b"\xef\xbb\xbf"


Converter = Callable[[Any], Any]
"""Turns a JSON value into a field value, or raises ``ValueError`` whose message is the reason."""


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    convert: Converter
    required: bool
    nullable: bool


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a JSON string")
    return value


def _whole_number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _text_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("must be a JSON array of strings")
    return tuple(value)


def _date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError("is not a valid calendar date") from error


def _enum(kind: type[enum.Enum]) -> Converter:
    values = {member.value: member for member in kind}
    allowed = ", ".join(str(v) for v in values)

    def convert(value: Any) -> enum.Enum:
        member = values.get(value) if isinstance(value, str) else None
        if member is None:
            raise ValueError(f"must be one of: {allowed}")
        return member

    return convert


def _converter(annotation: Any) -> tuple[Converter, bool]:
    """Return the converter for a field's type, and whether the field may be ``null``."""
    nullable = False
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        (annotation,) = args
    if annotation is str:
        return _text, nullable
    if annotation is bool:
        return _flag, nullable
    if annotation is int:
        return _whole_number, nullable
    if annotation is datetime:
        return instant_from, nullable
    if annotation is date:
        return _date, nullable
    if typing.get_origin(annotation) is tuple:
        return _text_list, nullable
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum(annotation), nullable
    raise TypeError(f"no JSON Lines reading for {annotation!r}")  # pragma: no cover


def _reference(value: Any) -> str:
    # The same few ids recur on many lines; one shared string each keeps a large import small.
    return sys.intern(_text(value))


def _references(value: Any) -> tuple[str, ...]:
    return tuple(sys.intern(item) for item in _text_list(value))


def _fields_of(kind: type[Record]) -> dict[str, _Field]:
    hints = typing.get_type_hints(kind)
    fields: dict[str, _Field] = {}
    for f in dataclasses.fields(kind):
        convert, nullable = _converter(hints[f.name])
        if f.name.endswith("_id"):
            convert = _reference
        elif f.name.endswith("_ids"):
            convert = _references
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        fields[f.name] = _Field(f.name, convert, required, nullable)
    return fields


_FIELDS: dict[str, dict[str, _Field]] = {
    name: _fields_of(kind) for name, kind in ENTITY_KINDS.items()
}
_KINDS = ", ".join(ENTITY_KINDS)


def _parse_record(
    kind: str, values: dict[str, Any], label: str
) -> tuple[dict[str, Any], list[Problem]]:
    fields = _FIELDS[kind]
    problems: list[Problem] = []
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        spec = fields.get(name)
        if spec is None:
            known = ", ".join(fields)
            problems.append(
                Problem(label, name, value, f"is not a field of {kind}; its fields are: {known}")
            )
        elif value is None:
            if spec.required:
                problems.append(Problem(label, name, None, "is required"))
            elif not spec.nullable:
                problems.append(
                    Problem(label, name, None, "may not be null; leave it out for the default")
                )
        else:
            try:
                kwargs[name] = spec.convert(value)
            except ValueError as error:
                problems.append(Problem(label, name, value, str(error)))
    for name, spec in fields.items():
        if spec.required and name not in values:
            problems.append(Problem(label, name, None, "is required"))
    return kwargs, problems


def _load(raw: bytes | str, label: str) -> dict[str, Any] | Rejected:
    """Read one line as a JSON object, or reject it."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        reason = f"is not valid JSON: {error.msg} at column {error.colno}"
        return Rejected(label, None, (Problem(label, _WHOLE_LINE, line_excerpt(text), reason),))
    if not isinstance(value, dict):
        problem = Problem(label, _WHOLE_LINE, value, "must be a JSON object")
        return Rejected(label, None, (problem,))
    return value


def _parse_object(values: dict[str, Any], label: str) -> ParseResult:
    """Turn one record's JSON object into a validated record, or reject it."""
    kind = values.pop("type", None)
    if kind is None:
        problem = Problem(label, "type", None, f"is required: one of {_KINDS}")
        return Rejected(label, None, (problem,))
    if kind == FORMAT_NAME:
        problem = Problem(label, "type", kind, "a header may only be the first line")
        return Rejected(label, None, (problem,))
    if not isinstance(kind, str) or kind not in ENTITY_KINDS:
        problem = Problem(label, "type", kind, f"must be one of: {_KINDS}")
        return Rejected(label, None, (problem,))
    kwargs, problems = _parse_record(kind, values, label)
    if all(name in kwargs for name, spec in _FIELDS[kind].items() if spec.required):
        # Check what could be read too, so one report lists everything wrong with the line.
        reported = {p.field for p in problems}
        record = ENTITY_KINDS[kind](**kwargs)
        problems += [p for p in check_record(record, label) if p.field not in reported]
        if not problems:
            return record, label
    return Rejected(label, kind, tuple(problems))


def _header_problems(values: dict[str, Any], label: str) -> list[Problem]:
    """Return what is wrong with a header object (empty when it is a version this module reads)."""
    problems = [
        Problem(label, name, value, "is not a field of the header; its fields are: type, version")
        for name, value in values.items()
        if name not in ("type", "version")
    ]
    version = values.get("version")
    if version is None:
        problems.append(Problem(label, "version", None, "is required in the header"))
    elif isinstance(version, bool) or version != FORMAT_VERSION:
        problems.append(
            Problem(
                label,
                "version",
                version,
                f"is not a version this tiegraph reads (it reads {FORMAT_VERSION})",
            )
        )
    return problems


def parse_jsonl(lines: Iterable[bytes | str], *, source: str) -> Iterator[ParseResult]:
    """Yield each record of a tiegraph JSON Lines stream with its label, or the line's rejection.

    ``source`` names the file in labels: ``"<source> line N"`` (lines count from 1, blank lines
    included). A header that is not ``{"type": "tiegraph", "version": 1}`` rejects itself and,
    without problems of their own, every line after it: they cannot be read safely. Streams,
    holding one line at a time.

    >>> line = '{"type": "interest", "id": "jazz", "name": "Jazz"}'
    >>> [label for _, label in parse_jsonl([line], source="x.jsonl")]
    ['x.jsonl line 1']
    """
    first = True
    bad_header = False
    for number, raw in enumerate(lines, start=1):
        if number == 1:
            raw = raw.removeprefix(_BOM) if isinstance(raw, bytes) else raw.lstrip("\ufeff")
        if not raw.strip():
            continue
        label = f"{source} line {number}"
        if bad_header:
            yield Rejected(label, None, ())
            continue
        values = _load(raw, label)
        if isinstance(values, Rejected):
            first = False
            yield values
            continue
        if first and values.get("type") == FORMAT_NAME:
            first = False
            problems = _header_problems(values, label)
            if problems:
                bad_header = True
                yield Rejected(label, None, tuple(problems))
            continue
        first = False
        yield _parse_object(values, label)


def read_jsonl(path: Path, *, source: str | None = None) -> Iterator[ParseResult]:
    """Stream a JSON Lines file through :func:`parse_jsonl`; labels name it as ``source``.

    ``source`` defaults to the path as given. Raises ``OSError`` if the file cannot be read.
    """
    with path.open("rb") as lines:
        yield from parse_jsonl(lines, source=str(path) if source is None else source)

"""The one root of tiegraph's expected errors, and its shallow tree.

Adapters translate driver and database errors into these (``raise ... from``); one handler per
delivery mechanism (CLI, HTTP, GraphQL) maps them to what its users see.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BudgetExceeded",
    "ConfigurationError",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "Problem",
    "StoreUnavailable",
    "TiegraphError",
]


class TiegraphError(Exception):
    """Something tiegraph expected could go wrong went wrong."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input record: where, which field, what value, and why."""

    record: str
    """Which record: e.g. ``interactions[3]`` in a batch, or ``people.csv line 17``."""
    field: str
    value: object
    reason: str

    def __str__(self) -> str:
        return f"{self.record}: field {self.field!r} = {self.value!r}: {self.reason}"


class InvalidInput(TiegraphError):
    """Input was rejected; nothing was changed. ``problems`` says exactly what and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"invalid input: {shown}{more}")


class NotFound(TiegraphError):
    """A record named by id does not exist."""

    def __init__(self, entity: str, id_: str) -> None:
        self.entity = entity
        self.id = id_
        super().__init__(f"{entity} {id_!r} not found")


class Conflict(TiegraphError):
    """A write contradicts what is stored, e.g. an interaction key reused for another contact."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("conflict: " + "; ".join(str(p) for p in problems[:5]))


class Forbidden(TiegraphError):
    """The caller may not do or see this."""


class StoreUnavailable(TiegraphError):
    """The store cannot be reached right now; retrying later may succeed."""


class ConfigurationError(TiegraphError):
    """A setting is missing or invalid; the message names the setting."""


class BudgetExceeded(TiegraphError):
    """A computation ran past the time its request was given; the message says what to narrow."""

    def __init__(self, seconds: float, hint: str) -> None:
        self.seconds = seconds
        self.hint = hint
        super().__init__(f"this request needs more than its {seconds:g} s time budget; {hint}")

    def __reduce__(self) -> tuple[type[BudgetExceeded], tuple[float, str]]:
        # Raised in a worker process too (cohorts): rebuilt from its fields, not its message.
        return type(self), (self.seconds, self.hint)

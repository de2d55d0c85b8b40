"""Deadlines: how long computations give up in time, cooperatively.

A computation that may run long (introduction paths, cohort composition, keep-in-touch
figures) takes a :class:`Deadline` and calls :meth:`Deadline.check` now and then in its loops;
past the deadline, the check raises :class:`~graph.domain.errors.BudgetExceeded`. Checking is
cooperative because a thread cannot be stopped from outside: the work itself must notice.
A check costs one clock read (about 50 ns), so loops check every few hundred steps at most,
never in their innermost arithmetic.

The clock is monotonic and system-wide, so a deadline made in one process holds in another
(a worker process composing cohorts).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from graph.domain.errors import BudgetExceeded

__all__ = ["Deadline"]


@dataclass(frozen=True, slots=True)
class Deadline:
    """The moment (on ``clock``) after which a computation stops with ``BudgetExceeded``.

    ``seconds`` is the budget it was given and ``hint`` what the caller can narrow, both for
    the error's message.

    >>> ticks = iter([0.0, 1.0, 3.0])
    >>> deadline = Deadline.after(2.0, hint="narrow it", clock=lambda: next(ticks))
    >>> deadline.check()
    >>> deadline.check()
    Traceback (most recent call last):
    ...
    graph.domain.errors.BudgetExceeded: this request needs more than its 2 s time budget; narrow it
    """

    at: float
    seconds: float
    hint: str = "ask for less"
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def after(
        cls,
        seconds: float,
        *,
        hint: str = "ask for less",
        clock: Callable[[], float] = time.monotonic,
    ) -> Deadline:
        """Return the deadline ``seconds`` from now on ``clock``."""
        if not seconds > 0:
            raise ValueError(f"a time budget must be positive, not {seconds}")
        return cls(at=clock() + seconds, seconds=seconds, hint=hint, clock=clock)

    @classmethod
    def never(cls) -> Deadline:
        """Return a deadline that never passes (for callers that set no budget)."""
        return cls(at=math.inf, seconds=math.inf, hint="")

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once it has passed)."""
        return self.at - self.clock()

    def passed(self) -> bool:
        """Whether the deadline has passed."""
        return self.clock() >= self.at

    def check(self) -> None:
        """Raise :class:`BudgetExceeded` if the deadline has passed."""
        if self.clock() >= self.at:
            raise BudgetExceeded(self.seconds, self.hint)

    def with_hint(self, hint: str) -> Deadline:
        """Return the same deadline with another hint (what the caller can narrow)."""
        return Deadline(at=self.at, seconds=self.seconds, hint=hint, clock=self.clock)

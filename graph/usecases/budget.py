"""Time budgets for requests, and running their heavy computations off the event loop.

The service answers every request on one event loop. A computation that takes a while (path
search, cohort composition, keep-in-touch figures, recommendations, breakout suggestions) would
hold up every other request if it ran there, so the use cases hand it to a worker thread
(:func:`off_loop`) with a :class:`~graph.domain.deadline.Deadline` the computation checks in its
loops: past its budget it stops with :class:`~graph.domain.errors.BudgetExceeded`, whose message
says what to narrow. :func:`within` also stops *waiting* once the deadline (and a short grace)
has passed, so a request ends with that error even if the work does not notice in time (a
search running in another server).

Threads, not processes: the work reads the embedded store's in-memory graph, and Python's
global interpreter lock still lets the event loop run between the worker's slices (every
switch interval; the service shortens it, see ``api.app``). What the worker costs the other
requests is then a few milliseconds of waiting per step, never the whole computation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from graph.domain.deadline import Deadline
from graph.domain.errors import BudgetExceeded

__all__ = [
    "DEFAULT_BUDGETS",
    "DEFAULT_COMPOSE_BUDGET_S",
    "DEFAULT_REQUEST_BUDGET_S",
    "GRACE_S",
    "Budgets",
    "off_loop",
    "within",
]

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_REQUEST_BUDGET_S = 2.0
"""How long one request's computation may take unless the settings say otherwise."""
DEFAULT_COMPOSE_BUDGET_S = 30.0
"""How long composing cohorts may take: a leader asks rarely, and waits for a good answer."""
GRACE_S = 0.5
"""How long :func:`within` waits past the deadline for work that checks it to stop by itself."""


@dataclass(frozen=True, slots=True)
class Budgets:
    """How long the computation of one request may take, in seconds."""

    request_s: float = DEFAULT_REQUEST_BUDGET_S
    """Any request (``TIEGRAPH_REQUEST_BUDGET_SECONDS``)."""
    compose_s: float = DEFAULT_COMPOSE_BUDGET_S
    """Composing cohorts (``TIEGRAPH_COMPOSE_BUDGET_SECONDS``)."""

    def deadline(self, hint: str) -> Deadline:
        """Start a request's budget; ``hint`` says what to narrow when it runs out."""
        return Deadline.after(self.request_s, hint=hint)

    def compose_deadline(self, hint: str) -> Deadline:
        """Start the budget of one cohort composition."""
        return Deadline.after(self.compose_s, hint=hint)


DEFAULT_BUDGETS = Budgets()
"""The budgets of a service built without settings (tests, scripts)."""


async def off_loop(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn`` in a worker thread and return its result, leaving the event loop free."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def within(deadline: Deadline, work: Awaitable[T]) -> T:
    """Await ``work``; a little after ``deadline`` stop waiting and raise ``BudgetExceeded``.

    Work that checks the deadline itself raises first; the grace period lets it.
    """
    try:
        return await asyncio.wait_for(work, timeout=max(deadline.remaining(), 0.0) + GRACE_S)
    except TimeoutError:
        raise BudgetExceeded(deadline.seconds, deadline.hint) from None

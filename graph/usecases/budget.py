"""Time budgets for requests, and running their heavy computations off the event loop.

The service answers every request on one event loop. A computation that takes a while (path
search, cohort composition, keep-in-touch figures, recommendations, breakout suggestions) would
hold up every other request if it ran there, so the use cases hand it to a worker thread
(:func:`off_loop`) with a :class:`~graph.domain.deadline.Deadline` the computation checks in its
loops: past its budget it stops with :class:`~graph.domain.errors.BudgetExceeded`, whose message
says what to narrow. :func:`within` also stops *waiting* once the deadline (and a short grace)
has passed, so a request ends with that error even if the work does not notice in time (a
search running in another server).

Python runs one thread at a time (the global interpreter lock): a worker thread still lets the
event loop run, but every time the loop needs the interpreter back it waits up to a switch
interval (the service shortens it to 1 ms, see ``api.http.app``) for each busy thread. So heavy work
runs on **one** worker thread, in turn (a request's budget includes its wait), and the
embedded store's path searches on one search thread of its own: whatever the load, the loop
competes with two threads at most. Composing cohorts, the longest computation by far and one
that needs nothing but its arguments, runs in a **worker process** (:func:`in_process`), where
it does not compete for the interpreter at all.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
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
    "in_process",
    "off_loop",
    "start_workers",
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


_executors: dict[str, Executor] = {}
_executors_lock = threading.Lock()


def _executor(kind: str) -> Executor:
    """The process's one heavy-work thread, or its one worker process, made when first used.

    Both live as long as the process (the interpreter waits for them at exit; work in them
    ends by its deadline). The process is spawned, not forked: the service has threads. It
    ends by itself when the service's process is gone, however that ended (a ``kill -9``
    leaves no one to tell it).
    """
    with _executors_lock:
        found = _executors.get(kind)
        if found is None:
            found = _executors[kind] = (
                ThreadPoolExecutor(1, thread_name_prefix="tiegraph-heavy")
                if kind == "thread"
                else ProcessPoolExecutor(
                    1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_end_with_parent,
                    initargs=(os.getpid(),),
                )
            )
        return found


PARENT_CHECK_S = 1.0
"""How often the worker process looks whether the service's process is still there."""


def _end_with_parent(parent: int) -> None:
    """In the worker process: exit as soon as ``parent`` is no longer its parent process."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="tiegraph-parent-watch", daemon=True).start()


async def start_workers() -> None:
    """Start the worker process now (a service calls this at start-up), so that no request
    waits for it to start."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(_executor("process"), int)


async def off_loop(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn`` on the heavy-work thread and return its result, leaving the event loop free."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor("thread"), functools.partial(fn, *args, **kwargs))


async def in_process(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn`` in the worker process (arguments and result are pickled) and return its
    result; for long pure computations that would otherwise hold the interpreter."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor("process"), functools.partial(fn, *args, **kwargs))


async def within(deadline: Deadline, work: Awaitable[T]) -> T:
    """Await ``work``; a little after ``deadline`` stop waiting and raise ``BudgetExceeded``.

    Work that checks the deadline itself raises first; the grace period lets it.
    """
    try:
        return await asyncio.wait_for(work, timeout=max(deadline.remaining(), 0.0) + GRACE_S)
    except TimeoutError:
        raise BudgetExceeded(deadline.seconds, deadline.hint) from None

"""Every heavy use case runs within the request budget and says what to narrow past it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.errors import BudgetExceeded
from graph.samples.demo import load_core_demo
from graph.usecases.budget import Budgets
from graph.usecases.service import Service
from graph.usecases.viewer import Role, Viewer

ADMIN = Viewer(person_id=None, roles=frozenset({Role.ADMIN}), subject="admin")
NOW = datetime(2024, 12, 1, tzinfo=UTC)
NO_TIME = Budgets(request_s=1e-6, compose_s=1e-6)
"""Budgets that have run out before any computation starts."""


@pytest.fixture
async def demo_store(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    """The embedded store holding the small demo group (spring 2024)."""
    opened = EmbeddedStore(tmp_path)
    await opened.open()
    await load_core_demo(opened)
    try:
        yield opened
    finally:
        await opened.close()


async def test_breakout_suggestions_past_the_budget_say_what_to_narrow(
    demo_store: EmbeddedStore,
) -> None:
    service = Service(demo_store, clock=lambda: NOW, budgets=NO_TIME)
    with pytest.raises(BudgetExceeded, match="groupSize"):
        await service.meetings.suggest_breakouts(ADMIN, meeting_id="spring-2024-m1")
    roomy = Service(demo_store, clock=lambda: NOW)
    assert (await roomy.meetings.suggest_breakouts(ADMIN, meeting_id="spring-2024-m1")).groups


async def test_keep_in_touch_figures_past_the_budget_say_what_to_narrow(
    demo_store: EmbeddedStore,
) -> None:
    service = Service(demo_store, clock=lambda: NOW, budgets=NO_TIME)
    with pytest.raises(BudgetExceeded, match="horizons"):
        await service.insights.group_retention(ADMIN, "spring-2024")
    with pytest.raises(BudgetExceeded, match="fewer groups"):
        await service.insights.compare_groups(ADMIN, ["spring-2024"])
    roomy = Service(demo_store, clock=lambda: NOW)
    assert (await roomy.insights.group_retention(ADMIN, "spring-2024")).pair_count > 0


async def test_recommendations_past_the_budget_end_with_budget_exceeded(
    demo_store: EmbeddedStore,
) -> None:
    service = Service(demo_store, clock=lambda: NOW, budgets=NO_TIME)
    with pytest.raises(BudgetExceeded):
        await service.discovery.recommended_people(ADMIN, "amir", first=5)


_SERVICE_WITH_A_WORKER = """
import asyncio, os
from graph.usecases.budget import in_process, start_workers

async def main() -> None:
    await start_workers()
    print(await in_process(os.getpid), flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_the_worker_process_ends_when_the_service_is_killed() -> None:
    service = subprocess.Popen(
        [sys.executable, "-c", _SERVICE_WITH_A_WORKER], stdout=subprocess.PIPE, text=True
    )
    try:
        assert service.stdout is not None
        worker = int(service.stdout.readline())
        assert worker != service.pid
        assert _running(worker)
        service.kill()  # SIGKILL: nothing in the service can tell the worker
        service.wait(timeout=10)
        waited = time.monotonic()
        while _running(worker) and time.monotonic() - waited < 15:
            time.sleep(0.1)
        assert not _running(worker), "the worker outlived the killed service"
    finally:
        service.kill()

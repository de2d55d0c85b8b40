"""Fixtures shared by every test: one store per backend, and a real Neo4j for the Neo4j leg.

The ``store`` fixture is parametrized over both backends, so a test that takes it runs once on
the embedded store and once on Neo4j. Neo4j is a real server: started once per test run by
``tests.support.neo4j`` (or the one ``NEO4J_URI`` names). When it cannot start, its tests are
skipped with the reason, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Protocol

import pytest

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.strength import StrengthModel
from graph.ports import GraphStore
from tests.support.neo4j import Neo4jTarget, Neo4jUnavailable, provide_neo4j

BACKENDS = ("embedded", "neo4j")
_ran_on: Counter[str] = Counter()
_neo4j_missing: list[str] = []


class Reopen(Protocol):
    """Close a store and open it again, optionally scoring ties with another model."""

    def __call__(
        self, store: GraphStore, model: StrengthModel | None = None
    ) -> Awaitable[GraphStore]: ...


@pytest.fixture(scope="session")
def neo4j_target() -> Iterator[Neo4jTarget | None]:
    """A real Neo4j server for the whole run, or ``None`` (with the reason kept) if absent."""
    try:
        with provide_neo4j() as target:
            yield target
    except Neo4jUnavailable as error:
        if os.environ.get("CI") == "true":
            raise
        _neo4j_missing.append(error.reason)
        yield None


async def open_store(backend: str, tmp_path: Path, neo4j_target: Neo4jTarget | None) -> GraphStore:
    """Open an empty store of ``backend`` (skipping, or failing under CI, without Neo4j).

    ``neo4j`` searches paths with tiegraph's procedure (required on the server these tests
    started, which has it unless no JDK could build it -- a failure in CI), ``neo4j-cypher``
    with the Cypher query that servers without it use."""
    if backend == "embedded":
        store: GraphStore = EmbeddedStore(tmp_path / "store")
    else:
        if neo4j_target is None:
            pytest.skip(f"no Neo4j server: {'; '.join(_neo4j_missing) or 'unavailable'}")
        # Planning the path searches at open is a start-up cost a test per store would pay
        # again and again (the tests of that warm-up open their own stores).
        store = neo4j_target.store(
            plan_searches_at_open=False,
            use_procedures=False
            if backend == "neo4j-cypher"
            else (True if neo4j_target.with_procedures else None),
        )
    await store.open()
    await store.delete_everything()
    return store


@pytest.fixture(params=BACKENDS)
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, neo4j_target: Neo4jTarget | None
) -> AsyncIterator[GraphStore]:
    """An empty, open store of each backend in turn."""
    opened = await open_store(request.param, tmp_path, neo4j_target)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def reopen(tmp_path: Path, neo4j_target: Neo4jTarget | None) -> Reopen:
    """Open the same store again, as a restarted process would (without wiping it)."""

    async def again(store: GraphStore, model: StrengthModel | None = None) -> GraphStore:
        await store.close()
        if isinstance(store, EmbeddedStore):
            fresh: GraphStore = EmbeddedStore(tmp_path / "store", model)
        else:
            assert neo4j_target is not None
            fresh = neo4j_target.store(model=model, plan_searches_at_open=False)
        await fresh.open()
        return fresh

    return again


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count tests that passed per backend, to show that both legs really ran."""
    if report.when != "call" or not report.passed:
        return
    for backend in BACKENDS:
        if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid:
            _ran_on[backend] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many backend-parametrized tests passed on each backend."""
    line = ", ".join(f"{backend}: {_ran_on[backend]}" for backend in BACKENDS)
    terminalreporter.write_sep("-", f"tests passed per backend: {line}")
    if _neo4j_missing:
        terminalreporter.write_line(f"Neo4j leg skipped: {'; '.join(_neo4j_missing)}")

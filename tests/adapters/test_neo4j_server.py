"""A real Neo4j server started from Maven-resolved jars: install, start, query, stop."""

from __future__ import annotations

import os
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError

from graph.adapters.neo4j import server as neo4j_server
from graph.adapters.neo4j.server import (
    NEO4J_VERSION,
    Neo4jServerError,
    RunningNeo4j,
    default_cache_dir,
    install,
    running_neo4j,
    start,
    status,
    stop,
)

PASSWORD = "correct-horse-battery"
# Small enough for a test machine; the defaults (1g heap, 256m page cache) are for real use.
HEAP = "512m"
PAGECACHE = "64m"


def answer_to_return_one(driver: Driver) -> int:
    """Run RETURN 1 on the default database and return what came back."""
    records, _, _ = driver.execute_query("RETURN 1 AS one", database_="neo4j")
    return int(records[0]["one"])


def process_exists(pid: int) -> bool:
    """Tell whether any process has `pid`."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNeo4j]:
    """A server with authentication on, shared by the tests that only talk to it."""
    with running_neo4j(
        home=tmp_path_factory.mktemp("neo4j-auth") / "home",
        cache_dir=default_cache_dir(),
        auth=("neo4j", PASSWORD),
        heap=HEAP,
        pagecache=PAGECACHE,
    ) as running:
        yield running


@dataclass(frozen=True)
class StoppedServer:
    """What happened to a server without authentication that was started, queried and stopped."""

    server: RunningNeo4j
    answer: int
    first_stop: bool
    second_stop: bool


@pytest.fixture(scope="module")
def stopped_server(tmp_path_factory: pytest.TempPathFactory) -> StoppedServer:
    """Start a server without authentication, ask it RETURN 1, then stop it twice."""
    home = tmp_path_factory.mktemp("neo4j-no-auth") / "home"
    running = start(
        home=home, cache_dir=default_cache_dir(), auth=None, heap=HEAP, pagecache=PAGECACHE
    )
    try:
        with GraphDatabase.driver(running.uri, auth=None) as driver:
            answer = answer_to_return_one(driver)
    finally:
        first_stop = stop(home)
    return StoppedServer(running, answer, first_stop, second_stop=stop(home))


def test_started_server_answers_a_query_over_bolt(server: RunningNeo4j) -> None:
    with GraphDatabase.driver(server.uri, auth=server.auth) as driver:
        assert answer_to_return_one(driver) == 1


def test_server_with_auth_rejects_wrong_password(server: RunningNeo4j) -> None:
    with (
        GraphDatabase.driver(server.uri, auth=("neo4j", "not-the-password")) as driver,
        pytest.raises(AuthError),
    ):
        driver.verify_connectivity()


def test_status_finds_the_running_server_from_its_home(server: RunningNeo4j) -> None:
    found = status(server.home)

    assert found is not None
    assert (found.uri, found.pid, found.auth_user) == (server.uri, server.pid, "neo4j")


def test_server_listens_on_loopback_with_http_disabled(server: RunningNeo4j) -> None:
    conf = (server.home / "conf" / "neo4j.conf").read_text(encoding="utf-8")

    assert server.uri.startswith("bolt://127.0.0.1:")
    assert "server.http.enabled=false" in conf
    assert "server.https.enabled=false" in conf


def test_server_without_auth_answers_without_credentials(stopped_server: StoppedServer) -> None:
    assert stopped_server.answer == 1


def test_stopped_server_leaves_no_process_behind(stopped_server: StoppedServer) -> None:
    assert stopped_server.first_stop is True
    assert not process_exists(stopped_server.server.pid)
    assert status(stopped_server.server.home) is None
    assert not (stopped_server.server.home / "run" / "tiegraph-neo4j.pid").exists()


def test_stop_is_idempotent(stopped_server: StoppedServer, tmp_path: Path) -> None:
    assert stopped_server.second_stop is False
    assert stop(tmp_path / "never-started") is False


def test_start_fails_fast_with_the_log_tail_when_the_jvm_cannot_start(tmp_path: Path) -> None:
    began = time.monotonic()

    with pytest.raises(Neo4jServerError, match="Too small maximum heap"):
        start(home=tmp_path / "home", cache_dir=default_cache_dir(), auth=None, heap="1m")

    assert time.monotonic() - began < 30
    assert status(tmp_path / "home") is None


def test_install_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    lib = install(default_cache_dir())
    marker = lib.parent / "installed.json"
    before = (marker.stat().st_mtime_ns, lib.stat().st_mtime_ns)

    def maven_must_not_run(mvn: str, output_dir: Path) -> None:
        raise AssertionError("install ran Maven although the jars were installed")

    monkeypatch.setattr(neo4j_server, "_run_maven", maven_must_not_run)

    assert install(default_cache_dir()) == lib
    assert (marker.stat().st_mtime_ns, lib.stat().st_mtime_ns) == before
    assert (lib / f"neo4j-{NEO4J_VERSION}.jar").is_file()


def test_interrupted_install_is_redone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / f"neo4j-{NEO4J_VERSION}"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "half-copied.jar").write_bytes(b"")
    (root / "lib.tmp-abandoned").mkdir()
    maven_runs: list[Path] = []

    def fake_maven(mvn: str, output_dir: Path) -> None:
        maven_runs.append(output_dir)
        (output_dir / f"neo4j-{NEO4J_VERSION}.jar").write_bytes(b"")

    monkeypatch.setattr(neo4j_server, "_run_maven", fake_maven)
    monkeypatch.setattr(neo4j_server, "_require_tool", lambda name, why: f"/usr/bin/{name}")

    lib = install(tmp_path)
    install(tmp_path)

    assert len(maven_runs) == 1
    assert sorted(path.name for path in lib.iterdir()) == [f"neo4j-{NEO4J_VERSION}.jar"]
    assert not (root / "lib.tmp-abandoned").exists()
    assert (root / "installed.json").is_file()


def test_install_without_maven_says_maven_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_which = shutil.which
    monkeypatch.setattr(
        shutil,
        "which",
        lambda name, *args, **kwargs: None if name == "mvn" else real_which(name),
    )

    with pytest.raises(Neo4jServerError, match="`mvn` is not on PATH"):
        install(tmp_path)


def test_the_server_home_and_the_files_it_writes_are_its_owners_alone(
    server: RunningNeo4j,
) -> None:
    assert stat.S_IMODE(server.home.stat().st_mode) == 0o700
    written = [p for p in (server.home / "data").rglob("*") if p.is_file()]
    assert written  # the store files exist, so the check below checks something
    for path in [*written, server.log_path]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path

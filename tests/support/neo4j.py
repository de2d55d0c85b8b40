"""A real Neo4j server for the test suite: the one NEO4J_URI names, or one started here.

`provide_neo4j` is meant for a session-scoped fixture. With NEO4J_URI set it hands that server
over untouched (NEO4J_USER, NEO4J_PASSWORD and NEO4J_DATABASE complete it). Otherwise it
installs Neo4j with Maven, starts one server with authentication disabled on a free port under
a temporary directory, and stops and removes it at the end. When that server cannot start it
raises `Neo4jUnavailable`, whose message gives the reason and the server's log tail: the
fixture turns it into a skip, or lets it fail the run when CI=true.

`separate_neo4j` starts a server of a test's own, never the shared one and never the one
NEO4J_URI names, as a `Neo4jInstance` the test may stop, kill and start again on the same port
(fault tests take the database away from a running service).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.adapters.neo4j import procedures
from graph.adapters.neo4j.server import (
    NEO4J_VERSION,
    Neo4jServerError,
    default_cache_dir,
    start,
    status,
    stop,
)

if TYPE_CHECKING:
    from graph.adapters.neo4j.store import Neo4jStore

__all__ = ["Neo4jInstance", "Neo4jTarget", "Neo4jUnavailable", "provide_neo4j", "separate_neo4j"]

DEFAULT_DATABASE = "neo4j"


@dataclass(frozen=True)
class Neo4jTarget:
    """Where the tests' Neo4j server is and how to log in to it."""

    uri: str
    auth: tuple[str, str] | None = field(repr=False)
    database: str = DEFAULT_DATABASE
    with_procedures: bool = False
    """Started for these tests by `tiegraph neo4j start`'s code, which installed tiegraph's
    procedures (a JDK built them): the stores must use them."""

    def store(self, **options: Any) -> Neo4jStore:
        """A store on this server (not opened yet), with ``options`` for ``Neo4jStore``."""
        from graph.adapters.neo4j.store import Neo4jStore

        return Neo4jStore(uri=self.uri, auth=self.auth, database=self.database, **options)


class Neo4jUnavailable(RuntimeError):
    """Raised when no Neo4j server could be had; `reason` is a one-line why, for skip messages."""

    def __init__(self, reason: str, detail: str = "") -> None:
        """Keep the one-line `reason` apart from the multi-line `detail` (a log tail)."""
        super().__init__(f"{reason}\n{detail}" if detail else reason)
        self.reason = reason


def target_from_environment() -> Neo4jTarget | None:
    """Return the server NEO4J_URI names, or None when it is not set."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        return None
    password = os.environ.get("NEO4J_PASSWORD")
    user = os.environ.get("NEO4J_USER") or "neo4j"
    return Neo4jTarget(
        uri=uri,
        auth=None if password is None else (user, password),
        database=os.environ.get("NEO4J_DATABASE") or DEFAULT_DATABASE,
    )


@contextlib.contextmanager
def provide_neo4j() -> Iterator[Neo4jTarget]:
    """Yield a Neo4j server for the whole test run; raise `Neo4jUnavailable` if none can start."""
    external = target_from_environment()
    if external is not None:
        yield external
        return
    root = Path(tempfile.mkdtemp(prefix="tiegraph-neo4j-tests-"))
    home = root / "home"
    try:
        try:
            server = start(home=home, cache_dir=default_cache_dir(), auth=None)
        except (Neo4jServerError, OSError) as error:
            summary, _, detail = str(error).partition("\n")
            raise Neo4jUnavailable(
                f"could not start a local Neo4j {NEO4J_VERSION}: {summary} "
                "(set NEO4J_URI to test against a running server)",
                detail,
            ) from error
        with_procedures = any((home / "plugins").glob(f"{procedures.JAR_PREFIX}*.jar"))
        if not with_procedures and os.environ.get("CI") == "true":
            stop(home)
            raise Neo4jUnavailable(
                "the Neo4j server started without tiegraph's procedures: a JDK (`javac`) is"
                " needed to build them (see the server's warning)"
            )
        try:
            # Without a JDK (outside CI) the server searches by Cypher, as Aura would.
            yield Neo4jTarget(
                uri=server.uri,
                auth=None,
                database=DEFAULT_DATABASE,
                with_procedures=with_procedures,
            )
        finally:
            stop(home)
    finally:
        shutil.rmtree(root, ignore_errors=True)


class Neo4jInstance:
    """A Neo4j server of one test's own, in its own home, that the test may stop and start.

    The first `start` picks a free port; later ones reuse it, so clients that know the address
    find the server again. Authentication is off. Small memory settings: several may run beside
    the shared server.
    """

    def __init__(self, home: Path, *, heap: str = "512m", pagecache: str = "64m") -> None:
        self.home = home
        self.heap = heap
        self.pagecache = pagecache
        self.port: int | None = None

    @property
    def target(self) -> Neo4jTarget:
        """Return where the server listens (once it has been started)."""
        if self.port is None:
            raise RuntimeError("the server has not been started yet")
        return Neo4jTarget(uri=f"bolt://127.0.0.1:{self.port}", auth=None)

    def start(self) -> Neo4jTarget:
        """Start the server (on its earlier port, if any) and return once it answers queries."""
        server = start(
            home=self.home,
            cache_dir=default_cache_dir(),
            bolt_port=self.port,
            auth=None,
            heap=self.heap,
            pagecache=self.pagecache,
        )
        self.port = server.bolt_port
        return self.target

    def stop(self) -> None:
        """Shut the server down cleanly (SIGTERM), as an operator or orchestrator would."""
        stop(self.home)

    def kill(self) -> None:
        """Kill the server with SIGKILL, as a crash or the OOM killer would, and reap it."""
        running = status(self.home)
        if running is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(running.pid, signal.SIGKILL)
        stop(self.home)  # waits until it is gone and forgets it

    def is_running(self) -> bool:
        """Tell whether the server's process is alive."""
        return status(self.home) is not None


@contextlib.contextmanager
def separate_neo4j() -> Iterator[Neo4jInstance]:
    """Yield a started server of the caller's own; raise `Neo4jUnavailable` if it cannot start.

    Stopped and removed on the way out, whatever state the caller left it in.
    """
    root = Path(tempfile.mkdtemp(prefix="tiegraph-neo4j-own-"))
    instance = Neo4jInstance(root / "home")
    try:
        try:
            instance.start()
        except (Neo4jServerError, OSError) as error:
            summary, _, detail = str(error).partition("\n")
            raise Neo4jUnavailable(
                f"could not start a separate local Neo4j {NEO4J_VERSION}: {summary}", detail
            ) from error
        try:
            yield instance
        finally:
            stop(instance.home)
    finally:
        shutil.rmtree(root, ignore_errors=True)

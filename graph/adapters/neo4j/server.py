"""Run a real Neo4j Community server from Maven-resolved jars, without Docker.

Neo4j publishes its server as ordinary jars on Maven Central, so the only prerequisites are
Java 17 or 21 and Maven. `install` resolves the jars into a cache directory once; `start` writes
a `neo4j.conf` under a home directory of the caller's choosing, launches the server's entry
point as a detached process and waits until Bolt answers a query; `stop` shuts it down.

The pom that names the jars lives next to this module, in `server/pom.xml`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from graph.adapters.neo4j import procedures
from graph.private_files import make_private_dir, open_private

__all__ = [
    "NEO4J_VERSION",
    "Neo4jServerError",
    "RunningNeo4j",
    "default_cache_dir",
    "has_database",
    "install",
    "run_admin",
    "running_neo4j",
    "start",
    "status",
    "stop",
]

NEO4J_VERSION: Final = "5.26.30"
"""The Neo4j release the pom resolves; 5.26 is the LTS line that still runs on Java 17."""

DEFAULT_USER: Final = "neo4j"
"""The only user a fresh Community server has; the initial password is set for it."""

_POM: Final = Path(__file__).parent / "server" / "pom.xml"
_MAIN_CLASS: Final = "org.neo4j.server.CommunityEntryPoint"
# neo4j-admin's own launcher would spawn a second JVM; its command class runs in-process.
_ADMIN_CLASS: Final = "org.neo4j.cli.AdminTool"
_INSTALL_MARKER: Final = "installed.json"
_PID_FILE: Final = "tiegraph-neo4j.pid"
_STATE_FILE: Final = "tiegraph-neo4j.json"
_MAVEN_TIMEOUT_S: Final = 1800.0
_MIN_JAVA: Final = 17
_MIN_INITIAL_HEAP_BYTES: Final = 256 * 1024**2
_READY_QUERY: Final = "RETURN 1 AS ready"
_POLL_INTERVAL_S: Final = 0.25
_LOG_TAIL_LINES: Final = 40
_JVM_OPTIONS: Final = (
    # Only the bin/neo4j launcher reads server.jvm.additional, so these come from its defaults.
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "-XX:-OmitStackTraceInFastThrow",
    # A server that ran out of heap is useless; dying makes `start` and `status` notice.
    "-XX:+ExitOnOutOfMemoryError",
)
_MEMORY_SIZE = re.compile(r"^(\d+)([kKmMgG]?)$")
_JAVA_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')

# Servers this process launched: they must be reaped here, or a stopped one lingers as a zombie
# that still answers kill(pid, 0).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}

log = logging.getLogger(__name__)


class Neo4jServerError(RuntimeError):
    """Raised when the Neo4j server cannot be installed, started or stopped."""


@dataclass(frozen=True)
class RunningNeo4j:
    """A Neo4j server started by `start`, as seen by the process that asks."""

    uri: str
    pid: int
    home: Path
    log_path: Path
    # Known only to the process that started the server; `status` cannot recover it.
    auth: tuple[str, str] | None = field(default=None, repr=False)
    auth_user: str | None = None
    heap: str = "1g"
    """The JVM's maximum heap it was started with (to start it again alike)."""
    pagecache: str = "256m"
    """The page cache it was started with."""

    @property
    def bolt_port(self) -> int:
        """Return the port Bolt listens on."""
        return int(self.uri.rsplit(":", 1)[1])

    @property
    def console_log_path(self) -> Path:
        """Return the file that receives the JVM's own stdout and stderr."""
        return self.home / "logs" / "console.log"


def default_cache_dir() -> Path:
    """Return the cache directory: $TIEGRAPH_CACHE_DIR, else ~/.cache/tiegraph."""
    configured = os.environ.get("TIEGRAPH_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "tiegraph"


def install(cache_dir: Path) -> Path:
    """Resolve the Neo4j jars into `<cache_dir>/neo4j-<version>/lib` and return that directory.

    Idempotent: a marker written after the jars are in place, holding the pom's digest, makes
    later calls return at once. Maven writes into a staging directory that is renamed into
    place, so an interrupted install leaves no marker and is redone from scratch.
    """
    root = cache_dir.expanduser().resolve() / f"neo4j-{NEO4J_VERSION}"
    lib = root / "lib"
    marker = root / _INSTALL_MARKER
    fingerprint = _pom_fingerprint()
    if _is_installed(lib, marker, fingerprint):
        return lib
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(root / ".install.lock"):
        # Another process may have finished the same install while this one waited.
        if _is_installed(lib, marker, fingerprint):
            return lib
        mvn = _require_tool("mvn", "Maven (3.6 or newer) is needed to fetch the Neo4j jars")
        _require_tool("java", f"Java {_MIN_JAVA} or 21 is needed to run Maven and Neo4j")
        for leftover in root.glob("lib.tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        marker.unlink(missing_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="lib.tmp-", dir=root))
        try:
            _run_maven(mvn, staging)
            if not (staging / f"neo4j-{NEO4J_VERSION}.jar").is_file():
                raise Neo4jServerError(
                    f"Maven finished but neo4j-{NEO4J_VERSION}.jar is not in {staging}; "
                    f"check {_POM}"
                )
            if lib.exists():
                retired = root / f"lib.tmp-retired-{os.getpid()}"
                lib.rename(retired)
                shutil.rmtree(retired, ignore_errors=True)
            staging.rename(lib)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        jars = sum(1 for _ in lib.glob("*.jar"))
        _write_atomically(
            marker,
            json.dumps({"neo4j_version": NEO4J_VERSION, "pom_sha256": fingerprint, "jars": jars}),
        )
    return lib


def has_database(home: Path) -> bool:
    """Tell whether a server has already been started from `home` (its system database exists).

    The initial password only takes effect before that first start.
    """
    return (home / "data" / "databases" / "system").is_dir()


def start(
    *,
    home: Path,
    cache_dir: Path,
    bolt_port: int | None = None,
    auth: tuple[str, str] | None,
    heap: str = "1g",
    pagecache: str = "256m",
    timeout_s: float = 90.0,
) -> RunningNeo4j:
    """Start a Neo4j server from `home` and return once it answers a query over Bolt.

    `bolt_port=None` picks a free port. `auth=None` disables authentication; otherwise the user
    must be `neo4j`, and the password (8 characters or more) is set before the first start
    only: a home that already holds a database keeps the password it was created with.
    Installs the jars first if needed. On failure the process is killed and the error carries
    the tail of the server's logs.
    """
    home = home.expanduser().resolve()
    initial_heap = _initial_heap(heap)
    _memory_size_bytes("pagecache", pagecache)
    if auth is not None and auth[0] != DEFAULT_USER:
        raise ValueError(
            f"a fresh Neo4j server only has the user {DEFAULT_USER!r}, not {auth[0]!r}"
        )
    already = status(home)
    if already is not None:
        raise Neo4jServerError(
            f"a Neo4j server from {home} is already running at {already.uri} "
            f"(pid {already.pid}); stop it first"
        )
    lib = install(cache_dir)
    java = _require_java()
    port = _free_port() if bolt_port is None else bolt_port
    _ensure_port_is_free(port)

    # The home holds the graph (people and what they said): its owner's alone, and the server
    # creates what it writes there 0600 (its umask below).
    make_private_dir(home)
    for name in ("conf", "data", "logs", "run", "plugins", "import"):
        make_private_dir(home / name)
    _write_atomically(
        home / "conf" / "neo4j.conf",
        _neo4j_conf(home, port=port, auth_enabled=auth is not None, pagecache=pagecache),
    )
    if auth is not None and not has_database(home):
        _set_initial_password(java, lib, home, auth[1])
    _install_procedures(lib, java, home / "plugins")

    command = [
        java,
        f"-Xms{initial_heap}",
        f"-Xmx{heap}",
        *_JVM_OPTIONS,
        "-cp",
        str(lib / "*"),
        _MAIN_CLASS,
        f"--home-dir={home}",
        f"--config-dir={home / 'conf'}",
    ]
    console_log = home / "logs" / "console.log"
    log_path = home / "logs" / "neo4j.log"
    # neo4j.log is appended to across restarts: error messages show only this start's part.
    log_offset = log_path.stat().st_size if log_path.is_file() else 0
    deadline = time.monotonic() + timeout_s
    with open_private(console_log, "wb") as console:
        # A session of its own keeps the server alive after the caller's terminal goes away
        # and out of reach of the Ctrl-C meant for the caller.
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell; java comes from PATH
            command,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            cwd=home,
            start_new_session=True,
            umask=0o077,
        )
    _CHILDREN[process.pid] = process
    server = RunningNeo4j(
        uri=f"bolt://127.0.0.1:{port}",
        pid=process.pid,
        home=home,
        log_path=log_path,
        auth=auth,
        auth_user=None if auth is None else auth[0],
        heap=heap,
        pagecache=pagecache,
    )
    try:
        # Recorded before the wait, so `stop` can find a server whose starter was interrupted.
        _write_state(server)
        _wait_until_ready(server, process, deadline, log_offset)
    except BaseException:
        _kill(process)
        _forget(home)
        raise
    return server


def _install_procedures(lib: Path, java: str, plugins: Path) -> None:
    """Put tiegraph's procedures (built once per source) into the server's plugins.

    Without a JDK the server starts without them, and the store searches with Cypher."""
    try:
        jar = procedures.build(lib, java=java)
    except procedures.ProceduresBuildError as error:
        log.warning("starting Neo4j without tiegraph's procedures: %s", error)
        procedures.install_into(None, plugins)
        return
    procedures.install_into(jar, plugins)


def stop(home: Path, timeout_s: float = 30.0) -> bool:
    """Stop the server started from `home`: SIGTERM, then SIGKILL after `timeout_s`.

    Idempotent: returns False when no server from `home` was running, True when one was stopped.
    """
    home = home.expanduser().resolve()
    pid = _recorded_pid(home)
    if pid is None or not _server_alive(pid, home):
        _forget(home)
        return False
    _signal(pid, signal.SIGTERM)
    if not _wait_until_gone(pid, home, timeout_s):
        _signal(pid, signal.SIGKILL)
        if not _wait_until_gone(pid, home, 10.0):
            raise Neo4jServerError(f"Neo4j server (pid {pid}) survived SIGKILL")
    _forget(home)
    return True


def status(home: Path) -> RunningNeo4j | None:
    """Return the server started from `home` if its recorded process is still alive."""
    home = home.expanduser().resolve()
    try:
        state = json.loads((home / "run" / _STATE_FILE).read_text(encoding="utf-8"))
        uri = str(state["uri"])
        pid = int(state["pid"])
        auth_user = state.get("auth_user")
        # Servers started before these were recorded ran with start's defaults.
        heap = str(state.get("heap", "1g"))
        pagecache = str(state.get("pagecache", "256m"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _server_alive(pid, home):
        return None
    return RunningNeo4j(
        uri=uri,
        pid=pid,
        home=home,
        log_path=home / "logs" / "neo4j.log",
        auth=None,
        auth_user=None if auth_user is None else str(auth_user),
        heap=heap,
        pagecache=pagecache,
    )


@contextlib.contextmanager
def running_neo4j(
    *,
    home: Path,
    cache_dir: Path,
    bolt_port: int | None = None,
    auth: tuple[str, str] | None,
    heap: str = "1g",
    pagecache: str = "256m",
    timeout_s: float = 90.0,
) -> Iterator[RunningNeo4j]:
    """Start a server as `start` does, yield it, and stop it on the way out."""
    server = start(
        home=home,
        cache_dir=cache_dir,
        bolt_port=bolt_port,
        auth=auth,
        heap=heap,
        pagecache=pagecache,
        timeout_s=timeout_s,
    )
    try:
        yield server
    finally:
        stop(server.home)


def _neo4j_conf(home: Path, *, port: int, auth_enabled: bool, pagecache: str) -> str:
    """Render neo4j.conf; 5.x names only, since strict validation rejects unknown keys."""
    settings = {
        "server.directories.data": home / "data",
        "server.directories.logs": home / "logs",
        "server.directories.run": home / "run",
        "server.directories.plugins": home / "plugins",
        "server.directories.import": home / "import",
        "server.directories.transaction.logs.root": home / "data" / "transactions",
        "server.default_listen_address": "127.0.0.1",
        "server.default_advertised_address": "127.0.0.1",
        "server.bolt.listen_address": f"127.0.0.1:{port}",
        "server.bolt.advertised_address": f"127.0.0.1:{port}",
        "server.http.enabled": "false",
        "server.https.enabled": "false",
        "dbms.security.auth_enabled": str(auth_enabled).lower(),
        "server.memory.pagecache.size": pagecache,
        "dbms.usage_report.enabled": "false",
        "db.transaction.timeout": "30s",
        # Timeouts are enforced when the monitor looks (every 2 s by default); a request's
        # budget is a few seconds, so it looks often.
        "db.transaction.monitor.check.interval": "100ms",
        # Netty otherwise waits a 5 s quiet period twice on shutdown: stop took 11 s, not 0.3 s.
        "internal.dbms.bolt.netty_server_shutdown_quiet_period": "0",
    }
    lines = [
        "# Written by tiegraph on every start (graph/adapters/neo4j/server.py); edits are lost."
    ]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def _set_initial_password(java: str, lib: Path, home: Path, password: str) -> None:
    """Write the initial password into `<home>/data/dbms/auth.ini` with neo4j-admin's command."""
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    # "--" keeps a password that starts with "-" from being read as an option.
    command = [java, "-Xmx256m", "-cp", str(lib / "*"), _ADMIN_CLASS]
    command += ["dbms", "set-initial-password", "--", password]
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        command,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        umask=0o077,  # auth.ini holds the password's hash: its owner's alone
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).replace(password, "***")
        raise Neo4jServerError(
            f"setting the initial Neo4j password failed (exit {result.returncode}):\n"
            + _tail(output)
        )


def run_admin(
    *, home: Path, cache_dir: Path, arguments: Sequence[str], heap: str, timeout_s: float
) -> str:
    """Run ``neo4j-admin <arguments>`` against the configuration of ``home``; return its output.

    The server from ``home`` must be stopped for commands that write its databases. Raises
    :class:`Neo4jServerError` with the tail of the output when the command fails or overruns.
    """
    home = home.expanduser().resolve()
    lib = install(cache_dir)
    java = _require_java()
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    command = [java, f"-Xmx{heap}", *_JVM_OPTIONS, "-cp", str(lib / "*"), _ADMIN_CLASS]
    command += list(arguments)
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            command,
            capture_output=True,
            text=True,
            env=env,
            cwd=home,  # files it writes by default (a report) go there, not where tiegraph runs
            timeout=timeout_s,
            check=False,
            umask=0o077,  # what it writes is the graph: its owner's alone
        )
    except subprocess.TimeoutExpired as error:
        raise Neo4jServerError(f"neo4j-admin did not finish in {timeout_s:.0f} s") from error
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise Neo4jServerError(
            f"neo4j-admin {' '.join(arguments[:3])} failed (exit {result.returncode}):\n"
            + _tail(output)
        )
    return output


def _wait_until_ready(
    server: RunningNeo4j, process: subprocess.Popen[bytes], deadline: float, log_offset: int
) -> None:
    """Poll until the server answers a query; Bolt listens before the database is online."""
    # Imported here: every ``tiegraph`` command loads this module, few of them start Neo4j,
    # and the driver takes a good part of a second to import.
    from neo4j import GraphDatabase
    from neo4j.exceptions import (
        AuthError,
        ClientError,
        ServiceUnavailable,
        SessionExpired,
        TransientError,
    )

    last_error = "no attempt finished"
    with GraphDatabase.driver(
        server.uri, auth=server.auth, connection_timeout=2.0, connection_acquisition_timeout=5.0
    ) as driver:
        while True:
            code = process.poll()
            if code is not None:
                _CHILDREN.pop(process.pid, None)
                tail = _log_tail(server.home, log_offset)
                raise Neo4jServerError(f"Neo4j exited with code {code} while starting\n{tail}")
            try:
                driver.verify_connectivity()
                with driver.session(database="neo4j") as session:
                    session.run(_READY_QUERY).consume()
            except AuthError as error:
                raise Neo4jServerError(
                    f"Neo4j at {server.uri} rejected the credentials ({error.message or error}); "
                    "a home that already holds a database keeps the password it was created with"
                ) from error
            except (ServiceUnavailable, SessionExpired, TransientError, ClientError, OSError) as e:
                # ClientError covers DatabaseNotFound while the default database comes online.
                last_error = f"{type(e).__name__}: {e}"
            else:
                return
            if time.monotonic() >= deadline:
                raise Neo4jServerError(
                    f"Neo4j at {server.uri} was not ready in time (last error: {last_error})\n"
                    + _log_tail(server.home, log_offset)
                )
            time.sleep(_POLL_INTERVAL_S)


def _log_tail(home: Path, neo4j_log_offset: int) -> str:
    """Return the tails of the console log and of neo4j.log past `neo4j_log_offset`."""
    parts = []
    logs = home / "logs"
    for path, offset in ((logs / "console.log", 0), (logs / "neo4j.log", neo4j_log_offset)):
        try:
            with path.open("rb") as log:
                log.seek(offset)
                text = log.read().decode("utf-8", errors="replace")
        except OSError:
            continue
        if text.strip():
            parts.append(f"--- tail of {path} ---\n{_tail(text)}")
    parts.append(f"(more detail in {home / 'logs' / 'debug.log'})")
    return "\n".join(parts)


def _tail(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    """Return the last `lines` lines of `text`."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _run_maven(mvn: str, output_dir: Path) -> None:
    """Copy the pom's runtime dependencies into `output_dir`."""
    if not _POM.is_file():
        raise Neo4jServerError(f"the Neo4j server pom is missing: {_POM}")
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(_POM),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={output_dir}",
        "-DincludeScope=runtime",
    ]
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            command, capture_output=True, text=True, timeout=_MAVEN_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise Neo4jServerError(f"Maven did not finish in {_MAVEN_TIMEOUT_S:.0f} s") from error
    if result.returncode != 0:
        raise Neo4jServerError(
            f"Maven could not fetch the Neo4j jars (exit {result.returncode}): "
            f"{' '.join(command)}\n{_tail(result.stdout + result.stderr)}"
        )


def _pom_fingerprint() -> str:
    """Return the pom's SHA-256, so editing the pom invalidates an earlier install."""
    try:
        return hashlib.sha256(_POM.read_bytes()).hexdigest()
    except OSError as error:
        raise Neo4jServerError(f"the Neo4j server pom is unreadable: {_POM}") from error


def _is_installed(lib: Path, marker: Path, fingerprint: str) -> bool:
    """Tell whether `lib` holds a complete install of the current pom."""
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(recorded, dict) and recorded.get("pom_sha256") == fingerprint and lib.is_dir()


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on `path`, so parallel installs do not collide."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` via a sibling temp file and a rename."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _require_tool(name: str, why: str) -> str:
    """Return the absolute path of executable `name`, or fail saying why it is needed."""
    found = shutil.which(name)
    if found is None:
        raise Neo4jServerError(f"`{name}` is not on PATH: {why}")
    return found


def _require_java() -> str:
    """Return the java executable, after checking it is recent enough for Neo4j 5.26."""
    java = _require_tool("java", f"Java {_MIN_JAVA} or 21 is needed to run Neo4j")
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Neo4jServerError(f"`{java} -version` failed: {error}") from error
    output = result.stderr + result.stdout
    match = _JAVA_VERSION.search(output)
    if result.returncode != 0 or match is None:
        raise Neo4jServerError(f"`{java} -version` failed:\n{_tail(output)}")
    major = int(match[1])
    if major == 1 and match[2] is not None:
        major = int(match[2])  # "1.8.0" style numbering before Java 9
    if major < _MIN_JAVA:
        raise Neo4jServerError(
            f"Neo4j {NEO4J_VERSION} needs Java {_MIN_JAVA} or 21; {java} is {major}"
        )
    return java


def _memory_size_bytes(what: str, size: str) -> int:
    """Parse a JVM-style size such as `512m` or `1g` into bytes."""
    match = _MEMORY_SIZE.match(size)
    if match is None:
        raise ValueError(f"{what} must look like 512m or 1g, not {size!r}")
    scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match[2].lower()]
    return int(match[1]) * scale


def _initial_heap(heap: str) -> str:
    """Return -Xms: 256m, or the whole heap when that is smaller (the JVM rejects Xms > Xmx)."""
    if _memory_size_bytes("heap", heap) < _MIN_INITIAL_HEAP_BYTES:
        return heap
    return "256m"


def _free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _ensure_port_is_free(port: int) -> None:
    """Fail clearly when `port` is taken, instead of letting Neo4j fail in its logs."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Netty binds with SO_REUSEADDR; without it a port in TIME_WAIT would look taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise Neo4jServerError(f"port {port} on 127.0.0.1 is in use ({error})") from error


def _write_state(server: RunningNeo4j) -> None:
    """Record the server's pid and address under `<home>/run`, for `status` and `stop`."""
    run = server.home / "run"
    _write_atomically(run / _PID_FILE, f"{server.pid}\n")
    state = {
        "uri": server.uri,
        "pid": server.pid,
        "auth_user": server.auth_user,
        "heap": server.heap,
        "pagecache": server.pagecache,
        "neo4j_version": NEO4J_VERSION,
        "started_at": time.time(),
    }
    _write_atomically(run / _STATE_FILE, json.dumps(state, indent=2) + "\n")


def _recorded_pid(home: Path) -> int | None:
    """Return the pid recorded under `<home>/run`, if any."""
    try:
        return int((home / "run" / _PID_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _forget(home: Path) -> None:
    """Remove the pid and state files of a server that is gone."""
    for name in (_PID_FILE, _STATE_FILE):
        (home / "run" / name).unlink(missing_ok=True)


def _server_alive(pid: int, home: Path) -> bool:
    """Tell whether `pid` is alive and is the server started from `home`.

    Checking the command line guards against a recycled pid: stop must never signal a stranger.
    """
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        del _CHILDREN[pid]
        return False
    home_arg = f"--home-dir={home}"
    if sys.platform.startswith("linux"):
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
        # A zombie has an empty command line: it is gone as far as callers are concerned.
        argv = raw.decode(errors="replace").split("\0")
        return _MAIN_CLASS in argv and home_arg in argv
    ps = shutil.which("ps")
    if ps is None:
        return _pid_exists(pid)
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [ps, "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    command_line = result.stdout.strip() + " "
    return result.returncode == 0 and _MAIN_CLASS in command_line and f"{home_arg} " in command_line


def _pid_exists(pid: int) -> bool:
    """Tell whether a process with `pid` exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal(pid: int, signum: signal.Signals) -> None:
    """Send `signum` to `pid`, ignoring a process that has just exited."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _wait_until_gone(pid: int, home: Path, timeout_s: float) -> bool:
    """Wait up to `timeout_s` for the server to exit; True if it did."""
    child = _CHILDREN.get(pid)
    if child is not None:
        try:
            child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        del _CHILDREN[pid]
        return True
    deadline = time.monotonic() + timeout_s
    while _server_alive(pid, home):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill a server that failed to start, and reap it."""
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    _CHILDREN.pop(process.pid, None)

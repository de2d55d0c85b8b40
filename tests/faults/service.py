"""Run ``tiegraph serve`` and ``tiegraph import`` as child processes, as an operator would.

The children are real processes, so they can be killed with SIGKILL; their output goes to a log
file whose tail is shown when something fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = [
    "ROOT",
    "Served",
    "child_environment",
    "free_port",
    "log_tail",
    "run_tiegraph",
    "start_service",
    "tiegraph_command",
]

ROOT = Path(__file__).resolve().parents[2]

_LAUNCH = "import sys; from api.cli import main; sys.argv[0] = 'tiegraph'; main()"


def tiegraph_command(*args: str) -> list[str]:
    """Return the argv that runs the ``tiegraph`` command line of this checkout."""
    return [sys.executable, "-c", _LAUNCH, *args]


def child_environment(**settings: str) -> dict[str, str]:
    """Return this process's environment without tiegraph or Neo4j settings, plus ``settings``.

    A developer's own ``NEO4J_URI`` or ``TIEGRAPH_DATA_DIR`` must never reach a child that a
    fault test is about to kill.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TIEGRAPH_", "NEO4J_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(settings)
    return env


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def log_tail(path: Path, lines: int = 30) -> str:
    """Return the last ``lines`` lines of a child's log."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Served:
    """A ``tiegraph serve`` child process and where it answers."""

    process: subprocess.Popen[bytes]
    url: str
    port: int
    log_path: Path

    def kill(self) -> None:
        """Kill the service with SIGKILL (no shutdown, no checkpoint) and reap it."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self) -> None:
        """Stop the service the polite way (SIGTERM), or kill it if it does not go."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def start_service(
    *,
    args: list[str],
    env: dict[str, str],
    log_path: Path,
    port: int | None = None,
    ready_within_s: float = 90.0,
) -> Served:
    """Start ``tiegraph serve --no-auth`` (on a free port unless told), return once it is ready.

    Ready means ``/readyz`` answers 200: the store is open.
    """
    port = free_port() if port is None else port
    command = tiegraph_command("serve", "--no-auth", "--port", str(port), *args)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    served = Served(process, f"http://127.0.0.1:{port}", port, log_path)
    deadline = time.monotonic() + ready_within_s
    with httpx.Client(base_url=served.url, timeout=5.0) as client:
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"tiegraph serve exited with {process.returncode}:\n{log_tail(log_path)}"
                )
            with contextlib.suppress(httpx.TransportError):
                if client.get("/readyz").status_code == 200:
                    return served
            if time.monotonic() > deadline:
                served.kill()
                raise AssertionError(
                    f"tiegraph serve was not ready in {ready_within_s:g} s:\n{log_tail(log_path)}"
                )
            time.sleep(0.1)


def run_tiegraph(
    *args: str, env: dict[str, str], log_path: Path, timeout_s: float = 300.0
) -> subprocess.CompletedProcess[bytes]:
    """Run a ``tiegraph`` command to its end; its output goes to ``log_path``."""
    with log_path.open("ab") as log:
        return subprocess.run(
            tiegraph_command(*args),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            timeout=timeout_s,
            check=False,
        )

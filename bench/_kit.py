"""What the bench scripts share: percentiles, progress, SIGTERM handling, ports, the machine.

One place for the helpers every benchmark used to repeat, so their figures are computed the
same way (the percentile rule in particular) and a fix reaches every script.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import signal
import socket
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

__all__ = [
    "asgi_post",
    "free_port",
    "machine",
    "mib",
    "nearest_rank",
    "percentile",
    "process_tree",
    "rss_of",
    "spinner",
    "tree_size",
    "unwind_on_sigterm",
    "verdict",
]


def percentile(ordered: Sequence[float], q: float) -> float:
    """The value at rank ``round(q * (n - 1))`` of sorted values (0 for none).

    >>> percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5), percentile([], 0.99)
    (3.0, 0.0)
    """
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def nearest_rank(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted values (0 for none): the smallest value with at least
    ``q`` of the values at or below it.

    >>> nearest_rank([1.0, 2.0, 3.0, 4.0], 0.5), nearest_rank([1.0, 2.0, 3.0, 4.0], 0.51)
    (2.0, 3.0)
    """
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def spinner(console: Console, field: str = "records", unit: str = "records") -> Progress:
    """A transient spinner showing each task's description, its ``field`` count and the time.

    Tasks are added with the field set, e.g. ``add_task("loading", total=None, records=0)``.
    """
    suffix = f" {unit}" if unit else ""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn(f"{{task.fields[{field}]:,}}{suffix}"),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=console, transient=True)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Unwinds like Ctrl-C, so every server and temporary directory is cleaned up.
    raise KeyboardInterrupt


@contextlib.contextmanager
def unwind_on_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`KeyboardInterrupt` like Ctrl-C does."""
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def verdict(met: bool) -> str:
    """A target's verdict, as rich markup."""
    return "[bold green]PASS[/]" if met else "[bold red]MISS[/]"


def mib(n: int | None) -> str:
    """A byte count in MiB (or GiB from 10 GiB); ``-`` when unknown.

    >>> mib(None), mib(5 * 1024**2), mib(20 * 1024**3)
    ('-', '5 MiB', '20.0 GiB')
    """
    if n is None:
        return "-"
    return f"{n / 1024**2:,.0f} MiB" if n < 10 * 1024**3 else f"{n / 1024**3:,.1f} GiB"


def process_tree(pid: int) -> list[int]:
    """Return ``pid`` and every process descended from it (children, their children, ...),
    from each process's parent in ``/proc/<pid>/stat``; processes that end meanwhile are left
    out. ``tiegraph serve --workers N`` runs its workers as children of uvicorn's process.

    >>> process_tree(os.getpid())[0] == os.getpid()
    True
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces; the parent id is the second field after.
        parent = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        waiting.extend(sorted(children.get(current, ()), reverse=True))
    return found


def rss_of(pid: int) -> tuple[int | None, int | None]:
    """Return the current and the peak resident set size of a process, from ``/proc``."""
    found: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0]) * 1024
    except OSError:
        return None, None
    return found.get("VmRSS"), found.get("VmHWM")


def tree_size(root: Path) -> int:
    """Return the total size of the files under ``root``."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def machine() -> dict[str, Any]:
    """Describe the machine the figures come from."""
    info: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_bytes"] = int(line.split()[1]) * 1024
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    return info


async def asgi_post(app: Any, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """POST ``body`` to an ASGI ``app`` in this process (no socket, no client) and return the
    answer's body: what profiling the server's own work needs."""
    sent = False
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive, send)
    return b"".join(chunks)


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process and all its threads, from ``/proc/<pid>/stat``;
    None for no process or one that is gone."""
    if pid is None:
        return None
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the fields after it are plain numbers.
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    times = os.times()
    return times.user + times.system

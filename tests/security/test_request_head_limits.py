"""A real server on loopback refuses an oversized request line or headers before holding them.

Run as an operator runs it (``tiegraph serve`` in a child process): the limit is the HTTP
server's, so no in-process client can show it.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.service import Served, child_environment, start_service

KIB = 1024
MIB = 1024 * KIB


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``tiegraph serve`` on an empty embedded store, with the default header limit."""
    work = tmp_path_factory.mktemp("head-limits")
    env = child_environment(TIEGRAPH_DATA_DIR=str(work / "store"))
    service = start_service(args=[], env=env, log_path=work / "serve.log")
    try:
        yield service
    finally:
        service.terminate()


def _status_after_sending(served: Served, head: bytes) -> int | None:
    """Send ``head`` (stopping when the server closes) and return the status it answered."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for start in range(0, len(head), 64 * KIB):
                conn.sendall(head[start : start + 64 * KIB])
        answer = b""
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            while chunk := conn.recv(4096):
                answer += chunk
                if b"\r\n" in answer:
                    break
    if not answer.startswith(b"HTTP/1.1 "):
        return None
    return int(answer.split(b" ", 2)[1])


def _head(header_value_bytes: int, *, line: str = "GET /healthz HTTP/1.1") -> bytes:
    value = b"a" * header_value_bytes
    return f"{line}\r\nHost: localhost\r\nX-Padding: ".encode() + value + b"\r\n\r\n"


def _peak_memory(pid: int) -> int:
    """Return the most memory the process has held (its peak resident set), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * KIB
    raise AssertionError("no VmHWM in /proc")


def test_an_ordinary_request_head_is_answered(served: Served) -> None:
    assert _status_after_sending(served, _head(8 * KIB)) == 200


def test_a_100_kb_header_is_refused(served: Served) -> None:
    assert _status_after_sending(served, _head(100 * KIB)) in (400, 431)


def test_a_100_kb_request_line_is_refused(served: Served) -> None:
    line = "GET /healthz?" + "a" * (100 * KIB) + " HTTP/1.1"
    assert _status_after_sending(served, _head(0, line=line)) in (400, 431)


def test_a_huge_header_does_not_grow_the_server(served: Served) -> None:
    before = _peak_memory(served.process.pid)
    _status_after_sending(served, _head(100 * MIB))
    # The server is still there, and never held the header.
    assert _status_after_sending(served, _head(0)) == 200
    assert _peak_memory(served.process.pid) - before < 10 * MIB

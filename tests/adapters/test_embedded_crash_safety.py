"""An acknowledged write to the embedded store survives the process being killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.model import Interaction

ROOT = Path(__file__).resolve().parents[2]


def _kill_writer_after(data_dir: Path, acknowledged: int) -> list[str]:
    """Run the writer until it has acknowledged ``acknowledged`` keys, then SIGKILL it."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.adapters.crash_writer", str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    acks: list[str] = []
    try:
        for line in child.stdout:
            acks.append(line.split()[1])
            if len(acks) >= acknowledged:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return acks


async def test_every_acknowledged_interaction_survives_a_sigkill(tmp_path: Path) -> None:
    acks = _kill_writer_after(tmp_path, acknowledged=300)
    store = EmbeddedStore(tmp_path)
    await store.open()
    try:
        stored = await store.get(Interaction, acks)
        assert sorted(stored) == sorted(acks)
        tie = await store.tie("ann", "ben")
        assert tie is not None
        # The tie counts exactly the interactions that are stored: none torn, none twice.
        assert tie.count == (await store.counts())["interaction"]
        assert tie.count >= len(acks)
    finally:
        await store.close()

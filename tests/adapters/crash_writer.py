"""A child process for the crash-safety test: writes interactions and says which were acknowledged.

Usage: ``python -m tests.adapters.crash_writer DATA_DIR``. Prints ``ack <key>`` after each
batch's ``apply`` returns, then keeps writing until it is killed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from graph.adapters.embedded.store import EmbeddedStore
from graph.ports import batch_of
from tests.factories import interaction, person


async def write_until_killed(data_dir: Path) -> None:
    store = EmbeddedStore(data_dir)
    await store.open()
    await store.apply(batch_of([person("ann"), person("ben")]))
    n = 0
    while True:
        keys = [f"k{n + i}" for i in range(10)]
        await store.apply(batch_of([interaction(k, "ann", "ben", day=n / 100) for k in keys]))
        n += len(keys)
        sys.stdout.write("".join(f"ack {k}\n" for k in keys))
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(write_until_killed(Path(sys.argv[1])))

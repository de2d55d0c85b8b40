"""What only the embedded store has to promise: one process at a time per directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.errors import ConfigurationError


async def test_a_second_store_on_the_same_directory_is_refused_until_the_first_closes(
    tmp_path: Path,
) -> None:
    first = EmbeddedStore(tmp_path)
    await first.open()
    second = EmbeddedStore(tmp_path)
    with pytest.raises(ConfigurationError, match="in use by another tiegraph process"):
        await second.open()
    await first.close()
    await second.open()
    await second.close()


async def test_an_unusable_data_directory_is_named_in_the_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigurationError, match="TIEGRAPH_DATA_DIR"):
        await EmbeddedStore(blocker / "store").open()

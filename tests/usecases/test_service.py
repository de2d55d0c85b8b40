"""The application service reads whole only what is public."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.model import Breakout, Interaction, Membership
from graph.usecases.service import Service
from graph.usecases.viewer import Viewer


@pytest.mark.parametrize("kind", [Breakout, Interaction, Membership])
async def test_kinds_that_carry_peoples_data_cannot_be_read_whole(
    tmp_path: Path, kind: type
) -> None:
    service = Service(EmbeddedStore(tmp_path))
    with pytest.raises(TypeError, match="is not public"):
        await service.get(Viewer.admin(), kind, ["x"])
    with pytest.raises(TypeError, match="is not public"):
        await service.list_records(Viewer.admin(), kind, first=1)

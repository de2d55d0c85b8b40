"""What every CLI test shares: the app as ``main`` builds it, and no store settings leaking in
from the environment of whoever runs the tests."""

from __future__ import annotations

import pytest
import typer


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """The ``tiegraph`` app with its sub-commands registered, as ``main`` runs it."""
    from api import cli

    cli._register()
    return cli.app


@pytest.fixture(autouse=True)
def no_store_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TIEGRAPH_STORE", "TIEGRAPH_DATA_DIR", "NEO4J_URI", "NEO4J_DATABASE"):
        monkeypatch.delenv(name, raising=False)

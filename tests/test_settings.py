"""Settings are read once from the environment; a bad one stops start-up, named."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api import cli
from graph.domain.errors import ConfigurationError
from graph.settings import StoreKind, load_settings


def test_the_embedded_store_is_the_default() -> None:
    settings = load_settings(environ={})
    assert settings.store is StoreKind.EMBEDDED
    assert settings.data_dir.name == "tiegraph"


def test_a_neo4j_uri_alone_selects_neo4j() -> None:
    settings = load_settings(environ={"NEO4J_URI": "neo4j://db.example:7687"})
    assert settings.store is StoreKind.NEO4J
    assert settings.neo4j_database == "neo4j"


def test_command_line_options_win_over_the_environment(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": tmp_path}, environ={"TIEGRAPH_DATA_DIR": "/elsewhere"})
    assert settings.data_dir == tmp_path


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"TIEGRAPH_STORE": "neo4j"}, "NEO4J_URI"),
        ({"TIEGRAPH_STORE": "postgres"}, "TIEGRAPH_STORE"),
        ({"NEO4J_URI": "http://localhost:7474"}, "NEO4J_URI"),
        ({"TIEGRAPH_JWT_SECRET": "short"}, "TIEGRAPH_JWT_SECRET"),
        ({"TIEGRAPH_RATE_LIMIT_PER_MINUTE": "0"}, "TIEGRAPH_RATE_LIMIT_PER_MINUTE"),
    ],
)
def test_a_missing_or_invalid_setting_is_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        load_settings(environ=environ)


def test_the_command_line_stops_with_the_setting_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIEGRAPH_STORE", "neo4j")
    monkeypatch.delenv("NEO4J_URI", raising=False)
    cli._register()
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 2
    assert "NEO4J_URI" in result.output

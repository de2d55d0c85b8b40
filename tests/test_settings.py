"""Settings are read once from the environment; a bad one stops start-up, named."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api import cli
from graph.domain.errors import ConfigurationError
from graph.domain.model import InteractionKind
from graph.domain.strength import StrengthModel
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
        ({"TIEGRAPH_STRENGTH_HALF_LIFE_DAYS": "0"}, "TIEGRAPH_STRENGTH_HALF_LIFE_DAYS"),
        ({"TIEGRAPH_STRENGTH_WEIGHTS": "hug=3"}, "'hug' is not an interaction kind"),
        ({"TIEGRAPH_STRENGTH_WEIGHTS": "call=-1"}, "'call=-1': the weight must be a number"),
        ({"TIEGRAPH_STRENGTH_WEIGHTS": "call"}, "TIEGRAPH_STRENGTH_WEIGHTS"),
    ],
)
def test_a_missing_or_invalid_setting_is_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        load_settings(environ=environ)


def test_strength_settings_build_the_model_the_stores_score_with() -> None:
    settings = load_settings(
        environ={
            "TIEGRAPH_STRENGTH_HALF_LIFE_DAYS": "30",
            "TIEGRAPH_STRENGTH_WEIGHTS": "call=4, meeting=0.5",
        }
    )
    model = settings.strength_model()
    assert model.half_life == timedelta(days=30)
    assert model.weights[InteractionKind.CALL] == 4.0
    assert model.weights[InteractionKind.MEETING] == 0.5
    assert model.weights[InteractionKind.SIDE_CONVERSATION] == 3.0  # default kept
    assert load_settings(environ={}).strength_model() == StrengthModel()


def test_the_command_line_stops_with_the_setting_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIEGRAPH_STORE", "neo4j")
    monkeypatch.delenv("NEO4J_URI", raising=False)
    cli._register()
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 2
    assert "NEO4J_URI" in result.output

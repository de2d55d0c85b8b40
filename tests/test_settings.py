"""Settings are read once from the environment; a bad one stops start-up, named."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api import cli
from api.settings import StoreKind, load_settings
from graph.domain.errors import ConfigurationError
from graph.domain.model import InteractionKind
from graph.domain.strength import StrengthModel


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


def test_neo4j_timeouts_are_bounded_by_default_and_match_the_store() -> None:
    from graph.adapters.neo4j import store as neo4j_store

    settings = load_settings(environ={})
    # A request during an outage fails in seconds, not after the driver's 30 s defaults.
    assert settings.neo4j_connection_timeout_seconds == neo4j_store.CONNECTION_TIMEOUT_S == 5.0
    assert settings.neo4j_acquisition_timeout_seconds == neo4j_store.ACQUISITION_TIMEOUT_S == 10.0
    assert settings.neo4j_max_retry_time_seconds == neo4j_store.MAX_RETRY_TIME_S == 2.0


def test_neo4j_timeouts_are_read_from_the_environment() -> None:
    settings = load_settings(
        environ={
            "TIEGRAPH_NEO4J_CONNECTION_TIMEOUT_SECONDS": "1.5",
            "TIEGRAPH_NEO4J_ACQUISITION_TIMEOUT_SECONDS": "4",
            "TIEGRAPH_NEO4J_MAX_RETRY_TIME_SECONDS": "0",
        }
    )
    assert settings.neo4j_connection_timeout_seconds == 1.5
    assert settings.neo4j_acquisition_timeout_seconds == 4.0
    assert settings.neo4j_max_retry_time_seconds == 0.0


def test_the_neo4j_store_plans_its_path_searches_at_start_unless_told_not_to() -> None:
    from graph.adapters.neo4j.store import Neo4jStore
    from graph.bootstrap import build_store

    uri = {"NEO4J_URI": "bolt://127.0.0.1:7687"}
    served = build_store(load_settings(environ=uri))
    quick = build_store(
        load_settings(environ={**uri, "TIEGRAPH_NEO4J_PLAN_SEARCHES_AT_START": "false"})
    )
    assert isinstance(served, Neo4jStore)
    assert isinstance(quick, Neo4jStore)
    assert served._plan_searches_at_open
    assert not quick._plan_searches_at_open


def test_a_one_off_command_opens_neo4j_without_planning_every_path_search() -> None:
    from api.cli.options import command_store
    from graph.adapters.neo4j.store import Neo4jStore

    settings = load_settings(environ={"NEO4J_URI": "bolt://127.0.0.1:7687"})
    assert settings.neo4j_plan_searches_at_start
    store = command_store(settings)
    assert isinstance(store, Neo4jStore)
    assert not store._plan_searches_at_open


@pytest.mark.parametrize(
    "variable",
    [
        "TIEGRAPH_NEO4J_CONNECTION_TIMEOUT_SECONDS",
        "TIEGRAPH_NEO4J_ACQUISITION_TIMEOUT_SECONDS",
        "TIEGRAPH_NEO4J_MAX_RETRY_TIME_SECONDS",
    ],
)
@pytest.mark.parametrize("value", ["-1", "forever", "3601"])
def test_a_negative_or_unbounded_neo4j_timeout_is_named(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        load_settings(environ={variable: value})


def test_time_budgets_default_to_two_seconds_and_thirty_for_cohorts() -> None:
    budgets = load_settings(environ={}).budgets()
    assert (budgets.request_s, budgets.compose_s) == (2.0, 30.0)


def test_time_budgets_are_read_from_the_environment() -> None:
    settings = load_settings(
        environ={
            "TIEGRAPH_REQUEST_BUDGET_SECONDS": "0.5",
            "TIEGRAPH_COMPOSE_BUDGET_SECONDS": "45",
        }
    )
    assert (settings.budgets().request_s, settings.budgets().compose_s) == (0.5, 45.0)


@pytest.mark.parametrize(
    "variable", ["TIEGRAPH_REQUEST_BUDGET_SECONDS", "TIEGRAPH_COMPOSE_BUDGET_SECONDS"]
)
@pytest.mark.parametrize("value", ["0", "-1", "soon", "3601"])
def test_a_budget_that_is_not_a_positive_bounded_number_is_named(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        load_settings(environ={variable: value})


def test_every_setting_is_read_from_the_environment_name_it_always_had() -> None:
    from api.settings import Settings
    from graph.settings import env_name

    neo4j = {"neo4j_uri", "neo4j_user", "neo4j_password", "neo4j_database"}
    for field in Settings.model_fields:
        expected = field.upper() if field in neo4j else f"TIEGRAPH_{field.upper()}"
        assert env_name(Settings, field) == expected
    assert load_settings(environ={"NEO4J_USER": "reader"}).neo4j_user == "reader"
    assert load_settings(environ={"TIEGRAPH_MAX_QUERY_DEPTH": "4"}).max_query_depth == 4


def test_only_names_in_capitals_are_read() -> None:
    assert load_settings(environ={"tiegraph_privacy_min_group": "3"}).privacy_min_group == 5


def test_building_settings_directly_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.settings import Settings
    from graph.settings import GraphSettings

    monkeypatch.setenv("TIEGRAPH_PRIVACY_MIN_GROUP", "3")
    monkeypatch.setenv("TIEGRAPH_NO_AUTH", "1")
    assert GraphSettings().privacy_min_group == 5
    assert Settings().no_auth is False
    assert load_settings().privacy_min_group == 3


def test_the_graph_reads_its_own_settings_and_ignores_the_apis() -> None:
    from graph.settings import GraphSettings
    from graph.settings import load_settings as load_graph_settings

    settings = load_graph_settings(
        environ={"TIEGRAPH_PRIVACY_MIN_GROUP": "3", "TIEGRAPH_JWT_SECRET": "short"}
    )
    assert type(settings) is GraphSettings
    assert settings.privacy_min_group == 3

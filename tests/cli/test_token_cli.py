"""``tiegraph token create``: prints only a token the service accepts, or says what to set."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from api.http.auth import Authenticator
from api.settings import load_settings
from graph.usecases.viewer import Role, Viewer

SECRET = "s3cret-for-cli-tests-0123456789abcdef"
ENV = {"TIEGRAPH_JWT_SECRET": SECRET, "TIEGRAPH_JWT_ISSUER": "tiegraph-tests"}

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """The ``tiegraph`` app with its sub-commands registered, as ``main`` runs it."""
    from api import cli

    if not any(group.name == "token" for group in cli.app.registered_groups):
        cli._register()
    return cli.app


@pytest.fixture(autouse=True)
def no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "TIEGRAPH_STORE",
        "NEO4J_URI",
        "TIEGRAPH_JWT_SECRET",
        "TIEGRAPH_JWT_ISSUER",
        "TIEGRAPH_API_KEYS",
        "TIEGRAPH_NO_AUTH",
    ):
        monkeypatch.delenv(name, raising=False)


def accepting_authenticator() -> Authenticator:
    return Authenticator.from_settings(load_settings(environ=ENV))


def test_token_create_prints_only_a_token_that_the_service_accepts(app: typer.Typer) -> None:
    result = runner.invoke(
        app,
        ["token", "create", "--person", "ada", "--role", "member", "--role", "leader"],
        env=ENV,
    )

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == f"{token}\n"
    assert accepting_authenticator().authenticate(f"Bearer {token}") == Viewer(
        person_id="ada", roles=frozenset({Role.MEMBER, Role.LEADER}), subject="ada"
    )


def test_token_create_without_a_person_makes_a_service_token(app: typer.Typer) -> None:
    result = runner.invoke(app, ["token", "create", "--role", "admin", "--ttl", "30m"], env=ENV)

    assert result.exit_code == 0, result.output
    viewer = accepting_authenticator().authenticate(f"Bearer {result.stdout.strip()}")
    assert viewer == Viewer.admin("service")


def test_token_create_without_a_secret_exits_2_naming_the_setting(app: typer.Typer) -> None:
    result = runner.invoke(app, ["token", "create", "--person", "ada", "--role", "member"])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "TIEGRAPH_JWT_SECRET" in result.stderr


@pytest.mark.parametrize("ttl", ["0h", "1y", "soon", "-5m"])
def test_token_create_refuses_a_lifetime_it_cannot_read(app: typer.Typer, ttl: str) -> None:
    result = runner.invoke(app, ["token", "create", "--role", "member", "--ttl", ttl], env=ENV)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--ttl" in result.stderr


def test_token_create_refuses_an_unknown_role(app: typer.Typer) -> None:
    result = runner.invoke(app, ["token", "create", "--role", "root"], env=ENV)

    assert result.exit_code == 2
    assert result.stdout == ""

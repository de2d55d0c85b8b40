"""The graph's settings (store, Neo4j, tie strength, privacy, time budgets), read once at
start-up from the environment (and CLI options), then passed around.

Nothing reads the environment at import time, nor when settings are built directly: a settings
class reads only what it is given. :func:`load_settings` is called by the composition root (the
CLI or the app factory) with the process environment, and the result is injected. The API adds
its own settings (HTTP, tokens, limits) on top of these in :mod:`api.settings`.

Environment names are ``TIEGRAPH_`` and the field's name in capitals, except the four Neo4j
connection settings, which keep the driver's usual names (``NEO4J_URI``, ``NEO4J_USER``,
``NEO4J_PASSWORD``, ``NEO4J_DATABASE``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from graph.domain.errors import ConfigurationError
from graph.domain.model import InteractionKind
from graph.domain.strength import DEFAULT_WEIGHTS, StrengthModel
from graph.usecases.budget import Budgets

__all__ = [
    "ENV_PREFIX",
    "GraphSettings",
    "StoreKind",
    "default_data_dir",
    "env_name",
    "load_from",
    "load_settings",
]

ENV_PREFIX = "TIEGRAPH_"
"""What a setting's environment name starts with, unless the field names its own."""

S = TypeVar("S", bound="GraphSettings")


class StoreKind(StrEnum):
    """Which backend holds the graph."""

    EMBEDDED = "embedded"
    NEO4J = "neo4j"


def default_data_dir() -> Path:
    """Where the embedded store lives unless told otherwise: ``$XDG_DATA_HOME/tiegraph``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tiegraph"


def _named(variable: str) -> AliasChoices:
    """Read a field from the environment variable ``variable`` (its name still works in code)."""
    return AliasChoices(variable)


class GraphSettings(BaseSettings):
    """The graph's settings; each is read from ``TIEGRAPH_<NAME>`` unless it names its own."""

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        env_ignore_empty=True,
        populate_by_name=True,
    )

    store: StoreKind = Field(StoreKind.EMBEDDED)
    data_dir: Path = Field(default_factory=default_data_dir)
    neo4j_uri: str | None = Field(None, validation_alias=_named("NEO4J_URI"))
    neo4j_user: str = Field("neo4j", validation_alias=_named("NEO4J_USER"))
    neo4j_password: SecretStr | None = Field(None, validation_alias=_named("NEO4J_PASSWORD"))
    neo4j_database: str = Field("neo4j", validation_alias=_named("NEO4J_DATABASE"))
    neo4j_connection_timeout_seconds: float = Field(5.0, gt=0, le=600)
    """How long opening one connection to Neo4j (TCP, TLS, handshake) may take."""
    neo4j_acquisition_timeout_seconds: float = Field(10.0, gt=0, le=600)
    """How long a unit of work may wait for a connection (opening one included) and, for a
    write, for the writes ahead of it in this process; then it fails as unavailable (503)."""
    neo4j_max_retry_time_seconds: float = Field(2.0, ge=0, le=600)
    """How long the driver keeps retrying a transaction that failed transiently (server
    unreachable, restarting, a deadlock, a leader switch) before the request fails as
    unavailable (503) and the caller retries. Bounds a request during an outage to a few
    seconds; the driver's own default is 30."""
    neo4j_plan_searches_at_start: bool = True
    """Run each introduction path query, the reads of group retention and (rolled back) the
    writes of a recorded contact once when the store opens, so the server has planned them
    before the first request (planning takes seconds on a fresh server, more than a request's
    budget). Off only where start-up time matters more, e.g. a test suite that opens a store
    per test."""
    strength_half_life_days: float = Field(60.0, gt=0, le=36_500)
    """How many days without contact halve a tie's strength score."""
    strength_weights: str | None = Field(None)
    """Per-kind weights overriding the defaults, e.g. ``call=3,meeting=1.5``."""
    privacy_min_group: int = Field(5, ge=1)
    """Groups smaller than this are shown to viewers other than their leader only in aggregate."""
    max_recorded_participants: int = Field(20, ge=2, le=500)
    """The most people one interaction or side conversation recorded by a member may name (a
    group's meetings and breakouts are how groups are recorded; admins and imports are not
    capped by this)."""
    request_budget_seconds: float = Field(2.0, gt=0, le=3600)
    """How long one request's computation (paths, keep-in-touch figures, recommendations,
    breakouts) may take; beyond it the request ends with ``BUDGET_EXCEEDED``."""
    compose_budget_seconds: float = Field(30.0, gt=0, le=3600)
    """How long composing cohorts may take (its own budget: a fixed number of swaps for a
    reproducible answer, refused with ``BUDGET_EXCEEDED`` if they do not fit)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only what the caller passes: the environment is read by load_settings, once.
        return (init_settings,)

    def budgets(self) -> Budgets:
        """Return the time budgets these settings give requests."""
        return Budgets(request_s=self.request_budget_seconds, compose_s=self.compose_budget_seconds)

    @field_validator("strength_weights")
    @classmethod
    def _known_weights(cls, value: str | None) -> str | None:
        if value:
            _parse_weights(value)
        return value or None

    def strength_model(self) -> StrengthModel:
        """Return the tie-strength model these settings describe."""
        weights = dict(DEFAULT_WEIGHTS)
        if self.strength_weights:
            weights.update(_parse_weights(self.strength_weights))
        return StrengthModel(
            half_life=timedelta(days=self.strength_half_life_days), weights=weights
        )

    @field_validator("neo4j_uri")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        schemes = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
        if not value.startswith(schemes):
            raise ValueError(f"must start with one of {', '.join(schemes)}")
        return value

    def require_neo4j(self) -> str:
        """Return the Neo4j URI, or stop with a message naming the missing setting."""
        if self.neo4j_uri is None:
            raise ConfigurationError("NEO4J_URI must be set when TIEGRAPH_STORE=neo4j")
        return self.neo4j_uri


def _parse_weights(text: str) -> dict[InteractionKind, float]:
    """Parse ``kind=weight`` pairs separated by commas; raise ``ValueError`` naming the bad one."""
    kinds = ", ".join(k.value for k in InteractionKind)
    weights: dict[InteractionKind, float] = {}
    for item in text.split(","):
        name, sep, number = item.partition("=")
        try:
            kind = InteractionKind(name.strip())
        except ValueError:
            raise ValueError(f"{name.strip()!r} is not an interaction kind ({kinds})") from None
        try:
            weight = float(number) if sep else math.nan
        except ValueError:
            weight = math.nan
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"{item.strip()!r}: the weight must be a number >= 0")
        weights[kind] = weight
    return weights


def env_name(model: type[GraphSettings], field: str) -> str:
    """Return the environment variable a setting is read from.

    >>> env_name(GraphSettings, "neo4j_uri"), env_name(GraphSettings, "store")
    ('NEO4J_URI', 'TIEGRAPH_STORE')
    """
    alias = model.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"{ENV_PREFIX}{field.upper()}"


class _Environment(EnvSettingsSource):
    """The settings found in a given environment (a mapping), not necessarily the process's."""

    def __init__(self, model: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._given = environ
        super().__init__(model)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # Names match exactly, as in the environment: every setting's name is in capitals, so
        # only names in capitals are read (the source compares them lower-cased).
        return {
            name.lower(): value
            for name, value in self._given.items()
            if value != "" and name == name.upper()
        }


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> GraphSettings:
    """Build the graph's settings from ``environ`` (default: the process environment) and CLI
    overrides; see :func:`load_from`."""
    return load_from(GraphSettings, overrides, environ)


def load_from(
    model: type[S],
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> S:
    """Build ``model`` settings from ``environ`` (default: the process environment) and CLI
    overrides (a ``None`` override leaves the environment's value).

    When ``NEO4J_URI`` is set and ``TIEGRAPH_STORE`` is not, the store is Neo4j. Raises
    :class:`ConfigurationError` naming the offending setting's environment variable.
    """
    found = _Environment(model, os.environ if environ is None else environ)()
    values: dict[str, Any] = {
        name: found[key]
        for name, info in model.model_fields.items()
        if (key := _key(name, info.validation_alias)) in found
    }
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if "store" not in values and values.get("neo4j_uri"):
        values["store"] = StoreKind.NEO4J
    try:
        settings = model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        setting = env_name(model, name) if name in model.model_fields else name
        raise ConfigurationError(f"setting {setting}: {first['msg']}") from error
    if settings.store is StoreKind.NEO4J:
        settings.require_neo4j()
    return settings


def _key(name: str, alias: object) -> str:
    """The key the environment source files a field's value under."""
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return name

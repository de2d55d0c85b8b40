"""Settings, read once at start-up from the environment (and CLI options), then passed around.

Nothing reads the environment at import time: :func:`load_settings` is called by the
composition root (the CLI or the app factory) and the result is injected.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from graph.domain.errors import ConfigurationError
from graph.domain.model import InteractionKind
from graph.domain.strength import DEFAULT_WEIGHTS, StrengthModel
from graph.usecases.budget import Budgets

__all__ = ["Settings", "StoreKind", "default_data_dir", "load_settings"]


class StoreKind(StrEnum):
    """Which backend holds the graph."""

    EMBEDDED = "embedded"
    NEO4J = "neo4j"


def default_data_dir() -> Path:
    """Where the embedded store lives unless told otherwise: ``$XDG_DATA_HOME/tiegraph``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tiegraph"


class Settings(BaseModel):
    """Every setting tiegraph has; environment names are given beside each."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store: StoreKind = Field(StoreKind.EMBEDDED)
    data_dir: Path = Field(default_factory=default_data_dir)
    neo4j_uri: str | None = Field(None)
    neo4j_user: str = Field("neo4j")
    neo4j_password: SecretStr | None = Field(None)
    neo4j_database: str = Field("neo4j")
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
    jwt_secret: SecretStr | None = Field(None)
    """Signs and verifies bearer tokens (HS256); at least 32 characters."""
    jwt_issuer: str = Field("tiegraph")
    api_keys: SecretStr | None = Field(None)
    """Static API keys for services: ``name:key:role[:person]`` entries separated by commas."""
    no_auth: bool = Field(False)
    """Treat every request as an admin; for local development only."""
    rate_limit_per_minute: int = Field(600, ge=1)
    """Requests one credential may make a minute, across all workers (each worker enforces
    its share, ``rate_limit_per_minute / workers``)."""
    workers: int = Field(1, ge=1, le=64)
    """How many API worker processes serve the store (``tiegraph serve --workers``); limits
    kept in each process's memory are divided among them."""
    auth_failures_per_minute: int = Field(20, ge=1)
    """Failed authentications one client address may make a minute (then 429 until it waits);
    guessing keys or tokens takes forever."""
    max_body_bytes: int = Field(1_000_000, ge=1_000)
    max_header_bytes: int = Field(16_384, ge=1_024, le=1_048_576)
    """The request line and headers together; more is refused (400) before it is held in
    memory."""
    max_query_depth: int = Field(10, ge=2)
    max_query_cost: int = Field(200_000, ge=100)
    max_query_aliases: int = Field(100, ge=1)
    """Aliased fields one request may write (each may repeat a costly root field)."""
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

    live_poll_seconds: float = Field(0.1, gt=0, le=60)
    """How often each API process reads the store's change log while someone subscribes to
    live updates: the longest a write waits to reach a subscriber, beyond the read itself."""
    change_log_retention_hours: float = Field(24.0, gt=0, le=24 * 365)
    """How long logged changes are kept for live updates before they are pruned."""
    tie_recheck_seconds: float = Field(3600.0, ge=1, le=86_400 * 7)
    """How often a ``tieChanged`` subscription assesses the person's ties again with nothing
    written, to tell of ties drifting into a weaker band as time passes."""

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

    @field_validator("jwt_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

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


_ENV_NAMES = {
    "store": "TIEGRAPH_STORE",
    "data_dir": "TIEGRAPH_DATA_DIR",
    "neo4j_uri": "NEO4J_URI",
    "neo4j_user": "NEO4J_USER",
    "neo4j_password": "NEO4J_PASSWORD",
    "neo4j_database": "NEO4J_DATABASE",
    "neo4j_connection_timeout_seconds": "TIEGRAPH_NEO4J_CONNECTION_TIMEOUT_SECONDS",
    "neo4j_acquisition_timeout_seconds": "TIEGRAPH_NEO4J_ACQUISITION_TIMEOUT_SECONDS",
    "neo4j_max_retry_time_seconds": "TIEGRAPH_NEO4J_MAX_RETRY_TIME_SECONDS",
    "jwt_secret": "TIEGRAPH_JWT_SECRET",
    "jwt_issuer": "TIEGRAPH_JWT_ISSUER",
    "api_keys": "TIEGRAPH_API_KEYS",
    "no_auth": "TIEGRAPH_NO_AUTH",
    "rate_limit_per_minute": "TIEGRAPH_RATE_LIMIT_PER_MINUTE",
    "workers": "TIEGRAPH_WORKERS",
    "auth_failures_per_minute": "TIEGRAPH_AUTH_FAILURES_PER_MINUTE",
    "max_body_bytes": "TIEGRAPH_MAX_BODY_BYTES",
    "max_header_bytes": "TIEGRAPH_MAX_HEADER_BYTES",
    "max_query_depth": "TIEGRAPH_MAX_QUERY_DEPTH",
    "max_query_cost": "TIEGRAPH_MAX_QUERY_COST",
    "max_query_aliases": "TIEGRAPH_MAX_QUERY_ALIASES",
    "strength_half_life_days": "TIEGRAPH_STRENGTH_HALF_LIFE_DAYS",
    "strength_weights": "TIEGRAPH_STRENGTH_WEIGHTS",
    "privacy_min_group": "TIEGRAPH_PRIVACY_MIN_GROUP",
    "max_recorded_participants": "TIEGRAPH_MAX_RECORDED_PARTICIPANTS",
    "request_budget_seconds": "TIEGRAPH_REQUEST_BUDGET_SECONDS",
    "compose_budget_seconds": "TIEGRAPH_COMPOSE_BUDGET_SECONDS",
    "live_poll_seconds": "TIEGRAPH_LIVE_POLL_SECONDS",
    "change_log_retention_hours": "TIEGRAPH_CHANGE_LOG_RETENTION_HOURS",
    "tie_recheck_seconds": "TIEGRAPH_TIE_RECHECK_SECONDS",
}


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from ``environ`` (default: the process environment) and CLI overrides.

    When ``NEO4J_URI`` is set and ``TIEGRAPH_STORE`` is not, the store is Neo4j. Raises
    :class:`ConfigurationError` naming the offending setting.
    """
    env = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {
        name: env[var] for name, var in _ENV_NAMES.items() if env.get(var) not in (None, "")
    }
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if "store" not in values and values.get("neo4j_uri"):
        values["store"] = StoreKind.NEO4J
    try:
        settings = Settings.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        setting = _ENV_NAMES.get(name, name)
        raise ConfigurationError(f"setting {setting}: {first['msg']}") from error
    if settings.store is StoreKind.NEO4J:
        settings.require_neo4j()
    return settings


def per_worker(per_minute: int, workers: int) -> int:
    """Return one worker's share of a per-minute limit kept in each process's memory, so that
    all workers together allow at most ``per_minute`` (and each at least one).

    Connections are spread over workers by the operating system, so one caller may meet fewer
    than all of them: what it gets lies between this share and the whole limit, never above.

    >>> per_worker(600, 1), per_worker(600, 4), per_worker(3, 4)
    (600, 150, 1)
    """
    return max(1, per_minute // workers)

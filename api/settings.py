"""The API's own settings (HTTP, tokens and keys, rate and size limits, GraphQL limits) on top of
the graph's (:class:`graph.settings.GraphSettings`), read once at start-up and injected.

The app factory, the middleware and the command line take a :class:`Settings`; the store and
the use cases need only the graph's part of it. Environment names are ``TIEGRAPH_`` and the
field's name in capitals (``TIEGRAPH_JWT_SECRET``, ``TIEGRAPH_MAX_QUERY_COST``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, SecretStr, field_validator

from graph.settings import GraphSettings, StoreKind, load_from

__all__ = ["Settings", "StoreKind", "load_settings", "per_worker"]


class Settings(GraphSettings):
    """Every setting the service has: the graph's, and the API's below."""

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
    refusal_hold_seconds: float = Field(1.0, ge=0, le=10)
    """How long a request refused for its rate (429) is held before the answer goes out (at
    most its ``Retry-After``). Holding costs the server a sleeping task; a client that floods
    over one connection waits for each answer, so it is refused at most once per hold per
    connection instead of as fast as the server can say no. 0 answers at once."""
    auth_failures_per_minute: int = Field(20, ge=1)
    """Failed authentications one client address may make a minute (then 429 until it waits);
    guessing keys or tokens takes forever."""
    max_body_bytes: int = Field(1_000_000, ge=1_000)
    max_header_bytes: int = Field(16_384, ge=1_024, le=1_048_576)
    """The request line and headers together; more is refused (431) before it is held in
    memory."""
    max_query_depth: int = Field(10, ge=2)
    max_query_cost: int = Field(200_000, ge=100)
    max_query_aliases: int = Field(100, ge=1)
    """Aliased fields one request may write (each may repeat a costly root field)."""
    live_poll_seconds: float = Field(0.1, gt=0, le=60)
    """How often each API process reads the store's change log while someone subscribes to
    live updates: the longest a write waits to reach a subscriber, beyond the read itself."""
    change_log_retention_hours: float = Field(24.0, gt=0, le=24 * 365)
    """How long logged changes are kept for live updates before they are pruned."""
    tie_recheck_seconds: float = Field(3600.0, ge=1, le=86_400 * 7)
    """How often a ``tieChanged`` subscription assesses the person's ties again with nothing
    written, to tell of ties drifting into a weaker band as time passes."""

    @field_validator("jwt_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build the service's settings from ``environ`` (default: the process environment) and
    CLI overrides. Raises :class:`~graph.domain.errors.ConfigurationError` naming the
    offending environment variable and why."""
    return load_from(Settings, overrides, environ)


def per_worker(per_minute: int, workers: int) -> int:
    """Return one worker's share of a per-minute limit kept in each process's memory, so that
    all workers together allow at most ``per_minute`` (and each at least one).

    Connections are spread over workers by the operating system, so one caller may meet fewer
    than all of them: what it gets lies between this share and the whole limit, never above.

    >>> per_worker(600, 1), per_worker(600, 4), per_worker(3, 4)
    (600, 150, 1)
    """
    return max(1, per_minute // workers)

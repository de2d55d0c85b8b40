"""Who is calling: bearer tokens (HS256 JWTs) and static API keys, turned into a :class:`Viewer`.

One :class:`Authenticator` is built from the settings at start-up and asked once per request.
Every rejection is an :class:`Unauthenticated` with a short, fixed reason: no reason ever
quotes the token, a key, or what a decoder said about them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pydantic import SecretStr

from api.settings import Settings
from graph.domain.errors import ConfigurationError, TiegraphError
from graph.usecases.viewer import Role, Viewer

__all__ = ["Authenticator", "Unauthenticated", "create_token"]

_ALGORITHM = "HS256"
_SERVICE_SUBJECT = "service"
_NO_CREDENTIALS = (
    "no credentials are configured: set TIEGRAPH_JWT_SECRET or TIEGRAPH_API_KEYS, "
    "or serve with --no-auth"
)
_CACHE_SIZE = 1024
_ROLE_NAMES = frozenset(role.value for role in Role)
_BEARER = re.compile(r"bearer[ \t]+(?P<token>\S+)[ \t]*", re.IGNORECASE)
_JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class Unauthenticated(TiegraphError):
    """The request carries no credential this service accepts; the message says why, briefly."""


@dataclass(frozen=True, slots=True)
class _ApiKey:
    """One configured API key, kept only as the SHA-256 of the key."""

    name: str
    digest: bytes = field(repr=False)
    role: Role
    person_id: str | None


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def _parse_api_keys(raw: SecretStr | None) -> tuple[_ApiKey, ...]:
    """Parse ``name:key:role[:person]`` entries; errors name the entry's index, never its key."""
    if raw is None:
        return ()
    keys: list[_ApiKey] = []
    # Blank entries (a trailing comma, say) are skipped; indexes still count them, so the
    # index in an error is the entry's position in the variable as written.
    for index, entry in enumerate(raw.get_secret_value().split(",")):
        if not entry.strip():
            continue
        try:
            key = _parse_api_key(entry)
            if any(hmac.compare_digest(key.digest, earlier.digest) for earlier in keys):
                raise ValueError("the same key appears in an earlier entry")
        except ValueError as error:
            # The messages never quote the entry; ``from None`` keeps the traceback just as clean.
            raise ConfigurationError(f"setting TIEGRAPH_API_KEYS: entry {index}: {error}") from None
        keys.append(key)
    return tuple(keys)


def _parse_api_key(entry: str) -> _ApiKey:
    """Parse one entry; a :class:`ValueError` says what is wrong without quoting the key."""
    parts = [part.strip() for part in entry.split(":")]
    if len(parts) not in (3, 4):
        raise ValueError("expected name:key:role or name:key:role:person")
    name, key, role, *rest = parts
    person_id = rest[0] if rest else None
    if not name:
        raise ValueError("the name is empty")
    if not key:
        raise ValueError("the key is empty")
    if role not in _ROLE_NAMES:
        raise ValueError(f"the role must be one of {', '.join(sorted(_ROLE_NAMES))}")
    if person_id == "":
        raise ValueError("the person is empty")
    return _ApiKey(name=name, digest=_digest(key), role=Role(role), person_id=person_id)


class _TokenCache:
    """A small LRU of verified JWTs, keyed by the token's SHA-256, each kept until its ``exp``.

    Only tokens that passed every check are stored, and the checks depend on nothing but the
    token, the (fixed) secret and issuer, and the time: so a hit before ``exp`` is as good as
    decoding again. A lock keeps it safe when FastAPI runs dependencies in threads.
    """

    def __init__(self, size: int, clock: Callable[[], float]) -> None:
        self._size = size
        self._clock = clock
        self._entries: OrderedDict[bytes, tuple[Viewer, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Viewer | None:
        """The cached viewer; raises :class:`Unauthenticated` if the token has since expired."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            viewer, expires_at = hit
            if self._clock() >= expires_at:
                del self._entries[key]
                raise Unauthenticated("token has expired")
            self._entries.move_to_end(key)
            return viewer

    def put(self, key: bytes, viewer: Viewer, expires_at: float) -> None:
        with self._lock:
            self._entries[key] = (viewer, expires_at)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class Authenticator:
    """Turns an ``Authorization`` header into a :class:`Viewer`, or refuses with a reason.

    Accepts ``Bearer <token>`` where the token is an HS256 JWT signed with
    ``TIEGRAPH_JWT_SECRET`` or one of the static ``TIEGRAPH_API_KEYS``. Build it once
    (:meth:`from_settings`): API keys are parsed and hashed then, so a bad entry stops start-up.
    """

    __slots__ = ("_api_keys", "_cache", "_issuer", "_no_auth", "_secret")

    def __init__(
        self,
        *,
        jwt_secret: SecretStr | None,
        jwt_issuer: str,
        api_keys: SecretStr | None,
        no_auth: bool,
        clock: Callable[[], float] = time.time,
        cache_size: int = _CACHE_SIZE,
    ) -> None:
        self._secret = jwt_secret
        self._issuer = jwt_issuer
        self._api_keys = _parse_api_keys(api_keys)
        self._no_auth = no_auth
        self._cache = _TokenCache(cache_size, clock)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> Authenticator:
        """Build the authenticator for these settings; raises :class:`ConfigurationError`.

        ``clock`` (seconds since the epoch) decides when a cached token expires; tests pass
        their own.
        """
        return cls(
            jwt_secret=settings.jwt_secret,
            jwt_issuer=settings.jwt_issuer,
            api_keys=settings.api_keys,
            no_auth=settings.no_auth,
            clock=clock,
        )

    def __repr__(self) -> str:
        return (
            f"Authenticator(jwt={self._secret is not None}, issuer={self._issuer!r}, "
            f"api_keys={len(self._api_keys)}, no_auth={self._no_auth})"
        )

    def authenticate(self, authorization_header: str | None) -> Viewer:
        """Return who is calling, or raise :class:`Unauthenticated` with a short reason.

        Under ``no_auth`` every caller is an admin (subject ``no-auth``), whatever they send.
        """
        if self._no_auth:
            return Viewer.admin("no-auth")
        if self._secret is None and not self._api_keys:
            raise Unauthenticated(_NO_CREDENTIALS)
        if authorization_header is None or not authorization_header.strip():
            raise Unauthenticated("missing Authorization header")
        match = _BEARER.fullmatch(authorization_header.strip())
        if match is None:
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        token = match["token"]
        # API keys first: a key may look like a JWT, and checking them costs one hash.
        viewer = self._match_api_key(token)
        if viewer is not None:
            return viewer
        if self._secret is not None and _JWT_SHAPE.fullmatch(token):
            return self._verify_jwt(token, self._secret)
        if self._api_keys:
            raise Unauthenticated("unknown API key")
        raise Unauthenticated("token is malformed")

    def _match_api_key(self, token: str) -> Viewer | None:
        digest = _digest(token)
        found: _ApiKey | None = None
        # Compare against every key, without stopping early, so timing says nothing about which.
        for key in self._api_keys:
            if hmac.compare_digest(digest, key.digest):
                found = key
        if found is None:
            return None
        return Viewer(person_id=found.person_id, roles=frozenset({found.role}), subject=found.name)

    def _verify_jwt(self, token: str, secret: SecretStr) -> Viewer:
        cache_key = _digest(token)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        try:
            claims = jwt.decode(
                token,
                secret.get_secret_value(),
                algorithms=[_ALGORITHM],
                issuer=self._issuer,
                options={"require": ["exp", "iss", "sub"]},
            )
        # PyJWT's messages may quote parts of the token, so none is passed on or chained.
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token has expired") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("token signature is invalid") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("token issuer is not accepted") from None
        except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError):
            raise Unauthenticated("token is not valid yet") from None
        except jwt.MissingRequiredClaimError:
            raise Unauthenticated("token lacks a required claim (exp, iss or sub)") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("token is malformed") from None
        viewer = _viewer_from_claims(claims)
        self._cache.put(cache_key, viewer, float(claims["exp"]))
        return viewer


def _viewer_from_claims(claims: Mapping[str, Any]) -> Viewer:
    person = claims.get("person")
    if person is not None and (not isinstance(person, str) or not person):
        raise Unauthenticated("token claim 'person' must be a non-empty string")
    names = claims.get("roles")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise Unauthenticated("token claim 'roles' must be a list of role names")
    if not set(names) <= _ROLE_NAMES:
        raise Unauthenticated("token names an unknown role")
    return Viewer(
        person_id=person, roles=frozenset(Role(name) for name in names), subject=claims["sub"]
    )


def create_token(
    *,
    settings: Settings,
    person_id: str | None,
    roles: Iterable[Role],
    ttl: timedelta,
    now: datetime | None = None,
) -> str:
    """Sign a bearer token for ``person_id`` (``None``: a service) with ``roles``, valid ``ttl``.

    The subject is the person id, or ``service``. Raises :class:`ConfigurationError` when
    ``TIEGRAPH_JWT_SECRET`` is not set, and :class:`ValueError` for a ``ttl`` that is not
    positive or a naive ``now``.
    """
    if settings.jwt_secret is None:
        raise ConfigurationError("setting TIEGRAPH_JWT_SECRET must be set to create tokens")
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    if person_id == "":
        raise ValueError("person_id must not be empty; pass None for a service token")
    issued = datetime.now(UTC) if now is None else now
    if issued.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "sub": person_id or _SERVICE_SUBJECT,
        "iat": issued,
        "exp": issued + ttl,
        "roles": sorted({Role(role).value for role in roles}),
    }
    if person_id is not None:
        claims["person"] = person_id
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=_ALGORITHM)

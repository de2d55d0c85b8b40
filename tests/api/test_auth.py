"""Bearer tokens and API keys become viewers; everything else is refused without leaking secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from api.http.auth import Authenticator, Unauthenticated, create_token
from api.settings import Settings
from graph.domain.errors import ConfigurationError
from graph.usecases.viewer import Role, Viewer

SECRET = "s3cret-for-tests-only-0123456789abcdef"
OTHER_SECRET = "another-secret-for-tests-0123456789abcdef"
API_KEY = "k3y-for-the-importer-service-0042"


def settings(**values: Any) -> Settings:
    return Settings.model_validate({"jwt_secret": SECRET, **values})


def token_for(
    person_id: str | None = "ada",
    roles: tuple[Role, ...] = (Role.MEMBER,),
    *,
    ttl: timedelta = timedelta(hours=1),
    now: datetime | None = None,
    **values: Any,
) -> str:
    return create_token(
        settings=settings(**values), person_id=person_id, roles=roles, ttl=ttl, now=now
    )


def bearer(token: str) -> str:
    return f"Bearer {token}"


def refusal(authenticator: Authenticator, header: str | None) -> str:
    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(header)
    return str(caught.value)


def raw_token(claims: dict[str, Any], secret: str = SECRET) -> str:
    base = {"iss": "tiegraph", "sub": "ada", "exp": datetime.now(UTC) + timedelta(hours=1)}
    return jwt.encode({**base, **claims}, secret, algorithm="HS256")


# Tokens


def test_a_valid_token_gives_a_viewer_with_its_person_and_roles() -> None:
    authenticator = Authenticator.from_settings(settings())
    token = token_for("ada", (Role.MEMBER, Role.LEADER))

    viewer = authenticator.authenticate(bearer(token))

    assert viewer == Viewer(
        person_id="ada", roles=frozenset({Role.MEMBER, Role.LEADER}), subject="ada"
    )


def test_a_service_token_has_no_person_and_the_subject_service() -> None:
    authenticator = Authenticator.from_settings(settings())

    viewer = authenticator.authenticate(bearer(token_for(None, (Role.ADMIN,))))

    assert viewer == Viewer(person_id=None, roles=frozenset({Role.ADMIN}), subject="service")


def test_the_bearer_scheme_is_matched_without_regard_to_case() -> None:
    authenticator = Authenticator.from_settings(settings())

    assert authenticator.authenticate(f"bearer  {token_for()} ").person_id == "ada"


def test_an_expired_token_is_rejected() -> None:
    authenticator = Authenticator.from_settings(settings())
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    token = token_for(ttl=timedelta(hours=1), now=two_hours_ago)

    assert refusal(authenticator, bearer(token)) == "token has expired"


def test_a_token_signed_with_another_secret_is_rejected() -> None:
    authenticator = Authenticator.from_settings(settings())
    token = token_for(jwt_secret=OTHER_SECRET)

    assert refusal(authenticator, bearer(token)) == "token signature is invalid"


def test_a_token_from_another_issuer_is_rejected() -> None:
    authenticator = Authenticator.from_settings(settings())
    token = token_for(jwt_issuer="someone-else")

    assert refusal(authenticator, bearer(token)) == "token issuer is not accepted"


def test_a_token_without_an_expiry_is_rejected() -> None:
    authenticator = Authenticator.from_settings(settings())
    token = jwt.encode({"iss": "tiegraph", "sub": "ada", "roles": []}, SECRET, algorithm="HS256")

    assert "required claim" in refusal(authenticator, bearer(token))


def test_a_token_naming_an_unknown_role_is_rejected() -> None:
    authenticator = Authenticator.from_settings(settings())
    token = raw_token({"roles": ["member", "superuser"]})

    assert refusal(authenticator, bearer(token)) == "token names an unknown role"


def test_a_token_without_a_list_of_roles_is_rejected() -> None:
    authenticator = Authenticator.from_settings(settings())

    assert "roles" in refusal(authenticator, bearer(raw_token({"roles": "admin"})))
    assert "roles" in refusal(authenticator, bearer(raw_token({})))


def test_an_unsigned_token_is_rejected() -> None:
    authenticator = Authenticator.from_settings(settings())
    token = jwt.encode(
        {"iss": "tiegraph", "sub": "ada", "roles": ["admin"], "exp": 2**40}, None, algorithm="none"
    )

    assert refusal(authenticator, bearer(token)) == "token is malformed"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing Authorization header"),
        ("", "missing Authorization header"),
        ("Basic YWRhOnB3", "the Authorization header must be 'Bearer <token>'"),
        ("Bearer", "the Authorization header must be 'Bearer <token>'"),
        ("Bearer two parts", "the Authorization header must be 'Bearer <token>'"),
        ("Bearer not-a-jwt", "token is malformed"),
        ("Bearer a.b.c", "token is malformed"),
    ],
)
def test_a_malformed_header_is_rejected_with_a_short_reason(
    header: str | None, reason: str
) -> None:
    authenticator = Authenticator.from_settings(settings())

    assert refusal(authenticator, header) == reason


def test_a_verified_token_is_served_from_the_cache_until_it_expires() -> None:
    now = [datetime.now(UTC).timestamp()]
    authenticator = Authenticator.from_settings(settings(), clock=lambda: now[0])
    token = token_for(ttl=timedelta(minutes=5))

    first = authenticator.authenticate(bearer(token))
    again = authenticator.authenticate(bearer(token))
    now[0] += 5 * 60 + 1

    assert again is first
    assert refusal(authenticator, bearer(token)) == "token has expired"


def test_the_cache_keeps_only_the_most_recently_used_tokens() -> None:
    authenticator = Authenticator(
        jwt_secret=settings().jwt_secret,
        jwt_issuer="tiegraph",
        api_keys=None,
        no_auth=False,
        cache_size=2,
    )
    tokens = [token_for(person) for person in ("ada", "bo", "cy")]

    viewers = [authenticator.authenticate(bearer(token)) for token in tokens]

    assert [viewer.person_id for viewer in viewers] == ["ada", "bo", "cy"]
    assert len(authenticator._cache) == 2


def test_a_token_cannot_be_created_without_a_secret() -> None:
    with pytest.raises(ConfigurationError, match="TIEGRAPH_JWT_SECRET"):
        create_token(
            settings=Settings(), person_id="ada", roles=[Role.MEMBER], ttl=timedelta(hours=1)
        )


def test_a_token_cannot_be_created_with_a_lifetime_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="ttl"):
        token_for(ttl=timedelta(0))


# API keys


def api_key_settings(keys: str, **values: Any) -> Settings:
    return Settings.model_validate({"api_keys": keys, **values})


def test_an_api_key_gives_a_viewer_named_after_the_key() -> None:
    authenticator = Authenticator.from_settings(
        api_key_settings(f"importer:{API_KEY}:admin, bot:other-key-0001:member:ada")
    )

    assert authenticator.authenticate(bearer(API_KEY)) == Viewer(
        person_id=None, roles=frozenset({Role.ADMIN}), subject="importer"
    )
    assert authenticator.authenticate(bearer("other-key-0001")) == Viewer(
        person_id="ada", roles=frozenset({Role.MEMBER}), subject="bot"
    )


def test_a_wrong_api_key_is_rejected() -> None:
    authenticator = Authenticator.from_settings(api_key_settings(f"importer:{API_KEY}:admin"))

    assert refusal(authenticator, bearer(API_KEY + "x")) == "unknown API key"


def test_api_keys_and_tokens_are_accepted_side_by_side() -> None:
    authenticator = Authenticator.from_settings(settings(api_keys=f"importer:{API_KEY}:admin"))

    assert authenticator.authenticate(bearer(API_KEY)).subject == "importer"
    assert authenticator.authenticate(bearer(token_for())).subject == "ada"
    assert refusal(authenticator, bearer("not-a-key")) == "unknown API key"


@pytest.mark.parametrize(
    ("keys", "index", "reason"),
    [
        (f"importer:{API_KEY}", 0, "expected name:key:role"),
        (f"ok:key-0001:admin,importer:{API_KEY}:root", 1, "the role must be one of"),
        (f":{API_KEY}:admin", 0, "the name is empty"),
        ("importer::admin", 0, "the key is empty"),
        (f"importer:{API_KEY}:admin:", 0, "the person is empty"),
        (f"a:{API_KEY}:admin,,b:{API_KEY}:member", 2, "the same key appears"),
    ],
)
def test_a_bad_api_key_entry_stops_start_up_naming_its_index_but_not_its_key(
    keys: str, index: int, reason: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Authenticator.from_settings(api_key_settings(keys))

    message = str(caught.value)
    assert "TIEGRAPH_API_KEYS" in message
    assert f"entry {index}" in message
    assert reason in message
    assert API_KEY not in message


# Without credentials


def test_no_auth_makes_every_caller_an_admin() -> None:
    authenticator = Authenticator.from_settings(Settings(no_auth=True))

    assert authenticator.authenticate(None) == Viewer.admin("no-auth")
    assert authenticator.authenticate("Bearer anything") == Viewer.admin("no-auth")


def test_with_no_credentials_configured_every_request_is_refused_saying_what_to_set() -> None:
    authenticator = Authenticator.from_settings(Settings())

    reason = refusal(authenticator, bearer(token_for()))

    assert reason == (
        "no credentials are configured: set TIEGRAPH_JWT_SECRET or TIEGRAPH_API_KEYS, "
        "or serve with --no-auth"
    )


# Nothing secret leaks


@pytest.mark.parametrize(
    "token",
    [
        token_for(now=datetime.now(UTC) - timedelta(days=1)),
        token_for(jwt_secret=OTHER_SECRET),
        token_for(jwt_issuer="someone-else"),
        raw_token({"roles": ["superuser"]}),
        raw_token({"roles": []}, secret=OTHER_SECRET) + "tampered",
        "not-a-jwt-but-a-guessed-key",
    ],
)
def test_the_token_never_appears_in_a_refusal(token: str) -> None:
    authenticator = Authenticator.from_settings(settings(api_keys=f"importer:{API_KEY}:admin"))

    with pytest.raises(Unauthenticated) as caught:
        authenticator.authenticate(bearer(token))

    error = caught.value
    assert token not in str(error)
    assert all(part not in str(error) for part in token.split(".") if len(part) > 8)
    # Nor is a decoder's message chained on, where a traceback would show it.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_the_repr_of_an_authenticator_shows_no_secret() -> None:
    authenticator = Authenticator.from_settings(settings(api_keys=f"importer:{API_KEY}:admin"))
    authenticator.authenticate(bearer(token_for()))

    shown = repr(authenticator)

    assert SECRET not in shown
    assert API_KEY not in shown
    assert "importer" not in shown
    assert shown == "Authenticator(jwt=True, issuer='tiegraph', api_keys=1, no_auth=False)"

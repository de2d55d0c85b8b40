"""The dashboard is served as it should be and ships what it uses (no browser needed)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from graphql import OperationDefinitionNode, parse, validate
from pydantic import SecretStr
from strawberry.extensions.query_depth_limiter import create_validator

from api.dashboard import PAGE, STATIC_DIR
from api.graphql.limits import query_cost
from api.graphql.schema import schema
from api.http.app import create_app
from api.settings import Settings, StoreKind

VENDOR = STATIC_DIR / "vendor"


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # No lifespan: nothing here reads the store.
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client:
        yield client


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the service with bearer tokens required."""
    settings = Settings(
        store=StoreKind.EMBEDDED,
        data_dir=tmp_path / "store",
        jwt_secret=SecretStr("a-secret-that-is-long-enough-for-hs256"),
    )
    async for client in _client(settings):
        yield client


@pytest.fixture
async def open_to_all(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the service with authentication off."""
    settings = Settings(store=StoreKind.EMBEDDED, data_dir=tmp_path / "store", no_auth=True)
    async for client in _client(settings):
        yield client


async def test_the_page_and_its_assets_need_no_token_but_the_data_still_does(
    guarded: httpx.AsyncClient,
) -> None:
    page = await guarded.get("/dashboard")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-auth="required"' in page.text
    script = await guarded.get("/dashboard/static/js/main.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert (await guarded.post("/graphql", json={"query": "{ viewer { key } }"})).status_code == 401
    assert (await guarded.get("/dashboards")).status_code == 401


async def test_without_authentication_the_page_says_so(open_to_all: httpx.AsyncClient) -> None:
    page = await open_to_all.get("/dashboard")
    assert 'data-auth="off"' in page.text


async def test_the_page_allows_only_its_own_scripts_and_styles(
    guarded: httpx.AsyncClient,
) -> None:
    page = await guarded.get("/dashboard")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "'unsafe-inline'" not in policy
    assert "connect-src 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "no inline scripts"
    assert "style=" not in page.text


async def test_a_trailing_slash_leads_to_the_page(guarded: httpx.AsyncClient) -> None:
    response = await guarded.get("/dashboard/")
    assert response.status_code in (307, 308)
    assert response.headers["location"].endswith("/dashboard")


def test_everything_the_page_and_its_modules_load_is_shipped() -> None:
    html = PAGE.read_text(encoding="utf-8")
    referenced = re.findall(r'(?:src|href)="dashboard/static/([^"]+)"', html)
    assert referenced, "the page loads its assets from dashboard/static/"
    for name in referenced:
        assert (STATIC_DIR / name).is_file(), name
    for module in (STATIC_DIR / "js").glob("*.js"):
        for name in re.findall(r'from "\./([^"]+)"', module.read_text(encoding="utf-8")):
            assert (module.parent / name).is_file(), f"{module.name} imports {name}"
    assert "http" not in " ".join(re.findall(r'src="([^"]+)"', html)), "nothing from elsewhere"


def test_the_vendored_libraries_are_the_pinned_files_with_their_licences() -> None:
    sums = (VENDOR / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in sums:
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    shipped = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {
        "SHA256SUMS"
    }
    assert shipped == set(listed), "vendor.sh writes SHA256SUMS; run it instead of copying"
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    for library in ("cytoscape", "chart.js"):
        licences = [p for p in (VENDOR / library).iterdir() if p.name.startswith("LICENSE")]
        assert licences, f"{library} ships without its licence"
        assert "Permission is hereby granted" in licences[0].read_text(encoding="utf-8")


def _queries() -> dict[str, str]:
    """Every GraphQL document the page's modules hold, by module and constant name."""
    found = {}
    for module in sorted((STATIC_DIR / "js").glob("*.js")):
        text = module.read_text(encoding="utf-8")
        for name, document in re.findall(r"const (\w+) = `(\s*query[^`]*)`", text):
            found[f"{module.name}:{name}"] = document
    return found


def test_every_query_the_page_sends_is_valid_and_within_the_default_limits() -> None:
    queries = _queries()
    assert len(queries) >= 8, sorted(queries)
    limits = Settings()
    depth = create_validator(limits.max_query_depth, None, None)
    for where, document in queries.items():
        parsed = parse(document)
        assert validate(schema._schema, parsed) == [], where
        assert validate(schema._schema, parsed, [depth]) == [], f"{where} is too deep"
        operation = parsed.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        # The most groups the page compares at once.
        variables = {"groups": ["g"] * 20}
        cost = query_cost(schema._schema, parsed, operation, variables)
        assert cost <= limits.max_query_cost, f"{where} costs {cost}"

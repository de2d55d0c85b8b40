"""GraphiQL's page is served from this process with a strict policy, and ships what it loads."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from api.graphiql import PAGE, STATIC_DIR
from api.http.app import create_app
from api.settings import Settings, StoreKind

VENDOR = STATIC_DIR / "vendor"
BROWSER = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the service with bearer tokens required."""
    settings = Settings(
        store=StoreKind.EMBEDDED,
        data_dir=tmp_path / "store",
        jwt_secret=SecretStr("a-secret-that-is-long-enough-for-hs256"),
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://tiegraph") as client,
    ):
        yield client


async def test_a_browser_gets_our_page_with_a_policy_that_allows_only_our_files(
    guarded: httpx.AsyncClient,
) -> None:
    page = await guarded.get("/graphql", headers=BROWSER)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-auth="required"' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert "http" not in policy, "no other origin"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "no inline scripts"
    assert "style=" not in page.text
    assert "unpkg" not in page.text


async def test_the_assets_need_no_token_but_queries_still_do(guarded: httpx.AsyncClient) -> None:
    script = await guarded.get("/graphiql/static/graphiql.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    library = await guarded.get("/graphiql/static/vendor/graphiql/graphiql.min.js")
    assert library.status_code == 200
    query = await guarded.post("/graphql", json={"query": "{ viewer { key } }"})
    assert query.status_code == 401
    assert (await guarded.get("/graphiql/other")).status_code == 401


def test_everything_the_page_loads_is_shipped_and_nothing_comes_from_elsewhere() -> None:
    html = PAGE.read_text(encoding="utf-8")
    referenced = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(referenced) >= 6, referenced
    for url in referenced:
        assert url.startswith("/graphiql/static/"), url
        assert (STATIC_DIR / url.removeprefix("/graphiql/static/")).is_file(), url


def test_the_vendored_libraries_are_the_pinned_files_with_their_licences() -> None:
    listed = {}
    for line in (VENDOR / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    shipped = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
    assert shipped - {"SHA256SUMS"} == set(listed), "vendor.sh writes SHA256SUMS; run it"
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    for library in ("react", "react-dom", "graphiql"):
        licence = (VENDOR / library / "LICENSE").read_text(encoding="utf-8")
        assert "Permission is hereby granted" in licence, library
    notice = (VENDOR / "graphiql" / "bundled" / "NOTICE").read_text(encoding="utf-8")
    for bundled in ("graphql@", "codemirror@", "markdown-it@", "@graphiql/react@"):
        assert bundled in notice, bundled


def test_the_libraries_are_minified_production_builds() -> None:
    for name in (
        "react/react.production.min.js",
        "react-dom/react-dom.production.min.js",
        "graphiql/graphiql.min.js",
    ):
        text = (VENDOR / name).read_text(encoding="utf-8")
        lines = text.count("\n") + 1
        assert len(text) / lines > 200, f"{name} is not minified"
    total = sum(p.stat().st_size for p in VENDOR.rglob("*.js"))
    assert total < 1_500_000, f"the scripts weigh {total} bytes"

"""Fixtures for tests in a real browser: Debian's Chromium, driven by Playwright, against the
real service (uvicorn on a free localhost port, an embedded store in a temporary directory, the
demo's spring-2024 group loaded).

Chromium comes from ``make browser`` (``/usr/bin/chromium``, or ``$TIEGRAPH_CHROMIUM``);
Playwright never downloads a browser of its own here. Without Chromium the tests are skipped
with the reason, except under ``CI=true``, where that is a failure. Select them with
``pytest -m browser``; screenshots go to ``artifacts/screenshots/`` at the repository root.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
from pydantic import SecretStr

from api.http.app import create_app
from api.http.auth import create_token
from api.settings import Settings, StoreKind
from graph.domain.batch import WriteBatch
from graph.domain.model import Group, Interaction, InteractionKind, Membership, MembershipRole
from graph.ports import GraphStore
from graph.samples import demo
from graph.usecases.viewer import Role

CHROMIUM = Path(os.environ.get("TIEGRAPH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
SECRET = "browser-test-secret-that-is-long-enough"
AUTUMN = "2024-10-01"
"""A moment when the demo group's ties still show: five months after it ended."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: runs in a real headless Chromium (make browser)")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, for one module (skipped without it, failed under CI).

    Per module, not per run: while Playwright's synchronous API is active it holds an event
    loop on the main thread, which the asynchronous tests of other modules need free.
    """
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"no Chromium at {CHROMIUM}: run `make browser` (or set TIEGRAPH_CHROMIUM)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


def _launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=30_000
    )


async def load_groups(store: GraphStore) -> None:
    """The demo's spring-2024 group, and a second group of Lena's to compare it with.

    The second one (``autumn-test``: amir, britt and carl from October to December 2024, and
    amir and britt calling each other afterwards) belongs to these tests only.
    """
    load = getattr(demo, "load_core_demo", None) or demo.load_demo
    await load(store)
    batch = WriteBatch()
    batch.add(
        Group(
            id="autumn-test",
            name="Communicators, autumn (test)",
            leader_id="lena",
            starts_on=date(2024, 10, 1),
            ends_on=date(2024, 12, 1),
        )
    )
    batch.add(Membership(group_id="autumn-test", person_id="lena", role=MembershipRole.LEADER))
    for person in ("amir", "britt", "carl"):
        batch.add(Membership(group_id="autumn-test", person_id=person))
    ended = datetime.fromisoformat("2024-12-02T10:00:00+00:00")
    for week in range(0, 40, 4):
        batch.add(
            Interaction(
                key=f"autumn-test-call-{week}",
                at=ended + timedelta(weeks=week),
                kind=InteractionKind.CALL,
                participant_ids=("amir", "britt"),
                initiator_id="amir",
            )
        )
    await store.apply(batch)


@dataclass
class Service:
    """The real service on a local port."""

    url: str
    settings: Settings

    def token(self, person: str | None, *roles: Role) -> str:
        """A valid bearer token for ``person`` with ``roles``."""
        return create_token(
            settings=self.settings,
            person_id=person,
            roles=roles or (Role.MEMBER,),
            ttl=timedelta(hours=1),
        )

    def graphql(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        """Ask the API directly (what the page should show), and return the data."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=30,
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@contextmanager
def _serve(settings: Settings, on_open: Callable[[GraphStore], Awaitable[object]]) -> Iterator[str]:
    """Run uvicorn with the app in a thread on a free port; yield its base URL."""
    app = create_app(settings, on_open=on_open)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="tiegraph-browser-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def open_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service without authentication (``serve --no-auth``), demo loaded."""
    settings = Settings(
        store=StoreKind.EMBEDDED, data_dir=tmp_path_factory.mktemp("open") / "store", no_auth=True
    )
    with _serve(settings, load_groups) as url:
        yield Service(url, settings)


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service without authentication and the whole demo network (``make run``'s view):
    Lena's three groups and the 2,000 people around them."""
    settings = Settings(
        store=StoreKind.EMBEDDED, data_dir=tmp_path_factory.mktemp("demo") / "store", no_auth=True
    )
    with _serve(settings, demo.load_demo) as url:
        yield Service(url, settings)


@pytest.fixture(scope="module")
def guarded_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service with bearer tokens required, demo loaded."""
    settings = Settings(
        store=StoreKind.EMBEDDED,
        data_dir=tmp_path_factory.mktemp("guarded") / "store",
        jwt_secret=SecretStr(SECRET),
    )
    with _serve(settings, load_groups) as url:
        yield Service(url, settings)


@dataclass
class Tab:
    """A page in a fresh browser context, and every console error and page error it raised."""

    page: Page
    errors: list[str]

    def screenshot(self, name: str, selector: str | None = None, **options: Any) -> Path:
        """Save a screenshot (of the page, or of one element) as a test artifact."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        if selector is not None:
            # The element in page coordinates: a clip of the full page keeps tall ones whole.
            options["clip"] = self.page.locator(selector).evaluate(
                """(e) => { const r = e.getBoundingClientRect();
                            return { x: r.x + scrollX, y: r.y + scrollY,
                                     width: r.width, height: r.height }; }"""
            )
            options["full_page"] = True
        self.page.screenshot(path=str(path), **options)
        return path


@pytest.fixture
def tab(chromium: Browser) -> Iterator[Tab]:
    """A new page at 1280x900 in its own context (its own sessionStorage)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    try:
        yield Tab(page, errors)
    finally:
        context.close()

"""GraphiQL at /graphql in a real headless Chromium with no network beyond the server itself."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route

from api.settings import Settings, StoreKind
from graph.samples import demo
from graph.usecases.viewer import Role
from tests.browser.conftest import Service, Tab, _serve

pytestmark = pytest.mark.browser

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``tiegraph serve --demo --no-auth``: the whole demo network the README's query asks about."""
    settings = Settings(
        store=StoreKind.EMBEDDED, data_dir=tmp_path_factory.mktemp("demo") / "store", no_auth=True
    )
    with _serve(settings, demo.load_demo) as url:
        yield Service(url, settings)


def _readme_query() -> str:
    """The query the README asks people to run in GraphiQL (its first GraphQL block)."""
    found = re.search(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert found, "the README shows a GraphQL query"
    return "\n".join(line.strip() for line in found.group(1).splitlines()).strip()


def _same_answer(got: Any, expected: Any) -> bool:
    """Whether two answers agree, floats to one part in 10^5 (strengths decay with the clock,
    so two answers a few milliseconds apart differ in their last digits)."""
    if isinstance(got, float) and isinstance(expected, float):
        return math.isclose(got, expected, rel_tol=1e-5)
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(
            _same_answer(got[key], expected[key]) for key in got
        )
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(
            _same_answer(a, b) for a, b in zip(got, expected, strict=True)
        )
    return bool(got == expected)


def _offline(tab: Tab, service: Service) -> list[str]:
    """Abort every request to another host than the server; return the list of those refused."""
    own = urlsplit(service.url).netloc
    refused: list[str] = []

    def only_the_server(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == own or url.startswith("data:"):
            route.continue_()
        else:
            refused.append(url)
            route.abort("internetdisconnected")

    tab.page.context.route("**/*", only_the_server)
    return refused


def _open(tab: Tab, service: Service) -> None:
    tab.page.goto(f"{service.url}/graphql")
    tab.page.wait_for_selector(".graphiql-query-editor .CodeMirror")


def _replace_the_query(tab: Tab, query: str) -> None:
    """Put ``query`` in the editor as someone would: click into it, select all, type it."""
    tab.page.locator(".graphiql-query-editor .CodeMirror").click()
    tab.page.keyboard.press("Control+A")
    tab.page.keyboard.press("Delete")
    # insert_text types the characters without the editor closing brackets on its own.
    tab.page.keyboard.insert_text(query)


def _answer(tab: Tab) -> dict[str, Any]:
    """Wait for GraphiQL to show a response, and return it."""
    response = tab.page.locator(".graphiql-response .CodeMirror")
    tab.page.wait_for_function(
        """() => { const e = document.querySelector('.graphiql-response .CodeMirror');
                   return e && e.CodeMirror.getValue().trim().startsWith('{'); }"""
    )
    text: str = response.evaluate("(e) => e.CodeMirror.getValue()")
    answer: dict[str, Any] = json.loads(text)
    return answer


def test_the_readme_query_runs_from_the_editor_without_internet(
    tab: Tab, demo_service: Service
) -> None:
    refused = _offline(tab, demo_service)
    _open(tab, demo_service)
    query = _readme_query()
    assert "introductionPaths" in query
    _replace_the_query(tab, query)
    assert (
        tab.page.locator(".graphiql-query-editor .CodeMirror").evaluate(
            "(e) => e.CodeMirror.getValue()"
        )
        == query
    )
    tab.page.keyboard.press("Control+Enter")
    answer = _answer(tab)
    assert "errors" not in answer, answer
    # Strengths decay with the clock: the same answer, a few milliseconds apart.
    expected = demo_service.graphql(query)
    assert _same_answer(answer["data"], expected), (answer["data"], expected)
    assert answer["data"]["introductionPaths"], "the demo has a path from Amir to Klara"
    assert refused == [], "the page asked for something beyond the server"
    assert tab.errors == []
    tab.screenshot("graphiql-readme-query")


def test_the_schema_is_fetched_for_the_documentation_explorer(
    tab: Tab, open_service: Service
) -> None:
    refused = _offline(tab, open_service)
    _open(tab, open_service)
    tab.page.get_by_role("button", name="Show Documentation Explorer").click()
    explorer = tab.page.locator(".graphiql-doc-explorer")
    explorer.get_by_text("Query", exact=True).click()
    assert explorer.get_by_text("introductionPaths").first.is_visible()
    assert refused == []
    assert tab.errors == []


def test_with_authentication_on_the_page_loads_and_asks_for_the_header(
    tab: Tab, guarded_service: Service
) -> None:
    refused = _offline(tab, guarded_service)
    _open(tab, guarded_service)
    assert tab.page.locator(".graphiql-query-editor").inner_text().count("Authorization") >= 1
    token = guarded_service.token("lena")
    headers = tab.page.locator(".graphiql-editor-tool .graphiql-editor").last
    headers.click()
    tab.page.keyboard.insert_text(json.dumps({"Authorization": f"Bearer {token}"}))
    _replace_the_query(tab, "{ viewer { key name } }")
    tab.page.keyboard.press("Control+Enter")
    answer = _answer(tab)
    assert answer["data"]["viewer"]["key"] == "lena"
    assert refused == []
    # Before the token is in, GraphiQL's schema request is refused, as every request is.
    assert [e for e in tab.errors if "status of 401" not in e] == []


def test_a_subscription_runs_from_the_editor_over_a_websocket(
    tab: Tab, guarded_service: Service
) -> None:
    refused = _offline(tab, guarded_service)
    _open(tab, guarded_service)
    token = guarded_service.token("amir")
    headers = tab.page.locator(".graphiql-editor-tool .graphiql-editor").last
    headers.click()
    tab.page.keyboard.insert_text(json.dumps({"Authorization": f"Bearer {token}"}))
    _replace_the_query(tab, "subscription Mine { introductionUpdates { key status } }")
    tab.page.keyboard.press("Control+Enter")
    # Running: GraphiQL's play button turns into a stop button while the stream is open.
    tab.page.get_by_role("button", name="Stop query (Ctrl-Enter)").wait_for()
    tab.page.wait_for_timeout(500)
    guarded_service.graphql(
        'mutation { upsertIntroduction(input: {key: "graphiql-live", requester: "amir",'
        ' introducer: "carl", target: "hanna", requestedAt: "2026-12-01T10:00:00Z"})'
        " { __typename } }",
        guarded_service.token(None, Role.ADMIN),
    )
    answer = _answer(tab)
    assert answer == {
        "data": {"introductionUpdates": {"key": "graphiql-live", "status": "REQUESTED"}}
    }
    assert refused == []
    assert [e for e in tab.errors if "status of 401" not in e] == []
    tab.screenshot("graphiql-subscription")

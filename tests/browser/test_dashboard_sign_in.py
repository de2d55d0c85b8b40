"""Signing in to the dashboard with a real token when the service requires one."""

from __future__ import annotations

import pytest

from graph.usecases.viewer import Role
from tests.browser.conftest import AUTUMN, Service, Tab

pytestmark = pytest.mark.browser

PAGE = f"/dashboard?group=spring-2024&at={AUTUMN}"


def _sign_in(tab: Tab, token: str) -> None:
    """Type a token into the sign-in form (which has the focus) and press Enter."""
    assert tab.page.evaluate("() => document.activeElement.id") == "token"
    tab.page.keyboard.type(token)
    tab.page.keyboard.press("Enter")


def _refused_requests_only(errors: list[str]) -> bool:
    """Whether every console error is the browser reporting a refused (401) request."""
    return all("401" in e for e in errors)


def test_a_wrong_token_is_refused_and_a_right_one_opens_the_dashboard(
    tab: Tab, guarded_service: Service
) -> None:
    tab.page.goto(f"{guarded_service.url}{PAGE}")
    login = tab.page.locator("#login")
    login.wait_for()
    assert tab.page.locator("#dashboard").is_hidden()
    assert tab.errors == [], "asking for a token must not need a refused request first"
    tab.screenshot("dashboard-sign-in")

    _sign_in(tab, "not-a-real-token")
    error = tab.page.locator("#login-error")
    error.filter(has_text="refused").wait_for()
    assert error.get_attribute("role") == "alert"
    assert tab.page.locator("#dashboard").is_hidden()
    assert tab.page.evaluate("() => sessionStorage.getItem('tiegraph.token')") is None
    assert tab.page.locator("#token").get_attribute("aria-invalid") == "true"
    tab.screenshot("dashboard-sign-in-refused")

    token = guarded_service.token("lena", Role.LEADER)
    tab.page.fill("#token", "")
    _sign_in(tab, token)
    tab.page.wait_for_selector("body[data-loaded]")
    assert tab.page.locator("#account-name").inner_text() == "Signed in as Lena Holm"
    assert tab.page.evaluate("() => sessionStorage.getItem('tiegraph.token')") == token
    ties = guarded_service.graphql(
        'query($at: DateTime) { groupTies(group: "spring-2024", at: $at) { contactAfter } }',
        token,
        at=f"{AUTUMN}T23:59:59Z",
    )["groupTies"]
    graph = tab.page.locator("#tie-graph[data-state=ready]")
    assert graph.get_attribute("data-edges") == str(len(ties))
    assert tab.page.input_value("#path-from") == "Lena Holm"
    assert tab.page.locator("#no-auth-banner").is_hidden()
    tab.screenshot("dashboard-signed-in")

    # The token lasts as long as the tab: a reload stays signed in; signing out forgets it.
    tab.page.reload()
    tab.page.wait_for_selector("body[data-loaded]")
    assert tab.page.locator("#login").is_hidden()
    tab.page.click("#sign-out")
    login.wait_for()
    assert tab.page.evaluate("() => sessionStorage.getItem('tiegraph.token')") is None
    # The one refused request (the wrong token) is all the browser complained about.
    assert tab.errors, "the wrong token was sent and refused"
    assert _refused_requests_only(tab.errors), tab.errors


def test_a_member_sees_clearly_what_only_the_leader_may_see(
    tab: Tab, guarded_service: Service
) -> None:
    tab.page.goto(f"{guarded_service.url}{PAGE}")
    tab.page.locator("#login").wait_for()
    _sign_in(tab, guarded_service.token("amir"))
    tab.page.wait_for_selector("body[data-loaded]")
    refusal = "You may not see this: not allowed to"
    assert tab.page.locator("#ties-status").inner_text().startswith(refusal)
    assert tab.page.locator("#ties-status").get_attribute("data-kind") == "error"
    assert tab.page.locator("#balance-status").inner_text().startswith(refusal)
    # What a member may see still shows: the overview and the group's keep-in-touch curve.
    assert tab.page.locator("#members-table tbody tr").count() == 9
    assert tab.page.evaluate(
        "() => window.Chart.getChart(document.querySelector('#retention-chart')) !== undefined"
    )
    tab.screenshot("dashboard-member-view", full_page=True)
    assert tab.errors == []

"""The dashboard follows live updates over a websocket: what is recorded elsewhere shows at once."""

from __future__ import annotations

import pytest

from graph.usecases.viewer import Role
from tests.browser.conftest import Service, Tab

pytestmark = pytest.mark.browser


def _signed_in(tab: Tab, service: Service, person: str, *roles: Role) -> None:
    tab.page.goto(f"{service.url}/dashboard?group=spring-2024")
    tab.page.locator("#login").wait_for()
    tab.page.fill("#token", service.token(person, *roles))
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_selector("body[data-loaded]")
    tab.page.wait_for_selector("#live[data-state=connected]")


def test_the_leader_sees_a_breakout_recorded_elsewhere_without_reloading(
    tab: Tab, guarded_service: Service
) -> None:
    _signed_in(tab, guarded_service, "lena", Role.LEADER)
    assert tab.page.locator("#live-feed .live-item").count() == 0
    loaded = tab.page.evaluate("() => document.body.dataset.loaded")
    guarded_service.graphql(
        'mutation { recordBreakout(input: {key: "live-browser-bx", meeting: "spring-2024-m1",'
        ' members: ["amir", "dina"]}) { __typename } }',
        guarded_service.token(None, Role.ADMIN),
    )
    item = tab.page.locator('#live-feed .live-item[data-kind="breakout"]')
    item.wait_for()
    names = guarded_service.graphql(
        '{ a: person(id: "amir") { name } d: person(id: "dina") { name } }',
        guarded_service.token("lena", Role.LEADER),
    )
    text = item.inner_text()
    assert names["a"]["name"] in text
    assert names["d"]["name"] in text
    # The sections the breakout changes were read again, without a reload of the page.
    tab.page.wait_for_selector("body[data-refreshed]")
    assert tab.page.evaluate("() => document.body.dataset.loaded") == loaded
    tab.screenshot("dashboard-live-breakout", "#live")
    assert tab.errors == []


def test_a_member_sees_a_new_tie_and_an_introduction_to_them(
    tab: Tab, guarded_service: Service
) -> None:
    _signed_in(tab, guarded_service, "amir", Role.MEMBER)
    admin = guarded_service.token(None, Role.ADMIN)
    guarded_service.graphql(
        'mutation { upsertPerson(input: {key: "live-nea", name: "Nea Live"}) { __typename }'
        ' recordInteraction(input: {key: "live-browser-call", at: "2026-12-01T10:00:00Z",'
        ' kind: CALL, participants: ["amir", "live-nea"]}) { __typename } }',
        admin,
    )
    tie = tab.page.locator('#live-feed .live-item[data-kind="tie"]')
    tie.wait_for()
    assert "A new tie with Nea Live" in tie.inner_text()
    guarded_service.graphql(
        'mutation { upsertIntroduction(input: {key: "live-browser-intro", requester: "carl",'
        ' introducer: "lena", target: "amir", requestedAt: "2026-12-01T10:00:00Z"})'
        " { __typename } }",
        admin,
    )
    introduction = tab.page.locator('#live-feed .live-item[data-kind="introduction"]')
    introduction.wait_for()
    assert "requested" in introduction.inner_text()
    assert tab.errors == []

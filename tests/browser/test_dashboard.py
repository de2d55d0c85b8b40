"""The leader's dashboard in a real headless Chromium, against the real service and demo group."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import AUTUMN, Service, Tab

pytestmark = pytest.mark.browser

GROUP = "spring-2024"
AT = f"{AUTUMN}T23:59:59Z"
"""What the page asks for when it is told ``at=2024-10-01``: the end of that day."""


def _open(tab: Tab, service: Service, query: str = f"?group={GROUP}&at={AUTUMN}") -> None:
    tab.page.goto(f"{service.url}/dashboard{query}")
    tab.page.wait_for_selector("body[data-loaded]")


def _evaluate(tab: Tab, script: str) -> Any:
    return tab.page.evaluate(script)


def test_the_page_loads_without_errors_and_draws_every_tie_the_api_knows(
    tab: Tab, open_service: Service
) -> None:
    _open(tab, open_service)
    api = open_service.graphql(
        """query($group: ID!, $at: DateTime) {
             group(id: $group) { members(first: 100) { totalCount } }
             groupTies(group: $group, at: $at) { contactAfter }
             driftingTies(group: $group, windowDays: 90, at: $at) { totalCount }
           }""",
        group=GROUP,
        at=AT,
    )
    graph = tab.page.locator("#tie-graph[data-state=ready]")
    assert graph.get_attribute("data-nodes") == str(api["group"]["members"]["totalCount"])
    assert graph.get_attribute("data-edges") == str(len(api["groupTies"]))
    drawn = _evaluate(
        tab,
        """() => { const cy = window.tiegraphDashboard.graph();
                   return { nodes: cy.nodes().length, edges: cy.edges().length,
                            after: cy.edges('.after').length,
                            drift: cy.edges('.drift').length }; }""",
    )
    assert drawn == {
        "nodes": api["group"]["members"]["totalCount"],
        "edges": len(api["groupTies"]),
        "after": sum(1 for t in api["groupTies"] if t["contactAfter"]),
        "drift": api["driftingTies"]["totalCount"],
    }
    assert drawn["after"] > 0
    # The text alternative lists the same ties.
    assert tab.page.locator("#ties-table tbody tr").count() == len(api["groupTies"])
    assert "Communicators, spring 2024" in tab.page.locator("#dashboard-title").inner_text()
    tab.screenshot("dashboard-full", full_page=True)
    tab.screenshot("dashboard-top")
    tab.screenshot("dashboard-tie-graph", "#ties")
    assert tab.errors == []


LATER = "2025-09-01"
"""When both groups' curves can be read: the test group ended in December 2024."""


def _chart(tab: Tab, canvas: str) -> dict[str, Any]:
    found: dict[str, Any] = tab.page.evaluate(
        """(selector) => {
             const chart = window.Chart.getChart(document.querySelector(selector));
             const datasets = chart.data.datasets.map((d) => ({ label: d.label, data: d.data }));
             return { labels: chart.data.labels || [], datasets };
           }""",
        canvas,
    )
    return found


def test_the_retention_curves_and_balance_charts_show_what_the_api_says(
    tab: Tab, open_service: Service
) -> None:
    _open(tab, open_service, f"?group={GROUP}&at={LATER}")
    horizons = [30, 60, 90, 120, 150, 180, 270, 365]
    api = open_service.graphql(
        """query($at: DateTime, $horizons: [Int!]) {
             compareGroups(groups: ["spring-2024", "autumn-test"], at: $at, horizons: $horizons) {
               group shareAfter curve { days share } }
             groupBalance(group: "spring-2024") { meetings { meeting gini } }
           }""",
        at=f"{LATER}T23:59:59Z",
        horizons=horizons,
    )
    curves = _chart(tab, "#retention-chart")["datasets"]
    assert [c["label"] for c in curves] == [
        "Communicators, spring 2024",
        "Communicators, autumn (test)",
    ]
    for drawn, group in zip(curves, api["compareGroups"], strict=True):
        expected = [{"x": 0, "y": pytest.approx(group["shareAfter"] * 100)}] + [
            {"x": p["days"], "y": pytest.approx(p["share"] * 100)}
            for p in group["curve"]
            if p["share"] is not None
        ]
        assert drawn["data"] == expected
    assert len(curves[1]["data"]) < len(curves[0]["data"])  # 365 days not observable yet
    assert tab.page.locator("#compare-table tbody tr").count() == 2

    gini = _chart(tab, "#gini-chart")
    assert gini["datasets"][0]["data"] == [
        pytest.approx(m["gini"]) for m in api["groupBalance"]["meetings"]
    ]
    assert len(gini["labels"]) == 6
    # The speakers open on the most unbalanced meeting, the leader left out of the shares.
    worst = max(
        (m for m in api["groupBalance"]["meetings"] if m["gini"] is not None),
        key=lambda m: m["gini"],
    )
    tab.page.wait_for_function(
        "() => document.querySelector('#speakers-status').textContent.startsWith('Gini')"
    )
    assert tab.page.input_value("#meeting-select") == worst["meeting"]
    attendees = open_service.graphql(
        "query($m: ID!) { meetingBalance(meeting: $m) { speakers { person { key } seconds } } }",
        m=worst["meeting"],
    )["meetingBalance"]["speakers"]
    members = [s["seconds"] for s in attendees if s["person"]["key"] != "lena"]
    assert len(members) == len(attendees) - 1, "Lena spoke at her meeting"
    speakers = _chart(tab, "#speakers-chart")
    shares, fair = speakers["datasets"]
    expected_shares = sorted((100 * s / sum(members) for s in members), reverse=True)
    assert shares["data"] == [pytest.approx(s) for s in expected_shares]
    assert fair["data"] == [pytest.approx(100 / len(members))] * len(members)
    tab.screenshot("dashboard-retention", "#retention")
    tab.screenshot("dashboard-balance", "#balance")

    # Another meeting: its own speakers.
    tab.page.select_option("#meeting-select", "spring-2024-m6")
    tab.page.wait_for_function(
        "() => document.querySelector('#speakers-status').textContent.startsWith('Gini')"
        " && window.Chart.getChart(document.querySelector('#speakers-chart'))"
        ".data.labels.length > 0"
    )
    sixth = open_service.graphql(
        '{ meetingBalance(meeting: "spring-2024-m6") { speakers { person { key name } share } } }'
    )["meetingBalance"]["speakers"]
    labels = _chart(tab, "#speakers-chart")["labels"]
    by_share = sorted((s for s in sixth if s["person"]["key"] != "lena"), key=lambda s: -s["share"])
    assert labels == [s["person"]["name"] for s in by_share]
    assert tab.errors == []


def _tab_to(tab: Tab, selector: str, presses: int = 60) -> None:
    """Press Tab until ``selector`` has the focus, as someone without a mouse would."""
    for _ in range(presses):
        tab.page.keyboard.press("Tab")
        if tab.page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus by Tab")


def test_a_path_is_found_with_the_keyboard_alone(tab: Tab, open_service: Service) -> None:
    _open(tab, open_service)
    _tab_to(tab, "a[href='#paths']")
    outline = tab.page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused link must show where the focus is"
    tab.page.keyboard.press("Enter")
    tab.page.keyboard.press("Tab")
    assert tab.page.evaluate("() => document.activeElement.id") == "path-from"
    tab.page.keyboard.type("Amir")
    tab.page.keyboard.press("Tab")
    assert tab.page.evaluate("() => document.activeElement.id") == "path-to"
    tab.page.keyboard.type("Hanna")
    tab.page.keyboard.press("Enter")
    status = tab.page.locator("#path-status")
    status.filter(has_text="from Amir Haddad to Hanna Ström").wait_for()

    # spring-2024 has ended: paths over the network as it stood at its end.
    paths = open_service.graphql(
        """query($at: DateTime) { introductionPaths(from: "amir", to: "hanna", first: 5,
             maxHops: 3, at: $at) { people { name } } }""",
        at="2024-05-13T23:59:59Z",
    )["introductionPaths"]
    assert paths, "the demo has a path from Amir to Hanna"
    cards = tab.page.locator(".path-card")
    assert cards.count() == len(paths)
    first_chain = cards.first.locator(".chain-person").all_inner_texts()
    assert first_chain == [p["name"] for p in paths[0]["people"]]
    assert status.get_attribute("aria-live") == "polite"
    tab.screenshot("dashboard-paths", "#paths")
    assert tab.errors == []

"""The dashboard on the whole demo network, as a new user meets it after ``make run``: the
autumn-2024 group, a name many people share, and a member's own nudges."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from playwright.sync_api import Request

from graph.usecases.viewer import Role
from tests.browser.conftest import Service, Tab

pytestmark = pytest.mark.browser

GROUP = "autumn-2024"
LEADER = "lena"


def _open(tab: Tab, service: Service, query: str = f"?group={GROUP}") -> None:
    tab.page.goto(f"{service.url}/dashboard{query}")
    tab.page.wait_for_selector("body[data-loaded]")
    tab.page.wait_for_selector("#tie-graph[data-state=ready]")


def _rgb(value: str) -> str:
    return value.replace(" ", "")


def test_the_legend_shows_each_kind_of_tie_exactly_as_it_is_drawn(
    tab: Tab, demo_service: Service
) -> None:
    _open(tab, demo_service)
    drawn: list[dict[str, Any]] = tab.page.evaluate(
        """() => window.tiegraphDashboard.graph().edges().map((e) => ({
             kind: e.data('kind'), color: e.style('line-color'), style: e.style('line-style'),
             opacity: Number(e.style('opacity')) }))"""
    )
    swatches: dict[str, dict[str, Any]] = tab.page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#edge-legend .swatch-edge')]
             .map((s) => { const c = getComputedStyle(s);
                           return [s.dataset.kind, { color: c.borderTopColor,
                                   style: c.borderTopStyle, opacity: Number(c.opacity) }]; }))"""
    )
    kinds = {edge["kind"] for edge in drawn}
    assert len(kinds) >= 2, f"the demo group at this moment shows several kinds: {kinds}"
    assert kinds <= set(swatches), "every kind drawn has its legend entry"
    for edge in drawn:
        swatch = swatches[edge["kind"]]
        assert _rgb(edge["color"]) == _rgb(swatch["color"]), edge
        assert edge["style"] == swatch["style"], edge
        assert edge["opacity"] == pytest.approx(swatch["opacity"], abs=0.01), edge
    # A drifting tie is drawn as the legend's drifting tie, whether or not they met after.
    api = demo_service.graphql(
        'query { driftingTies(group: "autumn-2024", windowDays: 90) { totalCount } }'
    )
    assert sum(1 for e in drawn if e["kind"] == "drift") == api["driftingTies"]["totalCount"]
    tab.screenshot("dashboard-story-tie-graph", "#ties")
    assert tab.errors == []


def test_each_organization_present_has_its_own_colour_in_the_picture_and_the_legend(
    tab: Tab, demo_service: Service
) -> None:
    _open(tab, demo_service)
    members = demo_service.graphql(
        """{ group(id: "autumn-2024") { members(first: 100) {
             nodes { person { key organization { name } } } } } }"""
    )["group"]["members"]["nodes"]
    organizations = {m["person"]["key"]: m["person"]["organization"]["name"] for m in members}
    colours: dict[str, str] = tab.page.evaluate(
        """() => Object.fromEntries(window.tiegraphDashboard.graph().nodes()
             .map((n) => [n.id(), n.style('background-color')]))"""
    )
    assert set(colours) == set(organizations)
    by_organization: dict[str, set[str]] = {}
    for key, organization in organizations.items():
        by_organization.setdefault(organization, set()).add(_rgb(colours[key]))
    assert all(len(c) == 1 for c in by_organization.values()), by_organization
    distinct = {next(iter(c)) for c in by_organization.values()}
    assert len(distinct) == len(by_organization), "no two organizations share a colour"
    legend: dict[str, str] = tab.page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#node-legend [data-key]')]
             .map((i) => [i.dataset.key,
                          getComputedStyle(i.querySelector('.swatch')).backgroundColor]))"""
    )
    assert {k: _rgb(v) for k, v in legend.items()} == {
        o: next(iter(c)) for o, c in by_organization.items()
    }

    tab.page.select_option("#colour-by", "industry")
    tab.page.wait_for_function(
        "() => document.querySelector('#node-legend')"
        ".getAttribute('aria-label').includes('industry')"
    )
    assert tab.page.locator("#node-legend [data-key]").count() < len(by_organization) + 1
    assert tab.errors == []


def _positions(tab: Tab) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = tab.page.evaluate(
        """() => Object.fromEntries(window.tiegraphDashboard.graph().nodes()
             .map((n) => [n.id(), { ...n.position(), r: n.width() / 2 }]))"""
    )
    return found


def _distance_to_segment(p: dict[str, float], a: dict[str, float], b: dict[str, float]) -> float:
    dx, dy = b["x"] - a["x"], b["y"] - a["y"]
    length = dx * dx + dy * dy
    t = (
        0.0
        if length == 0
        else max(0.0, min(1.0, ((p["x"] - a["x"]) * dx + (p["y"] - a["y"]) * dy) / length))
    )
    return math.hypot(p["x"] - (a["x"] + t * dx), p["y"] - (a["y"] + t * dy))


def test_the_leader_is_placed_like_anyone_else_and_can_be_left_out(
    tab: Tab, demo_service: Service
) -> None:
    _open(tab, demo_service)
    ties = demo_service.graphql(
        '{ groupTies(group: "autumn-2024") { a { key } b { key } strength { band } } }'
    )["groupTies"]
    own = [t for t in ties if LEADER in (t["a"]["key"], t["b"]["key"])]
    assert own, "the leader has ties with her group"
    assert all(t["strength"]["band"] == "DORMANT" for t in own), "and all of them are dormant"

    places = _positions(tab)
    centre_x = sum(p["x"] for p in places.values()) / len(places)
    centre_y = sum(p["y"] for p in places.values()) / len(places)
    by_distance = sorted(
        places, key=lambda k: math.hypot(places[k]["x"] - centre_x, places[k]["y"] - centre_y)
    )
    assert by_distance[0] != LEADER, "the leader is not the one in the middle"
    assert by_distance.index(LEADER) >= len(places) // 2, by_distance
    leader = places[LEADER]
    for tie in ties:
        a, b = tie["a"]["key"], tie["b"]["key"]
        if LEADER in (a, b):
            continue
        assert _distance_to_segment(leader, places[a], places[b]) > leader["r"], (
            f"the tie {a}-{b} is drawn through the leader"
        )
    # Labels sit outside the nodes on opaque cards drawn above every line.
    labels = tab.page.evaluate(
        """() => { const cy = window.tiegraphDashboard.graph(); const n = cy.nodes()[0];
                   const z = (all) => all.map((x) => Number(x.style('z-index')));
                   return { valign: n.style('text-valign'),
                            card: Number(n.style('text-background-opacity')),
                            above: Math.min(...z(cy.nodes())) > Math.max(...z(cy.edges())) }; }"""
    )
    assert labels == {"valign": "bottom", "card": 1, "above": True}
    tab.screenshot("dashboard-story-leader-shown", "#ties")

    colours = tab.page.evaluate(
        """() => Object.fromEntries(window.tiegraphDashboard.graph().nodes()
             .map((n) => [n.id(), n.style('background-color')]))"""
    )
    tab.page.uncheck("#show-leader")
    tab.page.wait_for_selector("#tie-graph[data-leader=hidden]")
    assert LEADER not in _positions(tab)
    still = tab.page.evaluate(
        """() => Object.fromEntries(window.tiegraphDashboard.graph().nodes()
             .map((n) => [n.id(), n.style('background-color')]))"""
    )
    assert still == {k: v for k, v in colours.items() if k != LEADER}, "everyone keeps a colour"
    assert "Leader" not in tab.page.locator("#node-legend").inner_text()
    graph = tab.page.locator("#tie-graph")
    assert graph.get_attribute("data-nodes") == str(len(places) - 1)
    assert graph.get_attribute("data-edges") == str(len(ties) - len(own))
    tab.screenshot("dashboard-story-leader-hidden", "#ties")
    assert tab.errors == []


def test_selecting_a_person_shows_their_title_organization_and_hopes(
    tab: Tab, demo_service: Service
) -> None:
    _open(tab, demo_service)
    viktor = demo_service.graphql(
        """{ group(id: "autumn-2024") { members(first: 100) { nodes {
             hopes person { key title organization { name } } } } } }"""
    )["group"]["members"]["nodes"]
    found = next(m for m in viktor if m["person"]["key"] == "viktor")
    tab.page.evaluate("() => window.tiegraphDashboard.graph().$id('viktor').emit('tap')")
    detail = tab.page.locator("#graph-detail")
    detail.filter(has_text="Viktor Sand").wait_for()
    text = detail.inner_text()
    assert found["person"]["title"] in text
    assert found["person"]["organization"]["name"] in text
    assert found["hopes"], "the demo member answered the pre-interview"
    assert found["hopes"][0] in text
    tab.screenshot("dashboard-story-selected", "#ties")
    assert tab.errors == []


def test_the_balance_opens_on_the_most_unbalanced_meeting_with_the_leader_apart(
    tab: Tab, demo_service: Service
) -> None:
    _open(tab, demo_service)
    meetings = demo_service.graphql(
        '{ groupBalance(group: "autumn-2024") { meetings { meeting gini } } }'
    )["groupBalance"]["meetings"]
    worst = max((m for m in meetings if m["gini"] is not None), key=lambda m: m["gini"])
    tab.page.wait_for_function(
        "() => window.Chart.getChart(document.querySelector('#speakers-chart'))"
        " && document.querySelector('#speakers-status').textContent.startsWith('Gini')"
    )
    assert tab.page.input_value("#meeting-select") == worst["meeting"]
    assert worst["meeting"] == "autumn-2024-m2", "Viktor's meeting, as the demo tells it"

    balance = demo_service.graphql(
        "query($m: ID!) {"
        " meetingBalance(meeting: $m) { speakers { person { key name } seconds } } }",
        m=worst["meeting"],
    )["meetingBalance"]["speakers"]
    members = [s for s in balance if s["person"]["key"] != LEADER]
    total = sum(s["seconds"] for s in members)
    chart = tab.page.evaluate(
        """() => { const c = window.Chart.getChart(document.querySelector('#speakers-chart'));
                   return { labels: c.data.labels, shares: c.data.datasets[0].data,
                            fair: c.data.datasets[1].data }; }"""
    )
    ordered = sorted(members, key=lambda s: -s["seconds"])
    assert chart["labels"] == [s["person"]["name"] for s in ordered]
    assert "Lena Holm" not in chart["labels"]
    assert chart["shares"] == [pytest.approx(100 * s["seconds"] / total) for s in ordered]
    assert chart["fair"] == [pytest.approx(100 / len(members))] * len(members)
    apart = tab.page.locator("#leader-share")
    assert apart.is_visible()
    assert "Lena Holm" in apart.inner_text()
    assert "Lena Holm" not in tab.page.locator("#member-balance-table").inner_text()
    tab.screenshot("dashboard-story-balance", "#balance")
    assert tab.errors == []


def test_every_klara_is_listed_with_her_organization_and_paths_use_the_groups_end(
    tab: Tab, demo_service: Service
) -> None:
    _open(tab, demo_service)
    klaras = demo_service.graphql(
        '{ people(filter: { name: "Klara" }, first: 100) {'
        " totalCount nodes { key name organization { name } } } }"
    )["people"]
    assert klaras["totalCount"] > 5, "more Klaras than the old list of five"
    sent: list[dict[str, Any]] = []

    def remember(request: Request) -> None:
        if request.url.endswith("/graphql") and request.post_data:
            body = json.loads(request.post_data)
            if "DashboardPaths" in body["query"]:
                sent.append(body["variables"])

    tab.page.on("request", remember)
    tab.page.fill("#path-from", "Amir Haddad")
    tab.page.fill("#path-to", "Klara")
    tab.page.click("#path-form button[type=submit]")
    choices = tab.page.locator("#path-choices .choice")
    choices.first.wait_for()
    assert choices.count() == klaras["totalCount"]
    listed = choices.all_inner_texts()
    for klara in klaras["nodes"]:
        organization = klara["organization"]["name"] if klara["organization"] else None
        assert any(
            klara["name"] in t and (organization is None or organization in t) for t in listed
        ), klara
    overflow = tab.page.evaluate(
        "() => getComputedStyle(document.querySelector('#path-choices')).overflowY"
    )
    assert overflow == "auto"
    tab.screenshot("dashboard-story-klaras", "#paths")

    wikstrom = tab.page.locator("#path-choices .choice[data-key=klara]")
    wikstrom.click()
    tab.page.locator("#path-status").filter(
        has_text="from Amir Haddad to Klara Wikström"
    ).wait_for()
    ends = demo_service.graphql('{ group(id: "autumn-2024") { endsOn } }')["group"]["endsOn"]
    assert sent[-1] == {"from": "amir", "to": "klara", "at": f"{ends}T23:59:59Z"}
    paths = demo_service.graphql(
        """query($at: DateTime) { introductionPaths(from: "amir", to: "klara", first: 5,
             maxHops: 3, at: $at) { score } }""",
        at=f"{ends}T23:59:59Z",
    )["introductionPaths"]
    cards = tab.page.locator(".path-card")
    assert cards.count() == len(paths)
    assert (
        "as the network stood at the group's end" in tab.page.locator("#path-status").inner_text()
    )
    tab.screenshot("dashboard-story-paths", "#paths")
    assert tab.errors == []


def test_a_member_signed_in_sees_their_own_ties_worth_renewing(
    tab: Tab, guarded_service: Service
) -> None:
    token = guarded_service.token("amir", Role.MEMBER)
    tab.page.goto(f"{guarded_service.url}/dashboard?group=spring-2024")
    tab.page.locator("#login").wait_for()
    tab.page.fill("#token", token)
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_selector("body[data-loaded]")
    expected = guarded_service.graphql(
        '{ keepInTouch(person: "amir") { other { key name } reason } }', token
    )["keepInTouch"]
    assert expected, "Amir's ties of spring 2024 have faded since"
    section = tab.page.locator("#nudges")
    assert section.is_visible()
    cards = tab.page.locator("#nudge-list .nudge-card")
    assert cards.count() == len(expected)
    assert [c.get_attribute("data-key") for c in cards.all()] == [
        n["other"]["key"] for n in expected
    ]
    assert cards.first.locator(".nudge-reason").inner_text() == expected[0]["reason"]
    tab.screenshot("dashboard-story-nudges", "#nudges")
    assert all("401" in e or "403" in e for e in tab.errors), tab.errors


def test_without_a_person_signed_in_there_are_no_nudges_to_show(
    tab: Tab, demo_service: Service
) -> None:
    _open(tab, demo_service)
    assert tab.page.locator("#nudges").is_hidden()
    assert tab.errors == []

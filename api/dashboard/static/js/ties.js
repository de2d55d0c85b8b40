// The group's tie graph: people as nodes, ties as lines as wide as they are strong.

import { explain, fieldError, graphql } from "./api.js";
import { byId, day, fill, h, rows, status, strength, words } from "./dom.js";

const DRIFT_WINDOW_DAYS = 90;

const TIES = `
query DashboardTies($group: ID!, $at: DateTime, $window: Int!) {
  group(id: $group) {
    leader { key }
    members(first: 100) { nodes { role person { key name profession industry } } }
  }
  groupTies(group: $group, at: $at) {
    a { key name } b { key name }
    strength { strength band }
    interactionCount lastContact contactAfter
  }
  driftingTies(group: $group, windowDays: $window, at: $at) {
    person { key } other { key }
    before { band } now { band }
  }
}`;

const COLORS = {
  member: "#2563eb",
  leader: "#7c3aed",
  after: "#0d9488",
  during: "#94a3b8",
  drift: "#d97706",
  text: "#1f2937",
  selected: "#1e3a8a",
};

let graph = null;
let latest = 0;

function pairKey(a, b) {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function afterText(value) {
  if (value === true) return "Yes";
  if (value === false) return "No";
  return "Not shared";
}

const STYLE = [
  {
    selector: "node",
    style: {
      "background-color": COLORS.member,
      label: "data(label)",
      color: COLORS.text,
      "font-size": 15,
      "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
      "text-valign": "bottom",
      "text-margin-y": 5,
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.85,
      "text-background-padding": 2,
      "text-background-shape": "roundrectangle",
      width: 28,
      height: 28,
      "border-width": 3,
      "border-color": "#ffffff",
      "z-index": 20,
    },
  },
  { selector: "node.leader", style: { "background-color": COLORS.leader, shape: "round-rectangle" } },
  {
    selector: "edge",
    style: {
      width: "mapData(strength, 0, 1, 1.5, 11)",
      "line-color": COLORS.during,
      "curve-style": "straight",
      opacity: 0.75,
      "z-index": 1,
    },
  },
  { selector: "edge.after", style: { "line-color": COLORS.after, opacity: 0.95, "z-index": 5 } },
  {
    selector: "edge.drift",
    style: { "line-style": "dashed", "line-dash-pattern": [7, 4], "z-index": 6 },
  },
  { selector: "edge.drift[!after]", style: { "line-color": COLORS.drift, opacity: 0.95 } },
  { selector: ".faded", style: { opacity: 0.12 } },
  { selector: "node:selected", style: { "border-color": COLORS.selected, "border-width": 4 } },
  { selector: "edge:selected", style: { "line-color": COLORS.selected, opacity: 1 } },
];

function describePerson(node) {
  const ties = node
    .connectedEdges()
    .map((e) => ({ other: e.source().id() === node.id() ? e.target() : e.source(), data: e.data() }))
    .sort((x, y) => y.data.strength - x.data.strength);
  const person = node.data();
  return [
    h("p", { class: "detail-title" }, person.name),
    h(
      "p",
      { class: "muted" },
      [person.leader ? "Leader" : "Member", person.profession, person.industry]
        .filter(Boolean)
        .join(" · "),
    ),
    ties.length
      ? h(
          "ol",
          { class: "detail-list", "aria-label": `Strongest ties of ${person.name}` },
          ties
            .slice(0, 4)
            .map((t) =>
              h(
                "li",
                {},
                h("span", {}, t.other.data("name")),
                h("span", { class: "num" }, strength(t.data.strength)),
              ),
            ),
        )
      : h("p", { class: "muted" }, "No ties yet."),
  ];
}

function describeTie(edge) {
  const tie = edge.data();
  return [
    h("p", { class: "detail-title" }, `${tie.aName} – ${tie.bName}`),
    h(
      "dl",
      { class: "detail-facts" },
      h("dt", {}, "Strength"),
      h("dd", {}, `${strength(tie.strength)} (${words(tie.band)})`),
      h("dt", {}, "Contacts"),
      h("dd", {}, String(tie.count)),
      h("dt", {}, "Last contact"),
      h("dd", {}, day(tie.lastContact)),
      h("dt", {}, "After the group"),
      h("dd", {}, afterText(tie.contactAfter)),
      h("dt", {}, "Drifting"),
      h("dd", {}, tie.driftText || "No"),
    ),
  ];
}

function describeGroup(cy) {
  const strongest = cy
    .edges()
    .sort((x, y) => y.data("strength") - x.data("strength"))
    .slice(0, 5);
  return [
    h("p", { class: "muted" }, "Select a person or a tie in the picture, or open the table below."),
    strongest.length
      ? [
          h("p", { class: "detail-subtitle" }, "Strongest ties"),
          h(
            "ol",
            { class: "detail-list", "aria-label": "Strongest ties in the group" },
            strongest.map((e) =>
              h(
                "li",
                {},
                h("span", {}, `${e.data("aName").split(" ")[0]} – ${e.data("bName").split(" ")[0]}`),
                h("span", { class: "num" }, strength(e.data("strength"))),
              ),
            ),
          ),
        ]
      : null,
  ];
}

function showDetail(element) {
  const target = byId("graph-detail");
  if (!element) {
    fill(target, graph ? describeGroup(graph) : h("p", { class: "muted" }, "Nothing selected."));
    return;
  }
  fill(target, element.isNode() ? describePerson(element) : describeTie(element));
}

function highlight(cy, element) {
  cy.elements().removeClass("faded");
  if (!element) return;
  const keep = element.isNode() ? element.closedNeighborhood() : element.union(element.connectedNodes());
  cy.elements().not(keep).addClass("faded");
}

function draw(container, nodes, edges) {
  if (graph) graph.destroy();
  const cy = window.cytoscape({
    container,
    elements: { nodes, edges },
    style: STYLE,
    layout: {
      name: "concentric",
      concentric: (node) => (node.data("leader") ? 2 : 1),
      levelWidth: () => 1,
      minNodeSpacing: 100,
      padding: 36,
      startAngle: (3 / 2) * Math.PI,
      animate: false,
    },
    maxZoom: 1.3, // small groups: do not blow the people up
    userZoomingEnabled: false,
    userPanningEnabled: false,
    boxSelectionEnabled: false,
    autoungrabify: false,
  });
  cy.on("tap", (event) => {
    const element = event.target === cy ? null : event.target;
    highlight(cy, element);
    showDetail(element);
  });
  graph = cy;
  return cy;
}

/** Load the ties among a group's people at a moment and draw them. */
export async function loadTies(groupKey, at) {
  const container = byId("tie-graph");
  container.dataset.state = "loading";
  status("ties-status", "Loading the ties…");
  const mine = ++latest;
  const result = await graphql(TIES, { group: groupKey, at, window: DRIFT_WINDOW_DAYS });
  if (mine !== latest) return null; // a newer choice is on its way
  const problem = fieldError(result, "groupTies");
  if (problem) {
    if (graph) graph.destroy();
    graph = null;
    fill(container);
    container.dataset.state = "error";
    container.removeAttribute("aria-label");
    rows(byId("ties-table"), [], () => null, "No ties to show.");
    showDetail(null);
    status("ties-status", explain(problem), "error");
    byId("ties-body").hidden = true;
    return null;
  }
  byId("ties-body").hidden = false;
  const ties = result.data.groupTies.filter((t) => t.a && t.b);
  const drifts = new Map();
  for (const d of result.data.driftingTies || []) {
    if (d.person && d.other) {
      drifts.set(pairKey(d.person.key, d.other.key), `${words(d.before.band)} → ${words(d.now.band)}`);
    }
  }
  const group = result.data.group;
  const leaderKey = group && group.leader ? group.leader.key : null;
  const people = new Map();
  for (const m of group && group.members ? group.members.nodes : []) {
    if (m.person) people.set(m.person.key, { ...m.person, leader: m.role === "LEADER" || m.person.key === leaderKey });
  }
  for (const t of ties) {
    for (const p of [t.a, t.b]) if (!people.has(p.key)) people.set(p.key, { ...p, leader: p.key === leaderKey });
  }
  const nodes = [...people.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => ({
      data: { id: p.key, name: p.name, label: p.name, leader: p.leader, profession: p.profession, industry: p.industry },
      classes: p.leader ? "leader" : "",
    }));
  const edges = ties.map((t) => {
    const key = pairKey(t.a.key, t.b.key);
    const drift = drifts.get(key);
    const classes = [t.contactAfter ? "after" : "", drift ? "drift" : ""].filter(Boolean).join(" ");
    return {
      data: {
        id: key,
        source: t.a.key,
        target: t.b.key,
        aName: t.a.name,
        bName: t.b.name,
        strength: t.strength.strength,
        band: t.strength.band,
        count: t.interactionCount,
        lastContact: t.lastContact,
        contactAfter: t.contactAfter,
        after: t.contactAfter === true ? true : undefined,
        driftText: drift || "",
      },
      classes,
    };
  });

  const cy = draw(container, nodes, edges);
  const after = ties.filter((t) => t.contactAfter).length;
  container.setAttribute(
    "aria-label",
    `Tie graph of ${nodes.length} people and ${edges.length} ties; ${after} kept going after the group and ${drifts.size} are drifting. The table below lists every tie.`,
  );
  container.dataset.nodes = String(cy.nodes().length);
  container.dataset.edges = String(cy.edges().length);
  container.dataset.state = "ready";
  showDetail(null);

  const ordered = [...edges].sort((x, y) => y.data.strength - x.data.strength);
  rows(
    byId("ties-table"),
    ordered,
    ({ data }) =>
      h(
        "tr",
        {},
        h("td", {}, `${data.aName} – ${data.bName}`),
        h("td", { class: "num" }, strength(data.strength)),
        h("td", {}, words(data.band)),
        h("td", { class: "num" }, String(data.count)),
        h("td", { class: "nowrap" }, day(data.lastContact)),
        h("td", {}, afterText(data.contactAfter)),
        h("td", {}, data.driftText || "No"),
      ),
    "No ties yet: nobody in the group has interacted.",
  );
  byId("ties-table-summary").textContent = `All ${edges.length} ties as a table`;
  const dormant = ties.length > 0 && ties.every((t) => t.strength.band === "DORMANT");
  status(
    "ties-status",
    `${nodes.length} people, ${edges.length} ties; ${after} in touch after the group, ${drifts.size} drifting.` +
      (dormant ? " Every tie is dormant at this moment: try an earlier date above." : ""),
  );
  return cy;
}

export function currentGraph() {
  return graph;
}

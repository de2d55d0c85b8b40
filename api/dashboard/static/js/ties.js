// The group's tie graph: people as nodes, ties as lines as wide as they are strong.

import { explain, fieldError, graphql } from "./api.js";
import { byId, day, fill, h, rows, status, strength, words } from "./dom.js";

const DRIFT_WINDOW_DAYS = 90;

const TIES = `
query DashboardTies($group: ID!, $at: DateTime, $window: Int!, $pageSize: Int!) {
  group(id: $group) {
    leader { key }
    members(first: 100) {
      nodes {
        role hopes contributions
        person { key name title profession industry offers seeks organization { key name industry } }
      }
    }
  }
  groupTies(group: $group, at: $at) {
    a { key name } b { key name }
    strength { strength band }
    interactionCount lastContact contactAfter
  }
  driftingTies(group: $group, windowDays: $window, at: $at, first: $pageSize) {
    pageInfo { hasNextPage endCursor }
    nodes {
      person { key } other { key }
      before { band } now { band }
    }
  }
}`;

/** More of a group's drifting ties, page by page, after the first that came with its ties. */
const DRIFTS = `
query DashboardDrifts($group: ID!, $at: DateTime, $window: Int!, $pageSize: Int!, $after: String) {
  driftingTies(group: $group, windowDays: $window, at: $at, first: $pageSize, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      person { key } other { key }
      before { band } now { band }
    }
  }
}`;

const DRIFT_PAGE = 200;

const COLORS = {
  text: "#1f2937",
  selected: "#1e3a8a",
  labelLine: "#cbd5e1",
};

/**
 * How each kind of tie is drawn: one table for the picture and its legend, so the legend shows
 * exactly what is drawn. Every tie is of one kind; drifting wins over dormant, dormant over
 * the rest.
 */
export const EDGE_KINDS = [
  { kind: "after", label: "In touch after the group", color: "#0d9488", dashed: false, opacity: 0.9 },
  { kind: "during", label: "Not since the group", color: "#64748b", dashed: false, opacity: 0.6 },
  { kind: "drift", label: "Drifting (fell a band in 90 days)", color: "#d97706", dashed: true, opacity: 0.95 },
  { kind: "dormant", label: "Dormant now", color: "#94a3b8", dashed: false, opacity: 0.3 },
];

/** Colours for organizations or industries (Tableau 10 and two more), in a fixed order. */
const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
  "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1b9e77", "#7570b3",
];
const OTHER = "#d1d5db";

let graph = null;
let latest = 0;
let lastDrawn = null; // { nodes, edges } of the latest answer, to redraw on a toggle

function pairKey(a, b) {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function afterText(value) {
  if (value === true) return "Yes";
  if (value === false) return "No";
  return "Not shared";
}

function edgeKind(tie, drifting) {
  if (drifting) return "drift";
  if (tie.strength.band === "DORMANT") return "dormant";
  return tie.contactAfter ? "after" : "during";
}

const STYLE = [
  {
    selector: "node",
    style: {
      "background-color": "data(color)",
      label: "data(label)",
      color: COLORS.text,
      "font-size": 16,
      "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
      // Labels sit outside the node, on an opaque card above every line.
      "text-valign": "bottom",
      "text-margin-y": 6,
      "text-background-color": "#ffffff",
      "text-background-opacity": 1,
      "text-background-padding": 3,
      "text-background-shape": "roundrectangle",
      "text-border-color": COLORS.labelLine,
      "text-border-width": 1,
      "text-border-opacity": 1,
      "z-index-compare": "manual",
      width: 26,
      height: 26,
      "border-width": 2,
      "border-color": "#ffffff",
      "z-index": 20,
    },
  },
  { selector: "node.leader", style: { shape: "round-rectangle", "border-color": COLORS.text, "border-width": 3 } },
  {
    selector: "edge",
    style: {
      width: "mapData(strength, 0, 1, 1.5, 11)",
      "curve-style": "straight",
      "z-index-compare": "manual",
      "z-index": 1,
    },
  },
  ...EDGE_KINDS.map((k) => ({
    selector: `edge[kind = "${k.kind}"]`,
    style: {
      "line-color": k.color,
      opacity: k.opacity,
      "line-style": k.dashed ? "dashed" : "solid",
      ...(k.dashed ? { "line-dash-pattern": [7, 4] } : {}),
      "z-index": k.kind === "dormant" ? 0 : 5,
    },
  })),
  { selector: "edge[kind = \"dormant\"]", style: { width: 1.5 } },
  { selector: ".faded", style: { opacity: 0.12 } },
  { selector: "node:selected", style: { "border-color": COLORS.selected, "border-width": 4 } },
  { selector: "edge:selected", style: { "line-color": COLORS.selected, opacity: 1 } },
];

function listOrNothing(items) {
  return items && items.length ? items.join("; ") : null;
}

function describePerson(node) {
  const ties = node
    .connectedEdges()
    .map((e) => ({ other: e.source().id() === node.id() ? e.target() : e.source(), data: e.data() }))
    .sort((x, y) => y.data.strength - x.data.strength);
  const person = node.data();
  // Pre-interview answers where the viewer may read them (the member, an admin); otherwise
  // what the profile seeks and offers (the member and their leaders).
  const hopes = listOrNothing(person.hopes) || listOrNothing(person.seeks);
  const brings = listOrNothing(person.contributions) || listOrNothing(person.offers);
  return [
    h("p", { class: "detail-title" }, person.name),
    h("p", { class: "muted" }, [person.leader ? "Leader" : "Member", person.title || person.profession].filter(Boolean).join(" · ")),
    h(
      "dl",
      { class: "detail-facts" },
      h("dt", {}, "Organization"),
      h("dd", {}, person.organization || "—"),
      h("dt", {}, "Industry"),
      h("dd", {}, person.industry ? words(person.industry) : "—"),
      hopes ? [h("dt", {}, "Hopes"), h("dd", { class: "detail-text" }, hopes)] : null,
      brings ? [h("dt", {}, "Brings"), h("dd", { class: "detail-text" }, brings)] : null,
    ),
    ties.length
      ? [
          h("p", { class: "detail-subtitle" }, "Strongest ties here"),
          h(
            "ol",
            { class: "detail-list", "aria-label": `Strongest ties of ${person.name}` },
            ties
              .slice(0, 4)
              .map((t) =>
                h(
                  "li",
                  {},
                  h("span", {}, t.other.data("name")),
                  h("span", { class: "num" }, `${strength(t.data.strength)} ${words(t.data.band).toLowerCase()}`),
                ),
              ),
          ),
        ]
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

/** Where everyone starts: a circle in name order, so the same answer draws the same picture. */
function startPositions(nodes) {
  const positions = {};
  const n = nodes.length;
  nodes.forEach((node, i) => {
    const angle = (2 * Math.PI * i) / Math.max(n, 1);
    positions[node.data.id] = { x: 300 * Math.cos(angle), y: 300 * Math.sin(angle) };
  });
  return positions;
}

/**
 * A force-directed layout (Cytoscape's cose) pulled by the ties that are alive: stronger ties
 * are shorter, stiffer springs; dormant ties draw no one together, so someone whose ties are
 * all dormant ends up at the edge, not in the middle.
 */
function layOut(cy) {
  const live = cy.edges().filter((e) => e.data("kind") !== "dormant");
  // Springs stiffen steeply with strength, so a few strong ties outweigh many weak ones.
  const weight = (edge) => Math.max(edge.data("strength"), 0.01);
  cy.nodes()
    .union(live)
    .layout({
      name: "cose",
      animate: false,
      randomize: false,
      fit: false,
      nodeDimensionsIncludeLabels: true,
      idealEdgeLength: (edge) => 50 + 300 * (1 - weight(edge)),
      edgeElasticity: (edge) => 16 / weight(edge) ** 1.5,
      nodeRepulsion: () => 80000,
      nodeOverlap: 20,
      gravity: 0.3,
      componentSpacing: 80,
      numIter: 3000,
      coolingFactor: 0.97,
      initialTemp: 400,
    })
    .run();
  stretchToFit(cy);
  clearLines(cy);
  cy.fit(undefined, 40);
}

/** Stretch the picture to the container's shape (up to 2.5 times), so nobody is crowded. */
function stretchToFit(cy) {
  const box = cy.nodes().boundingBox({ includeLabels: false });
  const width = cy.width();
  const height = cy.height();
  if (box.w < 1 || box.h < 1 || width < 1 || height < 1) return;
  const want = width / height;
  const have = box.w / box.h;
  const sx = have < want ? Math.min(want / have, 2.5) : 1;
  const sy = have > want ? Math.min(have / want, 2.5) : 1;
  const cx = box.x1 + box.w / 2;
  const cyy = box.y1 + box.h / 2;
  cy.nodes().forEach((node) => {
    const p = node.position();
    node.position({ x: cx + (p.x - cx) * sx, y: cyy + (p.y - cyy) * sy });
  });
}

/** How far point p lies from the segment a-b, and the closest point on it. */
function nearestOnSegment(p, a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = dx * dx + dy * dy;
  const t = length === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / length));
  const q = { x: a.x + t * dx, y: a.y + t * dy };
  return { distance: Math.hypot(p.x - q.x, p.y - q.y), q, t };
}

/**
 * Move anyone a tie between two others is drawn through off that line (a few passes): a line
 * through someone reads as a tie of theirs.
 */
function clearLines(cy) {
  const clearance = 30;
  for (let pass = 0; pass < 12; pass += 1) {
    let moved = false;
    cy.nodes().forEach((node) => {
      const p = node.position();
      cy.edges().forEach((edge) => {
        if (edge.source().same(node) || edge.target().same(node)) return;
        const { distance, q, t } = nearestOnSegment(p, edge.source().position(), edge.target().position());
        if (t <= 0 || t >= 1 || distance >= clearance) return;
        // Away from the line, along its normal (any normal when exactly on it).
        const a = edge.source().position();
        const b = edge.target().position();
        let nx = p.x - q.x;
        let ny = p.y - q.y;
        if (Math.hypot(nx, ny) < 1e-6) {
          nx = -(b.y - a.y);
          ny = b.x - a.x;
        }
        const norm = Math.hypot(nx, ny) || 1;
        const push = clearance - distance + 2;
        node.position({ x: p.x + (nx / norm) * push, y: p.y + (ny / norm) * push });
        p.x += (nx / norm) * push;
        p.y += (ny / norm) * push;
        moved = true;
      });
    });
    if (!moved) break;
  }
}

function draw(container, nodes, edges) {
  if (graph) graph.destroy();
  const positions = startPositions(nodes);
  const cy = window.cytoscape({
    container,
    elements: {
      nodes: nodes.map((n) => ({ ...n, position: { ...positions[n.data.id] } })),
      edges,
    },
    style: STYLE,
    layout: { name: "preset" },
    maxZoom: 1.3, // small groups: do not blow the people up
    userZoomingEnabled: false,
    userPanningEnabled: false,
    boxSelectionEnabled: false,
    autoungrabify: false,
  });
  layOut(cy);
  cy.on("tap", (event) => {
    const element = event.target === cy ? null : event.target;
    highlight(cy, element);
    showDetail(element);
  });
  graph = cy;
  return cy;
}

function colourKey(person, by) {
  if (by === "industry") return person.industry || person.orgIndustry || null;
  return person.organization || null;
}

/**
 * Give each organization (or industry) of the group a colour, in name order (the same whether
 * the leader is shown or not), and list in the legend those of the people shown.
 */
function colourPeople(everyone, shown, by) {
  const keys = [...new Set(everyone.map((p) => colourKey(p, by)).filter(Boolean))].sort((a, b) => a.localeCompare(b));
  const colours = new Map(keys.map((k, i) => [k, PALETTE[i % PALETTE.length]]));
  for (const p of everyone) p.color = colours.get(colourKey(p, by)) || OTHER;
  const present = new Set(shown.map((p) => colourKey(p, by)));
  const legend = byId("node-legend");
  const items = keys
    .filter((k) => present.has(k))
    .map((k) =>
      h(
        "li",
        { class: "legend-item", "data-key": k },
        h("span", { class: "swatch swatch-node", "data-color": colours.get(k), "aria-hidden": "true" }),
        by === "industry" ? words(k) : k,
      ),
    );
  if (shown.some((p) => !colourKey(p, by))) {
    items.push(h("li", { class: "legend-item", "data-key": "" }, h("span", { class: "swatch swatch-node", "data-color": OTHER, "aria-hidden": "true" }), "Not known"));
  }
  if (shown.some((p) => p.leader)) {
    items.push(h("li", { class: "legend-item" }, h("span", { class: "swatch swatch-leader", "aria-hidden": "true" }), "Leader (square)"));
  }
  fill(legend, items);
  legend.setAttribute("aria-label", `Node colours by ${by}`);
  // Colours through the CSSOM: the page's content security policy allows no inline styles.
  for (const swatch of legend.querySelectorAll("[data-color]")) swatch.style.backgroundColor = swatch.dataset.color;
  return colours;
}

function fillEdgeLegend() {
  const legend = byId("edge-legend");
  if (legend.dataset.ready) return;
  legend.dataset.ready = "yes";
  fill(
    legend,
    EDGE_KINDS.map((k) =>
      h("li", { class: "legend-item" }, h("span", { class: "swatch swatch-edge", "data-kind": k.kind, "aria-hidden": "true" }), k.label),
    ),
  );
  for (const swatch of legend.querySelectorAll(".swatch-edge")) {
    const kind = EDGE_KINDS.find((k) => k.kind === swatch.dataset.kind);
    swatch.style.borderTopColor = kind.color;
    swatch.style.borderTopStyle = kind.dashed ? "dashed" : "solid";
    swatch.style.opacity = String(kind.opacity);
  }
}

function showLeader() {
  const box = byId("show-leader");
  return !box || box.checked;
}

function colourBy() {
  const select = byId("colour-by");
  return select ? select.value : "organization";
}

/** Draw the latest answer again (after a toggle), with or without the leader. */
function redraw() {
  if (!lastDrawn) return null;
  const container = byId("tie-graph");
  const withLeader = showLeader();
  const people = lastDrawn.people.filter((p) => withLeader || !p.leader);
  const keep = new Set(people.map((p) => p.key));
  colourPeople(lastDrawn.people, people, colourBy());
  const nodes = people.map((p) => ({
    data: {
      id: p.key,
      name: p.name,
      label: p.name,
      leader: p.leader,
      title: p.title,
      profession: p.profession,
      industry: p.industry,
      organization: p.organization,
      hopes: p.hopes,
      contributions: p.contributions,
      seeks: p.seeks,
      offers: p.offers,
      color: p.color,
    },
    classes: p.leader ? "leader" : "",
  }));
  const edges = lastDrawn.edges.filter((e) => keep.has(e.data.source) && keep.has(e.data.target));
  const cy = draw(container, nodes, edges);
  container.dataset.nodes = String(cy.nodes().length);
  container.dataset.edges = String(cy.edges().length);
  container.dataset.leader = withLeader ? "shown" : "hidden";
  container.dataset.state = "ready";
  showDetail(null);
  return cy;
}

function wireControls() {
  for (const id of ["show-leader", "colour-by"]) {
    const control = byId(id);
    if (!control || control.dataset.ready) continue;
    control.dataset.ready = "yes";
    control.addEventListener("change", () => redraw());
  }
}

/** Every drifting tie of the group: the first page came with the ties, the rest page by page. */
async function allDrifts(result, asked) {
  let page = result.data && result.data.driftingTies;
  const found = page ? [...page.nodes] : [];
  while (page && page.pageInfo.hasNextPage) {
    const more = await graphql(DRIFTS, { ...asked, after: page.pageInfo.endCursor });
    page = more.data && more.data.driftingTies;
    if (page) found.push(...page.nodes);
  }
  return found;
}

/** Load the ties among a group's people at a moment and draw them. */
export async function loadTies(groupKey, at) {
  const container = byId("tie-graph");
  container.dataset.state = "loading";
  status("ties-status", "Loading the ties…");
  const mine = ++latest;
  const asked = { group: groupKey, at, window: DRIFT_WINDOW_DAYS, pageSize: DRIFT_PAGE };
  const result = await graphql(TIES, asked);
  if (mine !== latest) return null; // a newer choice is on its way
  const driftNodes = await allDrifts(result, asked);
  if (mine !== latest) return null;
  const problem = fieldError(result, "groupTies");
  if (problem) {
    if (graph) graph.destroy();
    graph = null;
    lastDrawn = null;
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
  wireControls();
  fillEdgeLegend();
  const ties = result.data.groupTies.filter((t) => t.a && t.b);
  const drifts = new Map();
  for (const d of driftNodes) {
    if (d.person && d.other) {
      drifts.set(pairKey(d.person.key, d.other.key), `${words(d.before.band)} → ${words(d.now.band)}`);
    }
  }
  const group = result.data.group;
  const leaderKey = group && group.leader ? group.leader.key : null;
  const people = new Map();
  for (const m of group && group.members ? group.members.nodes : []) {
    if (!m.person) continue;
    const p = m.person;
    people.set(p.key, {
      key: p.key,
      name: p.name,
      title: p.title,
      profession: p.profession,
      industry: p.industry || (p.organization && p.organization.industry) || null,
      organization: p.organization ? p.organization.name : null,
      hopes: m.hopes,
      contributions: m.contributions,
      seeks: p.seeks,
      offers: p.offers,
      leader: m.role === "LEADER" || p.key === leaderKey,
    });
  }
  for (const t of ties) {
    for (const p of [t.a, t.b]) if (!people.has(p.key)) people.set(p.key, { ...p, leader: p.key === leaderKey });
  }
  const edges = ties.map((t) => {
    const key = pairKey(t.a.key, t.b.key);
    const drift = drifts.get(key);
    const classes = [t.contactAfter ? "after" : "", drift ? "drift" : ""].filter(Boolean).join(" ");
    return {
      data: {
        id: key,
        source: t.a.key,
        target: t.b.key,
        kind: edgeKind(t, drift),
        aName: t.a.name,
        bName: t.b.name,
        strength: t.strength.strength,
        band: t.strength.band,
        count: t.interactionCount,
        lastContact: t.lastContact,
        contactAfter: t.contactAfter,
        driftText: drift || "",
      },
      classes,
    };
  });
  lastDrawn = { people: [...people.values()].sort((a, b) => a.name.localeCompare(b.name)), edges };
  const cy = redraw();
  const nodes = lastDrawn.people;
  const after = ties.filter((t) => t.contactAfter).length;
  container.setAttribute(
    "aria-label",
    `Tie graph of ${nodes.length} people and ${edges.length} ties; ${after} kept going after the group and ${drifts.size} are drifting. The table below lists every tie.`,
  );

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

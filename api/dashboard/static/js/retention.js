// Keeping in touch: the group's survival curve beside the other groups the viewer can see.

import { explain, fieldError, graphql } from "./api.js";
import { byId, fill, h, percent, status } from "./dom.js";

export const HORIZONS = [30, 60, 90, 120, 150, 180, 270, 365];
const PALETTE = ["#0d9488", "#2563eb", "#7c3aed", "#d97706", "#db2777", "#475569", "#65a30d"];

const RETENTION = `
query DashboardRetention($group: ID!, $at: DateTime, $horizons: [Int!]) {
  groupRetention(group: $group, at: $at, horizons: $horizons) {
    group after at memberCount pairCount shareDuring shareAfter aggregated
    curve { days share pairs }
    bridges { key name }
  }
}`;

const COMPARE = `
query DashboardCompare($groups: [ID!]!, $at: DateTime, $horizons: [Int!]) {
  compareGroups(groups: $groups, at: $at, horizons: $horizons) {
    group after at memberCount pairCount shareDuring shareAfter
    curve { days share pairs }
  }
}`;

let chart = null;
let latest = 0;

/** The curve's points: everyone in touch after the end at day 0, then each observed horizon. */
function ended(retention) {
  return new Date(retention.after) <= new Date(retention.at);
}

export function curvePoints(retention) {
  // Withheld (a small group, seen by a member): no curve to draw.
  if (!ended(retention) || retention.shareAfter === null) return [];
  const points = [{ x: 0, y: retention.shareAfter * 100 }];
  for (const point of retention.curve) {
    if (point.share !== null) points.push({ x: point.days, y: point.share * 100 });
  }
  return points;
}

function stat(label, value, wide = false) {
  return h("div", { class: wide ? "stat stat-wide" : "stat" }, h("dt", {}, label), h("dd", {}, value));
}

function highest(datasets) {
  return Math.max(0, ...datasets.flatMap((d) => d.data.map((p) => p.y)));
}

function drawChart(series, selected, names) {
  const canvas = byId("retention-chart");
  if (chart) chart.destroy();
  const datasets = series.map((retention, index) => {
    const mine = retention.group === selected;
    const color = mine ? PALETTE[0] : PALETTE[1 + (index % (PALETTE.length - 1))];
    return {
      label: names.get(retention.group) || retention.group,
      data: curvePoints(retention),
      borderColor: color,
      backgroundColor: color,
      borderWidth: mine ? 3 : 1.5,
      borderDash: mine ? [] : [5, 4],
      pointRadius: mine ? 4 : 2,
      tension: 0,
      order: mine ? 0 : 1,
    };
  });
  chart = new window.Chart(canvas, {
    type: "line",
    data: { datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: false,
      interaction: { mode: "nearest", intersect: false },
      scales: {
        x: {
          type: "linear",
          min: 0,
          max: HORIZONS[HORIZONS.length - 1],
          title: { display: true, text: "Days after the group ended" },
          ticks: { stepSize: 30 },
        },
        y: {
          min: 0,
          // Room above the highest curve, in tens, so that low curves do not lie flat.
          max: Math.min(100, Math.max(20, Math.ceil((highest(datasets) + 5) / 10) * 10)),
          title: { display: true, text: "Pairs still in touch (%)" },
        },
      },
      plugins: {
        legend: { position: "bottom", labels: { usePointStyle: true, boxHeight: 6 } },
        tooltip: {
          callbacks: {
            label: (item) => `${item.dataset.label}: ${item.parsed.y.toFixed(0)} % at ${item.parsed.x} days`,
          },
        },
      },
    },
  });
  canvas.setAttribute(
    "aria-label",
    `Keep-in-touch curves of ${series.length} group${series.length === 1 ? "" : "s"}; the table below has the figures.`,
  );
  return chart;
}

function compareTable(series, names) {
  const table = byId("compare-table");
  fill(
    table.tHead,
    h(
      "tr",
      {},
      h("th", { scope: "col" }, "Group"),
      h("th", { scope: "col", class: "num" }, "Members"),
      h("th", { scope: "col", class: "num" }, "Pairs"),
      h("th", { scope: "col", class: "num" }, "In touch during"),
      h("th", { scope: "col", class: "num" }, "In touch after"),
      HORIZONS.map((d) => h("th", { scope: "col", class: "num" }, `${d} days`)),
    ),
  );
  fill(
    table.tBodies[0],
    series.map((r) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, names.get(r.group) || r.group),
        h("td", { class: "num" }, String(r.memberCount)),
        h("td", { class: "num" }, String(r.pairCount)),
        h("td", { class: "num" }, percent(r.shareDuring)),
        h("td", { class: "num" }, ended(r) ? percent(r.shareAfter) : "not ended"),
        HORIZONS.map((d) => {
          const point = r.curve.find((p) => p.days === d);
          return h("td", { class: "num" }, point && point.share !== null ? percent(point.share) : "not yet");
        }),
      ),
    ),
  );
}

/**
 * Load the group's keep-in-touch figures and the comparison with `comparable` groups (keys of
 * groups with an end date the viewer may see; the selected one among them).
 */
export async function loadRetention(groupKey, at, comparable, names) {
  status("retention-status", "Loading who kept in touch…");
  const groups = [groupKey, ...comparable.filter((key) => key !== groupKey)]; // selected first
  // Two requests: one group that cannot be compared must not hide the selected group's figures.
  const serial = ++latest;
  const [result, comparison] = await Promise.all([
    graphql(RETENTION, { group: groupKey, at, horizons: HORIZONS }),
    graphql(COMPARE, { groups: groups.slice(0, 20), at, horizons: HORIZONS }),
  ]);
  if (serial !== latest) return null; // a newer choice is on its way
  const problem = fieldError(result, "groupRetention");
  if (problem) {
    if (chart) chart.destroy();
    chart = null;
    fill(byId("retention-stats"));
    fill(byId("compare-table").tBodies[0]);
    status("retention-status", explain(problem), "error");
    byId("retention-body").hidden = true;
    return null;
  }
  byId("retention-body").hidden = false;
  const mine = result.data.groupRetention;
  const compared = comparison.data.compareGroups;
  const series = compared && compared.length ? compared : [mine];
  fill(
    byId("retention-stats"),
    stat("Member pairs", String(mine.pairCount)),
    stat("In touch during", percent(mine.shareDuring)),
    stat("In touch after", percent(mine.shareAfter)),
    stat(
      "Members bridging to other groups",
      mine.aggregated ? "not shown" : mine.bridges.length ? mine.bridges.map((b) => b.name).join(", ") : "none",
      true,
    ),
  );
  // Groups that had not ended by then have no curve yet: the table says so.
  drawChart(series.filter(ended), groupKey, names);
  compareTable(series, names);
  const pending = mine.curve.filter((p) => p.share === null).map((p) => p.days);
  const notes = [];
  if (!compared) notes.push(`The comparison failed: ${explain(fieldError(comparison, "compareGroups") || "unknown error")}`);
  else if (compared.length === 1) notes.push("No other group you can see has ended yet, so there is nothing to compare with.");
  if (!ended(mine)) notes.push("The group had not ended by then.");
  else if (pending.length) notes.push(`Not observable yet at ${pending.join(", ")} days.`);
  if (mine.aggregated) notes.push("Small group: only totals are shown to members.");
  status("retention-status", notes.join(" "));
  return chart;
}

// Speaking balance: inequality per meeting, and who spoke how much at one meeting.

import { explain, fieldError, graphql } from "./api.js";
import { byId, decimal, fill, h, percent, rows, shortDay, status } from "./dom.js";

const GROUP_BALANCE = `
query DashboardBalance($group: ID!) {
  group(id: $group) {
    leader { key name }
    meetings(first: 100) { nodes { key startsAt theme } }
  }
  groupBalance(group: $group) {
    meetings { meeting gini fairShare }
    members { person { key name } meanRelative trend quietMeetings }
  }
}`;

const MEETING_BALANCE = `
query DashboardMeetingBalance($meeting: ID!) {
  meetingBalance(meeting: $meeting) {
    meeting fairShare gini
    speakers { person { key name } seconds share relative quiet }
    unknown { key name }
  }
}`;

const BLUE = "#2563eb";
const AMBER = "#d97706";
const INK = "#1f2937";

let giniChart = null;
let speakersChart = null;
let meetingsByKey = new Map();
let leaderKey = null;
let latest = 0;
let latestMeeting = 0;

function meetingLabel(key, index) {
  const meeting = meetingsByKey.get(key);
  return meeting ? `M${index + 1} · ${shortDay(meeting.startsAt)}` : key;
}

function drawGini(meetings) {
  if (giniChart) giniChart.destroy();
  const canvas = byId("gini-chart");
  giniChart = new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: meetings.map((m, i) => meetingLabel(m.meeting, i)),
      datasets: [
        {
          label: "Gini of speaking time",
          data: meetings.map((m) => m.gini),
          backgroundColor: meetings.map((m) => ((m.gini ?? 0) >= 0.3 ? AMBER : BLUE)),
          borderRadius: 4,
          maxBarThickness: 42,
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        y: { min: 0, suggestedMax: 0.5, title: { display: true, text: "Gini (0 = equal)" } },
      },
      plugins: { legend: { display: false } },
    },
  });
  canvas.setAttribute("aria-label", `Gini of speaking time for ${meetings.length} meetings; the table below has the figures.`);
}

/** The Gini coefficient of a list of non-negative amounts (0: all equal); null when empty. */
export function gini(values) {
  const total = values.reduce((a, b) => a + b, 0);
  if (!values.length || total <= 0) return null;
  let sum = 0;
  for (const x of values) for (const y of values) sum += Math.abs(x - y);
  return sum / (2 * values.length * total);
}

/**
 * The members' shares of the members' speaking time, the leader left out (she runs the
 * meeting; her time is shown apart): fair share 1/n, quiet under half of it.
 */
export function memberShares(balance, leader) {
  const members = balance.speakers.filter((s) => !(s.person && s.person.key === leader));
  const apart = balance.speakers.find((s) => s.person && s.person.key === leader) || null;
  const total = members.reduce((a, s) => a + s.seconds, 0);
  const fair = members.length ? 1 / members.length : null;
  const shares = members.map((s) => {
    const share = total > 0 ? s.seconds / total : 0;
    return { ...s, share, relative: fair ? share / fair : null, quiet: fair !== null && share < fair / 2 };
  });
  return { shares, fair, leader: apart, gini: gini(members.map((s) => s.seconds)) };
}

function drawSpeakers(balance) {
  if (speakersChart) speakersChart.destroy();
  const canvas = byId("speakers-chart");
  const split = memberShares(balance, leaderKey);
  const speakers = [...split.shares].sort((a, b) => b.share - a.share);
  const labels = speakers.map((s) => (s.person ? s.person.name : "someone not shown"));
  const fair = split.fair === null ? null : split.fair * 100;
  const apart = byId("leader-share");
  if (split.leader) {
    apart.hidden = false;
    apart.textContent = `${split.leader.person.name} (the leader) spoke ${percent(split.leader.share, 1)} of the whole meeting; the members' shares below leave her out.`;
  } else {
    apart.hidden = true;
    apart.textContent = "";
  }
  speakersChart = new window.Chart(canvas, {
    data: {
      labels,
      datasets: [
        {
          type: "bar",
          label: "Share of speaking time (%)",
          data: speakers.map((s) => s.share * 100),
          backgroundColor: speakers.map((s) => (s.quiet ? AMBER : BLUE)),
          borderRadius: 4,
          maxBarThickness: 22,
          order: 1,
        },
        {
          type: "line",
          label: "Fair share (%)",
          data: speakers.map(() => fair),
          borderColor: INK,
          borderDash: [6, 4],
          borderWidth: 2,
          pointRadius: 0,
          order: 0,
        },
      ],
    },
    options: {
      indexAxis: "y",
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { min: 0, suggestedMax: fair === null ? 30 : fair * 2, title: { display: true, text: "% of the time spoken" } },
        y: { ticks: { autoSkip: false } },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxHeight: 8 } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${item.parsed.x.toFixed(1)}` } },
      },
    },
  });
  canvas.setAttribute(
    "aria-label",
    `Speaking shares of ${speakers.length} members against a fair share of ${percent(split.fair, 1)}; the table below has the figures.`,
  );
  rows(
    byId("speakers-table"),
    speakers,
    (s) =>
      h(
        "tr",
        {},
        h("td", {}, s.person ? s.person.name : "someone not shown"),
        h("td", { class: "num" }, (s.seconds / 60).toFixed(1)),
        h("td", { class: "num" }, percent(s.share, 1)),
        h("td", { class: "num" }, `${decimal(s.relative)}×`),
        h("td", {}, s.quiet ? "Yes" : "No"),
      ),
    "No speaking times on record.",
  );
  return split;
}

/** Load and show who spoke how much at one meeting. */
export async function loadMeeting(meetingKey) {
  status("speakers-status", "Loading the meeting…");
  const mine = ++latestMeeting;
  const result = await graphql(MEETING_BALANCE, { meeting: meetingKey });
  if (mine !== latestMeeting) return null; // a newer choice is on its way
  const problem = fieldError(result, "meetingBalance");
  if (problem) {
    if (speakersChart) speakersChart.destroy();
    speakersChart = null;
    status("speakers-status", explain(problem), "error");
    return null;
  }
  const balance = result.data.meetingBalance;
  const split = drawSpeakers(balance);
  const unknown = balance.unknown.map((p) => p.name);
  if (!balance.speakers.length) {
    status("speakers-status", "No speaking times are on record for this meeting.");
    return balance;
  }
  status(
    "speakers-status",
    `Gini ${decimal(split.gini)} among the members (${decimal(balance.gini)} with the leader); fair share ${percent(split.fair, 1)}.` +
      (unknown.length ? ` No speaking time on record for ${unknown.join(", ")}.` : ""),
  );
  return balance;
}

function trendText(trend) {
  if (trend === null || trend === undefined) return "—";
  if (Math.abs(trend) < 0.02) return "steady";
  return trend > 0 ? `↑ speaking up (${decimal(trend)})` : `↓ quieter (${decimal(trend)})`;
}

/** The meeting with the highest Gini (the first of equals), or the first meeting if none has one. */
export function mostUnbalanced(meetings) {
  let found = null;
  for (const m of meetings) if (m.gini !== null && (found === null || m.gini > found.gini)) found = m;
  return found || meetings[0] || null;
}

/** Load the balance across a group's meetings, then the most unbalanced meeting's speakers. */
export async function loadBalance(groupKey) {
  status("balance-status", "Loading the speaking balance…");
  const mine = ++latest;
  const result = await graphql(GROUP_BALANCE, { group: groupKey });
  if (mine !== latest) return null; // a newer choice is on its way
  const problem = fieldError(result, "groupBalance");
  const select = byId("meeting-select");
  if (problem) {
    for (const c of [giniChart, speakersChart]) if (c) c.destroy();
    giniChart = speakersChart = null;
    fill(select);
    select.disabled = true;
    rows(byId("gini-table"), [], () => null);
    rows(byId("member-balance-table"), [], () => null);
    status("speakers-status", "");
    byId("leader-share").hidden = true;
    status("balance-status", explain(problem), "error");
    byId("balance-body").hidden = true;
    return null;
  }
  status("balance-status", "");
  byId("balance-body").hidden = false;
  const meetings = result.data.group?.meetings?.nodes || [];
  leaderKey = result.data.group?.leader?.key || null;
  meetingsByKey = new Map(meetings.map((m) => [m.key, m]));
  const balance = result.data.groupBalance;
  drawGini(balance.meetings);
  rows(
    byId("gini-table"),
    balance.meetings,
    (m, i) =>
      h(
        "tr",
        {},
        h("td", {}, `${meetingLabel(m.meeting, i)}${meetingsByKey.get(m.meeting)?.theme ? ` — ${meetingsByKey.get(m.meeting).theme}` : ""}`),
        h("td", { class: "num" }, decimal(m.gini)),
        h("td", { class: "num" }, percent(m.fairShare, 1)),
      ),
    "No meetings with speaking times yet.",
  );
  rows(
    byId("member-balance-table"),
    [...balance.members].filter((m) => !(m.person && m.person.key === leaderKey)).sort((a, b) => (a.person?.name || "").localeCompare(b.person?.name || "")),
    (m) =>
      h(
        "tr",
        {},
        h("td", {}, m.person ? m.person.name : "someone not shown"),
        h("td", { class: "num" }, m.meanRelative === null ? "—" : `${decimal(m.meanRelative)}×`),
        h("td", {}, trendText(m.trend)),
        h("td", { class: "num" }, String(m.quietMeetings)),
      ),
    "No members with speaking times yet.",
  );
  fill(
    select,
    balance.meetings.map((m, i) => {
      const theme = meetingsByKey.get(m.meeting)?.theme;
      return h("option", { value: m.meeting }, theme ? `${meetingLabel(m.meeting, i)} — ${theme}` : meetingLabel(m.meeting, i));
    }),
  );
  select.disabled = balance.meetings.length === 0;
  // Start with the most unbalanced meeting: the highest Gini of speaking time (the first of
  // equals), which is the one a leader wants to look at; any other is a choice away.
  const first = mostUnbalanced(balance.meetings);
  if (first) {
    select.value = first.meeting;
    await loadMeeting(first.meeting);
  } else status("speakers-status", "No meetings yet.");
  return balance;
}

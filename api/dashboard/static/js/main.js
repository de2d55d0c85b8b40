// The leader's dashboard: sign-in, the chosen group and moment, and the sections that show them.

import { AuthError, clearToken, graphql, setToken, token } from "./api.js";
import { addDays, byId, dateRange, day, fill, h, status, today, words } from "./dom.js";
import { loadBalance, loadMeeting } from "./balance.js";
import { loadOverview } from "./overview.js";
import { followLive, stopLive } from "./live.js";
import { loadNudges } from "./nudges.js";
import { setPathMoment, setUpPathFinder } from "./paths.js";
import { loadRetention } from "./retention.js";
import { EDGE_KINDS, currentGraph, loadTies } from "./ties.js";

const START = `
query DashboardStart {
  viewer { key name }
  groups(first: 100) {
    nodes { key name startsOn endsOn format leader { key } members(first: 1) { totalCount } }
  }
}`;

const authRequired = document.documentElement.dataset.auth !== "off";
const state = { groups: [], group: null, at: null, viewer: null, serial: 0 };

function show(id, visible) {
  byId(id).hidden = !visible;
}

/** The moment to look at, as the API's `at` (null: now). */
function atArgument() {
  return state.at ? `${state.at}T23:59:59Z` : null;
}

function selectedGroup() {
  return state.groups.find((g) => g.key === state.group) || null;
}

function writeUrl() {
  const url = new URL(window.location.href);
  url.searchParams.set("group", state.group);
  if (state.at) url.searchParams.set("at", state.at);
  else url.searchParams.delete("at");
  window.history.replaceState(null, "", url);
}

function showLogin(message) {
  show("dashboard", false);
  show("account", false);
  show("login", true);
  const error = byId("login-error");
  error.textContent = message || "";
  const input = byId("token");
  input.setAttribute("aria-invalid", message ? "true" : "false");
  input.focus();
}

function handleFailure(error) {
  if (error instanceof AuthError) {
    clearToken();
    if (!authRequired) {
      status("overview-status", `The server refused the request: ${error.message}`, "error");
      return;
    }
    showLogin(
      error.status === 403
        ? `This token may not use the dashboard: ${error.message}.`
        : `Please sign in again: the server refused the token (${error.message}).`,
    );
    return;
  }
  status("overview-status", error.message, "error");
}

function moments(group) {
  const end = group && group.endsOn;
  for (const button of document.querySelectorAll("[data-moment]")) {
    const needsEnd = button.dataset.moment !== "today";
    button.disabled = needsEnd && !end;
    button.title = needsEnd && !end ? "This group has no end date" : "";
  }
}

function noEndDate() {
  byId("retention-body").hidden = true;
  status("retention-status", "This group has no end date yet: nobody can have kept in touch after it.");
}

async function loadGroup() {
  const group = selectedGroup();
  if (!group) return;
  const serial = ++state.serial;
  writeUrl();
  moments(group);
  byId("dashboard-title").textContent = group.name;
  byId("dashboard-subtitle").textContent = [
    words(group.format),
    group.startsOn || group.endsOn ? dateRange(group.startsOn, group.endsOn) : null,
    state.at ? `as of ${day(state.at)}` : "as of today",
  ]
    .filter(Boolean)
    .join(" · ");
  const at = atArgument();
  // The leader's view: this group beside the other ended groups of the same leader.
  const leader = group.leader ? group.leader.key : null;
  const comparable = state.groups
    .filter((g) => g.members && g.endsOn && (g.leader ? g.leader.key : null) === leader)
    .map((g) => g.key);
  const names = new Map(state.groups.map((g) => [g.key, g.name]));
  // A group that has ended: introduction paths over the network as it stood at its end.
  if (group.endsOn && group.endsOn < today()) {
    setPathMoment(`${group.endsOn}T23:59:59Z`, `at the group's end (${day(group.endsOn)})`);
  } else setPathMoment(null, null);
  const sections = [
    loadNudges(state.viewer, at),
    loadOverview(group.key),
    loadTies(group.key, at),
    group.endsOn
      ? loadRetention(group.key, at, comparable, names)
      : Promise.resolve(noEndDate()),
    loadBalance(group.key),
  ];
  const outcomes = await Promise.allSettled(sections);
  if (serial !== state.serial) return;
  const failed = outcomes.find((o) => o.status === "rejected");
  if (failed) handleFailure(failed.reason);
  document.body.dataset.loaded = String(serial);
  // Live: the viewer's own ties and introductions; the group's activity for its leader (or
  // an admin / local development, with nobody signed in as a person).
  const leads = state.viewer ? leader === state.viewer.key : true;
  followLive({
    person: state.viewer ? state.viewer.key : null,
    group: leads ? group.key : null,
    onActivity: refreshAfterActivity,
    onSignedOut: (reason) => handleFailure(new AuthError(reason, 401)),
  });
}

let refreshing = null;

/** Something was recorded for the group: show the sections it changes, once per burst. */
function refreshAfterActivity() {
  clearTimeout(refreshing);
  refreshing = setTimeout(async () => {
    const group = selectedGroup();
    if (!group) return;
    const outcomes = await Promise.allSettled([loadOverview(group.key), loadBalance(group.key)]);
    const failed = outcomes.find((o) => o.status === "rejected");
    if (failed) handleFailure(failed.reason);
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
  }, 300);
}

function fillControls() {
  const select = byId("group-select");
  fill(
    select,
    state.groups.map((g) =>
      h("option", { value: g.key }, g.members ? g.name : `${g.name} (not yours)`),
    ),
  );
  select.value = state.group;
  const input = byId("at-input");
  input.max = today();
  input.value = state.at || today();
}

/** The viewer's own groups first (those they lead, then those they belong to), newest first. */
function orderGroups(groups, viewer) {
  const rank = (g) => {
    if (viewer && g.leader && g.leader.key === viewer.key) return 0;
    return g.members ? 1 : 2;
  };
  return [...groups].sort(
    (a, b) => rank(a) - rank(b) || (b.startsOn || "").localeCompare(a.startsOn || "") || a.key.localeCompare(b.key),
  );
}

async function start() {
  const result = await graphql(START);
  if (result.errors.length && !result.data.groups) throw new Error(result.errors[0].message);
  state.viewer = result.data.viewer;
  state.groups = orderGroups(result.data.groups.nodes, state.viewer);
  const params = new URLSearchParams(window.location.search);
  const wanted = params.get("group");
  state.group = (state.groups.find((g) => g.key === wanted) || state.groups[0] || {}).key || null;
  const at = params.get("at");
  state.at = at && /^\d{4}-\d{2}-\d{2}$/.test(at) ? at : null;

  show("login", false);
  show("no-auth-banner", !authRequired);
  show("account", true);
  byId("account-name").textContent = state.viewer
    ? `Signed in as ${state.viewer.name}`
    : authRequired
      ? "Signed in with a service token"
      : "Local development (no sign-in)";
  show("sign-out", authRequired);
  show("dashboard", true);
  setUpPathFinder(state.viewer ? state.viewer.name : "", handleFailure);
  if (!state.group) {
    byId("dashboard-title").textContent = "No groups yet";
    status("overview-status", "There are no groups to show yet. Import some (see the README), then reload.");
    return;
  }
  fillControls();
  await loadGroup();
}

function wire() {
  byId("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = byId("token");
    const value = input.value.trim();
    if (!value) {
      showLogin("Paste a token first.");
      return;
    }
    setToken(value);
    try {
      await start();
      input.value = "";
      byId("login-error").textContent = "";
      byId("dashboard-title").focus();
    } catch (error) {
      clearToken();
      if (error instanceof AuthError) showLogin(`The server refused this token: ${error.message}.`);
      else showLogin(error.message);
    }
  });
  byId("sign-out").addEventListener("click", () => {
    stopLive();
    clearToken();
    state.groups = [];
    showLogin("You are signed out.");
  });
  byId("group-select").addEventListener("change", (event) => {
    state.group = event.target.value;
    loadGroup();
  });
  byId("at-input").addEventListener("change", (event) => {
    const value = event.target.value;
    state.at = value && value !== today() ? value : null;
    loadGroup();
  });
  for (const button of document.querySelectorAll("[data-moment]")) {
    button.addEventListener("click", () => {
      const group = selectedGroup();
      const moment = button.dataset.moment;
      if (moment === "today") state.at = null;
      else if (group && group.endsOn) {
        const chosen = moment === "end" ? group.endsOn : addDays(group.endsOn, 90);
        state.at = chosen < today() ? chosen : null; // the future is not on record yet
      }
      byId("at-input").value = state.at || today();
      loadGroup();
    });
  }
  byId("meeting-select").addEventListener("change", (event) => {
    loadMeeting(event.target.value).catch(handleFailure);
  });
  window.addEventListener("resize", () => {
    const graph = currentGraph();
    if (graph) graph.resize().fit(undefined, 36);
  });
}

wire();
// Exposed for people poking at the page from the browser's console (and for its tests).
window.tiegraphDashboard = { graph: currentGraph, state, edgeKinds: EDGE_KINDS };
if (authRequired && !token()) showLogin("");
else start().catch(handleFailure);

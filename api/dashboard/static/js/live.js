// Live updates: GraphQL subscriptions over one websocket speaking graphql-transport-ws
// (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md), no library needed.
// The token goes in connection_init, as browsers cannot set headers on a websocket.

import { token } from "./api.js";
import { byId, day, h, words } from "./dom.js";

const PROTOCOL = "graphql-transport-ws";
const ENDPOINT = new URL("graphql", document.baseURI).href.replace(/^http/, "ws");
const MAX_SHOWN = 20;

const TIES = `subscription DashboardTies {
  tieChanged { band bandBefore drifting strength other { key name } }
}`;
const INTRODUCTIONS = `subscription DashboardIntroductions {
  introductionUpdates { key status requester { key name } introducer { key name } target { key name } }
}`;
const ACTIVITY = `subscription DashboardActivity($group: ID!) {
  groupActivity(group: $group) {
    kind recordedAt
    attendance { person { name } meeting { key theme startsAt } }
    breakout { key meeting { key theme } members { name } }
    sideConversation { key channel participants { name } }
  }
}`;

const live = {
  socket: null,
  wanted: { person: false, group: null },
  next: 1,
  groupId: null,
  retry: 1000,
  onActivity: () => {},
  onSignedOut: () => {},
};

function setState(text, kind) {
  const element = byId("live-status");
  element.textContent = text;
  element.dataset.kind = kind || "";
  byId("live").dataset.state = kind || "";
}

function send(message) {
  if (live.socket && live.socket.readyState === WebSocket.OPEN) live.socket.send(JSON.stringify(message));
}

function subscribe(query, variables = {}) {
  const id = String(live.next++);
  send({ id, type: "subscribe", payload: { query, variables } });
  return id;
}

function show(kind, text) {
  const list = byId("live-feed");
  const stamp = new Date().toLocaleTimeString("en-GB");
  list.prepend(h("li", { class: "live-item", "data-kind": kind }, h("span", { class: "muted" }, stamp), " ", text));
  while (list.children.length > MAX_SHOWN) list.lastElementChild.remove();
  byId("live-empty").hidden = true;
}

function names(people) {
  return (people || []).map((p) => (p ? p.name : "someone")).join(", ");
}

function describe(data) {
  if (data.tieChanged) {
    const t = data.tieChanged;
    const who = t.other ? t.other.name : "someone";
    if (!t.bandBefore) return ["tie", `A new tie with ${who}: ${words(t.band).toLowerCase()}.`];
    const how = t.drifting ? "is drifting" : "grew stronger";
    return ["tie", `Your tie with ${who} ${how}: ${words(t.bandBefore).toLowerCase()} → ${words(t.band).toLowerCase()}.`];
  }
  if (data.introductionUpdates) {
    const i = data.introductionUpdates;
    const who = (p) => (p ? p.name : "someone");
    return ["introduction", `Introduction of ${who(i.requester)} to ${who(i.target)} through ${who(i.introducer)}: ${words(i.status).toLowerCase()}.`];
  }
  if (data.groupActivity) {
    const a = data.groupActivity;
    if (a.attendance) {
      const m = a.attendance.meeting;
      return ["attendance", `${a.attendance.person ? a.attendance.person.name : "Someone"} attended ${m ? m.theme || day(m.startsAt) : "a meeting"}.`];
    }
    if (a.breakout) return ["breakout", `Breakout recorded: ${names(a.breakout.members)}.`];
    if (a.sideConversation) {
      const s = a.sideConversation;
      return ["side-conversation", `Side conversation recorded${s.channel ? ` (${s.channel})` : ""}: ${names(s.participants)}.`];
    }
  }
  return null;
}

function onMessage(event) {
  let message;
  try {
    message = JSON.parse(event.data);
  } catch {
    return;
  }
  if (message.type === "connection_ack") {
    live.retry = 1000;
    setState("Live: changes show here as they are recorded.", "connected");
    if (live.wanted.person) {
      subscribe(TIES);
      subscribe(INTRODUCTIONS);
    }
    if (live.wanted.group) live.groupId = subscribe(ACTIVITY, { group: live.wanted.group });
  } else if (message.type === "ping") {
    send({ type: "pong" });
  } else if (message.type === "next") {
    const payload = message.payload || {};
    if (payload.errors && payload.errors.length) return; // e.g. a group this viewer does not lead
    const shown = describe(payload.data || {});
    if (!shown) return;
    show(...shown);
    if (payload.data.groupActivity) live.onActivity(payload.data.groupActivity);
  }
}

function onClose(event) {
  live.socket = null;
  if (event.code === 4401 || event.code === 4403) {
    setState("Live updates stopped: sign in again.", "error");
    live.onSignedOut(event.code === 4401 ? "your session expired" : "the token was refused");
    return;
  }
  if (event.code === 1000) return; // closed by us
  setState("Live updates paused: reconnecting…", "error");
  const wait = live.retry;
  live.retry = Math.min(30_000, live.retry * 2);
  setTimeout(connect, wait);
}

function connect() {
  if (live.socket) return;
  const socket = new WebSocket(ENDPOINT, PROTOCOL);
  live.socket = socket;
  socket.addEventListener("open", () => {
    const current = token();
    send({ type: "connection_init", payload: current ? { Authorization: `Bearer ${current}` } : {} });
  });
  socket.addEventListener("message", onMessage);
  socket.addEventListener("close", onClose);
}

/**
 * Follow the viewer's ties and introductions (when signed in as a person) and the group's
 * activity (when the viewer leads it). Calls onActivity(event) for each group event.
 */
export function followLive({ person, group, onActivity, onSignedOut }) {
  live.onActivity = onActivity || (() => {});
  live.onSignedOut = onSignedOut || (() => {});
  byId("live").hidden = false;
  const groupChanged = live.wanted.group !== group;
  live.wanted = { person: Boolean(person), group };
  if (!live.socket) {
    setState("Connecting for live updates…", "");
    connect();
    return;
  }
  if (groupChanged && live.socket.readyState === WebSocket.OPEN) {
    if (live.groupId) send({ id: live.groupId, type: "complete" });
    live.groupId = group ? subscribe(ACTIVITY, { group }) : null;
  }
}

/** Stop live updates (signing out). */
export function stopLive() {
  if (live.socket) live.socket.close(1000, "signed out");
  live.socket = null;
  live.groupId = null;
  byId("live").hidden = true;
}

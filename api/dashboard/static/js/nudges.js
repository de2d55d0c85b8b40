// Keep-in-touch nudges: the signed-in person's own ties worth renewing now, and why.

import { explain, fieldError, graphql } from "./api.js";
import { byId, day, fill, h, status, strength, words } from "./dom.js";

const NUDGES = `
query DashboardNudges($person: ID!, $at: DateTime) {
  keepInTouch(person: $person, first: 5, at: $at) {
    other { key name title organization { name } }
    peakStrength peakBand peakAt strength band
    lastInteraction { at kind channel }
    lastGroup { name }
    sharedGroup { key name }
    startedLastBy { key name }
    reason
  }
}`;

let latest = 0;

function card(nudge, viewerKey) {
  const other = nudge.other;
  const started = nudge.startedLastBy
    ? nudge.startedLastBy.key === viewerKey
      ? "you"
      : nudge.startedLastBy.name
    : "nobody in particular";
  const last = nudge.lastInteraction;
  return h(
    "li",
    { class: "nudge-card", "data-key": other ? other.key : "" },
    h(
      "div",
      { class: "nudge-head" },
      h("span", { class: "nudge-name" }, other ? other.name : "someone not shown"),
      h("span", { class: "muted" }, other ? [other.title, other.organization?.name].filter(Boolean).join(" · ") : ""),
    ),
    h("p", { class: "nudge-reason" }, nudge.reason),
    h(
      "dl",
      { class: "detail-facts" },
      h("dt", {}, "Then"),
      h("dd", {}, `${words(nudge.peakBand)} ${strength(nudge.peakStrength)} (${day(nudge.peakAt)})`),
      h("dt", {}, "Now"),
      h("dd", {}, `${words(nudge.band)} ${strength(nudge.strength)}`),
      h("dt", {}, "Last contact"),
      h(
        "dd",
        {},
        [day(last.at), words(last.kind).toLowerCase(), last.channel, nudge.lastGroup ? `in ${nudge.lastGroup.name}` : null]
          .filter(Boolean)
          .join(" · "),
      ),
      h("dt", {}, "Started by"),
      h("dd", {}, started),
      h("dt", {}, "Shared group"),
      h("dd", {}, nudge.sharedGroup ? nudge.sharedGroup.name : "—"),
    ),
  );
}

/** Show the viewer's own nudges at a moment (null: now); hide the section without a viewer. */
export async function loadNudges(viewer, at) {
  const section = byId("nudges");
  const list = byId("nudge-list");
  if (!viewer) {
    section.hidden = true;
    byId("nudges-link").hidden = true;
    return null;
  }
  section.hidden = false;
  byId("nudges-link").hidden = false;
  status("nudges-status", "Looking at your ties…");
  const mine = ++latest;
  const result = await graphql(NUDGES, { person: viewer.key, at });
  if (mine !== latest) return null;
  const problem = fieldError(result, "keepInTouch");
  if (problem) {
    fill(list);
    status("nudges-status", explain(problem), "error");
    return null;
  }
  const nudges = result.data.keepInTouch;
  fill(list, nudges.map((n) => card(n, viewer.key)));
  list.dataset.count = String(nudges.length);
  status(
    "nudges-status",
    nudges.length
      ? `${nudges.length} of your ties were strong once and are fading now, most worth renewing first.`
      : "None of your ties needs renewing: the strong ones are still strong.",
  );
  return nudges;
}

// The group overview: what the group is, who is in it, and when it met.

import { explain, fieldError, graphql } from "./api.js";
import { byId, dateRange, day, fill, h, rows, status, words } from "./dom.js";

const OVERVIEW = `
query DashboardOverview($group: ID!) {
  group(id: $group) {
    key name theme format capacity startsOn endsOn
    leader { key name }
    members(first: 100) {
      totalCount
      nodes { role person { key name profession industry organization { name } } }
    }
    meetings(first: 100) {
      totalCount
      nodes { key startsAt durationSeconds theme format attendance(first: 100) { totalCount } }
    }
  }
}`;

let latest = 0;

function stat(label, value, wide = false) {
  return h("div", { class: wide ? "stat stat-wide" : "stat" }, h("dt", {}, label), h("dd", {}, value));
}

/** Load and show the overview of a group; resolves to the group (or null). */
export async function loadOverview(groupKey) {
  status("overview-status", "Loading the group…");
  const mine = ++latest;
  const result = await graphql(OVERVIEW, { group: groupKey });
  if (mine !== latest) return null; // a newer choice is on its way
  const problem = fieldError(result, "group");
  const group = result.data.group;
  if (problem || !group) {
    status("overview-status", explain(problem || `There is no group “${groupKey}”.`), "error");
    fill(byId("overview-stats"));
    return null;
  }
  status("overview-status", "");
  const memberships = group.members ? group.members.nodes : [];
  const meetings = group.meetings ? group.meetings.nodes : [];
  const members = memberships.filter((m) => m.role === "MEMBER");
  const dates = dateRange(group.startsOn, group.endsOn);
  fill(
    byId("overview-stats"),
    stat("Members", group.members ? `${members.length} of ${group.capacity}` : "hidden"),
    stat("Meetings", group.meetings ? String(group.meetings.totalCount) : "hidden"),
    stat("Dates", dates, true),
    stat("Format", words(group.format)),
    stat("Leader", group.leader ? group.leader.name : "—"),
  );

  const ordered = [...memberships].sort(
    (a, b) =>
      (a.role === "LEADER" ? 0 : 1) - (b.role === "LEADER" ? 0 : 1) ||
      (a.person?.name || "").localeCompare(b.person?.name || ""),
  );
  rows(
    byId("members-table"),
    ordered,
    (m) =>
      h(
        "tr",
        {},
        h("td", {}, m.person ? m.person.name : "someone not shown"),
        h("td", {}, m.person?.profession || "—"),
        h("td", {}, m.person?.industry || "—"),
        h("td", {}, h("span", { class: `tag tag-${m.role.toLowerCase()}` }, words(m.role))),
      ),
    group.members ? "No members yet." : "Only the group's leader and members see who is in it.",
  );
  rows(
    byId("meetings-table"),
    meetings,
    (m) =>
      h(
        "tr",
        {},
        h("td", { class: "nowrap" }, day(m.startsAt)),
        h("td", {}, m.theme || "—"),
        h("td", { class: "nowrap" }, words(m.format)),
        h("td", { class: "num" }, m.attendance ? String(m.attendance.totalCount) : "—"),
      ),
    group.meetings ? "No meetings yet." : "Only the group's leader and members see its meetings.",
  );
  return group;
}

// The introduction-path finder: two names in, ranked and explained chains of people out.

import { explain, fieldError, graphql } from "./api.js";
import { byId, day, fill, h, nameOf, strength, words } from "./dom.js";

const PEOPLE = `
query DashboardPeople($name: String!) {
  people(filter: { name: $name }, first: 8) {
    nodes { key name profession organization { name } }
  }
}`;

const PATHS = `
query DashboardPaths($from: ID!, $to: ID!) {
  introductionPaths(from: $from, to: $to, first: 5, maxHops: 3) {
    score hops
    people { key name }
    via { key name }
    links {
      strength band lastContact interactionCount sharedInterests
      sharedGroups { key name }
      from { key name } to { key name }
    }
  }
}`;

const known = new Map(); // lower-case name -> people with that name

function remember(people) {
  for (const p of people) {
    const list = known.get(p.name.toLowerCase()) || [];
    if (!list.some((q) => q.key === p.key)) list.push(p);
    known.set(p.name.toLowerCase(), list);
  }
}

async function search(text) {
  const result = await graphql(PEOPLE, { name: text });
  const problem = fieldError(result, "people");
  if (problem) throw new Error(explain(problem));
  const people = result.data.people.nodes;
  remember(people);
  return people;
}

let suggestTimer = null;
let suggestSerial = 0;

function suggest(input) {
  clearTimeout(suggestTimer);
  const text = input.value.trim();
  if (text.length < 2) return;
  suggestTimer = setTimeout(async () => {
    const serial = ++suggestSerial;
    let people;
    try {
      people = await search(text);
    } catch {
      return; // suggestions are a help; the search itself reports errors
    }
    if (serial !== suggestSerial) return;
    fill(
      byId("people-options"),
      people.map((p) =>
        h("option", { value: p.name }, [p.profession, p.organization?.name].filter(Boolean).join(" · ")),
      ),
    );
  }, 200);
}

/** Resolve what was typed to one person, or throw an Error saying why not. */
export async function resolve(text, role) {
  const typed = text.trim();
  if (!typed) throw new Error(`Type who the path goes ${role === "from" ? "from" : "to"}.`);
  const exact = known.get(typed.toLowerCase());
  if (exact && exact.length === 1) return exact[0];
  const found = await search(typed);
  const lower = typed.toLowerCase();
  const same = found.filter((p) => p.name.toLowerCase() === lower);
  if (same.length === 1) return same[0];
  if (found.length === 1) return found[0];
  const byWord = found.filter((p) => p.name.toLowerCase().split(/\s+/).includes(lower));
  if (byWord.length === 1) return byWord[0];
  if (!found.length) throw new Error(`Nobody called “${typed}” was found.`);
  const names = found.slice(0, 5).map((p) => p.name).join(", ");
  throw new Error(`“${typed}” matches several people (${names}): pick one from the suggestions.`);
}

function linkReasons(link) {
  const reasons = [];
  if (link.sharedGroups.length) reasons.push(`both in ${link.sharedGroups.map((g) => g.name).join(" and ")}`);
  if (link.sharedInterests.length) reasons.push(`shares ${link.sharedInterests.join(", ")}`);
  // Null for a link between two others: their contacts are theirs.
  if (link.interactionCount !== null) {
    reasons.push(`${link.interactionCount} contact${link.interactionCount === 1 ? "" : "s"}`);
  }
  if (link.lastContact) reasons.push(`last ${day(link.lastContact)}`);
  return reasons;
}

function chain(path) {
  const items = [];
  path.people.forEach((person, index) => {
    const ends = index === 0 || index === path.people.length - 1;
    items.push(h("li", { class: `chain-person${ends ? " chain-end" : ""}` }, nameOf(person)));
    const link = path.links[index];
    if (link) {
      const width = Math.max(4, Math.round(link.strength * 100));
      items.push(
        h(
          "li",
          {
            class: "chain-link",
            "aria-label": `${words(link.band)} link, strength ${strength(link.strength)}: ${linkReasons(link).join("; ")}`,
          },
          h("span", { class: "chain-strength", "aria-hidden": "true" }, `${words(link.band)} · ${strength(link.strength)}`),
          h(
            "span",
            { class: "chain-bar", "aria-hidden": "true" },
            h("span", { class: `chain-bar-fill band-${link.band.toLowerCase()}`, "data-width": width }),
          ),
          h("span", { class: "chain-why", "aria-hidden": "true" }, linkReasons(link).join(" · ")),
        ),
      );
    }
  });
  const list = h("ol", { class: "chain", "aria-label": path.people.map(nameOf).join(", then ") }, items);
  // Widths set through the CSSOM: the page's content security policy allows no inline styles.
  for (const fillBar of list.querySelectorAll(".chain-bar-fill")) {
    fillBar.style.width = `${fillBar.dataset.width}%`;
  }
  return list;
}

function showPaths(paths, from, to) {
  const target = byId("path-results");
  if (!paths.length) {
    fill(target);
    return;
  }
  fill(
    target,
    h(
      "ol",
      { class: "path-list" },
      paths.map((path, index) =>
        h(
          "li",
          { class: "path-card" },
          h(
            "div",
            { class: "path-head" },
            h("span", { class: "path-rank" }, `Path ${index + 1}`),
            h(
              "span",
              { class: "path-via" },
              path.via.length ? `via ${path.via.map(nameOf).join(" and ")}` : "direct: they already know each other",
            ),
            h("span", { class: "path-score" }, `score ${strength(path.score)} · ${path.hops} hop${path.hops === 1 ? "" : "s"}`),
          ),
          chain(path),
        ),
      ),
    ),
  );
}

function say(text, kind = "info") {
  const line = byId("path-status");
  line.textContent = text;
  line.dataset.kind = kind;
}

/**
 * Wire the finder's form; `defaultFrom` is the signed-in person's name, if any, and
 * `onAuthError` what to do when the server no longer accepts the token.
 */
export function setUpPathFinder(defaultFrom, onAuthError) {
  const form = byId("path-form");
  const from = byId("path-from");
  const to = byId("path-to");
  if (defaultFrom && !from.value) from.value = defaultFrom;
  if (form.dataset.ready) return;
  form.dataset.ready = "yes";
  for (const input of [from, to]) input.addEventListener("input", () => suggest(input));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    // Busy, not disabled: a disabled button would drop the keyboard focus.
    form.setAttribute("aria-busy", "true");
    say("Looking for paths…");
    try {
      const [source, target] = await Promise.all([resolve(from.value, "from"), resolve(to.value, "to")]);
      if (source.key === target.key) throw new Error("Choose two different people.");
      const result = await graphql(PATHS, { from: source.key, to: target.key });
      const problem = fieldError(result, "introductionPaths");
      if (problem) throw new Error(explain(problem));
      const paths = result.data.introductionPaths;
      showPaths(paths, source, target);
      say(
        paths.length
          ? `${paths.length} path${paths.length === 1 ? "" : "s"} from ${source.name} to ${target.name}, best first.`
          : `No path from ${source.name} to ${target.name} within three introductions.`,
      );
    } catch (error) {
      fill(byId("path-results"));
      if (error.name === "AuthError") onAuthError(error);
      else say(error.message, "error");
    } finally {
      form.removeAttribute("aria-busy");
    }
  });
}

// Small helpers to build the page from data without ever parsing data as HTML.

/** Create an element: h("td", { class: "num" }, "42", child, ...). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

/** Replace an element's content. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export function byId(id) {
  return document.getElementById(id);
}

/** Show a section's status line: kind is "info", "error" or "" (clears it). */
export function status(id, text, kind = "info") {
  const element = byId(id);
  element.textContent = text || "";
  element.dataset.kind = text ? kind : "";
}

/** Fill a table body with rows, or one row saying there is nothing. */
export function rows(table, items, render, empty = "Nothing to show.") {
  const body = table.tBodies[0];
  const columns = table.tHead && table.tHead.rows[0] ? table.tHead.rows[0].cells.length : 1;
  if (!items.length) {
    fill(body, h("tr", {}, h("td", { colspan: columns, class: "muted" }, empty)));
    return;
  }
  fill(body, items.map(render));
}

const DAY = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  year: "numeric",
  timeZone: "UTC",
});
const SHORT_DAY = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  timeZone: "UTC",
});

/** "13 May 2024" from an ISO date or date-time; "—" when absent. */
export function day(value) {
  if (!value) return "—";
  const date = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  return DAY.format(date);
}

/** "15 Jan – 13 May 2024", or with both years when they differ; "—" when neither is known. */
export function dateRange(start, end) {
  if (!start && !end) return "—";
  if (start && end && start.slice(0, 4) === end.slice(0, 4)) return `${shortDay(start)} – ${day(end)}`;
  return `${day(start)} – ${day(end)}`;
}

export function shortDay(value) {
  if (!value) return "—";
  return SHORT_DAY.format(new Date(value.length === 10 ? `${value}T00:00:00Z` : value));
}

export function percent(share, digits = 0) {
  return share === null || share === undefined ? "—" : `${(share * 100).toFixed(digits)} %`;
}

export function decimal(value, digits = 2) {
  return value === null || value === undefined ? "—" : value.toFixed(digits);
}

/** A strength or score between 0 and 1: two decimals, three when small, or "< 0.001". */
export function strength(value) {
  if (value === null || value === undefined) return "—";
  if (value === 0) return "0";
  if (value >= 0.01) return value.toFixed(2);
  return value < 0.001 ? "< 0.001" : value.toFixed(3);
}

/** "Digital" from "DIGITAL", "In person" from "IN_PERSON". */
export function words(value) {
  if (!value) return "—";
  const text = value.replaceAll("_", " ").toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function nameOf(person) {
  return person ? person.name : "someone not shown";
}

/** Today as YYYY-MM-DD in UTC. */
export function today() {
  return new Date().toISOString().slice(0, 10);
}

/** YYYY-MM-DD a number of days after another. */
export function addDays(isoDay, days) {
  const date = new Date(`${isoDay}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

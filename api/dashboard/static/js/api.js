// The dashboard's only way to the server: GraphQL over POST /graphql, with the user's token.

const TOKEN_KEY = "tiegraph.token";
const ENDPOINT = new URL("graphql", document.baseURI).href;

/** The server refused who we are (401) or what we may do (403): sign in again. */
export class AuthError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "AuthError";
    this.status = status;
  }
}

/** The request failed as a whole (network, limits, server error). */
export class RequestError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "RequestError";
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

function firstMessage(body, fallback) {
  const message = body && Array.isArray(body.errors) && body.errors[0] && body.errors[0].message;
  return message || fallback;
}

/**
 * Run a GraphQL operation. Resolves to { data, errors } (errors: GraphQL errors, possibly
 * partial); rejects with AuthError on 401/403 and RequestError on any other failure.
 */
export async function graphql(query, variables = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  const current = token();
  if (current) headers.Authorization = `Bearer ${current}`;
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
    });
  } catch (error) {
    throw new RequestError(`The server could not be reached (${error.message}).`, 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.status === 401) {
    throw new AuthError(firstMessage(body, "not signed in"), 401);
  }
  if (response.status === 403) {
    throw new AuthError(firstMessage(body, "not allowed"), 403);
  }
  if (!response.ok || body === null) {
    const reason = firstMessage(body, response.statusText || "no answer");
    throw new RequestError(`The request failed (${response.status}): ${reason}`, response.status);
  }
  return { data: body.data || {}, errors: body.errors || [] };
}

/** The error message for one root field of a response, or null when it succeeded. */
export function fieldError(result, field) {
  const found = result.errors.find((e) => Array.isArray(e.path) && e.path[0] === field);
  if (found) return found.message;
  if (result.data[field] === null || result.data[field] === undefined) {
    // A failed non-null field nulls the whole answer: say why, whichever field it was.
    return result.errors.length ? result.errors[0].message : null;
  }
  return null;
}

/** Say what an error means to a person reading the dashboard. */
export function explain(message) {
  if (/not allowed/i.test(message)) return `You may not see this: ${message}.`;
  return message;
}

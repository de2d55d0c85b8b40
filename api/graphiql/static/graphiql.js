// Starts GraphiQL on the page served at /graphql, from the vendored React, ReactDOM and GraphiQL.
//
// Queries go to this server's /graphql with the headers set in GraphiQL's "Headers" tab (the
// page itself holds no data and needs no token). The query, variables and headers of a shared
// link (?query=...&variables=...&headers=...) are opened as they are.
"use strict";

(function start() {
  const authRequired = document.documentElement.dataset.auth !== "off";
  const parameters = new URLSearchParams(window.location.search);

  const welcome = authRequired
    ? `# tiegraph's GraphQL API. This server needs a bearer token: put it in the
# Headers tab below as {"Authorization": "Bearer <token>"}
# (tiegraph token create --person lena --role leader --ttl 8h).
#
# Run a query with Ctrl-Enter or the play button; Ctrl-Space completes.
# docs/cookbook.md has a query for everything members and leaders need.

{ viewer { key name } }
`
    : `# tiegraph's GraphQL API (authentication is off on this server).
#
# Run a query with Ctrl-Enter or the play button; Ctrl-Space completes.
# docs/cookbook.md has a query for everything members and leaders need.

{ viewer { key name } }
`;

  function remember(name, value) {
    if (value) parameters.set(name, value);
    else parameters.delete(name);
    const search = parameters.toString();
    window.history.replaceState(null, "", search ? `?${search}` : window.location.pathname);
  }

  const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });

  const element = React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: welcome,
    query: parameters.get("query") ?? undefined,
    variables: parameters.get("variables") ?? undefined,
    headers: parameters.get("headers") ?? undefined,
    onEditQuery: (query) => remember("query", query),
    onEditVariables: (variables) => remember("variables", variables),
    defaultEditorToolsVisibility: authRequired ? "headers" : false,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    inputValueDeprecation: true,
  });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(element);
})();

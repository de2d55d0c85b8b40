// Starts GraphiQL on the page served at /graphql, from the vendored React, ReactDOM and GraphiQL.
//
// Queries go to this server's /graphql with the headers set in GraphiQL's "Headers" tab (the
// page itself holds no data and needs no token); subscriptions go over a websocket to the same
// path (graphql-transport-ws), with the Authorization header in the first message. The query, variables and headers of a shared
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

  const http = GraphiQL.createFetcher({ url: window.location.pathname });
  const socketUrl = new URL(window.location.pathname, window.location.href).href.replace(/^http/, "ws");

  // Whether the operation to run is a subscription (comments and strings aside).
  function isSubscription(params) {
    const text = (params.query || "").replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/#[^\n]*/g, "");
    const operations = [...text.matchAll(/(?:^|[}\s])(query|mutation|subscription)\b\s*([_A-Za-z]\w*)?/g)];
    const chosen = operations.find((m) => params.operationName && m[2] === params.operationName);
    const first = chosen || operations[0];
    return Boolean(first) && first[1] === "subscription";
  }

  // A subscription over graphql-transport-ws, as an async iterable of results for GraphiQL.
  // The Authorization header from the Headers tab goes in connection_init.
  function subscribe(params, headers) {
    const queue = [];
    let wake = null;
    const push = (item) => {
      queue.push(item);
      if (wake) wake();
    };
    const socket = new WebSocket(socketUrl, "graphql-transport-ws");
    socket.onopen = () => {
      const auth = headers && (headers.Authorization || headers.authorization);
      socket.send(JSON.stringify({ type: "connection_init", payload: auth ? { Authorization: auth } : {} }));
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        const { query, variables, operationName } = params;
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables, operationName } }));
      } else if (message.type === "ping") socket.send(JSON.stringify({ type: "pong" }));
      else if (message.type === "next") push({ value: message.payload });
      else if (message.type === "error") {
        push({ value: { errors: message.payload } });
        push({ done: true });
      } else if (message.type === "complete") push({ done: true });
    };
    socket.onclose = (event) => {
      if (event.code !== 1000) {
        const reason = event.reason ? `: ${event.reason}` : "";
        push({ value: { errors: [{ message: `the connection closed (${event.code}${reason})` }] } });
      }
      push({ done: true });
    };
    const close = () => {
      if (socket.readyState <= WebSocket.OPEN) socket.close(1000);
      return Promise.resolve({ done: true, value: undefined });
    };
    return {
      [Symbol.asyncIterator]() {
        return {
          async next() {
            while (!queue.length) await new Promise((resolve) => (wake = resolve));
            wake = null;
            const item = queue.shift();
            return item.done ? close() : { done: false, value: item.value };
          },
          return: close,
        };
      },
    };
  }

  const fetcher = (params, options) =>
    isSubscription(params) ? subscribe(params, options && options.headers) : http(params, options);

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

#!/usr/bin/env node
// A misbehaving HTTP endpoint for the client's error tests: each path produces one failure the
// real dev server cannot. Started by the test harness as `node tests/support/fault-server.mjs`;
// prints exactly one line, `fault-server listening on http://127.0.0.1:PORT`, then serves until
// killed. `--port N` (or FAULT_SERVER_PORT) picks the port; default: a free one.
//
// Every path answers CORS (browser tests run on another origin) and counts its POSTs per `key`
// query parameter, readable at `GET /count?key=K` (tests use a fresh key each, so the three
// runtimes can share one server).
//
//   /status/CODE                 that HTTP status, a text body
//   /status/401-graphql          401 with a GraphQL UNAUTHENTICATED body
//   /html                        200 text/html                                  → DECODE
//   /not-json                    200 "this is not json"                          → DECODE
//   /truncated                   200 application/json cut in the middle          → DECODE
//   /not-object                  200 [1,2,3]                                     → DECODE
//   /no-data                     200 {}                                          → DECODE
//   /stall                       never answers (the socket stays open)           → TIMEOUT / ABORTED
//   /stall-body                  200 headers and half a body, then nothing       → TIMEOUT
//   /errors-with-data            200 data + errors (API_ERROR)                   → GRAPHQL + data
//   /graphql-error?code=C        200 errors[0].extensions.code = C
//   /flaky/STATUS?times=N        STATUS for the first N POSTs of a key, then {"data":{"ok":true}}
//   /429?retry-after=S&times=N   429 (Retry-After: S) for the first N POSTs, then ok
//   /close?times=N               destroys the socket for the first N POSTs       → NETWORK, then ok
//   /echo                        {"data":{"method","headers","body"}}: what the client sent
//   /auth?mode=graphql|http      a token service: log_in → a refused access token and a refresh
//                                token; refresh_token as prefect 0.15.13 sends it (Bearer = the
//                                current refresh token, rotating; input.access_token = the access
//                                token issued with it) → an accepted one; anything else needs the accepted token,
//                                else UNAUTHENTICATED (GraphQL code, or HTTP 401 with mode=http).
//                                The tenant list answers [] to any token. Refreshes are
//                                counted under `K:refresh`.
import http from "node:http";

const args = process.argv.slice(2);
const portArg = args.indexOf("--port");
const port = Number(portArg >= 0 ? args[portArg + 1] : process.env.FAULT_SERVER_PORT || 0);

const counts = new Map();
const bump = (key) => {
  const n = (counts.get(key) || 0) + 1;
  counts.set(key, n);
  return n;
};
const authState = new Map(); // key -> { refresh, issued, access, n }

function cors(req, res) {
  res.setHeader("Access-Control-Allow-Origin", req.headers.origin || "*");
  res.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  res.setHeader("Access-Control-Allow-Headers", req.headers["access-control-request-headers"] || "*");
  res.setHeader("Access-Control-Expose-Headers", "Retry-After");
  res.setHeader("Access-Control-Max-Age", "600");
  res.setHeader("Vary", "Origin");
  // No keep-alive: browsers transparently resend a request whose reused connection was closed,
  // which would hide what the client itself retries (see /close).
  res.setHeader("Connection", "close");
}

function send(res, status, body, type = "application/json", extra = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(text), ...extra });
  res.end(text);
}

const ok = (res, data = { ok: true }) => send(res, 200, { data });
const gqlError = (code, message = `simulated ${code}`) => ({ message, extensions: { code } });

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(""));
  });
}

function auth(req, res, url, key, body) {
  let parsed = {};
  try {
    parsed = JSON.parse(body);
  } catch {}
  const query = String(parsed.query || "");
  const bearer = (req.headers.authorization || "").replace(/^Bearer /, "");
  const state = authState.get(key) || { refresh: null, issued: null, access: null, n: 0 };
  authState.set(key, state);
  const tokens = (access) => ({
    access_token: access,
    expires_at: new Date(Date.now() + 3600_000).toISOString(),
    refresh_token: state.refresh,
  });
  const refuse = () =>
    url.searchParams.get("mode") === "http"
      ? send(res, 401, "unauthorized", "text/plain")
      : send(res, 200, { data: null, errors: [gqlError("UNAUTHENTICATED", "token refused")] });

  if (query.includes("log_in(")) {
    state.refresh = `refresh-${key}-0`;
    state.issued = `stale-${key}`;
    state.access = null; // the first access token is refused: the client must refresh
    return ok(res, { log_in: tokens(state.issued) });
  }
  if (query.includes("refresh_token(")) {
    const sent = parsed.variables?.input?.access_token;
    if (!state.refresh || bearer !== state.refresh || sent !== state.issued) return refuse();
    bump(`${key}:refresh`);
    state.n += 1;
    state.refresh = `refresh-${key}-${state.n}`;
    state.access = `fresh-${key}-${state.n}`;
    state.issued = state.access;
    return ok(res, { refresh_token: tokens(state.access) });
  }
  if (/^\s*query\s+\w*\s*\{\s*tenant\s*\{/.test(query)) return ok(res, { tenant: [] }); // any token
  if (!state.access || bearer !== state.access) return refuse();
  return ok(res, { ok: true, token: bearer });
}

const server = http.createServer(async (req, res) => {
  cors(req, res);
  if (req.method === "OPTIONS") {
    res.writeHead(204);
    return res.end();
  }
  const url = new URL(req.url, "http://localhost");
  const key = url.searchParams.get("key") || "default";
  const path = url.pathname;

  if (req.method === "GET" && path === "/count") {
    return send(res, 200, { count: counts.get(key) || 0 });
  }
  const body = await readBody(req);
  const n = bump(`${key}:${path}`);
  bump(key);
  const times = Number(url.searchParams.get("times") || 0);

  let m;
  if ((m = path.match(/^\/status\/(\d{3})(-graphql)?$/))) {
    const status = Number(m[1]);
    if (m[2]) return send(res, status, { errors: [gqlError("UNAUTHENTICATED", "no token")] });
    return send(res, status, `status ${status}`, "text/plain");
  }
  if (path === "/html") return send(res, 200, "<!doctype html><html><body>Not an API</body></html>", "text/html");
  if (path === "/not-json") return send(res, 200, "this is not json", "application/json");
  if (path === "/truncated") {
    res.writeHead(200, { "Content-Type": "application/json" });
    return res.end('{"data": {"hello": "wor');
  }
  if (path === "/not-object") return send(res, 200, "[1,2,3]");
  if (path === "/no-data") return send(res, 200, "{}");
  if (path === "/stall") return; // never answer; the client's timeout or signal ends it
  if (path === "/stall-body") {
    res.writeHead(200, { "Content-Type": "application/json" });
    return res.write('{"data": {"hel');
  }
  if (path === "/errors-with-data") {
    return send(res, 200, { data: { hello: "partial", other: null }, errors: [{ ...gqlError("API_ERROR", "other failed"), path: ["other"] }] });
  }
  if (path === "/graphql-error") {
    const code = url.searchParams.get("code") || "GRAPHQL_VALIDATION_FAILED";
    return send(res, 200, { data: null, errors: [gqlError(code)] });
  }
  if ((m = path.match(/^\/flaky\/(\d{3})$/))) {
    if (n <= times) return send(res, Number(m[1]), `flaky ${m[1]} (attempt ${n})`, "text/plain");
    return ok(res, { ok: true, attempt: n });
  }
  if (path === "/429") {
    if (n <= times) {
      return send(res, 429, "slow down", "text/plain", { "Retry-After": url.searchParams.get("retry-after") || "1" });
    }
    return ok(res, { ok: true, attempt: n });
  }
  if (path === "/close") {
    if (n <= times) return req.socket.destroy();
    return ok(res, { ok: true, attempt: n });
  }
  if (path === "/echo") {
    let parsed = body;
    try {
      parsed = JSON.parse(body);
    } catch {}
    return ok(res, { method: req.method, headers: req.headers, body: parsed });
  }
  if (path === "/auth") return auth(req, res, url, key, body);
  return send(res, 404, `no fault at ${path}`, "text/plain");
});

server.keepAliveTimeout = 1000;
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`fault-server listening on http://127.0.0.1:${server.address().port}\n`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));

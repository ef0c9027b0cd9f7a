// A scriptable misbehaving HTTP proxy between a client under test and a real dev server.
//
//   import { startFaultProxy } from "../support/fault-proxy.mjs";
//   const proxy = await startFaultProxy({ target: "http://127.0.0.1:PORT" });
//   proxy.plan([{ match: "set_flow_run_states", fault: "status", status: 503, times: 2 }]);
//   ... point the client at proxy.url ...
//   proxy.count("set_flow_run_states")   // attempts the proxy saw for that operation
//   await proxy.close();
//
// Every POST is an attempt (recorded in `proxy.attempts`; with `allRequests: true` every request
// but the proxy's own pages, so REST reads can meet faults too: match them on `req.url`). The first planned rule that matches the
// request body (substring, RegExp or predicate) and has `times` left is applied; otherwise the
// request passes through unchanged. Faults:
//   reset          close the socket as soon as the request arrived (nothing forwarded, no answer)
//   reset-mid-body forward, then send the headers (full Content-Length) and half the body, then reset
//   html-500       answer 500 with an HTML error page (nothing forwarded)
//   status         answer `status` (e.g. 502, 503, 504) with `body` (text, default "Bad Gateway")
//   429            answer 429 with `Retry-After: retryAfter` (seconds, default 1)
//   stall          never answer (forward first when `forward: true`); ends when the client gives up
//   stall-mid-body forward, send the headers and half the body, then nothing more (socket left open)
//   truncate       forward, then answer 200 with the first half of the server's JSON (valid HTTP)
//   non-json       answer 200 `text/html` that is not JSON
//   graphql-errors answer 200 `{ data, errors }` as given (nothing forwarded)
//   401            answer HTTP 401 with a GraphQL UNAUTHENTICATED error
//   unauthenticated answer 200 with a GraphQL UNAUTHENTICATED error
//   redirect       answer `status` (default 307) with `Location: location`
//   delay          forward after `ms` milliseconds
// Connection-level: `refuseConnections(n)` destroys the next n TCP connections on accept.
// Every answer carries `Connection: close`, so each attempt is a fresh connection.
// Cross-origin pages (Chromium) are answered with permissive CORS headers; preflights are answered
// by the proxy itself and are not attempts. `staticDir` serves files under `staticPrefix` (GET),
// and GET /__page a blank HTML page, so a browser page can live on the proxy's own origin.
// Also runnable: `node tests/support/fault-proxy.mjs --target URL` prints
// "fault-proxy listening on http://..." and takes plans as JSON on POST /__fault/plan
// (string matches only); GET /__fault/attempts lists the attempts.
import http from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";

const MIME = {
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".html": "text/html",
  ".json": "application/json",
  ".ts": "text/plain",
  ".css": "text/css",
};

function matches(rule, body, req) {
  const m = rule.match;
  if (m === undefined || m === null) return true;
  if (typeof m === "string") return body.includes(m);
  if (m instanceof RegExp) return m.test(body);
  if (typeof m === "function") return m(body, req);
  return false;
}

export async function startFaultProxy({ target, staticDir, staticPrefix = "/pkg/", host = "127.0.0.1", port = 0, allRequests = false } = {}) {
  const targetUrl = target ? new URL(target) : null;
  let rules = [];
  const attempts = [];
  const preflights = [];
  const sockets = new Set();
  let refuse = 0;
  let connections = 0;

  function cors(req, res) {
    const origin = req.headers.origin;
    if (origin) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-expose-headers", "retry-after, content-type");
      res.setHeader("vary", "origin");
    }
  }

  function send(req, res, status, headers, body) {
    if (res.destroyed) return;
    cors(req, res);
    res.writeHead(status, { connection: "close", ...headers });
    res.end(body);
  }

  function forward(req, body) {
    return new Promise((resolve, reject) => {
      if (!targetUrl) return reject(new Error("fault proxy has no target"));
      const headers = { ...req.headers, host: targetUrl.host };
      delete headers.connection;
      delete headers["keep-alive"];
      delete headers.origin; // the proxy answers CORS itself
      headers["content-length"] = String(body.length);
      const up = http.request(
        {
          host: targetUrl.hostname,
          port: targetUrl.port,
          method: req.method,
          path: req.url,
          headers,
          agent: false,
        },
        (upRes) => {
          const chunks = [];
          upRes.on("data", (c) => chunks.push(c));
          upRes.on("end", () => resolve({ status: upRes.statusCode, headers: upRes.headers, body: Buffer.concat(chunks) }));
          upRes.on("error", reject);
        },
      );
      up.on("error", reject);
      up.end(body);
    });
  }

  function passHeaders(h) {
    const out = { ...h };
    for (const k of ["connection", "keep-alive", "transfer-encoding", "content-length", "access-control-allow-origin", "vary"]) delete out[k];
    return out;
  }

  async function handlePost(req, res, raw) {
    const body = raw.toString("utf8");
    const attempt = {
      n: attempts.length + 1,
      at: performance.now(),
      method: req.method,
      path: req.url,
      headers: { ...req.headers },
      body,
      fault: null,
      forwarded: false,
    };
    attempts.push(attempt);
    const rule = rules.find((r) => r.left > 0 && matches(r, body, req));
    if (rule) {
      rule.left -= 1;
      rule.hits += 1;
      attempt.fault = rule.fault;
    }
    const fault = rule?.fault;
    const fwd = async () => {
      attempt.forwarded = true;
      return forward(req, raw);
    };
    try {
      switch (fault) {
        case undefined: {
          const up = await fwd();
          return send(req, res, up.status, passHeaders(up.headers), up.body);
        }
        case "reset":
          return req.socket.destroy();
        case "reset-mid-body": {
          const up = rule.forward === false ? { status: 200, headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify({ data: { hello: "x".repeat(4096) } })) } : await fwd();
          cors(req, res);
          res.writeHead(up.status, { ...passHeaders(up.headers), "content-length": String(up.body.length), connection: "close" });
          res.write(up.body.subarray(0, Math.max(1, Math.floor(up.body.length / 2))));
          // Let the partial body reach the client, then cut the connection.
          return setTimeout(() => req.socket.destroy(), 50);
        }
        case "stall-mid-body": {
          const up = await fwd();
          cors(req, res);
          res.writeHead(up.status, { ...passHeaders(up.headers), "content-length": String(up.body.length), connection: "close" });
          res.write(up.body.subarray(0, Math.max(1, Math.floor(up.body.length / 2))));
          return; // the rest never comes; the socket stays open until the client gives up
        }
        case "html-500":
          return send(req, res, 500, { "content-type": "text/html; charset=utf-8" },
            "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1><p>nginx</p></body></html>");
        case "status":
          return send(req, res, rule.status ?? 502, { "content-type": "text/plain", ...(rule.headers ?? {}) }, rule.body ?? `${http.STATUS_CODES[rule.status ?? 502]}`);
        case "429":
          return send(req, res, 429, { "content-type": "application/json", "retry-after": String(rule.retryAfter ?? 1) },
            JSON.stringify({ errors: [{ message: "Too Many Requests" }] }));
        case "stall":
          if (rule.forward) await fwd();
          return; // never answered; the socket is destroyed when the client aborts or the proxy closes
        case "truncate": {
          const up = await fwd();
          const cut = up.body.subarray(0, Math.max(1, Math.floor(up.body.length / 2)));
          return send(req, res, 200, { "content-type": "application/json" }, cut);
        }
        case "non-json":
          return send(req, res, 200, { "content-type": "text/html" }, "<html><body>Welcome to nginx!</body></html>");
        case "graphql-errors":
          return send(req, res, 200, { "content-type": "application/json" }, JSON.stringify({ data: rule.data ?? null, errors: rule.errors ?? [{ message: "boom" }] }));
        case "401":
          return send(req, res, 401, { "content-type": "application/json", "www-authenticate": "Bearer" },
            JSON.stringify({ errors: [{ message: "Unauthorized", extensions: { code: "UNAUTHENTICATED" } }] }));
        case "unauthenticated":
          return send(req, res, 200, { "content-type": "application/json" },
            JSON.stringify({ data: null, errors: [{ message: "Unauthenticated", extensions: { code: "UNAUTHENTICATED" } }] }));
        case "redirect":
          return send(req, res, rule.status ?? 307, { location: rule.location }, "");
        case "delay": {
          await new Promise((r) => setTimeout(r, rule.ms ?? 1000));
          const up = await fwd();
          return send(req, res, up.status, passHeaders(up.headers), up.body);
        }
        default:
          return send(req, res, 599, { "content-type": "text/plain" }, `fault proxy: unknown fault ${fault}`);
      }
    } catch (err) {
      attempt.proxyError = String(err);
      return send(req, res, 502, { "content-type": "text/plain" }, `fault proxy: upstream failed: ${err.message}`);
    }
  }

  async function handleGet(req, res) {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/__page") {
      return send(req, res, 200, { "content-type": "text/html" }, "<!doctype html><meta charset=utf-8><title>fault proxy page</title><body></body>");
    }
    if (url.pathname === "/__fault/attempts") {
      return send(req, res, 200, { "content-type": "application/json" },
        JSON.stringify(attempts.map(({ n, body, fault, forwarded }) => ({ n, body, fault, forwarded }))));
    }
    if (staticDir && url.pathname.startsWith(staticPrefix)) {
      const rel = decodeURIComponent(url.pathname.slice(staticPrefix.length));
      const file = path.resolve(staticDir, rel);
      if (!file.startsWith(path.resolve(staticDir))) return send(req, res, 403, {}, "");
      try {
        const data = await readFile(file);
        return send(req, res, 200, { "content-type": MIME[path.extname(file)] ?? "application/octet-stream" }, data);
      } catch {
        return send(req, res, 404, { "content-type": "text/plain" }, "not found");
      }
    }
    if (targetUrl) {
      try {
        const up = await forward(req, Buffer.alloc(0));
        return send(req, res, up.status, passHeaders(up.headers), up.body);
      } catch (err) {
        return send(req, res, 502, {}, String(err));
      }
    }
    return send(req, res, 404, {}, "");
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("error", () => {});
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      if (req.method === "OPTIONS") {
        preflights.push({ at: performance.now(), headers: { ...req.headers } });
        cors(req, res);
        res.writeHead(204, {
          connection: "close",
          "access-control-allow-methods": "POST, GET, PATCH, DELETE, OPTIONS",
          "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "content-type",
          "access-control-max-age": "0",
        });
        return res.end();
      }
      if (req.method === "POST" && req.url === "/__fault/plan") {
        try {
          api.plan(JSON.parse(raw.toString("utf8")));
          return send(req, res, 200, { "content-type": "application/json" }, '{"ok":true}');
        } catch (err) {
          return send(req, res, 400, {}, String(err));
        }
      }
      if (req.method === "POST") return handlePost(req, res, raw);
      // allRequests (REST clients): every other method is an attempt too, but the page and the static files.
      const own = req.url.startsWith("/__") || (staticDir && req.url.startsWith(staticPrefix));
      if (allRequests && !own) return handlePost(req, res, raw);
      return handleGet(req, res);
    });
  });
  server.keepAliveTimeout = 1;
  server.on("connection", (socket) => {
    connections += 1;
    if (refuse > 0) {
      refuse -= 1;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();

  const api = {
    url: `http://${host}:${addr.port}`,
    attempts,
    preflights,
    /** Replaces the plan. */
    plan(list) {
      rules = (Array.isArray(list) ? list : [list]).map((r) => ({ times: 1, ...r, left: r.times ?? 1, hits: 0 }));
      return api;
    },
    /** Forgets the plan and the recorded attempts. */
    reset() {
      rules = [];
      attempts.length = 0;
      preflights.length = 0;
      refuse = 0;
      connections = 0;
      return api;
    },
    /** Attempts whose body matches (substring, RegExp or predicate); all attempts without argument. */
    count(match) {
      return attempts.filter((a) => matches({ match }, a.body)).length;
    },
    /** The attempts whose body matches. */
    matching(match) {
      return attempts.filter((a) => matches({ match }, a.body));
    },
    refuseConnections(n) {
      refuse = n;
      return api;
    },
    get connections() {
      return connections;
    },
    get rules() {
      return rules;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(() => r()));
    },
  };
  return api;
}

// CLI: node tests/support/fault-proxy.mjs --target URL [--port N]
if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const proxy = await startFaultProxy({ target: arg("--target"), port: Number(arg("--port") ?? 0) });
  console.log(`fault-proxy listening on ${proxy.url}`);
}

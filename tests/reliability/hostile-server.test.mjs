// Hostile input to the server: oversized bodies, deep and wide documents, batched queries, unknown
// operations, invalid JSON and UTF-8, huge variables, SQL-looking strings in filters, slow and
// lying connections. Each one must be answered with an error (a 4xx, or a GraphQL `errors` answer,
// never a 5xx or a dropped connection), the server must stay up and answer `{ hello }` right
// after, and nothing may be half-written (table row counts unchanged).
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { createRun, gql, hello, post, seedFlow, startServer, tableCounts } from "./_harness.mjs";

let server, seeded, runId, countsBefore;
const figures = { cases: 0, errors: 0 };
const TRICKY_NAME = `O'Brien"; DROP TABLE flow_run; -- %_\\`;

before(async () => {
  server = await startServer([]);
  seeded = await seedFlow(server.url);
  runId = await createRun(server.url, seeded.flowId);
  await createRun(server.url, seeded.flowId, {}, { flow_run_name: TRICKY_NAME });
  await createRun(server.url, seeded.flowId, {}, { flow_run_name: "plain-run" });
  countsBefore = await tableCounts(server.url);
});
after(async () => {
  console.log(`# hostile server: ${figures.cases} hostile requests, ${figures.errors} answered with an error`);
  await server?.kill();
});

/** POST raw bytes with node:http (no client-side validation); resolves { status, text, body } or { dropped }. */
function raw(body, { headers = {}, method = "POST", path = "/", timeoutMs = 20_000, chunked = false } = {}) {
  const u = new URL(server.url);
  return new Promise((resolve) => {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body ?? "");
    const req = http.request({
      host: u.hostname, port: u.port, method, path, agent: false,
      headers: { "content-type": "application/json", ...(chunked ? {} : { "content-length": String(buf.length) }), ...headers },
    }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json = null;
        try { json = JSON.parse(text); } catch {}
        resolve({ status: res.statusCode, text, body: json });
      });
      res.on("error", (e) => resolve({ dropped: String(e) }));
    });
    req.setTimeout(timeoutMs, () => { req.destroy(); resolve({ dropped: `no answer within ${timeoutMs} ms` }); });
    req.on("error", (e) => resolve({ dropped: String(e) }));
    // write in slices so that an early 413 can be read before the server closes
    let off = 0;
    const step = 1 << 20;
    const pump = () => {
      while (off < buf.length) {
        const slice = buf.subarray(off, off + step);
        off += step;
        if (!req.write(slice)) return req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

/**
 * POST a large body over a raw socket, stopping as soon as the server answers (an early 413 must
 * be read even though the server stops reading and closes); resolves { status, text, body }.
 */
function rawEarly(body) {
  const u = new URL(server.url);
  return new Promise((resolve) => {
    const buf = Buffer.from(body);
    let data = "";
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve(r);
    };
    const s = net.connect(Number(u.port), u.hostname, () => {
      s.write(`POST / HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: ${buf.length}\r\nconnection: close\r\n\r\n`);
      let off = 0;
      const pump = () => {
        while (!done && off < buf.length) {
          const ok = s.write(buf.subarray(off, off + 65536));
          off += 65536;
          if (!ok) return s.once("drain", pump);
        }
      };
      pump();
    });
    const status = () => /^HTTP\/1\.1 (\d{3})/.exec(data)?.[1];
    s.on("data", (c) => {
      data += c;
      if (status() && data.includes("\r\n\r\n")) setTimeout(() => finish({ status: Number(status()), text: data, body: null }), 50);
    });
    s.on("error", () => finish(status() ? { status: Number(status()), text: data, body: null } : { dropped: "reset before any answer" }));
    s.on("close", () => finish(status() ? { status: Number(status()), text: data, body: null } : { dropped: "closed before any answer" }));
    s.setTimeout(20_000, () => finish({ dropped: "no answer within 20 s" }));
  });
}

function assertError(r, what) {
  figures.cases += 1;
  assert.equal(r.dropped, undefined, `${what}: connection dropped without an answer (${r.dropped})`);
  assert.ok(r.status < 500, `${what}: answered ${r.status} (a server error): ${r.text.slice(0, 300)}`);
  const gqlError = r.status === 200 && Array.isArray(r.body?.errors) && r.body.errors.length > 0;
  const httpError = r.status >= 400 && r.status < 500;
  assert.ok(gqlError || httpError, `${what}: not answered with an error (${r.status}): ${r.text.slice(0, 300)}`);
  if (gqlError) {
    for (const e of r.body.errors) assert.equal(typeof e.message, "string", `${what}: error without a message`);
  }
  figures.errors += 1;
}

async function healthy(what) {
  assert.ok(server.alive(), `${what}: the server process died (${server.stderr().slice(-2000)})`);
  await hello(server.url, 5_000); // rejects when there is no answer within 5 s
}

async function unchanged(what, before = countsBefore) {
  assert.deepEqual(await tableCounts(server.url), before, `${what}: row counts changed`);
}

const json = (o) => JSON.stringify(o);
const SET_STATE = "mutation($input: set_flow_run_states_input!) { set_flow_run_states(input: $input) { states { id status } } }";

/** name → () => request result */
const CASES = {
  // --- size
  "12 MB body": () => rawEarly(json({ query: "{ hello }", variables: { pad: "x".repeat(12 << 20) } })),
  // Refused from the header alone: a server that waits for the body never answers, and the
  // 5 s socket timeout reports that as a dropped connection.
  "Content-Length of 100 GB, 10 bytes sent": async () => {
    const u = new URL(server.url);
    const r = await new Promise((resolve) => {
      const s = net.connect(Number(u.port), u.hostname, () => {
        s.write(`POST / HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: 107374182400\r\n\r\n{"query":`);
      });
      let data = "";
      s.on("data", (c) => {
        data += c;
        const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
        if (m) { s.destroy(); resolve({ status: Number(m[1]), text: data, body: null }); }
      });
      s.on("error", (e) => resolve({ dropped: String(e) }));
      s.setTimeout(5_000, () => { s.destroy(); resolve({ dropped: "no answer within 5 s (the server waits for 100 GB)" }); });
    });
    if (r.status !== undefined) assert.equal(r.status, 413, `answered ${r.status}, not 413: ${r.text.slice(0, 300)}`);
    return r;
  },
  "state over 1,000,000 bytes": () => raw(json({ query: SET_STATE, variables: { input: { states: [{ flow_run_id: runId, state: { type: "Running", message: "m".repeat(1_100_000) } }] } } })),
  "one state fine, one over 1,000,000 bytes in the same mutation (all or nothing)": () => raw(json({ query: SET_STATE, variables: { input: { states: [
    { flow_run_id: runId, state: { type: "Running", message: "fine" } },
    { flow_run_id: runId, state: { type: "Running", message: "m".repeat(1_100_000) } },
  ] } } })),
  "one state fine, one with an unknown type in the same mutation (all or nothing)": () => raw(json({ query: SET_STATE, variables: { input: { states: [
    { flow_run_id: runId, state: { type: "Running", message: "fine" } },
    { flow_run_id: runId, state: { type: "NotAState" } },
  ] } } })),
  "one state fine, one for a run that does not exist (all or nothing)": () => raw(json({ query: SET_STATE, variables: { input: { states: [
    { flow_run_id: runId, state: { type: "Running", message: "fine" } },
    { flow_run_id: "00000000-0000-4000-8000-000000000000", state: { type: "Running" } },
  ] } } })),
  "10,000 states in one mutation, the last one invalid (all or nothing)": () => raw(json({ query: SET_STATE, variables: { input: { states: [
    ...Array.from({ length: 9_999 }, () => ({ flow_run_id: runId, state: { type: "Running", message: "x".repeat(100) } })),
    { flow_run_id: runId, state: { type: "NotAState" } },
  ] } } })),
  // --- deep
  "100,000 nested braces": () => raw(json({ query: "{".repeat(100_000) + "}".repeat(100_000) })),
  "100,000 nested list values": () => raw(json({ query: `{ flow_run(where: {name: {_in: ${"[".repeat(100_000)}${"]".repeat(100_000)}}}) { id } }` })),
  "selection 1,000 levels deep (flow_run → flow → flow_runs → …)": () =>
    raw(json({ query: `{ flow_run { ${"flow { flow_runs { ".repeat(500)}id${" } }".repeat(500)} } }` })),
  "where: _and nested 10,000 deep in the document": () =>
    raw(json({ query: `{ flow_run(where: ${"{_and: [".repeat(10_000)}{name: {_eq: "x"}}${"]}".repeat(10_000)}) { id } }` })),
  "where: _not nested 5,000 deep in variables": () =>
    raw(`{"query":"query($w: flow_run_bool_exp) { flow_run(where: $w) { id } }","variables":{"w":${'{"_not":'.repeat(5_000)}{"name":{"_eq":"x"}}${"}".repeat(5_000)}}}`),
  "variables nested 100,000 deep (raw JSON)": () =>
    raw(`{"query":"query($p: JSON) { hello }","variables":{"p":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`),
  // --- wide
  "100,000 aliases": () => raw(json({ query: `{ ${Array.from({ length: 100_000 }, (_, i) => `a${i}: hello`).join(" ")} }` })),
  "20,000 aliased table reads": () => raw(json({ query: `{ ${Array.from({ length: 20_000 }, (_, i) => `r${i}: flow_run(limit: 1000) { id name states { id } }`).join(" ")} }` })),
  "fragment bomb (2^30 fields)": () => {
    const frags = ["fragment F0 on flow_run { id name }"];
    for (let i = 1; i <= 30; i++) frags.push(`fragment F${i} on flow_run { ...F${i - 1} flow { flow_runs { ...F${i - 1} } } }`);
    return raw(json({ query: `{ flow_run { ...F30 } } ${frags.join(" ")}` }));
  },
  "fragment cycle": () => raw(json({ query: "{ flow_run { ...A } } fragment A on flow_run { ...B } fragment B on flow_run { ...A }" })),
  "10,000 directives on one field": () => raw(json({ query: `{ hello ${"@include(if: true) ".repeat(10_000)} }` })),
  // --- batches
  "batched queries (array body)": () => raw(json([{ query: "{ hello }" }, { query: "{ hello }" }])),
  "batched mutation + query (array body)": () => raw(json([
    { query: SET_STATE, variables: { input: { states: [{ flow_run_id: runId, state: { type: "Running", message: "batched" } }] } } },
    { query: "{ hello }" },
  ])),
  "empty batch": () => raw("[]"),
  "10,000-element batch": () => raw(json(Array.from({ length: 10_000 }, () => ({ query: "{ hello }" })))),
  // --- unknown or ill-formed operations
  "unknown field": () => raw(json({ query: "{ nope }" })),
  "unknown mutation": () => raw(json({ query: "mutation { drop_all_tables { ok } }" })),
  "subscription": () => raw(json({ query: "subscription { flow_run { id } }" })),
  "operationName not in the document": () => raw(json({ query: "query A { hello }", operationName: "B" })),
  "two anonymous operations": () => raw(json({ query: "{ hello } { hello }" })),
  "two operations, no operationName": () => raw(json({ query: "query A { hello } query B { hello }" })),
  "duplicate operation names": () => raw(json({ query: "query A { hello } query A { hello }", operationName: "A" })),
  "10,000 operations, no operationName": () => raw(json({ query: Array.from({ length: 10_000 }, (_, i) => `query q${i} { hello }`).join(" ") })),
  "missing query": () => raw(json({ variables: {} })),
  "query is a number": () => raw(json({ query: 5 })),
  "query is null": () => raw(json({ query: null })),
  "empty query": () => raw(json({ query: "" })),
  "variables is a non-JSON string": () => raw(json({ query: "{ hello }", variables: "[1, 2" })),
  "variables is a number": () => raw(json({ query: "{ hello }", variables: 5 })),
  "persisted query without a query": () => raw(json({ extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } })),
  "introspection of an unknown type": () => raw(json({ query: '{ __type(name: "nope") { fields { name } } nope }' })),
  // --- invalid JSON / UTF-8 / HTTP
  "truncated JSON": () => raw('{"query": '),
  "single-quoted pseudo-JSON": () => raw("{'query': '{ hello }'}"),
  "trailing garbage after JSON": () => raw('{"query":"{ hello }"} trailing'),
  "NaN literal": () => raw('{"query":"{ hello }","variables":{"a":NaN}}'),
  "JSON null body": () => raw("null"),
  "JSON string body": () => raw('"{ hello }"'),
  "empty body": () => raw(""),
  "invalid UTF-8 in a variable": () => raw(Buffer.concat([Buffer.from('{"query":"{ hello }","variables":{"a":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}}')])),
  "invalid UTF-8 in the document": () => raw(Buffer.concat([Buffer.from('{"query":"{ hel'), Buffer.from([0xc0, 0xaf]), Buffer.from('lo }"}')])),
  "lone surrogate escape in a state message": () => raw('{"query":' + json(SET_STATE) + ',"variables":{"input":{"states":[{"flow_run_id":"' + runId + '","state":{"type":"Running","message":"\\ud800"}}]}}}'),
  "NUL bytes in the document": () => raw(json({ query: "{ hello \u0000 }" })),
  "wrong content type (application/x-www-form-urlencoded)": () => raw("query=%7B+hello+%7D", { headers: { "content-type": "application/x-www-form-urlencoded" } }),
  "chunked body with a bad chunk size": async () => {
    const u = new URL(server.url);
    return new Promise((resolve) => {
      const s = net.connect(Number(u.port), u.hostname, () => {
        s.write(`POST / HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\nzz\r\n{"query":"{ hello }"}\r\n0\r\n\r\n`);
      });
      let data = "";
      s.on("data", (c) => (data += c));
      const answer = (dropped) => {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
        resolve(m ? { status: Number(m[1]), text: data, body: null } : { dropped });
      };
      s.on("end", () => answer(`closed without an answer (${JSON.stringify(data.slice(0, 100))})`));
      s.on("error", (e) => answer(`${e.code ?? e} before an answer`));
      s.setTimeout(5_000, () => { s.destroy(); resolve({ dropped: "no answer within 5 s" }); });
    });
  },
  "1 MB header": () => raw(json({ query: "{ hello }" }), { headers: { "x-big": "b".repeat(1 << 20) } }),
  "1 MB URL": () => raw(json({ query: "{ hello }" }), { path: "/?" + "q".repeat(1 << 20) }),
  // --- huge or wrongly typed variables
  "100,000-element _in list (4 MB of variables)": () => raw(json({ query: "query($ids: [uuid!]) { flow_run(where: {id: {_in: $ids}}) { id } }", variables: { ids: Array.from({ length: 100_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`) } })),
  "object where a uuid is expected": () => raw(json({ query: "query($id: uuid!) { flow_run_by_pk(id: $id) { id } }", variables: { id: { $gt: "" } } })),
  "invalid uuid": () => raw(json({ query: "query($id: uuid!) { flow_run_by_pk(id: $id) { id } }", variables: { id: "1' OR '1'='1" } })),
  "limit over Int range": () => raw(json({ query: "{ flow_run(limit: 100000000000000000000) { id } }" })),
  "negative limit": () => raw(json({ query: "{ flow_run(limit: -1) { id } }" })),
  "SQL in an order_by value": () => raw(json({ query: '{ flow_run(order_by: {name: "asc; DROP TABLE flow_run"}) { id } }' })),
  "SQL in an order_by key": () => raw(json({ query: "query($o: [flow_run_order_by!]) { flow_run(order_by: $o) { id } }", variables: { o: [{ "name; DROP TABLE flow_run; --": "asc" }] } })),
  "SQL in a where key": () => raw(json({ query: "query($w: flow_run_bool_exp) { flow_run(where: $w) { id } }", variables: { w: { "1=1) OR (1": { _eq: "x" } } } })),
  "SQL as a distinct_on column": () => raw(json({ query: '{ flow_run(distinct_on: ["name) FROM flow_run; --"]) { id } }' })),
  "unknown state type": () => raw(json({ query: SET_STATE, variables: { input: { states: [{ flow_run_id: runId, state: { type: "Running'); DROP TABLE flow_run; --" } }] } } })),
  "state is not an object": () => raw(json({ query: SET_STATE, variables: { input: { states: [{ flow_run_id: runId, state: "Running" }] } } })),
  "state version far in the past (locking)": () => raw(json({ query: SET_STATE, variables: { input: { states: [{ flow_run_id: runId, version: -5, state: { type: "Running" } }] } } })),
  "wrong HTTP method (PUT)": () => raw(json({ query: "{ hello }" }), { method: "PUT" }),
};

describe("hostile requests: each answered with an error, server up, nothing written", () => {
  for (const [name, make] of Object.entries(CASES)) {
    test(name, { timeout: 30_000 }, async () => {
      const before = await tableCounts(server.url);
      const r = await make();
      try {
        assertError(r, name);
      } finally {
        await healthy(name);
        await unchanged(name, before);
      }
    });
  }
});

describe("SQL-looking strings in filters are just strings", () => {
  const INJECTIONS = [
    "x' OR '1'='1", "'; DROP TABLE flow_run; --", '" OR 1=1 --', "x') OR ('1'='1", "%' OR 1=1 --",
    "x\\' OR 1=1 --", "1; DELETE FROM flow_run_state", "' UNION SELECT id, id FROM flow_run --",
  ];
  for (const op of ["_eq", "_like", "_ilike", "_neq_inverse"]) {
    test(`${op} with injection strings matches nothing`, async () => {
      const before = await tableCounts(server.url);
      for (const s of INJECTIONS) {
        const query = op === "_neq_inverse"
          ? "query($s: String) { flow_run(where: {_not: {name: {_neq: $s}}}) { id name } }"
          : `query($s: String) { flow_run(where: {name: {${op}: $s}}) { id name } }`;
        const d = await gql(server.url, query, { s });
        assert.deepEqual(d.flow_run, [], `${op} ${JSON.stringify(s)} matched ${JSON.stringify(d.flow_run)}`);
        // and inline in the document (string literal), not only as a variable
        const inline = await post(server.url, { query: query.replace("query($s: String)", "query").replace("$s", JSON.stringify(s)) });
        assert.equal(inline.status, 200, inline.text);
        assert.deepEqual(inline.body?.data?.flow_run, [], `${op} inline ${JSON.stringify(s)}: ${inline.text.slice(0, 300)}`);
      }
      await unchanged(op, before);
    });
  }
  test("a run named with SQL metacharacters is found by exactly its name", async () => {
    const before = await tableCounts(server.url);
    const eq = await gql(server.url, "query($s: String) { flow_run(where: {name: {_eq: $s}}) { name } }", { s: TRICKY_NAME });
    assert.deepEqual(eq.flow_run.map((r) => r.name), [TRICKY_NAME]);
    const like = await gql(server.url, "query($s: String) { flow_run(where: {name: {_like: $s}}) { name } }", { s: "%Brien%" });
    assert.deepEqual(like.flow_run.map((r) => r.name), [TRICKY_NAME]);
    // _like's own wildcards still work, and a literal % in the name does not widen _eq
    const all = await gql(server.url, "{ flow_run_aggregate(where: {name: {_like: \"%\"}}) { aggregate { count } } }");
    assert.equal(all.flow_run_aggregate.aggregate.count, before.flow_run);
    const pct = await gql(server.url, "query($s: String) { flow_run(where: {name: {_eq: $s}}) { name } }", { s: "%" });
    assert.deepEqual(pct.flow_run, []);
    await unchanged("tricky name", before);
  });
});

describe("slow and idle connections do not starve the server", () => {
  test("200 connections that never finish their headers, 200 that never finish their body", { timeout: 30_000 }, async () => {
    const u = new URL(server.url);
    const sockets = [];
    for (let i = 0; i < 400; i++) {
      const s = net.connect(Number(u.port), u.hostname);
      s.on("error", () => {});
      s.on("connect", () => {
        if (i % 2) s.write(`POST / HTTP/1.1\r\nhost: ${u.host}\r\nx-slow: `);
        else s.write(`POST / HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"query":`);
      });
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 500));
    try {
      const ms = await hello(server.url, 3_000); // rejects when there is no answer within 3 s
      console.log(`# { hello } with 400 stalled connections open: ${ms.toFixed(1)} ms`);
    } finally {
      for (const s of sockets) s.destroy();
    }
    await healthy("slow connections");
  });
});

test("the server is still up after everything, and logged no panic", async () => {
  await healthy("end");
  const log = server.stderr();
  const lines = log.split("\n").filter((l) => /panicked|stack overflow/i.test(l));
  console.log(`# server stderr: ${log.length} bytes`);
  assert.deepEqual(lines.slice(0, 5), [], "the server logged a panic");
});

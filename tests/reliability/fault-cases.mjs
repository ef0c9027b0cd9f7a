// The fault-injection cases, shared by faults.test.mjs (Node) and faults-chromium.test.mjs
// (headless Chromium). Each case plans faults on the proxy, runs one client call through it
// (in Node or in the page, via `runCall`, which must stay self-contained: it is shipped to the
// browser as source), then checks the PrefectError code (or success), the attempts the proxy saw
// and, on the server directly, the number of flow_run_state rows written.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startFaultProxy } from "../support/fault-proxy.mjs";
import { createRun, gql, pkgDir, seedFlow, startServer, stateRows } from "./_harness.mjs";

export const ALICE = { email: "alice@example.com", password: "alice-password", slug: "alice-team" };
export const AUTH_ARGS = [
  "--auth",
  "--token-ttl", "600",
  "--user", "alice@example.com:alice-password:alice-team,shared-team",
  "--user", "bob@example.com:bob-password",
];

/** One client call, described by a plain object; runs wherever globalThis.__prefect is the package. */
export async function runCall(d) {
  const { Client, FlowRuns, PrefectError } = globalThis.__prefect;
  const out = { ok: false };
  const t0 = performance.now();
  const describeError = (e) => ({
    isPrefectError: typeof PrefectError === "function" && e instanceof PrefectError,
    isError: e instanceof Error,
    hasStack: typeof e?.stack === "string" && e.stack.length > 0,
    name: e?.name,
    code: e?.code,
    status: e?.status,
    errorsLen: Array.isArray(e?.errors) ? e.errors.length : null,
    data: e?.data === undefined ? undefined : JSON.parse(JSON.stringify(e.data ?? null)),
    message: String(e?.message ?? e),
  });
  try {
    const client = new Client(d.client);
    if (d.login) await client.login(d.login.email, d.login.password, { accountSlug: d.login.slug });
    out.tokenBefore = client.token ?? null;
    if (d.armUrl) await fetch(d.armUrl, { method: "POST", body: JSON.stringify(d.arm) });
    const flowRuns = new FlowRuns(client);
    const one = () => {
      let signal;
      if (d.abortAfterMs !== undefined) {
        const ac = new AbortController();
        setTimeout(() => (d.abortReason === "none" ? ac.abort() : ac.abort(d.abortReason === "error" ? new Error("stop") : "stop-reason")), d.abortAfterMs);
        signal = ac.signal;
      }
      if (d.op === "getState") return flowRuns.getState(d.runId);
      if (d.op === "setState") return flowRuns.setState(d.runId, d.state ?? "Running");
      if (d.op === "graphql") return client.graphql(d.query, d.variables ?? {}, signal ? { signal } : undefined);
      throw new Error(`unknown op ${d.op}`);
    };
    if (d.gcAfterMs !== undefined && typeof globalThis.gc === "function") setTimeout(() => globalThis.gc(), d.gcAfterMs);
    const calls = Array.from({ length: d.concurrent ?? 1 }, () => one());
    const results = await Promise.allSettled(calls);
    out.elapsed = performance.now() - t0;
    out.tokenAfter = client.token ?? null;
    out.all = results.map((r) => (r.status === "fulfilled" ? { ok: true } : { ok: false, ...describeError(r.reason) }));
    const first = results[0];
    if (first.status === "fulfilled") {
      out.ok = true;
      out.value = JSON.parse(JSON.stringify(first.value ?? null));
    } else {
      Object.assign(out, describeError(first.reason));
    }
    if (d.after) {
      // the module must still work after the fault
      const again = await new Client(d.after.client).graphql("{ hello }");
      out.afterOk = typeof again?.hello === "string";
    }
  } catch (e) {
    out.setupError = String(e?.stack ?? e);
  }
  return out;
}

const isSet = (b) => b.includes("set_flow_run_states");
const isLogin = (b) => /log_in|switch_tenant/.test(b);
const isRefresh = (b) => /\brefresh_token\s*\(/.test(b); // the mutation, not the field of log_in answers

/** Asserts the call was rejected with a proper PrefectError carrying `code`. */
function rejected(r, code, status) {
  assert.equal(r.setupError, undefined, r.setupError);
  assert.equal(r.ok, false, `expected a ${code} rejection, the call succeeded: ${JSON.stringify(r.value)}`);
  assert.equal(r.code, code, `code: ${r.code} (${r.name}: ${r.message})`);
  assert.ok(r.isPrefectError, `not a PrefectError: ${r.name}: ${r.message}`);
  assert.ok(r.isError && r.hasStack, "a PrefectError must be a real Error with a stack");
  assert.equal(r.name, "PrefectError");
  if (status !== undefined) assert.equal(r.status, status, "status");
}
function succeeded(r) {
  assert.equal(r.setupError, undefined, r.setupError);
  assert.equal(r.ok, true, `expected success, got ${r.code} (${r.name}: ${r.message})`);
}

/**
 * The cases. `plan(ctx)` returns proxy rules (ctx.runId: a fresh run, ctx.isRead(body)); `call`
 * the call descriptor (merged with defaults); `check(r, ctx)` asserts, with ctx.proxy, ctx.delta
 * (flow_run_state rows written by the call), ctx.reads() and ctx.sets() (attempts seen).
 */
export const CASES = [
  {
    name: "refused connections ×2, then the read passes",
    setup: (ctx) => ctx.proxy.refuseConnections(2),
    call: { op: "getState" },
    check(r, ctx) {
      succeeded(r);
      assert.equal(ctx.reads(), 1, "the request reached the proxy once");
      assert.equal(ctx.proxy.connections, 3, "two refused connections, then one that worked");
    },
  },
  {
    name: "connections always refused: NETWORK after exactly `retries` retries",
    setup: (ctx) => ctx.proxy.refuseConnections(1000),
    call: { op: "getState", client: { retries: 2 } },
    check(r, ctx) {
      rejected(r, "NETWORK");
      assert.equal(ctx.proxy.connections, 3, "1 attempt + 2 retries");
      assert.ok(r.elapsed < 15_000, `gave up after ${r.elapsed} ms`);
    },
  },
  {
    name: "reset before any answer on the read: retried, succeeds",
    plan: (ctx) => [{ match: ctx.isRead, fault: "reset", times: 1 }],
    call: { op: "getState" },
    check(r, ctx) {
      succeeded(r);
      assert.equal(ctx.reads(), 2);
    },
  },
  {
    name: "reset mid-body on the read: retried, succeeds",
    plan: (ctx) => [{ match: ctx.isRead, fault: "reset-mid-body", times: 1 }],
    call: { op: "getState" },
    check(r, ctx) {
      succeeded(r);
      assert.equal(ctx.reads(), 2);
    },
  },
  {
    name: "reset mid-body after the server applied setState: NETWORK, not repeated, written once",
    plan: () => [{ match: isSet, fault: "reset-mid-body", times: 1 }],
    call: { op: "setState" },
    check(r, ctx) {
      rejected(r, "NETWORK");
      assert.equal(ctx.sets(), 1, "a mutation that may have been applied must not be sent again");
      assert.equal(ctx.delta, 1, "the server applied it exactly once");
    },
  },
  {
    // the client cannot tell this reset from one after the server applied the mutation
    name: "reset before the mutation was forwarded: NETWORK, not repeated, nothing written",
    plan: () => [{ match: isSet, fault: "reset", times: 1 }],
    call: { op: "setState" },
    check(r, ctx) {
      rejected(r, "NETWORK");
      assert.equal(ctx.sets(), 1, "a mutation whose attempt failed on the network must not be sent again");
      assert.equal(ctx.delta, 0);
    },
  },
  {
    name: "500 with an HTML page on the read: HTTP 500, not retried",
    plan: (ctx) => [{ match: ctx.isRead, fault: "html-500", times: 10 }],
    call: { op: "getState" },
    check(r, ctx) {
      rejected(r, "HTTP", 500);
      assert.equal(ctx.reads(), 1, "500 is not a transient failure in the contract");
    },
  },
  {
    name: "500 with an HTML page on the mutation: HTTP 500, nothing written",
    plan: () => [{ match: isSet, fault: "html-500", times: 10 }],
    call: { op: "setState" },
    check(r, ctx) {
      rejected(r, "HTTP", 500);
      assert.equal(ctx.sets(), 1);
      assert.equal(ctx.delta, 0);
    },
  },
  {
    name: "502 ×2 then pass on the read: succeeds after 3 attempts",
    plan: (ctx) => [{ match: ctx.isRead, fault: "status", status: 502, times: 2 }],
    call: { op: "getState" },
    check(r, ctx) {
      succeeded(r);
      assert.equal(ctx.reads(), 3);
      assert.equal(r.value?.id, ctx.runId);
    },
  },
  {
    name: "503 ×2 then pass on the read: succeeds after 3 attempts",
    plan: (ctx) => [{ match: ctx.isRead, fault: "status", status: 503, times: 2 }],
    call: { op: "getState" },
    check(r, ctx) {
      succeeded(r);
      assert.equal(ctx.reads(), 3);
    },
  },
  {
    name: "504 ×1 then pass on the read: succeeds after 2 attempts",
    plan: (ctx) => [{ match: ctx.isRead, fault: "status", status: 504, times: 1 }],
    call: { op: "getState" },
    check(r, ctx) {
      succeeded(r);
      assert.equal(ctx.reads(), 2);
    },
  },
  {
    name: "503 forever with retries: 2: HTTP 503 after 3 attempts",
    plan: (ctx) => [{ match: ctx.isRead, fault: "status", status: 503, times: 100 }],
    call: { op: "getState", client: { retries: 2 } },
    check(r, ctx) {
      rejected(r, "HTTP", 503);
      assert.equal(ctx.reads(), 3);
    },
  },
  {
    name: "503 with retries: 0: HTTP 503 after 1 attempt",
    plan: (ctx) => [{ match: ctx.isRead, fault: "status", status: 503, times: 100 }],
    call: { op: "getState", client: { retries: 0 } },
    check(r, ctx) {
      rejected(r, "HTTP", 503);
      assert.equal(ctx.reads(), 1);
    },
  },
  {
    // a 503 may come from a gateway after the server applied the mutation
    name: "503 ×2 on the mutation (never forwarded): HTTP 503, not repeated, nothing written",
    plan: () => [{ match: isSet, fault: "status", status: 503, times: 2 }],
    call: { op: "setState" },
    check(r, ctx) {
      rejected(r, "HTTP", 503);
      assert.equal(ctx.sets(), 1, "a mutation answered 503 must not be sent again");
      assert.equal(ctx.delta, 0);
    },
  },
  {
    name: "429 with Retry-After: 1 on the read: waits ≥ 1 s, then succeeds",
    plan: (ctx) => [{ match: ctx.isRead, fault: "429", retryAfter: 1, times: 1 }],
    call: { op: "getState" },
    check(r, ctx) {
      succeeded(r);
      const reads = ctx.proxy.matching(ctx.isRead);
      assert.equal(reads.length, 2);
      const gap = reads[1].at - reads[0].at;
      assert.ok(gap >= 900, `Retry-After: 1 not honoured, retried after ${gap.toFixed(0)} ms`);
    },
  },
  {
    // 429 means the server refused the request without acting on it: retried for everything
    name: "429 on the mutation (never forwarded): retried after Retry-After, written once",
    plan: () => [{ match: isSet, fault: "429", retryAfter: 1, times: 1 }],
    call: { op: "setState" },
    check(r, ctx) {
      succeeded(r);
      assert.equal(r.value?.type, "Running");
      assert.equal(ctx.sets(), 2);
      assert.equal(ctx.delta, 1);
      const sets = ctx.proxy.matching(isSet);
      assert.ok(sets[1].at - sets[0].at >= 900, `Retry-After: 1 not honoured, retried after ${(sets[1].at - sets[0].at).toFixed(0)} ms`);
    },
  },
  {
    name: "stall past timeoutMs (retries: 0): TIMEOUT promptly",
    plan: (ctx) => [{ match: ctx.isRead, fault: "stall", times: 100 }],
    call: { op: "getState", client: { timeoutMs: 400, retries: 0 } },
    check(r, ctx) {
      rejected(r, "TIMEOUT");
      assert.equal(ctx.reads(), 1);
      assert.ok(r.elapsed >= 350 && r.elapsed < 5_000, `timed out after ${r.elapsed} ms`);
    },
  },
  {
    name: "headers and half the body, then silence: TIMEOUT (the timeout covers the body too)",
    plan: (ctx) => [{ match: ctx.isRead, fault: "stall-mid-body", times: 100 }],
    call: { op: "getState", client: { timeoutMs: 400, retries: 0 } },
    check(r, ctx) {
      rejected(r, "TIMEOUT");
      assert.equal(ctx.reads(), 1);
      assert.ok(r.elapsed < 5_000, `gave up after ${r.elapsed} ms`);
    },
  },
  {
    // Node's undici held our abort signal's link to the request weakly: after a GC the abort never
    // reached the pending body, and the call hung (20 of 20 before the fix). Where the runtime
    // offers no gc() (Chromium) this is the case above again.
    name: "half the body, then silence, with a GC while it is pending: still TIMEOUT",
    plan: (ctx) => [{ match: ctx.isRead, fault: "stall-mid-body", times: 100 }],
    call: { op: "getState", gcAfterMs: 150, client: { timeoutMs: 400, retries: 0 } },
    check(r, ctx) {
      rejected(r, "TIMEOUT");
      assert.equal(ctx.reads(), 1);
      assert.ok(r.elapsed < 5_000, `gave up after ${r.elapsed} ms`);
    },
  },
  {
    name: "stall once on the read, then pass: the attempt times out, the read is retried and succeeds",
    plan: (ctx) => [{ match: ctx.isRead, fault: "stall", times: 1 }],
    call: { op: "getState", client: { timeoutMs: 400 } },
    check(r, ctx) {
      succeeded(r);
      assert.equal(r.value?.id, ctx.runId);
      assert.equal(ctx.reads(), 2, "one timed-out attempt, one that passed");
    },
  },
  {
    name: "stall after the server applied setState: TIMEOUT, not repeated, written once",
    plan: () => [{ match: isSet, fault: "stall", forward: true, times: 100 }],
    call: { op: "setState", client: { timeoutMs: 800 } },
    check(r, ctx) {
      rejected(r, "TIMEOUT");
      assert.equal(ctx.sets(), 1, "a mutation that may have been applied must not be sent again");
      assert.equal(ctx.delta, 1);
    },
  },
  {
    name: "truncated JSON on the read: DECODE, not retried",
    plan: (ctx) => [{ match: ctx.isRead, fault: "truncate", times: 10 }],
    call: { op: "getState" },
    check(r, ctx) {
      rejected(r, "DECODE");
      assert.equal(ctx.reads(), 1);
    },
  },
  {
    name: "truncated JSON after the server applied setState: DECODE, written once",
    plan: () => [{ match: isSet, fault: "truncate", times: 10 }],
    call: { op: "setState" },
    check(r, ctx) {
      rejected(r, "DECODE");
      assert.equal(ctx.sets(), 1);
      assert.equal(ctx.delta, 1);
    },
  },
  {
    name: "200 with an HTML body: DECODE",
    plan: (ctx) => [{ match: ctx.isRead, fault: "non-json", times: 10 }],
    call: { op: "getState" },
    check(r, ctx) {
      rejected(r, "DECODE");
      assert.equal(ctx.reads(), 1);
    },
  },
  {
    name: "GraphQL errors with partial data: GRAPHQL with errors and data",
    plan: () => [{
      match: "hello", fault: "graphql-errors", times: 10,
      data: { hello: "partial", api: null },
      errors: [{ message: "api failed", path: ["api"], extensions: { code: "SOMETHING_WRONG" } }],
    }],
    call: { op: "graphql", query: "query Partial { hello api { version } }" },
    check(r, ctx) {
      rejected(r, "GRAPHQL");
      assert.equal(r.errorsLen, 1, "the GraphQL errors array is on the error");
      assert.equal(r.data?.hello, "partial", "the partial data is on the error");
      assert.equal(ctx.proxy.count("hello"), 1, "a GraphQL error is not retried");
    },
  },
  {
    name: "VERSION_LOCKING_ERROR from the server: that code, nothing written, not retried",
    plan: () => [{
      match: isSet, fault: "graphql-errors", times: 10, data: null,
      errors: [{ message: "State update failed: version mismatch", path: ["set_flow_run_states"], extensions: { code: "VERSION_LOCKING_ERROR" } }],
    }],
    call: { op: "setState" },
    check(r, ctx) {
      rejected(r, "VERSION_LOCKING_ERROR");
      assert.equal(ctx.sets(), 1);
      assert.equal(ctx.delta, 0);
    },
  },
  {
    name: "HTTP 401 once: one refresh, the call retried with the new token, succeeds",
    auth: true,
    plan: () => [{ match: "hello", fault: "401", times: 1 }],
    call: { op: "graphql", query: "{ hello }", login: ALICE },
    check(r, ctx) {
      succeeded(r);
      assert.equal(ctx.proxy.count("hello"), 2);
      assert.equal(ctx.proxy.count(isRefresh), 1, "exactly one refresh");
      const [a, b] = ctx.proxy.matching("hello");
      assert.ok(a.headers.authorization && b.headers.authorization, "both attempts carried a token");
      assert.notEqual(a.headers.authorization, b.headers.authorization, "the retry used the refreshed token");
      assert.notEqual(r.tokenAfter, r.tokenBefore, "client.token is the refreshed token");
    },
  },
  {
    name: "GraphQL UNAUTHENTICATED once: one refresh, retried, succeeds",
    auth: true,
    plan: () => [{ match: "hello", fault: "unauthenticated", times: 1 }],
    call: { op: "graphql", query: "{ hello }", login: ALICE },
    check(r, ctx) {
      succeeded(r);
      assert.equal(ctx.proxy.count("hello"), 2);
      assert.equal(ctx.proxy.count(isRefresh), 1);
    },
  },
  {
    name: "401 forever: UNAUTHENTICATED after exactly one refresh (no loop)",
    auth: true,
    plan: () => [{ match: "hello", fault: "401", times: 100 }],
    call: { op: "graphql", query: "{ hello }", login: ALICE },
    check(r, ctx) {
      rejected(r, "UNAUTHENTICATED");
      assert.equal(ctx.proxy.count("hello"), 2, "retried once after one refresh");
      assert.equal(ctx.proxy.count(isRefresh), 1);
    },
  },
  {
    name: "5 concurrent calls answered 401: they share one refresh",
    auth: true,
    plan: () => [{ match: "hello", fault: "401", times: 5 }],
    call: { op: "graphql", query: "{ hello }", login: ALICE, concurrent: 5 },
    check(r, ctx) {
      succeeded(r);
      assert.deepEqual(r.all.map((x) => x.ok), [true, true, true, true, true], JSON.stringify(r.all));
      assert.equal(ctx.proxy.count(isRefresh), 1, "concurrent calls share one refresh");
      assert.equal(ctx.proxy.count("hello"), 10);
    },
  },
  {
    name: "abort with a non-Error reason during a stall: ABORTED, module still usable",
    plan: () => [{ match: "hello", fault: "stall", times: 1 }],
    call: { op: "graphql", query: "{ hello }", abortAfterMs: 200, abortReason: "string", after: {} },
    check(r, ctx) {
      rejected(r, "ABORTED");
      assert.ok(r.elapsed < 3_000, `aborted after ${r.elapsed} ms`);
      assert.equal(ctx.proxy.count("hello"), 2, "the aborted call is not retried (2nd is the after-check)");
      assert.equal(r.afterOk, true, "the module still works after the abort");
    },
  },
  {
    name: "abort with an Error reason: ABORTED",
    plan: () => [{ match: "hello", fault: "stall", times: 1 }],
    call: { op: "graphql", query: "{ hello }", abortAfterMs: 200, abortReason: "error", after: {} },
    check(r) {
      rejected(r, "ABORTED");
      assert.equal(r.afterOk, true);
    },
  },
];

/**
 * Registers the suite. `makeExec(env)` (called in `before`) resolves an executor
 * `(descriptor) => result` and optionally a `close()`; env = { openProxy, authProxy }.
 */
export function faultSuite(label, makeExec) {
  describe(`fault injection (${label})`, () => {
    let open, auth, openProxy, authProxy, flowId, exec;
    const figures = { cases: 0, attempts: 0, writes: 0 };
    before(async () => {
      [open, auth] = await Promise.all([startServer([]), startServer(AUTH_ARGS, { name: "auth-server" })]);
      openProxy = await startFaultProxy({ target: open.url, staticDir: pkgDir });
      authProxy = await startFaultProxy({ target: auth.url, staticDir: pkgDir });
      ({ flowId } = await seedFlow(open.url));
      exec = await makeExec({ openProxy, authProxy, open, auth });
    });
    after(async () => {
      await exec?.close?.();
      await openProxy?.close();
      await authProxy?.close();
      await open?.kill();
      await auth?.kill();
      console.log(`# figures (${label}): ${figures.cases} cases, ${figures.attempts} attempts seen by the proxy, ${figures.writes} state rows written`);
    });

    for (const c of CASES) {
      test(c.name, { timeout: 30_000 }, async () => {
        const proxy = c.auth ? authProxy : openProxy;
        const server = c.auth ? auth : open;
        const runId = c.auth ? null : await createRun(open.url, flowId);
        const rowsBefore = runId ? await stateRows(open.url, runId) : 0;
        proxy.reset();
        const ctx = {
          proxy,
          runId,
          isRead: (b) => runId !== null && b.includes(runId) && !isSet(b),
        };
        ctx.reads = () => proxy.count(ctx.isRead);
        ctx.sets = () => proxy.count(isSet);
        if (c.plan) proxy.plan(c.plan(ctx).map((rule) => ({ ...rule })));
        if (c.setup) c.setup(ctx);
        // the login itself must not meet the planned faults
        if (c.call.login) for (const rule of proxy.rules) {
          const m = rule.match;
          rule.match = (b, req) => !isLogin(b) && (typeof m === "string" ? b.includes(m) : m ? m(b, req) : true);
        }
        const d = {
          ...c.call,
          runId,
          client: { apiServer: proxy.url, ...(c.call.client ?? {}) },
          after: c.call.after ? { client: { apiServer: proxy.url } } : undefined,
        };
        const r = await exec(d);
        ctx.delta = runId ? (await stateRows(open.url, runId)) - rowsBefore : 0;
        figures.cases += 1;
        figures.attempts += proxy.attempts.length;
        figures.writes += ctx.delta;
        assert.ok(server.alive(), "the dev server is still up");
        assert.ok(ctx.delta <= 1, `a single setState wrote ${ctx.delta} states`);
        c.check(r, ctx);
      });
    }
  });
}

// The REST client's cases against a real Prefect 3.9.1 server, shared by rest-client.test.mjs in
// Node and in headless Chromium (not a test file itself: node --test skips this name).
//
// Each case: `setup(h)` prepares what it needs on the server with raw fetch (h.api), `run(P, d)`
// is the client's part, executed where the package is loaded (in Node, or shipped as source into
// a page on another origin than the server), and returns plain JSON; `check(r, d, h)` asserts in
// Node, reading the server's truth with raw fetch again. `P` is the package plus helpers:
// `P.client(url?, options?)` a REST client logged in with the server's Basic credentials,
// `P.settle(promise)` → `{ ok, value }` or the PrefectError described.
import assert from "node:assert/strict";

/** Runs one case's `run` where `globalThis.__prefect` is the package; self-contained (shipped to the page as source). */
export async function runCase({ src, d }) {
  const pkg = globalThis.__prefect;
  const plain = (v) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
  const err = (e) => ({
    ok: false,
    isPrefectError: e instanceof pkg.PrefectError,
    isError: e instanceof Error,
    name: e?.name,
    code: e?.code,
    status: e?.status,
    details: e?.details === undefined ? undefined : plain(e.details),
    message: String(e?.message ?? e),
  });
  const P = {
    ...pkg,
    err,
    settle: async (promise) => {
      try {
        return { ok: true, value: plain(await promise) };
      } catch (e) {
        return err(e);
      }
    },
    client: async (url = d.api, options = {}) => {
      const c = new pkg.Client({ api: "rest", apiServer: url, ...options });
      await c.login(d.user, d.password);
      return c;
    },
  };
  try {
    const fn = (0, eval)(`(${src})`);
    return plain(await fn(P, d));
  } catch (e) {
    return { setupError: String(e?.stack ?? e) };
  }
}

export function rejected(r, code, status) {
  assert.equal(r?.setupError, undefined, r?.setupError);
  assert.equal(r.ok, false, `expected ${code}, got success: ${JSON.stringify(r.value)}`);
  assert.equal(r.code, code, `${r.code}: ${r.message}`);
  assert.ok(r.isPrefectError && r.isError && r.name === "PrefectError", `not a PrefectError: ${r.name}`);
  if (status !== undefined) assert.equal(r.status, status);
}

export function resolved(r) {
  assert.equal(r?.setupError, undefined, r?.setupError);
  assert.equal(r.ok, true, `expected success, got ${r.code}: ${r.message}`);
  return r.value;
}

const later = (ms) => new Date(Date.now() + ms).toISOString();
const states = async (h, id, kind = "flow_run") => (await h.api("GET", `/${kind}_states/?${kind}_id=${id}`)).json.map((s) => s.type);

export const CASES = [
  {
    name: "create from a flow: name, parameters, context, labels as tags, idempotencyKey, scheduledStartTime",
    setup: async (h) => ({ key: `key-${Math.random()}`, at: later(3_600_000) }),
    run: async (P, d) => {
      const c = await P.client();
      const runs = new P.FlowRuns(c);
      const options = { name: "rest-create", parameters: { x: 1, nested: { y: [1, 2] } }, context: { origin: "js" }, labels: ["a", "b"], idempotencyKey: d.key };
      const first = await P.settle(runs.create(d.flowId, options));
      const again = await P.settle(runs.create(d.flowId, options));
      const scheduled = await P.settle(runs.create(d.flowId, { scheduledStartTime: new Date(d.at) }));
      const plain = await P.settle(runs.create(d.flowId));
      return { first, again, scheduled, plain };
    },
    check: async (r, d, h) => {
      const { id } = resolved(r.first);
      assert.equal(resolved(r.again).id, id, "the same idempotency key answers the same run");
      const run = (await h.api("GET", `/flow_runs/${id}`)).json;
      assert.deepEqual([run.name, run.parameters, run.context, run.tags, run.idempotency_key, run.flow_id], ["rest-create", { x: 1, nested: { y: [1, 2] } }, { origin: "js" }, ["a", "b"], d.key, d.flowId]);
      assert.equal(run.state.type, "PENDING");
      const scheduled = (await h.api("GET", `/flow_runs/${resolved(r.scheduled).id}`)).json;
      assert.equal(scheduled.state.type, "SCHEDULED");
      assert.equal(Date.parse(scheduled.state.state_details.scheduled_time), Date.parse(d.at));
      assert.equal((await h.api("GET", `/flow_runs/${resolved(r.plain).id}`)).json.state.type, "PENDING");
    },
  },
  {
    name: "create from a deployment: the run belongs to it and starts SCHEDULED",
    setup: async (h) => ({ deploymentId: await h.deployment() }),
    run: async (P, d) => {
      const runs = new P.FlowRuns(await P.client());
      return P.settle(runs.create("", { deploymentId: d.deploymentId, parameters: { x: 5 }, labels: ["from-js"] }));
    },
    check: async (r, d, h) => {
      const run = (await h.api("GET", `/flow_runs/${resolved(r).id}`)).json;
      assert.deepEqual([run.deployment_id, run.flow_id, run.parameters.x, run.state.type], [d.deploymentId, d.flowId, 5, "SCHEDULED"]);
      assert.ok(run.tags.includes("from-js"), JSON.stringify(run.tags));
    },
  },
  {
    name: "getState: the server's type, its display name, version null, inline data as result, serializedState as held",
    setup: async (h) => {
      const id = await h.run();
      await h.api("POST", `/flow_runs/${id}/set_state`, { state: { type: "RUNNING" } });
      await h.api("POST", `/flow_runs/${id}/set_state`, { state: { type: "COMPLETED", data: { answer: 42 } } });
      return { id };
    },
    run: async (P, d) => P.settle(new P.FlowRuns(await P.client()).getState(d.id)),
    check: async (r, d, h) => {
      const s = resolved(r);
      const held = (await h.api("GET", `/flow_runs/${d.id}`)).json.state;
      assert.deepEqual([s.id, s.type, s.name, s.version, s.result, s.message, s.timestamp], [d.id, "COMPLETED", "Completed", null, { answer: 42 }, null, held.timestamp]);
      assert.deepEqual(s.serializedState, held);
    },
  },
  {
    name: "setState ACCEPT on a flow run: names in any case, message and result; the history has each state once",
    setup: async (h) => ({ id: await h.run() }),
    run: async (P, d) => {
      const runs = new P.FlowRuns(await P.client());
      const running = await P.settle(runs.setState(d.id, "running"));
      const done = await P.settle(runs.setState(d.id, { type: "Completed", message: "all good" }, { result: { rows: [1, 2] } }));
      const read = await P.settle(runs.getState(d.id));
      return { running, done, read };
    },
    check: async (r, d, h) => {
      assert.deepEqual([resolved(r.running).type, resolved(r.running).name], ["RUNNING", "Running"]);
      const done = resolved(r.done);
      assert.deepEqual([done.type, done.message, done.result], ["COMPLETED", "all good", { rows: [1, 2] }]);
      assert.deepEqual(resolved(r.read).result, { rows: [1, 2] });
      assert.deepEqual(await states(h, d.id), ["PENDING", "RUNNING", "COMPLETED"]);
    },
  },
  {
    name: "task runs: getState; ABORT while the flow run is not running; ACCEPT once it is",
    setup: async (h) => {
      const flowRunId = await h.run();
      const task = await h.api("POST", "/task_runs/", { flow_run_id: flowRunId, task_key: "t", dynamic_key: "0", name: "t-0" });
      return { flowRunId, taskRunId: task.json.id };
    },
    run: async (P, d) => {
      const c = await P.client();
      const tasks = new P.TaskRuns(c);
      const first = await P.settle(tasks.getState(d.taskRunId));
      const aborted = await P.settle(tasks.setState(d.taskRunId, "RUNNING"));
      await new P.FlowRuns(c).setState(d.flowRunId, "RUNNING");
      const running = await P.settle(tasks.setState(d.taskRunId, "RUNNING"));
      const done = await P.settle(tasks.setState(d.taskRunId, "COMPLETED", { result: 7 }));
      return { first, aborted, running, done };
    },
    check: async (r, d, h) => {
      assert.deepEqual([resolved(r.first).type, resolved(r.first).id], ["PENDING", d.taskRunId]);
      rejected(r.aborted, "STATE_REJECTED");
      assert.equal(r.aborted.details.status, "ABORT");
      assert.match(r.aborted.details.reason, /flow must be running/);
      assert.equal(r.aborted.details.state.type, "PENDING");
      assert.equal(resolved(r.running).type, "RUNNING");
      assert.deepEqual([resolved(r.done).type, resolved(r.done).result], ["COMPLETED", 7]);
      assert.deepEqual(await states(h, d.taskRunId, "task_run"), ["PENDING", "RUNNING", "COMPLETED"]);
    },
  },
  {
    name: "REJECT and WAIT are STATE_REJECTED with details; force skips the rules",
    setup: async (h) => {
      const done = await h.run();
      await h.api("POST", `/flow_runs/${done}/set_state`, { state: { type: "RUNNING" } });
      // Prefect refuses to re-run a COMPLETED run that has result data.
      await h.api("POST", `/flow_runs/${done}/set_state`, { state: { type: "COMPLETED", data: { answer: 1 } } });
      const future = await h.run({ state: { type: "SCHEDULED", state_details: { scheduled_time: later(3_600_000) } } });
      return { done, future };
    },
    run: async (P, d) => {
      const runs = new P.FlowRuns(await P.client());
      const reject = await P.settle(runs.setState(d.done, "RUNNING"));
      const wait = await P.settle(runs.setState(d.future, "RUNNING"));
      const forced = await P.settle(runs.setState(d.done, "RUNNING", { force: true }));
      return { reject, wait, forced };
    },
    check: async (r, d, h) => {
      rejected(r.reject, "STATE_REJECTED");
      assert.deepEqual([r.reject.details.status, r.reject.details.reason, r.reject.details.state.type], ["REJECT", "Run is already COMPLETED.", "COMPLETED"]);
      assert.equal(r.reject.details.delaySeconds, undefined);
      rejected(r.wait, "STATE_REJECTED");
      assert.equal(r.wait.details.status, "WAIT");
      assert.ok(r.wait.details.delaySeconds > 3500 && r.wait.details.delaySeconds <= 3600, String(r.wait.details.delaySeconds));
      assert.equal(r.wait.details.state.type, "SCHEDULED");
      assert.equal(resolved(r.forced).type, "RUNNING");
      assert.deepEqual(await states(h, d.done), ["PENDING", "RUNNING", "COMPLETED", "RUNNING"]);
      assert.deepEqual(await states(h, d.future), ["SCHEDULED"]);
    },
  },
  {
    name: "expectedState: a mismatch is STATE_MISMATCH and writes nothing; a match writes",
    setup: async (h) => ({ id: await h.run() }),
    run: async (P, d) => {
      const runs = new P.FlowRuns(await P.client());
      const mismatch = await P.settle(runs.setState(d.id, "RUNNING", { expectedState: "Scheduled" }));
      const match = await P.settle(runs.setState(d.id, "RUNNING", { expectedState: "pending" }));
      const invalid = await P.settle(runs.setState(d.id, "RUNNING", { expectedState: "Success" }));
      return { mismatch, match, invalid };
    },
    check: async (r, d, h) => {
      rejected(r.mismatch, "STATE_MISMATCH");
      assert.equal(resolved(r.match).type, "RUNNING");
      rejected(r.invalid, "INVALID_ARGUMENT");
      assert.deepEqual(await states(h, d.id), ["PENDING", "RUNNING"]);
    },
  },
  {
    name: "run(): a deployment's run is scheduled now; startTasks/inputs are INVALID_ARGUMENT",
    setup: async (h) => {
      const deploymentId = await h.deployment();
      const run = await h.api("POST", `/deployments/${deploymentId}/create_flow_run`, { state: { type: "SCHEDULED", state_details: { scheduled_time: later(86_400_000) } } });
      return { id: run.json.id };
    },
    run: async (P, d) => {
      const runs = new P.FlowRuns(await P.client());
      const before = Date.now();
      const ran = await P.settle(runs.run(d.id));
      const tasks = await P.settle(runs.run(d.id, { startTasks: ["t"] }));
      const inputs = await P.settle(runs.run(d.id, { inputs: { t: 1 } }));
      return { before, ran, tasks, inputs };
    },
    check: async (r, d, h) => {
      const s = resolved(r.ran);
      assert.equal(s.type, "SCHEDULED");
      const at = Date.parse((await h.api("GET", `/flow_runs/${d.id}`)).json.state.state_details.scheduled_time);
      assert.ok(at >= r.before - 1000 && at < r.before + 60_000, `scheduled at ${new Date(at).toISOString()}`);
      rejected(r.tasks, "INVALID_ARGUMENT");
      rejected(r.inputs, "INVALID_ARGUMENT");
      assert.deepEqual(await states(h, d.id), ["SCHEDULED", "SCHEDULED"]);
    },
  },
  {
    name: "Basic auth: a wrong pair is UNAUTHENTICATED and keeps nothing; the right one is sent on every call",
    setup: async (h) => ({ id: await h.run() }),
    run: async (P, d) => {
      const c = new P.Client({ api: "rest", apiServer: d.api });
      const none = await P.settle(new P.FlowRuns(c).getState(d.id));
      const wrong = await P.settle(c.login(d.user, "wrong-password"));
      const afterWrong = await P.settle(new P.FlowRuns(c).getState(d.id));
      const right = await P.settle(c.login(d.user, d.password));
      const afterRight = await P.settle(new P.FlowRuns(c).getState(d.id));
      const refresh = await P.settle(c.refreshToken());
      const graphql = await P.settle(c.graphql("{ hello }"));
      const account = await P.settle(c.login(d.user, d.password, { accountSlug: "team" }));
      return { none, wrong, afterWrong, right, afterRight, refresh, graphql, account, token: c.token ?? null };
    },
    check: async (r) => {
      rejected(r.none, "UNAUTHENTICATED", 401);
      rejected(r.wrong, "UNAUTHENTICATED", 401);
      rejected(r.afterWrong, "UNAUTHENTICATED", 401);
      assert.equal(resolved(r.right), null);
      assert.equal(resolved(r.afterRight).type, "PENDING");
      rejected(r.refresh, "INVALID_ARGUMENT");
      rejected(r.graphql, "INVALID_ARGUMENT");
      rejected(r.account, "INVALID_ARGUMENT");
      assert.equal(r.token, null, "Basic credentials are not a token");
    },
  },
  {
    name: "404, 409 and 422: NOT_FOUND, NOT_FOUND, HTTP with the server's detail",
    setup: async () => ({ missing: "00000000-0000-4000-8000-000000000404" }),
    run: async (P, d) => {
      const c = await P.client();
      const missing = await P.settle(new P.FlowRuns(c).getState(d.missing));
      const missingTask = await P.settle(new P.TaskRuns(c).setState(d.missing, "RUNNING"));
      const conflict = await P.settle(new P.FlowRuns(c).create(d.missing));
      const invalid = await P.settle(c.request("POST", "/flow_runs/", { body: { flow_id: d.flowId, state: { type: "running" } } }));
      return { missing, missingTask, conflict, invalid };
    },
    check: async (r) => {
      rejected(r.missing, "NOT_FOUND", 404);
      assert.match(r.missing.message, /Flow run not found/);
      rejected(r.missingTask, "NOT_FOUND", 404);
      rejected(r.conflict, "NOT_FOUND", 409);
      rejected(r.invalid, "HTTP", 422);
      assert.equal(r.invalid.details.exception_detail[0].loc.join("."), "body.state.type");
    },
  },
  {
    name: "request(): GET, POST filter, PATCH, DELETE; parsed bodies; a signal aborts",
    setup: async (h) => ({ id: await h.run({ name: "req-run" }) }),
    run: async (P, d) => {
      const c = await P.client();
      const version = await P.settle(c.request("GET", "/admin/version"));
      const filtered = await P.settle(c.request("POST", "/flow_runs/filter", { body: { flow_runs: { id: { any_: [d.id] } } } }));
      const patched = await P.settle(c.request("PATCH", `/flow_runs/${d.id}`, { body: { name: "renamed" } }));
      const read = await P.settle(c.request("GET", `/flow_runs/${d.id}`));
      const ac = new AbortController();
      ac.abort();
      const aborted = await P.settle(c.request("GET", "/admin/version", { signal: ac.signal }));
      const deleted = await P.settle(c.request("DELETE", `/flow_runs/${d.id}`));
      const gone = await P.settle(new P.FlowRuns(c).getState(d.id));
      return { version, filtered, patched, read, aborted, deleted, gone };
    },
    check: async (r, d) => {
      assert.equal(resolved(r.version), "3.9.1");
      assert.deepEqual(resolved(r.filtered).map((x) => x.id), [d.id]);
      assert.equal(resolved(r.patched), null, "204: null");
      assert.equal(resolved(r.read).name, "renamed");
      rejected(r.aborted, "ABORTED");
      assert.equal(resolved(r.deleted), null);
      rejected(r.gone, "NOT_FOUND", 404);
    },
  },
  {
    name: "wait() and watch() on REST: resolve at a terminal state; watch yields each new state once",
    setup: async (h) => ({ id: await h.run(), other: await h.run() }),
    run: async (P, d) => {
      const c = await P.client();
      const runs = new P.FlowRuns(c);
      const waiting = P.settle(runs.wait(d.id, { intervalMs: 50 }));
      const until = P.settle(runs.wait(d.id, { intervalMs: 50, until: ["running"] }));
      const seen = [];
      const watching = (async () => {
        for await (const s of runs.watch(d.id, { intervalMs: 50 })) seen.push(s.type);
      })();
      await new Promise((r) => setTimeout(r, 300));
      await runs.setState(d.id, "RUNNING");
      await new Promise((r) => setTimeout(r, 300));
      await runs.setState(d.id, "FAILED", { result: { error: "x" } });
      const timeout = await P.settle(runs.wait(d.other, { intervalMs: 50, timeoutMs: 300 }));
      const badUntil = await P.settle(runs.wait(d.other, { until: ["Success"] }));
      await watching;
      return { waited: await waiting, until: await until, seen, timeout, badUntil };
    },
    check: async (r) => {
      assert.deepEqual([resolved(r.waited).type, resolved(r.waited).result], ["FAILED", { error: "x" }]);
      assert.equal(resolved(r.until).type, "RUNNING");
      assert.deepEqual(r.seen, ["PENDING", "RUNNING", "FAILED"]);
      rejected(r.timeout, "TIMEOUT");
      rejected(r.badUntil, "INVALID_ARGUMENT");
    },
  },
  {
    name: "retries through the fault proxy: a lost setState answer is repeated with the same transition id and applied once",
    setup: async (h) => {
      const id = await h.run();
      h.proxy.reset().plan([{ match: (_, req) => req.url.endsWith("/set_state"), fault: "reset-mid-body", times: 1 }]);
      return { id };
    },
    run: async (P, d) => P.settle(new P.FlowRuns(await P.client(d.proxy)).setState(d.id, "RUNNING")),
    check: async (r, d, h) => {
      assert.equal(resolved(r).type, "RUNNING");
      const sets = h.proxy.attempts.filter((a) => a.path.endsWith("/set_state"));
      assert.equal(sets.length, 2, "the lost answer was asked for again");
      assert.ok(sets[0].forwarded, "the first attempt reached the server");
      const ids = sets.map((a) => JSON.parse(a.body).state.state_details.transition_id);
      assert.equal(ids[0], ids[1], "one transition id for the call");
      assert.deepEqual(await states(h, d.id), ["PENDING", "RUNNING"], "written once");
    },
  },
  {
    name: "retries: a keyed create is repeated and makes one run; without a key it is not repeated; reads retry 503",
    setup: async (h) => {
      const id = await h.run();
      h.proxy.reset().plan([
        { match: (body, req) => req.url === "/api/flow_runs/" && body.includes("keyed"), fault: "reset-mid-body", times: 1 },
        { match: (body, req) => req.url === "/api/flow_runs/" && body.includes("unkeyed"), fault: "reset-mid-body", times: 1 },
        { match: (_, req) => req.method === "GET" && req.url.includes(id), fault: "status", status: 503, times: 2 },
      ]);
      return { id, key: `key-${Math.random()}` };
    },
    run: async (P, d) => {
      const runs = new P.FlowRuns(await P.client(d.proxy));
      const keyed = await P.settle(runs.create(d.flowId, { name: "keyed", idempotencyKey: d.key }));
      const unkeyed = await P.settle(runs.create(d.flowId, { name: "unkeyed" }));
      const read = await P.settle(runs.getState(d.id));
      return { keyed, unkeyed, read };
    },
    check: async (r, d, h) => {
      const { id } = resolved(r.keyed);
      const keyed = (await h.api("POST", "/flow_runs/filter", { flow_runs: { id: { any_: [id] } } })).json;
      assert.equal(keyed.length, 1);
      const byKey = (await h.api("POST", "/flow_runs/filter", { flow_runs: { name: { any_: ["keyed"] } } })).json.filter((x) => x.idempotency_key === d.key);
      assert.equal(byKey.length, 1, "one run for the key");
      rejected(r.unkeyed, "NETWORK");
      const attempts = (name) => h.proxy.attempts.filter((a) => a.path === "/api/flow_runs/" && a.body.includes(name)).length;
      assert.deepEqual([attempts("\"keyed\""), attempts("unkeyed")], [2, 1]);
      assert.equal(resolved(r.read).type, "PENDING");
      assert.equal(h.proxy.attempts.filter((a) => a.method === "GET" && a.path.includes(d.id)).length, 3);
    },
  },
  {
    name: "hostile input: INVALID_ARGUMENT before anything is sent, and the module keeps working",
    setup: async (h) => ({ id: await h.run() }),
    run: async (P, d) => {
      const c = await P.client();
      const runs = new P.FlowRuns(c);
      const cyclic = {};
      cyclic.self = cyclic;
      const throwing = Object.defineProperty({}, "type", { get() { throw new Error("boom"); }, enumerable: true });
      const calls = [
        runs.getState("../../admin/version"),
        runs.getState(d.id + "/set_state"),
        new P.TaskRuns(c).getState("x?y=1"),
        runs.create(d.flowId, { deploymentId: "../deployments" }),
        runs.create("not-a-uuid"),
        runs.create(d.flowId, { parameters: cyclic }),
        runs.create(d.flowId, { labels: [1, 2] }),
        runs.setState(d.id, "Success"),
        runs.setState(d.id, "RUNNING\u0000"),
        runs.setState(d.id, throwing),
        runs.setState(d.id, { type: "RUNNING", state_details: "x" }),
        runs.setState(d.id, "RUNNING", { result: cyclic }),
        runs.setState(d.id, "RUNNING", { force: "yes" }),
        c.request("PUT", "/flow_runs/"),
        c.request("GET", "http://evil.example/x"),
        c.request("GET", "flow_runs"),
        c.request("GET", "/flow_runs/ x"),
        c.request("GET", "/flow_runs/\r\nX-Injected: 1"),
        c.request("GET", "/admin/version", { body: { a: 1 } }),
        c.request("POST", "/flow_runs/filter", { body: cyclic }),
        c.request(42, "/x"),
        c.request("GET", { toString: () => "/x" }),
      ];
      const results = [];
      for (const call of calls) results.push(await P.settle(call));
      const still = await P.settle(runs.getState(d.id));
      let ctor;
      try {
        new P.Client({ api: "rest", apiServer: "javascript:alert(1)" });
      } catch (e) {
        ctor = P.err(e);
      }
      return { results, still, ctor };
    },
    check: async (r, d, h) => {
      r.results.forEach((x, i) => assert.deepEqual([i, x.code, x.isPrefectError], [i, "INVALID_ARGUMENT", true], `call ${i}: ${JSON.stringify(x)}`));
      assert.equal(resolved(r.still).type, "PENDING");
      assert.equal(r.ctor?.code, "INVALID_ARGUMENT");
      assert.deepEqual(await states(h, d.id), ["PENDING"], "nothing was written");
    },
  },
];

// The Prefect 3 harness works (issue #14): a real `prefect server start` (.venv/prefect3) through
// tests/support/prefect3-server.mjs, a raw-fetch round trip of the REST calls our client will make
// (create a flow, create a run, read it, set its state), Basic auth on and off, and a real
// flow.serve() process (tests/support/prefect3-serve.mjs) executing a deployment run to COMPLETED.
// Start-up time and memory are printed as `# ...` lines. The REST client's own cases join this layer.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startPrefect3Server } from "../support/prefect3-server.mjs";
import { startServe } from "../support/prefect3-serve.mjs";
import { waitFor } from "../support/processes.mjs";

let server;
let served;

async function api(srv, method, path, body, headers = srv.headers) {
  const res = await fetch(`${srv.apiUrl}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, text };
}

function mb(bytes) {
  return bytes === null ? "?" : `${Math.round(bytes / (1 << 20))} MB`;
}

before(async () => {
  // With all the loop services running, SQLite answers 503 (SQLITE_BUSY) under load: only the task
  // run recorder, which the served flow's task runs need.
  server = await startPrefect3Server({ services: "task-runs" });
  console.log(`# prefect3 server: /api/health after ${(server.startupMs / 1000).toFixed(1)} s, RSS ${mb(server.rssBytes())}`);
});

after(async () => {
  await served?.stop();
  await server?.stop();
});

test("raw REST round trip: create flow, create run, read it, set its state (ACCEPT), history", async () => {
  const flow = await api(server, "POST", "/flows/", { name: "harness-flow" });
  assert.equal(flow.status, 201, flow.text);
  const again = await api(server, "POST", "/flows/", { name: "harness-flow" });
  assert.equal(again.status, 200, "the same name is an upsert");
  assert.equal(again.json.id, flow.json.id);
  const run = await api(server, "POST", "/flow_runs/", { flow_id: flow.json.id, name: "harness-run" });
  assert.equal(run.status, 201, run.text);
  assert.equal(run.json.state.type, "PENDING");
  const read = await api(server, "GET", `/flow_runs/${run.json.id}`);
  assert.equal(read.status, 200);
  assert.equal(read.json.name, "harness-run");
  const set = await api(server, "POST", `/flow_runs/${run.json.id}/set_state`, { state: { type: "RUNNING", name: "Running" } });
  assert.equal(set.status, 201, set.text);
  assert.equal(set.json.status, "ACCEPT");
  assert.equal(set.json.state.type, "RUNNING");
  const done = await api(server, "POST", `/flow_runs/${run.json.id}/set_state`, { state: { type: "COMPLETED", name: "Completed" } });
  assert.equal(done.json.status, "ACCEPT", done.text);
  const history = await api(server, "GET", `/flow_run_states/?flow_run_id=${run.json.id}`);
  assert.deepEqual(history.json.map((s) => s.type), ["PENDING", "RUNNING", "COMPLETED"]);
  const missing = await api(server, "GET", "/flow_runs/00000000-0000-0000-0000-000000000000");
  assert.equal(missing.status, 404);
});

test("Basic auth: PREFECT_SERVER_API_AUTH_STRING set, right credentials pass, none or wrong get 401, /api/health stays open", async () => {
  const secured = await startPrefect3Server({ auth: "harness:s3cret", services: false });
  try {
    console.log(`# prefect3 server (--no-services, auth): /api/health after ${(secured.startupMs / 1000).toFixed(1)} s, RSS ${mb(secured.rssBytes())}`);
    const ok = await api(secured, "POST", "/flows/", { name: "secured-flow" });
    assert.equal(ok.status, 201, ok.text);
    const none = await api(secured, "POST", "/flows/", { name: "secured-flow" }, {});
    assert.equal(none.status, 401);
    const wrong = await api(secured, "POST", "/flows/", { name: "secured-flow" }, { authorization: `Basic ${Buffer.from("harness:nope").toString("base64")}` });
    assert.equal(wrong.status, 401);
    assert.equal((await fetch(`${secured.url}/api/health`)).status, 200);
  } finally {
    await secured.stop();
  }
  assert.equal(secured.alive(), false, "stopped by its PID");
});

test("flow.serve(): a served deployment executes a run created from it to COMPLETED, with task runs and logs", async () => {
  const t0 = Date.now();
  served = await startServe("tests/prefect3/flows/served.py", { server, deployment: "smoke-flow/smoke" });
  console.log(`# flow.serve(): deployment visible after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // The served process writes at the same time, and SQLite-backed Prefect answers 503 while its
  // database is busy: the idempotency key makes sending the create again safe.
  const body = { parameters: { x: 20, y: 22 }, idempotency_key: `harness-${Date.now()}` };
  let run;
  for (let attempt = 1; attempt <= 5; attempt++) {
    run = await api(server, "POST", `/deployments/${served.deploymentId}/create_flow_run`, body);
    if (run.status !== 503) break;
    await new Promise((r) => setTimeout(r, 250 * attempt));
  }
  assert.ok(run.status === 201 || run.status === 200, run.text);
  assert.equal(run.json.state.type, "SCHEDULED");
  const t1 = Date.now();
  const final = await waitFor(
    "the served run finishing",
    async () => {
      const r = await api(server, "GET", `/flow_runs/${run.json.id}`);
      return ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"].includes(r.json?.state?.type) ? r.json : null;
    },
    { timeoutMs: 120_000, intervalMs: 500, abortIf: () => (served.alive() ? null : `the serve process exited\n${served.output()}`) },
  );
  console.log(`# flow.serve(): run COMPLETED ${((Date.now() - t1) / 1000).toFixed(1)} s after it was created`);
  assert.equal(final.state.type, "COMPLETED", `${final.state.type}: ${final.state.message}\n${served.output()}`);
  // The engine reports task runs as events and ships logs in batches from a background thread:
  // the server has them shortly after the run ends.
  const taskRuns = await waitFor(
    "the run's task run on the server",
    async () => {
      const r = await api(server, "POST", "/task_runs/filter", { flow_runs: { id: { any_: [run.json.id] } } });
      return r.json?.some((t) => t.state?.type === "COMPLETED") ? r.json : null;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  assert.deepEqual(taskRuns.map((t) => [t.name.replace(/-\w+$/, ""), t.state.type]), [["add", "COMPLETED"]]);
  const logs = await waitFor(
    "the run's log line on the server",
    async () => {
      const r = await api(server, "POST", "/logs/filter", { logs: { flow_run_id: { any_: [run.json.id] } } });
      return r.json?.some((l) => l.message.includes("smoke-flow: 20 + 22 = 42")) ? r.json : null;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  assert.ok(logs.every((l) => l.flow_run_id === run.json.id));
});

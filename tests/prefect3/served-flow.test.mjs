// The real engine on the other side (issue #14): a flow served by `flow.serve()` in a Python
// process (tests/prefect3/flows/served.py) executes the runs our client creates from its
// deployment. From Node, with the package's Node build: create a run, `wait()` until it is
// COMPLETED, read its task runs and logs through `request()`; a failing flow ends FAILED; and
// `setState(id, "CANCELLING")` stops a running flow run. Task runs (reported as events) and logs
// (shipped in batches) reach the server shortly after the run ends: read with a bounded waitFor.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, test } from "node:test";
import { startPrefect3Server } from "../support/prefect3-server.mjs";
import { startServe } from "../support/prefect3-serve.mjs";
import { root, waitFor } from "../support/processes.mjs";

const pkgDir = process.env.PREFECT_WASM_PKG ? path.resolve(process.env.PREFECT_WASM_PKG) : path.join(root, "pkg");
const { Client, FlowRuns } = createRequire(import.meta.url)(path.join(pkgDir, "node/prefect_wasm.js"));

let server, served, client, flowRuns;

before(async () => {
  // Only the task run recorder among the loop services: the served flow's task runs need it, and
  // the others make SQLite answer 503 under load.
  server = await startPrefect3Server({ services: "task-runs" });
  served = await startServe("tests/prefect3/flows/served.py", { server, deployment: "smoke-flow/smoke" });
  client = new Client({ api: "rest", apiServer: server.apiUrl });
  flowRuns = new FlowRuns(client);
});

after(async () => {
  await served?.stop();
  await server?.stop();
});

// A key on every create: SQLite-backed Prefect answers 503 when its database is busy (the served
// run writes at the same time), and only a keyed create may be sent again.
const key = () => `served-${Math.random().toString(36).slice(2)}`;

const alive = () => (served.alive() ? null : `the serve process exited\n${served.output()}`);

/** `wait()` for a run with a bound, failing with the serve process's output when it does not end. */
async function waitRun(id, options = {}) {
  try {
    return await flowRuns.wait(id, { intervalMs: 250, timeoutMs: 120_000, ...options });
  } catch (e) {
    throw new Error(`${e.code}: ${e.message}\n${served.output()}`);
  }
}

test("a run created from the served deployment is executed: wait() resolves COMPLETED, task runs and logs via request()", async () => {
  const { id } = await flowRuns.create("", { deploymentId: served.deploymentId, parameters: { x: 20, y: 22 }, labels: ["from-js"], idempotencyKey: key() });
  const created = await flowRuns.getState(id);
  assert.equal(created.type, "SCHEDULED");
  const final = await waitRun(id);
  assert.deepEqual([final.type, final.name, final.version], ["COMPLETED", "Completed", null], final.message);
  const run = await client.request("GET", `/flow_runs/${id}`);
  assert.deepEqual([run.deployment_id, run.parameters, run.tags.includes("from-js")], [served.deploymentId, { x: 20, y: 22 }, true]);
  const taskRuns = await waitFor(
    "the run's task run through request()",
    async () => {
      const r = await client.request("POST", "/task_runs/filter", { body: { flow_runs: { id: { any_: [id] } } } });
      return r.some((t) => t.state?.type === "COMPLETED") ? r : null;
    },
    { timeoutMs: 60_000, intervalMs: 500, abortIf: alive },
  );
  assert.deepEqual(taskRuns.map((t) => [t.name.replace(/-\w+$/, ""), t.state.type]), [["add", "COMPLETED"]]);
  const logs = await waitFor(
    "the run's log line through request()",
    async () => {
      const r = await client.request("POST", "/logs/filter", { body: { logs: { flow_run_id: { any_: [id] } } } });
      return r.some((l) => l.message.includes("smoke-flow: 20 + 22 = 42")) ? r : null;
    },
    { timeoutMs: 60_000, intervalMs: 500, abortIf: alive },
  );
  assert.ok(logs.every((l) => l.flow_run_id === id));
});

test("a failing flow ends FAILED, and watch() saw it run", async () => {
  const { id } = await flowRuns.create("", { deploymentId: served.deploymentId, parameters: { fail: true }, idempotencyKey: key() });
  const seen = [];
  for await (const s of flowRuns.watch(id, { intervalMs: 250 })) {
    seen.push(s.type);
    if (seen.length > 50) break;
  }
  assert.equal(seen.at(-1), "FAILED", `${seen.join(" → ")}\n${served.output()}`);
  assert.ok(seen.includes("RUNNING"), seen.join(" → "));
  const final = await flowRuns.getState(id);
  assert.match(final.message ?? "", /fail|ValueError/i);
});

test('setState(id, "CANCELLING") from the client stops a running flow run: it ends CANCELLED', async () => {
  const { id } = await flowRuns.create("", { deploymentId: served.deploymentId, parameters: { sleep: 60 }, idempotencyKey: key() });
  const running = await waitRun(id, { until: ["RUNNING"] });
  assert.equal(running.type, "RUNNING");
  const cancelling = await flowRuns.setState(id, "CANCELLING", { expectedState: "RUNNING" });
  assert.equal(cancelling.type, "CANCELLING");
  const started = Date.now();
  const final = await waitRun(id, { timeoutMs: 50_000 });
  assert.equal(final.type, "CANCELLED", `${final.type}: ${final.message}\n${served.output()}`);
  console.log(`# cancelled ${((Date.now() - started) / 1000).toFixed(1)} s after CANCELLING (the task sleeps 60 s)`);
  assert.ok(served.alive(), "the serve process keeps serving");
});

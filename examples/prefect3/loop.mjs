#!/usr/bin/env node
// The whole loop against a local Prefect 3 server, from Node with prefect-wasm (api: "rest"):
// create a run from a served deployment, follow it with watch() until it is finished, then read
// its task runs and logs with request().
//
//   # terminal 1: a Prefect 3 server           # terminal 2: a served flow
//   prefect server start                        PREFECT_API_URL=http://127.0.0.1:4200/api \
//                                                 python tests/prefect3/flows/served.py
//   # terminal 3 (after `make build`):
//   node examples/prefect3/loop.mjs [--api http://127.0.0.1:4200/api] [--deployment smoke-flow/smoke]
//                                   [--user USER --password PASS]  (a server with PREFECT_SERVER_API_AUTH_STRING)
//
// Exits 0 when the run COMPLETED, 1 otherwise. Uses the package built in pkg/ (scripts/build-pkg.sh);
// in your own project it is `import init, { Client, FlowRuns } from "prefect-wasm"`.
import { parseArgs } from "node:util";
import init, { Client, FlowRuns, PrefectError } from "../../pkg/node/index.js";

const { values: args } = parseArgs({
  options: {
    api: { type: "string", default: process.env.PREFECT_API_URL ?? "http://127.0.0.1:4200/api" },
    deployment: { type: "string", default: "smoke-flow/smoke" },
    user: { type: "string" },
    password: { type: "string" },
    x: { type: "string", default: "20" },
    y: { type: "string", default: "22" },
  },
});

process.on("uncaughtException", (e) => {
  console.error(e instanceof PrefectError ? `${e.code}: ${e.message}` : e);
  process.exit(1);
});

await init();
const client = new Client({ api: "rest", apiServer: args.api });
if (args.user !== undefined) await client.login(args.user, args.password ?? "");
const flowRuns = new FlowRuns(client);

const [flowName, deploymentName] = args.deployment.split("/");
const deployment = await client.request("GET", `/deployments/name/${encodeURIComponent(flowName)}/${encodeURIComponent(deploymentName)}`);
const { id } = await flowRuns.create(deployment.flow_id, {
  deploymentId: deployment.id,
  parameters: { x: Number(args.x), y: Number(args.y) },
  labels: ["prefect-wasm-example"],
  // A key makes the create safe to send again after a lost answer or a 503.
  idempotencyKey: `loop-${Date.now()}`,
});
console.log(`created flow run ${id} from ${args.deployment}`);

let last;
for await (const state of flowRuns.watch(id, { intervalMs: 500 })) {
  console.log(`  ${state.timestamp}  ${state.type.padEnd(10)} ${state.name}${state.message ? `: ${state.message}` : ""}`);
  last = state;
}

// Task runs (reported as events) and logs (sent in batches) reach the server shortly after the run ends.
const poll = async (what, read, ok) => {
  for (let i = 0; i < 40; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`  (no ${what} yet)`);
  return [];
};
const taskRuns = await poll("task runs", () => client.request("POST", "/task_runs/filter", { body: { flow_runs: { id: { any_: [id] } } } }), (r) => r.length > 0);
for (const t of taskRuns) console.log(`task run ${t.name}: ${t.state?.type}`);
const logs = await poll("logs", () => client.request("POST", "/logs/filter", { body: { logs: { flow_run_id: { any_: [id] } } } }), (r) => r.length > 0);
for (const l of logs) console.log(`log ${l.level}: ${l.message}`);

console.log(`flow run ${id} ended ${last?.type}`);
process.exit(last?.type === "COMPLETED" ? 0 : 1);

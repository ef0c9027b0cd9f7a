// Shared steps of the prefect1 layer (not a test file: node --test skips this name): single calls
// of the real Prefect 1.4.1 client (client_calls.py), the real CLI and agent, and reads of what they
// left on the server through direct GraphQL (not the client under test).
import path from "node:path";
import { gql } from "../reliability/_harness.mjs";
import { root, waitFor } from "../support/processes.mjs";
import { runPrefect1, startPrefect1 } from "../support/prefect1-process.mjs";

export const TEST_LABEL = "prefect1-test";
const CALLS = path.join(root, "tests/prefect1/client_calls.py");
const FLOWS = path.join(root, "tests/prefect1/flows");

/** Finished Prefect 1 state types (flow and task runs). */
export const FINISHED = new Set(["Success", "Failed", "TriggerFailed", "TimedOut", "ValidationFailed", "Cancelled", "Skipped", "Cached", "Mapped", "Looped", "Finished"]);

/** Runs one call of client_calls.py; resolves its JSON answer or throws with the process output. */
export async function call(ctx, args, { maxMs = 120_000 } = {}) {
  const r = await runPrefect1([CALLS, ...args], { ...ctx, maxMs, name: `client_calls ${args[0]}` });
  const last = r.stdout.trim().split("\n").pop();
  if (r.code !== 0 || !last?.startsWith("{")) throw new Error(`client_calls.py ${args.join(" ")} failed (exit ${r.code}${r.timedOut ? ", timed out" : ""})\n${r.output}`);
  return JSON.parse(last);
}

/** `prefect register --project P -p flows/<file>.py ...` (the CLI); resolves the process result. */
export function cliRegister(ctx, project, files) {
  return runPrefect1(["register", "--project", project, ...files.flatMap((f) => ["-p", path.join(FLOWS, f)])], {
    ...ctx,
    program: "prefect",
    maxMs: 180_000,
    name: "prefect register",
  });
}

/** The real local agent with the test label (and no hostname label), bounded by `maxMs`. */
export function startAgent(ctx, { labels = [TEST_LABEL], maxMs = 8 * 60_000 } = {}) {
  return startPrefect1(["agent", "local", "start", ...labels.flatMap((l) => ["-l", l]), "--no-hostname-label", "--log-level", "debug"], {
    ...ctx,
    maxMs,
    name: "prefect agent",
  });
}

/** The flow id of the newest version of flow `name`, or null. */
export async function flowIdByName(url, name, headers = {}) {
  const d = await gql(url, "query($name: String) { flow(where: {name: {_eq: $name}}, order_by: {version: desc}, limit: 1) { id } }", { name }, headers);
  return d.flow[0]?.id ?? null;
}

const RUN_DETAILS = `query($id: uuid!) {
  flow_run_by_pk(id: $id) {
    id name state state_message serialized_state labels heartbeat version
    states(order_by: [{version: asc}, {timestamp: asc}]) { state message version }
    logs(order_by: {timestamp: asc}) { message level task_run_id }
    task_runs(order_by: [{map_index: asc}]) {
      id map_index state state_message serialized_state heartbeat
      task { slug name }
      states(order_by: [{version: asc}, {timestamp: asc}]) { state message version serialized_state }
    }
  }
}`;

/** Everything the tests check about one flow run, read directly from the server. */
export async function runDetails(url, id, headers = {}) {
  const d = await gql(url, RUN_DETAILS, { id }, headers);
  return d.flow_run_by_pk;
}

/** The task runs of `run` (from runDetails) whose task slug starts with `prefix`. */
export function taskRunsOf(run, prefix) {
  return run.task_runs.filter((t) => t.task.slug === prefix || t.task.slug.startsWith(`${prefix}-`));
}

/** Polls the server until every run of `ids` is in a state of `until` (default: finished); resolves id → state. */
export async function waitForRuns(url, ids, { headers = {}, timeoutMs = 240_000, until = FINISHED, agent } = {}) {
  let last = {};
  try {
    return await waitFor(
      `flow runs ${ids.join(", ")} reaching ${[...until].join("/")}`,
      async () => {
        const d = await gql(url, "query($ids: [uuid!]) { flow_run(where: {id: {_in: $ids}}) { id state } }", { ids }, headers);
        last = Object.fromEntries(d.flow_run.map((r) => [r.id, r.state]));
        return ids.every((id) => until.has(last[id])) ? last : null;
      },
      { timeoutMs, intervalMs: 1000, abortIf: () => (agent && !agent.alive() ? "the agent exited" : null) },
    );
  } catch (err) {
    throw new Error(`${err.message}\nlast states: ${JSON.stringify(last)}${agent ? `\n${agent.output(8000)}` : ""}`);
  }
}

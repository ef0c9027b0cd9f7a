// The real Prefect 1.4.1 library registers, runs and watches flows on the open dev server, and our
// wasm client reads what it left there (issue #12). Every Prefect process is the real one from
// .venv/prefect1 (scripts/setup.sh); the server is target/debug/prefect-dev-server.
//
// One server for the file; the tests build on each other in order (register, run with the real
// agent, read, cancel), and each says what it needed when an earlier one left nothing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { gql, loadClient, startServer } from "../reliability/_harness.mjs";
import { prefect1Home } from "../support/prefect1-process.mjs";
import { waitFor } from "../support/processes.mjs";
import { call, cliRegister, flowIdByName, runDetails, startAgent, taskRunsOf, TEST_LABEL, waitForRuns } from "./_harness.mjs";

const PROJECT = "prefect1-layer";
let server;
let ctx;
let agent;
const flows = {};
const runs = {};

function states(history) {
  return history.map((s) => s.state);
}

/** `sequence` appears in `list` in this order (other entries may come between). */
function assertSubsequence(list, sequence, what) {
  let i = 0;
  for (const item of list) if (item === sequence[i]) i++;
  assert.equal(i, sequence.length, `${what}: expected ${sequence.join(" → ")} in order, got ${list.join(" → ")}`);
}

function needFlow(name) {
  assert.ok(flows[name], `flow ${name} was not registered (see the registration tests)`);
  return flows[name];
}

function needRun(name) {
  assert.ok(runs[name], `no run of ${name} was created (see the earlier tests)`);
  return runs[name];
}

before(async () => {
  server = await startServer([]);
  ctx = { server, home: prefect1Home() };
});

after(async () => {
  await agent?.stop();
  await server?.stop();
});

test("create_project: a new name gives a project, the same name again gives the same project (Uniqueness violation.)", async () => {
  const first = await call(ctx, ["create-project", PROJECT]);
  const again = await call(ctx, ["create-project", PROJECT]);
  assert.match(first.project_id, /^[0-9a-f-]{36}$/);
  assert.equal(again.project_id, first.project_id);
});

test("flow.register() (compressed): tasks, edges, parameters, run_config, labels and settings are stored", async () => {
  flows.dependent = (await call(ctx, ["register", "dependent", "--project", PROJECT])).flow_id;
  const d = await gql(
    server.url,
    `query($id: uuid!) { flow_by_pk(id: $id) {
        name version archived run_config parameters settings flow_group_id
        flow_group { labels settings }
        tasks(order_by: {slug: asc}) { slug name type max_retries is_root_task is_terminal_task is_reference_task mapped }
        edges { key mapped upstream_task { slug } downstream_task { slug } } } }`,
    { id: flows.dependent },
  );
  const f = d.flow_by_pk;
  assert.equal(f.name, "prefect1-dependent");
  assert.equal(f.version, 1);
  assert.equal(f.archived, false);
  assert.deepEqual(f.run_config.labels, [TEST_LABEL]);
  assert.equal(f.run_config.type, "LocalRun");
  assert.deepEqual(f.parameters.map((p) => [p.name, p.default, p.required]), [["n", 4, false]]);
  assert.equal(f.settings.heartbeat_enabled, true);
  assert.ok(f.flow_group_id, "flow_group_id");
  assert.equal(f.flow_group.settings.heartbeat_enabled, true);
  assert.deepEqual(f.tasks.map((t) => t.slug), ["extract-1", "load-1", "n", "transform-1"]);
  const bySlug = Object.fromEntries(f.tasks.map((t) => [t.slug, t]));
  assert.equal(bySlug.n.is_root_task, true);
  assert.equal(bySlug["load-1"].is_terminal_task, true);
  assert.equal(bySlug["load-1"].is_reference_task, true);
  assert.equal(bySlug["extract-1"].is_root_task, false);
  const edges = f.edges.map((e) => `${e.upstream_task.slug}>${e.downstream_task.slug}:${e.key}`).sort();
  assert.deepEqual(edges, ["extract-1>transform-1:values", "n>extract-1:n", "transform-1>load-1:values"]);
});

test("Client.register(compressed=False) registers the flow the same way", async () => {
  flows.failing = (await call(ctx, ["register", "failing", "--project", PROJECT, "--no-compress"])).flow_id;
  const d = await gql(server.url, "query($id: uuid!) { flow_by_pk(id: $id) { name tasks { slug } edges { upstream_task { slug } downstream_task { slug } } } }", { id: flows.failing });
  assert.equal(d.flow_by_pk.name, "prefect1-failing");
  assert.deepEqual(d.flow_by_pk.tasks.map((t) => t.slug).sort(), ["after-1", "explode-1"]);
  assert.deepEqual(d.flow_by_pk.edges.map((e) => `${e.upstream_task.slug}>${e.downstream_task.slug}`), ["explode-1>after-1"]);
});

test("prefect register (CLI) registers flows from files, and re-registering an unchanged flow makes no new version", async () => {
  const files = ["mapped.py", "retrying.py", "retry_later.py", "slow.py"];
  const r = await cliRegister(ctx, PROJECT, files);
  assert.equal(r.code, 0, r.output);
  for (const [key, name] of [["mapped", "prefect1-mapped"], ["retrying", "prefect1-retrying"], ["retryLater", "prefect1-retry-later"], ["slow", "prefect1-slow"]]) {
    flows[key] = await flowIdByName(server.url, name);
    assert.ok(flows[key], `${name} is on the server`);
  }
  const again = await cliRegister(ctx, PROJECT, ["mapped.py"]);
  assert.equal(again.code, 0, again.output);
  assert.match(again.stdout, /Skipped \(metadata unchanged\)/, again.output);
  const d = await gql(server.url, 'query { flow(where: {name: {_eq: "prefect1-mapped"}}) { id version } }');
  assert.deepEqual(d.flow.map((f) => f.version), [1]);
  const mappedTasks = await gql(server.url, "query($id: uuid!) { task(where: {flow_id: {_eq: $id}}) { slug mapped } }", { id: flows.mapped });
  assert.equal(mappedTasks.task.find((t) => t.slug === "double-1")?.mapped, true, JSON.stringify(mappedTasks.task));
});

test("create_flow_run: a run gets its flow's labels and one Pending task run per task", async () => {
  runs.dependent = (await call(ctx, ["create-run", needFlow("dependent")])).flow_run_id;
  const run = await runDetails(server.url, runs.dependent);
  assert.deepEqual(run.labels, [TEST_LABEL]);
  assert.equal(run.state, "Scheduled");
  assert.deepEqual(run.task_runs.map((t) => [t.task.slug, t.map_index, t.state]).sort(), [
    ["extract-1", -1, "Pending"],
    ["load-1", -1, "Pending"],
    ["n", -1, "Pending"],
    ["transform-1", -1, "Pending"],
  ]);
});

test("the real local agent (labels) runs the flows: registered, submitted, executed by CloudFlowRunner", async () => {
  for (const name of ["failing", "mapped", "retrying", "retryLater"]) runs[name] = (await call(ctx, ["create-run", needFlow(name)])).flow_run_id;
  // Labelled for no agent of this test: must stay Scheduled.
  runs.unmatched = (await call(ctx, ["create-run", needFlow("dependent"), "--label", "zzz", "--name", "not-for-this-agent"])).flow_run_id;
  agent = startAgent(ctx);
  const finished = [runs.dependent, runs.failing, runs.mapped, runs.retrying];
  const done = await waitForRuns(server.url, finished, { agent });
  assert.equal(done[runs.dependent], "Success");
  // The engine leaves a run whose retry is more than 10 minutes away Running (its task Retrying).
  await waitFor(
    "the retry-later run's task run Retrying",
    async () => taskRunsOf(await runDetails(server.url, runs.retryLater), "later")[0]?.state === "Retrying",
    { timeoutMs: 120_000, intervalMs: 1000, abortIf: () => (agent.alive() ? null : `the agent exited\n${agent.output()}`) },
  );
  const agents = await gql(server.url, "query { agent { id name type labels } }");
  assert.deepEqual(agents.agent.map((a) => [a.type, a.labels]), [["LocalAgent", [TEST_LABEL]]]);
});

test("dependent tasks: the run and every task run Success, Submitted by the agent, heartbeats, logs and an artifact stored", async () => {
  const run = await runDetails(server.url, needRun("dependent"));
  assert.equal(run.state, "Success", JSON.stringify(run.states));
  assertSubsequence(states(run.states), ["Scheduled", "Submitted", "Running", "Success"], "flow run states");
  assert.ok(run.heartbeat, "the flow run has a heartbeat");
  assert.deepEqual(run.task_runs.map((t) => t.task.slug).sort(), ["extract-1", "load-1", "n", "transform-1"]);
  for (const t of run.task_runs) {
    assert.equal(t.state, "Success", `${t.task.slug}: ${t.state} ${t.state_message}`);
    assertSubsequence(states(t.states), ["Pending", "Running", "Success"], `${t.task.slug} states`);
  }
  const messages = run.logs.map((l) => l.message);
  assert.ok(messages.some((m) => m.includes("load: total=60")), `task log line stored: ${messages.join(" | ")}`);
  assert.ok(messages.some((m) => m.startsWith("Submitted for execution")), "the agent's log line");
  assert.ok(run.logs.some((l) => l.task_run_id), "some logs belong to a task run");
  assert.ok(!messages.some((m) => m.includes("Heartbeat failed")), "no 'Heartbeat failed' log");
  const artifacts = await gql(server.url, "query($id: uuid!) { task_run_artifact(where: {task_run: {flow_run_id: {_eq: $id}}}) { kind data task_run { task { slug } } } }", { id: run.id });
  assert.deepEqual(artifacts.task_run_artifact, [{ kind: "markdown", data: { markdown: "# Loaded\n\ntotal = 60" }, task_run: { task: { slug: "load-1" } } }]);
});

test("a failing task: the run Failed, the task Failed, its downstream task TriggerFailed", async () => {
  const run = await runDetails(server.url, needRun("failing"));
  assert.equal(run.state, "Failed");
  assert.equal(taskRunsOf(run, "explode")[0].state, "Failed");
  assert.equal(taskRunsOf(run, "after")[0].state, "TriggerFailed");
});

test("a mapped task: a Mapped parent and three child task runs (map_index 0, 1, 2)", async () => {
  const run = await runDetails(server.url, needRun("mapped"));
  assert.equal(run.state, "Success");
  const doubles = taskRunsOf(run, "double");
  assert.deepEqual(doubles.map((t) => [t.map_index, t.state]), [[-1, "Mapped"], [0, "Success"], [1, "Success"], [2, "Success"]]);
  assert.equal(taskRunsOf(run, "total")[0].serialized_state._result.location, "12");
});

test("a retrying task: Failed → Retrying → Running → Success", async () => {
  const run = await runDetails(server.url, needRun("retrying"));
  assert.equal(run.state, "Success");
  const flaky = taskRunsOf(run, "flaky")[0];
  assertSubsequence(states(flaky.states), ["Running", "Failed", "Retrying", "Running", "Success"], "flaky states");
});

test("a run labelled for no agent is never handed to this agent (get_runs_in_queue labels)", async () => {
  const run = await runDetails(server.url, needRun("unmatched"));
  assert.deepEqual(run.labels, ["zzz"]);
  assert.equal(run.state, "Scheduled");
  assert.deepEqual(states(run.states).filter((s) => s === "Submitted"), []);
});

test("our wasm client decodes the real states: results (PrefectResult and LocalResult references), TriggerFailed, Retrying", async () => {
  const { Client, FlowRuns, TaskRuns } = loadClient();
  const client = new Client({ apiServer: server.url });
  const flowRuns = new FlowRuns(client);
  const taskRuns = new TaskRuns(client);
  const dependent = await runDetails(server.url, needRun("dependent"));
  const s = await flowRuns.getState(dependent.id);
  assert.equal(s.type, "Success");
  assert.equal(s.version, dependent.version);
  assert.deepEqual(s.serializedState, dependent.serialized_state);
  const load = await taskRuns.getState(taskRunsOf(dependent, "load")[0].id);
  assert.equal(load.type, "Success");
  assert.equal(load.result, 60);
  const transform = await taskRuns.getState(taskRunsOf(dependent, "transform")[0].id);
  assert.equal(transform.serializedState._result.type, "LocalResult");
  assert.match(transform.serializedState._result.location, /\S/);
  assert.equal(transform.result, null);
  const failing = await runDetails(server.url, needRun("failing"));
  assert.equal((await flowRuns.getState(failing.id)).type, "Failed");
  const trigger = await taskRuns.getState(taskRunsOf(failing, "after")[0].id);
  assert.equal(trigger.type, "TriggerFailed");
  assert.match(trigger.message ?? "", /Trigger was "all_successful"/);
  const later = taskRunsOf(await runDetails(server.url, needRun("retryLater")), "later")[0];
  const retrying = await taskRuns.getState(later.id);
  assert.equal(retrying.type, "Retrying");
  assert.equal(retrying.serializedState.run_count, 1);
  assert.ok(Date.parse(retrying.serializedState.start_time) > Date.now() + 5 * 60_000, `start_time ${retrying.serializedState.start_time}`);
  assert.equal((await flowRuns.getState(needRun("retryLater"))).type, "Running");
});

test("flowRuns.setState(id, \"Cancelling\") from our client stops a run the real agent is executing", async () => {
  assert.ok(agent?.alive(), "the agent is still running");
  runs.slow = (await call(ctx, ["create-run", needFlow("slow")])).flow_run_id;
  await waitFor(
    "the slow task running",
    async () => taskRunsOf(await runDetails(server.url, runs.slow), "long_task")[0]?.state === "Running",
    { timeoutMs: 120_000, intervalMs: 500, abortIf: () => (agent.alive() ? null : `the agent exited\n${agent.output()}`) },
  );
  const { Client, FlowRuns } = loadClient();
  const flowRuns = new FlowRuns(new Client({ apiServer: server.url }));
  const cancelling = await flowRuns.setState(runs.slow, "Cancelling");
  assert.equal(cancelling.type, "Cancelling");
  const end = await flowRuns.wait(runs.slow, { intervalMs: 500, timeoutMs: 120_000 });
  assert.equal(end.type, "Cancelled");
  assert.equal(end.message, "Flow run is cancelled", "the engine itself ended the run");
  const run = await runDetails(server.url, runs.slow);
  assertSubsequence(states(run.states), ["Running", "Cancelling", "Cancelled"], "slow run states");
  const longTask = taskRunsOf(run, "long_task")[0];
  assert.notEqual(longTask.state, "Success");
  assert.equal(taskRunsOf(run, "after_long")[0].state === "Success", false);
  assert.ok(run.logs.some((l) => l.message.includes("Flow run has been cancelled")), "the engine logged the cancellation");
  assert.ok(!run.logs.some((l) => l.message.includes("finished without being cancelled")));
});

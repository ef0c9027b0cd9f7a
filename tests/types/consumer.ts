// A TypeScript consumer of every method: `npx tsc --strict --noEmit -p tests/types` must pass.
// It is type-checked only, never run.
import {
  Client,
  FlowRuns,
  TaskRuns,
  PrefectError,
  type PrefectErrorCode,
  type RunState,
  type Tenant,
  type StateInput,
  type ClientOptions,
  type WaitOptions,
  type WatchOptions,
  type RequestOptions,
} from "prefect-wasm";
import init, { Client as WebClient } from "prefect-wasm/web";

async function main(): Promise<void> {
  await init();
  const web: WebClient = new WebClient();
  void web;

  const options: ClientOptions = {
    api: "graphql",
    apiServer: "http://127.0.0.1:4200",
    graphqlServer: "http://127.0.0.1:4200/graphql",
    token: "key",
    tenantId: "6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f",
    headers: { "X-Client": "consumer" },
    timeoutMs: 5000,
    retries: 2,
  };
  const client = new Client(options);
  const bare = new Client();
  void bare;

  const anyData = await client.graphql("query { hello }");
  const hello: string = anyData.hello; // `any` by default
  const typed = await client.graphql<{ hello: string }>("query { hello }", null, { signal: new AbortController().signal });
  const h2: string = typed.hello;
  await client.graphql("query Q($id: uuid!) { flow_run_by_pk(id: $id) { id } }", { id: "x" });

  const tenants: Tenant[] | undefined = await client.login("a@example.com", "pw");
  if (tenants) {
    const first: Tenant = tenants[0];
    const slug: string = first.slug;
    const switched = await client.login("a@example.com", "pw", { accountSlug: slug });
    const nothing: undefined = switched === undefined ? undefined : undefined;
    void nothing;
    await client.login("a@example.com", "pw", { accountId: first.id });
  }
  await client.refreshToken();
  const token: string | undefined = client.token;

  const flowRuns = new FlowRuns(client);
  const { id } = await flowRuns.create("flow-id", {
    parameters: { x: 1 },
    parentTaskRunId: "p",
    context: { a: 1 },
    labels: ["l"],
    scheduledStartTime: new Date(),
    idempotencyKey: "k",
    name: "n",
  });
  await flowRuns.create("flow-id", { scheduledStartTime: "2026-01-01T00:00:00Z" });
  await flowRuns.create("flow-id");
  const state: RunState = await flowRuns.getState(id);
  const type: string = state.type;
  const message: string | null = state.message;
  const name: string = state.name;
  const version: number | null = state.version;
  const timestamp: string | null = state.timestamp;
  const serialized: Record<string, unknown> = state.serializedState;
  const result: unknown = state.result;
  await flowRuns.run(id, { startTasks: ["t"], inputs: { t: { x: 1 } } });
  await flowRuns.run(id);
  const input: StateInput = { type: "Success", message: "done", extra: 1 };
  await flowRuns.setState(id, input, { result: [1, 2], expectedState: "Running" });
  await flowRuns.setState(id, "Running");

  const taskRuns = new TaskRuns(client);
  const taskState: RunState = await taskRuns.getState("task-run-id");
  await taskRuns.setState(taskState.id, "Success", { result: 42 });
  await taskRuns.setState(taskState.id, { type: "Failed" });
  await flowRuns.create("flow-id", { deploymentId: "d" });
  await flowRuns.setState(id, "COMPLETED", { force: true });

  // Prefect 2/3 (REST)
  const rest = new Client({ api: "rest", apiServer: "http://127.0.0.1:4200/api" });
  await rest.login("user", "password");
  const anyBody = await rest.request("POST", "/flow_runs/filter", { body: { limit: 5 } });
  void anyBody;
  const requestOptions: RequestOptions = { signal: new AbortController().signal };
  const runs = await rest.request<{ id: string }[]>("GET", "/flow_runs/x", requestOptions);
  const firstRunId: string | undefined = runs[0]?.id;
  await rest.request("DELETE", "/flow_runs/x");
  await new FlowRuns(rest).create("", { deploymentId: "d", parameters: { x: 1 } });

  const controller = new AbortController();
  const waitOptions: WaitOptions = { until: ["Running"], intervalMs: 500, timeoutMs: 60_000, signal: controller.signal };
  const finished: RunState = await flowRuns.wait(id, waitOptions);
  await flowRuns.wait(id);
  await taskRuns.wait(taskState.id, { intervalMs: 100 });
  const watchOptions: WatchOptions = { intervalMs: 250, signal: controller.signal };
  for await (const seen of flowRuns.watch(id, watchOptions)) {
    const seenType: string = seen.type;
    void seenType;
    break;
  }
  const iterator = taskRuns.watch(taskState.id);
  const step: IteratorResult<RunState> = await iterator.next();
  if (!step.done) {
    const stepState: RunState = step.value;
    void stepState;
  }
  await iterator.return?.();

  try {
    await client.graphql("{ x }");
  } catch (e) {
    if (e instanceof PrefectError) {
      const code: PrefectErrorCode = e.code;
      const name: "PrefectError" = e.name;
      const status: number | undefined = e.status;
      const errors = e.errors;
      const firstCode: string | undefined = errors?.[0]?.extensions?.code;
      const data: unknown = e.data;
      const details: Record<string, unknown> | undefined = e.details;
      const asError: Error = e;
      const stack: string | undefined = e.stack;
      void [code, name, status, firstCode, data, details, asError, stack];
      switch (e.code) {
        case "STATE_REJECTED":
        case "STATE_MISMATCH":
        case "VERSION_LOCKING_ERROR":
          break;
        default:
          break;
      }
    }
  }
  const made = new PrefectError("m", "INVALID_ARGUMENT");
  const rejected = new PrefectError("m", "STATE_REJECTED", 409, undefined, undefined, undefined, { status: "REJECT" });
  void [made, rejected];

  // These must NOT compile:
  // @ts-expect-error an unknown error code
  const bad: PrefectErrorCode = "OOPS";
  // @ts-expect-error token is read-only
  client.token = "x";
  // @ts-expect-error setState needs a state
  await flowRuns.setState(id);
  // @ts-expect-error options are typed
  new Client({ timeoutMs: "5" });
  // @ts-expect-error only the two protocols
  new Client({ api: "soap" });
  // @ts-expect-error version may be null
  const notNull: number = state.version;
  // @ts-expect-error REST methods only
  await rest.request("PUT", "/x");
  // @ts-expect-error until takes type names
  await flowRuns.wait(id, { until: "Success" });

  client.free();
  void [firstRunId, hello, h2, token, type, name, message, version, timestamp, serialized, result, bad, finished, notNull];
}

void main;

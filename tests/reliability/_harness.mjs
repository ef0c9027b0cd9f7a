// Shared helpers for the reliability suite (not a test file: node --test skips this name).
//
// - startServer(args): prefect-dev-server (PREFECT_DEV_SERVER_BIN) on a free loopback port with an
//   in-memory database, through tests/support/server-process.mjs (killed at exit).
// - gql(url, query, variables, headers): a direct GraphQL POST that bypasses the client under test.
// - seed helpers: a tenant/project/flow/run set-up through the server's own mutations.
// - loadClient(): the Node build of the package under test (<repo>/pkg/node).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer as startProcess } from "../support/server-process.mjs";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const serverBin =
  process.env.PREFECT_DEV_SERVER_BIN ?? path.join(root, "target/debug/prefect-dev-server");
// The package under test: <repo>/pkg, or PREFECT_WASM_PKG (a copy, e.g. while pkg/ is being rebuilt).
export const pkgDir = process.env.PREFECT_WASM_PKG ? path.resolve(process.env.PREFECT_WASM_PKG) : path.join(root, "pkg");
const STARTUP_TIMEOUT_MS = 30_000;

/**
 * Starts the dev server. Resolves the handle of `tests/support/server-process.mjs` (`url`,
 * `stderr()`, `alive()`, `kill(signal)`, `exited`, ...) plus `args`. `args` are added after
 * `--listen 127.0.0.1:0` (and `--db :memory:` unless args has --db).
 */
export async function startServer(args = [], { env = {}, bin = serverBin, name = "dev-server" } = {}) {
  if (!existsSync(bin)) {
    throw new Error(`no dev server binary at ${bin} (set PREFECT_DEV_SERVER_BIN or cargo build -p prefect-dev-server)`);
  }
  const full = ["--listen", "127.0.0.1:0", ...(args.includes("--db") ? [] : ["--db", ":memory:"]), ...args];
  const handle = await startProcess(bin, full, {
    cwd: root,
    env,
    name,
    timeoutMs: STARTUP_TIMEOUT_MS,
    logs: Boolean(process.env.PREFECT_TEST_SERVER_LOGS),
  });
  return { ...handle, args: full };
}

/** Raw GraphQL POST. Resolves { status, body (parsed JSON or null), text, headers }. */
export async function post(url, body, headers = {}, { timeoutMs = 20_000 } = {}) {
  const res = await fetch(url + "/", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, body: json, text, headers: res.headers };
}

/** GraphQL POST that must succeed without errors; resolves `data`. */
export async function gql(url, query, variables = {}, headers = {}) {
  const r = await post(url, { query, variables }, headers);
  if (r.status !== 200 || !r.body || r.body.errors || !r.body.data) {
    throw new Error(`GraphQL call failed (${r.status}): ${r.text.slice(0, 1000)}\nquery: ${query.slice(0, 300)}`);
  }
  return r.body.data;
}

/** The first error code of a GraphQL answer (extensions.code), or null. */
export function errorCode(r) {
  return r?.body?.errors?.[0]?.extensions?.code ?? null;
}

export const bearer = (token) => (token ? { authorization: `Bearer ${token}` } : {});

/** The tenant id to create things in (open server: its single tenant, made if none). */
export async function tenantId(url, headers = {}) {
  const d = await gql(url, "query { tenant { id slug } }", {}, headers);
  if (d.tenant.length > 0) return d.tenant[0].id;
  const c = await gql(
    url,
    "mutation($input: create_tenant_input!) { create_tenant(input: $input) { id } }",
    { input: { name: "reliability", slug: "reliability" } },
    headers,
  );
  return c.create_tenant.id;
}

export const FLOW = {
  name: "reliability-flow",
  tasks: [
    { slug: "extract", name: "extract", type: "prefect.core.task.Task" },
    { slug: "load", name: "load", type: "prefect.core.task.Task" },
  ],
  edges: [{ upstream_task: "extract", downstream_task: "load" }],
  parameters: [],
  __version__: "1.4.1",
};

/** Creates a project and a flow; resolves { tenantId, projectId, flowId, taskIds }. */
export async function seedFlow(url, headers = {}, tenant = undefined) {
  tenant ??= await tenantId(url, headers);
  const p = await gql(
    url,
    "mutation($input: create_project_input!) { create_project(input: $input) { id } }",
    { input: { tenant_id: tenant, name: `rel-${Math.random().toString(36).slice(2)}` } },
    headers,
  );
  const f = await gql(
    url,
    "mutation($input: create_flow_input!) { create_flow(input: $input) { id } }",
    { input: { project_id: p.create_project.id, serialized_flow: FLOW } },
    headers,
  );
  const flowId = f.create_flow.id;
  const t = await gql(url, "query($id: uuid!) { task(where: {flow_id: {_eq: $id}}) { id slug } }", { id: flowId }, headers);
  return { tenantId: tenant, projectId: p.create_project.id, flowId, taskIds: t.task.map((x) => x.id) };
}

/** Creates a flow run of `flowId`; resolves its id. */
export async function createRun(url, flowId, headers = {}, extra = {}) {
  const d = await gql(
    url,
    "mutation($input: create_flow_run_input!) { create_flow_run(input: $input) { id } }",
    { input: { flow_id: flowId, ...extra } },
    headers,
  );
  return d.create_flow_run.id;
}

/** Creates (or gets) a task run of `taskId` in `flowRunId`; resolves its id. */
export async function createTaskRun(url, flowRunId, taskId, headers = {}) {
  const d = await gql(
    url,
    "mutation($input: get_or_create_task_run_input!) { get_or_create_task_run(input: $input) { id } }",
    { input: { flow_run_id: flowRunId, task_id: taskId } },
    headers,
  );
  return d.get_or_create_task_run.id;
}

/** Number of flow_run_state rows of one run (server-side truth). */
export async function stateRows(url, flowRunId, headers = {}) {
  const d = await gql(
    url,
    "query($id: uuid!) { flow_run_state_aggregate(where: {flow_run_id: {_eq: $id}}) { aggregate { count } } }",
    { id: flowRunId },
    headers,
  );
  return d.flow_run_state_aggregate.aggregate.count;
}

/** Row counts of the main tables (for "nothing half-written"). */
export async function tableCounts(url, headers = {}) {
  const tables = ["project", "flow", "task", "flow_run", "task_run", "flow_run_state", "task_run_state", "log"];
  const q = `query { ${tables.map((t) => `${t}: ${t}_aggregate { aggregate { count } }`).join(" ")} }`;
  const d = await gql(url, q, {}, headers);
  return Object.fromEntries(tables.map((t) => [t, d[t].aggregate.count]));
}

/** The server answers `{ hello }` within `timeoutMs`; resolves the latency in ms. */
export async function hello(url, timeoutMs = 5_000) {
  const t0 = performance.now();
  const r = await post(url, { query: "{ hello }" }, {}, { timeoutMs });
  if (r.status !== 200 || typeof r.body?.data?.hello !== "string") {
    throw new Error(`{ hello } failed: ${r.status} ${r.text.slice(0, 300)}`);
  }
  return performance.now() - t0;
}

let cachedClient;
/** The Node build of the package under test. */
export function loadClient() {
  if (cachedClient) return cachedClient;
  const entry = path.join(pkgDir, "node/prefect_wasm.js");
  if (!existsSync(entry)) throw new Error(`no Node build of the package at ${entry} (run scripts/build-pkg.sh)`);
  const require = createRequire(import.meta.url);
  // Capture the wasm instance the glue creates (the nodejs build of this wasm-bindgen version does
  // not export it), so that tests can read its linear memory.
  const Original = WebAssembly.Instance;
  function Capturing(module, imports) {
    const instance = new Original(module, imports);
    cachedInstance ??= instance;
    return instance;
  }
  Capturing.prototype = Original.prototype;
  WebAssembly.Instance = Capturing;
  try {
    cachedClient = require(entry);
  } finally {
    WebAssembly.Instance = Original;
  }
  return cachedClient;
}
let cachedInstance;

/** The wasm memory of the loaded Node build: `__wasm.memory` when exported, else the captured instance's. */
export function wasmMemory() {
  const mod = loadClient();
  return mod.__wasm?.memory ?? (mod.memory instanceof WebAssembly.Memory ? mod.memory : null) ?? cachedInstance?.exports?.memory ?? null;
}

/** Settles `promise`, resolving { ok, value } or { ok: false, error }. */
export async function settle(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Seeded PRNG (mulberry32). */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A URL on loopback where nothing listens (bind, note the port, close). */
export async function closedPortUrl() {
  const net = await import("node:net");
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const port = srv.address().port;
  await new Promise((r) => srv.close(r));
  return `http://127.0.0.1:${port}`;
}

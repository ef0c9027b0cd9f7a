// Runs the real Prefect 1.4.1 library (.venv/prefect1, installed by scripts/setup.sh) against a
// dev server: Python scripts, the `prefect` CLI, the local agent. Each process gets the backend
// settings that point it at the server, a temporary HOME and PREFECT__HOME_DIR (so nothing of the
// user's ~/.prefect is read or written), a bound on its run time, and its output kept for failure
// messages. Stopped by PID whatever happens (see processes.mjs).
//
//   const home = prefect1Home();                       // share it between the processes of one test
//   const r = await runPrefect1(["tests/prefect1/flows/register.py"], { server, home });
//   assert.equal(r.code, 0, r.output);
//   const agent = startPrefect1(["agent", "local", "start", "-l", "a"], { server, home, program: "prefect", maxMs: 120_000 });
//   ...
//   await agent.stop();
import { mkdirSync } from "node:fs";
import path from "node:path";
import { root, runTracked, spawnTracked, tempDir, venvProgram } from "./processes.mjs";

const DEFAULT_MAX_MS = 120_000;

/** A fresh temporary home for Prefect 1 processes (removed when this process exits). */
export function prefect1Home() {
  const dir = tempDir("prefect1-home-");
  mkdirSync(path.join(dir, ".prefect"), { recursive: true });
  return dir;
}

/**
 * The environment that points Prefect 1 at the dev server `server` (`{ url }`).
 * Open server: backend "server". With `auth` (`{ apiKey, tenantId? }`): backend "cloud", the key
 * as PREFECT__CLOUD__API_KEY, as a Prefect Cloud user would run it. With `record` (a file path),
 * every GraphQL request of the process and of the processes it starts, and its answer, is appended
 * to that file as JSON lines (tests/prefect1/recorder/sitecustomize.py).
 */
export function prefect1Env(server, { home, auth, venv = "prefect1", record } = {}) {
  if (!server?.url) throw new Error("prefect1Env: `server` ({ url }) is required");
  const url = server.url.replace(/\/$/, "");
  const env = {
    HOME: home,
    PREFECT__HOME_DIR: path.join(home, ".prefect"),
    PREFECT__USER_CONFIG_PATH: path.join(home, ".prefect", "config.toml"),
    PREFECT__BACKEND: auth ? "cloud" : "server",
    PREFECT__SERVER__ENDPOINT: url,
    PREFECT__CLOUD__API: url,
    PREFECT__CLOUD__ENDPOINT: url,
    // prefect 0.15's API-token client falls back to cloud.graphql.
    PREFECT__CLOUD__GRAPHQL: url,
    PREFECT__CLOUD__SEND_FLOW_RUN_LOGS: "true",
    // Engine loops (defaults 15 s and 30 s): how soon a run sees Cancelling, how often it heartbeats.
    PREFECT__CLOUD__CHECK_CANCELLATION_INTERVAL: "2",
    PREFECT__CLOUD__HEARTBEAT_INTERVAL: "5",
    PREFECT__CLOUD__DIAGNOSTICS: "false",
    PYTHONUNBUFFERED: "1",
    PYTHONPATH: [...(record ? [path.join(root, "tests/prefect1/recorder")] : []), path.join(root, "tests/prefect1/flows")].join(path.delimiter),
    PATH: `${path.join(root, ".venv", venv, "bin")}${path.delimiter}${process.env.PATH}`,
  };
  if (record) env.PREFECT1_RECORD_GRAPHQL = record;
  if (auth) {
    env.PREFECT__CLOUD__API_KEY = auth.apiKey;
    if (auth.tenantId) env.PREFECT__CLOUD__TENANT_ID = auth.tenantId;
  }
  return env;
}

/**
 * Runs `program args` (program "python" by default, or "prefect" for the CLI) from the venv to its
 * end, bounded by `maxMs`. Resolves `{ code, signal, timedOut, stdout, stderr, output }`.
 * Without `home` a fresh one is made. `env` is added last.
 */
export async function runPrefect1(args, { server, auth, home = prefect1Home(), program = "python", venv = "prefect1", maxMs = DEFAULT_MAX_MS, env = {}, record, logs = Boolean(process.env.PREFECT_TEST_SERVER_LOGS), name } = {}) {
  return runTracked(venvProgram(venv, program), args, {
    name: name ?? `${venv} ${program} ${args[0] ?? ""}`,
    maxMs,
    logs,
    env: { ...prefect1Env(server, { home, auth, venv, record }), ...env },
  });
}

/**
 * Starts a long-running Prefect 1 process (e.g. `prefect agent local start`), bounded by `maxMs`.
 * Returns the handle of processes.mjs (`output()`, `alive()`, `exited`, `stop()`, ...).
 * `onOutput(stream, chunk)` sees its output as it comes.
 */
export function startPrefect1(args, { server, auth, home = prefect1Home(), program = "prefect", venv = "prefect1", maxMs = DEFAULT_MAX_MS, env = {}, record, logs = Boolean(process.env.PREFECT_TEST_SERVER_LOGS), name, onOutput } = {}) {
  return spawnTracked(venvProgram(venv, program), args, {
    name: name ?? `${venv} ${program} ${args.slice(0, 2).join(" ")}`,
    maxMs,
    logs,
    onOutput,
    // The agent exits cleanly on SIGINT (its exit handler), like Ctrl-C.
    stopSignal: "SIGINT",
    env: { ...prefect1Env(server, { home, auth, venv, record }), ...env },
  });
}

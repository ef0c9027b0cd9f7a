// Starts a real Prefect 3 server (`prefect server start` from .venv/prefect3, installed by
// scripts/setup.sh) on a free loopback port with a fresh temporary PREFECT_HOME (its own SQLite
// database), fully offline, and stops it by PID whatever happens (see processes.mjs).
//
//   import { startPrefect3Server } from "../support/prefect3-server.mjs";
//   const server = await startPrefect3Server({ auth: "user:pass" });
//   ... fetch(`${server.apiUrl}/flows/`, { headers: server.headers }) ...
//   await server.stop();
//
// Start-up until /api/health answers takes 5-17 s on two cores (migrations on a fresh database);
// the wait is bounded by `timeoutMs` and prints a progress line every 5 s.
import { freePort, rmTempDir, rssBytes, spawnTracked, tempDir, venvProgram, waitFor } from "./processes.mjs";

/** The environment that keeps any Prefect 3 process offline and quiet (PREFECT3-REST.md). */
export const PREFECT3_OFFLINE_ENV = {
  PREFECT_SERVER_ANALYTICS_ENABLED: "false",
  DO_NOT_TRACK: "1",
  PREFECT_SERVER_UI_ENABLED: "false",
  PREFECT_CLI_COLORS: "false",
  PREFECT_CLI_WRAP_LINES: "false",
};

const DEFAULT_TIMEOUT_MS = 90_000;

/** The loop services of Prefect 3.9.1 (PREFECT_SERVER_SERVICES_<NAME>_ENABLED). */
const SERVICES = [
  "CANCELLATION_CLEANUP", "DB_VACUUM", "EVENT_PERSISTER", "EVENT_LOGGER", "FOREMAN", "LATE_RUNS", "SCHEDULER",
  "PAUSE_EXPIRATIONS", "REPOSSESSOR", "CLEANUP_RECONCILER", "TASK_RUN_RECORDER", "TRIGGERS",
];

/** `services: "task-runs"`: only the task run recorder (the engine reports task runs as events, which it writes). */
function onlyTaskRunRecorder() {
  return Object.fromEntries(SERVICES.map((s) => [`PREFECT_SERVER_SERVICES_${s}_ENABLED`, String(s === "TASK_RUN_RECORDER")]));
}
const PORT_ATTEMPTS = 3;

/** `Authorization` header for Basic auth given as "user:pass". */
export function basicAuthHeader(auth) {
  return `Basic ${Buffer.from(auth).toString("base64")}`;
}

/**
 * Resolves `{ url, apiUrl, port, home, pid, auth, headers, startupMs, rssBytes(), alive(),
 * output(), stop() }` once `GET /api/health` answers 200. `auth` ("user:pass") turns on Basic auth
 * (PREFECT_SERVER_API_AUTH_STRING); `headers` then carries it. `services: false` passes
 * `--no-services` (no scheduler or other loop services: a quicker start, and no 503s from a busy
 * SQLite under load); `services: "task-runs"` runs only the task run recorder (what a served flow's
 * task runs need to reach the REST reads). `env` is added to the
 * server's environment. `stop()` kills it (SIGTERM, then SIGKILL after 5 s) and removes its home.
 */
export async function startPrefect3Server({ auth, services = true, timeoutMs = DEFAULT_TIMEOUT_MS, logs = Boolean(process.env.PREFECT_TEST_SERVER_LOGS), env = {}, quiet = false } = {}) {
  const prefect = venvProgram("prefect3", "prefect");
  let lastError;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    try {
      return await startOnce({ prefect, auth, services, timeoutMs, logs, env, quiet });
    } catch (err) {
      lastError = err;
      // Another process took the port between freePort() and the bind: try another one.
      if (!/address already in use|Errno 98/i.test(err.message)) throw err;
    }
  }
  throw lastError;
}

async function startOnce({ prefect, auth, services, timeoutMs, logs, env, quiet }) {
  const port = await freePort();
  const home = tempDir("prefect3-home-");
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  const handle = spawnTracked(prefect, ["server", "start", ...(services === false ? ["--no-services"] : [])], {
    name: "prefect3-server",
    logs,
    // The server's own lifetime bound: longer than any test file that uses it.
    maxMs: 30 * 60_000,
    env: {
      ...PREFECT3_OFFLINE_ENV,
      PREFECT_HOME: home,
      PREFECT_SERVER_API_HOST: "127.0.0.1",
      PREFECT_SERVER_API_PORT: String(port),
      PREFECT_API_URL: `${url}/api`,
      ...(auth ? { PREFECT_SERVER_API_AUTH_STRING: auth } : {}),
      ...(services === "task-runs" ? onlyTaskRunRecorder() : {}),
      ...env,
    },
  });
  const cleanup = async () => {
    await handle.stop(5000);
    rmTempDir(home);
  };
  try {
    await waitFor(
      `prefect3-server on ${url}: GET /api/health`,
      async () => (await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) })).ok,
      {
        timeoutMs,
        abortIf: () => (handle.alive() ? null : `exited during start-up\n${handle.output()}`),
        progress: quiet ? undefined : (ms) => process.stderr.write(`# prefect3-server: waiting for ${url}/api/health (${Math.round(ms / 1000)} s)\n`),
      },
    );
  } catch (err) {
    await cleanup();
    throw new Error(`${err.message}\n${handle.output()}`);
  }
  const startupMs = Date.now() - started;
  return {
    url,
    apiUrl: `${url}/api`,
    port,
    home,
    pid: handle.pid,
    auth: auth ?? null,
    headers: auth ? { authorization: basicAuthHeader(auth) } : {},
    startupMs,
    rssBytes: () => rssBytes(handle.pid),
    alive: handle.alive,
    output: handle.output,
    stop: cleanup,
  };
}

// Runs a Python script that calls `flow.serve(...)` (real Prefect 3 from .venv/prefect3) against
// a Prefect 3 server, for a bounded time: the served process polls the server and executes the
// runs of its deployment. Stopped by PID whatever happens (see processes.mjs).
//
//   const served = await startServe("tests/prefect3/flows/served.py", { server, deployment: "smoke-flow/smoke" });
//   ... POST /deployments/${served.deploymentId}/create_flow_run ...
//   await served.stop();
import path from "node:path";
import { PREFECT3_OFFLINE_ENV } from "./prefect3-server.mjs";
import { rmTempDir, root, spawnTracked, tempDir, venvProgram, waitFor } from "./processes.mjs";

/** The environment a Prefect 3 client process needs to talk to `server` (from startPrefect3Server). */
export function prefect3ClientEnv(server, home) {
  return {
    ...PREFECT3_OFFLINE_ENV,
    PREFECT_HOME: home,
    PREFECT_API_URL: server.apiUrl,
    ...(server.auth ? { PREFECT_API_AUTH_STRING: server.auth } : {}),
    // How often the served runner asks for scheduled runs (default 10 s).
    PREFECT_RUNNER_POLL_FREQUENCY: "1",
    PYTHONUNBUFFERED: "1",
  };
}

/**
 * Starts `python script ...args` and resolves once the deployment `deployment` ("FLOW/NAME")
 * exists on the server: `{ deploymentId, pid, output(), alive(), exited, stop() }`. The process
 * is killed after `maxMs` whatever happens; `startTimeoutMs` bounds the wait for the deployment.
 */
export async function startServe(script, { server, deployment, args = [], env = {}, maxMs = 5 * 60_000, startTimeoutMs = 90_000, logs = Boolean(process.env.PREFECT_TEST_SERVER_LOGS) } = {}) {
  if (!server?.apiUrl) throw new Error("startServe: `server` (from startPrefect3Server) is required");
  if (!/^[^/]+\/[^/]+$/.test(deployment ?? "")) throw new Error('startServe: `deployment` must be "FLOW/NAME"');
  const python = venvProgram("prefect3", "python");
  const home = tempDir("prefect3-serve-home-");
  const handle = spawnTracked(python, [path.resolve(root, script), ...args], {
    name: `serve ${path.basename(script)}`,
    logs,
    maxMs,
    // flow.serve() pauses its schedule and exits cleanly on SIGINT, like Ctrl-C.
    stopSignal: "SIGINT",
    env: { ...prefect3ClientEnv(server, home), ...env },
  });
  const stop = async () => {
    await handle.stop(10_000);
    rmTempDir(home);
  };
  const [flow, name] = deployment.split("/");
  let deploymentId;
  try {
    deploymentId = await waitFor(
      `served deployment ${deployment} on ${server.apiUrl}`,
      async () => {
        const res = await fetch(`${server.apiUrl}/deployments/name/${encodeURIComponent(flow)}/${encodeURIComponent(name)}`, {
          headers: server.headers,
          signal: AbortSignal.timeout(2000),
        });
        return res.ok ? (await res.json()).id : null;
      },
      {
        timeoutMs: startTimeoutMs,
        intervalMs: 500,
        abortIf: () => (handle.alive() ? null : `the serve process exited\n${handle.output()}`),
      },
    );
  } catch (err) {
    await stop();
    throw new Error(`${err.message}\n${handle.output()}`);
  }
  return { deploymentId, pid: handle.pid, output: handle.output, alive: handle.alive, exited: handle.exited, stop };
}

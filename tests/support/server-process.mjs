// Starts the dev server (or any command that prints `... listening on http://HOST:PORT`) and
// stops it when asked or when this process exits, whatever happens. The one copy of this logic:
// the wasm test harness (servers.mjs), the reliability suite, the end-to-end test, the soak run
// and the benchmark all start their servers through it.
import { spawn } from "node:child_process";

const children = new Set();
function stopAll() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.clear();
}
process.on("exit", stopAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    stopAll();
    process.exit(130);
  });
}

/**
 * Starts `command args` and resolves a handle once it prints `... listening on http://...`:
 * `{ url, child, stdout(), stderr(), output(), alive(), exitStatus(), exited, kill(signal), stop() }`.
 * `exited` resolves `{ code, signal }`; `kill` (SIGKILL by default) and `stop` (SIGTERM, then
 * SIGKILL after 3 s) resolve once the process is gone. `env` is added to this process's
 * environment; stderr is echoed (prefixed with `name`) when `logs` is true.
 */
export function startServer(command, args, { timeoutMs = 60_000, name = "server", logs = false, cwd, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    const exited = new Promise((done) => child.once("exit", (code, signal) => done({ code, signal })));
    const alive = () => child.exitCode === null && child.signalCode === null;
    const output = () => `--- stdout\n${stdout}\n--- stderr\n${stderr.slice(-4000)}`;
    const timer = setTimeout(() => fail(`did not report its address within ${timeoutMs} ms`), timeoutMs);
    function fail(why) {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${name} (${command} ${args.join(" ")}) ${why}\n${output()}`));
    }
    child.on("error", (err) => fail(`could not start: ${err.message}`));
    const exitedEarly = (code, signal) => fail(`exited early (code ${code}, signal ${signal})`);
    child.on("exit", exitedEarly);
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      if (stderr.length > 1 << 22) stderr = stderr.slice(-(1 << 20));
      if (logs) process.stderr.write(`[${name}] ${chunk}`);
    });
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        child.removeListener("exit", exitedEarly);
        child.on("exit", (code, signal) => {
          if (children.has(child)) console.error(`${name} stopped unexpectedly (code ${code}, signal ${signal})`);
        });
        const gone = (signal) => {
          children.delete(child);
          if (alive()) child.kill(signal);
          return exited;
        };
        resolve({
          url: match[1].replace(/\/$/, ""),
          child,
          stdout: () => stdout,
          stderr: () => stderr,
          output,
          alive,
          exitStatus: () => (alive() ? null : `code ${child.exitCode}, signal ${child.signalCode}`),
          exited,
          kill: (signal = "SIGKILL") => gone(signal),
          stop: () => {
            setTimeout(() => alive() && child.kill("SIGKILL"), 3000).unref();
            return gone("SIGTERM");
          },
        });
      }
    });
  });
}

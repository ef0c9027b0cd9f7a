// Starts the dev server (or any command that prints `... listening on http://HOST:PORT`) and
// stops it when asked or when this process exits, whatever happens.
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
 * Starts `command args` and resolves `{ url, stop }` once it prints `... listening on http://...`.
 * `name` labels its messages; stderr is echoed (prefixed) when `logs` is true.
 */
export function startServer(command, args, { timeoutMs = 60_000, name = "server", logs = false, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => fail(`did not report its address within ${timeoutMs} ms`), timeoutMs);
    function fail(why) {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${name} (${command} ${args.join(" ")}) ${why}\n--- stdout\n${stdout}\n--- stderr\n${stderr.slice(-4000)}`));
    }
    child.on("error", (err) => fail(`could not start: ${err.message}`));
    child.on("exit", (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      if (stderr.length > 1 << 20) stderr = stderr.slice(-65536);
      if (logs) process.stderr.write(`[${name}] ${chunk}`);
    });
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.on("exit", (code, signal) => {
          if (children.has(child)) console.error(`${name} stopped unexpectedly (code ${code}, signal ${signal})`);
        });
        resolve({
          url: match[1].replace(/\/$/, ""),
          stop: () =>
            new Promise((done) => {
              children.delete(child);
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.on("exit", () => done());
              child.kill("SIGTERM");
              setTimeout(() => child.kill("SIGKILL"), 3000).unref();
            }),
        });
      }
    });
  });
}

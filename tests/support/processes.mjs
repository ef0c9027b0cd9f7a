// Child processes for the real-Prefect harness (Python processes, the Prefect 3 server): each is
// started in its own process group, its output is kept for failure messages, its life is bounded,
// and it is killed (the whole group, by PID) when asked, when its time is up, or when this process
// exits however it exits (test failure, uncaught error, SIGINT/SIGTERM/SIGHUP).
// server-process.mjs does the same for servers that print "listening on"; this one is for
// processes that print nothing we can wait on.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const groups = new Set();
const tempDirs = new Set();
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {}
}
process.on("exit", () => {
  for (const pid of groups) killGroup(pid, "SIGKILL");
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    for (const pid of groups) killGroup(pid, "SIGKILL");
    process.exit(130);
  });
}

/** A fresh temporary directory, removed when this process exits (or earlier by `rmTempDir`). */
export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function rmTempDir(dir) {
  tempDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The path of a program in one of the repo's Python venvs (`.venv/NAME/bin/PROGRAM`), which
 * scripts/setup.sh installs. Throws a clear error when the venv is missing.
 */
export function venvProgram(venv, program = "python") {
  const file = path.join(root, ".venv", venv, "bin", program);
  if (!existsSync(file)) {
    throw new Error(
      `no ${path.relative(root, file)}: run scripts/setup.sh (it installs the real Prefect venvs; it needs python3 3.10+)`,
    );
  }
  return file;
}

/** Kept output is capped at the last `MAX_OUTPUT` characters of each stream. */
const MAX_OUTPUT = 1 << 20;

/**
 * Starts `command args` in its own process group. Resolves at once with a handle:
 * `{ pid, child, stdout(), stderr(), output(tail), alive(), exited, stop(graceMs), kill() }`.
 * `exited` resolves `{ code, signal, timedOut }`. The group is killed with SIGKILL after
 * `maxMs` (then `timedOut` is true). `stop` sends SIGTERM (SIGINT with `stopSignal`) to the
 * group and SIGKILL after `graceMs`; both resolve once the process is gone. `env` replaces the
 * environment when `cleanEnv`, else is added to this process's. `onOutput(stream, text)` sees
 * every chunk; `name` prefixes echoed output when `logs` is true.
 */
export function spawnTracked(command, args, { cwd = root, env = {}, cleanEnv = false, maxMs, name = path.basename(command), logs = false, onOutput, stopSignal = "SIGTERM" } = {}) {
  if (!Number.isFinite(maxMs) || maxMs <= 0) throw new Error(`spawnTracked(${name}): maxMs (a bound on its run time) is required`);
  const child = spawn(command, args, {
    cwd,
    env: cleanEnv ? env : { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const streams = { stdout: "", stderr: "" };
  let timedOut = false;
  let spawnError = null;
  if (child.pid) groups.add(child.pid);
  const alive = () => child.exitCode === null && child.signalCode === null && !spawnError;
  const exited = new Promise((resolve) => {
    child.once("error", (err) => {
      spawnError = err;
      streams.stderr += `\n[could not start ${command}: ${err.message}]`;
      resolve({ code: null, signal: null, timedOut, error: err });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      groups.delete(child.pid);
      // The leader is gone; whatever it left in its group goes with it.
      killGroup(child.pid, "SIGKILL");
      resolve({ code, signal, timedOut });
    });
  });
  const timer = setTimeout(() => {
    timedOut = true;
    streams.stderr += `\n[${name}: killed after its time bound of ${maxMs} ms]`;
    killGroup(child.pid, "SIGKILL");
  }, maxMs);
  for (const stream of ["stdout", "stderr"]) {
    child[stream].setEncoding("utf8");
    child[stream].on("data", (chunk) => {
      streams[stream] += chunk;
      if (streams[stream].length > 2 * MAX_OUTPUT) streams[stream] = streams[stream].slice(-MAX_OUTPUT);
      if (logs) process.stderr.write(chunk.replace(/^/gm, `[${name}] `));
      onOutput?.(stream, chunk);
    });
  }
  const output = (tail = 6000) =>
    `--- ${name} (${command} ${args.join(" ")})\n--- stdout\n${streams.stdout.slice(-tail)}\n--- stderr\n${streams.stderr.slice(-tail)}`;
  return {
    pid: child.pid,
    child,
    stdout: () => streams.stdout,
    stderr: () => streams.stderr,
    output,
    alive,
    exited,
    kill() {
      if (alive()) killGroup(child.pid, "SIGKILL");
      return exited;
    },
    stop(graceMs = 5000) {
      if (alive()) {
        killGroup(child.pid, stopSignal);
        setTimeout(() => alive() && killGroup(child.pid, "SIGKILL"), graceMs).unref();
      }
      return exited;
    },
  };
}

/** Runs a tracked process to its end (bounded by `maxMs`); resolves `{ code, signal, timedOut, stdout, stderr, output }`. */
export async function runTracked(command, args, options) {
  const handle = spawnTracked(command, args, options);
  const status = await handle.exited;
  return { ...status, stdout: handle.stdout(), stderr: handle.stderr(), output: handle.output() };
}

/** Resident memory of a live process in bytes (Linux /proc), or null. */
export function rssBytes(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Polls `probe()` (async, truthy when done) every `intervalMs` until `timeoutMs`; `progress(elapsedMs)` every `progressMs`. */
export async function waitFor(what, probe, { timeoutMs, intervalMs = 250, progressMs = 5000, progress, abortIf } = {}) {
  const start = Date.now();
  let lastProgress = start;
  for (;;) {
    const why = abortIf?.();
    if (why) throw new Error(`${what}: ${why}`);
    const value = await probe().catch(() => undefined);
    if (value) return value;
    const now = Date.now();
    if (now - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    if (progress && now - lastProgress >= progressMs) {
      lastProgress = now;
      progress(now - start);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A loopback TCP port that was free a moment ago (for programs that cannot listen on port 0 and report it). */
export async function freePort() {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

#!/usr/bin/env node
// Runs a command against freshly started test servers, and stops them afterwards whatever happens.
//
//   node tests/support/servers.mjs -- wasm-pack test --node
//
// Starts, each on a free loopback port with an in-memory database:
//   PREFECT_TEST_SERVER        the open dev server (like Prefect Server: no auth, one tenant)
//   PREFECT_TEST_AUTH_SERVER   the dev server with --auth (alice: two tenants, bob: one; 20 s tokens)
//   PREFECT_TEST_FAULT_SERVER  the misbehaving HTTP endpoint of tests/support/fault-server.mjs
// and runs the command with those variables set. Exits with the command's exit code.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const serverBin = process.env.PREFECT_DEV_SERVER_BIN ?? path.join(root, "target/debug/prefect-dev-server");
const STARTUP_TIMEOUT_MS = 30_000;

export const AUTH_USERS = [
  "alice@example.com:alice-password:alice-team,shared-team",
  "bob@example.com:bob-password",
];

const children = new Set();

function stopAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  children.clear();
}

/** Starts `command args`, resolves the URL of its `... listening on http://...` stdout line. */
function start(name, command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => fail(`did not report its address within ${STARTUP_TIMEOUT_MS} ms`), STARTUP_TIMEOUT_MS);
    function fail(why) {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${name} (${command} ${args.join(" ")}) ${why}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
    }
    child.on("error", (err) => fail(`could not start: ${err.message}`));
    child.on("exit", (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      if (process.env.PREFECT_TEST_SERVER_LOGS) process.stderr.write(`[${name}] ${chunk}`);
    });
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.on("exit", (code, signal) => {
          if (children.has(child)) console.error(`servers: ${name} stopped unexpectedly (code ${code}, signal ${signal})`);
        });
        resolve(match[1].replace(/\/$/, ""));
      }
    });
  });
}

async function main() {
  const separator = process.argv.indexOf("--");
  const command = separator === -1 ? [] : process.argv.slice(separator + 1);
  if (command.length === 0) {
    console.error("usage: node tests/support/servers.mjs -- COMMAND [ARGS...]");
    process.exit(2);
  }
  if (!existsSync(serverBin)) {
    console.error(`servers: no dev server binary at ${serverBin} (run: cargo build -p prefect-dev-server)`);
    process.exit(2);
  }
  const common = ["--listen", "127.0.0.1:0", "--db", ":memory:"];
  const [open, auth, fault] = await Promise.all([
    start("dev-server", serverBin, common),
    start("auth-server", serverBin, [...common, "--auth", "--token-ttl", "20", ...AUTH_USERS.flatMap((u) => ["--user", u])]),
    start("fault-server", process.execPath, [path.join(root, "tests/support/fault-server.mjs")]),
  ]);
  const env = {
    ...process.env,
    PREFECT_TEST_SERVER: open,
    PREFECT_TEST_AUTH_SERVER: auth,
    PREFECT_TEST_FAULT_SERVER: fault,
  };
  console.error(`servers: open ${open}, auth ${auth}, fault ${fault}`);
  const child = spawn(command[0], command.slice(1), { cwd: process.cwd(), env, stdio: "inherit" });
  const code = await new Promise((resolve) => {
    child.on("error", (err) => {
      console.error(`servers: could not run ${command[0]}: ${err.message}`);
      resolve(127);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  stopAll();
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    stopAll();
    process.exit(130);
  });
}
process.on("exit", stopAll);

main().catch((err) => {
  console.error(`servers: ${err.message}`);
  stopAll();
  process.exit(1);
});

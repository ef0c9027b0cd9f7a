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
import { startServer } from "./server-process.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const serverBin = process.env.PREFECT_DEV_SERVER_BIN ?? path.join(root, "target/debug/prefect-dev-server");
const STARTUP_TIMEOUT_MS = 30_000;

export const AUTH_USERS = [
  "alice@example.com:alice-password:alice-team,shared-team",
  "bob@example.com:bob-password",
];

// The servers are killed (SIGKILL) by server-process.mjs when this process exits, however it exits.
async function start(name, command, args) {
  const server = await startServer(command, args, {
    name,
    cwd: root,
    timeoutMs: STARTUP_TIMEOUT_MS,
    logs: Boolean(process.env.PREFECT_TEST_SERVER_LOGS),
  });
  return server.url;
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
  process.exit(code);
}

main().catch((err) => {
  console.error(`servers: ${err.message}`);
  process.exit(1);
});

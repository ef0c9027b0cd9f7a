#!/usr/bin/env node
// `make demo` with real flows: the dev server (--demo --auth, no --simulate), the demo flows of
// tests/prefect1/flows registered with the real Prefect 1.4.1 library (.venv/prefect1), a real
// `prefect agent local start` executing them, and a new round of runs every minute, so the
// dashboard shows real Prefect 1 runs. Run by scripts/demo.sh, which falls back to --simulate when
// this exits with code 3 (no venv, or the server cannot take real flows yet).
//
//   node scripts/demo-real.mjs --listen 127.0.0.1:4200 --db data/prefect.sqlite --www www --pkg pkg
import path from "node:path";
import { parseArgs } from "node:util";
import { startServer } from "../tests/support/server-process.mjs";
import { prefect1Home, runPrefect1, startPrefect1 } from "../tests/support/prefect1-process.mjs";
import { root, venvProgram } from "../tests/support/processes.mjs";

const FALLBACK = 3;
const LABEL = "prefect1-demo";
const FLOWS = ["dependent", "failing", "mapped", "retrying"];
const ROUND_MS = 60_000;
const DAY_MS = 24 * 3600_000;
const DEMO_USER = { email: "demo@example.com", password: "demo" };

const { values: opts } = parseArgs({
  options: { listen: { type: "string", default: "127.0.0.1:4200" }, db: { type: "string", default: "data/prefect.sqlite" }, www: { type: "string", default: "www" }, pkg: { type: "string", default: "pkg" } },
});

function fallback(why) {
  console.error(`demo: cannot run real Prefect 1 flows: ${why}`);
  process.exit(FALLBACK);
}

async function gql(url, query, variables, token) {
  const res = await fetch(`${url}/`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

async function clientCall(ctx, args) {
  const r = await runPrefect1([path.join(root, "tests/prefect1/client_calls.py"), ...args], { ...ctx, maxMs: 120_000, env: { PREFECT1_TEST_LABEL: LABEL } });
  const last = r.stdout.trim().split("\n").pop();
  if (r.code !== 0 || !last?.startsWith("{")) throw new Error(`${args.join(" ")}: ${(r.stderr.trim().split("\n").pop() ?? `exit ${r.code}`).slice(0, 300)}`);
  return JSON.parse(last);
}

async function main() {
  try {
    venvProgram("prefect1", "prefect");
  } catch (err) {
    fallback(err.message);
  }
  const bin = process.env.PREFECT_DEV_SERVER_BIN ?? path.join(root, "target/debug/prefect-dev-server");
  // Tokens for a week: the real agent uses one as its API key and Prefect 1.4.1 never refreshes it.
  const server = await startServer(bin, ["--listen", opts.listen, "--db", opts.db, "--demo", "--auth", "--token-ttl", "604800", "--www", opts.www, "--pkg", opts.pkg], {
    name: "prefect-dev-server",
    timeoutMs: 60_000,
    cwd: root,
  });
  let printed = 0;
  const echo = () => {
    process.stdout.write(server.stdout().slice(printed));
    printed = server.stdout().length;
  };
  server.child.stdout.on("data", echo);
  echo();

  let registered;
  let ctx;
  try {
    const token = (await gql(server.url, "mutation($input: log_in_input!) { log_in(input: $input) { access_token } }", { input: DEMO_USER })).log_in.access_token;
    const tenant = (await gql(server.url, "query { tenant { id slug } }", {}, token)).tenant.find((t) => t.slug === "demo");
    ctx = { server, home: prefect1Home(), auth: { apiKey: token, tenantId: tenant.id } };
    await clientCall(ctx, ["create-project", "Real Prefect 1"]);
    registered = {};
    for (const flow of FLOWS) registered[flow] = (await clientCall(ctx, ["register", flow, "--project", "Real Prefect 1"])).flow_id;
  } catch (err) {
    await server.stop();
    fallback(`${err.message.split("\n")[0]} (the dev server does not take real registrations yet: issue #12)`);
  }

  const agent = startPrefect1(["agent", "local", "start", "-l", LABEL, "--no-hostname-label"], { ...ctx, maxMs: DAY_MS, name: "prefect agent" });
  console.log(`demo: REAL flows: Prefect 1.4.1 local agent (pid ${agent.pid}, label ${LABEL}) runs ${FLOWS.length} registered flows, a new round every ${ROUND_MS / 1000} s (make demo SIMULATE=1 for the simulated agent)`);
  const round = async () => {
    for (const flow of FLOWS) await clientCall(ctx, ["create-run", registered[flow]]).catch((err) => console.error(`demo: create run of ${flow}: ${err.message}`));
  };
  await round();
  const timer = setInterval(round, ROUND_MS);
  agent.exited.then((status) => {
    console.error(`demo: the agent stopped (${JSON.stringify(status)})\n${agent.output(3000)}`);
  });
  const status = await server.exited;
  clearInterval(timer);
  await agent.stop();
  process.exit(status.code ?? 0);
}

main().catch((err) => {
  console.error(`demo: ${err.stack ?? err.message}`);
  process.exit(1);
});

#!/usr/bin/env node
// `make demo` with real flows: the dev server (--demo --auth, no --simulate), the flows of
// tests/prefect1/flows registered with the real Prefect 1.4.1 library (.venv/prefect1; an unchanged
// flow is not registered again), a real `prefect agent local start` executing them, and a new
// round of runs every minute, so the dashboard shows real Prefect 1 runs. Run by scripts/demo.sh,
// which falls back to --simulate when this exits with code 3 (no venv, or the real library cannot
// register on this server).
//
// Ctrl-C (or SIGTERM) stops it cleanly: no new runs, the runs in flight cancelled through the API
// (the engine sees Cancelling and ends them Cancelled), then the agent and the server stopped; a
// second Ctrl-C kills everything at once. Every process is in a process group of its own and killed
// by PID whatever happens (tests/support/processes.mjs), so no Python process outlives the demo.
//
//   node scripts/demo-real.mjs --listen 127.0.0.1:4200 --db data/prefect.sqlite --www www --pkg pkg
import { mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { prefect1Home, runPrefect1, startPrefect1 } from "../tests/support/prefect1-process.mjs";
import { root, spawnTracked, venvProgram } from "../tests/support/processes.mjs";

const FALLBACK = 3;
const LABEL = "prefect1-demo";
const PROJECT = "Real Prefect 1";
const FLOWS = ["dependent", "failing", "mapped", "retrying"];
const ROUND_MS = 60_000;
const DEMO_USER = { email: "demo@example.com", password: "demo" };
// How long the runs in flight get to end Cancelled when the demo stops.
const CANCEL_GRACE_MS = 20_000;
// The bound on the demo's processes (the harness requires one).
const WEEK_MS = 7 * 24 * 3600_000;

const { values: opts } = parseArgs({
  options: { listen: { type: "string", default: "127.0.0.1:4200" }, db: { type: "string", default: "data/prefect.sqlite" }, www: { type: "string", default: "www" }, pkg: { type: "string", default: "pkg" } },
});

function say(line) {
  console.log(`\x1b[1mdemo:\x1b[0m ${line}`);
}

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

/** The dev server in a process group of its own (Ctrl-C reaches this script, which stops it last). */
function startDevServer(bin, args) {
  return new Promise((resolve, reject) => {
    let seen = "";
    const server = spawnTracked(bin, args, {
      name: "prefect-dev-server",
      maxMs: WEEK_MS,
      onOutput: (stream, chunk) => {
        if (stream !== "stdout") return;
        process.stdout.write(chunk);
        seen += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(seen);
        if (match && !server.url) {
          server.url = match[1].replace(/\/$/, "");
          resolve(server);
        }
      },
    });
    server.exited.then((status) => server.url || reject(new Error(`the dev server exited (${JSON.stringify(status)})\n${server.output(3000)}`)));
    setTimeout(() => server.url || reject(new Error("the dev server did not report its address within 60 s")), 60_000).unref();
  });
}

/** The unfinished runs of the demo's agent (its label). */
const UNFINISHED = `query($labels: jsonb) { flow_run(where: {labels: {_contains: $labels}, state: {_in: ["Submitted", "Running", "Cancelling"]}}) { id } }`;

async function main() {
  try {
    venvProgram("prefect1", "prefect");
  } catch (err) {
    fallback(err.message);
  }
  const bin = process.env.PREFECT_DEV_SERVER_BIN ?? path.join(root, "target/debug/prefect-dev-server");
  // Tokens for a week: the real agent uses one as its API key and Prefect 1.4.1 never refreshes it.
  const server = await startDevServer(bin, ["--listen", opts.listen, "--db", opts.db, "--demo", "--auth", "--token-ttl", "604800", "--www", opts.www, "--pkg", opts.pkg]);
  // Beside the database, so that results outlive a restart and an unchanged flow keeps its hash.
  const home = opts.db === ":memory:" ? prefect1Home() : path.resolve(root, path.dirname(opts.db), "prefect1-home");
  mkdirSync(path.join(home, ".prefect"), { recursive: true });

  let ctx;
  let token;
  const registered = {};
  try {
    token = (await gql(server.url, "mutation($input: log_in_input!) { log_in(input: $input) { access_token } }", { input: DEMO_USER })).log_in.access_token;
    const tenant = (await gql(server.url, "query { tenant { id slug } }", {}, token)).tenant.find((t) => t.slug === "demo");
    ctx = { server, home, auth: { apiKey: token, tenantId: tenant.id } };
    await clientCall(ctx, ["create-project", PROJECT]);
    for (const flow of FLOWS) registered[flow] = (await clientCall(ctx, ["register", flow, "--project", PROJECT, "--idempotent"])).flow_id;
  } catch (err) {
    await server.stop();
    fallback(err.message.split("\n")[0]);
  }
  const unfinished = async () => (await gql(server.url, UNFINISHED, { labels: [LABEL] }, token)).flow_run;
  // A demo killed mid-run leaves runs that nothing executes any more: they are ended for what they are.
  const stale = await unfinished();
  for (const run of stale) {
    const state = { type: "Cancelled", message: "The demo stopped before this run finished." };
    await gql(server.url, "mutation($input: set_flow_run_states_input!) { set_flow_run_states(input: $input) { states { id } } }", { input: { states: [{ flow_run_id: run.id, version: null, state }] } }, token);
  }

  const agent = startPrefect1(["agent", "local", "start", "-l", LABEL, "--no-hostname-label"], { ...ctx, maxMs: WEEK_MS, name: "prefect agent" });
  say(`REAL flows: a Prefect 1.4.1 local agent (pid ${agent.pid}, label ${LABEL}) runs ${FLOWS.length} flows registered with the real library in project "${PROJECT}", a new round every ${ROUND_MS / 1000} s`);
  say(`dashboard ${server.url}/ui/ (log in as ${DEMO_USER.email} / ${DEMO_USER.password}); the seeded "Demo" project's flows are the simulated agent's (make demo SIMULATE=1); Ctrl-C stops the demo`);
  let stopping = false;
  const round = async () => {
    for (const flow of FLOWS) {
      if (stopping) return;
      await clientCall(ctx, ["create-run", registered[flow]]).catch((err) => stopping || console.error(`demo: create run of ${flow}: ${err.message}`));
    }
  };
  const timer = setInterval(round, ROUND_MS);
  round();
  agent.exited.then((status) => stopping || console.error(`demo: the agent stopped (${JSON.stringify(status)})\n${agent.output(3000)}`));

  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    say(`stopping (${why}): cancelling the runs in flight, then the agent and the server`);
    try {
      const inFlight = await unfinished();
      for (const run of inFlight) await gql(server.url, "mutation($input: cancel_flow_run_input!) { cancel_flow_run(input: $input) { state } }", { input: { flow_run_id: run.id } }, token);
      const until = Date.now() + CANCEL_GRACE_MS;
      while (Date.now() < until && (await unfinished()).length > 0) await new Promise((r) => setTimeout(r, 500));
    } catch (err) {
      console.error(`demo: cancelling the runs in flight: ${err.message}`);
    }
    await agent.stop(5000);
    await server.stop(5000);
    say("stopped");
    process.exit(0);
  };
  // This script stops its processes itself; tests/support/processes.mjs's handlers would kill them
  // at once. Its exit handler still kills whatever is left, and a second signal stops at once.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.removeAllListeners(signal);
    process.on(signal, () => (stopping ? process.exit(130) : stop(signal)));
  }
  const status = await server.exited;
  if (!stopping) {
    stopping = true;
    clearInterval(timer);
    console.error(`demo: the dev server stopped (${JSON.stringify(status)})`);
    await agent.stop(5000);
    process.exit(status.code ?? 1);
  }
}

main().catch((err) => {
  console.error(`demo: ${err.stack ?? err.message}`);
  process.exit(1);
});

// The crash-safety soak (run by tests/soak/run.sh). Per cycle: SOAK_CALLS setState calls from
// SOAK_CLIENTS clients (each its own Client, two runs each, one call in flight per run), the
// server SIGKILLed when a seeded share of the calls has been acknowledged, restarted on the same
// database file, and the file checked against what the clients saw:
//   lost        acknowledged writes missing (or with another version)      must be 0
//   duplicated  a write stored twice                                       must be 0
//   gaps        runs whose versions are not contiguous                     must be 0
//   strangers   rows that were neither acknowledged nor in flight at the kill   must be 0
//   in flight   unacknowledged writes found anyway (allowed: they reached the server)
// and in the clients:
//   wrong answers   a write acknowledged with another run, type, message or version   must be 0
//   early failures  a call that failed before the kill, or at the kill with anything but NETWORK   must be 0
//   acknowledged    writes acknowledged before the kill            at least the kill point (and 1)
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRun, gql, loadClient, prng, seedFlow, startServer } from "../reliability/_harness.mjs";

const CYCLES = Number(process.env.SOAK_CYCLES ?? 3);
const CALLS = Number(process.env.SOAK_CALLS ?? 1000);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 5);
const SEED = Number(process.env.SOAK_SEED ?? 1201);
const TYPES = ["Running", "Pending", "Scheduled", "Running", "Retrying", "Running", "Success", "Failed"];

const { Client, FlowRuns } = loadClient();
const rnd = prng(SEED);
const dir = mkdtempSync(path.join(os.tmpdir(), "prefect-soak-"));
const db = path.join(dir, "soak.sqlite");
console.log(`soak: server ${process.env.PREFECT_DEV_SERVER_BIN}, db ${db}, ${CYCLES} cycles × ${CALLS} setState calls from ${CLIENTS} clients, seed ${SEED}`);

let server = await startServer(["--db", db], { name: "soak-server" });
const { flowId } = await seedFlow(server.url);
const runs = [];
for (let i = 0; i < CLIENTS * 2; i++) runs.push(await createRun(server.url, flowId));

const totals = { planned: 0, acked: 0, failed: 0, inFlightPersisted: 0, lost: 0, duplicated: 0, gaps: 0, strangers: 0, mismatched: 0, wrongAnswers: 0, earlyFailures: 0, shortCycles: 0 };
const acked = new Map(runs.map((r) => [r, []])); // run → [{ version, message, type }] over all cycles
let failures = 0;

for (let cycle = 1; cycle <= CYCLES; cycle++) {
  const killAt = Math.floor(CALLS * (0.3 + 0.4 * rnd.next()));
  const perRun = Math.ceil(CALLS / runs.length);
  let ackCount = 0;
  let killed = false;
  const inFlight = new Map(); // run → message attempted when the server died
  const stats = { planned: 0, acked: 0, failed: 0, wrongAnswers: 0, earlyFailures: 0 };
  // each run's version now (server-side truth, after the last restart): every acknowledged write
  // must answer the next one
  const version = new Map();
  for (const run of runs) version.set(run, (await gql(server.url, "query($id: uuid!) { flow_run_by_pk(id: $id) { version } }", { id: run })).flow_run_by_pk.version);
  const t0 = performance.now();
  const clients = Array.from({ length: CLIENTS }, () => new FlowRuns(new Client({ apiServer: server.url, retries: 0, timeoutMs: 10_000 })));
  const chains = runs.map(async (run, i) => {
    const flowRuns = clients[i % CLIENTS];
    for (let k = 0; k < perRun; k++) {
      const message = `soak c${cycle} run${i} n${k}`;
      const type = TYPES[(k + i) % TYPES.length];
      stats.planned += 1;
      inFlight.set(run, message);
      let st;
      try {
        st = await flowRuns.setState(run, { type, message });
      } catch (e) {
        stats.failed += 1;
        // at the kill a call can only lose its connection; anything else, or any failure before
        // the kill, is the server or the client failing
        if (!killed || e.code !== "NETWORK") {
          stats.earlyFailures += 1;
          console.log(`  FAILURE ${killed ? "at" : "before"} the kill: run${i} n${k}: ${e.code}: ${e.message}`);
        }
        return; // the server is gone: this chain stops, its last message may or may not be stored
      }
      const expected = { id: run, type, message, version: version.get(run) + 1 };
      const answered = { id: st.id, type: st.type, message: st.message, version: st.version };
      if (JSON.stringify(answered) !== JSON.stringify(expected)) {
        stats.wrongAnswers += 1;
        console.log(`  WRONG ANSWER: run${i} n${k}: acknowledged ${JSON.stringify(answered)}, expected ${JSON.stringify(expected)}`);
      }
      version.set(run, st.version);
      acked.get(run).push({ version: st.version, message, type });
      stats.acked += 1;
      inFlight.delete(run);
      if (++ackCount >= killAt && !killed) {
        killed = true;
        server.kill("SIGKILL");
      }
    }
    inFlight.delete(run);
  });
  await Promise.all(chains);
  const burstMs = performance.now() - t0;
  if (!killed) server.kill("SIGKILL");
  await server.exited;

  const t1 = performance.now();
  server = await startServer(["--db", db], { name: "soak-server" });
  const restartMs = performance.now() - t1;

  // what the file holds now
  const c = { lost: 0, duplicated: 0, gaps: 0, strangers: 0, inFlightPersisted: 0, mismatched: 0 };
  for (const [i, run] of runs.entries()) {
    const d = await gql(server.url, `query($id: uuid!) {
      flow_run_by_pk(id: $id) { version state }
      flow_run_state(where: {flow_run_id: {_eq: $id}}, order_by: {version: asc}) { version state message }
    }`, { id: run });
    const rows = d.flow_run_state;
    const byMessage = new Map();
    for (const row of rows) byMessage.set(row.message, [...(byMessage.get(row.message) ?? []), row]);
    for (const a of acked.get(run)) {
      const found = byMessage.get(a.message) ?? [];
      if (found.length === 0 || !found.some((r) => r.version === a.version && r.state === a.type)) {
        c.lost += 1;
        if (c.lost <= 5) console.log(`  LOST: run${i} v${a.version} ${a.message} (found ${JSON.stringify(found)})`);
      }
    }
    for (const [msg, found] of byMessage) if (found.length > 1) {
      c.duplicated += found.length - 1;
      console.log(`  DUPLICATED: run${i} ${msg} ×${found.length}`);
    }
    const versions = rows.map((r) => r.version);
    const contiguous = versions.every((v, j) => j === 0 || v === versions[j - 1] + 1);
    if (!contiguous) {
      c.gaps += 1;
      console.log(`  GAP: run${i} versions ${versions.join(",")}`);
    }
    const known = new Set(acked.get(run).map((a) => a.message));
    const pending = inFlight.get(run);
    for (const row of rows) {
      if (known.has(row.message) || row.message === "Flow run scheduled." || row.version === versions[0]) continue;
      if (row.message === pending && row.version === versions.at(-1)) {
        c.inFlightPersisted += 1;
        // it reached the file: from now on it is part of the history
        acked.get(run).push({ version: row.version, message: row.message, type: row.state });
        continue;
      }
      c.strangers += 1;
      console.log(`  STRANGER: run${i} v${row.version} ${row.state} ${row.message}`);
    }
    const last = rows.at(-1);
    if (!last || d.flow_run_by_pk.version !== last.version || d.flow_run_by_pk.state !== last.state) {
      c.mismatched += 1;
      console.log(`  RUN/STATE MISMATCH: run${i} run v${d.flow_run_by_pk.version} ${d.flow_run_by_pk.state}, last row ${JSON.stringify(last)}`);
    }
  }
  // the burst must reach its kill point: a cycle whose calls all failed would check nothing
  const short = stats.acked < Math.max(1, killAt) ? 1 : 0;
  if (short) console.log(`  SHORT CYCLE: ${stats.acked} writes acknowledged, the kill was due after ${killAt}`);
  for (const k of Object.keys(c)) totals[k] += c[k];
  for (const k of ["planned", "acked", "failed", "wrongAnswers", "earlyFailures"]) totals[k] += stats[k];
  totals.shortCycles += short;
  const bad = c.lost + c.duplicated + c.gaps + c.strangers + c.mismatched + stats.wrongAnswers + stats.earlyFailures + short;
  failures += bad;
  console.log(`cycle ${cycle}: killed after ${ackCount} acks (target ${killAt}); ${stats.planned} calls started, ${stats.acked} acknowledged, ` +
    `${stats.failed - stats.earlyFailures} failed at the kill, ${c.inFlightPersisted} of those stored anyway; burst ${(burstMs / 1000).toFixed(1)} s ` +
    `(${(stats.acked / (burstMs / 1000)).toFixed(0)} acks/s), restart ${restartMs.toFixed(0)} ms; ` +
    `lost ${c.lost}, duplicated ${c.duplicated}, gaps ${c.gaps}, strangers ${c.strangers}, run/state mismatches ${c.mismatched}, ` +
    `wrong answers ${stats.wrongAnswers}, unexpected failures ${stats.earlyFailures} → ${bad ? "FAIL" : "ok"}`);
}

await server.kill("SIGKILL");
rmSync(dir, { recursive: true, force: true });
console.log(`soak total: ${CYCLES} kills, ${totals.planned} calls, ${totals.acked} acknowledged, ${totals.failed - totals.earlyFailures} failed at a kill ` +
  `(${totals.inFlightPersisted} stored anyway), lost ${totals.lost}, duplicated ${totals.duplicated}, gaps ${totals.gaps}, ` +
  `strangers ${totals.strangers}, mismatches ${totals.mismatched}, wrong answers ${totals.wrongAnswers}, ` +
  `unexpected failures ${totals.earlyFailures}, cycles short of their kill point ${totals.shortCycles}`);
console.log(failures === 0 ? "soak: ok" : "soak: FAILED");
process.exit(failures === 0 ? 0 : 1);

#!/usr/bin/env node
// Which operations of the real Prefect 1.4.1 library work against the dev server today.
//
//   node tests/prefect1/inventory.mjs [--json out.json] [--records dir]
//
// Starts the dev server open and with --auth (through tests/support), runs tests/prefect1/probe.py
// against each with the GraphQL recorder on, and prints, per probe step, the GraphQL operations
// the library sent and how each was answered: the "today" column of OPERATIONS.md. Not a test
// (it passes whatever the server does); the prefect1 layer is the test.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gql, startServer } from "../reliability/_harness.mjs";
import { prefect1Home, runPrefect1 } from "../support/prefect1-process.mjs";

const PROBE = "tests/prefect1/probe.py";
const USER = { email: "probe@example.com", password: "probe-password", tenant: "probe-team" };

function rootField(query) {
  const m = /^\s*(?:query|mutation)?\s*(?:\([^)]*\))?\s*\{\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(query);
  return m ? m[1] : "?";
}

function outcome(record) {
  const errors = record.answer?.errors;
  if (record.status !== 200) return `HTTP ${record.status}: ${JSON.stringify(record.answer).slice(0, 200)}`;
  if (errors?.length) return errors.map((e) => e.message).join("; ").slice(0, 300);
  return "ok";
}

async function probe(mode, server, auth, recordFile) {
  const home = prefect1Home();
  const r = await runPrefect1([PROBE, "--mode", mode], { server, auth, home, record: recordFile, maxMs: 15 * 60_000, name: `probe ${mode}` });
  const steps = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
  if (steps.length === 0) throw new Error(`the probe printed nothing\n${r.output}`);
  return steps;
}

async function main() {
  const jsonOut = process.argv.includes("--json") ? process.argv[process.argv.indexOf("--json") + 1] : null;
  const dir = mkdtempSync(path.join(os.tmpdir(), "prefect1-inventory-"));
  const open = await startServer([]);
  const authServer = await startServer(["--auth", "--token-ttl", "3600", "--user", `${USER.email}:${USER.password}:${USER.tenant}`], { name: "auth-server" });
  const login = await gql(
    authServer.url,
    "mutation($input: log_in_input!) { log_in(input: $input) { access_token } }",
    { input: { email: USER.email, password: USER.password } },
  );
  const apiKey = login.log_in.access_token;
  // The tenant is given too, so that the probe goes on past the key's own tenant lookup.
  const tenant = await gql(authServer.url, "query { tenant { id } }", {}, { authorization: `Bearer ${apiKey}` });
  const runs = [
    { mode: "open", server: open, auth: undefined },
    { mode: "auth", server: authServer, auth: { apiKey, tenantId: tenant.tenant[0].id } },
  ];
  const report = [];
  for (const { mode, server, auth } of runs) {
    const recordFile = path.join(dir, `${mode}.jsonl`);
    const steps = await probe(mode, server, auth, recordFile);
    const records = existsSync(recordFile)
      ? readFileSync(recordFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))
      : [];
    for (const s of steps) {
      const sent = records.filter((r) => r.step === s.probe);
      const ops = [];
      for (const r of sent) {
        const name = rootField(r.query);
        const result = outcome(r);
        const seen = ops.find((o) => o.name === name && o.result === result);
        if (seen) seen.count++;
        else ops.push({ name, result, count: 1, query: r.query, variables: r.variables });
      }
      report.push({ ...s, operations: ops });
    }
  }
  await open.stop();
  await authServer.stop();
  for (const s of report) {
    console.log(`\n### ${s.probe}: ${s.ok ? "works" : "FAILS"}${s.ok ? "" : ` (${s.error.split("\n")[0].slice(0, 300)})`}`);
    for (const o of s.operations) console.log(`- ${o.name}${o.count > 1 ? ` ×${o.count}` : ""}: ${o.result}`);
  }
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 2));
  console.error(`\nrecords: ${dir}`);
}

main().catch((err) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});

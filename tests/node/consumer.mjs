#!/usr/bin/env node
// The packaged-install test: `npm pack`s pkg/, installs the tarball into a fresh temporary
// ESM project and runs short scripts against PREFECT_TEST_SERVER as a user would: ESM import
// (the nodejs build through the `exports` map), CommonJS require, and the `./web` build with
// init(). Run after `make build`:   PREFECT_TEST_SERVER=http://127.0.0.1:PORT node tests/node/consumer.mjs
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const server = process.env.PREFECT_TEST_SERVER;
if (!server) {
  console.error("tests/node: PREFECT_TEST_SERVER is not set (start a dev server, export its URL)");
  process.exit(2);
}
if (!existsSync(join(root, "pkg/package.json"))) {
  console.error("tests/node: pkg/ is not built (run make build)");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "prefect-wasm-consumer-"));
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: dir, stdio: ["ignore", "pipe", "inherit"], ...opts }).toString();
let failed = false;
try {
  run("npm", ["pack", join(root, "pkg"), "--pack-destination", dir, "--silent"]);
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error("npm pack produced no tarball");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", "--offline", "--no-package-lock", `./${tarball}`]);

  writeFileSync(
    join(dir, "esm.mjs"),
    `import assert from "node:assert/strict";
import { Client, FlowRuns, TaskRuns, PrefectError } from "prefect-wasm";
const client = new Client({ apiServer: process.env.PREFECT_TEST_SERVER });
const { hello } = await client.graphql("query { hello }");
assert.equal(typeof hello, "string");
const { tenant } = await client.graphql("query { tenant { id } }");
const { create_project } = await client.graphql(
  "mutation P($input: create_project_input!) { create_project(input: $input) { id } }",
  { input: { tenant_id: tenant[0].id, name: "consumer-" + Date.now() } });
const { create_flow } = await client.graphql(
  "mutation F($input: create_flow_input!) { create_flow(input: $input) { id } }",
  { input: { project_id: create_project.id, serialized_flow: { name: "consumer-flow", tasks: [{ slug: "t" }] } } });
const flowRuns = new FlowRuns(client);
const { id } = await flowRuns.create(create_flow.id, { name: "from-the-package" });
const running = await flowRuns.setState(id, "Running", { expectedState: "Scheduled" });
assert.equal(running.type, "Running");
const done = await flowRuns.setState(id, { type: "Success", message: "ok" }, { result: { n: 1 } });
assert.deepEqual((await flowRuns.getState(id)).result, { n: 1 });
assert.equal(done.message, "ok");
await assert.rejects(new TaskRuns(client).getState("00000000-0000-4000-8000-000000000000"),
  (e) => e instanceof PrefectError && e instanceof Error && e.code === "NOT_FOUND" && typeof e.stack === "string");
await assert.rejects(flowRuns.setState(id, "Bogus"), (e) => e instanceof PrefectError && e.code === "INVALID_ARGUMENT");
await assert.rejects(new Client({ apiServer: "http://127.0.0.1:1", retries: 0 }).graphql("{ hello }"),
  (e) => e instanceof PrefectError && e.code === "NETWORK");
console.log("esm: ok");
`,
  );
  writeFileSync(
    join(dir, "cjs.cjs"),
    `const assert = require("node:assert/strict");
const { Client, PrefectError } = require("prefect-wasm");
(async () => {
  const data = await new Client({ apiServer: process.env.PREFECT_TEST_SERVER }).graphql("{ hello }");
  assert.equal(typeof data.hello, "string");
  await assert.rejects(new Client({ apiServer: process.env.PREFECT_TEST_SERVER }).graphql("{ nope }"),
    (e) => e instanceof PrefectError && e.code === "GRAPHQL" && Array.isArray(e.errors));
  console.log("cjs: ok");
})().catch((e) => { console.error(e); process.exit(1); });
`,
  );
  writeFileSync(
    join(dir, "web.mjs"),
    `import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import init, { Client, PrefectError } from "prefect-wasm/web";
await init({ module_or_path: readFileSync(fileURLToPath(import.meta.resolve("prefect-wasm/web/prefect_wasm_bg.wasm"))) });
const data = await new Client({ apiServer: process.env.PREFECT_TEST_SERVER }).graphql("{ hello }");
assert.equal(typeof data.hello, "string");
assert.ok(new PrefectError("m", "HTTP") instanceof Error);
console.log("web: ok");
`,
  );
  for (const script of ["esm.mjs", "cjs.cjs", "web.mjs"]) {
    process.stdout.write(run("node", [script], { env: { ...process.env, PREFECT_TEST_SERVER: server } }));
  }
  console.log("tests/node: the packed tarball installs and works (3 scripts)");
} catch (e) {
  failed = true;
  console.error(`tests/node: FAILED: ${e.message}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

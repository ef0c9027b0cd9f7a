#!/usr/bin/env node
// The `bundlers` test layer: the package as users get it, in every setup the README gives a
// recipe for. `npm pack`s pkg/ and, for each app under apps/, makes a fresh project in the
// system's temp folder (nothing of this repository above it), installs the tarball there, links
// in the one tool the recipe uses (pinned by this folder's package-lock.json) and builds the app
// with that tool's defaults plus only what the README says to add. Browser apps are served (built
// files as they are, .wasm as application/wasm; or by Vite's own dev server) and loaded in
// headless Chromium; Node apps run in Node. Every app imports the package the way the README
// does and reports what apps/checks.js saw against the dev server at PREFECT_TEST_SERVER:
// `graphql('{ hello }')`, `FlowRuns.getState()` of a real run, and a failing call rejecting with
// a `PrefectError`. For browser apps the runner also checks that the .wasm arrived as
// application/wasm and that the glue did not fall back from streaming compilation, and prints
// what the app downloads (its JS and the .wasm, gzip -9 as `make bench` measures).
//
//   PREFECT_TEST_SERVER=http://127.0.0.1:PORT node tests/bundlers/run.mjs [app ...]
// (scripts/test.sh bundlers starts the servers). KEEP_BUNDLER_APPS=1 keeps the temp projects.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { compressed } from "../../bench/lib/size.mjs";
import { startFaultProxy } from "../support/fault-proxy.mjs";
import { startServer } from "../support/server-process.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const tools = path.join(here, "node_modules");
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];
const REPORT_TIMEOUT_MS = 60_000; // a bound on a hung page, not a performance figure

// Each app: its files (apps/<files>, default its name), the tools linked into its project, the
// build commands (run in the project; a command's first word is a linked tool's bin or a plain
// program), then the folder served (browser apps), the dev server started instead
// (apps/<devServer>), or the script run (Node apps); and where apps/checks.js goes (beside the
// entry).
const APPS = {
  vite: { tools: ["vite"], build: [["vite", "build"]], serve: "dist" },
  "vite-dev": { files: "vite", tools: ["vite"], build: [], devServer: "vite-dev-server.mjs" },
  webpack: { tools: ["webpack", "webpack-cli"], build: [["webpack-cli", "--mode", "production"]], serve: "dist", checks: "src" },
  rollup: {
    tools: ["rollup", "@rollup/plugin-node-resolve"],
    build: [["rollup", "-c"], ["cp", "node_modules/prefect-wasm/web/prefect_wasm_bg.wasm", "dist/"]],
    serve: "dist",
  },
  esbuild: {
    tools: ["esbuild"],
    build: [["esbuild", "main.js", "--bundle", "--minify", "--format=esm", "--loader:.wasm=file", "--outdir=dist"]],
    serve: "dist",
  },
  page: { tools: [], build: [], serve: "." },
  "webpack-bundler": { tools: ["webpack", "webpack-cli"], build: [["webpack-cli", "--mode", "production"]], serve: "dist", checks: "src" },
  worker: { tools: ["vite"], build: [["vite", "build"]], serve: "dist" },
  "node-esm": { files: "node", tools: [], build: [], node: "esm.mjs" },
  "node-cjs": { files: "node", tools: [], build: [], node: "cjs.cjs" },
};

const server = process.env.PREFECT_TEST_SERVER;
if (!server) {
  console.error("tests/bundlers: PREFECT_TEST_SERVER is not set (run it through scripts/test.sh bundlers)");
  process.exit(2);
}
if (!existsSync(path.join(root, "pkg/package.json"))) {
  console.error("tests/bundlers: pkg/ is not built (make build)");
  process.exit(2);
}
if (!existsSync(path.join(tools, "vite"))) {
  console.error("tests/bundlers: the bundlers are not installed (scripts/setup.sh installs them)");
  process.exit(2);
}
const selected = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(APPS);
for (const name of selected) if (!APPS[name]) throw new Error(`unknown app ${name}; apps: ${Object.keys(APPS).join(", ")}`);

const run = (cwd, command, args) => {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${error.stdout ?? ""}${error.stderr ?? error.message}`);
  }
};

async function graphql(query, variables = {}) {
  const response = await fetch(server, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  if (body.errors) throw new Error(`${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** A flow run in the Running state (version 2), made with plain GraphQL, not with the client. */
async function makeRun() {
  const { tenant } = await graphql("query { tenant { id } }");
  const { create_project } = await graphql("mutation($input: create_project_input!) { create_project(input: $input) { id } }", {
    input: { tenant_id: tenant[0].id, name: `bundlers-${Date.now()}` },
  });
  const { create_flow } = await graphql("mutation($input: create_flow_input!) { create_flow(input: $input) { id } }", {
    input: { project_id: create_project.id, serialized_flow: { name: "bundlers", tasks: [{ slug: "t" }] } },
  });
  const { create_flow_run } = await graphql("mutation($input: create_flow_run_input!) { create_flow_run(input: $input) { id } }", {
    input: { flow_id: create_flow.id },
  });
  await graphql("mutation($input: set_flow_run_states_input!) { set_flow_run_states(input: $input) { states { status } } }", {
    input: { states: [{ flow_run_id: create_flow_run.id, version: 1, state: { type: "Running", message: "bundlers" } }] },
  });
  return create_flow_run.id;
}

/** A folder under the system's temp folder with no package.json or node_modules above it. */
function cleanTempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  for (let up = path.dirname(dir); up !== path.dirname(up); up = path.dirname(up)) {
    for (const stray of ["package.json", "node_modules"]) {
      if (existsSync(path.join(up, stray))) throw new Error(`${path.join(up, stray)} would be seen by the test projects under ${tmpdir()}`);
    }
  }
  return dir;
}

function binOf(project, tool) {
  const manifest = JSON.parse(readFileSync(path.join(project, "node_modules", tool, "package.json"), "utf8"));
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.[tool];
  return bin && path.join(project, "node_modules", tool, bin);
}

const tempDirs = []; // removed at the end, whatever happened

/** A fresh project for `name`: its files from apps/, the tarball installed, its tools linked. */
function makeProject(name, tarball) {
  const app = APPS[name];
  const project = cleanTempDir(`prefect-wasm-${name}-`);
  tempDirs.push(project);
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: `${name}-app`, private: true, type: "module" }, null, 2));
  run(project, "npm", ["install", "--no-audit", "--no-fund", "--offline", "--no-package-lock", "--loglevel=error", tarball]);
  cpSync(path.join(here, "apps", app.files ?? name), project, { recursive: true });
  if (app.devServer) cpSync(path.join(here, "apps", app.devServer), path.join(project, app.devServer));
  cpSync(path.join(here, "apps/checks.js"), path.join(project, app.checks ?? ".", "checks.js"));
  for (const tool of app.tools) {
    mkdirSync(path.dirname(path.join(project, "node_modules", tool)), { recursive: true });
    symlinkSync(path.join(tools, tool), path.join(project, "node_modules", tool), "dir");
  }
  for (const [command, ...args] of app.build) {
    const bin = app.tools.includes(command) ? binOf(project, command) : command;
    run(project, bin, args);
  }
  return project;
}

function assertReport(name, report, flowRunId) {
  assert.equal(typeof report.hello, "string", `${name}: graphql('{ hello }')`);
  assert.deepEqual(report.state, { id: flowRunId, type: "Running", version: 2 }, `${name}: FlowRuns.getState()`);
  assert.deepEqual(report.failure, { isPrefectError: true, isError: true, name: "PrefectError", code: "NOT_FOUND" }, `${name}: a failing call`);
}

const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

/** The app's origin: its dev server, or its built files served as they are (.wasm as application/wasm). */
async function serve(name, project) {
  const { devServer, serve } = APPS[name];
  if (devServer) {
    const dev = await startServer("node", [devServer], { cwd: project, name: `${name} dev server` });
    return { url: dev.url, close: () => dev.stop() };
  }
  return startFaultProxy({ staticDir: path.join(project, serve), staticPrefix: "/" });
}

async function runInBrowser(browser, name, project, flowRunId) {
  const origin = await serve(name, project);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const downloads = []; // { url, type, gz }
    const pending = [];
    const warnings = [];
    const errors = [];
    context.on("response", (response) => {
      const url = new URL(response.url());
      if (!/\.(m?js|wasm)$/.test(url.pathname)) return;
      pending.push(response.body().then((body) => downloads.push({ url: url.pathname, type: response.headers()["content-type"], gz: compressed(body).gz })));
    });
    page.on("console", (message) => {
      if (message.type() === "warning") warnings.push(message.text());
      if (message.type() === "error") errors.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on("pageerror", (error) => errors.push(String(error?.stack ?? error)));
    const thrown = new Promise((_, reject) => page.on("pageerror", (error) => reject(new Error(`${name}: the page threw: ${error?.stack ?? error}`))));
    thrown.catch(() => {}); // an error after the report is in `errors`, not an unhandled rejection
    await page.goto(`${origin.url}/index.html?${new URLSearchParams({ server, run: flowRunId })}`);
    const handle = await Promise.race([page.waitForFunction(() => globalThis.report, null, { timeout: REPORT_TIMEOUT_MS }), thrown]).catch((error) => {
      throw new Error(`${error.message}\n${errors.join("\n")}`);
    });
    const outcome = await handle.jsonValue();
    assert.ok(outcome.ok, `${name}: ${outcome.error}\n${errors.join("\n")}`);
    assertReport(name, outcome.value, flowRunId);
    await Promise.all(pending);

    const wasm = downloads.filter((d) => d.url.endsWith(".wasm"));
    assert.equal(wasm.length, 1, `${name}: one .wasm download (${JSON.stringify(downloads)})`);
    const fallback = warnings.find((w) => w.includes("instantiateStreaming"));
    assert.equal(wasm[0].type, "application/wasm", `${name}: ${wasm[0].url} served as ${wasm[0].type}`);
    assert.equal(fallback, undefined, `${name}: the glue fell back from streaming compilation: ${fallback}`);
    const js = downloads.filter((d) => !d.url.endsWith(".wasm")).reduce((sum, d) => sum + d.gz, 0);
    return { js, wasm: wasm[0].gz, note: `${wasm[0].url} as application/wasm, no streaming fallback` };
  } finally {
    await context.close();
    await origin.close();
  }
}

function runInNode(name, project, flowRunId) {
  const out = run(project, "node", [APPS[name].node, JSON.stringify({ server, flowRunId })]);
  const report = JSON.parse(out.trim().split("\n").pop());
  assertReport(name, report, flowRunId);
  assert.equal(report.initResolvedAtOnce, true, `${name}: init() resolves at once in Node`);
  return { note: "init() resolved at once" };
}

const work = cleanTempDir("prefect-wasm-pack-");
tempDirs.push(work);
let browser;
let failed = 0;
try {
  run(work, "npm", ["pack", path.join(root, "pkg"), "--pack-destination", work, "--silent"]);
  const tarball = path.join(work, readdirSync(work).find((f) => f.endsWith(".tgz")));
  const flowRunId = await makeRun();
  const rows = [];
  for (const name of selected) {
    const start = Date.now();
    try {
      const project = makeProject(name, tarball);
      const built = ((Date.now() - start) / 1000).toFixed(1);
      let result;
      if (APPS[name].node) {
        result = runInNode(name, project, flowRunId);
      } else {
        browser ??= await chromium.launch({ executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
        result = await runInBrowser(browser, name, project, flowRunId);
      }
      const bundled = result.wasm && !APPS[name].devServer;
      const size = bundled ? `JS ${kB(result.js)} + .wasm ${kB(result.wasm)} = ${kB(result.js + result.wasm)} gzip` : "";
      rows.push(`  ok      ${name.padEnd(15)} ${size.padEnd(40)} ${result.note} (project ready in ${built} s)`);
    } catch (error) {
      failed++;
      rows.push(`  FAILED  ${name.padEnd(15)} ${error.message}`);
    }
    console.log(rows.at(-1));
  }
  console.log(`tests/bundlers: ${selected.length - failed} of ${selected.length} apps passed`);
} finally {
  await browser?.close();
  if (!process.env.KEEP_BUNDLER_APPS) for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept: ${tempDirs.join(" ")}`);
}
process.exit(failed ? 1 : 0);

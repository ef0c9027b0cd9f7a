// `make bench`: prefect-wasm against graphql-request, @urql/core and raw fetch, in Node 20 and in
// headless Chromium, against a release dev server on loopback with a freshly seeded temp-file
// database. Prints a table and writes bench/out/results.json. See bench/README.md.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { measureSizes } from "./lib/size.mjs";
import { startServer } from "../tests/support/server-process.mjs";
import { seed } from "./lib/seed.mjs";
import { median } from "./lib/workloads.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const out = path.join(here, "out");
const env = process.env;
const int = (name, dflt) => (env[name] ? Number.parseInt(env[name], 10) : dflt);

const cfg = {
  runs: int("BENCH_RUNS", 10_000),
  calls: int("BENCH_CALLS", 2_000),
  rounds: int("BENCH_ROUNDS", 5),
  warmupCalls: int("BENCH_WARMUP_CALLS", 300),
  concurrencies: [1, 50],
  largeLimit: int("BENCH_LARGE_LIMIT", 10_000),
  largeRounds: int("BENCH_LARGE_ROUNDS", 5),
  memoryCalls: int("BENCH_MEMORY_CALLS", 100_000),
  memoryWarmupCalls: int("BENCH_MEMORY_WARMUP_CALLS", 2_000),
  memoryConcurrency: int("BENCH_MEMORY_CONCURRENCY", 50),
  // 100,000 loopback requests take 1.5 min in Node and several in Chromium on this 2-CPU
  // machine, so by default the memory run's 100,000 calls are answered by a fetch stub (see
  // workloads.js installFetchStub), then BENCH_MEMORY_NETWORK_CALLS more go over the network;
  // growth is measured across both. BENCH_MEMORY_FETCH=network: all 100,000 over the network.
  memoryFetch: env.BENCH_MEMORY_FETCH ?? "stub",
  memoryNetworkCalls: int("BENCH_MEMORY_NETWORK_CALLS", 10_000),
  // plain: Chromium runs the page with no DevTools client attached (Playwright's network
  // instrumentation roughly doubles the cost of a fetch, which pulls every ratio towards 1);
  // playwright: everything through page.evaluate(). Start-up always goes through Playwright.
  chromiumDriver: env.BENCH_CHROMIUM_DRIVER ?? "plain",
  startupRounds: int("BENCH_STARTUP_ROUNDS", 5),
  pkgDir: path.resolve(root, env.BENCH_PKG_DIR ?? "pkg"),
  only: env.BENCH_ONLY ?? null, // "node" or "chromium": one half only (for profiling)
  root,
};
const serverBin = path.resolve(root, env.PREFECT_DEV_SERVER_BIN ?? "target/server/prefect-dev-server");
const chromiumPath = env.BENCH_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_DEADLINE_MS = int("BENCH_CHROMIUM_DEADLINE_S", 600) * 1000;
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--js-flags=--expose-gc",
];

const t_start = performance.now();
const log = (...a) => console.error(`bench: [${((performance.now() - t_start) / 1000).toFixed(1)} s]`, ...a);
const problems = [];
const results = { started_at: new Date().toISOString(), config: { ...cfg, root: undefined } };

function sh(cmd, args, opts = {}) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts }).trim();
  } catch {
    return null;
  }
}

function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return null;
  }
}

function machine() {
  const lock = existsSync(path.join(root, "Cargo.lock")) ? readFileSync(path.join(root, "Cargo.lock"), "utf8") : "";
  const lockVersion = (name) => new RegExp(`name = "${name}"\\nversion = "([^"]+)"`).exec(lock)?.[1] ?? null;
  const wasm = path.join(cfg.pkgDir, "web", "prefect_wasm_bg.wasm");
  const toolchain = existsSync(path.join(root, ".toolchain")) ? readFileSync(path.join(root, ".toolchain"), "utf8").trim() : null;
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? null,
    cpus: os.cpus().length,
    memory_bytes: os.totalmem(),
    node: process.version,
    rustc: sh("rustc", ["--version"], { env: { ...env, RUSTUP_TOOLCHAIN: env.RUSTUP_TOOLCHAIN ?? toolchain ?? "" } }),
    wasm_bindgen: lockVersion("wasm-bindgen"),
    wasm_opt: sh("wasm-opt", ["--version"]),
    git_commit: sh("git", ["-C", root, "rev-parse", "HEAD"]),
    git_dirty: (sh("git", ["-C", root, "status", "--porcelain", "--", "src", "Cargo.toml", "server", "scripts"]) ?? "") !== "",
    wasm_sha256: existsSync(wasm) ? createHash("sha256").update(readFileSync(wasm)).digest("hex") : null,
    wasm_built_at: existsSync(wasm) ? statSync(wasm).mtime.toISOString() : null,
    server_bin: serverBin,
    load_average_at_start: os.loadavg(),
    packages: Object.fromEntries(
      ["graphql-request", "@urql/core", "graphql", "esbuild", "playwright-core"].map((n) => [n, pkgVersion(n)]),
    ),
  };
}

async function bundlePage(dir) {
  mkdirSync(dir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(here, "page", "main.js")],
    outfile: path.join(dir, "bench.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    external: ["/pkg/*"],
    logLevel: "warning",
    absWorkingDir: root,
  });
  for (const f of ["index.html", "init.html", "init.js"]) copyFileSync(path.join(here, "page", f), path.join(dir, f));
}

function runNode(config) {
  const cfgFile = path.join(out, "node-config.json");
  const outFile = path.join(out, "node-results.json");
  writeFileSync(cfgFile, JSON.stringify(config));
  rmSync(outFile, { force: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", path.join(here, "node-runner.mjs"), cfgFile, outFile], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("exit", (code) =>
      code === 0 ? resolve(JSON.parse(readFileSync(outFile, "utf8"))) : reject(new Error(`node runner exited ${code}`)),
    );
  });
}

/** Node start-up: import of pkg/node in fresh processes (read + compile + instantiate). */
function nodeStartup(rounds) {
  const entry = ["prefect_wasm.js", "prefect_wasm.cjs", "index.js"]
    .map((f) => path.join(cfg.pkgDir, "node", f))
    .find((f) => existsSync(f));
  if (!entry) return { error: "no nodejs build" };
  const script = `const t=performance.now();await import(${JSON.stringify("file://" + entry)});console.log(performance.now()-t)`;
  const times = [];
  for (let i = 0; i < rounds + 1; i++) {
    const r = sh(process.execPath, ["--input-type=module", "-e", script]);
    if (r === null) return { error: "import failed" };
    if (i > 0) times.push(Number(r)); // the first one warms the OS file cache
  }
  return { import_ms: median(times), rounds_ms: times };
}

/** Throughput, large answer and memory in a Chromium that no DevTools client is attached to. */
async function plainChromium(url, ids, r, pageDir) {
  writeFileSync(path.join(pageDir, "config.json"), JSON.stringify(workloadConfig(ids)));
  const parts = {};
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const collector = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      res.writeHead(204, { "access-control-allow-origin": "*" }).end();
      try {
        const { part, value } = JSON.parse(body);
        if (part === "error") (parts.errors ??= []).push(value);
        else parts[part] = value;
        if (part !== "done") log(`chromium: ${part} done`);
        if (part === "done") finish();
      } catch {}
    });
  });
  await new Promise((resolve) => collector.listen(0, "127.0.0.1", resolve));
  const profile = mkdtempSync(path.join(os.tmpdir(), "prefect-bench-chromium-"));
  const page = `${url}/ui/index.html?collector=${encodeURIComponent(`http://127.0.0.1:${collector.address().port}/`)}`;
  const child = spawn(chromiumPath, [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, "--remote-debugging-port=0", page], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr = (stderr + c).slice(-4000)));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(`chromium exited (code ${code}, signal ${signal})`)));
  const timeout = new Promise((resolve) => setTimeout(() => resolve("timeout"), CHROMIUM_DEADLINE_MS).unref());
  const outcome = await Promise.race([finished.then(() => "done"), exited, timeout]);
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {}
  collector.close();
  rmSync(profile, { recursive: true, force: true });
  if (outcome !== "done") problems.push(`chromium (plain): ${outcome} before the suite finished; stderr: ${stderr.slice(-800)}`);
  r.driver = "plain (Chromium started directly, no DevTools client attached)";
  r.user_agent = parts.setup?.userAgent ?? null;
  r.wasm_error = parts.setup?.wasmError ?? null;
  r.wasm_memory_after_init_bytes = parts.setup?.wasm_memory_after_init_bytes ?? null;
  r.wasm_memory_after_throughput_bytes = parts.wasm_memory_after_throughput_bytes ?? null;
  r.wasm_memory_after_large_bytes = parts.wasm_memory_after_large_bytes ?? null;
  r.throughput = parts.throughput;
  r.large = parts.large;
  r.memory = parts.memory;
  r.page_errors = parts.errors ?? [];
  for (const e of r.page_errors) problems.push(`chromium page: ${e.split("\n")[0]}`);
}

/** What the workloads of lib/workloads.js take, the same for the Chromium and the Node half. */
function workloadConfig(ids) {
  return {
    throughput: { ids, calls: cfg.calls, rounds: cfg.rounds, warmupCalls: cfg.warmupCalls, concurrencies: cfg.concurrencies },
    large: { limit: cfg.largeLimit, rounds: cfg.largeRounds },
    memory: {
      ids,
      calls: cfg.memoryCalls,
      warmupCalls: cfg.memoryWarmupCalls,
      concurrency: cfg.memoryConcurrency,
      stubFetch: cfg.memoryFetch === "stub",
      networkCalls: cfg.memoryNetworkCalls,
    },
  };
}

/** Start-up (and, with the playwright driver, everything else) driven by playwright-core. */
async function browserHalf(url, ids, r, { startupOnly }) {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
  r.browser_version = browser.version();
  try {
    if (!startupOnly) await playwrightSuite(browser, url, ids, r);
    if (r.wasm_error) return r;
    await startup(browser, url, r);
  } finally {
    await browser.close();
  }
  return r;
}

async function playwrightSuite(browser, url, ids, r) {
  {
    r.driver = "playwright (page.evaluate; Playwright's DevTools network instrumentation is on)";
    const config = workloadConfig(ids);
    const context = await browser.newContext();
    const page = await context.newPage();
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
    await page.goto(`${url}/ui/index.html`);
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
    const setup = await page.evaluate(() => window.bench.setup());
    if (!setup.gc) throw new Error("no window.gc in the page (--js-flags=--expose-gc)");
    r.wasm_error = setup.wasmError;
    r.wasm_memory_after_init_bytes = await page.evaluate(() => window.bench.wasmMemory());
    log("chromium: throughput");
    r.throughput = await page.evaluate((c) => window.bench.throughput(c), config.throughput);
    r.wasm_memory_after_throughput_bytes = await page.evaluate(() => window.bench.wasmMemory());
    log("chromium: large answer");
    r.large = await page.evaluate((c) => window.bench.large(c), config.large);
    r.wasm_memory_after_large_bytes = await page.evaluate(() => window.bench.wasmMemory());
    log(`chromium: memory (${cfg.memoryCalls} calls)`);
    r.memory = await page.evaluate((c) => window.bench.memory(c), config.memory);
    r.page_errors = pageErrors;
    await context.close();
  }
}

async function startup(browser, url, r) {
  {
    log("chromium: start-up");
    const cold = [];
    const breakdown = [];
    let warm = [];
    for (let i = 0; i < cfg.startupRounds; i++) {
      for (const mode of ["init", "breakdown"]) {
        const ctx = await browser.newContext(); // fresh HTTP cache: nothing compiled yet
        const p = await ctx.newPage();
        await p.goto(`${url}/ui/init.html?mode=${mode}`);
        await p.waitForFunction(() => window.__result !== undefined, null, { timeout: 30_000 });
        const res = await p.evaluate(() => window.__result);
        if (res.error) throw new Error(`init page: ${res.error}`);
        (mode === "init" ? cold : breakdown).push(res);
        if (mode === "init" && i === 0) {
          // Warm: the same context again (HTTP cache and V8's wasm code cache may hit).
          for (let k = 0; k < cfg.startupRounds; k++) {
            await p.reload();
            await p.waitForFunction(() => window.__result !== undefined, null, { timeout: 30_000 });
            warm.push(await p.evaluate(() => window.__result));
          }
        }
        await ctx.close();
      }
    }
    const med = (xs, k) => median(xs.map((x) => x[k]));
    r.startup = {
      init_ms: med(cold, "init_ms"),
      init_rounds_ms: cold.map((x) => x.init_ms),
      glue_import_ms: med(cold, "glue_import_ms"),
      warm_init_ms: med(warm, "init_ms"),
      fetch_ms: med(breakdown, "fetch_ms"),
      compile_ms: med(breakdown, "compile_ms"),
      instantiate_ms: med(breakdown, "instantiate_ms"),
      wasm_content_type: breakdown[0]?.content_type ?? null,
      memory_after_init_bytes: cold[0]?.memory_bytes ?? null,
    };
  }
}

// ---------------------------------------------------------------------------------------------

mkdirSync(out, { recursive: true });
results.machine = machine();

log("size");
results.size = await measureSizes({ root, pkgDir: cfg.pkgDir, outDir: path.join(out, "size") });

const pageDir = path.join(out, "page");
await bundlePage(pageDir);

const tmp = mkdtempSync(path.join(os.tmpdir(), "prefect-bench-"));
let server;
try {
  const standin = env.BENCH_STANDIN === "1";
  const [cmd, pre] = standin ? [process.execPath, [path.join(here, "standin.mjs")]] : [serverBin, []];
  if (!standin && !existsSync(serverBin)) throw new Error(`no dev server binary at ${serverBin}`);
  server = await startServer(cmd, [
    ...pre,
    "--listen",
    "127.0.0.1:0",
    "--db",
    path.join(tmp, "bench.sqlite"),
    "--www",
    pageDir,
    "--pkg",
    cfg.pkgDir,
  ], { name: "bench server", logs: Boolean(env.BENCH_SERVER_LOGS) });
  results.machine.server = standin ? "stand-in (bench/standin.mjs)" : serverBin;
  log(`server at ${server.url}; seeding ${cfg.runs} flow runs`);
  const data = await seed(server.url, { runs: cfg.runs });
  results.dataset = { runs: cfg.runs, runs_in_db: data.runs_in_db, seed_ms: data.seed_ms, flow_id: data.flowId };
  log(`seeded in ${(data.seed_ms / 1000).toFixed(1)} s`);
  // 2,000 distinct runs spread over the data set (the reads cycle over them).
  const step = Math.max(1, Math.floor(data.ids.length / cfg.calls));
  const ids = data.ids.filter((_, i) => i % step === 0).slice(0, cfg.calls);

  log("node: throughput, large answer, memory");
  if (cfg.only !== "chromium") try {
    results.node = await runNode({ ...cfg, url: server.url, workloads: workloadConfig(ids) });
    results.node.startup = nodeStartup(cfg.startupRounds);
    if (results.node.wasm_error) problems.push(`node: prefect-wasm not loaded: ${results.node.wasm_error.split("\n")[0]}`);
  } catch (err) {
    problems.push(`node: ${err.message}`);
  }

  log("chromium");
  if (cfg.only !== "node") try {
    results.chromium = {};
    if (cfg.chromiumDriver === "plain") await plainChromium(server.url, ids, results.chromium, pageDir);
    await browserHalf(server.url, ids, results.chromium, { startupOnly: cfg.chromiumDriver === "plain" });
    if (results.chromium.wasm_error) problems.push(`chromium: prefect-wasm not loaded: ${results.chromium.wasm_error.split("\n")[0]}`);
  } catch (err) {
    problems.push(`chromium: ${err.stack ?? err}`);
  }
} catch (err) {
  problems.push(String(err.stack ?? err));
} finally {
  if (server) await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}

// --- headline figures -------------------------------------------------------------------------

const PW = "prefect-wasm graphql()";
const GS = "prefect-wasm getState()";
const get = (o, ...keys) => keys.reduce((a, k) => (a == null ? undefined : a[k]), o);
const ratio = (a, b) => (a == null || b == null || !b ? null : a / b);
const tp = (envName, c, who) => get(results, envName, "throughput", "results", `c${c}`, who, "median_ms");
const lg = (envName, who) => get(results, envName, "large", "results", who, "median_ms");
const sz = (who) => get(results, "size", who, "total", "gz");
const szb = (who) => get(results, "size", who, "total", "br");

// Paired: the median over rounds of (prefect-wasm's time / the anchor's time in the same round),
// less sensitive to the machine's load drifting during the run than the ratio of medians.
const paired = (envName, c, who, anchor) => {
  const a = get(results, envName, "throughput", "results", `c${c}`, who, "rounds_ms");
  const b = get(results, envName, "throughput", "results", `c${c}`, anchor, "rounds_ms");
  return a && b && a.length === b.length ? median(a.map((x, i) => x / b[i])) : null;
};
const headline = {
  size_gz_bytes: sz("prefect-wasm") ?? null,
  size_br_bytes: szb("prefect-wasm") ?? null,
  size_ratio_vs_graphql_request: ratio(sz("prefect-wasm"), sz("graphql-request")),
  size_ratio_vs_urql: ratio(sz("prefect-wasm"), sz("urql")),
  size_ratio_vs_raw_fetch: ratio(sz("prefect-wasm"), sz("raw fetch")),
  size_br_ratio_vs_graphql_request: ratio(szb("prefect-wasm"), szb("graphql-request")),
  size_br_ratio_vs_urql: ratio(szb("prefect-wasm"), szb("urql")),
};
for (const [prefix, e] of [["", "chromium"], ["node_", "node"]]) {
  for (const c of [1, 50]) {
    headline[`${prefix}c${c}_ratio_vs_raw_fetch`] = ratio(tp(e, c, PW), tp(e, c, "raw fetch"));
    headline[`${prefix}c${c}_ratio_vs_graphql_request`] = ratio(tp(e, c, PW), tp(e, c, "graphql-request"));
    headline[`${prefix}c${c}_ratio_vs_urql`] = ratio(tp(e, c, PW), tp(e, c, "urql"));
    headline[`${prefix}c${c}_getstate_ratio_vs_raw_fetch`] = ratio(tp(e, c, GS), tp(e, c, "raw fetch"));
    headline[`${prefix}c${c}_paired_ratio_vs_raw_fetch`] = paired(e, c, PW, "raw fetch");
    headline[`${prefix}c${c}_paired_ratio_vs_graphql_request`] = paired(e, c, PW, "graphql-request");
    if (e === "node") {
      const cpu = (w) => get(results, "node", "throughput", "results", `c${c}`, w, "cpu_us_per_call");
      headline[`node_c${c}_cpu_ratio_vs_raw_fetch`] = ratio(cpu(PW), cpu("raw fetch"));
      headline[`node_c${c}_cpu_ratio_vs_graphql_request`] = ratio(cpu(PW), cpu("graphql-request"));
    }
  }
  headline[`${prefix}large_ratio_vs_raw_fetch`] = ratio(lg(e, PW), lg(e, "raw fetch"));
}
headline.init_ms = get(results, "chromium", "startup", "init_ms") ?? null;
headline.node_init_ms = get(results, "node", "startup", "import_ms") ?? null;
const growth = [get(results, "chromium", "memory", "wasm_memory_growth_bytes"), get(results, "node", "memory", "wasm_memory_growth_bytes")];
headline.memory_growth_bytes = growth.some((g) => g == null) ? null : Math.max(...growth);
headline.chromium_memory_growth_bytes = growth[0] ?? null;
headline.node_memory_growth_bytes = growth[1] ?? null;
results.headline_note =
  "Ratios are prefect-wasm / anchor (time or size): >1 means prefect-wasm is slower or bigger. " +
  "Unprefixed throughput, large and init figures are Chromium's, node_* are Node's; " +
  "memory_growth_bytes is the larger of the two environments' wasm memory growth.";
results.elapsed_s = (performance.now() - t_start) / 1000;
results.machine.load_average_at_end = os.loadavg();
results.problems = problems;
const final = { ...headline, ...results };
writeFileSync(path.join(out, "results.json"), JSON.stringify(final, null, 2) + "\n");

// --- the table --------------------------------------------------------------------------------

const f0 = (x) => (x == null || Number.isNaN(x) ? "n/a" : Math.round(x).toLocaleString("en-US"));
const f1 = (x) => (x == null || Number.isNaN(x) ? "n/a" : x.toFixed(1));
const f2 = (x) => (x == null || Number.isNaN(x) ? "n/a" : x.toFixed(2) + "×");
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const lines = [];
const P = (s = "") => lines.push(s);
const m = results.machine;
P(`prefect-wasm bench — ${results.started_at}`);
P(`${m.cpu} ×${m.cpus}, ${(m.memory_bytes / 2 ** 30).toFixed(0)} GiB, ${m.os}; node ${m.node}, chromium ${get(results, "chromium", "browser_version") ?? "n/a"}`);
P(`${m.rustc ?? "rustc ?"}, wasm-bindgen ${m.wasm_bindgen}, ${m.wasm_opt ?? "no wasm-opt"}; graphql-request ${m.packages["graphql-request"]}, @urql/core ${m.packages["@urql/core"]}; commit ${m.git_commit?.slice(0, 10)}${m.git_dirty ? " (dirty)" : ""}`);
P(`load average ${m.load_average_at_start.map((x) => x.toFixed(1)).join(" ")} at start, ${results.machine.load_average_at_end.map((x) => x.toFixed(1)).join(" ")} at end (${m.cpus} CPUs: anything else running skews the figures)`);
P(`data set: ${f0(get(results, "dataset", "runs_in_db") ?? get(results, "dataset", "runs"))} flow runs, seeded through the API in ${f1(get(results, "dataset", "seed_ms") / 1000)} s`);
P();
P("Size: one-request module, esbuild --bundle --minify (+ .wasm for prefect-wasm)");
P(`  ${pad("", 26)}${lpad("raw", 10)}${lpad("gzip -9", 10)}${lpad("brotli", 10)}${lpad("gz ratio", 10)}`);
for (const who of ["prefect-wasm", "graphql-request", "urql", "raw fetch"]) {
  const t = get(results, "size", who, "total");
  P(`  ${pad(who, 26)}${lpad(f0(t?.raw), 10)}${lpad(f0(t?.gz), 10)}${lpad(f0(t?.br), 10)}${lpad(who === "prefect-wasm" ? "" : f2(ratio(sz("prefect-wasm"), t?.gz)), 10)}`);
  if (who === "prefect-wasm" && get(results, "size", who, "wasm")) {
    for (const part of ["wasm", "js"]) {
      const s = get(results, "size", who, part);
      P(`  ${pad("  " + (part === "js" ? "bundled glue" : ".wasm"), 26)}${lpad(f0(s.raw), 10)}${lpad(f0(s.gz), 10)}${lpad(f0(s.br), 10)}`);
    }
  }
}
P();
P(`Throughput: ${f0(cfg.calls)} flow_run_by_pk reads (chromium: ${get(results, "chromium", "driver")?.split(" ")[0] ?? "?"} driver), median of ${cfg.rounds} rounds after a warm-up (ms per ${f0(cfg.calls)}; ×raw fetch)`);
const who5 = [PW, GS, "graphql-request", "urql", "raw fetch"];
P(`  ${pad("", 26)}${["chromium c1", "chromium c50", "node c1", "node c50"].map((h) => lpad(h, 18)).join("")}`);
for (const who of who5) {
  const cells = [];
  for (const [e, c] of [["chromium", 1], ["chromium", 50], ["node", 1], ["node", 50]]) {
    const t = tp(e, c, who);
    cells.push(lpad(t == null ? "n/a" : `${f0(t)} ${who === "raw fetch" ? "" : f2(ratio(t, tp(e, c, "raw fetch")))}`.trim(), 18));
  }
  P(`  ${pad(who, 26)}${cells.join("")}`);
}
P(`  ${pad("  req/s, raw fetch", 26)}${[["chromium", 1], ["chromium", 50], ["node", 1], ["node", 50]].map(([e, c]) => lpad(f0(get(results, e, "throughput", "results", `c${c}`, "raw fetch", "req_per_s")), 18)).join("")}`);
P("Node: this process's CPU time per call (µs; ×raw fetch), less disturbed by other load than wall time");
P(`  ${pad("", 26)}${["node c1", "node c50"].map((h) => lpad(h, 18)).join("")}`);
for (const who of who5) {
  const cells = [1, 50].map((c) => {
    const v = get(results, "node", "throughput", "results", `c${c}`, who, "cpu_us_per_call");
    const raw = get(results, "node", "throughput", "results", `c${c}`, "raw fetch", "cpu_us_per_call");
    return lpad(v == null ? "n/a" : `${f0(v)} ${who === "raw fetch" ? "" : f2(ratio(v, raw))}`.trim(), 18);
  });
  P(`  ${pad(who, 26)}${cells.join("")}`);
}
P();
const rows = get(results, "chromium", "large", "rows") ?? get(results, "node", "large", "rows");
const bytes = get(results, "chromium", "large", "answer_bytes") ?? get(results, "node", "large", "answer_bytes");
P(`Large answer: ${f0(rows)} flow runs, ${f1(bytes / 1e6)} MB of JSON, request → JS object, median of ${cfg.largeRounds} (ms; ×raw fetch)`);
P(`  ${pad("", 26)}${lpad("chromium", 18)}${lpad("node", 18)}`);
for (const who of [PW, "graphql-request", "urql", "raw fetch"]) {
  const cells = ["chromium", "node"].map((e) => {
    const t = lg(e, who);
    return lpad(t == null ? "n/a" : `${f0(t)} ${who === "raw fetch" ? "" : f2(ratio(t, lg(e, "raw fetch")))}`.trim(), 18);
  });
  P(`  ${pad(who, 26)}${cells.join("")}`);
}
P();
const su = get(results, "chromium", "startup") ?? {};
P(`Start-up (median of ${cfg.startupRounds}, ms)`);
P(`  chromium init(), fresh context:    ${f1(su.init_ms)}  (fetch ${f1(su.fetch_ms)} + compile ${f1(su.compile_ms)} + instantiate ${f1(su.instantiate_ms)}; glue import ${f1(su.glue_import_ms)}; warm reload ${f1(su.warm_init_ms)}; wasm served as ${su.wasm_content_type ?? "?"})`);
P(`  node import of pkg/node, fresh process: ${f1(get(results, "node", "startup", "import_ms"))}`);
P();
P(`Memory: wasm memory before → after ${f0(cfg.memoryCalls)} calls at concurrency ${cfg.memoryConcurrency} (after a ${f0(cfg.memoryWarmupCalls)}-call warm-up; JS side collected)`);
for (const e of ["chromium", "node"]) {
  const mm = get(results, e, "memory");
  if (!mm || mm.skipped || mm.before == null) {
    P(`  ${pad(e, 10)}n/a`);
    continue;
  }
  const cp = (k) => f0(get(results, e, k));
  P(`  ${pad(e, 10)}after init ${cp("wasm_memory_after_init_bytes")}, after throughput ${cp("wasm_memory_after_throughput_bytes")}, after the large answer ${cp("wasm_memory_after_large_bytes")} bytes`);
  P(`  ${pad("", 10)}[fetch: ${mm.network_phase ? `stub, then ${f0(mm.network_phase.calls)} over the network` : "network"}] ${f0(mm.before.wasm_memory_bytes)} → ${f0(mm.after.wasm_memory_bytes)} bytes (growth ${f0(mm.wasm_memory_growth_bytes)}); externref table ${mm.before.table_lengths.join("+")} → ${mm.after.table_lengths.join("+")}; JS heap ${f1(mm.before.js_heap_bytes / 1e6)} → ${f1(mm.after.js_heap_bytes / 1e6)} MB; ${f1(mm.elapsed_ms / 1000)} s`);
}
P();
P("Targets (issue #6)");
const target = (name, value, ok, fmt = f2) => P(`  ${pad(name, 38)}${lpad(fmt(value), 12)}  ${value == null ? "?" : ok(value) ? "met" : "NOT met"}`);
target("size_ratio_vs_graphql_request ≤ 1", headline.size_ratio_vs_graphql_request, (v) => v <= 1);
target("c50_ratio_vs_graphql_request ≤ 1", headline.c50_ratio_vs_graphql_request, (v) => v <= 1);
target("c50_ratio_vs_raw_fetch ≤ 1.05", headline.c50_ratio_vs_raw_fetch, (v) => v <= 1.05);
target("  (paired per round)", headline.c50_paired_ratio_vs_raw_fetch, (v) => v <= 1.05);
target("node_c50_ratio_vs_raw_fetch ≤ 1.05", headline.node_c50_ratio_vs_raw_fetch, (v) => v <= 1.05);
target("  (paired per round)", headline.node_c50_paired_ratio_vs_raw_fetch, (v) => v <= 1.05);
target("node_c50_ratio_vs_graphql_request ≤ 1", headline.node_c50_ratio_vs_graphql_request, (v) => v <= 1);
target("large_ratio_vs_raw_fetch ≤ 1.10", headline.large_ratio_vs_raw_fetch, (v) => v <= 1.1);
target("node_large_ratio_vs_raw_fetch ≤ 1.10", headline.node_large_ratio_vs_raw_fetch, (v) => v <= 1.1);
target("memory_growth_bytes = 0", headline.memory_growth_bytes, (v) => v === 0, f0);
P();
P(`results: ${path.relative(process.cwd(), path.join(out, "results.json"))}; ${f1(results.elapsed_s)} s`);
for (const p of problems) P(`PROBLEM: ${p}`);
console.log(lines.join("\n"));
writeFileSync(path.join(out, "table.txt"), lines.join("\n") + "\n");
process.exit(problems.length ? 1 : 0);

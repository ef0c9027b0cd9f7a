// `make bench`, REST half: prefect-wasm with `api: "rest"` against raw `fetch` + `response.json()`
// on the same real Prefect 3.9.1 server (`prefect server start --no-services` from .venv/prefect3),
// in Node and in headless Chromium (a page on another origin, as a dashboard would be). Workload:
// reads of distinct flow runs (`GET /flow_runs/{id}`) through `flowRuns.getState()` (decoded into
// a RunState), `client.request()` (the parsed body) and raw fetch, at concurrency 1 and 50;
// clients take turns (rotated each round), median per client. Prints the ratios (prefect-wasm's
// time divided by raw fetch's: > 1 is slower) and writes bench/out/rest.json. Skipped with a line
// when .venv/prefect3 is missing. Run by bench/run.sh after bench.mjs; alone: `node bench/rest.mjs`.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startFaultProxy } from "../tests/support/fault-proxy.mjs";
import { startPrefect3Server } from "../tests/support/prefect3-server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const env = process.env;
const int = (name, dflt) => (env[name] ? Number.parseInt(env[name], 10) : dflt);
const cfg = {
  runs: int("BENCH_REST_RUNS", 200),
  calls: { 1: int("BENCH_REST_CALLS_C1", 200), 50: int("BENCH_REST_CALLS_C50", 600) },
  rounds: int("BENCH_REST_ROUNDS", 5),
  warmup: int("BENCH_REST_WARMUP", 100),
};
const pkgDir = path.resolve(root, env.BENCH_PKG_DIR ?? "pkg");
const log = (...a) => console.error("bench rest:", ...a);

/** The measurement, the same in Node and in the page (shipped as source: self-contained). */
async function restWorkload({ api, ids, calls, rounds, warmup }) {
  const P = globalThis.__prefect;
  const client = new P.Client({ api: "rest", apiServer: api });
  const flowRuns = new P.FlowRuns(client);
  const check = (id, got) => {
    if (got !== id) throw new Error(`answered run ${got}, not ${id}`);
  };
  const clients = {
    "prefect-wasm getState": (id) => flowRuns.getState(id).then((s) => check(id, s.id)),
    "prefect-wasm request": (id) => client.request("GET", `/flow_runs/${id}`).then((r) => check(id, r.id)),
    "raw fetch": (id) =>
      fetch(`${api}/flow_runs/${id}`, { headers: { accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
        .then((r) => check(id, r.id)),
  };
  const names = Object.keys(clients);
  async function timed(call, n, concurrency) {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const i = next++;
          await call(ids[i % ids.length]);
        }
      }),
    );
    return performance.now() - t0;
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const out = {};
  for (const c of Object.keys(calls).map(Number)) {
    for (const name of names) await timed(clients[name], warmup, c);
    const times = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + round) % names.length];
        times[name].push(await timed(clients[name], calls[c], c));
      }
    }
    out[c] = Object.fromEntries(names.map((n) => [n, { ms_per_call: median(times[n]) / calls[c], rounds_ms: times[n] }]));
  }
  return out;
}

async function main() {
  if (!existsSync(path.join(root, ".venv/prefect3/bin/prefect"))) {
    log("no .venv/prefect3 (scripts/setup.sh installs it): REST rows skipped");
    return;
  }
  const server = await startPrefect3Server({ services: false, quiet: true });
  const results = { server: "prefect 3.9.1 --no-services", config: cfg };
  let pages, browser;
  try {
    log(`Prefect 3 server up in ${(server.startupMs / 1000).toFixed(1)} s; seeding ${cfg.runs} runs`);
    const post = async (p, body) => (await fetch(`${server.apiUrl}${p}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json();
    const flow = await post("/flows/", { name: "bench-rest" });
    const ids = [];
    for (let i = 0; i < cfg.runs; i++) ids.push((await post("/flow_runs/", { flow_id: flow.id, name: `bench-${i}`, parameters: { i } })).id);
    const arg = { api: server.apiUrl, ids, calls: cfg.calls, rounds: cfg.rounds, warmup: cfg.warmup };

    if (env.BENCH_ONLY !== "chromium") {
      globalThis.__prefect = createRequire(import.meta.url)(path.join(pkgDir, "node/prefect_wasm.js"));
      log("Node");
      results.node = await restWorkload(arg);
    }
    if (env.BENCH_ONLY !== "node") {
      const { chromium } = await import("playwright-core");
      pages = await startFaultProxy({ staticDir: pkgDir });
      browser = await chromium.launch({ executablePath: env.BENCH_CHROMIUM ?? "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
      const page = await browser.newPage();
      await page.goto(`${pages.url}/__page`);
      await page.evaluate(async () => {
        const mod = await import("/pkg/web/prefect_wasm.js");
        await mod.default();
        globalThis.__prefect = mod;
      });
      log("Chromium (page on another origin)");
      results.chromium = await page.evaluate(restWorkload, arg);
    }
  } finally {
    await browser?.close();
    await pages?.close();
    await server.stop();
  }

  const ratio = (r, c, who) => r?.[c]?.[who]?.ms_per_call / r?.[c]?.["raw fetch"]?.ms_per_call;
  results.headline = {};
  for (const where of ["node", "chromium"]) {
    for (const c of [1, 50]) {
      if (!results[where]) continue;
      results.headline[`rest_${where}_c${c}_getstate_ratio_vs_raw_fetch`] = ratio(results[where], c, "prefect-wasm getState");
      results.headline[`rest_${where}_c${c}_request_ratio_vs_raw_fetch`] = ratio(results[where], c, "prefect-wasm request");
    }
  }
  const lines = ["", "REST (Prefect 3.9.1, GET /flow_runs/{id}): ms per call, ratio vs raw fetch (> 1: slower)"];
  for (const where of ["node", "chromium"]) {
    for (const c of [1, 50]) {
      const r = results[where]?.[c];
      if (!r) continue;
      const cell = (who) => `${r[who].ms_per_call.toFixed(3)}${who === "raw fetch" ? "" : ` (${ratio(results[where], c, who).toFixed(2)})`}`;
      lines.push(`  ${where.padEnd(9)} c=${String(c).padEnd(3)} getState ${cell("prefect-wasm getState").padEnd(16)} request ${cell("prefect-wasm request").padEnd(16)} raw fetch ${cell("raw fetch")}`);
    }
  }
  console.log(lines.join("\n"));
  mkdirSync(path.join(here, "out"), { recursive: true });
  writeFileSync(path.join(here, "out/rest.json"), JSON.stringify(results, null, 2));
}

main().catch((e) => {
  console.error(`bench rest: ${e.stack ?? e}`);
  process.exit(1);
});

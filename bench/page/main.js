// The Chromium half of the benchmark. Two ways to drive it (bench/bench.mjs picks one):
//  - plain (default): Chromium is started on bench.html?collector=URL and runs the whole suite by
//    itself, with no DevTools client attached, posting each part's figures to the collector;
//  - playwright: the page exposes window.bench, driven with page.evaluate().
// Anchors are bundled in (esbuild); prefect-wasm's web build is loaded from the dev server's
// /pkg/ at run time, as a dashboard page would load it.
import { GraphQLClient } from "graphql-request";
import { createClient, fetchExchange } from "@urql/core";
import * as W from "../lib/workloads.js";

const libs = { url: location.origin, GraphQLClient, createUrql: createClient, fetchExchange };
let wasmExports = null;

async function setup() {
  try {
    const glue = await import("/pkg/web/prefect_wasm.js");
    wasmExports = await glue.default();
    libs.Client = glue.Client;
    libs.FlowRuns = glue.FlowRuns;
  } catch (err) {
    libs.wasmError = String(err?.stack ?? err);
  }
  return { wasmError: libs.wasmError ?? null, gc: typeof window.gc === "function", userAgent: navigator.userAgent };
}

const env = {
  memory: () => wasmExports.memory,
  tables: () => Object.values(wasmExports).filter((v) => v instanceof WebAssembly.Table),
  gc: () => W.collect(window.gc),
  jsHeap: () => performance.memory?.usedJSHeapSize ?? null,
};
const wasmMemory = () => wasmExports?.memory?.buffer.byteLength ?? null;

window.bench = {
  setup,
  wasmMemory,
  throughput: (cfg) => W.throughput(libs, cfg),
  large: (cfg) => W.large(libs, cfg),
  memory: (cfg) => (libs.Client ? W.memory(libs, env, cfg) : { skipped: libs.wasmError }),
};
window.benchReady = true;

// Plain mode: run everything, report each part to the collector.
const collector = new URLSearchParams(location.search).get("collector");
if (collector) {
  const post = (part, value) =>
    fetch(collector, { method: "POST", body: JSON.stringify({ part, value }) }).catch(() => {});
  const step = async (part, fn) => {
    try {
      await post(part, await fn());
    } catch (err) {
      await post("error", `${part}: ${err?.stack ?? err}`);
    }
  };
  (async () => {
    const cfg = await (await fetch("./config.json", { cache: "no-store" })).json();
    await step("setup", async () => ({ ...(await setup()), wasm_memory_after_init_bytes: wasmMemory() }));
    await step("throughput", () => window.bench.throughput(cfg.throughput));
    await step("wasm_memory_after_throughput_bytes", async () => wasmMemory());
    await step("large", () => window.bench.large(cfg.large));
    await step("wasm_memory_after_large_bytes", async () => wasmMemory());
    await step("memory", () => window.bench.memory(cfg.memory));
    await post("done", true);
  })();
}

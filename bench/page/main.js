// The Chromium half of the benchmark: the page exposes window.bench for bench/bench.mjs, which
// drives it with page.evaluate(). Anchors are bundled in (esbuild); prefect-wasm's web build is
// loaded from the dev server's /pkg/ at run time, as a page of a dashboard author would.
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
  return { wasmError: libs.wasmError ?? null, gc: typeof window.gc === "function" };
}

const env = {
  memory: () => wasmExports.memory,
  tables: () => Object.values(wasmExports).filter((v) => v instanceof WebAssembly.Table),
  gc: () => W.collect(window.gc),
  jsHeap: () => performance.memory?.usedJSHeapSize ?? null,
};

window.bench = {
  setup,
  throughput: (cfg) => W.throughput(libs, cfg),
  large: (cfg) => W.large(libs, cfg),
  memory: (cfg) => (libs.Client ? W.memory(libs, env, cfg) : { skipped: libs.wasmError }),
};
window.benchReady = true;

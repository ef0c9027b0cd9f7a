// The Node 20 half of the benchmark: the pkg/node build against the anchors, in this process.
// Run by bench/bench.mjs as: node --expose-gc bench/node-runner.mjs CONFIG.json OUT.json
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as W from "./lib/workloads.js";

const [configPath, outPath] = process.argv.slice(2);
const cfg = JSON.parse(readFileSync(configPath, "utf8"));
if (typeof globalThis.gc !== "function") throw new Error("node-runner: run with --expose-gc");

// Record the wasm instances the glue creates, whatever it exports: the nodejs target builds its
// instance synchronously with `new WebAssembly.Instance`, newer glue may use instantiate().
const instances = [];
const OrigInstance = WebAssembly.Instance;
WebAssembly.Instance = new Proxy(OrigInstance, {
  construct(target, args) {
    const inst = Reflect.construct(target, args);
    instances.push(inst);
    return inst;
  },
});
const origInstantiate = WebAssembly.instantiate;
WebAssembly.instantiate = async function (...args) {
  const r = await origInstantiate.apply(this, args);
  instances.push(r instanceof OrigInstance ? r : r.instance);
  return r;
};

const out = { node_version: process.version };
const libs = {
  url: cfg.url,
  cpuMicros: () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
};

// prefect-wasm, pkg/node: its import is the whole start-up (read + compile + instantiate).
const nodeEntry = ["prefect_wasm.js", "prefect_wasm.cjs", "index.js"]
  .map((f) => path.join(cfg.pkgDir, "node", f))
  .find((f) => existsSync(f));
try {
  if (!nodeEntry) throw new Error(`no nodejs build under ${cfg.pkgDir}/node`);
  const t0 = performance.now();
  const mod = await import(pathToFileURL(nodeEntry).href);
  out.import_ms = performance.now() - t0;
  const m = mod.Client ? mod : mod.default;
  libs.Client = m.Client;
  libs.FlowRuns = m.FlowRuns;
} catch (err) {
  libs.wasmError = String(err?.stack ?? err);
}

const require = createRequire(path.join(cfg.root, "package.json"));
const gqlr = await import(pathToFileURL(require.resolve("graphql-request")).href).catch(() => import("graphql-request"));
libs.GraphQLClient = gqlr.GraphQLClient;
const urql = await import("@urql/core");
libs.createUrql = urql.createClient;
libs.fetchExchange = urql.fetchExchange;

const wasmMemory = () => {
  for (const inst of instances) {
    for (const v of Object.values(inst.exports)) if (v instanceof WebAssembly.Memory) return v;
  }
  throw new Error("node-runner: no wasm memory found");
};
const memoryBytes = () => (libs.Client ? wasmMemory().buffer.byteLength : null);
out.wasm_memory_after_init_bytes = memoryBytes();
const workloads = cfg.workloads; // bench.mjs's workloadConfig(), as the page gets it
console.error("bench: node: throughput");
out.throughput = await W.throughput(libs, workloads.throughput);
out.wasm_memory_after_throughput_bytes = memoryBytes();
console.error("bench: node: large answer");
out.large = await W.large(libs, workloads.large);

out.wasm_memory_after_large_bytes = memoryBytes();
console.error("bench: node: memory");
if (libs.Client) {
  const tables = () =>
    instances.flatMap((inst) => Object.values(inst.exports).filter((v) => v instanceof WebAssembly.Table));
  out.memory = await W.memory(
    libs,
    {
      memory: wasmMemory,
      tables,
      gc: () => W.collect(globalThis.gc),
      jsHeap: () => process.memoryUsage().heapUsed,
    },
    workloads.memory,
  );
} else {
  out.memory = { skipped: libs.wasmError };
}
out.wasm_error = libs.wasmError ?? null;
writeFileSync(outPath, JSON.stringify(out, null, 2));

// Load: 10,000 concurrent getState calls from one Node client. All must succeed; the client's wasm
// memory must come back to its baseline (a linear memory never shrinks, so "baseline" is checked as:
// after GC, a second burst of 10,000 does not grow the memory any further, i.e. everything the
// first burst allocated was freed and reused; and the JS heap returns to its pre-burst size);
// the server must keep answering other requests meanwhile (a concurrent `{ hello }` probe on its
// own connection, latency measured).
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { createRun, loadClient, seedFlow, startServer } from "./_harness.mjs";

const N = Number(process.env.LOAD_CALLS ?? 10_000);
v8.setFlagsFromString("--expose-gc");
const gc = globalThis.gc ?? vm.runInNewContext("gc");

let server, runId;
before(async () => {
  server = await startServer([]);
  const { flowId } = await seedFlow(server.url);
  runId = await createRun(server.url, flowId);
});
after(() => server?.kill());

async function settleGc() {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
  }
}

function wasmMemory(mod) {
  const mem = mod.__wasm?.memory ?? mod.memory ?? mod.__wbg_get_memory?.();
  assert.ok(mem instanceof WebAssembly.Memory, "the nodejs build exposes its wasm memory (module.__wasm.memory)");
  return mem;
}

/** `{ hello }` every 25 ms on a dedicated keep-alive agent, until stop(); latencies in ms. */
function helloProbe(url) {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = [];
  const failures = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        await new Promise((resolve, reject) => {
          const req = http.request({ host: u.hostname, port: u.port, method: "POST", path: "/", agent, headers: { "content-type": "application/json" } }, (res) => {
            let body = "";
            res.on("data", (c) => (body += c));
            res.on("end", () => (res.statusCode === 200 && body.includes("hello") ? resolve() : reject(new Error(`${res.statusCode} ${body.slice(0, 200)}`))));
          });
          req.setTimeout(10_000, () => req.destroy(new Error("no answer within 10 s")));
          req.on("error", reject);
          req.end('{"query":"{ hello }"}');
        });
        latencies.push(performance.now() - t0);
      } catch (e) {
        failures.push(String(e));
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      agent.destroy();
      const sorted = [...latencies].sort((a, b) => a - b);
      const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
      return { n: latencies.length, failures, p50: q(0.5), p99: q(0.99), max: sorted.at(-1) ?? NaN };
    },
  };
}

async function burst(flowRuns) {
  const t0 = performance.now();
  const results = await Promise.allSettled(Array.from({ length: N }, () => flowRuns.getState(runId)));
  const ms = performance.now() - t0;
  const failed = results.filter((r) => r.status === "rejected");
  const wrong = results.filter((r) => r.status === "fulfilled" && r.value?.id !== runId);
  return { ms, ok: results.length - failed.length - wrong.length, failed, wrong };
}

test(`${N} concurrent getState calls: all succeed, memory back to baseline, server responsive`, { timeout: 170_000 }, async () => {
  const mod = loadClient();
  const memory = wasmMemory(mod);
  const client = new mod.Client({ apiServer: server.url });
  const flowRuns = new mod.FlowRuns(client);
  // warm up (first-use allocations), then the baseline
  for (let i = 0; i < 4; i++) await Promise.all(Array.from({ length: 50 }, () => flowRuns.getState(runId)));
  await settleGc();
  const base = { wasm: memory.buffer.byteLength, heap: process.memoryUsage().heapUsed };

  const probe = helloProbe(server.url);
  const first = await burst(flowRuns);
  const during = await probe.stop();
  await settleGc();
  const afterFirst = { wasm: memory.buffer.byteLength, heap: process.memoryUsage().heapUsed };

  const second = await burst(flowRuns);
  await settleGc();
  const afterSecond = { wasm: memory.buffer.byteLength, heap: process.memoryUsage().heapUsed };

  const mb = (x) => (x / 2 ** 20).toFixed(1);
  console.log(`# load: burst 1: ${first.ok}/${N} ok in ${(first.ms / 1000).toFixed(1)} s (${(N / (first.ms / 1000)).toFixed(0)} calls/s); burst 2: ${second.ok}/${N} ok in ${(second.ms / 1000).toFixed(1)} s`);
  console.log(`# load: wasm memory ${mb(base.wasm)} MB baseline → ${mb(afterFirst.wasm)} MB after burst 1 → ${mb(afterSecond.wasm)} MB after burst 2 (GC'd)`);
  console.log(`# load: JS heap ${mb(base.heap)} MB baseline → ${mb(afterFirst.heap)} MB → ${mb(afterSecond.heap)} MB`);
  console.log(`# load: concurrent { hello } during burst 1: ${during.n} answered, p50 ${during.p50.toFixed(1)} ms, p99 ${during.p99.toFixed(1)} ms, max ${during.max.toFixed(1)} ms, ${during.failures.length} failed`);

  const why = (b) => b.failed.slice(0, 3).map((r) => `${r.reason?.code}: ${r.reason?.message}`).join("; ");
  assert.equal(first.ok, N, `burst 1: ${first.failed.length} failed (${why(first)}), ${first.wrong.length} wrong answers`);
  assert.equal(second.ok, N, `burst 2: ${second.failed.length} failed (${why(second)}), ${second.wrong.length} wrong answers`);
  // memory: the second burst reuses what the first freed (growth ≤ 1 MB or 5 %)
  const slack = Math.max(2 ** 20, afterFirst.wasm * 0.05);
  assert.ok(afterSecond.wasm - afterFirst.wasm <= slack,
    `wasm memory kept growing: ${mb(afterFirst.wasm)} MB → ${mb(afterSecond.wasm)} MB (leak of per-call allocations)`);
  assert.ok(afterFirst.wasm - base.wasm <= 256 * 2 ** 20, `10,000 calls grew the wasm memory by ${mb(afterFirst.wasm - base.wasm)} MB`);
  assert.ok(afterSecond.heap - base.heap <= 32 * 2 ** 20,
    `JS heap did not return to its baseline: ${mb(base.heap)} MB → ${mb(afterSecond.heap)} MB (objects retained by the module?)`);
  // the server kept answering
  assert.equal(during.failures.length, 0, `{ hello } failed during the burst: ${during.failures.slice(0, 3).join("; ")}`);
  assert.ok(during.n >= 1, "the probe got answers during the burst");
  assert.ok(during.max < 5_000, `{ hello } took up to ${during.max.toFixed(0)} ms during the burst`);
  assert.ok(server.alive());
});

// Load: 10,000 concurrent getState calls from one Node client against the dev server. All must
// succeed, and the server must keep answering other requests meanwhile (a `{ hello }` probe on its
// own connection: latency measured and reported; it must never fail or wait 15 s). Memory: a wasm
// linear memory never shrinks, so "back to baseline" is checked as steady state: after GC, two
// more bursts of 10,000 (with fetch answered in-process by a real answer captured earlier, so they
// cost no server time) must not grow the wasm memory or the JS heap any further.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { createRun, loadClient, seedFlow, startServer, wasmMemory } from "./_harness.mjs";

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

function memoryOf() {
  const mem = wasmMemory();
  assert.ok(mem instanceof WebAssembly.Memory, "the wasm memory of the nodejs build is reachable");
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
          req.setTimeout(15_000, () => req.destroy(new Error("no answer within 15 s")));
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

/** Replaces fetch with an instant canned answer (the body a real getState got), for memory-only bursts. */
function stubFetch(body) {
  const real = globalThis.fetch;
  globalThis.fetch = async () => new Response(body, { status: 200, headers: { "content-type": "application/json" } });
  return () => (globalThis.fetch = real);
}

test(`${N} concurrent getState calls: all succeed, memory back to baseline, server responsive`, { timeout: 170_000 }, async () => {
  const mod = loadClient();
  const memory = memoryOf();
  // A generous per-attempt timeout: on 2 shared cores a debug server needs well over the default
  // 15 s to answer 10,000 queued requests, and this test is about concurrency, not timeouts.
  const client = new mod.Client({ apiServer: server.url, timeoutMs: 150_000 });
  const flowRuns = new mod.FlowRuns(client);
  // warm up (first-use allocations) and keep one real answer for the memory-only bursts
  let canned = null;
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (...args) => {
    const res = await realFetch(...args);
    canned = await res.clone().text();
    return res;
  };
  try {
    for (let i = 0; i < 4; i++) await Promise.all(Array.from({ length: 50 }, () => flowRuns.getState(runId)));
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.ok(canned?.includes(runId), "captured a real getState answer");
  await settleGc();
  const base = { wasm: memory.buffer.byteLength, heap: process.memoryUsage().heapUsed };

  // 1. the real burst, with the { hello } probe
  const probe = helloProbe(server.url);
  const first = await burst(flowRuns);
  const during = await probe.stop();
  await settleGc();
  const afterFirst = { wasm: memory.buffer.byteLength, heap: process.memoryUsage().heapUsed };

  // 2, 3. memory-only bursts of the same size with fetch answered instantly in-process: all that
  // the first burst allocated must have been freed and reused, so the memory stays where it is.
  const restore = stubFetch(canned);
  let second, third, afterSecond, afterThird;
  try {
    second = await burst(flowRuns);
    await settleGc();
    afterSecond = { wasm: memory.buffer.byteLength, heap: process.memoryUsage().heapUsed };
    third = await burst(flowRuns);
    await settleGc();
    afterThird = { wasm: memory.buffer.byteLength, heap: process.memoryUsage().heapUsed };
  } finally {
    restore();
  }

  const mb = (x) => (x / 2 ** 20).toFixed(1);
  console.log(`# load: real burst: ${first.ok}/${N} ok in ${(first.ms / 1000).toFixed(1)} s (${(N / (first.ms / 1000)).toFixed(0)} calls/s); in-process bursts: ${second.ok}/${N} in ${(second.ms / 1000).toFixed(1)} s, ${third.ok}/${N} in ${(third.ms / 1000).toFixed(1)} s`);
  console.log(`# load: wasm memory ${mb(base.wasm)} MB baseline → ${mb(afterFirst.wasm)} MB after the real burst → ${mb(afterSecond.wasm)} → ${mb(afterThird.wasm)} MB after 2 more bursts (GC'd)`);
  console.log(`# load: JS heap ${mb(base.heap)} MB baseline → ${mb(afterFirst.heap)} MB (incl. fetch's pool of keep-alive sockets) → ${mb(afterSecond.heap)} → ${mb(afterThird.heap)} MB`);
  console.log(`# load: concurrent { hello } during the real burst: ${during.n} answered, p50 ${during.p50.toFixed(1)} ms, p99 ${during.p99.toFixed(1)} ms, max ${during.max.toFixed(1)} ms, ${during.failures.length} failed`);

  const why = (b) => b.failed.slice(0, 3).map((r) => `${r.reason?.code}: ${r.reason?.message}`).join("; ");
  assert.equal(first.ok, N, `real burst: ${first.failed.length} failed (${why(first)}), ${first.wrong.length} wrong answers`);
  assert.equal(second.ok, N, `in-process burst: ${second.failed.length} failed (${why(second)})`);
  assert.equal(third.ok, N, `in-process burst: ${third.failed.length} failed (${why(third)})`);
  // wasm memory (a linear memory never shrinks): no growth after the first burst (≤ 1 MB or 5 %)
  const slack = Math.max(2 ** 20, afterFirst.wasm * 0.05);
  assert.ok(afterThird.wasm - afterFirst.wasm <= slack,
    `wasm memory kept growing: ${mb(afterFirst.wasm)} → ${mb(afterSecond.wasm)} → ${mb(afterThird.wasm)} MB (per-call allocations not freed)`);
  assert.ok(afterFirst.wasm - base.wasm <= 256 * 2 ** 20, `10,000 calls grew the wasm memory by ${mb(afterFirst.wasm - base.wasm)} MB`);
  // JS heap: the in-process bursts hold no sockets, so the third must leave it where the second did
  assert.ok(afterThird.heap - afterSecond.heap <= 8 * 2 ** 20,
    `JS heap kept growing: ${mb(afterSecond.heap)} → ${mb(afterThird.heap)} MB (objects retained by the module?)`);
  // the server kept answering
  assert.equal(during.failures.length, 0, `{ hello } failed during the burst: ${during.failures.slice(0, 3).join("; ")}`);
  assert.ok(during.n >= 3, `only ${during.n} { hello } answers during a ${(first.ms / 1000).toFixed(0)} s burst`);
  assert.ok(server.alive());
});

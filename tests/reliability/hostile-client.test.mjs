// Hostile input to the client: a seeded PRNG calls every exported method (and constructor) 10,000
// times in total with wrong types, null/undefined, huge strings, invalid UUIDs, cyclic, frozen and
// deeply nested objects, BigInt, Symbols and bad options. Every call must settle (resolve, or
// reject with a PrefectError; a constructor may throw a PrefectError), never throw anything else
// synchronously, never trap (WebAssembly.RuntimeError), and the module must still work afterwards.
// Requests go only to loopback: the dev server started here, or a closed port.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { closedPortUrl, createRun, createTaskRun, loadClient, prng, seedFlow, startServer } from "./_harness.mjs";

const SEED = Number(process.env.HOSTILE_SEED ?? 20261201);
const CALLS = Number(process.env.HOSTILE_CALLS ?? 10_000);
const IN_FLIGHT = Number(process.env.HOSTILE_IN_FLIGHT ?? 200);
const SETTLE_DEADLINE_MS = 30_000;

let server, closed, ids;
before(async () => {
  server = await startServer([]);
  closed = await closedPortUrl();
  const seeded = await seedFlow(server.url);
  const runs = [await createRun(server.url, seeded.flowId), await createRun(server.url, seeded.flowId)];
  const taskRun = await createTaskRun(server.url, runs[0], seeded.taskIds[0]);
  ids = { flowId: seeded.flowId, runs, taskRun };
});
after(() => server?.kill());

function hostileValues(rnd) {
  const cyclic = { type: "Running" };
  cyclic.self = cyclic;
  const cyclicArr = [];
  cyclicArr.push(cyclicArr);
  let deep = {};
  for (let i = 0; i < 5_000; i++) deep = { a: deep };
  let deepArr = [];
  for (let i = 0; i < 5_000; i++) deepArr = [deepArr];
  const big = "x".repeat(1 << 20);
  const huge = "\u{1F600}".repeat(1 << 19);
  const aborted = new AbortController();
  aborted.abort("already");
  const ids2 = () => [
    ...ids.runs, ids.taskRun, ids.flowId,
    "00000000-0000-0000-0000-000000000000", "6b0f3c52-0000-4000-8000-000000000000",
    "not-a-uuid", "", "{6b0f3c52-0000-4000-8000-000000000000}", ids.runs[0].toUpperCase(),
    `${ids.runs[0]}' OR '1'='1`, `${ids.runs[0]}"}}}`, "\u0000", "../../etc/passwd",
    ids.runs[0] + " ".repeat(10), "6b0f3c52-0000-4000-8000-00000000000g",
  ];
  const prims = [
    undefined, null, true, false, 0, -0, -1, 1, 0.5, NaN, Infinity, -Infinity, 1e308, 2 ** 53 + 1,
    0n, -(2n ** 64n), Symbol("s"), Symbol.iterator, () => {}, class X {}, async () => {},
    "", " ", "Running", "running", "RUNNING", "Success", "Scheduled", "Pending", "Cancelled", "Retrying",
    "NotAState", "__proto__", "constructor", "toString", "\uD800", "\uDFFF\uD800", "\u0000\u0001",
    "💥".repeat(100), "<script>alert(1)</script>", "'; DROP TABLE flow_run; --", "%s%n%x",
    "a".repeat(100_000),
  ];
  const objs = () => [
    {}, [], [1, 2, 3], cyclic, cyclicArr, deep, deepArr, Object.freeze({ type: "Running" }),
    Object.freeze({ type: "Success", message: Object.freeze(["x"]) }), Object.seal({ type: "Failed" }),
    Object.create(null), Object.assign(Object.create(null), { type: "Running" }),
    new Date(), new Date(NaN), new Map([["type", "Running"]]), new Set([1]), new Uint8Array(16),
    new ArrayBuffer(8), Promise.resolve(1), new Error("e"), new WeakMap(), /re/g,
    aborted.signal, new AbortController().signal, { type: Symbol("t") }, { type: 1n }, { type: null },
    { type: "Running", message: 42 }, { type: "Running", message: "m".repeat(200_000) }, { type: "Running", context: cyclic },
    { type: "Success", result: 1n }, { type: ["Running"] }, { length: 1e9 }, new Array(100_000),
    { [Symbol("k")]: 1 }, { __proto__: { type: "Running" } }, JSON.parse('{"__proto__": {"type": "x"}}'),
  ];
  return { prims, objs: objs(), ids: ids2(), big, huge };
}

test(`${CALLS} hostile calls: every call settles, PrefectError only, no trap`, { timeout: 170_000 }, async () => {
  const mod = loadClient();
  const { Client, FlowRuns, TaskRuns, PrefectError } = mod;
  for (const [n, v] of Object.entries({ Client, FlowRuns, TaskRuns, PrefectError })) {
    assert.equal(typeof v, "function", `the package exports ${n}`);
  }
  const rnd = prng(SEED);
  const H = hostileValues(rnd);
  const any = () => {
    const r = rnd.next();
    if (r < 0.004) return r < 0.002 ? H.big : H.huge; // 1 MB strings: rare, they cost real time
    if (r < 0.45) return rnd.pick(H.prims);
    if (r < 0.75) return rnd.pick(H.objs);
    return rnd.pick(H.ids);
  };
  const maybe = (good) => (rnd.chance(0.5) ? good : any());
  const safeUrl = () => rnd.pick([server.url, server.url, closed, "", "not a url", "ftp://127.0.0.1/", "http://", "javascript:alert(1)", "http://127.0.0.1:99999", "http://[::1", H.big, 42, null, undefined, {}, Symbol("u")]);
  const badClientOptions = () => {
    if (rnd.chance(0.15)) return rnd.pick([undefined, null, 0, "x", 1n, Symbol("o"), [], () => {}, Object.freeze({}), H.objs[3]]);
    const o = { apiServer: safeUrl() };
    if (rnd.chance(0.3)) o.graphqlServer = safeUrl();
    if (rnd.chance(0.3)) o.token = maybe("tok-" + rnd.int(1e6));
    if (rnd.chance(0.3)) o.tenantId = maybe(rnd.pick(H.ids));
    if (rnd.chance(0.3)) o.headers = rnd.pick([{ "x-a": "b" }, { "bad header\n": "v" }, { a: "\r\nInjected: 1" }, { a: 1 }, { a: null }, null, "h", [], H.objs[3], { Authorization: "Bearer leaked" }]);
    o.timeoutMs = rnd.pick([2_000, 2_000, 0, -1, NaN, Infinity, 1e12, "100", null, 1n, 2 ** 31, 0.5]);
    o.retries = rnd.pick([0, 0, 1, -1, NaN, Infinity, 1e9, "3", null, 1n, 2 ** 32, 0.5]);
    if (rnd.chance(0.1)) o.unknownOption = any();
    return rnd.chance(0.1) ? Object.freeze(o) : o;
  };
  // receivers: mostly well-formed clients on the real server (fast answers), some hostile ones
  let receiver = null; // the client options of the current call, for the report
  let lastArgs = null; // the arguments of the current call, for the report
  const recv = (r) => {
    receiver = r;
    return new Proxy(r, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (typeof v !== "function") return v;
        return (...args) => {
          lastArgs = args;
          return v.apply(target, args);
        };
      },
    });
  };
  const goodClient = () => new Client({ apiServer: server.url, timeoutMs: 5_000, retries: 0 });
  const goodClients = [goodClient(), goodClient(), new Client({ apiServer: closed, retries: 0, timeoutMs: 2_000 })];
  const hostileClients = []; // constructed from hostile options that the constructor accepted
  const optionsOf = new WeakMap();
  const describe = (v) => {
    try {
      return JSON.stringify(v, (k, x) => (typeof x === "bigint" ? `${x}n` : typeof x === "symbol" ? x.toString() : typeof x === "string" && x.length > 40 ? `<${x.length} chars>` : x === Infinity ? "Infinity" : Number.isNaN(x) ? "NaN" : x));
    } catch {
      return String(typeof v);
    }
  };
  const pickClient = () => (hostileClients.length && rnd.chance(0.2) ? rnd.pick(hostileClients) : rnd.pick(goodClients));
  const flowRunsPool = goodClients.map((c) => new FlowRuns(c));
  const taskRunsPool = goodClients.map((c) => new TaskRuns(c));
  const wrap = (Cls, pool) => () => {
    if (!hostileClients.length || !rnd.chance(0.2)) return rnd.pick(pool);
    const c = rnd.pick(hostileClients);
    const o = new Cls(c);
    optionsOf.set(o, optionsOf.get(c));
    return o;
  };
  const pickFlowRuns = wrap(FlowRuns, flowRunsPool);
  const pickTaskRuns = wrap(TaskRuns, taskRunsPool);
  const stateArg = () => (rnd.chance(0.5) ? rnd.pick(["Running", "Success", "Failed", "Pending", "Nope", ""]) : { type: maybe("Running"), message: maybe("m"), [rnd.pick(["result", "context", "_result", "cached_inputs"])]: any() });
  const setOpts = () => rnd.pick([undefined, null, {}, any(), { result: any() }, { expectedState: maybe("Scheduled") }, { result: any(), expectedState: any() }, Object.freeze({ expectedState: "Running" })]);
  // wait() without a bound waits as long as the run takes (API.md): these calls always bound it,
  // with a timeoutMs that is hostile only where it is refused (or a signal that fires).
  const waitOpts = () => {
    if (rnd.chance(0.1)) return rnd.pick([0, "x", 1n, Symbol("w"), [], () => {}]);
    const o = { until: maybe(["Running"]), intervalMs: rnd.chance(0.5) ? rnd.pick([20, 100]) : rnd.pick([0, -1, NaN, Infinity, 1e308, "50", null, 1n, Symbol("i"), {}]) };
    if (rnd.chance(0.2)) o.signal = rnd.pick([AbortSignal.timeout(300), H.objs[22], 1, "s"]); // H.objs[22]: already aborted
    o.timeoutMs = rnd.chance(0.8) ? rnd.pick([50, 200, 500]) : rnd.pick([0, -1, NaN, Infinity, 1e12, "100", 1n, Symbol("t"), {}, []]);
    return rnd.chance(0.1) ? Object.freeze(o) : o;
  };
  const watchOpts = () => {
    if (rnd.chance(0.1)) return rnd.pick([0, "x", 1n, Symbol("w"), [], () => {}]);
    const o = { intervalMs: rnd.chance(0.5) ? rnd.pick([20, 100]) : rnd.pick([0, -1, NaN, Infinity, "50", null, 1n, {}]) };
    o.signal = rnd.chance(0.9) ? AbortSignal.timeout(rnd.pick([50, 300])) : rnd.pick([H.objs[22], 1, "s", {}]);
    return o;
  };
  const watchTwice = (iterator) => iterator.next().then(() => iterator.next()).finally(() => iterator.return());
  const flowOpts = () => ({ parameters: maybe({ a: 1 }), context: maybe({}), labels: maybe(["a"]), scheduledStartTime: maybe(new Date()), idempotencyKey: maybe("k"), name: maybe("n"), parentTaskRunId: maybe(ids.taskRun) });

  const methods = {
    "new Client": () => {
      const opts = badClientOptions();
      const c = new Client(opts);
      optionsOf.set(c, describe(opts));
      if (rnd.chance(0.2)) hostileClients.push(c); // hostile-but-accepted clients become receivers too
      void c.token;
      return undefined;
    },
    "new FlowRuns": () => { new FlowRuns(rnd.chance(0.3) ? pickClient() : any()); },
    "new TaskRuns": () => { new TaskRuns(rnd.chance(0.3) ? pickClient() : any()); },
    "client.token": () => { void pickClient().token; },
    "client.graphql": () => recv(pickClient()).graphql(maybe(rnd.pick(["{ hello }", "query($id: uuid!) { flow_run_by_pk(id: $id) { id } }", "{", "mutation { nope }", ""])), maybe({ id: rnd.pick(H.ids) }), rnd.pick([undefined, null, {}, { signal: any() }, any()])),
    "client.login": () => recv(pickClient()).login(any(), any(), rnd.pick([undefined, null, {}, { accountSlug: any() }, { accountId: any() }, any()])),
    "client.refreshToken": () => recv(pickClient()).refreshToken(...(rnd.chance(0.5) ? [] : [any()])),
    "flowRuns.create": () => recv(pickFlowRuns()).create(maybe(rnd.pick(H.ids)), rnd.pick([undefined, null, flowOpts(), any()])),
    "flowRuns.getState": () => recv(pickFlowRuns()).getState(rnd.chance(0.6) ? rnd.pick(H.ids) : any()),
    "flowRuns.run": () => recv(pickFlowRuns()).run(rnd.chance(0.6) ? rnd.pick(H.ids) : any(), rnd.pick([undefined, null, { startTasks: maybe(["extract"]), inputs: maybe({}) }, any()])),
    "flowRuns.setState": () => recv(pickFlowRuns()).setState(rnd.chance(0.6) ? rnd.pick(H.ids) : any(), rnd.chance(0.5) ? stateArg() : any(), setOpts()),
    "taskRuns.getState": () => recv(pickTaskRuns()).getState(rnd.chance(0.6) ? rnd.pick(H.ids) : any()),
    "taskRuns.setState": () => recv(pickTaskRuns()).setState(rnd.chance(0.6) ? rnd.pick(H.ids) : any(), rnd.chance(0.5) ? stateArg() : any(), setOpts()),
    "flowRuns.wait": () => recv(pickFlowRuns()).wait(rnd.chance(0.6) ? rnd.pick(H.ids) : any(), waitOpts()),
    "taskRuns.wait": () => recv(pickTaskRuns()).wait(rnd.chance(0.6) ? rnd.pick(H.ids) : any(), waitOpts()),
    // watch() returns an iterator at once; its first two next() (the second waits for a new state
    // until the signal) and then return() must settle like any call
    "flowRuns.watch": () => watchTwice(recv(pickFlowRuns()).watch(rnd.chance(0.6) ? rnd.pick(H.ids) : any(), watchOpts())),
    "taskRuns.watch": () => watchTwice(recv(pickTaskRuns()).watch(rnd.chance(0.6) ? rnd.pick(H.ids) : any(), watchOpts())),
  };
  // every prototype method the package exports is covered (wasm-bindgen's free() excluded)
  for (const [cls, prefix] of [[Client, "client"], [FlowRuns, "flowRuns"], [TaskRuns, "taskRuns"]]) {
    for (const name of Object.getOwnPropertyNames(cls.prototype)) {
      if (name === "constructor" || name === "free" || name.startsWith("__")) continue; // wasm-bindgen internals (free, __destroy_into_raw)
      if (!methods[`${prefix}.${name}`]) {
        const desc = Object.getOwnPropertyDescriptor(cls.prototype, name);
        methods[`${prefix}.${name}`] = desc.get
          ? () => { void (prefix === "client" ? pickClient() : prefix === "flowRuns" ? pickFlowRuns() : pickTaskRuns())[name]; }
          : () => recv(prefix === "client" ? pickClient() : prefix === "flowRuns" ? pickFlowRuns() : pickTaskRuns())[name](any(), any(), any());
      }
    }
  }
  const names = Object.keys(methods);

  const stats = { calls: 0, resolved: 0, rejected: 0, thrownPrefectError: 0, returned: 0, byCode: {}, byMethod: {} };
  const bad = [];
  let badCount = 0;
  const badKinds = new Map();
  const slow = [];
  let traps = 0;
  const unhandled = [];
  const onUnhandled = (e) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  const noteBad = (name, kind, e) => {
    if (e?.constructor?.name === "RuntimeError" || /unreachable|RuntimeError/.test(String(e?.stack ?? e))) traps += 1;
    badCount += 1;
    const sig = `${name}: ${kind}: ${e?.constructor?.name ?? typeof e}: ${String(e?.message ?? (typeof e === "symbol" ? e.toString() : e)).slice(0, 160)}`;
    if (!badKinds.has(sig)) bad.push(sig);
    badKinds.set(sig, (badKinds.get(sig) ?? 0) + 1);
  };
  const classify = (name, e) => {
    if (e instanceof PrefectError && e instanceof Error && typeof e.code === "string") {
      stats.byCode[e.code] = (stats.byCode[e.code] ?? 0) + 1;
      return true;
    }
    return false;
  };

  const t0 = performance.now();
  const inflight = new Set();
  for (let i = 0; i < CALLS; i++) {
    const name = rnd.pick(names);
    stats.calls += 1;
    stats.byMethod[name] = (stats.byMethod[name] ?? 0) + 1;
    let ret;
    receiver = null;
    lastArgs = null;
    try {
      ret = methods[name]();
    } catch (e) {
      if (classify(name, e)) stats.thrownPrefectError += 1;
      else noteBad(name, "threw synchronously", e);
      continue;
    }
    if (!ret || typeof ret.then !== "function") {
      stats.returned += 1;
      continue;
    }
    let timer;
    const started = performance.now();
    const via = receiver && (optionsOf.get(receiver) ?? "(a well-formed client)");
    const args = lastArgs;
    const p = Promise.race([
      ret.then(() => "resolved", (e) => (classify(name, e) ? "rejected" : (noteBad(name, "rejected with a non-PrefectError", e), "bad"))),
      new Promise((r) => (timer = setTimeout(() => r("unsettled"), SETTLE_DEADLINE_MS))),
    ]).then((outcome) => {
      clearTimeout(timer);
      const took = performance.now() - started;
      if (took > 5_000) slow.push(`${name} ${outcome} after ${(took / 1000).toFixed(1)} s`);
      if (outcome === "resolved") stats.resolved += 1;
      else if (outcome === "rejected") stats.rejected += 1;
      else if (outcome === "unsettled") noteBad(name, `did not settle within ${SETTLE_DEADLINE_MS} ms`, `client options ${via}; args ${describe(args)?.slice(0, 160)}`);
      inflight.delete(p);
    });
    inflight.add(p);
    if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const elapsed = performance.now() - t0;
  process.off("unhandledRejection", onUnhandled);
  console.log(`# hostile client: seed ${SEED}, ${stats.calls} calls in ${(elapsed / 1000).toFixed(1)} s: ` +
    `${stats.resolved} resolved, ${stats.rejected} rejected with PrefectError, ${stats.thrownPrefectError} threw PrefectError synchronously, ` +
    `${stats.returned} returned synchronously, ${badCount} bad, ${traps} traps`);
  console.log(`# by code: ${JSON.stringify(stats.byCode)}`);
  console.log(`# calls slower than 5 s: ${slow.length}${slow.length ? ": " + slow.slice(0, 10).join("; ") : ""}`);
  for (const [sig, n] of badKinds) console.log(`# BAD ×${n}: ${sig}`);
  console.log(`# by method: ${JSON.stringify(stats.byMethod)}`);

  // the module still works
  const client = new Client({ apiServer: server.url });
  const hello = await client.graphql("{ hello }");
  assert.equal(typeof hello?.hello, "string", "graphql() works after the hostile calls");
  const state = await new FlowRuns(client).getState(ids.runs[1]);
  assert.equal(state.id, ids.runs[1], "getState() works after the hostile calls");
  const set = await new FlowRuns(client).setState(ids.runs[1], { type: "Running", message: "after the storm" });
  assert.equal(set.type, "Running");

  assert.equal(traps, 0, `wasm traps:\n${bad.join("\n")}`);
  assert.equal(badCount, 0, `${badCount} calls did not settle with a PrefectError; kinds:\n${[...badKinds].map(([k, n]) => `×${n} ${k}`).join("\n")}`);
  assert.equal(unhandled.length, 0, `unhandled rejections: ${unhandled.slice(0, 5).map(String).join("; ")}`);
});

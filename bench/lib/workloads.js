// The measurements themselves, shared by the Node runner and the Chromium page: the same code,
// the same documents and the same loop in both environments. No Node or DOM APIs here beyond
// fetch and performance.now(), which both have.

/** The read every client makes: one flow run by primary key, the fields getState() needs. */
export const BY_PK = `query FlowRunState($id: uuid!) {
  flow_run_by_pk(id: $id) {
    id
    version
    state
    state_message
    state_timestamp
    state_result
    serialized_state
  }
}`;

/** The large answer: many flow runs with most of their columns (several MB of JSON). */
export const LARGE = `query ManyFlowRuns($limit: Int!) {
  flow_run(limit: $limit, order_by: {created: asc}) {
    id
    name
    flow_id
    labels
    parameters
    context
    version
    state
    state_message
    state_timestamp
    scheduled_start_time
    created
    updated
    serialized_state
  }
}`;

// A uuid no run has: getState() of it must reject with NOT_FOUND (the memory mix uses it).
export const MISSING_ID = "00000000-0000-4000-8000-00000000dead";

const now = () => performance.now();

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function check(ok, what) {
  if (!ok) throw new Error(`bench: wrong answer from ${what}`);
}

/** Raw fetch + response.json(): the floor every client is compared with. */
function rawFetchCall(url, query, variables) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  })
    .then((r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return r.json();
    })
    .then((j) => {
      if (j.errors) throw new Error(JSON.stringify(j.errors));
      return j.data;
    });
}

/**
 * The by-pk readers, one per client. Each resolves the usable answer and checks it.
 * libs: { url, Client, FlowRuns, GraphQLClient, createUrql, fetchExchange } (any may be missing:
 * that client is then left out, and the reason recorded).
 */
export function makeReaders(libs) {
  const { url } = libs;
  const readers = {};
  const skipped = {};
  if (libs.Client && libs.FlowRuns) {
    const client = new libs.Client({ apiServer: url });
    const flowRuns = new libs.FlowRuns(client);
    readers["prefect-wasm graphql()"] = async (id) => {
      const data = await client.graphql(BY_PK, { id });
      check(data.flow_run_by_pk.id === id, "prefect-wasm graphql()");
    };
    readers["prefect-wasm getState()"] = async (id) => {
      const state = await flowRuns.getState(id);
      check(state.id === id && typeof state.type === "string", "prefect-wasm getState()");
    };
  } else {
    skipped["prefect-wasm"] = libs.wasmError ?? "not loaded";
  }
  if (libs.GraphQLClient) {
    const client = new libs.GraphQLClient(url);
    readers["graphql-request"] = async (id) => {
      const data = await client.request(BY_PK, { id });
      check(data.flow_run_by_pk.id === id, "graphql-request");
    };
  }
  if (libs.createUrql) {
    // Network only, POST, no cache: the same request on the wire as the others.
    const client = libs.createUrql({
      url,
      exchanges: [libs.fetchExchange],
      preferGetMethod: false,
      requestPolicy: "network-only",
    });
    readers["urql"] = async (id) => {
      const result = await client.query(BY_PK, { id }).toPromise();
      if (result.error) throw result.error;
      check(result.data.flow_run_by_pk.id === id, "urql");
    };
  }
  readers["raw fetch"] = async (id) => {
    const data = await rawFetchCall(url, BY_PK, { id });
    check(data.flow_run_by_pk.id === id, "raw fetch");
  };
  return { readers, skipped };
}

/** `total` calls of `fn(ids[i % n])` by `concurrency` workers; resolves the elapsed ms. */
export async function drive(fn, ids, total, concurrency) {
  let next = 0;
  const t0 = now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      await fn(ids[i % ids.length], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return now() - t0;
}

/**
 * Throughput: for each concurrency, a warm-up round per reader, then `rounds` rounds, the
 * readers taking turns within a round (rotated each round, so no reader is always first).
 */
export async function throughput(libs, { ids, calls, rounds, warmupCalls, concurrencies }) {
  const { readers, skipped } = makeReaders(libs);
  const names = Object.keys(readers);
  const out = { calls, rounds, concurrencies, skipped, results: {} };
  for (const c of concurrencies) {
    const times = Object.fromEntries(names.map((n) => [n, []]));
    const cpu = Object.fromEntries(names.map((n) => [n, []]));
    for (const n of names) await drive(readers[n], ids, warmupCalls, c);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < names.length; k++) {
        const n = names[(k + r) % names.length];
        const cpu0 = libs.cpuMicros?.();
        times[n].push(await drive(readers[n], ids, calls, c));
        if (cpu0 !== undefined) cpu[n].push((libs.cpuMicros() - cpu0) / calls);
      }
    }
    out.results[`c${c}`] = Object.fromEntries(
      names.map((n) => {
        const med = median(times[n]);
        const entry = { median_ms: med, rounds_ms: times[n], req_per_s: (calls / med) * 1000 };
        // This process's CPU time per call (user + system), where the runtime can tell: less
        // sensitive to other load on the machine than wall time.
        if (cpu[n].length) entry.cpu_us_per_call = median(cpu[n]);
        return [n, entry];
      }),
    );
  }
  return out;
}

/** Large answer: request → usable JS object, prefect-wasm graphql() against the anchors. */
export async function large(libs, { limit, rounds }) {
  const { url } = libs;
  const variables = { limit };
  const runs = {};
  if (libs.Client) {
    const client = new libs.Client({ apiServer: url, timeoutMs: 120000 });
    runs["prefect-wasm graphql()"] = () => client.graphql(LARGE, variables);
  }
  if (libs.GraphQLClient) {
    const client = new libs.GraphQLClient(url);
    runs["graphql-request"] = () => client.request(LARGE, variables);
  }
  if (libs.createUrql) {
    const client = libs.createUrql({
      url,
      exchanges: [libs.fetchExchange],
      preferGetMethod: false,
      requestPolicy: "network-only",
    });
    runs["urql"] = async () => {
      const result = await client.query(LARGE, variables).toPromise();
      if (result.error) throw result.error;
      return result.data;
    };
  }
  runs["raw fetch"] = () => rawFetchCall(url, LARGE, variables);

  // Size of the answer on the wire, for the table.
  const text = await (
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: LARGE, variables }),
    })
  ).text();
  const names = Object.keys(runs);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  let rows = 0;
  for (const n of names) rows = (await runs[n]()).flow_run.length; // warm-up
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(k + r) % names.length];
      const t0 = now();
      const data = await runs[n]();
      const dt = now() - t0;
      check(data.flow_run.length === rows && typeof data.flow_run[rows - 1].id === "string", n);
      times[n].push(dt);
    }
  }
  return {
    rows,
    answer_bytes: text.length,
    rounds,
    results: Object.fromEntries(names.map((n) => [n, { median_ms: median(times[n]), rounds_ms: times[n] }])),
  };
}

/**
 * Memory: wasm memory (and the wasm-bindgen externref table, when there is one) before and after
 * `calls` calls, each measured after a warm-up and after collecting the JS side.
 * The mix: 50% graphql(), 40% getState(), 10% getState() of a missing run (NOT_FOUND rejections).
 * env: { memory: () => WebAssembly.Memory, tables: () => WebAssembly.Table[], gc: async () => void,
 *        jsHeap: () => number | null }
 */
export async function memory(libs, env, { ids, calls, warmupCalls, concurrency, stubFetch = false, networkCalls = 0 }) {
  const stub = { restore: null };
  if (stubFetch) stub.restore = await installFetchStub(libs.url, ids[0]);
  try {
    return await memoryRun(libs, env, { ids, calls, warmupCalls, concurrency, stubFetch, networkCalls, stub });
  } finally {
    if (stub.restore) stub.restore();
  }
}

/**
 * Replaces the global fetch, for the endpoint only, by one that answers at once with a real
 * answer of the server (recorded first) rewritten for the id asked: the client's whole path
 * (request, Response, text, JSON, errors, promises) runs, without the network's time.
 */
async function installFetchStub(url, sampleId) {
  const real = globalThis.fetch;
  const sample = await rawFetchCall(url, BY_PK, { id: sampleId });
  const template = JSON.stringify({ data: sample }).split(sampleId);
  globalThis.fetch = function (input, init) {
    const target = typeof input === "string" ? input : input?.url;
    if (target !== url && target !== url + "/") return real.call(this, input, init);
    const { variables } = JSON.parse(init.body);
    const body = variables?.id === sampleId || ids_ok(variables?.id) ? template.join(variables.id) : null;
    const text = body && variables.id !== MISSING_ID ? body : JSON.stringify({ data: { flow_run_by_pk: null } });
    return Promise.resolve(new Response(text, { status: 200, headers: { "content-type": "application/json" } }));
  };
  return () => {
    globalThis.fetch = real;
  };
}

const ids_ok = (id) => typeof id === "string" && /^[0-9a-f-]{36}$/.test(id);

async function memoryRun(libs, env, { ids, calls, warmupCalls, concurrency, stubFetch, networkCalls, stub }) {
  const client = new libs.Client({ apiServer: libs.url });
  const flowRuns = new libs.FlowRuns(client);
  let notFound = 0;
  const mix = async (id, i) => {
    const k = i % 10;
    if (k < 5) {
      const data = await client.graphql(BY_PK, { id });
      check(data.flow_run_by_pk.id === id, "prefect-wasm graphql()");
    } else if (k < 9) {
      const state = await flowRuns.getState(id);
      check(state.id === id, "prefect-wasm getState()");
    } else {
      try {
        await flowRuns.getState(MISSING_ID);
        throw new Error("bench: getState of a missing run resolved");
      } catch (err) {
        if (err?.code !== "NOT_FOUND") throw err;
        notFound++;
      }
    }
  };
  const snapshot = async () => {
    await env.gc();
    return {
      wasm_memory_bytes: env.memory().buffer.byteLength,
      table_lengths: env.tables().map((t) => t.length),
      js_heap_bytes: env.jsHeap(),
    };
  };
  await drive(mix, ids, warmupCalls, concurrency);
  const before = await snapshot();
  const ms = await drive(mix, ids, calls, concurrency);
  let network = null;
  if (stubFetch && networkCalls > 0) {
    // Then the same mix over the network, the real fetch's Response and signal handling included.
    const mid = await snapshot();
    stub.restore();
    stub.restore = null;
    const t = await drive(mix, ids, networkCalls, concurrency);
    network = { calls: networkCalls, elapsed_ms: t, wasm_memory_before_bytes: mid.wasm_memory_bytes };
  }
  const after = await snapshot();
  return {
    calls,
    warmup_calls: warmupCalls,
    concurrency,
    fetch: stubFetch
      ? `stub (answers at once with a recorded server answer), then ${networkCalls} calls over the network`
      : "network (the dev server)",
    network_phase: network,
    mix: "50% graphql(), 40% getState(), 10% getState() NOT_FOUND",
    not_found_rejections: notFound,
    elapsed_ms: ms,
    before,
    after,
    wasm_memory_growth_bytes: after.wasm_memory_bytes - before.wasm_memory_bytes,
    table_growth: after.table_lengths.reduce((a, b) => a + b, 0) - before.table_lengths.reduce((a, b) => a + b, 0),
  };
}

/** Collects the JS side twice, letting FinalizationRegistry callbacks (wasm-bindgen's frees) run. */
export async function collect(gc) {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 30));
  }
}

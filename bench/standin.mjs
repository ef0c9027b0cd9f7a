// A stand-in for prefect-dev-server, for working on the harness without the real server:
// same CLI and stdout line, answers the few documents the bench sends (from memory, not SQLite),
// serves --pkg at /pkg/ and --www at /ui/. BENCH_STANDIN=1 bash bench/run.sh uses it.
import http from "node:http";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? null : process.argv[i + 1];
};
const [host, port] = (arg("--listen") ?? "127.0.0.1:0").split(":");
const dirs = { "/pkg/": arg("--pkg"), "/ui/": arg("--www") };
const TYPES = { ".js": "text/javascript", ".html": "text/html", ".wasm": "application/wasm", ".json": "application/json" };
const runs = new Map();
const order = [];

function run(id, name) {
  const t = new Date().toISOString();
  return {
    id, name, flow_id: "f", labels: ["bench"], parameters: { rows: 1 }, context: {}, version: 1,
    state: "Scheduled", state_message: "Flow run scheduled.", state_timestamp: t, state_result: null,
    scheduled_start_time: t, created: t, updated: t,
    serialized_state: { type: "Scheduled", message: "Flow run scheduled.", start_time: t, _result: { type: "NoResultType" }, context: {}, cached_inputs: {}, __version__: "1.4.1" },
  };
}

function answer(query, variables) {
  if (/create_flow_run/.test(query)) {
    const data = {};
    for (const m of query.matchAll(/(\w+): create_flow_run\(input: \{[^}]*name: "([^"]+)"/g)) {
      const id = randomUUID();
      runs.set(id, run(id, m[2]));
      order.push(id);
      data[m[1]] = { id };
    }
    return data;
  }
  if (/create_project/.test(query)) return { create_project: { id: randomUUID() } };
  if (/create_flow\b/.test(query)) return { create_flow: { id: randomUUID() } };
  if (/create_tenant/.test(query)) return { create_tenant: { id: randomUUID() } };
  if (/tenant\b/.test(query)) return { tenant: [{ id: "00000000-0000-4000-8000-000000000001" }] };
  if (/flow_run_aggregate/.test(query)) return { flow_run_aggregate: { aggregate: { count: runs.size } } };
  if (/flow_run_by_pk/.test(query)) return { flow_run_by_pk: runs.get(variables.id) ?? null };
  if (/flow_run\(/.test(query)) return { flow_run: order.slice(0, variables.limit ?? 100).map((id) => runs.get(id)) };
  return null;
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.method === "POST" && (req.url === "/" || req.url === "/graphql")) {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const { query, variables } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const data = answer(query, typeof variables === "string" ? JSON.parse(variables) : variables ?? {});
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(data ? { data } : { errors: [{ message: "stand-in: unknown document" }] }));
      return;
    }
    for (const [prefix, dir] of Object.entries(dirs)) {
      if (dir && req.method === "GET" && req.url.startsWith(prefix)) {
        const rel = decodeURIComponent(req.url.slice(prefix.length).split("?")[0]) || "index.html";
        const file = path.join(dir, path.normalize("/" + rel));
        const body = await readFile(file);
        res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
        res.end(body);
        return;
      }
    }
    res.writeHead(404).end();
  } catch {
    res.writeHead(404).end();
  }
});
server.listen(Number(port), host, () => {
  const a = server.address();
  console.log(`prefect-dev-server listening on http://${a.address}:${a.port}`);
});

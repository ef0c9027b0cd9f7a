// Builds the data set through the API: a tenant (the open server's, or a new one), a project, a
// flow, and `runs` flow runs, created with aliased create_flow_run mutations in batches.
async function gql(url, query, variables = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`seed: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (body.errors) throw new Error(`seed: ${JSON.stringify(body.errors).slice(0, 600)}`);
  return body.data;
}

export async function seed(url, { runs, batch = 250, parallel = 4 }) {
  const t0 = performance.now();
  let tenantId = (await gql(url, `query { tenant(limit: 1) { id } }`)).tenant[0]?.id;
  if (!tenantId) {
    tenantId = (
      await gql(url, `mutation($input: create_tenant_input!) { create_tenant(input: $input) { id } }`, {
        input: { name: "bench", slug: "bench" },
      })
    ).create_tenant.id;
  }
  const projectId = (
    await gql(url, `mutation($input: create_project_input!) { create_project(input: $input) { id } }`, {
      input: { tenant_id: tenantId, name: `bench-${Date.now()}` },
    })
  ).create_project.id;
  const serializedFlow = {
    name: "bench-flow",
    type: "prefect.core.flow.Flow",
    tasks: [
      { slug: "extract-1", name: "extract", type: "prefect.tasks.core.function.FunctionTask", tags: [] },
      { slug: "load-1", name: "load", type: "prefect.tasks.core.function.FunctionTask", tags: [] },
    ],
    edges: [{ upstream_task: { slug: "extract-1" }, downstream_task: { slug: "load-1" }, key: null, mapped: false }],
    parameters: [{ slug: "rows", name: "rows", required: false, default: 10 }],
    reference_tasks: [],
    environment: null,
    run_config: { type: "UniversalRun", labels: [] },
    storage: null,
    schedule: null,
    __version__: "1.4.1",
  };
  const flowId = (
    await gql(url, `mutation($input: create_flow_input!) { create_flow(input: $input) { id } }`, {
      input: { serialized_flow: serializedFlow, project_id: projectId },
    })
  ).create_flow.id;

  const ids = [];
  let next = 0;
  const batches = Math.ceil(runs / batch);
  const worker = async () => {
    for (;;) {
      const b = next++;
      if (b >= batches) return;
      const n = Math.min(batch, runs - b * batch);
      const fields = [];
      for (let k = 0; k < n; k++) {
        const i = b * batch + k;
        fields.push(
          `r${k}: create_flow_run(input: {flow_id: $flow, flow_run_name: "bench-run-${i}", labels: ["bench", "batch-${b}"], parameters: {rows: ${i % 100}}}) { id }`,
        );
      }
      const data = await gql(url, `mutation Seed($flow: UUID!) {\n${fields.join("\n")}\n}`, { flow: flowId });
      for (let k = 0; k < n; k++) ids[b * batch + k] = data[`r${k}`].id;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const total = (await gql(url, `query { flow_run_aggregate { aggregate { count } } }`).catch(() => null))
    ?.flow_run_aggregate?.aggregate?.count;
  return { tenantId, projectId, flowId, ids, runs_in_db: total ?? null, seed_ms: performance.now() - t0 };
}

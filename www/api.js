// Everything the page asks the server, through the prefect-wasm client only (client.js loads it).
// Every document is fixed text; values travel as GraphQL variables.

/** The run detail shows this many of a run's latest logs. */
export const LOG_LIMIT = 500;

export const Q = {
  stateInfo: `query StateInfo { reference_data { state_info } }`,
  flows: `query Flows($where: flow_bool_exp) {
    flow(where: $where, order_by: {name: asc}) {
      id name version description parameters created
      project { id name }
    }
  }`,
  runs: `query FlowRuns($where: flow_run_bool_exp, $limit: Int) {
    flow_run(where: $where, order_by: {scheduled_start_time: desc}, limit: $limit) {
      id name state state_message scheduled_start_time start_time end_time
      flow { id name }
    }
  }`,
  run: `query FlowRun($id: uuid!, $logLimit: Int) {
    flow_run_by_pk(id: $id) {
      id name state state_message version parameters labels
      scheduled_start_time start_time end_time created
      flow { id name }
      states(order_by: {timestamp: asc}) { id state message timestamp version }
      task_runs { id name map_index state state_message start_time end_time task { id name slug } }
      logs(order_by: {timestamp: desc}, limit: $logLimit) { id timestamp level name message task_run_id }
    }
  }`,
  cancel: `mutation CancelFlowRun($input: cancel_flow_run_input!) {
    cancel_flow_run(input: $input) { state }
  }`,
};

/** One connection to one server: the client, its FlowRuns helper, and the reads the page does. */
export class Api {
  /** `mod`: the client module (Client, FlowRuns), `url`: the server, `token`: a saved access token. */
  constructor(mod, url, token) {
    this.url = url;
    this.client = new mod.Client(token ? { apiServer: url, token } : { apiServer: url });
    this.flowRuns = new mod.FlowRuns(this.client);
  }

  gql(query, variables) {
    return this.client.graphql(query, variables ?? {});
  }

  async stateInfo() {
    const data = await this.gql(Q.stateInfo);
    return data?.reference_data?.state_info;
  }

  login(email, password, options) {
    return this.client.login(email, password, options);
  }

  async flows() {
    const data = await this.gql(Q.flows, { where: { archived: { _eq: false } } });
    return data?.flow ?? [];
  }

  async runs({ flowId, limit = 100 } = {}) {
    const where = flowId ? { flow_id: { _eq: flowId } } : {};
    const data = await this.gql(Q.runs, { where, limit });
    return data?.flow_run ?? [];
  }

  /** One run with its states, task runs and its latest `logLimit` logs (oldest first). */
  async run(id, logLimit = LOG_LIMIT) {
    const data = await this.gql(Q.run, { id, logLimit });
    const run = data?.flow_run_by_pk ?? null;
    if (run?.logs) run.logs = [...run.logs].reverse();
    return run;
  }

  createRun(flowId, options) {
    return this.flowRuns.create(flowId, options);
  }

  runNow(id) {
    return this.flowRuns.run(id);
  }

  setState(id, state, expectedState) {
    return this.flowRuns.setState(id, state, expectedState ? { expectedState } : {});
  }

  async cancel(id) {
    const data = await this.gql(Q.cancel, { input: { flow_run_id: id } });
    return data?.cancel_flow_run?.state ?? null;
  }
}

/** A flow's parameters as [{ name, required, default }], whatever shape the server stored. */
export function flowParameters(flow) {
  let raw = flow?.parameters;
  if (typeof raw === "string") {
    try { raw = JSON.parse(raw); } catch { raw = null; }
  }
  if (!raw) return [];
  const list = Array.isArray(raw)
    ? raw
    : Object.entries(raw).map(([name, p]) => (p && typeof p === "object" ? { name, ...p } : { name, default: p }));
  return list
    .filter((p) => p && (p.name || p.slug))
    .map((p) => ({ name: p.name ?? p.slug, required: Boolean(p.required), default: p.default ?? null }));
}

/** Error → { code, message } for display. */
export function describeError(err) {
  if (err && typeof err === "object") {
    const code = err.code ?? (err.name && err.name !== "Error" ? err.name : "ERROR");
    return { code: String(code), message: String(err.message ?? err) };
  }
  return { code: "ERROR", message: String(err) };
}

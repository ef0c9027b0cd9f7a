// What every app of the `bundlers` layer does with the package once it has imported it the way
// the README says: a GraphQL call, a run's state, and a failing call. Copied into each app's
// project; the layer's runner (../run.mjs) asserts the report.
export async function check({ Client, FlowRuns, TaskRuns, PrefectError }, { server, flowRunId }) {
  const client = new Client({ apiServer: server });
  const { hello } = await client.graphql("{ hello }");
  const state = await new FlowRuns(client).getState(flowRunId);
  let failure;
  try {
    await new TaskRuns(client).getState("00000000-0000-4000-8000-000000000000");
  } catch (error) {
    failure = {
      isPrefectError: error instanceof PrefectError,
      isError: error instanceof Error,
      name: error.name,
      code: error.code,
    };
  }
  return { hello, state: { id: state.id, type: state.type, version: state.version }, failure };
}

/** The dev server and the run to read, from the page's query string (`?server=…&run=…`). */
export function browserParams() {
  const query = new URLSearchParams(location.search);
  return { server: query.get("server"), flowRunId: query.get("run") };
}

/** Hands the report (or the error) to the runner, which waits for `window.report`. */
export function report(promise) {
  promise.then(
    (value) => (globalThis.report = { ok: true, value }),
    (error) => (globalThis.report = { ok: false, error: String(error?.stack ?? error) }),
  );
}

/** Whether `init()` (called again) settles within two microtask turns: no I/O, no timer. */
export async function initResolvesAtOnce(init) {
  let settled = false;
  init().then(() => (settled = true));
  await Promise.resolve();
  await Promise.resolve();
  return settled;
}

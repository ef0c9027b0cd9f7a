// The real Prefect 1.4.1 library against the dev server with --auth, as a Prefect Cloud 1.x user
// runs it: backend "cloud", an API key (here a log_in access token with a long lifetime) in
// PREFECT__CLOUD__API_KEY. The key finds its own tenant (auth_info), task tag limits answer, and a
// flow registered with the key is run to Success by the real agent using the same key (issue #12).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { bearer, gql, startServer } from "../reliability/_harness.mjs";
import { prefect1Home } from "../support/prefect1-process.mjs";
import { call, runDetails, startAgent, waitForRuns } from "./_harness.mjs";

const USER = { email: "carol@example.com", password: "carol-password", tenant: "carol-team" };
const OTHER = { email: "dave@example.com", password: "dave-password", tenant: "dave-team" };
let server;
let apiKey;
let tenantId;
let ctx;
let agent;
const ids = {};

async function logIn(user) {
  const d = await gql(server.url, "mutation($input: log_in_input!) { log_in(input: $input) { access_token } }", { input: { email: user.email, password: user.password } });
  return d.log_in.access_token;
}

before(async () => {
  server = await startServer(["--auth", "--token-ttl", "3600", "--user", `${USER.email}:${USER.password}:${USER.tenant}`, "--user", `${OTHER.email}:${OTHER.password}:${OTHER.tenant}`], { name: "auth-server" });
  apiKey = await logIn(USER);
  tenantId = (await gql(server.url, "query { tenant { id slug } }", {}, bearer(apiKey))).tenant.find((t) => t.slug === USER.tenant).id;
  ctx = { server, home: prefect1Home(), auth: { apiKey } };
});

after(async () => {
  await agent?.stop();
  await server?.stop();
});

test("Client(api_key=...) finds the key's tenant with auth_info", async () => {
  const r = await call(ctx, ["auth-tenant"]);
  assert.equal(r.backend, "cloud");
  assert.equal(r.tenant_id, tenantId);
});

test("get_task_tag_limit answers (no limit set: None)", async () => {
  const r = await call({ ...ctx, auth: { apiKey, tenantId } }, ["tag-limit", "prefect1-tag"]);
  assert.equal(r.limit, null);
});

test("with the key: create_project, flow.register(), create_flow_run, and the real agent runs it to Success", async () => {
  const withTenant = { ...ctx, auth: { apiKey, tenantId } };
  ids.project = (await call(withTenant, ["create-project", "prefect1-auth"])).project_id;
  assert.equal((await call(withTenant, ["create-project", "prefect1-auth"])).project_id, ids.project);
  ids.flow = (await call(withTenant, ["register", "dependent", "--project", "prefect1-auth"])).flow_id;
  ids.run = (await call(withTenant, ["create-run", ids.flow])).flow_run_id;
  agent = startAgent(ctx);
  const done = await waitForRuns(server.url, [ids.run], { headers: bearer(apiKey), agent });
  assert.equal(done[ids.run], "Success");
  const run = await runDetails(server.url, ids.run, bearer(apiKey));
  assert.deepEqual(run.task_runs.map((t) => t.state), run.task_runs.map(() => "Success"));
  assert.equal(run.task_runs.length, 4);
});

test("another tenant's key sees none of it", async () => {
  const other = await logIn(OTHER);
  const d = await gql(server.url, "query($id: uuid!) { flow_run_by_pk(id: $id) { id } flow { id } }", { id: ids.run ?? "00000000-0000-0000-0000-000000000000" }, bearer(other));
  assert.equal(d.flow_run_by_pk, null);
  assert.deepEqual(d.flow, []);
  assert.ok(ids.run, "the run of the previous test exists");
});

// The Cloud 1.x token flow as prefect 0.15.13 does it (Client.login_to_tenant,
// Client._refresh_access_token, the automatic refresh of get_auth_token), run for real from
// .venv/prefect015 against the dev server's --auth; and our client's refreshToken() sending the
// same request (refresh token as the bearer, the access token in input.access_token). Issue #12.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { bearer, gql, loadClient, post, startServer } from "../reliability/_harness.mjs";
import { startFaultProxy } from "../support/fault-proxy.mjs";
import { prefect1Home, runPrefect1 } from "../support/prefect1-process.mjs";

const USER = { email: "erin@example.com", password: "erin-password", tenants: ["erin-team", "erin-lab"] };
const REFRESH = "mutation($input: refresh_token_input!) { refresh_token(input: $input) { access_token expires_at refresh_token } }";
let server;

async function logIn() {
  const d = await gql(server.url, "mutation($input: log_in_input!) { log_in(input: $input) { access_token refresh_token } }", { input: { email: USER.email, password: USER.password } });
  return d.log_in;
}

before(async () => {
  server = await startServer(["--auth", "--token-ttl", "600", "--user", `${USER.email}:${USER.password}:${USER.tenants.join(",")}`], { name: "auth-server" });
});

after(async () => {
  await server?.stop();
});

test("prefect 0.15.13: login_to_tenant, _refresh_access_token (rotating), a reused refresh token refused, automatic refresh", async () => {
  const { access_token } = await logIn();
  const r = await runPrefect1(["tests/prefect1/token_flow.py", "--api", server.url, "--token", access_token, "--tenant-slug", "erin-lab"], {
    server,
    home: prefect1Home(),
    venv: "prefect015",
    env: { PREFECT__BACKEND: "cloud" },
    maxMs: 120_000,
    name: "prefect 0.15.13 token flow",
  });
  assert.equal(r.code, 0, r.output);
  const out = JSON.parse(r.stdout.trim().split("\n").pop());
  const lab = (await gql(server.url, "query { tenant { id slug } }", {}, bearer(access_token))).tenant.find((t) => t.slug === "erin-lab");
  assert.ok(lab, "the user's second tenant is listed");
  assert.equal(out.prefect, "0.15.13");
  assert.deepEqual(out.login_to_tenant, { ok: true, value: { tenant_id: lab.id, has_access_token: true, has_refresh_token: true } }, JSON.stringify(out));
  assert.equal(out.refresh.ok, true, JSON.stringify(out.refresh));
  assert.equal(out.rotated.ok, true, "access and refresh tokens both replaced");
  assert.equal(out.call_after_refresh.ok, true, JSON.stringify(out.call_after_refresh));
  assert.ok(out.call_after_refresh.value.includes(lab.id), "the new access token works");
  assert.equal(out.reuse_old_refresh_token.ok, false);
  assert.match(out.reuse_old_refresh_token.error, /UNAUTHENTICATED/);
  assert.deepEqual(out.auto_refresh, { ok: true, value: { refreshed: true } });
});

test("our client's refreshToken() sends Prefect's request and the old refresh token is refused afterwards", async () => {
  const proxy = await startFaultProxy({ target: server.url });
  try {
    const { Client, FlowRuns } = loadClient();
    const client = new Client({ apiServer: proxy.url });
    await client.login(USER.email, USER.password, { accountSlug: "erin-team" });
    const before = client.token;
    await client.refreshToken();
    const after = client.token;
    assert.notEqual(after, before);
    const refreshes = proxy.attempts.filter((a) => a.body.includes("refresh_token("));
    assert.equal(refreshes.length, 1);
    const sent = JSON.parse(refreshes[0].body);
    const variables = typeof sent.variables === "string" ? JSON.parse(sent.variables) : sent.variables;
    assert.equal(variables.input.access_token, before, "input.access_token is the access token");
    const usedRefresh = /^Bearer (.+)$/.exec(refreshes[0].headers.authorization)?.[1];
    assert.ok(usedRefresh, "a bearer token was sent");
    assert.notEqual(usedRefresh, before, "the bearer is the refresh token, not the access token");
    const replay = await post(server.url, { query: REFRESH, variables: { input: { access_token: after } } }, bearer(usedRefresh));
    assert.equal(replay.body?.errors?.[0]?.extensions?.code, "UNAUTHENTICATED", replay.text);
    await assert.rejects(new FlowRuns(client).getState("00000000-0000-0000-0000-000000000000"), (e) => e.code === "NOT_FOUND");
  } finally {
    await proxy.close();
  }
});

// Auth attacks against the dev server in --auth mode (servers started here): no token, expired,
// wrongly signed or foreign tokens, another tenant's token on this tenant's runs, a reused refresh
// token, login brute force (must be rate-limited), CORS from a non-allowed origin (raw preflights
// and a real page in headless Chromium), no secret in the server's logs, and the client never
// sending its token anywhere but its configured servers (a recording second origin, redirects).
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { startFaultProxy } from "../support/fault-proxy.mjs";
import { bearer, createRun, errorCode, gql, loadClient, post, seedFlow, settle, sleep, startServer, stateRows } from "./_harness.mjs";

const USERS = ["alice@example.com:alice-password:alice-team,shared-team", "bob@example.com:bob-password"];
const userArgs = USERS.flatMap((u) => ["--user", u]);
// The server takes its log filter from PREFECT_DEV_SERVER_LOG (it does not read RUST_LOG); the
// secrets test checks, with a server at warn, that this variable is the one it reads.
const LOG_VAR = "PREFECT_DEV_SERVER_LOG";
const LOG_ENV = { [LOG_VAR]: "debug" };
const secrets = new Set(["alice-password", "bob-password"]);

const LOG_IN = "mutation($input: log_in_input!) { log_in(input: $input) { access_token expires_at refresh_token } }";
const REFRESH = "mutation($input: refresh_token_input!) { refresh_token(input: $input) { access_token expires_at refresh_token } }";
const SWITCH = "mutation($input: switch_tenant_input!) { switch_tenant(input: $input) { access_token expires_at refresh_token } }";
const SET_STATE = "mutation($input: set_flow_run_states_input!) { set_flow_run_states(input: $input) { states { id status } } }";

/** A tiny page server (for CORS) or recorder (for token leaks): records every request. */
async function recorder() {
  const seen = [];
  const srv = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: { ...req.headers }, body });
      res.setHeader("access-control-allow-origin", req.headers.origin ?? "*");
      res.setHeader("access-control-allow-headers", req.headers["access-control-request-headers"] ?? "*");
      if (req.method === "GET") {
        res.setHeader("content-type", "text/html");
        return res.end("<!doctype html><title>page</title>");
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ data: { hello: "recorder", log_in: null, refresh_token: null } }));
    });
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${srv.address().port}`, seen, close: () => new Promise((r) => { srv.closeAllConnections?.(); srv.close(r); }) };
}

/** True when the answer refuses the caller: GraphQL UNAUTHENTICATED (or FORBIDDEN), or HTTP 401/403. */
function refused(r) {
  return r.status === 401 || r.status === 403 || ["UNAUTHENTICATED", "FORBIDDEN"].includes(errorCode(r));
}
function assertRefused(r, what) {
  assert.ok(r.status < 500, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
  assert.ok(refused(r), `${what}: not refused: ${r.status} ${r.text.slice(0, 300)}`);
  const data = r.body?.data;
  if (data) for (const v of Object.values(data)) assert.ok(v === null || (Array.isArray(v) && v.length === 0), `${what}: data leaked: ${JSON.stringify(data).slice(0, 300)}`);
}

async function logIn(url, email, password) {
  const r = await post(url, { query: LOG_IN, variables: { input: { email, password } } });
  secrets.add(password);
  const t = r.body?.data?.log_in;
  if (t) { secrets.add(t.access_token); secrets.add(t.refresh_token); }
  return { r, tokens: t };
}
async function mustLogIn(url, email, password) {
  const { r, tokens } = await logIn(url, email, password);
  assert.ok(tokens?.access_token, `log_in ${email} failed: ${r.status} ${r.text.slice(0, 300)}`);
  return tokens;
}
// As prefect 0.15.13 refreshes: the refresh token as the Bearer, the session's access token (expired
// or not) in `input.access_token`. `access` overrides the access token sent.
async function refresh(url, tokens, access = tokens.access_token) {
  const r = await post(url, { query: REFRESH, variables: { input: { access_token: access } } }, bearer(tokens.refresh_token));
  const t = r.body?.data?.refresh_token;
  if (t) { secrets.add(t.access_token); secrets.add(t.refresh_token); }
  return { r, tokens: t };
}
async function tenants(url, access) {
  return (await gql(url, "{ tenant { id slug name } }", {}, bearer(access))).tenant;
}
async function switchTo(url, access, tenantId) {
  const r = await post(url, { query: SWITCH, variables: { input: { tenant_id: tenantId } } }, bearer(access));
  const t = r.body?.data?.switch_tenant;
  if (t) { secrets.add(t.access_token); secrets.add(t.refresh_token); }
  return { r, tokens: t };
}

let main, short, other, brute, allowedPage, otherPage, servers;
let alice, aliceTeam, sharedTeam, aliceShared, bobT, run, flowId;

before(async () => {
  [allowedPage, otherPage] = await Promise.all([recorder(), recorder()]);
  servers = await Promise.all([
    startServer(["--auth", "--token-ttl", "600", ...userArgs, "--cors-origin", allowedPage.url], { env: LOG_ENV, name: "auth-main" }),
    startServer(["--auth", "--token-ttl", "2", ...userArgs], { env: LOG_ENV, name: "auth-short" }),
    startServer(["--auth", "--token-ttl", "600", ...userArgs], { env: LOG_ENV, name: "auth-other" }),
    startServer(["--auth", "--token-ttl", "600", ...userArgs], { env: LOG_ENV, name: "auth-brute" }),
  ]);
  [main, short, other, brute] = servers;
  // alice in alice-team, with a flow and a run there
  const first = await mustLogIn(main.url, "alice@example.com", "alice-password");
  const ts = await tenants(main.url, first.access_token);
  aliceTeam = ts.find((t) => t.slug === "alice-team");
  sharedTeam = ts.find((t) => t.slug === "shared-team");
  assert.ok(aliceTeam && sharedTeam, `alice's tenants: ${JSON.stringify(ts)}`);
  alice = (await switchTo(main.url, first.access_token, aliceTeam.id)).tokens;
  aliceShared = (await switchTo(main.url, first.access_token, sharedTeam.id)).tokens;
  assert.ok(alice && aliceShared, "switch_tenant works");
  ({ flowId } = await seedFlow(main.url, bearer(alice.access_token), aliceTeam.id));
  run = await createRun(main.url, flowId, bearer(alice.access_token));
  bobT = await mustLogIn(main.url, "bob@example.com", "bob-password");
});
after(async () => {
  await Promise.all((servers ?? []).map((s) => s?.kill()));
  await allowedPage?.close();
  await otherPage?.close();
});

const READ_RUN = "query($id: uuid!) { flow_run_by_pk(id: $id) { id name state } }";

describe("tokens", () => {
  test("no token: reads and writes refused, nothing written", async () => {
    const before = await stateRows(main.url, run, bearer(alice.access_token));
    for (const [what, headers] of [
      ["no Authorization", {}],
      ["empty Bearer", { authorization: "Bearer " }],
      ["Bearer null", { authorization: "Bearer null" }],
      ["Bearer undefined", { authorization: "Bearer undefined" }],
      ["Basic credentials", { authorization: "Basic " + Buffer.from("alice@example.com:alice-password").toString("base64") }],
    ]) {
      assertRefused(await post(main.url, { query: READ_RUN, variables: { id: run } }, headers), `${what}: flow_run_by_pk`);
      assertRefused(await post(main.url, { query: "{ flow_run { id } }" }, headers), `${what}: flow_run`);
      assertRefused(await post(main.url, { query: SET_STATE, variables: { input: { states: [{ flow_run_id: run, state: { type: "Running" } }] } } }, headers), `${what}: set_flow_run_states`);
      assertRefused(await post(main.url, { query: "mutation($input: create_flow_run_input!) { create_flow_run(input: $input) { id } }", variables: { input: { flow_id: flowId } } }, headers), `${what}: create_flow_run`);
    }
    assert.equal(await stateRows(main.url, run, bearer(alice.access_token)), before);
  });

  test("expired token refused (--token-ttl 2)", { timeout: 20_000 }, async () => {
    const t = await mustLogIn(short.url, "alice@example.com", "alice-password");
    const ok = await post(short.url, { query: "{ flow_run { id } }" }, bearer(t.access_token));
    assert.ok(!refused(ok), `a fresh token works: ${ok.text.slice(0, 200)}`);
    await sleep(3_500);
    assertRefused(await post(short.url, { query: "{ flow_run { id } }" }, bearer(t.access_token)), "expired token");
  });

  test("wrongly signed, tampered, foreign and misused tokens refused", async () => {
    const t = alice.access_token;
    const foreign = await mustLogIn(other.url, "alice@example.com", "alice-password");
    const variants = {
      "last character changed": t.slice(0, -1) + (t.at(-1) === "A" ? "B" : "A"),
      "first character changed": (t[0] === "x" ? "y" : "x") + t.slice(1),
      "truncated": t.slice(0, Math.floor(t.length / 2)),
      "extra characters": t + "xyz",
      "signature removed": t.includes(".") ? t.slice(0, t.lastIndexOf(".") + 1) : t + ".",
      "signed by another server instance": foreign.access_token,
      "refresh token used as access token": alice.refresh_token,
      "random": "pdsa." + Buffer.from(JSON.stringify({ sub: "x", tid: aliceTeam.id, exp: 9999999999, typ: "access", jti: "x" })).toString("base64url") + ".AAAA",
      "JWT alg none": Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url") + "." + Buffer.from(JSON.stringify({ sub: "x", tid: aliceTeam.id, exp: 9999999999 })).toString("base64url") + ".",
    };
    const parts = t.split(".");
    if (parts.length === 3) {
      // payload re-encoded with a later expiry / another tenant, old signature kept
      try {
        const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString());
        const forge = (c) => [parts[0], Buffer.from(JSON.stringify(c)).toString("base64url"), parts[2]].join(".");
        variants["payload: later exp, same signature"] = forge({ ...claims, exp: (claims.exp ?? 0) + 365 * 86400 });
        variants["payload: other tenant, same signature"] = forge({ ...claims, tid: sharedTeam.id });
        variants["payload: typ refresh → access, same signature"] = forge({ ...claims, typ: "access", jti: "forged" });
      } catch {}
    }
    for (const [what, token] of Object.entries(variants)) {
      assertRefused(await post(main.url, { query: READ_RUN, variables: { id: run } }, bearer(token)), what);
      assertRefused(await post(main.url, { query: SET_STATE, variables: { input: { states: [{ flow_run_id: run, state: { type: "Running" } }] } } }, bearer(token)), `${what} (write)`);
    }
  });

  test("another tenant's token cannot read or change this tenant's runs", async () => {
    const before = await stateRows(main.url, run, bearer(alice.access_token));
    const checks = [
      ["bob", bearer(bobT.access_token)],
      ["bob + X-PREFECT-TENANT-ID of alice-team", { ...bearer(bobT.access_token), "x-prefect-tenant-id": aliceTeam.id }],
      ["alice in shared-team", bearer(aliceShared.access_token)],
    ];
    for (const [who, headers] of checks) {
      const byPk = await post(main.url, { query: READ_RUN, variables: { id: run } }, headers);
      assert.ok(byPk.status < 500);
      assert.equal(byPk.body?.data?.flow_run_by_pk ?? null, null, `${who} read alice-team's run: ${byPk.text.slice(0, 300)}`);
      const list = await post(main.url, { query: "query($id: uuid!) { flow_run(where: {id: {_eq: $id}}) { id } flow_run_state(where: {flow_run_id: {_eq: $id}}) { id } flow(where: {id: {_eq: $id}}) { id } }", variables: { id: run } }, headers);
      assert.deepEqual(list.body?.data?.flow_run ?? [], [], `${who}: ${list.text.slice(0, 300)}`);
      assert.deepEqual(list.body?.data?.flow_run_state ?? [], [], `${who}: states leaked`);
      const agg = await post(main.url, { query: "query($f: uuid!) { flow_run_aggregate(where: {flow_id: {_eq: $f}}) { aggregate { count } } flow_by_pk(id: $f) { id } }", variables: { f: flowId } }, headers);
      assert.equal(agg.body?.data?.flow_run_aggregate?.aggregate?.count ?? 0, 0, `${who} counts alice-team's runs`);
      assert.equal(agg.body?.data?.flow_by_pk ?? null, null, `${who} reads alice-team's flow`);
      const set = await post(main.url, { query: SET_STATE, variables: { input: { states: [{ flow_run_id: run, state: { type: "Cancelled", message: `by ${who}` } }] } } }, headers);
      assert.ok(set.status < 500 && (set.body?.errors?.length > 0 || set.status >= 400), `${who} set a state on alice-team's run: ${set.text.slice(0, 300)}`);
      const create = await post(main.url, { query: "mutation($input: create_flow_run_input!) { create_flow_run(input: $input) { id } }", variables: { input: { flow_id: flowId } } }, headers);
      assert.ok(!create.body?.data?.create_flow_run?.id, `${who} created a run of alice-team's flow: ${create.text.slice(0, 300)}`);
      const del = await post(main.url, { query: "mutation($input: delete_flow_run_input!) { delete_flow_run(input: $input) { success } }", variables: { input: { flow_run_id: run } } }, headers);
      assert.notEqual(del.body?.data?.delete_flow_run?.success, true, `${who} deleted alice-team's run`);
    }
    const sw = await switchTo(main.url, bobT.access_token, aliceTeam.id);
    assert.ok(!sw.tokens, `bob switched into alice-team: ${sw.r.text.slice(0, 300)}`);
    const bobTenants = await tenants(main.url, bobT.access_token);
    assert.ok(!bobTenants.some((t) => t.id === aliceTeam.id), "bob sees alice-team in his tenant list");
    assert.equal(await stateRows(main.url, run, bearer(alice.access_token)), before, "nothing was written to alice-team's run");
    const still = await gql(main.url, READ_RUN, { id: run }, bearer(alice.access_token));
    assert.equal(still.flow_run_by_pk?.id, run, "alice's run still exists");
  });

  test("a refresh token works once", async () => {
    const t1 = await mustLogIn(main.url, "bob@example.com", "bob-password");
    const first = await refresh(main.url, t1);
    assert.ok(first.tokens?.access_token, `first refresh works: ${first.r.text.slice(0, 300)}`);
    const again = await refresh(main.url, t1);
    assertRefused(again.r, "the same refresh token a second time");
    assert.ok(!again.tokens, "no new tokens for a reused refresh token");
    const withAccess = await post(main.url, { query: REFRESH, variables: { input: { access_token: first.tokens.access_token } } }, bearer(first.tokens.access_token));
    assertRefused(withAccess, "an access token used as refresh token");
    const foreign = await mustLogIn(other.url, "bob@example.com", "bob-password");
    assertRefused((await refresh(main.url, foreign)).r, "another server's refresh token");
    const t2 = await mustLogIn(main.url, "bob@example.com", "bob-password");
    const t3 = await mustLogIn(main.url, "bob@example.com", "bob-password");
    assertRefused((await refresh(main.url, t2, t3.access_token)).r, "a refresh token with another session's access token");
    assertRefused((await refresh(main.url, t2, t2.refresh_token)).r, "the refresh token in place of the access token");
    const noBearer = await post(main.url, { query: REFRESH, variables: { input: { access_token: t2.access_token } } });
    assertRefused(noBearer, "a refresh without the refresh token as Bearer");
    assert.ok((await refresh(main.url, t2)).tokens?.access_token, "the refused attempts did not use up the refresh token");
  });
});

describe("login brute force", () => {
  test("30 wrong passwords in a row are rate-limited, and so is the right one right after", { timeout: 60_000 }, async () => {
    const answers = [];
    for (let i = 0; i < 30; i++) {
      const pw = `wrong-password-${i}`;
      const { r } = await logIn(brute.url, "bob@example.com", pw);
      assert.ok(r.status < 500, `attempt ${i}: ${r.status} ${r.text.slice(0, 200)}`);
      assert.ok(!r.body?.data?.log_in, `a wrong password logged in (attempt ${i})`);
      answers.push(r);
    }
    const limited = answers.filter((r) => r.status === 429 || /RATE|TOO_MANY|THROTTL|LOCKED/i.test(errorCode(r) ?? "") || /rate.?limit|too many|throttl|locked|try again/i.test(r.body?.errors?.[0]?.message ?? ""));
    console.log(`# brute force: ${answers.length} wrong passwords, ${limited.length} answered as rate-limited (first at attempt ${answers.indexOf(limited[0]) + 1})`);
    assert.ok(limited.length > 0, `no rate limiting on log_in: 30 wrong passwords in a row all answered "${answers.at(-1).body?.errors?.[0]?.message}" (${errorCode(answers.at(-1))})`);
    const right = await logIn(brute.url, "bob@example.com", "bob-password");
    assert.ok(!right.tokens, "the right password went through right after 30 failures: the limit does not hold back a guessed password");
  });
});

describe("CORS", () => {
  const preflight = (origin, headers = "content-type, authorization") => fetch(main.url + "/", {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": headers },
  });
  test("preflight from the allowed origin is accepted", async () => {
    const r = await preflight(allowedPage.url);
    assert.ok(r.status < 300, `status ${r.status}`);
    assert.equal(r.headers.get("access-control-allow-origin"), allowedPage.url);
    assert.match(r.headers.get("access-control-allow-headers") ?? "", /authorization|\*/i);
  });
  for (const origin of ["http://evil.example", "null", "http://127.0.0.1", "http://127.0.0.1.evil.example"]) {
    test(`preflight from ${origin} is refused`, async () => {
      const r = await preflight(origin);
      const acao = r.headers.get("access-control-allow-origin");
      assert.ok(acao !== origin && acao !== "*", `preflight from ${origin} answered Access-Control-Allow-Origin: ${acao}`);
      const p = await fetch(main.url + "/", { method: "POST", headers: { origin, "content-type": "application/json", ...bearer(alice.access_token) }, body: JSON.stringify({ query: "{ hello }" }) });
      const acao2 = p.headers.get("access-control-allow-origin");
      assert.ok(acao2 !== origin && acao2 !== "*", `POST from ${origin} answered Access-Control-Allow-Origin: ${acao2}`);
    });
  }
  test("in Chromium: a page on a non-allowed origin cannot call the server, the allowed one can", { timeout: 60_000 }, async () => {
    const page2 = await recorder(); // another non-allowed origin: same host, other port
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    try {
      const attempt = async (pageUrl) => {
        const page = await browser.newPage();
        await page.goto(pageUrl + "/");
        const res = await page.evaluate(async ([url, token]) => {
          try {
            const r = await fetch(url + "/", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query: "{ flow_run { id } }" }) });
            return { ok: true, status: r.status, body: await r.text() };
          } catch (e) {
            return { ok: false, name: e.name, message: e.message };
          }
        }, [main.url, alice.access_token]);
        await page.close();
        return res;
      };
      const allowed = await attempt(allowedPage.url);
      assert.ok(allowed.ok && allowed.status === 200, `allowed origin: ${JSON.stringify(allowed).slice(0, 300)}`);
      for (const p of [otherPage, page2]) {
        const r = await attempt(p.url);
        assert.equal(r.ok, false, `non-allowed origin ${p.url} read the answer: ${JSON.stringify(r).slice(0, 300)}`);
        assert.equal(r.name, "TypeError");
      }
    } finally {
      await browser.close();
      await page2.close();
    }
  });
});

describe("the client keeps its token to its servers", () => {
  test("a second client (other origin) never gets the first one's token; redirects do not carry it", { timeout: 60_000 }, async () => {
    const { Client, FlowRuns } = loadClient();
    const rec = await recorder();
    const proxy = await startFaultProxy({ target: main.url });
    try {
      const a = new Client({ apiServer: proxy.url });
      await a.login("alice@example.com", "alice-password", { accountSlug: "alice-team" });
      const token = a.token;
      assert.ok(token, "client.token after login");
      secrets.add(token);
      assert.equal(typeof (await a.graphql("{ hello }")).hello, "string");
      // another client on another origin, used after the login
      const b = new Client({ apiServer: rec.url, retries: 0 });
      await b.graphql("{ hello }").catch(() => {});
      await new FlowRuns(b).getState(run).catch(() => {});
      // the authenticated client's server redirects elsewhere (307 keeps method and body, 302
      // turns into GET): the client refuses every redirect, so the call rejects NETWORK (fetch's
      // `redirect: "error"` makes a redirect a network error, with no response) and the other
      // origin gets nothing
      const errors = [];
      for (const [status, match, call] of [
        [307, "hello", () => a.graphql("{ hello }")],
        [302, "hello", () => a.graphql("{ hello }")],
        [308, "flow_run", () => new FlowRuns(a).getState(run)],
        [307, "refresh_token", () => a.refreshToken()],
        [307, "log_in", () => new Client({ apiServer: proxy.url }).login("alice@example.com", "alice-password")],
      ]) {
        const what = `a ${status} redirect of ${match}`;
        proxy.plan([{ match, fault: "redirect", status, location: rec.url + "/collect?from=" + status, times: 10 }]);
        const seenBefore = rec.seen.length;
        const outcome = await settle(call());
        assert.ok(proxy.rules[0].hits > 0, `${what}: the call never met the redirect`);
        assert.equal(outcome.ok, false, `${what} was followed: the call resolved ${JSON.stringify(outcome.value)?.slice(0, 200)}`);
        assert.equal(outcome.error.code, "NETWORK", `${what}: ${outcome.error.code}: ${outcome.error.message}`);
        assert.equal(outcome.error.status, undefined, `${what}: a refused redirect has no response status`);
        assert.deepEqual(rec.seen.slice(seenBefore).map((s) => `${s.method} ${s.url}`), [], `${what}: the other origin got a request`);
        errors.push(outcome.error);
      }
      proxy.plan([]);
      const current = a.token;
      if (current) secrets.add(current);
      // the refresh token is not readable through the API: a refresh_token mutation reaching the
      // recorder carries it, as would anything shaped like this server's tokens
      const leaks = rec.seen.filter((s) => {
        const all = JSON.stringify(s);
        return s.headers.authorization !== undefined || [token, current, ...secrets].some((t) => t && t.length >= 8 && all.includes(t)) ||
          /\brefresh_token\s*\(|pdsa\.|pdsr\./.test(all);
      });
      console.log(`# token containment: recorder saw ${rec.seen.length} requests (${rec.seen.map((s) => `${s.method} ${s.url.slice(0, 20)}`).join(", ")}), ${leaks.length} with a token or credential`);
      assert.deepEqual(leaks.map((s) => `${s.method} ${s.url} authorization=${s.headers.authorization ?? "-"} body=${s.body.slice(0, 120)}…${s.body.slice(-90)}`), [], "the token left the configured server");
      for (const e of errors) {
        for (const t of [token, current]) if (t) assert.ok(!String(e.message).includes(t) && !String(e.stack).includes(t), "a token in an error message");
      }
    } finally {
      await proxy.close();
      await rec.close();
    }
  });
});

test("no password or token in any server's logs (PREFECT_DEV_SERVER_LOG=debug)", async () => {
  assert.ok(secrets.size > 4);
  // LOG_VAR is the variable the server reads: at warn, a server started the same way logs no INFO.
  const quiet = await startServer([], { env: { [LOG_VAR]: "warn" }, name: "log-level-control" });
  await post(quiet.url, { query: "{ hello }" });
  await quiet.kill();
  assert.doesNotMatch(quiet.stderr(), / INFO /, `${LOG_VAR}=warn did not change the log level: the servers here did not get theirs from it`);
  const lines = (s) => s.stderr().split("\n");
  for (const s of servers) {
    const log = s.stderr();
    // the log holds the server's start and one line per request (where a leaked secret would be)
    assert.ok(lines(s).some((l) => / INFO .* started /.test(l)), `no start-up line in the log of ${s.args.join(" ").slice(0, 80)}: ${log.slice(0, 300)}`);
    assert.ok(lines(s).some((l) => / graphql /.test(l)), `no request in the log of ${s.args.join(" ").slice(0, 80)}: ${log.slice(0, 300)}`);
    for (const secret of secrets) {
      if (!secret || secret.length < 8) continue;
      const parts = [secret, ...(secret.split(".").filter((p) => p.length >= 16))];
      for (const p of parts) assert.ok(!log.includes(p), `a secret (${p.slice(0, 12)}…) is in the server's stderr log (${s.args.join(" ").slice(0, 80)})`);
    }
  }
  // the refused logins and tokens went through the logged path too
  assert.ok(lines(main).some((l) => / graphql .*UNAUTHENTICATED/.test(l)), "main: no refused request in the log");
  assert.ok(lines(brute).some((l) => / graphql .*RATE_LIMITED/.test(l)), "brute: no rate-limited login in the log");
  const requests = servers.map((s) => lines(s).filter((l) => / graphql /.test(l)).length);
  console.log(`# logs at debug: ${requests.join(" + ")} logged requests on ${servers.length} servers, checked for ${secrets.size} secrets`);
});

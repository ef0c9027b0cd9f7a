// End-to-end: the dashboard in www/ driven in Debian's Chromium against a dev server started here
// (auth, demo data, simulated agent). Run from the repo root:
//
//   PREFECT_DEV_SERVER_BIN=$PWD/target/debug/prefect-dev-server node --test tests/e2e/
//
// Needs pkg/web/prefect_wasm.js (scripts/build-pkg.sh). Screenshots (desktop and phone) and what
// axe found in each state (axe.json) go to artifacts/.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer as startProcess } from "../support/server-process.mjs";
import { axeViolations, writeAxeReport } from "./axe.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const artifacts = path.join(root, "artifacts");
const SERVER_BIN = process.env.PREFECT_DEV_SERVER_BIN;
const PKG_DIR = process.env.PREFECT_E2E_PKG_DIR ?? path.join(root, "pkg"); // the built package (scripts/build-pkg.sh)
const CHROMIUM = process.env.PREFECT_E2E_CHROMIUM ?? "/usr/bin/chromium";
const STARTUP_MS = 20_000;
const TEST_MS = 60_000;
const FINISH_MS = 45_000; // a simulated run takes a few seconds; this is the ceiling
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

// One user in two teams, so signing in shows the team choice. The demo data is seeded into the
// first team (the server's --demo seeds the tenant of the first --user slug when it exists).
const USER = { email: "e2e@example.com", password: "e2e-password", teams: ["demo", "e2e-other"] };

const SLOW_FLOW = "e2e Long Flow";
const FINISHED = ["Success", "Failed", "Cancelled", "TimedOut", "TriggerFailed", "ValidationFailed", "Cached", "Skipped", "Mapped", "Looped", "Finished"];

let server; // the server of the scenario running now (a handle of tests/support/server-process.mjs)
let browser;
let page;
let pageErrors = [];
let navigations = 0;
/** Starts a dev server on a free port with `extra` flags (the handle of tests/support/server-process.mjs). */
async function startServer(extra) {
  if (!SERVER_BIN) {
    throw new Error("PREFECT_DEV_SERVER_BIN is not set: give the absolute path of the prefect-dev-server binary, e.g.\n"
      + "  PREFECT_DEV_SERVER_BIN=$PWD/target/debug/prefect-dev-server node --test tests/e2e/");
  }
  if (!path.isAbsolute(SERVER_BIN) || !existsSync(SERVER_BIN)) {
    throw new Error(`PREFECT_DEV_SERVER_BIN=${SERVER_BIN} is not an absolute path to an existing file`);
  }
  if (!existsSync(path.join(PKG_DIR, "web/prefect_wasm.js"))) {
    throw new Error(`no ${path.join(PKG_DIR, "web/prefect_wasm.js")}: build the package first (bash scripts/build-pkg.sh)`);
  }
  const args = ["--listen", "127.0.0.1:0", "--db", ":memory:", ...extra, "--www", path.join(root, "www"), "--pkg", PKG_DIR];
  return startProcess(SERVER_BIN, args, {
    cwd: root,
    // The simulated agent at its normal pace, whatever the caller's environment says.
    env: { PREFECT_DEV_SERVER_SIMULATE_SPEED: "1" },
    name: "dev server",
    timeoutMs: STARTUP_MS,
    logs: Boolean(process.env.PREFECT_E2E_SERVER_LOGS),
  });
}

/** A GraphQL call from the test itself (fixtures only; the page uses nothing but the client). */
async function gql(url, query, variables = {}, token) {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json();
  if (body.errors?.length) throw new Error(`${query.split("(")[0]}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/**
 * Registers, in the user's first team, a flow of many short tasks: its runs stay Running for
 * several seconds, so that "cancel a running run" does not race the simulated agent.
 */
async function registerSlowFlow(url) {
  const login = await gql(url, "mutation LogIn($input: log_in_input!) { log_in(input: $input) { access_token } }",
    { input: { email: USER.email, password: USER.password } });
  let token = login.log_in.access_token;
  const { tenant } = await gql(url, "query Tenants { tenant { id slug } }", {}, token);
  const team = tenant.find((t) => t.slug === USER.teams[0]);
  const switched = await gql(url, "mutation Switch($input: switch_tenant_input!) { switch_tenant(input: $input) { access_token } }",
    { input: { tenant_id: team.id } }, token);
  token = switched.switch_tenant.access_token;
  const { project } = await gql(url, "query Projects { project(order_by: {name: asc}) { id name } }", {}, token);
  assert.ok(project.length > 0, "the demo seeded a project in the first team");
  const tasks = Array.from({ length: 40 }, (_, i) => ({ slug: `step-${i + 1}`, name: `step_${String(i + 1).padStart(2, "0")}`, type: "e2e.Step", max_retries: 0 }));
  const serialized_flow = { name: SLOW_FLOW, __version__: "1.4.1", type: "prefect.core.flow.Flow", tasks, edges: [], parameters: [], reference_tasks: [] };
  const created = await gql(url, "mutation CreateFlow($input: create_flow_input!) { create_flow(input: $input) { id } }",
    { input: { serialized_flow, project_id: project[0].id, description: "e2e: a long flow to cancel" } }, token);
  return created.create_flow.id;
}

/** A loopback port nothing listens on (bound, then released). */
function closedPort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function openBrowser() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // launch() gives every run a fresh temporary profile (user-data-dir) and removes it on close.
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    timeout: STARTUP_MS,
  });
  const context = await browser.newContext({ viewport: DESKTOP });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  pageErrors = [];
  navigations = 0;
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("framenavigated", (frame) => { if (frame === page.mainFrame()) navigations++; });
}

async function closeBrowser() {
  await browser?.close().catch(() => {});
  browser = null;
  page = null;
}

// ------------------------------------------------------------------------------ page helpers

const byTestId = (id) => `[data-testid="${id}"]`;

/** The row of the run named `name` in the runs table. */
const runRow = (name) => page.locator(byTestId("run-row"), { has: page.locator(byTestId("run-name"), { hasText: name }) });

/** Waits until the row of run `name` is in one of `states`; returns that state. */
async function waitForRunState(name, states, timeout) {
  try {
    const handle = await page.waitForFunction(([name, states]) => {
      for (const row of document.querySelectorAll('[data-testid="run-row"]')) {
        if (row.querySelector('[data-testid="run-name"]')?.textContent === name && states.includes(row.dataset.state)) return row.dataset.state;
      }
      return false;
    }, [name, states], { timeout, polling: 200 });
    return await handle.jsonValue();
  } catch (err) {
    const now = await page.evaluate((name) => [...document.querySelectorAll('[data-testid="run-row"]')]
      .find((row) => row.querySelector('[data-testid="run-name"]')?.textContent === name)?.dataset.state ?? "(no row)", name).catch(() => "?");
    err.message += `\nrun ${name} did not reach ${states.join("/")} within ${timeout} ms; it is ${now}`
      + " (does the dev server run its simulated agent, --simulate?)";
    throw err;
  }
}

/** Records every state the row of run `name` shows, as the page updates it. */
async function watchRunStates(name) {
  await page.evaluate((name) => {
    window.__seen = window.__seen ?? {};
    const seen = (window.__seen[name] = []);
    const record = () => {
      for (const row of document.querySelectorAll('[data-testid="run-row"]')) {
        if (row.querySelector('[data-testid="run-name"]')?.textContent !== name) continue;
        const state = row.querySelector('[data-testid="run-state"]')?.textContent;
        if (state && seen[seen.length - 1] !== state) seen.push(state);
      }
    };
    record();
    // the row element itself, to check later that updates patch it rather than rebuild it
    window.__rows = window.__rows ?? {};
    window.__rows[name] = [...document.querySelectorAll('[data-testid="run-row"]')]
      .find((row) => row.querySelector('[data-testid="run-name"]')?.textContent === name);
    new MutationObserver(record).observe(document.querySelector('[data-testid="runs-table"]'), { subtree: true, childList: true, characterData: true, attributes: true });
  }, name);
}

async function createRun({ name, parameters, flowId }) {
  await page.click(byTestId("new-run-button"));
  const dialog = page.locator(byTestId("create-run-dialog"));
  await dialog.waitFor({ state: "visible" });
  if (flowId) await page.selectOption(byTestId("create-run-flow"), flowId);
  await page.fill(byTestId("create-run-name"), name);
  if (parameters !== undefined) await page.fill(byTestId("create-run-parameters"), JSON.stringify(parameters, null, 2));
  const problem = await page.textContent(byTestId("create-run-error"));
  assert.equal(problem, "", "the dialog accepts these parameters");
  await page.click(byTestId("create-run-submit"));
  await dialog.waitFor({ state: "hidden" });
  await runRow(name).waitFor({ state: "visible" });
}

async function openRun(name) {
  await runRow(name).locator(byTestId("run-name")).click();
  const detail = page.locator(byTestId("run-detail"));
  await detail.waitFor({ state: "visible" });
  await page.waitForFunction((name) => document.querySelector('[data-testid="run-detail-name"]')?.textContent === name, name);
  return detail;
}

/** axe finds nothing wrong with the page as it is now (`state` names it in the report). */
async function expectAccessible(state) {
  const violations = await axeViolations(page, state);
  assert.deepEqual(violations, [], `axe found violations in state "${state}":\n${violations.join("\n")}`);
}

/** What has focus: its test id (or id, or tag) and, for a run's link or bar, the run. */
function focused() {
  return page.evaluate(() => {
    const el = document.activeElement;
    return { testid: el?.dataset?.testid ?? null, id: el?.id || null, tag: el?.tagName ?? null,
      runId: el?.dataset?.runId ?? el?.closest?.("[data-run-id]")?.dataset.runId ?? null,
      text: el?.textContent?.trim().slice(0, 80) ?? "", inDrawer: Boolean(el?.closest?.('[data-testid="run-detail"]')) };
  });
}

async function screenshot(file) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, file), animations: "disabled" });
}

// ------------------------------------------------------------------------------ the scenarios

// The scenarios are one story (sign in, create, watch, open, ...): once a step fails, the later
// ones are skipped at once instead of each timing out on a page that is not where they expect.
let broken = null;
function step(name, fn) {
  test(name, { timeout: TEST_MS }, async (t) => {
    if (broken) return t.skip(`an earlier step failed: ${broken}`);
    try {
      await fn(t);
    } catch (err) {
      broken = name;
      if (server && !server.alive()) err.message += `\n(the dev server exited: ${server.exitStatus()})\n${server.output()}`;
      if (page) await screenshot(`failure-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}.png`).catch(() => {});
      throw err;
    }
  });
}

// Failure screenshots of an earlier run would mislead: start clean.
if (existsSync(artifacts)) {
  for (const f of readdirSync(artifacts)) if (/^failure-.*\.png$/.test(f)) rmSync(path.join(artifacts, f), { force: true });
}

// The page loads its modules, the client's glue and its .wasm at once (no chain of imports to
// wait on): index.html names each one the page reaches, so a new module cannot slip out of the list.
test("index.html preloads every module the dashboard imports, the client and its .wasm", () => {
  const www = path.join(root, "www");
  const html = readFileSync(path.join(www, "index.html"), "utf8");
  const preloaded = new Set([...html.matchAll(/<link rel="modulepreload"[^>]* href="([^"]+)"/g)].map((m) => m[1]));
  const map = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)[1]).imports;
  const entry = /<script type="module"[^>]* src="([^"]+)"/.exec(html)[1];
  const reached = new Set();
  const visit = (file) => {
    if (reached.has(file)) return;
    reached.add(file);
    const source = readFileSync(path.join(www, file), "utf8");
    for (const [, spec] of source.matchAll(/(?:from|import\()\s*"([^"]+)"/g)) {
      if (spec.startsWith("./")) visit(spec.slice(2));
      else assert.ok(map[spec], `${file} imports "${spec}", which the import map does not map`);
    }
  };
  visit(entry);
  for (const file of reached) assert.ok(preloaded.has(file), `index.html does not modulepreload ${file}`);
  for (const href of preloaded) assert.ok(reached.has(href) || Object.values(map).includes(href), `index.html preloads ${href}, which nothing imports`);
  assert.ok(preloaded.has(map["prefect-wasm"]), "the client's glue is preloaded");
  const wasm = map["prefect-wasm"].replace(/\.js$/, "_bg.wasm");
  assert.match(html, new RegExp(`<link rel="preload" href="${wasm}" as="fetch" type="application/wasm" crossorigin>`), "the .wasm is preloaded, as init() fetches it");
  assert.doesNotMatch(html, /\sstyle=|\son[a-z]+=/i, "no inline style or event handler attribute (the CSP allows neither)");
  assert.equal([...html.matchAll(/<script(?![^>]*\ssrc=)/g)].length, 1, "one inline script: the import map (the CSP allows it by its hash)");
});

describe("dashboard (www/) against the dev server", { timeout: 5 * TEST_MS }, () => {
  let own;
  let slowFlowId;
  before(async () => {
    broken = null;
    own = server = await startServer(["--demo", "--simulate", "--auth", "--user", `${USER.email}:${USER.password}:${USER.teams.join(",")}`]);
    slowFlowId = await registerSlowFlow(server.url);
    await openBrowser();
  });

  after(async () => {
    await closeBrowser();
    await own?.kill();
  });

  step("signs in, choosing one of the user's teams", async () => {
    await page.goto(`${server.url}/`); // redirects to /ui/
    assert.match(page.url(), /\/ui\/$/);
    assert.equal(await page.inputValue(byTestId("server-url")), server.url, "server URL defaults to the page's origin");
    await page.locator(byTestId("login-form")).waitFor({ state: "visible" });
    assert.equal(await page.getAttribute(byTestId("connection-status"), "data-state"), "auth");
    assert.equal((await focused()).testid, "login-email", "the sign-in form takes focus");
    await expectAccessible("sign-in");

    await page.fill(byTestId("login-email"), USER.email);
    await page.fill(byTestId("login-password"), "wrong-password");
    await page.click(byTestId("login-submit"));
    await page.locator(`${byTestId("toast")}[data-kind="error"]`).first().waitFor({ state: "visible" });
    assert.ok((await page.textContent(byTestId("toast-code"))).length > 0, "a failed sign-in shows an error code");
    await page.click(byTestId("toast-dismiss"));

    await page.fill(byTestId("login-password"), USER.password);
    await page.click(byTestId("login-submit"));
    await page.locator(byTestId("tenant-choice")).waitFor({ state: "visible" });
    await expectAccessible("sign-in: team choice");
    const slugs = await page.locator(byTestId("tenant-option")).evaluateAll((els) => els.map((el) => el.dataset.slug));
    assert.deepEqual([...slugs].sort(), [...USER.teams].sort());
    await page.locator(`${byTestId("tenant-option")}[data-slug="${USER.teams[0]}"] input`).check();
    await page.click(byTestId("tenant-submit"));

    await page.waitForSelector(`${byTestId("connection-status")}[data-state="connected"]`);
    await page.locator(byTestId("flow-item")).first().waitFor({ state: "visible" });
    assert.match(await page.textContent(byTestId("user-info")), new RegExp(USER.email.replace(".", "\\.")));
  });

  step("a reload keeps the session (this tab), and the server URL", async () => {
    await page.reload();
    await page.waitForSelector(`${byTestId("connection-status")}[data-state="connected"]`);
    assert.equal(await page.locator(byTestId("login-form")).isVisible(), false, "no second sign-in");
    await page.locator(byTestId("flow-item")).first().waitFor({ state: "visible" });
    assert.match(await page.textContent(byTestId("user-info")), /e2e@example\.com · Demo/);
  });

  step("the list view: one h1, and no axe violations", async () => {
    await page.locator(byTestId("run-row")).first().waitFor({ state: "visible" });
    assert.deepEqual(await page.locator("h1:visible").allTextContents(), ["Flow runs"]);
    await expectAccessible("list");
    await screenshot("desktop-list.png");
  });

  step("the New-run dialog opens on its first field with no error, and gives focus back", async () => {
    await page.focus(byTestId("new-run-button"));
    await page.keyboard.press("Enter");
    await page.locator(byTestId("create-run-dialog")).waitFor({ state: "visible" });
    assert.equal((await focused()).testid, "create-run-flow", "focus starts on the first field (Flow)");
    assert.equal(await page.textContent(byTestId("create-run-error")), "", "no error before anything is typed");
    await expectAccessible("new-run dialog");
    await page.keyboard.press("Escape");
    await page.locator(byTestId("create-run-dialog")).waitFor({ state: "hidden" });
    assert.equal((await focused()).testid, "new-run-button", "focus returns to the button that opened the dialog");
  });

  step("a required parameter left out: the server's answer, shown under the field", async () => {
    await page.click(byTestId("new-run-button"));
    await page.locator(byTestId("create-run-dialog")).waitFor({ state: "visible" });
    // the demo's "Data Quality Checks" requires `table`, which has no default
    const option = await page.locator(`${byTestId("create-run-flow")} option`, { hasText: "Data Quality Checks" }).getAttribute("value");
    await page.selectOption(byTestId("create-run-flow"), option);
    await page.fill(byTestId("create-run-parameters"), "{}");
    assert.equal(await page.textContent(byTestId("create-run-error")), "");
    await page.click(byTestId("create-run-submit"));
    await page.waitForFunction(() => document.querySelector('[data-testid="create-run-error"]').textContent !== "");
    assert.match(await page.textContent(byTestId("create-run-error")), /^[A-Z_]+: .*Required parameters were not supplied: table/);
    assert.equal(await page.getAttribute(byTestId("create-run-parameters"), "aria-invalid"), "true");
    assert.equal((await focused()).testid, "create-run-parameters", "focus goes to the field the answer is about");
    assert.ok(await page.locator(byTestId("create-run-dialog")).isVisible(), "the dialog stays open");
    await page.click(byTestId("create-run-cancel"));
    await page.locator(byTestId("create-run-dialog")).waitFor({ state: "hidden" });
  });

  const paramRun = `e2e-params-${Date.now().toString(36)}`;
  let paramValues;
  let paramFlowId;

  step("creates a flow run with parameters, checked before sending", async () => {
    await page.click(byTestId("new-run-button"));
    await page.locator(byTestId("create-run-dialog")).waitFor({ state: "visible" });
    // Pick a flow that declares parameters (the demo seeds some).
    const flows = await page.locator(`${byTestId("create-run-flow")} option`).evaluateAll((els) => els.map((el) => el.value));
    let params = [];
    for (const value of flows) {
      await page.selectOption(byTestId("create-run-flow"), value);
      params = await page.locator(byTestId("param")).evaluateAll((els) => els.map((el) => el.dataset.name));
      if (params.length) break;
    }
    assert.ok(params.length > 0, "the demo has a flow with parameters, and the dialog lists them");
    paramFlowId = await page.inputValue(byTestId("create-run-flow"));
    const defaults = JSON.parse(await page.inputValue(byTestId("create-run-parameters")));
    assert.deepEqual(Object.keys(defaults).sort(), [...params].sort(), "the JSON is prefilled with the flow's parameters");

    // Not JSON: refused in the page, the dialog stays open.
    await page.fill(byTestId("create-run-name"), paramRun);
    await page.fill(byTestId("create-run-parameters"), '{"oops": ');
    await page.click(byTestId("create-run-submit"));
    assert.match(await page.textContent(byTestId("create-run-error")), /not valid JSON/);
    assert.ok(await page.locator(byTestId("create-run-dialog")).isVisible());
    // An unknown parameter name: refused too.
    await page.fill(byTestId("create-run-parameters"), JSON.stringify({ ...defaults, no_such_parameter: 1 }));
    await page.click(byTestId("create-run-submit"));
    assert.match(await page.textContent(byTestId("create-run-error")), /no_such_parameter/);

    paramValues = Object.fromEntries(Object.entries(defaults).map(([k, v]) =>
      [k, typeof v === "number" ? v + 1 : typeof v === "boolean" ? !v : typeof v === "string" || v == null ? `e2e-${k}` : v]));
    await page.fill(byTestId("create-run-parameters"), JSON.stringify(paramValues, null, 2));
    assert.equal(await page.textContent(byTestId("create-run-error")), "");
    await page.click(byTestId("create-run-submit"));
    await page.locator(byTestId("create-run-dialog")).waitFor({ state: "hidden" });
    await runRow(paramRun).waitFor({ state: "visible" });
    await watchRunStates(paramRun);
  });

  step("watches the run reach a finished state without reloading", async () => {
    const before = navigations;
    await page.evaluate(() => { window.__noReload = true; });
    const state = await waitForRunState(paramRun, FINISHED, FINISH_MS);
    assert.ok(FINISHED.includes(state));
    assert.equal(await page.evaluate(() => window.__noReload), true, "the page was not reloaded");
    assert.equal(navigations, before, "no navigation happened");
    const seen = await page.evaluate((name) => window.__seen[name], paramRun);
    assert.ok(seen.length >= 2, `the row went through states live (saw ${seen.join(" → ")})`);
    assert.ok(await page.evaluate((name) => {
      const row = window.__rows[name];
      return document.contains(row) && row.querySelector('[data-testid="run-name"]').textContent === name;
    }, paramRun), "the same row element was updated in place (no re-render, no flicker)");
    const row = runRow(paramRun);
    assert.notEqual((await row.locator(byTestId("run-start")).textContent()).trim(), "—");
    assert.notEqual((await row.locator(byTestId("run-end")).textContent()).trim(), "—");
    assert.match(await row.locator(byTestId("run-duration")).textContent(), /\d/);
  });

  step("opens the run: state history, task runs and logs", async () => {
    const detail = await openRun(paramRun);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-run-row"]').length > 0
      && document.querySelectorAll('[data-testid="log-row"]').length > 0, null, { timeout: 15_000 });
    const history = await detail.locator(byTestId("state-history-item")).evaluateAll((els) => els.map((el) => el.dataset.state));
    assert.equal(history[0], "Scheduled", `history starts Scheduled (${history.join(" → ")})`);
    assert.ok(history.includes("Running"), `history has Running (${history.join(" → ")})`);
    assert.ok(FINISHED.includes(history[history.length - 1]), `history ends finished (${history.join(" → ")})`);
    const taskStates = await detail.locator(byTestId("task-run-row")).evaluateAll((els) => els.map((el) => el.dataset.state));
    assert.ok(taskStates.length > 0 && taskStates.every(Boolean), `task runs have states (${taskStates.join(", ")})`);
    assert.ok(await detail.locator(byTestId("log-row")).count() > 0);
    const shownParams = JSON.parse(await detail.locator(byTestId("run-parameters")).textContent());
    for (const [k, v] of Object.entries(paramValues)) assert.deepEqual(shownParams[k], v, `parameter ${k} was sent`);
    assert.ok((await focused()).inDrawer, "the drawer took focus when it opened");
    await expectAccessible("drawer open");
    await screenshot("run-detail.png");
  });

  step("setting a state with a wrong expected state shows STATE_MISMATCH", async () => {
    const detail = page.locator(byTestId("run-detail"));
    const stateBefore = await detail.getAttribute("data-state");
    assert.ok(FINISHED.includes(stateBefore));
    await page.selectOption(byTestId("set-state-type"), "Running");
    await page.selectOption(byTestId("set-state-expected"), "Scheduled");
    await page.click(byTestId("set-state-submit"));
    const toast = page.locator(`${byTestId("toast")}[data-code="STATE_MISMATCH"]`);
    await toast.waitFor({ state: "visible" });
    assert.equal((await toast.locator(byTestId("toast-code")).textContent()).trim(), "STATE_MISMATCH");
    assert.ok((await toast.locator(byTestId("toast-message")).textContent()).trim().length > 0, "the message is shown");
    await screenshot("state-mismatch.png");
    // Nothing was written: the run keeps its state across the next two polls.
    const polls = Number(await page.getAttribute(byTestId("live"), "data-polls"));
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="live"]').dataset.polls) >= n + 2, polls, { timeout: 10_000 });
    assert.equal(await detail.getAttribute("data-state"), stateBefore);
    await toast.locator(byTestId("toast-dismiss")).click();
    await page.click(byTestId("run-detail-close"));
    await detail.waitFor({ state: "hidden" });
  });

  step("a run's link opens the drawer into focus; Escape closes it and gives focus back to the link", async () => {
    await openRun(paramRun);
    assert.ok((await focused()).inDrawer, "focus moved into the drawer");
    await page.keyboard.press("Escape");
    await page.locator(byTestId("run-detail")).waitFor({ state: "hidden" });
    const back = await focused();
    assert.equal(back.testid, "run-name");
    assert.equal(back.text, paramRun, "focus is back on the link that opened the drawer");
  });

  step("the history strip is one tab stop of named 24 px buttons; a bar opens its run and gets focus back", async () => {
    await page.focus(byTestId("new-run-button"));
    await page.keyboard.press("Tab");
    const first = await focused();
    assert.equal(first.testid, "history-bar", "Tab goes from New run to the history strip");
    const bars = await page.locator(byTestId("history-bar")).evaluateAll((els) => els.map((el) => {
      const r = el.getBoundingClientRect();
      return { name: el.getAttribute("aria-label"), width: r.width, height: r.height, tabIndex: el.tabIndex };
    }));
    assert.ok(bars.length >= 2, `bars: ${bars.length}`);
    for (const bar of bars) {
      assert.ok(bar.width >= 24 && bar.height >= 24, `bar ${bar.name} is ${bar.width}×${bar.height}`);
      assert.match(bar.name, /^\S+: \w+, /, "each bar is named after its run and state");
    }
    assert.equal(bars.filter((b) => b.tabIndex === 0).length, 1, "one bar is in the tab order");
    await page.keyboard.press("ArrowLeft");
    const second = await focused();
    assert.equal(second.testid, "history-bar");
    assert.notEqual(second.runId, first.runId, "the arrow key moved to the previous run");
    await page.keyboard.press("Tab");
    assert.equal((await focused()).testid, "run-name", "the next Tab leaves the strip for the first run link");
    await page.keyboard.press("Shift+Tab");
    assert.equal((await focused()).runId, second.runId, "back into the strip, on the bar last focused");
    await page.keyboard.press("Enter");
    await page.locator(byTestId("run-detail")).waitFor({ state: "visible" });
    assert.ok((await focused()).inDrawer, "the drawer took focus");
    await page.waitForFunction((id) => document.querySelector('[data-testid="run-detail"]').dataset.runId === id, second.runId);
    await page.click(byTestId("run-detail-close"));
    await page.locator(byTestId("run-detail")).waitFor({ state: "hidden" });
    const back = await focused();
    assert.equal(back.testid, "history-bar");
    assert.equal(back.runId, second.runId, "focus is back on the bar that opened the drawer");
  });

  step("cancels a running run and sees it become Cancelled", async () => {
    const name = `e2e-cancel-${Date.now().toString(36)}`;
    await createRun({ name, flowId: slowFlowId, parameters: {} });
    await waitForRunState(name, ["Running"], FINISH_MS);
    await openRun(name);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-run-row"]').length > 1, null, { timeout: 10_000 });
    await screenshot("run-detail-running.png");
    await page.click(byTestId("action-cancel"));
    await page.locator(`${byTestId("toast")}[data-kind="success"]`, { hasText: /Cancel/ }).first().waitFor({ state: "visible" });
    const state = await waitForRunState(name, ["Cancelled"], 30_000);
    assert.equal(state, "Cancelled");
    await page.waitForFunction(() => document.querySelector('[data-testid="run-detail-state"]')?.dataset.state === "Cancelled", null, { timeout: 10_000 });
    assert.ok(await page.locator(byTestId("action-cancel")).isDisabled(), "a finished run cannot be cancelled again");
  });

  step("a run scheduled for later waits, and Run now starts it", async () => {
    const name = `e2e-later-${Date.now().toString(36)}`;
    await page.click(byTestId("new-run-button"));
    await page.locator(byTestId("create-run-dialog")).waitFor({ state: "visible" });
    await page.selectOption(byTestId("create-run-flow"), paramFlowId);
    await page.fill(byTestId("create-run-name"), name);
    await page.fill(byTestId("create-run-parameters"), JSON.stringify(paramValues));
    // an hour from now, as the browser's datetime-local field wants it (local time)
    const later = await page.evaluate(() => {
      const d = new Date(Date.now() + 3600_000);
      const p = (n) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    });
    await page.fill(byTestId("create-run-start"), later);
    await page.click(byTestId("create-run-submit"));
    await page.locator(byTestId("create-run-dialog")).waitFor({ state: "hidden" });
    await runRow(name).waitFor({ state: "visible" });
    const scheduledTitle = await runRow(name).locator(byTestId("run-scheduled")).getAttribute("title");
    assert.match(scheduledTitle, /\(in (59|60) min\)/, `scheduled an hour ahead (${scheduledTitle})`);
    await openRun(name);
    // it stays Scheduled across two polls: the agent leaves future runs alone
    const polls = Number(await page.getAttribute(byTestId("live"), "data-polls"));
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="live"]').dataset.polls) >= n + 2, polls, { timeout: 10_000 });
    assert.equal(await page.getAttribute(byTestId("run-detail"), "data-state"), "Scheduled");
    await page.click(byTestId("action-run-now"));
    await page.locator(`${byTestId("toast")}[data-kind="success"]`, { hasText: /queued/i }).first().waitFor({ state: "visible" });
    const state = await waitForRunState(name, FINISHED, FINISH_MS);
    assert.ok(FINISHED.includes(state), `it ran (${state})`);
    await page.click(byTestId("run-detail-close"));
    await page.locator(byTestId("run-detail")).waitFor({ state: "hidden" });
    await screenshot("dashboard.png");
  });

  test("the page raised no uncaught errors", () => {
    assert.deepEqual(pageErrors, []);
  });
});

describe("dashboard against an open server (no auth), and connection errors", { timeout: 2 * TEST_MS }, () => {
  let own;
  before(async () => {
    broken = null;
    own = server = await startServer(["--demo"]);
    await openBrowser();
  });

  after(async () => {
    await closeBrowser();
    await own?.kill();
  });

  step("connects straight away, without a sign-in form", async () => {
    await page.goto(`${server.url}/ui/`);
    await page.waitForSelector(`${byTestId("connection-status")}[data-state="connected"]`);
    assert.equal(await page.locator(byTestId("login-form")).isVisible(), false);
    await page.locator(byTestId("flow-item")).first().waitFor({ state: "visible" });
    await page.locator(byTestId("run-row")).first().waitFor({ state: "visible" }); // the demo's two runs
    const flows = await page.locator(byTestId("flow-name")).allTextContents();
    assert.ok(flows.length >= 1, `flows listed: ${flows.join(", ")}`);
  });

  let busyStates = [];
  step("a busy list, with runs in every state the server knows (failed ones too), has no axe violations", async () => {
    // fixtures: a run in each state of reference_data, and a few more failed ones
    const { reference_data } = await gql(server.url, "query StateInfo { reference_data { state_info } }");
    busyStates = Object.keys(reference_data.state_info);
    assert.ok(busyStates.includes("Failed") && busyStates.length > 10, `state types: ${busyStates.join(", ")}`);
    const { flow } = await gql(server.url, "query Flows { flow(order_by: {name: asc}) { id name parameters } }");
    const plain = flow.filter((f) => !(f.parameters ?? []).some((p) => p.required && p.default == null));
    const wanted = [...busyStates, "Failed", "Failed", "TimedOut", "Failed"];
    for (const [i, type] of wanted.entries()) {
      const { create_flow_run } = await gql(server.url, "mutation Create($input: create_flow_run_input!) { create_flow_run(input: $input) { id } }",
        { input: { flow_id: plain[i % plain.length].id, flow_run_name: `busy-${String(i).padStart(2, "0")}-${type}` } });
      await gql(server.url, "mutation Set($input: set_flow_run_states_input!) { set_flow_run_states(input: $input) { states { status } } }",
        { input: { states: [{ flow_run_id: create_flow_run.id, state: { type, message: `e2e: ${type}` } }] } });
    }
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="run-row"]').length >= n, wanted.length);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"][data-state="Failed"]').length >= 4);
    const chips = await page.locator(byTestId("summary-chip")).evaluateAll((els) => els.map((el) => el.dataset.state));
    for (const type of busyStates) assert.ok(chips.includes(type), `a summary chip for ${type}`);
    await expectAccessible("busy list");
    await screenshot("desktop-busy.png");
    const failed = page.locator(`${byTestId("run-row")}[data-state="Failed"]`).first();
    await failed.locator(byTestId("run-name")).click();
    await page.locator(byTestId("run-detail")).waitFor({ state: "visible" });
    await page.waitForFunction(() => document.querySelector('[data-testid="run-detail"]').dataset.state === "Failed");
    await expectAccessible("drawer open on a failed run");
    await page.keyboard.press("Escape");
    await page.locator(byTestId("run-detail")).waitFor({ state: "hidden" });
  });

  step("on a phone (390×844): the essential columns fit, no layout shift, toasts leave the rows visible, axe clean", async () => {
    await page.setViewportSize(PHONE);
    try {
      // a fresh load, watching for layout shifts from the first paint on
      await page.addInitScript(() => {
        window.__cls = 0;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
        }).observe({ type: "layout-shift", buffered: true });
      });
      await page.reload();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="run-row"]').length >= n, busyStates.length);
      await page.locator(byTestId("flow-item")).first().waitFor({ state: "visible" });
      const polls = Number(await page.getAttribute(byTestId("live"), "data-polls"));
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid="live"]').dataset.polls) >= n + 1, polls);
      const cls = await page.evaluate(() => window.__cls);
      assert.ok(cls < 0.01, `cumulative layout shift while loading: ${cls}`);

      const fit = await page.evaluate(() => {
        const wrap = document.querySelector('[data-testid="runs-table"]').parentElement;
        const cell = document.querySelector('[data-testid="run-row"] [data-testid="run-duration"]').getBoundingClientRect();
        const clipped = [...document.querySelectorAll('[data-testid="run-row"] [data-testid="run-state"]')].filter((badge) =>
          badge.scrollWidth > badge.clientWidth || badge.getBoundingClientRect().right > badge.closest("td").getBoundingClientRect().right);
        return { scroll: wrap.scrollWidth, width: wrap.clientWidth, durationRight: cell.right, viewport: innerWidth,
          clipped: clipped.map((b) => b.textContent) };
      });
      assert.ok(fit.scroll <= fit.width, `the runs table fits its card (${fit.scroll} > ${fit.width})`);
      assert.ok(fit.durationRight <= fit.viewport, "the Duration column is on screen");
      assert.deepEqual(fit.clipped, [], "no state badge is clipped");
      await expectAccessible("busy list (phone)");
      await screenshot("phone-list.png");

      // a toast, then scrolled to the end: the last row is above the toast stack, not under it
      await page.click(byTestId("new-run-button"));
      await page.locator(byTestId("create-run-dialog")).waitFor({ state: "visible" });
      await expectAccessible("new-run dialog (phone)");
      await screenshot("phone-dialog.png");
      await page.fill(byTestId("create-run-name"), "e2e-phone-run");
      await page.click(byTestId("create-run-submit"));
      const toast = page.locator(`${byTestId("toast")}[data-kind="success"]`).first();
      await toast.waitFor({ state: "visible" });
      await runRow("e2e-phone-run").waitFor({ state: "visible" });
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      const cover = await page.evaluate(() => {
        const rows = document.querySelectorAll('[data-testid="run-row"]');
        const last = rows[rows.length - 1].getBoundingClientRect();
        const stack = document.querySelector('[data-testid="toasts"]').getBoundingClientRect();
        return { lastBottom: last.bottom, toastsTop: stack.top };
      });
      assert.ok(cover.lastBottom <= cover.toastsTop, `the last row (bottom ${cover.lastBottom}) clears the toasts (top ${cover.toastsTop})`);
      await screenshot("phone-list-toast.png");
      await toast.locator(byTestId("toast-dismiss")).click();

      const failed = page.locator(`${byTestId("run-row")}[data-state="Failed"]`).first();
      await failed.locator(byTestId("run-name")).click();
      await page.locator(byTestId("run-detail")).waitFor({ state: "visible" });
      await page.waitForFunction(() => document.querySelector('[data-testid="run-detail"]').dataset.state === "Failed");
      assert.ok((await focused()).inDrawer, "the drawer took focus");
      assert.equal(await page.evaluate(() => document.querySelector("main").inert), true, "the page under the full-screen drawer is inert");
      await expectAccessible("drawer open (phone)");
      await screenshot("phone-drawer.png");
      await page.keyboard.press("Escape");
      await page.locator(byTestId("run-detail")).waitFor({ state: "hidden" });
      assert.equal((await focused()).testid, "run-name", "focus is back on the run's link");
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  });

  step("an unreachable server shows the NETWORK error in the page, and reconnecting recovers", async () => {
    const dead = await closedPort();
    await page.fill(byTestId("server-url"), `http://127.0.0.1:${dead}`);
    await page.click(byTestId("connect"));
    await page.waitForSelector(`${byTestId("connection-status")}[data-state="error"]`, { timeout: 30_000 });
    const toast = page.locator(`${byTestId("toast")}[data-kind="error"]`).last();
    await toast.waitFor({ state: "visible" });
    assert.equal((await toast.locator(byTestId("toast-code")).textContent()).trim(), "NETWORK");
    assert.match(await toast.locator(byTestId("toast-message")).textContent(), new RegExp(`127\\.0\\.0\\.1:${dead}`));
    await page.fill(byTestId("server-url"), server.url);
    await page.click(byTestId("connect"));
    await page.waitForSelector(`${byTestId("connection-status")}[data-state="connected"]`);
    await page.locator(byTestId("run-row")).first().waitFor({ state: "visible" });
  });

  test("the page raised no uncaught errors", () => {
    assert.deepEqual(pageErrors, []);
  });
});

after(() => writeAxeReport(path.join(artifacts, "axe.json")));

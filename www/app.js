// The dashboard: connect (and sign in when the server asks), then poll flows, flow runs and the
// open run's detail, and offer the run actions. All data goes through the prefect-wasm client.

import { loadClient, Api, flowParameters, describeError, LOG_LIMIT } from "./api.js";
import { h, $, setText, setAttr, reconcile } from "./dom.js";
import { formatTime, formatFullTime, formatDuration, runDuration, relative } from "./format.js";
import { STATE_TYPES, applyStateInfo, isFinished, isRunning, stateColor, textOn } from "./states.js";

const POLL_MS = 1500;
const HIDDEN_POLL_MS = 10_000;
const FLOWS_EVERY = 8; // refresh the flows list every 8th poll
const RUNS_LIMIT = 100;

const app = {
  api: null,
  generation: 0, // bumps on every (re)connect; stale async results are dropped
  flows: [],
  runs: [],
  selectedFlowId: null,
  stateFilter: null, // show only runs in this state (a summary chip toggles it)
  openRunId: null,
  openRun: null,
  timer: null,
  ticks: 0,
  pollError: null,
  fresh: new Set(), // run ids just created, flashed once when they appear
  login: null, // { email, password } between the two steps of a tenant choice
};

// ---------------------------------------------------------------- toasts & status

const toasts = $("#toasts");

export function toast({ kind = "error", code, message, timeout }) {
  const key = `${kind}|${code ?? ""}|${message}`;
  for (const el of toasts.children) {
    if (el.dataset.key === key) {
      const n = Number(el.dataset.repeat ?? 1) + 1;
      el.dataset.repeat = String(n);
      setText(el.querySelector(".toast-repeat"), `×${n}`);
      armToast(el, timeout ?? (kind === "error" ? 15000 : 4000));
      return el;
    }
  }
  const el = h("div", { class: `toast toast-${kind}`, dataset: { testid: "toast", kind, key, code: code ?? "" }, role: kind === "error" ? "alert" : "status" },
    h("div", { class: "toast-body" },
      code ? h("span", { class: "toast-code", dataset: { testid: "toast-code" } }, code) : null,
      h("span", { class: "toast-message", dataset: { testid: "toast-message" } }, message),
      h("span", { class: "toast-repeat", "aria-hidden": "true" })),
    h("button", { type: "button", class: "toast-dismiss", dataset: { testid: "toast-dismiss" }, "aria-label": "Dismiss", onclick: () => el.remove() }, "✕"));
  toasts.append(el);
  while (toasts.children.length > 5) toasts.firstElementChild.remove();
  armToast(el, timeout ?? (kind === "error" ? 15000 : 4000));
  return el;
}

function armToast(el, ms) {
  clearTimeout(el._timer);
  el._timer = setTimeout(() => el.remove(), ms);
}

function toastError(err, context) {
  const { code, message } = describeError(err);
  console.error(context ?? "error", err);
  return toast({ kind: "error", code, message: context ? `${context}: ${message}` : message });
}

function toastOk(message) {
  toast({ kind: "success", message });
}

const statusEl = $('[data-testid="connection-status"]');
function setStatus(state, text, title) {
  statusEl.dataset.state = state;
  setText(statusEl.querySelector(".status-text"), text);
  setAttr(statusEl, "title", title ?? null);
}

// ---------------------------------------------------------------- connecting & signing in

const serverUrl = $("#server-url");
const loginView = $("#login-view");
const appView = $("#app-view");
const offlineView = $("#offline-view");

function defaultServer() {
  const param = new URLSearchParams(location.search).get("server");
  if (param) return param;
  return location.protocol.startsWith("http") ? location.origin : "http://127.0.0.1:4200";
}

function show(view) {
  loginView.hidden = view !== "login";
  appView.hidden = view !== "app";
  offlineView.hidden = view !== "offline";
  if (view !== "app") closeDetail(false);
}

// The access token survives a reload (this tab only); a new sign-in is asked for when it expires.
const SESSION_KEY = "prefect-dashboard.session";
function savedSession(url) {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
    return s && s.url === url && typeof s.token === "string" ? s : null;
  } catch {
    return null;
  }
}
function saveSession(url, token, who) {
  try {
    if (token) sessionStorage.setItem(SESSION_KEY, JSON.stringify({ url, token, who }));
    else sessionStorage.removeItem(SESSION_KEY);
  } catch { /* storage unavailable: sessions just do not survive a reload */ }
}

async function connect({ forget = false } = {}) {
  const url = serverUrl.value.trim().replace(/\/+$/, "");
  if (forget) saveSession(url, null);
  const gen = ++app.generation;
  stopPolling();
  app.api = null;
  $("#user").hidden = true;
  setStatus("connecting", `Connecting to ${hostOf(url)}…`);
  let mod;
  try {
    mod = await loadClient();
  } catch (err) {
    setStatus("error", "Client not loaded");
    toast({ kind: "error", code: "LOAD", message: `Could not load the prefect-wasm client from /pkg/web/prefect_wasm.js: ${err?.message ?? err}` });
    return;
  }
  const session = savedSession(url);
  let api;
  try {
    api = new Api(mod, url, session?.token);
  } catch (err) {
    setStatus("error", "Bad server URL");
    toastError(err);
    return;
  }
  try {
    await api.probe();
  } catch (err) {
    if (gen !== app.generation) return;
    if (err?.code === "UNAUTHENTICATED") {
      if (session) {
        saveSession(url, null); // expired or revoked: start over with a fresh client
        return connect();
      }
      app.api = api;
      setStatus("auth", `Sign in to ${hostOf(url)}`);
      showLoginStep("credentials");
      show("login");
      $("#login-email").focus();
      return;
    }
    const { code, message } = describeError(err);
    setStatus("error", `Cannot reach ${hostOf(url)}`, message);
    setText($("#offline-detail"), `${code}: ${message}`);
    show("offline");
    toastError(err, `Connecting to ${url}`);
    return;
  }
  if (gen !== app.generation) return;
  app.api = api;
  connected(session?.who ?? null);
}

function connected(who) {
  const api = app.api;
  setStatus("connected", `Connected · ${hostOf(api.url)}`);
  if (who) {
    $("#user").hidden = false;
    setText($('[data-testid="user-info"]'), who);
  }
  show("app");
  api.stateInfo().then((info) => { applyStateInfo(info); renderRuns(); }).catch((err) => console.warn("reference_data.state_info unavailable", err));
  app.ticks = 0;
  app.pollError = null;
  const fromHash = runIdFromHash();
  if (fromHash) openDetail(fromHash, false);
  tick();
}

function hostOf(url) {
  try { return new URL(url).host; } catch { return url; }
}

function showLoginStep(step) {
  $("#login-form").hidden = step !== "credentials";
  $("#tenant-form").hidden = step !== "tenant";
}

$("#retry").addEventListener("click", () => connect());
window.addEventListener("beforeunload", () => {
  // keep the freshest token (the client may have refreshed it) for a reload
  const api = app.api;
  const saved = api && savedSession(api.url);
  if (saved && api.client.token) saveSession(api.url, api.client.token, saved.who);
});

$("#server-form").addEventListener("submit", (event) => {
  event.preventDefault();
  connect();
});

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const api = app.api;
  if (!api) return;
  const email = $("#login-email").value.trim();
  const password = $("#login-password").value;
  const button = $('[data-testid="login-submit"]');
  button.disabled = true;
  try {
    const tenants = await api.login(email, password);
    if (!Array.isArray(tenants) || tenants.length === 0) {
      toast({ kind: "error", code: "NO_TENANT", message: `${email} belongs to no team on this server.` });
      return;
    }
    if (tenants.length === 1) {
      await api.login(email, password, { accountId: tenants[0].id });
      finishLogin(email, tenants[0]);
      return;
    }
    app.login = { email, password, tenants };
    const options = $("#tenant-options");
    options.replaceChildren(...tenants.map((t, i) =>
      h("label", { class: "tenant-option", dataset: { testid: "tenant-option", slug: t.slug } },
        h("input", { type: "radio", name: "tenant", value: t.id, checked: i === 0 }),
        h("span", { class: "tenant-name" }, t.name || t.slug),
        h("span", { class: "tenant-slug" }, t.slug))));
    setText($("#tenant-who"), `Signed in as ${email}. This account belongs to ${tenants.length} teams.`);
    showLoginStep("tenant");
    options.querySelector("input")?.focus();
  } catch (err) {
    toastError(err, "Sign in failed");
  } finally {
    button.disabled = false;
  }
});

$("#tenant-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { email, password, tenants } = app.login ?? {};
  const id = $("#tenant-options").querySelector("input:checked")?.value;
  const tenant = tenants?.find((t) => t.id === id);
  if (!tenant) return;
  const button = $('[data-testid="tenant-submit"]');
  button.disabled = true;
  try {
    await app.api.login(email, password, { accountId: tenant.id });
    finishLogin(email, tenant);
  } catch (err) {
    toastError(err, "Switching team failed");
  } finally {
    button.disabled = false;
  }
});

$("#tenant-back").addEventListener("click", () => {
  app.login = null;
  showLoginStep("credentials");
});

function finishLogin(email, tenant) {
  app.login = null;
  saveSession(app.api.url, app.api.client.token, `${email} · ${tenant.name || tenant.slug}`);
  $("#login-password").value = "";
  showLoginStep("credentials");
  connected(`${email} · ${tenant.name || tenant.slug}`);
}

$("#logout").addEventListener("click", () => {
  connect({ forget: true }); // a new client without a token: the server asks for a sign-in again
});

// ---------------------------------------------------------------- polling

function stopPolling() {
  clearTimeout(app.timer);
  app.timer = null;
}

/** One poll: flows (now and then), the runs, the open run. Never two at once. */
async function tick() {
  stopPolling();
  if (app.inflight) {
    app.again = true; // poll once more as soon as the current one is done
    return;
  }
  const gen = app.generation;
  const api = app.api;
  if (!api) return;
  app.inflight = true;
  app.again = false;
  try {
    const wantFlows = app.ticks % FLOWS_EVERY === 0;
    const openId = app.openRunId;
    const [flows, runs, run] = await Promise.all([
      wantFlows ? api.flows() : null,
      api.runs({ flowId: app.selectedFlowId, limit: RUNS_LIMIT }),
      openId ? api.run(openId) : null,
    ]);
    if (gen !== app.generation) return;
    if (flows) { app.flows = flows; renderFlows(); }
    app.runs = runs;
    renderRuns();
    if (openId && openId === app.openRunId) {
      if (run) renderDetail(run);
      else {
        toast({ kind: "error", code: "NOT_FOUND", message: `Flow run ${openId} does not exist.` });
        closeDetail();
      }
    }
    app.ticks++;
    if (app.pollError) {
      app.pollError = null;
      setStatus("connected", `Connected · ${hostOf(api.url)}`);
    }
    const live = $("#live");
    live.dataset.ok = "true";
    live.dataset.polls = String(Number(live.dataset.polls ?? 0) + 1);
  } catch (err) {
    if (gen !== app.generation) return;
    $("#live").dataset.ok = "false";
    if (err?.code === "UNAUTHENTICATED") {
      saveSession(api.url, null);
      toastError(err, "Signed out");
      setStatus("auth", `Sign in to ${hostOf(api.url)}`);
      show("login");
      return;
    }
    const { code, message } = describeError(err);
    setStatus("error", `Connection problem (${code})`, message);
    const key = `${code}|${message}`;
    if (app.pollError !== key) toastError(err, "Updating");
    app.pollError = key;
  } finally {
    app.inflight = false;
  }
  if (gen !== app.generation) return;
  stopPolling();
  app.timer = setTimeout(tick, app.again ? 0 : document.hidden ? HIDDEN_POLL_MS : POLL_MS);
}

// A background tab polls slowly, and catches up as soon as it is shown again.
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && app.api && !appView.hidden) tick();
});

/** Refresh now (after an action) rather than waiting for the next poll. */
function refreshSoon(withFlows = false) {
  if (withFlows) app.ticks = 0;
  if (app.api) tick();
}

// ---------------------------------------------------------------- flows

const flowsList = $("#flows-list");

function renderFlows() {
  const items = [{ id: "__all" }, ...app.flows];
  setText($("#flows-count"), app.flows.length || "");
  $("#flows-empty").hidden = app.flows.length > 0;
  reconcile(flowsList, items, (f) => f.id, createFlowItem, updateFlowItem);
  renderFlowBars();
}

function createFlowItem(flow) {
  if (flow.id === "__all") {
    return h("li", { class: "flow-item flow-all" },
      h("button", { type: "button", class: "flow-select", dataset: { testid: "flow-all" }, onclick: () => selectFlow(null) },
        h("span", { class: "flow-name" }, "All flows")));
  }
  const li = h("li", { class: "flow-item", dataset: { testid: "flow-item", flowId: flow.id } },
    h("button", { type: "button", class: "flow-select", onclick: () => selectFlow(flow.id) },
      h("span", { class: "flow-name", dataset: { testid: "flow-name" } }),
      h("span", { class: "flow-sub" }),
      h("span", { class: "flow-bar", "aria-hidden": "true" })),
    h("button", { type: "button", class: "btn btn-small flow-run", dataset: { testid: "flow-new-run" }, onclick: () => openCreate(flow.id) }, "Run"));
  return li;
}

function updateFlowItem(li, flow) {
  const button = li.querySelector(".flow-select");
  const selected = (flow.id === "__all" && !app.selectedFlowId) || flow.id === app.selectedFlowId;
  setAttr(button, "aria-pressed", String(selected));
  li.classList.toggle("selected", selected);
  if (flow.id === "__all") return;
  setText(li.querySelector(".flow-name"), flow.name);
  const params = flowParameters(flow);
  const sub = [flow.project?.name, flow.version != null ? `v${flow.version}` : null, params.length ? `${params.length} parameter${params.length > 1 ? "s" : ""}` : null]
    .filter(Boolean).join(" · ");
  setText(li.querySelector(".flow-sub"), sub);
  setAttr(li.querySelector(".flow-run"), "aria-label", `New run of ${flow.name}`);
  setAttr(button, "title", flow.description || null);
}

/** A thin bar per flow: the state mix of its recent runs (from the runs loaded). */
function renderFlowBars() {
  const byFlow = new Map();
  for (const run of app.runs) {
    const id = run.flow?.id;
    if (!id) continue;
    if (!byFlow.has(id)) byFlow.set(id, []);
    byFlow.get(id).push(run.state);
  }
  for (const li of flowsList.querySelectorAll('[data-testid="flow-item"]')) {
    const bar = li.querySelector(".flow-bar");
    const states = (byFlow.get(li.dataset.flowId) ?? []).slice(0, 20).reverse();
    const sig = states.join(",");
    if (bar.dataset.sig === sig) continue;
    bar.dataset.sig = sig;
    bar.replaceChildren(...states.map((s) => h("i", { style: { background: stateColor(s) }, title: s })));
  }
}

function selectFlow(id) {
  if (app.selectedFlowId === id) return;
  app.selectedFlowId = id;
  renderFlows();
  const flow = app.flows.find((f) => f.id === id);
  setText($("#runs-title"), flow ? `Flow runs · ${flow.name}` : "Flow runs");
  app.runs = [];
  renderRuns();
  refreshSoon();
}

// ---------------------------------------------------------------- runs table

const runsBody = $("#runs-body");

function badge(el, type, message) {
  const color = stateColor(type);
  el.classList.add("badge");
  el.classList.toggle("badge-live", isRunning(type));
  setText(el, type ?? "—");
  el.dataset.state = type ?? "";
  el.style.setProperty("--state", color);
  el.style.setProperty("--state-text", textOn(color));
  setAttr(el, "title", message || null);
}

function renderRuns() {
  const now = Date.now();
  const shown = app.stateFilter ? app.runs.filter((r) => r.state === app.stateFilter) : app.runs;
  $("#runs-empty").hidden = shown.length > 0;
  setText($("#runs-empty"), app.runs.length ? `No ${app.stateFilter} runs right now.` : "No flow runs yet. Start one with New run.");
  reconcile(runsBody, shown, (r) => r.id, createRunRow, (tr, run) => updateRunRow(tr, run, now));
  renderSummary();
  renderFlowBars();
  renderHistory(now);
}

/** Prefect's run-history strip: one bar per recent run, oldest left, height = duration. */
function renderHistory(now) {
  const runs = app.runs.slice(0, 60).reverse();
  const el = $("#run-history");
  el.hidden = runs.length === 0;
  const durations = runs.map((r) => runDuration(r, now) ?? 0);
  const max = Math.max(1000, ...durations);
  reconcile(el, runs, (r) => r.id,
    (r) => h("button", { type: "button", class: "bar", dataset: { testid: "history-bar" }, onclick: () => openDetail(r.id) }, h("i", {})),
    (bar, r) => {
      const i = runs.indexOf(r);
      const d = durations[i];
      const color = stateColor(r.state);
      const fill = bar.firstChild;
      fill.style.background = color;
      fill.style.height = `${Math.max(8, Math.round((Math.sqrt(d) / Math.sqrt(max)) * 100))}%`;
      bar.dataset.state = r.state ?? "";
      bar.classList.toggle("open", r.id === app.openRunId);
      setAttr(bar, "title", `${r.name} · ${r.flow?.name ?? ""} · ${r.state} · ${formatDuration(d || null)}`);
      setAttr(bar, "aria-label", `${r.name}: ${r.state}`);
    });
}

function createRunRow(run) {
  const tr = h("tr", { class: "run-row", dataset: { testid: "run-row", runId: run.id }, onclick: (e) => { if (!e.target.closest("a")) openDetail(run.id); } },
    h("td", { class: "run-name-cell" }, h("a", { href: `#/runs/${run.id}`, class: "run-name", dataset: { testid: "run-name" } })),
    h("td", { dataset: { testid: "run-flow" }, class: "muted" }),
    h("td", {}, h("span", { dataset: { testid: "run-state" } })),
    h("td", { dataset: { testid: "run-scheduled" }, class: "time" }),
    h("td", { dataset: { testid: "run-start" }, class: "time" }),
    h("td", { dataset: { testid: "run-end" }, class: "time" }),
    h("td", { dataset: { testid: "run-duration" }, class: "num time" }));
  if (app.fresh.has(run.id)) {
    app.fresh.delete(run.id);
    tr.classList.add("flash");
    setTimeout(() => tr.classList.remove("flash"), 2500);
  }
  return tr;
}

function updateRunRow(tr, run, now) {
  const cells = tr.children;
  tr.dataset.state = run.state ?? "";
  tr.classList.toggle("open", run.id === app.openRunId);
  setText(cells[0].firstChild, run.name || run.id);
  setText(cells[1], run.flow?.name ?? "—");
  badge(cells[2].firstChild, run.state, run.state_message);
  setTime(cells[3], run.scheduled_start_time, now);
  setTime(cells[4], run.start_time, now);
  setTime(cells[5], run.end_time, now);
  setText(cells[6], formatDuration(runDuration(run, now)));
}

function setTime(el, value, now) {
  setText(el, formatTime(value, new Date(now)));
  setAttr(el, "title", value ? `${formatFullTime(value)} (${relative(value, now)})` : null);
}

function renderSummary() {
  const counts = new Map();
  for (const run of app.runs) counts.set(run.state, (counts.get(run.state) ?? 0) + 1);
  if (app.stateFilter && !counts.has(app.stateFilter)) counts.set(app.stateFilter, 0);
  const items = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  reconcile($("#state-summary"), items, ([s]) => s,
    ([s]) => h("button", { type: "button", class: "chip", dataset: { testid: "summary-chip", state: s }, title: `Show only ${s} runs`,
      onclick: () => { app.stateFilter = app.stateFilter === s ? null : s; renderRuns(); } },
      h("i", { class: "chip-dot" }), h("span", { class: "chip-label" }), h("b", {})),
    (el, [s, n]) => {
      setAttr(el, "aria-pressed", String(app.stateFilter === s));
      el.querySelector(".chip-dot").style.background = stateColor(s);
      setText(el.querySelector(".chip-label"), s);
      setText(el.querySelector("b"), n);
    });
}

// ---------------------------------------------------------------- run detail

const drawer = $("#run-detail");

function runIdFromHash() {
  const m = /^#\/runs\/([^/?#]+)/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

window.addEventListener("hashchange", () => {
  const id = runIdFromHash();
  if (id && id !== app.openRunId && app.api && !appView.hidden) openDetail(id, false);
  if (!id && app.openRunId) closeDetail(false);
});

document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !drawer.hidden && !$("#create-run-dialog").open) closeDetail();
});

function openDetail(id, pushHash = true) {
  if (app.openRunId !== id) {
    app.openRun = null;
    resetDetail();
  }
  app.openRunId = id;
  drawer.hidden = false;
  document.body.classList.add("drawer-open");
  if (pushHash && runIdFromHash() !== id) location.hash = `#/runs/${id}`;
  if (pushHash) $("#detail-name").focus({ preventScroll: true });
  for (const tr of runsBody.children) tr.classList.toggle("open", tr.dataset.runId === id);
  const gen = app.generation;
  app.api?.run(id).then((run) => {
    if (gen !== app.generation || app.openRunId !== id) return;
    if (run) renderDetail(run);
    else {
      toast({ kind: "error", code: "NOT_FOUND", message: `Flow run ${id} does not exist.` });
      closeDetail();
    }
  }).catch((err) => toastError(err, "Loading the run"));
}

function closeDetail(clearHash = true) {
  app.openRunId = null;
  app.openRun = null;
  drawer.hidden = true;
  document.body.classList.remove("drawer-open");
  for (const tr of runsBody.children) tr.classList.remove("open");
  for (const bar of $("#run-history").children) bar.classList.remove("open");
  if (clearHash && location.hash) history.replaceState(null, "", location.pathname + location.search);
}

$("#detail-close").addEventListener("click", () => closeDetail());

function resetDetail() {
  setText($("#detail-name"), "Loading…");
  setText($("#detail-flow"), "");
  setText($("#detail-message"), "");
  $("#detail-state").dataset.state = "";
  setText($("#detail-state"), "");
  $("#detail-facts").replaceChildren();
  $("#detail-param-list").replaceChildren();
  setText($("#detail-meta"), "");
  $("#state-history").replaceChildren();
  $("#task-runs-body").replaceChildren();
  $("#logs").replaceChildren();
  setText($("#detail-params"), "");
}

function renderDetail(run) {
  const now = Date.now();
  app.openRun = run;
  drawer.dataset.runId = run.id;
  drawer.dataset.state = run.state ?? "";
  setText($("#detail-name"), run.name || run.id);
  setText($("#detail-flow"), run.flow?.name ?? "");
  badge($("#detail-state"), run.state, run.state_message);
  setText($("#detail-message"), run.state_message ?? "");

  const facts = [
    ["Scheduled", formatTime(run.scheduled_start_time), run.scheduled_start_time],
    ["Started", formatTime(run.start_time), run.start_time],
    ["Ended", formatTime(run.end_time), run.end_time],
    ["Duration", formatDuration(runDuration(run, now))],
    ["Version", run.version ?? "—"],
  ];
  reconcile($("#detail-facts"), facts, ([k]) => k,
    ([k]) => h("div", { class: "fact" }, h("dt", {}, k), h("dd", { dataset: { testid: `fact-${k.toLowerCase()}` } })),
    (el, [, v, iso]) => {
      const dd = el.querySelector("dd");
      setText(dd, v);
      setAttr(dd, "title", iso ? formatFullTime(iso) : null);
    });
  const labels = run.labels ?? [];
  setText($("#detail-meta"), `Run ID ${run.id}${labels.length ? ` · labels ${labels.join(", ")}` : ""}`);

  const params = run.parameters && typeof run.parameters === "object" ? run.parameters : {};
  $("#params-section").hidden = Object.keys(params).length === 0;
  setText($("#detail-params"), JSON.stringify(params, null, 2));
  reconcile($("#detail-param-list"), Object.entries(params), ([k]) => k,
    ([k]) => h("li", { dataset: { testid: "run-param", name: k } }, h("code", {}, k), h("span", { class: "param-value" })),
    (li, [, v]) => setText(li.querySelector(".param-value"), JSON.stringify(v)));

  reconcile($("#state-history"), run.states ?? [], (s) => s.id ?? `${s.version}-${s.timestamp}`,
    () => h("li", { class: "step", dataset: { testid: "state-history-item" } }, h("span", {}), h("time", { class: "time muted" })),
    (li, s) => {
      li.dataset.state = s.state ?? "";
      badge(li.firstChild, s.state);
      setAttr(li, "title", [s.message, formatFullTime(s.timestamp)].filter(Boolean).join("\n") || null);
      const time = li.querySelector("time");
      setText(time, formatTime(s.timestamp));
      setAttr(time, "datetime", s.timestamp ?? null);
    });

  const tasks = [...(run.task_runs ?? [])].sort(byStart);
  setText($("#tasks-count"), tasks.length || "");
  $("#tasks-empty").hidden = tasks.length > 0;
  $('[data-testid="task-runs"]').hidden = tasks.length === 0;
  reconcile($("#task-runs-body"), tasks, (t) => t.id,
    () => h("tr", { dataset: { testid: "task-run-row" } },
      h("td", { class: "task-name" }), h("td", {}, h("span", { dataset: { testid: "task-run-state" } })),
      h("td", { class: "time" }), h("td", { class: "time" }), h("td", { class: "num time" })),
    (tr, t) => {
      tr.dataset.state = t.state ?? "";
      const name = t.task?.name ?? t.name ?? t.task?.slug ?? "task";
      setText(tr.children[0], t.map_index != null && t.map_index >= 0 ? `${name} [${t.map_index}]` : name);
      badge(tr.children[1].firstChild, t.state, t.state_message);
      setText(tr.children[2], formatTime(t.start_time));
      setText(tr.children[3], formatTime(t.end_time));
      setText(tr.children[4], formatDuration(runDuration(t, now)));
    });

  const taskNames = new Map(tasks.map((t) => [t.id, t.task?.name ?? t.name ?? t.task?.slug]));
  const logs = $("#logs");
  const atBottom = logs.scrollHeight - logs.scrollTop - logs.clientHeight < 24;
  const entries = run.logs ?? [];
  setText($("#logs-count"), entries.length >= LOG_LIMIT ? `latest ${LOG_LIMIT}` : entries.length || "");
  $("#logs-empty").hidden = entries.length > 0;
  reconcile(logs, entries, (l) => l.id ?? `${l.timestamp}-${l.message}`,
    (l) => h("div", { class: "log-row", dataset: { testid: "log-row", level: String(l.level ?? "INFO").toUpperCase() } },
      h("time", { class: "log-time" }, formatTime(l.timestamp)),
      h("span", { class: "log-level" }, String(l.level ?? "INFO").toUpperCase()),
      h("span", { class: "log-name", title: l.name ?? "" }, taskNames.get(l.task_run_id) ?? String(l.name ?? "").split(".").pop()),
      h("span", { class: "log-message" }, l.message ?? "")),
    () => {});
  if (atBottom) logs.scrollTop = logs.scrollHeight;

  const finished = isFinished(run.state);
  $("#action-cancel").disabled = finished || run.state === "Cancelling";
  setAttr($("#action-cancel"), "title", finished ? "The run has finished" : null);
  $("#action-run-now").disabled = isRunning(run.state);
}

function byStart(a, b) {
  const x = a.start_time ? Date.parse(a.start_time) : Infinity;
  const y = b.start_time ? Date.parse(b.start_time) : Infinity;
  return x - y || String(a.task?.name ?? a.name).localeCompare(String(b.task?.name ?? b.name)) || (a.map_index ?? 0) - (b.map_index ?? 0);
}

// ---------------------------------------------------------------- actions

async function busy(button, fn) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await fn();
  } finally {
    button.removeAttribute("aria-busy");
    button.disabled = false;
    if (app.openRun) renderDetail(app.openRun);
  }
}

$("#action-run-now").addEventListener("click", (e) => {
  const id = app.openRunId;
  if (!id) return;
  busy(e.currentTarget, async () => {
    try {
      const state = await app.api.runNow(id);
      toastOk(`Run queued: ${state?.type ?? "Scheduled"} now.`);
      refreshSoon();
    } catch (err) {
      toastError(err, "Run now");
    }
  });
});

$("#action-cancel").addEventListener("click", (e) => {
  const id = app.openRunId;
  if (!id) return;
  busy(e.currentTarget, async () => {
    try {
      const state = await app.api.cancel(id);
      toastOk(state ? `Cancellation requested: ${state}.` : "Cancellation requested.");
      refreshSoon();
    } catch (err) {
      toastError(err, "Cancel");
    }
  });
});

const setStateType = $("#set-state-type");
const setStateExpected = $("#set-state-expected");
setStateType.replaceChildren(...STATE_TYPES.map((s) => h("option", { value: s }, s)));
setStateExpected.replaceChildren(h("option", { value: "" }, "any state"), ...STATE_TYPES.map((s) => h("option", { value: s }, s)));

$("#set-state-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = app.openRunId;
  if (!id) return;
  const type = setStateType.value;
  const expected = setStateExpected.value || undefined;
  const message = $("#set-state-message").value.trim();
  const state = message ? { type, message } : type;
  busy(event.submitter ?? $('[data-testid="set-state-submit"]'), async () => {
    try {
      const result = await app.api.setState(id, state, expected);
      toastOk(`State set to ${result?.type ?? type}.`);
      $("#set-state-message").value = "";
      refreshSoon();
    } catch (err) {
      toastError(err, `Set state ${type}${expected ? ` (expected ${expected})` : ""}`);
    }
  });
});

// ---------------------------------------------------------------- create a run

const dialog = $("#create-run-dialog");
const createFlow = $("#create-run-flow");
const createParams = $("#create-run-parameters");
const createError = $("#create-run-error");
let paramsEdited = false;

$("#new-run-button").addEventListener("click", () => openCreate(app.selectedFlowId));

function openCreate(flowId) {
  if (app.flows.length === 0) {
    toast({ kind: "error", code: "NO_FLOWS", message: "There is no flow to run yet." });
    return;
  }
  createFlow.replaceChildren(...app.flows.map((f) =>
    h("option", { value: f.id }, `${f.name}${f.version != null ? ` (v${f.version})` : ""}${f.project?.name ? ` · ${f.project.name}` : ""}`)));
  createFlow.value = app.flows.some((f) => f.id === flowId) ? flowId : app.flows[0].id;
  $("#create-run-name").value = "";
  $("#create-run-start").value = "";
  paramsEdited = false;
  setText(createError, "");
  fillParams();
  dialog.showModal();
  createParams.focus();
}

function currentFlow() {
  return app.flows.find((f) => f.id === createFlow.value);
}

function fillParams() {
  const params = flowParameters(currentFlow());
  const help = $("#create-run-params-help");
  if (params.length === 0) {
    help.replaceChildren(h("p", { class: "muted" }, "This flow takes no parameters."));
  } else {
    help.replaceChildren(
      h("p", { class: "param-title" }, "Parameters of this flow"),
      h("ul", { class: "params" }, params.map((p) =>
        h("li", { dataset: { testid: "param", name: p.name } },
          h("code", {}, p.name),
          p.required ? h("span", { class: "tag tag-required" }, "required") : h("span", { class: "tag" }, "optional"),
          h("span", { class: "muted" }, p.default !== null && p.default !== undefined ? `default ${JSON.stringify(p.default)}` : "no default")))));
  }
  if (!paramsEdited) {
    const defaults = Object.fromEntries(params.map((p) => [p.name, p.default ?? null]));
    createParams.value = JSON.stringify(defaults, null, 2);
  }
  validateParams();
}

createFlow.addEventListener("change", fillParams);
createParams.addEventListener("input", () => { paramsEdited = true; validateParams(); });

/** Parses and checks the parameters; returns { value } or { error }. */
function checkParams() {
  const text = createParams.value.trim();
  let value;
  if (text === "") value = {};
  else {
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { error: `Parameters are not valid JSON: ${err.message}` };
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { error: "Parameters must be a JSON object, like {\"name\": \"value\"}." };
  }
  const declared = flowParameters(currentFlow());
  if (declared.length > 0 || Object.keys(value).length > 0) {
    const names = new Set(declared.map((p) => p.name));
    const unknown = Object.keys(value).filter((k) => !names.has(k));
    if (unknown.length) {
      return { error: `Unknown parameter${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}; this flow takes ${declared.length ? declared.map((p) => `"${p.name}"`).join(", ") : "none"}.` };
    }
    const missing = declared.filter((p) => p.required && (value[p.name] === undefined || value[p.name] === null) && (p.default === null || p.default === undefined));
    if (missing.length) return { error: `Missing required parameter${missing.length > 1 ? "s" : ""}: ${missing.map((p) => `"${p.name}"`).join(", ")}.` };
  }
  return { value };
}

function validateParams() {
  const { error } = checkParams();
  setText(createError, error ?? "");
  createParams.setAttribute("aria-invalid", error ? "true" : "false");
  return !error;
}

$("#create-run-cancel").addEventListener("click", () => dialog.close());

$("#create-run-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const flow = currentFlow();
  const { value, error } = checkParams();
  if (error || !flow) {
    setText(createError, error ?? "Choose a flow.");
    createParams.focus();
    return;
  }
  const options = { parameters: value };
  const name = $("#create-run-name").value.trim();
  if (name) options.name = name;
  const start = $("#create-run-start").value;
  if (start) {
    const when = new Date(start);
    if (Number.isNaN(when.getTime())) {
      setText(createError, "The scheduled start is not a valid time.");
      return;
    }
    options.scheduledStartTime = when.toISOString();
  }
  const submit = $("#create-run-submit");
  submit.disabled = true;
  try {
    const { id } = await app.api.createRun(flow.id, options);
    app.fresh.add(id);
    dialog.close();
    toastOk(`Created ${name ? `“${name}”` : "a run"} of ${flow.name}.`);
    refreshSoon();
  } catch (err) {
    const { code, message } = describeError(err);
    setText(createError, `${code}: ${message}`);
    toastError(err, "Create run");
  } finally {
    submit.disabled = false;
  }
});

// ---------------------------------------------------------------- live clock for running rows

setInterval(() => {
  if (appView.hidden) return;
  const now = Date.now();
  for (const tr of runsBody.children) {
    const run = app.runs.find((r) => r.id === tr.dataset.runId);
    if (run && run.start_time && !run.end_time) setText(tr.children[6], formatDuration(runDuration(run, now)));
  }
}, 1000);

// ---------------------------------------------------------------- start

serverUrl.value = defaultServer();
window.addEventListener("error", (e) => toast({ kind: "error", code: "SCRIPT", message: e.message }));
window.addEventListener("unhandledrejection", (e) => {
  const { code, message } = describeError(e.reason);
  toast({ kind: "error", code, message });
});
connect();

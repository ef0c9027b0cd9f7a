// The dashboard's wiring: finds the page's elements, builds each view with its own state, and
// routes between them (the poll feeds the views; the session decides what shows). The only
// module that touches the document when it is imported.

import { StateInfo } from "./state-info.js";
import { createToasts } from "./toasts.js";
import { createSession, defaultServer } from "./session.js";
import { createPoller } from "./poller.js";
import { createFlows } from "./flows.js";
import { createRunsTable } from "./runs-table.js";
import { createHistoryChart } from "./history-chart.js";
import { createRunDetail, runIdFromHash } from "./run-detail.js";
import { createRunDialog } from "./create-run.js";
import { describeError } from "./api.js";

const POLL_MS = 1500;
const HIDDEN_POLL_MS = 10_000;
const FLOWS_EVERY = 8; // the flows list (and the state info, until it answers) every 8th poll
const RUNS_LIMIT = 100;

const byId = (id) => document.getElementById(id);
const drawer = byId("run-detail");
const dialogEl = byId("create-run-dialog");
const appView = byId("app-view");
const chartEl = byId("run-history");

const states = new StateInfo();
const toasts = createToasts(byId("toasts"));

const flows = createFlows({ list: byId("flows-list"), count: byId("flows-count"), empty: byId("flows-empty") }, {
  states,
  onSelect(flow) {
    table.setTitle(flow?.name ?? null);
    table.reset({ keepFilter: true });
    poller.now();
  },
  onNewRun: (flowId, from) => dialog.open(flowId, from),
});

const table = createRunsTable({ title: byId("runs-title"), summary: byId("state-summary"), body: byId("runs-body"), empty: byId("runs-empty") }, {
  states,
  onOpen: (id, from) => detail.open(id, { opener: from }),
});

const chart = createHistoryChart(chartEl, { states, onOpen: (id, from) => detail.open(id, { opener: from }) });

// Below 900 px the drawer covers the page: the page behind it leaves the tab order meanwhile.
const narrow = matchMedia("(max-width: 900px)");
function syncCovered() {
  const covered = !drawer.hidden && narrow.matches;
  for (const el of [document.querySelector("header.topbar"), byId("main")]) el.inert = covered;
}
narrow.addEventListener("change", syncCovered);

const detail = createRunDetail({
  drawer, name: byId("detail-name"), flow: byId("detail-flow"), state: byId("detail-state"), message: byId("detail-message"),
  facts: byId("detail-facts"), meta: byId("detail-meta"), history: byId("state-history"),
  paramsSection: byId("params-section"), paramList: byId("detail-param-list"), params: byId("detail-params"),
  tasksCount: byId("tasks-count"), tasksEmpty: byId("tasks-empty"), tasksTable: byId("task-runs"), tasksBody: byId("task-runs-body"),
  logs: byId("logs"), logsCount: byId("logs-count"), logsEmpty: byId("logs-empty"),
  close: byId("detail-close"), runNow: byId("action-run-now"), cancel: byId("action-cancel"),
  setStateForm: byId("set-state-form"), setStateType: byId("set-state-type"), setStateExpected: byId("set-state-expected"),
  setStateMessage: byId("set-state-message"), setStateSubmit: byId("set-state-submit"),
}, {
  states,
  toasts,
  getApi: () => session.api,
  onChanged: () => poller.now(),
  hooks: {
    onOpen(id) {
      table.highlight(id);
      chart.highlight(id);
      syncCovered();
      poller.now(); // the poll reads the open run too
    },
    onClose() {
      table.highlight(null);
      chart.highlight(null);
      syncCovered();
    },
    fallbackFocus: (id) => table.linkOf(id) ?? chart.barOf(id) ?? byId("runs-title"),
  },
});

const dialog = createRunDialog({
  dialog: dialogEl, form: byId("create-run-form"), flow: byId("create-run-flow"), name: byId("create-run-name"),
  help: byId("create-run-params-help"), params: byId("create-run-parameters"), error: byId("create-run-error"),
  start: byId("create-run-start"), cancel: byId("create-run-cancel"), submit: byId("create-run-submit"),
}, {
  toasts,
  getApi: () => session.api,
  getFlows: () => flows.flows,
  onCreated(id) {
    table.markFresh(id);
    poller.now();
  },
});

/** One poll: the state info and flows now and then, the runs, the open run. */
async function poll(api, tick) {
  const flowId = flows.selectedId;
  const openId = detail.openId;
  const now = tick % FLOWS_EVERY === 0;
  const [info, flowList, runs, run] = await Promise.all([
    now && !states.loaded ? api.stateInfo().catch((err) => { console.warn("reference_data.state_info unavailable", err); return null; }) : null,
    now ? api.flows() : null,
    api.runs({ flowId, limit: RUNS_LIMIT }),
    openId ? api.run(openId) : null,
  ]);
  return { info, flowList, flowId, runs, openId, run };
}

function showPoll({ info, flowList, flowId, runs, openId, run }) {
  session.confirmed();
  if (info && states.update(info)) {
    detail.setStateTypes(states.types);
    detail.refresh();
  }
  if (flowList) flows.setFlows(flowList);
  if (flowId === flows.selectedId) {
    const now = Date.now();
    table.setRuns(runs, now);
    flows.setRuns(runs);
    chart.render(runs, now, detail.openId);
  }
  if (openId) detail.update(openId, run);
}

const poller = createPoller(byId("live"), {
  poll,
  onResult: showPoll,
  onError(err, { first }) {
    if (err?.code === "UNAUTHENTICATED") session.requireSignIn(err, { first });
    else if (first) session.unreachable(err);
    else session.troubled(err);
  },
  intervalMs: POLL_MS,
  hiddenIntervalMs: HIDDEN_POLL_MS,
  isHidden: () => document.hidden,
});

const session = createSession({
  serverForm: byId("server-form"), serverUrl: byId("server-url"), status: byId("connection-status"),
  user: byId("user"), userInfo: byId("user-info"), logout: byId("logout"),
  appView, loginView: byId("login-view"), offlineView: byId("offline-view"),
  loginForm: byId("login-form"), email: byId("login-email"), password: byId("login-password"), loginSubmit: byId("login-submit"),
  tenantForm: byId("tenant-form"), tenantOptions: byId("tenant-options"), tenantWho: byId("tenant-who"),
  tenantSubmit: byId("tenant-submit"), tenantBack: byId("tenant-back"),
  offlineDetail: byId("offline-detail"), retry: byId("retry"),
}, {
  toasts,
  loadClient: () => import("./client.js"),
  onStart(api) {
    const id = runIdFromHash(location.hash);
    if (id) detail.open(id);
    poller.start(api);
  },
  onStop() {
    poller.stop();
    detail.close({ restoreFocus: false, keepHash: true });
    states.clear();
    flows.reset();
    table.setTitle(null);
    table.reset();
    chart.render([], Date.now(), null);
  },
});

byId("new-run-button").addEventListener("click", (e) => dialog.open(flows.selectedId, e.currentTarget));

window.addEventListener("hashchange", () => {
  const id = runIdFromHash(location.hash);
  if (id && id !== detail.openId && poller.running) detail.open(id);
  if (!id && detail.openId) detail.close();
});

document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !drawer.hidden && !dialogEl.open) detail.close();
});

// A background tab polls slowly, and catches up as soon as it is shown again.
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) poller.now();
});

// As many history bars as the strip's width holds.
new ResizeObserver(([entry]) => {
  if (chart.setWidth(entry.contentRect.width)) chart.render(table.runs, Date.now(), detail.openId);
}).observe(chartEl);

// Live durations of running rows between polls.
setInterval(() => {
  if (!appView.hidden) table.tickClock(Date.now());
}, 1000);

window.addEventListener("beforeunload", () => session.persistToken());
window.addEventListener("error", (e) => toasts.show({ kind: "error", code: "SCRIPT", message: e.message }));
window.addEventListener("unhandledrejection", (e) => toasts.show({ kind: "error", ...describeError(e.reason) }));

byId("server-url").value = defaultServer(location);
session.connect();

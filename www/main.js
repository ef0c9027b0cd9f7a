// The dashboard's wiring: builds each view (each finds its own elements and keeps its own state),
// feeds them the poll's data, and holds the page-wide listeners. The only module that touches the
// document when it is imported.

import { StateInfo } from "./state-info.js";
import { createToasts } from "./toasts.js";
import { createSession } from "./session.js";
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
const states = new StateInfo();
const toasts = createToasts(byId("toasts"));
const openRun = (id, from) => detail.open(id, { opener: from });

const flows = createFlows(byId, {
  states,
  onSelect(flow) {
    table.setTitle(flow?.name ?? null);
    table.reset({ keepFilter: true });
    poller.now();
  },
  onNewRun: (flowId, from) => dialog.open(flowId, from),
});
const table = createRunsTable(byId, { states, onOpen: openRun });
const chart = createHistoryChart(byId, { states, onOpen: openRun });

// Below 900 px the drawer covers the page: the page behind it leaves the tab order meanwhile.
const narrow = matchMedia("(max-width: 900px)");
function syncCovered() {
  const covered = !detail.element.hidden && narrow.matches;
  for (const el of [document.querySelector("header.topbar"), byId("main")]) el.inert = covered;
}
narrow.addEventListener("change", syncCovered);

const detail = createRunDetail(byId, {
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

const dialog = createRunDialog(byId, {
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

const session = createSession(byId, {
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
  if (e.key === "Escape" && !detail.element.hidden && !dialog.isOpen) detail.close();
});

// A background tab polls slowly, and catches up as soon as it is shown again.
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) poller.now();
});

// As many history bars as the strip's width holds.
new ResizeObserver(([entry]) => {
  if (chart.setWidth(entry.contentRect.width)) chart.render(table.runs, Date.now(), detail.openId);
}).observe(chart.element);

// Live durations of running rows between polls.
setInterval(() => {
  if (session.showingApp) table.tickClock(Date.now());
}, 1000);

window.addEventListener("beforeunload", () => session.persistToken());
window.addEventListener("error", (e) => toasts.show({ kind: "error", code: "SCRIPT", message: e.message }));
window.addEventListener("unhandledrejection", (e) => toasts.show({ kind: "error", ...describeError(e.reason) }));

session.connect();

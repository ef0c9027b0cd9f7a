// The run detail drawer (#/runs/ID): facts, state history, parameters, task runs, logs, and the
// actions (run now, cancel, set a state). Opening it moves focus into it; closing it gives focus
// back to what opened it (the run's link or bar).

import { h, reconcile, setAttr, setText } from "./dom.js";
import { LOG_LIMIT } from "./api.js";
import { compareText, formatDuration, formatFullTime, formatTime, runDuration } from "./format.js";
import { paintBadge } from "./badge.js";

export function runIdFromHash(hash) {
  const m = /^#\/runs\/([^/?#]+)/.exec(hash);
  return m ? decodeURIComponent(m[1]) : null;
}

function byStart(a, b) {
  const x = a.start_time ? Date.parse(a.start_time) : Infinity;
  const y = b.start_time ? Date.parse(b.start_time) : Infinity;
  return x - y || compareText(a.task?.name ?? a.name, b.task?.name ?? b.name) || (a.map_index ?? 0) - (b.map_index ?? 0);
}

/**
 * The run's data comes from the poll (`update`). `hooks.onOpen(id)` (which polls at once) and
 * `hooks.onClose()` let the page mark the open run and make itself inert while the drawer covers
 * it; `hooks.fallbackFocus(id)` is where focus goes when the opener is gone.
 */
export function createRunDetail(byId, { states, toasts, getApi, onChanged, hooks }) {
  const els = {
    drawer: byId("run-detail"), name: byId("detail-name"), flow: byId("detail-flow"), state: byId("detail-state"),
    message: byId("detail-message"), facts: byId("detail-facts"), meta: byId("detail-meta"), history: byId("state-history"),
    paramsSection: byId("params-section"), paramList: byId("detail-param-list"), params: byId("detail-params"),
    tasksCount: byId("tasks-count"), tasksEmpty: byId("tasks-empty"), tasksTable: byId("task-runs"), tasksBody: byId("task-runs-body"),
    logs: byId("logs"), logsCount: byId("logs-count"), logsEmpty: byId("logs-empty"),
    close: byId("detail-close"), runNow: byId("action-run-now"), cancel: byId("action-cancel"),
    setStateForm: byId("set-state-form"), setStateType: byId("set-state-type"), setStateExpected: byId("set-state-expected"),
    setStateMessage: byId("set-state-message"), setStateSubmit: byId("set-state-submit"),
  };
  let openId = null;
  let openRun = null;
  let opener = null;

  function reset() {
    setText(els.name, "Loading…");
    setText(els.flow, "");
    setText(els.message, "");
    els.state.dataset.state = "";
    setText(els.state, "");
    for (const el of [els.facts, els.paramList, els.history, els.tasksBody, els.logs]) el.replaceChildren();
    setText(els.meta, "");
    setText(els.params, "");
  }

  function open(id, { opener: from = null } = {}) {
    if (openId !== id) {
      openRun = null;
      reset();
    }
    openId = id;
    if (from) opener = from;
    const wasHidden = els.drawer.hidden;
    els.drawer.hidden = false;
    els.drawer.ownerDocument.body.classList.add("drawer-open");
    const { location, history } = els.drawer.ownerDocument.defaultView;
    if (runIdFromHash(location.hash) !== id) history.pushState(null, "", `#/runs/${encodeURIComponent(id)}`);
    hooks.onOpen(id);
    if (wasHidden || from) els.name.focus({ preventScroll: true });
  }

  /** `restoreFocus`: back to the opener when focus was in the drawer; `keepHash`: leave #/runs/ID (the page is switching servers). */
  function close({ restoreFocus = true, keepHash = false } = {}) {
    if (openId === null && els.drawer.hidden) return;
    const doc = els.drawer.ownerDocument;
    const closedId = openId;
    const focusWasInside = els.drawer.contains(doc.activeElement) || doc.activeElement === doc.body;
    openId = null;
    openRun = null;
    els.drawer.hidden = true;
    doc.body.classList.remove("drawer-open");
    const { location, history } = doc.defaultView;
    if (!keepHash && location.hash) history.replaceState(null, "", location.pathname + location.search);
    hooks.onClose();
    const back = opener;
    opener = null;
    if (restoreFocus && focusWasInside) {
      const target = back?.isConnected ? back : hooks.fallbackFocus(closedId);
      target?.focus();
    }
  }

  function notFound(id) {
    toasts.show({ kind: "error", code: "NOT_FOUND", message: `Flow run ${id} does not exist.` });
    close();
  }

  function render(run) {
    const now = Date.now();
    openRun = run;
    els.drawer.dataset.runId = run.id;
    els.drawer.dataset.state = run.state ?? "";
    setText(els.name, run.name || run.id);
    setText(els.flow, run.flow?.name ?? "");
    paintBadge(els.state, run.state, states, run.state_message);
    setText(els.message, run.state_message ?? "");

    const facts = [
      ["Scheduled", formatTime(run.scheduled_start_time), run.scheduled_start_time],
      ["Started", formatTime(run.start_time), run.start_time],
      ["Ended", formatTime(run.end_time), run.end_time],
      ["Duration", formatDuration(runDuration(run, now))],
      ["Version", run.version ?? "—"],
    ];
    reconcile(els.facts, facts, ([k]) => k,
      ([k]) => h("div", { class: "fact" }, h("dt", {}, k), h("dd", { dataset: { testid: `fact-${k.toLowerCase()}` } })),
      (el, [, v, iso]) => {
        const dd = el.querySelector("dd");
        setText(dd, v);
        setAttr(dd, "title", iso ? formatFullTime(iso) : null);
      });
    const labels = run.labels ?? [];
    setText(els.meta, `Run ID ${run.id}${labels.length ? ` · labels ${labels.join(", ")}` : ""}`);

    const params = run.parameters && typeof run.parameters === "object" ? run.parameters : {};
    els.paramsSection.hidden = Object.keys(params).length === 0;
    setText(els.params, JSON.stringify(params, null, 2));
    reconcile(els.paramList, Object.entries(params), ([k]) => k,
      ([k]) => h("li", { dataset: { testid: "run-param", name: k } }, h("code", {}, k), h("span", { class: "param-value" })),
      (li, [, v]) => setText(li.querySelector(".param-value"), JSON.stringify(v)));

    reconcile(els.history, run.states ?? [], (s) => s.id ?? `${s.version}-${s.timestamp}`,
      () => h("li", { class: "step", dataset: { testid: "state-history-item" } }, h("span", {}), h("time", { class: "time muted" })),
      (li, s) => {
        li.dataset.state = s.state ?? "";
        paintBadge(li.firstChild, s.state, states);
        setAttr(li, "title", [s.message, formatFullTime(s.timestamp)].filter(Boolean).join("\n") || null);
        const time = li.querySelector("time");
        setText(time, formatTime(s.timestamp));
        setAttr(time, "datetime", s.timestamp ?? null);
      });

    const tasks = [...(run.task_runs ?? [])].sort(byStart);
    setText(els.tasksCount, tasks.length || "");
    els.tasksEmpty.hidden = tasks.length > 0;
    els.tasksTable.hidden = tasks.length === 0;
    reconcile(els.tasksBody, tasks, (t) => t.id,
      () => h("tr", { dataset: { testid: "task-run-row" } },
        h("td", { class: "task-name" }), h("td", {}, h("span", { dataset: { testid: "task-run-state" } })),
        h("td", { class: "time col-start" }), h("td", { class: "time col-end" }), h("td", { class: "num time" })),
      (tr, t) => {
        tr.dataset.state = t.state ?? "";
        const name = t.task?.name ?? t.name ?? t.task?.slug ?? "task";
        setText(tr.children[0], t.map_index != null && t.map_index >= 0 ? `${name} [${t.map_index}]` : name);
        paintBadge(tr.children[1].firstChild, t.state, states, t.state_message);
        setText(tr.children[2], formatTime(t.start_time));
        setText(tr.children[3], formatTime(t.end_time));
        setText(tr.children[4], formatDuration(runDuration(t, now)));
      });

    const taskNames = new Map(tasks.map((t) => [t.id, t.task?.name ?? t.name ?? t.task?.slug]));
    const logs = els.logs;
    const atBottom = logs.scrollHeight - logs.scrollTop - logs.clientHeight < 24;
    const entries = run.logs ?? [];
    setText(els.logsCount, entries.length >= LOG_LIMIT ? `latest ${LOG_LIMIT}` : entries.length || "");
    els.logsEmpty.hidden = entries.length > 0;
    reconcile(logs, entries, (l) => l.id ?? `${l.timestamp}-${l.message}`,
      (l) => h("div", { class: "log-row", dataset: { testid: "log-row", level: String(l.level ?? "INFO").toUpperCase() } },
        h("time", { class: "log-time" }, formatTime(l.timestamp)),
        h("span", { class: "log-level" }, String(l.level ?? "INFO").toUpperCase()),
        h("span", { class: "log-name", title: l.name ?? "" }, taskNames.get(l.task_run_id) ?? String(l.name ?? "").split(".").pop()),
        h("span", { class: "log-message" }, l.message ?? "")),
      () => {});
    if (atBottom) logs.scrollTop = logs.scrollHeight;

    const finished = states.isFinished(run.state);
    els.cancel.disabled = finished || run.state === "Cancelling";
    setAttr(els.cancel, "title", finished ? "The run has finished" : null);
    els.runNow.disabled = states.isRunning(run.state);
  }

  async function busy(button, fn) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      return await fn();
    } finally {
      button.removeAttribute("aria-busy");
      button.disabled = false;
      if (openRun) render(openRun);
    }
  }

  els.close.addEventListener("click", () => close());

  /** A button that acts on the open run: `call(api, id)`, then `done(answer)`. */
  function action(button, label, call, done) {
    button.addEventListener("click", () => {
      const id = openId;
      if (!id) return;
      busy(button, async () => {
        try {
          done(await call(getApi(), id));
          onChanged();
        } catch (err) {
          toasts.error(err, label);
        }
      });
    });
  }

  action(els.runNow, "Run now", (api, id) => api.runNow(id),
    (state) => toasts.ok(`Run queued: ${state?.type ?? "Scheduled"} now.`));
  action(els.cancel, "Cancel", (api, id) => api.cancel(id),
    (state) => toasts.ok(state ? `Cancellation requested: ${state}.` : "Cancellation requested."));

  els.setStateForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = openId;
    if (!id) return;
    const type = els.setStateType.value;
    const expected = els.setStateExpected.value || undefined;
    const message = els.setStateMessage.value.trim();
    const state = message ? { type, message } : type;
    busy(event.submitter ?? els.setStateSubmit, async () => {
      try {
        const result = await getApi().setState(id, state, expected);
        toasts.ok(`State set to ${result?.type ?? type}.`);
        els.setStateMessage.value = "";
        onChanged();
      } catch (err) {
        toasts.error(err, `Set state ${type}${expected ? ` (expected ${expected})` : ""}`);
      }
    });
  });

  return {
    open,
    close,
    /** The run the poll just read (if it is still the open one). */
    update(id, run) {
      if (id !== openId) return;
      if (run) render(run);
      else notFound(id);
    },
    /** The state types the selects offer (the server's list). */
    setStateTypes(types) {
      const fill = (select, first) => {
        const value = select.value;
        select.replaceChildren(...first, ...types.map((s) => h("option", { value: s }, s)));
        if ([...select.options].some((o) => o.value === value)) select.value = value;
      };
      fill(els.setStateType, []);
      fill(els.setStateExpected, [h("option", { value: "" }, "any state")]);
    },
    /** Repaints the open run (the state colours changed). */
    refresh() {
      if (openRun) render(openRun);
    },
    get openId() {
      return openId;
    },
    get element() {
      return els.drawer;
    },
  };
}

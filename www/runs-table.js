// The runs table and the state summary above it (a chip per state with its count; a chip filters
// the table to that state). Rows are patched in place, never rebuilt, so a run changing state does
// not flicker; a run just created flashes once when it first appears.

import { h, reconcile, setAttr, setText } from "./dom.js";
import { compareText, formatDuration, formatFullTime, formatTime, relative, runDuration } from "./format.js";
import { paintBadge } from "./badge.js";

const DURATION = 6; // the Duration cell's index in a row

/** A plain click (no modifier, main button): the page opens the run itself rather than following the link. */
function plainClick(e) {
  return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey;
}

export function createRunsTable(byId, { states, onOpen }) {
  const els = { title: byId("runs-title"), summary: byId("state-summary"), body: byId("runs-body"), empty: byId("runs-empty") };
  let runs = [];
  let filter = null; // show only runs in this state
  let openId = null;
  const fresh = new Set(); // runs just created, flashed once when they appear
  const skeleton = [...els.body.children].map((tr) => tr.cloneNode(true));

  function createRow(run) {
    const link = h("a", { href: `#/runs/${encodeURIComponent(run.id)}`, class: "run-name", dataset: { testid: "run-name" },
      onclick: (e) => { if (plainClick(e)) { e.preventDefault(); onOpen(run.id, link); } } });
    const tr = h("tr", { class: "run-row", dataset: { testid: "run-row", runId: run.id }, onclick: (e) => { if (!e.target.closest("a")) onOpen(run.id, link); } },
      h("td", { class: "run-name-cell" }, link, h("span", { class: "run-sub muted" })),
      h("td", { dataset: { testid: "run-flow" }, class: "muted col-flow" }),
      h("td", {}, h("span", { dataset: { testid: "run-state" } })),
      h("td", { dataset: { testid: "run-scheduled" }, class: "time col-scheduled" }),
      h("td", { dataset: { testid: "run-start" }, class: "time col-start" }),
      h("td", { dataset: { testid: "run-end" }, class: "time col-end" }),
      h("td", { dataset: { testid: "run-duration" }, class: "num time" }));
    if (fresh.delete(run.id)) {
      tr.classList.add("flash");
      setTimeout(() => tr.classList.remove("flash"), 2500);
    }
    return tr;
  }

  function updateRow(tr, run, now) {
    const cells = tr.children;
    tr.dataset.state = run.state ?? "";
    tr.classList.toggle("open", run.id === openId);
    setText(cells[0].firstChild, run.name || run.id);
    setText(cells[0].lastChild, [run.flow?.name, run.start_time ? `started ${formatTime(run.start_time, new Date(now))}` : null].filter(Boolean).join(" · "));
    setText(cells[1], run.flow?.name ?? "—");
    paintBadge(cells[2].firstChild, run.state, states, run.state_message);
    setTime(cells[3], run.scheduled_start_time, now);
    setTime(cells[4], run.start_time, now);
    setTime(cells[5], run.end_time, now);
    setText(cells[DURATION], formatDuration(runDuration(run, now)));
  }

  function setTime(el, value, now) {
    setText(el, formatTime(value, new Date(now)));
    setAttr(el, "title", value ? `${formatFullTime(value)} (${relative(value, now)})` : null);
  }

  function renderSummary() {
    const counts = new Map();
    for (const run of runs) counts.set(run.state, (counts.get(run.state) ?? 0) + 1);
    if (filter && !counts.has(filter)) counts.set(filter, 0);
    const items = [...counts.entries()].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
    reconcile(els.summary, items, ([s]) => s,
      ([s]) => h("button", { type: "button", class: "chip", dataset: { testid: "summary-chip", state: s }, title: `Show only ${s} runs`,
        onclick: () => { filter = filter === s ? null : s; render(); } },
        h("i", { class: "chip-dot", "aria-hidden": "true" }), h("span", { class: "chip-label" }), h("b", {})),
      (el, [s, n]) => {
        setAttr(el, "aria-pressed", String(filter === s));
        el.querySelector(".chip-dot").style.background = states.color(s);
        setText(el.querySelector(".chip-label"), s);
        setText(el.querySelector("b"), n);
      });
  }

  function render(now = Date.now()) {
    const shown = filter ? runs.filter((r) => r.state === filter) : runs;
    els.empty.hidden = shown.length > 0;
    setText(els.empty, runs.length ? `No ${filter} runs right now.` : "No flow runs yet. Start one with New run.");
    reconcile(els.body, shown, (r) => r.id, createRow, (tr, run) => updateRow(tr, run, now));
    renderSummary();
  }

  function linkOf(id) {
    for (const tr of els.body.children) if (tr.dataset.runId === id) return tr.querySelector("a");
    return null;
  }

  return {
    setRuns(list, now) {
      runs = list;
      render(now);
    },
    /** Repaints with the runs it has (the state colours changed). */
    refresh() {
      if (runs.length || !els.body.querySelector(".skeleton")) render();
    },
    /** Back to skeleton rows until the next runs arrive (a new server, another flow). */
    reset({ keepFilter = false } = {}) {
      runs = [];
      if (!keepFilter) filter = null;
      els.empty.hidden = true;
      els.body.replaceChildren(...skeleton.map((tr) => tr.cloneNode(true)));
      renderSummary();
    },
    setTitle(flowName) {
      setText(els.title, flowName ? `Flow runs · ${flowName}` : "Flow runs");
    },
    markFresh(id) {
      fresh.add(id);
    },
    highlight(id) {
      openId = id;
      for (const tr of els.body.children) tr.classList.toggle("open", id !== null && tr.dataset.runId === id);
    },
    /** Live durations of the runs still going, between polls. */
    tickClock(now) {
      for (const tr of els.body.children) {
        const run = runs.find((r) => r.id === tr.dataset.runId);
        if (run && run.start_time && !run.end_time) setText(tr.children[DURATION], formatDuration(runDuration(run, now)));
      }
    },
    linkOf,
    get runs() {
      return runs;
    },
  };
}

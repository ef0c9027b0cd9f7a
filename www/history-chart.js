// Prefect's run-history strip: a list of buttons, one per recent run (oldest left, height =
// duration, colour = state), each named after its run. As many as fit at 24 px each (the least a
// touch target may be); one tab stop for the whole strip, arrow keys move between the bars.

import { h, reconcile, setAttr } from "./dom.js";
import { formatDuration, runDuration } from "./format.js";

const BAR_PX = 26; // a 24 px button and its 2 px gap (style.css .history)
const MAX_BARS = 60;

export function createHistoryChart(byId, { states, onOpen }) {
  const list = byId("run-history");
  let focusId = null; // the bar that takes the tab stop
  let width = 0; // the strip's width, from setWidth (reading it here would force a layout on every poll)

  function bars() {
    return [...list.querySelectorAll("button.bar")];
  }

  function moveFocus(to) {
    const all = bars();
    const target = all[Math.max(0, Math.min(all.length - 1, to))];
    if (!target) return;
    for (const b of all) b.tabIndex = b === target ? 0 : -1;
    focusId = target.dataset.runId;
    target.focus();
  }

  list.addEventListener("keydown", (e) => {
    const all = bars();
    const at = all.indexOf(e.target);
    if (at < 0) return;
    const to = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: all.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    moveFocus(to);
  });

  /** How many bars fit the strip's width. */
  function capacity() {
    return width > 0 ? Math.max(1, Math.min(MAX_BARS, Math.floor(width / BAR_PX))) : MAX_BARS;
  }

  return {
    /** `runs`: latest first, as the table has them; `openId`: the run open in the detail. */
    render(runs, now, openId) {
      const shown = runs.slice(0, capacity()).reverse();
      const durations = new Map(shown.map((r) => [r.id, runDuration(r, now) ?? 0]));
      const max = Math.max(1000, ...durations.values());
      if (!shown.some((r) => r.id === focusId)) focusId = shown[shown.length - 1]?.id ?? null;
      reconcile(list, shown, (r) => r.id,
        (r) => h("li", {},
          h("button", { type: "button", class: "bar", dataset: { testid: "history-bar", runId: r.id }, onclick: (e) => onOpen(r.id, e.currentTarget) },
            h("i", { "aria-hidden": "true" }))),
        (li, r) => {
          const d = durations.get(r.id);
          const bar = li.firstChild;
          const fill = bar.firstChild;
          fill.style.background = states.color(r.state);
          fill.style.height = `${Math.max(8, Math.round((Math.sqrt(d) / Math.sqrt(max)) * 100))}%`;
          bar.dataset.state = r.state ?? "";
          bar.tabIndex = r.id === focusId ? 0 : -1;
          bar.classList.toggle("open", r.id === openId);
          const label = `${r.name}: ${r.state ?? "no state"}, ${formatDuration(d || null)}${r.flow?.name ? ` (${r.flow.name})` : ""}`;
          setAttr(bar, "aria-label", label);
          setAttr(bar, "title", label);
        });
    },
    get element() {
      return list;
    },
    /** The strip's content width (a ResizeObserver's reading); true when it changes how many bars fit. */
    setWidth(px) {
      const before = capacity();
      width = px;
      return capacity() !== before;
    },
    /** The bar of run `id`, if it is shown. */
    barOf(id) {
      return bars().find((b) => b.dataset.runId === id) ?? null;
    },
    highlight(openId) {
      for (const b of bars()) b.classList.toggle("open", b.dataset.runId === openId);
    },
  };
}

// The flows list: pick one to filter the runs ("All flows" for none), or start a run of it. Each
// flow shows a thin bar of its recent runs' states.

import { h, reconcile, setAttr, setText } from "./dom.js";
import { flowParameters } from "./api.js";

const ALL = "__all";
const BAR_RUNS = 20;

export function createFlows(byId, { states, onSelect, onNewRun }) {
  const els = { list: byId("flows-list"), count: byId("flows-count"), empty: byId("flows-empty") };
  let flows = [];
  let selectedId = null;
  let byFlow = new Map(); // flow id → the states of its runs loaded now, latest first
  const skeleton = [...els.list.children].map((li) => li.cloneNode(true));

  function select(id) {
    if (selectedId === id) return;
    selectedId = id;
    render();
    onSelect(flows.find((f) => f.id === id) ?? null);
  }

  function createItem(flow) {
    if (flow.id === ALL) {
      return h("li", { class: "flow-item flow-all" },
        h("button", { type: "button", class: "flow-select", dataset: { testid: "flow-all" }, onclick: () => select(null) },
          h("span", { class: "flow-name" }, "All flows")));
    }
    const subId = `flow-sub-${flow.id}`;
    return h("li", { class: "flow-item", dataset: { testid: "flow-item", flowId: flow.id } },
      h("button", { type: "button", class: "flow-select", "aria-describedby": subId, onclick: () => select(flow.id) },
        h("span", { class: "flow-name", dataset: { testid: "flow-name" } }),
        h("span", { class: "flow-sub", id: subId, "aria-hidden": "true" }),
        h("span", { class: "flow-bar", "aria-hidden": "true" })),
      h("button", { type: "button", class: "btn btn-small flow-run", dataset: { testid: "flow-new-run" }, onclick: (e) => onNewRun(flow.id, e.currentTarget) }, "Run"));
  }

  function updateItem(li, flow) {
    const button = li.querySelector(".flow-select");
    const selected = (flow.id === ALL && !selectedId) || flow.id === selectedId;
    setAttr(button, "aria-pressed", String(selected));
    li.classList.toggle("selected", selected);
    if (flow.id === ALL) return;
    setText(li.querySelector(".flow-name"), flow.name);
    const params = flowParameters(flow);
    const sub = [flow.project?.name, flow.version != null ? `v${flow.version}` : null, params.length ? `${params.length} parameter${params.length > 1 ? "s" : ""}` : null]
      .filter(Boolean).join(" · ");
    setText(li.querySelector(".flow-sub"), sub);
    setAttr(li.querySelector(".flow-run"), "aria-label", `New run of ${flow.name}`);
    setAttr(button, "title", flow.description || null);
    paintBar(li.querySelector(".flow-bar"), (byFlow.get(flow.id) ?? []).slice(0, BAR_RUNS).reverse());
  }

  function paintBar(bar, runStates) {
    const sig = runStates.map((s) => `${s}:${states.color(s)}`).join(",");
    if (bar.dataset.sig === sig) return;
    bar.dataset.sig = sig;
    bar.replaceChildren(...runStates.map((s) => h("i", { style: { background: states.color(s) }, title: s })));
  }

  function render() {
    setText(els.count, flows.length || "");
    els.empty.hidden = flows.length > 0;
    reconcile(els.list, [{ id: ALL }, ...flows], (f) => f.id, createItem, updateItem);
  }

  return {
    setFlows(list) {
      flows = list;
      render();
    },
    /** The runs loaded now, for each flow's bar. */
    setRuns(runs) {
      byFlow = new Map();
      for (const run of runs) {
        const id = run.flow?.id;
        if (!id) continue;
        if (!byFlow.has(id)) byFlow.set(id, []);
        byFlow.get(id).push(run.state);
      }
      if (flows.length) render();
    },
    /** Back to the skeleton of a page still loading. */
    reset() {
      flows = [];
      selectedId = null;
      byFlow = new Map();
      els.empty.hidden = true;
      setText(els.count, "");
      els.list.replaceChildren(...skeleton.map((li) => li.cloneNode(true)));
    },
    get flows() {
      return flows;
    },
    get selectedId() {
      return selectedId;
    },
  };
}

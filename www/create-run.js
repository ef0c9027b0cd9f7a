// The New-run dialog: a flow, a name, parameters as JSON (prefilled with the flow's defaults, its
// parameters listed beside), a scheduled start. It opens on its first field and shows no error
// until the user submits: the page only checks what the server cannot (the JSON must parse, and
// names the flow does not declare are typos the server would store silently); whether the required
// parameters are there is the server's rule, and its answer is shown under the field.

import { h, setText } from "./dom.js";
import { describeError, flowParameters } from "./api.js";

function quoted(names) {
  return names.map((k) => `"${k}"`).join(", ");
}

export function createRunDialog(byId, { toasts, getApi, getFlows, onCreated }) {
  const els = {
    dialog: byId("create-run-dialog"), form: byId("create-run-form"), flow: byId("create-run-flow"), name: byId("create-run-name"),
    help: byId("create-run-params-help"), params: byId("create-run-parameters"), error: byId("create-run-error"),
    start: byId("create-run-start"), cancel: byId("create-run-cancel"), submit: byId("create-run-submit"),
  };
  let edited = false; // the user typed parameters: switching flows keeps them
  let opener = null;

  function currentFlow() {
    return getFlows().find((f) => f.id === els.flow.value);
  }

  function showError(message) {
    setText(els.error, message ?? "");
    els.params.setAttribute("aria-invalid", message ? "true" : "false");
  }

  function fillParams() {
    const params = flowParameters(currentFlow());
    if (params.length === 0) {
      els.help.replaceChildren(h("p", { class: "muted" }, "This flow takes no parameters."));
    } else {
      els.help.replaceChildren(
        h("p", { class: "param-title" }, "Parameters of this flow"),
        h("ul", { class: "params" }, params.map((p) =>
          h("li", { dataset: { testid: "param", name: p.name } },
            h("code", {}, p.name),
            p.required ? h("span", { class: "tag tag-required" }, "required") : h("span", { class: "tag" }, "optional"),
            h("span", { class: "muted" }, p.default !== null && p.default !== undefined ? `default ${JSON.stringify(p.default)}` : "no default")))));
    }
    if (!edited) {
      const defaults = Object.fromEntries(params.map((p) => [p.name, p.default ?? null]));
      els.params.value = JSON.stringify(defaults, null, 2);
    }
    showError(null);
  }

  /** The parameters as a value, or the reason they cannot be sent. */
  function readParams() {
    const text = els.params.value.trim();
    let value = {};
    if (text !== "") {
      try {
        value = JSON.parse(text);
      } catch (err) {
        return { error: `Parameters are not valid JSON: ${err.message}` };
      }
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { error: "Parameters must be a JSON object, like {\"name\": \"value\"}." };
    }
    const declared = flowParameters(currentFlow()).map((p) => p.name);
    const unknown = Object.keys(value).filter((k) => !declared.includes(k));
    if (unknown.length) {
      return { error: `Unknown parameter${unknown.length > 1 ? "s" : ""} ${quoted(unknown)}; this flow takes ${declared.length ? quoted(declared) : "none"}.` };
    }
    return { value };
  }

  function open(flowId, from) {
    const flows = getFlows();
    if (flows.length === 0) {
      toasts.show({ kind: "error", code: "NO_FLOWS", message: "There is no flow to run yet." });
      return;
    }
    opener = from ?? null;
    els.flow.replaceChildren(...flows.map((f) =>
      h("option", { value: f.id }, `${f.name}${f.version != null ? ` (v${f.version})` : ""}${f.project?.name ? ` · ${f.project.name}` : ""}`)));
    els.flow.value = flows.some((f) => f.id === flowId) ? flowId : flows[0].id;
    els.name.value = "";
    els.start.value = "";
    edited = false;
    fillParams();
    els.dialog.showModal();
    els.flow.focus();
  }

  els.flow.addEventListener("change", fillParams);
  els.params.addEventListener("input", () => {
    edited = true;
    showError(null);
  });
  els.cancel.addEventListener("click", () => els.dialog.close());
  els.dialog.addEventListener("close", () => {
    if (opener?.isConnected) opener.focus();
    opener = null;
  });

  els.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const flow = currentFlow();
    const { value, error } = readParams();
    if (error || !flow) {
      showError(error ?? "Choose a flow.");
      els.params.focus();
      return;
    }
    const options = { parameters: value };
    const name = els.name.value.trim();
    if (name) options.name = name;
    if (els.start.value) {
      const when = new Date(els.start.value);
      if (Number.isNaN(when.getTime())) {
        showError("The scheduled start is not a valid time.");
        els.start.focus();
        return;
      }
      options.scheduledStartTime = when.toISOString();
    }
    els.submit.disabled = true;
    try {
      const { id } = await getApi().createRun(flow.id, options);
      onCreated(id);
      els.dialog.close();
      toasts.ok(`Created ${name ? `“${name}”` : "a run"} of ${flow.name}.`);
    } catch (err) {
      // the server's answer (e.g. a required parameter missing), where the user is looking
      const { code, message } = describeError(err);
      showError(`${code}: ${message}`);
      els.params.focus();
    } finally {
      els.submit.disabled = false;
    }
  });

  return {
    open,
    get isOpen() {
      return els.dialog.open;
    },
  };
}

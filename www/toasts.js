// Toasts: one per distinct message (a repeat bumps a counter), errors kept longer than successes.
// The page keeps room below its content for the stack (--toasts-height), so no row stays under it.

import { h, setText } from "./dom.js";
import { describeError } from "./api.js";

const MAX = 4;
const ERROR_MS = 15_000;
const OK_MS = 4000;

export function createToasts(container) {
  const timers = new WeakMap();
  const root = container.ownerDocument.documentElement;
  let reserved = 0;
  new ResizeObserver(([entry]) => {
    const height = entry.borderBoxSize[0].blockSize;
    // the stack's height and its distance from the bottom edge; the page restyles only on a change
    const room = height ? Math.ceil(height + container.ownerDocument.defaultView.innerHeight - container.getBoundingClientRect().bottom) : 0;
    if (room === reserved) return;
    reserved = room;
    root.style.setProperty("--toasts-height", `${room}px`);
  }).observe(container);

  function arm(el, ms) {
    clearTimeout(timers.get(el));
    timers.set(el, setTimeout(() => el.remove(), ms));
  }

  function show({ kind = "error", code, message, timeout }) {
    const ms = timeout ?? (kind === "error" ? ERROR_MS : OK_MS);
    const key = `${kind}|${code ?? ""}|${message}`;
    for (const el of container.children) {
      if (el.dataset.key !== key) continue;
      const n = Number(el.dataset.repeat ?? 1) + 1;
      el.dataset.repeat = String(n);
      setText(el.querySelector(".toast-repeat"), `×${n}`);
      arm(el, ms);
      return el;
    }
    const el = h("div", { class: `toast toast-${kind}`, dataset: { testid: "toast", kind, key, code: code ?? "" }, role: kind === "error" ? "alert" : null },
      h("div", { class: "toast-body" },
        code ? h("span", { class: "toast-code", dataset: { testid: "toast-code" } }, code) : null,
        h("span", { class: "toast-message", dataset: { testid: "toast-message" } }, message),
        h("span", { class: "toast-repeat", "aria-hidden": "true" })),
      h("button", { type: "button", class: "toast-dismiss", dataset: { testid: "toast-dismiss" }, "aria-label": "Dismiss", onclick: () => el.remove() }, "✕"));
    container.append(el);
    while (container.children.length > MAX) container.firstElementChild.remove();
    arm(el, ms);
    return el;
  }

  return {
    show,
    /** An error as a toast: its code, and its message after `context`. */
    error(err, context) {
      const { code, message } = describeError(err);
      console.error(context ?? "error", err);
      return show({ kind: "error", code, message: context ? `${context}: ${message}` : message });
    },
    ok(message) {
      return show({ kind: "success", message });
    },
  };
}

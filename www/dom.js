// A few DOM helpers: build elements, patch text without touching unchanged nodes.

/** h("div", { class: "x", dataset: { testid: "y" }, onclick }, child, ...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Sets textContent only when it changes (no re-layout, no flicker, selection kept). */
export function setText(el, text) {
  const value = text == null ? "" : String(text);
  if (el.textContent !== value) el.textContent = value;
}

export function setAttr(el, name, value) {
  if (value == null) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== String(value)) el.setAttribute(name, String(value));
}

/**
 * Keyed list reconciliation: `items` in order, `key(item)`, `create(item)` → element,
 * `update(el, item)`. Existing elements are reused and only moved when out of place.
 */
export function reconcile(container, items, key, create, update) {
  const existing = new Map();
  for (const el of [...container.children]) {
    if (el.dataset.key != null) existing.set(el.dataset.key, el);
    else el.remove();
  }
  let index = 0;
  for (const item of items) {
    const k = String(key(item));
    let el = existing.get(k);
    if (el) existing.delete(k);
    else {
      el = create(item);
      el.dataset.key = k;
    }
    update(el, item);
    const at = container.children[index];
    if (at !== el) container.insertBefore(el, at ?? null);
    index++;
  }
  for (const el of existing.values()) el.remove();
}

// A state badge: the state's colour as the fill, with text in whichever of the page's inks reads on it.

import { setAttr, setText } from "./dom.js";
import { readableOn } from "./contrast.js";

let inks = null;

/** The page's two text colours (--ink and --ink-light in style.css), read once. */
function pageInks(el) {
  if (!inks) {
    const css = getComputedStyle(el.ownerDocument.documentElement);
    const read = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
    inks = { dark: read("--ink", "#1A1F2B"), light: read("--ink-light", "#FFFFFF") };
  }
  return inks;
}

/** Paints `el` as the badge of state `type` (`states`: a StateInfo), with `message` as its tooltip. */
export function paintBadge(el, type, states, message) {
  const { fill, ink } = readableOn(states.color(type), pageInks(el));
  el.classList.add("badge");
  el.classList.toggle("badge-live", states.isRunning(type));
  setText(el, type ?? "—");
  el.dataset.state = type ?? "";
  el.style.setProperty("--state", fill);
  el.style.setProperty("--state-text", ink);
  setAttr(el, "title", message || null);
}

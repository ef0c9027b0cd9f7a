// axe-core (pinned in package-lock.json) on the page as it is now: every rule axe runs by default
// (WCAG 2.x A/AA and its best practices). Each check is recorded for artifacts/axe.json.
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const AXE_VERSION = JSON.parse(readFileSync(require.resolve("axe-core/package.json"), "utf8")).version;

const report = [];

/** A readable line per violation: rule, impact, the elements and axe's summary of what is wrong. */
function describe(violations) {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.slice(0, 5)
    .map((n) => `    ${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1).join("; ")}`).join("\n")}`);
}

/**
 * Runs axe on `page` and returns its violations as lines (empty when there are none). Injected
 * through the DevTools protocol (page.evaluate), which a Content-Security-Policy does not block.
 */
export async function axeViolations(page, state) {
  // colours mid-transition (a drawer sliding in) are not the page's colours: let those settle
  await page.evaluate(() => Promise.all(document.getAnimations()
    .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
    .map((a) => a.finished.catch(() => {}))));
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const viewport = page.viewportSize();
  report.push({ state, viewport: `${viewport.width}x${viewport.height}`, violations: result.violations.length,
    rules: result.violations.map((v) => v.id), passes: result.passes.length });
  return describe(result.violations);
}

/** Writes what the checks found to `file` (artifacts/axe.json). */
export function writeAxeReport(file) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ axe: AXE_VERSION, checks: report }, null, 2)}\n`);
}

// `make audit`: Lighthouse on the demo dashboard, mobile and desktop presets, against a dev server
// started here (--demo --simulate, in memory, a free loopback port). Prints the four category
// scores, FCP, LCP, TBT, CLS and the page's transferred bytes; the reports go to artifacts/lighthouse/.
//
//   node scripts/audit.mjs                 # what `make audit` runs (3 runs per preset, the median)
//   AUDIT_RUNS=1 node scripts/audit.mjs    # quicker, noisier
//   AUDIT_URL=http://127.0.0.1:4200/ui/ node scripts/audit.mjs   # audit a server already running
//   AUDIT_WWW=/other/checkout/www node scripts/audit.mjs          # another version of the page (before/after)
//   PREFECT_DEV_SERVER_BIN=/path/to/server node scripts/audit.mjs # another server (e.g. with compression)
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../tests/support/server-process.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "artifacts", "lighthouse");
const CHROME = process.env.CHROME_PATH ?? "/usr/bin/chromium";
const SERVER_BIN = process.env.PREFECT_DEV_SERVER_BIN ?? path.join(root, "target/debug/prefect-dev-server");
const RUNS = Math.max(1, Number(process.env.AUDIT_RUNS ?? 3));
const WWW = path.resolve(process.env.AUDIT_WWW ?? path.join(root, "www"));
const LIGHTHOUSE = path.join(root, "node_modules/lighthouse/cli/index.js");
// The headless flags of TOOLCHAIN.md (no sandbox as root, no GPU, no background traffic).
const CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run";

const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"];
const METRICS = [
  ["first-contentful-paint", "FCP", (v) => `${Math.round(v)} ms`],
  ["largest-contentful-paint", "LCP", (v) => `${Math.round(v)} ms`],
  ["total-blocking-time", "TBT", (v) => `${Math.round(v)} ms`],
  ["cumulative-layout-shift", "CLS", (v) => v.toFixed(3)],
  ["total-byte-weight", "bytes", (v) => `${(v / 1024).toFixed(1)} KiB`],
];

function lighthouse(url, preset, file) {
  const args = [LIGHTHOUSE, url, "--quiet", "--output=json", "--output=html", `--output-path=${file}`,
    `--chrome-flags=${CHROME_FLAGS}`, `--only-categories=${CATEGORIES.join(",")}`];
  if (preset === "desktop") args.push("--preset=desktop");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, CHROME_PATH: CHROME }, stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => { stderr += chunk; });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(JSON.parse(readFileSync(`${file}.report.json`, "utf8")));
      else reject(new Error(`lighthouse ${preset} exited ${code}\n${stderr.slice(-4000)}`));
    });
  });
}

function summarize(lhr) {
  const row = {};
  for (const c of CATEGORIES) row[c] = Math.round((lhr.categories[c]?.score ?? NaN) * 100);
  for (const [id, , fmt] of METRICS) row[id] = { value: lhr.audits[id]?.numericValue ?? NaN, text: fmt(lhr.audits[id]?.numericValue ?? NaN) };
  const lcp = lhr.audits["largest-contentful-paint-element"]?.details?.items?.[0];
  row.lcpElement = (lcp?.items?.[0]?.node ?? lcp?.node)?.snippet ?? "?";
  row.failing = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== "informative" && a.scoreDisplayMode !== "notApplicable"
      && a.scoreDisplayMode !== "manual")
    .map((a) => a.id);
  return row;
}

/** The run with the median performance score (ties: the median LCP). */
function median(rows) {
  const sorted = [...rows].sort((a, b) => a.performance - b.performance || a["largest-contentful-paint"].value - b["largest-contentful-paint"].value);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function main() {
  if (!existsSync(LIGHTHOUSE)) throw new Error("lighthouse is not installed: npm ci (scripts/setup.sh)");
  if (!existsSync(CHROME)) throw new Error(`no Chromium at ${CHROME} (set CHROME_PATH)`);
  mkdirSync(out, { recursive: true });
  let server = null;
  let url = process.env.AUDIT_URL;
  if (!url) {
    if (!existsSync(SERVER_BIN)) throw new Error(`no dev server at ${SERVER_BIN}: make build (or set PREFECT_DEV_SERVER_BIN)`);
    server = await startServer(SERVER_BIN, ["--listen", "127.0.0.1:0", "--db", ":memory:", "--demo", "--simulate",
      "--www", WWW, "--pkg", path.join(root, "pkg")], { cwd: root, name: "dev server", timeoutMs: 20_000 });
    url = `${server.url}/ui/`;
  }
  const results = {};
  try {
    for (const preset of ["mobile", "desktop"]) {
      const rows = [];
      for (let i = 1; i <= RUNS; i++) {
        process.stderr.write(`audit: lighthouse ${preset} ${i}/${RUNS} on ${url}\n`);
        rows.push(summarize(await lighthouse(url, preset, path.join(out, `${preset}-${i}`))));
      }
      results[preset] = { median: median(rows), runs: rows };
    }
  } finally {
    await server?.stop();
  }
  const header = ["preset", ...CATEGORIES, ...METRICS.map(([, label]) => label)];
  const lines = [header, ...Object.entries(results).map(([preset, { median: m }]) =>
    [preset, ...CATEGORIES.map((c) => String(m[c])), ...METRICS.map(([id]) => m[id].text)])];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  const fmt = (l) => `| ${l.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(`Lighthouse ${JSON.parse(readFileSync(path.join(root, "node_modules/lighthouse/package.json"), "utf8")).version}, median of ${RUNS} run(s), ${url}`);
  console.log(fmt(lines[0]));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const l of lines.slice(1)) console.log(fmt(l));
  for (const [preset, { median: m }] of Object.entries(results)) {
    console.log(`${preset}: LCP element ${m.lcpElement}`);
    if (m.failing.length) console.log(`${preset}: audits below 0.9: ${m.failing.join(", ")}`);
  }
  console.log(`reports: ${path.relative(root, out)}/<preset>-<n>.report.html`);
}

main().catch((err) => {
  console.error(err.stack ?? err);
  process.exit(1);
});

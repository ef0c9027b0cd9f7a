// End-to-end: the dev server's Content-Security-Policy in Debian's Chromium. The dashboard in
// www/ loads, initializes the wasm client and connects with no CSP violation; the page may
// fetch any loopback server (the CORS rule) and nothing else; an inline import map runs by the
// hash the server puts in the policy, and any other inline script is blocked. Run from the repo
// root (it needs pkg/web/, scripts/build-pkg.sh):
//
//   PREFECT_DEV_SERVER_BIN=$PWD/target/debug/prefect-dev-server node --test tests/e2e/
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer as startProcess } from "../support/server-process.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SERVER_BIN = process.env.PREFECT_DEV_SERVER_BIN;
const PKG_DIR = process.env.PREFECT_E2E_PKG_DIR ?? path.join(root, "pkg");
const CHROMIUM = process.env.PREFECT_E2E_CHROMIUM ?? "/usr/bin/chromium";
const STARTUP_MS = 20_000;

function startServer(www, extra = []) {
  if (!SERVER_BIN || !path.isAbsolute(SERVER_BIN) || !existsSync(SERVER_BIN)) {
    throw new Error("PREFECT_DEV_SERVER_BIN must be the absolute path of the prefect-dev-server binary");
  }
  if (!existsSync(path.join(PKG_DIR, "web/prefect_wasm.js"))) throw new Error(`no ${PKG_DIR}/web/prefect_wasm.js: build the package first`);
  return startProcess(SERVER_BIN, ["--listen", "127.0.0.1:0", "--db", ":memory:", ...extra, "--www", www, "--pkg", PKG_DIR],
    { cwd: root, name: "dev server", timeoutMs: STARTUP_MS });
}

/** A page that records every CSP violation (DOM events, and the console's reports of them). */
async function openPage(browser) {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(15_000);
  const consoleReports = [];
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) consoleReports.push(msg.text());
  });
  // an init script runs before the page's own and is not subject to its policy
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI });
    });
  });
  const violations = () => page.evaluate(() => window.__violations);
  return { page, consoleReports, violations };
}

describe("the dashboard under the server's Content-Security-Policy", { timeout: 120_000 }, () => {
  let dashboard, other, synthetic, browser, scratch;
  before(async () => {
    // a page of our own with an inline import map and one more inline script
    scratch = mkdtempSync(path.join(os.tmpdir(), "csp-e2e-"));
    writeFileSync(path.join(scratch, "index.html"), [
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>csp</title>",
      "<script type=\"importmap\">\r\n{ \"imports\": { \"prefect-wasm\": \"/pkg/web/prefect_wasm.js\" } }\r\n</script>",
      "<script>window.__inlineRan = true;</script>",
      "<script type=\"module\" src=\"main.js\"></script>",
      "</head><body></body></html>",
    ].join("\n"));
    writeFileSync(path.join(scratch, "main.js"),
      "import init, { Client } from \"prefect-wasm\";\nawait init();\nwindow.__client = typeof Client;\n");
    [dashboard, other, synthetic] = await Promise.all([
      startServer(path.join(root, "www"), ["--demo"]),
      startServer(path.join(root, "www")),
      startServer(scratch),
    ]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      timeout: STARTUP_MS,
    });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await Promise.all([dashboard, other, synthetic].map((s) => s?.kill()));
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("the dashboard loads, connects and lists flows with no violation", async () => {
    const { page, consoleReports, violations } = await openPage(browser);
    const answer = await page.goto(`${dashboard.url}/ui/`);
    const policy = answer.headers()["content-security-policy"];
    assert.match(policy, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.equal(answer.headers()["x-content-type-options"], "nosniff");
    assert.equal(answer.headers()["referrer-policy"], "no-referrer");
    await page.waitForSelector('[data-testid="connection-status"][data-state="connected"]');
    await page.locator('[data-testid="flow-item"]').first().waitFor({ state: "visible" });
    assert.deepEqual(await violations(), []);
    assert.deepEqual(consoleReports, []);
    // A reload revalidates the page (304): it keeps the policy that allows its import map.
    await page.reload();
    await page.waitForSelector('[data-testid="connection-status"][data-state="connected"]');
    assert.deepEqual(await violations(), []);
    assert.deepEqual(consoleReports, []);
    await page.close();
  });

  test("connect-src follows the CORS rule: another loopback server yes, another host no", async () => {
    const { page, violations } = await openPage(browser);
    await page.goto(`${dashboard.url}/ui/`);
    await page.waitForSelector('[data-testid="connection-status"][data-state="connected"]');
    const other_ = await page.evaluate((url) => fetch(`${url}/health`).then((r) => r.status, (e) => e.message), other.url);
    assert.equal(other_, 200);
    const elsewhere = await page.evaluate(() => fetch("https://example.com/").then(() => "fetched", () => "refused"));
    assert.equal(elsewhere, "refused");
    assert.deepEqual(await violations(), [{ directive: "connect-src", blocked: "https://example.com/" }]);
    await page.close();
  });

  test("an inline import map runs by its hash (and the wasm client with it); another inline script does not", async () => {
    const { page, violations } = await openPage(browser);
    const answer = await page.goto(`${synthetic.url}/ui/`);
    assert.match(answer.headers()["content-security-policy"], /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/]+=*';/);
    await page.waitForFunction(() => window.__client !== undefined);
    assert.equal(await page.evaluate(() => window.__client), "function", "main.js imported the client through the import map and initialized it");
    assert.equal(await page.evaluate(() => window.__inlineRan), undefined);
    assert.deepEqual(await violations(), [{ directive: "script-src-elem", blocked: "inline" }]);
    await page.close();
  });
});

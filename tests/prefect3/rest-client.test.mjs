// The REST client (api: "rest") against a real Prefect 3.9.1 server, the cases of _rest-cases.mjs
// run twice: in Node with the package's Node build (pkg/node), and in headless Chromium with its
// web build in a page served from another origin than the server (every call is cross-origin, as
// from a real web app). One server with Basic auth (PREFECT_SERVER_API_AUTH_STRING) and without
// services (--no-services: with them, SQLite answers 503 under load); the retry cases go through
// the fault proxy (tests/support/fault-proxy.mjs) in front of it.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { startFaultProxy } from "../support/fault-proxy.mjs";
import { startPrefect3Server } from "../support/prefect3-server.mjs";
import { root } from "../support/processes.mjs";
import { CASES, runCase } from "./_rest-cases.mjs";

const USER = "rest-user";
// ASCII: Prefect 3.9.1 answers 500 for any request when the auth string has non-ASCII characters
// (hmac.compare_digest on str); the colon checks that only the first one splits user and password.
const PASSWORD = "rest:p@ss";
const pkgDir = process.env.PREFECT_WASM_PKG ? path.resolve(process.env.PREFECT_WASM_PKG) : path.join(root, "pkg");
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

let server, proxy, page, flowId;
const h = {
  async api(method, p, body) {
    const res = await fetch(`${server.apiUrl}${p}`, {
      method,
      headers: { "content-type": "application/json", ...server.headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, json, text };
  },
  async run(extra = {}) {
    const r = await h.api("POST", "/flow_runs/", { flow_id: flowId, ...extra });
    assert.equal(r.status, 201, r.text);
    return r.json.id;
  },
  async deployment() {
    const r = await h.api("POST", "/deployments/", { name: `rest-${Math.random().toString(36).slice(2)}`, flow_id: flowId });
    assert.equal(r.status, 201, r.text);
    return r.json.id;
  },
  get proxy() {
    return proxy;
  },
};

before(async () => {
  server = await startPrefect3Server({ auth: `${USER}:${PASSWORD}`, services: false });
  console.log(`# prefect3 server (auth, --no-services): /api/health after ${(server.startupMs / 1000).toFixed(1)} s`);
  proxy = await startFaultProxy({ target: server.url, allRequests: true });
  flowId = (await h.api("POST", "/flows/", { name: "rest-client-flow" })).json.id;
});

after(async () => {
  await proxy?.close();
  await server?.stop();
});

function suite(label, exec) {
  describe(`REST client (${label})`, () => {
    for (const c of CASES) {
      test(c.name, { timeout: 60_000 }, async () => {
        proxy.reset();
        const d = { ...(await c.setup(h)), api: server.apiUrl, proxy: `${proxy.url}/api`, flowId, user: USER, password: PASSWORD };
        const r = await exec()({ src: c.run.toString(), d });
        assert.equal(r?.setupError, undefined, r?.setupError);
        await c.check(r, d, h);
        assert.ok(server.alive(), "the server is still up");
      });
    }
  });
}

suite("node", () => {
  globalThis.__prefect ??= createRequire(import.meta.url)(path.join(pkgDir, "node/prefect_wasm.js"));
  return runCase;
});

describe("chromium page on another origin", () => {
  let browser, pages;
  const logs = [];
  before(async () => {
    // A page server of its own (no target): the page's origin is neither the server's nor the proxy's.
    pages = await startFaultProxy({ staticDir: pkgDir });
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(`${pages.url}/__page`);
    await page.evaluate(async () => {
      const mod = await import("/pkg/web/prefect_wasm.js");
      await mod.default();
      globalThis.__prefect = mod;
    });
    assert.notEqual(new URL(pages.url).origin, new URL(server.url).origin);
  });
  after(async () => {
    if (logs.some((l) => l.startsWith("pageerror"))) console.log(logs.join("\n"));
    await browser?.close();
    await pages?.close();
  });
  suite("chromium", () => (arg) => page.evaluate(runCase, arg));
});

// Fault injection in headless Chromium: the same cases as faults.test.mjs, each call made in a
// page that loads the web build (pkg/web) from the fault proxy's own origin (the proxy serves
// pkg/ as static files), so the browser's fetch meets the same scripted faults. The --auth cases
// go to a second proxy on another origin (CORS preflights are answered by the proxy).
import { chromium } from "playwright-core";
import { faultSuite, runCall } from "./fault-cases.mjs";

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

faultSuite("chromium", async ({ openProxy }) => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
  const page = await browser.newPage();
  const logs = [];
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(`${openProxy.url}/__page`);
  await page.evaluate(async () => {
    const mod = await import("/pkg/web/prefect_wasm.js");
    await mod.default();
    globalThis.__prefect = mod;
  });
  const exec = async (d) => {
    const r = await page.evaluate(runCall, d);
    if (r.setupError && logs.length) r.setupError += `\n--- page console\n${logs.join("\n")}`;
    return r;
  };
  exec.close = () => browser.close();
  return exec;
});

import init, { Client, FlowRuns, TaskRuns, PrefectError } from "prefect-wasm";
import { check } from "./checks.js";

const ready = init();
self.onmessage = async ({ data: params }) => {
  try {
    await ready;
    self.postMessage({ ok: true, value: await check({ Client, FlowRuns, TaskRuns, PrefectError }, params) });
  } catch (error) {
    self.postMessage({ ok: false, error: String(error?.stack ?? error) });
  }
};

import init, { Client, FlowRuns, TaskRuns, PrefectError } from "prefect-wasm";
import wasmUrl from "prefect-wasm/web/prefect_wasm_bg.wasm";
import { check, browserParams, report } from "./checks.js";

await init({ module_or_path: wasmUrl });
report(check({ Client, FlowRuns, TaskRuns, PrefectError }, browserParams()));

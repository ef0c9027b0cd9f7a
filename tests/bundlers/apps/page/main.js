import init, { Client, FlowRuns, TaskRuns, PrefectError } from "prefect-wasm";
import { check, browserParams, report } from "./checks.js";

await init();
report(check({ Client, FlowRuns, TaskRuns, PrefectError }, browserParams()));

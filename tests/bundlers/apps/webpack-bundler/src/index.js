import init, { Client, FlowRuns, TaskRuns, PrefectError } from "prefect-wasm/bundler";
import { check, browserParams, report } from "./checks.js";

await init(); // nothing to do in this build, and harmless
report(check({ Client, FlowRuns, TaskRuns, PrefectError }, browserParams()));

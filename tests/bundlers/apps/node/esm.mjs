import init, { Client, FlowRuns, TaskRuns, PrefectError } from "prefect-wasm";
import { check, initResolvesAtOnce } from "./checks.js";

await init();
const report = await check({ Client, FlowRuns, TaskRuns, PrefectError }, JSON.parse(process.argv[2]));
console.log(JSON.stringify({ ...report, initResolvedAtOnce: await initResolvesAtOnce(init) }));

const { default: init, Client, FlowRuns, TaskRuns, PrefectError } = require("prefect-wasm");

(async () => {
  await init();
  const { check, initResolvesAtOnce } = await import("./checks.js");
  const report = await check({ Client, FlowRuns, TaskRuns, PrefectError }, JSON.parse(process.argv[2]));
  console.log(JSON.stringify({ ...report, initResolvedAtOnce: await initResolvesAtOnce(init) }));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});

// Fault injection in Node: every case of fault-cases.mjs through the fault proxy, against real dev
// servers started here (open and --auth), with the Node build of the package (pkg/node).
import { faultSuite, runCall } from "./fault-cases.mjs";
import { loadClient } from "./_harness.mjs";

faultSuite("node", async () => {
  globalThis.__prefect = loadClient();
  return runCall;
});

// Fault injection in Node: every case of fault-cases.mjs through the fault proxy, against real dev
// servers started here (open and --auth), with the Node build of the package (pkg/node).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { faultSuite, runCall } from "./fault-cases.mjs";
import { loadClient } from "./_harness.mjs";

// A gc() for the cases that need a collection at a given moment (see fault-cases.mjs).
setFlagsFromString("--expose-gc");
globalThis.gc ??= runInNewContext("gc");

faultSuite("node", async () => {
  globalThis.__prefect = loadClient();
  return runCall;
});

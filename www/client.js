// The client, loaded the one way API.md gives: the import map in index.html maps "prefect-wasm" to
// the web build the dev server serves under /pkg/. main.js imports this module dynamically, so a
// missing package is a toast on a working page rather than a blank one.
import init, { Client, FlowRuns, PrefectError } from "prefect-wasm";

await init();

export { Client, FlowRuns, PrefectError };

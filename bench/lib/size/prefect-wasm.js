// One request with prefect-wasm's web build, bundled for the size figure (plus the .wasm file,
// which the glue fetches next to itself). PKG_WEB is aliased to pkg/web/prefect_wasm.js.
import init, { Client } from "PKG_WEB";
await init();
const query = `query FlowRunState($id: uuid!) { flow_run_by_pk(id: $id) { id version state } }`;
const client = new Client({ apiServer: location.origin });
console.log(await client.graphql(query, { id: new URLSearchParams(location.search).get("id") }));

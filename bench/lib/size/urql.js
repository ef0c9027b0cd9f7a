// One request with @urql/core (no cache exchange), bundled for the size figure.
import { createClient, fetchExchange } from "@urql/core";
const query = `query FlowRunState($id: uuid!) { flow_run_by_pk(id: $id) { id version state } }`;
const client = createClient({ url: location.origin, exchanges: [fetchExchange], preferGetMethod: false });
console.log(await client.query(query, { id: new URLSearchParams(location.search).get("id") }).toPromise());

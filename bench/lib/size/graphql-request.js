// One request with graphql-request, as a dashboard page would make it (bundled for the size figure).
import { request } from "graphql-request";
const query = `query FlowRunState($id: uuid!) { flow_run_by_pk(id: $id) { id version state } }`;
console.log(await request(location.origin, query, { id: new URLSearchParams(location.search).get("id") }));

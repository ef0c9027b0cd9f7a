// One request with raw fetch + response.json(), bundled for the size figure (the floor).
const query = `query FlowRunState($id: uuid!) { flow_run_by_pk(id: $id) { id version state } }`;
const response = await fetch(location.origin, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ query, variables: { id: new URLSearchParams(location.search).get("id") } }),
});
console.log((await response.json()).data);

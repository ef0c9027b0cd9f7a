//! Conformance of the dev server and the client with Prefect 1.x's schema:
//! - every document the client sends (`prefect_wasm::client_core::protocol::graphql::documents::ALL`, Hasura reads
//!   included) validates against the running server's schema, by introspection, and the
//!   variables the client builds fit its input types;
//! - when `PREFECT_SERVER_SDL` names a folder of Prefect Server's own SDL files, the server's
//!   Python-layer operations match them and the client's Python-layer documents validate against
//!   them (without it, one `SKIP` line says how to run it);
//! - dashboard-style documents (PREFECT-API.md "Typical dashboard reads") validate and answer.

mod common;
#[path = "../../tests/graphql_schema/mod.rs"]
mod graphql_schema;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use graphql_schema::{assert_inputs_fit, assert_valid, base_name, client_inputs, graphql_files, upstream_sdl_dir, Schema, INTROSPECTION};
use prefect_wasm::client_core::protocol::graphql::documents::{self, Layer};
use serde_json::json;

async fn server_schema(s: &Server) -> Schema {
    Schema::from_introspection(&s.ok(INTROSPECTION, json!({})).await)
}

#[tokio::test]
async fn client_documents_validate_against_the_running_server() {
    let s = Server::start(&[]);
    let schema = server_schema(&s).await;
    assert!(schema.objects["Query"].contains_key("flow_run_by_pk"), "the Hasura layer is introspected too");
    assert_valid(&schema, documents::ALL, "the dev server's introspected schema");
    assert_inputs_fit(&schema, &client_inputs(), "the dev server's introspected schema");
}

fn kind(schema: &Schema, name: &str) -> Option<&'static str> {
    if schema.objects.contains_key(name) {
        Some("OBJECT")
    } else if schema.inputs.contains_key(name) {
        Some("INPUT_OBJECT")
    } else if schema.enums.contains_key(name) {
        Some("ENUM")
    } else {
        schema.scalars.contains(name).then_some("SCALAR")
    }
}

/// Field → type of an object or input type (empty for leaves).
fn field_types<'a>(schema: &'a Schema, name: &str) -> BTreeMap<&'a str, &'a async_graphql_parser::types::Type> {
    match (schema.objects.get(name), schema.inputs.get(name)) {
        (Some(fields), _) => fields.iter().map(|(f, field)| (f.as_str(), &field.ty)).collect(),
        (None, Some(fields)) => fields.iter().map(|(f, ty)| (f.as_str(), ty)).collect(),
        (None, None) => BTreeMap::new(),
    }
}

fn arg_texts(args: &BTreeMap<String, async_graphql_parser::types::Type>) -> BTreeMap<&str, String> {
    args.iter().map(|(a, ty)| (a.as_str(), ty.to_string())).collect()
}

/// Compares type `name` and everything reachable from it; collects differences.
fn compare(name: &str, reference: &Schema, server: &Schema, seen: &mut BTreeSet<String>, diffs: &mut Vec<String>) {
    if !seen.insert(name.to_string()) {
        return;
    }
    let (Some(r), Some(s)) = (kind(reference, name), kind(server, name)) else {
        if kind(reference, name).is_some() {
            diffs.push(format!("type {name} is missing on the server"));
        }
        return;
    };
    if r != s {
        diffs.push(format!("{name}: kind {r} vs {s}"));
    }
    if r == "ENUM" && reference.enums[name] != server.enums.get(name).cloned().unwrap_or_default() {
        diffs.push(format!("{name}: enum values {:?} vs {:?}", reference.enums[name], server.enums.get(name)));
    }
    let (rf, sf) = (field_types(reference, name), field_types(server, name));
    if rf.keys().ne(sf.keys()) {
        diffs.push(format!("{name}: fields {:?} vs {:?}", rf.keys().collect::<Vec<_>>(), sf.keys().collect::<Vec<_>>()));
    }
    for (f, ty) in &rf {
        if let Some(sty) = sf.get(f) {
            if ty.to_string() != sty.to_string() {
                diffs.push(format!("{name}.{f}: type {ty} vs {sty}"));
            }
            compare(&base_name(ty), reference, server, seen, diffs);
        }
    }
}

/// The Python-layer operations the server must expose (issue #3).
const REQUIRED: &[&str] = &[
    "hello", "api", "reference_data", "get_task_run_info", "create_tenant", "create_project", "create_flow", "create_flow_run",
    "set_flow_run_states", "set_task_run_states", "cancel_flow_run", "delete_flow_run", "get_or_create_task_run",
    "get_or_create_task_run_info", "write_run_logs", "set_flow_run_name", "set_flow_run_labels",
];

#[tokio::test]
async fn server_and_client_match_prefect_server_upstream_sdl() {
    let Some(dir) = upstream_sdl_dir("the comparison with Prefect Server's own SDL (server/tests/conformance.rs)") else {
        return;
    };
    let files = graphql_files(&dir);
    assert!(files.len() >= 5, "reference SDL files: {files:?}");
    let reference = Schema::from_sdl_files(&files);

    let python: Vec<_> = documents::ALL.into_iter().filter(|d| d.layer == Layer::Python).collect();
    assert_eq!(python.len(), 3);
    assert_valid(&reference, python, "Prefect Server's SDL");
    let python_inputs: Vec<_> = client_inputs().into_iter().filter(|(layer, _, _)| *layer == Layer::Python).collect();
    assert_eq!(python_inputs.len(), 3);
    assert_inputs_fit(&reference, &python_inputs, "Prefect Server's SDL");

    let s = Server::start(&[]);
    let server = server_schema(&s).await;
    let mut diffs = Vec::new();
    let mut checked = 0;
    for root in ["Query", "Mutation"] {
        for (field, r) in &reference.objects[root] {
            let Some(srv) = server.objects[root].get(field) else {
                if REQUIRED.contains(&field.as_str()) {
                    diffs.push(format!("{root}.{field} is required but not exposed"));
                }
                continue;
            };
            checked += 1;
            if r.ty.to_string() != srv.ty.to_string() {
                diffs.push(format!("{root}.{field}: returns {} vs {}", r.ty, srv.ty));
            }
            if arg_texts(&r.args) != arg_texts(&srv.args) {
                diffs.push(format!("{root}.{field}: arguments {:?} vs {:?}", arg_texts(&r.args), arg_texts(&srv.args)));
            }
            let mut seen = BTreeSet::new();
            compare(&base_name(&r.ty), &reference, &server, &mut seen, &mut diffs);
            for a in r.args.values() {
                compare(&base_name(a), &reference, &server, &mut seen, &mut diffs);
            }
        }
    }
    for name in REQUIRED {
        assert!(reference.objects["Query"].contains_key(*name) || reference.objects["Mutation"].contains_key(*name), "{name} is not in the reference SDL");
    }
    assert!(diffs.is_empty(), "the server differs from Prefect Server's SDL:\n{}", diffs.join("\n"));
    assert!(checked >= REQUIRED.len(), "checked {checked} operations");
    eprintln!("{checked} Python-layer operations match the reference SDL");
}

#[tokio::test]
async fn dashboard_documents_validate_and_answer() {
    let (s, p, f) = with_flow(&[]).await;
    let mut other = etl_flow();
    other["name"] = json!("Other");
    let f2 = create_flow(&s, &p, other).await;
    let a = create_run(&s, &f, json!({"scheduled_start_time": "2030-01-01T00:00:00Z"})).await;
    let b = create_run(&s, &f, json!({"scheduled_start_time": "2030-01-02T00:00:00Z"})).await;
    let c = create_run(&s, &f2, json!({"scheduled_start_time": "2030-01-03T00:00:00Z"})).await;
    let _d = create_run(&s, &f2, json!({"scheduled_start_time": "2030-01-04T00:00:00Z"})).await;
    for id in [&a, &b, &c] {
        set_flow_state(&s, id, Some(1), json!({"type": "Running"})).await;
    }
    set_flow_state(&s, &b, Some(2), json!({"type": "Success"})).await;
    let tasks = s.ok("query($f: uuid!) { task(where: {flow_id: {_eq: $f}}, order_by: {slug: asc}) { id slug } }", json!({"f": f})).await;
    let tr = s
        .ok("mutation($i: get_or_create_task_run_input!) { get_or_create_task_run(input: $i) { id } }", json!({"i": {"flow_run_id": a, "task_id": tasks["task"][0]["id"]}}))
        .await["get_or_create_task_run"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.raw(SET_TASK_RUN_STATES, json!({"input": {"states": [{"task_run_id": tr, "version": 1, "state": {"type": "Running"}}]}})).await;
    s.ok(
        "mutation($i: write_run_logs_input!) { write_run_logs(input: $i) { success } }",
        json!({"i": {"logs": [
            {"flow_run_id": a, "message": "starting extract", "level": "INFO"},
            {"flow_run_id": a, "task_run_id": tr, "message": "Extract failed once", "level": "ERROR"},
            {"flow_run_id": a, "message": "debug noise", "level": "DEBUG"},
        ]}}),
    )
    .await;

    // runs by state, ordered by time, with the flow name
    let d = s
        .ok(
            "query Runs($states: [String!], $since: timestamptz) {
               flow_run(where: {state: {_in: $states}, scheduled_start_time: {_gte: $since}}, order_by: {scheduled_start_time: desc}, limit: 50) {
                 id name state state_message scheduled_start_time start_time end_time version flow { id name } } }",
            json!({"states": ["Running", "Success"], "since": "2030-01-01T00:00:00Z"}),
        )
        .await;
    let runs = d["flow_run"].as_array().unwrap();
    assert_eq!(runs.iter().map(|r| r["id"].as_str().unwrap()).collect::<Vec<_>>(), [c.as_str(), b.as_str(), a.as_str()]);
    assert_eq!(runs[0]["flow"]["name"], "Other");
    assert_eq!(runs[1]["state"], "Success");
    assert!(runs[1]["end_time"].is_string());

    // state counts per flow by aggregate
    let d = s
        .ok(
            "query Counts { flow(order_by: {name: asc}) { name
                running: flow_runs_aggregate(where: {state: {_eq: \"Running\"}}) { aggregate { count } }
                success: flow_runs_aggregate(where: {state: {_eq: \"Success\"}}) { aggregate { count } }
                scheduled: flow_runs_aggregate(where: {state: {_eq: \"Scheduled\"}}) { aggregate { count } } }
              total: flow_run_aggregate { aggregate { count } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["total"]["aggregate"]["count"], 4);
    assert_eq!(d["flow"][0]["name"], "ETL");
    assert_eq!((d["flow"][0]["running"]["aggregate"]["count"].as_i64(), d["flow"][0]["success"]["aggregate"]["count"].as_i64()), (Some(1), Some(1)));
    assert_eq!((d["flow"][1]["running"]["aggregate"]["count"].as_i64(), d["flow"][1]["scheduled"]["aggregate"]["count"].as_i64()), (Some(1), Some(1)));

    // one run with its states, task runs and logs
    let d = s
        .ok(
            "query Run($id: uuid!) { flow_run_by_pk(id: $id) { id name state version parameters flow { name }
                states(order_by: {timestamp: asc}) { state message timestamp version }
                task_runs(order_by: {start_time: asc_nulls_last}) { id name map_index state state_message start_time end_task: end_time task { name slug } }
                logs(where: {level: {_in: [\"INFO\", \"ERROR\"]}, message: {_ilike: \"%EXTRACT%\"}}, order_by: {timestamp: asc}, limit: 10, offset: 0) { message level task_run_id } } }",
            json!({"id": a}),
        )
        .await;
    let r = &d["flow_run_by_pk"];
    assert_eq!(r["flow"]["name"], "ETL");
    assert_eq!(r["states"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect::<Vec<_>>(), ["Scheduled", "Running"]);
    assert_eq!(r["task_runs"][0]["task"]["slug"], "extract");
    assert_eq!(r["task_runs"][0]["state"], "Running");
    assert_eq!(r["task_runs"][0]["map_index"], -1);
    assert_eq!(r["logs"].as_array().unwrap().iter().map(|l| l["message"].as_str().unwrap()).collect::<Vec<_>>(), ["starting extract", "Extract failed once"]);
    assert_eq!(r["logs"][1]["task_run_id"], tr);
}

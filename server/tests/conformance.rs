//! The server's Python-layer operations against Prefect Server's own SDL
//! (`<workspace>/../shared/reference/prefect-server-schema/`), by introspection of the running
//! server; and dashboard-style documents (PREFECT-API.md "Typical dashboard reads").

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use async_graphql_parser::types::{TypeKind, TypeSystemDefinition};
use common::*;
use serde_json::{json, Value as J};

/// What the conformance check needs of a type: fields (output or input) → type text, args.
#[derive(Default, Debug)]
struct Ty {
    kind: String,
    fields: BTreeMap<String, (String, BTreeMap<String, String>)>,
    enum_values: BTreeSet<String>,
}

fn reference_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/prefect-server-schema");
    assert!(
        dir.is_dir(),
        "the reference SDL is missing: expected {} (CI puts shared/ beside the clone)",
        dir.display()
    );
    dir
}

fn reference_types() -> BTreeMap<String, Ty> {
    let mut types: BTreeMap<String, Ty> = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(reference_dir()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "graphql")).collect();
    files.sort();
    assert!(files.len() >= 5, "reference SDL files: {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let doc = async_graphql_parser::parse_schema(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for def in doc.definitions {
            let TypeSystemDefinition::Type(def) = def else { continue };
            let def = def.node;
            let entry = types.entry(def.name.node.to_string()).or_default();
            match def.kind {
                TypeKind::Object(o) => {
                    entry.kind = "OBJECT".into();
                    for f in o.fields {
                        let args = f.node.arguments.iter().map(|a| (a.node.name.node.to_string(), a.node.ty.node.to_string())).collect();
                        entry.fields.insert(f.node.name.node.to_string(), (f.node.ty.node.to_string(), args));
                    }
                }
                TypeKind::InputObject(o) => {
                    entry.kind = "INPUT_OBJECT".into();
                    for f in o.fields {
                        entry.fields.insert(f.node.name.node.to_string(), (f.node.ty.node.to_string(), BTreeMap::new()));
                    }
                }
                TypeKind::Enum(e) => {
                    entry.kind = "ENUM".into();
                    entry.enum_values = e.values.iter().map(|v| v.node.value.node.to_string()).collect();
                }
                TypeKind::Scalar => entry.kind = "SCALAR".into(),
                _ => {}
            }
        }
    }
    types
}

const INTROSPECTION: &str = r#"
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
{ __schema { types { name kind
    fields { name type { ...T } args { name type { ...T } } }
    inputFields { name type { ...T } }
    enumValues { name } } } }"#;

fn type_text(t: &J) -> String {
    match t["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", type_text(&t["ofType"])),
        "LIST" => format!("[{}]", type_text(&t["ofType"])),
        _ => t["name"].as_str().unwrap().to_string(),
    }
}

fn base_name(t: &str) -> String {
    t.trim_matches(|c| c == '[' || c == ']' || c == '!').to_string()
}

async fn server_types(s: &Server) -> BTreeMap<String, Ty> {
    let d = s.ok(INTROSPECTION, json!({})).await;
    let mut out = BTreeMap::new();
    for t in d["__schema"]["types"].as_array().unwrap() {
        let mut ty = Ty { kind: t["kind"].as_str().unwrap().to_string(), ..Default::default() };
        for f in t["fields"].as_array().into_iter().flatten() {
            let args = f["args"].as_array().unwrap().iter().map(|a| (a["name"].as_str().unwrap().to_string(), type_text(&a["type"]))).collect();
            ty.fields.insert(f["name"].as_str().unwrap().to_string(), (type_text(&f["type"]), args));
        }
        for f in t["inputFields"].as_array().into_iter().flatten() {
            ty.fields.insert(f["name"].as_str().unwrap().to_string(), (type_text(&f["type"]), BTreeMap::new()));
        }
        ty.enum_values = t["enumValues"].as_array().into_iter().flatten().map(|v| v["name"].as_str().unwrap().to_string()).collect();
        out.insert(t["name"].as_str().unwrap().to_string(), ty);
    }
    out
}

/// Compares type `name` and everything reachable from it; collects differences.
fn compare(name: &str, reference: &BTreeMap<String, Ty>, server: &BTreeMap<String, Ty>, seen: &mut BTreeSet<String>, diffs: &mut Vec<String>) {
    if !seen.insert(name.to_string()) {
        return;
    }
    let (Some(r), Some(s)) = (reference.get(name), server.get(name)) else {
        if reference.contains_key(name) {
            diffs.push(format!("type {name} is missing on the server"));
        }
        return;
    };
    if r.kind != s.kind {
        diffs.push(format!("{name}: kind {} vs {}", r.kind, s.kind));
    }
    if r.kind == "ENUM" && r.enum_values != s.enum_values {
        diffs.push(format!("{name}: enum values {:?} vs {:?}", r.enum_values, s.enum_values));
    }
    if r.kind == "OBJECT" || r.kind == "INPUT_OBJECT" {
        let rk: BTreeSet<_> = r.fields.keys().collect();
        let sk: BTreeSet<_> = s.fields.keys().collect();
        if rk != sk {
            diffs.push(format!("{name}: fields {rk:?} vs {sk:?}"));
        }
        for (f, (ty, _)) in &r.fields {
            if let Some((sty, _)) = s.fields.get(f) {
                if ty != sty {
                    diffs.push(format!("{name}.{f}: type {ty} vs {sty}"));
                }
                compare(&base_name(ty), reference, server, seen, diffs);
            }
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
async fn python_layer_matches_prefect_server_sdl() {
    let reference = reference_types();
    let s = Server::start(&[]);
    let server = server_types(&s).await;
    let mut diffs = Vec::new();
    let mut checked = 0;
    for root in ["Query", "Mutation"] {
        let r = &reference[root];
        let srv = &server[root];
        for (field, (ty, args)) in &r.fields {
            let Some((sty, sargs)) = srv.fields.get(field) else {
                if REQUIRED.contains(&field.as_str()) {
                    diffs.push(format!("{root}.{field} is required but not exposed"));
                }
                continue;
            };
            checked += 1;
            if ty != sty {
                diffs.push(format!("{root}.{field}: returns {ty} vs {sty}"));
            }
            if args != sargs {
                diffs.push(format!("{root}.{field}: arguments {args:?} vs {sargs:?}"));
            }
            let mut seen = BTreeSet::new();
            compare(&base_name(ty), &reference, &server, &mut seen, &mut diffs);
            for a in args.values() {
                compare(&base_name(a), &reference, &server, &mut seen, &mut diffs);
            }
        }
    }
    for name in REQUIRED {
        assert!(reference["Query"].fields.contains_key(*name) || reference["Mutation"].fields.contains_key(*name), "{name} is not in the reference SDL");
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

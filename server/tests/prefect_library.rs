//! What Prefect 1.4.1's library, engine and agent need of the server beyond the client-level
//! calls (`tests/prefect1/OPERATIONS.md`), sent as the library sends them: registration
//! (compressed, tasks and edges in batches, versions by name, flow groups, idempotency), task
//! runs created with a flow run, run labels, `get_runs_in_queue`'s label rule and the agent's
//! record, Prefect's error texts, task tag limits, task run artifacts and `auth_info`. The `prefect1` test layer
//! runs the real library against the same operations.

mod common;

use std::io::Write;

use base64::Engine;
use common::*;
use serde_json::{json, Value as J};

const COMPRESSED: &str = "mutation($input: create_flow_from_compressed_string_input!) { create_flow_from_compressed_string(input: $input) { id } }";
const CREATE_FLOW: &str = "mutation($input: create_flow_input!) { create_flow(input: $input) { id } }";
const REGISTER_TASKS: &str = "mutation($input: register_tasks_input!) { register_tasks(input: $input) { success } }";
const REGISTER_EDGES: &str = "mutation($input: register_edges_input!) { register_edges(input: $input) { success } }";
const CREATE_RUN: &str = "mutation($input: create_flow_run_input!) { create_flow_run(input: $input) { id } }";
const QUEUE: &str = "mutation($input: get_runs_in_queue_input!) { get_runs_in_queue(input: $input) { flow_run_ids } }";
const REGISTER_AGENT: &str = "mutation($input: register_agent_input!) { register_agent(input: $input) { id } }";

/// Prefect Core's `compress`: base64 of gzip of the JSON text.
fn compress(flow: &J) -> String {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(flow.to_string().as_bytes()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap())
}

/// A task as `flow.serialize()` writes it.
fn task(slug: &str, tags: &[&str]) -> J {
    json!({"type": "prefect.tasks.core.function.FunctionTask", "name": slug.trim_end_matches("-1"), "slug": slug, "tags": tags,
           "max_retries": 2, "retry_delay": 5.0, "inputs": {}, "outputs": "typing.Any", "timeout": null,
           "trigger": {"fn": "prefect.triggers.all_successful", "kwargs": {}}, "skip_on_upstream_skip": true,
           "cache_for": null, "cache_key": null, "cache_validator": {"fn": "prefect.engine.cache_validators.never_use", "kwargs": {}},
           "auto_generated": false, "__version__": "1.4.1"})
}

fn edge(up: &str, down: &str, key: &str, mapped: bool) -> J {
    json!({"upstream_task": {"slug": up, "__version__": "1.4.1"}, "downstream_task": {"slug": down, "__version__": "1.4.1"},
           "key": key, "mapped": mapped, "flattened": false, "__version__": "1.4.1"})
}

/// `flow.serialize()` without its tasks and edges, as `Client.register` sends it.
fn flow_without_tasks(name: &str, labels: &[&str]) -> J {
    json!({"name": name, "type": "prefect.core.flow.Flow", "schedule": null,
           "parameters": [{"name": "n", "slug": "n", "default": 3, "required": false, "type": "prefect.core.parameter.Parameter"}],
           "reference_tasks": [], "run_config": {"type": "LocalRun", "labels": labels, "env": null, "__version__": "1.4.1"},
           "storage": {"type": "Local", "path": "/tmp/f.py", "stored_as_script": true, "__version__": "1.4.1"}, "__version__": "1.4.1"})
}

async fn tenant(s: &Server) -> String {
    s.ok("{ tenant { id } }", json!({})).await["tenant"][0]["id"].as_str().unwrap().to_string()
}

/// The library's registration: the compressed flow, its tasks and edges in batches (each list
/// followed by an empty batch when it fills one, here always since the lists are short).
async fn register(s: &Server, project: &str, flow: &J, tasks: &[J], edges: &[J], key: Option<&str>) -> String {
    let mut input = json!({"project_id": project, "serialized_flow": compress(flow), "set_schedule_active": false, "version_group_id": null});
    if let Some(k) = key {
        input["idempotency_key"] = json!(k);
    }
    let id = s.ok(COMPRESSED, json!({ "input": input })).await["create_flow_from_compressed_string"]["id"].as_str().unwrap().to_string();
    for batch in [tasks, &[]] {
        let d = s.ok(REGISTER_TASKS, json!({"input": {"flow_id": id, "serialized_tasks": batch}})).await;
        assert_eq!(d["register_tasks"]["success"], true);
    }
    for batch in [edges, &[]] {
        let d = s.ok(REGISTER_EDGES, json!({"input": {"flow_id": id, "serialized_edges": batch}})).await;
        assert_eq!(d["register_edges"]["success"], true);
    }
    id
}

fn etl_tasks() -> (Vec<J>, Vec<J>) {
    let tasks = vec![task("n", &[]), task("extract-1", &["db"]), task("double-1", &[]), task("load-1", &["db"])];
    let edges = vec![edge("n", "extract-1", "n", false), edge("extract-1", "double-1", "x", true), edge("double-1", "load-1", "values", false)];
    (tasks, edges)
}

#[tokio::test]
async fn compressed_registration_tasks_edges_flow_groups_and_versions() {
    let s = Server::start(&[]);
    let p = project(&s).await;
    let (tasks, edges) = etl_tasks();
    let flow = flow_without_tasks("ETL", &["b", "a"]);
    let f1 = register(&s, &p, &flow, &tasks, &edges, None).await;
    let d = s
        .ok(
            "query($id: uuid!) { flow_by_pk(id: $id) { name version archived core_version run_config storage parameters
                is_schedule_active flow_group_id version_group_id settings flow_group { name labels settings default_parameters }
                tasks(order_by: {slug: asc}) { slug name type max_retries retry_delay trigger tags mapped
                                               is_root_task is_terminal_task is_reference_task }
                edges(order_by: {key: asc}) { key mapped upstream_task { slug } downstream_task { slug } } } }",
            json!({"id": f1}),
        )
        .await;
    let f = &d["flow_by_pk"];
    assert_eq!((f["name"].as_str(), f["version"].as_i64(), f["archived"].as_bool()), (Some("ETL"), Some(1), Some(false)));
    assert_eq!(f["core_version"], "1.4.1");
    assert_eq!(f["run_config"]["type"], "LocalRun");
    assert_eq!(f["storage"]["stored_as_script"], true);
    assert_eq!(f["parameters"][0]["slug"], "n");
    assert_eq!(f["is_schedule_active"], false);
    // the flow group: one per version group, named by it, Prefect Server's initial settings
    assert_eq!(f["flow_group"]["name"], f["version_group_id"]);
    assert_eq!(f["flow_group"]["labels"], J::Null);
    assert_eq!(f["flow_group"]["default_parameters"], json!({}));
    assert_eq!(
        f["flow_group"]["settings"],
        json!({"heartbeat_enabled": true, "lazarus_enabled": true, "version_locking_enabled": false, "idempotency_key": null})
    );
    assert_eq!(f["settings"], f["flow_group"]["settings"], "flow.settings are its group's");
    // tasks: flags computed from the edges registered after them
    let flags: Vec<J> = f["tasks"].as_array().unwrap().iter().map(|t| json!([t["slug"], t["mapped"], t["is_root_task"], t["is_terminal_task"], t["is_reference_task"]])).collect();
    assert_eq!(
        flags,
        [json!(["double-1", true, false, false, false]), json!(["extract-1", false, false, false, false]), json!(["load-1", false, false, true, true]), json!(["n", false, true, false, false])]
    );
    let extract = &f["tasks"][1];
    assert_eq!((extract["name"].as_str(), extract["max_retries"].as_i64()), (Some("extract"), Some(2)));
    assert_eq!(extract["retry_delay"], "00:00:05");
    assert_eq!(extract["trigger"], "prefect.triggers.all_successful");
    assert_eq!(extract["tags"], json!(["db"]));
    let e: Vec<String> = f["edges"].as_array().unwrap().iter().map(|e| format!("{}>{}:{}", e["upstream_task"]["slug"].as_str().unwrap(), e["downstream_task"]["slug"].as_str().unwrap(), e["key"].as_str().unwrap())).collect();
    assert_eq!(e, ["n>extract-1:n", "double-1>load-1:values", "extract-1>double-1:x"]);
    // a batch sent again (a retry after a lost answer) doubles nothing
    s.ok(REGISTER_TASKS, json!({"input": {"flow_id": f1, "serialized_tasks": tasks}})).await;
    s.ok(REGISTER_EDGES, json!({"input": {"flow_id": f1, "serialized_edges": edges}})).await;
    let d = s.ok("query($id: uuid!) { flow_by_pk(id: $id) { tasks_aggregate { aggregate { count } } edges_aggregate { aggregate { count } } } }", json!({"id": f1})).await;
    assert_eq!((d["flow_by_pk"]["tasks_aggregate"]["aggregate"]["count"].as_i64(), d["flow_by_pk"]["edges_aggregate"]["aggregate"]["count"].as_i64()), (Some(4), Some(3)));
    // an edge to a task that is not registered changes nothing
    let bad = s.raw(REGISTER_EDGES, json!({"input": {"flow_id": f1, "serialized_edges": [edge("n", "nope-1", "x", false)]}})).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{bad}");

    // the same name in the same project without a version group: version 2 of the same group;
    // version 1 is archived and its run still waiting to start is cancelled
    let waiting = s.ok(CREATE_RUN, json!({"input": {"flow_id": f1}})).await["create_flow_run"]["id"].as_str().unwrap().to_string();
    let f2 = register(&s, &p, &flow, &tasks, &edges, None).await;
    let d = s.ok("{ flow(order_by: {version: asc}) { id version archived flow_group_id version_group_id } }", json!({})).await;
    let flows = d["flow"].as_array().unwrap();
    assert_eq!(flows.iter().map(|f| (f["version"].as_i64().unwrap(), f["archived"].as_bool().unwrap())).collect::<Vec<_>>(), [(1, true), (2, false)]);
    assert_eq!(flows[1]["id"], f2);
    assert_eq!(flows[0]["flow_group_id"], flows[1]["flow_group_id"]);
    assert_eq!(flows[0]["version_group_id"], flows[1]["version_group_id"]);
    let d = s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { state state_message } }", json!({"id": waiting})).await;
    assert_eq!(d["flow_run_by_pk"], json!({"state": "Cancelled", "state_message": format!("Flow {f1} was archived.")}));
    assert_eq!(s.ok("{ flow_group_aggregate { aggregate { count } } }", json!({})).await["flow_group_aggregate"]["aggregate"]["count"], 1);

    // idempotency (what `prefect register` sends): the group's last key again makes no version
    let f3 = register(&s, &p, &flow, &tasks, &edges, Some("key-1")).await;
    let again = s.ok(COMPRESSED, json!({"input": {"project_id": p, "serialized_flow": compress(&flow), "idempotency_key": "key-1"}})).await;
    assert_eq!(again["create_flow_from_compressed_string"]["id"], f3);
    let other = s.ok(COMPRESSED, json!({"input": {"project_id": p, "serialized_flow": compress(&flow), "idempotency_key": "key-2"}})).await;
    assert_ne!(other["create_flow_from_compressed_string"]["id"], f3);
    let d = s.ok("{ flow_aggregate { aggregate { max { version } } } }", json!({})).await;
    assert_eq!(d["flow_aggregate"]["aggregate"]["max"]["version"], 4);

    // a string that does not decompress; a flow built before Core 0.6.1
    let bad = s.raw(COMPRESSED, json!({"input": {"project_id": p, "serialized_flow": "bm90IGd6aXA="}})).await;
    assert_eq!(bad["errors"][0]["message"], "Unable to decompress serialized flow", "{bad}");
    let mut old = flow_without_tasks("Old", &[]);
    old["__version__"] = json!("0.5.5");
    let bad = s.raw(CREATE_FLOW, json!({"input": {"project_id": p, "serialized_flow": old}})).await;
    assert!(bad["errors"][0]["message"].as_str().unwrap().contains("built with Prefect 0.5.5"), "{bad}");
}

#[tokio::test]
async fn a_flow_run_gets_its_task_runs_its_labels_and_its_group_defaults() {
    let s = Server::start(&[]);
    let p = project(&s).await;
    let (tasks, edges) = etl_tasks();
    let f = register(&s, &p, &flow_without_tasks("ETL", &["b", "a"]), &tasks, &edges, None).await;
    let labels_of = |id: String| {
        let s = &s;
        async move { s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { labels } }", json!({ "id": id })).await["flow_run_by_pk"]["labels"].clone() }
    };
    let run = |input: J| {
        let s = &s;
        async move { s.ok(CREATE_RUN, json!({ "input": input })).await["create_flow_run"]["id"].as_str().unwrap().to_string() }
    };
    // labels: the given ones (even none), else the flow group's, else the run config's; sorted
    let r1 = run(json!({"flow_id": f})).await;
    assert_eq!(labels_of(r1.clone()).await, json!(["a", "b"]));
    assert_eq!(labels_of(run(json!({"flow_id": f, "labels": []})).await).await, json!([]));
    assert_eq!(labels_of(run(json!({"flow_id": f, "labels": ["z", "c"]})).await).await, json!(["c", "z"]));
    let group = s.ok("query($id: uuid!) { flow_by_pk(id: $id) { flow_group_id } }", json!({"id": f})).await["flow_by_pk"]["flow_group_id"].as_str().unwrap().to_string();
    let set_labels = "mutation($input: set_flow_group_labels_input!) { set_flow_group_labels(input: $input) { success } }";
    s.ok(set_labels, json!({"input": {"flow_group_id": group, "labels": ["x", "x"]}})).await;
    assert_eq!(labels_of(run(json!({"flow_id": f})).await).await, json!(["x"]));
    s.ok(set_labels, json!({"input": {"flow_group_id": group, "labels": null}})).await;
    assert_eq!(labels_of(run(json!({"flow_id": f})).await).await, json!(["a", "b"]));

    // one Pending task run per task, map index -1, created with the run
    let d = s
        .ok(
            "query($id: uuid!) { flow_run_by_pk(id: $id) { task_runs(where: {map_index: {_eq: -1}}) { map_index state state_message version task { slug }
                states { state message } } } }",
            json!({"id": r1}),
        )
        .await;
    let mut got: Vec<(String, i64, String, String)> = d["flow_run_by_pk"]["task_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["task"]["slug"].as_str().unwrap().into(), t["map_index"].as_i64().unwrap(), t["state"].as_str().unwrap().into(), t["state_message"].as_str().unwrap().into()))
        .collect();
    got.sort();
    let want: Vec<(String, i64, String, String)> =
        ["double-1", "extract-1", "load-1", "n"].iter().map(|s| (s.to_string(), -1, "Pending".to_string(), "Task run created".to_string())).collect();
    assert_eq!(got, want);
    // get_or_create_task_run_info finds them; mapped children are created on first ask
    let task_id = s.ok("query($f: uuid!) { task(where: {flow_id: {_eq: $f}, slug: {_eq: \"double-1\"}}) { id } }", json!({"f": f})).await["task"][0]["id"].as_str().unwrap().to_string();
    let info = format!("mutation {{ get_or_create_task_run_info(input: {{ flow_run_id: \"{r1}\", task_id: \"{task_id}\", map_index: -1 }}) {{ id version serialized_state }} }}");
    let parent = s.ok(&info, json!({})).await["get_or_create_task_run_info"].clone();
    assert_eq!(parent["serialized_state"]["type"], "Pending");
    let child = info.replace("map_index: -1", "map_index: 0");
    let c1 = s.ok(&child, json!({})).await["get_or_create_task_run_info"]["id"].clone();
    let c2 = s.ok(&child, json!({})).await["get_or_create_task_run_info"]["id"].clone();
    assert_eq!(c1, c2);
    assert_ne!(c1, parent["id"]);
    let unknown = info.replace(&task_id, "6e4ad3a4-0000-4000-8000-000000000000");
    assert_eq!(s.raw(&unknown, json!({})).await["errors"][0]["message"], "Invalid task ID");

    // parameters: the flow's defaults, then the group's, then the given ones
    let params_of = |id: String| {
        let s = &s;
        async move { s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { parameters } }", json!({ "id": id })).await["flow_run_by_pk"]["parameters"].clone() }
    };
    assert_eq!(params_of(r1).await, json!({"n": 3}));
    s.ok(
        "mutation($input: set_flow_group_default_parameters_input!) { set_flow_group_default_parameters(input: $input) { success } }",
        json!({"input": {"flow_group_id": group, "parameters": {"n": 5, "extra": true}}}),
    )
    .await;
    assert_eq!(params_of(run(json!({"flow_id": f})).await).await, json!({"n": 5, "extra": true}));
    assert_eq!(params_of(run(json!({"flow_id": f, "parameters": {"n": 7}})).await).await, json!({"n": 7, "extra": true}));
    // a required parameter missing (no Python client reads the text: Prefect prints a Python set)
    let mut required = flow_without_tasks("Needs", &[]);
    required["parameters"] = json!([{"name": "source", "slug": "source", "required": true, "default": null}]);
    let rf = s.ok(CREATE_FLOW, json!({"input": {"project_id": p, "serialized_flow": required}})).await["create_flow"]["id"].as_str().unwrap().to_string();
    let bad = s.raw(CREATE_RUN, json!({"input": {"flow_id": rf}})).await;
    assert_eq!(bad["errors"][0]["message"], "Required parameters were not supplied: source", "{bad}");

    // flow heartbeat switch: the engine reads flow { settings } for heartbeat_enabled
    s.ok("mutation($input: disable_flow_heartbeat_input!) { disable_flow_heartbeat(input: $input) { success } }", json!({"input": {"flow_id": f}})).await;
    let d = s.ok("query($id: uuid!) { flow_by_pk(id: $id) { settings flow_group { settings } } }", json!({"id": f})).await;
    assert_eq!(d["flow_by_pk"]["settings"]["heartbeat_enabled"], false);
    assert_eq!(d["flow_by_pk"]["settings"]["disable_heartbeat"], true);
    assert_eq!(d["flow_by_pk"]["settings"], d["flow_by_pk"]["flow_group"]["settings"]);
}

#[tokio::test]
async fn get_runs_in_queue_matches_labels_and_records_the_agent() {
    let s = Server::start(&[]);
    let t = tenant(&s).await;
    let p = project(&s).await;
    let f = register(&s, &p, &flow_without_tasks("Queue", &[]), &[task("only-1", &[])], &[], None).await;
    let mut by_labels = std::collections::BTreeMap::new();
    for labels in [json!([]), json!(["a"]), json!(["a", "b"]), json!(["b"]), json!(["zzz"])] {
        let id = s.ok(CREATE_RUN, json!({"input": {"flow_id": f, "labels": labels}})).await["create_flow_run"]["id"].as_str().unwrap().to_string();
        by_labels.insert(labels.to_string(), id);
    }
    // not due yet
    s.ok(CREATE_RUN, json!({"input": {"flow_id": f, "labels": ["a"], "scheduled_start_time": "2999-01-01T00:00:00Z"}})).await;
    let queue = |labels: J| {
        let s = &s;
        let t = t.clone();
        async move {
            let d = s.ok(QUEUE, json!({"input": {"tenant_id": t, "before": chrono::Utc::now().to_rfc3339(), "labels": labels}})).await;
            let mut ids: Vec<String> = d["get_runs_in_queue"]["flow_run_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
            ids.sort();
            ids
        }
    };
    let ids = |keys: &[&str]| {
        let mut v: Vec<String> = keys.iter().map(|k| by_labels[*k].clone()).collect();
        v.sort();
        v
    };
    assert_eq!(queue(json!(["a"])).await, ids(&[r#"["a"]"#]));
    assert_eq!(queue(json!(["a", "b"])).await, ids(&[r#"["a"]"#, r#"["a","b"]"#, r#"["b"]"#]));
    assert_eq!(queue(json!([])).await, ids(&["[]"]));
    assert_eq!(queue(J::Null).await, ids(&["[]"]));

    // the agent's record: one per tenant, name, type, version and labels
    let headers = [("x-prefect-core-version", "1.4.1")];
    let register_agent = |labels: J| {
        let s = &s;
        let t = t.clone();
        async move {
            let input = json!({"input": {"type": "LocalAgent", "name": "agent", "labels": labels, "tenant_id": t, "agent_config_id": null}});
            let d = s.raw_with(REGISTER_AGENT, input, &headers).await;
            assert!(d.get("errors").is_none(), "{d}");
            d["data"]["register_agent"]["id"].as_str().unwrap().to_string()
        }
    };
    let agent = register_agent(json!(["b", "a"])).await;
    assert_eq!(register_agent(json!(["a", "b"])).await, agent);
    assert_ne!(register_agent(json!(["a"])).await, agent);
    let d = s.ok("query($id: uuid!) { agent_by_pk(id: $id) { name type labels core_version last_queried tenant_id } }", json!({"id": agent})).await;
    assert_eq!(d["agent_by_pk"]["labels"], json!(["a", "b"]));
    assert_eq!(d["agent_by_pk"]["core_version"], "1.4.1");
    assert_eq!(d["agent_by_pk"]["last_queried"], J::Null);
    // polling with the agent's id marks it; its Submitted state records it on the run
    let poll = json!({"input": {"tenant_id": t, "labels": ["a", "b"]}});
    let d = s.raw_with(QUEUE, poll, &[("x-prefect-agent-id", &agent)]).await;
    assert!(d.get("errors").is_none(), "{d}");
    let d = s.ok("query($id: uuid!) { agent_by_pk(id: $id) { last_queried } }", json!({"id": agent})).await;
    assert!(d["agent_by_pk"]["last_queried"].is_string());
    let run = &by_labels[r#"["a"]"#];
    let (_, version) = run_state(&s, run).await;
    let submitted = json!({"type": "Submitted", "message": "Submitted for execution", "state": {"type": "Scheduled", "message": "Flow run scheduled."}});
    let d = s.raw_with(SET_FLOW_RUN_STATES, json!({"input": {"states": [{"flow_run_id": run, "version": version, "state": submitted}]}}), &[("x-prefect-agent-id", &agent)]).await;
    assert_eq!(d["data"]["set_flow_run_states"]["states"][0]["status"], "SUCCESS", "{d}");
    let d = s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { agent_id heartbeat agent { type } } }", json!({"id": run})).await;
    assert_eq!(d["flow_run_by_pk"]["agent_id"], agent.as_str());
    assert_eq!(d["flow_run_by_pk"]["agent"]["type"], "LocalAgent");
    assert!(d["flow_run_by_pk"]["heartbeat"].is_string(), "a Submitted run has a heartbeat");
    // handed out no more once Submitted; a Running run with a due Retrying task run is
    assert_eq!(queue(json!(["a"])).await, Vec::<String>::new());
    set_flow_state(&s, run, None, json!({"type": "Running"})).await;
    let tr = s.ok("query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}}) { id } }", json!({"id": run})).await["task_run"][0]["id"].as_str().unwrap().to_string();
    let retry = json!({"type": "Retrying", "message": "retry", "run_count": 1, "start_time": "2000-01-01T00:00:00Z"});
    let d = s.ok(SET_TASK_RUN_STATES, json!({"input": {"states": [{"task_run_id": tr, "state": retry}]}})).await;
    assert_eq!(d["set_task_run_states"]["states"][0]["status"], "SUCCESS");
    assert_eq!(queue(json!(["a"])).await, vec![run.clone()]);
    // another tenant's queue is not the caller's to read in auth mode; in open mode an unknown one is empty
    let d = s.ok(QUEUE, json!({"input": {"tenant_id": "6e4ad3a4-0000-4000-8000-000000000000", "labels": ["a"]}})).await;
    assert_eq!(d["get_runs_in_queue"]["flow_run_ids"], json!([]));
}

#[tokio::test]
async fn errors_in_prefect_servers_words() {
    let s = Server::start(&[]);
    let t = tenant(&s).await;
    let create = "mutation($input: create_project_input!) { create_project(input: $input) { id } }";
    s.ok(create, json!({"input": {"tenant_id": t, "name": "demo", "description": null}})).await;
    // create_project of an existing name: the message the Python client matches
    let again = s.raw(create, json!({"input": {"tenant_id": t, "name": "demo"}})).await;
    assert_eq!(again["errors"][0]["message"], "Uniqueness violation.", "{again}");
    assert_eq!(again["data"]["create_project"], J::Null);
    let other = s.ok(create, json!({"input": {"tenant_id": t, "name": "other"}})).await["create_project"]["id"].as_str().unwrap().to_string();
    let rename = s.raw("mutation($input: set_project_name_input!) { set_project_name(input: $input) { id } }", json!({"input": {"project_id": other, "name": "demo"}})).await;
    assert_eq!(rename["errors"][0]["message"], "Uniqueness violation.", "{rename}");
    let tenant_again = s.raw("mutation { create_tenant(input: {name: \"d\", slug: \"default\"}) { id } }", json!({})).await;
    assert_eq!(tenant_again["errors"][0]["message"], "Uniqueness violation.", "{tenant_again}");
    // the heartbeat of a run that does not exist
    let beat = s.raw("mutation { update_flow_run_heartbeat(input: {flow_run_id: \"6e4ad3a4-0000-4000-8000-000000000000\"}) { success } }", json!({})).await;
    assert_eq!(beat["errors"][0]["extensions"]["code"], "NOT_FOUND", "{beat}");
}

#[tokio::test]
async fn task_tag_limits_queue_task_runs_over_the_limit() {
    let s = Server::start(&[]);
    let p = project(&s).await;
    let f = register(&s, &p, &flow_without_tasks("Limited", &[]), &[task("a-1", &["db"]), task("b-1", &["db", "x"]), task("c-1", &[])], &[], None).await;
    let limit = |tag: &str| {
        let s = &s;
        let q = format!("{{ task_tag_limit(where: {{tag: {{_eq: \"{tag}\"}}}}) {{ limit }} }}");
        async move { s.ok(&q, json!({})).await["task_tag_limit"].clone() }
    };
    assert_eq!(limit("db").await, json!([]), "no limit: the library reads None");
    let update = "mutation($input: update_task_tag_limit_input!) { update_task_tag_limit(input: $input) { id } }";
    let id = s.ok(update, json!({"input": {"tag": "db", "limit": 1}})).await["update_task_tag_limit"]["id"].clone();
    assert_eq!(limit("db").await, json!([{"limit": 1}]));
    assert_eq!(s.err(update, json!({"input": {"tag": "db", "limit": -1}})).await, "BAD_USER_INPUT");

    let run = s.ok(CREATE_RUN, json!({"input": {"flow_id": f}})).await["create_flow_run"]["id"].as_str().unwrap().to_string();
    set_flow_state(&s, &run, None, json!({"type": "Running"})).await;
    let d = s.ok("query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}}) { id version task { slug } } }", json!({"id": run})).await;
    let tr = |slug: &str| d["task_run"].as_array().unwrap().iter().find(|t| t["task"]["slug"] == slug).unwrap().clone();
    let (a, b, c) = (tr("a-1"), tr("b-1"), tr("c-1"));
    let set = |t: &J, state: &str| {
        let s = &s;
        let input = json!({"input": {"states": [{"task_run_id": t["id"], "version": null, "state": {"type": state}}]}});
        async move { s.ok(SET_TASK_RUN_STATES, input).await["set_task_run_states"]["states"][0].clone() }
    };
    assert_eq!(set(&a, "Running").await["status"], "SUCCESS");
    let queued = set(&b, "Running").await;
    assert_eq!(queued["status"], "QUEUED", "{queued}");
    assert!(queued["message"].as_str().unwrap().contains("db"));
    // nothing written: the engine waits and sends Running again with the same version
    let d = s.ok("query($id: uuid!) { task_run_by_pk(id: $id) { state version } }", json!({"id": b["id"]})).await;
    assert_eq!(d["task_run_by_pk"], json!({"state": "Pending", "version": b["version"]}));
    assert_eq!(set(&c, "Running").await["status"], "SUCCESS", "an untagged task is not limited");
    assert_eq!(set(&a, "Success").await["status"], "SUCCESS");
    assert_eq!(set(&b, "Running").await["status"], "SUCCESS", "the slot is free again");
    // deleting the limit
    let del = "mutation($input: delete_task_tag_limit_input!) { delete_task_tag_limit(input: $input) { success } }";
    assert_eq!(s.ok(del, json!({"input": {"limit_id": id}})).await["delete_task_tag_limit"]["success"], true);
    assert_eq!(limit("db").await, json!([]));
}

#[tokio::test]
async fn auth_info_names_the_tokens_tenant() {
    let mut s = Server::start(&["--auth", "--user", "erin@example.com:pw:erin-team,erin-lab"]);
    assert_eq!(s.err("{ auth_info { tenant_id } }", json!({})).await, "UNAUTHENTICATED");
    let d = s.ok("mutation { log_in(input: {email: \"erin@example.com\", password: \"pw\"}) { access_token } }", json!({})).await;
    s.token = Some(d["log_in"]["access_token"].as_str().unwrap().to_string());
    let tenants = s.ok("{ tenant(order_by: {slug: asc}) { id slug } }", json!({})).await["tenant"].clone();
    let team = tenants.as_array().unwrap().iter().find(|t| t["slug"] == "erin-team").unwrap()["id"].clone();
    let d = s.ok("{ auth_info { tenant_id user_id api_token_scope } }", json!({})).await;
    assert_eq!(d["auth_info"]["tenant_id"], team, "the token's tenant (the first after log_in)");
    assert!(d["auth_info"]["user_id"].is_string());
    assert_eq!(d["auth_info"]["api_token_scope"], J::Null);
    // open mode: the default tenant
    let open = Server::start(&[]);
    let t = tenant(&open).await;
    assert_eq!(open.ok("{ auth_info { tenant_id } }", json!({})).await["auth_info"]["tenant_id"], t.as_str());
}

#[tokio::test]
async fn task_run_artifacts() {
    let s = Server::start(&[]);
    let p = project(&s).await;
    let f = register(&s, &p, &flow_without_tasks("Artifacts", &[]), &[task("a-1", &[])], &[], None).await;
    let run = s.ok(CREATE_RUN, json!({"input": {"flow_id": f}})).await["create_flow_run"]["id"].as_str().unwrap().to_string();
    let tr = s.ok("query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}}) { id } }", json!({"id": run})).await["task_run"][0]["id"].as_str().unwrap().to_string();
    let create = "mutation($input: create_task_run_artifact_input!) { create_task_run_artifact(input: $input) { id } }";
    let input = json!({"input": {"task_run_id": tr, "kind": "link", "data": {"link": "https://example.com"}, "tenant_id": null}});
    let id = s.ok(create, input).await["create_task_run_artifact"]["id"].as_str().unwrap().to_string();
    let read = "query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}}) { artifacts { id kind data } } }";
    assert_eq!(s.ok(read, json!({"id": run})).await["task_run"][0]["artifacts"], json!([{"id": id, "kind": "link", "data": {"link": "https://example.com"}}]));
    s.ok("mutation($input: update_task_run_artifact_input!) { update_task_run_artifact(input: $input) { success } }", json!({"input": {"task_run_artifact_id": id, "data": {"link": "https://example.org"}}})).await;
    let d = s.ok("{ task_run_artifact { data } }", json!({})).await;
    assert_eq!(d["task_run_artifact"], json!([{"data": {"link": "https://example.org"}}]));
    // another tenant, an unknown task run (the library retries on "not found")
    let other = s.raw(create, json!({"input": {"task_run_id": tr, "kind": "link", "data": {}, "tenant_id": "6e4ad3a4-0000-4000-8000-000000000000"}})).await;
    assert_eq!(other["errors"][0]["message"], "Provided tenant ID does not match task run", "{other}");
    let missing = s.raw(create, json!({"input": {"task_run_id": "6e4ad3a4-0000-4000-8000-000000000000", "kind": "link", "data": {}}})).await;
    assert!(missing["errors"][0]["message"].as_str().unwrap().contains("not found"), "{missing}");
    s.ok("mutation($input: delete_task_run_artifact_input!) { delete_task_run_artifact(input: $input) { success } }", json!({"input": {"task_run_artifact_id": id}})).await;
    assert_eq!(s.ok("{ task_run_artifact { id } }", json!({})).await["task_run_artifact"], json!([]));
}

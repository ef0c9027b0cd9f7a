//! Every Python-layer operation and server rule, over HTTP against the real binary.

mod common;

use common::*;
use serde_json::{json, Value as J};

#[tokio::test]
async fn hello_api_and_reference_data() {
    let s = Server::start(&[]);
    let d = s.ok("{ hello api { backend mode version core_version release_timestamp } reference_data { state_hierarchy state_info } }", json!({})).await;
    assert!(d["hello"].as_str().unwrap().starts_with("Hello"));
    assert_eq!(d["api"]["backend"], "SERVER");
    assert_eq!(d["api"]["core_version"], "1.4.1");
    let h = &d["reference_data"]["state_hierarchy"];
    assert_eq!(h["Cached"], json!(["Cached", "Success", "Finished"]));
    assert_eq!(h["Submitted"], json!(["Submitted"]));
    assert_eq!(h.as_object().unwrap().len(), 21);
    assert_eq!(d["reference_data"]["state_info"]["Success"]["color"], "#2E7D32");
}

#[tokio::test]
async fn tenants_and_projects() {
    let s = Server::start(&[]);
    let d = s.ok("mutation { create_tenant(input: {name: \"Acme\", slug: \"acme\"}) { id } }", json!({})).await;
    let acme = d["create_tenant"]["id"].as_str().unwrap().to_string();
    assert_eq!(s.err("mutation { create_tenant(input: {name: \"Acme 2\", slug: \"acme\"}) { id } }", json!({})).await, "BAD_USER_INPUT");
    let q = "mutation($i: create_project_input!) { create_project(input: $i) { id } }";
    let p = s.ok(q, json!({"i": {"tenant_id": acme, "name": "Data", "description": "d"}})).await;
    let pid = p["create_project"]["id"].as_str().unwrap().to_string();
    assert_eq!(s.err(q, json!({"i": {"tenant_id": acme, "name": "Data"}})).await, "BAD_USER_INPUT");
    assert_eq!(s.err(q, json!({"i": {"tenant_id": "6e4ad3a4-0000-4000-8000-000000000000", "name": "X"}})).await, "NOT_FOUND");
    let d = s.ok("query($id: uuid!) { project_by_pk(id: $id) { name description tenant { slug } } tenant(order_by: {slug: asc}) { slug projects { name } } }", json!({"id": pid})).await;
    assert_eq!(d["project_by_pk"]["tenant"]["slug"], "acme");
    assert_eq!(d["tenant"][0]["slug"], "acme");
    assert_eq!(d["tenant"][0]["projects"][0]["name"], "Data");
    assert_eq!(d["tenant"][1]["slug"], "default");
    s.ok("mutation($i: set_project_name_input!) { set_project_name(input: $i) { id } }", json!({"i": {"project_id": pid, "name": "Renamed"}})).await;
    let d = s.ok("query($id: uuid!) { project_by_pk(id: $id) { name } }", json!({"id": pid})).await;
    assert_eq!(d["project_by_pk"]["name"], "Renamed");
}

#[tokio::test]
async fn create_flow_with_tasks_edges_parameters_and_versions() {
    let (s, p, f) = with_flow(&[]).await;
    let d = s
        .ok(
            "query($id: uuid!) { flow_by_pk(id: $id) { name version version_group_id archived core_version parameters
                tasks(order_by: {slug: asc}) { slug name is_root_task is_terminal_task is_reference_task upstream_edges { upstream_task { slug } key } }
                edges { upstream_task { slug } downstream_task { slug } } } }",
            json!({ "id": f }),
        )
        .await;
    let flow = &d["flow_by_pk"];
    assert_eq!(flow["name"], "ETL");
    assert_eq!(flow["version"], 1);
    assert_eq!(flow["archived"], false);
    assert_eq!(flow["core_version"], "1.4.1");
    assert_eq!(flow["parameters"][0]["slug"], "source");
    let tasks = flow["tasks"].as_array().unwrap();
    assert_eq!(tasks.iter().map(|t| t["slug"].as_str().unwrap()).collect::<Vec<_>>(), ["extract", "load", "transform"]);
    assert_eq!(tasks[0]["is_root_task"], true);
    assert_eq!(tasks[1]["is_terminal_task"], true);
    assert_eq!(tasks[1]["is_reference_task"], true);
    assert_eq!(tasks[2]["upstream_edges"][0]["upstream_task"]["slug"], "extract");
    assert_eq!(tasks[2]["upstream_edges"][0]["key"], "x");
    assert_eq!(flow["edges"].as_array().unwrap().len(), 2);

    // a new version in the same group: version 2, the older one archived
    let group = flow["version_group_id"].as_str().unwrap();
    let q = "mutation($i: create_flow_input!) { create_flow(input: $i) { id } }";
    let d = s.ok(q, json!({"i": {"serialized_flow": etl_flow(), "project_id": p, "version_group_id": group}})).await;
    let f2 = d["create_flow"]["id"].as_str().unwrap();
    let d = s.ok("query($g: String!) { flow(where: {version_group_id: {_eq: $g}}, order_by: {version: asc}) { id version archived } }", json!({"g": group})).await;
    assert_eq!(d["flow"][0]["archived"], true);
    assert_eq!(d["flow"][1]["id"], f2);
    assert_eq!(d["flow"][1]["version"], 2);
    assert_eq!(d["flow"][1]["archived"], false);
    // an archived flow gets no runs; the version group runs its unarchived version
    let q = "mutation($i: create_flow_run_input!) { create_flow_run(input: $i) { id } }";
    assert_eq!(s.err(q, json!({"i": {"flow_id": f, "parameters": {"source": "a"}}})).await, "BAD_USER_INPUT");
    let d = s.ok(q, json!({"i": {"version_group_id": group, "parameters": {"source": "a"}}})).await;
    let run = d["create_flow_run"]["id"].as_str().unwrap();
    let d = s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { flow_id } }", json!({ "id": run })).await;
    assert_eq!(d["flow_run_by_pk"]["flow_id"], f2);

    // a bad flow writes nothing
    let before = s.ok("{ flow_aggregate { aggregate { count } } task_aggregate { aggregate { count } } }", json!({})).await;
    let mut bad = etl_flow();
    bad["edges"][0]["downstream_task"] = json!("nope");
    assert_eq!(s.err("mutation($i: create_flow_input!) { create_flow(input: $i) { id } }", json!({"i": {"serialized_flow": bad, "project_id": p}})).await, "BAD_USER_INPUT");
    let mut dup = etl_flow();
    dup["tasks"][1]["slug"] = json!("extract");
    assert_eq!(s.err("mutation($i: create_flow_input!) { create_flow(input: $i) { id } }", json!({"i": {"serialized_flow": dup, "project_id": p}})).await, "BAD_USER_INPUT");
    let after = s.ok("{ flow_aggregate { aggregate { count } } task_aggregate { aggregate { count } } }", json!({})).await;
    assert_eq!(before, after);
    assert_eq!(
        s.err("mutation($i: create_flow_input!) { create_flow(input: $i) { id } }", json!({"i": {"serialized_flow": etl_flow(), "project_id": "6e4ad3a4-0000-4000-8000-000000000000"}})).await,
        "NOT_FOUND"
    );
    // archive_flow
    s.ok("mutation($i: archive_flow_input!) { archive_flow(input: $i) { success } }", json!({"i": {"flow_id": f2}})).await;
    assert_eq!(s.err(q, json!({"i": {"flow_id": f2, "parameters": {"source": "a"}}})).await, "BAD_USER_INPUT");
}

#[tokio::test]
async fn create_flow_run_parameters_idempotency_and_initial_state() {
    let (s, _p, f) = with_flow(&[]).await;
    let q = "mutation($i: create_flow_run_input!) { create_flow_run(input: $i) { id } }";
    // required parameter missing
    assert_eq!(s.err(q, json!({"i": {"flow_id": f}})).await, "BAD_USER_INPUT");
    assert_eq!(s.err(q, json!({"i": {"flow_id": f, "parameters": {"batch": 3}}})).await, "BAD_USER_INPUT");
    assert_eq!(s.err(q, json!({"i": {"flow_id": f, "parameters": [1, 2]}})).await, "BAD_USER_INPUT");
    assert_eq!(s.err(q, json!({"i": {}})).await, "BAD_USER_INPUT");
    assert_eq!(s.err(q, json!({"i": {"flow_id": "6e4ad3a4-0000-4000-8000-000000000000"}})).await, "NOT_FOUND");
    // defaults merged
    let at = "2031-01-02T03:04:05+00:00";
    let run = create_run(&s, &f, json!({"scheduled_start_time": at, "labels": ["a", "b"], "context": {"k": 1}, "flow_run_name": "my-run"})).await;
    let d = s
        .ok(
            "query($id: uuid!) { flow_run_by_pk(id: $id) { name parameters labels context version state state_message scheduled_start_time state_start_time start_time end_time serialized_state
                states { version state message start_time } } }",
            json!({ "id": run }),
        )
        .await;
    let r = &d["flow_run_by_pk"];
    assert_eq!(r["parameters"], json!({"batch": 10, "source": "s3://x"}));
    assert_eq!(r["name"], "my-run");
    assert_eq!(r["labels"], json!(["a", "b"]));
    assert_eq!(r["context"], json!({"k": 1}));
    assert_eq!(r["version"], 1);
    assert_eq!(r["state"], "Scheduled");
    assert_eq!(r["state_message"], "Flow run scheduled.");
    assert_eq!(r["scheduled_start_time"], "2031-01-02T03:04:05.000000+00:00");
    assert_eq!(r["state_start_time"], "2031-01-02T03:04:05.000000+00:00");
    assert_eq!(r["start_time"], J::Null);
    assert_eq!(r["serialized_state"]["type"], "Scheduled");
    assert_eq!(r["states"], json!([{"version": 1, "state": "Scheduled", "message": "Flow run scheduled.", "start_time": "2031-01-02T03:04:05.000000+00:00"}]));
    // idempotency key
    let a = create_run(&s, &f, json!({"idempotency_key": "k1"})).await;
    let b = create_run(&s, &f, json!({"idempotency_key": "k1", "parameters": {"source": "other"}})).await;
    let c = create_run(&s, &f, json!({"idempotency_key": "k2"})).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    let d = s.ok("{ flow_run_aggregate { aggregate { count } } }", json!({})).await;
    assert_eq!(d["flow_run_aggregate"]["aggregate"]["count"], 3);
}

#[tokio::test]
async fn set_flow_run_states_rules() {
    let (s, _p, f) = with_flow(&[]).await;
    let run = create_run(&s, &f, json!({})).await;
    // versions increase by one; the run follows the newest state
    let r = set_flow_state(&s, &run, Some(1), json!({"type": "Running", "message": "go"})).await;
    assert_eq!(r["data"]["set_flow_run_states"]["states"], json!([{"id": run, "status": "SUCCESS", "message": null}]));
    assert_eq!(run_state(&s, &run).await, ("Running".into(), 2));
    // a stale version: VERSION_LOCKING_ERROR and nothing written
    let r = set_flow_state(&s, &run, Some(1), json!({"type": "Success"})).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "VERSION_LOCKING_ERROR");
    assert_eq!(r["errors"][0]["path"], json!(["set_flow_run_states"]));
    assert_eq!(run_state(&s, &run).await, ("Running".into(), 2));
    // without a version it is written (like Prefect Server)
    let state = json!({"type": "Success", "message": "done", "_result": {"type": "PrefectResult", "location": "{\"rows\": 3}"}, "context": {"x": 1}, "cached_inputs": {}, "__version__": "1.4.1", "extra_key": [1, 2]});
    let r = set_flow_state(&s, &run, None, state.clone()).await;
    assert!(r.get("errors").is_none(), "{r}");
    let d = s
        .ok(
            "query($id: uuid!) { flow_run_by_pk(id: $id) { state version state_message state_result serialized_state start_time end_time state_timestamp
                states(order_by: {version: asc}) { version state result serialized_state } } }",
            json!({ "id": run }),
        )
        .await;
    let fr = &d["flow_run_by_pk"];
    assert_eq!(fr["state"], "Success");
    assert_eq!(fr["version"], 3);
    assert_eq!(fr["state_message"], "done");
    assert_eq!(fr["state_result"], "{\"rows\": 3}");
    assert_eq!(fr["serialized_state"], state);
    assert!(fr["start_time"].is_string() && fr["end_time"].is_string());
    assert!(fr["start_time"].as_str().unwrap() <= fr["end_time"].as_str().unwrap());
    let versions: Vec<i64> = fr["states"].as_array().unwrap().iter().map(|s| s["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [1, 2, 3]);
    assert_eq!(fr["states"][2]["result"], "{\"rows\": 3}");
    assert_eq!(fr["states"][2]["serialized_state"], state);

    // unknown type, not an object, over the payload limit, unknown run
    for bad in [json!({"type": "Bogus"}), json!({"message": "no type"}), json!("Running"), json!(["x"]), json!({"type": "success"})] {
        let r = set_flow_state(&s, &run, None, bad.clone()).await;
        assert_eq!(r["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{bad}: {r}");
    }
    let big = json!({"type": "Running", "message": "x".repeat(1_000_001)});
    let r = set_flow_state(&s, &run, None, big).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let ok_big = json!({"type": "Running", "message": "x".repeat(900_000)});
    assert!(set_flow_state(&s, &run, None, ok_big).await.get("errors").is_none());
    let r = set_flow_state(&s, "6e4ad3a4-0000-4000-8000-000000000000", None, json!({"type": "Running"})).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "NOT_FOUND");
    // the state may also come as JSON text, as the Python client sends it
    let r = set_flow_state(&s, &run, Some(4), json!("{\"type\": \"Failed\", \"message\": \"text\"}")).await;
    assert!(r.get("errors").is_none(), "{r}");
    assert_eq!(run_state(&s, &run).await, ("Failed".into(), 5));

    // all or nothing: the second state's version is stale, so neither is written
    let other = create_run(&s, &f, json!({})).await;
    let r = s
        .raw(
            SET_FLOW_RUN_STATES,
            json!({"input": {"states": [
                {"flow_run_id": other, "version": 1, "state": {"type": "Running"}},
                {"flow_run_id": run, "version": 1, "state": {"type": "Running"}},
            ]}}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "VERSION_LOCKING_ERROR");
    assert_eq!(run_state(&s, &other).await, ("Scheduled".into(), 1));
    assert_eq!(run_state(&s, &run).await, ("Failed".into(), 5));
    // both valid: both written
    let r = s
        .raw(
            SET_FLOW_RUN_STATES,
            json!({"input": {"states": [
                {"flow_run_id": other, "version": 1, "state": {"type": "Running"}},
                {"flow_run_id": run, "version": 5, "state": {"type": "Scheduled", "start_time": "2030-01-01T00:00:00Z"}},
            ]}}),
        )
        .await;
    assert_eq!(r["data"]["set_flow_run_states"]["states"].as_array().unwrap().len(), 2, "{r}");
    assert_eq!(run_state(&s, &other).await, ("Running".into(), 2));
    let d = s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { state scheduled_start_time state_start_time } }", json!({"id": run})).await;
    assert_eq!(d["flow_run_by_pk"]["scheduled_start_time"], "2030-01-01T00:00:00.000000+00:00");
    assert_eq!(d["flow_run_by_pk"]["state_start_time"], "2030-01-01T00:00:00.000000+00:00");
}

async fn task_ids(s: &Server, flow_id: &str) -> Vec<String> {
    let d = s.ok("query($id: uuid!) { task(where: {flow_id: {_eq: $id}}, order_by: {slug: asc}) { id } }", json!({ "id": flow_id })).await;
    d["task"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn task_runs_rules_and_cancellation_cascade() {
    let (s, _p, f) = with_flow(&[]).await;
    let run = create_run(&s, &f, json!({})).await;
    let tasks = task_ids(&s, &f).await;
    let q = "mutation($i: get_or_create_task_run_input!) { get_or_create_task_run(input: $i) { id } }";
    let tr = s.ok(q, json!({"i": {"flow_run_id": run, "task_id": tasks[0]}})).await["get_or_create_task_run"]["id"].as_str().unwrap().to_string();
    let again = s.ok(q, json!({"i": {"flow_run_id": run, "task_id": tasks[0], "map_index": -1}})).await["get_or_create_task_run"]["id"].as_str().unwrap().to_string();
    assert_eq!(tr, again);
    let mapped = s.ok(q, json!({"i": {"flow_run_id": run, "task_id": tasks[0], "map_index": 0}})).await["get_or_create_task_run"]["id"].as_str().unwrap().to_string();
    assert_ne!(tr, mapped);
    assert_eq!(s.err(q, json!({"i": {"flow_run_id": run, "task_id": "6e4ad3a4-0000-4000-8000-000000000000"}})).await, "NOT_FOUND");
    assert_eq!(s.err(q, json!({"i": {"flow_run_id": "6e4ad3a4-0000-4000-8000-000000000000", "task_id": tasks[0]}})).await, "NOT_FOUND");
    let qi = "mutation($i: get_or_create_task_run_info_input!) { get_or_create_task_run_info(input: $i) { id version state serialized_state } }";
    let info = s.ok(qi, json!({"i": {"flow_run_id": run, "task_id": tasks[1]}})).await;
    let info = &info["get_or_create_task_run_info"];
    assert_eq!(info["version"], 1);
    assert_eq!(info["state"], "Pending");
    assert_eq!(info["serialized_state"]["type"], "Pending");
    let tr2 = info["id"].as_str().unwrap().to_string();
    let d = s.ok("query($id: UUID!) { get_task_run_info(task_run_id: $id) { id version state serialized_state } }", json!({"id": tr})).await;
    assert_eq!(d["get_task_run_info"]["state"], "Pending");
    assert_eq!(d["get_task_run_info"]["version"], 1);
    assert_eq!(s.err("query($id: UUID!) { get_task_run_info(task_run_id: $id) { id } }", json!({"id": "6e4ad3a4-0000-4000-8000-000000000000"})).await, "NOT_FOUND");

    // a task run can be Running only while its flow run is Running
    let set = |id: &str, v: Option<i64>, st: J| json!({"input": {"states": [{"task_run_id": id, "version": v, "state": st}]}});
    let r = s.raw(SET_TASK_RUN_STATES, set(&tr, Some(1), json!({"type": "Running"}))).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{r}");
    set_flow_state(&s, &run, Some(1), json!({"type": "Running"})).await;
    let r = s.raw(SET_TASK_RUN_STATES, set(&tr, Some(1), json!({"type": "Running"}))).await;
    assert_eq!(r["data"]["set_task_run_states"]["states"][0]["status"], "SUCCESS", "{r}");
    let r = s.raw(SET_TASK_RUN_STATES, set(&tr, Some(1), json!({"type": "Success"}))).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "VERSION_LOCKING_ERROR");
    // flow_run_version is checked too
    let r = s.raw(SET_TASK_RUN_STATES, json!({"input": {"states": [{"task_run_id": tr, "version": 2, "flow_run_version": 1, "state": {"type": "Success"}}]}})).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "VERSION_LOCKING_ERROR");
    let r = s.raw(SET_TASK_RUN_STATES, json!({"input": {"states": [{"task_run_id": tr, "version": 2, "flow_run_version": 2, "state": {"type": "Success", "message": "ok"}}]}})).await;
    assert!(r.get("errors").is_none(), "{r}");
    let r = s.raw(SET_TASK_RUN_STATES, set("6e4ad3a4-0000-4000-8000-000000000000", None, json!({"type": "Success"}))).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let d = s.ok("query($id: uuid!) { task_run_by_pk(id: $id) { state version start_time end_time state_message states(order_by: {version: asc}) { state } task { slug } flow_run { id } } }", json!({"id": tr})).await;
    let t = &d["task_run_by_pk"];
    assert_eq!(t["state"], "Success");
    assert_eq!(t["version"], 3);
    assert!(t["start_time"].is_string() && t["end_time"].is_string());
    assert_eq!(t["states"], json!([{"state": "Pending"}, {"state": "Running"}, {"state": "Success"}]));
    assert_eq!(t["task"]["slug"], "extract");

    // Cancelled cascades to the unfinished task runs only
    let r = s.raw(SET_TASK_RUN_STATES, set(&tr2, None, json!({"type": "Running"}))).await;
    assert!(r.get("errors").is_none(), "{r}");
    set_flow_state(&s, &run, None, json!({"type": "Cancelled", "message": "stop"})).await;
    let d = s.ok("query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}}) { id state state_message } }", json!({"id": run})).await;
    for t in d["task_run"].as_array().unwrap() {
        let expect = if t["id"] == tr { "Success" } else { "Cancelled" };
        assert_eq!(t["state"], expect, "{t}");
    }
}

#[tokio::test]
async fn cancel_flow_run_semantics() {
    let (s, _p, f) = with_flow(&[]).await;
    let q = "mutation($id: UUID!) { cancel_flow_run(input: {flow_run_id: $id}) { state } }";
    let scheduled = create_run(&s, &f, json!({})).await;
    assert_eq!(s.ok(q, json!({"id": scheduled})).await["cancel_flow_run"]["state"], "Cancelled");
    assert_eq!(run_state(&s, &scheduled).await, ("Cancelled".into(), 2));
    // finished: no change
    assert_eq!(s.ok(q, json!({"id": scheduled})).await["cancel_flow_run"]["state"], "Cancelled");
    assert_eq!(run_state(&s, &scheduled).await, ("Cancelled".into(), 2));
    let running = create_run(&s, &f, json!({})).await;
    set_flow_state(&s, &running, Some(1), json!({"type": "Running"})).await;
    assert_eq!(s.ok(q, json!({"id": running})).await["cancel_flow_run"]["state"], "Cancelling");
    assert_eq!(run_state(&s, &running).await, ("Cancelling".into(), 3));
    let done = create_run(&s, &f, json!({})).await;
    set_flow_state(&s, &done, Some(1), json!({"type": "Success"})).await;
    assert_eq!(s.ok(q, json!({"id": done})).await["cancel_flow_run"]["state"], "Success");
    assert_eq!(run_state(&s, &done).await, ("Success".into(), 2));
    assert_eq!(s.err(q, json!({"id": "6e4ad3a4-0000-4000-8000-000000000000"})).await, "NOT_FOUND");
}

#[tokio::test]
async fn logs_names_labels_heartbeats_and_delete() {
    let (s, _p, f) = with_flow(&[]).await;
    let run = create_run(&s, &f, json!({})).await;
    let logs: Vec<J> = (0..30)
        .map(|i| {
            json!({"flow_run_id": run, "message": format!("line {i} {}", if i % 3 == 0 { "Needle" } else { "hay" }),
                   "level": if i % 2 == 0 { "INFO" } else { "ERROR" }, "name": "test", "timestamp": format!("2030-01-01T00:00:{i:02}Z"), "info": {"i": i}})
        })
        .collect();
    let d = s.ok("mutation($i: write_run_logs_input!) { write_run_logs(input: $i) { success error } }", json!({"i": {"logs": logs}})).await;
    assert_eq!(d["write_run_logs"], json!({"success": true, "error": null}));
    assert_eq!(
        s.err("mutation($i: write_run_logs_input!) { write_run_logs(input: $i) { success } }", json!({"i": {"logs": [{"flow_run_id": "6e4ad3a4-0000-4000-8000-000000000000", "message": "x"}]}})).await,
        "NOT_FOUND"
    );
    assert_eq!(
        s.err("mutation($i: write_run_logs_input!) { write_run_logs(input: $i) { success } }", json!({"i": {"logs": [{"flow_run_id": run, "level": "LOUD"}]}})).await,
        "GRAPHQL_VALIDATION_FAILED"
    );
    let d = s
        .ok(
            "query($id: uuid!) { flow_run_by_pk(id: $id) {
                logs(where: {level: {_in: [\"ERROR\", \"CRITICAL\"]}, message: {_ilike: \"%needle%\"}}, order_by: {timestamp: asc}, limit: 2, offset: 1) { message level info }
                logs_aggregate(where: {level: {_eq: \"ERROR\"}}) { aggregate { count } } } }",
            json!({ "id": run }),
        )
        .await;
    let l = &d["flow_run_by_pk"]["logs"];
    assert_eq!(l.as_array().unwrap().iter().map(|x| x["message"].as_str().unwrap()).collect::<Vec<_>>(), ["line 9 Needle", "line 15 Needle"]);
    assert_eq!(l[0]["info"], json!({"i": 9}));
    assert_eq!(d["flow_run_by_pk"]["logs_aggregate"]["aggregate"]["count"], 15);
    // _like is case-sensitive, _ilike is not
    let d = s.ok("{ a: log_aggregate(where: {message: {_like: \"%needle%\"}}) { aggregate { count } } b: log_aggregate(where: {message: {_like: \"%Needle%\"}}) { aggregate { count } } }", json!({})).await;
    assert_eq!(d["a"]["aggregate"]["count"], 0);
    assert_eq!(d["b"]["aggregate"]["count"], 10);

    s.ok("mutation($i: set_flow_run_name_input!) { set_flow_run_name(input: $i) { success } }", json!({"i": {"flow_run_id": run, "name": "renamed"}})).await;
    s.ok("mutation($i: set_flow_run_labels_input!) { set_flow_run_labels(input: $i) { success } }", json!({"i": {"flow_run_id": run, "labels": ["x", "y"]}})).await;
    s.ok("mutation($i: update_flow_run_heartbeat_input!) { update_flow_run_heartbeat(input: $i) { success } }", json!({"i": {"flow_run_id": run}})).await;
    let d = s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { name labels heartbeat } }", json!({"id": run})).await;
    assert_eq!(d["flow_run_by_pk"]["name"], "renamed");
    assert_eq!(d["flow_run_by_pk"]["labels"], json!(["x", "y"]));
    assert!(d["flow_run_by_pk"]["heartbeat"].is_string());
    let d = s.ok("{ flow_run(where: {labels: {_contains: [\"y\"]}}) { id } }", json!({})).await;
    assert_eq!(d["flow_run"][0]["id"], run);
    let d = s.ok("query($l: jsonb) { flow_run(where: {labels: {_eq: $l}}) { id } }", json!({"l": ["x", "y"]})).await;
    assert_eq!(d["flow_run"][0]["id"], run);
    let other = create_run(&s, &f, json!({})).await;
    let tasks = task_ids(&s, &f).await;
    let tr = s.ok("mutation($i: get_or_create_task_run_input!) { get_or_create_task_run(input: $i) { id } }", json!({"i": {"flow_run_id": other, "task_id": tasks[0]}})).await;
    let tr = tr["get_or_create_task_run"]["id"].as_str().unwrap();
    assert_eq!(
        s.err("mutation($i: write_run_logs_input!) { write_run_logs(input: $i) { success } }", json!({"i": {"logs": [{"flow_run_id": run, "task_run_id": tr, "message": "x"}]}})).await,
        "BAD_USER_INPUT"
    );
    s.ok("mutation($id: UUID!) { delete_flow_run(input: {flow_run_id: $id}) { success } }", json!({"id": other})).await;
    assert_eq!(
        s.err("mutation($i: set_flow_run_name_input!) { set_flow_run_name(input: $i) { success } }", json!({"i": {"flow_run_id": "6e4ad3a4-0000-4000-8000-000000000000", "name": "x"}})).await,
        "NOT_FOUND"
    );

    // delete cascades to states, task runs and logs
    let tasks = task_ids(&s, &f).await;
    s.ok("mutation($i: get_or_create_task_run_input!) { get_or_create_task_run(input: $i) { id } }", json!({"i": {"flow_run_id": run, "task_id": tasks[0]}})).await;
    let q = "mutation($id: UUID!) { delete_flow_run(input: {flow_run_id: $id}) { success } }";
    assert_eq!(s.ok(q, json!({"id": run})).await["delete_flow_run"]["success"], true);
    assert_eq!(s.err(q, json!({"id": run})).await, "NOT_FOUND");
    let d = s.ok("{ flow_run_aggregate { aggregate { count } } log_aggregate { aggregate { count } } task_run_aggregate { aggregate { count } } flow_run_state_aggregate { aggregate { count } } task_run_state_aggregate { aggregate { count } } }", json!({})).await;
    for k in ["flow_run_aggregate", "log_aggregate", "task_run_aggregate", "flow_run_state_aggregate", "task_run_state_aggregate"] {
        assert_eq!(d[k]["aggregate"]["count"], 0, "{k}");
    }
}

#[tokio::test]
async fn hasura_filters_ordering_relationships() {
    let (s, p, f) = with_flow(&[]).await;
    let mut hello = etl_flow();
    hello["name"] = json!("Hello");
    hello["parameters"] = json!([]);
    let f2 = create_flow(&s, &p, hello).await;
    let mut runs = Vec::new();
    for i in 0..6 {
        let flow = if i % 2 == 0 { &f } else { &f2 };
        let at = format!("2030-01-0{}T00:00:00Z", i + 1);
        runs.push(create_run(&s, flow, json!({"scheduled_start_time": at, "flow_run_name": format!("run-{i}")})).await);
    }
    set_flow_state(&s, &runs[0], None, json!({"type": "Running"})).await;
    set_flow_state(&s, &runs[1], None, json!({"type": "Success"})).await;
    set_flow_state(&s, &runs[2], None, json!({"type": "Failed"})).await;
    let names = |d: &J, k: &str| -> Vec<String> { d[k].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect() };

    // filter through an object relationship, order desc, with flow name
    let d = s.ok("{ flow_run(where: {flow: {name: {_eq: \"ETL\"}}}, order_by: {scheduled_start_time: desc}) { name flow { id name } } }", json!({})).await;
    assert_eq!(names(&d, "flow_run"), ["run-4", "run-2", "run-0"]);
    assert_eq!(d["flow_run"][0]["flow"]["name"], "ETL");
    // _in, _nin, _neq, _gt/_lte, _and/_or/_not, _is_null
    let d = s.ok("{ flow_run(where: {state: {_in: [\"Running\", \"Failed\"]}}, order_by: {name: asc}) { name } }", json!({})).await;
    assert_eq!(names(&d, "flow_run"), ["run-0", "run-2"]);
    let d = s.ok("{ flow_run(where: {state: {_nin: [\"Scheduled\"]}, name: {_neq: \"run-0\"}}, order_by: {name: asc}) { name } }", json!({})).await;
    assert_eq!(names(&d, "flow_run"), ["run-1", "run-2"]);
    let d = s.ok("{ flow_run(where: {scheduled_start_time: {_gt: \"2030-01-02T00:00:00Z\", _lte: \"2030-01-04T00:00:00+00:00\"}}, order_by: {name: asc}) { name } }", json!({})).await;
    assert_eq!(names(&d, "flow_run"), ["run-2", "run-3"]);
    let d = s.ok("{ flow_run(where: {_or: [{name: {_eq: \"run-5\"}}, {_and: [{state: {_eq: \"Scheduled\"}}, {_not: {flow: {name: {_eq: \"ETL\"}}}}]}]}, order_by: {name: asc}) { name } }", json!({})).await;
    assert_eq!(names(&d, "flow_run"), ["run-3", "run-5"]);
    let d = s.ok("{ flow_run(where: {start_time: {_is_null: false}}) { name } }", json!({})).await;
    assert_eq!(names(&d, "flow_run"), ["run-0"]);
    let d = s.ok("{ flow_run(where: {end_time: {_is_null: false}}, order_by: {name: asc}) { name } }", json!({})).await;
    assert_eq!(names(&d, "flow_run"), ["run-1", "run-2"]);
    let d = s.ok("{ flow_run(where: {name: {_like: \"run-_\"}}, limit: 2, offset: 3, order_by: [{flow: {name: asc}}, {name: desc}]) { name } }", json!({})).await;
    // ETL runs (4,2,0) then Hello (5,3,1); offset 3 limit 2 -> run-5, run-3
    assert_eq!(names(&d, "flow_run"), ["run-5", "run-3"]);
    // nulls ordering
    let d = s.ok("{ flow_run(order_by: [{end_time: asc_nulls_first}, {name: asc}], limit: 2) { name } }", json!({})).await;
    assert_eq!(names(&d, "flow_run"), ["run-0", "run-3"]);
    let d = s.ok("{ flow_run(order_by: [{end_time: desc_nulls_last}, {name: asc}], limit: 1) { name } }", json!({})).await;
    assert_ne!(names(&d, "flow_run")[0], "run-0");
    // array relationships with arguments, nested; aggregates per flow
    let d = s
        .ok(
            "{ flow(order_by: {name: asc}) { name flow_runs(where: {state: {_eq: \"Scheduled\"}}, order_by: {name: desc}, limit: 1) { name flow { name project { id } } }
                 scheduled: flow_runs_aggregate(where: {state: {_eq: \"Scheduled\"}}) { aggregate { count } }
                 all: flow_runs_aggregate { aggregate { count } nodes { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["flow"][0]["name"], "ETL");
    assert_eq!(d["flow"][0]["flow_runs"][0]["name"], "run-4");
    assert_eq!(d["flow"][0]["flow_runs"][0]["flow"]["project"]["id"], p);
    assert_eq!(d["flow"][0]["scheduled"]["aggregate"]["count"], 1);
    assert_eq!(d["flow"][1]["scheduled"]["aggregate"]["count"], 2);
    assert_eq!(d["flow"][1]["all"]["aggregate"]["count"], 3);
    assert_eq!(d["flow"][1]["all"]["nodes"].as_array().unwrap().len(), 3);
    // max/min and count(columns, distinct)
    let d = s
        .ok(
            "{ flow_run_aggregate { aggregate { count max { scheduled_start_time name version } min { scheduled_start_time }
                 states: count(columns: [state], distinct: true) started: count(columns: [start_time]) } }
               flow(order_by: {name: asc}) { flow_runs_aggregate { aggregate { max { end_time } } } } }",
            json!({}),
        )
        .await;
    let a = &d["flow_run_aggregate"]["aggregate"];
    assert_eq!(a["count"], 6);
    assert_eq!(a["max"]["scheduled_start_time"], "2030-01-06T00:00:00.000000+00:00");
    assert_eq!(a["max"]["name"], "run-5");
    assert_eq!(a["max"]["version"], 2);
    assert_eq!(a["min"]["scheduled_start_time"], "2030-01-01T00:00:00.000000+00:00");
    assert_eq!(a["states"], 4, "Running, Success, Failed, Scheduled");
    assert_eq!(a["started"], 1);
    assert!(d["flow"][0]["flow_runs_aggregate"]["aggregate"]["max"]["end_time"].is_string());
    // filter through an array relationship
    let d = s.ok("{ flow(where: {flow_runs: {state: {_eq: \"Failed\"}}}) { name } }", json!({})).await;
    assert_eq!(names(&d, "flow"), ["ETL"]);
    // by_pk of a missing row is null; a bad uuid is a validation error
    let d = s.ok("{ flow_run_by_pk(id: \"6e4ad3a4-0000-4000-8000-000000000000\") { id } }", json!({})).await;
    assert_eq!(d["flow_run_by_pk"], J::Null);
    assert_eq!(s.err("{ flow_run_by_pk(id: \"nope\") { id } }", json!({})).await, "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(s.err("{ flow_run(where: {id: {_eq: \"nope\"}}) { id } }", json!({})).await, "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(s.err("{ flow_run(where: {nope: {_eq: 1}}) { id } }", json!({})).await, "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(s.err("{ flow_run(limit: \"x\") { id } }", json!({})).await, "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(s.err("{ flow_run(limit: -1) { id } }", json!({})).await, "BAD_USER_INPUT");
    // distinct_on: the newest version of each version group
    let mut etl2 = etl_flow();
    etl2["name"] = json!("ETL v2");
    let group = s.ok("query($id: uuid!) { flow_by_pk(id: $id) { version_group_id } }", json!({"id": f})).await["flow_by_pk"]["version_group_id"].clone();
    s.ok("mutation($i: create_flow_input!) { create_flow(input: $i) { id } }", json!({"i": {"serialized_flow": etl2, "project_id": p, "version_group_id": group}})).await;
    let d = s.ok("{ flow(distinct_on: version_group_id, order_by: [{version_group_id: asc}, {version: desc}]) { name version } }", json!({})).await;
    let mut got: Vec<String> = d["flow"].as_array().unwrap().iter().map(|f| format!("{} v{}", f["name"].as_str().unwrap(), f["version"])).collect();
    got.sort();
    assert_eq!(got, ["ETL v2 v2", "Hello v1"]);
    // states ordered, task runs with their task
    let d = s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { states(order_by: {timestamp: asc}) { state } } }", json!({"id": runs[0]})).await;
    assert_eq!(d["flow_run_by_pk"]["states"], json!([{"state": "Scheduled"}, {"state": "Running"}]));
}

#[tokio::test]
async fn ten_thousand_rows_in_one_read() {
    let (s, _p, f) = with_flow(&[]).await;
    let mut doc = String::from("mutation {");
    for i in 0..500 {
        doc.push_str(&format!(" r{i}: create_flow_run(input: {{flow_id: \"{f}\", parameters: {{source: \"s\"}}}}) {{ id }}"));
    }
    doc.push('}');
    for _ in 0..21 {
        s.ok(&doc, json!({})).await;
    }
    let started = std::time::Instant::now();
    let d = s.ok("{ flow_run(order_by: {scheduled_start_time: desc}) { id name state version scheduled_start_time start_time end_time flow { name } } }", json!({})).await;
    let n = d["flow_run"].as_array().unwrap().len();
    assert_eq!(n, 10_500);
    assert_eq!(d["flow_run"][0]["flow"]["name"], "ETL");
    eprintln!("read of {n} flow runs with their flow: {:?}", started.elapsed());
}

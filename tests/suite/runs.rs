//! FlowRuns / TaskRuns against the real dev server.

use prefect_wasm::wasm::{FlowRuns, TaskRuns};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;

async fn new_run(flow_runs: &FlowRuns, flow_id: &str) -> String {
    let created = ok(flow_runs.create(flow_id.into(), None)).await;
    gets(&created, "id")
}

#[wasm_bindgen_test]
async fn create_and_get_state() {
    let client = client_at(server(), "{}");
    let (flow_id, _) = flow_fixture(&client).await;
    let flow_runs = FlowRuns::with_client(&client);
    let key = uid();
    let options = js(&format!(
        "{{ parameters: {{ x: 5 }}, context: {{ origin: 'test' }}, labels: ['a', 'b'], name: 'run-{key}', idempotencyKey: '{key}', scheduledStartTime: new Date(Date.now() + 3600e3) }}"
    ));
    let created = ok(flow_runs.create(flow_id.clone().into(), Some(options.clone()))).await;
    let id = gets(&created, "id");
    assert!(prefect_wasm::client_core::uuid::is_uuid(&id), "{id}");
    // Idempotent on the key.
    let again = ok(flow_runs.create(flow_id.clone().into(), Some(options))).await;
    assert_eq!(gets(&again, "id"), id);

    let state = ok(flow_runs.get_state(id.clone().into())).await;
    assert_eq!(gets(&state, "id"), id);
    assert_eq!(gets(&state, "type"), "Scheduled");
    assert_eq!(gets(&state, "name"), "Scheduled", "on GraphQL the name is the type");
    assert_eq!(gets(&state, "serializedState.type"), "Scheduled");
    let vars = json(&format!(r#"{{"id": "{id}"}}"#));
    let stored = ok(client.graphql("query V($id: uuid!) { flow_run_by_pk(id: $id) { version } }".into(), Some(vars), None)).await;
    let stored_version = get(&stored, "flow_run_by_pk.version").as_f64().unwrap_or_else(|| panic!("no stored version: {}", to_json(&stored)));
    assert_eq!(get(&state, "version").as_f64(), Some(stored_version), "the run's version as stored: {}", to_json(&state));
    assert!(get(&state, "result").is_null());
    assert!(get(&state, "message").is_string() || get(&state, "message").is_null());

    // What the server stored.
    let vars = json(&format!(r#"{{"id": "{id}"}}"#));
    let row = ok(client.graphql("query R($id: uuid!) { flow_run_by_pk(id: $id) { name labels parameters context } }".into(), Some(vars), None)).await;
    assert_eq!(gets(&row, "flow_run_by_pk.name"), format!("run-{key}"));
    assert_eq!(to_json(&get(&row, "flow_run_by_pk.labels")), r#"["a","b"]"#);
    assert_eq!(get(&row, "flow_run_by_pk.parameters.x").as_f64(), Some(5.0));
    assert_eq!(gets(&row, "flow_run_by_pk.context.origin"), "test");
}

#[wasm_bindgen_test]
async fn set_state_with_result_round_trips() {
    let client = client_at(server(), "{}");
    let (flow_id, _) = flow_fixture(&client).await;
    let flow_runs = FlowRuns::with_client(&client);
    let id = new_run(&flow_runs, &flow_id).await;
    let before = ok(flow_runs.get_state(id.clone().into())).await;
    let v0 = get(&before, "version").as_f64().unwrap();

    let running = ok(flow_runs.set_state(id.clone().into(), "Running".into(), None)).await;
    assert_eq!(gets(&running, "type"), "Running");
    assert!(get(&running, "version").as_f64().unwrap() > v0);
    assert_eq!(gets(&running, "serializedState.__version__"), "1.4.1");

    let result = json(r#"{"rows": [1, 2, 3], "ok": true, "name": "ünïcode"}"#);
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"result".into(), &result).unwrap();
    let done = ok(flow_runs.set_state(id.clone().into(), json(r#"{"type": "Success", "message": "all done"}"#), Some(options.into()))).await;
    assert_eq!(gets(&done, "type"), "Success");
    assert_eq!(gets(&done, "message"), "all done");
    assert_eq!(to_json(&get(&done, "result")), to_json(&result));
    assert_eq!(gets(&done, "serializedState._result.type"), "PrefectResult");
    assert_eq!(gets(&done, "serializedState._result.location"), to_json(&result));

    let read = ok(flow_runs.get_state(id.clone().into())).await;
    assert_eq!(to_json(&get(&read, "result")), to_json(&result));
    assert_eq!(get(&read, "version").as_f64(), get(&done, "version").as_f64());
    assert!(get(&read, "timestamp").is_string());

    // A null result is a result too.
    let nulled = ok(flow_runs.set_state(id.clone().into(), "Success".into(), Some(json(r#"{"result": null}"#)))).await;
    assert!(get(&nulled, "result").is_null());
    assert_eq!(gets(&nulled, "serializedState._result.location"), "null");
}

#[wasm_bindgen_test]
async fn state_objects_keep_their_keys() {
    let client = client_at(server(), "{}");
    let (flow_id, _) = flow_fixture(&client).await;
    let flow_runs = FlowRuns::with_client(&client);
    let id = new_run(&flow_runs, &flow_id).await;
    let state = ok(flow_runs.set_state(id.into(), json(r#"{"type": "Retrying", "message": "again", "run_count": 2}"#), None)).await;
    assert_eq!(gets(&state, "type"), "Retrying");
    assert_eq!(get(&state, "serializedState.run_count").as_f64(), Some(2.0));
    assert!(get(&state, "serializedState.start_time").is_string(), "{}", to_json(&state));
}

#[wasm_bindgen_test]
async fn expected_state_mismatch_writes_nothing() {
    let client = client_at(server(), "{}");
    let (flow_id, _) = flow_fixture(&client).await;
    let flow_runs = FlowRuns::with_client(&client);
    let id = new_run(&flow_runs, &flow_id).await;
    let before = ok(flow_runs.get_state(id.clone().into())).await;

    let error = fails_with(flow_runs.set_state(id.clone().into(), "Running".into(), Some(json(r#"{"expectedState": "Running"}"#))), "STATE_MISMATCH").await;
    assert!(gets(&error, "message").contains("Scheduled"));
    let after = ok(flow_runs.get_state(id.clone().into())).await;
    assert_eq!(to_json(&after), to_json(&before), "nothing was written");

    let running = ok(flow_runs.set_state(id.clone().into(), "Running".into(), Some(json(r#"{"expectedState": "Scheduled"}"#)))).await;
    assert_eq!(gets(&running, "type"), "Running");
}

#[wasm_bindgen_test]
async fn concurrent_set_state_same_version_one_version_locking_error() {
    let client = client_at(server(), "{}");
    let (flow_id, _) = flow_fixture(&client).await;
    let flow_runs = FlowRuns::with_client(&client);
    // Both calls read the same version before either writes; the second write is refused.
    for attempt in 0..3 {
        let id = new_run(&flow_runs, &flow_id).await;
        let a = flow_runs.set_state(id.clone().into(), "Running".into(), None);
        let b = flow_runs.set_state(id.clone().into(), "Failed".into(), None);
        let settled = ok(js_sys::Promise::all_settled(&js_sys::Array::of2(&a, &b))).await;
        let outcomes: Vec<String> = (0..2).map(|i| gets(&settled, &format!("{i}.status"))).collect();
        let rejected: Vec<JsValue> = (0..2).filter(|i| outcomes[*i as usize] == "rejected").map(|i| get(&settled, &format!("{i}.reason"))).collect();
        if rejected.is_empty() && attempt < 2 {
            continue; // the reads did not overlap this time
        }
        assert_eq!(rejected.len(), 1, "{}", to_json(&settled));
        assert!(prefect_wasm::wasm::is_prefect_error(&rejected[0]));
        assert_eq!(code(&rejected[0]), "VERSION_LOCKING_ERROR", "{}", describe(&rejected[0]));
        let state = ok(flow_runs.get_state(id.into())).await;
        let winner = (0..2).find(|i| outcomes[*i as usize] == "fulfilled").unwrap();
        assert_eq!(gets(&state, "type"), if winner == 0 { "Running" } else { "Failed" });
        return;
    }
}

#[wasm_bindgen_test]
async fn run_queues_a_scheduled_state_with_context() {
    let client = client_at(server(), "{}");
    let (flow_id, _) = flow_fixture(&client).await;
    let flow_runs = FlowRuns::with_client(&client);
    let id = new_run(&flow_runs, &flow_id).await;
    let state = ok(flow_runs.run(id.clone().into(), Some(json(r#"{"startTasks": ["t1"], "inputs": {"t1": {"x": 1}}}"#)))).await;
    assert_eq!(gets(&state, "type"), "Scheduled");
    assert_eq!(gets(&state, "serializedState.context.start_tasks.0"), "t1");
    assert_eq!(get(&state, "serializedState.context.inputs.t1.x").as_f64(), Some(1.0));
    assert!(get(&state, "serializedState.start_time").is_string());
    let plain = ok(flow_runs.run(id.into(), None)).await;
    assert_eq!(gets(&plain, "type"), "Scheduled");
}

#[wasm_bindgen_test]
async fn task_runs_get_and_set_state() {
    let client = client_at(server(), "{}");
    let (flow_id, task_id) = flow_fixture(&client).await;
    let flow_runs = FlowRuns::with_client(&client);
    let task_runs = TaskRuns::with_client(&client);
    let flow_run_id = new_run(&flow_runs, &flow_id).await;
    let task_run_id = task_run_fixture(&client, &flow_run_id, &task_id).await;

    let state = ok(task_runs.get_state(task_run_id.clone().into())).await;
    assert_eq!(gets(&state, "id"), task_run_id);
    assert_eq!(gets(&state, "type"), "Pending");

    ok(flow_runs.set_state(flow_run_id.into(), "Running".into(), None)).await;
    let running = ok(task_runs.set_state(task_run_id.clone().into(), "Running".into(), Some(json(r#"{"expectedState": "Pending"}"#)))).await;
    assert_eq!(gets(&running, "type"), "Running");
    fails_with(task_runs.set_state(task_run_id.clone().into(), "Success".into(), Some(json(r#"{"expectedState": "Pending"}"#))), "STATE_MISMATCH").await;
    let done = ok(task_runs.set_state(task_run_id.clone().into(), "Success".into(), Some(json(r#"{"result": 42}"#)))).await;
    assert_eq!(get(&done, "result").as_f64(), Some(42.0));
    let read = ok(task_runs.get_state(task_run_id.into())).await;
    assert_eq!(get(&read, "result").as_f64(), Some(42.0));
    assert_eq!(gets(&read, "type"), "Success");
}

#[wasm_bindgen_test]
async fn missing_runs_are_not_found() {
    let client = client_at(server(), "{}");
    let flow_runs = FlowRuns::with_client(&client);
    let task_runs = TaskRuns::with_client(&client);
    fails_with(flow_runs.get_state(MISSING.into()), "NOT_FOUND").await;
    fails_with(task_runs.get_state(MISSING.into()), "NOT_FOUND").await;
    fails_with(flow_runs.set_state(MISSING.into(), "Running".into(), None), "NOT_FOUND").await;
    fails_with(task_runs.set_state(MISSING.into(), "Running".into(), None), "NOT_FOUND").await;
    fails_with(flow_runs.run(MISSING.into(), None), "NOT_FOUND").await;
    fails_with(flow_runs.create(MISSING.into(), None), "NOT_FOUND").await;
}

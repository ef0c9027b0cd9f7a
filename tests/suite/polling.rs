//! `wait()` and `watch()` against the real dev server: they end on a finished state, honour
//! `until`, `timeoutMs` and the signal, keep one read in flight, and stop polling when left.

use js_sys::{Function, Promise, Reflect};
use prefect_wasm::wasm::{FlowRuns, TaskRuns};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;

async fn new_run(flow_runs: &FlowRuns) -> String {
    let client = client_at(server(), "{}");
    let (flow_id, _) = flow_fixture(&client).await;
    gets(&ok(flow_runs.create(flow_id.into(), None)).await, "id")
}

fn call(iterator: &JsValue, method: &str) -> Promise {
    let f: Function = get(iterator, method).unchecked_into();
    f.call0(iterator).unwrap().unchecked_into()
}

/// The next `{ value, done }` of an async iterator.
async fn next(iterator: &JsValue) -> JsValue {
    ok(call(iterator, "next")).await
}

fn options(json_text: &str, signal: Option<&JsValue>) -> JsValue {
    let options = json(json_text);
    if let Some(signal) = signal {
        Reflect::set(&options, &"signal".into(), signal).unwrap();
    }
    options
}

#[wasm_bindgen_test]
async fn wait_resolves_with_the_finished_state() {
    let client = client_at(server(), "{}");
    let flow_runs = FlowRuns::with_client(&client);
    let id = new_run(&flow_runs).await;
    let waiting = flow_runs.wait(id.clone().into(), Some(json(r#"{"intervalMs": 50}"#)));
    ok(flow_runs.set_state(id.clone().into(), "Running".into(), None)).await;
    sleep(120.0).await;
    ok(flow_runs.set_state(id.clone().into(), "Success".into(), Some(json(r#"{"result": 7}"#)))).await;
    let state = ok(waiting).await;
    assert_eq!(gets(&state, "type"), "Success");
    assert_eq!(gets(&state, "name"), "Success");
    assert_eq!(get(&state, "result").as_f64(), Some(7.0));
    // An already finished run: at once.
    assert_eq!(gets(&ok(flow_runs.wait(id.into(), None)).await, "type"), "Success");
}

#[wasm_bindgen_test]
async fn wait_until_stops_at_the_named_type() {
    let client = client_at(server(), "{}");
    let flow_runs = FlowRuns::with_client(&client);
    let id = new_run(&flow_runs).await;
    let waiting = flow_runs.wait(id.clone().into(), Some(json(r#"{"intervalMs": 50, "until": ["Running"]}"#)));
    ok(flow_runs.set_state(id.clone().into(), "Running".into(), None)).await;
    assert_eq!(gets(&ok(waiting).await, "type"), "Running");
}

#[wasm_bindgen_test]
async fn wait_times_out_and_aborts() {
    let client = client_at(server(), "{}");
    let flow_runs = FlowRuns::with_client(&client);
    let id = new_run(&flow_runs).await;
    let error = fails_with(flow_runs.wait(id.clone().into(), Some(json(r#"{"intervalMs": 50, "timeoutMs": 300}"#))), "TIMEOUT").await;
    assert!(gets(&error, "message").contains("300 ms"), "{}", describe(&error));
    let signal = abort_after(150.0, Some("enough"));
    let error = fails_with(flow_runs.wait(id.clone().into(), Some(options(r#"{"intervalMs": 50}"#, Some(&signal)))), "ABORTED").await;
    assert_eq!(get(&error, "cause").as_string().as_deref(), Some("enough"));
    fails_with(flow_runs.wait(MISSING.into(), None), "NOT_FOUND").await;
}

#[wasm_bindgen_test]
async fn wait_and_watch_arguments_are_checked_before_anything_is_sent() {
    let (url, key) = fault("/echo");
    let client = client_at(&url, "{}");
    let flow_runs = FlowRuns::with_client(&client);
    let id: JsValue = MISSING.into();
    for options in [r#"{"intervalMs": 0}"#, r#"{"intervalMs": "1"}"#, r#"{"timeoutMs": -1}"#, r#"{"until": ["Done"]}"#, r#"{"until": "Success"}"#, r#"{"signal": 1}"#] {
        fails_with(flow_runs.wait(id.clone(), Some(json(options))), "INVALID_ARGUMENT").await;
    }
    fails_with(flow_runs.wait("not-a-uuid".into(), None), "INVALID_ARGUMENT").await;
    for (run, options) in [("not-a-uuid", "{}"), (MISSING, r#"{"intervalMs": -5}"#)] {
        let iterator = flow_runs.watch(run.into(), Some(json(options)));
        fails_with(call(&iterator, "next"), "INVALID_ARGUMENT").await;
        assert_eq!(get(&next(&iterator).await, "done").as_bool(), Some(true), "over after the error");
    }
    assert_eq!(count(&key).await, 0.0);
}

#[wasm_bindgen_test]
async fn watch_yields_each_new_state_and_ends_after_a_finished_one() {
    let client = client_at(server(), "{}");
    let flow_runs = FlowRuns::with_client(&client);
    let id = new_run(&flow_runs).await;
    let iterator = flow_runs.watch(id.clone().into(), Some(json(r#"{"intervalMs": 30}"#)));
    let first = next(&iterator).await;
    assert_eq!(get(&first, "done").as_bool(), Some(false));
    assert_eq!(gets(&first, "value.type"), "Scheduled");
    ok(flow_runs.set_state(id.clone().into(), "Running".into(), None)).await;
    assert_eq!(gets(&next(&iterator).await, "value.type"), "Running");
    ok(flow_runs.set_state(id.clone().into(), "Failed".into(), None)).await;
    let last = next(&iterator).await;
    assert_eq!(gets(&last, "value.type"), "Failed");
    assert_eq!(get(&next(&iterator).await, "done").as_bool(), Some(true));
    assert_eq!(get(&next(&iterator).await, "done").as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn leaving_a_watch_stops_the_polling() {
    let client = client_at(server(), "{}");
    let flow_runs = FlowRuns::with_client(&client);
    let id = new_run(&flow_runs).await;
    let reads = FetchCounter::install(&id);
    // `for await` with a `break` after the first state.
    let consume = Function::new_with_args("it", "return (async () => { const seen = []; for await (const s of it) { seen.push(s.type); break; } return seen; })();");
    let iterator = flow_runs.watch(id.clone().into(), Some(json(r#"{"intervalMs": 20}"#)));
    let seen = ok(consume.call1(&JsValue::NULL, &iterator).unwrap().unchecked_into()).await;
    assert_eq!(to_json(&seen), r#"["Scheduled"]"#);
    let after_break = reads.count();
    sleep(200.0).await;
    assert_eq!(reads.count(), after_break, "no read after the loop was left");

    // The signal: the pending next() rejects ABORTED, and nothing polls afterwards.
    let signal = abort_after(100.0, Some("stop"));
    let iterator = flow_runs.watch(id.clone().into(), Some(options(r#"{"intervalMs": 20}"#, Some(&signal))));
    next(&iterator).await;
    let error = fails_with(call(&iterator, "next"), "ABORTED").await;
    assert_eq!(get(&error, "cause").as_string().as_deref(), Some("stop"));
    let after_abort = reads.count();
    sleep(200.0).await;
    assert_eq!(reads.count(), after_abort, "no read after the abort");
    assert_eq!(get(&next(&iterator).await, "done").as_bool(), Some(true));

    // return() while a next() waits: that next() ends the iteration, polling stops.
    let iterator = flow_runs.watch(id.clone().into(), Some(json(r#"{"intervalMs": 20}"#)));
    next(&iterator).await;
    let pending = call(&iterator, "next");
    sleep(50.0).await;
    ok(call(&iterator, "return")).await;
    assert_eq!(get(&ok(pending).await, "done").as_bool(), Some(true));
    let after_return = reads.count();
    sleep(200.0).await;
    assert_eq!(reads.count(), after_return, "no read after return()");
}

#[wasm_bindgen_test]
async fn one_read_in_flight() {
    let client = client_at(server(), "{}");
    let flow_runs = FlowRuns::with_client(&client);
    let id = new_run(&flow_runs).await;
    let iterator = flow_runs.watch(id.clone().into(), Some(json(r#"{"intervalMs": 10}"#)));
    let reads = FetchCounter::install(&id);
    // Three next() at once run one after another: the first yields, the others wait for news.
    let a = call(&iterator, "next");
    let b = call(&iterator, "next");
    assert_eq!(gets(&ok(a).await, "value.type"), "Scheduled");
    assert!(reads.count() <= 1.0, "{} reads for the first state", reads.count());
    ok(flow_runs.set_state(id.clone().into(), "Success".into(), None)).await;
    assert_eq!(gets(&ok(b).await, "value.type"), "Success");
    assert_eq!(get(&next(&iterator).await, "done").as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn task_runs_wait_and_watch() {
    let client = client_at(server(), "{}");
    let (flow_id, task_id) = flow_fixture(&client).await;
    let flow_runs = FlowRuns::with_client(&client);
    let task_runs = TaskRuns::with_client(&client);
    let flow_run_id = gets(&ok(flow_runs.create(flow_id.into(), None)).await, "id");
    let task_run_id = task_run_fixture(&client, &flow_run_id, &task_id).await;
    let iterator = task_runs.watch(task_run_id.clone().into(), Some(json(r#"{"intervalMs": 30}"#)));
    assert_eq!(gets(&next(&iterator).await, "value.type"), "Pending");
    let waiting = task_runs.wait(task_run_id.clone().into(), Some(json(r#"{"intervalMs": 30}"#)));
    ok(task_runs.set_state(task_run_id.clone().into(), "Success".into(), None)).await;
    assert_eq!(gets(&ok(waiting).await, "type"), "Success");
    assert_eq!(gets(&next(&iterator).await, "value.type"), "Success");
    assert_eq!(get(&next(&iterator).await, "done").as_bool(), Some(true));
    fails_with(task_runs.wait(MISSING.into(), None), "NOT_FOUND").await;
}

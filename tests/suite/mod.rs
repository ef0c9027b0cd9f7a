//! One suite, three runtimes (tests/browser.rs, tests/worker.rs, tests/node.rs), against the
//! real dev server and the fault server. Their URLs are baked in at compile time:
//! PREFECT_TEST_SERVER, PREFECT_TEST_AUTH_SERVER, PREFECT_TEST_FAULT_SERVER.
#![allow(dead_code)]

mod auth;
mod basics;
mod faults;
mod polling;
mod runs;

use js_sys::{Array, Function, Promise, Reflect};
use prefect_wasm::wasm::{is_prefect_error, Client};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

fn baked(name: &str, value: Option<&'static str>) -> &'static str {
    value.unwrap_or_else(|| {
        panic!("{name} was not set when the tests were compiled: run them through the test harness (tests/support/servers.mjs), which starts the servers and exports their URLs")
    })
}

pub fn server() -> &'static str {
    baked("PREFECT_TEST_SERVER", option_env!("PREFECT_TEST_SERVER"))
}
pub fn auth_server() -> &'static str {
    baked("PREFECT_TEST_AUTH_SERVER", option_env!("PREFECT_TEST_AUTH_SERVER"))
}
pub fn fault_server() -> &'static str {
    baked("PREFECT_TEST_FAULT_SERVER", option_env!("PREFECT_TEST_FAULT_SERVER"))
}

/// A fault-server URL for `path` with a fresh counter key; returns (url, key).
pub fn fault(path: &str) -> (String, String) {
    let key = uid();
    let sep = if path.contains('?') { '&' } else { '?' };
    (format!("{}{path}{sep}key={key}", fault_server().trim_end_matches('/')), key)
}

pub fn uid() -> String {
    format!("t{}", (js_sys::Math::random() * 1e12) as u64)
}

/// A JS value from JSON text.
pub fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or_else(|e| panic!("bad JSON in a test: {text}: {e:?}"))
}

pub fn to_json(value: &JsValue) -> String {
    js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string()).unwrap_or_else(|| format!("{value:?}"))
}

/// A client for `url` with extra options given as JSON text (`"{}"` for none).
pub fn client_at(url: &str, extra: &str) -> Client {
    let options = json(extra);
    Reflect::set(&options, &"apiServer".into(), &url.into()).unwrap();
    Client::new(Some(options)).unwrap_or_else(|e| panic!("Client rejected its options: {}", describe(&e)))
}

pub fn describe(value: &JsValue) -> String {
    let code = get(value, "code").as_string().unwrap_or_default();
    let message = get(value, "message").as_string().unwrap_or_else(|| to_json(value));
    format!("{code} {message}")
}

/// `value.a.b.c` (undefined when any step is missing).
pub fn get(value: &JsValue, path: &str) -> JsValue {
    let mut current = value.clone();
    for key in path.split('.') {
        if !current.is_object() && !current.is_function() {
            return JsValue::UNDEFINED;
        }
        current = match key.parse::<u32>() {
            Ok(index) if Array::is_array(&current) => current.unchecked_ref::<Array>().get(index),
            _ => Reflect::get(&current, &key.into()).unwrap_or(JsValue::UNDEFINED),
        };
    }
    current
}

pub fn gets(value: &JsValue, path: &str) -> String {
    get(value, path).as_string().unwrap_or_else(|| panic!("{path} is not a string in {}", to_json(value)))
}

pub async fn ok(promise: Promise) -> JsValue {
    match JsFuture::from(promise).await {
        Ok(value) => value,
        Err(e) => panic!("expected success, got {}", describe(&e)),
    }
}

/// Awaits a rejection, checks it is a real PrefectError, and returns it.
pub async fn fails(promise: Promise) -> JsValue {
    match JsFuture::from(promise).await {
        Ok(value) => panic!("expected a PrefectError, got {}", to_json(&value)),
        Err(e) => {
            assert!(is_prefect_error(&e), "not a PrefectError: {e:?}");
            assert!(e.has_type::<js_sys::Error>(), "not an Error");
            e
        }
    }
}

pub async fn fails_with(promise: Promise, code: &str) -> JsValue {
    let error = fails(promise).await;
    assert_eq!(get(&error, "code").as_string().as_deref(), Some(code), "{}", describe(&error));
    error
}

pub fn code(error: &JsValue) -> String {
    get(error, "code").as_string().unwrap_or_default()
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_url(url: &str) -> Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;
}

/// How many POSTs the fault server got for `key`.
pub async fn count(key: &str) -> f64 {
    let url = format!("{}/count?key={key}", fault_server().trim_end_matches('/'));
    let response: web_sys::Response = JsFuture::from(fetch_url(&url)).await.unwrap().dyn_into().unwrap();
    let body = JsFuture::from(response.json().unwrap()).await.unwrap();
    get(&body, "count").as_f64().unwrap()
}

pub async fn sleep(ms: f64) {
    let promise = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

/// Counts the fetches whose body contains `needle` until `restore()` (wraps globalThis.fetch,
/// which the client looks up at call time).
pub struct FetchCounter(JsValue);

impl FetchCounter {
    pub fn install(needle: &str) -> FetchCounter {
        let make = Function::new_with_args(
            "needle",
            "const original = globalThis.fetch; const counter = { n: 0, restore() { globalThis.fetch = original; } };
             globalThis.fetch = function (input, init) {
               if (init && typeof init.body === 'string' && init.body.includes(needle)) counter.n += 1;
               return original.apply(this, arguments);
             };
             return counter;",
        );
        FetchCounter(make.call1(&JsValue::NULL, &needle.into()).unwrap())
    }
    pub fn count(&self) -> f64 {
        get(&self.0, "n").as_f64().unwrap()
    }
}

impl Drop for FetchCounter {
    fn drop(&mut self) {
        let restore: Function = get(&self.0, "restore").unchecked_into();
        let _ = restore.call0(&self.0);
    }
}

/// Evaluates a JS expression (for values JSON cannot express: BigInt, Date, AbortSignal, ...).
pub fn js(expression: &str) -> JsValue {
    Function::new_no_args(&format!("return ({expression});")).call0(&JsValue::NULL).unwrap()
}

/// An AbortController that aborts after `ms` with `reason` (undefined = default reason).
pub fn abort_after(ms: f64, reason: Option<&str>) -> JsValue {
    let make = Function::new_with_args(
        "ms, reason",
        "const c = new AbortController(); setTimeout(() => reason === undefined ? c.abort() : c.abort(reason), ms); return c.signal;",
    );
    make.call2(&JsValue::NULL, &ms.into(), &reason.map(JsValue::from_str).unwrap_or(JsValue::UNDEFINED)).unwrap()
}

pub fn signal_options(signal: &JsValue) -> JsValue {
    let options = js_sys::Object::new();
    Reflect::set(&options, &"signal".into(), signal).unwrap();
    options.into()
}

/// A project, a flow with one task, on the open dev server: (flow id, task id).
pub async fn flow_fixture(client: &Client) -> (String, String) {
    let tenants = ok(client.graphql("query { tenant { id } }".into(), None, None)).await;
    let tenant_id = gets(&tenants, "tenant.0.id");
    let vars = json(&format!(r#"{{"input": {{"tenant_id": "{tenant_id}", "name": "project-{}"}}}}"#, uid()));
    let project = ok(client.graphql("mutation P($input: create_project_input!) { create_project(input: $input) { id } }".into(), Some(vars), None)).await;
    let project_id = gets(&project, "create_project.id");
    let vars = json(&format!(
        r#"{{"input": {{"project_id": "{project_id}", "serialized_flow": {{"name": "flow-{}", "tasks": [{{"slug": "t1", "name": "t1"}}], "edges": [], "parameters": [{{"slug": "x", "name": "x", "required": false, "default": 0}}], "__version__": "1.4.1"}}}}}}"#,
        uid()
    ));
    let flow = ok(client.graphql("mutation F($input: create_flow_input!) { create_flow(input: $input) { id } }".into(), Some(vars), None)).await;
    let flow_id = gets(&flow, "create_flow.id");
    let vars = json(&format!(r#"{{"id": "{flow_id}"}}"#));
    let tasks = ok(client.graphql("query T($id: uuid!) { flow_by_pk(id: $id) { tasks { id } } }".into(), Some(vars), None)).await;
    (flow_id, gets(&tasks, "flow_by_pk.tasks.0.id"))
}

/// A task run of `flow_run_id` for `task_id`.
pub async fn task_run_fixture(client: &Client, flow_run_id: &str, task_id: &str) -> String {
    let vars = json(&format!(r#"{{"input": {{"flow_run_id": "{flow_run_id}", "task_id": "{task_id}"}}}}"#));
    let created = ok(client.graphql(
        "mutation G($input: get_or_create_task_run_input!) { get_or_create_task_run(input: $input) { id } }".into(),
        Some(vars),
        None,
    ))
    .await;
    gets(&created, "get_or_create_task_run.id")
}

pub const MISSING: &str = "00000000-0000-4000-8000-000000000000";

//! graphql(), what goes over the wire, PrefectError's shape, INVALID_ARGUMENT before any I/O.

use prefect_wasm::wasm::{Client, FlowRuns, TaskRuns};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;

/// The `data` of the dev server's own answer to `query`, fetched directly (not through the client).
async fn server_data(query: &str) -> JsValue {
    let post = js_sys::Function::new_with_args(
        "url, query",
        "return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then((r) => r.json()).then((b) => b.data);",
    );
    ok(wasm_bindgen::JsCast::unchecked_into(post.call2(&JsValue::NULL, &server().into(), &query.into()).unwrap())).await
}

#[wasm_bindgen_test]
async fn graphql_resolves_data() {
    let client = client_at(server(), "{}");
    let query = "query { hello api { version } }";
    let data = ok(client.graphql(query.into(), None, None)).await;
    let answer = server_data(query).await;
    assert!(get(&answer, "hello").is_string() && get(&answer, "api.version").is_string(), "{}", to_json(&answer));
    assert_eq!(to_json(&data), to_json(&answer), "graphql() resolves the `data` of the server's answer");
    // Variables travel as variables.
    let vars = json(&format!(r#"{{"id": "{MISSING}"}}"#));
    let data = ok(client.graphql("query Q($id: uuid!) { flow_run_by_pk(id: $id) { id } }".into(), Some(vars), None)).await;
    assert!(get(&data, "flow_run_by_pk").is_null(), "{}", to_json(&data));
}

#[wasm_bindgen_test]
async fn graphql_errors_from_the_real_server() {
    let client = client_at(server(), "{}");
    let error = fails_with(client.graphql("query { no_such_field }".into(), None, None), "GRAPHQL").await;
    assert_eq!(get(&error, "status").as_f64(), Some(200.0));
    assert!(get(&error, "errors.0.message").is_string(), "{}", to_json(&get(&error, "errors")));
}

#[wasm_bindgen_test]
async fn sends_headers_token_tenant_and_variables() {
    let (url, _) = fault("/echo");
    let tenant = "6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f";
    let client = client_at(&url, &format!(r#"{{"token": "tok-1", "tenantId": "{tenant}", "headers": {{"X-Custom": "yes"}}}}"#));
    assert_eq!(client.token().as_deref(), Some("tok-1"));
    let query = "query Q($a: String, $n: Int) { x(a: $a, n: $n) }";
    let vars = json(r#"{"a": "it's \"quoted\" } {", "n": 3, "nested": {"list": [1, null, true]}}"#);
    let data = ok(client.graphql(query.into(), Some(vars.clone()), None)).await;
    assert_eq!(gets(&data, "method"), "POST");
    assert_eq!(gets(&data, "headers.authorization"), "Bearer tok-1");
    assert_eq!(gets(&data, "headers.x-prefect-tenant-id"), tenant);
    assert_eq!(gets(&data, "headers.x-custom"), "yes");
    assert!(gets(&data, "headers.content-type").starts_with("application/json"));
    assert_eq!(gets(&data, "body.query"), query, "the document is sent as given");
    assert_eq!(to_json(&get(&data, "body.variables")), to_json(&vars));
    // No token, no tenant: no such headers.
    let bare = client_at(&url, "{}");
    assert_eq!(bare.token(), None);
    let data = ok(bare.graphql("{ x }".into(), None, None)).await;
    assert!(get(&data, "headers.authorization").is_undefined());
    assert!(get(&data, "headers.x-prefect-tenant-id").is_undefined());
    assert!(get(&data, "body.variables").is_undefined());
}

#[wasm_bindgen_test]
async fn graphql_server_overrides_api_server() {
    let (url, key) = fault("/echo");
    let options = json(&format!(r#"{{"apiServer": "http://127.0.0.1:1", "graphqlServer": "{url}"}}"#));
    let client = Client::new(Some(options)).unwrap();
    ok(client.graphql("{ x }".into(), None, None)).await;
    assert_eq!(count(&key).await, 1.0);
}

#[wasm_bindgen_test]
async fn prefect_error_is_a_real_error() {
    let client = client_at("http://127.0.0.1:1", r#"{"retries": 0}"#);
    let error = fails_with(client.graphql("{ hello }".into(), None, None), "NETWORK").await;
    assert_eq!(gets(&error, "name"), "PrefectError");
    let stack = gets(&error, "stack");
    assert!(stack.contains("PrefectError"), "{stack}");
    assert!(!gets(&error, "message").is_empty());
    assert!(get(&error, "status").is_undefined(), "no response, no status");
    let proto = js_sys::Object::get_prototype_of(&error);
    assert_eq!(gets(&get(&proto.into(), "constructor"), "name"), "PrefectError");
}

#[wasm_bindgen_test]
async fn constructor_rejects_bad_options() {
    for options in [
        r#"{"timeoutMs": -1}"#,
        r#"{"timeoutMs": "5"}"#,
        r#"{"retries": 1.5}"#,
        r#"{"retries": -1}"#,
        r#"{"apiServer": "ftp://example.com"}"#,
        r#"{"apiServer": 42}"#,
        r#"{"graphqlServer": "not a url"}"#,
        r#"{"tenantId": "tenant"}"#,
        r#"{"token": 7}"#,
        r#"{"headers": {"bad header": "x"}}"#,
        r#"{"headers": {"X-Ok": 1}}"#,
        r#"{"headers": []}"#,
        r#"[]"#,
        r#""options""#,
    ] {
        let error = match Client::new(Some(json(options))) {
            Ok(_) => panic!("accepted {options}"),
            Err(e) => e,
        };
        assert!(prefect_wasm::wasm::is_prefect_error(&error), "{options}");
        assert_eq!(code(&error), "INVALID_ARGUMENT", "{options}: {}", describe(&error));
    }
    for options in ["({ get timeoutMs() { throw new Error('getter'); } })", "new Proxy({}, { get() { throw 1; } })", "({ headers: new Proxy({}, { ownKeys() { throw 2; } }) })"] {
        let error = match Client::new(Some(js(options))) {
            Ok(_) => panic!("accepted {options}"),
            Err(e) => e,
        };
        assert_eq!(code(&error), "INVALID_ARGUMENT", "{options}: {}", describe(&error));
    }
    // Defaults and nullish options are fine.
    assert!(Client::new(None).is_ok());
    assert!(Client::new(Some(JsValue::NULL)).is_ok());
}

#[wasm_bindgen_test]
async fn run_handles_take_only_a_live_client() {
    let client: JsValue = client_at(server(), "{}").into();
    let flow_runs = FlowRuns::new(client.clone()).expect("a Client is accepted");
    let missing = fails_with(flow_runs.get_state(MISSING.into()), "NOT_FOUND").await;
    assert_eq!(get(&missing, "name").as_string().as_deref(), Some("PrefectError"));
    assert!(TaskRuns::new(client.clone()).is_ok());
    let not_clients = [
        JsValue::NULL,
        JsValue::UNDEFINED,
        JsValue::from(1),
        JsValue::from("client"),
        js("{}"),
        js("{ __prefectClientHandle: 1e6 }"),
        js("{ __prefectClientHandle: 'x' }"),
        js("Object.create(null)"),
        flow_runs.into(),
    ];
    for value in not_clients {
        let error = FlowRuns::new(value.clone()).err().expect("refused");
        assert_eq!(code(&error), "INVALID_ARGUMENT", "{}", describe(&error));
        assert!(error.is_instance_of::<js_sys::Error>());
        assert_eq!(code(&TaskRuns::new(value).err().expect("refused")), "INVALID_ARGUMENT");
    }
    // a Client whose memory was released
    let free: js_sys::Function = get(&client, "free").into();
    free.call0(&client).unwrap();
    let error = FlowRuns::new(client).err().expect("refused");
    assert_eq!(code(&error), "INVALID_ARGUMENT");
    assert!(describe(&error).contains("freed"), "{}", describe(&error));
}

#[wasm_bindgen_test]
async fn invalid_arguments_send_nothing() {
    let (url, key) = fault("/echo");
    let client = client_at(&url, "{}");
    let flow_runs = FlowRuns::with_client(&client);
    let task_runs = TaskRuns::with_client(&client);
    let id: JsValue = "6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f".into();
    let expect = |p| fails_with(p, "INVALID_ARGUMENT");

    expect(client.graphql(JsValue::from(5), None, None)).await;
    expect(client.graphql("  ".into(), None, None)).await;
    expect(client.graphql("{ x }".into(), Some(json("[1]")), None)).await;
    expect(client.graphql("{ x }".into(), Some("vars".into()), None)).await;
    expect(client.graphql("{ x }".into(), Some(js("{ big: 10n }")), None)).await;
    expect(client.graphql("{ x }".into(), None, Some(json(r#"{"signal": 5}"#)))).await;
    expect(client.login(JsValue::from(1), "pw".into(), None)).await;
    expect(client.login("a@b.c".into(), "pw".into(), Some(json(r#"{"accountId": "nope"}"#)))).await;
    expect(client.login("a@b.c".into(), "pw".into(), Some(json(r#"{"accountSlug": 3}"#)))).await;

    expect(flow_runs.create("flow".into(), None)).await;
    expect(flow_runs.create(id.clone(), Some(json(r#"{"labels": [1]}"#)))).await;
    expect(flow_runs.create(id.clone(), Some(json(r#"{"parameters": [1]}"#)))).await;
    expect(flow_runs.create(id.clone(), Some(json(r#"{"scheduledStartTime": "tomorrow"}"#)))).await;
    expect(flow_runs.create(id.clone(), Some(js("{ scheduledStartTime: new Date('nope') }")))).await;
    expect(flow_runs.create(id.clone(), Some(json(r#"{"parentTaskRunId": "x"}"#)))).await;
    expect(flow_runs.create(id.clone(), Some(json(r#"{"idempotencyKey": 1}"#)))).await;
    expect(flow_runs.get_state("not-a-uuid".into())).await;
    expect(flow_runs.get_state(JsValue::NULL)).await;
    expect(flow_runs.run(id.clone(), Some(json(r#"{"startTasks": "t1"}"#)))).await;
    expect(flow_runs.set_state(id.clone(), "Bogus".into(), None)).await;
    expect(flow_runs.set_state(id.clone(), "running".into(), None)).await;
    expect(flow_runs.set_state(id.clone(), json(r#"{"message": "no type"}"#), None)).await;
    expect(flow_runs.set_state(id.clone(), json(r#"{"type": 3}"#), None)).await;
    expect(flow_runs.set_state(id.clone(), json(r#"{"type": "Running", "message": 3}"#), None)).await;
    expect(flow_runs.set_state(id.clone(), JsValue::from(3), None)).await;
    expect(flow_runs.set_state(id.clone(), "Running".into(), Some(json(r#"{"expectedState": "Nope"}"#)))).await;
    expect(flow_runs.set_state(id.clone(), "Success".into(), Some(js("{ result: 10n }")))).await;
    expect(flow_runs.set_state(id.clone(), "Success".into(), Some(js("{ result: () => 1 }")))).await;
    expect(flow_runs.set_state(id.clone(), "Success".into(), Some(js("(() => { const a = {}; a.a = a; return { result: a }; })()")))).await;
    expect(flow_runs.set_state(id.clone(), "Success".into(), Some(js("{ result: 'x'.repeat(1000001) }")))).await;
    expect(task_runs.get_state("123".into())).await;
    expect(client.graphql(js("Symbol('q')"), None, None)).await;
    expect(flow_runs.set_state(id.clone(), js("new Proxy({ type: 'Running' }, { ownKeys() { throw new Error('keys'); } })"), None)).await;
    expect(flow_runs.set_state(id.clone(), js("({ get type() { throw new Error('type'); } })"), None)).await;
    expect(flow_runs.create(id.clone(), Some(js("({ context: { get x() { throw new Error('x'); } }, parentTaskRunId: '6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f' })")))).await;
    expect(task_runs.set_state(id.clone(), "Nope".into(), None)).await;

    assert_eq!(count(&key).await, 0.0, "nothing may be sent for invalid input");
    // And the module is still fine.
    ok(client.graphql("{ x }".into(), None, None)).await;
    assert_eq!(count(&key).await, 1.0);
}

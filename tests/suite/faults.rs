//! Every transport and decode failure produced for real: closed port, stalls, aborts, bad
//! statuses and bodies, GraphQL errors, and the retry policy as the server sees it.

use wasm_bindgen_test::wasm_bindgen_test;

use super::*;

const QUERY: &str = "query { hello }";
const MUTATION: &str = "mutation { do_it }";

fn call(url: &str, options: &str, document: &str) -> js_sys::Promise {
    client_at(url, options).graphql(document.into(), None, None)
}

#[wasm_bindgen_test]
async fn closed_port_is_network() {
    let error = fails_with(call("http://127.0.0.1:1", r#"{"retries": 0}"#, QUERY), "NETWORK").await;
    assert!(get(&error, "status").is_undefined());
    // Retried (a query), then still NETWORK.
    fails_with(call("http://127.0.0.1:1", r#"{"retries": 2}"#, QUERY), "NETWORK").await;
}

#[wasm_bindgen_test]
async fn stalls_time_out_per_attempt() {
    let (url, key) = fault("/stall");
    fails_with(call(&url, r#"{"timeoutMs": 300, "retries": 0}"#, QUERY), "TIMEOUT").await;
    assert_eq!(count(&key).await, 1.0);
    let (url, key) = fault("/stall");
    fails_with(call(&url, r#"{"timeoutMs": 200, "retries": 1}"#, QUERY), "TIMEOUT").await;
    assert_eq!(count(&key).await, 2.0, "a timed-out query is retried");
    let (url, key) = fault("/stall");
    fails_with(call(&url, r#"{"timeoutMs": 200, "retries": 2}"#, MUTATION), "TIMEOUT").await;
    assert_eq!(count(&key).await, 1.0, "a timed-out mutation may have been applied: not retried");
    let (url, _) = fault("/stall-body");
    fails_with(call(&url, r#"{"timeoutMs": 300, "retries": 0}"#, QUERY), "TIMEOUT").await;
}

#[wasm_bindgen_test]
async fn the_callers_signal_aborts() {
    let (url, _) = fault("/stall");
    let client = client_at(&url, r#"{"timeoutMs": 5000}"#);
    let signal = abort_after(100.0, None);
    fails_with(client.graphql(QUERY.into(), None, Some(signal_options(&signal))), "ABORTED").await;
    // abort("reason") with a non-Error reason (the gloo-net trap): ABORTED, reason as cause.
    let signal = abort_after(100.0, Some("user left"));
    let error = fails_with(client.graphql(QUERY.into(), None, Some(signal_options(&signal))), "ABORTED").await;
    assert_eq!(get(&error, "cause").as_string().as_deref(), Some("user left"));
    // Already aborted: nothing is sent.
    let (url, key) = fault("/echo");
    let client = client_at(&url, "{}");
    let signal = js("(() => { const c = new AbortController(); c.abort(); return c.signal; })()");
    fails_with(client.graphql(QUERY.into(), None, Some(signal_options(&signal))), "ABORTED").await;
    assert_eq!(count(&key).await, 0.0);
    // Aborting during the backoff between retries.
    let (url, _) = fault("/flaky/503?times=100");
    let client = client_at(&url, r#"{"retries": 10}"#);
    let signal = abort_after(150.0, Some("stop"));
    fails_with(client.graphql(QUERY.into(), None, Some(signal_options(&signal))), "ABORTED").await;
    // A signal that never fires changes nothing, and the client keeps working.
    let (url, _) = fault("/echo");
    let client = client_at(&url, "{}");
    let signal = js("new AbortController().signal");
    ok(client.graphql(QUERY.into(), None, Some(signal_options(&signal)))).await;
}

#[wasm_bindgen_test]
async fn bad_statuses_are_http_or_unauthenticated() {
    for (path, status) in [("/status/500", 500.0), ("/status/404", 404.0), ("/status/400", 400.0), ("/status/503", 503.0)] {
        let (url, _) = fault(path);
        let error = fails_with(call(&url, r#"{"retries": 0}"#, QUERY), "HTTP").await;
        assert_eq!(get(&error, "status").as_f64(), Some(status), "{path}");
    }
    let (url, _) = fault("/status/401");
    let error = fails_with(call(&url, "{}", QUERY), "UNAUTHENTICATED").await;
    assert_eq!(get(&error, "status").as_f64(), Some(401.0));
    let (url, _) = fault("/status/401-graphql");
    let error = fails_with(call(&url, "{}", QUERY), "UNAUTHENTICATED").await;
    assert!(get(&error, "errors.0.message").is_string());
}

#[wasm_bindgen_test]
async fn answers_that_are_not_graphql_json_are_decode() {
    for path in ["/html", "/not-json", "/truncated", "/not-object", "/no-data"] {
        let (url, _) = fault(path);
        let error = fails_with(call(&url, "{}", QUERY), "DECODE").await;
        assert_eq!(get(&error, "status").as_f64(), Some(200.0), "{path}");
    }
}

#[wasm_bindgen_test]
async fn graphql_errors_carry_errors_and_partial_data() {
    let (url, _) = fault("/errors-with-data");
    let error = fails_with(call(&url, "{}", QUERY), "GRAPHQL").await;
    assert_eq!(gets(&error, "message"), "other failed");
    assert_eq!(gets(&error, "errors.0.extensions.code"), "API_ERROR");
    assert_eq!(gets(&error, "errors.0.path.0"), "other");
    assert_eq!(gets(&error, "data.hello"), "partial");
    for (code, expected) in [
        ("VERSION_LOCKING_ERROR", "VERSION_LOCKING_ERROR"),
        ("NOT_FOUND", "NOT_FOUND"),
        ("UNAUTHENTICATED", "UNAUTHENTICATED"),
        ("GRAPHQL_VALIDATION_FAILED", "GRAPHQL"),
        ("BAD_USER_INPUT", "GRAPHQL"),
    ] {
        let (url, _) = fault(&format!("/graphql-error?code={code}"));
        let error = fails_with(call(&url, "{}", QUERY), expected).await;
        assert!(get(&error, "data").is_undefined(), "null data is not attached");
    }
}

#[wasm_bindgen_test]
async fn transient_failures_are_retried_only_where_safe() {
    // A query through two 503s.
    let (url, key) = fault("/flaky/503?times=2");
    let data = ok(call(&url, "{}", QUERY)).await;
    assert_eq!(get(&data, "attempt").as_f64(), Some(3.0));
    assert_eq!(count(&key).await, 3.0);
    // Out of retries: the last answer.
    let (url, key) = fault("/flaky/502?times=5");
    let error = fails_with(call(&url, r#"{"retries": 1}"#, QUERY), "HTTP").await;
    assert_eq!(get(&error, "status").as_f64(), Some(502.0));
    assert_eq!(count(&key).await, 2.0);
    // A mutation is not repeated after a 503 or a dropped connection...
    let (url, key) = fault("/flaky/503?times=1");
    fails_with(call(&url, "{}", MUTATION), "HTTP").await;
    assert_eq!(count(&key).await, 1.0);
    let (url, key) = fault("/close?times=1");
    fails_with(call(&url, "{}", MUTATION), "NETWORK").await;
    assert_eq!(count(&key).await, 1.0);
    // ...but a query is.
    let (url, key) = fault("/close?times=1");
    ok(call(&url, "{}", QUERY)).await;
    assert_eq!(count(&key).await, 2.0);
    // 500 is not transient.
    let (url, key) = fault("/flaky/500?times=1");
    fails_with(call(&url, "{}", QUERY), "HTTP").await;
    assert_eq!(count(&key).await, 1.0);
}

#[wasm_bindgen_test]
async fn too_many_requests_honours_retry_after() {
    // Even a mutation: the server refused it without acting.
    let (url, key) = fault("/429?retry-after=1&times=1");
    let started = js_sys::Date::now();
    let data = ok(call(&url, "{}", MUTATION)).await;
    let waited = js_sys::Date::now() - started;
    assert_eq!(get(&data, "attempt").as_f64(), Some(2.0));
    assert!(waited >= 900.0, "Retry-After: 1 was honoured ({waited} ms)");
    assert_eq!(count(&key).await, 2.0);
    // No retries left: HTTP 429.
    let (url, _) = fault("/429?retry-after=1&times=1");
    let error = fails_with(call(&url, r#"{"retries": 0}"#, QUERY), "HTTP").await;
    assert_eq!(get(&error, "status").as_f64(), Some(429.0));
}

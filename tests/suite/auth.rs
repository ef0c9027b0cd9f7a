//! The token flow: against the dev server in --auth mode (alice: two tenants, bob: one; 20 s
//! tokens, inside the 30 s refresh-ahead window) and the fault server's token service.

use js_sys::{Array, Promise};
use prefect_wasm::wasm::{Client, FlowRuns};
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;

const ALICE: (&str, &str) = ("alice@example.com", "alice-password");
const BOB: (&str, &str) = ("bob@example.com", "bob-password");

fn hello(client: &Client) -> Promise {
    client.graphql("query { hello }".into(), None, None)
}

#[wasm_bindgen_test]
async fn login_without_account_lists_tenants() {
    let client = client_at(auth_server(), "{}");
    let tenants = ok(client.login(ALICE.0.into(), ALICE.1.into(), None)).await;
    assert!(Array::is_array(&tenants), "{}", to_json(&tenants));
    let mut slugs: Vec<String> = (0..Array::from(&tenants).length()).map(|i| gets(&tenants, &format!("{i}.slug"))).collect();
    slugs.sort();
    assert_eq!(slugs, ["alice-team", "shared-team"]);
    for i in 0..2 {
        assert!(prefect_wasm::client_core::uuid::is_uuid(&gets(&tenants, &format!("{i}.id"))));
        assert!(get(&tenants, &format!("{i}.name")).is_string());
    }
    assert!(client.token().is_some());
}

#[wasm_bindgen_test]
async fn login_with_account_slug_or_id_switches() {
    let client = client_at(auth_server(), "{}");
    let tenants = ok(client.login(ALICE.0.into(), ALICE.1.into(), None)).await;
    let first = client.token();
    let switched = ok(client.login(ALICE.0.into(), ALICE.1.into(), Some(json(r#"{"accountSlug": "shared-team"}"#)))).await;
    assert!(switched.is_undefined());
    assert_ne!(client.token(), first);
    ok(hello(&client)).await;

    let shared_id = (0..2).map(|i| get(&tenants, &format!("{i}")))
        .find(|t| gets(t, "slug") == "shared-team")
        .map(|t| gets(&t, "id"))
        .unwrap();
    let other = client_at(auth_server(), "{}");
    let switched = ok(other.login(ALICE.0.into(), ALICE.1.into(), Some(json(&format!(r#"{{"accountId": "{shared_id}"}}"#))))).await;
    assert!(switched.is_undefined());
    ok(hello(&other)).await;

    fails_with(client.login(ALICE.0.into(), ALICE.1.into(), Some(json(r#"{"accountSlug": "nobody-team"}"#))), "NOT_FOUND").await;
}

#[wasm_bindgen_test]
async fn bad_credentials_and_missing_tokens_are_unauthenticated() {
    let client = client_at(auth_server(), "{}");
    fails_with(client.login(ALICE.0.into(), "wrong".into(), None), "UNAUTHENTICATED").await;
    fails_with(client.login("nobody@example.com".into(), "x".into(), None), "UNAUTHENTICATED").await;
    assert_eq!(client.token(), None);
    fails_with(hello(&client), "UNAUTHENTICATED").await;
    fails_with(client.refresh_token(), "UNAUTHENTICATED").await;
    // A token from elsewhere cannot be refreshed: one refusal, no retry.
    let stranger = client_at(auth_server(), r#"{"token": "not-a-real-token"}"#);
    let requests = FetchCounter::install("");
    fails_with(hello(&stranger), "UNAUTHENTICATED").await;
    assert_eq!(requests.count(), 1.0, "one request: no refresh, no repeat");
}

#[wasm_bindgen_test]
async fn refresh_token_replaces_the_tokens() {
    let client = client_at(auth_server(), "{}");
    ok(client.login(BOB.0.into(), BOB.1.into(), None)).await;
    let before = client.token();
    let resolved = ok(client.refresh_token()).await;
    assert!(resolved.is_undefined());
    assert!(client.token().is_some());
    assert_ne!(client.token(), before);
    ok(client.refresh_token()).await; // the rotated refresh token works too
    ok(hello(&client)).await;
}

#[wasm_bindgen_test]
async fn token_near_expiry_is_refreshed_ahead_once_for_concurrent_calls() {
    let client = client_at(auth_server(), "{}");
    let tenants = ok(client.login(BOB.0.into(), BOB.1.into(), None)).await;
    let slug = gets(&tenants, "0.slug");
    ok(client.login(BOB.0.into(), BOB.1.into(), Some(json(&format!(r#"{{"accountSlug": "{slug}"}}"#))))).await;
    let before = client.token();
    let refreshes = FetchCounter::install("refresh_token(");
    // 20 s tokens are inside the 30 s window: every call first refreshes, concurrent ones share it.
    let flow_runs = FlowRuns::with_client(&client);
    let calls = Array::new();
    for _ in 0..5 {
        calls.push(&hello(&client));
    }
    calls.push(&flow_runs.get_state(MISSING.into()));
    let settled = ok(Promise::all_settled(&calls)).await;
    for i in 0..5 {
        assert_eq!(gets(&settled, &format!("{i}.status")), "fulfilled", "{}", to_json(&settled));
    }
    assert_eq!(code(&get(&settled, "5.reason")), "NOT_FOUND");
    assert_eq!(refreshes.count(), 1.0, "one shared refresh");
    assert_ne!(client.token(), before);
}

async fn unauthenticated_then_one_shared_refresh(mode: &str) {
    let (url, key) = fault(&format!("/auth?mode={mode}"));
    let client = client_at(&url, "{}");
    let tenants = ok(client.login("x@example.com".into(), "pw".into(), None)).await;
    let _ = tenants;
    let stale = client.token().unwrap();
    assert!(stale.starts_with("stale-"), "{stale}");
    let calls = Array::new();
    for _ in 0..4 {
        calls.push(&client.graphql("mutation { do_it }".into(), None, None));
    }
    let results = ok(Promise::all(&calls)).await;
    for i in 0..4 {
        assert!(gets(&results, &format!("{i}.token")).starts_with("fresh-"));
    }
    assert_eq!(count(&format!("{key}:refresh")).await, 1.0, "concurrent refusals share one refresh");
    assert!(client.token().unwrap().starts_with("fresh-"));
}

#[wasm_bindgen_test]
async fn graphql_unauthenticated_triggers_one_refresh_and_one_retry() {
    unauthenticated_then_one_shared_refresh("graphql").await;
}

#[wasm_bindgen_test]
async fn http_401_triggers_one_refresh_and_one_retry() {
    unauthenticated_then_one_shared_refresh("http").await;
}

#[wasm_bindgen_test]
async fn login_with_a_bad_answer_is_decode_and_keeps_the_token() {
    let (url, _) = fault("/echo");
    let client = client_at(&url, r#"{"token": "old"}"#);
    // /echo answers log_in with something that is not a token payload: DECODE, nothing kept.
    fails_with(client.login("a@b.c".into(), "pw".into(), None), "DECODE").await;
    assert_eq!(client.token().as_deref(), Some("old"));
}

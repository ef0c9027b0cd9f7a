//! `--auth`: log in, tokens, tenants, refresh rotation, expiry, and tenant scoping.

mod common;

use common::*;
use serde_json::{json, Value as J};

const LOG_IN: &str = "mutation($input: log_in_input!) { log_in(input: $input) { access_token expires_at refresh_token } }";
const REFRESH: &str = "mutation($input: refresh_token_input!) { refresh_token(input: $input) { access_token expires_at refresh_token } }";
const SWITCH: &str = "mutation($input: switch_tenant_input!) { switch_tenant(input: $input) { access_token expires_at refresh_token } }";

async fn log_in(s: &mut Server, email: &str, password: &str) -> J {
    s.token = None;
    let d = s.ok(LOG_IN, json!({"input": {"email": email, "password": password}})).await;
    let t = d["log_in"].clone();
    s.token = Some(t["access_token"].as_str().unwrap().to_string());
    t
}

#[tokio::test]
async fn login_tenants_switch_refresh_and_scoping() {
    let mut s = Server::start(&["--auth", "--user", "alice@example.com:pw-a:acme,globex", "--user", "bob@example.com:pw-b"]);
    // nothing without a token, nor with a bad one
    assert_eq!(s.err("{ flow_run { id } }", json!({})).await, "UNAUTHENTICATED");
    assert_eq!(s.err("{ hello }", json!({})).await, "UNAUTHENTICATED");
    assert_eq!(s.err("mutation { create_tenant(input: {name: \"x\", slug: \"x\"}) { id } }", json!({})).await, "UNAUTHENTICATED");
    s.token = Some("pdsa.eyJ9.bad".into());
    assert_eq!(s.err("{ tenant { id } }", json!({})).await, "UNAUTHENTICATED");
    s.token = None;
    assert_eq!(s.err(LOG_IN, json!({"input": {"email": "alice@example.com", "password": "wrong"}})).await, "UNAUTHENTICATED");
    assert_eq!(s.err(LOG_IN, json!({"input": {"email": "nobody@example.com", "password": "pw-a"}})).await, "UNAUTHENTICATED");

    let t = log_in(&mut s, "alice@example.com", "pw-a").await;
    assert!(t["expires_at"].as_str().unwrap().ends_with("+00:00"));
    let exp = chrono::DateTime::parse_from_rfc3339(t["expires_at"].as_str().unwrap()).unwrap();
    let left = exp.timestamp() - chrono::Utc::now().timestamp();
    assert!((890..=901).contains(&left), "{left}");
    // the tenant query lists every tenant of the user
    let d = s.ok("{ tenant(order_by: {slug: asc}) { id name slug } }", json!({})).await;
    let slugs: Vec<&str> = d["tenant"].as_array().unwrap().iter().map(|t| t["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["acme", "globex"]);
    let acme = d["tenant"][0]["id"].as_str().unwrap().to_string();
    let globex = d["tenant"][1]["id"].as_str().unwrap().to_string();
    // rows are scoped to the token's tenant (the first one after log_in)
    let q = "mutation($i: create_project_input!) { create_project(input: $i) { id } }";
    let p = s.ok(q, json!({"i": {"tenant_id": acme, "name": "A"}})).await["create_project"]["id"].as_str().unwrap().to_string();
    assert_eq!(s.err(q, json!({"i": {"tenant_id": globex, "name": "G"}})).await, "NOT_FOUND");
    let f = create_flow(&s, &p, etl_flow()).await;
    let run = create_run(&s, &f, json!({})).await;

    // switch tenant: the run is not visible there
    let sw = s.ok(SWITCH, json!({"input": {"tenant_id": globex}})).await["switch_tenant"].clone();
    s.token = Some(sw["access_token"].as_str().unwrap().to_string());
    let d = s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { id } flow_run { id } project { id } }", json!({"id": run})).await;
    assert_eq!(d["flow_run_by_pk"], J::Null);
    assert_eq!(d["flow_run"], json!([]));
    assert_eq!(d["project"], json!([]));
    assert_eq!(set_flow_state(&s, &run, Some(1), json!({"type": "Running"})).await["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert_eq!(s.err(SWITCH, json!({"input": {"tenant_id": "6e4ad3a4-0000-4000-8000-000000000000"}})).await, "NOT_FOUND");

    // bob sees neither
    let mut bob = Server { url: s.url.clone(), child: std::process::Command::new("true").spawn().unwrap(), stdout_lines: vec![], http: reqwest::Client::new(), token: None };
    log_in(&mut bob, "bob@example.com", "pw-b").await;
    let d = bob.ok("{ tenant { slug } flow_run { id } }", json!({})).await;
    assert_eq!(d["tenant"], json!([{"slug": "bob"}]));
    assert_eq!(d["flow_run"], json!([]));
    assert_eq!(bob.err(SWITCH, json!({"input": {"tenant_id": acme}})).await, "NOT_FOUND");

    // refresh, as prefect 0.15.13 sends it (Bearer: the refresh token; input.access_token: the
    // session's access token): a new pair, scoped like the old one; the used refresh token is
    // refused after
    let refresh = sw["refresh_token"].as_str().unwrap().to_string();
    let access = sw["access_token"].as_str().unwrap().to_string();
    s.token = None;
    assert_eq!(s.err(REFRESH, json!({"input": {"access_token": access}})).await, "UNAUTHENTICATED", "no Bearer");
    s.token = Some(refresh.clone());
    assert_eq!(s.err(REFRESH, json!({"input": {"access_token": refresh}})).await, "UNAUTHENTICATED", "the refresh token twice");
    assert_eq!(s.err(REFRESH, json!({"input": {"access_token": bob.token.clone().unwrap()}})).await, "UNAUTHENTICATED", "another session's access token");
    let n = s.ok(REFRESH, json!({"input": {"access_token": access}})).await["refresh_token"].clone();
    assert_ne!(n["refresh_token"], J::String(refresh.clone()));
    assert_eq!(s.err(REFRESH, json!({"input": {"access_token": access}})).await, "UNAUTHENTICATED", "a used refresh token");
    s.token = Some(n["access_token"].as_str().unwrap().to_string());
    let d = s.ok("{ project { id } }", json!({})).await;
    assert_eq!(d["project"], json!([]), "still the globex tenant");
    // a refresh token is not an access token
    s.token = Some(n["refresh_token"].as_str().unwrap().to_string());
    assert_eq!(s.err("{ tenant { id } }", json!({})).await, "UNAUTHENTICATED");
    // and the first tenant again
    let t = log_in(&mut s, "alice@example.com", "pw-a").await;
    assert!(t["refresh_token"].is_string());
    let d = s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { id } }", json!({"id": run})).await;
    assert_eq!(d["flow_run_by_pk"]["id"], run);
    // create_tenant adds the tenant to the user
    let d = s.ok("mutation { create_tenant(input: {name: \"New\", slug: \"new\"}) { id } }", json!({})).await;
    let new = d["create_tenant"]["id"].as_str().unwrap().to_string();
    let d = s.ok("{ tenant { id } }", json!({})).await;
    assert!(d["tenant"].as_array().unwrap().iter().any(|t| t["id"] == new.as_str()));
}

#[tokio::test]
async fn access_tokens_expire_and_an_expired_one_still_refreshes_its_session() {
    // Expiry is counted in whole seconds, so a 2 s TTL lives between 1 and 2 s: long enough for
    // the calls right after an issue, and surely over after the 2.1 s sleep.
    let mut s = Server::start(&["--auth", "--token-ttl", "2", "--user", "a@b.c:pw"]);
    let t = log_in(&mut s, "a@b.c", "pw").await;
    s.ok("{ tenant { id } }", json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(s.err("{ tenant { id } }", json!({})).await, "UNAUTHENTICATED");
    s.token = Some(t["refresh_token"].as_str().unwrap().to_string());
    let n = s.ok(REFRESH, json!({"input": {"access_token": t["access_token"]}})).await["refresh_token"].clone();
    s.token = Some(n["access_token"].as_str().unwrap().to_string());
    s.ok("{ tenant { id } }", json!({})).await;
}

#[tokio::test]
async fn demo_login_is_printed_and_works() {
    let mut s = Server::start(&["--auth", "--demo"]);
    let out = s.stdout_lines.join("\n");
    assert!(out.contains("demo login: demo@example.com / demo"), "{out}");
    assert!(out.contains("demo flow: ETL"), "{out}");
    log_in(&mut s, "demo@example.com", "demo").await;
    let d = s.ok("{ flow(order_by: {name: asc}) { name } tenant { slug } }", json!({})).await;
    assert_eq!(d["tenant"], json!([{"slug": "demo"}]));
    assert!(d["flow"].as_array().unwrap().iter().any(|f| f["name"] == "ETL"));
}

#[tokio::test]
async fn no_secrets_in_logs() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_prefect-dev-server"))
        .args(["--listen", "127.0.0.1:0", "--db", ":memory:", "--auth", "--user", "x@y.z:s3cret-pw"])
        .env("PREFECT_DEV_SERVER_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("prefect-dev-server listening on ").unwrap().to_string();
    let http = reqwest::Client::new();
    let b: J = http.post(&url).json(&json!({"query": LOG_IN, "variables": {"input": {"email": "x@y.z", "password": "s3cret-pw"}}})).send().await.unwrap().json().await.unwrap();
    let token = b["data"]["log_in"]["access_token"].as_str().unwrap().to_string();
    http.post(&url).bearer_auth(&token).json(&json!({"query": "{ tenant { id } }"})).send().await.unwrap();
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(!logs.contains("s3cret-pw"));
    assert!(!logs.contains(&token));
    assert!(!logs.contains(token.split('.').nth(1).unwrap()));
}

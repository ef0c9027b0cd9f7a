//! Transport: health, static files, CORS, body limits, malformed bodies, variables as text,
//! depth limit, batches.

mod common;

use common::*;
use serde_json::{json, Value as J};

#[tokio::test]
async fn health_redirect_and_static_files() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(www.join("sub")).unwrap();
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(www.join("index.html"), "<h1>dash</h1>").unwrap();
    std::fs::write(www.join("app.js"), "export {}").unwrap();
    std::fs::write(pkg.join("prefect_wasm_bg.wasm"), b"\0asm").unwrap();
    std::fs::write(pkg.join("prefect_wasm.js"), "export default 1").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "no").unwrap();
    let s = Server::start(&["--www", www.to_str().unwrap(), "--pkg", pkg.to_str().unwrap()]);
    let noredirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = noredirect.get(format!("{}/health", s.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<J>().await.unwrap(), json!({"status": "ok"}));
    let r = noredirect.get(format!("{}/", s.url)).send().await.unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "/ui/");
    let r = s.http.get(format!("{}/ui/", s.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(r.text().await.unwrap(), "<h1>dash</h1>");
    let r = s.http.get(format!("{}/ui/app.js", s.url)).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let r = s.http.get(format!("{}/pkg/prefect_wasm_bg.wasm", s.url)).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/wasm");
    let r = s.http.get(format!("{}/pkg/prefect_wasm.js", s.url)).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    for bad in ["/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/pkg/nope.js"] {
        let r = s.http.get(format!("{}{bad}", s.url)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn cors_defaults_to_loopback_origins() {
    let s = Server::start(&[]);
    let preflight = |origin: &str| {
        s.http
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", s.url))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization, content-type, x-prefect-tenant-id")
            .send()
    };
    for origin in ["http://127.0.0.1:8080", "http://localhost:3000", "http://[::1]:5173"] {
        let r = preflight(origin).await.unwrap();
        assert!(r.status().is_success(), "{origin}");
        assert_eq!(r.headers()["access-control-allow-origin"], origin);
        let allowed = r.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
        assert!(allowed.contains("authorization") && allowed.contains("content-type") && allowed.contains("x-prefect-tenant-id"), "{allowed}");
    }
    let r = preflight("https://evil.example").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = preflight("http://localhost.evil.example:80").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // a simple request carries the header too
    let r = s.http.post(format!("{}/", s.url)).header("Origin", "http://localhost:1234").json(&json!({"query": "{ hello }"})).send().await.unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "http://localhost:1234");
}

#[tokio::test]
async fn cors_configured_origins() {
    let s = Server::start(&["--cors-origin", "https://app.example.com"]);
    let r = s.http.post(format!("{}/", s.url)).header("Origin", "https://app.example.com").json(&json!({"query": "{ hello }"})).send().await.unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "https://app.example.com");
    let r = s.http.post(format!("{}/", s.url)).header("Origin", "http://localhost:1234").json(&json!({"query": "{ hello }"})).send().await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn bad_bodies_and_documents() {
    let s = Server::start(&[]);
    let post = |body: Vec<u8>| s.http.post(format!("{}/graphql", s.url)).header("content-type", "application/json").body(body).send();
    // malformed JSON → 400 with a GraphQL-shaped body
    let r = post(b"{not json".to_vec()).await.unwrap();
    assert_eq!(r.status(), 400);
    let b: J = r.json().await.unwrap();
    assert_eq!(b["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let r = post(b"{\"variables\": {}}".to_vec()).await.unwrap();
    assert_eq!(r.status(), 400);
    // over the body limit → 413; a body over the state limit but under 4 MiB is accepted
    let huge = format!("{{\"query\": \"{{ hello }}\", \"pad\": \"{}\"}}", "x".repeat(5 * 1024 * 1024));
    assert_eq!(raw_status(&s.url, huge.len() as u64, huge.into_bytes()), 413);
    // a declared length over the limit is refused before the body arrives (only its first 9 bytes are sent)
    assert_eq!(raw_status(&s.url, 100 << 30, b"{\"query\":".to_vec()), 413);
    let big = format!("{{\"query\": \"{{ hello }}\", \"pad\": \"{}\"}}", "x".repeat(1_500_000));
    assert_eq!(post(big.into_bytes()).await.unwrap().status(), 200);
    // syntax error, unknown field, wrong argument type
    assert_eq!(s.err("{ hello(", json!({})).await, "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(s.err("{ nope }", json!({})).await, "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(s.err("mutation { create_tenant(input: {name: 1, slug: \"x\"}) { id } }", json!({})).await, "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(s.err("mutation($i: create_tenant_input!) { create_tenant(input: $i) { id } }", json!({"i": {"name": "a", "slug": "b", "bogus": 1}})).await, "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(s.err("mutation($i: create_tenant_input!) { create_tenant(input: $i) { id } }", json!({})).await, "GRAPHQL_VALIDATION_FAILED");
    // depth limit
    let mut deep = String::from("{ flow_run { id ");
    for _ in 0..10 {
        deep.push_str("flow { flow_runs { id ");
    }
    deep.push_str(&"} } ".repeat(10));
    deep.push_str("} }");
    let b = s.raw(&deep, json!({})).await;
    assert_eq!(b["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "{b}");
    // variables as a JSON-encoded string (Prefect's Python client)
    let r = s
        .http
        .post(format!("{}/", s.url))
        .json(&json!({"query": "query($n: String!) { tenant(where: {slug: {_eq: $n}}) { slug } }", "variables": "{\"n\": \"default\"}"}))
        .send()
        .await
        .unwrap();
    let b: J = r.json().await.unwrap();
    assert_eq!(b["data"]["tenant"][0]["slug"], "default", "{b}");
    // operationName picks the operation
    let r = s
        .http
        .post(format!("{}/", s.url))
        .json(&json!({"query": "query A { hello } query B { api { backend } }", "operationName": "B"}))
        .send()
        .await
        .unwrap();
    let b: J = r.json().await.unwrap();
    assert_eq!(b["data"], json!({"api": {"backend": "SERVER"}}));
    // fields come back in the order of the selection set, fragments included
    let r = s
        .http
        .post(format!("{}/", s.url))
        .json(&json!({"query": "fragment A on api_info { version backend } { zz: hello api { mode ...A core_version } aa: hello tenant { slug id } }"}))
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    let keys = |t: &str, names: &[&str]| names.iter().map(|n| t.find(&format!("\"{n}\"")).unwrap()).collect::<Vec<_>>();
    let pos = keys(&text, &["zz", "api", "mode", "version", "backend", "core_version", "aa", "tenant", "slug", "id"]);
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{text}");
    // the server is still fine
    assert!(s.ok("{ hello }", json!({})).await["hello"].is_string());
}

/// POSTs `body` over a raw socket with the given Content-Length and reads the status (the server
/// may answer 413 before the body is sent, or before a shorter body than announced is complete).
fn raw_status(url: &str, content_length: u64, body: Vec<u8>) -> u16 {
    use std::io::{Read, Write};
    let addr = url.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let head = format!("POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {content_length}\r\nConnection: close\r\n\r\n");
    let t = std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(&body);
    });
    let mut buf = [0u8; 12];
    stream.read_exact(&mut buf).expect("an answer before the read timeout");
    let _ = t.join();
    std::str::from_utf8(&buf[9..12]).unwrap().parse().unwrap()
}

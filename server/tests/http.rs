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

/// A `--www` and `--pkg` like the real ones: an index.html (with an inline import map), a module,
/// a stylesheet, a `.wasm`.
fn web_app(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (www, pkg) = (dir.join("www"), dir.join("pkg"));
    std::fs::create_dir_all(www.join("sub")).unwrap();
    std::fs::create_dir_all(pkg.join("web")).unwrap();
    let page = "<!doctype html><html><head>\r\n<script type=\"importmap\">\r\n{\"imports\": {\"prefect-wasm\": \"/pkg/web/prefect_wasm.js\"}}\r\n</script>\r\n\
                <script type=\"module\" src=\"app.js\"></script></head><body>dashboard</body></html>";
    std::fs::write(www.join("index.html"), format!("{page}{}", "<!-- padding -->\n".repeat(200))).unwrap();
    std::fs::write(www.join("sub/index.html"), "<p>sub</p>").unwrap();
    std::fs::write(www.join("app.js"), "import { Client } from \"prefect-wasm\";\n".repeat(300)).unwrap();
    std::fs::write(www.join("style.css"), "body { margin: 0; }\n".repeat(300)).unwrap();
    // wasm-like bytes: a header and some repetition, so that compression has something to do
    let wasm: Vec<u8> = b"\0asm\x01\0\0\0".iter().copied().chain((0..60_000u32).map(|i| (i % 251) as u8 ^ (i / 1000) as u8)).collect();
    std::fs::write(pkg.join("web/prefect_wasm_bg.wasm"), wasm).unwrap();
    std::fs::write(pkg.join("web/prefect_wasm.js"), "export default async function init() {}\n".repeat(200)).unwrap();
    (www, pkg)
}

fn decode(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    match encoding {
        None => out.extend_from_slice(body),
        Some("gzip") => {
            flate2::read::GzDecoder::new(body).read_to_end(&mut out).unwrap();
        }
        Some("br") => {
            brotli_decompressor::Decompressor::new(body, 4096).read_to_end(&mut out).unwrap();
        }
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    out
}

#[tokio::test]
async fn static_files_are_compressed_and_decode_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (www, pkg) = web_app(dir.path());
    let s = Server::start(&["--www", www.to_str().unwrap(), "--pkg", pkg.to_str().unwrap()]);
    let files = [
        ("/ui/", www.join("index.html"), "text/html"),
        ("/ui/app.js", www.join("app.js"), "text/javascript"),
        ("/ui/style.css", www.join("style.css"), "text/css"),
        ("/pkg/web/prefect_wasm.js", pkg.join("web/prefect_wasm.js"), "text/javascript"),
        ("/pkg/web/prefect_wasm_bg.wasm", pkg.join("web/prefect_wasm_bg.wasm"), "application/wasm"),
    ];
    for (route, file, content_type) in &files {
        let original = std::fs::read(file).unwrap();
        for (accept, expected) in [("identity", None), ("gzip", Some("gzip")), ("br", Some("br")), ("gzip, deflate, br, zstd", Some("br"))] {
            let r = s.http.get(format!("{}{route}", s.url)).header("accept-encoding", accept).send().await.unwrap();
            assert_eq!(r.status(), 200, "{route} {accept}");
            let headers = r.headers().clone();
            assert!(headers["content-type"].to_str().unwrap().starts_with(content_type), "{route}: {:?}", headers["content-type"]);
            let encoding = headers.get("content-encoding").map(|v| v.to_str().unwrap().to_string());
            assert_eq!(encoding.as_deref(), expected, "{route} with Accept-Encoding: {accept}");
            assert!(headers.get_all("vary").iter().any(|v| v.to_str().unwrap().to_ascii_lowercase().contains("accept-encoding")), "{route}");
            let body = r.bytes().await.unwrap();
            if expected.is_some() {
                assert!(body.len() < original.len(), "{route} {accept}: {} compressed bytes of {}", body.len(), original.len());
            }
            assert_eq!(decode(encoding.as_deref(), &body), original, "{route} with Accept-Encoding: {accept}");
        }
    }
    // GraphQL answers are not compressed
    let r = s.http.post(format!("{}/graphql", s.url)).header("accept-encoding", "gzip, br").json(&json!({"query": "{ reference_data { state_info } }"})).send().await.unwrap();
    assert!(r.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn conditional_gets_answer_304() {
    let dir = tempfile::tempdir().unwrap();
    let (www, pkg) = web_app(dir.path());
    let s = Server::start(&["--www", www.to_str().unwrap(), "--pkg", pkg.to_str().unwrap()]);
    for route in ["/ui/", "/ui/app.js", "/pkg/web/prefect_wasm_bg.wasm"] {
        let url = format!("{}{route}", s.url);
        for accept in ["identity", "gzip", "br"] {
            let r = s.http.get(&url).header("accept-encoding", accept).send().await.unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["cache-control"], "no-cache", "{route}: always revalidated");
            let etag = r.headers()["etag"].to_str().unwrap().to_string();
            let modified = r.headers()["last-modified"].to_str().unwrap().to_string();
            // a compressed answer is other bytes than the file: its validator is weak
            assert_eq!(etag.starts_with("W/"), accept != "identity", "{route} {accept}: {etag}");
            let r = s.http.get(&url).header("accept-encoding", accept).header("if-none-match", &etag).send().await.unwrap();
            assert_eq!(r.status(), 304, "{route} {accept}: If-None-Match {etag}");
            assert!(r.bytes().await.unwrap().is_empty());
            let r = s.http.get(&url).header("accept-encoding", accept).header("if-modified-since", &modified).send().await.unwrap();
            assert_eq!(r.status(), 304, "{route} {accept}: If-Modified-Since {modified}");
            let r = s.http.get(&url).header("if-none-match", "\"something-else\"").send().await.unwrap();
            assert_eq!(r.status(), 200, "{route}: another ETag");
            // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
            let r = s.http.get(&url).header("if-none-match", "\"something-else\"").header("if-modified-since", &modified).send().await.unwrap();
            assert_eq!(r.status(), 200, "{route}: If-None-Match first");
        }
    }
    // a rewritten file gets a new ETag: the old one no longer matches
    let url = format!("{}/ui/app.js", s.url);
    let old = s.http.get(&url).send().await.unwrap().headers()["etag"].to_str().unwrap().to_string();
    std::fs::write(www.join("app.js"), "export const changed = true;\n").unwrap();
    let r = s.http.get(&url).header("if-none-match", &old).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_ne!(r.headers()["etag"].to_str().unwrap(), old);
    assert_eq!(r.text().await.unwrap(), "export const changed = true;\n");
}

fn sha256_base64(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn security_headers_and_the_dashboard_policy() {
    let dir = tempfile::tempdir().unwrap();
    let (www, pkg) = web_app(dir.path());
    let s = Server::start(&["--www", www.to_str().unwrap(), "--pkg", pkg.to_str().unwrap()]);
    let noredirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // every answer: nosniff and no-referrer
    for (method, route) in [("GET", "/ui/"), ("GET", "/pkg/web/prefect_wasm.js"), ("GET", "/health"), ("POST", "/graphql"), ("GET", "/ui/missing.js"), ("GET", "/")] {
        let req = noredirect.request(method.parse().unwrap(), format!("{}{route}", s.url));
        let req = if method == "POST" { req.json(&json!({"query": "{ hello }"})) } else { req };
        let r = req.send().await.unwrap();
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{method} {route}");
        assert_eq!(r.headers()["referrer-policy"], "no-referrer", "{method} {route}");
    }
    // the page's policy: its inline import map by hash (its line breaks as the browser reads them)
    let r = s.http.get(format!("{}/ui/", s.url)).send().await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    let map = "\n{\"imports\": {\"prefect-wasm\": \"/pkg/web/prefect_wasm.js\"}}\n";
    assert!(csp.contains(&format!("script-src 'self' 'wasm-unsafe-eval' 'sha256-{}';", sha256_base64(map))), "{csp}");
    assert_eq!(csp.matches("'sha256-").count(), 1, "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    for directive in ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "connect-src 'self' http://127.0.0.1:* http://localhost:*"] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    // a page without inline scripts allows none; the policy follows the file as it is now
    let r = s.http.get(format!("{}/ui/sub/", s.url)).send().await.unwrap();
    assert!(!r.headers()["content-security-policy"].to_str().unwrap().contains("'sha256-"));
    std::fs::write(www.join("index.html"), "<script type=\"importmap\">{}</script><script type=\"module\" src=\"app.js\"></script>").unwrap();
    let r = s.http.get(format!("{}/ui/", s.url)).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "br", "the page is compressed after the policy is read from it");
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains(&format!("'sha256-{}'", sha256_base64("{}"))));
    // a directory without its slash is redirected to it (relative URLs then resolve inside it)
    let r = noredirect.get(format!("{}/ui", s.url)).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (307, "/ui/"));
    let r = noredirect.get(format!("{}/ui/sub", s.url)).send().await.unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "/ui/sub/");

    // --cors-origin: the servers the page may be pointed at are the allowed origins
    let s = Server::start(&["--www", www.to_str().unwrap(), "--cors-origin", "https://app.example.com/", "--cors-origin", "http://10.0.0.5:4200"]);
    let r = s.http.get(format!("{}/ui/", s.url)).send().await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("connect-src 'self' https://app.example.com http://10.0.0.5:4200;"), "{csp}");
}

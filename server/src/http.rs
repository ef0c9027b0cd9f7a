//! HTTP: GraphQL at `/` and `/graphql`, `/health`, the dashboard at `/ui/`, the package at
//! `/pkg/`, CORS, the body limit, and the GraphQL error codes.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::dynamic::Schema;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value as J};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::app::{RequestAuth, SharedApp};
use crate::error::{API_ERROR, BAD_USER_INPUT, VALIDATION_FAILED};

pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

#[derive(Clone)]
pub struct HttpState {
    pub app: SharedApp,
    pub schema: Schema,
    pub www: Arc<PathBuf>,
    pub pkg: Arc<PathBuf>,
}

pub fn router(state: HttpState, cors_origins: Vec<String>) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            let Ok(origin) = origin.to_str() else { return false };
            if cors_origins.is_empty() {
                is_loopback_origin(origin)
            } else {
                cors_origins.iter().any(|o| o == "*" || o.trim_end_matches('/') == origin)
            }
        }))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, HeaderName::from_static("x-prefect-tenant-id")])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/", post(graphql).get(|| async { Redirect::temporary("/ui/") }))
        .route("/graphql", post(graphql))
        .route("/health", get(|| async { axum::Json(json!({"status": "ok"})) }))
        .route("/ui", get(|| async { Redirect::temporary("/ui/") }))
        .route("/ui/", get(static_ui))
        .route("/ui/{*path}", get(static_ui))
        .route("/pkg/{*path}", get(static_pkg))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(refuse_declared_oversize))
        .layer(cors)
        .with_state(state)
}

pub fn is_loopback_origin(origin: &str) -> bool {
    let rest = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
    let Some(rest) = rest else { return false };
    ["127.0.0.1", "localhost", "[::1]"].iter().any(|host| {
        rest == *host || rest.strip_prefix(host).is_some_and(|p| p.starts_with(':') && p[1..].chars().all(|c| c.is_ascii_digit()))
    })
}

fn error_body(status: StatusCode, message: &str, code: &str) -> Response {
    (status, axum::Json(json!({"data": null, "errors": [{"message": message, "extensions": {"code": code}}]}))).into_response()
}

/// A body whose Content-Length is over the limit is refused before any of it is read (a client
/// announcing 100 GB gets its 413 at once instead of a server waiting for the bytes).
async fn refuse_declared_oversize(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        tokio::spawn(linger(request.into_body()));
        return too_large();
    }
    next.run(request).await
}

/// What a refused body may still send before the connection is closed, and for how long.
const LINGER_BYTES: usize = 64 * 1024 * 1024;
const LINGER: Duration = Duration::from_secs(5);

/// Reads and drops what the client is still sending of a refused body, for a while (a lingering
/// close): closing a socket with unread data makes the kernel reset the connection, and the
/// reset can destroy the 413 before the client has read it.
async fn linger(body: axum::body::Body) {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut read = 0usize;
    let deadline = tokio::time::sleep(LINGER);
    tokio::pin!(deadline);
    while read < LINGER_BYTES {
        tokio::select! {
            _ = &mut deadline => break,
            frame = body.frame() => match frame {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
                _ => break,
            },
        }
    }
}

fn too_large() -> Response {
    let mut response = error_body(StatusCode::PAYLOAD_TOO_LARGE, &format!("the request body is over the {} MiB limit", BODY_LIMIT >> 20), BAD_USER_INPUT);
    // the rest of the body is not read, so the connection cannot carry another request
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn graphql(State(st): State<HttpState>, headers: HeaderMap, body: Result<Bytes, axum::extract::rejection::BytesRejection>) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
        Err(e) => return error_body(e.status(), &format!("the request body could not be read: {}", e.body_text()), BAD_USER_INPUT),
    };
    let body: J = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return error_body(StatusCode::BAD_REQUEST, &format!("malformed JSON body: {e}"), BAD_USER_INPUT),
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|v| v.trim().to_string());
    let claims = match (&st.app.auth, &bearer) {
        (Some(auth), Some(token)) => auth.verify(token),
        _ => None,
    };
    let auth = RequestAuth { bearer, claims };
    // Batches (array bodies) are refused: Prefect's API takes one operation per request, and a
    // batch would let one request run unbounded work or mix a write into a read.
    if body.is_array() {
        return error_body(StatusCode::BAD_REQUEST, "batched requests are not supported: send one {query, variables} object", BAD_USER_INPUT);
    }
    match execute(&st.schema, &auth, body).await {
        Ok(v) => axum::Json(v).into_response(),
        Err(resp) => resp,
    }
}

async fn execute(schema: &Schema, auth: &RequestAuth, body: J) -> Result<J, Response> {
    let bad = |m: &str| error_body(StatusCode::BAD_REQUEST, m, BAD_USER_INPUT);
    let J::Object(mut body) = body else { return Err(bad("the body must be a JSON object {query, variables, operationName}")) };
    let Some(J::String(query)) = body.remove("query") else { return Err(bad("the body has no `query` string")) };
    let variables = match body.remove("variables") {
        None | Some(J::Null) => J::Object(Default::default()),
        Some(J::String(s)) if s.trim().is_empty() => J::Object(Default::default()),
        Some(J::String(s)) => match serde_json::from_str::<J>(&s) {
            Ok(v @ J::Object(_)) => v,
            Ok(J::Null) => J::Object(Default::default()),
            _ => return Err(bad("`variables` must be an object or a JSON-encoded object")),
        },
        Some(v @ J::Object(_)) => v,
        Some(_) => return Err(bad("`variables` must be an object")),
    };
    let op = match body.remove("operationName") {
        Some(J::String(s)) => Some(s),
        _ => None,
    };
    let started = Instant::now();
    let mut req = async_graphql::Request::new(query).variables(async_graphql::Variables::from_json(variables)).data(auth.clone()).data(crate::hasura::RelCache::default());
    if let Some(op) = &op {
        req = req.operation_name(op.clone());
    }
    let query_text = req.query.clone();
    let resp = schema.execute(req).await;
    let mut out = serde_json::to_value(&resp).unwrap_or_else(|e| json!({"data": null, "errors": [{"message": e.to_string()}]}));
    // async-graphql resolves sibling fields concurrently and keys them in completion order; the
    // spec wants the order of the selection set
    if let (Some(data), Ok(doc)) = (out.get_mut("data"), async_graphql::parser::parse_query(&query_text)) {
        order_like_document(data, &doc, op.as_deref());
    }
    let mut codes = Vec::new();
    if let Some(J::Array(errors)) = out.get_mut("errors") {
        for e in errors.iter_mut() {
            let has_path = e.get("path").is_some();
            let Some(obj) = e.as_object_mut() else { continue };
            let ext = obj.entry("extensions").or_insert_with(|| json!({}));
            if let Some(ext) = ext.as_object_mut() {
                if !ext.contains_key("code") {
                    let code = if has_path { API_ERROR } else { VALIDATION_FAILED };
                    ext.insert("code".into(), J::String(code.into()));
                }
                codes.push(ext.get("code").and_then(|c| c.as_str()).unwrap_or_default().to_string());
            }
        }
    }
    if let Some(o) = out.as_object_mut() {
        o.entry("data").or_insert(J::Null);
    }
    tracing::info!(operation = op.as_deref().unwrap_or("-"), ms = started.elapsed().as_millis() as u64, errors = ?codes, "graphql");
    Ok(out)
}

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet};

fn order_like_document(data: &mut J, doc: &ExecutableDocument, op: Option<&str>) {
    let operation = match (&doc.operations, op) {
        (DocumentOperations::Single(o), _) => Some(o),
        (DocumentOperations::Multiple(m), Some(name)) => m.get(name),
        (DocumentOperations::Multiple(m), None) if m.len() == 1 => m.values().next(),
        _ => None,
    };
    if let Some(o) = operation {
        reorder(data, &[&o.node.selection_set.node], doc);
    }
}

fn collect<'a>(set: &'a SelectionSet, doc: &'a ExecutableDocument, out: &mut Vec<(String, Vec<&'a SelectionSet>)>, depth: usize) {
    if depth > 64 {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let key = f.node.response_key().node.to_string();
                let sub = &f.node.selection_set.node;
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, subs)) => subs.push(sub),
                    None => out.push((key, vec![sub])),
                }
            }
            Selection::FragmentSpread(s) => {
                if let Some(frag) = doc.fragments.get(&s.node.fragment_name.node) {
                    collect(&frag.node.selection_set.node, doc, out, depth + 1);
                }
            }
            Selection::InlineFragment(f) => collect(&f.node.selection_set.node, doc, out, depth + 1),
        }
    }
}

fn reorder(v: &mut J, sets: &[&SelectionSet], doc: &ExecutableDocument) {
    match v {
        J::Array(items) => items.iter_mut().for_each(|item| reorder(item, sets, doc)),
        J::Object(map) => {
            let mut fields = Vec::new();
            for set in sets {
                collect(set, doc, &mut fields, 0);
            }
            let mut ordered = serde_json::Map::with_capacity(map.len());
            for (key, subs) in fields {
                if let Some(mut value) = map.remove(&key) {
                    if subs.iter().any(|s| !s.items.is_empty()) {
                        reorder(&mut value, &subs, doc);
                    }
                    ordered.insert(key, value);
                }
            }
            ordered.extend(std::mem::take(map));
            *map = ordered;
        }
        _ => {}
    }
}

async fn static_ui(State(st): State<HttpState>, uri: Uri) -> Response {
    let rel = uri.path().strip_prefix("/ui").unwrap_or("").trim_start_matches('/').to_string();
    serve_file(&st.www, &rel).await
}

async fn static_pkg(State(st): State<HttpState>, uri: Uri) -> Response {
    let rel = uri.path().strip_prefix("/pkg").unwrap_or("").trim_start_matches('/').to_string();
    serve_file(&st.pkg, &rel).await
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" | "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn serve_file(root: &Path, rel: &str) -> Response {
    let rel = percent_decode(rel);
    let mut path = root.to_path_buf();
    for c in Path::new(&rel).components() {
        match c {
            Component::Normal(p) => path.push(p),
            Component::CurDir => {}
            _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
        }
    }
    if rel.is_empty() || rel.ends_with('/') || tokio::fs::metadata(&path).await.map(|m| m.is_dir()).unwrap_or(false) {
        path.push("index.html");
    }
    match tokio::fs::read(&path).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type(&path)), (header::CACHE_CONTROL, "no-cache")], bytes).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            if let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins() {
        for ok in ["http://127.0.0.1:8080", "http://localhost:3000", "http://[::1]:5173", "http://localhost", "https://127.0.0.1:1"] {
            assert!(is_loopback_origin(ok), "{ok}");
        }
        for bad in ["http://localhost.evil.com", "http://127.0.0.1.evil:80", "http://evil.com", "null", "http://localhost:80x", "file://localhost"] {
            assert!(!is_loopback_origin(bad), "{bad}");
        }
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("%2e%2e/x"), "../x");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}

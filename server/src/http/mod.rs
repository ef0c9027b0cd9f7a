//! HTTP: GraphQL at `/` and `/graphql`, `/health`, the dashboard at `/ui/` and the package at
//! `/pkg/` (`static_files.rs`), CORS, the body limit, and the headers every answer carries.

mod body_limit;
mod dashboard_csp;
mod static_files;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dynamic::Schema;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value as J};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::app::{RequestAuth, SharedApp};
use crate::error::BAD_USER_INPUT;
use crate::graphql::execute::execute;
pub use body_limit::BODY_LIMIT;

#[derive(Clone)]
pub struct HttpState {
    pub app: SharedApp,
    pub schema: Schema,
    pub www: Arc<PathBuf>,
    pub pkg: Arc<PathBuf>,
}

/// Which origins may call this server (CORS), and so which servers the dashboard may be pointed
/// at (its CSP's `connect-src`): `--cors-origin`s, else any loopback origin.
#[derive(Clone, Debug)]
pub struct Origins(pub Vec<String>);

impl Origins {
    pub fn allows(&self, origin: &str) -> bool {
        if self.0.is_empty() {
            is_loopback_origin(origin)
        } else {
            self.0.iter().any(|o| o == "*" || o.trim_end_matches('/') == origin)
        }
    }
}

pub fn router(state: HttpState, origins: Origins) -> Router {
    let allowed = origins.clone();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| origin.to_str().is_ok_and(|o| allowed.allows(o))))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, HeaderName::from_static("x-prefect-tenant-id")])
        .max_age(Duration::from_secs(600));
    let policy = dashboard_csp::Policy::new(&origins);
    let dashboard = static_files::dashboard(&state.www, policy.clone());
    let package = static_files::package(&state.pkg, policy);
    Router::new()
        .route("/", post(graphql).get(|| async { Redirect::temporary("/ui/") }))
        .route("/graphql", post(graphql))
        .route("/health", get(|| async { axum::Json(json!({"status": "ok"})) }))
        .route("/ui", get(|| async { Redirect::temporary("/ui/") }))
        .nest_service("/ui/", dashboard)
        .nest_service("/pkg/", package)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(body_limit::refuse_declared_oversize))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
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

async fn graphql(State(st): State<HttpState>, headers: HeaderMap, body: Result<Bytes, axum::extract::rejection::BytesRejection>) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return body_limit::too_large(),
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
        Err(message) => error_body(StatusCode::BAD_REQUEST, message, BAD_USER_INPUT),
    }
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
}

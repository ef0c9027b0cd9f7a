//! `/ui/` (the `--www` directory) and `/pkg/` (the `--pkg` directory), served like a web app by
//! tower-http: `ServeDir` (content types, `ETag` and `Last-Modified` with conditional GETs,
//! ranges, no path escapes), gzip or brotli as the client accepts, `Cache-Control: no-cache`
//! (always revalidated, so a rebuilt file is seen at once), and the dashboard's CSP.

use std::path::Path;
use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use super::dashboard_csp::{self, Policy};

/// The dashboard, mounted at `/ui/`.
pub fn dashboard(www: &Path, policy: Arc<Policy>) -> Router {
    files(www, "/ui", policy)
}

/// The npm package's files, mounted at `/pkg/` (a worker started from them gets the policy too).
pub fn package(pkg: &Path, policy: Arc<Policy>) -> Router {
    files(pkg, "/pkg", policy)
}

fn files(dir: &Path, mounted_at: &str, policy: Arc<Policy>) -> Router {
    Router::new()
        .fallback_service(ServeDir::new(dir).redirect_path_prefix(mounted_at))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .layer(axum::middleware::from_fn_with_state(policy, dashboard_csp::add))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::map_response(weak_etag_when_encoded))
}

/// ServeDir's `ETag` names the file's bytes and a compressed answer is other bytes, so that
/// answer's validator is made weak (as nginx does); ServeDir compares `If-None-Match` weakly.
async fn weak_etag_when_encoded(mut response: Response) -> Response {
    if response.headers().contains_key(header::CONTENT_ENCODING) {
        if let Some(etag) = response.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).filter(|e| !e.starts_with("W/")) {
            if let Ok(weak) = HeaderValue::from_str(&format!("W/{etag}")) {
                response.headers_mut().insert(header::ETAG, weak);
            }
        }
    }
    response
}

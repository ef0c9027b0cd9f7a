//! The request body limit: 413 for a body over `BODY_LIMIT`, at once when its `Content-Length`
//! announces more (a client announcing 100 GB is not waited for).

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

use super::error_body;
use crate::error::BAD_USER_INPUT;

pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// A body whose Content-Length is over the limit is refused before any of it is read.
pub async fn refuse_declared_oversize(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
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

pub fn too_large() -> Response {
    let mut response = error_body(StatusCode::PAYLOAD_TOO_LARGE, &format!("the request body is over the {} MiB limit", BODY_LIMIT >> 20), BAD_USER_INPUT);
    // the rest of the body is not read, so the connection cannot carry another request
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

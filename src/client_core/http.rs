//! What the driver on a target does for the core: one HTTP attempt, described and reported.
//! The driver sends exactly this request (plus `Accept: application/json`, and `Content-Type:
//! application/json` when it has a body) with
//! the given timeout and the caller's signal, and reports what happened; it decides nothing.

use super::error::{Error, ErrorCode};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// One attempt to send.
#[derive(Clone, Debug, PartialEq)]
pub struct Request<V> {
    pub method: Method,
    pub url: String,
    /// Set after the JSON content headers, in order (a later one replaces an earlier one).
    pub headers: Vec<(String, String)>,
    /// The body: JSON text, as a string value of the target.
    pub body: Option<V>,
    /// This attempt's timeout, in ms.
    pub timeout_ms: f64,
}

/// What came back from one attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome<V> {
    Answered(Answer<V>),
    Failed(Failure<V>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Answer<V> {
    pub status: u16,
    pub retry_after: Option<String>,
    /// The body parsed as JSON; `None` when it is not JSON.
    pub body: Option<V>,
}

/// An attempt that produced no answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure<V> {
    pub kind: FailureKind,
    /// A description of what the runtime threw (for messages).
    pub detail: String,
    /// What the runtime threw, or the signal's reason for `Aborted`.
    pub cause: Option<V>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// fetch rejected (connection refused or reset, DNS, CORS, a redirect refused).
    Network,
    /// The attempt's own timeout fired.
    Timeout,
    /// The caller's signal fired, before or during the attempt.
    Aborted,
    /// fetch resolved to something that is not a `Response` (a broken polyfill).
    NotAResponse,
    /// fetch refused a header before sending anything.
    InvalidHeader,
}

impl FailureKind {
    /// A rejection the driver could not attribute to its own timer or the caller's signal,
    /// classified by the error's `name` only (runtimes word their messages differently).
    pub fn of_rejection(name: Option<&str>) -> FailureKind {
        match name {
            Some("AbortError") => FailureKind::Aborted,
            Some("TimeoutError") => FailureKind::Timeout,
            _ => FailureKind::Network,
        }
    }
}

/// The ABORTED error, with the signal's reason as its cause.
pub fn aborted<V>(reason: Option<V>) -> Error<V> {
    Error::new(ErrorCode::Aborted, "the request was aborted").with_cause(reason)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn rejections_by_name() {
        assert_eq!(FailureKind::of_rejection(Some("TypeError")), FailureKind::Network);
        assert_eq!(FailureKind::of_rejection(Some("AbortError")), FailureKind::Aborted);
        assert_eq!(FailureKind::of_rejection(Some("TimeoutError")), FailureKind::Timeout);
        assert_eq!(FailureKind::of_rejection(None), FailureKind::Network);
    }
}

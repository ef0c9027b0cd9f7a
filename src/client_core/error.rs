//! The error codes of the JS contract (`API.md`): one enum, the same strings in Rust, JS and TS.

/// A stable error code. `as_str` is what `PrefectError.code` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Network,
    Timeout,
    Aborted,
    Http,
    Graphql,
    Unauthenticated,
    VersionLockingError,
    StateMismatch,
    StateRejected,
    NotFound,
    InvalidArgument,
    Decode,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::Network,
        ErrorCode::Timeout,
        ErrorCode::Aborted,
        ErrorCode::Http,
        ErrorCode::Graphql,
        ErrorCode::Unauthenticated,
        ErrorCode::VersionLockingError,
        ErrorCode::StateMismatch,
        ErrorCode::StateRejected,
        ErrorCode::NotFound,
        ErrorCode::InvalidArgument,
        ErrorCode::Decode,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Network => "NETWORK",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Aborted => "ABORTED",
            ErrorCode::Http => "HTTP",
            ErrorCode::Graphql => "GRAPHQL",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::VersionLockingError => "VERSION_LOCKING_ERROR",
            ErrorCode::StateMismatch => "STATE_MISMATCH",
            ErrorCode::StateRejected => "STATE_REJECTED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::Decode => "DECODE",
        }
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed call: what `PrefectError` carries. `V` is the JSON value type of the target (a
/// `JsValue` on wasm, `serde_json::Value` natively), so GraphQL `errors`, partial `data` and
/// `details` travel through untouched.
#[derive(Clone, Debug, PartialEq)]
pub struct Error<V> {
    pub code: ErrorCode,
    pub message: String,
    /// The HTTP status, when there was a response.
    pub status: Option<u16>,
    /// The GraphQL `errors` array, when there was one.
    pub errors: Option<V>,
    /// Partial `data` that came with `errors`.
    pub data: Option<V>,
    /// What caused this (e.g. the `TypeError` fetch rejected with), for `Error.cause`.
    pub cause: Option<V>,
    /// REST: the orchestration details or the server's validation detail.
    pub details: Option<V>,
}

impl<V> Error<V> {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), status: None, errors: None, data: None, cause: None, details: None }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidArgument, message)
    }
    pub fn decode(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Decode, message)
    }
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
    pub fn with_cause(mut self, cause: Option<V>) -> Self {
        self.cause = cause;
        self
    }
}

/// The code for a non-2xx HTTP status (`None` for 2xx: the body decides). 401 is
/// UNAUTHENTICATED whatever the body says, so servers that answer auth failures at the HTTP
/// level are refreshed like Prefect's.
pub fn code_for_status(status: u16) -> Option<ErrorCode> {
    match status {
        200..=299 => None,
        401 => Some(ErrorCode::Unauthenticated),
        _ => Some(ErrorCode::Http),
    }
}

/// A short English reason for an HTTP status, for messages.
pub fn status_message(status: u16) -> String {
    let reason = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    if reason.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status} {reason}")
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_contract_strings() {
        let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            all,
            [
                "NETWORK", "TIMEOUT", "ABORTED", "HTTP", "GRAPHQL", "UNAUTHENTICATED", "VERSION_LOCKING_ERROR",
                "STATE_MISMATCH", "STATE_REJECTED", "NOT_FOUND", "INVALID_ARGUMENT", "DECODE"
            ]
        );
    }

    #[test]
    fn statuses_map() {
        assert_eq!(code_for_status(200), None);
        assert_eq!(code_for_status(204), None);
        assert_eq!(code_for_status(401), Some(ErrorCode::Unauthenticated));
        for s in [400, 403, 404, 429, 500, 502, 503, 504] {
            assert_eq!(code_for_status(s), Some(ErrorCode::Http));
        }
        assert_eq!(status_message(503), "HTTP 503 Service Unavailable");
        assert_eq!(status_message(418), "HTTP 418");
    }
}

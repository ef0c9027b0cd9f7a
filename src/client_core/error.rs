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
    NotFound,
    InvalidArgument,
    Decode,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::Network,
        ErrorCode::Timeout,
        ErrorCode::Aborted,
        ErrorCode::Http,
        ErrorCode::Graphql,
        ErrorCode::Unauthenticated,
        ErrorCode::VersionLockingError,
        ErrorCode::StateMismatch,
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
/// `JsValue` on wasm, `serde_json::Value` in native tests), so GraphQL `errors` and partial
/// `data` travel through untouched.
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
}

impl<V> Error<V> {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), status: None, errors: None, data: None, cause: None }
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
    /// Keeps the code and message, changes the value type (used to move errors between layers).
    pub fn map_values<W>(self, mut f: impl FnMut(V) -> W) -> Error<W> {
        Error {
            code: self.code,
            message: self.message,
            status: self.status,
            errors: self.errors.map(&mut f),
            data: self.data.map(&mut f),
            cause: self.cause.map(&mut f),
        }
    }
}

/// The parts of one GraphQL error entry the client looks at. Everything is optional: a server
/// that answers oddly still produces a `GRAPHQL` error rather than a decode failure.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
pub struct GraphqlErrorView {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub extensions: Option<GraphqlErrorExtensions>,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
pub struct GraphqlErrorExtensions {
    #[serde(default)]
    pub code: Option<String>,
}

impl GraphqlErrorView {
    pub fn code(&self) -> Option<&str> {
        self.extensions.as_ref()?.code.as_deref()
    }
}

/// Maps one `extensions.code` to our code. Codes the client has no special meaning for
/// (`GRAPHQL_VALIDATION_FAILED`, `BAD_USER_INPUT`, `API_ERROR`, ...) are plain `GRAPHQL`.
pub fn code_for_graphql(code: Option<&str>) -> ErrorCode {
    match code {
        Some("UNAUTHENTICATED") | Some("UNAUTHORIZED") => ErrorCode::Unauthenticated,
        Some("VERSION_LOCKING_ERROR") => ErrorCode::VersionLockingError,
        Some("NOT_FOUND") => ErrorCode::NotFound,
        _ => ErrorCode::Graphql,
    }
}

/// The code and message for a response whose `errors` is non-empty. When entries disagree the
/// most specific wins: UNAUTHENTICATED (a refresh may fix it), then VERSION_LOCKING_ERROR, then
/// NOT_FOUND, then GRAPHQL. The message is that entry's message.
pub fn classify_graphql_errors(errors: &[GraphqlErrorView]) -> (ErrorCode, String) {
    const PRIORITY: [ErrorCode; 4] = [
        ErrorCode::Unauthenticated,
        ErrorCode::VersionLockingError,
        ErrorCode::NotFound,
        ErrorCode::Graphql,
    ];
    for wanted in PRIORITY {
        if let Some(entry) = errors.iter().find(|e| code_for_graphql(e.code()) == wanted) {
            let message = entry
                .message
                .clone()
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| format!("the server answered with a GraphQL error ({})", wanted));
            return (wanted, message);
        }
    }
    (ErrorCode::Graphql, "the server answered with GraphQL errors".into())
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

/// How a `fetch` attempt that never produced a response is classified. The transport aborts
/// its own per-attempt controller with a reason it recognises, so TIMEOUT and ABORTED never
/// depend on the rejection's wording; otherwise only the error's `name` is looked at
/// (browsers and Node word their messages differently).
pub fn code_for_fetch_rejection(timed_out: bool, caller_aborted: bool, name: Option<&str>) -> ErrorCode {
    if caller_aborted {
        ErrorCode::Aborted
    } else if timed_out {
        ErrorCode::Timeout
    } else {
        match name {
            Some("AbortError") => ErrorCode::Aborted,
            Some("TimeoutError") => ErrorCode::Timeout,
            _ => ErrorCode::Network,
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn entry(code: Option<&str>, message: &str) -> GraphqlErrorView {
        GraphqlErrorView {
            message: Some(message.into()),
            extensions: Some(GraphqlErrorExtensions { code: code.map(Into::into) }),
        }
    }

    #[test]
    fn codes_are_the_contract_strings() {
        let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            all,
            [
                "NETWORK", "TIMEOUT", "ABORTED", "HTTP", "GRAPHQL", "UNAUTHENTICATED",
                "VERSION_LOCKING_ERROR", "STATE_MISMATCH", "NOT_FOUND", "INVALID_ARGUMENT", "DECODE"
            ]
        );
    }

    #[test]
    fn graphql_codes_map() {
        assert_eq!(code_for_graphql(Some("UNAUTHENTICATED")), ErrorCode::Unauthenticated);
        assert_eq!(code_for_graphql(Some("VERSION_LOCKING_ERROR")), ErrorCode::VersionLockingError);
        assert_eq!(code_for_graphql(Some("NOT_FOUND")), ErrorCode::NotFound);
        for other in ["GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT", "API_ERROR", "WHATEVER"] {
            assert_eq!(code_for_graphql(Some(other)), ErrorCode::Graphql);
        }
        assert_eq!(code_for_graphql(None), ErrorCode::Graphql);
    }

    #[test]
    fn most_specific_error_wins() {
        let errors = [entry(Some("API_ERROR"), "boom"), entry(Some("VERSION_LOCKING_ERROR"), "stale")];
        assert_eq!(classify_graphql_errors(&errors), (ErrorCode::VersionLockingError, "stale".into()));
        let errors = [entry(None, "first"), entry(None, "second")];
        assert_eq!(classify_graphql_errors(&errors), (ErrorCode::Graphql, "first".into()));
        let errors = [entry(Some("NOT_FOUND"), ""), entry(Some("UNAUTHENTICATED"), "who")];
        assert_eq!(classify_graphql_errors(&errors).0, ErrorCode::Unauthenticated);
        assert_eq!(classify_graphql_errors(&[]).0, ErrorCode::Graphql);
        let odd = [GraphqlErrorView::default()];
        assert_eq!(classify_graphql_errors(&odd).0, ErrorCode::Graphql);
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

    #[test]
    fn fetch_rejections_by_flag_then_name() {
        assert_eq!(code_for_fetch_rejection(true, false, Some("TypeError")), ErrorCode::Timeout);
        assert_eq!(code_for_fetch_rejection(false, true, None), ErrorCode::Aborted);
        assert_eq!(code_for_fetch_rejection(true, true, None), ErrorCode::Aborted);
        assert_eq!(code_for_fetch_rejection(false, false, Some("TypeError")), ErrorCode::Network);
        assert_eq!(code_for_fetch_rejection(false, false, Some("AbortError")), ErrorCode::Aborted);
        assert_eq!(code_for_fetch_rejection(false, false, Some("TimeoutError")), ErrorCode::Timeout);
        assert_eq!(code_for_fetch_rejection(false, false, None), ErrorCode::Network);
    }
}

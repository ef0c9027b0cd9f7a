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

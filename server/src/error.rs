//! The one error type of the server's operations: a message and a GraphQL `extensions.code`.

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
pub const VERSION_LOCKING_ERROR: &str = "VERSION_LOCKING_ERROR";
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
pub const API_ERROR: &str = "API_ERROR";
pub const NOT_FOUND: &str = "NOT_FOUND";
/// Prefect Server's message for a unique constraint (`database/hasura.py`).
pub const UNIQUENESS_VIOLATION: &str = "Uniqueness violation.";
/// Too many failed log-ins for one account (see `auth::LoginThrottle`).
pub const RATE_LIMITED: &str = "RATE_LIMITED";

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into() }
    }
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(BAD_USER_INPUT, message)
    }
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(NOT_FOUND, format!("{what} {id} not found"))
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(UNAUTHENTICATED, message)
    }
    pub fn version_locking(message: impl Into<String>) -> Self {
        Self::new(VERSION_LOCKING_ERROR, message)
    }
    /// A row that would repeat a unique one (a project's name in its tenant, a tenant's slug):
    /// Prefect Server's message, which Prefect's Python client matches on.
    pub fn uniqueness() -> Self {
        Self::bad_input(UNIQUENESS_VIOLATION)
    }
}

// No `Display`: async-graphql converts any `Display` into an error without our code.
impl ApiError {
    pub fn describe(&self) -> String {
        format!("{}: {}", self.code, self.message)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(err, _) = &e {
            if err.code == rusqlite::ErrorCode::ConstraintViolation {
                const UNIQUE: [i32; 2] = [rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE, rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY];
                if UNIQUE.contains(&err.extended_code) {
                    return ApiError::uniqueness();
                }
                return ApiError::bad_input(format!("constraint violation: {e}"));
            }
            if matches!(err.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) {
                return ApiError::new(API_ERROR, "database busy, retry");
            }
        }
        tracing::error!(error = %e, "database error");
        ApiError::new(API_ERROR, format!("database error: {e}"))
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        let mut err = async_graphql::Error::new(e.message);
        err = async_graphql::ErrorExtensions::extend_with(err, |_, ext| ext.set("code", e.code));
        err
    }
}

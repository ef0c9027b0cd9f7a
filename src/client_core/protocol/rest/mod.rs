//! Prefect 2/3 over REST: how a call is addressed, how an answer is read, Prefect 3's state
//! types, and the operations (runs, login, `request()`). See `API.md`, "Prefect 2/3 servers".

pub mod answer;
pub mod request;
pub mod runs;
pub mod session;
pub mod states;

use crate::client_core::config::Config;
use crate::client_core::error::Error;
use crate::client_core::http::Method;
use crate::client_core::json::{json_text, Json};
use crate::client_core::operation::{Call, CallAuth};
use crate::client_core::retry::Idempotency;

/// The session's credentials (Basic after `login`, else the token); REST has no refresh.
pub const SESSION: CallAuth = CallAuth::Session { refresh_ahead: false };

/// `path` (starting with `/`) under the API URL (`http://host:4200/api`).
pub fn url(config: &Config, path: &str) -> String {
    format!("{}{path}", config.api_server.trim_end_matches('/'))
}

/// A call of `method` to `path` with `body` written as JSON text.
pub fn call<V: Json>(config: &Config, method: Method, path: &str, body: Option<&V>, idempotency: Idempotency, auth: CallAuth) -> Result<Call<V>, Error<V>> {
    let body = match body {
        Some(value) => Some(json_text(value, "body")?),
        None => None,
    };
    Ok(Call { method, url: url(config, path), body, idempotency, auth, read: answer::body })
}

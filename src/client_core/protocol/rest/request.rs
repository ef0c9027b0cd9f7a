//! `client.request(method, path, { body })`: the caller's own REST call, relative to the API URL,
//! resolving the parsed JSON body.
//! A nullish `body` sends none.

use super::{call, SESSION};
use crate::client_core::config::Config;
use crate::client_core::error::Error;
use crate::client_core::http::Method;
use crate::client_core::json::{Json, Kind};
use crate::client_core::operation::{OneCall, Operation};
use crate::client_core::retry::Idempotency;

pub fn request<V: Json>(config: &Config, method: &str, path: &str, body: V) -> Result<Box<dyn Operation<V>>, Error<V>> {
    let method = match method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        other => return Err(Error::invalid(format!("method must be \"GET\", \"POST\", \"PATCH\" or \"DELETE\", got {other:?}"))),
    };
    // Appended to the API URL as it is: it can name no other origin, but a space, a control
    // character or a backslash would be sent as something else than the caller wrote.
    if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return Err(Error::invalid(format!("path must start with \"/\" and hold no spaces, control characters or backslashes, got {path:?}")));
    }
    // `null` or `undefined`: no body.
    let body = match body.kind() {
        Kind::Undefined | Kind::Null => None,
        _ if method == Method::Get => return Err(Error::invalid("a GET request has no body")),
        _ => Some(body),
    };
    let idempotency = idempotency(method, path, body.as_ref());
    Ok(Box::new(OneCall { call: Some(call(config, method, path, body.as_ref(), idempotency, SESSION)?) }))
}

/// Whether a lost answer may be asked for again: reads, and the writes Prefect deduplicates (a
/// create with an `idempotency_key`, a set_state with a transition id and no `force`).
pub fn idempotency<V: Json>(method: Method, path: &str, body: Option<&V>) -> Idempotency {
    let route = path.split(['?', '#']).next().unwrap_or_default().trim_end_matches('/');
    let read = method == Method::Get || (method == Method::Post && ["/filter", "/count", "/paginate"].iter().any(|s| route.ends_with(s)));
    let keyed = body.is_some_and(|b| b.string_field("idempotency_key").is_some_and(|k| !k.is_empty()));
    let transition = body.is_some_and(|b| {
        let id = b.field("state").and_then(|s| s.field("state_details")).and_then(|d| d.string_field("transition_id"));
        id.is_some() && b.get("force").and_then(|f| f.as_bool()) != Some(true)
    });
    if read || (method == Method::Post && (keyed || (transition && route.ends_with("/set_state")))) {
        Idempotency::Safe
    } else {
        Idempotency::Unsafe
    }
}

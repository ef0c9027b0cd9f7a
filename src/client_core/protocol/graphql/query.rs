//! `client.graphql(query, variables)`: the caller's own document, sent as it is.

use super::documents::is_read_only;
use crate::client_core::config::Config;
use crate::client_core::error::Error;
use crate::client_core::json::{Json, Kind};
use crate::client_core::operation::{CallAuth, OneCall, Operation};
use crate::client_core::retry::Idempotency;

/// Checks the arguments and builds the call. `query` stays the caller's string (it is read for
/// the checks, never rebuilt); nullish `variables` are left out.
pub fn graphql<V: Json>(config: &Config, query: V, variables: V) -> Result<Box<dyn Operation<V>>, Error<V>> {
    let text = query.as_string().ok_or_else(|| Error::invalid("query must be a string"))?;
    if text.trim().is_empty() {
        return Err(Error::invalid("query must not be empty"));
    }
    let variables = match variables.kind() {
        Kind::Undefined | Kind::Null => None,
        Kind::Object => Some(variables),
        _ => return Err(Error::invalid("variables must be an object")),
    };
    // A repeat cannot apply a change twice only when the document changes nothing.
    let idempotency = if is_read_only(&text) { Idempotency::Safe } else { Idempotency::Unsafe };
    let call = super::call(config, query, variables, idempotency, CallAuth::Session { refresh_ahead: true })?;
    Ok(Box::new(OneCall { call: Some(call) }))
}

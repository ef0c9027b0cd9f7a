//! Prefect Server / Cloud 1.x over GraphQL: the documents, how an answer is read, and the
//! operations.

pub mod answer;
pub mod documents;
pub mod query;
pub mod runs;
pub mod session;

use crate::client_core::config::Config;
use crate::client_core::error::Error;
use crate::client_core::http::Method;
use crate::client_core::json::{json_text, IntoJson, Json};
use crate::client_core::operation::{Call, CallAuth};
use crate::client_core::retry::Idempotency;
use documents::Document;

/// A POST of `{ query, variables }` to the GraphQL endpoint (`variables` left out when `None`).
/// `query` is the document text as a value of the target (a caller's string is not copied).
pub fn call<V: Json>(config: &Config, query: V, variables: Option<V>, idempotency: Idempotency, auth: CallAuth) -> Result<Call<V>, Error<V>> {
    let mut envelope = V::object().with("query", query);
    if let Some(variables) = variables {
        envelope.set("variables", variables);
    }
    let body = json_text(&envelope, "variables")?;
    Ok(Call { method: Method::Post, url: config.graphql_url.clone(), body: Some(body), idempotency, auth, read: answer::data })
}

/// One of the client's own documents with its variables.
pub fn document_call<V: Json, T: IntoJson<V>>(
    config: &Config,
    document: Document,
    variables: T,
    idempotency: Idempotency,
    auth: CallAuth,
) -> Result<Call<V>, Error<V>> {
    call(config, V::from_str(document.text), Some(variables.into_json()), idempotency, auth)
}

/// The session's token, refreshed ahead of expiry: how the run operations authenticate.
pub const SESSION: CallAuth = CallAuth::Session { refresh_ahead: true };

//! The target-independent client: no wasm-bindgen, no web-sys. `cargo test` runs it natively,
//! and the dev server links it for the state rules.
//!
//! - `documents`: every GraphQL document sent, its variables and its answer's shape
//! - `state`: the state hierarchy, state JSON building, `RunState` decoding, `expectedState`
//! - `error`: the error codes and the classification of HTTP statuses / GraphQL errors
//! - `retry`: which failures are retried and the backoff
//! - `auth`: the token set and its expiry arithmetic
//! - `time`: the date parsing those need

pub mod auth;
pub mod documents;
pub mod error;
pub mod retry;
pub mod state;
pub mod time;

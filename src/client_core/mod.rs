//! The target-independent client: no wasm-bindgen, no web-sys. It decides everything and does no
//! I/O; `cargo test` runs it natively, and the dev server links it for the state rules.
//!
//! - `operations`: one function per public method, checking the arguments and building the
//!   operation for the client's protocol
//! - `protocol`: the wire protocols (`graphql`: its documents, how its answers read, its
//!   operations)
//! - `operation`, `runner`: an operation is a sans-IO machine; the runner adds credentials,
//!   token refreshes, retries, the caller's signal and deadlines, and tells a driver what to do
//! - `http`: the one request and outcome a driver handles
//! - `polling`: `wait` and `watch`
//! - `config`: the client's options; `auth`: the session and the shared-refresh rule
//! - `state`: the state hierarchy, state JSON, `RunState`; `run_kind`: flow or task run
//! - `error`: the error codes; `retry`: which failures are retried and the backoff
//! - `json`: the seam to the target's JSON values; `time`, `uuid`: the dates and ids checked

pub mod auth;
pub mod config;
pub mod error;
pub mod http;
pub mod json;
pub mod operation;
pub mod operations;
pub mod polling;
pub mod protocol;
pub mod retry;
pub mod run_kind;
pub mod runner;
pub mod state;
pub mod time;
pub mod uuid;

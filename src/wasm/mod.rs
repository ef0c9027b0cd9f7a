//! The JS face: conversions and I/O only. Every method converts its arguments, asks
//! `client_core::operations` for the operation, and hands it to the one driver; the logic lives
//! in `crate::client_core`.
//!
//! - `client`, `runs`: the exported classes; `watch` (+ `watch.js`): `watch()`'s async iterator
//! - `driver` (+ `fetch.js`): runs any operation: fetch, timers, the shared refresh
//! - `json`: the core's JSON seam over `JsValue`; `args`: reading the caller's arguments
//! - `error` (+ `error.js`): `PrefectError`; `live_clients`: which values are live `Client`s
//! - `types`: the TypeScript declarations wasm-bindgen cannot infer

mod args;
mod client;
mod driver;
mod error;
mod json;
mod live_clients;
mod runs;
mod types;
mod watch;

#[allow(unused_imports)]
pub use client::Client;
#[allow(unused_imports)]
pub use error::is_prefect_error;
#[allow(unused_imports)]
pub use runs::{FlowRuns, TaskRuns};

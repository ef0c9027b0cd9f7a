//! prefect-wasm: a WebAssembly client for the Prefect 1.x GraphQL API.
//!
//! `client_core` holds all the logic and builds on any target; `wasm` is the JS face and only converts.

pub mod client_core;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

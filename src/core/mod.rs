//! The target-independent client: no wasm-bindgen, no web-sys. `cargo test` runs it natively,
//! and the dev server links it for the state rules.

pub mod error;
pub mod state;

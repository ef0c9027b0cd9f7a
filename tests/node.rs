//! The shared wasm suite in Node (global fetch, no `window`).
//! `wasm-pack test --node -- --test node`
#![cfg(target_arch = "wasm32")]
mod suite;

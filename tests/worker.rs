//! The shared wasm suite in a dedicated Web Worker (no `window`).
//! `wasm-pack test --headless --chrome -- --test worker`
#![cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);
mod suite;

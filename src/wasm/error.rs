//! Rust error → the JS `PrefectError` (a real `Error` subclass defined in `error.js`).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::args::Error;

#[wasm_bindgen(module = "/src/wasm/error.js")]
extern "C" {
    #[wasm_bindgen(extends = js_sys::Error, js_name = PrefectError)]
    #[derive(Clone, Debug)]
    pub type PrefectErrorJs;

    #[wasm_bindgen(constructor, js_class = PrefectError)]
    fn new(message: &str, code: &str, status: JsValue, errors: JsValue, data: JsValue, cause: JsValue, details: JsValue) -> PrefectErrorJs;

    // Never called: `reexport` makes the generated glue export the class itself, so every build
    // exports the one class errors are made of (its TypeScript declaration is in types.rs).
    #[wasm_bindgen(js_name = PrefectError, reexport, skip_typescript)]
    #[allow(dead_code)]
    fn prefect_error_class();
}

/// The JS value a failed call rejects with.
pub fn to_js_error(error: Error) -> JsValue {
    let status = error.status.map(|s| JsValue::from_f64(s as f64)).unwrap_or(JsValue::UNDEFINED);
    PrefectErrorJs::new(
        &error.message,
        error.code.as_str(),
        status,
        error.errors.unwrap_or(JsValue::UNDEFINED),
        error.data.unwrap_or(JsValue::UNDEFINED),
        error.cause.unwrap_or(JsValue::UNDEFINED),
        error.details.unwrap_or(JsValue::UNDEFINED),
    )
    .into()
}

/// `value instanceof PrefectError`, against the very class the package exports.
pub fn is_prefect_error(value: &JsValue) -> bool {
    value.has_type::<PrefectErrorJs>()
}

//! Reading the caller's arguments (answering INVALID_ARGUMENT, never panicking), and the few
//! globals every runtime has (timers, the clock, console).

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub type Error = crate::client_core::error::Error<JsValue>;
pub type Result<T> = core::result::Result<T, Error>;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_name = setTimeout)]
    pub fn set_timeout(callback: &js_sys::Function, ms: f64) -> core::result::Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(id: &JsValue);

    #[wasm_bindgen(js_namespace = console, js_name = error)]
    pub fn console_error(message: &str);

    // Caller objects can be Proxies or have throwing getters: everything that touches them
    // goes through `catch` bindings, so a throw becomes INVALID_ARGUMENT instead of unwinding
    // through wasm frames.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = entries)]
    fn object_entries(object: &JsValue) -> core::result::Result<Array, JsValue>;
}

/// A short description of a thrown JS value, for messages.
pub fn describe(value: &JsValue) -> String {
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    value.as_string().unwrap_or_else(|| "an unknown error".into())
}

/// A thrown value's `name` (e.g. "TypeError", "AbortError"), if it has one.
pub fn error_name(value: &JsValue) -> Option<String> {
    if !value.is_object() {
        return None;
    }
    Reflect::get(value, &JsValue::from_str("name")).ok()?.as_string()
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub fn is_nullish(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

pub fn is_plain_object(value: &JsValue) -> bool {
    value.is_object() && !Array::is_array(value) && !value.is_function()
}

/// An options argument: `undefined`/`null` → none, an object → it, anything else is invalid.
pub struct Options {
    object: Option<Object>,
    what: &'static str,
}

impl Options {
    pub fn new(value: Option<JsValue>, what: &'static str) -> Result<Options> {
        match value {
            None => Ok(Options { object: None, what }),
            Some(v) if is_nullish(&v) => Ok(Options { object: None, what }),
            Some(v) if is_plain_object(&v) => Ok(Options { object: Some(v.unchecked_into()), what }),
            Some(_) => Err(Error::invalid(format!("{what} must be an object"))),
        }
    }

    /// The raw value of `key`: `undefined` when absent (a getter that throws is INVALID_ARGUMENT).
    pub fn raw(&self, key: &str) -> Result<JsValue> {
        let Some(object) = &self.object else { return Ok(JsValue::UNDEFINED) };
        Reflect::get(object, &JsValue::from_str(key))
            .map_err(|e| Error::invalid(format!("{}.{key} could not be read: {}", self.what, describe(&e))))
    }

    /// The value of `key` (`None` when absent, undefined or null).
    pub fn get(&self, key: &str) -> Result<Option<JsValue>> {
        let value = self.raw(key)?;
        Ok((!is_nullish(&value)).then_some(value))
    }

    pub fn string(&self, key: &str) -> Result<Option<String>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v.as_string().map(Some).ok_or_else(|| self.invalid(key, "a string")),
        }
    }

    pub fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or_else(|| self.invalid(key, "a number")),
        }
    }

    pub fn boolean(&self, key: &str) -> Result<bool> {
        match self.get(key)? {
            None => Ok(false),
            Some(v) => v.as_bool().ok_or_else(|| self.invalid(key, "a boolean")),
        }
    }

    pub fn object(&self, key: &str) -> Result<Option<JsValue>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) if is_plain_object(&v) => Ok(Some(v)),
            Some(_) => Err(self.invalid(key, "an object")),
        }
    }

    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>> {
        let Some(v) = self.get(key)? else { return Ok(None) };
        let array = v.dyn_into::<Array>().map_err(|_| self.invalid(key, "an array of strings"))?;
        array.iter().map(|item| item.as_string().ok_or_else(|| self.invalid(key, "an array of strings"))).collect::<Result<Vec<_>>>().map(Some)
    }

    pub fn signal(&self, key: &str) -> Result<Option<web_sys::AbortSignal>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v.dyn_into::<web_sys::AbortSignal>().map(Some).map_err(|_| self.invalid(key, "an AbortSignal")),
        }
    }

    /// Own enumerable string-keyed entries (`Object.entries`).
    pub fn entries(&self) -> Result<Vec<(String, JsValue)>> {
        let Some(object) = &self.object else { return Ok(Vec::new()) };
        let entries = object_entries(object).map_err(|e| Error::invalid(format!("{} could not be read: {}", self.what, describe(&e))))?;
        Ok(entries
            .iter()
            .filter_map(|pair| {
                let pair: Array = pair.dyn_into().ok()?;
                Some((pair.get(0).as_string()?, pair.get(1)))
            })
            .collect())
    }

    fn invalid(&self, key: &str, kind: &str) -> Error {
        Error::invalid(format!("{}.{key} must be {kind}", self.what))
    }
}

/// A required string argument.
pub fn string_arg(value: &JsValue, what: &str) -> Result<String> {
    value.as_string().ok_or_else(|| Error::invalid(format!("{what} must be a string")))
}

//! Small JS helpers: the JSON pass-through value, globals every runtime has (timers, console)
//! and readers for the caller's arguments that answer INVALID_ARGUMENT, never panic.

use js_sys::{Array, Object, Reflect};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub type Error = crate::core::error::Error<JsValue>;
pub type Result<T> = core::result::Result<T, Error>;

/// A JS value carried through serde untouched (`serde_wasm_bindgen::preserve`): variables,
/// `data`, `serialized_state`, `context` are never rebuilt in Rust.
#[derive(Clone, Debug)]
pub struct Js(pub JsValue);

impl Serialize for Js {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        serde_wasm_bindgen::preserve::serialize(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for Js {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> core::result::Result<Self, D::Error> {
        serde_wasm_bindgen::preserve::deserialize(deserializer).map(Js)
    }
}

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

    #[wasm_bindgen(catch, js_namespace = Object, js_name = assign)]
    pub fn object_assign(target: &JsValue, source: &JsValue) -> core::result::Result<JsValue, JsValue>;
}

/// Plain objects to JS with `Object`s (not `Map`s) and `null` for `None`.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| Error::invalid(format!("could not convert a value for JS: {e}")))
}

/// A JS value into a Rust shape; a mismatch is the server's fault (DECODE).
pub fn from_js<T: for<'de> Deserialize<'de>>(value: JsValue, what: &str) -> Result<T> {
    serde_wasm_bindgen::from_value(value).map_err(|e| Error::decode(format!("unexpected {what} in the server's answer: {e}")))
}

/// `JSON.stringify` into a JS string (for text that only goes back out to JS).
pub fn stringify_js(value: &JsValue, what: &str) -> Result<JsValue> {
    match js_sys::JSON::stringify(value) {
        Ok(text) if text.is_string() => Ok(text.into()),
        Ok(_) => Err(Error::invalid(format!("{what} cannot be written as JSON"))),
        Err(e) => {
            let mut err = Error::invalid(format!("{what} cannot be written as JSON: {}", describe(&e)));
            err.cause = Some(e);
            Err(err)
        }
    }
}

pub fn stringify(value: &JsValue, what: &str) -> Result<String> {
    stringify_js(value, what).map(|text| text.as_string().unwrap_or_default())
}

/// `JSON.parse`, or the text itself when it is not JSON.
pub fn parse_or_text(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or_else(|_| JsValue::from_str(text))
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

/// A number as JS writes it (`String(n)`), without Rust's float formatting in the wasm.
pub fn number_text(n: f64) -> String {
    js_sys::Number::from(n).to_string_with_radix(10).map(String::from).unwrap_or_default()
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub fn now_iso() -> String {
    String::from(js_sys::Date::new_0().to_iso_string())
}

pub fn is_nullish(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

pub fn is_plain_object(value: &JsValue) -> bool {
    value.is_object() && !Array::is_array(value) && !value.is_function()
}

// ---------------------------------------------------------------------------------------------
// Reading the caller's arguments
// ---------------------------------------------------------------------------------------------

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

    /// The raw value of `key` (`None` when absent, undefined or null).
    pub fn get(&self, key: &str) -> Result<Option<JsValue>> {
        let Some(object) = &self.object else { return Ok(None) };
        let value = Reflect::get(object, &JsValue::from_str(key))
            .map_err(|e| Error::invalid(format!("{}.{key} could not be read: {}", self.what, describe(&e))))?;
        Ok((!is_nullish(&value)).then_some(value))
    }

    /// Whether `key` is present with a value other than `undefined` (null counts).
    pub fn has(&self, key: &str) -> Result<bool> {
        let Some(object) = &self.object else { return Ok(false) };
        let value = Reflect::get(object, &JsValue::from_str(key))
            .map_err(|e| Error::invalid(format!("{}.{key} could not be read: {}", self.what, describe(&e))))?;
        Ok(!value.is_undefined())
    }

    pub fn raw(&self, key: &str) -> Result<JsValue> {
        let Some(object) = &self.object else { return Ok(JsValue::UNDEFINED) };
        Reflect::get(object, &JsValue::from_str(key))
            .map_err(|e| Error::invalid(format!("{}.{key} could not be read: {}", self.what, describe(&e))))
    }

    pub fn string(&self, key: &str) -> Result<Option<String>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v.as_string().map(Some).ok_or_else(|| Error::invalid(format!("{}.{key} must be a string", self.what))),
        }
    }

    pub fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or_else(|| Error::invalid(format!("{}.{key} must be a number", self.what))),
        }
    }

    pub fn object(&self, key: &str) -> Result<Option<JsValue>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) if is_plain_object(&v) => Ok(Some(v)),
            Some(_) => Err(Error::invalid(format!("{}.{key} must be an object", self.what))),
        }
    }

    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) if Array::is_array(&v) => {
                let array: Array = v.unchecked_into();
                array
                    .iter()
                    .map(|item| item.as_string().ok_or_else(|| Error::invalid(format!("{}.{key} must be an array of strings", self.what))))
                    .collect::<Result<Vec<_>>>()
                    .map(Some)
            }
            Some(_) => Err(Error::invalid(format!("{}.{key} must be an array of strings", self.what))),
        }
    }

    pub fn signal(&self, key: &str) -> Result<Option<web_sys::AbortSignal>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v
                .dyn_into::<web_sys::AbortSignal>()
                .map(Some)
                .map_err(|_| Error::invalid(format!("{}.{key} must be an AbortSignal", self.what))),
        }
    }

    /// Own enumerable string-keyed entries (`Object.entries`).
    pub fn entries(&self) -> Result<Vec<(String, JsValue)>> {
        let Some(object) = &self.object else { return Ok(Vec::new()) };
        let entries = object_entries(object)
            .map_err(|e| Error::invalid(format!("{} could not be read: {}", self.what, describe(&e))))?;
        Ok(entries
            .iter()
            .filter_map(|pair| {
                let pair: Array = pair.dyn_into().ok()?;
                Some((pair.get(0).as_string()?, pair.get(1)))
            })
            .collect())
    }

}

/// A required string argument.
pub fn string_arg(value: &JsValue, what: &str) -> Result<String> {
    value.as_string().ok_or_else(|| Error::invalid(format!("{what} must be a string")))
}

/// A required UUID argument.
pub fn uuid_arg(value: &JsValue, what: &str) -> Result<String> {
    let text = string_arg(value, what)?;
    if crate::core::documents::is_uuid(&text) {
        Ok(text)
    } else {
        Err(Error::invalid(format!("{what} must be a UUID, got {text:?}")))
    }
}

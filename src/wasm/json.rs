//! The core's JSON seam over `JsValue` (`client_core::json`): answers are read and bodies and
//! results built in place, as JS values; only the strings the core looks at are copied into wasm.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::client_core::json::{Json, Kind, Unwritable};

use super::args::describe;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = stringify)]
    fn json_stringify(value: &JsValue) -> Result<JsValue, JsValue>;

    // A caller's object can have throwing getters: `catch` makes a throw an `Err`.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = assign)]
    fn object_assign(target: &JsValue, source: &JsValue) -> Result<JsValue, JsValue>;
}

impl Json for JsValue {
    fn kind(&self) -> Kind {
        if self.is_undefined() {
            Kind::Undefined
        } else if self.is_null() {
            Kind::Null
        } else if self.as_bool().is_some() {
            Kind::Bool
        } else if self.as_f64().is_some() {
            Kind::Number
        } else if self.is_string() {
            Kind::String
        } else if Array::is_array(self) {
            Kind::Array
        } else if self.is_object() && !self.is_function() {
            Kind::Object
        } else {
            Kind::Other
        }
    }
    fn get(&self, key: &str) -> Option<Self> {
        if !self.is_object() {
            return None;
        }
        Reflect::get(self, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined())
    }
    fn array_len(&self) -> Option<usize> {
        self.dyn_ref::<Array>().map(|a| a.length() as usize)
    }
    fn at(&self, index: usize) -> Option<Self> {
        let array = self.dyn_ref::<Array>()?;
        (index < array.length() as usize).then(|| array.get(index as u32))
    }
    fn as_string(&self) -> Option<String> {
        JsValue::as_string(self)
    }
    fn as_f64(&self) -> Option<f64> {
        JsValue::as_f64(self)
    }
    fn as_bool(&self) -> Option<bool> {
        JsValue::as_bool(self)
    }
    fn undefined() -> Self {
        JsValue::UNDEFINED
    }
    fn null() -> Self {
        JsValue::NULL
    }
    fn from_str(text: &str) -> Self {
        JsValue::from_str(text)
    }
    fn from_f64(n: f64) -> Self {
        JsValue::from_f64(n)
    }
    fn from_bool(b: bool) -> Self {
        JsValue::from_bool(b)
    }
    fn object() -> Self {
        Object::new().into()
    }
    fn set(&mut self, key: &str, value: Self) {
        let _ = Reflect::set(self, &JsValue::from_str(key), &value);
    }
    fn array(items: Vec<Self>) -> Self {
        let array = Array::new();
        for item in &items {
            array.push(item);
        }
        array.into()
    }
    fn copy_object(&self) -> Result<Self, String> {
        let copy: JsValue = Object::new().into();
        object_assign(&copy, self).map(|_| copy).map_err(|e| describe(&e))
    }
    fn parse(text: &str) -> Option<Self> {
        js_sys::JSON::parse(text).ok()
    }
    fn stringify(&self) -> Result<Self, Unwritable<Self>> {
        match json_stringify(self) {
            Ok(text) if text.is_string() => Ok(text),
            Ok(_) => Err(Unwritable { detail: String::new(), cause: None }),
            Err(e) => Err(Unwritable { detail: describe(&e), cause: Some(e) }),
        }
    }
}

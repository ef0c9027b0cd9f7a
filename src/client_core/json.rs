//! The one seam between the core and a target's JSON values: `JsValue` on wasm (`src/wasm/json.rs`),
//! `serde_json::Value` natively (below, for the dev server and the tests).
//!
//! The core reads the server's answers and builds request bodies and results through it, so a
//! caller's JSON (variables, parameters, results) passes through untouched and decoding is one
//! small set of functions instead of a serde format per type.

/// What a value is, as far as JSON goes. `Other` is what JSON cannot hold (functions, symbols,
/// BigInts); `Undefined` is JavaScript's absent value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Undefined,
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
    Other,
}

/// Why a value could not be written as JSON text (a cycle, a BigInt, a throwing `toJSON`).
#[derive(Clone, Debug, PartialEq)]
pub struct Unwritable<V> {
    pub detail: String,
    pub cause: Option<V>,
}

pub trait Json: Clone + Sized + 'static {
    fn kind(&self) -> Kind;
    /// An object's own field; `None` when `self` is not an object or the field is absent
    /// (a `null` field is `Some(null)`).
    fn get(&self, key: &str) -> Option<Self>;
    /// An array's length; `None` when `self` is not an array.
    fn array_len(&self) -> Option<usize>;
    fn at(&self, index: usize) -> Option<Self>;
    fn as_string(&self) -> Option<String>;
    fn as_f64(&self) -> Option<f64>;
    fn as_bool(&self) -> Option<bool>;

    fn undefined() -> Self;
    fn null() -> Self;
    fn from_str(text: &str) -> Self;
    fn from_f64(n: f64) -> Self;
    fn from_bool(b: bool) -> Self;
    fn object() -> Self;
    /// Sets `key` on an object built with [`Json::object`].
    fn set(&mut self, key: &str, value: Self);
    fn array(items: Vec<Self>) -> Self;
    /// A shallow copy of an object's own enumerable fields (reading them may fail for a
    /// caller's object: the reason).
    fn copy_object(&self) -> Result<Self, String>;

    /// `JSON.parse`; `None` when `text` is not JSON.
    fn parse(text: &str) -> Option<Self>;
    /// `JSON.stringify`, as a string value of this type (on wasm it never enters wasm memory).
    fn stringify(&self) -> Result<Self, Unwritable<Self>>;

    fn is_nullish(&self) -> bool {
        matches!(self.kind(), Kind::Undefined | Kind::Null)
    }
    fn is_object(&self) -> bool {
        self.kind() == Kind::Object
    }
    /// A field that is present and neither null nor undefined.
    fn field(&self, key: &str) -> Option<Self> {
        self.get(key).filter(|v| !v.is_nullish())
    }
    fn string_field(&self, key: &str) -> Option<String> {
        self.get(key)?.as_string()
    }
    /// A field holding a whole number (as JSON numbers are, within 2^53).
    fn integer_field(&self, key: &str) -> Option<i64> {
        let n = self.get(key)?.as_f64()?;
        (n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0).then_some(n as i64)
    }
    fn with(mut self, key: &str, value: Self) -> Self {
        self.set(key, value);
        self
    }
    fn from_string_opt(text: Option<&str>) -> Self {
        text.map_or_else(Self::null, Self::from_str)
    }
    fn strings(items: &[String]) -> Self {
        Self::array(items.iter().map(|s| Self::from_str(s)).collect())
    }
    /// `JSON.parse`, or the text itself when it is not JSON.
    fn parse_or_text(text: &str) -> Self {
        Self::parse(text).unwrap_or_else(|| Self::from_str(text))
    }
}

/// A Rust value that becomes one JSON value of the target (request variables, results).
pub trait IntoJson<V> {
    fn into_json(self) -> V;
}

/// `value` as JSON text (a string value of the target); INVALID_ARGUMENT naming `what` when it
/// cannot be written (the caller gave it).
pub fn json_text<V: Json>(value: &V, what: &str) -> Result<V, super::error::Error<V>> {
    value.stringify().map_err(|e| {
        let message = if e.detail.is_empty() { format!("{what} cannot be written as JSON") } else { format!("{what} cannot be written as JSON: {}", e.detail) };
        super::error::Error::invalid(message).with_cause(e.cause)
    })
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::{Json, Kind, Unwritable};
    use serde_json::Value;

    impl Json for Value {
        fn kind(&self) -> Kind {
            match self {
                Value::Null => Kind::Null,
                Value::Bool(_) => Kind::Bool,
                Value::Number(_) => Kind::Number,
                Value::String(_) => Kind::String,
                Value::Array(_) => Kind::Array,
                Value::Object(_) => Kind::Object,
            }
        }
        fn get(&self, key: &str) -> Option<Self> {
            self.as_object()?.get(key).cloned()
        }
        fn array_len(&self) -> Option<usize> {
            self.as_array().map(Vec::len)
        }
        fn at(&self, index: usize) -> Option<Self> {
            self.as_array()?.get(index).cloned()
        }
        fn as_string(&self) -> Option<String> {
            self.as_str().map(str::to_string)
        }
        fn as_f64(&self) -> Option<f64> {
            Value::as_f64(self)
        }
        fn as_bool(&self) -> Option<bool> {
            Value::as_bool(self)
        }
        fn undefined() -> Self {
            Value::Null
        }
        fn null() -> Self {
            Value::Null
        }
        fn from_str(text: &str) -> Self {
            Value::String(text.to_string())
        }
        fn from_f64(n: f64) -> Self {
            if n.fract() == 0.0 && n.abs() < 9.0e15 {
                Value::from(n as i64)
            } else {
                serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
            }
        }
        fn from_bool(b: bool) -> Self {
            Value::Bool(b)
        }
        fn object() -> Self {
            Value::Object(Default::default())
        }
        fn set(&mut self, key: &str, value: Self) {
            if let Value::Object(map) = self {
                map.insert(key.to_string(), value);
            }
        }
        fn array(items: Vec<Self>) -> Self {
            Value::Array(items)
        }
        fn copy_object(&self) -> Result<Self, String> {
            match self {
                Value::Object(_) => Ok(self.clone()),
                _ => Err("not an object".into()),
            }
        }
        fn parse(text: &str) -> Option<Self> {
            serde_json::from_str(text).ok()
        }
        fn stringify(&self) -> Result<Self, Unwritable<Self>> {
            Ok(Value::String(self.to_string()))
        }
    }
}

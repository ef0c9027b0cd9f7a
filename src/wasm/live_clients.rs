//! Which JS values are live `Client`s. `new FlowRuns(x)` takes any JS value, so that a
//! non-Client is a PrefectError rather than wasm-bindgen's plain "expected instance of Client".
//! It recognises a Client by the handle the Client's hidden getter returns: 1 + its slot in this
//! table while that Client is alive (slots are reused). A forged handle only ever reaches a
//! live client's state, never freed memory.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use super::args::{Error, Result};
use super::driver::Inner;

thread_local! {
    static LIVE_CLIENTS: RefCell<Vec<Option<Weak<Inner>>>> = const { RefCell::new(Vec::new()) };
}
pub const HANDLE_PROPERTY: &str = "__prefectClientHandle";

/// A slot for `inner`; its handle.
pub fn register(inner: &Rc<Inner>) -> u32 {
    LIVE_CLIENTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        let entry = Some(Rc::downgrade(inner));
        match slots.iter().position(Option::is_none) {
            Some(free) => {
                slots[free] = entry;
                free as u32 + 1
            }
            None => {
                slots.push(entry);
                slots.len() as u32
            }
        }
    })
}

pub fn unregister(handle: u32) {
    LIVE_CLIENTS.with(|slots| {
        if let Some(slot) = slots.borrow_mut().get_mut(handle as usize - 1) {
            *slot = None;
        }
    });
}

/// The state of the live `Client` that `value` is; INVALID_ARGUMENT for anything else.
pub fn client_arg(value: &JsValue, what: &str) -> Result<Rc<Inner>> {
    let not_a_client = || Error::invalid(format!("{what} must be a Client from this package"));
    if !value.is_object() {
        return Err(not_a_client());
    }
    // The getter throws for a Client whose memory was released with `free()`.
    let handle = Reflect::get(value, &JsValue::from_str(HANDLE_PROPERTY))
        .map_err(|_| Error::invalid(format!("{what} is a Client that has been freed")))?
        .as_f64()
        .filter(|h| h.fract() == 0.0 && *h >= 1.0 && *h <= u32::MAX as f64)
        .ok_or_else(not_a_client)?;
    LIVE_CLIENTS
        .with(|slots| slots.borrow().get(handle as usize - 1).cloned().flatten().and_then(|w| w.upgrade()))
        .ok_or_else(not_a_client)
}

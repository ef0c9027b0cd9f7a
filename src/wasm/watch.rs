//! `watch()`: the core's polling machine behind a JS async iterator (`watch.js`). Each `next()`
//! drives the machine until it yields the next state or ends; the iterator runs them one after
//! another and frees this handle when the states end, on `return()` (a `break` out of
//! `for await`) or on an error.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::client_core::runner::{Input, Runner};

use super::args::{Error, Result};
use super::driver::{self, Inner};
use super::error::to_js_error;

#[wasm_bindgen(module = "/src/wasm/watch.js")]
extern "C" {
    /// The async iterator over `handle`, stopped by `signal` (undefined: never).
    fn iterate(handle: StateWatch, signal: &JsValue) -> JsValue;
}

/// The polling behind one `watch()` (internal: only `watch.js` calls it).
#[wasm_bindgen(skip_typescript)]
pub struct StateWatch {
    client: Rc<Inner>,
    runner: Option<Rc<RefCell<Runner<JsValue>>>>,
    error: Option<Error>,
    started: bool,
}

#[wasm_bindgen]
impl StateWatch {
    /// Drives the machine to its next state (resolved) or its end (resolved, then `done`), with
    /// `signal` (the iterator's own, which also stops it on `return()`).
    pub fn next(&mut self, signal: web_sys::AbortSignal) -> Promise {
        if let Some(error) = self.error.take() {
            return Promise::reject(&to_js_error(error));
        }
        let Some(runner) = &self.runner else { return Promise::resolve(&JsValue::UNDEFINED) };
        let input = if self.started { Input::Resumed } else { Input::Start };
        self.started = true;
        driver::spawn(self.client.clone(), runner.clone(), Some(signal), input)
    }

    /// True once the states have ended (or the arguments were refused).
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> bool {
        self.runner.as_ref().is_none_or(|r| r.borrow().is_done())
    }
}

/// The iterator for `built` (an iterator whose first `next()` rejects, for refused arguments).
pub fn iterator(client: &Rc<Inner>, built: Result<Runner<JsValue>>, signal: Option<web_sys::AbortSignal>) -> JsValue {
    let (runner, error) = match built {
        Ok(runner) => (Some(Rc::new(RefCell::new(runner))), None),
        Err(error) => (None, Some(error)),
    };
    let handle = StateWatch { client: client.clone(), runner, error, started: false };
    iterate(handle, signal.as_ref().map_or(&JsValue::UNDEFINED, |s| s.as_ref()))
}

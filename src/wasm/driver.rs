//! The one driver of the core's machines (`client_core::runner`): it sends each request through
//! `fetch.js` with the attempt's timeout and the caller's signal, sleeps when told, runs the
//! shared token refresh, and hands every outcome back. Whatever the operation, this is the only
//! async code: one `future_to_promise` for every method.
//!
//! One attempt is one call into `fetch.js` (fetch, status, `Retry-After` and the body text in
//! one crossing; the text stays a JS string and is parsed there, never copied into wasm). The
//! caller's signal is never handed to fetch: each attempt has its own `AbortController`, aborted
//! with a reason string the helper recognises, either by a timer (TIMEOUT) or by a listener on
//! the caller's signal (ABORTED). So the outcome never depends on what fetch rejects with (an
//! `abort("reason")` can make it reject with a non-Error) or how a runtime words it.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::AbortSignal;

use crate::client_core::config::ClientState;
use crate::client_core::http::{Answer, Failure, FailureKind, Outcome, Request};
use crate::client_core::runner::{Env, Input, Runner, Step};

use super::args::{self, describe, error_name, is_nullish, Error, Result};
use super::error::to_js_error;

#[wasm_bindgen(module = "/src/wasm/fetch.js")]
extern "C" {
    /// Resolves to an `Answer` (or undefined: not a `Response`); rejects with a `Rejection`.
    /// Throws synchronously for a header fetch would refuse. `body`, `extra` and `signal` may
    /// be undefined.
    #[wasm_bindgen(catch, js_name = attempt)]
    fn fetch_attempt(method: &str, url: &str, body: &JsValue, extra: &JsValue, timeout_ms: f64, signal: &JsValue) -> core::result::Result<Promise, JsValue>;

    #[wasm_bindgen(catch, js_name = checkHeaders)]
    fn check_extra_headers(extra: &JsValue) -> core::result::Result<(), JsValue>;

    type FetchAnswer;
    #[wasm_bindgen(method, getter)]
    fn status(this: &FetchAnswer) -> u16;
    #[wasm_bindgen(method, getter, js_name = retryAfter)]
    fn retry_after(this: &FetchAnswer) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn text(this: &FetchAnswer) -> JsValue;

    type Rejection;
    #[wasm_bindgen(method, getter)]
    fn kind(this: &Rejection) -> u8;
    #[wasm_bindgen(method, getter)]
    fn error(this: &Rejection) -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` of a JS string (js_sys's takes a `&str`, which would copy it through wasm).
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn json_parse(text: &JsValue) -> core::result::Result<JsValue, JsValue>;
}

/// What a JS `Client` holds: the core's client state, and the shared refresh in flight.
pub struct Inner {
    pub state: RefCell<ClientState<JsValue>>,
    refreshing: RefCell<Option<Promise>>,
}

impl Inner {
    pub fn new(state: ClientState<JsValue>) -> Rc<Inner> {
        Rc::new(Inner { state: RefCell::new(state), refreshing: RefCell::new(None) })
    }
}

/// The Promise of a method: the core's verdict on the arguments, then the run.
pub fn start(client: &Rc<Inner>, built: Result<Runner<JsValue>>, signal: Option<AbortSignal>) -> Promise {
    match built {
        Ok(runner) => spawn(client.clone(), Rc::new(RefCell::new(runner)), signal, Input::Start),
        Err(error) => reject(error),
    }
}

/// A rejected Promise (arguments refused before anything was sent).
pub fn reject(error: Error) -> Promise {
    Promise::reject(&to_js_error(error))
}

/// Drives `runner` from `input` until it yields or ends, as a Promise that settles with the
/// value or a `PrefectError`.
pub fn spawn(client: Rc<Inner>, runner: Rc<RefCell<Runner<JsValue>>>, signal: Option<AbortSignal>, input: Input<JsValue>) -> Promise {
    future_to_promise(async move { drive(&client, &runner, signal.as_ref(), input).await.map_err(to_js_error) })
}

fn env() -> Env {
    Env { now_ms: args::now_ms(), random: js_sys::Math::random() }
}

fn reason(signal: Option<&AbortSignal>) -> Option<JsValue> {
    signal.map(|s| s.reason()).filter(|r| !is_nullish(r))
}

async fn drive(client: &Rc<Inner>, runner: &RefCell<Runner<JsValue>>, signal: Option<&AbortSignal>, mut input: Input<JsValue>) -> Result<JsValue> {
    loop {
        let step = runner.borrow_mut().step(input, &mut client.state.borrow_mut(), env());
        input = match step {
            Step::Send(request) => Input::Answered(attempt(&request, signal).await),
            Step::Wait(ms) => match sleep(ms, signal).await {
                true => Input::Resumed,
                false => Input::Aborted(reason(signal)),
            },
            Step::StartRefresh(refresh) => {
                // Runs on its own (no caller's signal): other calls join it while it is in flight.
                let promise = spawn(client.clone(), Rc::new(RefCell::new(refresh)), None, Input::Start);
                *client.refreshing.borrow_mut() = Some(promise.clone());
                let _ = JsFuture::from(promise).await;
                Input::Resumed
            }
            Step::JoinRefresh => {
                let promise = client.refreshing.borrow().clone();
                if let Some(promise) = promise {
                    let _ = JsFuture::from(promise).await;
                }
                Input::Resumed
            }
            Step::Yield(value) => return Ok(value),
            Step::Done(result) => return result,
        }
    }
}

/// `[name, value, name, value, ...]`, the form fetch.js takes.
fn header_pairs(headers: &[(String, String)]) -> Array {
    let pairs = Array::new();
    for (name, value) in headers {
        pairs.push(&JsValue::from_str(name));
        pairs.push(&JsValue::from_str(value));
    }
    pairs
}

fn failed(kind: FailureKind, detail: String, cause: Option<JsValue>) -> Outcome<JsValue> {
    Outcome::Failed(Failure { kind, detail, cause })
}

async fn attempt(request: &Request<JsValue>, signal: Option<&AbortSignal>) -> Outcome<JsValue> {
    if signal.is_some_and(|s| s.aborted()) {
        return failed(FailureKind::Aborted, String::new(), reason(signal));
    }
    let none = JsValue::UNDEFINED;
    let extra: JsValue = if request.headers.is_empty() { JsValue::UNDEFINED } else { header_pairs(&request.headers).into() };
    let body = request.body.as_ref().unwrap_or(&none);
    let signal_js: &JsValue = signal.map_or(&none, |s| s.as_ref());
    let promise = match fetch_attempt(request.method.as_str(), &request.url, body, &extra, request.timeout_ms, signal_js) {
        Ok(promise) => promise,
        Err(e) => return failed(FailureKind::InvalidHeader, describe(&e), None),
    };
    match JsFuture::from(promise).await {
        Ok(answer) if answer.is_undefined() => failed(FailureKind::NotAResponse, String::new(), None),
        Ok(answer) => {
            let answer: FetchAnswer = answer.unchecked_into();
            let body = json_parse(&answer.text()).ok();
            Outcome::Answered(Answer { status: answer.status(), retry_after: answer.retry_after(), body })
        }
        Err(rejection) => {
            let rejection: Rejection = rejection.unchecked_into();
            let error = rejection.error();
            let kind = match rejection.kind() {
                1 => FailureKind::Timeout,
                2 => FailureKind::Aborted,
                _ => FailureKind::of_rejection(error_name(&error).as_deref()),
            };
            match kind {
                FailureKind::Aborted => failed(kind, String::new(), reason(signal)),
                _ => failed(kind, describe(&error), Some(error)),
            }
        }
    }
}

/// Checks custom headers once, at construction, so a bad one is INVALID_ARGUMENT there.
pub fn check_headers(headers: &[(String, String)]) -> Result<()> {
    check_extra_headers(&header_pairs(headers)).map_err(|e| Error::invalid(format!("options.headers: {}", describe(&e))))
}

/// Waits `ms`; false when the caller's signal cut the wait short.
async fn sleep(ms: f64, signal: Option<&AbortSignal>) -> bool {
    if signal.is_some_and(|s| s.aborted()) {
        return false;
    }
    let mut timer = None;
    let mut listener: Option<Function> = None;
    let promise = Promise::new(&mut |resolve, reject| {
        timer = args::set_timeout(&resolve, ms).ok();
        if let Some(signal) = signal {
            let _ = signal.add_event_listener_with_callback("abort", &reject);
            listener = Some(reject);
        }
    });
    if timer.is_none() {
        return true;
    }
    let outcome = JsFuture::from(promise).await;
    if let Some(timer) = &timer {
        args::clear_timeout(timer);
    }
    if let (Some(signal), Some(listener)) = (signal, &listener) {
        let _ = signal.remove_event_listener_with_callback("abort", listener);
    }
    outcome.is_ok()
}

//! One GraphQL exchange over `fetch`: per-attempt timeout, the caller's `AbortSignal`, retries
//! as `core::retry` decides, and the answer classified as `core::error` says.
//!
//! One attempt is one call into `fetch.js` (fetch, status, `Retry-After` and the body text in
//! one crossing; the text stays a JS string and is parsed there, never copied into wasm). The
//! caller's signal is never handed to fetch: each attempt has its own `AbortController`, aborted
//! with a reason string the helper recognises, either by a timer (TIMEOUT) or by a listener on
//! the caller's signal (ABORTED). So the outcome never depends on what fetch rejects with (an
//! `abort("reason")` can make it reject with a non-Error) or how a runtime words it.

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use crate::core::error::{classify_graphql_errors, code_for_fetch_rejection, code_for_status, status_message, ErrorCode, GraphqlErrorView};
use crate::core::retry::{failure_for_status, Failure, Idempotency, RetryPolicy};

use super::js::{self, describe, error_name, from_js, is_nullish, is_plain_object, Error, Result};

#[wasm_bindgen(module = "/src/wasm/fetch.js")]
extern "C" {
    /// Resolves to an `Answer` (or undefined: not a `Response`); rejects with a `Rejection`.
    /// Throws synchronously for a header fetch would refuse. `extra` and `signal` may be
    /// undefined.
    #[wasm_bindgen(catch, js_name = attempt)]
    fn fetch_attempt(url: &str, body: &JsValue, extra: &JsValue, timeout_ms: Option<f64>, signal: &JsValue) -> core::result::Result<Promise, JsValue>;

    #[wasm_bindgen(catch, js_name = checkHeaders)]
    fn check_extra_headers(extra: &JsValue) -> core::result::Result<(), JsValue>;

    type Answer;
    #[wasm_bindgen(method, getter)]
    fn status(this: &Answer) -> u16;
    #[wasm_bindgen(method, getter, js_name = retryAfter)]
    fn retry_after(this: &Answer) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn text(this: &Answer) -> JsValue;

    type Rejection;
    #[wasm_bindgen(method, getter)]
    fn kind(this: &Rejection) -> u8;
    #[wasm_bindgen(method, getter)]
    fn error(this: &Rejection) -> JsValue;

    /// A parsed answer (a plain JSON object: reading a field cannot throw).
    type Envelope;
    #[wasm_bindgen(method, getter)]
    fn errors(this: &Envelope) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn data(this: &Envelope) -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` of a JS string (js_sys's takes a `&str`, which would copy it through wasm).
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn json_parse(text: &JsValue) -> core::result::Result<JsValue, JsValue>;
}

/// Everything one exchange needs.
pub struct Request<'a> {
    pub url: &'a str,
    /// The JSON text to POST, a JS string (built in JS, never copied through wasm).
    pub body: &'a JsValue,
    pub headers: &'a [(String, String)],
    pub tenant_id: Option<&'a str>,
    pub bearer: Option<&'a str>,
    pub signal: Option<&'a AbortSignal>,
    pub timeout_ms: f64,
    pub policy: RetryPolicy,
    pub idempotency: Idempotency,
}

struct Raw {
    status: u16,
    retry_after: Option<String>,
    /// The body, a JS string.
    text: JsValue,
}

/// Sends the request (retrying transient failures) and resolves to the answer's `data`.
pub async fn exchange(request: &Request<'_>) -> Result<JsValue> {
    let raw = send(request).await?;
    interpret(raw)
}

fn aborted(signal: Option<&AbortSignal>) -> Error {
    let mut error = Error::new(ErrorCode::Aborted, "the request was aborted");
    if let Some(signal) = signal {
        let reason = signal.reason();
        if !is_nullish(&reason) {
            error.cause = Some(reason);
        }
    }
    error
}

async fn send(request: &Request<'_>) -> Result<Raw> {
    let extra = extra_headers(request);
    let mut retry = 0;
    loop {
        let failure = match attempt(request, extra.as_ref()).await {
            Ok(raw) if matches!(raw.status, 429 | 502 | 503 | 504) => {
                let failure = failure_for_status(raw.status, raw.retry_after.as_deref(), js::now_ms());
                match request.policy.next_delay_ms(retry, failure, request.idempotency, js_sys::Math::random()) {
                    Some(delay) => delay,
                    None => return Ok(raw),
                }
            }
            Ok(raw) => return Ok(raw),
            Err((error, failure)) => match request.policy.next_delay_ms(retry, failure, request.idempotency, js_sys::Math::random()) {
                Some(delay) => delay,
                None => return Err(error),
            },
        };
        sleep(failure, request.signal).await?;
        retry += 1;
    }
}

/// The headers beyond Content-Type and Accept, in the order they are set (later ones win):
/// the custom ones, the tenant, the bearer. None when there are none (the common case).
fn extra_headers(request: &Request<'_>) -> Option<Array> {
    if request.headers.is_empty() && request.tenant_id.is_none() && request.bearer.is_none() {
        return None;
    }
    let extra = header_pairs(request.headers);
    if let Some(tenant) = request.tenant_id {
        extra.push(&JsValue::from_str("X-PREFECT-TENANT-ID"));
        extra.push(&JsValue::from_str(tenant));
    }
    if let Some(token) = request.bearer {
        extra.push(&JsValue::from_str("Authorization"));
        extra.push(&JsValue::from_str(&format!("Bearer {token}")));
    }
    Some(extra)
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

async fn attempt(request: &Request<'_>, extra: Option<&Array>) -> core::result::Result<Raw, (Error, Failure)> {
    if request.signal.is_some_and(|s| s.aborted()) {
        return Err((aborted(request.signal), Failure::Permanent));
    }
    let timeout = request.timeout_ms.is_finite().then_some(request.timeout_ms);
    let url = request.url;
    let none = JsValue::UNDEFINED;
    let extra: &JsValue = extra.map_or(&none, |a| a.as_ref());
    let signal: &JsValue = request.signal.map_or(&none, |s| s.as_ref());
    let promise = fetch_attempt(url, request.body, extra, timeout, signal)
        .map_err(|e| (Error::invalid(format!("invalid request header: {}", describe(&e))), Failure::Permanent))?;
    match JsFuture::from(promise).await {
        Ok(answer) if answer.is_undefined() => {
            Err((Error::new(ErrorCode::Network, "fetch resolved to something that is not a Response"), Failure::Permanent))
        }
        Ok(answer) => {
            let answer: Answer = answer.unchecked_into();
            Ok(Raw { status: answer.status(), retry_after: answer.retry_after(), text: answer.text() })
        }
        Err(rejection) => {
            let rejection: Rejection = rejection.unchecked_into();
            let kind = rejection.kind();
            let e = rejection.error();
            match code_for_fetch_rejection(kind == 1, kind == 2, error_name(&e).as_deref()) {
                ErrorCode::Aborted => Err((aborted(request.signal), Failure::Permanent)),
                ErrorCode::Timeout => Err((
                    Error::new(ErrorCode::Timeout, format!("no answer from {url} within {} ms", request.timeout_ms as u64)),
                    Failure::Timeout,
                )),
                _ => {
                    let mut error = Error::new(ErrorCode::Network, format!("could not reach {url}: {}", describe(&e)));
                    error.cause = Some(e);
                    Err((error, Failure::Network))
                }
            }
        }
    }
}

/// Checks custom headers once, at construction, so a bad one is INVALID_ARGUMENT there.
pub fn check_headers(headers: &[(String, String)]) -> Result<()> {
    check_extra_headers(&header_pairs(headers)).map_err(|e| Error::invalid(format!("options.headers: {}", describe(&e))))
}

/// Waits `ms` between attempts; the caller's signal cuts the wait short (ABORTED).
async fn sleep(ms: f64, signal: Option<&AbortSignal>) -> Result<()> {
    let mut timer = None;
    let mut listener: Option<Function> = None;
    let promise = Promise::new(&mut |resolve, reject| {
        timer = js::set_timeout(&resolve, ms).ok();
        if let Some(signal) = signal {
            let _ = signal.add_event_listener_with_callback("abort", &reject);
            listener = Some(reject);
        }
    });
    if timer.is_none() {
        return Ok(());
    }
    let outcome = JsFuture::from(promise).await;
    if let Some(timer) = &timer {
        js::clear_timeout(timer);
    }
    if let (Some(signal), Some(listener)) = (signal, &listener) {
        let _ = signal.remove_event_listener_with_callback("abort", listener);
    }
    outcome.map(|_| ()).map_err(|_| aborted(signal))
}

/// Classifies a response: HTTP status, then JSON, then GraphQL `errors`.
fn interpret(raw: Raw) -> Result<JsValue> {
    let json = json_parse(&raw.text).ok();
    let parsed = json.clone().filter(is_plain_object).map(JsCast::unchecked_into::<Envelope>);
    let (errors, data) = match &parsed {
        Some(envelope) => (envelope.errors(), envelope.data()),
        None => (JsValue::UNDEFINED, JsValue::UNDEFINED),
    };
    let error_views = || -> Vec<GraphqlErrorView> {
        if js_sys::Array::is_array(&errors) {
            from_js::<Vec<GraphqlErrorView>>(errors.clone(), "errors").unwrap_or_else(|_| vec![GraphqlErrorView::default()])
        } else {
            Vec::new()
        }
    };

    if let Some(code) = code_for_status(raw.status) {
        let views = error_views();
        let (code, message) = match (code, views.is_empty()) {
            (ErrorCode::Http, false) => match classify_graphql_errors(&views) {
                (ErrorCode::Graphql, m) => (ErrorCode::Http, format!("{}: {m}", status_message(raw.status))),
                specific => specific,
            },
            (code, false) => (code, classify_graphql_errors(&views).1),
            (code, true) => (code, status_message(raw.status)),
        };
        let mut error = Error::new(code, message).with_status(raw.status);
        if !views.is_empty() {
            error.errors = Some(errors);
        }
        return Err(error);
    }

    let Some(_) = &parsed else {
        let what = if json.is_some() { "not a JSON object" } else { "not JSON" };
        return Err(Error::decode(format!("the server's answer (HTTP {}) is {what}", raw.status)).with_status(raw.status));
    };
    if !is_nullish(&errors) {
        if !js_sys::Array::is_array(&errors) {
            return Err(Error::decode("the answer's `errors` is not an array").with_status(raw.status));
        }
        let views = error_views();
        if !views.is_empty() {
            let (code, message) = classify_graphql_errors(&views);
            let mut error = Error::new(code, message).with_status(raw.status);
            error.errors = Some(errors);
            if !is_nullish(&data) {
                error.data = Some(data);
            }
            return Err(error);
        }
    }
    if data.is_undefined() {
        return Err(Error::decode("the answer has neither `data` nor `errors`").with_status(raw.status));
    }
    Ok(data)
}

//! One GraphQL exchange over `fetch`: per-attempt timeout, the caller's `AbortSignal`, retries
//! as `core::retry` decides, and the answer classified as `core::error` says.
//!
//! The caller's signal is never handed to fetch: each attempt has its own `AbortController`,
//! aborted with a reason string the client recognises, either by a timer (TIMEOUT) or by a
//! listener on the caller's signal (ABORTED). So the outcome never depends on what fetch rejects
//! with (an `abort("reason")` can make it reject with a non-Error) or how a runtime words it.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, RequestInit, Response};

use crate::core::error::{classify_graphql_errors, code_for_fetch_rejection, code_for_status, status_message, ErrorCode, GraphqlErrorView};
use crate::core::retry::{failure_for_status, Failure, Idempotency, RetryPolicy};

use super::js::{self, describe, error_name, from_js, is_nullish, is_plain_object, Error, Result};

const TIMEOUT_REASON: &str = "prefect-wasm: timeout";
const ABORT_REASON: &str = "prefect-wasm: aborted";

/// Everything one exchange needs.
pub struct Request<'a> {
    pub url: &'a str,
    pub body: &'a str,
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
    text: String,
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
    let mut retry = 0;
    loop {
        let failure = match attempt(request).await {
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

/// Clears the attempt's timer and listener however the attempt ends.
struct AttemptGuard<'a> {
    timer: Option<JsValue>,
    signal: Option<&'a AbortSignal>,
    listener: Option<Function>,
}

impl Drop for AttemptGuard<'_> {
    fn drop(&mut self) {
        if let Some(timer) = &self.timer {
            js::clear_timeout(timer);
        }
        if let (Some(signal), Some(listener)) = (self.signal, &self.listener) {
            let _ = signal.remove_event_listener_with_callback("abort", listener);
        }
    }
}

async fn attempt(request: &Request<'_>) -> core::result::Result<Raw, (Error, Failure)> {
    let permanent = |e: Error| (e, Failure::Permanent);
    if request.signal.is_some_and(|s| s.aborted()) {
        return Err(permanent(aborted(request.signal)));
    }
    let controller = AbortController::new().map_err(|e| permanent(Error::new(ErrorCode::Network, format!("AbortController is unavailable: {}", describe(&e)))))?;
    let abort: Function = Reflect::get(&controller, &JsValue::from_str("abort"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| permanent(Error::new(ErrorCode::Network, "AbortController.abort is unavailable")))?;

    let mut guard = AttemptGuard { timer: None, signal: request.signal, listener: None };
    if request.timeout_ms.is_finite() {
        let on_timeout: Function = abort.bind1(&controller, &JsValue::from_str(TIMEOUT_REASON)).unchecked_into();
        guard.timer = js::set_timeout(&on_timeout, request.timeout_ms).ok();
    }
    if let Some(signal) = request.signal {
        let on_abort: Function = abort.bind1(&controller, &JsValue::from_str(ABORT_REASON)).unchecked_into();
        let _ = signal.add_event_listener_with_callback("abort", &on_abort);
        guard.listener = Some(on_abort);
    }

    let headers = build_headers(request).map_err(permanent)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(request.body));
    // Never follow a redirect: a 307/308 would re-send the body (a password, a refresh token) to
    // whatever origin it names. A redirect makes fetch reject, which surfaces as NETWORK.
    init.set_redirect(web_sys::RequestRedirect::Error);
    init.set_signal(Some(&controller.signal()));

    let own_signal = controller.signal();
    let timeout_ms = request.timeout_ms;
    let url = request.url;
    let fail = |e: JsValue| {
        let reason = own_signal.reason().as_string();
        let code = code_for_fetch_rejection(
            reason.as_deref() == Some(TIMEOUT_REASON),
            reason.as_deref() == Some(ABORT_REASON),
            error_name(&e).as_deref(),
        );
        match code {
            ErrorCode::Aborted => (aborted(request.signal), Failure::Permanent),
            ErrorCode::Timeout => (Error::new(ErrorCode::Timeout, format!("no answer from {url} within {} ms", timeout_ms as u64)), Failure::Timeout),
            _ => {
                let mut error = Error::new(ErrorCode::Network, format!("could not reach {url}: {}", describe(&e)));
                error.cause = Some(e);
                (error, Failure::Network)
            }
        }
    };

    let promise = js::global_fetch(url, &init).map_err(&fail)?;
    let response: Response = JsFuture::from(promise).await.map_err(&fail)?.dyn_into().map_err(|_| {
        permanent(Error::new(ErrorCode::Network, "fetch resolved to something that is not a Response"))
    })?;
    let status = response.status();
    let retry_after = response.headers().get("retry-after").ok().flatten();
    let text = JsFuture::from(response.text().map_err(&fail)?).await.map_err(&fail)?;
    drop(guard);
    Ok(Raw { status, retry_after, text: text.as_string().unwrap_or_default() })
}

fn build_headers(request: &Request<'_>) -> Result<Headers> {
    let bad = |e: JsValue| Error::invalid(format!("invalid request header: {}", describe(&e)));
    let headers = Headers::new().map_err(bad)?;
    headers.set("Content-Type", "application/json").map_err(bad)?;
    headers.set("Accept", "application/json").map_err(bad)?;
    for (name, value) in request.headers {
        headers.set(name, value).map_err(bad)?;
    }
    if let Some(tenant) = request.tenant_id {
        headers.set("X-PREFECT-TENANT-ID", tenant).map_err(bad)?;
    }
    if let Some(token) = request.bearer {
        headers.set("Authorization", &format!("Bearer {token}")).map_err(bad)?;
    }
    Ok(headers)
}

/// Checks custom headers once, at construction, so a bad one is INVALID_ARGUMENT there.
pub fn check_headers(headers: &[(String, String)]) -> Result<()> {
    let bad = |e: JsValue| Error::invalid(format!("options.headers: {}", describe(&e)));
    let probe = Headers::new().map_err(bad)?;
    for (name, value) in headers {
        probe.set(name, value).map_err(bad)?;
    }
    Ok(())
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
    let parsed = js_sys::JSON::parse(&raw.text).ok().filter(is_plain_object);
    let field = |name: &str| parsed.as_ref().and_then(|p| Reflect::get(p, &JsValue::from_str(name)).ok()).unwrap_or(JsValue::UNDEFINED);
    let errors = field("errors");
    let data = field("data");
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
        let what = if js_sys::JSON::parse(&raw.text).is_ok() { "not a JSON object" } else { "not JSON" };
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

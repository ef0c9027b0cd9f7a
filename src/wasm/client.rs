//! `Client`: options, `graphql()`, and the token flow (login, refresh ahead of expiry, one
//! shared refresh for concurrent UNAUTHENTICATED answers, then one retry each).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Object, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::AbortSignal;

use crate::core::auth::{TokenPayload, TokenSet};
use crate::core::documents::{self, Document, InputVars, LogInInput, RefreshTokenInput, SwitchTenantInput};
use crate::core::error::ErrorCode;
use crate::core::retry::{Idempotency, RetryPolicy, DEFAULT_RETRIES};

use super::error::to_js_error;
use super::js::{self, from_js, is_nullish, is_plain_object, to_js, Error, Options, Result};
use super::transport::{self, Request};

pub const DEFAULT_API_SERVER: &str = "http://127.0.0.1:4200";
pub const DEFAULT_TIMEOUT_MS: f64 = 15_000.0;
const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;
const MAX_RETRIES: f64 = 20.0;

/// The JS-facing client. Cheap handles (`FlowRuns`, `TaskRuns`) share its inner state.
#[wasm_bindgen]
pub struct Client {
    pub(crate) inner: Rc<Inner>,
    handle: u32,
}

// `new FlowRuns(x)` takes any JS value, so that a non-Client is a PrefectError rather than
// wasm-bindgen's plain "expected instance of Client". It recognises a Client by the handle the
// Client's hidden getter returns: 1 + its slot in this table while that Client is alive (slots
// are reused). A forged handle only ever reaches a live client's state, never freed memory.
thread_local! {
    static LIVE_CLIENTS: RefCell<Vec<Option<Weak<Inner>>>> = const { RefCell::new(Vec::new()) };
}
const HANDLE_PROPERTY: &str = "__prefectClientHandle";

fn register(inner: &Rc<Inner>) -> u32 {
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

impl Drop for Client {
    fn drop(&mut self) {
        LIVE_CLIENTS.with(|slots| {
            if let Some(slot) = slots.borrow_mut().get_mut(self.handle as usize - 1) {
                *slot = None;
            }
        });
    }
}

/// The state of the live `Client` that `value` is; INVALID_ARGUMENT for anything else.
pub(crate) fn client_arg(value: &JsValue, what: &str) -> Result<Rc<Inner>> {
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

pub(crate) struct Inner {
    endpoint: String,
    headers: Vec<(String, String)>,
    timeout_ms: f64,
    policy: RetryPolicy,
    state: RefCell<AuthState>,
}

struct AuthState {
    tokens: Option<TokenSet>,
    /// Bumped whenever the tokens are replaced: a call that was refused with an older
    /// generation just retries with the new token instead of refreshing again.
    generation: u64,
    refreshing: Option<Rc<Refresh>>,
    tenant_id: Option<String>,
}

/// The one refresh in flight; every caller awaits the same promise and reads the outcome.
struct Refresh {
    promise: Promise,
    outcome: Rc<RefCell<Option<Result<()>>>>,
}

/// How a request authenticates.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Auth {
    /// With the session's access token; refreshed ahead of expiry when `refresh_ahead`, and
    /// once after an UNAUTHENTICATED answer.
    Session { refresh_ahead: bool },
    /// No Authorization header (log_in).
    Anonymous,
}

/// Runs `body` as a Promise that resolves to its value or rejects with a `PrefectError`.
/// Whatever happens inside, the promise settles.
pub(crate) fn promise<F>(body: F) -> Promise
where
    F: core::future::Future<Output = Result<JsValue>> + 'static,
{
    future_to_promise(async move { body.await.map_err(to_js_error) })
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            js::console_error(&format!("prefect-wasm panicked (this is a bug; the module is now unusable): {info}"));
        }));
    });
}

fn server_url(value: String, what: &str) -> Result<String> {
    let rest = value.strip_prefix("http://").or_else(|| value.strip_prefix("https://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !value.chars().any(char::is_whitespace) => Ok(value),
        _ => Err(Error::invalid(format!("{what} must be an http:// or https:// URL, got {value:?}"))),
    }
}

#[wasm_bindgen]
impl Client {
    /// `new Client({ apiServer, graphqlServer, token, tenantId, headers, timeoutMs, retries })`.
    /// Throws a `PrefectError` (INVALID_ARGUMENT) for malformed options.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: Option<JsValue>) -> core::result::Result<Client, JsValue> {
        install_panic_hook();
        Client::from_options(options).map_err(to_js_error)
    }

    /// See `client_arg`.
    #[wasm_bindgen(getter = __prefectClientHandle, skip_typescript)]
    pub fn handle(&self) -> u32 {
        self.handle
    }

    /// The access token now in use (`undefined` when there is none).
    #[wasm_bindgen(getter)]
    pub fn token(&self) -> Option<String> {
        self.inner.state.borrow().tokens.as_ref().map(|t| t.access_token.clone())
    }

    /// `graphql(query, variables?, { signal? })`: resolves to the answer's `data`.
    #[wasm_bindgen(skip_typescript)]
    pub fn graphql(&self, query: JsValue, variables: Option<JsValue>, options: Option<JsValue>) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let text = js::string_arg(&query, "query")?;
            if text.trim().is_empty() {
                return Err(Error::invalid("query must not be empty"));
            }
            let variables = match variables {
                Some(v) if !is_nullish(&v) => {
                    if !is_plain_object(&v) {
                        return Err(Error::invalid("variables must be an object"));
                    }
                    v
                }
                _ => JsValue::UNDEFINED,
            };
            let options = Options::new(options, "options")?;
            let signal = options.signal("signal")?;
            let idempotency = if documents::is_read_only(&text) { Idempotency::Safe } else { Idempotency::Unsafe };
            inner.request(&query, variables, idempotency, signal.as_ref(), Auth::Session { refresh_ahead: true }).await
        })
    }

    /// `login(email, password, { accountSlug?, accountId? })`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Tenant[] | undefined>")]
    pub fn login(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] password: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "LoginOptions")] options: Option<JsValue>,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let email = js::string_arg(&email, "email")?;
            let password = js::string_arg(&password, "password")?;
            if email.is_empty() {
                return Err(Error::invalid("email must not be empty"));
            }
            let options = Options::new(options, "options")?;
            let account_slug = options.string("accountSlug")?;
            let account_id = options.string("accountId")?;
            if let Some(id) = &account_id {
                if !documents::is_uuid(id) {
                    return Err(Error::invalid(format!("options.accountId must be a UUID, got {id:?}")));
                }
            }
            inner.login(&email, &password, account_slug, account_id).await
        })
    }

    /// `refreshToken()`: replaces the stored tokens with fresh ones.
    #[wasm_bindgen(js_name = refreshToken, unchecked_return_type = "Promise<void>")]
    pub fn refresh_token(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let generation = inner.state.borrow().generation;
            inner.refresh(generation).await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

impl Client {
    fn from_options(options: Option<JsValue>) -> Result<Client> {
        let options = Options::new(options, "options")?;
        let api_server = server_url(options.string("apiServer")?.unwrap_or_else(|| DEFAULT_API_SERVER.into()), "options.apiServer")?;
        let endpoint = match options.string("graphqlServer")? {
            Some(url) => server_url(url, "options.graphqlServer")?,
            None => api_server,
        };
        let tokens = options.string("token")?.filter(|t| !t.is_empty()).map(TokenSet::from_static);
        let tenant_id = options.string("tenantId")?;
        if let Some(id) = &tenant_id {
            if !documents::is_uuid(id) {
                return Err(Error::invalid(format!("options.tenantId must be a UUID, got {id:?}")));
            }
        }
        let headers = match options.get("headers")? {
            None => Vec::new(),
            Some(h) => {
                let h = Options::new(Some(h), "options.headers")?;
                h.entries()?
                    .into_iter()
                    .map(|(k, v)| v.as_string().map(|v| (k.clone(), v)).ok_or_else(|| Error::invalid(format!("options.headers.{k} must be a string"))))
                    .collect::<Result<Vec<_>>>()?
            }
        };
        transport::check_headers(&headers)?;
        let timeout_ms = match options.number("timeoutMs")? {
            None => DEFAULT_TIMEOUT_MS,
            Some(ms) if ms > 0.0 && ms <= MAX_TIMEOUT_MS => ms,
            Some(ms) => return Err(Error::invalid(format!("options.timeoutMs must be a positive number of milliseconds (at most {}), got {}", MAX_TIMEOUT_MS as u64, js::number_text(ms)))),
        };
        let retries = match options.number("retries")? {
            None => DEFAULT_RETRIES,
            Some(n) if n >= 0.0 && n <= MAX_RETRIES && n.fract() == 0.0 => n as u32,
            Some(n) => return Err(Error::invalid(format!("options.retries must be a whole number from 0 to {}, got {}", MAX_RETRIES as u32, js::number_text(n)))),
        };
        let inner = Rc::new(Inner {
            endpoint,
            headers,
            timeout_ms,
            policy: RetryPolicy::with_retries(retries),
            state: RefCell::new(AuthState { tokens, generation: 0, refreshing: None, tenant_id }),
        });
        let handle = register(&inner);
        Ok(Client { inner, handle })
    }
}

/// The POST body `{"query": ..., "variables": ...}` as a JS string (`variables` left out when
/// undefined).
fn request_body(query: &JsValue, variables: &JsValue) -> Result<JsValue> {
    let envelope = Object::new();
    let _ = Reflect::set(&envelope, &JsValue::from_str("query"), query);
    if !variables.is_undefined() {
        let _ = Reflect::set(&envelope, &JsValue::from_str("variables"), variables);
    }
    js::stringify_js(&envelope, "variables")
}

impl Inner {
    /// Sends one document with its variables and resolves to `data`.
    /// `query` is the document, a JS string.
    pub(crate) async fn request(
        self: &Rc<Self>,
        query: &JsValue,
        variables: JsValue,
        idempotency: Idempotency,
        signal: Option<&AbortSignal>,
        auth: Auth,
    ) -> Result<JsValue> {
        let body = request_body(query, &variables)?;

        if let Auth::Session { refresh_ahead: true } = auth {
            let due = {
                let state = self.state.borrow();
                state.tokens.as_ref().is_some_and(|t| t.needs_refresh(js::now_ms())).then_some(state.generation)
            };
            if let Some(generation) = due {
                self.refresh(generation).await?;
            }
        }

        let mut refreshed = false;
        loop {
            let (bearer, tenant_id, generation, can_refresh) = {
                let state = self.state.borrow();
                let bearer = match auth {
                    Auth::Session { .. } => state.tokens.as_ref().map(|t| t.access_token.clone()),
                    Auth::Anonymous => None,
                };
                let can_refresh = state.tokens.as_ref().is_some_and(TokenSet::can_refresh);
                (bearer, state.tenant_id.clone(), state.generation, can_refresh)
            };
            let outcome = transport::exchange(&Request {
                url: &self.endpoint,
                body: &body,
                headers: &self.headers,
                tenant_id: tenant_id.as_deref(),
                bearer: bearer.as_deref(),
                signal,
                timeout_ms: self.timeout_ms,
                policy: self.policy,
                idempotency,
            })
            .await;
            match outcome {
                Err(e) if e.code == ErrorCode::Unauthenticated && matches!(auth, Auth::Session { .. }) && can_refresh && !refreshed => {
                    // The server refused the token before doing anything, so repeating the
                    // request once after a refresh is safe even for mutations.
                    refreshed = true;
                    self.refresh(generation).await?;
                }
                other => return other,
            }
        }
    }

    /// Sends a document whose variables are a Rust value.
    pub(crate) async fn send<T: Serialize>(
        self: &Rc<Self>,
        document: Document,
        variables: &T,
        idempotency: Idempotency,
        auth: Auth,
    ) -> Result<JsValue> {
        let variables = to_js(variables)?;
        self.request(&JsValue::from_str(document.text), variables, idempotency, None, auth).await
    }

    /// Refreshes the tokens, unless they changed since `seen` (then someone already did).
    /// Concurrent callers share one `refresh_token` mutation.
    async fn refresh(self: &Rc<Self>, seen: u64) -> Result<()> {
        let shared = {
            let state = self.state.borrow();
            if state.generation != seen {
                return Ok(());
            }
            state.refreshing.clone()
        };
        let shared = match shared {
            Some(shared) => shared,
            None => {
                let this = self.clone();
                let outcome: Rc<RefCell<Option<Result<()>>>> = Rc::new(RefCell::new(None));
                let outcome_in = outcome.clone();
                let promise = future_to_promise(async move {
                    let result = this.refresh_now().await;
                    *outcome_in.borrow_mut() = Some(result);
                    this.state.borrow_mut().refreshing = None;
                    Ok(JsValue::UNDEFINED)
                });
                let refresh = Rc::new(Refresh { promise, outcome });
                // The future first runs in a later microtask, so it is still pending here; the
                // check only guards against ever pinning a finished refresh.
                if refresh.outcome.borrow().is_none() {
                    self.state.borrow_mut().refreshing = Some(refresh.clone());
                }
                refresh
            }
        };
        let _ = JsFuture::from(shared.promise.clone()).await;
        let outcome = shared.outcome.borrow().clone();
        outcome.unwrap_or_else(|| Err(Error::new(ErrorCode::Unauthenticated, "the token refresh did not complete")))
    }

    /// One `refresh_token` mutation, sent with the refresh token as the Bearer. Never retried
    /// on transport failures (refresh tokens rotate; see `core::retry`).
    async fn refresh_now(self: &Rc<Self>) -> Result<()> {
        let (refresh_token, tenant_id, generation) = {
            let state = self.state.borrow();
            (state.tokens.as_ref().and_then(|t| t.refresh_token.clone()), state.tenant_id.clone(), state.generation)
        };
        let Some(refresh_token) = refresh_token else {
            return Err(Error::new(ErrorCode::Unauthenticated, "there is no refresh token: log in first"));
        };
        let variables = to_js(&InputVars { input: RefreshTokenInput { access_token: &refresh_token } })?;
        let body = request_body(&JsValue::from_str(documents::REFRESH_TOKEN.text), &variables)?;
        let data = transport::exchange(&Request {
            url: &self.endpoint,
            body: &body,
            headers: &self.headers,
            tenant_id: tenant_id.as_deref(),
            bearer: Some(&refresh_token),
            signal: None,
            timeout_ms: self.timeout_ms,
            policy: self.policy,
            idempotency: Idempotency::Unsafe,
        })
        .await?;
        let payload = from_js::<documents::RefreshTokenData>(data, "refresh_token answer")?.refresh_token;
        if self.state.borrow().generation != generation {
            // A login replaced the session meanwhile: the refreshed tokens belong to the old one.
            return Ok(());
        }
        self.store_tokens(payload, "refresh_token")
    }

    fn store_tokens(&self, payload: Option<TokenPayload>, what: &str) -> Result<()> {
        let tokens = payload
            .and_then(TokenSet::from_payload)
            .ok_or_else(|| Error::decode(format!("the {what} answer carries no access token")))?;
        let mut state = self.state.borrow_mut();
        state.tokens = Some(tokens);
        state.generation += 1;
        Ok(())
    }

    async fn tenants(self: &Rc<Self>) -> Result<Vec<documents::Tenant>> {
        let data = self
            .request(&JsValue::from_str(documents::TENANTS.text), JsValue::UNDEFINED, Idempotency::Safe, None, Auth::Session { refresh_ahead: false })
            .await?;
        Ok(from_js::<documents::TenantsData>(data, "tenant list")?.tenant)
    }

    async fn login(self: &Rc<Self>, email: &str, password: &str, slug: Option<String>, id: Option<String>) -> Result<JsValue> {
        let data = self
            .send(documents::LOG_IN, &InputVars { input: LogInInput { email, password } }, Idempotency::Safe, Auth::Anonymous)
            .await?;
        self.store_tokens(from_js::<documents::LogInData>(data, "log_in answer")?.log_in, "log_in")?;

        let tenant_id = match (id, slug) {
            (Some(id), _) => id,
            (None, Some(slug)) => self
                .tenants()
                .await?
                .into_iter()
                .find(|t| t.slug == slug)
                .map(|t| t.id)
                .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no account with slug {slug:?} for this user")))?,
            (None, None) => return to_js(&self.tenants().await?),
        };
        let data = self
            .send(
                documents::SWITCH_TENANT,
                &InputVars { input: SwitchTenantInput { tenant_id: &tenant_id } },
                Idempotency::Safe,
                Auth::Session { refresh_ahead: false },
            )
            .await?;
        self.store_tokens(from_js::<documents::SwitchTenantData>(data, "switch_tenant answer")?.switch_tenant, "switch_tenant")?;
        self.state.borrow_mut().tenant_id = Some(tenant_id);
        Ok(JsValue::UNDEFINED)
    }
}

//! `Client`: options in, `graphql()`, `request()`, `login()`, `refreshToken()`, the `token` getter. Each
//! method converts its arguments and hands them to `client_core::operations`.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::client_core::config::ClientOptions;
use crate::client_core::operations;

use super::args::{self, string_arg, Error, Options, Result};
use super::driver::{self, Inner};
use super::error::to_js_error;
use super::live_clients;

/// The JS-facing client. Cheap handles (`FlowRuns`, `TaskRuns`) share its inner state.
#[wasm_bindgen]
pub struct Client {
    pub(crate) inner: Rc<Inner>,
    handle: u32,
}

impl Drop for Client {
    fn drop(&mut self) {
        live_clients::unregister(self.handle);
    }
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            args::console_error(&format!("prefect-wasm panicked (this is a bug; the module is now unusable): {info}"));
        }));
    });
}

#[wasm_bindgen]
impl Client {
    /// `new Client({ api, apiServer, graphqlServer, token, tenantId, headers, timeoutMs, retries })`.
    /// Throws a `PrefectError` (INVALID_ARGUMENT) for malformed options.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: Option<JsValue>) -> core::result::Result<Client, JsValue> {
        install_panic_hook();
        Client::from_options(options).map_err(to_js_error)
    }

    /// See `live_clients::client_arg`.
    #[wasm_bindgen(getter = __prefectClientHandle, skip_typescript)]
    pub fn handle(&self) -> u32 {
        self.handle
    }

    /// The access token now in use (`undefined` when there is none).
    #[wasm_bindgen(getter)]
    pub fn token(&self) -> Option<String> {
        self.inner.state.borrow().session.access_token().map(str::to_string)
    }

    /// `graphql(query, variables?, { signal? })`: resolves to the answer's `data`.
    #[wasm_bindgen(skip_typescript)]
    pub fn graphql(&self, query: JsValue, variables: Option<JsValue>, options: Option<JsValue>) -> Promise {
        let signal = match Options::new(options, "options").and_then(|o| o.signal("signal")) {
            Ok(signal) => signal,
            Err(e) => return driver::reject(e),
        };
        let built = operations::graphql(&self.inner.state.borrow(), query, variables.unwrap_or(JsValue::UNDEFINED));
        driver::start(&self.inner, built, signal)
    }

    /// `request(method, path, { body?, signal? })` (REST): resolves the parsed JSON body.
    #[wasm_bindgen(skip_typescript)]
    pub fn request(&self, method: JsValue, path: JsValue, options: Option<JsValue>) -> Promise {
        let read = || -> Result<_> {
            let method = string_arg(&method, "method")?;
            let path = string_arg(&path, "path")?;
            let options = Options::new(options, "options")?;
            Ok((method, path, options.raw("body")?, options.signal("signal")?))
        };
        match read() {
            Ok((method, path, body, signal)) => {
                let built = operations::request(&self.inner.state.borrow(), &method, &path, body);
                driver::start(&self.inner, built, signal)
            }
            Err(e) => driver::reject(e),
        }
    }

    /// `login(email, password, { accountSlug?, accountId? })`; on REST `login(user, password)`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Tenant[] | undefined>")]
    pub fn login(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] password: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "LoginOptions")] options: Option<JsValue>,
    ) -> Promise {
        let read = || -> Result<_> {
            let email = string_arg(&email, "email")?;
            let password = string_arg(&password, "password")?;
            let options = Options::new(options, "options")?;
            Ok((email, password, options.string("accountSlug")?, options.string("accountId")?))
        };
        let built = read().and_then(|(email, password, slug, id)| operations::login(&self.inner.state.borrow(), email, password, slug, id));
        driver::start(&self.inner, built, None)
    }

    /// `refreshToken()`: replaces the stored tokens with fresh ones.
    #[wasm_bindgen(js_name = refreshToken, unchecked_return_type = "Promise<void>")]
    pub fn refresh_token(&self) -> Promise {
        let built = operations::refresh_token(&self.inner.state.borrow());
        driver::start(&self.inner, built, None)
    }
}

impl Client {
    fn from_options(options: Option<JsValue>) -> Result<Client> {
        let options = Options::new(options, "options")?;
        let headers = match options.get("headers")? {
            None => Vec::new(),
            Some(h) => Options::new(Some(h), "options.headers")?
                .entries()?
                .into_iter()
                .map(|(k, v)| v.as_string().map(|v| (k.clone(), v)).ok_or_else(|| Error::invalid(format!("options.headers.{k} must be a string"))))
                .collect::<Result<Vec<_>>>()?,
        };
        let state = ClientOptions {
            api: options.string("api")?,
            api_server: options.string("apiServer")?,
            graphql_server: options.string("graphqlServer")?,
            token: options.string("token")?,
            tenant_id: options.string("tenantId")?,
            headers,
            timeout_ms: options.number("timeoutMs")?,
            retries: options.number("retries")?,
        }
        .into_client()?;
        driver::check_headers(&state.config.headers)?;
        let inner = Inner::new(state);
        let handle = live_clients::register(&inner);
        Ok(Client { inner, handle })
    }
}

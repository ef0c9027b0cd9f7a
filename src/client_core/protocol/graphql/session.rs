//! The Cloud 1.x token flow: `login` (log_in, then the tenant choice), and the refresh that
//! `refreshToken()` and the runner start (prefect 0.15.13's `Client._refresh_access_token`).

use super::documents::{self, InputVars, LogInInput, RefreshTokenInput, SwitchTenantInput, Tenant};
use super::document_call;
use crate::client_core::auth::TokenSet;
use crate::client_core::error::{Error, ErrorCode};
use crate::client_core::json::{IntoJson, Json};
use crate::client_core::operation::{answer, step_try, CallAuth, Context, Event, Next, Operation};
use crate::client_core::retry::Idempotency;
use crate::client_core::uuid::require_uuid;

/// The account `login` switches to, when the caller names one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Account {
    Id(String),
    Slug(String),
}

/// `login(email, password, { accountId?, accountSlug? })`: an id wins over a slug.
pub fn login<V: Json>(email: String, password: String, slug: Option<String>, id: Option<String>) -> Result<Box<dyn Operation<V>>, Error<V>> {
    if email.is_empty() {
        return Err(Error::invalid("email must not be empty"));
    }
    if let Some(id) = &id {
        require_uuid(id, "options.accountId")?;
    }
    let account = id.map(Account::Id).or(slug.map(Account::Slug));
    Ok(Box::new(Login { email, password, account, phase: LoginPhase::LogIn }))
}

#[derive(Clone, Debug, PartialEq)]
enum LoginPhase {
    LogIn,
    Tenants,
    Switch(String),
}

struct Login {
    email: String,
    password: String,
    account: Option<Account>,
    phase: LoginPhase,
}

/// The tenant a login switches to: the one whose slug is exactly `slug`.
pub fn tenant_by_slug<'a>(tenants: &'a [Tenant], slug: &str) -> Option<&'a Tenant> {
    tenants.iter().find(|t| t.slug == slug)
}

/// The tokens an auth mutation answered under `field`.
fn tokens<V: Json>(data: &V, field: &str) -> Result<TokenSet, Error<V>> {
    documents::token_payload(data, field)
        .and_then(TokenSet::from_payload)
        .ok_or_else(|| Error::decode(format!("the {field} answer carries no access token")))
}

impl<V: Json> Operation<V> for Login {
    fn next(&mut self, event: Event<V>, cx: &mut Context<'_, V>) -> Next<V> {
        let listing = CallAuth::Session { refresh_ahead: false };
        let next_phase = match (&self.phase, event) {
            (LoginPhase::LogIn, Event::Start) => {
                let input = LogInInput { email: &self.email, password: &self.password };
                return Next::Call(step_try!(document_call(cx.config, documents::LOG_IN, InputVars { input }, Idempotency::Safe, CallAuth::Anonymous)));
            }
            (LoginPhase::LogIn, event) => {
                let data = step_try!(answer(event));
                cx.session.replace(step_try!(tokens(&data, "log_in")));
                match &self.account {
                    Some(Account::Id(id)) => LoginPhase::Switch(id.clone()),
                    _ => LoginPhase::Tenants,
                }
            }
            (LoginPhase::Tenants, event) => {
                let data = step_try!(answer(event));
                let tenants = step_try!(documents::tenants(&data).ok_or_else(|| Error::decode("unexpected tenant list in the server's answer")));
                match &self.account {
                    Some(Account::Slug(slug)) => match tenant_by_slug(&tenants, slug) {
                        Some(tenant) => LoginPhase::Switch(tenant.id.clone()),
                        None => return Next::Done(Err(Error::new(ErrorCode::NotFound, format!("no account with slug {slug:?} for this user")))),
                    },
                    _ => return Next::Done(Ok(V::array(tenants.iter().map(IntoJson::into_json).collect()))),
                }
            }
            (LoginPhase::Switch(id), event) => {
                let data = step_try!(answer(event));
                cx.session.replace(step_try!(tokens(&data, "switch_tenant")));
                cx.session.tenant_id = Some(id.clone());
                return Next::Done(Ok(V::undefined()));
            }
        };
        let call = match &next_phase {
            LoginPhase::Switch(id) => {
                document_call(cx.config, documents::SWITCH_TENANT, InputVars { input: SwitchTenantInput { tenant_id: id } }, Idempotency::Safe, listing)
            }
            _ => super::call(cx.config, V::from_str(documents::TENANTS.text), None, Idempotency::Safe, listing),
        };
        self.phase = next_phase;
        Next::Call(step_try!(call))
    }
}

/// `refreshToken()`: the shared refresh, asked for explicitly.
pub fn refresh_token<V: Json>() -> Box<dyn Operation<V>> {
    Box::new(RefreshNow)
}

struct RefreshNow;

impl<V: Json> Operation<V> for RefreshNow {
    fn next(&mut self, event: Event<V>, _: &mut Context<'_, V>) -> Next<V> {
        match event {
            Event::Start => Next::Refresh,
            Event::Refreshed(outcome) => Next::Done(outcome.map(|()| V::undefined())),
            _ => Next::Done(Err(crate::client_core::operation::unexpected())),
        }
    }
}

/// The one `refresh_token` mutation of a shared refresh, started when the session was at
/// generation `started`. Sent as prefect 0.15.13 sends it: `input.access_token` is the current
/// (possibly expired) access token, the Bearer is the refresh token. Never repeated on a
/// transport failure (the refresh token rotates: a first attempt that arrived used it up).
pub fn refresh_tokens<V: Json>(started: u64) -> Box<dyn Operation<V>> {
    Box::new(RefreshTokens { started })
}

struct RefreshTokens {
    started: u64,
}

impl<V: Json> Operation<V> for RefreshTokens {
    fn next(&mut self, event: Event<V>, cx: &mut Context<'_, V>) -> Next<V> {
        let outcome = match event {
            Event::Start => match (cx.session.access_token(), cx.session.refresh_token()) {
                (Some(access), Some(refresh)) => {
                    let input = InputVars { input: RefreshTokenInput { access_token: access } };
                    let auth = CallAuth::Bearer(refresh.to_string());
                    match document_call(cx.config, documents::REFRESH_TOKEN, input, Idempotency::Unsafe, auth) {
                        Ok(call) => return Next::Call(call),
                        Err(error) => Err(error),
                    }
                }
                _ => Err(Error::new(ErrorCode::Unauthenticated, "there is no refresh token: log in first")),
            },
            event => answer(event).and_then(|data| tokens(&data, "refresh_token")),
        };
        let done = outcome.as_ref().map(|_| V::undefined()).map_err(Clone::clone);
        cx.session.refresh_finished(self.started, outcome);
        Next::Done(done)
    }
}

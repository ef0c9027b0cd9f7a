//! Process-wide state shared by the HTTP layer, the GraphQL resolvers and the simulated agent.

use std::sync::Arc;

use crate::auth::{Auth, Claims};
use crate::db::Db;
use crate::error::ApiError;

pub struct App {
    pub db: Db,
    /// `Some` in `--auth` mode.
    pub auth: Option<Auth>,
}

/// Who is asking: in open mode everyone sees everything (like Prefect Server); in auth mode
/// rows are those of the token's tenant.
#[derive(Clone, Debug)]
pub enum Scope {
    Open,
    Tenant { user_id: String, tenant_id: String, tenants: Vec<String> },
}

impl Scope {
    /// Whether `tenant_id` may be written to by this caller.
    pub fn allows_tenant(&self, tenant_id: &str) -> bool {
        match self {
            Scope::Open => true,
            Scope::Tenant { tenant_id: t, .. } => t == tenant_id,
        }
    }
}

/// What the HTTP layer learnt from the request's `Authorization` header.
#[derive(Clone, Debug, Default)]
pub struct RequestAuth {
    pub bearer: Option<String>,
    pub claims: Option<Claims>,
}

/// The headers Prefect's own processes add to every request: the agent's id (after
/// `register_agent`) and the library's version.
#[derive(Clone, Debug, Default)]
pub struct PrefectHeaders {
    pub agent_id: Option<String>,
    pub core_version: Option<String>,
}

/// Who calls a Python-layer operation: their scope, and Prefect's headers.
#[derive(Clone, Debug)]
pub struct Caller {
    pub scope: Scope,
    pub headers: PrefectHeaders,
}

pub type SharedApp = Arc<App>;

/// The caller's scope; `UNAUTHENTICATED` in auth mode without a valid access token.
pub fn scope_of(app: &App, req: Option<&RequestAuth>) -> Result<Scope, ApiError> {
    let Some(auth) = &app.auth else { return Ok(Scope::Open) };
    let claims = req
        .and_then(|r| r.claims.as_ref())
        .ok_or_else(|| ApiError::unauthenticated("a valid access token is required"))?;
    let tenants = auth.tenants_of(&claims.sub);
    if !tenants.iter().any(|t| t == &claims.tid) {
        return Err(ApiError::unauthenticated("the token's tenant is not available to this user"));
    }
    Ok(Scope::Tenant { user_id: claims.sub.clone(), tenant_id: claims.tid.clone(), tenants })
}

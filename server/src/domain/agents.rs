//! Agents (Prefect Server's `agent` table): registered by `register_agent`, one record per
//! tenant, name, type, library version and labels; `last_queried` follows its polls.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;

use super::{tenants, Id};
use crate::app::{Caller, Scope};
use crate::db::now;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct RegisterAgent {
    pub tenant_id: Option<Id>,
    pub labels: Option<Vec<String>>,
    pub agent_config_id: Option<Id>,
    #[serde(rename = "type")]
    pub agent_type: String,
    pub name: Option<String>,
}

/// `register_agent`: the id of the tenant's agent with this name, type, version
/// (`X-PREFECT-CORE-VERSION`) and labels, registered now if there is none. Without a tenant,
/// the caller's (open mode: the first one).
pub fn register(conn: &Connection, caller: &Caller, input: &RegisterAgent) -> Result<Id, ApiError> {
    let tenant_id = match (&input.tenant_id, &caller.scope) {
        (Some(t), _) => t.clone(),
        (None, Scope::Tenant { tenant_id, .. }) => Id::stored(tenant_id.clone()),
        (None, Scope::Open) => tenants::first(conn)?.ok_or_else(|| ApiError::bad_input("No tenant found."))?,
    };
    if !caller.scope.allows_tenant(tenant_id.as_str()) || !tenants::exists(conn, &tenant_id)? {
        return Err(ApiError::not_found("tenant", tenant_id.as_str()));
    }
    let mut labels = input.labels.clone().unwrap_or_default();
    labels.sort();
    let labels = serde_json::to_string(&labels).map_err(|e| ApiError::bad_input(e.to_string()))?;
    let core_version = caller.headers.core_version.as_deref();
    let existing: Option<String> = conn
        .query_row(
            "SELECT id FROM agent WHERE tenant_id = ? AND name IS ? AND type IS ? AND core_version IS ? AND json(labels) = json(?)",
            params![tenant_id, input.name, input.agent_type, core_version, labels],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        return Ok(Id::stored(id));
    }
    let id = Id::random();
    conn.execute(
        "INSERT INTO agent (id, created, updated, tenant_id, name, type, core_version, labels, agent_config_id)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, now(), tenant_id, input.name, input.agent_type, core_version, labels, input.agent_config_id],
    )?;
    Ok(id)
}

/// An agent polled the queue (its id from the `X-PREFECT-AGENT-ID` header; an unknown one is
/// ignored, as Prefect Server does).
pub fn queried(conn: &Connection, agent_id: &str) -> Result<(), ApiError> {
    conn.prepare_cached("UPDATE agent SET last_queried = ?1, updated = ?1 WHERE id = ?2")?.execute(params![now(), agent_id])?;
    Ok(())
}

/// A flow run was submitted by the agent of the `X-PREFECT-AGENT-ID` header: it is recorded on
/// the run, if the agent is known.
pub fn submitted(conn: &Connection, flow_run_id: &Id, agent_id: &str) -> Result<(), ApiError> {
    conn.prepare_cached("UPDATE flow_run SET agent_id = ?1 WHERE id = ?2 AND EXISTS (SELECT 1 FROM agent WHERE id = ?1)")?
        .execute(params![agent_id, flow_run_id])?;
    Ok(())
}

/// `delete_agent`.
pub fn delete_agent(conn: &Connection, scope: &Scope, id: &Id) -> Result<(), ApiError> {
    super::delete(conn, scope, super::Entity::Agent, id)
}

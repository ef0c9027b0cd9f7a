//! Flow groups (Prefect Server's `flow_group`): one per version group, named by the version
//! group's id, holding what outlives a flow's versions: labels that override the flow's own,
//! default parameters, settings (heartbeats, Lazarus, version locking, the last registration's
//! idempotency key), a description and a run-config override.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;
use serde_json::{json, Map, Value as J};

use super::{tenant_of, Entity, Id};
use crate::app::Scope;
use crate::db::now;
use crate::error::ApiError;

/// A new group's settings (Prefect Server, `api/flows.py` `create_flow`).
fn initial_settings(idempotency_key: Option<&str>) -> J {
    json!({
        "heartbeat_enabled": true,
        "lazarus_enabled": true,
        "version_locking_enabled": false,
        "idempotency_key": idempotency_key,
    })
}

/// Where a registration goes: the flow it repeats (same idempotency key), or the group the new
/// version joins.
pub enum Registration {
    Unchanged(Id),
    NewVersion { flow_group_id: Id, group_has_schedule: bool },
}

/// The flow group of `version_group_id` for a new registration: created on the first one; an
/// `idempotency_key` equal to the group's last one answers the group's newest unarchived flow,
/// any other key (null too) replaces it.
pub fn for_registration(conn: &Connection, tenant_id: &str, version_group_id: &str, idempotency_key: Option<&str>) -> Result<Registration, ApiError> {
    let group: Option<(String, String, bool)> = conn
        .query_row(
            "SELECT id, settings, schedule IS NOT NULL FROM flow_group WHERE tenant_id = ? AND name = ?",
            params![tenant_id, version_group_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((id, settings, group_has_schedule)) = group else {
        let id = Id::random();
        conn.execute(
            "INSERT INTO flow_group (id, created, updated, tenant_id, name, settings) VALUES (?1, ?2, ?2, ?3, ?4, ?5)",
            params![id, now(), tenant_id, version_group_id, initial_settings(idempotency_key).to_string()],
        )?;
        return Ok(Registration::NewVersion { flow_group_id: id, group_has_schedule: false });
    };
    let mut settings: Map<String, J> = serde_json::from_str(&settings).unwrap_or_default();
    let last_key = settings.get("idempotency_key").and_then(J::as_str);
    if let (Some(last), Some(key)) = (last_key, idempotency_key) {
        if last == key {
            let newest: Option<String> = conn
                .query_row(
                    "SELECT id FROM flow WHERE version_group_id = ? AND tenant_id = ? AND archived = 0 ORDER BY version DESC LIMIT 1",
                    params![version_group_id, tenant_id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(flow_id) = newest {
                return Ok(Registration::Unchanged(Id::stored(flow_id)));
            }
        }
    }
    settings.insert("idempotency_key".into(), json!(idempotency_key));
    conn.execute("UPDATE flow_group SET settings = ?, updated = ? WHERE id = ?", params![J::Object(settings).to_string(), now(), id])?;
    Ok(Registration::NewVersion { flow_group_id: Id::stored(id), group_has_schedule })
}

/// What a new flow run takes from its flow's group: its labels (null: none set) and default
/// parameters.
pub struct RunDefaults {
    pub labels: Option<Vec<String>>,
    pub default_parameters: Map<String, J>,
}

pub fn run_defaults(conn: &Connection, flow_group_id: Option<&str>) -> Result<RunDefaults, ApiError> {
    let row: Option<(Option<String>, String)> = match flow_group_id {
        Some(id) => conn
            .prepare_cached("SELECT labels, default_parameters FROM flow_group WHERE id = ?")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?,
        None => None,
    };
    let (labels, defaults) = row.unwrap_or((None, "{}".into()));
    Ok(RunDefaults {
        labels: labels.and_then(|l| serde_json::from_str(&l).ok()),
        default_parameters: serde_json::from_str(&defaults).unwrap_or_default(),
    })
}

/// The input of the `set_flow_group_*` mutations: the group, and the one value it sets.
#[derive(Debug, Deserialize)]
pub struct FlowGroupLabels {
    pub flow_group_id: Id,
    pub labels: Option<Vec<String>>,
}
#[derive(Debug, Deserialize)]
pub struct FlowGroupParameters {
    pub flow_group_id: Id,
    pub parameters: J,
}
#[derive(Debug, Deserialize)]
pub struct FlowGroupDescription {
    pub flow_group_id: Id,
    pub description: Option<String>,
}
#[derive(Debug, Deserialize)]
pub struct FlowGroupRunConfig {
    pub flow_group_id: Id,
    pub run_config: Option<J>,
}

/// What the `set_flow_group_*` mutations and the flow heartbeat and Lazarus switches change.
#[derive(Clone, Debug)]
pub enum FlowGroupChange {
    /// `None` removes them: runs then take the flow's own labels again.
    Labels(Option<Vec<String>>),
    DefaultParameters(Map<String, J>),
    Description(Option<String>),
    RunConfig(Option<J>),
    /// Settings keys and their new values.
    Settings(Vec<(&'static str, J)>),
}

impl FlowGroupChange {
    /// `enable_flow_heartbeat` / `disable_flow_heartbeat` (Prefect keeps both keys).
    pub fn heartbeat(enabled: bool) -> FlowGroupChange {
        FlowGroupChange::Settings(vec![("disable_heartbeat", json!(!enabled)), ("heartbeat_enabled", json!(enabled))])
    }
    pub fn lazarus(enabled: bool) -> FlowGroupChange {
        FlowGroupChange::Settings(vec![("lazarus_enabled", json!(enabled))])
    }
}

pub fn change(conn: &Connection, scope: &Scope, id: &Id, change: FlowGroupChange) -> Result<(), ApiError> {
    tenant_of(conn, scope, Entity::FlowGroup, id)?;
    let (column, value) = match change {
        FlowGroupChange::Labels(labels) => {
            let labels = labels.map(|mut l| {
                l.sort();
                l.dedup();
                json!(l).to_string()
            });
            ("labels", labels)
        }
        FlowGroupChange::DefaultParameters(p) => ("default_parameters", Some(J::Object(p).to_string())),
        FlowGroupChange::Description(d) => ("description", d),
        FlowGroupChange::RunConfig(rc) => ("run_config", rc.filter(|v| !v.is_null()).map(|v| v.to_string())),
        FlowGroupChange::Settings(changes) => {
            let text: String = conn.query_row("SELECT settings FROM flow_group WHERE id = ?", [id], |r| r.get(0))?;
            let mut settings: Map<String, J> = serde_json::from_str(&text).unwrap_or_default();
            for (key, value) in changes {
                settings.insert(key.into(), value);
            }
            ("settings", Some(J::Object(settings).to_string()))
        }
    };
    super::set_column(conn, scope, Entity::FlowGroup, column, value, id)
}

/// The flow group of flow `flow_id` (the flow heartbeat and Lazarus switches act on it).
pub fn of_flow(conn: &Connection, scope: &Scope, flow_id: &Id) -> Result<Id, ApiError> {
    tenant_of(conn, scope, Entity::Flow, flow_id)?;
    let group: Option<String> = conn.query_row("SELECT flow_group_id FROM flow WHERE id = ?", [flow_id], |r| r.get(0))?;
    group.map(Id::stored).ok_or_else(|| ApiError::bad_input("Invalid flow ID."))
}

/// `parameters` of `set_flow_group_default_parameters`: a JSON object.
pub fn parameters_object(parameters: J) -> Result<Map<String, J>, ApiError> {
    match parameters {
        J::Object(m) => Ok(m),
        _ => Err(ApiError::bad_input("parameters must be a JSON object")),
    }
}

//! The operations of Prefect's Python layer and its server rules, one module per domain. Every
//! write goes through here (the GraphQL mutations, the demo seed and the simulated agent alike),
//! inside one transaction per call; each operation takes typed input and returns typed output,
//! so the GraphQL layer above holds no SQL and the rules below no GraphQL.

pub mod agents;
pub mod artifacts;
pub mod flow_groups;
pub mod flow_runs;
pub mod flows;
pub mod logs;
pub mod projects;
pub mod queue;
pub mod reference_data;
pub mod states;
pub mod task_runs;
pub mod task_tag_limits;
pub mod tenants;
pub mod values;

use prefect_wasm::client_core::run_kind::RunKind;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value as J;

use crate::app::Scope;
use crate::db::now;
use crate::error::ApiError;
pub use values::{Id, Time};

/// The tenant-owned rows operations look up by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    Project,
    Flow,
    FlowGroup,
    FlowRun,
    TaskRun,
    Agent,
    TaskTagLimit,
    TaskRunArtifact,
}

impl Entity {
    pub const fn table(self) -> &'static str {
        match self {
            Entity::Project => "project",
            Entity::Flow => "flow",
            Entity::FlowGroup => "flow_group",
            Entity::FlowRun => "flow_run",
            Entity::TaskRun => "task_run",
            Entity::Agent => "agent",
            Entity::TaskTagLimit => "task_tag_limit",
            Entity::TaskRunArtifact => "task_run_artifact",
        }
    }

    /// How errors name it.
    pub const fn label(self) -> &'static str {
        match self {
            Entity::Project => "project",
            Entity::Flow => "flow",
            Entity::FlowGroup => "flow group",
            Entity::FlowRun => RunKind::Flow.label(),
            Entity::TaskRun => RunKind::Task.label(),
            Entity::Agent => "agent",
            Entity::TaskTagLimit => "task tag limit",
            Entity::TaskRunArtifact => "task run artifact",
        }
    }
}

impl Entity {
    /// The runs of the client core's `RunKind`.
    pub const fn from_kind(kind: RunKind) -> Entity {
        match kind {
            RunKind::Flow => Entity::FlowRun,
            RunKind::Task => Entity::TaskRun,
        }
    }
}

/// What a lookup reads: `columns` of the first row where `filter` holds for the key (bound as
/// `?1`), rows taken in `order`.
#[derive(Clone, Copy)]
pub struct Lookup {
    pub columns: &'static str,
    pub filter: &'static str,
    pub order: &'static str,
}

impl Lookup {
    pub const fn by_id(columns: &'static str) -> Lookup {
        Lookup { columns, filter: "id = ?1", order: "" }
    }
}

/// The one lookup scoped to the caller's tenant: `lookup` of an `entity` row for `key`, if the
/// caller may see it.
pub fn find_scoped<T>(
    conn: &Connection,
    scope: &Scope,
    entity: Entity,
    lookup: Lookup,
    key: &str,
    map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>, ApiError> {
    let (tenant_filter, tenant) = match scope {
        Scope::Open => ("", None),
        Scope::Tenant { tenant_id, .. } => (" AND tenant_id = ?2", Some(tenant_id)),
    };
    let Lookup { columns, filter, order } = lookup;
    let sql = format!("SELECT {columns} FROM {} WHERE {filter}{tenant_filter}{order}", entity.table());
    let mut st = conn.prepare_cached(&sql)?;
    Ok(match tenant {
        Some(t) => st.query_row(params![key, t], map),
        None => st.query_row(params![key], map),
    }
    .optional()?)
}

/// The tenant of row `id`; NOT_FOUND when it does not exist or the caller may not see it.
pub fn tenant_of(conn: &Connection, scope: &Scope, entity: Entity, id: &Id) -> Result<String, ApiError> {
    find_scoped(conn, scope, entity, Lookup::by_id("tenant_id"), id.as_str(), |r| r.get(0))?
        .ok_or_else(|| ApiError::not_found(entity.label(), id.as_str()))
}

/// Deletes row `id` (its dependants go by the schema's cascades).
fn delete(conn: &Connection, scope: &Scope, entity: Entity, id: &Id) -> Result<(), ApiError> {
    tenant_of(conn, scope, entity, id)?;
    conn.execute(&format!("DELETE FROM {} WHERE id = ?", entity.table()), [id])?;
    Ok(())
}

/// Sets one column of row `id`, and its `updated`.
fn set_column(conn: &Connection, scope: &Scope, entity: Entity, column: &str, value: Option<String>, id: &Id) -> Result<(), ApiError> {
    tenant_of(conn, scope, entity, id)?;
    conn.execute(&format!("UPDATE {} SET {column} = ?, updated = ? WHERE id = ?", entity.table()), params![value, now(), id])?;
    Ok(())
}

// Reading the free-form JSON Prefect sends (serialized flows, parameter declarations, states):
// a null is the same as an absent key, and a value of the wrong type is ignored.

fn get<'a>(j: &'a J, key: &str) -> Option<&'a J> {
    j.get(key).filter(|v| !v.is_null())
}
fn get_str(j: &J, key: &str) -> Option<String> {
    get(j, key).and_then(|v| v.as_str()).map(str::to_string)
}
fn get_i64(j: &J, key: &str) -> Option<i64> {
    get(j, key).and_then(|v| v.as_i64())
}
fn get_bool(j: &J, key: &str) -> Option<bool> {
    get(j, key).and_then(|v| v.as_bool())
}
/// A JSON value as the text stored for it (`None` stays NULL).
fn json_text(v: Option<&J>) -> Option<String> {
    v.filter(|v| !v.is_null()).map(|v| v.to_string())
}

//! Task tag concurrency limits (Prefect Cloud's `task_tag_limit`): at most `limit` task runs
//! with a tag Running at once in a tenant. A task run set Running over a limit is Queued
//! instead, and its state answer says `QUEUED`, which makes the engine wait and try again.

use prefect_wasm::client_core::state::StateKind;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;

use super::{Entity, Id};
use crate::app::Scope;
use crate::db::now;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct UpdateTaskTagLimit {
    pub tag: String,
    pub limit: i64,
}

/// `update_task_tag_limit`: sets the limit of `tag` in the caller's tenant (open mode: the
/// first tenant); answers the limit's id.
pub fn update(conn: &Connection, scope: &Scope, input: &UpdateTaskTagLimit) -> Result<Id, ApiError> {
    if input.limit < 0 {
        return Err(ApiError::bad_input("Concurrency limits must be >= 0"));
    }
    if input.tag.trim().is_empty() {
        return Err(ApiError::bad_input("a task tag limit needs a tag"));
    }
    let tenant_id = match scope {
        Scope::Tenant { tenant_id, .. } => Id::stored(tenant_id.clone()),
        Scope::Open => super::tenants::first(conn)?.ok_or_else(|| ApiError::bad_input("No tenant found."))?,
    };
    let t = now();
    conn.execute(
        "INSERT INTO task_tag_limit (id, created, updated, tenant_id, tag, \"limit\") VALUES (?1, ?2, ?2, ?3, ?4, ?5)
         ON CONFLICT (tenant_id, tag) DO UPDATE SET \"limit\" = excluded.\"limit\", updated = excluded.updated",
        params![Id::random(), t, tenant_id, input.tag, input.limit],
    )?;
    let id: String = conn.query_row("SELECT id FROM task_tag_limit WHERE tenant_id = ? AND tag = ?", params![tenant_id, input.tag], |r| r.get(0))?;
    Ok(Id::stored(id))
}

/// `delete_task_tag_limit`.
pub fn delete_limit(conn: &Connection, scope: &Scope, id: &Id) -> Result<(), ApiError> {
    super::delete(conn, scope, Entity::TaskTagLimit, id)
}

/// The first tag of task run `task_run_id`'s task whose limit is reached by the task runs of
/// the tenant Running now (other than this one), if any.
pub fn full_tag(conn: &Connection, task_run_id: &Id) -> Result<Option<String>, ApiError> {
    let running = StateKind::Running.name();
    let full = conn
        .prepare_cached(
            "SELECT l.tag FROM task_run tr JOIN task tk ON tk.id = tr.task_id, json_each(tk.tags) tag
               JOIN task_tag_limit l ON l.tenant_id = tr.tenant_id AND l.tag = tag.value
             WHERE tr.id = ?1 AND json_valid(tk.tags)
               AND l.\"limit\" <= (SELECT count(*) FROM task_run o JOIN task ot ON ot.id = o.task_id, json_each(ot.tags) ot_tag
                                   WHERE o.tenant_id = tr.tenant_id AND o.state = ?2 AND o.id <> tr.id AND ot_tag.value = l.tag)
             ORDER BY l.tag LIMIT 1",
        )?
        .query_row(params![task_run_id, running], |r| r.get(0))
        .optional()?;
    Ok(full)
}

//! Task runs: one per (flow run, task, map index), created Pending with their flow run (map
//! index -1) or on first ask (mapped children); their info, names and heartbeats.

use prefect_wasm::client_core::run_kind::RunKind;
use prefect_wasm::client_core::state::{StateDraft, StateKind};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value as J;

use super::states::{runner_state, write_own};
use super::{find_scoped, Lookup, set_column, tenant_of, Entity, Id};
use crate::app::Scope;
use crate::db::now;
use crate::error::{ApiError, NOT_FOUND};

#[derive(Debug, Deserialize)]
pub struct TaskRunKey {
    pub flow_run_id: Id,
    pub task_id: Id,
    /// -1 for an unmapped task.
    pub map_index: Option<i64>,
}

/// `get_task_run_info`'s answer.
#[derive(Debug, Serialize)]
pub struct TaskRunInfo {
    pub id: Id,
    pub version: i64,
    pub state: Option<String>,
    pub serialized_state: J,
}

/// The state a task run is created in (Prefect Server: `Pending("Task run created")`).
fn created_state() -> StateDraft<J> {
    runner_state(StateKind::Pending, "Task run created")
}

/// Inserts the task run of `(flow_run_id, task_id, map_index)` and its first state.
fn insert(conn: &Connection, tenant_id: &str, flow_run_id: &Id, task_id: &str, map_index: i64, created: &StateDraft<J>) -> Result<Id, ApiError> {
    let id = Id::random();
    conn.prepare_cached(
        "INSERT INTO task_run (id, created, updated, tenant_id, flow_run_id, task_id, map_index, version, cache_key)
         SELECT ?1, ?2, ?2, ?3, ?4, ?5, ?6, 0, cache_key FROM task WHERE id = ?5",
    )?
    .execute(params![id, now(), tenant_id, flow_run_id, task_id, map_index])?;
    write_own(conn, RunKind::Task, &id, None, created)?;
    Ok(id)
}

/// A new flow run's task runs: one Pending task run (map index -1) per task of its flow, as
/// Prefect Server inserts them with the flow run (the engine takes each task's run from them).
pub fn create_for_flow_run(conn: &Connection, tenant_id: &str, flow_run_id: &Id, flow_id: &str) -> Result<(), ApiError> {
    let tasks: Vec<String> = conn.prepare_cached("SELECT id FROM task WHERE flow_id = ? ORDER BY rowid")?.query_map([flow_id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let created = created_state();
    for task_id in tasks {
        insert(conn, tenant_id, flow_run_id, &task_id, -1, &created)?;
    }
    Ok(())
}

/// The task run of `(flow_run_id, task_id, map_index)`, created Pending when absent (mapped
/// children are created this way by the engine).
pub fn get_or_create(conn: &Connection, scope: &Scope, key: &TaskRunKey) -> Result<Id, ApiError> {
    let (flow_run_id, task_id) = (&key.flow_run_id, &key.task_id);
    let map_index = key.map_index.unwrap_or(-1);
    let (tenant_id, flow_id): (String, String) =
        find_scoped(conn, scope, Entity::FlowRun, Lookup::by_id("tenant_id, flow_id"), flow_run_id.as_str(), |r| Ok((r.get(0)?, r.get(1)?)))?
            .ok_or_else(|| ApiError::not_found("flow run", flow_run_id.as_str()))?;
    let task_flow: Option<String> = conn.prepare_cached("SELECT flow_id FROM task WHERE id = ?")?.query_row([task_id], |r| r.get(0)).optional()?;
    match task_flow {
        // Prefect Server's words
        None => return Err(ApiError::new(NOT_FOUND, "Invalid task ID")),
        Some(f) if f != flow_id => {
            return Err(ApiError::bad_input(format!("task {} does not belong to the flow of flow run {}", task_id.as_str(), flow_run_id.as_str())))
        }
        _ => {}
    }
    let existing: Option<String> = conn
        .prepare_cached("SELECT id FROM task_run WHERE flow_run_id = ? AND task_id = ? AND map_index = ?")?
        .query_row(params![flow_run_id, task_id, map_index], |r| r.get(0))
        .optional()?;
    match existing {
        Some(id) => Ok(Id::stored(id)),
        None => insert(conn, &tenant_id, flow_run_id, task_id.as_str(), map_index, &created_state()),
    }
}

pub fn info(conn: &Connection, scope: &Scope, id: &Id) -> Result<TaskRunInfo, ApiError> {
    tenant_of(conn, scope, Entity::TaskRun, id)?;
    let (version, state, serialized): (i64, Option<String>, Option<String>) =
        conn.query_row("SELECT version, state, serialized_state FROM task_run WHERE id = ?", [id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let serialized_state = serialized.and_then(|s| serde_json::from_str::<J>(&s).ok()).unwrap_or(J::Null);
    Ok(TaskRunInfo { id: id.clone(), version, state, serialized_state })
}

pub fn set_name(conn: &Connection, scope: &Scope, id: &Id, name: String) -> Result<(), ApiError> {
    set_column(conn, scope, Entity::TaskRun, "name", Some(name), id)
}

pub fn heartbeat(conn: &Connection, scope: &Scope, id: &Id) -> Result<(), ApiError> {
    set_column(conn, scope, Entity::TaskRun, "heartbeat", Some(now()), id)
}

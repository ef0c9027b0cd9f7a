//! Run logs (`write_run_logs`).

use rusqlite::{params, Connection};
use serde::Deserialize;
use serde_json::Value as J;

use super::{json_text, tenant_of, Entity, Id, Time};
use crate::app::Scope;
use crate::db::now;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct LogLine {
    pub flow_run_id: Id,
    pub task_run_id: Option<Id>,
    /// Defaults to the time of writing.
    pub timestamp: Option<Time>,
    pub message: Option<String>,
    pub name: Option<String>,
    /// Defaults to INFO.
    pub level: Option<String>,
    pub info: Option<J>,
}

#[derive(Debug, Deserialize)]
pub struct WriteLogs {
    pub logs: Vec<LogLine>,
}

/// Writes every line, or none (a line of a run the caller may not see fails them all).
pub fn write(conn: &Connection, scope: &Scope, input: &WriteLogs) -> Result<(), ApiError> {
    let t = now();
    for log in &input.logs {
        let tenant_id = tenant_of(conn, scope, Entity::FlowRun, &log.flow_run_id)?;
        if let Some(tr) = &log.task_run_id {
            tenant_of(conn, scope, Entity::TaskRun, tr)?;
            let of: String = conn.prepare_cached("SELECT flow_run_id FROM task_run WHERE id = ?")?.query_row([tr], |r| r.get(0))?;
            if of != log.flow_run_id.as_str() {
                return Err(ApiError::bad_input(format!("task run {} does not belong to flow run {}", tr.as_str(), log.flow_run_id.as_str())));
            }
        }
        conn.prepare_cached(
            "INSERT INTO log (id, created, updated, tenant_id, flow_run_id, task_run_id, timestamp, name, level, message, info)
             VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            Id::random(), t, tenant_id, log.flow_run_id, log.task_run_id,
            log.timestamp.clone().map(Time::into_string).unwrap_or_else(|| t.clone()),
            log.name, log.level.as_deref().unwrap_or("INFO"), log.message, json_text(log.info.as_ref()),
        ])?;
    }
    Ok(())
}

//! Task run artifacts (`prefect.backend.artifacts`: links and markdown a task publishes), as
//! Prefect Server keeps them: a kind and its JSON data per task run.

use rusqlite::{params, Connection};
use serde::Deserialize;
use serde_json::Value as J;

use super::{delete, set_column, tenant_of, Entity, Id};
use crate::app::Scope;
use crate::db::now;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct CreateArtifact {
    pub task_run_id: Id,
    pub kind: String,
    pub data: J,
    pub tenant_id: Option<Id>,
}

#[derive(Debug, Deserialize)]
pub struct UpdateArtifact {
    pub task_run_artifact_id: Id,
    pub data: J,
}

/// `create_task_run_artifact`: in the task run's tenant (a different one given is refused).
pub fn create(conn: &Connection, scope: &Scope, input: &CreateArtifact) -> Result<Id, ApiError> {
    let tenant_id = tenant_of(conn, scope, Entity::TaskRun, &input.task_run_id)
        .map_err(|_| ApiError::new(crate::error::NOT_FOUND, format!("Task run {} not found", input.task_run_id.as_str())))?;
    if input.tenant_id.as_ref().is_some_and(|t| t.as_str() != tenant_id) {
        return Err(ApiError::bad_input("Provided tenant ID does not match task run"));
    }
    let id = Id::random();
    conn.execute(
        "INSERT INTO task_run_artifact (id, created, updated, tenant_id, task_run_id, kind, data) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6)",
        params![id, now(), tenant_id, input.task_run_id, input.kind, input.data.to_string()],
    )?;
    Ok(id)
}

pub fn update(conn: &Connection, scope: &Scope, input: &UpdateArtifact) -> Result<(), ApiError> {
    set_column(conn, scope, Entity::TaskRunArtifact, "data", Some(input.data.to_string()), &input.task_run_artifact_id)
}

pub fn delete_artifact(conn: &Connection, scope: &Scope, id: &Id) -> Result<(), ApiError> {
    delete(conn, scope, Entity::TaskRunArtifact, id)
}

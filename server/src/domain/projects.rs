//! Projects: a tenant's named folders of flows.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;

use super::{delete, set_column, tenants, Entity, Id};
use crate::app::Scope;
use crate::db::now;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct CreateProject {
    pub tenant_id: Id,
    pub name: String,
    pub description: Option<String>,
}

/// What `set_project_name` / `set_project_description` change.
#[derive(Debug)]
pub enum ProjectChange {
    Name(String),
    Description(Option<String>),
}

pub fn create(conn: &Connection, scope: &Scope, input: &CreateProject) -> Result<Id, ApiError> {
    let tenant_id = &input.tenant_id;
    if !scope.allows_tenant(tenant_id.as_str()) || !tenants::exists(conn, tenant_id)? {
        return Err(ApiError::not_found("tenant", tenant_id.as_str()));
    }
    let dup: Option<String> = conn
        .query_row("SELECT id FROM project WHERE tenant_id = ? AND name = ?", params![tenant_id, input.name], |r| r.get(0))
        .optional()?;
    if dup.is_some() {
        return Err(ApiError::bad_input(format!("a project named {:?} already exists in this tenant", input.name)));
    }
    let id = Id::random();
    conn.execute(
        "INSERT INTO project (id, created, updated, tenant_id, name, description) VALUES (?1, ?2, ?2, ?3, ?4, ?5)",
        params![id, now(), tenant_id, input.name, input.description],
    )?;
    Ok(id)
}

pub fn change(conn: &Connection, scope: &Scope, id: &Id, change: ProjectChange) -> Result<(), ApiError> {
    let (column, value) = match change {
        ProjectChange::Name(name) => ("name", Some(name)),
        ProjectChange::Description(description) => ("description", description),
    };
    set_column(conn, scope, Entity::Project, column, value, id)
}

/// Deletes the project with its flows and their runs.
pub fn delete_project(conn: &Connection, scope: &Scope, id: &Id) -> Result<(), ApiError> {
    delete(conn, scope, Entity::Project, id)
}

//! Flows: registering a serialized flow (a new version in its version group, with its tasks and
//! edges), its schedule flags, archiving and deleting.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;
use serde_json::{json, Value as J};

use super::{delete, get, get_bool, get_i64, get_str, json_text, tenant_of, Entity, Id};
use crate::app::Scope;
use crate::db::now;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct CreateFlow {
    pub serialized_flow: J,
    pub project_id: Id,
    pub version_group_id: Option<String>,
    pub set_schedule_active: Option<bool>,
    pub description: Option<String>,
    pub idempotency_key: Option<String>,
}

/// What `archive_flow`, `set_schedule_active` and `set_schedule_inactive` do to a flow.
#[derive(Clone, Copy, Debug)]
pub enum FlowChange {
    /// Archived (no new runs), its schedule off.
    Archive,
    ScheduleActive(bool),
}

/// A serialized flow (Prefect's `flow.serialize()`), read as far as the server needs it.
struct FlowSpec<'a> {
    json: &'a J,
    name: String,
    tasks: Vec<J>,
    edges: Vec<J>,
    parameters: Vec<J>,
    /// `reference_tasks` by slug, when the flow names them.
    reference: Option<Vec<String>>,
}

impl<'a> FlowSpec<'a> {
    fn read(flow: &'a J) -> Result<FlowSpec<'a>, ApiError> {
        if !flow.is_object() {
            return Err(ApiError::bad_input("serialized_flow must be a JSON object"));
        }
        let name = get_str(flow, "name").filter(|n| !n.trim().is_empty()).ok_or_else(|| ApiError::bad_input("serialized_flow.name is required"))?;
        let list = |key: &str| -> Result<Vec<J>, ApiError> {
            match get(flow, key) {
                None => Ok(vec![]),
                Some(J::Array(a)) => Ok(a.clone()),
                Some(_) => Err(ApiError::bad_input(format!("serialized_flow.{key} must be a list"))),
            }
        };
        let spec = FlowSpec {
            json: flow,
            name,
            tasks: list("tasks")?,
            edges: list("edges")?,
            parameters: list("parameters")?,
            reference: match get(flow, "reference_tasks") {
                Some(J::Array(a)) => Some(a.iter().filter_map(slug_of).collect()),
                _ => None,
            },
        };
        if spec.parameters.iter().any(|p| get_str(p, "slug").or_else(|| get_str(p, "name")).is_none()) {
            return Err(ApiError::bad_input("every parameter needs a slug"));
        }
        Ok(spec)
    }
}

/// A task or an edge end: a slug, or an object with one.
fn slug_of(v: &J) -> Option<String> {
    match v {
        J::String(s) => Some(s.clone()),
        J::Object(_) => get_str(v, "slug"),
        _ => None,
    }
}

/// `create_flow`: a new version of the flow in its version group (a new group without one);
/// the group's older versions are archived, as Prefect does on registration. Idempotent on
/// `idempotency_key` within the group.
pub fn create(conn: &Connection, scope: &Scope, input: &CreateFlow) -> Result<Id, ApiError> {
    let tenant_id = tenant_of(conn, scope, Entity::Project, &input.project_id)?;
    let flow = FlowSpec::read(&input.serialized_flow)?;
    let version_group_id = input.version_group_id.clone().unwrap_or_else(|| Id::random().into_string());
    let group: Option<(i64, Option<String>)> = conn
        .query_row(
            "SELECT max(version), max(flow_group_id) FROM flow WHERE version_group_id = ? AND tenant_id = ? HAVING count(*) > 0",
            params![version_group_id, tenant_id],
            |r| Ok((r.get::<_, Option<i64>>(0)?.unwrap_or(0), r.get(1)?)),
        )
        .optional()?;
    if let Some(key) = &input.idempotency_key {
        let existing: Option<String> = conn
            .query_row(
                "SELECT id FROM flow WHERE version_group_id = ? AND tenant_id = ? AND idempotency_key = ? ORDER BY version DESC LIMIT 1",
                params![version_group_id, tenant_id, key],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok(Id::stored(id));
        }
    }
    let version = group.as_ref().map(|g| g.0 + 1).unwrap_or(1);
    let flow_group_id = group.and_then(|g| g.1).unwrap_or_else(|| Id::random().into_string());
    conn.execute("UPDATE flow SET archived = 1, updated = ? WHERE version_group_id = ? AND tenant_id = ?", params![now(), version_group_id, tenant_id])?;

    let id = Id::random();
    let t = now();
    let json = flow.json;
    conn.execute(
        "INSERT INTO flow (id, created, updated, tenant_id, project_id, name, description, version, version_group_id,
            archived, core_version, schedule, is_schedule_active, serialized_flow, environment, run_config, storage,
            parameters, flow_group_id, idempotency_key)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        params![
            id, t, tenant_id, input.project_id, flow.name, input.description, version, version_group_id,
            get_str(json, "__version__"), json_text(get(json, "schedule")),
            input.set_schedule_active.unwrap_or(true) as i64, json.to_string(),
            json_text(get(json, "environment")), json_text(get(json, "run_config")), json_text(get(json, "storage")),
            J::Array(flow.parameters.clone()).to_string(), flow_group_id, input.idempotency_key,
        ],
    )?;
    add_tasks(conn, &tenant_id, &id, &t, &flow.tasks, &flow.edges, flow.reference.as_deref())?;
    Ok(id)
}

/// Writes a flow's tasks and the edges between them. A task is a root without upstream edges
/// and terminal without downstream ones unless it says otherwise; the reference tasks are the
/// flow's `reference_tasks`, else those that say so, else the terminal ones.
fn add_tasks(conn: &Connection, tenant_id: &str, flow_id: &Id, t: &str, tasks: &[J], edges: &[J], reference: Option<&[String]>) -> Result<(), ApiError> {
    let mut edge_pairs: Vec<(String, String, Option<String>, bool)> = Vec::new();
    for e in edges {
        let up = get(e, "upstream_task").and_then(slug_of).ok_or_else(|| ApiError::bad_input("edge without upstream_task"))?;
        let down = get(e, "downstream_task").and_then(slug_of).ok_or_else(|| ApiError::bad_input("edge without downstream_task"))?;
        edge_pairs.push((up, down, get_str(e, "key"), get_bool(e, "mapped").unwrap_or(false)));
    }
    let mut slugs: Vec<(String, Id)> = Vec::new();
    for task in tasks {
        let slug = get_str(task, "slug").ok_or_else(|| ApiError::bad_input("every task needs a slug"))?;
        if slugs.iter().any(|(s, _)| *s == slug) {
            return Err(ApiError::bad_input(format!("duplicate task slug {slug:?}")));
        }
        let has_up = edge_pairs.iter().any(|e| e.1 == slug);
        let has_down = edge_pairs.iter().any(|e| e.0 == slug);
        let terminal = get_bool(task, "is_terminal_task").unwrap_or(!has_down);
        let is_ref = match reference {
            Some(r) => r.contains(&slug),
            None => get_bool(task, "is_reference_task").unwrap_or(terminal),
        };
        let as_text = |key: &str| get(task, key).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        let task_id = Id::random();
        conn.execute(
            "INSERT INTO task (id, created, updated, tenant_id, flow_id, name, slug, description, type, max_retries,
                retry_delay, trigger, tags, mapped, auto_generated, cache_key, is_root_task, is_terminal_task, is_reference_task)
             VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
                task_id, t, tenant_id, flow_id, get_str(task, "name").unwrap_or_else(|| slug.clone()), slug,
                get_str(task, "description"), get_str(task, "type"), get_i64(task, "max_retries"), as_text("retry_delay"), as_text("trigger"),
                get(task, "tags").cloned().unwrap_or(json!([])).to_string(), get_bool(task, "mapped").unwrap_or(false) as i64,
                get_bool(task, "auto_generated").unwrap_or(false) as i64, get_str(task, "cache_key"),
                get_bool(task, "is_root_task").unwrap_or(!has_up) as i64, terminal as i64, is_ref as i64,
            ],
        )?;
        slugs.push((slug, task_id));
    }
    let task_id = |slug: &str| {
        slugs.iter().find(|(s, _)| s == slug).map(|(_, id)| id).ok_or_else(|| ApiError::bad_input(format!("edge names unknown task {slug:?}")))
    };
    for (up, down, key, mapped) in &edge_pairs {
        conn.execute(
            "INSERT INTO edge (id, created, updated, tenant_id, flow_id, upstream_task_id, downstream_task_id, key, mapped)
             VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![Id::random(), t, tenant_id, flow_id, task_id(up)?, task_id(down)?, key, *mapped as i64],
        )?;
    }
    Ok(())
}

pub fn change(conn: &Connection, scope: &Scope, id: &Id, change: FlowChange) -> Result<(), ApiError> {
    tenant_of(conn, scope, Entity::Flow, id)?;
    let sql = match change {
        FlowChange::Archive => "UPDATE flow SET archived = 1, is_schedule_active = 0, updated = ? WHERE id = ?",
        FlowChange::ScheduleActive(true) => "UPDATE flow SET is_schedule_active = 1, updated = ? WHERE id = ?",
        FlowChange::ScheduleActive(false) => "UPDATE flow SET is_schedule_active = 0, updated = ? WHERE id = ?",
    };
    conn.execute(sql, params![now(), id])?;
    Ok(())
}

/// Deletes the flow with its tasks, edges and runs.
pub fn delete_flow(conn: &Connection, scope: &Scope, id: &Id) -> Result<(), ApiError> {
    delete(conn, scope, Entity::Flow, id)
}

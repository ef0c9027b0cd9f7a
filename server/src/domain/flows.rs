//! Flows: registering a serialized flow (a new version in its version group and flow group,
//! idempotent on the group's key, compressed or not, its tasks and edges inline or registered
//! afterwards in batches), its schedule flags, archiving and deleting. Prefect Server's rules
//! (`api/flows.py`, `graphql/flows.py`).

use std::io::Read;

use base64::Engine;
use prefect_wasm::client_core::run_kind::RunKind;
use prefect_wasm::client_core::state::{StateDraft, StateKind};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;
use serde_json::{json, Value as J};

use super::flow_groups::{self, Registration};
use super::states::write_own;
use super::{delete, get, get_bool, get_i64, get_str, json_text, tenant_of, Entity, Id};
use crate::app::Scope;
use crate::db::now;
use crate::error::ApiError;

/// `create_flow` (`serialized_flow` a JSON object) and `create_flow_from_compressed_string`
/// (`serialized_flow` its base64 gzip text) take the same input.
#[derive(Debug, Deserialize)]
pub struct CreateFlowInput<F> {
    pub serialized_flow: F,
    pub project_id: Id,
    pub version_group_id: Option<String>,
    pub set_schedule_active: Option<bool>,
    pub description: Option<String>,
    pub idempotency_key: Option<String>,
}

pub type CreateFlow = CreateFlowInput<J>;
pub type CreateFlowFromCompressed = CreateFlowInput<String>;

/// The most a compressed flow may decompress to.
const MAX_DECOMPRESSED: u64 = 64 * 1024 * 1024;

impl CreateFlowFromCompressed {
    /// The input with its flow decompressed (Prefect Core's `compress`: base64 of gzip of JSON).
    pub fn decompressed(self) -> Result<CreateFlow, ApiError> {
        let flow = decompress(&self.serialized_flow).ok_or_else(|| ApiError::bad_input("Unable to decompress serialized flow"))?;
        Ok(CreateFlow {
            serialized_flow: flow,
            project_id: self.project_id,
            version_group_id: self.version_group_id,
            set_schedule_active: self.set_schedule_active,
            description: self.description,
            idempotency_key: self.idempotency_key,
        })
    }
}

fn decompress(text: &str) -> Option<J> {
    let gz = base64::engine::general_purpose::STANDARD.decode(text.trim()).ok()?;
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice()).take(MAX_DECOMPRESSED + 1).read_to_end(&mut json).ok()?;
    if json.len() as u64 > MAX_DECOMPRESSED {
        return None;
    }
    serde_json::from_slice(&json).ok()
}

/// `register_tasks`: a batch of a registered flow's tasks.
#[derive(Debug, Deserialize)]
pub struct RegisterTasks {
    pub flow_id: Id,
    pub serialized_tasks: J,
}

/// `register_edges`: a batch of a registered flow's edges.
#[derive(Debug, Deserialize)]
pub struct RegisterEdges {
    pub flow_id: Id,
    pub serialized_edges: J,
}

/// What `archive_flow`, `set_schedule_active` and `set_schedule_inactive` do to a flow.
#[derive(Clone, Copy, Debug)]
pub enum FlowChange {
    /// Archived (no new runs), its schedule off, its runs still waiting to start cancelled.
    Archive,
    ScheduleActive(bool),
}

/// A serialized flow (Prefect's `flow.serialize()`), read as far as the server needs it.
struct FlowSpec<'a> {
    json: &'a J,
    name: String,
    tasks: Vec<TaskSpec>,
    edges: Vec<EdgeSpec>,
    parameters: Vec<J>,
}

/// A serialized task (Prefect Server's `TaskSchema`).
struct TaskSpec {
    slug: String,
    name: Option<String>,
    description: Option<String>,
    ty: Option<String>,
    tags: J,
    max_retries: i64,
    retry_delay: Option<String>,
    trigger: Option<String>,
    auto_generated: bool,
    cache_key: Option<String>,
}

/// A serialized edge; its tasks by slug.
struct EdgeSpec {
    upstream: String,
    downstream: String,
    key: Option<String>,
    mapped: bool,
}

/// A JSON list field, absent or null being empty.
fn list<'a>(j: &'a J, key: &str, what: &str) -> Result<&'a [J], ApiError> {
    match get(j, key) {
        None => Ok(&[]),
        Some(J::Array(a)) => Ok(a),
        Some(_) => Err(ApiError::bad_input(format!("{what}.{key} must be a list"))),
    }
}

fn items<'a>(j: &'a J, what: &str) -> Result<&'a [J], ApiError> {
    match j {
        J::Array(a) => Ok(a),
        J::Null => Ok(&[]),
        _ => Err(ApiError::bad_input(format!("{what} must be a list"))),
    }
}

impl<'a> FlowSpec<'a> {
    fn read(flow: &'a J) -> Result<FlowSpec<'a>, ApiError> {
        if !flow.is_object() {
            return Err(ApiError::bad_input("serialized_flow must be a JSON object"));
        }
        let name = get_str(flow, "name").filter(|n| !n.trim().is_empty()).ok_or_else(|| ApiError::bad_input("serialized_flow.name is required"))?;
        let parameters = list(flow, "parameters", "serialized_flow")?.to_vec();
        if parameters.iter().any(|p| get_str(p, "slug").or_else(|| get_str(p, "name")).is_none()) {
            return Err(ApiError::bad_input("every parameter needs a slug"));
        }
        Ok(FlowSpec {
            json: flow,
            name,
            tasks: list(flow, "tasks", "serialized_flow")?.iter().map(TaskSpec::read).collect::<Result<_, _>>()?,
            edges: list(flow, "edges", "serialized_flow")?.iter().map(EdgeSpec::read).collect::<Result<_, _>>()?,
            parameters,
        })
    }
}

impl TaskSpec {
    fn read(task: &J) -> Result<TaskSpec, ApiError> {
        Ok(TaskSpec {
            slug: get_str(task, "slug").ok_or_else(|| ApiError::bad_input("every task needs a slug"))?,
            name: get_str(task, "name"),
            description: get_str(task, "description"),
            ty: get_str(task, "type"),
            tags: get(task, "tags").cloned().unwrap_or(json!([])),
            max_retries: get_i64(task, "max_retries").unwrap_or(0),
            retry_delay: get(task, "retry_delay").and_then(interval_text),
            // Core sends the trigger as `{fn, kwargs}`; its function is what is kept.
            trigger: get(task, "trigger").and_then(|t| match t {
                J::Object(_) => get_str(t, "fn"),
                J::String(s) => Some(s.clone()),
                _ => None,
            }),
            auto_generated: get_bool(task, "auto_generated").unwrap_or(false),
            cache_key: get_str(task, "cache_key"),
        })
    }
}

impl EdgeSpec {
    fn read(edge: &J) -> Result<EdgeSpec, ApiError> {
        Ok(EdgeSpec {
            upstream: get(edge, "upstream_task").and_then(slug_of).ok_or_else(|| ApiError::bad_input("edge without upstream_task"))?,
            downstream: get(edge, "downstream_task").and_then(slug_of).ok_or_else(|| ApiError::bad_input("edge without downstream_task"))?,
            key: get_str(edge, "key"),
            mapped: get_bool(edge, "mapped").unwrap_or(false),
        })
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

/// A retry delay as Postgres prints an interval (Core sends seconds; text is kept as given).
fn interval_text(v: &J) -> Option<String> {
    match v {
        J::String(s) => Some(s.clone()),
        J::Number(n) => {
            let secs = n.as_f64()?;
            let whole = secs.trunc() as i64;
            let (days, rest) = (whole / 86_400, whole % 86_400);
            let frac = secs - whole as f64;
            let mut text = format!("{:02}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
            if frac > 0.0 {
                text.push_str(format!("{frac:.6}").trim_start_matches('0').trim_end_matches('0'));
            }
            Some(match days {
                0 => text,
                1 => format!("1 day {text}"),
                d => format!("{d} days {text}"),
            })
        }
        _ => None,
    }
}

/// Prefect Server refuses flows built before Core 0.6.1.
fn check_core_version(version: Option<&str>) -> Result<(), ApiError> {
    let Some(v) = version else { return Ok(()) };
    let parts: Vec<u64> = v.split(|c: char| !c.is_ascii_digit()).take(3).map_while(|p| p.parse().ok()).collect();
    if parts.len() == 3 && (parts[0], parts[1], parts[2]) < (0, 6, 1) {
        return Err(ApiError::bad_input(format!(
            "Prefect backends require new flows to be built with Prefect 0.6.1+, but this flow was built with Prefect {v}."
        )));
    }
    Ok(())
}

/// `create_flow`: a new version of the flow in its version group (given, else that of the
/// project's newest flow of the same name, else a new one) and in the group's flow group; the
/// group's other versions are archived. An `idempotency_key` equal to the flow group's last
/// one makes no new version and answers the newest one.
pub fn create(conn: &Connection, scope: &Scope, input: &CreateFlow) -> Result<Id, ApiError> {
    let tenant_id = tenant_of(conn, scope, Entity::Project, &input.project_id)?;
    let flow = FlowSpec::read(&input.serialized_flow)?;
    let json = flow.json;
    check_core_version(get_str(json, "__version__").as_deref())?;
    let version_group_id = match &input.version_group_id {
        Some(group) => group.clone(),
        None => conn
            .query_row(
                "SELECT version_group_id FROM flow WHERE project_id = ? AND name = ? ORDER BY created DESC, rowid DESC LIMIT 1",
                params![input.project_id, flow.name],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten()
            .unwrap_or_else(|| Id::random().into_string()),
    };
    let (flow_group_id, group_has_schedule) = match flow_groups::for_registration(conn, &tenant_id, &version_group_id, input.idempotency_key.as_deref())? {
        Registration::Unchanged(flow_id) => return Ok(flow_id),
        Registration::NewVersion { flow_group_id, group_has_schedule } => (flow_group_id, group_has_schedule),
    };
    let version: i64 = conn.query_row(
        "SELECT coalesce(max(version), 0) + 1 FROM flow WHERE version_group_id = ? AND tenant_id = ?",
        params![version_group_id, tenant_id],
        |r| r.get(0),
    )?;
    // Without a schedule (the flow's or its group's) there is nothing to switch on.
    let schedule_active = input.set_schedule_active.unwrap_or(true) && (get(json, "schedule").is_some() || group_has_schedule);

    let id = Id::random();
    let t = now();
    conn.execute(
        "INSERT INTO flow (id, created, updated, tenant_id, project_id, name, description, version, version_group_id,
            archived, core_version, schedule, is_schedule_active, serialized_flow, environment, run_config, storage,
            parameters, flow_group_id, idempotency_key)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        params![
            id, t, tenant_id, input.project_id, flow.name, input.description, version, version_group_id,
            get_str(json, "__version__"), json_text(get(json, "schedule")), schedule_active as i64, json.to_string(),
            json_text(get(json, "environment")), json_text(get(json, "run_config")), json_text(get(json, "storage")),
            J::Array(flow.parameters.clone()).to_string(), flow_group_id, input.idempotency_key,
        ],
    )?;
    add_tasks(conn, &tenant_id, &id, &flow.tasks)?;
    add_edges(conn, &tenant_id, &id, &flow.edges)?;
    refresh_task_flags(conn, &id)?;
    let others: Vec<String> = conn
        .prepare("SELECT id FROM flow WHERE version_group_id = ? AND tenant_id = ? AND id <> ? AND archived = 0")?
        .query_map(params![version_group_id, tenant_id, id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for other in others {
        archive(conn, &Id::stored(other))?;
    }
    Ok(id)
}

/// `register_tasks`: adds a batch of tasks to a flow (a task sent again replaces its row).
pub fn register_tasks(conn: &Connection, scope: &Scope, input: &RegisterTasks) -> Result<(), ApiError> {
    let tenant_id = tenant_of(conn, scope, Entity::Flow, &input.flow_id)?;
    let tasks = items(&input.serialized_tasks, "serialized_tasks")?.iter().map(TaskSpec::read).collect::<Result<Vec<_>, _>>()?;
    add_tasks(conn, &tenant_id, &input.flow_id, &tasks)?;
    refresh_task_flags(conn, &input.flow_id)
}

/// `register_edges`: adds a batch of edges between the flow's registered tasks (an edge sent
/// again is not doubled).
pub fn register_edges(conn: &Connection, scope: &Scope, input: &RegisterEdges) -> Result<(), ApiError> {
    let tenant_id = tenant_of(conn, scope, Entity::Flow, &input.flow_id)?;
    let edges = items(&input.serialized_edges, "serialized_edges")?.iter().map(EdgeSpec::read).collect::<Result<Vec<_>, _>>()?;
    add_edges(conn, &tenant_id, &input.flow_id, &edges)?;
    refresh_task_flags(conn, &input.flow_id)
}

/// Writes tasks of a flow; a slug twice in one batch is an error, a slug registered before is
/// replaced (a batch retried after a lost answer).
fn add_tasks(conn: &Connection, tenant_id: &str, flow_id: &Id, tasks: &[TaskSpec]) -> Result<(), ApiError> {
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = tasks.iter().find(|t| !seen.insert(t.slug.as_str())) {
        return Err(ApiError::bad_input(format!("duplicate task slug {:?}", dup.slug)));
    }
    let t = now();
    let mut insert = conn.prepare_cached(
        "INSERT INTO task (id, created, updated, tenant_id, flow_id, name, slug, description, type, max_retries,
            retry_delay, trigger, tags, auto_generated, cache_key)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (flow_id, slug) DO UPDATE SET updated = excluded.updated, name = excluded.name,
            description = excluded.description, type = excluded.type, max_retries = excluded.max_retries,
            retry_delay = excluded.retry_delay, trigger = excluded.trigger, tags = excluded.tags,
            auto_generated = excluded.auto_generated, cache_key = excluded.cache_key",
    )?;
    for task in tasks {
        insert.execute(params![
            Id::random(), t, tenant_id, flow_id, task.name.clone().unwrap_or_else(|| task.slug.clone()), task.slug, task.description,
            task.ty, task.max_retries, task.retry_delay, task.trigger, task.tags.to_string(), task.auto_generated as i64, task.cache_key,
        ])?;
    }
    Ok(())
}

/// Writes edges between tasks of the flow, named by slug.
fn add_edges(conn: &Connection, tenant_id: &str, flow_id: &Id, edges: &[EdgeSpec]) -> Result<(), ApiError> {
    let t = now();
    let mut task = conn.prepare_cached("SELECT id FROM task WHERE flow_id = ? AND slug = ?")?;
    let mut task_id = |slug: &str| -> Result<String, ApiError> {
        task.query_row(params![flow_id, slug], |r| r.get(0)).optional()?.ok_or_else(|| ApiError::bad_input(format!("edge names unknown task {slug:?}")))
    };
    let mut insert = conn.prepare_cached(
        "INSERT INTO edge (id, created, updated, tenant_id, flow_id, upstream_task_id, downstream_task_id, key, mapped)
         SELECT ?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8
         WHERE NOT EXISTS (SELECT 1 FROM edge WHERE flow_id = ?4 AND upstream_task_id = ?5 AND downstream_task_id = ?6
                           AND key IS ?7 AND mapped = ?8)",
    )?;
    for e in edges {
        let (up, down) = (task_id(&e.upstream)?, task_id(&e.downstream)?);
        insert.execute(params![Id::random(), t, tenant_id, flow_id, up, down, e.key, e.mapped as i64])?;
    }
    Ok(())
}

/// The flags Prefect Server computes for a flow's tasks from its edges: `mapped` (an edge into
/// it is mapped), root (no edge into it), terminal (no edge out of it), reference (named in the
/// flow's `reference_tasks`, or, when it names none, terminal). Recomputed after every batch,
/// since edges may come after their tasks.
fn refresh_task_flags(conn: &Connection, flow_id: &Id) -> Result<(), ApiError> {
    let serialized: Option<String> = conn.query_row("SELECT serialized_flow FROM flow WHERE id = ?", [flow_id], |r| r.get(0))?;
    let flow: J = serialized.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(J::Null);
    let reference: Vec<String> = list(&flow, "reference_tasks", "serialized_flow").unwrap_or(&[]).iter().filter_map(slug_of).collect();
    conn.prepare_cached(
        "UPDATE task SET
            mapped = EXISTS (SELECT 1 FROM edge e WHERE e.downstream_task_id = task.id AND e.mapped),
            is_root_task = NOT EXISTS (SELECT 1 FROM edge e WHERE e.downstream_task_id = task.id),
            is_terminal_task = NOT EXISTS (SELECT 1 FROM edge e WHERE e.upstream_task_id = task.id)
         WHERE flow_id = ?",
    )?
    .execute([flow_id])?;
    conn.prepare_cached(
        "UPDATE task SET is_reference_task = CASE WHEN ?2 = '[]' THEN is_terminal_task
                                                  ELSE slug IN (SELECT value FROM json_each(?2)) END
         WHERE flow_id = ?1",
    )?
    .execute(params![flow_id, json!(reference).to_string()])?;
    Ok(())
}

/// Archives a flow as Prefect's `archive_flow` does: no new runs, its schedule off, its
/// auto-scheduled runs deleted and its other Scheduled runs cancelled.
fn archive(conn: &Connection, id: &Id) -> Result<(), ApiError> {
    conn.execute("UPDATE flow SET archived = 1, is_schedule_active = 0, updated = ? WHERE id = ?", params![now(), id])?;
    conn.execute("DELETE FROM flow_run WHERE flow_id = ? AND state = 'Scheduled' AND auto_scheduled = 1", [id])?;
    let waiting: Vec<String> = conn
        .prepare("SELECT id FROM flow_run WHERE flow_id = ? AND state = 'Scheduled'")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let cancelled = StateDraft::new(StateKind::Cancelled, format!("Flow {} was archived.", id.as_str()));
    for run in waiting {
        write_own(conn, RunKind::Flow, &Id::stored(run), None, &cancelled)?;
    }
    Ok(())
}

pub fn change(conn: &Connection, scope: &Scope, id: &Id, change: FlowChange) -> Result<(), ApiError> {
    tenant_of(conn, scope, Entity::Flow, id)?;
    let active = match change {
        FlowChange::Archive => return archive(conn, id),
        FlowChange::ScheduleActive(active) => active,
    };
    conn.execute("UPDATE flow SET is_schedule_active = ?, updated = ? WHERE id = ?", params![active as i64, now(), id])?;
    Ok(())
}

/// Deletes the flow with its tasks, edges and runs.
pub fn delete_flow(conn: &Connection, scope: &Scope, id: &Id) -> Result<(), ApiError> {
    delete(conn, scope, Entity::Flow, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_read_as_intervals() {
        assert_eq!(interval_text(&json!(2)).as_deref(), Some("00:00:02"));
        assert_eq!(interval_text(&json!(660.0)).as_deref(), Some("00:11:00"));
        assert_eq!(interval_text(&json!(90061.5)).as_deref(), Some("1 day 01:01:01.5"));
        assert_eq!(interval_text(&json!("0:00:01")).as_deref(), Some("0:00:01"));
        assert_eq!(interval_text(&J::Null), None);
    }

    #[test]
    fn compressed_flows_are_base64_gzip_json() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(br#"{"name": "f", "tasks": []}"#).unwrap();
        let text = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
        assert_eq!(decompress(&text), Some(json!({"name": "f", "tasks": []})));
        assert_eq!(decompress("not base64!"), None);
        assert_eq!(decompress(&base64::engine::general_purpose::STANDARD.encode(b"plain")), None);
    }

    #[test]
    fn old_core_versions_are_refused() {
        assert!(check_core_version(Some("0.6.0")).is_err());
        assert!(check_core_version(Some("0.6.1")).is_ok());
        assert!(check_core_version(Some("1.4.1")).is_ok());
        assert!(check_core_version(Some("0.15.13+dirty")).is_ok());
        assert!(check_core_version(None).is_ok());
    }
}

//! The Python-layer operations and Prefect's server rules. Everything that writes goes through
//! here (the GraphQL mutations and the simulated agent alike), inside one transaction per call.

use prefect_wasm::client_core::state::{StateKind, MAX_STATE_PAYLOAD_BYTES, PREFECT_CORE_VERSION};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value as J};

use crate::app::Scope;
use crate::db::{new_id, now, parse_time};
use crate::error::{ApiError, VERSION_LOCKING_ERROR};
use crate::hasura::canonical_uuid;

// ---------------------------------------------------------------- input helpers

pub fn get<'a>(j: &'a J, key: &str) -> Option<&'a J> {
    j.get(key).filter(|v| !v.is_null())
}
pub fn get_str(j: &J, key: &str) -> Option<String> {
    get(j, key).and_then(|v| v.as_str()).map(str::to_string)
}
pub fn req_str(j: &J, key: &str) -> Result<String, ApiError> {
    get_str(j, key).ok_or_else(|| ApiError::bad_input(format!("{key} is required")))
}
pub fn req_uuid(j: &J, key: &str) -> Result<String, ApiError> {
    canonical_uuid(&req_str(j, key)?)
}
pub fn opt_uuid(j: &J, key: &str) -> Result<Option<String>, ApiError> {
    get_str(j, key).map(|s| canonical_uuid(&s)).transpose()
}
fn get_i64(j: &J, key: &str) -> Option<i64> {
    get(j, key).and_then(|v| v.as_i64())
}
fn get_bool(j: &J, key: &str) -> Option<bool> {
    get(j, key).and_then(|v| v.as_bool())
}
fn opt_time(j: &J, key: &str) -> Result<Option<String>, ApiError> {
    match get(j, key) {
        None => Ok(None),
        Some(J::String(s)) => parse_time(s).map(Some).ok_or_else(|| ApiError::bad_input(format!("{key}: invalid timestamp {s:?}"))),
        Some(other) => Err(ApiError::bad_input(format!("{key}: invalid timestamp {other}"))),
    }
}
fn json_text(v: Option<&J>) -> Option<String> {
    v.filter(|v| !v.is_null()).map(|v| v.to_string())
}
fn success() -> J {
    json!({"success": true, "error": null})
}

fn scope_sql(scope: &Scope, col: &str) -> (String, Option<String>) {
    match scope {
        Scope::Open => (String::new(), None),
        Scope::Tenant { tenant_id, .. } => (format!(" AND {col} = ?"), Some(tenant_id.clone())),
    }
}

/// The id of `table` row `id` with its tenant, if it exists and the caller may see it.
fn find_tenant_of(conn: &Connection, scope: &Scope, table: &str, id: &str) -> Result<Option<String>, ApiError> {
    let (extra, tid) = scope_sql(scope, "tenant_id");
    let sql = format!("SELECT tenant_id FROM {table} WHERE id = ?1{}", extra.replace('?', "?2"));
    let mut st = conn.prepare_cached(&sql)?;
    let r = match tid {
        Some(t) => st.query_row(params![id, t], |r| r.get(0)).optional()?,
        None => st.query_row(params![id], |r| r.get(0)).optional()?,
    };
    Ok(r)
}

fn must_exist(conn: &Connection, scope: &Scope, table: &str, what: &str, id: &str) -> Result<String, ApiError> {
    find_tenant_of(conn, scope, table, id)?.ok_or_else(|| ApiError::not_found(what, id))
}


// ---------------------------------------------------------------- tenants and projects

pub fn create_tenant(conn: &Connection, name: &str, slug: &str) -> Result<String, ApiError> {
    if name.trim().is_empty() || slug.trim().is_empty() {
        return Err(ApiError::bad_input("tenant name and slug must not be empty"));
    }
    let exists: Option<String> = conn.query_row("SELECT id FROM tenant WHERE slug = ?", [slug], |r| r.get(0)).optional()?;
    if exists.is_some() {
        return Err(ApiError::bad_input(format!("a tenant with slug {slug:?} already exists")));
    }
    let id = new_id();
    let t = now();
    conn.execute(
        "INSERT INTO tenant (id, created, updated, name, slug, info, settings) VALUES (?1, ?2, ?2, ?3, ?4, NULL, '{}')",
        params![id, t, name, slug],
    )?;
    Ok(id)
}

pub fn tenant_by_slug(conn: &Connection, slug: &str) -> Result<Option<String>, ApiError> {
    Ok(conn.query_row("SELECT id FROM tenant WHERE slug = ?", [slug], |r| r.get(0)).optional()?)
}

pub fn create_project(conn: &Connection, scope: &Scope, input: &J) -> Result<String, ApiError> {
    let tenant_id = req_uuid(input, "tenant_id")?;
    let name = req_str(input, "name")?;
    if !scope.allows_tenant(&tenant_id) {
        return Err(ApiError::not_found("tenant", &tenant_id));
    }
    let exists: Option<String> = conn.query_row("SELECT id FROM tenant WHERE id = ?", [&tenant_id], |r| r.get(0)).optional()?;
    if exists.is_none() {
        return Err(ApiError::not_found("tenant", &tenant_id));
    }
    let dup: Option<String> = conn
        .query_row("SELECT id FROM project WHERE tenant_id = ? AND name = ?", params![tenant_id, name], |r| r.get(0))
        .optional()?;
    if dup.is_some() {
        return Err(ApiError::bad_input(format!("a project named {name:?} already exists in this tenant")));
    }
    let id = new_id();
    let t = now();
    conn.execute(
        "INSERT INTO project (id, created, updated, tenant_id, name, description) VALUES (?1, ?2, ?2, ?3, ?4, ?5)",
        params![id, t, tenant_id, name, get_str(input, "description")],
    )?;
    Ok(id)
}

pub fn update_project(conn: &Connection, scope: &Scope, input: &J, field: &str) -> Result<String, ApiError> {
    let id = req_uuid(input, "project_id")?;
    must_exist(conn, scope, "project", "project", &id)?;
    let value = if field == "name" { Some(req_str(input, "name")?) } else { get_str(input, "description") };
    let sql = format!("UPDATE project SET {field} = ?, updated = ? WHERE id = ?");
    conn.execute(&sql, params![value, now(), id])?;
    Ok(id)
}

pub fn delete_row(conn: &Connection, scope: &Scope, table: &str, what: &str, id: &str) -> Result<J, ApiError> {
    must_exist(conn, scope, table, what, id)?;
    conn.execute(&format!("DELETE FROM {table} WHERE id = ?"), [id])?;
    Ok(success())
}

// ---------------------------------------------------------------- flows

fn slug_of(v: &J) -> Option<String> {
    match v {
        J::String(s) => Some(s.clone()),
        J::Object(_) => get_str(v, "slug"),
        _ => None,
    }
}

pub fn create_flow(conn: &Connection, scope: &Scope, input: &J) -> Result<String, ApiError> {
    let project_id = req_uuid(input, "project_id")?;
    let tenant_id = must_exist(conn, scope, "project", "project", &project_id)?;
    let flow = get(input, "serialized_flow").ok_or_else(|| ApiError::bad_input("serialized_flow is required"))?;
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
    let tasks = list("tasks")?;
    let edges = list("edges")?;
    let parameters = list("parameters")?;
    let reference: Option<Vec<String>> = match get(flow, "reference_tasks") {
        Some(J::Array(a)) => Some(a.iter().filter_map(slug_of).collect()),
        _ => None,
    };
    for p in &parameters {
        if get_str(p, "slug").or_else(|| get_str(p, "name")).is_none() {
            return Err(ApiError::bad_input("every parameter needs a slug"));
        }
    }

    // version group
    let version_group_id = get_str(input, "version_group_id").unwrap_or_else(new_id);
    let group: Option<(i64, Option<String>)> = conn
        .query_row(
            "SELECT max(version), max(flow_group_id) FROM flow WHERE version_group_id = ? AND tenant_id = ? HAVING count(*) > 0",
            params![version_group_id, tenant_id],
            |r| Ok((r.get::<_, Option<i64>>(0)?.unwrap_or(0), r.get(1)?)),
        )
        .optional()?;
    if let Some(key) = get_str(input, "idempotency_key") {
        let existing: Option<String> = conn
            .query_row(
                "SELECT id FROM flow WHERE version_group_id = ? AND tenant_id = ? AND idempotency_key = ? ORDER BY version DESC LIMIT 1",
                params![version_group_id, tenant_id, key],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok(id);
        }
    }
    let version = group.as_ref().map(|g| g.0 + 1).unwrap_or(1);
    let flow_group_id = group.and_then(|g| g.1).unwrap_or_else(new_id);
    // older versions are archived, as Prefect does on registration
    conn.execute("UPDATE flow SET archived = 1, updated = ? WHERE version_group_id = ? AND tenant_id = ?", params![now(), version_group_id, tenant_id])?;

    let id = new_id();
    let t = now();
    conn.execute(
        "INSERT INTO flow (id, created, updated, tenant_id, project_id, name, description, version, version_group_id,
            archived, core_version, schedule, is_schedule_active, serialized_flow, environment, run_config, storage,
            parameters, flow_group_id, idempotency_key)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        params![
            id, t, tenant_id, project_id, name, get_str(input, "description"), version, version_group_id,
            get_str(flow, "__version__"), json_text(get(flow, "schedule")),
            get_bool(input, "set_schedule_active").unwrap_or(true) as i64, flow.to_string(),
            json_text(get(flow, "environment")), json_text(get(flow, "run_config")), json_text(get(flow, "storage")),
            J::Array(parameters.clone()).to_string(), flow_group_id, get_str(input, "idempotency_key"),
        ],
    )?;

    // tasks
    let mut slugs: Vec<(String, String)> = Vec::new();
    let mut edge_pairs: Vec<(String, String, Option<String>, bool)> = Vec::new();
    for e in &edges {
        let up = get(e, "upstream_task").and_then(slug_of).ok_or_else(|| ApiError::bad_input("edge without upstream_task"))?;
        let down = get(e, "downstream_task").and_then(slug_of).ok_or_else(|| ApiError::bad_input("edge without downstream_task"))?;
        edge_pairs.push((up, down, get_str(e, "key"), get_bool(e, "mapped").unwrap_or(false)));
    }
    for task in &tasks {
        let slug = get_str(task, "slug").ok_or_else(|| ApiError::bad_input("every task needs a slug"))?;
        if slugs.iter().any(|(s, _)| *s == slug) {
            return Err(ApiError::bad_input(format!("duplicate task slug {slug:?}")));
        }
        let has_up = edge_pairs.iter().any(|e| e.1 == slug);
        let has_down = edge_pairs.iter().any(|e| e.0 == slug);
        let terminal = get_bool(task, "is_terminal_task").unwrap_or(!has_down);
        let is_ref = match &reference {
            Some(r) => r.contains(&slug),
            None => get_bool(task, "is_reference_task").unwrap_or(terminal),
        };
        let retry_delay = get(task, "retry_delay").map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        let trigger = get(task, "trigger").map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        let task_id = new_id();
        conn.execute(
            "INSERT INTO task (id, created, updated, tenant_id, flow_id, name, slug, description, type, max_retries,
                retry_delay, trigger, tags, mapped, auto_generated, cache_key, is_root_task, is_terminal_task, is_reference_task)
             VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
                task_id, t, tenant_id, id, get_str(task, "name").unwrap_or_else(|| slug.clone()), slug,
                get_str(task, "description"), get_str(task, "type"), get_i64(task, "max_retries"), retry_delay, trigger,
                get(task, "tags").cloned().unwrap_or(json!([])).to_string(), get_bool(task, "mapped").unwrap_or(false) as i64,
                get_bool(task, "auto_generated").unwrap_or(false) as i64, get_str(task, "cache_key"),
                get_bool(task, "is_root_task").unwrap_or(!has_up) as i64, terminal as i64, is_ref as i64,
            ],
        )?;
        slugs.push((slug, task_id));
    }
    let task_id = |slug: &str| {
        slugs.iter().find(|(s, _)| s == slug).map(|(_, id)| id.clone()).ok_or_else(|| ApiError::bad_input(format!("edge names unknown task {slug:?}")))
    };
    for (up, down, key, mapped) in &edge_pairs {
        conn.execute(
            "INSERT INTO edge (id, created, updated, tenant_id, flow_id, upstream_task_id, downstream_task_id, key, mapped)
             VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![new_id(), t, tenant_id, id, task_id(up)?, task_id(down)?, key, *mapped as i64],
        )?;
    }
    Ok(id)
}

pub fn set_flow_flag(conn: &Connection, scope: &Scope, input: &J, sql_set: &str) -> Result<J, ApiError> {
    let id = req_uuid(input, "flow_id")?;
    must_exist(conn, scope, "flow", "flow", &id)?;
    conn.execute(&format!("UPDATE flow SET {sql_set}, updated = ? WHERE id = ?"), params![now(), id])?;
    Ok(success())
}

// ---------------------------------------------------------------- flow runs

const ADJECTIVES: &[&str] = &["amber", "brisk", "calm", "daring", "eager", "fuzzy", "gentle", "hasty", "icy", "jolly", "keen", "lucky", "mellow", "nimble", "proud", "quiet", "rapid", "sunny", "tidy", "witty"];
const ANIMALS: &[&str] = &["otter", "panda", "falcon", "badger", "heron", "lynx", "marmot", "newt", "ocelot", "puffin", "quokka", "raven", "seal", "tapir", "urchin", "vole", "walrus", "yak", "zebra", "koala"];

fn run_name() -> String {
    use rand::seq::SliceRandom;
    let mut rng = rand::thread_rng();
    format!("{}-{}", ADJECTIVES.choose(&mut rng).unwrap(), ANIMALS.choose(&mut rng).unwrap())
}

pub fn create_flow_run(conn: &Connection, scope: &Scope, input: &J) -> Result<String, ApiError> {
    let (extra, tid) = scope_sql(scope, "tenant_id");
    let flow: Option<(String, String, bool, String)> = if let Some(flow_id) = opt_uuid(input, "flow_id")? {
        let sql = format!("SELECT id, tenant_id, archived, parameters FROM flow WHERE id = ?1{}", extra.replace('?', "?2"));
        let mut st = conn.prepare_cached(&sql)?;
        let map = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0, r.get(3)?));
        let found = match &tid {
            Some(t) => st.query_row(params![flow_id, t], map).optional()?,
            None => st.query_row(params![flow_id], map).optional()?,
        };
        Some(found.ok_or_else(|| ApiError::not_found("flow", &flow_id))?)
    } else if let Some(group) = get_str(input, "version_group_id") {
        let sql = format!(
            "SELECT id, tenant_id, archived, parameters FROM flow WHERE version_group_id = ?1 AND archived = 0{} ORDER BY version DESC LIMIT 1",
            extra.replace('?', "?2")
        );
        let mut st = conn.prepare_cached(&sql)?;
        let map = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0, r.get(3)?));
        let found = match &tid {
            Some(t) => st.query_row(params![group, t], map).optional()?,
            None => st.query_row(params![group], map).optional()?,
        };
        Some(found.ok_or_else(|| ApiError::not_found("unarchived flow in version group", &group))?)
    } else {
        None
    };
    let (flow_id, tenant_id, archived, flow_params) = flow.ok_or_else(|| ApiError::bad_input("a flow_id or version_group_id must be provided"))?;
    if archived {
        return Err(ApiError::bad_input(format!("flow {flow_id} is archived and cannot be run")));
    }
    if let Some(key) = get_str(input, "idempotency_key") {
        let existing: Option<String> = conn
            .query_row("SELECT id FROM flow_run WHERE flow_id = ? AND idempotency_key = ? LIMIT 1", params![flow_id, key], |r| r.get(0))
            .optional()?;
        if let Some(id) = existing {
            return Ok(id);
        }
    }
    // parameters: the flow's defaults, overridden by the given ones; required ones must be there
    let given = match get(input, "parameters") {
        None => serde_json::Map::new(),
        Some(J::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::bad_input("parameters must be a JSON object")),
    };
    let declared: Vec<J> = serde_json::from_str(&flow_params).unwrap_or_default();
    let mut merged = serde_json::Map::new();
    let mut required = Vec::new();
    for p in &declared {
        let Some(slug) = get_str(p, "slug").or_else(|| get_str(p, "name")) else { continue };
        let is_required = get_bool(p, "required").unwrap_or(false);
        match p.get("default") {
            Some(d) if !d.is_null() || !is_required => {
                merged.insert(slug.clone(), d.clone());
            }
            _ => {}
        }
        if is_required {
            required.push(slug);
        }
    }
    for (k, v) in given {
        merged.insert(k, v);
    }
    let missing: Vec<&String> = required.iter().filter(|r| !merged.contains_key(*r)).collect();
    if !missing.is_empty() {
        let names = missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        return Err(ApiError::bad_input(format!("Required parameters were not supplied: {names}")));
    }
    let context = match get(input, "context") {
        None => json!({}),
        Some(c @ J::Object(_)) => c.clone(),
        Some(_) => return Err(ApiError::bad_input("context must be a JSON object")),
    };
    let labels = get(input, "labels").cloned().unwrap_or(json!([]));
    let scheduled = opt_time(input, "scheduled_start_time")?.unwrap_or_else(now);
    let id = new_id();
    let t = now();
    conn.execute(
        "INSERT INTO flow_run (id, created, updated, tenant_id, flow_id, name, parameters, labels, run_config, context,
            version, scheduled_start_time, idempotency_key)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11)",
        params![
            id, t, tenant_id, flow_id, get_str(input, "flow_run_name").unwrap_or_else(run_name),
            J::Object(merged).to_string(), labels.to_string(), json_text(get(input, "run_config")), context.to_string(),
            scheduled, get_str(input, "idempotency_key"),
        ],
    )?;
    let state = json!({
        "type": "Scheduled", "message": "Flow run scheduled.", "start_time": scheduled,
        "context": {}, "cached_inputs": {}, "_result": {"type": "NoResultType", "__version__": PREFECT_CORE_VERSION},
        "__version__": PREFECT_CORE_VERSION,
    });
    set_state(conn, &Scope::Open, RunKind::Flow, &id, None, &state, None)?;
    Ok(id)
}

pub fn update_run_field(conn: &Connection, scope: &Scope, table: &str, id: &str, sql_set: &str, value: Option<String>) -> Result<J, ApiError> {
    must_exist(conn, scope, table, table, id)?;
    conn.execute(&format!("UPDATE {table} SET {sql_set} = ?, updated = ? WHERE id = ?"), params![value, now(), id])?;
    Ok(success())
}

// ---------------------------------------------------------------- states

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    Flow,
    Task,
}

impl RunKind {
    fn table(self) -> &'static str {
        match self {
            RunKind::Flow => "flow_run",
            RunKind::Task => "task_run",
        }
    }
}

/// Checks a state JSON: an object whose `type` (and nested meta `state.type`) is a state of
/// Prefect's hierarchy, no larger than the payload limit. Returns the kind and the JSON text.
pub fn validate_state(state: &J) -> Result<(StateKind, String), ApiError> {
    let text = state.to_string();
    if text.len() > MAX_STATE_PAYLOAD_BYTES {
        return Err(ApiError::bad_input(format!(
            "state payload is {} bytes, over the limit of {MAX_STATE_PAYLOAD_BYTES}",
            text.len()
        )));
    }
    let kind = state_kind(state)?;
    if kind.is_meta() {
        if let Some(inner) = get(state, "state") {
            state_kind(inner)?;
        }
    }
    Ok((kind, text))
}

fn state_kind(state: &J) -> Result<StateKind, ApiError> {
    if !state.is_object() {
        return Err(ApiError::bad_input("a state must be a JSON object with a `type`"));
    }
    let ty = get_str(state, "type").ok_or_else(|| ApiError::bad_input("the state has no `type`"))?;
    StateKind::from_name(&ty).ok_or_else(|| ApiError::bad_input(format!("unknown state type {ty:?}")))
}

struct RunNow {
    tenant_id: String,
    version: i64,
    flow_run_id: Option<String>,
}

/// Sets one state on a flow or task run, with all of Prefect's rules. Call inside a write
/// transaction; on error the caller rolls everything back.
pub fn set_state(
    conn: &Connection,
    scope: &Scope,
    kind: RunKind,
    run_id: &str,
    version: Option<i64>,
    state: &J,
    flow_run_version: Option<i64>,
) -> Result<(), ApiError> {
    let (state_kind, text) = validate_state(state)?;
    let table = kind.table();
    let (extra, tid) = scope_sql(scope, "tenant_id");
    let frid = if kind == RunKind::Task { "flow_run_id" } else { "NULL" };
    let sql = format!("SELECT tenant_id, version, {frid} FROM {table} WHERE id = ?1{}", extra.replace('?', "?2"));
    let run = {
        let mut st = conn.prepare_cached(&sql)?;
        let map = |r: &rusqlite::Row<'_>| Ok(RunNow { tenant_id: r.get(0)?, version: r.get(1)?, flow_run_id: r.get(2)? });
        match &tid {
            Some(t) => st.query_row(params![run_id, t], map).optional()?,
            None => st.query_row(params![run_id], map).optional()?,
        }
    };
    let what = if kind == RunKind::Flow { "flow run" } else { "task run" };
    let run = run.ok_or_else(|| ApiError::not_found(what, run_id))?;
    if let Some(v) = version {
        if v != run.version {
            return Err(ApiError::new(
                VERSION_LOCKING_ERROR,
                format!("State update failed: version {v} of {what} {run_id} is not its current version {}", run.version),
            ));
        }
    }
    if let (RunKind::Task, Some(flow_run_id)) = (kind, &run.flow_run_id) {
        let (fr_state, fr_version): (Option<String>, i64) =
            conn.query_row("SELECT state, version FROM flow_run WHERE id = ?", [flow_run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if let Some(v) = flow_run_version {
            if v != fr_version {
                return Err(ApiError::version_locking(format!(
                    "State update failed: flow run version {v} is not the current version {fr_version}"
                )));
            }
        }
        if state_kind == StateKind::Running && fr_state.as_deref() != Some("Running") {
            return Err(ApiError::bad_input(format!(
                "State update failed: a task run can be set Running only while its flow run is Running (it is {})",
                fr_state.as_deref().unwrap_or("without a state")
            )));
        }
    }
    let t = now();
    let message = get_str(state, "message");
    let result = get(state, "_result").and_then(|r| get_str(r, "location")).map(|loc| J::String(loc).to_string());
    let start_time = if state_kind.has_start_time() {
        match get(state, "start_time") {
            Some(J::String(s)) => Some(parse_time(s).ok_or_else(|| ApiError::bad_input(format!("invalid state start_time {s:?}")))?),
            Some(other) => return Err(ApiError::bad_input(format!("invalid state start_time {other}"))),
            None => None,
        }
    } else {
        None
    };
    let new_version = run.version + 1;
    conn.prepare_cached(&format!(
        "INSERT INTO {table}_state (id, created, updated, tenant_id, {table}_id, timestamp, message, result, start_time,
            state, version, serialized_state) VALUES (?1, ?2, ?2, ?3, ?4, ?2, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?
    .execute(params![new_id(), t, run.tenant_id, run_id, message, result, start_time, state_kind.name(), new_version, text])?;
    let reschedule = kind == RunKind::Flow && state_kind.is_scheduled() && start_time.is_some();
    conn.prepare_cached(&format!(
        "UPDATE {table} SET version = ?1, state = ?2, state_message = ?3, state_result = ?4, state_start_time = ?5,
            state_timestamp = ?6, serialized_state = ?7, updated = ?6,
            start_time = CASE WHEN ?8 AND start_time IS NULL THEN ?6 ELSE start_time END,
            end_time = CASE WHEN ?9 THEN ?6 ELSE end_time END{}
         WHERE id = ?10",
        if kind == RunKind::Flow { ", scheduled_start_time = CASE WHEN ?11 THEN ?5 ELSE scheduled_start_time END" } else { "" }
    ))?
    .execute(rusqlite::params_from_iter(
        [
            rusqlite::types::Value::Integer(new_version),
            state_kind.name().to_string().into(),
            message.clone().into(),
            result.into(),
            start_time.clone().into(),
            t.clone().into(),
            text.into(),
            rusqlite::types::Value::Integer(state_kind.is_running() as i64),
            rusqlite::types::Value::Integer(state_kind.is_finished() as i64),
            run_id.to_string().into(),
        ]
        .into_iter()
        .chain((kind == RunKind::Flow).then_some(rusqlite::types::Value::Integer(reschedule as i64))),
    ))?;

    // Cancelling a flow run cancels its unfinished task runs.
    if kind == RunKind::Flow && state_kind == StateKind::Cancelled {
        let unfinished: Vec<String> = {
            let mut st = conn.prepare_cached("SELECT id, state FROM task_run WHERE flow_run_id = ?")?;
            let rows = st.query_map([run_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?;
            rows.collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter(|(_, s)| !s.as_deref().and_then(StateKind::from_name).is_some_and(|k| k.is_finished()))
                .map(|(id, _)| id)
                .collect()
        };
        let cancelled = json!({"type": "Cancelled", "message": "Flow run was cancelled.", "__version__": PREFECT_CORE_VERSION});
        for id in unfinished {
            set_state(conn, &Scope::Open, RunKind::Task, &id, None, &cancelled, None)?;
        }
    }
    Ok(())
}

/// `set_flow_run_states` / `set_task_run_states`: all the given states, or none.
pub fn set_states(conn: &Connection, scope: &Scope, kind: RunKind, input: &J) -> Result<J, ApiError> {
    let states = match get(input, "states") {
        Some(J::Array(a)) => a.clone(),
        _ => return Err(ApiError::bad_input("states must be a list")),
    };
    let id_key = if kind == RunKind::Flow { "flow_run_id" } else { "task_run_id" };
    let mut out = Vec::with_capacity(states.len());
    for s in &states {
        let id = req_uuid(s, id_key)?;
        let state = get(s, "state").ok_or_else(|| ApiError::bad_input("state is required"))?;
        // Prefect's Python client may send the state as JSON text
        let parsed;
        let state = match state {
            J::String(text) => {
                parsed = serde_json::from_str::<J>(text).map_err(|_| ApiError::bad_input("state must be a JSON object"))?;
                &parsed
            }
            other => other,
        };
        set_state(conn, scope, kind, &id, get_i64(s, "version"), state, get_i64(s, "flow_run_version"))?;
        out.push(json!({"id": id, "status": "SUCCESS", "message": null}));
    }
    Ok(json!({ "states": out }))
}

pub fn current_state(conn: &Connection, kind: RunKind, id: &str) -> Result<Option<(Option<String>, i64)>, ApiError> {
    let sql = format!("SELECT state, version FROM {} WHERE id = ?", kind.table());
    Ok(conn.prepare_cached(&sql)?.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
}

/// `cancel_flow_run`: finished → unchanged; running → Cancelling; otherwise → Cancelled.
pub fn cancel_flow_run(conn: &Connection, scope: &Scope, input: &J) -> Result<J, ApiError> {
    let id = req_uuid(input, "flow_run_id")?;
    must_exist(conn, scope, "flow_run", "flow run", &id)?;
    let (state, _) = current_state(conn, RunKind::Flow, &id)?.ok_or_else(|| ApiError::not_found("flow run", &id))?;
    let kind = state.as_deref().and_then(StateKind::from_name);
    let new = match kind {
        Some(k) if k.is_finished() => return Ok(json!({ "state": state })),
        Some(StateKind::Cancelling) => return Ok(json!({ "state": state })),
        Some(k) if k.is_running() => StateKind::Cancelling,
        _ => StateKind::Cancelled,
    };
    let message = if new == StateKind::Cancelling { "Flow run is cancelling..." } else { "Flow run is cancelled." };
    let st = json!({"type": new.name(), "message": message, "__version__": PREFECT_CORE_VERSION});
    set_state(conn, scope, RunKind::Flow, &id, None, &st, None)?;
    Ok(json!({ "state": new.name() }))
}

// ---------------------------------------------------------------- task runs

/// The task run of `(flow_run_id, task_id, map_index)`, created Pending when absent.
pub fn get_or_create_task_run(conn: &Connection, scope: &Scope, input: &J) -> Result<String, ApiError> {
    let flow_run_id = req_uuid(input, "flow_run_id")?;
    let task_id = req_uuid(input, "task_id")?;
    let map_index = get_i64(input, "map_index").unwrap_or(-1);
    let (extra, tid) = scope_sql(scope, "fr.tenant_id");
    let sql = format!("SELECT fr.tenant_id, fr.flow_id FROM flow_run fr WHERE fr.id = ?1{}", extra.replace('?', "?2"));
    let mut st = conn.prepare_cached(&sql)?;
    let map = |r: &rusqlite::Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?));
    let fr = match &tid {
        Some(t) => st.query_row(params![flow_run_id, t], map).optional()?,
        None => st.query_row(params![flow_run_id], map).optional()?,
    };
    let (tenant_id, flow_id) = fr.ok_or_else(|| ApiError::not_found("flow run", &flow_run_id))?;
    let task_flow: Option<String> = conn.query_row("SELECT flow_id FROM task WHERE id = ?", [&task_id], |r| r.get(0)).optional()?;
    match task_flow {
        None => return Err(ApiError::not_found("task", &task_id)),
        Some(f) if f != flow_id => return Err(ApiError::bad_input(format!("task {task_id} does not belong to the flow of flow run {flow_run_id}"))),
        _ => {}
    }
    let existing: Option<String> = conn
        .prepare_cached("SELECT id FROM task_run WHERE flow_run_id = ? AND task_id = ? AND map_index = ?")?
        .query_row(params![flow_run_id, task_id, map_index], |r| r.get(0))
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = new_id();
    let t = now();
    conn.prepare_cached(
        "INSERT INTO task_run (id, created, updated, tenant_id, flow_run_id, task_id, map_index, version)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, 0)",
    )?
    .execute(params![id, t, tenant_id, flow_run_id, task_id, map_index])?;
    let pending = json!({"type": "Pending", "message": "Task run created.", "__version__": PREFECT_CORE_VERSION});
    set_state(conn, &Scope::Open, RunKind::Task, &id, None, &pending, None)?;
    Ok(id)
}

pub fn task_run_info(conn: &Connection, scope: &Scope, id: &str) -> Result<J, ApiError> {
    must_exist(conn, scope, "task_run", "task run", id)?;
    let (version, state, ss): (i64, Option<String>, Option<String>) = conn.query_row(
        "SELECT version, state, serialized_state FROM task_run WHERE id = ?",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let ss = ss.and_then(|s| serde_json::from_str::<J>(&s).ok()).unwrap_or(J::Null);
    Ok(json!({"id": id, "version": version, "state": state, "serialized_state": ss}))
}

// ---------------------------------------------------------------- logs, heartbeats, queue

pub fn write_run_logs(conn: &Connection, scope: &Scope, input: &J) -> Result<J, ApiError> {
    let logs = match get(input, "logs") {
        Some(J::Array(a)) => a.clone(),
        _ => return Err(ApiError::bad_input("logs must be a list")),
    };
    let t = now();
    for log in &logs {
        let flow_run_id = req_uuid(log, "flow_run_id")?;
        let tenant_id = must_exist(conn, scope, "flow_run", "flow run", &flow_run_id)?;
        let task_run_id = opt_uuid(log, "task_run_id")?;
        if let Some(tr) = &task_run_id {
            must_exist(conn, scope, "task_run", "task run", tr)?;
            let of: String = conn.prepare_cached("SELECT flow_run_id FROM task_run WHERE id = ?")?.query_row([tr], |r| r.get(0))?;
            if of != flow_run_id {
                return Err(ApiError::bad_input(format!("task run {tr} does not belong to flow run {flow_run_id}")));
            }
        }
        let level = get_str(log, "level").unwrap_or_else(|| "INFO".into());
        conn.prepare_cached(
            "INSERT INTO log (id, created, updated, tenant_id, flow_run_id, task_run_id, timestamp, name, level, message, info)
             VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            new_id(), t, tenant_id, flow_run_id, task_run_id, opt_time(log, "timestamp")?.unwrap_or_else(|| t.clone()),
            get_str(log, "name"), level, get_str(log, "message"), json_text(get(log, "info")),
        ])?;
    }
    Ok(success())
}

pub fn runs_in_queue(conn: &Connection, scope: &Scope, input: &J) -> Result<J, ApiError> {
    let tenant_id = req_uuid(input, "tenant_id")?;
    if !scope.allows_tenant(&tenant_id) {
        return Err(ApiError::not_found("tenant", &tenant_id));
    }
    let before = opt_time(input, "before")?.unwrap_or_else(now);
    let mut st = conn.prepare_cached(
        "SELECT id FROM flow_run WHERE tenant_id = ? AND state IN ('Scheduled', 'Retrying', 'Resume')
            AND coalesce(state_start_time, scheduled_start_time) <= ? ORDER BY scheduled_start_time LIMIT 500",
    )?;
    let ids = st.query_map(params![tenant_id, before], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "flow_run_ids": ids }))
}

// ---------------------------------------------------------------- reference data

pub fn reference_data() -> J {
    let mut hierarchy = serde_json::Map::new();
    let mut info = serde_json::Map::new();
    for kind in StateKind::ALL {
        let lineage: Vec<&str> = kind.lineage().map(|k| k.name()).collect();
        hierarchy.insert(kind.name().into(), json!(lineage));
        info.insert(
            kind.name().into(),
            json!({
                "color": kind.color(),
                "parent": kind.parent().map(|p| p.name()),
                "is_meta": kind.is_meta(),
                "is_pending": kind.is_pending(),
                "is_scheduled": kind.is_scheduled(),
                "is_running": kind.is_running(),
                "is_finished": kind.is_finished(),
                "is_successful": kind.is_successful(),
                "is_failed": kind.is_failed(),
            }),
        );
    }
    json!({ "state_hierarchy": hierarchy, "state_info": info })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_validation() {
        assert_eq!(validate_state(&json!({"type": "Cached"})).unwrap().0, StateKind::Cached);
        assert!(validate_state(&json!({"type": "Submitted", "state": {"type": "Scheduled"}})).is_ok());
        assert!(validate_state(&json!({"type": "Submitted", "state": {"type": "Nope"}})).is_err());
        assert!(validate_state(&json!({"type": "State"})).is_err());
        assert!(validate_state(&json!({"type": 3})).is_err());
        assert!(validate_state(&json!(null)).is_err());
        let big = json!({"type": "Success", "message": "x".repeat(MAX_STATE_PAYLOAD_BYTES)});
        assert_eq!(validate_state(&big).unwrap_err().code, crate::error::BAD_USER_INPUT);
    }

    #[test]
    fn reference_data_covers_the_hierarchy() {
        let r = reference_data();
        assert_eq!(r["state_hierarchy"]["TimedOut"], json!(["TimedOut", "Failed", "Finished"]));
        assert_eq!(r["state_info"]["Running"]["color"], "#27B1FF");
        assert_eq!(r["state_info"]["Cancelling"]["is_running"], true);
    }
}

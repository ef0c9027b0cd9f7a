//! Flow runs: creating one (the flow's and its flow group's parameter defaults merged, required
//! ones checked, labels as Prefect Server gives them, idempotent on its key, its task runs
//! created with it, first state Scheduled), renaming, labels, heartbeats, deleting.

use prefect_wasm::client_core::run_kind::RunKind;
use prefect_wasm::client_core::state::StateKind;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;
use serde_json::{json, Value as J};

use super::states::{runner_state, write_own};
use super::{delete, find_scoped, flow_groups, get_bool, get_str, json_text, set_column, task_runs, Entity, Id, Lookup, Time};
use crate::app::Scope;
use crate::db::now;
use crate::error::ApiError;

#[derive(Debug, Default, Deserialize)]
pub struct CreateFlowRun {
    /// The flow to run, or else...
    pub flow_id: Option<Id>,
    /// ...the newest unarchived version of this group.
    pub version_group_id: Option<String>,
    pub parameters: Option<J>,
    pub labels: Option<Vec<String>>,
    pub run_config: Option<J>,
    pub context: Option<J>,
    pub scheduled_start_time: Option<Time>,
    pub idempotency_key: Option<String>,
    pub flow_run_name: Option<String>,
}

const ADJECTIVES: &[&str] = &["amber", "brisk", "calm", "daring", "eager", "fuzzy", "gentle", "hasty", "icy", "jolly", "keen", "lucky", "mellow", "nimble", "proud", "quiet", "rapid", "sunny", "tidy", "witty"];
const ANIMALS: &[&str] = &["otter", "panda", "falcon", "badger", "heron", "lynx", "marmot", "newt", "ocelot", "puffin", "quokka", "raven", "seal", "tapir", "urchin", "vole", "walrus", "yak", "zebra", "koala"];

/// A run name like Prefect's: adjective-animal.
fn run_name() -> String {
    use rand::seq::SliceRandom;
    let mut rng = rand::thread_rng();
    format!("{}-{}", ADJECTIVES.choose(&mut rng).unwrap(), ANIMALS.choose(&mut rng).unwrap())
}

/// The flow a run is created from.
struct FlowToRun {
    id: String,
    tenant_id: String,
    archived: bool,
    /// The declared parameters (JSON list).
    parameters: String,
    run_config: Option<String>,
    environment: Option<String>,
    flow_group_id: Option<String>,
}

fn flow_to_run(conn: &Connection, scope: &Scope, input: &CreateFlowRun) -> Result<FlowToRun, ApiError> {
    const COLUMNS: &str = "id, tenant_id, archived, parameters, run_config, environment, flow_group_id";
    let map = |r: &rusqlite::Row<'_>| {
        Ok(FlowToRun {
            id: r.get(0)?,
            tenant_id: r.get(1)?,
            archived: r.get::<_, i64>(2)? != 0,
            parameters: r.get(3)?,
            run_config: r.get(4)?,
            environment: r.get(5)?,
            flow_group_id: r.get(6)?,
        })
    };
    if let Some(flow_id) = &input.flow_id {
        find_scoped(conn, scope, Entity::Flow, Lookup::by_id(COLUMNS), flow_id.as_str(), map)?
            .ok_or_else(|| ApiError::not_found("flow", flow_id.as_str()))
    } else if let Some(group) = &input.version_group_id {
        let newest = Lookup { columns: COLUMNS, filter: "version_group_id = ?1 AND archived = 0", order: " ORDER BY version DESC LIMIT 1" };
        find_scoped(conn, scope, Entity::Flow, newest, group, map)?
            .ok_or_else(|| ApiError::not_found("unarchived flow in version group", group))
    } else {
        Err(ApiError::bad_input("a flow_id or version_group_id must be provided"))
    }
}

/// The run's parameters: the flow's declared defaults, then its flow group's defaults, then the
/// given ones; every required parameter must be there.
fn merge_parameters(declared: &str, group_defaults: serde_json::Map<String, J>, given: Option<&J>) -> Result<serde_json::Map<String, J>, ApiError> {
    let given = match given {
        None => serde_json::Map::new(),
        Some(J::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::bad_input("parameters must be a JSON object")),
    };
    let declared: Vec<J> = serde_json::from_str(declared).unwrap_or_default();
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
    merged.extend(group_defaults);
    merged.extend(given);
    let missing: Vec<&str> = required.iter().filter(|r| !merged.contains_key(*r)).map(String::as_str).collect();
    if !missing.is_empty() {
        return Err(ApiError::bad_input(format!("Required parameters were not supplied: {}", missing.join(", "))));
    }
    Ok(merged)
}

/// A new run's labels (Prefect Server, `api/runs.py`): the given ones (even none), else its flow
/// group's, else its flow's run config's, else its flow's environment's; sorted.
fn run_labels(given: Option<&[String]>, group: Option<Vec<String>>, flow: &FlowToRun) -> Vec<String> {
    let of_config = |text: &Option<String>| -> Option<Vec<String>> {
        let config: J = serde_json::from_str(text.as_deref()?).ok()?;
        Some(serde_json::from_value(config.get("labels")?.clone()).unwrap_or_default())
    };
    let mut labels = match given {
        Some(l) => l.to_vec(),
        None => group.or_else(|| of_config(&flow.run_config)).or_else(|| of_config(&flow.environment)).unwrap_or_default(),
    };
    labels.sort();
    labels
}

pub fn create(conn: &Connection, scope: &Scope, input: &CreateFlowRun) -> Result<Id, ApiError> {
    let flow = flow_to_run(conn, scope, input)?;
    if flow.archived {
        return Err(ApiError::bad_input(format!("Flow {} is archived.", flow.id)));
    }
    if let Some(key) = &input.idempotency_key {
        let existing: Option<String> = conn
            .query_row("SELECT id FROM flow_run WHERE flow_id = ? AND idempotency_key = ? LIMIT 1", params![flow.id, key], |r| r.get(0))
            .optional()?;
        if let Some(id) = existing {
            return Ok(Id::stored(id));
        }
    }
    let group = flow_groups::run_defaults(conn, flow.flow_group_id.as_deref())?;
    let parameters = merge_parameters(&flow.parameters, group.default_parameters, input.parameters.as_ref().filter(|p| !p.is_null()))?;
    let context = match &input.context {
        None | Some(J::Null) => json!({}),
        Some(c @ J::Object(_)) => c.clone(),
        Some(_) => return Err(ApiError::bad_input("context must be a JSON object")),
    };
    let labels = json!(run_labels(input.labels.as_deref(), group.labels, &flow));
    let scheduled = input.scheduled_start_time.clone().unwrap_or_else(Time::now).into_string();
    let id = Id::random();
    conn.execute(
        "INSERT INTO flow_run (id, created, updated, tenant_id, flow_id, name, parameters, labels, run_config, context,
            version, scheduled_start_time, idempotency_key)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11)",
        params![
            id, now(), flow.tenant_id, flow.id, input.flow_run_name.clone().unwrap_or_else(run_name),
            J::Object(parameters).to_string(), labels.to_string(), json_text(input.run_config.as_ref()), context.to_string(),
            scheduled, input.idempotency_key,
        ],
    )?;
    task_runs::create_for_flow_run(conn, &flow.tenant_id, &id, &flow.id)?;
    let mut state = runner_state(StateKind::Scheduled, "Flow run scheduled.");
    state.start_time = Some(scheduled);
    write_own(conn, RunKind::Flow, &id, None, &state)?;
    Ok(id)
}

pub fn set_name(conn: &Connection, scope: &Scope, id: &Id, name: String) -> Result<(), ApiError> {
    set_column(conn, scope, Entity::FlowRun, "name", Some(name), id)
}

/// `set_flow_run_labels`: stored sorted, as Prefect Server does.
pub fn set_labels(conn: &Connection, scope: &Scope, id: &Id, labels: &[String]) -> Result<(), ApiError> {
    let mut labels = labels.to_vec();
    labels.sort();
    set_column(conn, scope, Entity::FlowRun, "labels", Some(json!(labels).to_string()), id)
}

pub fn heartbeat(conn: &Connection, scope: &Scope, id: &Id) -> Result<(), ApiError> {
    set_column(conn, scope, Entity::FlowRun, "heartbeat", Some(now()), id)
}

/// Deletes the run with its task runs, states and logs.
pub fn delete_flow_run(conn: &Connection, scope: &Scope, id: &Id) -> Result<(), ApiError> {
    delete(conn, scope, Entity::FlowRun, id)
}

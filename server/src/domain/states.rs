//! States of flow and task runs: setting them with Prefect's rules (version locking, the
//! task-run-Running rule, the cancel cascade), `cancel_flow_run`, and the states the server
//! writes itself. What a state is and which states may be stored are the client core's rules
//! (`prefect_wasm::client_core::state`), and so is the state JSON the server builds.

use prefect_wasm::client_core::run_kind::RunKind;
use prefect_wasm::client_core::state::{check_stored_state, StateDraft, StateKind, TypeField, PREFECT_CORE_VERSION};
use rusqlite::types::Value as Sql;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;
use serde_json::{json, Value as J};

use super::{agents, find_scoped, get, get_str, task_tag_limits, tenant_of, Entity, Id, Lookup, Time};
use crate::app::{Caller, Scope};
use crate::db::now;
use crate::error::ApiError;

/// One item of `set_flow_run_states` (`flow_run_id`) or `set_task_run_states` (`task_run_id`).
#[derive(Debug, Deserialize)]
pub struct SetState {
    #[serde(alias = "flow_run_id", alias = "task_run_id")]
    pub run_id: Id,
    /// The run's version the caller expects (version locking).
    pub version: Option<i64>,
    /// The state JSON, or its text (Prefect's Python client sends it as text).
    pub state: J,
    /// Task runs: the flow run's version the caller expects.
    pub flow_run_version: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct SetStates {
    pub states: Vec<SetState>,
}

/// A state as Prefect's own runners write it: an empty context and cached inputs, no result.
pub fn runner_state(kind: StateKind, message: &str) -> StateDraft<J> {
    let mut draft = StateDraft::new(kind, message);
    draft.context = Some(json!({}));
    draft.extra = vec![
        ("cached_inputs".into(), json!({})),
        ("_result".into(), json!({"type": "NoResultType", "__version__": PREFECT_CORE_VERSION})),
    ];
    draft
}

/// Sets a state the server built, as `set_state` does (the rules apply; no tenant scoping).
pub fn write_own(conn: &Connection, kind: RunKind, run_id: &Id, version: Option<i64>, draft: &StateDraft<J>) -> Result<(), ApiError> {
    let state = serde_json::to_value(draft).map_err(|e| ApiError::bad_input(e.to_string()))?;
    set_state(conn, &Scope::Open, kind, run_id, version, &state, None)
}

fn type_field(state: &J) -> TypeField<'_> {
    match state {
        J::Object(o) => match o.get("type") {
            Some(J::String(name)) => TypeField::Named(name),
            _ => TypeField::Missing,
        },
        _ => TypeField::NotAnObject,
    }
}

/// The table of `kind`'s runs.
pub const fn run_table(kind: RunKind) -> &'static str {
    Entity::from_kind(kind).table()
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
    run_id: &Id,
    version: Option<i64>,
    state: &J,
    flow_run_version: Option<i64>,
) -> Result<(), ApiError> {
    let text = state.to_string();
    let state_kind = check_stored_state(text.len(), type_field(state), get(state, "state").map(type_field)).map_err(|e| ApiError::bad_input(e.0))?;
    let entity = Entity::from_kind(kind);
    let table = entity.table();
    let columns: &'static str = if kind == RunKind::Task { "tenant_id, version, flow_run_id" } else { "tenant_id, version, NULL" };
    let run = find_scoped(conn, scope, entity, Lookup::by_id(columns), run_id.as_str(), |r| {
        Ok(RunNow { tenant_id: r.get(0)?, version: r.get(1)?, flow_run_id: r.get(2)? })
    })?;
    let what = kind.label();
    let run = run.ok_or_else(|| ApiError::not_found(what, run_id.as_str()))?;
    if let Some(v) = version {
        if v != run.version {
            return Err(ApiError::version_locking(format!(
                "State update failed: version {v} of {what} {} is not its current version {}",
                run_id.as_str(),
                run.version
            )));
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
            Some(J::String(s)) => Some(Time::parse(s).ok_or_else(|| ApiError::bad_input(format!("invalid state start_time {s:?}")))?.into_string()),
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
    .execute(params![Id::random(), t, run.tenant_id, run_id, message, result, start_time, state_kind.name(), new_version, text])?;
    let reschedule = kind == RunKind::Flow && state_kind.is_scheduled() && start_time.is_some();
    // Prefect Server beats a run's heart when it is set Running (and a flow run Submitted).
    let beat = state_kind.is_running() || (kind == RunKind::Flow && state_kind == StateKind::Submitted);
    conn.prepare_cached(&format!(
        "UPDATE {table} SET version = ?1, state = ?2, state_message = ?3, state_result = ?4, state_start_time = ?5,
            state_timestamp = ?6, serialized_state = ?7, updated = ?6,
            start_time = CASE WHEN ?8 AND start_time IS NULL THEN ?6 ELSE start_time END,
            end_time = CASE WHEN ?9 THEN ?6 ELSE end_time END,
            heartbeat = CASE WHEN ?11 THEN ?6 ELSE heartbeat END{}
         WHERE id = ?10",
        if kind == RunKind::Flow { ", scheduled_start_time = CASE WHEN ?12 THEN ?5 ELSE scheduled_start_time END" } else { "" }
    ))?
    .execute(rusqlite::params_from_iter(
        [
            Sql::Integer(new_version),
            state_kind.name().to_string().into(),
            message.into(),
            result.into(),
            start_time.into(),
            t.into(),
            text.into(),
            Sql::Integer(state_kind.is_running() as i64),
            Sql::Integer(state_kind.is_finished() as i64),
            run_id.as_str().to_string().into(),
            Sql::Integer(beat as i64),
        ]
        .into_iter()
        .chain((kind == RunKind::Flow).then_some(Sql::Integer(reschedule as i64))),
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
        let cancelled = StateDraft::new(StateKind::Cancelled, "Flow run was cancelled.");
        for id in unfinished {
            write_own(conn, RunKind::Task, &Id::stored(id), None, &cancelled)?;
        }
    }
    Ok(())
}

/// The answer for one state of `set_flow_run_states` / `set_task_run_states`.
#[derive(Debug, serde::Serialize)]
pub struct StateAnswer {
    pub id: Id,
    /// `SUCCESS`, or `QUEUED` when a task tag limit kept a task run from Running (its state is
    /// then unchanged and the engine waits before trying again).
    pub status: &'static str,
    pub message: Option<String>,
}

/// `set_flow_run_states` / `set_task_run_states`: all the given states, or none. A flow run set
/// Submitted by an agent (`X-PREFECT-AGENT-ID`) records the agent.
pub fn set_states(conn: &Connection, caller: &Caller, kind: RunKind, input: &SetStates) -> Result<Vec<StateAnswer>, ApiError> {
    let mut out = Vec::with_capacity(input.states.len());
    for s in &input.states {
        let parsed;
        let state = match &s.state {
            J::String(text) => {
                parsed = serde_json::from_str::<J>(text).map_err(|_| ApiError::bad_input("state must be a JSON object"))?;
                &parsed
            }
            other => other,
        };
        let named = |name: StateKind| matches!(type_field(state), TypeField::Named(n) if n == name.name());
        if kind == RunKind::Task && named(StateKind::Running) {
            tenant_of(conn, &caller.scope, Entity::TaskRun, &s.run_id)?;
            if let Some(tag) = task_tag_limits::full_tag(conn, &s.run_id)? {
                let message = format!("Queued by concurrency limit on tag {tag:?}.");
                out.push(StateAnswer { id: s.run_id.clone(), status: "QUEUED", message: Some(message) });
                continue;
            }
        }
        set_state(conn, &caller.scope, kind, &s.run_id, s.version, state, s.flow_run_version)?;
        if let (RunKind::Flow, true, Some(agent_id)) = (kind, named(StateKind::Submitted), &caller.headers.agent_id) {
            agents::submitted(conn, &s.run_id, agent_id)?;
        }
        out.push(StateAnswer { id: s.run_id.clone(), status: "SUCCESS", message: None });
    }
    Ok(out)
}

/// The run's state type and version, if the run exists.
pub fn current(conn: &Connection, kind: RunKind, id: &Id) -> Result<Option<(Option<String>, i64)>, ApiError> {
    let sql = format!("SELECT state, version FROM {} WHERE id = ?", run_table(kind));
    Ok(conn.prepare_cached(&sql)?.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
}

/// `cancel_flow_run`: finished → unchanged; running → Cancelling; otherwise → Cancelled.
/// Returns the run's state type afterwards.
pub fn cancel_flow_run(conn: &Connection, scope: &Scope, id: &Id) -> Result<Option<String>, ApiError> {
    tenant_of(conn, scope, Entity::FlowRun, id)?;
    let (state, _) = current(conn, RunKind::Flow, id)?.ok_or_else(|| ApiError::not_found("flow run", id.as_str()))?;
    let new = match state.as_deref().and_then(StateKind::from_name) {
        Some(k) if k.is_finished() => return Ok(state),
        Some(StateKind::Cancelling) => return Ok(state),
        Some(k) if k.is_running() => StateKind::Cancelling,
        _ => StateKind::Cancelled,
    };
    let message = if new == StateKind::Cancelling { "Flow run is cancelling" } else { "Flow run is cancelled" };
    let state = serde_json::to_value(StateDraft::<J>::new(new, message)).map_err(|e| ApiError::bad_input(e.to_string()))?;
    set_state(conn, scope, RunKind::Flow, id, None, &state, None)?;
    Ok(Some(new.name().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_the_server_writes() {
        let mut scheduled = runner_state(StateKind::Scheduled, "Flow run scheduled.");
        scheduled.start_time = Some("2030-01-02T03:04:05.000000+00:00".into());
        assert_eq!(
            serde_json::to_value(&scheduled).unwrap(),
            json!({"type": "Scheduled", "message": "Flow run scheduled.", "start_time": "2030-01-02T03:04:05.000000+00:00",
                   "context": {}, "cached_inputs": {}, "_result": {"type": "NoResultType", "__version__": PREFECT_CORE_VERSION},
                   "__version__": PREFECT_CORE_VERSION})
        );
    }

    #[test]
    fn what_the_stored_state_rule_reads() {
        assert_eq!(type_field(&json!({"type": "Running"})), TypeField::Named("Running"));
        assert_eq!(type_field(&json!({"type": 3})), TypeField::Missing);
        assert_eq!(type_field(&json!({"message": "m"})), TypeField::Missing);
        assert_eq!(type_field(&json!("Running")), TypeField::NotAnObject);
        assert_eq!(type_field(&J::Null), TypeField::NotAnObject);
    }
}

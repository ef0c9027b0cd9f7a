//! The queue of flow runs due to start: `get_runs_in_queue` for agents (Prefect Server's rule,
//! labels included), and the simulated agent's own polling, with one rule for what is due.

use prefect_wasm::client_core::state::StateKind;
use rusqlite::{params, Connection};
use serde::Deserialize;

use super::{agents, Id, Time};
use crate::app::Caller;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct RunsInQueue {
    pub tenant_id: Id,
    /// Due by this time (default: now).
    pub before: Option<Time>,
    /// The agent's labels.
    pub labels: Option<Vec<String>>,
}

/// Runs fetched before the label rule is applied, and handed out at most (Prefect Server's
/// `queued_runs_returned_limit` and three times it).
const RETURNED: usize = 25;
const FETCHED: i64 = 3 * RETURNED as i64;

/// The state types a run waits to start in: Scheduled and its subclasses, and Queued.
fn waiting_states() -> String {
    let names: Vec<String> = StateKind::ALL
        .into_iter()
        .filter(|k| k.is_scheduled() || *k == StateKind::Queued)
        .map(|k| format!("'{}'", k.name()))
        .collect();
    names.join(", ")
}

/// Due: waiting to start, and its start time (`start`, SQL) has come by `before` (a parameter).
fn due(state: &str, start: &str, before: &str) -> String {
    format!("{state} IN ({}) AND {start} <= {before}", waiting_states())
}

/// A flow run's start time: its state's, else the scheduled one.
const RUN_START: &str = "coalesce(r.state_start_time, r.scheduled_start_time)";

/// Whether an agent with `agent_labels` may run a run labelled `run_labels`: every run label is
/// the agent's, and an agent with labels takes no run without any.
pub fn labels_match(run_labels: &[String], agent_labels: &[String]) -> bool {
    run_labels.iter().all(|l| agent_labels.contains(l)) && !(run_labels.is_empty() && !agent_labels.is_empty())
}

/// `get_runs_in_queue`: the tenant's runs that are due, or Running with a task run that is due
/// (a retry), earliest first, whose labels the agent matches; at most 25. Marks the calling
/// agent (`X-PREFECT-AGENT-ID`) as having queried.
pub fn runs_in_queue(conn: &Connection, caller: &Caller, input: &RunsInQueue) -> Result<Vec<String>, ApiError> {
    let tenant_id = &input.tenant_id;
    if !caller.scope.allows_tenant(tenant_id.as_str()) {
        return Err(ApiError::not_found("tenant", tenant_id.as_str()));
    }
    let before = input.before.clone().unwrap_or_else(Time::now);
    let agent_labels = input.labels.clone().unwrap_or_default();
    let sql = format!(
        "SELECT r.id, r.labels FROM flow_run r WHERE r.tenant_id = ?1 AND (({})
            OR (r.state = 'Running' AND EXISTS (SELECT 1 FROM task_run t WHERE t.flow_run_id = r.id AND {})))
         ORDER BY {RUN_START}, r.rowid LIMIT ?3",
        due("r.state", RUN_START, "?2"),
        due("t.state", "t.state_start_time", "?2"),
    );
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(params![tenant_id, before, FETCHED], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut ids = Vec::new();
    for row in rows {
        let (id, labels) = row?;
        let run_labels: Vec<String> = serde_json::from_str(&labels).unwrap_or_default();
        if ids.len() < RETURNED && labels_match(&run_labels, &agent_labels) {
            ids.push(id);
        }
    }
    if let Some(agent_id) = &caller.headers.agent_id {
        agents::queried(conn, agent_id)?;
    }
    Ok(ids)
}

/// Every tenant's due runs now, with their versions, earliest first, at most `limit`.
pub fn due_now(conn: &Connection, limit: i64) -> Result<Vec<(Id, i64)>, ApiError> {
    let mut st = conn.prepare_cached(&format!("SELECT r.id, r.version FROM flow_run r WHERE {} ORDER BY r.scheduled_start_time LIMIT ?", due("r.state", RUN_START, "?")))?;
    let rows = st.query_map(params![Time::now(), limit], |r| Ok((Id::stored(r.get(0)?), r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(labels: &[&str]) -> Vec<String> {
        labels.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn prefect_servers_label_rule() {
        assert!(labels_match(&l(&["a"]), &l(&["a"])));
        assert!(labels_match(&l(&["b"]), &l(&["a", "b"])));
        assert!(!labels_match(&l(&["a", "b"]), &l(&["a"])));
        assert!(!labels_match(&l(&["zzz"]), &l(&["a"])));
        assert!(!labels_match(&l(&[]), &l(&["a"])));
        assert!(labels_match(&l(&[]), &l(&[])));
        assert!(!labels_match(&l(&["a"]), &l(&[])));
    }

    #[test]
    fn waiting_states_are_scheduled_kinds_and_queued() {
        assert_eq!(waiting_states(), "'Scheduled', 'Paused', 'Resume', 'Retrying', 'Queued'");
    }
}

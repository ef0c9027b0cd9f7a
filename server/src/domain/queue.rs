//! The queue of flow runs due to start: `get_runs_in_queue` for agents, and the simulated
//! agent's own polling, with one rule for what is due.

use rusqlite::{params, Connection};
use serde::Deserialize;

use super::{Id, Time};
use crate::app::Scope;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct RunsInQueue {
    pub tenant_id: Id,
    /// Due by this time (default: now).
    pub before: Option<Time>,
}

/// A run is due when it is Scheduled (or Retrying, or resumed) and its start time has come.
const DUE: &str = "state IN ('Scheduled', 'Retrying', 'Resume') AND coalesce(state_start_time, scheduled_start_time) <= ?";

/// `get_runs_in_queue`: the tenant's due runs, earliest first, at most 500.
pub fn runs_in_queue(conn: &Connection, scope: &Scope, input: &RunsInQueue) -> Result<Vec<String>, ApiError> {
    let tenant_id = &input.tenant_id;
    if !scope.allows_tenant(tenant_id.as_str()) {
        return Err(ApiError::not_found("tenant", tenant_id.as_str()));
    }
    let before = input.before.clone().unwrap_or_else(Time::now);
    let mut st = conn.prepare_cached(&format!("SELECT id FROM flow_run WHERE tenant_id = ? AND {DUE} ORDER BY scheduled_start_time LIMIT 500"))?;
    let ids = st.query_map(params![tenant_id, before], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// Every tenant's due runs now, with their versions, earliest first, at most `limit`.
pub fn due_now(conn: &Connection, limit: i64) -> Result<Vec<(Id, i64)>, ApiError> {
    let mut st = conn.prepare_cached(&format!("SELECT id, version FROM flow_run WHERE {DUE} ORDER BY scheduled_start_time LIMIT ?"))?;
    let rows = st.query_map(params![Time::now(), limit], |r| Ok((Id::stored(r.get(0)?), r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

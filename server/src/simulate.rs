//! `--simulate`: a simulated agent. It picks up Scheduled flow runs whose start time has come,
//! creates their task runs from the flow's tasks, and moves them Submitted → Running →
//! Success / Failed (a small failure rate, some Retrying) with short realistic delays, writing
//! logs. It honours cancellation: a Cancelling run is cancelled, a Cancelled one stops.
//!
//! Every write goes through `domain` (the same rules and versions as the API), and every state
//! it writes is built with the client core's state code.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prefect_wasm::client_core::run_kind::RunKind;
use prefect_wasm::client_core::state::{PrefectResult, StateDraft, StateKind};
use rand::Rng;
use serde_json::{json, Value as J};

use crate::app::{Scope, SharedApp};
use crate::db::{fmt_time, now};
use crate::domain::logs::{self, LogLine, WriteLogs};
use crate::domain::states::{self, runner_state as state};
use crate::domain::task_runs::{self, TaskRunKey};
use crate::domain::{queue, Id};
use crate::error::ApiError;

/// Delay multiplier (tests make the agent quicker with `PREFECT_DEV_SERVER_SIMULATE_SPEED=0.2`).
fn speed() -> f64 {
    std::env::var("PREFECT_DEV_SERVER_SIMULATE_SPEED").ok().and_then(|s| s.parse().ok()).filter(|s: &f64| *s > 0.0).unwrap_or(1.0)
}

async fn pause(ms_min: u64, ms_max: u64) {
    let ms = rand::thread_rng().gen_range(ms_min..=ms_max) as f64 * speed();
    tokio::time::sleep(Duration::from_millis(ms as u64)).await;
}

pub fn spawn(app: SharedApp) {
    let active: Arc<Mutex<HashSet<String>>> = Arc::default();
    tokio::spawn(async move {
        // runs this agent was executing when the process stopped: cancel or reschedule them
        let stranded = {
            let app = app.clone();
            tokio::task::spawn_blocking(move || stranded_runs(&app)).await
        };
        for (id, state_name, version) in stranded.ok().and_then(Result::ok).unwrap_or_default() {
            let st = if state_name == "Cancelling" {
                state(StateKind::Cancelled, "Flow run was cancelled.")
            } else {
                let mut st = state(StateKind::Scheduled, "Rescheduled: the dev server restarted while this run was in progress.");
                st.start_time = Some(now());
                st
            };
            if let Err(e) = set(&app, RunKind::Flow, &id, version, st).await {
                tracing::warn!(flow_run_id = %id, error = %e.message, "simulate: cannot recover run");
            }
        }
        loop {
            tokio::time::sleep(Duration::from_millis((400.0 * speed().min(1.0)) as u64)).await;
            let due = {
                let app = app.clone();
                tokio::task::spawn_blocking(move || due_runs(&app)).await
            };
            let due = match due {
                Ok(Ok(d)) => d,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e.message, "simulate: cannot list scheduled runs");
                    continue;
                }
                Err(_) => continue,
            };
            for (id, version) in due {
                if !active.lock().unwrap().insert(id.clone()) {
                    continue;
                }
                let (app, active) = (app.clone(), active.clone());
                tokio::spawn(async move {
                    let claimed = submit(&app, &id, version).await;
                    if let Ok(version) = claimed {
                        tracing::info!(flow_run_id = %id, "simulate: running flow run");
                        if let Err(e) = run_flow(&app, &id, version).await {
                            tracing::info!(flow_run_id = %id, code = e.code, error = %e.message, "simulate: flow run stopped");
                        }
                    }
                    active.lock().unwrap().remove(&id);
                });
            }
        }
    });
}

fn due_runs(app: &crate::app::App) -> Result<Vec<(String, i64)>, ApiError> {
    let due = app.db.read(|c| queue::due_now(c, 20))?;
    Ok(due.into_iter().map(|(id, version)| (id.into_string(), version)).collect())
}

fn stranded_runs(app: &crate::app::App) -> Result<Vec<(String, String, i64)>, ApiError> {
    app.db.read(|c| {
        let mut st = c.prepare("SELECT id, state, version FROM flow_run WHERE state IN ('Submitted', 'Running', 'Cancelling')")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}

/// Runs `f` on the blocking pool inside one write transaction.
async fn write<T: Send + 'static>(
    app: &SharedApp,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || app.db.write(f)).await.map_err(|e| ApiError::new(crate::error::API_ERROR, e.to_string()))?
}

/// Sets a state (expecting `version`) through the API rules; returns the run's new version.
async fn set(app: &SharedApp, kind: RunKind, id: &str, version: i64, state: StateDraft<J>) -> Result<i64, ApiError> {
    let id = Id::stored(id.to_string());
    write(app, move |tx| {
        states::write_own(tx, kind, &id, Some(version), &state)?;
        Ok(version + 1)
    })
    .await
}

async fn log(app: &SharedApp, flow_run_id: &str, task_run_id: Option<&str>, level: &str, name: &str, message: String) {
    let line = LogLine {
        flow_run_id: Id::stored(flow_run_id.to_string()),
        task_run_id: task_run_id.map(|id| Id::stored(id.to_string())),
        timestamp: None,
        message: Some(message),
        name: Some(name.to_string()),
        level: Some(level.to_string()),
        info: None,
    };
    let _ = write(app, move |tx| logs::write(tx, &Scope::Open, &WriteLogs { logs: vec![line] })).await;
}

async fn submit(app: &SharedApp, id: &str, version: i64) -> Result<i64, ApiError> {
    let mut st = state(StateKind::Submitted, "Submitted for execution");
    let inner = serde_json::to_value(state(StateKind::Scheduled, "Flow run scheduled.")).map_err(|e| ApiError::bad_input(e.to_string()))?;
    st.extra.push(("state".into(), inner));
    set(app, RunKind::Flow, id, version, st).await
}

async fn flow_state(app: &SharedApp, id: &str) -> Result<(Option<String>, i64), ApiError> {
    let (app, id2) = (app.clone(), Id::stored(id.to_string()));
    tokio::task::spawn_blocking(move || app.db.read(|c| states::current(c, RunKind::Flow, &id2)))
        .await
        .map_err(|e| ApiError::new(crate::error::API_ERROR, e.to_string()))??
        .ok_or_else(|| ApiError::not_found("flow run", id))
}

/// Stop unless the flow run is still Running at `version`; a Cancelling run is cancelled.
async fn check(app: &SharedApp, id: &str, version: i64) -> Result<(), ApiError> {
    let (st, v) = flow_state(app, id).await?;
    if st.as_deref() == Some("Cancelling") {
        set(app, RunKind::Flow, id, v, state(StateKind::Cancelled, "Flow run was cancelled.")).await?;
        log(app, id, None, "INFO", "prefect.FlowRunner", "Flow run was cancelled.".into()).await;
        return Err(ApiError::bad_input("cancelled"));
    }
    if st.as_deref() != Some("Running") || v != version {
        return Err(ApiError::bad_input(format!("the flow run is now {} (version {v})", st.unwrap_or_default())));
    }
    Ok(())
}

struct Task {
    id: String,
    name: String,
    max_retries: i64,
}

async fn flow_plan(app: &SharedApp, flow_run_id: &str) -> Result<(String, Vec<Task>, Vec<(String, String)>), ApiError> {
    let (app, id) = (app.clone(), flow_run_id.to_string());
    tokio::task::spawn_blocking(move || {
        app.db.read(|c| {
            let (flow_id, name): (String, String) =
                c.query_row("SELECT f.id, f.name FROM flow_run r JOIN flow f ON f.id = r.flow_id WHERE r.id = ?", [&id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let mut st = c.prepare("SELECT id, coalesce(name, slug), coalesce(max_retries, 0) FROM task WHERE flow_id = ? ORDER BY created, rowid")?;
            let tasks = st
                .query_map([&flow_id], |r| Ok(Task { id: r.get(0)?, name: r.get(1)?, max_retries: r.get(2)? }))?
                .collect::<Result<Vec<_>, _>>()?;
            let mut st = c.prepare("SELECT upstream_task_id, downstream_task_id FROM edge WHERE flow_id = ?")?;
            let edges = st.query_map([&flow_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
            Ok((name, tasks, edges))
        })
    })
    .await
    .map_err(|e| ApiError::new(crate::error::API_ERROR, e.to_string()))?
}

/// Tasks in dependency order (Kahn; anything in a cycle goes last, in creation order).
fn topo(tasks: Vec<Task>, edges: &[(String, String)]) -> Vec<Task> {
    let mut indeg: HashMap<&str, usize> = tasks.iter().map(|t| (t.id.as_str(), 0)).collect();
    for (_, down) in edges {
        if let Some(d) = indeg.get_mut(down.as_str()) {
            *d += 1;
        }
    }
    let mut order: Vec<String> = Vec::new();
    let mut ready: Vec<String> = tasks.iter().filter(|t| indeg[t.id.as_str()] == 0).map(|t| t.id.clone()).collect();
    let mut indeg: HashMap<String, usize> = indeg.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    while let Some(id) = (!ready.is_empty()).then(|| ready.remove(0)) {
        order.push(id.clone());
        for (_, down) in edges.iter().filter(|(up, _)| *up == id) {
            if let Some(d) = indeg.get_mut(down) {
                *d -= 1;
                if *d == 0 {
                    ready.push(down.clone());
                }
            }
        }
    }
    let mut tasks = tasks;
    let mut out = Vec::new();
    for id in &order {
        if let Some(i) = tasks.iter().position(|t| &t.id == id) {
            out.push(tasks.remove(i));
        }
    }
    out.extend(tasks);
    out
}

async fn run_flow(app: &SharedApp, id: &str, version: i64) -> Result<(), ApiError> {
    let (flow_name, tasks, edges) = flow_plan(app, id).await?;
    let tasks = topo(tasks, &edges);
    pause(300, 700).await;
    let (st, v) = flow_state(app, id).await?;
    if st.as_deref() == Some("Cancelling") || st.as_deref() == Some("Cancelled") || v != version {
        if st.as_deref() == Some("Cancelling") {
            set(app, RunKind::Flow, id, v, state(StateKind::Cancelled, "Flow run was cancelled.")).await?;
        }
        return Err(ApiError::bad_input("not running: changed before start"));
    }
    let mut fv = set(app, RunKind::Flow, id, version, state(StateKind::Running, "Running flow.")).await?;
    log(app, id, None, "INFO", "prefect.FlowRunner", format!("Beginning Flow run for '{flow_name}'")).await;

    let mut failed: HashSet<String> = HashSet::new();
    for task in &tasks {
        check(app, id, fv).await?;
        let key = TaskRunKey { flow_run_id: Id::stored(id.to_string()), task_id: Id::stored(task.id.clone()), map_index: None };
        let (tr, mut tv) = write(app, move |tx| {
            let tr = task_runs::get_or_create(tx, &Scope::Open, &key)?;
            let v = states::current(tx, RunKind::Task, &tr)?.map(|s| s.1).unwrap_or(0);
            Ok((tr.into_string(), v))
        })
        .await?;
        let logger = format!("prefect.TaskRunner.{}", task.name);
        if edges.iter().any(|(up, down)| *down == task.id && failed.contains(up)) {
            let msg = "Trigger was \"all_successful\" but some of the upstream tasks failed.";
            set(app, RunKind::Task, &tr, tv, state(StateKind::TriggerFailed, msg)).await?;
            log(app, id, Some(&tr), "ERROR", &logger, format!("Task '{}': Finished task run for task with final state: 'TriggerFailed'", task.name)).await;
            failed.insert(task.id.clone());
            continue;
        }
        tv = set(app, RunKind::Task, &tr, tv, state(StateKind::Running, "Starting task run.")).await?;
        log(app, id, Some(&tr), "INFO", &logger, format!("Task '{}': Starting task run...", task.name)).await;
        let mut attempt = 1;
        let outcome = loop {
            // work, in slices, so that cancellation is noticed quickly
            let slices = rand::thread_rng().gen_range(3..=8);
            for _ in 0..slices {
                pause(80, 160).await;
                check(app, id, fv).await?;
            }
            let roll: f64 = rand::thread_rng().gen();
            if roll < 0.12 && attempt <= task.max_retries.max(1) {
                let retry_at = fmt_time(chrono::Utc::now() + chrono::Duration::milliseconds((1000.0 * speed()) as i64));
                let mut st = state(StateKind::Retrying, &format!("Retrying Task (after attempt {attempt} of {}).", task.max_retries.max(1) + 1));
                st.start_time = Some(retry_at);
                st.extra.push(("run_count".into(), json!(attempt)));
                tv = set(app, RunKind::Task, &tr, tv, st).await?;
                log(app, id, Some(&tr), "WARNING", &logger, format!("Task '{}': Simulated transient error; retrying (attempt {attempt}).", task.name)).await;
                pause(800, 1000).await;
                check(app, id, fv).await?;
                tv = set(app, RunKind::Task, &tr, tv, state(StateKind::Running, "Starting task run.")).await?;
                attempt += 1;
                continue;
            }
            break if roll > 0.965 { StateKind::Failed } else { StateKind::Success };
        };
        if outcome == StateKind::Failed {
            let st = state(StateKind::Failed, "Error during execution of task: ValueError('simulated failure')");
            set(app, RunKind::Task, &tr, tv, st).await?;
            log(app, id, Some(&tr), "ERROR", &logger, format!("Task '{}': Exception encountered during task execution!\nValueError: simulated failure", task.name)).await;
            failed.insert(task.id.clone());
        } else {
            let mut st = state(StateKind::Success, "Task run succeeded.");
            let value = json!({"task": task.name, "rows": rand::thread_rng().gen_range(10..5000)});
            st.result = Some(PrefectResult::new(value.to_string()));
            set(app, RunKind::Task, &tr, tv, st).await?;
            log(app, id, Some(&tr), "INFO", &logger, format!("Task '{}': Finished task run for task with final state: 'Success'", task.name)).await;
        }
        fv = flow_state(app, id).await?.1.max(fv);
    }
    check(app, id, fv).await?;
    let (kind, msg) = if failed.is_empty() { (StateKind::Success, "All reference tasks succeeded.") } else { (StateKind::Failed, "Some reference tasks failed.") };
    set(app, RunKind::Flow, id, fv, state(kind, msg)).await?;
    log(app, id, None, if failed.is_empty() { "INFO" } else { "ERROR" }, "prefect.FlowRunner", format!("Flow run {}: {msg}", kind.name().to_uppercase())).await;
    Ok(())
}

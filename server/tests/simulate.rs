//! `--simulate`: scheduled runs are picked up and executed; cancellation is honoured.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value as J};

fn start() -> Server {
    std::env::set_var("PREFECT_DEV_SERVER_SIMULATE_SPEED", "0.3");
    Server::start(&["--simulate"])
}

async fn wait_for(s: &Server, id: &str, pred: impl Fn(&str) -> bool, secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (state, _) = run_state(s, id).await;
        if pred(&state) {
            return state;
        }
        assert!(Instant::now() < deadline, "run {id} still {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const FINISHED: [&str; 4] = ["Success", "Failed", "Cancelled", "TriggerFailed"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_runs_are_executed() {
    let s = start();
    let p = project(&s).await;
    let mut flow = etl_flow();
    flow["tasks"][0]["max_retries"] = json!(2);
    let f = create_flow(&s, &p, flow).await;
    let future = create_run(&s, &f, json!({"scheduled_start_time": "2099-01-01T00:00:00Z"})).await;
    let mut runs = Vec::new();
    for _ in 0..6 {
        runs.push(create_run(&s, &f, json!({})).await);
    }
    for id in &runs {
        wait_for(&s, id, |st| FINISHED.contains(&st), 60).await;
    }
    let mut outcomes = Vec::new();
    for id in &runs {
        let d = s
            .ok(
                "query($id: uuid!) { flow_run_by_pk(id: $id) { state version start_time end_time
                    states(order_by: {version: asc}) { state version }
                    task_runs { state version task { slug } states(order_by: {version: asc}) { state version } }
                    logs_aggregate { aggregate { count } } } }",
                json!({ "id": id }),
            )
            .await;
        let r = &d["flow_run_by_pk"];
        let states: Vec<&str> = r["states"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect();
        assert_eq!(&states[..3], ["Scheduled", "Submitted", "Running"], "{r}");
        assert!(["Success", "Failed"].contains(states.last().unwrap()), "{r}");
        assert_eq!(r["version"].as_i64().unwrap() as usize, states.len());
        assert!(r["start_time"].is_string() && r["end_time"].is_string());
        let trs = r["task_runs"].as_array().unwrap();
        assert_eq!(trs.len(), 3, "one task run per task: {r}");
        for tr in trs {
            let ts: Vec<&str> = tr["states"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect();
            assert_eq!(ts[0], "Pending");
            assert!(["Success", "Failed", "TriggerFailed"].contains(ts.last().unwrap()), "{tr}");
            assert_eq!(tr["version"].as_i64().unwrap() as usize, ts.len());
        }
        assert!(r["logs_aggregate"]["aggregate"]["count"].as_i64().unwrap() >= 4);
        outcomes.push(states.last().unwrap().to_string());
    }
    eprintln!("outcomes: {outcomes:?}");
    assert_eq!(run_state(&s, &future).await.0, "Scheduled", "a run scheduled for later waits");
}

/// A chain of `n` tasks. Each task takes at least 3 work slices, so a run of 12 is still working
/// for well over half a second after it went Running: it cannot finish between the moment the
/// test sees it Running and its cancel.
fn chain_flow(n: usize) -> J {
    let tasks: Vec<J> = (0..n).map(|i| json!({"slug": format!("t{i}"), "name": format!("t{i}"), "max_retries": 0})).collect();
    let edges: Vec<J> = (1..n).map(|i| json!({"upstream_task": format!("t{}", i - 1), "downstream_task": format!("t{i}")})).collect();
    json!({"name": "chain", "__version__": "1.4.1", "tasks": tasks, "edges": edges, "parameters": [{"slug": "source", "required": true, "default": null}]})
}

/// `cancel_flow_run`'s answer: the state it reports.
async fn cancel(s: &Server, id: &str) -> String {
    let d = s.ok("mutation($id: UUID!) { cancel_flow_run(input: {flow_run_id: $id}) { state } }", json!({"id": id})).await;
    d["cancel_flow_run"]["state"].as_str().unwrap_or_else(|| panic!("no state in the answer: {d}")).to_string()
}

async fn flow_states(s: &Server, id: &str) -> Vec<String> {
    let d = s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { states(order_by: {version: asc}) { state } } }", json!({"id": id})).await;
    d["flow_run_by_pk"]["states"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_is_honoured() {
    let s = start();
    let p = project(&s).await;
    const TASKS: usize = 12;
    let f = create_flow(&s, &p, chain_flow(TASKS)).await;

    // a run that has not started is cancelled at once
    let later = create_run(&s, &f, json!({"scheduled_start_time": "2099-01-01T00:00:00Z"})).await;
    assert_eq!(cancel(&s, &later).await, "Cancelled", "cancelling a Scheduled run");
    assert_eq!(run_state(&s, &later).await.0, "Cancelled");

    // a running run answers Cancelling, then the agent cancels it and stops
    let run = create_run(&s, &f, json!({})).await;
    wait_for(&s, &run, |st| st == "Running", 20).await;
    assert_eq!(cancel(&s, &run).await, "Cancelling", "cancelling a Running run");
    assert_eq!(wait_for(&s, &run, |st| st != "Cancelling", 10).await, "Cancelled");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (state, version) = run_state(&s, &run).await;
    assert_eq!(state, "Cancelled", "the run stays cancelled");
    let states = flow_states(&s, &run).await;
    assert_eq!(states[states.len() - 3..], ["Running", "Cancelling", "Cancelled"], "{states:?}");
    let d = s.ok("query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}}) { state } }", json!({"id": run})).await;
    let task_states: Vec<&str> = d["task_run"].as_array().unwrap().iter().map(|t| t["state"].as_str().unwrap()).collect();
    assert!(task_states.iter().all(|t| ["Success", "Cancelled"].contains(t)), "{task_states:?}");
    assert!(task_states.iter().filter(|t| **t == "Success").count() < TASKS, "every task ran: the cancel did not stop the run: {task_states:?}");

    // a finished run is left as it is
    assert_eq!(cancel(&s, &run).await, "Cancelled", "cancelling a Cancelled run");
    assert_eq!(run_state(&s, &run).await, (state, version), "cancelling a finished run wrote a state");

    // a run set Cancelled directly stops too
    let run2 = create_run(&s, &f, json!({})).await;
    wait_for(&s, &run2, |st| st == "Running", 20).await;
    let r = set_flow_state(&s, &run2, None, json!({"type": "Cancelled"})).await;
    assert!(r.get("errors").is_none(), "{r}");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let d = s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { state task_runs { state } } }", json!({"id": run2})).await;
    assert_eq!(d["flow_run_by_pk"]["state"], "Cancelled");
    for tr in d["flow_run_by_pk"]["task_runs"].as_array().unwrap() {
        assert!(tr["state"] == "Success" || tr["state"] == "Cancelled", "{tr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_interrupted_by_a_restart_are_rescheduled_and_finish() {
    std::env::set_var("PREFECT_DEV_SERVER_SIMULATE_SPEED", "0.3");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.sqlite");
    let db = db.to_str().unwrap();
    let mut s = Server::start(&["--simulate", "--db", db]);
    let p = project(&s).await;
    let f = create_flow(&s, &p, etl_flow()).await;
    let run = create_run(&s, &f, json!({})).await;
    wait_for(&s, &run, |st| st == "Running", 20).await;
    s.kill9();
    let s = Server::start(&["--simulate", "--db", db]);
    let end = wait_for(&s, &run, |st| ["Success", "Failed"].contains(&st), 30).await;
    let d = s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { states(order_by: {version: asc}) { state message } } }", json!({"id": run})).await;
    let states: Vec<&str> = d["flow_run_by_pk"]["states"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect();
    assert!(states.windows(2).any(|w| w == ["Running", "Scheduled"]), "{states:?}");
    assert_eq!(states.last().copied(), Some(end.as_str()));
}

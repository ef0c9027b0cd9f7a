//! `--simulate`: scheduled runs are picked up and executed; cancellation is honoured.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_is_honoured() {
    let s = start();
    let p = project(&s).await;
    let mut flow = etl_flow();
    for t in flow["tasks"].as_array_mut().unwrap() {
        t["max_retries"] = json!(0);
    }
    let f = create_flow(&s, &p, flow).await;
    let run = create_run(&s, &f, json!({})).await;
    wait_for(&s, &run, |st| st == "Running", 20).await;
    let d = s.ok("mutation($id: UUID!) { cancel_flow_run(input: {flow_run_id: $id}) { state } }", json!({"id": run})).await;
    let st = d["cancel_flow_run"]["state"].as_str().unwrap().to_string();
    if st == "Cancelling" {
        wait_for(&s, &run, |st| st != "Cancelling", 10).await;
    }
    let (state, _) = run_state(&s, &run).await;
    // unless it finished in the meantime, it is Cancelled now, and stays so
    if st == "Cancelling" {
        assert_eq!(state, "Cancelled");
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(run_state(&s, &run).await.0, "Cancelled");
        let d = s.ok("query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}}) { state } }", json!({"id": run})).await;
        for tr in d["task_run"].as_array().unwrap() {
            assert!(["Success", "Cancelled"].contains(&tr["state"].as_str().unwrap()), "{tr}");
        }
    }
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

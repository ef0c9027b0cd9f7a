//! Version locking under concurrency, and crash safety (kill -9 during a write burst).

mod common;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_n_concurrent_sets_with_one_version_exactly_one_wins() {
    let (s, _p, f) = with_flow(&[]).await;
    let s = std::sync::Arc::new(s);
    for round in 0..5 {
        let run = create_run(&s, &f, json!({})).await;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let s = s.clone();
            let run = run.clone();
            tasks.push(tokio::spawn(async move {
                set_flow_state(&s, &run, Some(1), json!({"type": "Running", "message": format!("writer {i}")})).await
            }));
        }
        let mut wins = 0;
        let mut locked = 0;
        for t in tasks {
            let r = t.await.unwrap();
            if r.get("errors").is_none() {
                wins += 1;
            } else {
                assert_eq!(r["errors"][0]["extensions"]["code"], "VERSION_LOCKING_ERROR", "{r}");
                locked += 1;
            }
        }
        assert_eq!((wins, locked), (1, 23), "round {round}");
        assert_eq!(run_state(&s, &run).await, ("Running".into(), 2));
        let d = s.ok("query($id: uuid!) { flow_run_state_aggregate(where: {flow_run_id: {_eq: $id}}) { aggregate { count } } }", json!({"id": run})).await;
        assert_eq!(d["flow_run_state_aggregate"]["aggregate"]["count"], 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/dir/prefect.sqlite");
    let db = db.to_str().unwrap().to_string();
    let (mut s, _p, f) = with_flow(&["--db", &db]).await;
    let run = create_run(&s, &f, json!({})).await;
    let url = s.url.clone();
    // writers: runs created and states set, each acknowledged one recorded
    let acked_runs = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let acked_version = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(1));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut handles = Vec::new();
    for w in 0..4 {
        let (url, f, run, acked_runs, acked_version, stop) = (url.clone(), f.clone(), run.clone(), acked_runs.clone(), acked_version.clone(), stop.clone());
        handles.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                i += 1;
                if w == 0 {
                    // a chain of versioned states on one run
                    let v = acked_version.load(std::sync::atomic::Ordering::SeqCst);
                    let body = json!({"query": SET_FLOW_RUN_STATES, "variables": {"input": {"states": [{"flow_run_id": run, "version": v, "state": {"type": if i % 2 == 0 { "Running" } else { "Scheduled" }}}]}}});
                    let Ok(r) = http.post(&url).json(&body).send().await else { break };
                    let Ok(b) = r.json::<serde_json::Value>().await else { break };
                    if b.get("errors").is_none() {
                        acked_version.store(v + 1, std::sync::atomic::Ordering::SeqCst);
                    }
                } else {
                    let body = json!({"query": "mutation($i: create_flow_run_input!) { create_flow_run(input: $i) { id } }",
                                      "variables": {"i": {"flow_id": f, "parameters": {"source": format!("w{w}-{i}")}}}});
                    let Ok(r) = http.post(&url).json(&body).send().await else { break };
                    let Ok(b) = r.json::<serde_json::Value>().await else { break };
                    if let Some(id) = b["data"]["create_flow_run"]["id"].as_str() {
                        acked_runs.lock().unwrap().push(id.to_string());
                    }
                }
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    s.kill9();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for h in handles {
        let _ = h.await;
    }
    let acked = acked_runs.lock().unwrap().clone();
    let version = acked_version.load(std::sync::atomic::Ordering::SeqCst);
    assert!(acked.len() > 10 && version > 3, "the burst wrote something ({} runs, version {version})", acked.len());

    let s2 = Server::start(&["--db", &db]);
    let d = s2.ok("{ flow_run(where: {parameters: {_has_key: \"source\"}}) { id } }", json!({})).await;
    let present: std::collections::HashSet<String> = d["flow_run"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    let missing: Vec<&String> = acked.iter().filter(|id| !present.contains(*id)).collect();
    assert!(missing.is_empty(), "{} acknowledged runs lost: {missing:?}", missing.len());
    let (_, v) = run_state(&s2, &run).await;
    assert!(v >= version, "acknowledged version {version}, found {v}");
    // and every run is consistent: its version equals its number of states
    let d = s2.ok("{ flow_run { version states_aggregate: states { id } } }", json!({})).await;
    for r in d["flow_run"].as_array().unwrap() {
        assert_eq!(r["version"].as_i64().unwrap() as usize, r["states_aggregate"].as_array().unwrap().len());
    }
}

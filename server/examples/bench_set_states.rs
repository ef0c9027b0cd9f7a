//! Throughput of `set_flow_run_states` against the real server binary (not a test).
//!
//!     cargo build --release -p prefect-dev-server --bins --examples
//!     target/release/examples/bench_set_states [--db file|memory] [--seconds N] [--clients N]
//!
//! Starts `prefect-dev-server` from the same target directory on a free port, creates one flow
//! run per client, and has each client set states on its run as fast as it can, each with the
//! run's current version (so every set passes version locking and commits one transaction).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value as J};

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned()).unwrap_or_else(|| default.to_string())
}

#[tokio::main]
async fn main() {
    let db_kind = arg("--db", "file");
    let seconds: u64 = arg("--seconds", "5").parse().unwrap();
    let clients: usize = arg("--clients", "8").parse().unwrap();
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("prefect-dev-server");
    let dir = std::env::temp_dir().join(format!("bench-set-states-{}", std::process::id()));
    let db = if db_kind == "memory" { ":memory:".to_string() } else { dir.join("bench.sqlite").to_string_lossy().into_owned() };
    let mut child = Command::new(&bin)
        .args(["--listen", "127.0.0.1:0", "--db", &db])
        .env("PREFECT_DEV_SERVER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e} (build it first)", bin.display()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("prefect-dev-server listening on ").unwrap().to_string();
    let http = reqwest::Client::new();
    let gql = |q: &str, v: J| {
        let (http, url) = (http.clone(), url.clone());
        let body = json!({"query": q, "variables": v});
        async move { http.post(&url).json(&body).send().await.unwrap().json::<J>().await.unwrap() }
    };
    let t = gql("{ tenant { id } }", json!({})).await;
    let tenant = t["data"]["tenant"][0]["id"].as_str().unwrap().to_string();
    let p = gql("mutation($i: create_project_input!) { create_project(input: $i) { id } }", json!({"i": {"tenant_id": tenant, "name": "bench"}})).await;
    let project = p["data"]["create_project"]["id"].as_str().unwrap().to_string();
    let flow = json!({"name": "bench", "tasks": [{"slug": "a"}], "edges": [], "parameters": []});
    let f = gql("mutation($i: create_flow_input!) { create_flow(input: $i) { id } }", json!({"i": {"serialized_flow": flow, "project_id": project}})).await;
    let flow_id = f["data"]["create_flow"]["id"].as_str().unwrap().to_string();

    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut handles = Vec::new();
    for _ in 0..clients {
        let r = gql("mutation($i: create_flow_run_input!) { create_flow_run(input: $i) { id } }", json!({"i": {"flow_id": flow_id}})).await;
        let run = r["data"]["create_flow_run"]["id"].as_str().unwrap().to_string();
        let (http, url, done) = (http.clone(), url.clone(), done.clone());
        handles.push(tokio::spawn(async move {
            let mut version = 1;
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let kind = if version % 2 == 0 { "Running" } else { "Scheduled" };
                let body = json!({"query": "mutation($input: set_flow_run_states_input!) { set_flow_run_states(input: $input) { states { id status } } }",
                                  "variables": {"input": {"states": [{"flow_run_id": run, "version": version, "state": {"type": kind, "message": "bench"}}]}}});
                let started = Instant::now();
                let b: J = http.post(&url).json(&body).send().await.unwrap().json().await.unwrap();
                latencies.push(started.elapsed());
                assert!(b.get("errors").is_none(), "{b}");
                version += 1;
                done.fetch_add(1, Ordering::Relaxed);
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut lat = Vec::new();
    for h in handles {
        lat.extend(h.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort();
    let n = done.load(Ordering::Relaxed);
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!(
        "set_flow_run_states: {n} sets in {elapsed:.1} s = {:.0} sets/s ({clients} clients, db {db_kind}); latency p50 {:?} p99 {:?}",
        n as f64 / elapsed,
        pct(0.5),
        pct(0.99)
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

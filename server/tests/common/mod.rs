//! Test support: start the real binary on a free port, talk GraphQL to it over HTTP.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value as J};

pub struct Server {
    pub url: String,
    pub child: Child,
    pub stdout_lines: Vec<String>,
    pub http: reqwest::Client,
    pub token: Option<String>,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        let mut all = vec!["--listen", "127.0.0.1:0"];
        if !args.contains(&"--db") {
            all.extend(["--db", ":memory:"]);
        }
        all.extend(args);
        let mut child = Command::new(env!("CARGO_BIN_EXE_prefect-dev-server"))
            .args(&all)
            .env("PREFECT_DEV_SERVER_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start prefect-dev-server");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    // keep draining so the server never blocks on stdout
                }
            }
        });
        let first = rx.recv_timeout(Duration::from_secs(30)).expect("startup line");
        let url = first
            .strip_prefix("prefect-dev-server listening on ")
            .unwrap_or_else(|| panic!("unexpected startup line {first:?}"))
            .to_string();
        let mut stdout_lines = vec![first];
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(150)) {
            stdout_lines.push(line);
        }
        Server { url, child, stdout_lines, http: reqwest::Client::new(), token: None }
    }

    /// POSTs a GraphQL document; returns the whole response body.
    pub async fn raw(&self, query: &str, variables: J) -> J {
        self.raw_with(query, variables, &[]).await
    }

    /// `raw` with extra request headers (Prefect's `X-PREFECT-AGENT-ID`, ...).
    pub async fn raw_with(&self, query: &str, variables: J, headers: &[(&str, &str)]) -> J {
        let mut req = self.http.post(format!("{}/graphql", self.url)).json(&json!({"query": query, "variables": variables}));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        assert_eq!(resp.status(), 200, "GraphQL answers 200");
        resp.json().await.expect("json body")
    }

    /// `data` of a response that must not have errors.
    pub async fn ok(&self, query: &str, variables: J) -> J {
        let body = self.raw(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// The `extensions.code` of the first error of a response that must fail.
    pub async fn err(&self, query: &str, variables: J) -> String {
        let body = self.raw(query, variables).await;
        let code = body["errors"][0]["extensions"]["code"].as_str();
        code.unwrap_or_else(|| panic!("expected an error with a code: {body}")).to_string()
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub const SET_FLOW_RUN_STATES: &str = "mutation($input: set_flow_run_states_input!) { set_flow_run_states(input: $input) { states { id status message } } }";
pub const SET_TASK_RUN_STATES: &str = "mutation($input: set_task_run_states_input!) { set_task_run_states(input: $input) { states { id status message } } }";

pub async fn project(s: &Server) -> String {
    let t = s.ok("{ tenant { id } }", json!({})).await;
    let tenant = t["tenant"][0]["id"].as_str().unwrap().to_string();
    let d = s
        .ok("mutation($i: create_project_input!) { create_project(input: $i) { id } }", json!({"i": {"tenant_id": tenant, "name": format!("p-{}", uuid_like())}}))
        .await;
    d["create_project"]["id"].as_str().unwrap().to_string()
}

pub fn uuid_like() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

pub fn etl_flow() -> J {
    json!({
        "name": "ETL", "__version__": "1.4.1",
        "tasks": [{"slug": "extract", "name": "extract"}, {"slug": "transform", "name": "transform"}, {"slug": "load", "name": "load"}],
        "edges": [{"upstream_task": "extract", "downstream_task": "transform", "key": "x"}, {"upstream_task": {"slug": "transform"}, "downstream_task": {"slug": "load"}}],
        "parameters": [{"slug": "source", "required": true, "default": null}, {"slug": "batch", "required": false, "default": 10}],
    })
}

pub async fn create_flow(s: &Server, project_id: &str, flow: J) -> String {
    let d = s
        .ok("mutation($i: create_flow_input!) { create_flow(input: $i) { id } }", json!({"i": {"serialized_flow": flow, "project_id": project_id}}))
        .await;
    d["create_flow"]["id"].as_str().unwrap().to_string()
}

pub async fn create_run(s: &Server, flow_id: &str, extra: J) -> String {
    let mut input = json!({"flow_id": flow_id, "parameters": {"source": "s3://x"}});
    if let J::Object(m) = extra {
        for (k, v) in m {
            input[k] = v;
        }
    }
    let d = s.ok("mutation($i: create_flow_run_input!) { create_flow_run(input: $i) { id } }", json!({ "i": input })).await;
    d["create_flow_run"]["id"].as_str().unwrap().to_string()
}

pub async fn set_flow_state(s: &Server, id: &str, version: Option<i64>, state: J) -> J {
    s.raw(SET_FLOW_RUN_STATES, json!({"input": {"states": [{"flow_run_id": id, "version": version, "state": state}]}})).await
}

pub async fn run_state(s: &Server, id: &str) -> (String, i64) {
    let d = s.ok("query($id: uuid!) { flow_run_by_pk(id: $id) { state version } }", json!({ "id": id })).await;
    (d["flow_run_by_pk"]["state"].as_str().unwrap().to_string(), d["flow_run_by_pk"]["version"].as_i64().unwrap())
}

/// A server with one project and the ETL flow: (server, project id, flow id).
pub async fn with_flow(args: &[&str]) -> (Server, String, String) {
    let s = Server::start(args);
    let p = project(&s).await;
    let f = create_flow(&s, &p, etl_flow()).await;
    (s, p, f)
}

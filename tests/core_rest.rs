//! The REST protocol's operations natively (Prefect 2/3), driven with scripted answers the way
//! the wasm driver drives them: the requests each one sends, and what it makes of the answers,
//! orchestration results, errors and retries included.
#![cfg(not(target_arch = "wasm32"))]

use prefect_wasm::client_core::config::{ClientOptions, ClientState};
use prefect_wasm::client_core::error::{Error, ErrorCode};
use prefect_wasm::client_core::http::{Answer, Failure, FailureKind, Method, Outcome, Request};
use prefect_wasm::client_core::operations::{self, CreateArgs, PollArgs, SetStateArgs};
use prefect_wasm::client_core::run_kind::RunKind;
use prefect_wasm::client_core::runner::{Env, Input, Runner, Step};
use prefect_wasm::client_core::state::StateSpec;
use serde_json::{json, Value};

const RUN: &str = "6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f";
const FLOW: &str = "0b6f3a0e-1111-4c5b-9e8f-0a1b2c3d4e5f";
const DEPLOYMENT: &str = "d0d0d0d0-2222-4c5b-9e8f-0a1b2c3d4e5f";
const API: &str = "http://prefect.test/api";
const NOW: f64 = 1_764_619_200_000.0;

fn client() -> ClientState<Value> {
    ClientOptions { api: Some("rest".into()), api_server: Some(format!("{API}/")), ..Default::default() }.into_client().unwrap()
}

#[derive(Clone, Debug)]
struct Sent {
    method: Method,
    path: String,
    body: Option<Value>,
    authorization: Option<String>,
}

fn sent(request: &Request<Value>) -> Sent {
    let path = request.url.strip_prefix(API).unwrap_or_else(|| panic!("not under the API URL: {}", request.url)).to_string();
    let body = request.body.as_ref().map(|b| serde_json::from_str(b.as_str().expect("JSON text")).unwrap());
    let authorization = request.headers.iter().rev().find(|(n, _)| n == "Authorization").map(|(_, v)| v.clone());
    Sent { method: request.method, path, body, authorization }
}

fn answer(status: u16, body: Value) -> Outcome<Value> {
    Outcome::Answered(Answer { status, retry_after: None, body: Some(body) })
}
fn bare(status: u16) -> Outcome<Value> {
    Outcome::Answered(Answer { status, retry_after: None, body: None })
}

struct Drive {
    result: Result<Value, Error<Value>>,
    sent: Vec<Sent>,
}

/// Drives one operation to its end (waits pass at once; the clock moves by them).
fn drive(mut runner: Runner<Value>, client: &mut ClientState<Value>, server: &mut dyn FnMut(&Sent) -> Outcome<Value>) -> Drive {
    let mut now = NOW;
    let mut sent_all = Vec::new();
    let mut input = Input::Start;
    for _ in 0..1000 {
        match runner.step(input, client, Env { now_ms: now, random: 0.5 }) {
            Step::Send(request) => {
                let s = sent(&request);
                let outcome = server(&s);
                sent_all.push(s);
                input = Input::Answered(outcome);
            }
            Step::Wait(ms) => {
                now += ms;
                input = Input::Resumed;
            }
            Step::Done(result) => return Drive { result, sent: sent_all },
            Step::Yield(_) => panic!("unexpected yield"),
            Step::StartRefresh(_) | Step::JoinRefresh => panic!("REST never refreshes"),
        }
    }
    panic!("the operation did not end");
}

fn state(type_: &str, name: &str) -> Value {
    json!({"id": "5a5a5a5a-3333-4c5b-9e8f-0a1b2c3d4e5f", "type": type_, "name": name, "timestamp": "2026-12-01T20:00:00.000000Z", "message": null, "data": null, "state_details": {}})
}
fn flow_run(state: Value) -> Value {
    json!({"id": RUN, "name": "brave-otter", "state": state})
}
fn orchestration(status: &str, details: Value, state: Value) -> Value {
    json!({"status": status, "details": details, "state": state})
}

fn set_args(state: &str) -> SetStateArgs<Value> {
    SetStateArgs { id: RUN.into(), state: StateSpec::named(state), result: None, expected_state: None, force: false }
}

fn set_state(args: SetStateArgs<Value>, server: &mut dyn FnMut(&Sent) -> Outcome<Value>) -> Drive {
    let mut c = client();
    let runner = operations::set_state(&c, RunKind::Flow, args, "flowRunId", NOW).unwrap();
    drive(runner, &mut c, server)
}

#[test]
fn create_from_a_flow_maps_every_option() {
    let mut c = client();
    let args = CreateArgs {
        flow_id: FLOW.into(),
        parameters: Some(json!({"x": 1})),
        context: Some(json!({"k": "v"})),
        parent_task_run_id: Some(RUN.into()),
        labels: Some(vec!["a".into(), "b".into()]),
        scheduled_start_time: Some("2030-01-01T00:00:00+01:00".into()),
        idempotency_key: Some("key-1".into()),
        name: Some("my-run".into()),
        deployment_id: None,
    };
    let runner = operations::create_flow_run(&c, args).unwrap();
    let mut calls = 0;
    let d = drive(runner, &mut c, &mut |_| {
        calls += 1;
        // A lost answer of a keyed create is asked for again (the server answers the same run).
        if calls == 1 { bare(503) } else { answer(201, flow_run(state("SCHEDULED", "Scheduled"))) }
    });
    assert_eq!(d.result.unwrap(), json!({"id": RUN}));
    assert_eq!(d.sent.len(), 2);
    let s = &d.sent[0];
    assert_eq!((s.method, s.path.as_str(), s.authorization.as_deref()), (Method::Post, "/flow_runs/", None));
    assert_eq!(
        s.body.clone().unwrap(),
        json!({"flow_id": FLOW, "name": "my-run", "parameters": {"x": 1}, "context": {"k": "v"}, "tags": ["a", "b"], "parent_task_run_id": RUN,
               "state": {"type": "SCHEDULED", "name": "Scheduled", "state_details": {"scheduled_time": "2029-12-31T23:00:00.000Z"}}, "idempotency_key": "key-1"})
    );
    assert_eq!(d.sent[1].body, d.sent[0].body);
}

#[test]
fn create_without_a_key_is_not_repeated_and_from_a_deployment_sends_no_flow() {
    let mut c = client();
    let args = CreateArgs { flow_id: FLOW.into(), ..Default::default() };
    let d = drive(operations::create_flow_run(&c, args).unwrap(), &mut c, &mut |_| bare(503));
    assert_eq!((d.result.unwrap_err().code, d.sent.len()), (ErrorCode::Http, 1));

    let args = CreateArgs { flow_id: String::new(), deployment_id: Some(DEPLOYMENT.into()), parameters: Some(json!({"y": 2})), ..Default::default() };
    let d = drive(operations::create_flow_run(&c, args).unwrap(), &mut c, &mut |_| answer(201, flow_run(state("SCHEDULED", "Scheduled"))));
    assert_eq!(d.result.unwrap(), json!({"id": RUN}));
    assert_eq!(d.sent[0].path, format!("/deployments/{DEPLOYMENT}/create_flow_run"));
    assert_eq!(d.sent[0].body, Some(json!({"parameters": {"y": 2}})));

    for bad in [
        CreateArgs { flow_id: "nope".into(), ..Default::default() },
        CreateArgs { flow_id: FLOW.into(), deployment_id: Some("../x".into()), ..Default::default() },
        CreateArgs { flow_id: FLOW.into(), scheduled_start_time: Some("tomorrow".into()), ..Default::default() },
        CreateArgs { flow_id: FLOW.into(), parent_task_run_id: Some("p".into()), ..Default::default() },
    ] {
        assert_eq!(operations::create_flow_run(&c, bad).err().unwrap().code, ErrorCode::InvalidArgument);
    }
}

#[test]
fn get_state_reads_the_servers_state() {
    let mut c = client();
    let mut s = state("SCHEDULED", "Late");
    s["data"] = json!({"rows": [1, 2]});
    let body = flow_run(s.clone());
    let d = drive(operations::get_state(&c, RunKind::Task, RUN.into(), "taskRunId").unwrap(), &mut c, &mut |_| answer(200, body.clone()));
    assert_eq!(d.sent[0].path, format!("/task_runs/{RUN}"));
    assert_eq!((d.sent[0].method, d.sent[0].body.clone()), (Method::Get, None));
    assert_eq!(
        d.result.unwrap(),
        json!({"id": RUN, "type": "SCHEDULED", "name": "Late", "message": null, "result": {"rows": [1, 2]}, "version": null, "timestamp": "2026-12-01T20:00:00.000000Z", "serializedState": s})
    );
    // A persisted result is a reference JS cannot read: null, and visible in serializedState.
    let mut s = state("COMPLETED", "Completed");
    s["data"] = json!({"storage_key": "/results/abc", "serializer": {"type": "pickle"}, "expiration": null});
    let d = drive(operations::get_state(&c, RunKind::Flow, RUN.into(), "flowRunId").unwrap(), &mut c, &mut |_| answer(200, flow_run(s.clone())));
    assert_eq!(d.result.unwrap()["result"], json!(null));
    let d = drive(operations::get_state(&c, RunKind::Flow, RUN.into(), "flowRunId").unwrap(), &mut c, &mut |_| answer(404, json!({"detail": "Flow run not found"})));
    let e = d.result.unwrap_err();
    assert_eq!((e.code, e.status, e.message.as_str()), (ErrorCode::NotFound, Some(404), "HTTP 404 Not Found: Flow run not found"));
    let d = drive(operations::get_state(&c, RunKind::Flow, RUN.into(), "flowRunId").unwrap(), &mut c, &mut |_| answer(200, json!({"id": RUN, "state": null})));
    assert_eq!(d.result.unwrap_err().code, ErrorCode::Decode);
}

#[test]
fn set_state_accept_sends_one_transition_and_resolves_the_new_state() {
    let mut args = set_args("Completed");
    args.result = Some(json!({"answer": 42}));
    args.state.message = Some("done".into());
    args.state.extra = vec![("state_details".into(), json!({"cache_key": "k"}))];
    let new = state("COMPLETED", "Completed");
    let d = set_state(args, &mut |_| answer(201, orchestration("ACCEPT", json!({"type": "accept_details"}), new.clone())));
    assert_eq!(d.sent.len(), 1);
    let s = &d.sent[0];
    assert_eq!((s.method, s.path.clone()), (Method::Post, format!("/flow_runs/{RUN}/set_state")));
    let body = s.body.clone().unwrap();
    let transition = body["state"]["state_details"]["transition_id"].as_str().unwrap().to_string();
    assert!(prefect_wasm::client_core::uuid::is_uuid(&transition));
    assert_eq!(
        body,
        json!({"state": {"type": "COMPLETED", "name": "Completed", "message": "done", "data": {"answer": 42}, "state_details": {"cache_key": "k", "transition_id": transition}}})
    );
    let rs = d.result.unwrap();
    assert_eq!((rs["type"].clone(), rs["name"].clone(), rs["version"].clone(), rs["id"].clone()), (json!("COMPLETED"), json!("Completed"), json!(null), json!(RUN)));
}

#[test]
fn reject_abort_and_wait_are_state_rejected_with_details() {
    for (status, details, delay) in [
        ("REJECT", json!({"type": "reject_details", "reason": "This run is already completed."}), None),
        ("ABORT", json!({"type": "abort_details", "reason": "Run is already PENDING."}), None),
        ("WAIT", json!({"type": "wait_details", "reason": "Scheduled for later.", "delay_seconds": 30}), Some(json!(30))),
    ] {
        let current = state("PENDING", "Pending");
        let d = set_state(set_args("running"), &mut |_| answer(200, orchestration(status, details.clone(), current.clone())));
        let e = d.result.unwrap_err();
        assert_eq!(e.code, ErrorCode::StateRejected, "{status}");
        let got = e.details.unwrap();
        assert_eq!(got["status"], json!(status));
        assert_eq!(got["reason"], details["reason"]);
        assert_eq!(got.get("delaySeconds").cloned(), delay);
        assert_eq!(got["state"]["type"], json!("PENDING"));
        assert!(e.message.starts_with(&format!("Prefect answered {status}: ")), "{}", e.message);
        assert_eq!(d.sent.len(), 1, "never repeated");
    }
}

#[test]
fn retries_repeat_the_same_transition_id_and_a_reject_of_it_is_success() {
    let mut attempts = Vec::new();
    let d = set_state(set_args("RUNNING"), &mut |s| {
        let body = s.body.clone().unwrap();
        attempts.push(body["state"]["state_details"]["transition_id"].as_str().unwrap().to_string());
        match attempts.len() {
            1 => Outcome::Failed(Failure { kind: FailureKind::Network, detail: "reset".into(), cause: None }),
            2 => bare(502),
            // The first attempt was applied: Prefect refuses the same transition again, and its
            // state carries our id.
            _ => {
                let mut current = state("RUNNING", "Running");
                current["state_details"] = json!({"transition_id": attempts[0].to_uppercase()});
                answer(200, orchestration("REJECT", json!({"reason": "This run has already made this state transition."}), current))
            }
        }
    });
    assert_eq!(d.result.unwrap()["type"], json!("RUNNING"));
    assert_eq!(attempts.len(), 3);
    assert!(attempts.iter().all(|t| t == &attempts[0]), "{attempts:?}");

    // force skips Prefect's rules (the duplicate check too): never repeated.
    let mut args = set_args("Failed");
    args.force = true;
    let d = set_state(args, &mut |_| bare(503));
    assert_eq!((d.result.unwrap_err().code, d.sent.len()), (ErrorCode::Http, 1));
    assert_eq!(d.sent[0].body.clone().unwrap()["force"], json!(true));
}

#[test]
fn expected_state_reads_first() {
    let mut args = set_args("Running");
    args.expected_state = Some("scheduled".into());
    let d = set_state(args.clone(), &mut |_| answer(200, flow_run(state("PENDING", "Pending"))));
    assert_eq!(d.result.unwrap_err().code, ErrorCode::StateMismatch);
    assert_eq!(d.sent.len(), 1, "nothing written");
    let d = set_state(args, &mut |s| match s.method {
        Method::Get => answer(200, flow_run(state("SCHEDULED", "Late"))),
        _ => answer(201, orchestration("ACCEPT", json!({}), state("RUNNING", "Running"))),
    });
    assert_eq!(d.result.unwrap()["type"], json!("RUNNING"));
    assert_eq!(d.sent.iter().map(|s| s.method).collect::<Vec<_>>(), [Method::Get, Method::Post]);
}

#[test]
fn bad_set_state_arguments_send_nothing() {
    let c = client();
    let mut bad = vec![set_args("Success"), set_args("Late"), set_args(""), SetStateArgs { id: "x".into(), ..set_args("RUNNING") }];
    let mut expected = set_args("RUNNING");
    expected.expected_state = Some("Nope".into());
    bad.push(expected);
    let mut details = set_args("RUNNING");
    details.state.extra = vec![("state_details".into(), json!("x"))];
    bad.push(details);
    let mut name = set_args("RUNNING");
    name.state.extra = vec![("name".into(), json!(3))];
    bad.push(name);
    for args in bad {
        assert_eq!(operations::set_state(&c, RunKind::Flow, args, "flowRunId", NOW).err().unwrap().code, ErrorCode::InvalidArgument);
    }
}

#[test]
fn run_schedules_now_and_refuses_start_tasks() {
    let mut c = client();
    let runner = operations::run(&c, RUN.into(), None, None, NOW).unwrap();
    let d = drive(runner, &mut c, &mut |_| answer(201, orchestration("ACCEPT", json!({}), state("SCHEDULED", "Scheduled"))));
    let body = d.sent[0].body.clone().unwrap();
    assert_eq!((body["state"]["type"].clone(), body["state"]["state_details"]["scheduled_time"].clone()), (json!("SCHEDULED"), json!("2025-12-01T20:00:00.000Z")));
    assert!(operations::run(&c, RUN.into(), Some(vec!["t".into()]), None, NOW).is_err());
    assert!(operations::run(&c, RUN.into(), None, Some(json!({})), NOW).is_err());
}

#[test]
fn login_checks_basic_credentials_once_and_keeps_them_only_when_right() {
    let mut c = client();
    let wrong = operations::login(&c, "user".into(), "nope".into(), None, None).unwrap();
    let d = drive(wrong, &mut c, &mut |_| answer(401, json!({"exception_message": "Unauthorized"})));
    assert_eq!((d.result.unwrap_err().code, d.sent.len()), (ErrorCode::Unauthenticated, 1));
    assert_eq!((d.sent[0].path.as_str(), d.sent[0].authorization.as_deref()), ("/admin/version", Some("Basic dXNlcjpub3Bl")));
    // nothing kept
    let d = drive(operations::get_state(&c, RunKind::Flow, RUN.into(), "flowRunId").unwrap(), &mut c, &mut |_| answer(200, flow_run(state("PENDING", "Pending"))));
    assert_eq!(d.sent[0].authorization, None);

    let right = operations::login(&c, "user".into(), "pass".into(), None, None).unwrap();
    let d = drive(right, &mut c, &mut |_| answer(200, json!("3.9.1")));
    assert!(d.result.is_ok());
    let d = drive(operations::get_state(&c, RunKind::Flow, RUN.into(), "flowRunId").unwrap(), &mut c, &mut |_| answer(200, flow_run(state("PENDING", "Pending"))));
    assert_eq!(d.sent[0].authorization.as_deref(), Some("Basic dXNlcjpwYXNz"));

    assert!(operations::login(&c, "user".into(), "p".into(), Some("team".into()), None).is_err());
    assert!(operations::login(&c, String::new(), "p".into(), None, None).is_err());
    assert_eq!(operations::refresh_token(&c).err().unwrap().code, ErrorCode::InvalidArgument);
    assert_eq!(operations::graphql(&c, json!("{ hello }"), Value::Null).err().unwrap().code, ErrorCode::InvalidArgument);
}

#[test]
fn request_checks_its_arguments_and_retries_only_what_is_safe() {
    let mut c = client();
    for (method, path, body) in [("PUT", "/x", Value::Null), ("get", "/x", Value::Null), ("GET", "flow_runs", Value::Null), ("GET", "/a b", Value::Null), ("GET", "/a\nb", Value::Null), ("GET", "/a\\b", Value::Null), ("GET", "/x", json!({}))] {
        assert_eq!(operations::request(&c, method, path, body).err().unwrap().code, ErrorCode::InvalidArgument, "{method} {path}");
    }
    let graphql = ClientOptions::default().into_client::<Value>().unwrap();
    assert_eq!(operations::request(&graphql, "GET", "/x", Value::Null).err().unwrap().code, ErrorCode::InvalidArgument);

    let attempts = |method: &str, path: &str, body: Value, c: &mut ClientState<Value>| {
        let runner = operations::request(c, method, path, body).unwrap();
        drive(runner, c, &mut |_| bare(503)).sent.len()
    };
    let set = json!({"state": {"type": "RUNNING", "state_details": {"transition_id": RUN}}});
    assert_eq!(attempts("GET", "/flow_runs/x", Value::Null, &mut c), 4, "a read: 1 + 3 retries");
    assert_eq!(attempts("POST", "/flow_runs/filter", json!({"limit": 1}), &mut c), 4);
    assert_eq!(attempts("POST", "/flow_runs/", json!({"flow_id": FLOW, "idempotency_key": "k"}), &mut c), 4);
    assert_eq!(attempts("POST", "/flow_runs/x/set_state", set.clone(), &mut c), 4);
    assert_eq!(attempts("POST", "/flow_runs/x/set_state", json!({"state": set["state"], "force": true}), &mut c), 1);
    assert_eq!(attempts("POST", "/flow_runs/", json!({"flow_id": FLOW}), &mut c), 1);
    assert_eq!(attempts("PATCH", "/flow_runs/x", json!({"name": "n"}), &mut c), 1);
    assert_eq!(attempts("DELETE", "/flow_runs/x", Value::Null, &mut c), 1);

    let runner = operations::request(&c, "POST", "/logs/", json!([{"message": "m"}])).unwrap();
    let d = drive(runner, &mut c, &mut |_| answer(201, Value::Null));
    assert_eq!((d.result.unwrap(), d.sent[0].body.clone()), (Value::Null, Some(json!([{"message": "m"}]))));
    for (status, code) in [(401, ErrorCode::Unauthenticated), (403, ErrorCode::Unauthenticated), (404, ErrorCode::NotFound), (409, ErrorCode::NotFound), (422, ErrorCode::Http)] {
        let runner = operations::request(&c, "POST", "/flow_runs/", json!({})).unwrap();
        let detail = json!({"exception_message": "Invalid request received.", "exception_detail": [{"msg": "Field required"}]});
        let e = drive(runner, &mut c, &mut |_| answer(status, detail.clone())).result.unwrap_err();
        assert_eq!((e.code, e.status), (code, Some(status)));
        assert_eq!(e.details, Some(detail));
    }
}

#[test]
fn wait_polls_until_a_terminal_type_and_until_is_any_case() {
    let mut c = client();
    let mut reads = 0;
    let runner = operations::wait(&c, RunKind::Flow, RUN.into(), "flowRunId", PollArgs::default(), NOW).unwrap();
    let d = drive(runner, &mut c, &mut |_| {
        reads += 1;
        answer(200, flow_run(match reads { 1 => state("SCHEDULED", "Scheduled"), 2 => state("RUNNING", "Running"), _ => state("COMPLETED", "Completed") }))
    });
    assert_eq!((d.result.unwrap()["type"].clone(), d.sent.len()), (json!("COMPLETED"), 3));
    let args = PollArgs { until: vec!["Running".into()], ..Default::default() };
    let runner = operations::wait(&c, RunKind::Flow, RUN.into(), "flowRunId", args, NOW).unwrap();
    let d = drive(runner, &mut c, &mut |_| answer(200, flow_run(state("RUNNING", "Running"))));
    assert_eq!(d.result.unwrap()["name"], json!("Running"));
    let bad = PollArgs { until: vec!["Success".into()], ..Default::default() };
    assert!(operations::wait(&c, RunKind::Flow, RUN.into(), "flowRunId", bad, NOW).is_err());
}

//! The operations natively, driven with scripted answers the way the wasm driver drives them:
//! what each sends, in which order, with which credentials, and what it makes of the answers.
//! A small scheduler runs several operations "at once" (one step each per round) to check the
//! shared token refresh. Property tests drive them through arbitrary failures.
#![cfg(not(target_arch = "wasm32"))]

use prefect_wasm::client_core::config::{ClientOptions, ClientState};
use prefect_wasm::client_core::error::{Error, ErrorCode};
use prefect_wasm::client_core::http::{Answer, Failure, FailureKind, Method, Outcome, Request};
use prefect_wasm::client_core::operations::{self, CreateArgs, PollArgs, SetStateArgs};
use prefect_wasm::client_core::run_kind::RunKind;
use prefect_wasm::client_core::runner::{Env, Input, Runner, Step};
use prefect_wasm::client_core::state::StateSpec;
use proptest::prelude::*;
use serde_json::{json, Value};

const RUN: &str = "6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f";
const TENANT: &str = "00000000-0000-4000-8000-00000000000a";
const URL: &str = "http://prefect.test";

fn client(options: ClientOptions) -> ClientState<Value> {
    ClientOptions { api_server: Some(URL.into()), ..options }.into_client().unwrap()
}

/// What a scripted server saw.
#[derive(Clone, Debug)]
struct Sent {
    query: String,
    variables: Value,
    bearer: Option<String>,
    tenant: Option<String>,
    headers: Vec<(String, String)>,
    timeout_ms: f64,
}

fn sent(request: &Request<Value>) -> Sent {
    assert_eq!(request.method, Method::Post);
    assert_eq!(request.url, URL);
    let body: Value = serde_json::from_str(request.body.as_ref().and_then(Value::as_str).expect("a JSON text body")).unwrap();
    let header = |name: &str| request.headers.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    Sent {
        query: body["query"].as_str().unwrap().to_string(),
        variables: body.get("variables").cloned().unwrap_or(Value::Null),
        bearer: header("Authorization").map(|v| v.strip_prefix("Bearer ").unwrap().to_string()),
        tenant: header("X-PREFECT-TENANT-ID"),
        headers: request.headers.clone(),
        timeout_ms: request.timeout_ms,
    }
}

fn ok(data: Value) -> Outcome<Value> {
    Outcome::Answered(Answer { status: 200, retry_after: None, body: Some(json!({ "data": data })) })
}
fn status(code: u16, retry_after: Option<&str>) -> Outcome<Value> {
    Outcome::Answered(Answer { status: code, retry_after: retry_after.map(Into::into), body: None })
}
fn gql_error(code: &str) -> Outcome<Value> {
    Outcome::Answered(Answer { status: 200, retry_after: None, body: Some(json!({"data": null, "errors": [{"message": code, "extensions": {"code": code}}]})) })
}
fn failure(kind: FailureKind) -> Outcome<Value> {
    Outcome::Failed(Failure { kind, detail: "scripted".into(), cause: None })
}

/// One operation driven to its end against `server`; the clock starts at `now` and moves by
/// the waits. Returns the result, what was sent, and the waits.
struct Drive {
    result: Result<Value, Error<Value>>,
    sent: Vec<Sent>,
    waits: Vec<f64>,
}

fn drive(runner: Runner<Value>, client: &mut ClientState<Value>, now: f64, server: &mut dyn FnMut(&Sent) -> Outcome<Value>) -> Drive {
    let mut tasks = Tasks::new(client, now);
    tasks.spawn(runner);
    tasks.run(server);
    let result = tasks.results.remove(0).expect("the operation ended");
    Drive { result, sent: tasks.sent, waits: tasks.waits }
}

type Results = Vec<Option<Result<Value, Error<Value>>>>;
/// A task: its runner, the input it goes on with, the refresh task it waits for.
type Task = (Runner<Value>, Option<Input<Value>>, Option<usize>);

/// Several operations in flight: each round, every task that can go on takes one step. A task
/// that joins a refresh goes on once the refresh task has ended.
struct Tasks<'a> {
    client: &'a mut ClientState<Value>,
    now: f64,
    tasks: Vec<Task>,
    results: Results,
    latest_refresh: Option<usize>,
    sent: Vec<Sent>,
    waits: Vec<f64>,
}

impl<'a> Tasks<'a> {
    fn new(client: &'a mut ClientState<Value>, now: f64) -> Self {
        Tasks { client, now, tasks: Vec::new(), results: Vec::new(), latest_refresh: None, sent: Vec::new(), waits: Vec::new() }
    }

    fn spawn(&mut self, runner: Runner<Value>) -> usize {
        self.tasks.push((runner, Some(Input::Start), None));
        self.results.push(None);
        self.tasks.len() - 1
    }

    fn run(&mut self, server: &mut dyn FnMut(&Sent) -> Outcome<Value>) {
        for _round in 0..10_000 {
            let mut progressed = false;
            for i in 0..self.tasks.len() {
                if self.results[i].is_some() {
                    continue;
                }
                if let Some(joined) = self.tasks[i].2 {
                    if self.results[joined].is_none() {
                        continue;
                    }
                    self.tasks[i].2 = None;
                    self.tasks[i].1 = Some(Input::Resumed);
                }
                let Some(input) = self.tasks[i].1.take() else { continue };
                progressed = true;
                let env = Env { now_ms: self.now, random: 0.5 };
                match self.tasks[i].0.step(input, self.client, env) {
                    Step::Send(request) => {
                        let request = sent(&request);
                        let outcome = server(&request);
                        self.sent.push(request);
                        self.tasks[i].1 = Some(Input::Answered(outcome));
                    }
                    Step::Wait(ms) => {
                        self.waits.push(ms);
                        self.now += ms;
                        self.tasks[i].1 = Some(Input::Resumed);
                    }
                    Step::StartRefresh(refresh) => {
                        let id = self.spawn(refresh);
                        self.latest_refresh = Some(id);
                        self.tasks[i].2 = Some(id);
                    }
                    Step::JoinRefresh => self.tasks[i].2 = Some(self.latest_refresh.expect("a refresh to join")),
                    Step::Yield(value) => self.results[i] = Some(Ok(value)),
                    Step::Done(result) => self.results[i] = Some(result),
                }
            }
            if !progressed {
                return;
            }
        }
        panic!("the operations never ended");
    }
}

fn run_row(kind: &str, state: &str, version: i64) -> Value {
    json!({ kind: {"id": RUN, "version": version, "state": state, "state_message": null, "state_timestamp": format!("2026-12-01T00:00:0{version}+00:00"),
                   "serialized_state": {"type": state, "__version__": "1.4.1"}} })
}

fn tokens(access: &str, refresh: &str, expires_at: &str) -> Value {
    json!({"access_token": access, "refresh_token": refresh, "expires_at": expires_at})
}

fn graphql(client: &ClientState<Value>, query: &str) -> Runner<Value> {
    operations::graphql(client, json!(query), Value::Null).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Requests and retries
// ---------------------------------------------------------------------------------------------

#[test]
fn graphql_sends_the_document_as_given_with_the_credentials() {
    let mut c = client(ClientOptions {
        token: Some("tok".into()),
        tenant_id: Some(TENANT.into()),
        headers: vec![("X-Custom".into(), "yes".into())],
        timeout_ms: Some(500.0),
        ..Default::default()
    });
    let vars = json!({"a": "it's \"quoted\" } {", "n": [1, null, true]});
    let runner = operations::graphql(&c, json!("query Q($a: String) { x(a: $a) }"), vars.clone()).unwrap();
    let d = drive(runner, &mut c, 0.0, &mut |_| ok(json!({"x": 1})));
    assert_eq!(d.result, Ok(json!({"x": 1})));
    let s = &d.sent[0];
    assert_eq!((s.query.as_str(), &s.variables), ("query Q($a: String) { x(a: $a) }", &vars));
    assert_eq!((s.bearer.as_deref(), s.tenant.as_deref(), s.timeout_ms), (Some("tok"), Some(TENANT), 500.0));
    assert_eq!(s.headers[0], ("X-Custom".to_string(), "yes".to_string()));
}

#[test]
fn graphql_arguments_are_checked_before_anything_is_sent() {
    let c = client(ClientOptions::default());
    for (query, variables) in [(json!(5), Value::Null), (json!("  "), Value::Null), (json!("{ x }"), json!([1])), (json!("{ x }"), json!("v"))] {
        let error = operations::graphql(&c, query, variables).err().unwrap();
        assert_eq!(error.code, ErrorCode::InvalidArgument);
    }
}

#[test]
fn a_query_is_retried_through_transient_failures() {
    let mut c = client(ClientOptions::default());
    let mut answers = vec![status(503, None), failure(FailureKind::Network), failure(FailureKind::Timeout), ok(json!({"hello": "x"}))].into_iter();
    let d = drive(graphql(&c, "{ hello }"), &mut c, 0.0, &mut |_| answers.next().unwrap());
    assert_eq!(d.result, Ok(json!({"hello": "x"})));
    assert_eq!(d.sent.len(), 4);
    // Equal jitter at random = 0.5: 3/4 of each doubling step.
    assert_eq!(d.waits, vec![187.5, 375.0, 750.0]);
}

#[test]
fn retries_stop_at_the_budget_with_the_last_answer() {
    let mut c = client(ClientOptions { retries: Some(1.0), ..Default::default() });
    let d = drive(graphql(&c, "{ hello }"), &mut c, 0.0, &mut |_| status(502, None));
    let error = d.result.unwrap_err();
    assert_eq!((error.code, error.status, d.sent.len()), (ErrorCode::Http, Some(502), 2));
    let d = drive(graphql(&c, "{ hello }"), &mut c, 0.0, &mut |_| status(500, None));
    assert_eq!(d.sent.len(), 1, "500 is not transient");
}

#[test]
fn a_mutation_is_not_repeated_unless_refused_without_being_applied() {
    let mut c = client(ClientOptions::default());
    for outcome in [status(503, None), failure(FailureKind::Network), failure(FailureKind::Timeout)] {
        let d = drive(graphql(&c, "mutation { do_it }"), &mut c, 0.0, &mut |_| outcome.clone());
        assert_eq!(d.sent.len(), 1, "{outcome:?}");
    }
    let error = drive(graphql(&c, "mutation { do_it }"), &mut c, 0.0, &mut |_| failure(FailureKind::Timeout)).result.unwrap_err();
    assert_eq!(error.code, ErrorCode::Timeout);
    assert_eq!(error.message, format!("no answer from {URL} within 15000 ms"));
    // 429: the server did nothing, so even a mutation goes again, after Retry-After.
    let mut answers = vec![status(429, Some("2")), ok(json!({"done": true}))].into_iter();
    let d = drive(graphql(&c, "mutation { do_it }"), &mut c, 0.0, &mut |_| answers.next().unwrap());
    assert_eq!((d.result.is_ok(), d.sent.len(), d.waits), (true, 2, vec![2000.0]));
}

#[test]
fn transport_failures_have_their_codes() {
    let mut c = client(ClientOptions { retries: Some(0.0), ..Default::default() });
    let cases = [
        (FailureKind::Network, ErrorCode::Network),
        (FailureKind::NotAResponse, ErrorCode::Network),
        (FailureKind::InvalidHeader, ErrorCode::InvalidArgument),
        (FailureKind::Aborted, ErrorCode::Aborted),
        (FailureKind::Timeout, ErrorCode::Timeout),
    ];
    for (kind, code) in cases {
        let error = drive(graphql(&c, "{ x }"), &mut c, 0.0, &mut |_| failure(kind)).result.unwrap_err();
        assert_eq!(error.code, code, "{kind:?}");
    }
}

#[test]
fn the_callers_signal_ends_the_operation_during_a_backoff() {
    let mut c = client(ClientOptions::default());
    let mut runner = graphql(&c, "{ x }");
    let env = Env { now_ms: 0.0, random: 0.5 };
    assert!(matches!(runner.step(Input::Start, &mut c, env), Step::Send(_)));
    assert!(matches!(runner.step(Input::Answered(status(503, None)), &mut c, env), Step::Wait(_)));
    match runner.step(Input::Aborted(Some(json!("user left"))), &mut c, env) {
        Step::Done(Err(error)) => assert_eq!((error.code, error.cause), (ErrorCode::Aborted, Some(json!("user left")))),
        _ => panic!("not ended"),
    }
    assert!(runner.is_done());
}

// ---------------------------------------------------------------------------------------------
// Tokens: refresh ahead, one refresh for concurrent refusals, login's tenant choice
// ---------------------------------------------------------------------------------------------

/// A session with an access token expiring at 60 s (inside the refresh window from 30 s on).
fn logged_in() -> ClientState<Value> {
    let mut c = client(ClientOptions::default());
    let login = operations::login(&c, "a@b.c".into(), "pw".into(), None, Some(TENANT.into())).unwrap();
    let mut answers = vec![
        ok(json!({"log_in": tokens("user-token", "r0", "1970-01-01T00:10:00Z")})),
        ok(json!({"switch_tenant": tokens("a1", "r1", "1970-01-01T00:01:00Z")})),
    ]
    .into_iter();
    drive(login, &mut c, 0.0, &mut |_| answers.next().unwrap()).result.unwrap();
    c
}

#[test]
fn refresh_is_prefects_form_and_replaces_the_tokens() {
    let mut c = logged_in();
    let d = drive(operations::refresh_token(&c).unwrap(), &mut c, 0.0, &mut |s| {
        assert!(s.query.contains("refresh_token("));
        ok(json!({"refresh_token": tokens("a2", "r2", "1970-01-01T01:00:00Z")}))
    });
    assert_eq!(d.result, Ok(Value::Null));
    // prefect 0.15.13: the (possibly expired) access token in the input, the refresh token as Bearer.
    assert_eq!(d.sent[0].variables, json!({"input": {"access_token": "a1"}}));
    assert_eq!(d.sent[0].bearer.as_deref(), Some("r1"));
    assert_eq!(d.sent[0].tenant.as_deref(), Some(TENANT));
    assert_eq!((c.session.access_token(), c.session.refresh_token()), (Some("a2"), Some("r2")));
}

#[test]
fn a_token_about_to_expire_is_refreshed_before_the_call() {
    let mut c = logged_in();
    let d = drive(graphql(&c, "{ hello }"), &mut c, 45_000.0, &mut |s| {
        if s.query.contains("refresh_token(") {
            ok(json!({"refresh_token": tokens("a2", "r2", "1970-01-01T01:00:00Z")}))
        } else {
            ok(json!({"hello": s.bearer}))
        }
    });
    assert_eq!(d.sent.len(), 2);
    assert_eq!(d.result, Ok(json!({"hello": "a2"})), "the call went with the fresh token");
    // Not yet due: no refresh.
    let mut c = logged_in();
    let d = drive(graphql(&c, "{ hello }"), &mut c, 29_000.0, &mut |_| ok(json!({})));
    assert_eq!(d.sent.len(), 1);
}

/// `calls` operations on `document` at once, for a logged-in session, against a server that
/// answers the refresh with the tokens "a2"/"r2", accepts "a2" and meets any other token with
/// `refusal`. What was sent, and each operation's result.
fn refused_until_refreshed(calls: usize, document: &str, refusal: Outcome<Value>) -> (Vec<Sent>, Results) {
    let mut c = logged_in();
    let runners: Vec<_> = (0..calls).map(|_| graphql(&c, document)).collect();
    let mut tasks = Tasks::new(&mut c, 0.0);
    for runner in runners {
        tasks.spawn(runner);
    }
    tasks.run(&mut |s| {
        if s.query.contains("refresh_token(") {
            ok(json!({"refresh_token": tokens("a2", "r2", "1970-01-01T01:00:00Z")}))
        } else if s.bearer.as_deref() == Some("a2") {
            ok(json!({"token": "a2"}))
        } else {
            refusal.clone()
        }
    });
    (tasks.sent, tasks.results)
}

fn refreshes(sent: &[Sent]) -> usize {
    sent.iter().filter(|s| s.query.contains("refresh_token(")).count()
}

#[test]
fn concurrent_refusals_share_one_refresh_and_each_call_is_sent_once_more() {
    let (sent, results) = refused_until_refreshed(4, "mutation { do_it }", gql_error("UNAUTHENTICATED"));
    assert_eq!(refreshes(&sent), 1);
    assert_eq!(sent.iter().filter(|s| s.query.contains("do_it")).count(), 8, "each call twice: refused, then accepted");
    for result in &results[..4] {
        assert_eq!(result.as_ref().unwrap(), &Ok(json!({"token": "a2"})));
    }
}

#[test]
fn a_failed_refresh_fails_every_call_waiting_for_it_and_a_call_is_refreshed_once() {
    let mut c = logged_in();
    let runners: Vec<_> = (0..3).map(|_| graphql(&c, "{ x }")).collect();
    let mut tasks = Tasks::new(&mut c, 0.0);
    for runner in runners {
        tasks.spawn(runner);
    }
    tasks.run(&mut |_| gql_error("UNAUTHENTICATED"));
    assert_eq!(refreshes(&tasks.sent), 1);
    for result in &tasks.results[..3] {
        assert_eq!(result.as_ref().unwrap().as_ref().unwrap_err().code, ErrorCode::Unauthenticated);
    }
    // With a working refresh but a token still refused: refreshed once, then the refusal stands.
    let mut c = logged_in();
    let d = drive(graphql(&c, "{ x }"), &mut c, 0.0, &mut |s| {
        if s.query.contains("refresh_token(") {
            ok(json!({"refresh_token": tokens("a2", "r2", "1970-01-01T01:00:00Z")}))
        } else {
            gql_error("UNAUTHENTICATED")
        }
    });
    assert_eq!((d.sent.len(), d.result.unwrap_err().code), (3, ErrorCode::Unauthenticated));
}

#[test]
fn a_static_token_is_never_refreshed() {
    let mut c = client(ClientOptions { token: Some("api-key".into()), ..Default::default() });
    let d = drive(graphql(&c, "{ x }"), &mut c, 0.0, &mut |_| status(401, None));
    assert_eq!((d.sent.len(), d.result.unwrap_err().code), (1, ErrorCode::Unauthenticated));
    let d = drive(operations::refresh_token(&c).unwrap(), &mut c, 0.0, &mut |_| unreachable!());
    assert_eq!(d.result.unwrap_err().message, "there is no refresh token: log in first");
}

fn login_script(s: &Sent) -> Outcome<Value> {
    if s.query.contains("log_in(") {
        assert_eq!(s.bearer, None, "log_in is anonymous");
        assert_eq!(s.variables, json!({"input": {"email": "a@b.c", "password": "pw"}}));
        ok(json!({"log_in": tokens("user-token", "r0", "2999-01-01T00:00:00Z")}))
    } else if s.query.contains("tenant {") {
        assert_eq!(s.bearer.as_deref(), Some("user-token"));
        ok(json!({"tenant": [{"id": "00000000-0000-4000-8000-000000000001", "name": "A", "slug": "a"}, {"id": TENANT, "name": "B", "slug": "b"}]}))
    } else {
        assert!(s.query.contains("switch_tenant("));
        assert_eq!(s.bearer.as_deref(), Some("user-token"), "switch_tenant goes with the user's token");
        ok(json!({"switch_tenant": tokens(&format!("for-{}", s.variables["input"]["tenant_id"].as_str().unwrap()), "r1", "2999-01-01T00:00:00Z")}))
    }
}

#[test]
fn login_without_an_account_lists_the_tenants() {
    let mut c = client(ClientOptions::default());
    let d = drive(operations::login(&c, "a@b.c".into(), "pw".into(), None, None).unwrap(), &mut c, 0.0, &mut login_script);
    assert_eq!(d.result.unwrap(), json!([{"id": "00000000-0000-4000-8000-000000000001", "name": "A", "slug": "a"}, {"id": TENANT, "name": "B", "slug": "b"}]));
    assert_eq!(d.sent.len(), 2);
    assert_eq!((c.session.access_token(), c.session.tenant_id.as_deref()), (Some("user-token"), None));
}

#[test]
fn login_with_a_slug_switches_to_that_tenant() {
    let mut c = client(ClientOptions::default());
    let d = drive(operations::login(&c, "a@b.c".into(), "pw".into(), Some("b".into()), None).unwrap(), &mut c, 0.0, &mut login_script);
    assert_eq!((d.result, d.sent.len()), (Ok(Value::Null), 3));
    assert_eq!(d.sent[2].variables, json!({"input": {"tenant_id": TENANT}}));
    assert_eq!((c.session.access_token(), c.session.tenant_id.as_deref()), (Some(format!("for-{TENANT}").as_str()), Some(TENANT)));
    let d = drive(operations::login(&c, "a@b.c".into(), "pw".into(), Some("nobody".into()), None).unwrap(), &mut c, 0.0, &mut login_script);
    assert_eq!((d.result.unwrap_err().code, d.sent.len()), (ErrorCode::NotFound, 2));
}

#[test]
fn login_with_an_id_switches_without_listing_and_the_id_wins_over_a_slug() {
    let mut c = client(ClientOptions::default());
    let d = drive(operations::login(&c, "a@b.c".into(), "pw".into(), Some("a".into()), Some(TENANT.into())).unwrap(), &mut c, 0.0, &mut login_script);
    assert_eq!((d.result, d.sent.len()), (Ok(Value::Null), 2));
    assert_eq!(c.session.tenant_id.as_deref(), Some(TENANT));
    for (email, slug, id) in [("", None, None), ("a@b.c", None, Some("nope"))] {
        assert_eq!(operations::login(&c, email.into(), "pw".into(), slug, id.map(Into::into)).err().unwrap().code, ErrorCode::InvalidArgument);
    }
}

#[test]
fn a_bad_login_answer_keeps_the_old_session() {
    let mut c = client(ClientOptions { token: Some("old".into()), ..Default::default() });
    let d = drive(operations::login(&c, "a@b.c".into(), "pw".into(), None, None).unwrap(), &mut c, 0.0, &mut |_| ok(json!({"log_in": {"token": 1}})));
    assert_eq!(d.result.unwrap_err().code, ErrorCode::Decode);
    assert_eq!(c.session.access_token(), Some("old"));
}

// ---------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------

fn set_state(c: &ClientState<Value>, kind: RunKind, state: &str, expected: Option<&str>) -> Runner<Value> {
    let args = SetStateArgs { id: RUN.into(), state: StateSpec::named(state), result: None, expected_state: expected.map(Into::into), force: false };
    operations::set_state(c, kind, args, "runId", 1_764_619_200_000.0).unwrap()
}

/// A run in `state` at `version`; a write moves it on by one version.
fn run_server(kind: RunKind, state: &'static str, version: i64, write: Outcome<Value>) -> impl FnMut(&Sent) -> Outcome<Value> {
    let (read_field, set_field) = match kind {
        RunKind::Flow => ("flow_run_by_pk", "set_flow_run_states"),
        RunKind::Task => ("task_run_by_pk", "set_task_run_states"),
    };
    let mut current = (state.to_string(), version);
    move |s| {
        if s.query.contains(read_field) {
            ok(run_row(read_field, &current.0, current.1))
        } else if s.query.contains(set_field) {
            if let Outcome::Answered(Answer { status: 200, body: Some(body), .. }) = &write {
                if body["data"][set_field]["states"][0]["status"] == "SUCCESS" {
                    current = (s.variables["input"]["states"][0]["state"]["type"].as_str().unwrap().to_string(), current.1 + 1);
                }
            }
            write.clone()
        } else {
            panic!("unexpected {}", s.query)
        }
    }
}

fn written(set_field: &str) -> Outcome<Value> {
    ok(json!({ set_field: {"states": [{"id": RUN, "status": "SUCCESS", "message": null}]} }))
}

#[test]
fn set_state_reads_writes_with_the_version_read_and_reads_again() {
    for (kind, id_key, set_field) in [(RunKind::Flow, "flow_run_id", "set_flow_run_states"), (RunKind::Task, "task_run_id", "set_task_run_states")] {
        let mut c = client(ClientOptions::default());
        let mut server = run_server(kind, "Scheduled", 3, written(set_field));
        let d = drive(set_state(&c, kind, "Running", Some("Scheduled")), &mut c, 0.0, &mut server);
        let state = d.result.unwrap();
        assert_eq!((state["type"].as_str(), state["name"].as_str(), state["version"].as_i64()), (Some("Running"), Some("Running"), Some(4)));
        assert_eq!(d.sent.len(), 3, "read, write, read");
        let entry = &d.sent[1].variables["input"]["states"][0];
        assert_eq!((entry[id_key].as_str(), entry["version"].as_i64()), (Some(RUN), Some(3)));
        assert_eq!(entry["state"], json!({"type": "Running", "__version__": "1.4.1"}));
    }
}

#[test]
fn expected_state_mismatch_writes_nothing() {
    let mut c = client(ClientOptions::default());
    let mut server = run_server(RunKind::Flow, "Running", 2, written("set_flow_run_states"));
    let d = drive(set_state(&c, RunKind::Flow, "Success", Some("Scheduled")), &mut c, 0.0, &mut server);
    let error = d.result.unwrap_err();
    assert_eq!(error.code, ErrorCode::StateMismatch);
    assert!(error.message.contains("Running"), "{}", error.message);
    assert_eq!(d.sent.len(), 1, "only the read");
}

#[test]
fn a_refused_write_is_an_error_and_is_not_repeated() {
    for (write, code) in [
        (gql_error("VERSION_LOCKING_ERROR"), ErrorCode::VersionLockingError),
        (ok(json!({"set_flow_run_states": {"states": [{"id": RUN, "status": "FAILED", "message": "no"}]}})), ErrorCode::Graphql),
        (ok(json!({"set_flow_run_states": {"states": []}})), ErrorCode::Decode),
        (status(503, None), ErrorCode::Http),
        (failure(FailureKind::Timeout), ErrorCode::Timeout),
    ] {
        let mut c = client(ClientOptions::default());
        let mut server = run_server(RunKind::Flow, "Running", 2, write);
        let d = drive(set_state(&c, RunKind::Flow, "Success", None), &mut c, 0.0, &mut server);
        assert_eq!(d.result.unwrap_err().code, code);
        assert_eq!(d.sent.len(), 2, "{code:?}: the read and one write");
    }
}

#[test]
fn set_state_on_a_missing_run_is_not_found_after_one_read() {
    let mut c = client(ClientOptions::default());
    let d = drive(set_state(&c, RunKind::Task, "Running", None), &mut c, 0.0, &mut |_| ok(json!({"task_run_by_pk": null})));
    assert_eq!((d.result.unwrap_err().code, d.sent.len()), (ErrorCode::NotFound, 1));
}

#[test]
fn set_state_arguments_are_checked_first() {
    let c = client(ClientOptions::default());
    let now = 0.0;
    let bad = [
        SetStateArgs { id: "nope".into(), state: StateSpec::named("Running"), result: None, expected_state: None, force: false },
        SetStateArgs { id: RUN.into(), state: StateSpec::named("running"), result: None, expected_state: None, force: false },
        SetStateArgs { id: RUN.into(), state: StateSpec::named("Running"), result: None, expected_state: Some("Nope".into()), force: false },
        SetStateArgs { id: RUN.into(), state: StateSpec::named("Running"), result: None, expected_state: None, force: true },
        SetStateArgs { id: RUN.into(), state: StateSpec::named("Success"), result: Some(json!("x".repeat(1_000_001))), expected_state: None, force: false },
    ];
    for args in bad {
        assert_eq!(operations::set_state(&c, RunKind::Flow, args, "flowRunId", now).err().unwrap().code, ErrorCode::InvalidArgument);
    }
}

#[test]
fn results_and_runs_build_prefects_state_json() {
    let mut c = client(ClientOptions::default());
    let args = SetStateArgs { id: RUN.into(), state: StateSpec::named("Success"), result: Some(json!({"rows": [1, 2]})), expected_state: None, force: false };
    let runner = operations::set_state(&c, RunKind::Flow, args, "flowRunId", 0.0).unwrap();
    let mut server = run_server(RunKind::Flow, "Running", 1, written("set_flow_run_states"));
    let d = drive(runner, &mut c, 0.0, &mut server);
    assert_eq!(d.sent[1].variables["input"]["states"][0]["state"]["_result"], json!({"type": "PrefectResult", "location": "{\"rows\":[1,2]}"}));

    let runner = operations::run(&c, RUN.into(), Some(vec!["t1".into()]), Some(json!({"t1": {"x": 1}})), 1_764_619_200_000.0).unwrap();
    let mut server = run_server(RunKind::Flow, "Pending", 1, written("set_flow_run_states"));
    let d = drive(runner, &mut c, 0.0, &mut server);
    let state = &d.sent[1].variables["input"]["states"][0]["state"];
    assert_eq!(state["type"], "Scheduled");
    assert_eq!(state["start_time"], "2025-12-01T20:00:00.000Z");
    assert_eq!(state["context"], json!({"start_tasks": ["t1"], "inputs": {"t1": {"x": 1}}}));
}

#[test]
fn create_sends_the_input_and_retries_only_with_an_idempotency_key() {
    let mut c = client(ClientOptions::default());
    let args = CreateArgs {
        flow_id: RUN.into(),
        context: Some(json!({"origin": "test"})),
        parent_task_run_id: Some(TENANT.into()),
        labels: Some(vec!["a".into()]),
        idempotency_key: Some("k".into()),
        ..Default::default()
    };
    let mut answers = vec![failure(FailureKind::Network), ok(json!({"create_flow_run": {"id": "new"}}))].into_iter();
    let d = drive(operations::create_flow_run(&c, args.clone()).unwrap(), &mut c, 0.0, &mut |_| answers.next().unwrap());
    assert_eq!(d.result, Ok(json!({"id": "new"})));
    assert_eq!(d.sent.len(), 2, "deduplicated by the key: repeated");
    assert_eq!(d.sent[0].variables["input"]["context"], json!({"origin": "test", "parent_task_run_id": TENANT}));
    let d = drive(operations::create_flow_run(&c, CreateArgs { idempotency_key: None, ..args }).unwrap(), &mut c, 0.0, &mut |_| failure(FailureKind::Network));
    assert_eq!(d.sent.len(), 1, "without a key: not repeated");
    let bad = [
        CreateArgs { flow_id: "flow".into(), ..Default::default() },
        CreateArgs { flow_id: RUN.into(), scheduled_start_time: Some("tomorrow".into()), ..Default::default() },
        CreateArgs { flow_id: RUN.into(), parent_task_run_id: Some("x".into()), ..Default::default() },
        CreateArgs { flow_id: RUN.into(), deployment_id: Some(RUN.into()), ..Default::default() },
    ];
    for args in bad {
        assert_eq!(operations::create_flow_run(&c, args).err().unwrap().code, ErrorCode::InvalidArgument);
    }
}

// ---------------------------------------------------------------------------------------------
// wait / watch
// ---------------------------------------------------------------------------------------------

/// A flow run that goes through `states`, one per read.
fn moving_run(states: &'static [&'static str]) -> impl FnMut(&Sent) -> Outcome<Value> {
    let mut reads = 0usize;
    move |_| {
        let i = reads.min(states.len() - 1);
        reads += 1;
        ok(run_row("flow_run_by_pk", states[i], i as i64 + 1))
    }
}

#[test]
fn wait_polls_until_a_finished_state() {
    let mut c = client(ClientOptions::default());
    let runner = operations::wait(&c, RunKind::Flow, RUN.into(), "flowRunId", PollArgs { interval_ms: Some(250.0), ..Default::default() }, 0.0).unwrap();
    let d = drive(runner, &mut c, 0.0, &mut moving_run(&["Scheduled", "Running", "Running", "Cached"]));
    assert_eq!(d.result.unwrap()["type"], "Cached", "Cached is a Success is Finished");
    assert_eq!((d.sent.len(), d.waits), (4, vec![250.0; 3]));
    let runner = operations::wait(&c, RunKind::Flow, RUN.into(), "flowRunId", PollArgs { until: vec!["Running".into()], ..Default::default() }, 0.0).unwrap();
    let d = drive(runner, &mut c, 0.0, &mut moving_run(&["Scheduled", "Running", "Success"]));
    assert_eq!((d.result.unwrap()["type"].as_str(), d.waits), (Some("Running"), vec![1000.0]));
}

#[test]
fn wait_times_out_at_its_deadline() {
    let mut c = client(ClientOptions::default());
    let args = PollArgs { interval_ms: Some(400.0), timeout_ms: Some(1000.0), ..Default::default() };
    let d = drive(operations::wait(&c, RunKind::Task, RUN.into(), "taskRunId", args, 0.0).unwrap(), &mut c, 0.0, &mut |_| ok(run_row("task_run_by_pk", "Running", 1)));
    let error = d.result.unwrap_err();
    assert_eq!(error.code, ErrorCode::Timeout);
    assert_eq!(error.message, format!("the task run {RUN} did not finish within 1000 ms"));
    assert_eq!(d.waits, vec![400.0, 400.0, 200.0], "the last wait ends at the deadline");
    // A read in flight at the deadline is cut there too.
    let args = PollArgs { timeout_ms: Some(1000.0), ..Default::default() };
    let mut c = client(ClientOptions::default());
    let mut runner = operations::wait(&c, RunKind::Flow, RUN.into(), "flowRunId", args, 0.0).unwrap();
    match runner.step(Input::Start, &mut c, Env { now_ms: 0.0, random: 0.5 }) {
        Step::Send(request) => assert_eq!(request.timeout_ms, 1000.0, "capped at the deadline"),
        _ => panic!("no read"),
    }
    match runner.step(Input::Answered(failure(FailureKind::Timeout)), &mut c, Env { now_ms: 1000.0, random: 0.5 }) {
        Step::Done(Err(error)) => assert!(error.message.contains("did not finish within 1000 ms")),
        _ => panic!("not ended"),
    }
}

#[test]
fn wait_checks_its_options() {
    let c = client(ClientOptions::default());
    let bad = [
        PollArgs { until: vec!["Done".into()], ..Default::default() },
        PollArgs { interval_ms: Some(0.0), ..Default::default() },
        PollArgs { timeout_ms: Some(-5.0), ..Default::default() },
    ];
    for args in bad {
        assert_eq!(operations::wait(&c, RunKind::Flow, RUN.into(), "flowRunId", args, 0.0).err().unwrap().code, ErrorCode::InvalidArgument);
    }
    assert_eq!(operations::watch(&c, RunKind::Flow, "x".into(), "flowRunId", PollArgs::default()).err().unwrap().code, ErrorCode::InvalidArgument);
}

#[test]
fn watch_yields_each_new_state_and_ends_after_a_finished_one() {
    let mut c = client(ClientOptions::default());
    let mut runner = operations::watch(&c, RunKind::Flow, RUN.into(), "flowRunId", PollArgs { interval_ms: Some(100.0), ..Default::default() }).unwrap();
    let states = [("Scheduled", 1), ("Scheduled", 1), ("Running", 2), ("Running", 2), ("Running", 2), ("Failed", 3)];
    let mut read = 0;
    let mut server = move |_: &Sent| {
        let (state, version) = states[read];
        read += 1;
        ok(run_row("flow_run_by_pk", state, version))
    };
    let (mut now, mut input, mut yielded, mut reads) = (0.0, Input::Start, Vec::new(), 0);
    loop {
        match runner.step(input, &mut c, Env { now_ms: now, random: 0.5 }) {
            Step::Send(request) => {
                reads += 1;
                input = Input::Answered(server(&sent(&request)));
            }
            Step::Wait(ms) => {
                now += ms;
                input = Input::Resumed;
            }
            Step::Yield(state) => {
                yielded.push(state["type"].as_str().unwrap().to_string());
                input = Input::Resumed;
            }
            Step::Done(result) => {
                assert_eq!(result, Ok(Value::Null), "the end of the states");
                break;
            }
            _ => panic!("no refresh here"),
        }
    }
    assert_eq!(yielded, ["Scheduled", "Running", "Failed"], "a state read again is not new");
    assert_eq!(reads, 6);
    assert!(runner.is_done());
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn any_outcome() -> impl Strategy<Value = Outcome<Value>> {
    prop_oneof![
        Just(ok(json!({"x": 1}))),
        Just(status(502, None)),
        Just(status(503, None)),
        Just(status(504, None)),
        Just(status(500, None)),
        Just(status(429, Some("1"))),
        Just(status(429, Some("3600"))),
        Just(status(429, None)),
        Just(status(401, None)),
        Just(gql_error("UNAUTHENTICATED")),
        Just(gql_error("VERSION_LOCKING_ERROR")),
        Just(failure(FailureKind::Network)),
        Just(failure(FailureKind::Timeout)),
        Just(failure(FailureKind::NotAResponse)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    /// Whatever the server answers: the operation ends, within the retry budget (plus one send
    /// after a refresh), and a mutation goes again only after a 429 or an UNAUTHENTICATED.
    #[test]
    fn retries_stay_within_the_rules(outcomes in prop::collection::vec(any_outcome(), 1..30), retries in 0u32..5, mutation in any::<bool>()) {
        let mut c = client(ClientOptions { retries: Some(retries as f64), ..Default::default() });
        let document = if mutation { "mutation { m }" } else { "query { q }" };
        let mut script = outcomes.clone().into_iter();
        let mut answered = Vec::new();
        let d = drive(graphql(&c, document), &mut c, 0.0, &mut |_| {
            let outcome = script.next().unwrap_or_else(|| ok(json!({"x": 1})));
            answered.push(outcome.clone());
            outcome
        });
        prop_assert!(d.sent.len() as u32 <= retries + 1, "{} sends with {} retries", d.sent.len(), retries);
        if mutation {
            for outcome in &answered[..answered.len() - 1] {
                let refused_unapplied = matches!(outcome, Outcome::Answered(Answer { status: 429, .. }));
                prop_assert!(refused_unapplied, "a mutation sent again after {:?}", outcome);
            }
        }
        prop_assert!(d.waits.iter().all(|w| w.is_finite() && *w >= 0.0 && *w <= 60_000.0));
    }

    /// setState sends its write at most once where the server may have applied it (a 429 is a
    /// refusal before anything happened, and is waited out), and succeeds only after a write.
    #[test]
    fn set_state_writes_at_most_once(reads in prop::collection::vec(any_outcome(), 1..6), write in any_outcome(), expected in any::<bool>()) {
        let mut c = client(ClientOptions::default());
        let mut reads = reads.into_iter();
        let mut writes = 0;
        let d = drive(set_state(&c, RunKind::Flow, "Success", expected.then_some("Running")), &mut c, 0.0, &mut |s| {
            if s.query.contains("set_flow_run_states") {
                if !matches!(write, Outcome::Answered(Answer { status: 429, .. })) {
                    writes += 1;
                }
                write.clone()
            } else {
                match reads.next() {
                    Some(Outcome::Answered(Answer { status: 200, body: Some(body), .. })) if body["data"].is_object() => ok(run_row("flow_run_by_pk", "Running", 1)),
                    Some(other) => other,
                    None => ok(run_row("flow_run_by_pk", "Running", 1)),
                }
            }
        });
        prop_assert!(writes <= 1, "{} writes", writes);
        if d.result.is_ok() {
            prop_assert_eq!(writes, 1);
        }
    }

    /// However many calls are refused at once (a 401 here), they send one refresh.
    #[test]
    fn one_refresh_for_any_number_of_refused_calls(calls in 1usize..8) {
        let (sent, results) = refused_until_refreshed(calls, "{ q }", status(401, None));
        prop_assert_eq!(refreshes(&sent), 1);
        prop_assert!(results[..calls].iter().all(|r| matches!(r, Some(Ok(_)))));
    }
}

//! Flow and task runs over REST: create (from a flow or a deployment), read, set a state through
//! Prefect's orchestration (ACCEPT, or REJECT / ABORT / WAIT as STATE_REJECTED), and `run`.

use super::{call, states, SESSION};
use crate::client_core::config::Config;
use crate::client_core::error::{Error, ErrorCode};
use crate::client_core::http::Method;
use crate::client_core::json::{IntoJson, Json, Kind};
use crate::client_core::operation::{answer, step_try, Call, Context, Event, Next, Operation};
use crate::client_core::operations::{CreateArgs, SetStateArgs};
use crate::client_core::retry::Idempotency;
use crate::client_core::run_kind::RunKind;
use crate::client_core::state::{RunState, StateSpec};
use crate::client_core::time::{format_rfc3339_ms, parse_rfc3339_ms};
use crate::client_core::uuid::{require_uuid, v7};

fn run_path(kind: RunKind, id: &str) -> String {
    match kind {
        RunKind::Flow => format!("/flow_runs/{id}"),
        RunKind::Task => format!("/task_runs/{id}"),
    }
}

fn text<V: Json>(value: &str) -> V {
    V::from_str(value)
}

/// `create(flowId, options)`: `POST /flow_runs/`, or with `deploymentId`
/// `POST /deployments/{id}/create_flow_run` (then `flowId` is not sent: it may be "").
pub fn create<V: Json>(config: &Config, args: CreateArgs<V>) -> Result<Box<dyn Operation<V>>, Error<V>> {
    let (path, mut body) = match &args.deployment_id {
        Some(deployment) => {
            require_uuid(deployment, "options.deploymentId")?;
            if !args.flow_id.is_empty() {
                require_uuid(&args.flow_id, "flowId")?;
            }
            (format!("/deployments/{deployment}/create_flow_run"), V::object())
        }
        None => {
            require_uuid(&args.flow_id, "flowId")?;
            ("/flow_runs/".to_string(), V::object().with("flow_id", text(&args.flow_id)))
        }
    };
    if let Some(name) = &args.name {
        body.set("name", text(name));
    }
    if let Some(parameters) = args.parameters {
        body.set("parameters", parameters);
    }
    if let Some(context) = args.context {
        body.set("context", context);
    }
    if let Some(labels) = &args.labels {
        body.set("tags", V::strings(labels));
    }
    if let Some(parent) = &args.parent_task_run_id {
        require_uuid(parent, "options.parentTaskRunId")?;
        body.set("parent_task_run_id", text(parent));
    }
    if let Some(time) = &args.scheduled_start_time {
        let ms = parse_rfc3339_ms(time).ok_or_else(|| Error::invalid(format!("options.scheduledStartTime must be an ISO 8601 timestamp, got {time:?}")))?;
        let details = V::object().with("scheduled_time", text(&format_rfc3339_ms(ms)));
        body.set("state", V::object().with("type", text("SCHEDULED")).with("name", text("Scheduled")).with("state_details", details));
    }
    // The server answers the existing run for a repeated key, so only then may a lost answer be repeated.
    let idempotency = match &args.idempotency_key {
        Some(key) => {
            body.set("idempotency_key", text(key));
            Idempotency::Safe
        }
        None => Idempotency::Unsafe,
    };
    let call = call(config, Method::Post, &path, Some(&body), idempotency, SESSION)?;
    Ok(Box::new(Create { call: Some(call) }))
}

struct Create<V> {
    call: Option<Call<V>>,
}

impl<V: Json> Operation<V> for Create<V> {
    fn next(&mut self, event: Event<V>, _: &mut Context<'_, V>) -> Next<V> {
        if let (Event::Start, Some(call)) = (&event, self.call.take()) {
            return Next::Call(call);
        }
        let body = step_try!(answer(event));
        let id = step_try!(body.string_field("id").ok_or_else(|| Error::decode("the created flow run has no id")));
        Next::Done(Ok(V::object().with("id", text(&id))))
    }
}

/// `getState(id)`.
pub fn get_state<V: Json>(kind: RunKind, id: String, what: &str) -> Result<Box<dyn Operation<V>>, Error<V>> {
    require_uuid(&id, what)?;
    Ok(read_operation(kind, id))
}

/// The read behind `getState`, `wait` and `watch`, for an id already checked.
pub fn read_operation<V: Json>(kind: RunKind, id: String) -> Box<dyn Operation<V>> {
    Box::new(GetState { kind, id })
}

struct GetState {
    kind: RunKind,
    id: String,
}

fn read_call<V: Json>(config: &Config, kind: RunKind, id: &str) -> Result<Call<V>, Error<V>> {
    call(config, Method::Get, &run_path(kind, id), None, Idempotency::Safe, SESSION)
}

impl<V: Json> Operation<V> for GetState {
    fn next(&mut self, event: Event<V>, cx: &mut Context<'_, V>) -> Next<V> {
        match event {
            Event::Start => Next::Call(step_try!(read_call(cx.config, self.kind, &self.id))),
            event => Next::Done(answer(event).and_then(|body| read_run(&body, self.kind, &self.id)).map(IntoJson::into_json)),
        }
    }
}

/// The `RunState` of a run read with `GET /flow_runs/{id}` (or a task run).
pub fn read_run<V: Json>(body: &V, kind: RunKind, id: &str) -> Result<RunState<V>, Error<V>> {
    let state = body.field("state").ok_or_else(|| Error::decode(format!("the {} {id} has no state", kind.label())))?;
    run_state(id, &state)
}

/// A REST state object as a `RunState`: the server's type, its display name, no version, and
/// its inline `data` as the result.
pub fn run_state<V: Json>(id: &str, state: &V) -> Result<RunState<V>, Error<V>> {
    let state_type = state.string_field("type").filter(|t| !t.is_empty()).ok_or_else(|| Error::decode("the server's state has no type"))?;
    Ok(RunState {
        id: id.to_string(),
        name: state.string_field("name").filter(|n| !n.is_empty()).unwrap_or_else(|| state_type.clone()),
        state_type,
        message: state.string_field("message"),
        result: inline_data(state),
        version: None,
        timestamp: state.string_field("timestamp"),
        serialized_state: state.clone(),
    })
}

/// The state's `data` when it is the value itself; `None` when it is a reference to persisted
/// storage (a result record's metadata: `storage_key`, `serializer`, ...), which JS cannot read.
fn inline_data<V: Json>(state: &V) -> Option<V> {
    let data = state.field("data")?;
    let reference = data.is_object() && ["storage_key", "storage_block_id", "serializer"].iter().any(|key| data.get(key).is_some());
    (!reference).then_some(data)
}

/// `setState(id, state, { result, expectedState, force })`.
pub fn set_state<V: Json>(kind: RunKind, args: SetStateArgs<V>, what: &str) -> Result<Box<dyn Operation<V>>, Error<V>> {
    require_uuid(&args.id, what)?;
    let expected = match &args.expected_state {
        None => None,
        Some(name) => Some(states::require(name, "options.expectedState").map_err(Error::invalid)?.0),
    };
    let (state, details) = state_body(args.state, args.result)?;
    Ok(Box::new(SetState { kind, id: args.id, state: Some(state), details: Some(details), force: args.force, expected, transition_id: String::new() }))
}

/// `run(id)`: a SCHEDULED state starting now (`scheduled_time`), as Prefect's UI schedules a
/// deployment's run. `startTasks` and `inputs` have no REST counterpart.
pub fn run<V: Json>(id: String, start_tasks: Option<Vec<String>>, inputs: Option<V>, now_ms: f64) -> Result<Box<dyn Operation<V>>, Error<V>> {
    require_uuid(&id, "flowRunId")?;
    if start_tasks.is_some() || inputs.is_some() {
        return Err(Error::invalid("options.startTasks and options.inputs have no counterpart on Prefect 2/3 servers (api: \"rest\")"));
    }
    let details = V::object().with("scheduled_time", text(&format_rfc3339_ms(now_ms)));
    let state = StateSpec { type_name: "SCHEDULED".into(), message: None, extra: vec![("state_details".into(), details)] };
    let args = SetStateArgs { id, state, result: None, expected_state: None, force: false };
    set_state(RunKind::Flow, args, "flowRunId")
}

/// The state object without its `state_details`, and those details (the caller's, to which the
/// transition id is added when the call starts).
fn state_body<V: Json>(spec: StateSpec<V>, result: Option<V>) -> Result<(V, V), Error<V>> {
    let (state_type, display) = states::require(&spec.type_name, "state type").map_err(Error::invalid)?;
    let mut state = V::object();
    let mut name = None;
    let mut details = V::object();
    for (key, value) in spec.extra {
        match key.as_str() {
            "name" => name = Some(value.as_string().ok_or_else(|| Error::invalid("state.name must be a string"))?),
            "state_details" if value.kind() == Kind::Object => {
                details = value.copy_object().map_err(|e| Error::invalid(format!("state.state_details could not be read: {e}")))?
            }
            "state_details" => return Err(Error::invalid("state.state_details must be an object")),
            _ => state.set(&key, value),
        }
    }
    state.set("type", text(state_type));
    state.set("name", text(name.as_deref().unwrap_or(display)));
    if let Some(message) = &spec.message {
        state.set("message", text(message));
    }
    if let Some(result) = result {
        state.set("data", result);
    }
    Ok((state, details))
}

struct SetState<V> {
    kind: RunKind,
    id: String,
    state: Option<V>,
    details: Option<V>,
    force: bool,
    /// The type `expectedState` asks for: read first, then write.
    expected: Option<&'static str>,
    /// Made when the call starts; every attempt of the write carries it.
    transition_id: String,
}

impl<V: Json> SetState<V> {
    fn write_call(&mut self, config: &Config) -> Result<Call<V>, Error<V>> {
        let details = self.details.take().unwrap_or_else(V::object).with("transition_id", text(&self.transition_id));
        let state = self.state.take().unwrap_or_else(V::object).with("state_details", details);
        let mut body = V::object().with("state", state);
        // Prefect rejects a repeated transition id, so a repeat cannot apply the state twice;
        // `force` skips that rule too, so a forced write is never repeated.
        let idempotency = if self.force {
            body.set("force", V::from_bool(true));
            Idempotency::Unsafe
        } else {
            Idempotency::Safe
        };
        call(config, Method::Post, &format!("{}/set_state", run_path(self.kind, &self.id)), Some(&body), idempotency, SESSION)
    }

    /// Prefect's orchestration answer `{ status, details: { reason?, delay_seconds? }, state }`.
    fn orchestrated(&self, body: &V) -> Result<V, Error<V>> {
        let status = body.string_field("status").ok_or_else(|| Error::decode("the set_state answer has no status"))?;
        let state = body.field("state");
        let ours = state.as_ref().and_then(|s| s.field("state_details")).and_then(|d| d.string_field("transition_id"));
        // REJECT of our own transition id: an earlier attempt of this call was applied and its
        // answer lost, so the run is in the state we asked for.
        let applied = status == "REJECT" && ours.is_some_and(|id| id.eq_ignore_ascii_case(&self.transition_id));
        if status == "ACCEPT" || applied {
            let state = state.ok_or_else(|| Error::decode("the set_state answer has no state"))?;
            return run_state(&self.id, &state).map(IntoJson::into_json);
        }
        let current = match &state {
            Some(state) => run_state(&self.id, state)?.into_json(),
            None => V::null(),
        };
        let server = body.field("details");
        let reason = server.as_ref().and_then(|d| d.string_field("reason"));
        let mut details = V::object().with("status", text(&status)).with("reason", V::from_string_opt(reason.as_deref()));
        if let Some(delay) = server.as_ref().and_then(|d| d.field("delay_seconds")).filter(|d| d.kind() == Kind::Number) {
            details.set("delaySeconds", delay);
        }
        details.set("state", current);
        let message = match &reason {
            Some(reason) => format!("Prefect answered {status}: {reason}"),
            None => format!("Prefect answered {status}"),
        };
        let mut error = Error::new(ErrorCode::StateRejected, message);
        error.details = Some(details);
        Err(error)
    }
}

impl<V: Json> Operation<V> for SetState<V> {
    fn next(&mut self, event: Event<V>, cx: &mut Context<'_, V>) -> Next<V> {
        if let Event::Start = event {
            self.transition_id = v7(cx.now_ms, cx.random);
            return Next::Call(step_try!(match self.expected {
                Some(_) => read_call(cx.config, self.kind, &self.id),
                None => self.write_call(cx.config),
            }));
        }
        let body = step_try!(answer(event));
        if let Some(expected) = self.expected.take() {
            // Best effort: REST has no compare-and-set, so a writer between this read and the
            // write is not detected.
            let current = step_try!(read_run(&body, self.kind, &self.id));
            if current.state_type != expected {
                let message = format!("the run is in state {}, not the expected {expected}; nothing was written", current.state_type);
                return Next::Done(Err(Error::new(ErrorCode::StateMismatch, message)));
            }
            return Next::Call(step_try!(self.write_call(cx.config)));
        }
        Next::Done(self.orchestrated(&body))
    }
}

//! Flow and task runs over GraphQL: create, read, set a state (read, compare, write with the
//! version read, read again), and queue.

use super::documents::{self, CreateFlowRunInput, IdVars, InputVars, RunKind, SetFlowRunState, SetStatesInput, SetTaskRunState};
use super::{document_call, SESSION};
use crate::client_core::config::Config;
use crate::client_core::error::{Error, ErrorCode};
use crate::client_core::json::{json_text, IntoJson, Json};
use crate::client_core::operation::{answer, step_try, Call, Context, Event, Next, Operation};
use crate::client_core::operations::{CreateArgs, SetStateArgs};
use crate::client_core::retry::Idempotency;
use crate::client_core::state::{self, RunContext, RunState, SerializedStateView, StateDraft, StateKind, StateSpec, MAX_STATE_PAYLOAD_BYTES};
use crate::client_core::time::{format_rfc3339_ms, parse_rfc3339_ms};
use crate::client_core::uuid::require_uuid;

pub fn create<V: Json>(config: &Config, args: CreateArgs<V>) -> Result<Box<dyn Operation<V>>, Error<V>> {
    require_uuid(&args.flow_id, "flowId")?;
    if args.deployment_id.is_some() {
        return Err(Error::invalid("options.deploymentId is for Prefect 2/3 servers (api: \"rest\")"));
    }
    if let Some(time) = &args.scheduled_start_time {
        if parse_rfc3339_ms(time).is_none() {
            return Err(Error::invalid(format!("options.scheduledStartTime must be an ISO 8601 timestamp, got {time:?}")));
        }
    }
    let mut context = args.context;
    if let Some(parent) = &args.parent_task_run_id {
        require_uuid(parent, "options.parentTaskRunId")?;
        // create_flow_run_input has no parent field: the link travels in the context.
        let mut merged = match &context {
            Some(context) => context.copy_object().map_err(|e| Error::invalid(format!("options.context could not be read: {e}")))?,
            None => V::object(),
        };
        merged.set("parent_task_run_id", V::from_str(parent));
        context = Some(merged);
    }
    // The server deduplicates on the key, so only then may a lost answer be repeated.
    let idempotency = if args.idempotency_key.is_some() { Idempotency::Safe } else { Idempotency::Unsafe };
    let input = CreateFlowRunInput {
        flow_id: args.flow_id,
        parameters: args.parameters,
        context,
        labels: args.labels,
        scheduled_start_time: args.scheduled_start_time,
        idempotency_key: args.idempotency_key,
        flow_run_name: args.name,
    };
    let call = document_call(config, documents::CREATE_FLOW_RUN, InputVars { input }, idempotency, SESSION)?;
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
        let data = step_try!(answer(event));
        let id = step_try!(documents::created_id(&data).ok_or_else(|| Error::decode("create_flow_run answered no id")));
        Next::Done(Ok(V::object().with("id", V::from_str(&id))))
    }
}

/// `getState(id)`; `what` names the argument in messages.
pub fn get_state<V: Json>(kind: RunKind, id: String, what: &str) -> Result<Box<dyn Operation<V>>, Error<V>> {
    require_uuid(&id, what)?;
    Ok(read_operation(kind, id))
}

/// The read behind `getState` (and `wait`/`watch`), for an id already checked.
pub fn read_operation<V: Json>(kind: RunKind, id: String) -> Box<dyn Operation<V>> {
    Box::new(GetState { kind, id })
}

struct GetState {
    kind: RunKind,
    id: String,
}

impl<V: Json> Operation<V> for GetState {
    fn next(&mut self, event: Event<V>, cx: &mut Context<'_, V>) -> Next<V> {
        match event {
            Event::Start => Next::Call(step_try!(read_call(cx.config, self.kind, &self.id))),
            event => Next::Done(answer(event).and_then(|data| read_run(&data, self.kind, &self.id)).map(IntoJson::into_json)),
        }
    }
}

fn read_call<V: Json>(config: &Config, kind: RunKind, id: &str) -> Result<Call<V>, Error<V>> {
    document_call(config, kind.read_document(), IdVars { id }, Idempotency::Safe, SESSION)
}

/// The run in a read's `data` as a `RunState` (NOT_FOUND when there is none).
pub fn read_run<V: Json>(data: &V, kind: RunKind, id: &str) -> Result<RunState<V>, Error<V>> {
    let row = documents::run_row(data, kind)
        .map_err(|what| Error::decode(format!("unexpected {} answer in the server's answer: {what}", kind.read_field())))?
        .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("{} {id} not found", kind.label())))?;
    // Some servers hand jsonb back as text: accept both.
    let serialized = row.serialized_state.map(|v| match v.as_string() {
        Some(text) => V::parse_or_text(&text),
        None => v,
    });
    let view = serialized.as_ref().filter(|v| v.is_object()).map(SerializedStateView::read).unwrap_or_default();
    state::run_state(row.id, row.version, row.state, row.state_message, row.state_timestamp, serialized, view, V::object, V::parse_or_text)
        .map_err(Error::decode)
}

/// `setState(id, state, { result, expectedState, force })` at `now_ms`.
pub fn set_state<V: Json>(kind: RunKind, args: SetStateArgs<V>, what: &str, now_ms: f64) -> Result<Box<dyn Operation<V>>, Error<V>> {
    require_uuid(&args.id, what)?;
    if args.force {
        return Err(Error::invalid("options.force is for Prefect 2/3 servers (api: \"rest\"): Prefect 1.x has no orchestration rules to skip"));
    }
    let expected = match &args.expected_state {
        None => None,
        Some(name) => Some(state::parse_kind(name, "options.expectedState").map_err(|e| Error::invalid(e.0))?),
    };
    let location = match &args.result {
        None => None,
        Some(value) => Some(json_text(value, "options.result")?.as_string().unwrap_or_default()),
    };
    let draft = state::build_state(args.state, &format_rfc3339_ms(now_ms), location, None).map_err(|e| Error::invalid(e.0))?;
    write_state(kind, args.id, draft, expected)
}

/// `run(id, { startTasks, inputs })`: a Scheduled state starting now, with `start_tasks` and
/// `inputs` in its context.
pub fn run<V: Json>(id: String, start_tasks: Option<Vec<String>>, inputs: Option<V>, now_ms: f64) -> Result<Box<dyn Operation<V>>, Error<V>> {
    require_uuid(&id, "flowRunId")?;
    let context = RunContext { start_tasks, inputs }.into_json();
    let draft = state::build_state(StateSpec::named(StateKind::Scheduled.name()), &format_rfc3339_ms(now_ms), None, Some(context))
        .map_err(|e| Error::invalid(e.0))?;
    write_state(RunKind::Flow, id, draft, None)
}

fn write_state<V: Json>(kind: RunKind, id: String, draft: StateDraft<V>, expected: Option<StateKind>) -> Result<Box<dyn Operation<V>>, Error<V>> {
    let state = (&draft).into_json();
    let size = json_text(&state, "state")?.as_string().map_or(0, |text| text.len());
    if size > MAX_STATE_PAYLOAD_BYTES {
        return Err(Error::invalid(format!("the state is {size} bytes of JSON; the server takes at most {MAX_STATE_PAYLOAD_BYTES}")));
    }
    Ok(Box::new(SetState { kind, id, state: Some(state), expected, phase: SetPhase::Read }))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SetPhase {
    Read,
    Write,
    ReadAgain,
}

struct SetState<V> {
    kind: RunKind,
    id: String,
    state: Option<V>,
    expected: Option<StateKind>,
    phase: SetPhase,
}

impl<V: Json> SetState<V> {
    /// The write, carrying the version just read (so a concurrent writer makes it fail with
    /// VERSION_LOCKING_ERROR). Never repeated: see `retry`.
    fn write_call(&mut self, config: &Config, version: i64) -> Result<Call<V>, Error<V>> {
        let state = self.state.take().unwrap_or_else(V::object);
        let id = self.id.clone();
        let document = self.kind.set_document();
        match self.kind {
            RunKind::Flow => {
                let input = SetStatesInput { states: vec![SetFlowRunState { flow_run_id: id, version, state }] };
                document_call(config, document, InputVars { input }, Idempotency::Unsafe, SESSION)
            }
            RunKind::Task => {
                let input = SetStatesInput { states: vec![SetTaskRunState { task_run_id: id, version, state }] };
                document_call(config, document, InputVars { input }, Idempotency::Unsafe, SESSION)
            }
        }
    }
}

impl<V: Json> Operation<V> for SetState<V> {
    fn next(&mut self, event: Event<V>, cx: &mut Context<'_, V>) -> Next<V> {
        if let Event::Start = event {
            return Next::Call(step_try!(read_call(cx.config, self.kind, &self.id)));
        }
        let data = step_try!(answer(event));
        match self.phase {
            SetPhase::Read => {
                let current = step_try!(read_run(&data, self.kind, &self.id));
                step_try!(state::check_expected(&current.state_type, self.expected).map_err(|m| Error::new(ErrorCode::StateMismatch, m)));
                let version = step_try!(current.version.ok_or_else(|| Error::decode(format!("run {} has no version", self.id))));
                self.phase = SetPhase::Write;
                Next::Call(step_try!(self.write_call(cx.config, version)))
            }
            SetPhase::Write => {
                let status = step_try!(documents::set_status(&data, self.kind).ok_or_else(|| Error::decode("the set state answer has no state")));
                if let Some(text) = status.status.as_deref() {
                    if text != "SUCCESS" {
                        let message = status.message.unwrap_or_else(|| format!("the server answered {text}"));
                        return Next::Done(Err(Error::new(ErrorCode::Graphql, message)));
                    }
                }
                self.phase = SetPhase::ReadAgain;
                Next::Call(step_try!(read_call(cx.config, self.kind, &self.id)))
            }
            SetPhase::ReadAgain => Next::Done(read_run(&data, self.kind, &self.id).map(IntoJson::into_json)),
        }
    }
}

/// Whether a run whose state has this type is over (the state hierarchy's `Finished`).
pub fn is_finished(state_type: &str) -> bool {
    state::is_finished(state_type)
}

/// An `until` entry: a Prefect state type.
pub fn check_state_type<V>(name: &str, what: &str) -> Result<(), Error<V>> {
    state::parse_kind(name, what).map(|_| ()).map_err(|e| Error::invalid(e.0))
}

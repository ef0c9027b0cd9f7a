//! `FlowRuns` and `TaskRuns`: argument conversion, then the core's state rules.

use std::rc::Rc;

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::documents::{self, CreateFlowRunInput, IdVars, InputVars, RunKind, SetFlowRunState, SetStatesInput, SetTaskRunState};
use crate::core::error::ErrorCode;
use crate::core::retry::Idempotency;
use crate::core::state::{self, RunContext, SerializedStateView, StateKind, StateSpec, MAX_STATE_PAYLOAD_BYTES};

use super::client::{client_arg, promise, Auth, Client, Inner};
use super::error::to_js_error;
use super::js::{self, from_js, is_plain_object, parse_or_text, stringify, to_js, uuid_arg, Error, Js, Options, Result};

/// Flow runs: create, read and set their state, queue them.
#[wasm_bindgen]
pub struct FlowRuns {
    client: Rc<Inner>,
}

/// Task runs: read and set their state.
#[wasm_bindgen]
pub struct TaskRuns {
    client: Rc<Inner>,
}

impl FlowRuns {
    /// The Rust-side constructor (JS uses `new FlowRuns(client)`).
    pub fn with_client(client: &Client) -> FlowRuns {
        FlowRuns { client: client.inner.clone() }
    }
}

#[wasm_bindgen]
impl FlowRuns {
    /// `new FlowRuns(client)`; throws a `PrefectError` (INVALID_ARGUMENT) for anything but a live `Client`.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "Client")] client: JsValue) -> core::result::Result<FlowRuns, JsValue> {
        Ok(FlowRuns { client: client_arg(&client, "client").map_err(to_js_error)? })
    }

    /// `create(flowId, { parameters, parentTaskRunId, context, labels, scheduledStartTime,
    /// idempotencyKey, name })` → `{ id }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<{ id: string }>")]
    pub fn create(
        &self,
        #[wasm_bindgen(js_name = flowId, unchecked_param_type = "string")] flow_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "FlowRunCreateOptions")] options: Option<JsValue>,
    ) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let flow_id = uuid_arg(&flow_id, "flowId")?;
            let options = Options::new(options, "options")?;
            let parameters = options.object("parameters")?;
            let mut context = options.object("context")?;
            if let Some(parent) = options.get("parentTaskRunId")? {
                let parent = uuid_arg(&parent, "options.parentTaskRunId")?;
                // create_flow_run_input has no parent field: the link travels in the context.
                let merged = Object::new();
                if let Some(context) = &context {
                    js::object_assign(&merged, context).map_err(|e| Error::invalid(format!("options.context could not be read: {}", js::describe(&e))))?;
                }
                let _ = js_sys::Reflect::set(&merged, &JsValue::from_str("parent_task_run_id"), &JsValue::from_str(&parent));
                context = Some(merged.into());
            }
            let labels = options.strings("labels")?;
            let scheduled_start_time = match options.get("scheduledStartTime")? {
                None => None,
                Some(v) => Some(start_time(&v)?),
            };
            let idempotency_key = options.string("idempotencyKey")?;
            let flow_run_name = options.string("name")?;
            let idempotency = if idempotency_key.is_some() { Idempotency::Safe } else { Idempotency::Unsafe };
            let input = CreateFlowRunInput {
                flow_id,
                parameters: parameters.map(Js),
                context: context.map(Js),
                labels,
                scheduled_start_time,
                idempotency_key,
                flow_run_name,
            };
            let data = client
                .send(documents::CREATE_FLOW_RUN, &InputVars { input }, idempotency, Auth::Session { refresh_ahead: true })
                .await?;
            let created = from_js::<documents::CreateFlowRunData>(data, "create_flow_run answer")?
                .create_flow_run
                .ok_or_else(|| Error::decode("create_flow_run answered no id"))?;
            to_js(&created)
        })
    }

    #[wasm_bindgen(js_name = getState, unchecked_return_type = "Promise<RunState>")]
    pub fn get_state(&self, #[wasm_bindgen(js_name = flowRunId, unchecked_param_type = "string")] flow_run_id: JsValue) -> Promise {
        get_state(self.client.clone(), RunKind::Flow, flow_run_id, "flowRunId")
    }

    /// Queues the run: a Scheduled state starting now, with `startTasks` / `inputs` in its
    /// context (as `start_tasks` / `inputs`).
    #[wasm_bindgen(unchecked_return_type = "Promise<RunState>")]
    pub fn run(
        &self,
        #[wasm_bindgen(js_name = flowRunId, unchecked_param_type = "string")] flow_run_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "FlowRunRunOptions")] options: Option<JsValue>,
    ) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let id = uuid_arg(&flow_run_id, "flowRunId")?;
            let options = Options::new(options, "options")?;
            let start_tasks = options.strings("startTasks")?;
            let inputs = options.object("inputs")?.map(Js);
            let context = to_js(&RunContext { start_tasks, inputs })?;
            let draft = state::build_state(StateSpec::named(StateKind::Scheduled.name()), &js::now_iso(), None, Some(Js(context)))
                .map_err(|e| Error::invalid(e.0))?;
            set_state(client, RunKind::Flow, id, draft, None).await
        })
    }

    #[wasm_bindgen(js_name = setState, unchecked_return_type = "Promise<RunState>")]
    pub fn set_state(
        &self,
        #[wasm_bindgen(js_name = flowRunId, unchecked_param_type = "string")] flow_run_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "StateInput")] state: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SetStateOptions")] options: Option<JsValue>,
    ) -> Promise {
        set_state_call(self.client.clone(), RunKind::Flow, flow_run_id, "flowRunId", state, options)
    }
}

impl TaskRuns {
    /// The Rust-side constructor (JS uses `new TaskRuns(client)`).
    pub fn with_client(client: &Client) -> TaskRuns {
        TaskRuns { client: client.inner.clone() }
    }
}

#[wasm_bindgen]
impl TaskRuns {
    /// `new TaskRuns(client)`; throws a `PrefectError` (INVALID_ARGUMENT) for anything but a live `Client`.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "Client")] client: JsValue) -> core::result::Result<TaskRuns, JsValue> {
        Ok(TaskRuns { client: client_arg(&client, "client").map_err(to_js_error)? })
    }

    #[wasm_bindgen(js_name = getState, unchecked_return_type = "Promise<RunState>")]
    pub fn get_state(&self, #[wasm_bindgen(js_name = taskRunId, unchecked_param_type = "string")] task_run_id: JsValue) -> Promise {
        get_state(self.client.clone(), RunKind::Task, task_run_id, "taskRunId")
    }

    #[wasm_bindgen(js_name = setState, unchecked_return_type = "Promise<RunState>")]
    pub fn set_state(
        &self,
        #[wasm_bindgen(js_name = taskRunId, unchecked_param_type = "string")] task_run_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "StateInput")] state: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SetStateOptions")] options: Option<JsValue>,
    ) -> Promise {
        set_state_call(self.client.clone(), RunKind::Task, task_run_id, "taskRunId", state, options)
    }
}

/// `scheduledStartTime`: a valid `Date` or an ISO 8601 string.
fn start_time(value: &JsValue) -> Result<String> {
    if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        if date.get_time().is_nan() {
            return Err(Error::invalid("options.scheduledStartTime is an invalid Date"));
        }
        return Ok(String::from(date.to_iso_string()));
    }
    match value.as_string() {
        Some(text) if crate::core::time::parse_rfc3339_ms(&text).is_some() => Ok(text),
        Some(text) => Err(Error::invalid(format!("options.scheduledStartTime must be an ISO 8601 timestamp, got {text:?}"))),
        None => Err(Error::invalid("options.scheduledStartTime must be a string or a Date")),
    }
}

/// The caller's `StateInput`: a type name or `{ type, message?, ...extra }`.
fn state_spec(value: &JsValue) -> Result<StateSpec<Js>> {
    if let Some(name) = value.as_string() {
        return Ok(StateSpec::named(name));
    }
    if !is_plain_object(value) {
        return Err(Error::invalid("state must be a state type name or an object with a `type`"));
    }
    let object = Options::new(Some(value.clone()), "state")?;
    let type_name = object.string("type")?.ok_or_else(|| Error::invalid("state.type is required"))?;
    let message = object.string("message")?;
    let extra = object
        .entries()?
        .into_iter()
        .filter(|(k, _)| k != "type" && k != "message")
        .map(|(k, v)| (k, Js(v)))
        .collect();
    Ok(StateSpec { type_name, message, extra })
}

fn set_state_call(client: Rc<Inner>, kind: RunKind, id: JsValue, id_name: &'static str, state: JsValue, options: Option<JsValue>) -> Promise {
    promise(async move {
        let id = uuid_arg(&id, id_name)?;
        let spec = state_spec(&state)?;
        let options = Options::new(options, "options")?;
        let expected = match options.string("expectedState")? {
            None => None,
            Some(name) => Some(state::parse_kind(&name, "options.expectedState").map_err(|e| Error::invalid(e.0))?),
        };
        let result_location = if options.has("result")? {
            Some(stringify(&options.raw("result")?, "options.result")?)
        } else {
            None
        };
        let draft = state::build_state(spec, &js::now_iso(), result_location, None).map_err(|e| Error::invalid(e.0))?;
        set_state(client, kind, id, draft, expected).await
    })
}

fn get_state(client: Rc<Inner>, kind: RunKind, id: JsValue, id_name: &'static str) -> Promise {
    promise(async move {
        let id = uuid_arg(&id, id_name)?;
        let (_, run_state) = read_run(&client, kind, &id).await?;
        Ok(run_state)
    })
}

/// Reads a run: its current type and version, and the `RunState` JS object.
async fn read_run(client: &Rc<Inner>, kind: RunKind, id: &str) -> Result<(state::RunState<()>, JsValue)> {
    let data = client.send(kind.read_document(), &IdVars { id }, Idempotency::Safe, Auth::Session { refresh_ahead: true }).await?;
    let row = match kind {
        RunKind::Flow => from_js::<documents::FlowRunByPk<Js>>(data, "flow_run_by_pk answer")?.flow_run_by_pk,
        RunKind::Task => from_js::<documents::TaskRunByPk<Js>>(data, "task_run_by_pk answer")?.task_run_by_pk,
    }
    .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("{} {id} not found", kind.label())))?;

    // Some servers hand jsonb back as text: accept both.
    let serialized = row.serialized_state.map(|Js(v)| match v.as_string() {
        Some(text) => parse_or_text(&text),
        None => v,
    });
    let view: SerializedStateView = serialized
        .as_ref()
        .filter(|v| is_plain_object(v))
        .and_then(|v| serde_wasm_bindgen::from_value(v.clone()).ok())
        .unwrap_or_default();
    let run_state = state::run_state(
        row.id,
        row.version,
        row.state,
        row.state_message,
        row.state_timestamp,
        serialized.map(Js),
        view,
        || Js(Object::new().into()),
        |location| Js(parse_or_text(location)),
    )
    .map_err(Error::decode)?;
    let summary = state::RunState {
        id: run_state.id.clone(),
        state_type: run_state.state_type.clone(),
        message: None,
        result: None,
        version: run_state.version,
        timestamp: None,
        serialized_state: (),
    };
    Ok((summary, to_js(&run_state)?))
}

/// `expectedState` compare, then the set with the version read, then the run as it now is.
async fn set_state(client: Rc<Inner>, kind: RunKind, id: String, draft: state::StateDraft<Js>, expected: Option<StateKind>) -> Result<JsValue> {
    let state_js = to_js(&draft)?;
    let size = stringify(&state_js, "state")?.len();
    if size > MAX_STATE_PAYLOAD_BYTES {
        return Err(Error::invalid(format!("the state is {size} bytes of JSON; the server takes at most {MAX_STATE_PAYLOAD_BYTES}")));
    }
    let (current, _) = read_run(&client, kind, &id).await?;
    state::check_expected(&current.state_type, expected).map_err(|m| Error::new(ErrorCode::StateMismatch, m))?;

    let state = Js(state_js);
    let data = match kind {
        RunKind::Flow => {
            let input = SetStatesInput { states: vec![SetFlowRunState { flow_run_id: id.clone(), version: current.version, state }] };
            client.send(kind.set_document(), &InputVars { input }, Idempotency::Unsafe, Auth::Session { refresh_ahead: true }).await?
        }
        RunKind::Task => {
            let input = SetStatesInput { states: vec![SetTaskRunState { task_run_id: id.clone(), version: current.version, state }] };
            client.send(kind.set_document(), &InputVars { input }, Idempotency::Unsafe, Auth::Session { refresh_ahead: true }).await?
        }
    };
    let answer = from_js::<documents::SetStatesData>(data, "set state answer")?;
    let status = answer
        .states_payload
        .and_then(|p| p.states)
        .and_then(|s| s.into_iter().next())
        .ok_or_else(|| Error::decode("the set state answer has no state"))?;
    if let Some(status_text) = status.status.as_deref() {
        if status_text != "SUCCESS" {
            let message = status.message.unwrap_or_else(|| format!("the server answered {status_text}"));
            return Err(Error::new(ErrorCode::Graphql, message));
        }
    }
    let (_, run_state) = read_run(&client, kind, &id).await?;
    Ok(run_state)
}

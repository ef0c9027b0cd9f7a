//! `FlowRuns` and `TaskRuns`: argument conversion, then `client_core::operations`. Both classes
//! share one `Runs` that knows which kind of run it serves.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::client_core::operations::{self, CreateArgs, PollArgs, SetStateArgs};
use crate::client_core::run_kind::RunKind;
use crate::client_core::state::StateSpec;

use super::args::{self, is_plain_object, string_arg, Error, Options, Result};
use super::client::Client;
use super::driver::{self, Inner};
use super::error::to_js_error;
use super::live_clients::client_arg;
use super::watch;

/// Flow runs: create, read and set their state, queue them, wait for and watch them.
#[wasm_bindgen]
pub struct FlowRuns {
    runs: Runs,
}

/// Task runs: read and set their state, wait for and watch them.
#[wasm_bindgen]
pub struct TaskRuns {
    runs: Runs,
}

struct Runs {
    client: Rc<Inner>,
    kind: RunKind,
    /// The id argument's name in messages.
    id_name: &'static str,
}

impl FlowRuns {
    /// The Rust-side constructor (JS uses `new FlowRuns(client)`).
    pub fn with_client(client: &Client) -> FlowRuns {
        FlowRuns { runs: Runs { client: client.inner.clone(), kind: RunKind::Flow, id_name: "flowRunId" } }
    }
}

impl TaskRuns {
    /// The Rust-side constructor (JS uses `new TaskRuns(client)`).
    pub fn with_client(client: &Client) -> TaskRuns {
        TaskRuns { runs: Runs { client: client.inner.clone(), kind: RunKind::Task, id_name: "taskRunId" } }
    }
}

#[wasm_bindgen]
impl FlowRuns {
    /// `new FlowRuns(client)`; throws a `PrefectError` (INVALID_ARGUMENT) for anything but a live `Client`.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "Client")] client: JsValue) -> core::result::Result<FlowRuns, JsValue> {
        let client = client_arg(&client, "client").map_err(to_js_error)?;
        Ok(FlowRuns { runs: Runs { client, kind: RunKind::Flow, id_name: "flowRunId" } })
    }

    /// `create(flowId, { parameters, parentTaskRunId, context, labels, scheduledStartTime,
    /// idempotencyKey, name, deploymentId })` → `{ id }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<{ id: string }>")]
    pub fn create(
        &self,
        #[wasm_bindgen(js_name = flowId, unchecked_param_type = "string")] flow_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "FlowRunCreateOptions")] options: Option<JsValue>,
    ) -> Promise {
        let client = &self.runs.client;
        let built = create_args(&flow_id, options).and_then(|args| operations::create_flow_run(&client.state.borrow(), args));
        driver::start(client, built, None)
    }

    #[wasm_bindgen(js_name = getState, unchecked_return_type = "Promise<RunState>")]
    pub fn get_state(&self, #[wasm_bindgen(js_name = flowRunId, unchecked_param_type = "string")] flow_run_id: JsValue) -> Promise {
        self.runs.get_state(&flow_run_id)
    }

    /// Queues the run: a Scheduled state starting now, with `startTasks` / `inputs` in its
    /// context (as `start_tasks` / `inputs`).
    #[wasm_bindgen(unchecked_return_type = "Promise<RunState>")]
    pub fn run(
        &self,
        #[wasm_bindgen(js_name = flowRunId, unchecked_param_type = "string")] flow_run_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "FlowRunRunOptions")] options: Option<JsValue>,
    ) -> Promise {
        let client = &self.runs.client;
        let read = || -> Result<_> {
            let id = string_arg(&flow_run_id, "flowRunId")?;
            let options = Options::new(options, "options")?;
            Ok((id, options.strings("startTasks")?, options.object("inputs")?))
        };
        let built = read().and_then(|(id, start_tasks, inputs)| operations::run(&client.state.borrow(), id, start_tasks, inputs, args::now_ms()));
        driver::start(client, built, None)
    }

    #[wasm_bindgen(js_name = setState, unchecked_return_type = "Promise<RunState>")]
    pub fn set_state(
        &self,
        #[wasm_bindgen(js_name = flowRunId, unchecked_param_type = "string")] flow_run_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "StateInput")] state: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SetStateOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.runs.set_state(&flow_run_id, &state, options)
    }

    /// Resolves the run's state once it is finished (or its type is in `until`).
    #[wasm_bindgen(unchecked_return_type = "Promise<RunState>")]
    pub fn wait(
        &self,
        #[wasm_bindgen(js_name = flowRunId, unchecked_param_type = "string")] flow_run_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.runs.wait(&flow_run_id, options)
    }

    /// An async iterator of the run's states: the current one, then each new one, ending after
    /// a finished one.
    #[wasm_bindgen(unchecked_return_type = "AsyncIterableIterator<RunState>")]
    pub fn watch(
        &self,
        #[wasm_bindgen(js_name = flowRunId, unchecked_param_type = "string")] flow_run_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WatchOptions")] options: Option<JsValue>,
    ) -> JsValue {
        self.runs.watch(&flow_run_id, options)
    }
}

#[wasm_bindgen]
impl TaskRuns {
    /// `new TaskRuns(client)`; throws a `PrefectError` (INVALID_ARGUMENT) for anything but a live `Client`.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "Client")] client: JsValue) -> core::result::Result<TaskRuns, JsValue> {
        let client = client_arg(&client, "client").map_err(to_js_error)?;
        Ok(TaskRuns { runs: Runs { client, kind: RunKind::Task, id_name: "taskRunId" } })
    }

    #[wasm_bindgen(js_name = getState, unchecked_return_type = "Promise<RunState>")]
    pub fn get_state(&self, #[wasm_bindgen(js_name = taskRunId, unchecked_param_type = "string")] task_run_id: JsValue) -> Promise {
        self.runs.get_state(&task_run_id)
    }

    #[wasm_bindgen(js_name = setState, unchecked_return_type = "Promise<RunState>")]
    pub fn set_state(
        &self,
        #[wasm_bindgen(js_name = taskRunId, unchecked_param_type = "string")] task_run_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "StateInput")] state: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SetStateOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.runs.set_state(&task_run_id, &state, options)
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<RunState>")]
    pub fn wait(
        &self,
        #[wasm_bindgen(js_name = taskRunId, unchecked_param_type = "string")] task_run_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.runs.wait(&task_run_id, options)
    }

    #[wasm_bindgen(unchecked_return_type = "AsyncIterableIterator<RunState>")]
    pub fn watch(
        &self,
        #[wasm_bindgen(js_name = taskRunId, unchecked_param_type = "string")] task_run_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WatchOptions")] options: Option<JsValue>,
    ) -> JsValue {
        self.runs.watch(&task_run_id, options)
    }
}

impl Runs {
    fn id(&self, value: &JsValue) -> Result<String> {
        string_arg(value, self.id_name)
    }

    fn get_state(&self, id: &JsValue) -> Promise {
        let built = self.id(id).and_then(|id| operations::get_state(&self.client.state.borrow(), self.kind, id, self.id_name));
        driver::start(&self.client, built, None)
    }

    fn set_state(&self, id: &JsValue, state: &JsValue, options: Option<JsValue>) -> Promise {
        let read = || -> Result<SetStateArgs<JsValue>> {
            let id = self.id(id)?;
            let state = state_spec(state)?;
            let options = Options::new(options, "options")?;
            let result = options.raw("result")?;
            Ok(SetStateArgs {
                id,
                state,
                result: (!result.is_undefined()).then_some(result),
                expected_state: options.string("expectedState")?,
                force: options.boolean("force")?,
            })
        };
        let built = read().and_then(|args| operations::set_state(&self.client.state.borrow(), self.kind, args, self.id_name, args::now_ms()));
        driver::start(&self.client, built, None)
    }

    fn wait(&self, id: &JsValue, options: Option<JsValue>) -> Promise {
        let read = || -> Result<_> {
            let id = self.id(id)?;
            let options = Options::new(options, "options")?;
            let args = PollArgs {
                until: options.strings("until")?.unwrap_or_default(),
                interval_ms: options.number("intervalMs")?,
                timeout_ms: options.number("timeoutMs")?,
            };
            Ok((id, args, options.signal("signal")?))
        };
        match read() {
            Ok((id, args, signal)) => {
                let built = operations::wait(&self.client.state.borrow(), self.kind, id, self.id_name, args, args::now_ms());
                driver::start(&self.client, built, signal)
            }
            Err(e) => driver::reject(e),
        }
    }

    fn watch(&self, id: &JsValue, options: Option<JsValue>) -> JsValue {
        let read = || -> Result<_> {
            let id = self.id(id)?;
            let options = Options::new(options, "options")?;
            let args = PollArgs { interval_ms: options.number("intervalMs")?, ..PollArgs::default() };
            Ok((id, args, options.signal("signal")?))
        };
        match read() {
            Ok((id, args, signal)) => {
                let built = operations::watch(&self.client.state.borrow(), self.kind, id, self.id_name, args);
                watch::iterator(&self.client, built, signal)
            }
            Err(e) => watch::iterator(&self.client, Err(e), None),
        }
    }
}

/// `create`'s arguments; `scheduledStartTime` may be a `Date` (a valid one).
fn create_args(flow_id: &JsValue, options: Option<JsValue>) -> Result<CreateArgs<JsValue>> {
    let flow_id = string_arg(flow_id, "flowId")?;
    let options = Options::new(options, "options")?;
    let scheduled_start_time = match options.get("scheduledStartTime")? {
        None => None,
        Some(value) => Some(match value.dyn_ref::<js_sys::Date>() {
            Some(date) if date.get_time().is_nan() => return Err(Error::invalid("options.scheduledStartTime is an invalid Date")),
            Some(date) => String::from(date.to_iso_string()),
            None => value.as_string().ok_or_else(|| Error::invalid("options.scheduledStartTime must be a string or a Date"))?,
        }),
    };
    Ok(CreateArgs {
        flow_id,
        parameters: options.object("parameters")?,
        context: options.object("context")?,
        parent_task_run_id: options.string("parentTaskRunId")?,
        labels: options.strings("labels")?,
        scheduled_start_time,
        idempotency_key: options.string("idempotencyKey")?,
        name: options.string("name")?,
        deployment_id: options.string("deploymentId")?,
    })
}

/// The caller's `StateInput`: a type name or `{ type, message?, ...extra }`.
fn state_spec(value: &JsValue) -> Result<StateSpec<JsValue>> {
    if let Some(name) = value.as_string() {
        return Ok(StateSpec::named(name));
    }
    if !is_plain_object(value) {
        return Err(Error::invalid("state must be a state type name or an object with a `type`"));
    }
    let object = Options::new(Some(value.clone()), "state")?;
    let type_name = object.string("type")?.ok_or_else(|| Error::invalid("state.type is required"))?;
    let message = object.string("message")?;
    let extra = object.entries()?.into_iter().filter(|(k, _)| k != "type" && k != "message").collect();
    Ok(StateSpec { type_name, message, extra })
}

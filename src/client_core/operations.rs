//! One function per public method: the caller's arguments checked and the operation built for
//! the client's protocol, ready for a driver. The bindings call these and never look at the
//! protocol. An `Err` is the caller's mistake (INVALID_ARGUMENT): nothing was sent.

use super::config::{number_text, positive_ms, Api, ClientState};
use super::error::Error;
use super::json::Json;
use super::operation::Operation;
use super::polling::{Poll, Reader, DEFAULT_INTERVAL_MS};
use super::protocol::{graphql, rest};
use super::run_kind::RunKind;
use super::runner::{Deadline, Runner};
use super::state::StateSpec;
use super::uuid::require_uuid;

/// `FlowRuns.create`'s arguments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CreateArgs<V> {
    pub flow_id: String,
    pub parameters: Option<V>,
    pub context: Option<V>,
    pub parent_task_run_id: Option<String>,
    pub labels: Option<Vec<String>>,
    /// ISO 8601 (a `Date` is converted by the bindings).
    pub scheduled_start_time: Option<String>,
    pub idempotency_key: Option<String>,
    pub name: Option<String>,
    pub deployment_id: Option<String>,
}

/// `setState`'s arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct SetStateArgs<V> {
    pub id: String,
    pub state: StateSpec<V>,
    /// The `result` option when present (`null` included).
    pub result: Option<V>,
    pub expected_state: Option<String>,
    pub force: bool,
}

/// `wait`'s and `watch`'s options.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PollArgs {
    pub until: Vec<String>,
    pub interval_ms: Option<f64>,
    pub timeout_ms: Option<f64>,
}

type Built<V> = Result<Runner<V>, Error<V>>;

fn ready<V: Json>(op: Result<Box<dyn Operation<V>>, Error<V>>) -> Built<V> {
    op.map(Runner::new)
}

pub fn graphql<V: Json>(client: &ClientState<V>, query: V, variables: V) -> Built<V> {
    match client.config.api {
        Api::Graphql => ready(graphql::query::graphql(&client.config, query, variables)),
        Api::Rest => Err(Error::invalid("graphql() is for Prefect 1.x servers; this client uses api: \"rest\"")),
    }
}

pub fn login<V: Json>(client: &ClientState<V>, email: String, password: String, slug: Option<String>, id: Option<String>) -> Built<V> {
    match client.config.api {
        Api::Graphql => ready(graphql::session::login(email, password, slug, id)),
        Api::Rest => ready(rest::session::login(email, password, slug, id)),
    }
}

pub fn refresh_token<V: Json>(client: &ClientState<V>) -> Built<V> {
    match client.config.api {
        Api::Graphql => Ok(Runner::new(graphql::session::refresh_token())),
        Api::Rest => Err(Error::invalid("refreshToken(): Prefect 2/3 servers have no refresh tokens")),
    }
}

/// The refresh a runner starts for the session at generation `started`.
pub(crate) fn refresh_tokens<V: Json>(api: Api, started: u64) -> Box<dyn Operation<V>> {
    match api {
        // REST sessions have no refresh token, so the runner never starts a refresh for them.
        Api::Graphql | Api::Rest => graphql::session::refresh_tokens(started),
    }
}

pub fn create_flow_run<V: Json>(client: &ClientState<V>, args: CreateArgs<V>) -> Built<V> {
    match client.config.api {
        Api::Graphql => ready(graphql::runs::create(&client.config, args)),
        Api::Rest => ready(rest::runs::create(&client.config, args)),
    }
}

/// `what` names the id argument in messages (`flowRunId`, `taskRunId`).
pub fn get_state<V: Json>(client: &ClientState<V>, kind: RunKind, id: String, what: &str) -> Built<V> {
    match client.config.api {
        Api::Graphql => ready(graphql::runs::get_state(kind, id, what)),
        Api::Rest => ready(rest::runs::get_state(kind, id, what)),
    }
}

pub fn set_state<V: Json>(client: &ClientState<V>, kind: RunKind, args: SetStateArgs<V>, what: &str, now_ms: f64) -> Built<V> {
    match client.config.api {
        Api::Graphql => ready(graphql::runs::set_state(kind, args, what, now_ms)),
        Api::Rest => ready(rest::runs::set_state(kind, args, what)),
    }
}

pub fn run<V: Json>(client: &ClientState<V>, id: String, start_tasks: Option<Vec<String>>, inputs: Option<V>, now_ms: f64) -> Built<V> {
    match client.config.api {
        Api::Graphql => ready(graphql::runs::run(id, start_tasks, inputs, now_ms)),
        Api::Rest => ready(rest::runs::run(id, start_tasks, inputs, now_ms)),
    }
}

/// `request(method, path, { body })`; `body` is `undefined` when not given.
pub fn request<V: Json>(client: &ClientState<V>, method: &str, path: &str, body: V) -> Built<V> {
    match client.config.api {
        Api::Graphql => Err(Error::invalid("request() is for Prefect 2/3 servers (api: \"rest\"); this client uses GraphQL")),
        Api::Rest => ready(rest::request::request(&client.config, method, path, body)),
    }
}

/// The protocol's read and finished types, and `until` checked and spelt as the server does.
fn reader<V: Json>(api: Api, until: Vec<String>) -> Result<(Reader<V>, Vec<String>), Error<V>> {
    match api {
        Api::Graphql => {
            for name in &until {
                graphql::runs::check_state_type(name, "options.until")?;
            }
            Ok((Reader { read: graphql::runs::read_operation, is_finished: graphql::runs::is_finished }, until))
        }
        Api::Rest => {
            let until = until
                .iter()
                .map(|name| rest::states::require(name, "options.until").map(|(t, _)| t.to_string()).map_err(Error::invalid))
                .collect::<Result<_, _>>()?;
            Ok((Reader { read: rest::runs::read_operation, is_finished: rest::states::is_finished }, until))
        }
    }
}

fn interval<V>(args: &PollArgs) -> Result<f64, Error<V>> {
    args.interval_ms.map_or(Ok(DEFAULT_INTERVAL_MS), |ms| positive_ms(ms, "options.intervalMs"))
}

/// `wait(id, { until, intervalMs, timeoutMs })` at `now_ms`.
pub fn wait<V: Json>(client: &ClientState<V>, kind: RunKind, id: String, what: &str, args: PollArgs, now_ms: f64) -> Built<V> {
    require_uuid(&id, what)?;
    let interval_ms = interval(&args)?;
    let deadline = match args.timeout_ms {
        None => None,
        Some(ms) => {
            let ms = positive_ms(ms, "options.timeoutMs")?;
            let message = format!("the {} {id} did not finish within {} ms", kind.label(), number_text(ms));
            Some(Deadline { at_ms: now_ms + ms, message })
        }
    };
    let (reader, until) = reader(client.config.api, args.until)?;
    Ok(Runner::new(Box::new(Poll::wait(reader, kind, id, interval_ms, until))).with_deadline(deadline))
}

/// `watch(id, { intervalMs })`.
pub fn watch<V: Json>(client: &ClientState<V>, kind: RunKind, id: String, what: &str, args: PollArgs) -> Built<V> {
    require_uuid(&id, what)?;
    let interval_ms = interval(&args)?;
    let (reader, _) = reader(client.config.api, Vec::new())?;
    Ok(Runner::new(Box::new(Poll::watch(reader, kind, id, interval_ms))))
}

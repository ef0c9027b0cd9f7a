//! Every GraphQL document the client sends, in one place, with its variables and the shape of
//! its answer. Input always travels as GraphQL variables; nothing is ever spliced into the text.
//!
//! Three layers of the Prefect 1.x API are used (see `shared/reference/PREFECT-API.md`):
//! - the Python layer (`create_flow_run`, `set_flow_run_states`, `set_task_run_states`), whose
//!   SDL is in `shared/reference/prefect-server-schema/` — the conformance test checks them;
//! - Hasura reads (`flow_run_by_pk`, `task_run_by_pk`, `tenant`), with Hasura's `uuid!`;
//! - the Cloud 1.x auth mutations (`log_in`, `refresh_token`, `switch_tenant`).
//!
//! Variable and answer types are generic over `V`, the target's JSON value (`JsValue` on wasm,
//! `serde_json::Value` natively), so caller JSON passes through without being rebuilt.

use crate::client_core::auth::TokenPayload;
use crate::client_core::json::{IntoJson, Json};
pub use crate::client_core::run_kind::RunKind;

/// Which part of the Prefect API a document belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// Prefect Server's Python GraphQL layer (SDL in `prefect-server-schema/`).
    Python,
    /// Hasura's generated table API.
    Hasura,
    /// The Cloud 1.x token flow.
    Auth,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Document {
    pub name: &'static str,
    pub layer: Layer,
    pub text: &'static str,
}

pub const CREATE_FLOW_RUN: Document = Document {
    name: "CreateFlowRun",
    layer: Layer::Python,
    text: "mutation CreateFlowRun($input: create_flow_run_input!) { create_flow_run(input: $input) { id } }",
};

pub const SET_FLOW_RUN_STATES: Document = Document {
    name: "SetFlowRunStates",
    layer: Layer::Python,
    text: "mutation SetFlowRunStates($input: set_flow_run_states_input!) { set_flow_run_states(input: $input) { states { id status message } } }",
};

pub const SET_TASK_RUN_STATES: Document = Document {
    name: "SetTaskRunStates",
    layer: Layer::Python,
    text: "mutation SetTaskRunStates($input: set_task_run_states_input!) { set_task_run_states(input: $input) { states { id status message } } }",
};

pub const FLOW_RUN_STATE: Document = Document {
    name: "FlowRunState",
    layer: Layer::Hasura,
    text: "query FlowRunState($id: uuid!) { flow_run_by_pk(id: $id) { id version state state_message state_timestamp serialized_state } }",
};

pub const TASK_RUN_STATE: Document = Document {
    name: "TaskRunState",
    layer: Layer::Hasura,
    text: "query TaskRunState($id: uuid!) { task_run_by_pk(id: $id) { id version state state_message state_timestamp serialized_state } }",
};

pub const TENANTS: Document = Document {
    name: "Tenants",
    layer: Layer::Hasura,
    text: "query Tenants { tenant { id name slug } }",
};

pub const LOG_IN: Document = Document {
    name: "LogIn",
    layer: Layer::Auth,
    text: "mutation LogIn($input: log_in_input!) { log_in(input: $input) { access_token expires_at refresh_token } }",
};

pub const REFRESH_TOKEN: Document = Document {
    name: "RefreshToken",
    layer: Layer::Auth,
    text: "mutation RefreshToken($input: refresh_token_input!) { refresh_token(input: $input) { access_token expires_at refresh_token } }",
};

pub const SWITCH_TENANT: Document = Document {
    name: "SwitchTenant",
    layer: Layer::Auth,
    text: "mutation SwitchTenant($input: switch_tenant_input!) { switch_tenant(input: $input) { access_token expires_at refresh_token } }",
};

/// Every document the client can send (besides the caller's own `graphql()` documents).
pub const ALL: [Document; 9] = [
    CREATE_FLOW_RUN,
    SET_FLOW_RUN_STATES,
    SET_TASK_RUN_STATES,
    FLOW_RUN_STATE,
    TASK_RUN_STATE,
    TENANTS,
    LOG_IN,
    REFRESH_TOKEN,
    SWITCH_TENANT,
];

/// The GraphQL side of each kind of run.
impl RunKind {
    pub const fn read_document(self) -> Document {
        match self {
            RunKind::Flow => FLOW_RUN_STATE,
            RunKind::Task => TASK_RUN_STATE,
        }
    }
    pub const fn set_document(self) -> Document {
        match self {
            RunKind::Flow => SET_FLOW_RUN_STATES,
            RunKind::Task => SET_TASK_RUN_STATES,
        }
    }
    /// The field of the set's `data` that holds the answer.
    pub const fn set_field(self) -> &'static str {
        match self {
            RunKind::Flow => "set_flow_run_states",
            RunKind::Task => "set_task_run_states",
        }
    }
    /// The field of the read's `data` that holds the run.
    pub const fn read_field(self) -> &'static str {
        match self {
            RunKind::Flow => "flow_run_by_pk",
            RunKind::Task => "task_run_by_pk",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------------------------

/// `{ input: ... }`, the shape of every Python-layer and auth mutation's variables.
#[derive(Clone, Debug, PartialEq)]
pub struct InputVars<T> {
    pub input: T,
}

/// `{ id }` for the `*_by_pk` reads.
#[derive(Clone, Debug, PartialEq)]
pub struct IdVars<'a> {
    pub id: &'a str,
}

/// `create_flow_run_input` (only the fields the client sets are sent).
#[derive(Clone, Debug, PartialEq)]
pub struct CreateFlowRunInput<V> {
    pub flow_id: String,
    pub parameters: Option<V>,
    pub context: Option<V>,
    pub labels: Option<Vec<String>>,
    pub scheduled_start_time: Option<String>,
    pub idempotency_key: Option<String>,
    pub flow_run_name: Option<String>,
}

/// `set_flow_run_states_input` / `set_task_run_states_input`: one state, with the run's version.
#[derive(Clone, Debug, PartialEq)]
pub struct SetStatesInput<S> {
    pub states: Vec<S>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SetFlowRunState<V> {
    pub flow_run_id: String,
    pub version: i64,
    pub state: V,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SetTaskRunState<V> {
    pub task_run_id: String,
    pub version: i64,
    pub state: V,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogInInput<'a> {
    pub email: &'a str,
    pub password: &'a str,
}

/// `refresh_token_input`, as prefect 0.15.13's `Client._refresh_access_token` sends it: the
/// current (possibly expired) access token here, the refresh token as the Bearer.
#[derive(Clone, Debug, PartialEq)]
pub struct RefreshTokenInput<'a> {
    pub access_token: &'a str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SwitchTenantInput<'a> {
    pub tenant_id: &'a str,
}

fn set_opt<V: Json>(object: &mut V, key: &str, value: Option<V>) {
    if let Some(value) = value {
        object.set(key, value);
    }
}

impl<V: Json, T: IntoJson<V>> IntoJson<V> for InputVars<T> {
    fn into_json(self) -> V {
        V::object().with("input", self.input.into_json())
    }
}

impl<V: Json> IntoJson<V> for IdVars<'_> {
    fn into_json(self) -> V {
        V::object().with("id", V::from_str(self.id))
    }
}

impl<V: Json> IntoJson<V> for CreateFlowRunInput<V> {
    fn into_json(self) -> V {
        let mut input = V::object().with("flow_id", V::from_str(&self.flow_id));
        set_opt(&mut input, "parameters", self.parameters);
        set_opt(&mut input, "context", self.context);
        set_opt(&mut input, "labels", self.labels.as_deref().map(V::strings));
        set_opt(&mut input, "scheduled_start_time", self.scheduled_start_time.as_deref().map(V::from_str));
        set_opt(&mut input, "idempotency_key", self.idempotency_key.as_deref().map(V::from_str));
        set_opt(&mut input, "flow_run_name", self.flow_run_name.as_deref().map(V::from_str));
        input
    }
}

impl<V: Json, S: IntoJson<V>> IntoJson<V> for SetStatesInput<S> {
    fn into_json(self) -> V {
        V::object().with("states", V::array(self.states.into_iter().map(IntoJson::into_json).collect()))
    }
}

fn run_state_entry<V: Json>(id_key: &str, id: &str, version: i64, state: V) -> V {
    V::object().with(id_key, V::from_str(id)).with("version", V::from_f64(version as f64)).with("state", state)
}

impl<V: Json> IntoJson<V> for SetFlowRunState<V> {
    fn into_json(self) -> V {
        run_state_entry("flow_run_id", &self.flow_run_id, self.version, self.state)
    }
}

impl<V: Json> IntoJson<V> for SetTaskRunState<V> {
    fn into_json(self) -> V {
        run_state_entry("task_run_id", &self.task_run_id, self.version, self.state)
    }
}

impl<V: Json> IntoJson<V> for LogInInput<'_> {
    fn into_json(self) -> V {
        V::object().with("email", V::from_str(self.email)).with("password", V::from_str(self.password))
    }
}

impl<V: Json> IntoJson<V> for RefreshTokenInput<'_> {
    fn into_json(self) -> V {
        V::object().with("access_token", V::from_str(self.access_token))
    }
}

impl<V: Json> IntoJson<V> for SwitchTenantInput<'_> {
    fn into_json(self) -> V {
        V::object().with("tenant_id", V::from_str(self.tenant_id))
    }
}

// ---------------------------------------------------------------------------------------------
// Answers (read from the `data` object of each document)
// ---------------------------------------------------------------------------------------------

/// `create_flow_run { id }`.
pub fn created_id<V: Json>(data: &V) -> Option<String> {
    data.field("create_flow_run")?.string_field("id")
}

/// One run as `flow_run_by_pk` / `task_run_by_pk` answer it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow<V> {
    pub id: String,
    pub version: Option<i64>,
    pub state: Option<String>,
    pub state_message: Option<String>,
    pub state_timestamp: Option<String>,
    pub serialized_state: Option<V>,
}

/// The run in a read's `data`: `Ok(None)` when the server has no such run, `Err` (what is
/// wrong) when the answer is not the shape asked for.
pub fn run_row<V: Json>(data: &V, kind: RunKind) -> Result<Option<RunRow<V>>, String> {
    let field = kind.read_field();
    let Some(row) = data.field(field) else { return Ok(None) };
    if !row.is_object() {
        return Err(format!("`{field}` is not an object"));
    }
    let id = row.string_field("id").ok_or_else(|| format!("`{field}.id` is not a string"))?;
    let text = |key: &str| row.string_field(key);
    Ok(Some(RunRow {
        version: row.integer_field("version"),
        state: text("state"),
        state_message: text("state_message"),
        state_timestamp: text("state_timestamp"),
        serialized_state: row.field("serialized_state"),
        id,
    }))
}

/// What `set_*_run_states { states { id status message } }` says about the one state sent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetStatus {
    pub status: Option<String>,
    pub message: Option<String>,
}

pub fn set_status<V: Json>(data: &V, kind: RunKind) -> Option<SetStatus> {
    let state = data.field(kind.set_field())?.field("states")?.at(0)?;
    Some(SetStatus { status: state.string_field("status"), message: state.string_field("message") })
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub slug: String,
}

impl<V: Json> IntoJson<V> for &Tenant {
    fn into_json(self) -> V {
        V::object().with("id", V::from_str(&self.id)).with("name", V::from_str(&self.name)).with("slug", V::from_str(&self.slug))
    }
}

/// `tenant { id name slug }`; `None` when it is not a list of such.
pub fn tenants<V: Json>(data: &V) -> Option<Vec<Tenant>> {
    let list = data.get("tenant")?;
    (0..list.array_len()?)
        .map(|i| {
            let t = list.at(i)?;
            Some(Tenant { id: t.string_field("id")?, name: t.string_field("name")?, slug: t.string_field("slug")? })
        })
        .collect()
}

/// The token payload under `field` (`log_in`, `refresh_token`, `switch_tenant`).
pub fn token_payload<V: Json>(data: &V, field: &str) -> Option<TokenPayload> {
    TokenPayload::read(&data.field(field)?)
}

// ---------------------------------------------------------------------------------------------
// Looking at a caller's document
// ---------------------------------------------------------------------------------------------

/// True when a GraphQL document contains no `mutation` or `subscription` operation, so
/// repeating it cannot change anything. Only the top level (outside braces, strings and
/// comments) is looked at; anything unclear counts as a mutation.
pub fn is_read_only(document: &str) -> bool {
    let bytes = document.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                if bytes[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 3;
                } else {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                continue;
            }
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            _ if depth == 0 && (b.is_ascii_alphabetic() || b == b'_') => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &document[start..i];
                if word == "mutation" || word == "subscription" {
                    return false;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    true
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn documents_have_unique_names_and_use_variables() {
        let mut names: Vec<&str> = ALL.iter().map(|d| d.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        for doc in ALL {
            assert!(doc.text.contains(doc.name), "{} is named in its text", doc.name);
            if doc.name != "Tenants" {
                assert!(doc.text.contains('$'), "{} takes variables", doc.name);
            }
        }
    }

    #[test]
    fn read_only_detection() {
        assert!(is_read_only("{ hello }"));
        assert!(is_read_only("query Q($a: String) { hello }"));
        assert!(is_read_only("query { mutation: hello } # mutation"));
        assert!(is_read_only(r#"query { x(arg: "mutation {") }"#));
        assert!(is_read_only("fragment F on Mutation { x } query { ...F }"));
        assert!(!is_read_only("mutation { x }"));
        assert!(!is_read_only("  # c\n mutation M { x }"));
        assert!(!is_read_only("query A { a } mutation B { b }"));
        assert!(!is_read_only("subscription { s }"));
        for doc in ALL {
            assert_eq!(is_read_only(doc.text), doc.text.starts_with("query"), "{}", doc.name);
        }
    }

    #[test]
    fn variables_serialize_to_the_wire_names() {
        let create = InputVars {
            input: CreateFlowRunInput::<Value> {
                flow_id: "f".into(),
                parameters: Some(json!({"x": 1})),
                context: None,
                labels: Some(vec!["a".into()]),
                scheduled_start_time: None,
                idempotency_key: Some("k".into()),
                flow_run_name: Some("n".into()),
            },
        };
        assert_eq!(
            IntoJson::<Value>::into_json(create),
            json!({"input": {"flow_id": "f", "parameters": {"x": 1}, "labels": ["a"], "idempotency_key": "k", "flow_run_name": "n"}})
        );
        let set = InputVars { input: SetStatesInput { states: vec![SetTaskRunState { task_run_id: "t".into(), version: 3, state: json!({"type": "Running"}) }] } };
        assert_eq!(
            IntoJson::<Value>::into_json(set),
            json!({"input": {"states": [{"task_run_id": "t", "version": 3, "state": {"type": "Running"}}]}})
        );
        assert_eq!(IntoJson::<Value>::into_json(InputVars { input: RefreshTokenInput { access_token: "r" } }), json!({"input": {"access_token": "r"}}));
        assert_eq!(IntoJson::<Value>::into_json(InputVars { input: SwitchTenantInput { tenant_id: "t" } }), json!({"input": {"tenant_id": "t"}}));
        assert_eq!(IntoJson::<Value>::into_json(InputVars { input: LogInInput { email: "e", password: "p" } }), json!({"input": {"email": "e", "password": "p"}}));
        assert_eq!(IntoJson::<Value>::into_json(IdVars { id: "i" }), json!({"id": "i"}));
    }

    #[test]
    fn answers_decode() {
        let data = json!({"flow_run_by_pk": {"id": "r", "version": 2, "state": "Running", "state_message": null, "state_timestamp": "2026-01-01T00:00:00+00:00", "serialized_state": {"type": "Running"}}});
        let row = run_row(&data, RunKind::Flow).unwrap().unwrap();
        assert_eq!((row.version, row.state.as_deref(), row.state_message, row.serialized_state), (Some(2), Some("Running"), None, Some(json!({"type": "Running"}))));
        assert_eq!(run_row(&json!({"task_run_by_pk": null}), RunKind::Task), Ok(None));
        assert!(run_row(&json!({"task_run_by_pk": [1]}), RunKind::Task).is_err());
        assert!(run_row(&json!({"task_run_by_pk": {"id": 7}}), RunKind::Task).is_err());
        let fractional = json!({"flow_run_by_pk": {"id": "r", "version": 2.5}});
        assert_eq!(run_row(&fractional, RunKind::Flow).unwrap().unwrap().version, None);
        let set = json!({"set_task_run_states": {"states": [{"id": "t", "status": "SUCCESS", "message": null}]}});
        assert_eq!(set_status(&set, RunKind::Task).unwrap().status.as_deref(), Some("SUCCESS"));
        assert_eq!(set_status(&set, RunKind::Flow), None);
        let listed = tenants(&json!({"tenant": [{"id": "1", "name": "A", "slug": "a"}]})).unwrap();
        assert_eq!(listed[0].slug, "a");
        assert_eq!(tenants(&json!({"tenant": [{"id": "1", "name": "A"}]})), None);
        assert_eq!(created_id(&json!({"create_flow_run": {"id": "x"}})).as_deref(), Some("x"));
        let tokens = token_payload(&json!({"log_in": {"access_token": "a", "expires_at": null}}), "log_in").unwrap();
        assert_eq!((tokens.access_token.as_str(), tokens.expires_at), ("a", None));
    }
}

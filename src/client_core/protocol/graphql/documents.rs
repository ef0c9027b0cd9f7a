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

use serde::{Deserialize, Serialize};

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

/// Which run a state document is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    Flow,
    Task,
}

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
    /// The field of the read's `data` that holds the run.
    pub const fn read_field(self) -> &'static str {
        match self {
            RunKind::Flow => "flow_run_by_pk",
            RunKind::Task => "task_run_by_pk",
        }
    }
    pub const fn label(self) -> &'static str {
        match self {
            RunKind::Flow => "flow run",
            RunKind::Task => "task run",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------------------------

/// `{ input: ... }`, the shape of every Python-layer and auth mutation's variables.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InputVars<T> {
    pub input: T,
}

/// `{ id }` for the `*_by_pk` reads.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct IdVars<'a> {
    pub id: &'a str,
}

/// `create_flow_run_input` (only the fields the client sets are sent).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CreateFlowRunInput<V> {
    pub flow_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<V>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<V>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_run_name: Option<String>,
}

/// `set_flow_run_states_input` / `set_task_run_states_input`: one state, with the run's version.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SetStatesInput<S> {
    pub states: Vec<S>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SetFlowRunState<V> {
    pub flow_run_id: String,
    pub version: i64,
    pub state: V,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SetTaskRunState<V> {
    pub task_run_id: String,
    pub version: i64,
    pub state: V,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LogInInput<'a> {
    pub email: &'a str,
    pub password: &'a str,
}

/// `refresh_token_input`: the refresh token travels as `access_token` (and as the Bearer).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RefreshTokenInput<'a> {
    pub access_token: &'a str,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SwitchTenantInput<'a> {
    pub tenant_id: &'a str,
}

// ---------------------------------------------------------------------------------------------
// Answers (the `data` object of each document)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct CreateFlowRunData {
    pub create_flow_run: Option<IdPayload>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub struct IdPayload {
    pub id: String,
}

/// One run as `flow_run_by_pk` / `task_run_by_pk` answer it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct RunRow<V> {
    pub id: String,
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub state_message: Option<String>,
    #[serde(default)]
    pub state_timestamp: Option<String>,
    #[serde(default = "none")]
    pub serialized_state: Option<V>,
}

fn none<V>() -> Option<V> {
    None
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct FlowRunByPk<V> {
    #[serde(default = "none")]
    pub flow_run_by_pk: Option<RunRow<V>>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TaskRunByPk<V> {
    #[serde(default = "none")]
    pub task_run_by_pk: Option<RunRow<V>>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SetStatesData {
    #[serde(alias = "set_flow_run_states", alias = "set_task_run_states")]
    pub states_payload: Option<SetStatesPayload>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SetStatesPayload {
    #[serde(default)]
    pub states: Option<Vec<SetStatePayload>>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SetStatePayload {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub slug: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TenantsData {
    pub tenant: Vec<Tenant>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct LogInData {
    pub log_in: Option<crate::core::auth::TokenPayload>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct RefreshTokenData {
    pub refresh_token: Option<crate::core::auth::TokenPayload>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SwitchTenantData {
    pub switch_tenant: Option<crate::core::auth::TokenPayload>,
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

/// A UUID in its canonical 8-4-4-4-12 hex form (any case), as the server's `UUID`/`uuid` want.
pub fn is_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
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
    fn uuids() {
        assert!(is_uuid("6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f"));
        assert!(is_uuid("6B9F0C3E-1D2A-4C5B-9E8F-0A1B2C3D4E5F"));
        for bad in ["", "not-a-uuid", "6b9f0c3e1d2a4c5b9e8f0a1b2c3d4e5f", "6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5g", "{6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f}"] {
            assert!(!is_uuid(bad), "{bad}");
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
            serde_json::to_value(&create).unwrap(),
            json!({"input": {"flow_id": "f", "parameters": {"x": 1}, "labels": ["a"], "idempotency_key": "k", "flow_run_name": "n"}})
        );
        let set = InputVars { input: SetStatesInput { states: vec![SetTaskRunState { task_run_id: "t".into(), version: 3, state: json!({"type": "Running"}) }] } };
        assert_eq!(
            serde_json::to_value(&set).unwrap(),
            json!({"input": {"states": [{"task_run_id": "t", "version": 3, "state": {"type": "Running"}}]}})
        );
        assert_eq!(serde_json::to_value(InputVars { input: RefreshTokenInput { access_token: "r" } }).unwrap(), json!({"input": {"access_token": "r"}}));
        assert_eq!(serde_json::to_value(InputVars { input: SwitchTenantInput { tenant_id: "t" } }).unwrap(), json!({"input": {"tenant_id": "t"}}));
        assert_eq!(serde_json::to_value(InputVars { input: LogInInput { email: "e", password: "p" } }).unwrap(), json!({"input": {"email": "e", "password": "p"}}));
        assert_eq!(serde_json::to_value(IdVars { id: "i" }).unwrap(), json!({"id": "i"}));
    }

    #[test]
    fn answers_decode() {
        let row: FlowRunByPk<Value> = serde_json::from_value(json!({"flow_run_by_pk": {"id": "r", "version": 2, "state": "Running", "state_message": null, "state_timestamp": "2026-01-01T00:00:00+00:00", "serialized_state": {"type": "Running"}}})).unwrap();
        let row = row.flow_run_by_pk.unwrap();
        assert_eq!((row.version, row.state.as_deref(), row.serialized_state), (Some(2), Some("Running"), Some(json!({"type": "Running"}))));
        let missing: TaskRunByPk<Value> = serde_json::from_value(json!({"task_run_by_pk": null})).unwrap();
        assert_eq!(missing.task_run_by_pk, None);
        let set: SetStatesData = serde_json::from_value(json!({"set_task_run_states": {"states": [{"id": "t", "status": "SUCCESS", "message": null}]}})).unwrap();
        assert_eq!(set.states_payload.unwrap().states.unwrap()[0].status.as_deref(), Some("SUCCESS"));
        let tenants: TenantsData = serde_json::from_value(json!({"tenant": [{"id": "1", "name": "A", "slug": "a"}]})).unwrap();
        assert_eq!(tenants.tenant[0].slug, "a");
    }
}

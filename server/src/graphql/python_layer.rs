//! The root fields of `python_layer.graphql`, each bound by name to its typed operation in
//! `domain`: the field's `input` is read into the operation's input type, the operation runs
//! (a mutation in one write transaction), and its answer is shaped as the field's payload.

use std::sync::Arc;

use prefect_wasm::client_core::run_kind::RunKind;
use rusqlite::{Connection, Transaction};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value as J};

use crate::app::{scope_of, App, Caller, RequestAuth, Scope};
use crate::domain::agents::{self, RegisterAgent};
use crate::domain::artifacts::{self, CreateArtifact, UpdateArtifact};
use crate::domain::flow_groups::{self, FlowGroupChange, FlowGroupDescription, FlowGroupLabels, FlowGroupParameters, FlowGroupRunConfig};
use crate::domain::flows::{self, CreateFlow, CreateFlowFromCompressed, FlowChange, RegisterEdges, RegisterTasks};
use crate::domain::task_tag_limits::{self, UpdateTaskTagLimit};
use crate::domain::flow_runs::{self, CreateFlowRun};
use crate::domain::logs::{self, WriteLogs};
use crate::domain::projects::{self, CreateProject, ProjectChange};
use crate::domain::queue::{self, RunsInQueue};
use crate::domain::states::{self, SetStates};
use crate::domain::task_runs::{self, TaskRunKey};
use crate::domain::{reference_data, tenants, Id};
use crate::error::ApiError;

/// A root field's resolver, given the caller and the field's arguments as JSON.
pub type Resolver = Arc<dyn Fn(&App, &Caller, &J) -> Result<J, ApiError> + Send + Sync>;

/// A field that runs without an access token (`log_in` and the rest of the token flow).
pub type TokenResolver = Arc<dyn Fn(&App, Option<&RequestAuth>, &J) -> Result<J, ApiError> + Send + Sync>;

fn read_input<T: DeserializeOwned>(args: &J) -> Result<T, ApiError> {
    T::deserialize(args.get("input").unwrap_or(&J::Null)).map_err(|e| ApiError::bad_input(e.to_string()))
}

fn to_json(value: impl serde::Serialize) -> Result<J, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::bad_input(e.to_string()))
}

/// A mutation: `op` on the `input` argument, in one write transaction.
fn mutation<I: DeserializeOwned, O: serde::Serialize>(
    op: impl Fn(&Transaction<'_>, &Scope, I) -> Result<O, ApiError> + Send + Sync + 'static,
) -> Option<Resolver> {
    mutation_by(move |tx, caller, input| op(tx, &caller.scope, input))
}

/// A mutation that also reads Prefect's headers (the agent's id, the library's version).
fn mutation_by<I: DeserializeOwned, O: serde::Serialize>(
    op: impl Fn(&Transaction<'_>, &Caller, I) -> Result<O, ApiError> + Send + Sync + 'static,
) -> Option<Resolver> {
    Some(Arc::new(move |app, caller, args| {
        let input = read_input(args)?;
        to_json(app.db.write(|tx| op(tx, caller, input))?)
    }))
}

/// A read: `op` on the caller and the field's arguments.
fn read(op: impl Fn(&Connection, &Caller, &J) -> Result<J, ApiError> + Send + Sync + 'static) -> Option<Resolver> {
    Some(Arc::new(move |app, caller, args| app.db.read(|c| op(c, caller, args))))
}

fn id_payload(id: Id) -> J {
    json!({ "id": id })
}

fn success(_: ()) -> J {
    json!({"success": true, "error": null})
}

// Inputs that only name a row, or a row and one new value.
#[derive(Deserialize)]
struct ProjectRef {
    project_id: Id,
}
#[derive(Deserialize)]
struct ProjectName {
    project_id: Id,
    name: String,
}
#[derive(Deserialize)]
struct ProjectDescription {
    project_id: Id,
    description: Option<String>,
}
#[derive(Deserialize)]
struct FlowRef {
    flow_id: Id,
}
#[derive(Deserialize)]
struct FlowRunRef {
    flow_run_id: Id,
}
#[derive(Deserialize)]
struct TaskRunRef {
    task_run_id: Id,
}
#[derive(Deserialize)]
struct FlowRunName {
    flow_run_id: Id,
    name: String,
}
#[derive(Deserialize)]
struct TaskRunName {
    task_run_id: Id,
    name: String,
}
#[derive(Deserialize)]
struct FlowRunLabels {
    flow_run_id: Id,
    labels: Vec<String>,
}
#[derive(Deserialize)]
struct NewTenant {
    name: String,
    slug: String,
}

/// The states answer of `set_flow_run_states` / `set_task_run_states`.
fn states_payload(answers: Vec<states::StateAnswer>) -> J {
    json!({ "states": answers })
}

#[derive(Deserialize)]
struct AgentRef {
    agent_id: Id,
}
#[derive(Deserialize)]
struct LimitRef {
    limit_id: Id,
}
#[derive(Deserialize)]
struct ArtifactRef {
    task_run_artifact_id: Id,
}

/// A mutation on a flow's flow group settings (`enable_flow_heartbeat` and the like).
fn flow_group_setting(change: FlowGroupChange) -> Option<Resolver> {
    mutation(move |tx, scope, i: FlowRef| {
        let group = flow_groups::of_flow(tx, scope, &i.flow_id)?;
        flow_groups::change(tx, scope, &group, change.clone()).map(success)
    })
}

/// The resolver of root field `name`; `None` when this server does not bind it.
pub fn resolver(name: &str) -> Option<Resolver> {
    match name {
        "hello" => Some(Arc::new(|_, _, _| Ok(json!("Hello, world! This is prefect-dev-server.")))),
        "api" => Some(Arc::new(|app, _, _| {
            Ok(json!({
                "backend": if app.auth.is_some() { "CLOUD" } else { "SERVER" },
                "mode": "normal",
                "version": env!("CARGO_PKG_VERSION"),
                "core_version": prefect_wasm::client_core::state::PREFECT_CORE_VERSION,
                "release_timestamp": "2026-12-01T00:00:00+00:00",
            }))
        })),
        "reference_data" => Some(Arc::new(|_, _, _| Ok(reference_data::reference_data()))),
        "get_task_run_info" => read(|c, caller, args| {
            let id = Id::parse(args.get("task_run_id").and_then(J::as_str).unwrap_or_default())?;
            to_json(task_runs::info(c, &caller.scope, &id)?)
        }),
        "auth_info" => read(|c, caller, _| to_json(tenants::auth_info(c, &caller.scope)?)),
        "create_tenant" => Some(Arc::new(|app, caller, args| {
            let t: NewTenant = read_input(args)?;
            let id = app.db.write(|tx| tenants::create(tx, &t.name, &t.slug))?;
            if let (Some(auth), Scope::Tenant { user_id, .. }) = (&app.auth, &caller.scope) {
                auth.grant(user_id, id.as_str());
            }
            Ok(id_payload(id))
        })),
        "create_project" => mutation(|tx, scope, i: CreateProject| projects::create(tx, scope, &i).map(id_payload)),
        "set_project_name" => mutation(|tx, scope, i: ProjectName| {
            projects::change(tx, scope, &i.project_id, ProjectChange::Name(i.name))?;
            Ok(id_payload(i.project_id))
        }),
        "set_project_description" => mutation(|tx, scope, i: ProjectDescription| {
            projects::change(tx, scope, &i.project_id, ProjectChange::Description(i.description))?;
            Ok(id_payload(i.project_id))
        }),
        "delete_project" => mutation(|tx, scope, i: ProjectRef| projects::delete_project(tx, scope, &i.project_id).map(success)),
        "create_flow" => mutation(|tx, scope, i: CreateFlow| flows::create(tx, scope, &i).map(id_payload)),
        "create_flow_from_compressed_string" => {
            mutation(|tx, scope, i: CreateFlowFromCompressed| flows::create(tx, scope, &i.decompressed()?).map(id_payload))
        }
        "register_tasks" => mutation(|tx, scope, i: RegisterTasks| flows::register_tasks(tx, scope, &i).map(success)),
        "register_edges" => mutation(|tx, scope, i: RegisterEdges| flows::register_edges(tx, scope, &i).map(success)),
        "enable_flow_heartbeat" => flow_group_setting(FlowGroupChange::heartbeat(true)),
        "disable_flow_heartbeat" => flow_group_setting(FlowGroupChange::heartbeat(false)),
        "enable_flow_lazarus_process" => flow_group_setting(FlowGroupChange::lazarus(true)),
        "disable_flow_lazarus_process" => flow_group_setting(FlowGroupChange::lazarus(false)),
        "set_flow_group_labels" => mutation(|tx, scope, i: FlowGroupLabels| {
            flow_groups::change(tx, scope, &i.flow_group_id, FlowGroupChange::Labels(i.labels)).map(success)
        }),
        "set_flow_group_default_parameters" => mutation(|tx, scope, i: FlowGroupParameters| {
            let parameters = flow_groups::parameters_object(i.parameters)?;
            flow_groups::change(tx, scope, &i.flow_group_id, FlowGroupChange::DefaultParameters(parameters)).map(success)
        }),
        "set_flow_group_description" => mutation(|tx, scope, i: FlowGroupDescription| {
            flow_groups::change(tx, scope, &i.flow_group_id, FlowGroupChange::Description(i.description)).map(success)
        }),
        "set_flow_group_run_config" => mutation(|tx, scope, i: FlowGroupRunConfig| {
            flow_groups::change(tx, scope, &i.flow_group_id, FlowGroupChange::RunConfig(i.run_config)).map(success)
        }),
        "register_agent" => mutation_by(|tx, caller, i: RegisterAgent| agents::register(tx, caller, &i).map(id_payload)),
        "delete_agent" => mutation(|tx, scope, i: AgentRef| agents::delete_agent(tx, scope, &i.agent_id).map(success)),
        "update_task_tag_limit" => mutation(|tx, scope, i: UpdateTaskTagLimit| task_tag_limits::update(tx, scope, &i).map(id_payload)),
        "delete_task_tag_limit" => mutation(|tx, scope, i: LimitRef| task_tag_limits::delete_limit(tx, scope, &i.limit_id).map(success)),
        "archive_flow" => mutation(|tx, scope, i: FlowRef| flows::change(tx, scope, &i.flow_id, FlowChange::Archive).map(success)),
        "set_schedule_active" => mutation(|tx, scope, i: FlowRef| flows::change(tx, scope, &i.flow_id, FlowChange::ScheduleActive(true)).map(success)),
        "set_schedule_inactive" => mutation(|tx, scope, i: FlowRef| flows::change(tx, scope, &i.flow_id, FlowChange::ScheduleActive(false)).map(success)),
        "delete_flow" => mutation(|tx, scope, i: FlowRef| flows::delete_flow(tx, scope, &i.flow_id).map(success)),
        "create_flow_run" => mutation(|tx, scope, i: CreateFlowRun| flow_runs::create(tx, scope, &i).map(id_payload)),
        "delete_flow_run" => mutation(|tx, scope, i: FlowRunRef| flow_runs::delete_flow_run(tx, scope, &i.flow_run_id).map(success)),
        "set_flow_run_name" => mutation(|tx, scope, i: FlowRunName| flow_runs::set_name(tx, scope, &i.flow_run_id, i.name).map(success)),
        "set_flow_run_labels" => mutation(|tx, scope, i: FlowRunLabels| flow_runs::set_labels(tx, scope, &i.flow_run_id, &i.labels).map(success)),
        "update_flow_run_heartbeat" => mutation(|tx, scope, i: FlowRunRef| flow_runs::heartbeat(tx, scope, &i.flow_run_id).map(success)),
        "set_task_run_name" => mutation(|tx, scope, i: TaskRunName| task_runs::set_name(tx, scope, &i.task_run_id, i.name).map(success)),
        "update_task_run_heartbeat" => mutation(|tx, scope, i: TaskRunRef| task_runs::heartbeat(tx, scope, &i.task_run_id).map(success)),
        "get_or_create_task_run" => mutation(|tx, scope, i: TaskRunKey| task_runs::get_or_create(tx, scope, &i).map(id_payload)),
        "get_or_create_task_run_info" => mutation(|tx, scope, i: TaskRunKey| {
            let id = task_runs::get_or_create(tx, scope, &i)?;
            task_runs::info(tx, scope, &id)
        }),
        // a mutation in Prefect's SDL; it writes the calling agent's last_queried
        "get_runs_in_queue" => mutation_by(|tx, caller, i: RunsInQueue| Ok(json!({ "flow_run_ids": queue::runs_in_queue(tx, caller, &i)? }))),
        "set_flow_run_states" => mutation_by(|tx, caller, i: SetStates| states::set_states(tx, caller, RunKind::Flow, &i).map(states_payload)),
        "set_task_run_states" => mutation_by(|tx, caller, i: SetStates| states::set_states(tx, caller, RunKind::Task, &i).map(states_payload)),
        "cancel_flow_run" => mutation(|tx, scope, i: FlowRunRef| Ok(json!({ "state": states::cancel_flow_run(tx, scope, &i.flow_run_id)? }))),
        "create_task_run_artifact" => mutation(|tx, scope, i: CreateArtifact| artifacts::create(tx, scope, &i).map(id_payload)),
        "update_task_run_artifact" => mutation(|tx, scope, i: UpdateArtifact| artifacts::update(tx, scope, &i).map(success)),
        "delete_task_run_artifact" => mutation(|tx, scope, i: ArtifactRef| artifacts::delete_artifact(tx, scope, &i.task_run_artifact_id).map(success)),
        "write_run_logs" => mutation(|tx, scope, i: WriteLogs| logs::write(tx, scope, &i).map(success)),
        _ => None,
    }
}

/// The resolver of a token-flow field (`log_in`, `refresh_token`, `switch_tenant`).
pub fn token_resolver(name: &str) -> Option<TokenResolver> {
    fn tokens(t: crate::auth::TokenSet) -> J {
        json!({"access_token": t.access_token, "expires_at": t.expires_at, "refresh_token": t.refresh_token})
    }
    fn need_auth(app: &App) -> Result<&crate::auth::Auth, ApiError> {
        app.auth.as_ref().ok_or_else(|| ApiError::bad_input("this server runs without authentication (start it with --auth)"))
    }
    #[derive(Deserialize)]
    struct LogIn {
        email: String,
        password: String,
    }
    #[derive(Deserialize)]
    struct Refresh {
        access_token: String,
    }
    #[derive(Deserialize)]
    struct SwitchTenant {
        tenant_id: Id,
    }
    Some(match name {
        "log_in" => Arc::new(|app, _, args| {
            let auth = need_auth(app)?;
            let i: LogIn = read_input(args)?;
            Ok(tokens(auth.log_in(&i.email, &i.password)?))
        }),
        "refresh_token" => Arc::new(|app, req, args| {
            // As prefect 0.15.13's `Client._refresh_access_token` sends it: the refresh token as
            // the Bearer, the session's access token (expired or not) in `input.access_token`.
            let auth = need_auth(app)?;
            let access_token = read_input::<Refresh>(args)?.access_token;
            let refresh_token = req
                .and_then(|r| r.bearer.as_deref())
                .ok_or_else(|| ApiError::unauthenticated("refresh_token needs the refresh token as the Bearer token"))?;
            Ok(tokens(auth.refresh(refresh_token, &access_token)?))
        }),
        "switch_tenant" => Arc::new(|app, req, args| {
            let auth = need_auth(app)?;
            let Scope::Tenant { user_id, .. } = scope_of(app, req)? else { unreachable!() };
            let tenant_id = read_input::<SwitchTenant>(args)?.tenant_id;
            Ok(tokens(auth.switch_tenant(&user_id, tenant_id.as_str())?))
        }),
        _ => return None,
    })
}

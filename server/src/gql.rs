//! The GraphQL schema: the Python-layer types and root fields built from `python_layer.graphql`
//! (resolvers bound by name below), plus the Hasura reads of `hasura.rs`.

use std::sync::Arc;

use async_graphql::dynamic::{
    Enum, EnumItem, Field, FieldFuture, FieldValue, InputObject, InputValue, Object, Scalar, Schema, TypeRef,
};
use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use async_graphql::Value;
use serde_json::{json, Value as J};

use crate::app::{scope_of, App, RequestAuth, Scope, SharedApp};
use crate::error::ApiError;
use crate::ops::{self, req_str, req_uuid, RunKind};

pub const PYTHON_LAYER_SDL: &str = include_str!("python_layer.graphql");

fn type_ref(t: &Type) -> TypeRef {
    let inner = match &t.base {
        BaseType::Named(n) => TypeRef::Named(n.to_string().into()),
        BaseType::List(inner) => TypeRef::List(Box::new(type_ref(inner))),
    };
    if t.nullable { inner } else { TypeRef::NonNull(Box::new(inner)) }
}

fn is_uuid(v: &Value) -> bool {
    matches!(v, Value::String(s) if uuid::Uuid::parse_str(s).is_ok())
}
fn is_time(v: &Value) -> bool {
    matches!(v, Value::String(s) if crate::db::parse_time(s).is_some())
}

type Handler = fn(&App, &Scope, &J) -> Result<J, ApiError>;

fn input(args: &J) -> &J {
    args.get("input").unwrap_or(&J::Null)
}

fn write<T>(app: &App, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, ApiError>) -> Result<T, ApiError> {
    app.db.write(f)
}

/// Resolver of a root field: `None` when the SDL names a field this server does not bind.
fn handler(name: &str) -> Option<Handler> {
    Some(match name {
        "hello" => |_, _, _| Ok(json!("Hello, world! This is prefect-dev-server.")),
        "api" => |app, _, _| {
            Ok(json!({
                "backend": if app.auth.is_some() { "CLOUD" } else { "SERVER" },
                "mode": "normal",
                "version": env!("CARGO_PKG_VERSION"),
                "core_version": prefect_wasm::client_core::state::PREFECT_CORE_VERSION,
                "release_timestamp": "2026-12-01T00:00:00+00:00",
            }))
        },
        "reference_data" => |_, _, _| Ok(ops::reference_data()),
        "get_task_run_info" => |app, scope, args| {
            let id = req_uuid(args, "task_run_id")?;
            app.db.read(|c| ops::task_run_info(c, scope, &id))
        },
        "create_tenant" => |app, scope, args| {
            let i = input(args);
            let (name, slug) = (req_str(i, "name")?, req_str(i, "slug")?);
            let id = write(app, |tx| ops::create_tenant(tx, &name, &slug))?;
            if let (Some(auth), Scope::Tenant { user_id, .. }) = (&app.auth, scope) {
                auth.grant(user_id, &id);
            }
            Ok(json!({ "id": id }))
        },
        "create_project" => |app, scope, args| Ok(json!({"id": write(app, |tx| ops::create_project(tx, scope, input(args)))?})),
        "set_project_name" => |app, scope, args| Ok(json!({"id": write(app, |tx| ops::update_project(tx, scope, input(args), "name"))?})),
        "set_project_description" => |app, scope, args| Ok(json!({"id": write(app, |tx| ops::update_project(tx, scope, input(args), "description"))?})),
        "delete_project" => |app, scope, args| {
            let id = req_uuid(input(args), "project_id")?;
            write(app, |tx| ops::delete_row(tx, scope, "project", "project", &id))
        },
        "create_flow" => |app, scope, args| Ok(json!({"id": write(app, |tx| ops::create_flow(tx, scope, input(args)))?})),
        "archive_flow" => |app, scope, args| write(app, |tx| ops::set_flow_flag(tx, scope, input(args), "archived = 1, is_schedule_active = 0")),
        "set_schedule_active" => |app, scope, args| write(app, |tx| ops::set_flow_flag(tx, scope, input(args), "is_schedule_active = 1")),
        "set_schedule_inactive" => |app, scope, args| write(app, |tx| ops::set_flow_flag(tx, scope, input(args), "is_schedule_active = 0")),
        "delete_flow" => |app, scope, args| {
            let id = req_uuid(input(args), "flow_id")?;
            write(app, |tx| ops::delete_row(tx, scope, "flow", "flow", &id))
        },
        "create_flow_run" => |app, scope, args| Ok(json!({"id": write(app, |tx| ops::create_flow_run(tx, scope, input(args)))?})),
        "delete_flow_run" => |app, scope, args| {
            let id = req_uuid(input(args), "flow_run_id")?;
            write(app, |tx| ops::delete_row(tx, scope, "flow_run", "flow run", &id))
        },
        "set_flow_run_name" => |app, scope, args| {
            let i = input(args);
            let (id, name) = (req_uuid(i, "flow_run_id")?, req_str(i, "name")?);
            write(app, |tx| ops::update_run_field(tx, scope, "flow_run", &id, "name", Some(name)))
        },
        "set_task_run_name" => |app, scope, args| {
            let i = input(args);
            let (id, name) = (req_uuid(i, "task_run_id")?, req_str(i, "name")?);
            write(app, |tx| ops::update_run_field(tx, scope, "task_run", &id, "name", Some(name)))
        },
        "set_flow_run_labels" => |app, scope, args| {
            let i = input(args);
            let id = req_uuid(i, "flow_run_id")?;
            let labels = ops::get(i, "labels").cloned().unwrap_or(json!([]));
            write(app, |tx| ops::update_run_field(tx, scope, "flow_run", &id, "labels", Some(labels.to_string())))
        },
        "update_flow_run_heartbeat" => |app, scope, args| {
            let id = req_uuid(input(args), "flow_run_id")?;
            write(app, |tx| ops::update_run_field(tx, scope, "flow_run", &id, "heartbeat", Some(crate::db::now())))
        },
        "update_task_run_heartbeat" => |app, scope, args| {
            let id = req_uuid(input(args), "task_run_id")?;
            write(app, |tx| ops::update_run_field(tx, scope, "task_run", &id, "heartbeat", Some(crate::db::now())))
        },
        "get_or_create_task_run" => |app, scope, args| Ok(json!({"id": write(app, |tx| ops::get_or_create_task_run(tx, scope, input(args)))?})),
        "get_or_create_task_run_info" => |app, scope, args| {
            write(app, |tx| {
                let id = ops::get_or_create_task_run(tx, scope, input(args))?;
                ops::task_run_info(tx, scope, &id)
            })
        },
        "get_runs_in_queue" => |app, scope, args| app.db.read(|c| ops::runs_in_queue(c, scope, input(args))),
        "set_flow_run_states" => |app, scope, args| write(app, |tx| ops::set_states(tx, scope, RunKind::Flow, input(args))),
        "set_task_run_states" => |app, scope, args| write(app, |tx| ops::set_states(tx, scope, RunKind::Task, input(args))),
        "cancel_flow_run" => |app, scope, args| write(app, |tx| ops::cancel_flow_run(tx, scope, input(args))),
        "write_run_logs" => |app, scope, args| write(app, |tx| ops::write_run_logs(tx, scope, input(args))),
        _ => return None,
    })
}

/// Operations that run without an access token (auth-mode bootstrapping).
type AuthHandler = fn(&App, Option<&RequestAuth>, &J) -> Result<J, ApiError>;

fn auth_handler(name: &str) -> Option<AuthHandler> {
    fn tokens(t: crate::auth::TokenSet) -> J {
        json!({"access_token": t.access_token, "expires_at": t.expires_at, "refresh_token": t.refresh_token})
    }
    fn need_auth(app: &App) -> Result<&crate::auth::Auth, ApiError> {
        app.auth.as_ref().ok_or_else(|| ApiError::bad_input("this server runs without authentication (start it with --auth)"))
    }
    Some(match name {
        "log_in" => |app, _, args| {
            let i = input(args);
            Ok(tokens(need_auth(app)?.log_in(&req_str(i, "email")?, &req_str(i, "password")?)?))
        },
        "refresh_token" => |app, req, args| {
            // As prefect 0.15.13's `Client._refresh_access_token` sends it: the refresh token as
            // the Bearer, the session's access token (expired or not) in `input.access_token`.
            let auth = need_auth(app)?;
            let access_token = req_str(input(args), "access_token")?;
            let refresh_token = req
                .and_then(|r| r.bearer.as_deref())
                .ok_or_else(|| ApiError::unauthenticated("refresh_token needs the refresh token as the Bearer token"))?;
            Ok(tokens(auth.refresh(refresh_token, &access_token)?))
        },
        "switch_tenant" => |app, req, args| {
            let auth = need_auth(app)?;
            let Scope::Tenant { user_id, .. } = scope_of(app, req)? else { unreachable!() };
            let tenant_id = req_uuid(input(args), "tenant_id")?;
            Ok(tokens(auth.switch_tenant(&user_id, &tenant_id)?))
        },
        _ => return None,
    })
}

fn json_to_field(j: J) -> Result<Option<FieldValue<'static>>, async_graphql::Error> {
    if j.is_null() {
        return Ok(None);
    }
    Ok(Some(FieldValue::value(Value::from_json(j).map_err(|e| async_graphql::Error::new(e.to_string()))?)))
}

pub fn build(app: SharedApp, depth_limit: usize, complexity_limit: usize) -> Schema {
    let doc = async_graphql::parser::parse_schema(PYTHON_LAYER_SDL).expect("python_layer.graphql parses");
    let mut query = Object::new("Query");
    let mut mutation = Object::new("Mutation");
    let mut builder = Schema::build("Query", Some("Mutation"), None);
    for def in &doc.definitions {
        let TypeSystemDefinition::Type(def) = def else { continue };
        let def = &def.node;
        let name = def.name.node.to_string();
        match &def.kind {
            TypeKind::Scalar => {
                let s = match name.as_str() {
                    "UUID" => Scalar::new("UUID").validator(is_uuid),
                    "DateTime" => Scalar::new("DateTime").validator(is_time),
                    other => Scalar::new(other),
                };
                builder = builder.register(s);
            }
            TypeKind::Enum(e) => {
                let mut en = Enum::new(&name);
                for v in &e.values {
                    en = en.item(EnumItem::new(v.node.value.node.to_string()));
                }
                builder = builder.register(en);
            }
            TypeKind::InputObject(io) => {
                let mut obj = InputObject::new(&name);
                for f in &io.fields {
                    obj = obj.field(InputValue::new(f.node.name.node.to_string(), type_ref(&f.node.ty.node)));
                }
                builder = builder.register(obj);
            }
            TypeKind::Object(o) if name == "Query" || name == "Mutation" => {
                for f in &o.fields {
                    let fname = f.node.name.node.to_string();
                    let mut field = if let Some(h) = handler(&fname) {
                        Field::new(&fname, type_ref(&f.node.ty.node), move |ctx| {
                            FieldFuture::new(async move {
                                let app = ctx.data::<SharedApp>()?.clone();
                                let scope = scope_of(&app, ctx.data_opt::<RequestAuth>())?;
                                let args = Value::Object(ctx.args.as_index_map().clone()).into_json()?;
                                let out = tokio::task::spawn_blocking(move || h(&app, &scope, &args))
                                    .await
                                    .map_err(|e| async_graphql::Error::new(format!("internal error: {e}")))??;
                                json_to_field(out)
                            })
                        })
                    } else if let Some(h) = auth_handler(&fname) {
                        Field::new(&fname, type_ref(&f.node.ty.node), move |ctx| {
                            FieldFuture::new(async move {
                                let app = ctx.data::<SharedApp>()?.clone();
                                let req = ctx.data_opt::<RequestAuth>().cloned();
                                let args = Value::Object(ctx.args.as_index_map().clone()).into_json()?;
                                let out = tokio::task::spawn_blocking(move || h(&app, req.as_ref(), &args))
                                    .await
                                    .map_err(|e| async_graphql::Error::new(format!("internal error: {e}")))??;
                                json_to_field(out)
                            })
                        })
                    } else {
                        panic!("python_layer.graphql names {fname}, which has no resolver");
                    };
                    for a in &f.node.arguments {
                        field = field.argument(InputValue::new(a.node.name.node.to_string(), type_ref(&a.node.ty.node)));
                    }
                    if name == "Query" {
                        query = query.field(field);
                    } else {
                        mutation = mutation.field(field);
                    }
                }
            }
            TypeKind::Object(o) => {
                let mut obj = Object::new(&name);
                for f in &o.fields {
                    let fname = f.node.name.node.to_string();
                    let key = fname.clone();
                    obj = obj.field(Field::new(fname, type_ref(&f.node.ty.node), move |ctx| {
                        let v = match ctx.parent_value.as_value() {
                            Some(Value::Object(o)) => o.get(key.as_str()).cloned().filter(|v| !matches!(v, Value::Null)),
                            _ => None,
                        };
                        FieldFuture::Value(v.map(FieldValue::value))
                    }));
                }
                builder = builder.register(obj);
            }
            _ => {}
        }
    }
    // Hasura scalars
    builder = builder
        .register(Scalar::new("uuid").validator(is_uuid))
        .register(Scalar::new("timestamptz").validator(is_time))
        .register(Scalar::new("jsonb"));
    let (builder, query) = crate::hasura::register(builder, query);
    builder
        .register(query)
        .register(mutation)
        .data(app)
        .extension(ErrorPath)
        .limit_depth(depth_limit)
        .limit_complexity(complexity_limit)
        .finish()
        .expect("schema builds")
}

#[allow(dead_code)]
pub fn shared(app: App) -> SharedApp {
    Arc::new(app)
}

/// Gives resolver errors their `path` (the dynamic schema leaves it empty).
struct ErrorPath;

impl async_graphql::extensions::ExtensionFactory for ErrorPath {
    fn create(&self) -> Arc<dyn async_graphql::extensions::Extension> {
        Arc::new(ErrorPath)
    }
}

#[async_graphql::async_trait::async_trait]
impl async_graphql::extensions::Extension for ErrorPath {
    async fn resolve(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        info: async_graphql::extensions::ResolveInfo<'_>,
        next: async_graphql::extensions::NextResolve<'_>,
    ) -> async_graphql::ServerResult<Option<Value>> {
        let path = info.path_node;
        next.run(ctx, info).await.map_err(|mut e| {
            if e.path.is_empty() {
                e.path = path
                    .to_string_vec()
                    .into_iter()
                    .map(|s| match s.parse::<usize>() {
                        Ok(i) => async_graphql::PathSegment::Index(i),
                        Err(_) => async_graphql::PathSegment::Field(s),
                    })
                    .collect();
            }
            e
        })
    }
}

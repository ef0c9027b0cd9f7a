//! The GraphQL schema: the Python-layer types and root fields built from `python_layer.graphql`
//! (resolvers bound by name in `python_layer.rs`), plus the Hasura reads of `hasura/`.

pub mod execute;
pub mod hasura;
mod python_layer;
mod selection_order;

use std::sync::Arc;

use async_graphql::dynamic::{Enum, EnumItem, Field, FieldFuture, FieldValue, InputObject, InputValue, Object, Scalar, Schema, TypeRef};
use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use async_graphql::Value;
use prefect_wasm::client_core::uuid::is_uuid;
use serde_json::Value as J;

use crate::app::{scope_of, Caller, PrefectHeaders, RequestAuth, SharedApp};
use crate::domain::Time;

pub const PYTHON_LAYER_SDL: &str = include_str!("../python_layer.graphql");

fn type_ref(t: &Type) -> TypeRef {
    let inner = match &t.base {
        BaseType::Named(n) => TypeRef::Named(n.to_string().into()),
        BaseType::List(inner) => TypeRef::List(Box::new(type_ref(inner))),
    };
    if t.nullable {
        inner
    } else {
        TypeRef::NonNull(Box::new(inner))
    }
}

fn uuid_scalar(v: &Value) -> bool {
    matches!(v, Value::String(s) if is_uuid(s))
}
fn time_scalar(v: &Value) -> bool {
    matches!(v, Value::String(s) if Time::parse(s).is_some())
}

fn json_to_field(j: J) -> Result<Option<FieldValue<'static>>, async_graphql::Error> {
    if j.is_null() {
        return Ok(None);
    }
    Ok(Some(FieldValue::value(Value::from_json(j).map_err(|e| async_graphql::Error::new(e.to_string()))?)))
}

fn internal(e: tokio::task::JoinError) -> async_graphql::Error {
    async_graphql::Error::new(format!("internal error: {e}"))
}

/// A root field of the Python layer: its resolver runs on the blocking pool (it may wait for
/// the database), with the caller's scope, or for the token flow with the request's auth.
fn root_field(name: &str, ty: TypeRef) -> Field {
    if let Some(resolve) = python_layer::resolver(name) {
        Field::new(name, ty, move |ctx| {
            let resolve = resolve.clone();
            FieldFuture::new(async move {
                let app = ctx.data::<SharedApp>()?.clone();
                let scope = scope_of(&app, ctx.data_opt::<RequestAuth>())?;
                let caller = Caller { scope, headers: ctx.data_opt::<PrefectHeaders>().cloned().unwrap_or_default() };
                let args = Value::Object(ctx.args.as_index_map().clone()).into_json()?;
                let out = tokio::task::spawn_blocking(move || resolve(&app, &caller, &args)).await.map_err(internal)??;
                json_to_field(out)
            })
        })
    } else if let Some(resolve) = python_layer::token_resolver(name) {
        Field::new(name, ty, move |ctx| {
            let resolve = resolve.clone();
            FieldFuture::new(async move {
                let app = ctx.data::<SharedApp>()?.clone();
                let req = ctx.data_opt::<RequestAuth>().cloned();
                let args = Value::Object(ctx.args.as_index_map().clone()).into_json()?;
                let out = tokio::task::spawn_blocking(move || resolve(&app, req.as_ref(), &args)).await.map_err(internal)??;
                json_to_field(out)
            })
        })
    } else {
        panic!("python_layer.graphql names {name}, which has no resolver");
    }
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
                    "UUID" => Scalar::new("UUID").validator(uuid_scalar),
                    "DateTime" => Scalar::new("DateTime").validator(time_scalar),
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
                    let mut field = root_field(&f.node.name.node, type_ref(&f.node.ty.node));
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
        .register(Scalar::new("uuid").validator(uuid_scalar))
        .register(Scalar::new("timestamptz").validator(time_scalar))
        .register(Scalar::new("jsonb"));
    let (builder, query) = hasura::register(builder, query);
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

//! Hasura-style read types generated from `tables::TABLES`: for each table `T` the object type,
//! the `T_bool_exp` filter, `T_order_by`, `T_aggregate`, and the query fields `T`, `T_by_pk`,
//! `T_aggregate`; relationships (object and array, nested, with their own arguments). The
//! resolvers hand their arguments to `sql.rs`, which compiles them.

use std::collections::HashMap;
use std::sync::Mutex;

use async_graphql::dynamic::{Enum, EnumItem, Field, FieldFuture, FieldValue, InputObject, InputValue, Object, ObjectAccessor, ResolverContext, SchemaBuilder, TypeRef};
use async_graphql::Value;
use rusqlite::types::Value as Sql;
use serde_json::Value as J;

use super::sql::{by_pk, ReadArgs, Row, RowByKey, Selection, ORDER_DIRS};
use super::tables::{table, Ty, TABLES};
use crate::app::{scope_of, RequestAuth, Scope, SharedApp};
use crate::domain::Id;
use crate::error::ApiError;

/// Per-request cache of object-relationship lookups.
#[derive(Default)]
pub struct RelCache(Mutex<HashMap<(&'static str, String), Option<Row>>>);

const ALL_TYS: [Ty; 6] = [Ty::Uuid, Ty::Text, Ty::Int, Ty::Bool, Ty::Json, Ty::Time];

/// A list field's arguments, as `sql.rs` takes them.
fn read_args(args: &ObjectAccessor<'_>) -> Result<ReadArgs, ApiError> {
    let json = |name: &str| -> Result<J, ApiError> {
        match args.get(name) {
            Some(v) => v.as_value().clone().into_json().map_err(|e| ApiError::bad_input(e.to_string())),
            None => Ok(J::Null),
        }
    };
    Ok(ReadArgs { filter: json("where")?, order_by: json("order_by")?, limit: json("limit")?, offset: json("offset")?, distinct_on: json("distinct_on")? })
}

/// Registers every generated type and adds the read fields to `query`.
pub fn register(mut builder: SchemaBuilder, mut query: Object) -> (SchemaBuilder, Object) {
    let mut order = Enum::new("order_by");
    for (name, _) in ORDER_DIRS {
        order = order.item(EnumItem::new(name));
    }
    builder = builder.register(order);
    for ty in ALL_TYS {
        let s = ty.scalar();
        let mut cmp = InputObject::new(format!("{s}_comparison_exp"));
        for op in ["_eq", "_neq", "_gt", "_gte", "_lt", "_lte"] {
            cmp = cmp.field(InputValue::new(op, TypeRef::named(s)));
        }
        cmp = cmp
            .field(InputValue::new("_in", TypeRef::named_nn_list(s)))
            .field(InputValue::new("_nin", TypeRef::named_nn_list(s)))
            .field(InputValue::new("_is_null", TypeRef::named(TypeRef::BOOLEAN)));
        if ty == Ty::Text {
            for op in ["_like", "_nlike", "_ilike", "_nilike"] {
                cmp = cmp.field(InputValue::new(op, TypeRef::named(TypeRef::STRING)));
            }
        }
        if ty == Ty::Json {
            cmp = cmp
                .field(InputValue::new("_contains", TypeRef::named("jsonb")))
                .field(InputValue::new("_has_key", TypeRef::named(TypeRef::STRING)));
        }
        builder = builder.register(cmp);
    }

    for t in TABLES {
        let n = t.name;
        // filter
        let mut bool_exp = InputObject::new(format!("{n}_bool_exp"))
            .field(InputValue::new("_and", TypeRef::named_nn_list(format!("{n}_bool_exp"))))
            .field(InputValue::new("_or", TypeRef::named_nn_list(format!("{n}_bool_exp"))))
            .field(InputValue::new("_not", TypeRef::named(format!("{n}_bool_exp"))));
        for (c, ty) in t.columns {
            bool_exp = bool_exp.field(InputValue::new(*c, TypeRef::named(format!("{}_comparison_exp", ty.scalar()))));
        }
        for r in t.rels {
            bool_exp = bool_exp.field(InputValue::new(r.name, TypeRef::named(format!("{}_bool_exp", r.target))));
        }
        builder = builder.register(bool_exp);
        // ordering
        let mut order_by = InputObject::new(format!("{n}_order_by"));
        for (c, _) in t.columns {
            order_by = order_by.field(InputValue::new(*c, TypeRef::named("order_by")));
        }
        for r in t.rels.iter().filter(|r| !r.many) {
            order_by = order_by.field(InputValue::new(r.name, TypeRef::named(format!("{}_order_by", r.target))));
        }
        builder = builder.register(order_by);
        let mut select_column = Enum::new(format!("{n}_select_column"));
        for (c, _) in t.columns {
            select_column = select_column.item(EnumItem::new(*c));
        }
        builder = builder.register(select_column);
        // the object type
        let mut object = Object::new(n);
        for (i, (c, ty)) in t.columns.iter().enumerate() {
            let ty = *ty;
            let tref = if *c == "id" { TypeRef::named_nn(ty.scalar()) } else { TypeRef::named(ty.scalar()) };
            object = object.field(Field::new(*c, tref, move |ctx| match ctx.parent_value.downcast_ref::<Row>() {
                Some(row) => FieldFuture::Value(match to_gql(&row.0[i], ty) {
                    Value::Null => None,
                    v => Some(FieldValue::value(v)),
                }),
                None => FieldFuture::Value(None),
            }));
        }
        for r in t.rels {
            let target = table(r.target);
            let (local_i, _) = t.col(r.local).expect("relationship column");
            let remote = r.remote;
            if r.many {
                let f = Field::new(r.name, TypeRef::named_nn_list_nn(r.target), move |ctx| {
                    FieldFuture::new(async move {
                        let key = parent_key(&ctx, local_i);
                        let Some(key) = key else { return Ok(Some(FieldValue::list(Vec::<FieldValue>::new()))) };
                        let app = ctx.data::<SharedApp>()?;
                        let sel = Selection::build(target, &read_args(&ctx.args)?, Some((remote, key)), &Scope::Open)?;
                        let rows = app.db.read_async(|c| sel.rows(c)).await?;
                        Ok(Some(FieldValue::list(rows.into_iter().map(FieldValue::owned_any))))
                    })
                });
                object = object.field(list_args(f, r.target));
                let f = Field::new(format!("{}_aggregate", r.name), TypeRef::named_nn(format!("{}_aggregate", r.target)), move |ctx| {
                    FieldFuture::new(async move {
                        let key = parent_key(&ctx, local_i).unwrap_or(Sql::Null);
                        let sel = Selection::build(target, &read_args(&ctx.args)?, Some((remote, key)), &Scope::Open)?;
                        Ok(Some(FieldValue::owned_any(sel)))
                    })
                });
                object = object.field(list_args(f, r.target));
            } else {
                let read = RowByKey::new(target, remote);
                object = object.field(Field::new(r.name, TypeRef::named(r.target), move |ctx| {
                    FieldFuture::new(async move {
                        let Some(key) = parent_key(&ctx, local_i) else { return Ok(None) };
                        // many rows share a parent (10,000 runs of one flow): one query per request
                        let cache = ctx.data_opt::<RelCache>();
                        let cache_key = (read.name(), format!("{key:?}"));
                        if let Some(hit) = cache.and_then(|c| c.0.lock().unwrap().get(&cache_key).cloned()) {
                            return Ok(hit.map(FieldValue::owned_any));
                        }
                        let app = ctx.data::<SharedApp>()?;
                        let row = app.db.read_async(|c| read.fetch(c, key)).await?;
                        if let Some(c) = cache {
                            c.0.lock().unwrap().insert(cache_key, row.clone());
                        }
                        Ok(row.map(FieldValue::owned_any))
                    })
                }));
            }
        }
        builder = builder.register(object);
        // aggregates: count (optionally of distinct columns), max and min of ordered columns
        let agg_fields = Object::new(format!("{n}_aggregate_fields"))
            .field(
                Field::new("count", TypeRef::named_nn(TypeRef::INT), |ctx| {
                    FieldFuture::new(async move {
                        let sel = ctx.parent_value.try_downcast_ref::<Selection>()?;
                        let distinct = ctx.args.get("distinct").map(|d| d.boolean()).transpose()?.unwrap_or(false);
                        let columns: Vec<String> = match ctx.args.get("columns") {
                            Some(v) => match v.as_value().clone().into_json()? {
                                J::Array(a) => a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect(),
                                J::String(c) => vec![c],
                                _ => vec![],
                            },
                            None => vec![],
                        };
                        let app = ctx.data::<SharedApp>()?;
                        let count = app.db.read_async(|c| sel.count_columns(c, &columns, distinct)).await?;
                        Ok(Some(FieldValue::value(Value::from(count))))
                    })
                })
                .argument(InputValue::new("columns", TypeRef::named_nn_list(format!("{n}_select_column"))))
                .argument(InputValue::new("distinct", TypeRef::named(TypeRef::BOOLEAN))),
            )
            .field(Field::new("max", TypeRef::named(format!("{n}_max_fields")), |ctx| {
                FieldFuture::new(async move {
                    let sel = ctx.parent_value.try_downcast_ref::<Selection>()?;
                    Ok(Some(FieldValue::owned_any((sel.clone(), "max"))))
                })
            }))
            .field(Field::new("min", TypeRef::named(format!("{n}_min_fields")), |ctx| {
                FieldFuture::new(async move {
                    let sel = ctx.parent_value.try_downcast_ref::<Selection>()?;
                    Ok(Some(FieldValue::owned_any((sel.clone(), "min"))))
                })
            }));
        builder = builder.register(agg_fields);
        for func in ["max", "min"] {
            let mut obj = Object::new(format!("{n}_{func}_fields"));
            for (c, ty) in t.columns.iter().filter(|(_, ty)| matches!(ty, Ty::Int | Ty::Text | Ty::Time)) {
                let (c, ty) = (*c, *ty);
                obj = obj.field(Field::new(c, TypeRef::named(ty.scalar()), move |ctx| {
                    FieldFuture::new(async move {
                        let (sel, func) = ctx.parent_value.try_downcast_ref::<(Selection, &'static str)>()?;
                        let app = ctx.data::<SharedApp>()?;
                        let v = app.db.read_async(|conn| sel.extreme(conn, func, c)).await?;
                        Ok(match to_gql(&v, ty) {
                            Value::Null => None,
                            v => Some(FieldValue::value(v)),
                        })
                    })
                }));
            }
            builder = builder.register(obj);
        }
        let agg = Object::new(format!("{n}_aggregate"))
            .field(Field::new("aggregate", TypeRef::named(format!("{n}_aggregate_fields")), |ctx| {
                FieldFuture::new(async move {
                    let sel = ctx.parent_value.try_downcast_ref::<Selection>()?;
                    Ok(Some(FieldValue::owned_any(sel.clone())))
                })
            }))
            .field(Field::new("nodes", TypeRef::named_nn_list_nn(n), |ctx| {
                FieldFuture::new(async move {
                    let sel = ctx.parent_value.try_downcast_ref::<Selection>()?;
                    let app = ctx.data::<SharedApp>()?;
                    let rows = app.db.read_async(|c| sel.rows(c)).await?;
                    Ok(Some(FieldValue::list(rows.into_iter().map(FieldValue::owned_any))))
                })
            }));
        builder = builder.register(agg);

        // query fields
        let f = Field::new(n, TypeRef::named_nn_list_nn(n), move |ctx| {
            FieldFuture::new(async move {
                let app = ctx.data::<SharedApp>()?;
                let scope = scope_of(app, ctx.data_opt::<RequestAuth>())?;
                let sel = Selection::build(t, &read_args(&ctx.args)?, None, &scope)?;
                let rows = app.db.read_async(|c| sel.rows(c)).await?;
                Ok(Some(FieldValue::list(rows.into_iter().map(FieldValue::owned_any))))
            })
        });
        query = query.field(list_args(f, n));
        let f = Field::new(format!("{n}_aggregate"), TypeRef::named_nn(format!("{n}_aggregate")), move |ctx| {
            FieldFuture::new(async move {
                let app = ctx.data::<SharedApp>()?;
                let scope = scope_of(app, ctx.data_opt::<RequestAuth>())?;
                let sel = Selection::build(t, &read_args(&ctx.args)?, None, &scope)?;
                Ok(Some(FieldValue::owned_any(sel)))
            })
        });
        query = query.field(list_args(f, n));
        query = query.field(
            Field::new(format!("{n}_by_pk"), TypeRef::named(n), move |ctx| {
                FieldFuture::new(async move {
                    let app = ctx.data::<SharedApp>()?;
                    let scope = scope_of(app, ctx.data_opt::<RequestAuth>())?;
                    let id = Id::parse(ctx.args.try_get("id")?.string()?)?;
                    let row = app.db.read_async(|c| by_pk(c, t, &id, &scope)).await?;
                    Ok(row.map(FieldValue::owned_any))
                })
            })
            .argument(InputValue::new("id", TypeRef::named_nn("uuid"))),
        );
    }
    (builder, query)
}

fn list_args(f: Field, table: &str) -> Field {
    f.argument(InputValue::new("where", TypeRef::named(format!("{table}_bool_exp"))))
        .argument(InputValue::new("order_by", TypeRef::named_nn_list(format!("{table}_order_by"))))
        .argument(InputValue::new("limit", TypeRef::named(TypeRef::INT)))
        .argument(InputValue::new("offset", TypeRef::named(TypeRef::INT)))
        .argument(InputValue::new("distinct_on", TypeRef::named_nn_list(format!("{table}_select_column"))))
}

fn parent_key(ctx: &ResolverContext<'_>, i: usize) -> Option<Sql> {
    let row = ctx.parent_value.downcast_ref::<Row>()?;
    match &row.0[i] {
        Sql::Null => None,
        v => Some(v.clone()),
    }
}

/// A column value as GraphQL output.
pub fn to_gql(v: &Sql, ty: Ty) -> Value {
    match (v, ty) {
        (Sql::Null, _) => Value::Null,
        (Sql::Integer(i), Ty::Bool) => Value::Boolean(*i != 0),
        (Sql::Integer(i), _) => Value::from(*i),
        (Sql::Real(f), _) => Value::from(*f),
        (Sql::Text(s), Ty::Json) => match serde_json::from_str::<J>(s) {
            Ok(j) => Value::from_json(j).unwrap_or(Value::Null),
            Err(_) => Value::String(s.clone()),
        },
        (Sql::Text(s), _) => Value::String(s.clone()),
        (Sql::Blob(_), _) => Value::Null,
    }
}

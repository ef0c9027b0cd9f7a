//! Hasura-style reads generated from `tables::TABLES`: for each table `T` the object type, the
//! `T_bool_exp` filter, `T_order_by`, `T_aggregate`, and the query fields `T`, `T_by_pk`,
//! `T_aggregate`; relationships (object and array, nested, with their own arguments). Filters
//! and ordering compile to SQL with bound parameters only.

use async_graphql::dynamic::{
    Enum, EnumItem, Field, FieldFuture, FieldValue, InputObject, InputValue, Object,
    ObjectAccessor, ResolverContext, SchemaBuilder, TypeRef,
};
use async_graphql::Value;
use rusqlite::types::Value as Sql;
use serde_json::Value as J;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::app::{scope_of, RequestAuth, Scope, SharedApp};
use crate::error::ApiError;
use crate::tables::{table, Table, Ty, TABLES};

/// One row of a table, in the table's column order.
pub struct Row(pub Arc<Vec<Sql>>);

/// Per-request cache of object-relationship lookups.
#[derive(Default)]
pub struct RelCache(pub Mutex<HashMap<(&'static str, String), Option<Row>>>);

impl Clone for Row {
    fn clone(&self) -> Self {
        Row(self.0.clone())
    }
}

const ORDER_DIRS: [(&str, &str); 6] = [
    ("asc", "ASC NULLS LAST"),
    ("asc_nulls_first", "ASC NULLS FIRST"),
    ("asc_nulls_last", "ASC NULLS LAST"),
    ("desc", "DESC NULLS FIRST"),
    ("desc_nulls_first", "DESC NULLS FIRST"),
    ("desc_nulls_last", "DESC NULLS LAST"),
];

const ALL_TYS: [Ty; 6] = [Ty::Uuid, Ty::Text, Ty::Int, Ty::Bool, Ty::Json, Ty::Time];

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
                        let sel = Selection::build(target, &ctx.args, Some((remote, key)), &Scope::Open)?;
                        let rows = app.db.read_async(|c| sel.rows(c)).await?;
                        Ok(Some(FieldValue::list(rows.into_iter().map(FieldValue::owned_any))))
                    })
                });
                object = object.field(list_args(f, r.target));
                let f = Field::new(format!("{}_aggregate", r.name), TypeRef::named_nn(format!("{}_aggregate", r.target)), move |ctx| {
                    FieldFuture::new(async move {
                        let key = parent_key(&ctx, local_i).unwrap_or(Sql::Null);
                        let sel = Selection::build(target, &ctx.args, Some((remote, key)), &Scope::Open)?;
                        Ok(Some(FieldValue::owned_any(sel)))
                    })
                });
                object = object.field(list_args(f, r.target));
            } else {
                let sql = format!("SELECT {} FROM \"{}\" t0 WHERE t0.\"{}\" = ? LIMIT 1", target.select_list("t0"), target.name, remote);
                let sql: &'static str = Box::leak(sql.into_boxed_str());
                object = object.field(Field::new(r.name, TypeRef::named(r.target), move |ctx| {
                    FieldFuture::new(async move {
                        let Some(key) = parent_key(&ctx, local_i) else { return Ok(None) };
                        // many rows share a parent (10,000 runs of one flow): one query per request
                        let cache = ctx.data_opt::<RelCache>();
                        let cache_key = (sql, format!("{key:?}"));
                        if let Some(hit) = cache.and_then(|c| c.0.lock().unwrap().get(&cache_key).cloned()) {
                            return Ok(hit.map(FieldValue::owned_any));
                        }
                        let app = ctx.data::<SharedApp>()?;
                        let row = app.db.read_async(|c| fetch(c, sql, &[key], target.columns.len())).await?.pop();
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
                let sel = Selection::build(t, &ctx.args, None, &scope)?;
                let rows = app.db.read_async(|c| sel.rows(c)).await?;
                Ok(Some(FieldValue::list(rows.into_iter().map(FieldValue::owned_any))))
            })
        });
        query = query.field(list_args(f, n));
        let f = Field::new(format!("{n}_aggregate"), TypeRef::named_nn(format!("{n}_aggregate")), move |ctx| {
            FieldFuture::new(async move {
                let app = ctx.data::<SharedApp>()?;
                let scope = scope_of(app, ctx.data_opt::<RequestAuth>())?;
                let sel = Selection::build(t, &ctx.args, None, &scope)?;
                Ok(Some(FieldValue::owned_any(sel)))
            })
        });
        query = query.field(list_args(f, n));
        query = query.field(
            Field::new(format!("{n}_by_pk"), TypeRef::named(n), move |ctx| {
                FieldFuture::new(async move {
                    let app = ctx.data::<SharedApp>()?;
                    let scope = scope_of(app, ctx.data_opt::<RequestAuth>())?;
                    let id = ctx.args.try_get("id")?.string()?.to_string();
                    let id = canonical_uuid(&id)?;
                    let mut sb = Sb { sql: format!("SELECT {} FROM \"{}\" t0 WHERE t0.id = ?", t.select_list("t0"), t.name), ..Default::default() };
                    sb.params.push(Sql::Text(id));
                    scope_cond(&mut sb, t, "t0", &scope);
                    let mut rows = app.db.read_async(|c| fetch(c, &sb.sql, &sb.params, t.columns.len())).await?;
                    Ok(rows.pop().map(FieldValue::owned_any))
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

pub fn canonical_uuid(s: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(s)
        .map(|u| u.to_string())
        .map_err(|_| ApiError::bad_input(format!("invalid uuid: {s:?}")))
}

/// A GraphQL input value as a bound SQL parameter for a column of type `ty`.
fn to_sql(v: &J, ty: Ty) -> Result<Sql, ApiError> {
    Ok(match (v, ty) {
        (J::Null, _) => Sql::Null,
        (J::String(s), Ty::Uuid) => Sql::Text(canonical_uuid(s)?),
        (J::String(s), Ty::Time) => Sql::Text(
            crate::db::parse_time(s).ok_or_else(|| ApiError::bad_input(format!("invalid timestamp: {s:?}")))?,
        ),
        (J::String(s), Ty::Text) => Sql::Text(s.clone()),
        (J::Number(n), Ty::Int) => Sql::Integer(n.as_i64().ok_or_else(|| ApiError::bad_input("integer expected"))?),
        (J::Bool(b), Ty::Bool) => Sql::Integer(*b as i64),
        (v, Ty::Json) => Sql::Text(v.to_string()),
        (v, ty) => return Err(ApiError::bad_input(format!("{v} is not a valid {}", ty.scalar()))),
    })
}

#[derive(Default)]
pub struct Sb {
    pub sql: String,
    pub params: Vec<Sql>,
    n: usize,
}

impl Sb {
    fn alias(&mut self) -> String {
        self.n += 1;
        format!("t{}", self.n)
    }
}

fn scope_cond(sb: &mut Sb, t: &Table, alias: &str, scope: &Scope) {
    if let Scope::Tenant { tenant_id, tenants, .. } = scope {
        if t.name == "tenant" {
            sb.sql.push_str(&format!(" AND {alias}.id IN ({})", vec!["?"; tenants.len().max(1)].join(",")));
            if tenants.is_empty() {
                sb.params.push(Sql::Null);
            }
            sb.params.extend(tenants.iter().cloned().map(Sql::Text));
        } else {
            sb.sql.push_str(&format!(" AND {alias}.\"{}\" = ?", t.tenant_col));
            sb.params.push(Sql::Text(tenant_id.clone()));
        }
    }
}

/// Compiles a `T_bool_exp` into a SQL boolean expression over `alias`.
fn cond(sb: &mut Sb, t: &Table, alias: &str, exp: &J) -> Result<(), ApiError> {
    let J::Object(map) = exp else {
        sb.sql.push('1');
        return Ok(());
    };
    if map.is_empty() {
        sb.sql.push('1');
        return Ok(());
    }
    sb.sql.push('(');
    for (k, (key, v)) in map.iter().enumerate() {
        if k > 0 {
            sb.sql.push_str(" AND ");
        }
        match key.as_str() {
            "_and" | "_or" => {
                let items = match v {
                    J::Array(a) => a.clone(),
                    J::Null => vec![],
                    other => vec![other.clone()],
                };
                if items.is_empty() {
                    sb.sql.push(if key == "_and" { '1' } else { '0' });
                    continue;
                }
                sb.sql.push('(');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        sb.sql.push_str(if key == "_and" { " AND " } else { " OR " });
                    }
                    cond(sb, t, alias, item)?;
                }
                sb.sql.push(')');
            }
            "_not" => {
                if v.is_null() {
                    sb.sql.push('1');
                } else {
                    sb.sql.push_str("NOT ");
                    cond(sb, t, alias, v)?;
                }
            }
            name => {
                if let Some((_, ty)) = t.col(name) {
                    compare(sb, &format!("{alias}.\"{name}\""), ty, v)?;
                } else if let Some(rel) = t.rel(name) {
                    let target = table(rel.target);
                    let a = sb.alias();
                    sb.sql.push_str(&format!(
                        "EXISTS (SELECT 1 FROM \"{}\" {a} WHERE {a}.\"{}\" = {alias}.\"{}\" AND ",
                        target.name, rel.remote, rel.local
                    ));
                    cond(sb, target, &a, v)?;
                    sb.sql.push(')');
                } else {
                    return Err(ApiError::bad_input(format!("unknown field {name} in {}_bool_exp", t.name)));
                }
            }
        }
    }
    sb.sql.push(')');
    Ok(())
}

fn compare(sb: &mut Sb, col: &str, ty: Ty, ops: &J) -> Result<(), ApiError> {
    let J::Object(ops) = ops else {
        sb.sql.push('1');
        return Ok(());
    };
    if ops.is_empty() {
        sb.sql.push('1');
        return Ok(());
    }
    sb.sql.push('(');
    for (k, (op, v)) in ops.iter().enumerate() {
        if k > 0 {
            sb.sql.push_str(" AND ");
        }
        let bin = |sql_op: &str, sb: &mut Sb| -> Result<(), ApiError> {
            if v.is_null() {
                sb.sql.push('1'); // Hasura ignores a null operand
            } else if ty == Ty::Json {
                // compare JSON values, not their spelling
                sb.sql.push_str(&format!("json({col}) {sql_op} json(?)"));
                sb.params.push(to_sql(v, ty)?);
            } else {
                sb.sql.push_str(&format!("{col} {sql_op} ?"));
                sb.params.push(to_sql(v, ty)?);
            }
            Ok(())
        };
        match op.as_str() {
            "_eq" => bin("=", sb)?,
            "_neq" => bin("<>", sb)?,
            "_gt" => bin(">", sb)?,
            "_gte" => bin(">=", sb)?,
            "_lt" => bin("<", sb)?,
            "_lte" => bin("<=", sb)?,
            "_like" => bin("LIKE", sb)?,
            "_nlike" => bin("NOT LIKE", sb)?,
            "_ilike" | "_nilike" => {
                if v.is_null() {
                    sb.sql.push('1');
                } else {
                    let not = if op == "_nilike" { "NOT " } else { "" };
                    sb.sql.push_str(&format!("lower({col}) {not}LIKE lower(?)"));
                    sb.params.push(to_sql(v, ty)?);
                }
            }
            "_in" | "_nin" => {
                let items = match v {
                    J::Array(a) => a.clone(),
                    J::Null => vec![],
                    other => vec![other.clone()],
                };
                if items.is_empty() {
                    sb.sql.push(if op == "_in" { '0' } else { '1' });
                } else {
                    let not = if op == "_nin" { "NOT " } else { "" };
                    sb.sql.push_str(&format!("{col} {not}IN ({})", vec!["?"; items.len()].join(",")));
                    for item in &items {
                        sb.params.push(to_sql(item, ty)?);
                    }
                }
            }
            "_is_null" => match v {
                J::Bool(true) => sb.sql.push_str(&format!("{col} IS NULL")),
                J::Bool(false) => sb.sql.push_str(&format!("{col} IS NOT NULL")),
                _ => sb.sql.push('1'),
            },
            "_has_key" => {
                let J::String(key) = v else { return Err(ApiError::bad_input("_has_key expects a string")) };
                sb.sql.push_str(&format!("(json_valid({col}) AND json_type({col}, ?) IS NOT NULL)"));
                sb.params.push(Sql::Text(format!("$.\"{}\"", key.replace('"', "\\\""))));
            }
            "_contains" => match v {
                J::Array(items) => {
                    sb.sql.push_str(&format!(
                        "(json_valid({col}) AND NOT EXISTS (SELECT 1 FROM json_each(?) p WHERE p.value NOT IN (SELECT value FROM json_each({col}))))"
                    ));
                    sb.params.push(Sql::Text(J::Array(items.clone()).to_string()));
                }
                J::Object(obj) => {
                    sb.sql.push_str("(1");
                    for (key, val) in obj {
                        sb.sql.push_str(&format!(" AND json_extract({col}, ?) = json_extract(?, '$')"));
                        sb.params.push(Sql::Text(format!("$.\"{}\"", key.replace('"', "\\\""))));
                        sb.params.push(Sql::Text(val.to_string()));
                    }
                    sb.sql.push(')');
                }
                J::Null => sb.sql.push('1'),
                other => {
                    sb.sql.push_str(&format!("{col} = ?"));
                    sb.params.push(Sql::Text(other.to_string()));
                }
            },
            other => return Err(ApiError::bad_input(format!("unknown comparison operator {other}"))),
        }
    }
    sb.sql.push(')');
    Ok(())
}

/// Compiles one `T_order_by` object into `(expression, direction)` terms, in key order.
fn order_terms(sb: &mut Sb, t: &Table, alias: &str, ob: &J, out: &mut Vec<(String, &'static str)>) -> Result<(), ApiError> {
    let J::Object(map) = ob else { return Ok(()) };
    for (key, v) in map {
        if v.is_null() {
            continue;
        }
        if t.col(key).is_some() {
            let dir = v.as_str().and_then(|d| ORDER_DIRS.iter().find(|(n, _)| *n == d)).map(|(_, s)| *s);
            let dir = dir.ok_or_else(|| ApiError::bad_input(format!("invalid order {v}")))?;
            out.push((format!("{alias}.\"{key}\""), dir));
        } else if let Some(rel) = t.rel(key).filter(|r| !r.many) {
            let target = table(rel.target);
            let a = sb.alias();
            let mut inner = Vec::new();
            order_terms(sb, target, &a, v, &mut inner)?;
            for (expr, dir) in inner {
                out.push((
                    format!("(SELECT {expr} FROM \"{}\" {a} WHERE {a}.\"{}\" = {alias}.\"{}\")", target.name, rel.remote, rel.local),
                    dir,
                ));
            }
        } else {
            return Err(ApiError::bad_input(format!("cannot order {} by {key}", t.name)));
        }
    }
    Ok(())
}

/// A compiled read: `WHERE` (with params), `ORDER BY`, `LIMIT`, `OFFSET` over one table.
#[derive(Clone)]
pub struct Selection {
    table: &'static Table,
    where_sql: String,
    params: Vec<Sql>,
    order_sql: String,
    limit: i64,
    offset: i64,
}

impl Selection {
    pub fn build(
        t: &'static Table,
        args: &ObjectAccessor<'_>,
        parent: Option<(&str, Sql)>,
        scope: &Scope,
    ) -> Result<Selection, ApiError> {
        let json = |name: &str| -> Result<J, ApiError> {
            match args.get(name) {
                Some(v) => v.as_value().clone().into_json().map_err(|e| ApiError::bad_input(e.to_string())),
                None => Ok(J::Null),
            }
        };
        let mut sb = Sb::default();
        sb.sql.push('1');
        if let Some((col, key)) = parent {
            sb.sql.push_str(&format!(" AND t0.\"{col}\" = ?"));
            sb.params.push(key);
        }
        scope_cond(&mut sb, t, "t0", scope);
        let w = json("where")?;
        if !w.is_null() {
            sb.sql.push_str(" AND ");
            cond(&mut sb, t, "t0", &w)?;
        }
        let mut terms = Vec::new();
        let mut order_sb = Sb { n: 1000, ..Default::default() };
        match json("order_by")? {
            J::Array(items) => {
                for item in &items {
                    order_terms(&mut order_sb, t, "t0", item, &mut terms)?;
                }
            }
            J::Null => {}
            other => order_terms(&mut order_sb, t, "t0", &other, &mut terms)?,
        }
        terms.push(("t0.rowid".into(), "ASC"));
        let order_sql = terms.iter().map(|(e, d)| format!("{e} {d}")).collect::<Vec<_>>().join(", ");
        let int = |name: &str, default: i64| -> Result<i64, ApiError> {
            match json(name)? {
                J::Null => Ok(default),
                J::Number(n) => n.as_i64().filter(|i| *i >= 0).ok_or_else(|| ApiError::bad_input(format!("{name} must be >= 0"))),
                _ => Err(ApiError::bad_input(format!("{name} must be an integer"))),
            }
        };
        // distinct_on (Postgres DISTINCT ON): the first row of each group in the given order
        let distinct: Vec<String> = match json("distinct_on")? {
            J::Array(cols) => cols.iter().filter_map(|c| c.as_str().map(str::to_string)).collect(),
            J::String(c) => vec![c],
            _ => vec![],
        };
        let (mut where_sql, mut params) = (sb.sql, sb.params);
        if !distinct.is_empty() {
            let mut parts = Vec::new();
            for c in &distinct {
                if t.col(c).is_none() {
                    return Err(ApiError::bad_input(format!("unknown column {c}")));
                }
                parts.push(format!("t0.\"{c}\""));
            }
            where_sql = format!(
                "({where_sql}) AND t0.rowid IN (SELECT rid FROM (SELECT t0.rowid AS rid, ROW_NUMBER() OVER (PARTITION BY {} ORDER BY {order_sql}) AS rn FROM \"{}\" t0 WHERE {where_sql}) WHERE rn = 1)",
                parts.join(", "),
                t.name
            );
            params.extend(params.clone());
        }
        Ok(Selection {
            table: t,
            where_sql,
            params,
            order_sql,
            limit: int("limit", -1)?,
            offset: int("offset", 0)?,
        })
    }

    pub fn rows(&self, conn: &rusqlite::Connection) -> Result<Vec<Row>, ApiError> {
        let sql = format!(
            "SELECT {} FROM \"{}\" t0 WHERE {} ORDER BY {} LIMIT ? OFFSET ?",
            self.table.select_list("t0"),
            self.table.name,
            self.where_sql,
            self.order_sql
        );
        let mut params = self.params.clone();
        params.push(Sql::Integer(self.limit));
        params.push(Sql::Integer(self.offset));
        fetch(conn, &sql, &params, self.table.columns.len())
    }

    fn limited(&self, select: &str) -> (String, Vec<Sql>) {
        let sql = format!(
            "SELECT {select} FROM \"{}\" t0 WHERE {} ORDER BY {} LIMIT ? OFFSET ?",
            self.table.name, self.where_sql, self.order_sql
        );
        let mut params = self.params.clone();
        params.push(Sql::Integer(self.limit));
        params.push(Sql::Integer(self.offset));
        (sql, params)
    }

    /// `count`, or with `distinct` the number of distinct values of `columns` (Hasura's
    /// `count(columns:, distinct:)`; without `distinct`, rows where the columns are not null).
    pub fn count_columns(&self, conn: &rusqlite::Connection, columns: &[String], distinct: bool) -> Result<i64, ApiError> {
        for c in columns {
            if self.table.col(c).is_none() {
                return Err(ApiError::bad_input(format!("unknown column {c}")));
            }
        }
        let cols = columns.iter().enumerate().map(|(i, c)| format!("t0.\"{c}\" AS c{i}")).collect::<Vec<_>>();
        let (inner, params) = if cols.is_empty() { self.limited("1") } else { self.limited(&cols.join(", ")) };
        let sql = if cols.is_empty() {
            format!("SELECT count(*) FROM ({inner})")
        } else {
            let not_null = (0..cols.len()).map(|i| format!("c{i} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
            let names = (0..cols.len()).map(|i| format!("c{i}")).collect::<Vec<_>>().join(", ");
            let d = if distinct { "DISTINCT " } else { "" };
            format!("SELECT count(*) FROM (SELECT {d}{names} FROM ({inner}) WHERE {not_null})")
        };
        let mut st = conn.prepare_cached(&sql)?;
        Ok(st.query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?)
    }

    /// `max` or `min` of one column over the selected rows.
    pub fn extreme(&self, conn: &rusqlite::Connection, func: &str, col: &str) -> Result<Sql, ApiError> {
        let func = if func == "max" { "max" } else { "min" };
        let (inner, params) = self.limited(&format!("t0.\"{col}\" AS v"));
        let sql = format!("SELECT {func}(v) FROM ({inner})");
        let mut st = conn.prepare_cached(&sql)?;
        Ok(st.query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?)
    }
}

pub fn fetch(conn: &rusqlite::Connection, sql: &str, params: &[Sql], ncols: usize) -> Result<Vec<Row>, ApiError> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(params.iter()), |r| {
        (0..ncols).map(|i| r.get::<_, Sql>(i)).collect::<Result<Vec<_>, _>>().map(|v| Row(Arc::new(v)))
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

//! Compiling Hasura reads to SQL: `T_bool_exp` filters, `T_order_by`, `distinct_on`, limits,
//! the caller's tenant scope, and the aggregates, always with bound parameters (a value never
//! becomes SQL text).

use std::sync::Arc;

use rusqlite::types::Value as Sql;
use serde_json::Value as J;

use super::tables::{table, Table, Ty};
use crate::app::Scope;
use crate::domain::{Id, Time};
use crate::error::ApiError;

/// One row of a table, in the table's column order.
#[derive(Clone)]
pub struct Row(pub Arc<Vec<Sql>>);

/// The `order_by` enum's values and their SQL (Hasura puts nulls last ascending, first descending).
pub const ORDER_DIRS: [(&str, &str); 6] = [
    ("asc", "ASC NULLS LAST"),
    ("asc_nulls_first", "ASC NULLS FIRST"),
    ("asc_nulls_last", "ASC NULLS LAST"),
    ("desc", "DESC NULLS FIRST"),
    ("desc_nulls_first", "DESC NULLS FIRST"),
    ("desc_nulls_last", "DESC NULLS LAST"),
];

/// A list read's arguments as JSON, null when absent.
#[derive(Default)]
pub struct ReadArgs {
    pub filter: J,
    pub order_by: J,
    pub limit: J,
    pub offset: J,
    pub distinct_on: J,
}

/// A GraphQL input value as a bound SQL parameter for a column of type `ty`.
fn to_sql(v: &J, ty: Ty) -> Result<Sql, ApiError> {
    Ok(match (v, ty) {
        (J::Null, _) => Sql::Null,
        (J::String(s), Ty::Uuid) => Sql::Text(Id::parse(s)?.into_string()),
        (J::String(s), Ty::Time) => Sql::Text(Time::parse(s).ok_or_else(|| ApiError::bad_input(format!("invalid timestamp: {s:?}")))?.into_string()),
        (J::String(s), Ty::Text) => Sql::Text(s.clone()),
        (J::Number(n), Ty::Int) => Sql::Integer(n.as_i64().ok_or_else(|| ApiError::bad_input("integer expected"))?),
        (J::Bool(b), Ty::Bool) => Sql::Integer(*b as i64),
        (v, Ty::Json) => Sql::Text(v.to_string()),
        (v, ty) => return Err(ApiError::bad_input(format!("{v} is not a valid {}", ty.scalar()))),
    })
}

/// SQL text being built, its parameters, and a counter for fresh table aliases.
#[derive(Default)]
struct Sb {
    sql: String,
    params: Vec<Sql>,
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
    pub fn build(t: &'static Table, args: &ReadArgs, parent: Option<(&str, Sql)>, scope: &Scope) -> Result<Selection, ApiError> {
        let mut sb = Sb::default();
        sb.sql.push('1');
        if let Some((col, key)) = parent {
            sb.sql.push_str(&format!(" AND t0.\"{col}\" = ?"));
            sb.params.push(key);
        }
        scope_cond(&mut sb, t, "t0", scope);
        if !args.filter.is_null() {
            sb.sql.push_str(" AND ");
            cond(&mut sb, t, "t0", &args.filter)?;
        }
        let mut terms = Vec::new();
        let mut order_sb = Sb { n: 1000, ..Default::default() };
        match &args.order_by {
            J::Array(items) => {
                for item in items {
                    order_terms(&mut order_sb, t, "t0", item, &mut terms)?;
                }
            }
            J::Null => {}
            other => order_terms(&mut order_sb, t, "t0", other, &mut terms)?,
        }
        terms.push(("t0.rowid".into(), "ASC"));
        let order_sql = terms.iter().map(|(e, d)| format!("{e} {d}")).collect::<Vec<_>>().join(", ");
        let int = |name: &str, value: &J, default: i64| -> Result<i64, ApiError> {
            match value {
                J::Null => Ok(default),
                J::Number(n) => n.as_i64().filter(|i| *i >= 0).ok_or_else(|| ApiError::bad_input(format!("{name} must be >= 0"))),
                _ => Err(ApiError::bad_input(format!("{name} must be an integer"))),
            }
        };
        // distinct_on (Postgres DISTINCT ON): the first row of each group in the given order
        let distinct: Vec<String> = match &args.distinct_on {
            J::Array(cols) => cols.iter().filter_map(|c| c.as_str().map(str::to_string)).collect(),
            J::String(c) => vec![c.clone()],
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
            limit: int("limit", &args.limit, -1)?,
            offset: int("offset", &args.offset, 0)?,
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

/// `T_by_pk`: the row of `t` with id `id`, if the caller's scope sees it.
pub fn by_pk(conn: &rusqlite::Connection, t: &Table, id: &Id, scope: &Scope) -> Result<Option<Row>, ApiError> {
    let mut sb = Sb { sql: format!("SELECT {} FROM \"{}\" t0 WHERE t0.id = ?", t.select_list("t0"), t.name), ..Default::default() };
    sb.params.push(Sql::Text(id.as_str().to_string()));
    scope_cond(&mut sb, t, "t0", scope);
    Ok(fetch(conn, &sb.sql, &sb.params, t.columns.len())?.pop())
}

/// An object relationship's read: the `target` row whose `remote` column equals a key. Built
/// once per relationship when the schema is built.
#[derive(Clone, Copy)]
pub struct RowByKey {
    sql: &'static str,
    columns: usize,
}

impl RowByKey {
    pub fn new(target: &Table, remote: &str) -> RowByKey {
        let sql = format!("SELECT {} FROM \"{}\" t0 WHERE t0.\"{}\" = ? LIMIT 1", target.select_list("t0"), target.name, remote);
        RowByKey { sql: Box::leak(sql.into_boxed_str()), columns: target.columns.len() }
    }

    /// Names this read in a per-request cache.
    pub fn name(&self) -> &'static str {
        self.sql
    }

    pub fn fetch(&self, conn: &rusqlite::Connection, key: Sql) -> Result<Option<Row>, ApiError> {
        Ok(fetch(conn, self.sql, &[key], self.columns)?.pop())
    }
}

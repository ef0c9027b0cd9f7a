//! Tenants: created by `create_tenant`, by `--user` slugs at start, or as the open mode's
//! "default".

use rusqlite::{params, Connection, OptionalExtension};

use super::Id;
use crate::db::now;
use crate::error::ApiError;

pub fn create(conn: &Connection, name: &str, slug: &str) -> Result<Id, ApiError> {
    if name.trim().is_empty() || slug.trim().is_empty() {
        return Err(ApiError::bad_input("tenant name and slug must not be empty"));
    }
    if by_slug(conn, slug)?.is_some() {
        return Err(ApiError::bad_input(format!("a tenant with slug {slug:?} already exists")));
    }
    let id = Id::random();
    conn.execute(
        "INSERT INTO tenant (id, created, updated, name, slug, info, settings) VALUES (?1, ?2, ?2, ?3, ?4, NULL, '{}')",
        params![id, now(), name, slug],
    )?;
    Ok(id)
}

pub fn by_slug(conn: &Connection, slug: &str) -> Result<Option<Id>, ApiError> {
    Ok(conn.query_row("SELECT id FROM tenant WHERE slug = ?", [slug], |r| r.get(0)).optional()?.map(Id::stored))
}

/// The tenant of `slug`, created with `name` when there is none.
pub fn ensure(conn: &Connection, slug: &str, name: &str) -> Result<Id, ApiError> {
    match by_slug(conn, slug)? {
        Some(id) => Ok(id),
        None => create(conn, name, slug),
    }
}

/// The oldest tenant (open mode's default), if any.
pub fn first(conn: &Connection) -> Result<Option<Id>, ApiError> {
    Ok(conn.query_row("SELECT id FROM tenant ORDER BY created, rowid LIMIT 1", [], |r| r.get(0)).optional()?.map(Id::stored))
}

pub fn exists(conn: &Connection, id: &Id) -> Result<bool, ApiError> {
    Ok(conn.query_row("SELECT 1 FROM tenant WHERE id = ?", [id], |_| Ok(())).optional()?.is_some())
}

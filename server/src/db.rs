//! The SQLite store: one file (or `:memory:`), migrated at start, WAL mode, one connection.
//!
//! Every write runs in a `BEGIN IMMEDIATE` transaction on the single connection, so the
//! read-check-write of version locking is atomic, and `synchronous=FULL` makes a committed
//! (acknowledged) write durable before the answer leaves.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::ApiError;

pub struct Db {
    conn: Mutex<Connection>,
    /// Async readers queue here, not on `conn`: a task waiting for the connection then parks
    /// instead of blocking its runtime worker, so requests that need no database (`{ hello }`,
    /// static files) are still served while thousands of reads wait their turn.
    readers: tokio::sync::Semaphore,
}

const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE tenant (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  name TEXT NOT NULL, slug TEXT NOT NULL UNIQUE, info TEXT, settings TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE project (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  name TEXT NOT NULL, description TEXT,
  UNIQUE (tenant_id, name)
);
CREATE TABLE flow (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
  name TEXT NOT NULL, description TEXT, version INTEGER, version_group_id TEXT,
  archived INTEGER NOT NULL DEFAULT 0, core_version TEXT, schedule TEXT,
  is_schedule_active INTEGER NOT NULL DEFAULT 0, serialized_flow TEXT, environment TEXT,
  run_config TEXT, storage TEXT, parameters TEXT NOT NULL DEFAULT '[]', flow_group_id TEXT,
  idempotency_key TEXT
);
CREATE INDEX flow_version_group ON flow(version_group_id);
CREATE INDEX flow_tenant ON flow(tenant_id);
CREATE TABLE task (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  flow_id TEXT NOT NULL REFERENCES flow(id) ON DELETE CASCADE,
  name TEXT, slug TEXT NOT NULL, description TEXT, type TEXT, max_retries INTEGER,
  retry_delay TEXT, trigger TEXT, tags TEXT NOT NULL DEFAULT '[]', mapped INTEGER NOT NULL DEFAULT 0,
  auto_generated INTEGER NOT NULL DEFAULT 0, cache_key TEXT,
  is_root_task INTEGER NOT NULL DEFAULT 0, is_terminal_task INTEGER NOT NULL DEFAULT 0,
  is_reference_task INTEGER NOT NULL DEFAULT 0,
  UNIQUE (flow_id, slug)
);
CREATE TABLE edge (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  flow_id TEXT NOT NULL REFERENCES flow(id) ON DELETE CASCADE,
  upstream_task_id TEXT NOT NULL REFERENCES task(id) ON DELETE CASCADE,
  downstream_task_id TEXT NOT NULL REFERENCES task(id) ON DELETE CASCADE,
  key TEXT, mapped INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX edge_flow ON edge(flow_id);
CREATE TABLE flow_run (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  flow_id TEXT NOT NULL REFERENCES flow(id) ON DELETE CASCADE,
  name TEXT, parameters TEXT NOT NULL DEFAULT '{}', labels TEXT NOT NULL DEFAULT '[]',
  run_config TEXT, context TEXT NOT NULL DEFAULT '{}', version INTEGER NOT NULL DEFAULT 0,
  heartbeat TEXT, scheduled_start_time TEXT NOT NULL, start_time TEXT, end_time TEXT,
  auto_scheduled INTEGER NOT NULL DEFAULT 0, times_resurrected INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT, agent_id TEXT, state TEXT, state_timestamp TEXT, state_message TEXT,
  state_result TEXT, state_start_time TEXT, serialized_state TEXT
);
CREATE INDEX flow_run_flow ON flow_run(flow_id);
CREATE INDEX flow_run_tenant_sched ON flow_run(tenant_id, scheduled_start_time);
CREATE INDEX flow_run_state_idx ON flow_run(state, scheduled_start_time);
CREATE INDEX flow_run_idem ON flow_run(flow_id, idempotency_key);
CREATE TABLE task_run (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  flow_run_id TEXT NOT NULL REFERENCES flow_run(id) ON DELETE CASCADE,
  task_id TEXT NOT NULL REFERENCES task(id) ON DELETE CASCADE,
  map_index INTEGER NOT NULL DEFAULT -1, version INTEGER NOT NULL DEFAULT 0, heartbeat TEXT,
  start_time TEXT, end_time TEXT, cache_key TEXT, name TEXT, state TEXT, state_timestamp TEXT,
  state_message TEXT, state_result TEXT, state_start_time TEXT, serialized_state TEXT,
  UNIQUE (flow_run_id, task_id, map_index)
);
CREATE INDEX task_run_task ON task_run(task_id);
CREATE TABLE flow_run_state (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  flow_run_id TEXT NOT NULL REFERENCES flow_run(id) ON DELETE CASCADE,
  timestamp TEXT NOT NULL, message TEXT, result TEXT, start_time TEXT, state TEXT NOT NULL,
  version INTEGER NOT NULL, serialized_state TEXT NOT NULL
);
CREATE INDEX flow_run_state_run ON flow_run_state(flow_run_id, version);
CREATE TABLE task_run_state (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  task_run_id TEXT NOT NULL REFERENCES task_run(id) ON DELETE CASCADE,
  timestamp TEXT NOT NULL, message TEXT, result TEXT, start_time TEXT, state TEXT NOT NULL,
  version INTEGER NOT NULL, serialized_state TEXT NOT NULL
);
CREATE INDEX task_run_state_run ON task_run_state(task_run_id, version);
CREATE TABLE log (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  flow_run_id TEXT NOT NULL REFERENCES flow_run(id) ON DELETE CASCADE,
  task_run_id TEXT REFERENCES task_run(id) ON DELETE CASCADE,
  timestamp TEXT NOT NULL, name TEXT, level TEXT NOT NULL, message TEXT, info TEXT
);
CREATE INDEX log_run ON log(flow_run_id, timestamp);
CREATE INDEX log_task_run ON log(task_run_id);
"#, r#"
-- Prefect Server's flow groups (one per version group: labels, settings, default parameters),
-- agents, and Cloud's task tag limits.
CREATE TABLE flow_group (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  name TEXT NOT NULL, description TEXT, settings TEXT NOT NULL DEFAULT '{}', labels TEXT,
  schedule TEXT, default_parameters TEXT NOT NULL DEFAULT '{}', run_config TEXT,
  UNIQUE (tenant_id, name)
);
INSERT OR IGNORE INTO flow_group (id, created, updated, tenant_id, name, settings)
  SELECT flow_group_id, min(created), min(created), tenant_id, min(version_group_id),
         '{"heartbeat_enabled": true, "lazarus_enabled": true, "version_locking_enabled": false, "idempotency_key": null}'
  FROM flow WHERE flow_group_id IS NOT NULL GROUP BY flow_group_id;
CREATE INDEX flow_flow_group ON flow(flow_group_id);
CREATE TABLE agent (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  name TEXT, type TEXT, core_version TEXT, labels TEXT NOT NULL DEFAULT '[]',
  agent_config_id TEXT, last_queried TEXT
);
CREATE TABLE task_tag_limit (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  tag TEXT NOT NULL, "limit" INTEGER NOT NULL,
  UNIQUE (tenant_id, tag)
);
CREATE INDEX flow_run_queue ON flow_run(tenant_id, state, state_start_time);
CREATE TABLE task_run_artifact (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  task_run_id TEXT NOT NULL REFERENCES task_run(id) ON DELETE CASCADE,
  kind TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX task_run_artifact_run ON task_run_artifact(task_run_id);
"#];

impl Db {
    pub fn open(path: &str) -> Result<Db, String> {
        let conn = if path == ":memory:" {
            Connection::open_in_memory()
        } else {
            if let Some(parent) = Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                }
            }
            Connection::open(path)
        }
        .map_err(|e| format!("cannot open database {path}: {e}"))?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(|e| e.to_string())?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;
             PRAGMA case_sensitive_like=ON;",
        )
        .map_err(|e| format!("cannot configure database: {e}"))?;
        conn.set_prepared_statement_cache_capacity(256);
        let db = Db { conn: Mutex::new(conn), readers: tokio::sync::Semaphore::new(1) };
        db.migrate()?;
        Ok(db)
    }

    fn migrate(&self) -> Result<(), String> {
        let mut conn = self.lock();
        let current: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| e.to_string())?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| e.to_string())?;
            tx.execute_batch(sql).map_err(|e| format!("migration {} failed: {e}", i + 1))?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
                .map_err(|e| e.to_string())?;
            tx.commit().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction: committed when it returns Ok, rolled back
    /// (nothing written) when it returns Err.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let conn = self.lock();
        f(&conn)
    }

    /// `read` for async resolvers: waits for its turn without holding a runtime worker (writes,
    /// which run on blocking threads, can still hold the connection for the length of one).
    pub async fn read_async<T>(&self, f: impl FnOnce(&Connection) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let _turn = self.readers.acquire().await.map_err(|_| ApiError::new(crate::error::API_ERROR, "the database is closed"))?;
        self.read(f)
    }
}

/// Timestamps are stored as fixed-width ISO-8601 UTC text, so text order is time order (every
/// timestamp the server is given is read by `domain::Time`, with the client core's parser).
pub fn fmt_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

pub fn now() -> String {
    fmt_time(chrono::Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_idempotent() {
        let dir = std::env::temp_dir().join(format!("pds-migrate-{}", std::process::id()));
        let path = dir.join("x.sqlite");
        let p = path.to_str().unwrap();
        drop(Db::open(p).unwrap());
        let db = Db::open(p).unwrap();
        let v: i64 = db.lock().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
        let mode: String = db.lock().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        drop(db);
        let _ = std::fs::remove_dir_all(dir);
    }
}

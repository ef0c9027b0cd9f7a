//! The one description of the Hasura-style tables: columns with their Hasura scalar types, and
//! the relationships between tables. `schema.rs` generates the GraphQL types, filters, ordering
//! and resolvers from this; nothing about a table is written twice.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Uuid,
    Text,
    Int,
    Bool,
    Json,
    Time,
}

impl Ty {
    /// The Hasura scalar name.
    pub fn scalar(self) -> &'static str {
        match self {
            Ty::Uuid => "uuid",
            Ty::Text => "String",
            Ty::Int => "Int",
            Ty::Bool => "Boolean",
            Ty::Json => "jsonb",
            Ty::Time => "timestamptz",
        }
    }
}

pub struct Rel {
    pub name: &'static str,
    pub target: &'static str,
    /// Column of this table...
    pub local: &'static str,
    /// ...equal to this column of the target.
    pub remote: &'static str,
    /// Array relationship (many rows) or object relationship (at most one).
    pub many: bool,
}

pub struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Ty)],
    pub rels: &'static [Rel],
    /// The column rows are scoped by in auth mode (the tenant's own id for `tenant`).
    pub tenant_col: &'static str,
    /// Columns computed from other tables (Hasura's computed fields): the column's SQL, `{t}`
    /// standing for this table's alias.
    pub computed: &'static [(&'static str, &'static str)],
}

impl Table {
    pub fn col(&self, name: &str) -> Option<(usize, Ty)> {
        self.columns.iter().position(|(c, _)| *c == name).map(|i| (i, self.columns[i].1))
    }
    pub fn rel(&self, name: &str) -> Option<&Rel> {
        self.rels.iter().find(|r| r.name == name)
    }
    /// Column `name` of the row aliased `alias`, as SQL.
    pub fn column_sql(&self, alias: &str, name: &str) -> String {
        match self.computed.iter().find(|(c, _)| *c == name) {
            Some((_, sql)) => format!("({})", sql.replace("{t}", alias)),
            None => format!("{alias}.\"{name}\""),
        }
    }
    pub fn select_list(&self, alias: &str) -> String {
        self.columns.iter().map(|(c, _)| self.column_sql(alias, c)).collect::<Vec<_>>().join(", ")
    }
}

use Ty::*;

const fn obj(name: &'static str, target: &'static str, local: &'static str) -> Rel {
    Rel { name, target, local, remote: "id", many: false }
}
const fn arr(name: &'static str, target: &'static str, remote: &'static str) -> Rel {
    Rel { name, target, local: "id", remote, many: true }
}


pub static TABLES: &[Table] = &[
    Table {
        name: "tenant",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("name", Text), ("slug", Text),
            ("info", Json), ("settings", Json),
        ],
        rels: &[arr("projects", "project", "tenant_id"), arr("flows", "flow", "tenant_id")],
        tenant_col: "id",
        computed: &[],
    },
    Table {
        name: "project",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid), ("name", Text),
            ("description", Text),
        ],
        rels: &[obj("tenant", "tenant", "tenant_id"), arr("flows", "flow", "project_id")],
        tenant_col: "tenant_id",
        computed: &[],
    },
    Table {
        name: "flow",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid),
            ("project_id", Uuid), ("name", Text), ("description", Text), ("version", Int),
            ("version_group_id", Text), ("archived", Bool), ("core_version", Text),
            ("schedule", Json), ("is_schedule_active", Bool), ("serialized_flow", Json),
            ("environment", Json), ("run_config", Json), ("storage", Json), ("parameters", Json),
            ("flow_group_id", Uuid), ("settings", Json),
        ],
        rels: &[
            obj("project", "project", "project_id"), obj("tenant", "tenant", "tenant_id"),
            obj("flow_group", "flow_group", "flow_group_id"),
            arr("tasks", "task", "flow_id"), arr("edges", "edge", "flow_id"),
            arr("flow_runs", "flow_run", "flow_id"),
        ],
        tenant_col: "tenant_id",
        // Cloud's per-flow settings; Prefect Server keeps them on the flow group, which is what
        // the engine's `flow { settings }` (heartbeat_enabled) then reads.
        computed: &[("settings", "SELECT coalesce(g.settings, '{}') FROM flow_group g WHERE g.id = {t}.flow_group_id")],
    },
    Table {
        name: "flow_group",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid), ("name", Text),
            ("description", Text), ("settings", Json), ("labels", Json), ("schedule", Json),
            ("default_parameters", Json), ("run_config", Json),
        ],
        rels: &[obj("tenant", "tenant", "tenant_id"), arr("flows", "flow", "flow_group_id")],
        tenant_col: "tenant_id",
        computed: &[],
    },
    Table {
        name: "agent",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid), ("name", Text),
            ("type", Text), ("core_version", Text), ("labels", Json), ("agent_config_id", Uuid),
            ("last_queried", Time),
        ],
        rels: &[obj("tenant", "tenant", "tenant_id"), arr("flow_runs", "flow_run", "agent_id")],
        tenant_col: "tenant_id",
        computed: &[],
    },
    Table {
        name: "task_run_artifact",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid), ("task_run_id", Uuid),
            ("kind", Text), ("data", Json),
        ],
        rels: &[obj("task_run", "task_run", "task_run_id"), obj("tenant", "tenant", "tenant_id")],
        tenant_col: "tenant_id",
        computed: &[],
    },
    Table {
        name: "task_tag_limit",
        columns: &[("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid), ("tag", Text), ("limit", Int)],
        rels: &[obj("tenant", "tenant", "tenant_id")],
        tenant_col: "tenant_id",
        computed: &[],
    },
    Table {
        name: "task",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid),
            ("flow_id", Uuid), ("name", Text), ("slug", Text), ("description", Text),
            ("type", Text), ("max_retries", Int), ("retry_delay", Text), ("trigger", Text),
            ("tags", Json), ("mapped", Bool), ("auto_generated", Bool), ("cache_key", Text),
            ("is_root_task", Bool), ("is_terminal_task", Bool), ("is_reference_task", Bool),
        ],
        rels: &[
            obj("flow", "flow", "flow_id"), arr("task_runs", "task_run", "task_id"),
            arr("upstream_edges", "edge", "downstream_task_id"),
            arr("downstream_edges", "edge", "upstream_task_id"),
        ],
        tenant_col: "tenant_id",
        computed: &[],
    },
    Table {
        name: "edge",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid),
            ("flow_id", Uuid), ("upstream_task_id", Uuid), ("downstream_task_id", Uuid),
            ("key", Text), ("mapped", Bool),
        ],
        rels: &[
            obj("flow", "flow", "flow_id"), obj("upstream_task", "task", "upstream_task_id"),
            obj("downstream_task", "task", "downstream_task_id"),
        ],
        tenant_col: "tenant_id",
        computed: &[],
    },
    Table {
        name: "flow_run",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid),
            ("flow_id", Uuid), ("name", Text), ("parameters", Json), ("labels", Json),
            ("run_config", Json), ("context", Json), ("version", Int), ("heartbeat", Time),
            ("scheduled_start_time", Time), ("start_time", Time), ("end_time", Time),
            ("auto_scheduled", Bool), ("times_resurrected", Int), ("idempotency_key", Text),
            ("agent_id", Uuid), ("state", Text), ("state_timestamp", Time),
            ("state_message", Text), ("state_result", Json), ("state_start_time", Time),
            ("serialized_state", Json),
        ],
        rels: &[
            obj("flow", "flow", "flow_id"), obj("tenant", "tenant", "tenant_id"), obj("agent", "agent", "agent_id"),
            arr("states", "flow_run_state", "flow_run_id"),
            arr("task_runs", "task_run", "flow_run_id"), arr("logs", "log", "flow_run_id"),
        ],
        tenant_col: "tenant_id",
        computed: &[],
    },
    Table {
        name: "task_run",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid),
            ("flow_run_id", Uuid), ("task_id", Uuid), ("map_index", Int), ("version", Int),
            ("heartbeat", Time), ("start_time", Time), ("end_time", Time), ("cache_key", Text),
            ("name", Text), ("state", Text), ("state_timestamp", Time), ("state_message", Text),
            ("state_result", Json), ("state_start_time", Time), ("serialized_state", Json),
        ],
        rels: &[
            obj("flow_run", "flow_run", "flow_run_id"), obj("task", "task", "task_id"),
            arr("states", "task_run_state", "task_run_id"), arr("logs", "log", "task_run_id"),
            arr("artifacts", "task_run_artifact", "task_run_id"),
        ],
        tenant_col: "tenant_id",
        computed: &[],
    },
    Table {
        name: "flow_run_state",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid),
            ("flow_run_id", Uuid), ("timestamp", Time), ("message", Text), ("result", Json),
            ("start_time", Time), ("state", Text), ("version", Int), ("serialized_state", Json),
        ],
        rels: &[obj("flow_run", "flow_run", "flow_run_id")],
        tenant_col: "tenant_id",
        computed: &[],
    },
    Table {
        name: "task_run_state",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid),
            ("task_run_id", Uuid), ("timestamp", Time), ("message", Text), ("result", Json),
            ("start_time", Time), ("state", Text), ("version", Int), ("serialized_state", Json),
        ],
        rels: &[obj("task_run", "task_run", "task_run_id")],
        tenant_col: "tenant_id",
        computed: &[],
    },
    Table {
        name: "log",
        columns: &[
            ("id", Uuid), ("created", Time), ("updated", Time), ("tenant_id", Uuid),
            ("flow_run_id", Uuid), ("task_run_id", Uuid), ("timestamp", Time), ("name", Text),
            ("level", Text), ("message", Text), ("info", Json),
        ],
        rels: &[obj("flow_run", "flow_run", "flow_run_id"), obj("task_run", "task_run", "task_run_id")],
        tenant_col: "tenant_id",
        computed: &[],
    },
];

pub fn table(name: &str) -> &'static Table {
    TABLES.iter().find(|t| t.name == name).expect("known table")
}

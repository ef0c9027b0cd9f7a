//! `--demo`: a tenant, a project and a few flows with tasks and parameters, seeded once.

use serde_json::{json, Value as J};

use crate::app::Scope;
use crate::db::Db;
use crate::domain::flow_runs::{self, CreateFlowRun};
use crate::domain::flows::{self, CreateFlow};
use crate::domain::projects::{self, CreateProject};
use crate::domain::Id;
use crate::error::ApiError;

pub struct DemoInfo {
    pub tenant_id: String,
    pub project_id: String,
    pub flows: Vec<(String, String)>,
    pub created: bool,
}

fn task(slug: &str, name: &str, ty: &str, max_retries: i64) -> J {
    json!({"slug": slug, "name": name, "type": ty, "max_retries": max_retries, "retry_delay": if max_retries > 0 { json!("0:00:01") } else { J::Null },
           "trigger": "prefect.triggers.all_successful", "tags": ["demo"], "mapped": false, "auto_generated": false})
}
fn edge(up: &str, down: &str, key: Option<&str>) -> J {
    json!({"upstream_task": {"slug": up}, "downstream_task": {"slug": down}, "key": key, "mapped": false})
}
fn param(slug: &str, required: bool, default: J) -> J {
    json!({"slug": slug, "name": slug, "required": required, "default": default, "type": "prefect.core.parameter.Parameter"})
}

fn flows() -> Vec<J> {
    vec![
        json!({
            "name": "ETL", "__version__": "1.4.1", "type": "prefect.core.flow.Flow",
            "tasks": [task("extract", "extract", "demo.Extract", 2), task("transform", "transform", "demo.Transform", 0), task("load", "load", "demo.Load", 1)],
            "edges": [edge("extract", "transform", Some("data")), edge("transform", "load", Some("data"))],
            "parameters": [param("source", true, json!("s3://demo-bucket/raw/")), param("batch_size", false, json!(500))],
            "reference_tasks": ["load"],
            "run_config": {"type": "UniversalRun", "labels": ["demo"]},
            "storage": {"type": "Local"}, "environment": null, "schedule": null,
        }),
        json!({
            "name": "Hello World", "__version__": "1.4.1", "type": "prefect.core.flow.Flow",
            "tasks": [task("say_hello", "say_hello", "demo.SayHello", 0)],
            "edges": [], "parameters": [param("name", false, json!("world"))],
            "run_config": {"type": "UniversalRun", "labels": []}, "storage": {"type": "Local"},
        }),
        json!({
            "name": "Data Quality Checks", "__version__": "1.4.1", "type": "prefect.core.flow.Flow",
            "tasks": [task("fetch_table", "fetch_table", "demo.Fetch", 1), task("check_nulls", "check_nulls", "demo.Check", 0),
                      task("check_schema", "check_schema", "demo.Check", 0), task("report", "report", "demo.Report", 0)],
            "edges": [edge("fetch_table", "check_nulls", Some("df")), edge("fetch_table", "check_schema", Some("df")),
                      edge("check_nulls", "report", None), edge("check_schema", "report", None)],
            "parameters": [param("table", true, J::Null), param("threshold", false, json!(0.01))],
            "run_config": {"type": "UniversalRun", "labels": []}, "storage": {"type": "Local"},
        }),
        json!({
            "name": "Nightly Report", "__version__": "1.4.1", "type": "prefect.core.flow.Flow",
            "tasks": [task("query", "query", "demo.Query", 1), task("render", "render", "demo.Render", 0), task("email", "email", "demo.Email", 3)],
            "edges": [edge("query", "render", Some("rows")), edge("render", "email", Some("html"))],
            "parameters": [param("recipients", true, json!(["team@example.com"])), param("date", false, J::Null)],
            "schedule": {"type": "Schedule", "clocks": [{"type": "CronClock", "cron": "0 2 * * *"}]},
            "run_config": {"type": "UniversalRun", "labels": []}, "storage": {"type": "Local"},
        }),
    ]
}

/// Seeds the demo into `tenant_id` (once: an existing "Demo" project is left as it is).
pub fn seed(db: &Db, tenant_id: &str) -> Result<DemoInfo, ApiError> {
    db.write(|tx| {
        let existing: Option<String> = rusqlite::OptionalExtension::optional(tx.query_row(
            "SELECT id FROM project WHERE tenant_id = ? AND name = 'Demo'",
            [tenant_id],
            |r| r.get(0),
        ))?;
        if let Some(project_id) = existing {
            let mut st = tx.prepare("SELECT name, id FROM flow WHERE project_id = ? AND archived = 0 ORDER BY created, rowid")?;
            let flows = st.query_map([&project_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
            return Ok(DemoInfo { tenant_id: tenant_id.into(), project_id, flows, created: false });
        }
        let scope = Scope::Open;
        let project = CreateProject { tenant_id: Id::parse(tenant_id)?, name: "Demo".into(), description: Some("Demo flows of prefect-dev-server".into()) };
        let project_id = projects::create(tx, &scope, &project)?;
        let mut out = Vec::new();
        for f in flows() {
            let name = f["name"].as_str().unwrap_or_default().to_string();
            let flow = CreateFlow {
                serialized_flow: f,
                project_id: project_id.clone(),
                version_group_id: None,
                set_schedule_active: None,
                description: Some(format!("Demo flow: {name}")),
                idempotency_key: None,
            };
            out.push((name, flows::create(tx, &scope, &flow)?));
        }
        // two runs to look at straight away
        for (flow, parameters) in [(&out[0].1, json!({"batch_size": 250})), (&out[1].1, json!({"name": "Prefect"}))] {
            flow_runs::create(tx, &scope, &CreateFlowRun { flow_id: Some(flow.clone()), parameters: Some(parameters), ..Default::default() })?;
        }
        let (project_id, out) = (project_id.into_string(), out.into_iter().map(|(name, id)| (name, id.into_string())).collect());
        Ok(DemoInfo { tenant_id: tenant_id.into(), project_id, flows: out, created: true })
    })
}

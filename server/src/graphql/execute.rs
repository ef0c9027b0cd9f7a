//! One GraphQL request body (`{query, variables, operationName}`) executed: variables given as
//! an object or as JSON text (Prefect's Python client), the answer's keys in selection order,
//! and every error with an `extensions.code`.

use std::time::Instant;

use async_graphql::dynamic::Schema;
use serde_json::{json, Value as J};

use super::hasura::RelCache;
use super::selection_order::order_like_document;
use crate::app::RequestAuth;
use crate::error::{API_ERROR, VALIDATION_FAILED};

/// The answer to `body`, or why the body is not a GraphQL request (a 400).
pub async fn execute(schema: &Schema, auth: &RequestAuth, body: J) -> Result<J, &'static str> {
    let J::Object(mut body) = body else { return Err("the body must be a JSON object {query, variables, operationName}") };
    let Some(J::String(query)) = body.remove("query") else { return Err("the body has no `query` string") };
    let variables = match body.remove("variables") {
        None | Some(J::Null) => J::Object(Default::default()),
        Some(J::String(s)) if s.trim().is_empty() => J::Object(Default::default()),
        Some(J::String(s)) => match serde_json::from_str::<J>(&s) {
            Ok(v @ J::Object(_)) => v,
            Ok(J::Null) => J::Object(Default::default()),
            _ => return Err("`variables` must be an object or a JSON-encoded object"),
        },
        Some(v @ J::Object(_)) => v,
        Some(_) => return Err("`variables` must be an object"),
    };
    let op = match body.remove("operationName") {
        Some(J::String(s)) => Some(s),
        _ => None,
    };
    let started = Instant::now();
    let mut req = async_graphql::Request::new(query).variables(async_graphql::Variables::from_json(variables)).data(auth.clone()).data(RelCache::default());
    if let Some(op) = &op {
        req = req.operation_name(op.clone());
    }
    let query_text = req.query.clone();
    let resp = schema.execute(req).await;
    let mut out = serde_json::to_value(&resp).unwrap_or_else(|e| json!({"data": null, "errors": [{"message": e.to_string()}]}));
    if let (Some(data), Ok(doc)) = (out.get_mut("data"), async_graphql::parser::parse_query(&query_text)) {
        order_like_document(data, &doc, op.as_deref());
    }
    let mut codes = Vec::new();
    if let Some(J::Array(errors)) = out.get_mut("errors") {
        for e in errors.iter_mut() {
            let has_path = e.get("path").is_some();
            let Some(obj) = e.as_object_mut() else { continue };
            let ext = obj.entry("extensions").or_insert_with(|| json!({}));
            if let Some(ext) = ext.as_object_mut() {
                if !ext.contains_key("code") {
                    let code = if has_path { API_ERROR } else { VALIDATION_FAILED };
                    ext.insert("code".into(), J::String(code.into()));
                }
                codes.push(ext.get("code").and_then(|c| c.as_str()).unwrap_or_default().to_string());
            }
        }
    }
    if let Some(o) = out.as_object_mut() {
        o.entry("data").or_insert(J::Null);
    }
    tracing::info!(operation = op.as_deref().unwrap_or("-"), ms = started.elapsed().as_millis() as u64, errors = ?codes, "graphql");
    Ok(out)
}

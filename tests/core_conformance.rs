//! Conformance of every document the client sends (`prefect_wasm::client_core::protocol::graphql::documents::ALL`)
//! against the project's own statement of the Prefect 1.x schema, in this repository:
//! - Python-layer and auth documents validate against the dev server's SDL
//!   (`server/src/python_layer.graphql`), and the variables the client builds fit its input
//!   types (names, required fields); Hasura reads use Hasura's types;
//! - no other GraphQL document text exists in the client's source.
//!
//! server/tests/conformance.rs validates every document, Hasura reads included, against the
//! running dev server's introspected schema, and compares both with Prefect Server's upstream SDL
//! when `PREFECT_SERVER_SDL` names a folder of it.
#![cfg(not(target_arch = "wasm32"))]

mod graphql_schema;

use std::path::{Path, PathBuf};

use async_graphql_parser::parse_query;
use async_graphql_parser::types::DocumentOperations;
use graphql_schema::{assert_inputs_fit, assert_valid, client_inputs, Schema};
use prefect_wasm::client_core::protocol::graphql::documents::{self, Layer};
use serde_json::json;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn dev_server_schema() -> Schema {
    Schema::from_sdl_files(&[root().join("server/src/python_layer.graphql")])
}

#[test]
fn every_document_parses_and_names_itself() {
    for doc in documents::ALL {
        let parsed = parse_query(doc.text).unwrap_or_else(|e| panic!("{}: {e}", doc.name));
        assert!(matches!(parsed.operations, DocumentOperations::Multiple(ref ops) if ops.len() == 1), "{}", doc.name);
    }
}

#[test]
fn python_and_auth_documents_validate_against_the_dev_server_sdl() {
    let schema = dev_server_schema();
    assert!(schema.objects.contains_key("Mutation") && schema.inputs.contains_key("set_flow_run_states_input"));
    let docs: Vec<_> = documents::ALL.into_iter().filter(|d| d.layer != Layer::Hasura).collect();
    assert_eq!(docs.iter().filter(|d| d.layer == Layer::Python).count(), 3);
    assert_valid(&schema, docs, "server/src/python_layer.graphql");
}

#[test]
fn hasura_reads_use_hasura_types() {
    for doc in documents::ALL.into_iter().filter(|d| d.layer == Layer::Hasura) {
        assert!(doc.text.starts_with("query "), "{}: reads only", doc.name);
        if doc.text.contains('$') {
            assert!(doc.text.contains("($id: uuid!)"), "{}: Hasura's uuid! for primary keys", doc.name);
        }
    }
}

#[test]
fn variables_fit_the_input_types() {
    let schema = dev_server_schema();
    let inputs = client_inputs();
    assert_eq!(inputs.len(), 6);
    assert_inputs_fit(&schema, &inputs, "server/src/python_layer.graphql");
}

#[test]
fn an_unknown_input_type_is_a_problem() {
    let schema = dev_server_schema();
    let mut problems = Vec::new();
    schema.check_input("create_flow_run_inputs", &json!({"flow_id": "f"}), "v", &mut problems);
    assert_eq!(problems, ["v: create_flow_run_inputs is not a type of this schema"]);
    let mut problems = Vec::new();
    schema.check_input("create_flow_run_input", &json!({"flow_id": "f", "labels": ["l"], "parameters": {"a": 1}}), "v", &mut problems);
    assert_eq!(problems, Vec::<String>::new(), "scalars (UUID, JSON, String) take any JSON");
}

/// `"query {`, `"mutation Name(`, `"{ hello`: a string literal that opens a GraphQL operation.
fn looks_like_a_document(code: &str) -> bool {
    code.match_indices('"').any(|(i, _)| {
        let rest = &code[i + 1..];
        for keyword in ["query", "mutation", "subscription"] {
            if let Some(after) = rest.strip_prefix(keyword) {
                let after = after.trim_start();
                if after.starts_with('{') || after.starts_with('(') {
                    return true;
                }
                let n = after.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
                if n > 0 && matches!(after[n..].trim_start().chars().next(), Some('{' | '(')) {
                    return true;
                }
            }
        }
        rest.starts_with("{ ") && rest[2..].starts_with(|c: char| c.is_ascii_lowercase())
    })
}

#[test]
fn the_scan_finds_documents() {
    assert!(looks_like_a_document(r#"let q = "query { hello }";"#));
    assert!(looks_like_a_document(r#"x("mutation M($a: T) { m }")"#));
    assert!(looks_like_a_document(r#"x("{ hello }")"#));
    assert!(!looks_like_a_document(r#"Error::invalid("query must not be empty")"#));
    assert!(!looks_like_a_document(r#"format!("{what} must be a string")"#));
}

/// The client sends nothing but `client_core::protocol::graphql::documents` (and the caller's own `graphql()` text).
#[test]
fn no_document_text_outside_core_documents() {
    fn scan(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                scan(&path, found);
            } else if path.extension().is_some_and(|x| x == "rs") && !path.ends_with("protocol/graphql/documents.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    let code = line.split("//").next().unwrap_or("");
                    if looks_like_a_document(code) {
                        found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    scan(&root().join("src"), &mut found);
    assert!(found.is_empty(), "GraphQL text outside src/client_core/protocol/graphql/documents.rs:\n{}", found.join("\n"));
}

//! Conformance of every document the client sends (`prefect_wasm::client_core::protocol::graphql::documents::ALL`):
//! - Python-layer documents validate against Prefect Server's own SDL
//!   (`<workspace>/../shared/reference/prefect-server-schema/`);
//! - Python-layer and auth documents validate against the dev server's SDL
//!   (`server/src/python_layer.graphql`); Hasura reads are exercised against the running dev
//!   server by the wasm suite;
//! - the variables the client builds fit the input types (names, required fields);
//! - no other GraphQL document text exists in the client's source.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use async_graphql_parser::types::{
    BaseType, DocumentOperations, OperationType, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql_parser::{parse_query, parse_schema, Positioned};
use prefect_wasm::client_core::json::IntoJson;
use prefect_wasm::client_core::protocol::graphql::documents::{self, Document, Layer};
use serde_json::{json, Value};

#[derive(Default)]
struct Schema {
    objects: HashMap<String, HashMap<String, (HashMap<String, Type>, Type)>>,
    inputs: HashMap<String, HashMap<String, Type>>,
    leaves: HashSet<String>,
}

impl Schema {
    fn load(files: &[PathBuf]) -> Schema {
        let mut schema = Schema::default();
        for builtin in ["String", "Int", "Float", "Boolean", "ID"] {
            schema.leaves.insert(builtin.into());
        }
        for file in files {
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let doc = parse_schema(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            for def in doc.definitions {
                let TypeSystemDefinition::Type(def) = def else { continue };
                let def = def.node;
                let name = def.name.node.to_string();
                match def.kind {
                    TypeKind::Scalar | TypeKind::Enum(_) => {
                        schema.leaves.insert(name);
                    }
                    TypeKind::Object(object) => {
                        let fields = schema.objects.entry(name).or_default();
                        for field in object.fields {
                            let field = field.node;
                            let args = field.arguments.into_iter().map(|a| (a.node.name.node.to_string(), a.node.ty.node)).collect();
                            fields.insert(field.name.node.to_string(), (args, field.ty.node));
                        }
                    }
                    TypeKind::InputObject(input) => {
                        let fields = schema.inputs.entry(name).or_default();
                        for field in input.fields {
                            fields.insert(field.node.name.node.to_string(), field.node.ty.node);
                        }
                    }
                    _ => {}
                }
            }
        }
        schema
    }

    fn validate(&self, doc: &Document) -> Vec<String> {
        let mut problems = Vec::new();
        let parsed = match parse_query(doc.text) {
            Ok(p) => p,
            Err(e) => return vec![format!("does not parse: {e}")],
        };
        let operations: Vec<_> = match parsed.operations {
            DocumentOperations::Single(op) => vec![(None, op)],
            DocumentOperations::Multiple(ops) => ops.into_iter().map(|(n, op)| (Some(n.to_string()), op)).collect(),
        };
        assert_eq!(operations.len(), 1, "{}: one operation per document", doc.name);
        for (name, op) in operations {
            if let Some(name) = name {
                assert_eq!(name, doc.name, "operation name");
            }
            let op = op.node;
            let root = match op.ty {
                OperationType::Query => "Query",
                OperationType::Mutation => "Mutation",
                OperationType::Subscription => "Subscription",
            };
            let mut variables = HashMap::new();
            for var in &op.variable_definitions {
                let ty = &var.node.var_type.node;
                let named = base_name(ty);
                if !self.inputs.contains_key(&named) && !self.leaves.contains(&named) {
                    problems.push(format!("variable ${} has unknown type {ty}", var.node.name.node));
                }
                variables.insert(var.node.name.node.to_string(), ty.clone());
            }
            self.selection(root, &op.selection_set, &variables, &mut problems, root);
        }
        problems
    }

    fn selection(&self, type_name: &str, set: &Positioned<SelectionSet>, variables: &HashMap<String, Type>, problems: &mut Vec<String>, path: &str) {
        let Some(fields) = self.objects.get(type_name) else {
            problems.push(format!("{path}: {type_name} is not an object type"));
            return;
        };
        for item in &set.node.items {
            let Selection::Field(field) = &item.node else {
                problems.push(format!("{path}: fragments are not used by the client"));
                continue;
            };
            let field = &field.node;
            let name = field.name.node.to_string();
            let here = format!("{path}.{name}");
            let Some((args, ty)) = fields.get(&name) else {
                problems.push(format!("{here}: no such field on {type_name}"));
                continue;
            };
            for (arg, value) in &field.arguments {
                let arg = arg.node.to_string();
                let Some(expected) = args.get(&arg) else {
                    problems.push(format!("{here}({arg}:): no such argument"));
                    continue;
                };
                match &value.node {
                    async_graphql_value::Value::Variable(var) => match variables.get(var.as_str()) {
                        Some(given) if given.to_string() == expected.to_string() => {}
                        Some(given) => problems.push(format!("{here}({arg}:): ${var} is {given}, the schema wants {expected}")),
                        None => problems.push(format!("{here}({arg}:): ${var} is not declared")),
                    },
                    other => problems.push(format!("{here}({arg}:): literal {other} spliced into the document")),
                }
            }
            for (arg, expected) in args {
                if !expected.nullable && !field.arguments.iter().any(|(a, _)| a.node.as_str() == arg) {
                    problems.push(format!("{here}: required argument {arg} missing"));
                }
            }
            let base = base_name(ty);
            if self.leaves.contains(&base) {
                if !field.selection_set.node.items.is_empty() {
                    problems.push(format!("{here}: {base} is a leaf, it takes no selection"));
                }
            } else if field.selection_set.node.items.is_empty() {
                problems.push(format!("{here}: {base} needs a selection"));
            } else {
                self.selection(&base, &field.selection_set, variables, problems, &here);
            }
        }
    }

    /// Checks a variables value against an input type: known fields only, required present.
    fn check_input(&self, type_name: &str, value: &Value, path: &str, problems: &mut Vec<String>) {
        let Some(fields) = self.inputs.get(type_name) else {
            return; // a scalar (UUID, JSON, String, ...): anything JSON
        };
        let Some(object) = value.as_object() else {
            problems.push(format!("{path}: {type_name} must be an object"));
            return;
        };
        for (key, item) in object {
            match fields.get(key) {
                None => problems.push(format!("{path}.{key}: not a field of {type_name}")),
                Some(ty) => match (&ty.base, item) {
                    (BaseType::List(inner), Value::Array(items)) => {
                        for (i, item) in items.iter().enumerate() {
                            self.check_input(&base_name(inner), item, &format!("{path}.{key}[{i}]"), problems);
                        }
                    }
                    (BaseType::Named(name), item) => self.check_input(name, item, &format!("{path}.{key}"), problems),
                    (BaseType::List(_), _) => problems.push(format!("{path}.{key}: must be a list")),
                },
            }
        }
        for (key, ty) in fields {
            if !ty.nullable && !object.contains_key(key) {
                problems.push(format!("{path}.{key}: required by {type_name}"));
            }
        }
    }
}

fn base_name(ty: &Type) -> String {
    match &ty.base {
        BaseType::Named(name) => name.to_string(),
        BaseType::List(inner) => base_name(inner),
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn graphql_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e} (the shared reference lives next to the workspace, in ../shared)", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .collect();
    files.sort();
    files
}

fn prefect_schema() -> Schema {
    Schema::load(&graphql_files(&root().join("../shared/reference/prefect-server-schema")))
}

fn assert_valid(schema: &Schema, docs: impl Iterator<Item = Document>, against: &str) {
    let mut all = Vec::new();
    for doc in docs {
        for problem in schema.validate(&doc) {
            all.push(format!("{} vs {against}: {problem}", doc.name));
        }
    }
    assert!(all.is_empty(), "\n{}", all.join("\n"));
}

#[test]
fn every_document_parses_and_names_itself() {
    for doc in documents::ALL {
        let parsed = parse_query(doc.text).unwrap_or_else(|e| panic!("{}: {e}", doc.name));
        assert!(matches!(parsed.operations, DocumentOperations::Multiple(ref ops) if ops.len() == 1), "{}", doc.name);
    }
}

#[test]
fn python_layer_documents_validate_against_prefect_server_sdl() {
    let schema = prefect_schema();
    assert!(schema.objects.contains_key("Mutation") && schema.inputs.contains_key("set_flow_run_states_input"));
    let python: Vec<Document> = documents::ALL.into_iter().filter(|d| d.layer == Layer::Python).collect();
    assert_eq!(python.len(), 3);
    assert_valid(&schema, python.into_iter(), "prefect-server-schema");
}

#[test]
fn python_and_auth_documents_validate_against_the_dev_server_sdl() {
    let schema = Schema::load(&[root().join("server/src/python_layer.graphql")]);
    let docs = documents::ALL.into_iter().filter(|d| d.layer != Layer::Hasura);
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
    use documents::*;
    let schema = prefect_schema();
    let full_create = IntoJson::<Value>::into_json(InputVars {
        input: CreateFlowRunInput::<Value> {
            flow_id: "f".into(),
            parameters: Some(json!({})),
            context: Some(json!({})),
            labels: Some(vec!["l".into()]),
            scheduled_start_time: Some("2026-01-01T00:00:00Z".into()),
            idempotency_key: Some("k".into()),
            flow_run_name: Some("n".into()),
        },
    });
    let flow_state = IntoJson::<Value>::into_json(InputVars {
        input: SetStatesInput { states: vec![SetFlowRunState { flow_run_id: "r".into(), version: 1, state: json!({"type": "Running"}) }] },
    });
    let task_state = IntoJson::<Value>::into_json(InputVars {
        input: SetStatesInput { states: vec![SetTaskRunState { task_run_id: "r".into(), version: 1, state: json!({"type": "Running"}) }] },
    });
    let mut problems = Vec::new();
    for (value, input_type) in [
        (&full_create, "create_flow_run_input"),
        (&flow_state, "set_flow_run_states_input"),
        (&task_state, "set_task_run_states_input"),
    ] {
        schema.check_input(input_type, &value["input"], input_type, &mut problems);
    }
    let dev = Schema::load(&[root().join("server/src/python_layer.graphql")]);
    for (value, input_type) in [
        (IntoJson::<Value>::into_json(InputVars { input: LogInInput { email: "e", password: "p" } }), "log_in_input"),
        (IntoJson::<Value>::into_json(InputVars { input: RefreshTokenInput { access_token: "r" } }), "refresh_token_input"),
        (IntoJson::<Value>::into_json(InputVars { input: SwitchTenantInput { tenant_id: "t" } }), "switch_tenant_input"),
    ] {
        assert!(dev.inputs.contains_key(input_type), "dev server defines {input_type}");
        dev.check_input(input_type, &value["input"], input_type, &mut problems);
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
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

/// The client sends nothing but `protocol::graphql::documents` (and the caller's own `graphql()` text).
#[test]
fn no_document_text_outside_core_documents() {
    fn scan(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                scan(&path, found);
            } else if path.extension().is_some_and(|x| x == "rs") && !path.ends_with("graphql/documents.rs") {
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

//! A GraphQL schema as the conformance tests need it (read from SDL text or from a running
//! server's introspection answer), and the checks of the client's documents and variables
//! against it. Used by tests/core_conformance.rs and, through `#[path]`, by
//! server/tests/conformance.rs: test targets of two crates share a module no other way.
#![allow(dead_code)] // each includer uses its part

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use async_graphql_parser::types::{BaseType, DocumentOperations, OperationType, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition};
use async_graphql_parser::{parse_query, parse_schema, Positioned};
use async_graphql_value::Value as AstValue;
use prefect_wasm::client_core::json::IntoJson;
use prefect_wasm::client_core::protocol::graphql::documents::{self, Document, Layer};
use serde_json::{json, Value};

pub struct Field {
    pub args: BTreeMap<String, Type>,
    pub ty: Type,
}

#[derive(Default)]
pub struct Schema {
    pub objects: BTreeMap<String, BTreeMap<String, Field>>,
    pub inputs: BTreeMap<String, BTreeMap<String, Type>>,
    pub enums: BTreeMap<String, BTreeSet<String>>,
    pub scalars: BTreeSet<String>,
}

/// The introspection query `Schema::from_introspection` reads the answer of.
pub const INTROSPECTION: &str = r#"
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
{ __schema { types { name kind
    fields { name type { ...T } args { name type { ...T } } }
    inputFields { name type { ...T } }
    enumValues { name } } } }"#;

impl Schema {
    fn with_builtins() -> Schema {
        let mut schema = Schema::default();
        for builtin in ["String", "Int", "Float", "Boolean", "ID"] {
            schema.scalars.insert(builtin.into());
        }
        schema
    }

    /// Every `.graphql` file in `files`, as one schema (types split across files merge).
    pub fn from_sdl_files(files: &[PathBuf]) -> Schema {
        let mut schema = Schema::with_builtins();
        for file in files {
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            schema.add_sdl(&text, &file.display().to_string());
        }
        schema
    }

    fn add_sdl(&mut self, text: &str, source: &str) {
        let doc = parse_schema(text).unwrap_or_else(|e| panic!("{source}: {e}"));
        for def in doc.definitions {
            let TypeSystemDefinition::Type(def) = def else { continue };
            let def = def.node;
            let name = def.name.node.to_string();
            match def.kind {
                TypeKind::Scalar => {
                    self.scalars.insert(name);
                }
                TypeKind::Enum(e) => {
                    self.enums.entry(name).or_default().extend(e.values.iter().map(|v| v.node.value.node.to_string()));
                }
                TypeKind::Object(object) => {
                    let fields = self.objects.entry(name).or_default();
                    for field in object.fields {
                        let field = field.node;
                        let args = field.arguments.into_iter().map(|a| (a.node.name.node.to_string(), a.node.ty.node)).collect();
                        fields.insert(field.name.node.to_string(), Field { args, ty: field.ty.node });
                    }
                }
                TypeKind::InputObject(input) => {
                    let fields = self.inputs.entry(name).or_default();
                    for field in input.fields {
                        fields.insert(field.node.name.node.to_string(), field.node.ty.node);
                    }
                }
                _ => {}
            }
        }
    }

    /// The `data` of an `INTROSPECTION` answer.
    pub fn from_introspection(data: &Value) -> Schema {
        fn type_of(t: &Value) -> Type {
            fn text(t: &Value) -> String {
                match t["kind"].as_str().unwrap() {
                    "NON_NULL" => format!("{}!", text(&t["ofType"])),
                    "LIST" => format!("[{}]", text(&t["ofType"])),
                    _ => t["name"].as_str().unwrap().to_string(),
                }
            }
            Type::new(&text(t)).expect("an introspected type")
        }
        let name_of = |v: &Value| v["name"].as_str().unwrap().to_string();
        let mut schema = Schema::default();
        for t in data["__schema"]["types"].as_array().expect("__schema.types") {
            let name = name_of(t);
            match t["kind"].as_str().unwrap() {
                "SCALAR" => {
                    schema.scalars.insert(name);
                }
                "ENUM" => {
                    schema.enums.insert(name, t["enumValues"].as_array().unwrap().iter().map(name_of).collect());
                }
                "OBJECT" => {
                    let fields = t["fields"].as_array().unwrap().iter().map(|f| {
                        let args = f["args"].as_array().unwrap().iter().map(|a| (name_of(a), type_of(&a["type"]))).collect();
                        (name_of(f), Field { args, ty: type_of(&f["type"]) })
                    });
                    schema.objects.insert(name, fields.collect());
                }
                "INPUT_OBJECT" => {
                    let fields = t["inputFields"].as_array().unwrap().iter().map(|f| (name_of(f), type_of(&f["type"])));
                    schema.inputs.insert(name, fields.collect());
                }
                _ => {}
            }
        }
        schema
    }

    pub fn is_leaf(&self, name: &str) -> bool {
        self.scalars.contains(name) || self.enums.contains_key(name)
    }

    /// What is wrong with `doc` against this schema: fields, arguments, variables' types.
    pub fn validate(&self, doc: &Document) -> Vec<String> {
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
            let mut variables = BTreeMap::new();
            for var in &op.variable_definitions {
                let ty = &var.node.var_type.node;
                let named = base_name(ty);
                if !self.inputs.contains_key(&named) && !self.is_leaf(&named) {
                    problems.push(format!("variable ${} has unknown type {ty}", var.node.name.node));
                }
                variables.insert(var.node.name.node.to_string(), ty.clone());
            }
            self.selection(root, &op.selection_set, &variables, &mut problems, root);
        }
        problems
    }

    fn selection(&self, type_name: &str, set: &Positioned<SelectionSet>, variables: &BTreeMap<String, Type>, problems: &mut Vec<String>, path: &str) {
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
            let Some(Field { args, ty }) = fields.get(&name) else {
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
                    AstValue::Variable(var) => match variables.get(var.as_str()) {
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
            if self.is_leaf(&base) {
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

    /// Checks a variables value against a type: known fields only, required present; a name
    /// that is neither an input type nor a scalar or enum of this schema is a problem too.
    pub fn check_input(&self, type_name: &str, value: &Value, path: &str, problems: &mut Vec<String>) {
        let Some(fields) = self.inputs.get(type_name) else {
            if !self.is_leaf(type_name) {
                problems.push(format!("{path}: {type_name} is not a type of this schema"));
            }
            return; // a scalar (UUID, JSON, String, ...) or an enum: anything JSON
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

pub fn base_name(ty: &Type) -> String {
    match &ty.base {
        BaseType::Named(name) => name.to_string(),
        BaseType::List(inner) => base_name(inner),
    }
}

/// Panics with every problem of `docs` against `schema`.
pub fn assert_valid(schema: &Schema, docs: impl IntoIterator<Item = Document>, against: &str) {
    let mut all = Vec::new();
    for doc in docs {
        for problem in schema.validate(&doc) {
            all.push(format!("{} vs {against}: {problem}", doc.name));
        }
    }
    assert!(all.is_empty(), "\n{}", all.join("\n"));
}

/// The `input` variable the client builds for each input type it sends, every optional field
/// set, with the layer of the API the type belongs to.
pub fn client_inputs() -> Vec<(Layer, &'static str, Value)> {
    use documents::*;
    let input = |v: Value| v["input"].clone();
    let to_value = |v: Value| input(v);
    vec![
        (
            Layer::Python, "create_flow_run_input",
            to_value(IntoJson::<Value>::into_json(InputVars {
                input: CreateFlowRunInput::<Value> {
                    flow_id: "f".into(),
                    parameters: Some(json!({})),
                    context: Some(json!({})),
                    labels: Some(vec!["l".into()]),
                    scheduled_start_time: Some("2026-01-01T00:00:00Z".into()),
                    idempotency_key: Some("k".into()),
                    flow_run_name: Some("n".into()),
                },
            })),
        ),
        (
            Layer::Python, "set_flow_run_states_input",
            to_value(IntoJson::<Value>::into_json(InputVars {
                input: SetStatesInput { states: vec![SetFlowRunState { flow_run_id: "r".into(), version: 1, state: json!({"type": "Running"}) }] },
            })),
        ),
        (
            Layer::Python, "set_task_run_states_input",
            to_value(IntoJson::<Value>::into_json(InputVars {
                input: SetStatesInput { states: vec![SetTaskRunState { task_run_id: "r".into(), version: 1, state: json!({"type": "Running"}) }] },
            })),
        ),
        (Layer::Auth, "log_in_input", to_value(IntoJson::<Value>::into_json(InputVars { input: LogInInput { email: "e", password: "p" } }))),
        (Layer::Auth, "refresh_token_input", to_value(IntoJson::<Value>::into_json(InputVars { input: RefreshTokenInput { access_token: "r" } }))),
        (Layer::Auth, "switch_tenant_input", to_value(IntoJson::<Value>::into_json(InputVars { input: SwitchTenantInput { tenant_id: "t" } }))),
    ]
}

/// Panics with every problem of the client's `inputs` against `schema`.
pub fn assert_inputs_fit(schema: &Schema, inputs: &[(Layer, &str, Value)], against: &str) {
    let mut problems = Vec::new();
    for (_, input_type, value) in inputs {
        schema.check_input(input_type, value, input_type, &mut problems);
    }
    assert!(problems.is_empty(), "vs {against}:\n{}", problems.join("\n"));
}

/// The folder of Prefect Server's own SDL files named by `PREFECT_SERVER_SDL`, or None after one
/// `SKIP` line on the terminal (written past the test harness's capture of passing tests).
pub fn upstream_sdl_dir(what: &str) -> Option<PathBuf> {
    match std::env::var_os("PREFECT_SERVER_SDL").filter(|v| !v.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            let cwd = std::env::current_dir().unwrap_or_default();
            assert!(dir.is_dir(), "PREFECT_SERVER_SDL={} is not a folder (seen from {})", dir.display(), cwd.display());
            Some(dir)
        }
        None => {
            let line = format!(
                "SKIP {what}: set PREFECT_SERVER_SDL to a folder of Prefect Server's SDL files \
                 (PrefectHQ/server, src/prefect_server/graphql/schema/*.graphql) to run it\n"
            );
            let _ = std::io::stderr().write_all(line.as_bytes());
            None
        }
    }
}

/// The `.graphql` files of `dir`, sorted.
pub fn graphql_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .graphql files in {}", dir.display());
    files
}

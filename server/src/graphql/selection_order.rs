//! async-graphql resolves sibling fields concurrently and keys them in completion order; the
//! spec wants the order of the selection set. This puts an answer's keys back in that order.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet};
use serde_json::Value as J;

/// Orders `data` like the selection sets of operation `op` of `doc`.
pub fn order_like_document(data: &mut J, doc: &ExecutableDocument, op: Option<&str>) {
    let operation = match (&doc.operations, op) {
        (DocumentOperations::Single(o), _) => Some(o),
        (DocumentOperations::Multiple(m), Some(name)) => m.get(name),
        (DocumentOperations::Multiple(m), None) if m.len() == 1 => m.values().next(),
        _ => None,
    };
    if let Some(o) = operation {
        reorder(data, &[&o.node.selection_set.node], doc);
    }
}

fn collect<'a>(set: &'a SelectionSet, doc: &'a ExecutableDocument, out: &mut Vec<(String, Vec<&'a SelectionSet>)>, depth: usize) {
    if depth > 64 {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let key = f.node.response_key().node.to_string();
                let sub = &f.node.selection_set.node;
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, subs)) => subs.push(sub),
                    None => out.push((key, vec![sub])),
                }
            }
            Selection::FragmentSpread(s) => {
                if let Some(frag) = doc.fragments.get(&s.node.fragment_name.node) {
                    collect(&frag.node.selection_set.node, doc, out, depth + 1);
                }
            }
            Selection::InlineFragment(f) => collect(&f.node.selection_set.node, doc, out, depth + 1),
        }
    }
}

fn reorder(v: &mut J, sets: &[&SelectionSet], doc: &ExecutableDocument) {
    match v {
        J::Array(items) => items.iter_mut().for_each(|item| reorder(item, sets, doc)),
        J::Object(map) => {
            let mut fields = Vec::new();
            for set in sets {
                collect(set, doc, &mut fields, 0);
            }
            let mut ordered = serde_json::Map::with_capacity(map.len());
            for (key, subs) in fields {
                if let Some(mut value) = map.remove(&key) {
                    if subs.iter().any(|s| !s.items.is_empty()) {
                        reorder(&mut value, &subs, doc);
                    }
                    ordered.insert(key, value);
                }
            }
            ordered.extend(std::mem::take(map));
            *map = ordered;
        }
        _ => {}
    }
}

//! How a GraphQL answer is read: the HTTP status first, then the JSON envelope, then `errors`
//! (classified by `extensions.code`), and only then `data`.

use crate::client_core::error::{code_for_status, status_message, Error, ErrorCode};
use crate::client_core::http::Answer;
use crate::client_core::json::{Json, Kind};

/// The parts of one GraphQL error entry the client looks at. Anything else (or a field of
/// another type) is ignored: a server that answers oddly still gets a `GRAPHQL` error rather
/// than a decode failure.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphqlErrorView {
    pub message: Option<String>,
    pub code: Option<String>,
}

impl GraphqlErrorView {
    pub fn read<V: Json>(entry: &V) -> Self {
        GraphqlErrorView { message: entry.string_field("message"), code: entry.field("extensions").and_then(|e| e.string_field("code")) }
    }
}

/// Maps one `extensions.code` to our code. Codes the client has no special meaning for
/// (`GRAPHQL_VALIDATION_FAILED`, `BAD_USER_INPUT`, `API_ERROR`, ...) are plain `GRAPHQL`.
pub fn code_for_graphql(code: Option<&str>) -> ErrorCode {
    match code {
        Some("UNAUTHENTICATED") | Some("UNAUTHORIZED") => ErrorCode::Unauthenticated,
        Some("VERSION_LOCKING_ERROR") => ErrorCode::VersionLockingError,
        Some("NOT_FOUND") => ErrorCode::NotFound,
        _ => ErrorCode::Graphql,
    }
}

/// The code and message for a response whose `errors` is non-empty. When entries disagree the
/// most specific wins: UNAUTHENTICATED (a refresh may fix it), then VERSION_LOCKING_ERROR, then
/// NOT_FOUND, then GRAPHQL. The message is that entry's message.
pub fn classify_graphql_errors(errors: &[GraphqlErrorView]) -> (ErrorCode, String) {
    const PRIORITY: [ErrorCode; 4] = [ErrorCode::Unauthenticated, ErrorCode::VersionLockingError, ErrorCode::NotFound, ErrorCode::Graphql];
    for wanted in PRIORITY {
        if let Some(entry) = errors.iter().find(|e| code_for_graphql(e.code.as_deref()) == wanted) {
            let message = entry
                .message
                .clone()
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| format!("the server answered with a GraphQL error ({wanted})"));
            return (wanted, message);
        }
    }
    (ErrorCode::Graphql, "the server answered with GraphQL errors".into())
}

fn views<V: Json>(errors: &V) -> Vec<GraphqlErrorView> {
    (0..errors.array_len().unwrap_or(0)).filter_map(|i| errors.at(i)).map(|e| GraphqlErrorView::read(&e)).collect()
}

/// The answer's `data`, or the error it stands for.
pub fn data<V: Json>(answer: Answer<V>) -> Result<V, Error<V>> {
    let status = answer.status;
    let envelope = answer.body.as_ref().filter(|b| b.is_object());
    let errors = envelope.and_then(|e| e.field("errors"));
    let entries = errors.as_ref().map(views).unwrap_or_default();
    let with_errors = |mut error: Error<V>| {
        if !entries.is_empty() {
            error.errors = errors.clone();
        }
        error.with_status(status)
    };

    if let Some(code) = code_for_status(status) {
        let (code, message) = match (code, entries.is_empty()) {
            (code, true) => (code, status_message(status)),
            (ErrorCode::Http, false) => match classify_graphql_errors(&entries) {
                (ErrorCode::Graphql, m) => (ErrorCode::Http, format!("{}: {m}", status_message(status))),
                specific => specific,
            },
            (code, false) => (code, classify_graphql_errors(&entries).1),
        };
        return Err(with_errors(Error::new(code, message)));
    }

    let Some(envelope) = envelope else {
        let what = if answer.body.is_some() { "not a JSON object" } else { "not JSON" };
        return Err(Error::decode(format!("the server's answer (HTTP {status}) is {what}")).with_status(status));
    };
    if let Some(list) = &errors {
        if list.kind() != Kind::Array {
            return Err(Error::decode("the answer's `errors` is not an array").with_status(status));
        }
        if !entries.is_empty() {
            let (code, message) = classify_graphql_errors(&entries);
            let mut error = with_errors(Error::new(code, message));
            error.data = envelope.field("data");
            return Err(error);
        }
    }
    envelope.get("data").filter(|d| d.kind() != Kind::Undefined).ok_or_else(|| Error::decode("the answer has neither `data` nor `errors`").with_status(status))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn entry(code: Option<&str>, message: &str) -> GraphqlErrorView {
        GraphqlErrorView { message: Some(message.into()), code: code.map(Into::into) }
    }

    fn read(status: u16, body: Option<Value>) -> Result<Value, Error<Value>> {
        data(Answer { status, retry_after: None, body })
    }

    #[test]
    fn graphql_codes_map() {
        assert_eq!(code_for_graphql(Some("UNAUTHENTICATED")), ErrorCode::Unauthenticated);
        assert_eq!(code_for_graphql(Some("UNAUTHORIZED")), ErrorCode::Unauthenticated);
        assert_eq!(code_for_graphql(Some("VERSION_LOCKING_ERROR")), ErrorCode::VersionLockingError);
        assert_eq!(code_for_graphql(Some("NOT_FOUND")), ErrorCode::NotFound);
        for other in ["GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT", "API_ERROR", "WHATEVER"] {
            assert_eq!(code_for_graphql(Some(other)), ErrorCode::Graphql);
        }
        assert_eq!(code_for_graphql(None), ErrorCode::Graphql);
    }

    #[test]
    fn most_specific_error_wins() {
        let errors = [entry(Some("API_ERROR"), "boom"), entry(Some("VERSION_LOCKING_ERROR"), "stale")];
        assert_eq!(classify_graphql_errors(&errors), (ErrorCode::VersionLockingError, "stale".into()));
        let errors = [entry(None, "first"), entry(None, "second")];
        assert_eq!(classify_graphql_errors(&errors), (ErrorCode::Graphql, "first".into()));
        let errors = [entry(Some("NOT_FOUND"), ""), entry(Some("UNAUTHENTICATED"), "who")];
        assert_eq!(classify_graphql_errors(&errors).0, ErrorCode::Unauthenticated);
        assert_eq!(classify_graphql_errors(&[]).0, ErrorCode::Graphql);
        let odd = [GraphqlErrorView::read(&json!({"message": 3, "extensions": "x"}))];
        assert_eq!(classify_graphql_errors(&odd), (ErrorCode::Graphql, "the server answered with a GraphQL error (GRAPHQL)".into()));
    }

    #[test]
    fn data_comes_through() {
        assert_eq!(read(200, Some(json!({"data": {"hello": "x"}}))), Ok(json!({"hello": "x"})));
        assert_eq!(read(200, Some(json!({"data": null}))), Ok(json!(null)));
        assert_eq!(read(200, Some(json!({"data": {"a": 1}, "errors": []}))), Ok(json!({"a": 1})), "an empty errors list is no error");
    }

    #[test]
    fn statuses_come_first() {
        let e = read(503, Some(json!({"data": {"a": 1}}))).unwrap_err();
        assert_eq!((e.code, e.status, e.message.as_str()), (ErrorCode::Http, Some(503), "HTTP 503 Service Unavailable"));
        let e = read(401, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::Unauthenticated);
        let body = json!({"errors": [{"message": "bad query", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]});
        let e = read(400, Some(body.clone())).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::Http, "HTTP 400 Bad Request: bad query"));
        assert_eq!(e.errors, Some(body["errors"].clone()));
        let e = read(400, Some(json!({"errors": [{"message": "who", "extensions": {"code": "UNAUTHENTICATED"}}]}))).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::Unauthenticated, "who"));
    }

    #[test]
    fn bodies_that_are_not_graphql_are_decode() {
        for (body, says) in [(None, "not JSON"), (Some(json!([1, 2])), "not a JSON object"), (Some(json!("x")), "not a JSON object")] {
            let e = read(200, body).unwrap_err();
            assert_eq!((e.code, e.status), (ErrorCode::Decode, Some(200)));
            assert!(e.message.ends_with(says), "{}", e.message);
        }
        assert_eq!(read(200, Some(json!({}))).unwrap_err().code, ErrorCode::Decode);
        assert_eq!(read(200, Some(json!({"errors": {"message": "x"}}))).unwrap_err().message, "the answer's `errors` is not an array");
    }

    #[test]
    fn graphql_errors_carry_errors_and_partial_data() {
        let body = json!({"data": {"hello": "partial"}, "errors": [{"message": "other failed", "path": ["other"], "extensions": {"code": "API_ERROR"}}]});
        let e = read(200, Some(body.clone())).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::Graphql, "other failed"));
        assert_eq!(e.errors, Some(body["errors"].clone()));
        assert_eq!(e.data, Some(json!({"hello": "partial"})));
        let e = read(200, Some(json!({"data": null, "errors": [{"message": "stale", "extensions": {"code": "VERSION_LOCKING_ERROR"}}]}))).unwrap_err();
        assert_eq!((e.code, e.data), (ErrorCode::VersionLockingError, None), "null data is not attached");
    }
}

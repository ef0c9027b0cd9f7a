//! How a REST answer is read: a 2xx body is the value; any other status is an error whose code
//! follows `API.md` (401/403 UNAUTHENTICATED, 404 and 409 NOT_FOUND, the rest HTTP), with the
//! server's own words in the message and its JSON body in `details`.

use crate::client_core::error::{status_message, Error, ErrorCode};
use crate::client_core::http::Answer;
use crate::client_core::json::{Json, Kind};

/// The code for a non-2xx status. 409 is what Prefect answers for a reference to an object that
/// does not exist (an unknown `flow_id`).
pub fn code_for_status(status: u16) -> ErrorCode {
    match status {
        401 | 403 => ErrorCode::Unauthenticated,
        404 | 409 => ErrorCode::NotFound,
        _ => ErrorCode::Http,
    }
}

/// What the server said went wrong: `detail` when it is text, else `exception_message`.
fn server_words<V: Json>(body: &V) -> Option<String> {
    body.string_field("detail").or_else(|| body.string_field("exception_message")).filter(|s| !s.is_empty())
}

/// The answer's parsed body (`null` for a 204), or the error the status stands for.
pub fn body<V: Json>(answer: Answer<V>) -> Result<V, Error<V>> {
    let status = answer.status;
    if (200..300).contains(&status) {
        return match answer.body {
            Some(body) => Ok(body),
            None if status == 204 => Ok(V::null()),
            None => Err(Error::decode(format!("the server's answer (HTTP {status}) is not JSON")).with_status(status)),
        };
    }
    let words = answer.body.as_ref().and_then(server_words);
    let message = match words {
        Some(words) => format!("{}: {words}", status_message(status)),
        None => status_message(status),
    };
    let mut error = Error::new(code_for_status(status), message).with_status(status);
    error.details = answer.body.filter(|b| matches!(b.kind(), Kind::Object | Kind::Array));
    Err(error)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn read(status: u16, body: Option<Value>) -> Result<Value, Error<Value>> {
        body_of(status, body)
    }
    fn body_of(status: u16, body: Option<Value>) -> Result<Value, Error<Value>> {
        super::body(Answer { status, retry_after: None, body })
    }

    #[test]
    fn bodies_and_errors() {
        assert_eq!(read(200, Some(json!({"id": "x"}))), Ok(json!({"id": "x"})));
        assert_eq!(read(201, Some(json!(null))), Ok(json!(null)));
        assert_eq!(read(204, None), Ok(json!(null)));
        assert_eq!(read(200, None).unwrap_err().code, ErrorCode::Decode);
        let e = read(404, Some(json!({"detail": "Flow run not found"}))).unwrap_err();
        assert_eq!((e.code, e.status, e.message.as_str()), (ErrorCode::NotFound, Some(404), "HTTP 404 Not Found: Flow run not found"));
        let e = read(401, Some(json!({"exception_message": "Unauthorized"}))).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::Unauthenticated, "HTTP 401 Unauthorized: Unauthorized"));
        assert_eq!(read(403, None).unwrap_err().code, ErrorCode::Unauthenticated);
        assert_eq!(read(409, Some(json!({"detail": "Data integrity conflict"}))).unwrap_err().code, ErrorCode::NotFound);
        let detail = json!({"exception_message": "Invalid request received.", "exception_detail": [{"loc": ["body", "x"], "msg": "extra"}]});
        let e = read(422, Some(detail.clone())).unwrap_err();
        assert_eq!((e.code, e.details), (ErrorCode::Http, Some(detail)));
        let e = read(500, Some(json!("boom"))).unwrap_err();
        assert_eq!((e.code, e.details, e.message.as_str()), (ErrorCode::Http, None, "HTTP 500 Internal Server Error"));
    }
}

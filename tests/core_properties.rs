//! Property tests of the core's decoders and rules, natively (issue #7): whatever the server or
//! the caller hands them, they answer (`Ok`/`Err`/`None`) and never panic, and on well-formed
//! input they agree with an independent reference (chrono for dates). The operations' sequences
//! are in `core_operations.rs`.
#![cfg(not(target_arch = "wasm32"))]

use chrono::{TimeZone, Utc};
use prefect_wasm::client_core::auth::{TokenPayload, TokenSet};
use prefect_wasm::client_core::error::ErrorCode;
use prefect_wasm::client_core::http::Answer;
use prefect_wasm::client_core::json::IntoJson;
use prefect_wasm::client_core::protocol::graphql::answer::{self, classify_graphql_errors, GraphqlErrorView};
use prefect_wasm::client_core::protocol::graphql::documents::{self, RunKind};
use prefect_wasm::client_core::protocol::graphql::runs::read_run;
use prefect_wasm::client_core::retry::{failure_for_status, parse_retry_after_ms, Failure, Idempotency, RetryPolicy};
use prefect_wasm::client_core::state::{self, SerializedStateView, StateKind, StateSpec};
use prefect_wasm::client_core::time::{format_rfc3339_ms, parse_http_date_ms, parse_rfc3339_ms};
use prefect_wasm::client_core::uuid::is_uuid;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Any JSON value, nested a few levels, with keys drawn partly from the names the decoders look
/// for so that the interesting shapes (right key, wrong type) come up often.
fn any_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("id".to_string()),
        Just("version".to_string()),
        Just("state".to_string()),
        Just("type".to_string()),
        Just("message".to_string()),
        Just("_result".to_string()),
        Just("location".to_string()),
        Just("serialized_state".to_string()),
        Just("flow_run_by_pk".to_string()),
        Just("task_run_by_pk".to_string()),
        Just("set_flow_run_states".to_string()),
        Just("states".to_string()),
        Just("status".to_string()),
        Just("extensions".to_string()),
        Just("code".to_string()),
        Just("access_token".to_string()),
        Just("expires_at".to_string()),
        Just("refresh_token".to_string()),
        Just("log_in".to_string()),
        Just("tenant".to_string()),
        ".{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        // floats that survive a text round trip exactly (serde_json's default parser may be off
        // by one ulp on others, which is not what these tests are about)
        any::<i32>().prop_map(|n| json!(n as f64 / 4.0)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("PrefectResult")),
        Just(json!("Running")),
        Just(json!("2026-12-01T20:15:00Z")),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn state_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(StateKind::ALL.to_vec()).prop_map(|k| k.name().to_string()),
        ".{0,16}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// Every answer shape reads as a run, NOT_FOUND or DECODE, and what reads goes on into a
    /// `RunState` without panicking; the other answers read or are refused.
    #[test]
    fn answers_decode_or_fail_cleanly(data in any_json()) {
        for kind in [RunKind::Flow, RunKind::Task] {
            match read_run(&data, kind, "the-id") {
                Ok(run) => {
                    prop_assert!(!run.state_type.is_empty());
                    prop_assert_eq!(&run.name, &run.state_type);
                    prop_assert!(run.version.is_some());
                    let js = run.into_json();
                    prop_assert!(js.get("serializedState").is_some_and(Value::is_object));
                }
                Err(error) => prop_assert!(matches!(error.code, ErrorCode::NotFound | ErrorCode::Decode), "{:?}", error),
            }
            let _ = documents::set_status(&data, kind);
        }
        let _ = documents::tenants(&data);
        let _ = documents::created_id(&data);
        if let Some(payload) = documents::token_payload(&data, "log_in") {
            if let Some(tokens) = TokenSet::from_payload(payload) {
                prop_assert!(!tokens.access_token.is_empty());
                prop_assert!(tokens.expires_at_ms.is_none_or(f64::is_finite));
            }
        }
    }

    /// Any HTTP answer reads as `data` only when it is a 2xx JSON object without errors;
    /// everything else is one of the codes an answer can have, with the status attached.
    #[test]
    fn graphql_answers_classify(status in prop_oneof![Just(200u16), Just(401u16), 100u16..600], body in proptest::option::of(any_json())) {
        let is_object = body.as_ref().is_some_and(Value::is_object);
        match answer::data(Answer { status, retry_after: None, body: body.clone() }) {
            Ok(_) => prop_assert!((200..300).contains(&status) && is_object),
            Err(error) => {
                prop_assert_eq!(error.status, Some(status));
                prop_assert!(!error.message.is_empty());
                prop_assert!(matches!(error.code, ErrorCode::Http | ErrorCode::Graphql | ErrorCode::Unauthenticated
                    | ErrorCode::VersionLockingError | ErrorCode::NotFound | ErrorCode::Decode), "{:?}", error.code);
                if status == 401 { prop_assert_eq!(error.code, ErrorCode::Unauthenticated); }
                if !(200..300).contains(&status) { prop_assert!(error.code != ErrorCode::Decode); }
            }
        }
    }

    /// A stored state's JSON: any object gives a view; a result location only for a
    /// PrefectResult.
    #[test]
    fn serialized_states_decode_or_default(value in any_json()) {
        let view = SerializedStateView::read(&value);
        if view.result_location().is_some() {
            prop_assert_eq!(view.result.as_ref().and_then(|r| r.result_type.as_deref()), Some("PrefectResult"));
        }
    }

    /// Any `errors` array classifies to one of the GraphQL-level codes with a non-empty message.
    #[test]
    fn graphql_errors_always_classify(errors in prop::collection::vec(any_json(), 0..5)) {
        let views: Vec<GraphqlErrorView> = errors.iter().map(GraphqlErrorView::read).collect();
        let (code, message) = classify_graphql_errors(&views);
        prop_assert!(matches!(code, ErrorCode::Graphql | ErrorCode::Unauthenticated | ErrorCode::VersionLockingError | ErrorCode::NotFound));
        prop_assert!(!message.is_empty());
    }

    /// Token answers with any strings for the fields.
    #[test]
    fn token_payloads(access in ".{0,20}", expires in proptest::option::of(".{0,30}"), refresh in proptest::option::of(".{0,20}")) {
        let payload = TokenPayload { access_token: access.clone(), expires_at: expires, refresh_token: refresh };
        match TokenSet::from_payload(payload) {
            Some(tokens) => {
                prop_assert_eq!(tokens.access_token, access);
                prop_assert!(tokens.refresh_token.as_deref() != Some(""));
            }
            None => prop_assert!(access.is_empty()),
        }
    }

    /// Timestamps: arbitrary text never panics (multi-byte characters where digits belong
    /// included), and every well-formed one matches chrono.
    #[test]
    fn rfc3339_any_text(text in "\\PC{0,40}") {
        if let Some(ms) = parse_rfc3339_ms(&text) {
            prop_assert!(ms.is_finite());
        }
    }

    #[test]
    fn rfc3339_near_misses(base in 0i64..253_402_300_799, cut in 0usize..32, insert in "\\PC{1,3}") {
        let mut text = Utc.timestamp_opt(base, 0).unwrap().format("%Y-%m-%dT%H:%M:%S%.3f+01:30").to_string();
        let at = cut.min(text.len());
        text.insert_str(at, &insert);
        let _ = parse_rfc3339_ms(&text);
        text.truncate(at);
        let _ = parse_rfc3339_ms(&text);
    }

    #[test]
    fn rfc3339_agrees_with_chrono(secs in 0i64..253_402_300_799, millis in 0u32..1000, offset_min in -(23 * 60 + 59)..(23 * 60 + 59i32), form in 0usize..4) {
        let at = Utc.timestamp_opt(secs, millis * 1_000_000).unwrap();
        let offset = chrono::FixedOffset::east_opt(offset_min * 60).unwrap();
        let text = match form {
            0 => at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            1 => at.with_timezone(&offset).format("%Y-%m-%dT%H:%M:%S%.6f%:z").to_string(),
            2 => at.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
            _ => at.with_timezone(&offset).format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string(),
        };
        prop_assert_eq!(parse_rfc3339_ms(&text), Some(at.timestamp_millis() as f64), "{}", text);
    }

    /// The time a state starts at is written as JavaScript's `toISOString` (chrono's `%.3fZ`).
    #[test]
    fn iso_formatting_agrees_with_chrono(ms in 0i64..253_402_300_799_999) {
        let at = Utc.timestamp_millis_opt(ms).unwrap();
        prop_assert_eq!(format_rfc3339_ms(ms as f64), at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
    }

    #[test]
    fn http_dates(secs in 0i64..253_402_300_799, junk in "\\PC{0,30}") {
        let at = Utc.timestamp_opt(secs, 0).unwrap();
        let text = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        prop_assert_eq!(parse_http_date_ms(&text), Some(at.timestamp_millis() as f64));
        let _ = parse_http_date_ms(&junk);
        let _ = parse_http_date_ms(&format!("{text}{junk}"));
    }

    /// Retry-After and the policy: delays are finite and non-negative, a mutation is retried
    /// only after a 429, and never past the retry budget.
    #[test]
    fn retry_decisions(header in "\\PC{0,30}", digits in "[0-9]{1,25}", status in 100u16..600, retry in 0u32..40,
                       retries in 0u32..21, random in any::<f64>(), now in 0f64..4e12) {
        for value in [&header, &digits] {
            if let Some(ms) = parse_retry_after_ms(value, now) {
                prop_assert!(ms >= 0.0 && !ms.is_nan());
            }
        }
        let policy = RetryPolicy::with_retries(retries);
        for failure in [Failure::Network, Failure::Timeout, Failure::Permanent, failure_for_status(status, Some(&digits), now), failure_for_status(status, Some(&header), now)] {
            for idempotency in [Idempotency::Safe, Idempotency::Unsafe] {
                if let Some(delay) = policy.next_delay_ms(retry, failure, idempotency, random) {
                    prop_assert!(delay.is_finite() && delay >= 0.0, "{:?} {}", failure, delay);
                    prop_assert!(retry < retries);
                    prop_assert!(delay <= policy.max_retry_after_ms.max(policy.cap_ms));
                    if idempotency == Idempotency::Unsafe {
                        let is_429 = matches!(failure, Failure::Status { status: 429, .. });
                        prop_assert!(is_429, "an unsafe request retried after {:?}", failure);
                    }
                }
            }
        }
    }

    /// A caller's document: any text is classified; one whose only top-level word is `query`
    /// (or none) is read-only, one that starts with `mutation` is not.
    #[test]
    fn documents_are_classified(text in "\\PC{0,80}", body in "[a-z_ {}()$:!\"#\n]{0,40}") {
        let _ = documents::is_read_only(&text);
        let _ = is_uuid(&text);
        let mutation = format!("mutation {{ {body} }}");
        prop_assert!(!documents::is_read_only(&mutation), "{}", mutation);
        let query = format!("query Q {{ {} }}", body.replace(['{', '}', '"', '#'], " "));
        prop_assert!(documents::is_read_only(&query), "{}", query);
    }

    #[test]
    fn uuids(bytes in any::<[u8; 16]>(), upper in any::<bool>()) {
        let text = uuid_text(&bytes);
        let text = if upper { text.to_uppercase() } else { text };
        prop_assert!(is_uuid(&text));
        prop_assert!(!is_uuid(&text[1..]));
        let padded = format!("{text} ");
        prop_assert!(!is_uuid(&padded));
    }

    /// States the client writes: a known type name builds a state whose JSON has that `type`
    /// and keeps the caller's other keys (the last of duplicates); anything else is refused.
    #[test]
    fn states_build_or_are_refused(name in state_name(), message in proptest::option::of(".{0,20}"),
                                   extra in prop::collection::vec((".{0,8}", any_json()), 0..5)) {
        let spec = StateSpec { type_name: name.clone(), message, extra: extra.clone() };
        match state::build_state(spec, "2026-12-01T20:15:00Z", None, None) {
            Ok(draft) => {
                prop_assert_eq!(draft.kind.name(), name.as_str());
                let text = serde_json::to_string(&draft).unwrap();
                let written: Value = serde_json::from_str(&text).unwrap();
                prop_assert_eq!(&(&draft).into_json(), &written, "the client's encoding and serde's agree");
                prop_assert_eq!(&written["type"], &json!(name));
                for (key, value) in &extra {
                    if !["type", "message", "start_time", "_result", "context", "__version__"].contains(&key.as_str()) {
                        let last = extra.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v).unwrap();
                        prop_assert_eq!(&written[key], last, "key {:?} (given {:?})", key, value);
                    }
                }
            }
            Err(reason) => prop_assert!(StateKind::from_name(&name).is_none() && !reason.0.is_empty()),
        }
    }
}

fn uuid_text(b: &[u8; 16]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

//! Which failures are retried, and after how long.
//!
//! A failure is retried only when it is transient (the network failed, the attempt timed out,
//! 502/503/504, or 429) AND repeating the request cannot apply a change twice:
//!
//! - Reads (`query` documents) repeat freely.
//! - 429 Too Many Requests is retried for everything: the server refused the request without
//!   acting on it. `Retry-After` (seconds or an HTTP date) is honoured; beyond
//!   [`RetryPolicy::max_retry_after_ms`] the client gives up rather than hang.
//! - A mutation whose network attempt failed, timed out or got 502/503/504 may have been
//!   applied before the answer was lost, so it is repeated only when the server deduplicates it
//!   ([`Idempotency::Safe`]): `create_flow_run` with an `idempotency_key`, `log_in` and
//!   `switch_tenant` (a second token pair changes nothing; the first is never used).
//! - `set_flow_run_states` / `set_task_run_states` carry the run's `version`, but they are still
//!   NOT repeated: Prefect Server ignores the version (a repeat writes a second state row), and
//!   where it is enforced a repeat after a lost answer would fail with `VERSION_LOCKING_ERROR`
//!   although the write succeeded — a misleading answer. The caller gets the error and can read
//!   the run to see what happened.
//! - `refresh_token` is never repeated: refresh tokens rotate, so a first attempt that reached
//!   the server has consumed the token the repeat would send.
//! - `graphql()` with a caller's document is `Safe` only when it contains no `mutation` (or
//!   `subscription`) operation (see [`crate::client_core::documents::is_read_only`]).
//!
//! Backoff is exponential with "equal jitter": half the step is fixed, half random, so
//! concurrent clients spread out but every client still waits.

/// Whether repeating a request could apply a change twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// Repeating cannot apply a change twice (reads, deduplicated writes).
    Safe,
    /// A repeat could apply the change again.
    Unsafe,
}

/// What went wrong with one attempt, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Failure {
    /// fetch rejected: no response (connection refused, reset, DNS, CORS).
    Network,
    /// The per-attempt timeout fired.
    Timeout,
    /// A response with this status; for 429 the parsed `Retry-After` delay in ms, if any.
    Status { status: u16, retry_after_ms: Option<f64> },
    /// Anything else (GraphQL errors, decode errors, caller abort): never retried.
    Permanent,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (the `retries` option).
    pub retries: u32,
    /// The first backoff step.
    pub base_ms: f64,
    /// No backoff step is longer than this.
    pub cap_ms: f64,
    /// A `Retry-After` longer than this is not waited for: the 429 is returned instead.
    pub max_retry_after_ms: f64,
}

pub const DEFAULT_RETRIES: u32 = 3;

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { retries: DEFAULT_RETRIES, base_ms: 250.0, cap_ms: 8_000.0, max_retry_after_ms: 60_000.0 }
    }
}

impl RetryPolicy {
    pub fn with_retries(retries: u32) -> Self {
        RetryPolicy { retries, ..RetryPolicy::default() }
    }

    /// The backoff before retry number `retry` (0 for the first retry), `random` in `[0, 1)`.
    pub fn backoff_ms(&self, retry: u32, random: f64) -> f64 {
        let step = (self.base_ms * 2f64.powi(retry.min(30) as i32)).min(self.cap_ms);
        let random = if random.is_finite() { random.clamp(0.0, 1.0) } else { 0.5 };
        step / 2.0 + step / 2.0 * random
    }

    /// After a failed attempt (`retry` retries already made): how long to wait before the next
    /// attempt, or `None` to give up and report the failure.
    pub fn next_delay_ms(&self, retry: u32, failure: Failure, idempotency: Idempotency, random: f64) -> Option<f64> {
        if retry >= self.retries {
            return None;
        }
        match failure {
            Failure::Status { status: 429, retry_after_ms } => match retry_after_ms {
                Some(ms) if ms > self.max_retry_after_ms => None,
                Some(ms) => Some(ms.max(0.0)),
                None => Some(self.backoff_ms(retry, random)),
            },
            Failure::Network | Failure::Timeout | Failure::Status { status: 502..=504, .. }
                if idempotency == Idempotency::Safe =>
            {
                Some(self.backoff_ms(retry, random))
            }
            _ => None,
        }
    }
}

/// The classification of a response status for retrying.
pub fn failure_for_status(status: u16, retry_after: Option<&str>, now_ms: f64) -> Failure {
    let retry_after_ms = if status == 429 { retry_after.and_then(|v| parse_retry_after_ms(v, now_ms)) } else { None };
    Failure::Status { status, retry_after_ms }
}

/// `Retry-After` as a delay in ms: delta-seconds (`"120"`) or an HTTP date (past dates → 0).
pub fn parse_retry_after_ms(value: &str, now_ms: f64) -> Option<f64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Integer parsing: float parsing would add kilobytes to the wasm.
        return value.parse::<u64>().ok().map(|s| s as f64 * 1000.0);
    }
    crate::client_core::time::parse_http_date_ms(value).map(|at| (at - now_ms).max(0.0))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use Idempotency::*;

    #[test]
    fn reads_retry_every_transient_failure() {
        let p = RetryPolicy::default();
        for f in [Failure::Network, Failure::Timeout, failure_for_status(502, None, 0.0), failure_for_status(503, None, 0.0), failure_for_status(504, None, 0.0)] {
            assert!(p.next_delay_ms(0, f, Safe, 0.5).is_some(), "{f:?}");
        }
        for s in [400, 401, 403, 404, 500, 501] {
            assert_eq!(p.next_delay_ms(0, failure_for_status(s, None, 0.0), Safe, 0.5), None, "{s}");
        }
        assert_eq!(p.next_delay_ms(0, Failure::Permanent, Safe, 0.5), None);
    }

    #[test]
    fn unsafe_mutations_retry_only_429() {
        let p = RetryPolicy::default();
        for f in [Failure::Network, Failure::Timeout, failure_for_status(502, None, 0.0), failure_for_status(503, None, 0.0), failure_for_status(504, None, 0.0)] {
            assert_eq!(p.next_delay_ms(0, f, Unsafe, 0.5), None, "{f:?}");
        }
        assert_eq!(p.next_delay_ms(0, failure_for_status(429, Some("1"), 0.0), Unsafe, 0.5), Some(1000.0));
    }

    #[test]
    fn retries_are_bounded() {
        let p = RetryPolicy::with_retries(2);
        assert!(p.next_delay_ms(1, Failure::Network, Safe, 0.0).is_some());
        assert_eq!(p.next_delay_ms(2, Failure::Network, Safe, 0.0), None);
        assert_eq!(RetryPolicy::with_retries(0).next_delay_ms(0, failure_for_status(429, None, 0.0), Safe, 0.0), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ms(0, 0.0), 125.0);
        assert_eq!(p.backoff_ms(0, 1.0), 250.0);
        assert_eq!(p.backoff_ms(2, 0.0), 500.0);
        assert_eq!(p.backoff_ms(20, 1.0), 8000.0);
        assert_eq!(p.backoff_ms(1, f64::NAN), 375.0);
        for retry in 0..10 {
            let lo = p.backoff_ms(retry, 0.0);
            let hi = p.backoff_ms(retry, 0.999);
            assert!(lo <= hi && hi <= p.cap_ms && lo >= hi / 2.0 - 1.0);
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after_ms("2", 0.0), Some(2000.0));
        assert_eq!(parse_retry_after_ms(" 0 ", 0.0), Some(0.0));
        assert_eq!(parse_retry_after_ms("Thu, 01 Jan 1970 00:00:10 GMT", 4000.0), Some(6000.0));
        assert_eq!(parse_retry_after_ms("Thu, 01 Jan 1970 00:00:10 GMT", 20_000.0), Some(0.0));
        assert_eq!(parse_retry_after_ms("soon", 0.0), None);
        assert_eq!(parse_retry_after_ms("-1", 0.0), None);
        let p = RetryPolicy::default();
        // Unparseable Retry-After: ordinary backoff. Too long: give up.
        assert_eq!(p.next_delay_ms(0, failure_for_status(429, Some("soon"), 0.0), Unsafe, 1.0), Some(250.0));
        assert_eq!(p.next_delay_ms(0, failure_for_status(429, Some("3600"), 0.0), Safe, 1.0), None);
        // Retry-After means nothing on other statuses.
        assert_eq!(failure_for_status(503, Some("5"), 0.0), Failure::Status { status: 503, retry_after_ms: None });
    }
}

//! The token set kept in memory, and its expiry arithmetic. Nothing is ever persisted.

use serde::Deserialize;

/// Refresh an access token this long before it expires.
pub const REFRESH_AHEAD_MS: f64 = 30_000.0;

/// What `log_in`, `refresh_token` and `switch_tenant` answer.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TokenPayload {
    pub access_token: String,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// The tokens in use. A `token` given to the constructor (an API key, or an access token from
/// elsewhere) has no refresh token and no known expiry, so it is never refreshed.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// When the access token expires (ms since the epoch), when the server said so.
    pub expires_at_ms: Option<f64>,
}

impl TokenSet {
    pub fn from_static(token: String) -> Self {
        TokenSet { access_token: token, refresh_token: None, expires_at_ms: None }
    }

    /// Takes a mutation's answer. An empty access token is refused; an unparseable
    /// `expires_at` means "unknown expiry" (the token is then refreshed only when refused).
    pub fn from_payload(payload: TokenPayload) -> Option<Self> {
        if payload.access_token.is_empty() {
            return None;
        }
        Some(TokenSet {
            expires_at_ms: payload.expires_at.as_deref().and_then(crate::core::time::parse_rfc3339_ms),
            refresh_token: payload.refresh_token.filter(|t| !t.is_empty()),
            access_token: payload.access_token,
        })
    }

    pub fn can_refresh(&self) -> bool {
        self.refresh_token.is_some()
    }

    /// True when the access token expires within [`REFRESH_AHEAD_MS`] of `now_ms` (or already
    /// has) and there is a refresh token to replace it with.
    pub fn needs_refresh(&self, now_ms: f64) -> bool {
        match (self.can_refresh(), self.expires_at_ms) {
            (true, Some(at)) => at - now_ms <= REFRESH_AHEAD_MS,
            _ => false,
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn payload(expires_at: Option<&str>, refresh: Option<&str>) -> TokenPayload {
        TokenPayload { access_token: "a".into(), expires_at: expires_at.map(Into::into), refresh_token: refresh.map(Into::into) }
    }

    #[test]
    fn refresh_ahead_window() {
        let t = TokenSet::from_payload(payload(Some("1970-01-01T00:01:00Z"), Some("r"))).unwrap();
        assert_eq!(t.expires_at_ms, Some(60_000.0));
        assert!(!t.needs_refresh(29_999.0));
        assert!(t.needs_refresh(30_000.0));
        assert!(t.needs_refresh(90_000.0));
    }

    #[test]
    fn static_and_unknown_expiry_never_refresh_ahead() {
        assert!(!TokenSet::from_static("key".into()).needs_refresh(f64::MAX));
        assert!(!TokenSet::from_static("key".into()).can_refresh());
        let t = TokenSet::from_payload(payload(Some("whenever"), Some("r"))).unwrap();
        assert!(t.can_refresh() && !t.needs_refresh(1e15));
        let t = TokenSet::from_payload(payload(Some("1970-01-01T00:00:00Z"), None)).unwrap();
        assert!(!t.needs_refresh(1e15));
        let t = TokenSet::from_payload(payload(None, Some(""))).unwrap();
        assert!(!t.can_refresh());
    }

    #[test]
    fn empty_access_token_is_refused() {
        let mut p = payload(None, None);
        p.access_token.clear();
        assert_eq!(TokenSet::from_payload(p), None);
    }
}

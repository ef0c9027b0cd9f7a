//! The session: the token set kept in memory (nothing is ever persisted), its expiry
//! arithmetic, and the rule by which concurrent calls share one token refresh.

use super::error::{Error, ErrorCode};
use super::json::Json;

/// Refresh an access token this long before it expires.
pub const REFRESH_AHEAD_MS: f64 = 30_000.0;

/// What `log_in`, `refresh_token` and `switch_tenant` answer.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenPayload {
    pub access_token: String,
    pub expires_at: Option<String>,
    pub refresh_token: Option<String>,
}

impl TokenPayload {
    /// `{ access_token, expires_at?, refresh_token? }`; `None` unless `access_token` is a string.
    pub fn read<V: Json>(value: &V) -> Option<TokenPayload> {
        Some(TokenPayload {
            access_token: value.string_field("access_token")?,
            expires_at: value.string_field("expires_at"),
            refresh_token: value.string_field("refresh_token"),
        })
    }
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
            expires_at_ms: payload.expires_at.as_deref().and_then(crate::client_core::time::parse_rfc3339_ms),
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

/// Everything a client knows about who it is: the tokens, their generation (bumped whenever they
/// are replaced) and the refresh in flight, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Session<V> {
    tokens: Option<TokenSet>,
    generation: u64,
    refreshing: bool,
    /// The last refresh that failed: the generation it was to replace, and why.
    failed: Option<(u64, Error<V>)>,
    /// REST `login`: base64 of `user:password`, sent as `Authorization: Basic` instead of a token.
    basic: Option<String>,
    /// Sent as `X-PREFECT-TENANT-ID`.
    pub tenant_id: Option<String>,
}

/// What a call that needs fresh tokens does (see [`Session::refresh_ticket`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ticket {
    /// The tokens were replaced since the call used them: just use the new ones.
    Fresh,
    /// A refresh is in flight: wait for it.
    Join,
    /// Nobody is refreshing: this call starts the refresh (and others join it).
    Start,
}

impl<V: Clone> Session<V> {
    pub fn new(tokens: Option<TokenSet>, tenant_id: Option<String>) -> Self {
        Session { tokens, generation: 0, refreshing: false, failed: None, basic: None, tenant_id }
    }

    pub fn access_token(&self) -> Option<&str> {
        self.tokens.as_ref().map(|t| t.access_token.as_str())
    }
    /// The `Authorization` header the session's calls carry: a REST login's Basic credentials,
    /// else the access token.
    pub fn authorization(&self) -> Option<String> {
        match &self.basic {
            Some(credentials) => Some(format!("Basic {credentials}")),
            None => self.access_token().map(|token| format!("Bearer {token}")),
        }
    }
    /// A REST login's checked credentials (base64 of `user:password`).
    pub fn set_basic(&mut self, credentials: String) {
        self.basic = Some(credentials);
        self.generation += 1;
    }
    pub fn refresh_token(&self) -> Option<&str> {
        self.tokens.as_ref()?.refresh_token.as_deref()
    }
    pub fn generation(&self) -> u64 {
        self.generation
    }
    pub fn can_refresh(&self) -> bool {
        self.tokens.as_ref().is_some_and(TokenSet::can_refresh)
    }
    pub fn needs_refresh(&self, now_ms: f64) -> bool {
        self.tokens.as_ref().is_some_and(|t| t.needs_refresh(now_ms))
    }

    /// New tokens from log_in or switch_tenant.
    pub fn replace(&mut self, tokens: TokenSet) {
        self.tokens = Some(tokens);
        self.generation += 1;
    }

    /// The sharing rule. A call that used the tokens of generation `seen` and needs them
    /// refreshed gets `Fresh` when they have changed since (someone refreshed or logged in),
    /// `Join` while a refresh is in flight, and otherwise `Start`: it is now the one refresh.
    pub fn refresh_ticket(&mut self, seen: u64) -> Ticket {
        if self.generation != seen {
            Ticket::Fresh
        } else if self.refreshing {
            Ticket::Join
        } else {
            self.refreshing = true;
            Ticket::Start
        }
    }

    /// The refresh started at generation `started` is over. Its tokens are taken only if nothing
    /// replaced the session meanwhile (a log-in's tokens win over an older session's refresh).
    pub fn refresh_finished(&mut self, started: u64, outcome: Result<TokenSet, Error<V>>) {
        self.refreshing = false;
        match outcome {
            Ok(tokens) if self.generation == started => self.replace(tokens),
            Ok(_) => {}
            Err(error) => self.failed = Some((started, error)),
        }
    }

    /// Whether a call that waited for a refresh (having used generation `seen`) can go on.
    pub fn after_refresh(&self, seen: u64) -> Result<(), Error<V>> {
        if self.generation != seen {
            return Ok(());
        }
        match &self.failed {
            Some((started, error)) if *started == seen => Err(error.clone()),
            _ => Err(Error::new(ErrorCode::Unauthenticated, "the token refresh did not complete")),
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    type S = Session<()>;

    fn logged_in() -> S {
        S::new(TokenSet::from_payload(payload(Some("1970-01-01T00:01:00Z"), Some("r"))), None)
    }

    #[test]
    fn concurrent_calls_share_one_refresh() {
        let mut s = logged_in();
        let seen = s.generation();
        assert_eq!(s.refresh_ticket(seen), Ticket::Start);
        assert_eq!(s.refresh_ticket(seen), Ticket::Join);
        assert_eq!(s.refresh_ticket(seen), Ticket::Join);
        let fresh = TokenSet::from_payload(payload(None, Some("r2"))).unwrap();
        s.refresh_finished(seen, Ok(fresh));
        assert_eq!(s.after_refresh(seen), Ok(()));
        assert_eq!(s.refresh_token(), Some("r2"));
        // A call refused with the old tokens after the refresh just retries with the new ones.
        assert_eq!(s.refresh_ticket(seen), Ticket::Fresh);
        // The next refresh is a new one.
        assert_eq!(s.refresh_ticket(s.generation()), Ticket::Start);
    }

    #[test]
    fn a_failed_refresh_fails_its_joiners_and_the_next_call_tries_again() {
        let mut s = logged_in();
        let seen = s.generation();
        assert_eq!(s.refresh_ticket(seen), Ticket::Start);
        s.refresh_finished(seen, Err(Error::new(ErrorCode::Unauthenticated, "refused")));
        assert_eq!(s.after_refresh(seen).unwrap_err().message, "refused");
        assert_eq!(s.refresh_ticket(seen), Ticket::Start, "not stuck");
    }

    #[test]
    fn a_login_during_a_refresh_wins() {
        let mut s = logged_in();
        let seen = s.generation();
        assert_eq!(s.refresh_ticket(seen), Ticket::Start);
        s.replace(TokenSet::from_static("login".into()));
        s.refresh_finished(seen, Ok(TokenSet::from_static("stale refresh".into())));
        assert_eq!(s.access_token(), Some("login"));
        assert_eq!(s.after_refresh(seen), Ok(()));
    }

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

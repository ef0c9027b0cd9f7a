//! `--auth` mode: users from `--user`, argon2-hashed passwords, HMAC-SHA256-signed access tokens
//! with an expiry, and rotating refresh tokens (a refresh token works once). A refresh takes the
//! pair as Prefect 0.15's client sends it: the refresh token (as the Bearer) and the access token
//! issued with it, expired or not.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, RATE_LIMITED};

const REFRESH_TTL_SECS: i64 = 7 * 24 * 3600;

/// Failed log-ins in a row that lock an account.
pub const LOGIN_FAILURES_BEFORE_LOCK: u32 = 5;
/// The first lock; each further lock in a row doubles it, up to `MAX_LOCK_SECS`.
pub const FIRST_LOCK_SECS: i64 = 30;
const MAX_LOCK_SECS: i64 = 15 * 60;
/// Accounts tracked at most (unknown emails count too, so the table must not grow unbounded).
const MAX_TRACKED_ACCOUNTS: usize = 10_000;

pub struct User {
    pub id: String,
    pub email: String,
    password_hash: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// user id
    pub sub: String,
    /// tenant id
    pub tid: String,
    /// expiry, unix seconds
    pub exp: i64,
    pub typ: String,
    pub jti: String,
}

struct RefreshEntry {
    user_id: String,
    tenant_id: String,
    expires: i64,
    /// The `jti` of the access token issued with this refresh token.
    access_jti: String,
}

pub struct Auth {
    key: [u8; 32],
    pub token_ttl: i64,
    users: Vec<User>,
    /// user id → tenant ids, in the order they were granted (the first is the default).
    memberships: Mutex<HashMap<String, Vec<String>>>,
    /// sha256(refresh token) → entry; removed when used.
    refresh: Mutex<HashMap<String, RefreshEntry>>,
    throttle: Mutex<LoginThrottle>,
}

/// Brute-force protection for `log_in`, per account (the email, lowercased, known or not):
/// after `LOGIN_FAILURES_BEFORE_LOCK` wrong passwords in a row the account is locked, and while
/// it is locked every log-in is refused before its password is looked at, the right one too.
/// Attempts in flight count against the limit, so concurrent guesses cannot slip past it.
#[derive(Default)]
struct LoginThrottle {
    accounts: HashMap<String, Attempts>,
}

#[derive(Default)]
struct Attempts {
    failures: u32,
    in_flight: u32,
    locks: u32,
    locked_until: i64,
}

impl LoginThrottle {
    /// Lets one attempt go ahead, or says how many seconds to wait.
    fn admit(&mut self, account: &str, now: i64) -> Result<(), i64> {
        if self.accounts.len() >= MAX_TRACKED_ACCOUNTS && !self.accounts.contains_key(account) {
            // forget the accounts that are neither locked nor busy (their counts restart)
            self.accounts.retain(|_, a| a.locked_until > now || a.in_flight > 0);
        }
        let attempts = self.accounts.entry(account.to_string()).or_default();
        if attempts.locked_until > now {
            return Err(attempts.locked_until - now);
        }
        if attempts.failures + attempts.in_flight >= LOGIN_FAILURES_BEFORE_LOCK {
            return Err(1);
        }
        attempts.in_flight += 1;
        Ok(())
    }

    fn finish(&mut self, account: &str, now: i64, succeeded: bool) {
        let Some(attempts) = self.accounts.get_mut(account) else { return };
        attempts.in_flight = attempts.in_flight.saturating_sub(1);
        if succeeded {
            attempts.failures = 0;
            attempts.locks = 0;
        } else {
            attempts.failures += 1;
            if attempts.failures >= LOGIN_FAILURES_BEFORE_LOCK {
                let secs = FIRST_LOCK_SECS.saturating_mul(1 << attempts.locks.min(10)).min(MAX_LOCK_SECS);
                attempts.locked_until = now + secs;
                attempts.locks += 1;
                attempts.failures = 0;
            }
        }
        if attempts.in_flight == 0 && attempts.failures == 0 && attempts.locks == 0 {
            self.accounts.remove(account);
        }
    }
}

pub struct TokenSet {
    pub access_token: String,
    pub expires_at: String,
    pub refresh_token: String,
}

/// A cheap argon2id configuration: this is a development server and tests start it often.
fn hasher() -> Argon2<'static> {
    let params = argon2::Params::new(4096, 2, 1, None).expect("valid argon2 params");
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher().hash_password(password.as_bytes(), &salt).expect("argon2 hash").to_string()
}

impl Auth {
    pub fn new(token_ttl: i64) -> Auth {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        Auth { key, token_ttl, users: Vec::new(), memberships: Mutex::default(), refresh: Mutex::default(), throttle: Mutex::default() }
    }

    pub fn add_user(&mut self, id: String, email: String, password: &str, tenants: Vec<String>) {
        self.memberships.lock().unwrap().insert(id.clone(), tenants);
        self.users.push(User { id, email, password_hash: hash_password(password) });
    }


    pub fn tenants_of(&self, user_id: &str) -> Vec<String> {
        self.memberships.lock().unwrap().get(user_id).cloned().unwrap_or_default()
    }

    pub fn grant(&self, user_id: &str, tenant_id: &str) {
        let mut m = self.memberships.lock().unwrap();
        let list = m.entry(user_id.to_string()).or_default();
        if !list.iter().any(|t| t == tenant_id) {
            list.push(tenant_id.to_string());
        }
    }

    pub fn log_in(&self, email: &str, password: &str) -> Result<TokenSet, ApiError> {
        // the same folding as the user lookup (`eq_ignore_ascii_case`)
        let account = email.to_ascii_lowercase();
        let now = unix_now();
        if let Err(secs) = self.throttle.lock().unwrap().admit(&account, now) {
            return Err(ApiError::new(RATE_LIMITED, format!("too many failed log-ins for this account: try again in {secs} s")));
        }
        let checked = self.check_password(email, password);
        self.throttle.lock().unwrap().finish(&account, unix_now(), checked.is_ok());
        let user = checked?;
        let tenant = self.tenants_of(&user.id).into_iter().next().ok_or_else(|| ApiError::unauthenticated("the user has no tenant"))?;
        Ok(self.issue(&user.id, &tenant))
    }

    /// The user with this email and password; the same error, after the same work, for an
    /// unknown email and a wrong password.
    fn check_password(&self, email: &str, password: &str) -> Result<&User, ApiError> {
        let bad = || ApiError::unauthenticated("invalid email or password");
        let user = self.users.iter().find(|u| u.email.eq_ignore_ascii_case(email));
        let Some(user) = user else {
            let _ = hasher().verify_password(password.as_bytes(), &PasswordHash::new(&self.users.first().map(|u| u.password_hash.clone()).unwrap_or_else(|| hash_password("x"))).map_err(|_| bad())?);
            return Err(bad());
        };
        let parsed = PasswordHash::new(&user.password_hash).map_err(|_| bad())?;
        hasher().verify_password(password.as_bytes(), &parsed).map_err(|_| bad())?;
        Ok(user)
    }

    pub fn switch_tenant(&self, user_id: &str, tenant_id: &str) -> Result<TokenSet, ApiError> {
        if !self.tenants_of(user_id).iter().any(|t| t == tenant_id) {
            return Err(ApiError::not_found("tenant", tenant_id));
        }
        Ok(self.issue(user_id, tenant_id))
    }

    /// Exchanges a refresh token, with the access token issued together with it (expired or
    /// not), for a new pair; the used refresh token is refused afterwards. A refresh token with
    /// another session's access token is refused and stays usable by its own session.
    pub fn refresh(&self, refresh_token: &str, access_token: &str) -> Result<TokenSet, ApiError> {
        let access = self.verify_signature(access_token);
        let entry = {
            let mut table = self.refresh.lock().unwrap();
            let key = digest(refresh_token);
            let entry = table.get(&key).ok_or_else(|| ApiError::unauthenticated("invalid or already used refresh token"))?;
            let same_session = access.is_some_and(|c| c.jti == entry.access_jti && c.sub == entry.user_id && c.tid == entry.tenant_id);
            if !same_session {
                return Err(ApiError::unauthenticated("input.access_token must be the access token issued with this refresh token"));
            }
            table.remove(&key).expect("looked up above")
        };
        if entry.expires < unix_now() {
            return Err(ApiError::unauthenticated("refresh token expired"));
        }
        if !self.tenants_of(&entry.user_id).contains(&entry.tenant_id) {
            return Err(ApiError::unauthenticated("tenant no longer available"));
        }
        Ok(self.issue(&entry.user_id, &entry.tenant_id))
    }

    fn issue(&self, user_id: &str, tenant_id: &str) -> TokenSet {
        let now = unix_now();
        let exp = now + self.token_ttl;
        let access_jti = uuid::Uuid::new_v4().to_string();
        let claims = Claims { sub: user_id.to_string(), tid: tenant_id.to_string(), exp, typ: "access".into(), jti: access_jti.clone() };
        let payload = B64.encode(serde_json::to_vec(&claims).expect("claims serialize"));
        let sig = B64.encode(self.sign(payload.as_bytes()));
        let access_token = format!("pdsa.{payload}.{sig}");
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let refresh_token = format!("pdsr.{}", B64.encode(raw));
        let mut refresh = self.refresh.lock().unwrap();
        refresh.retain(|_, e| e.expires >= now);
        refresh.insert(
            digest(&refresh_token),
            RefreshEntry { user_id: user_id.into(), tenant_id: tenant_id.into(), expires: now + REFRESH_TTL_SECS, access_jti },
        );
        let expires_at = chrono::DateTime::from_timestamp(exp, 0).map(crate::db::fmt_time).unwrap_or_default();
        TokenSet { access_token, expires_at, refresh_token }
    }

    fn sign(&self, data: &[u8]) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("hmac key");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    /// The claims of a valid, unexpired access token; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        self.verify_signature(token).filter(|claims| claims.exp > unix_now())
    }

    /// The claims of an access token this server signed, expired or not.
    fn verify_signature(&self, token: &str) -> Option<Claims> {
        let rest = token.strip_prefix("pdsa.")?;
        let (payload, sig) = rest.split_once('.')?;
        let sig = B64.decode(sig).ok()?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        mac.update(payload.as_bytes());
        mac.verify_slice(&sig).ok()?;
        let claims: Claims = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
        (claims.typ == "access").then_some(claims)
    }
}

fn digest(token: &str) -> String {
    B64.encode(Sha256::digest(token.as_bytes()))
}

pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        let mut auth = Auth::new(600);
        auth.add_user("u1".into(), "alice@example.com".into(), "right", vec!["t1".into()]);
        auth.add_user("u2".into(), "bob@example.com".into(), "right", vec!["t2".into()]);
        auth
    }

    fn code(r: Result<TokenSet, ApiError>) -> &'static str {
        r.err().map(|e| e.code).unwrap_or("OK")
    }

    #[test]
    fn wrong_passwords_lock_the_account_even_for_the_right_one() {
        let auth = auth();
        for _ in 0..LOGIN_FAILURES_BEFORE_LOCK {
            assert_eq!(code(auth.log_in("alice@example.com", "wrong")), "UNAUTHENTICATED");
        }
        assert_eq!(code(auth.log_in("alice@example.com", "right")), RATE_LIMITED);
        assert_eq!(code(auth.log_in("ALICE@example.com", "right")), RATE_LIMITED, "the email's case does not matter");
        assert_eq!(code(auth.log_in("bob@example.com", "right")), "OK", "other accounts are not affected");
    }

    #[test]
    fn a_success_resets_the_count_and_unknown_emails_are_limited_too() {
        let auth = auth();
        for _ in 0..LOGIN_FAILURES_BEFORE_LOCK - 1 {
            auth.log_in("alice@example.com", "wrong").err().unwrap();
        }
        assert_eq!(code(auth.log_in("alice@example.com", "right")), "OK");
        assert_eq!(code(auth.log_in("alice@example.com", "wrong")), "UNAUTHENTICATED", "counting starts again");
        for _ in 0..LOGIN_FAILURES_BEFORE_LOCK {
            auth.log_in("nobody@example.com", "x").err().unwrap();
        }
        assert_eq!(code(auth.log_in("nobody@example.com", "x")), RATE_LIMITED);
    }

    #[test]
    fn locks_grow_and_expire() {
        let mut throttle = LoginThrottle::default();
        let mut fail_until_locked = |now| {
            for _ in 0..LOGIN_FAILURES_BEFORE_LOCK {
                throttle.admit("a", now).unwrap();
                throttle.finish("a", now, false);
            }
            throttle.admit("a", now).unwrap_err()
        };
        assert_eq!(fail_until_locked(1_000), FIRST_LOCK_SECS);
        assert_eq!(fail_until_locked(1_000 + FIRST_LOCK_SECS), 2 * FIRST_LOCK_SECS, "the second lock in a row is longer");
    }

    #[test]
    fn a_refresh_takes_the_pair_once() {
        let auth = auth();
        let first = auth.log_in("alice@example.com", "right").unwrap();
        let second = auth.log_in("alice@example.com", "right").unwrap();
        let refused = |r: Result<TokenSet, ApiError>| r.err().map(|e| e.code);
        // Another session's access token, a refresh token as the access token, garbage: refused,
        // and the refresh token is still good for its own session.
        assert_eq!(refused(auth.refresh(&first.refresh_token, &second.access_token)), Some("UNAUTHENTICATED"));
        assert_eq!(refused(auth.refresh(&first.refresh_token, &first.refresh_token)), Some("UNAUTHENTICATED"));
        assert_eq!(refused(auth.refresh(&first.refresh_token, "pdsa.e30.AAAA")), Some("UNAUTHENTICATED"));
        let renewed = auth.refresh(&first.refresh_token, &first.access_token).unwrap();
        assert_ne!(renewed.refresh_token, first.refresh_token);
        assert_eq!(refused(auth.refresh(&first.refresh_token, &first.access_token)), Some("UNAUTHENTICATED"), "used up");
        assert!(auth.refresh(&renewed.refresh_token, &renewed.access_token).is_ok(), "the new pair works");
        assert!(auth.refresh(&second.refresh_token, &second.access_token).is_ok());
    }

    #[test]
    fn an_expired_access_token_still_refreshes_its_session() {
        let mut auth = Auth::new(-10);
        auth.add_user("u1".into(), "a@b.c".into(), "pw", vec!["t1".into()]);
        let tokens = auth.log_in("a@b.c", "pw").unwrap();
        assert!(auth.verify(&tokens.access_token).is_none(), "expired");
        assert!(auth.refresh(&tokens.refresh_token, &tokens.access_token).is_ok());
    }

    #[test]
    fn attempts_in_flight_count_against_the_limit() {
        let mut throttle = LoginThrottle::default();
        for _ in 0..LOGIN_FAILURES_BEFORE_LOCK {
            throttle.admit("a", 0).unwrap();
        }
        assert!(throttle.admit("a", 0).is_err());
        throttle.finish("a", 0, true);
        assert!(throttle.admit("a", 0).is_ok());
    }
}

//! `new Client(options)`: the options checked and turned into the client's fixed configuration
//! and its starting session.

use super::auth::{Session, TokenSet};
use super::error::Error;
use super::retry::{RetryPolicy, DEFAULT_RETRIES};
use super::uuid::require_uuid;

pub const DEFAULT_API_SERVER: &str = "http://127.0.0.1:4200";
/// `api: "rest"`: Prefect's own default `PREFECT_API_URL`.
pub const DEFAULT_REST_API_SERVER: &str = "http://127.0.0.1:4200/api";
pub const DEFAULT_TIMEOUT_MS: f64 = 15_000.0;
/// setTimeout's limit (a longer delay fires at once).
pub const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;
const MAX_RETRIES: f64 = 20.0;

/// The wire protocol, chosen by the caller (`options.api`), never guessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// Prefect Server / Cloud 1.x (`protocol::graphql`).
    Graphql,
    /// Prefect 2/3 (`protocol::rest`).
    Rest,
}

/// The client's options as the caller gave them (read by the bindings, checked here).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientOptions {
    pub api: Option<String>,
    pub api_server: Option<String>,
    pub graphql_server: Option<String>,
    pub token: Option<String>,
    pub tenant_id: Option<String>,
    pub headers: Vec<(String, String)>,
    pub timeout_ms: Option<f64>,
    pub retries: Option<f64>,
}

/// What a client was configured with; fixed for its life.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub api: Api,
    pub api_server: String,
    /// Where GraphQL documents are POSTed.
    pub graphql_url: String,
    pub headers: Vec<(String, String)>,
    pub timeout_ms: f64,
    pub policy: RetryPolicy,
}

/// One client: its configuration and its session.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientState<V> {
    pub config: Config,
    pub session: Session<V>,
}

impl ClientOptions {
    pub fn into_client<V: Clone>(self) -> Result<ClientState<V>, Error<V>> {
        let api = match self.api.as_deref() {
            None | Some("graphql") => Api::Graphql,
            Some("rest") => Api::Rest,
            Some(other) => return Err(Error::invalid(format!("options.api must be \"graphql\" or \"rest\", got {other:?}"))),
        };
        let default_server = if api == Api::Rest { DEFAULT_REST_API_SERVER } else { DEFAULT_API_SERVER };
        let api_server = server_url(self.api_server.unwrap_or_else(|| default_server.into()), "options.apiServer")?;
        let graphql_url = match self.graphql_server {
            Some(url) => server_url(url, "options.graphqlServer")?,
            None => api_server.clone(),
        };
        let tokens = self.token.filter(|t| !t.is_empty()).map(TokenSet::from_static);
        if let Some(id) = &self.tenant_id {
            require_uuid(id, "options.tenantId")?;
        }
        let timeout_ms = match self.timeout_ms {
            None => DEFAULT_TIMEOUT_MS,
            Some(ms) => positive_ms(ms, "options.timeoutMs")?,
        };
        let retries = match self.retries {
            None => DEFAULT_RETRIES,
            Some(n) if (0.0..=MAX_RETRIES).contains(&n) && n.fract() == 0.0 => n as u32,
            Some(n) => {
                return Err(Error::invalid(format!(
                    "options.retries must be a whole number from 0 to {}, got {}",
                    MAX_RETRIES as u32,
                    number_text(n)
                )))
            }
        };
        let config = Config { api, api_server, graphql_url, headers: self.headers, timeout_ms, policy: RetryPolicy::with_retries(retries) };
        Ok(ClientState { config, session: Session::new(tokens, self.tenant_id) })
    }
}

/// A duration option: more than 0 and at most [`MAX_TIMEOUT_MS`].
pub fn positive_ms<V>(ms: f64, what: &str) -> Result<f64, Error<V>> {
    if ms > 0.0 && ms <= MAX_TIMEOUT_MS {
        Ok(ms)
    } else {
        Err(Error::invalid(format!(
            "{what} must be a positive number of milliseconds (at most {}), got {}",
            MAX_TIMEOUT_MS as u64,
            number_text(ms)
        )))
    }
}

fn server_url<V>(value: String, what: &str) -> Result<String, Error<V>> {
    let rest = value.strip_prefix("http://").or_else(|| value.strip_prefix("https://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !value.chars().any(char::is_whitespace) => Ok(value),
        _ => Err(Error::invalid(format!("{what} must be an http:// or https:// URL, got {value:?}"))),
    }
}

/// A number for a message, as JavaScript writes the usual ones ("3", "-1", "1.5", "NaN"), with
/// integer arithmetic only: Rust's float formatting would add kilobytes to the wasm.
pub fn number_text(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let n = n.abs();
    if n >= 1e21 {
        return format!("{sign}1e21+");
    }
    let whole = n.trunc() as u128;
    let millionths = ((n - n.trunc()) * 1e6).round() as u128;
    let (whole, millionths) = if millionths >= 1_000_000 { (whole + 1, 0) } else { (whole, millionths) };
    if millionths == 0 {
        return format!("{sign}{whole}");
    }
    let fraction = format!("{millionths:06}");
    format!("{sign}{whole}.{}", fraction.trim_end_matches('0'))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn parse(options: ClientOptions) -> Result<ClientState<()>, Error<()>> {
        options.into_client()
    }

    #[test]
    fn defaults() {
        let client = parse(ClientOptions::default()).unwrap();
        assert_eq!(client.config.api, Api::Graphql);
        assert_eq!(client.config.graphql_url, DEFAULT_API_SERVER);
        assert_eq!(client.config.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(client.config.policy.retries, DEFAULT_RETRIES);
        assert_eq!(client.session.access_token(), None);
    }

    #[test]
    fn graphql_server_overrides_api_server_and_tokens_are_kept() {
        let client = parse(ClientOptions {
            api_server: Some("https://api.example".into()),
            graphql_server: Some("https://gql.example/graphql".into()),
            token: Some("key".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(client.config.graphql_url, "https://gql.example/graphql");
        assert_eq!(client.session.access_token(), Some("key"));
        assert!(!client.session.can_refresh());
    }

    #[test]
    fn bad_options_are_invalid() {
        let bad = [
            ClientOptions { timeout_ms: Some(-1.0), ..Default::default() },
            ClientOptions { timeout_ms: Some(f64::NAN), ..Default::default() },
            ClientOptions { timeout_ms: Some(3e9), ..Default::default() },
            ClientOptions { retries: Some(1.5), ..Default::default() },
            ClientOptions { retries: Some(21.0), ..Default::default() },
            ClientOptions { api_server: Some("ftp://example.com".into()), ..Default::default() },
            ClientOptions { api_server: Some("http://".into()), ..Default::default() },
            ClientOptions { graphql_server: Some("not a url".into()), ..Default::default() },
            ClientOptions { tenant_id: Some("tenant".into()), ..Default::default() },
            ClientOptions { api: Some("soap".into()), ..Default::default() },
            ClientOptions { api: Some("REST".into()), ..Default::default() },
        ];
        for options in bad {
            let error = parse(options.clone()).unwrap_err();
            assert_eq!(error.code, super::super::error::ErrorCode::InvalidArgument, "{options:?}");
        }
    }

    #[test]
    fn rest_is_chosen_never_guessed() {
        let client = parse(ClientOptions { api: Some("rest".into()), ..Default::default() }).unwrap();
        assert_eq!((client.config.api, client.config.api_server.as_str()), (Api::Rest, DEFAULT_REST_API_SERVER));
        let client = parse(ClientOptions { api_server: Some("http://h:4200/api".into()), ..Default::default() }).unwrap();
        assert_eq!(client.config.api, Api::Graphql);
    }

    #[test]
    fn numbers_read_like_javascript() {
        for (n, text) in [(3.0, "3"), (-1.0, "-1"), (1.5, "1.5"), (0.1, "0.1"), (-0.25, "-0.25"), (f64::NAN, "NaN"), (f64::INFINITY, "Infinity"), (2147483648.0, "2147483648"), (1.9999999, "2")] {
            assert_eq!(number_text(n), text);
        }
    }
}

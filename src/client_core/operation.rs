//! An operation: what one public method does, as a sans-IO machine. It asks for calls (one
//! request each, whose answer it gets back already read and classified), sleeps and token
//! refreshes, yields values (`watch`) and ends with a result. The [`Runner`](super::runner)
//! around it adds everything calls have in common: credentials, retries, refreshes, the
//! caller's signal and a deadline.

use super::auth::Session;
use super::config::Config;
use super::error::Error;
use super::http::{Answer, Method};
use super::retry::Idempotency;

/// What happened since the operation last said what to do.
#[derive(Debug)]
pub enum Event<V> {
    Start,
    /// The last call's answer, read by its `read` function, or why it failed.
    Answer(Result<V, Error<V>>),
    /// The sleep asked for is over.
    Slept,
    /// The refresh asked for is over.
    Refreshed(Result<(), Error<V>>),
    /// The consumer asked for the value after the one yielded.
    Pulled,
}

/// What the operation wants next.
pub enum Next<V> {
    Call(Call<V>),
    Sleep(f64),
    /// Fresh tokens (shared with every other call that wants them now).
    Refresh,
    /// Hand this value to the consumer; go on when it asks for the next one.
    Yield(V),
    Done(Result<V, Error<V>>),
}

/// How a call authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallAuth {
    /// With the session's access token; refreshed first when about to expire (`refresh_ahead`),
    /// and once after an UNAUTHENTICATED answer.
    Session { refresh_ahead: bool },
    /// No credentials (log_in).
    Anonymous,
    /// This bearer token and no refresh (refresh_token sends the refresh token).
    Bearer(String),
    /// These Basic credentials (base64 of `user:password`), not the session's: REST's login check.
    Basic(String),
}

/// One request as an operation asks for it.
pub struct Call<V> {
    pub method: Method,
    pub url: String,
    /// JSON text, as a string value of the target.
    pub body: Option<V>,
    pub idempotency: Idempotency,
    pub auth: CallAuth,
    /// Turns the final HTTP answer (after retries) into the call's value or error: the
    /// protocol's rules for reading answers.
    pub read: fn(Answer<V>) -> Result<V, Error<V>>,
}

/// What an operation may look at and change.
pub struct Context<'a, V> {
    pub config: &'a Config,
    pub session: &'a mut Session<V>,
    pub now_ms: f64,
    /// In [0, 1), from the driver's dice (REST's transition ids).
    pub random: f64,
}

pub trait Operation<V> {
    fn next(&mut self, event: Event<V>, cx: &mut Context<'_, V>) -> Next<V>;
}

/// A call's answer, or the error an event that should not have come carries.
pub fn answer<V>(event: Event<V>) -> Result<V, Error<V>> {
    match event {
        Event::Answer(result) => result,
        _ => Err(unexpected()),
    }
}

/// An event the operation's sequence does not allow: a bug, reported as an error instead of a
/// panic (DECODE, the nearest code: the client could not make sense of what happened).
pub fn unexpected<V>() -> Error<V> {
    Error::new(super::error::ErrorCode::Decode, "prefect-wasm: an operation got an event out of order")
}

/// Sends one call and ends with its answer (`graphql()`, `request()`).
pub struct OneCall<V> {
    pub call: Option<Call<V>>,
}

impl<V> Operation<V> for OneCall<V> {
    fn next(&mut self, event: Event<V>, _: &mut Context<'_, V>) -> Next<V> {
        match (event, self.call.take()) {
            (Event::Start, Some(call)) => Next::Call(call),
            (event, _) => Next::Done(answer(event)),
        }
    }
}

/// Turns a `Result` into `Next::Done` on error, for `?`-like early returns.
macro_rules! step_try {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return $crate::client_core::operation::Next::Done(Err(e)),
        }
    };
}
pub(crate) use step_try;

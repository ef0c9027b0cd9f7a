//! The machine a target's driver runs: an [`Operation`] plus what every call shares. For each
//! call it adds the credentials, refreshes tokens ahead of expiry and once after an
//! UNAUTHENTICATED answer (sharing the refresh by the session's rule), retries transient
//! failures as `retry` decides, and ends the whole operation on the caller's signal or at its
//! deadline. It does no I/O: the driver sends what [`Step::Send`] says, sleeps for
//! [`Step::Wait`], runs the refresh [`Step::StartRefresh`] hands it, and reports back.

use super::auth::Ticket;
use super::config::{number_text, ClientState};
use super::error::{Error, ErrorCode};
use super::http::{aborted, FailureKind, Outcome, Request};
use super::operation::{Call, CallAuth, Context, Event, Next, Operation};
use super::retry::{failure_for_status, Failure};

/// What the driver reports.
#[derive(Debug)]
pub enum Input<V> {
    Start,
    /// The outcome of the last [`Step::Send`].
    Answered(Outcome<V>),
    /// The wait, refresh or yield is over (the consumer wants the next value).
    Resumed,
    /// The caller's signal fired (its reason).
    Aborted(Option<V>),
}

/// What the driver does next.
pub enum Step<V> {
    Send(Request<V>),
    /// Sleep this many ms (the caller's signal cuts it short).
    Wait(f64),
    /// Run this refresh on its own, without the caller's signal, and keep it where other calls
    /// can wait for it ([`Step::JoinRefresh`]); resume when it is over.
    StartRefresh(Runner<V>),
    /// Wait for the refresh started last; resume when it is over.
    JoinRefresh,
    /// Hand this value to the consumer; resume when it wants the next one.
    Yield(V),
    Done(Result<V, Error<V>>),
}

/// The clock and the dice, read by the driver at each step.
#[derive(Clone, Copy, Debug)]
pub struct Env {
    pub now_ms: f64,
    /// In [0, 1), for the backoff's jitter.
    pub random: f64,
}

/// The operation ends with TIMEOUT (this message) when it is not over by `at_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Deadline {
    pub at_ms: f64,
    pub message: String,
}

pub struct Runner<V> {
    op: Box<dyn Operation<V>>,
    call: Option<Pending<V>>,
    waiting: Waiting,
    deadline: Option<Deadline>,
    done: bool,
}

struct Pending<V> {
    call: Call<V>,
    retries: u32,
    /// Already retried once after a refresh.
    refreshed: bool,
    /// The session generation the last attempt was sent with.
    seen: u64,
    /// The last attempt's timeout was shortened to end at the deadline.
    capped: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Waiting {
    Nothing,
    Backoff,
    OpSleep,
    Yielded,
    Deadline,
    /// For a refresh; then send the call again, or tell the operation (it asked).
    Refresh { seen: u64, for_op: bool },
}

impl<V: super::json::Json> Runner<V> {
    pub fn new(op: Box<dyn Operation<V>>) -> Self {
        Runner { op, call: None, waiting: Waiting::Nothing, deadline: None, done: false }
    }

    pub fn with_deadline(mut self, deadline: Option<Deadline>) -> Self {
        self.deadline = deadline;
        self
    }

    /// True once the operation has ended (after [`Step::Done`]).
    pub fn is_done(&self) -> bool {
        self.done
    }

    pub fn step(&mut self, input: Input<V>, client: &mut ClientState<V>, env: Env) -> Step<V> {
        if self.done {
            return Step::Done(Err(Error::invalid("this operation is over")));
        }
        match input {
            Input::Start => self.advance(Event::Start, client, env),
            Input::Aborted(reason) => self.finish(Err(aborted(reason))),
            Input::Answered(outcome) => self.answered(outcome, client, env),
            Input::Resumed => match std::mem::replace(&mut self.waiting, Waiting::Nothing) {
                Waiting::Backoff => self.send(client, env),
                Waiting::OpSleep => self.advance(Event::Slept, client, env),
                Waiting::Yielded => self.advance(Event::Pulled, client, env),
                Waiting::Deadline => self.past_deadline(),
                Waiting::Refresh { seen, for_op } => {
                    let outcome = client.session.after_refresh(seen);
                    self.refreshed(outcome, for_op, client, env)
                }
                Waiting::Nothing => self.finish(Err(super::operation::unexpected())),
            },
        }
    }

    fn advance(&mut self, event: Event<V>, client: &mut ClientState<V>, env: Env) -> Step<V> {
        let mut cx = Context { config: &client.config, session: &mut client.session, now_ms: env.now_ms, random: env.random };
        match self.op.next(event, &mut cx) {
            Next::Call(call) => {
                let refresh_first = call.auth == CallAuth::Session { refresh_ahead: true } && client.session.needs_refresh(env.now_ms);
                let seen = client.session.generation();
                self.call = Some(Pending { call, retries: 0, refreshed: false, seen, capped: false });
                if refresh_first {
                    self.refresh(seen, false, client, env)
                } else {
                    self.send(client, env)
                }
            }
            Next::Sleep(ms) => self.wait(ms, Waiting::OpSleep, env),
            Next::Refresh => {
                let seen = client.session.generation();
                self.refresh(seen, true, client, env)
            }
            Next::Yield(value) => {
                self.waiting = Waiting::Yielded;
                Step::Yield(value)
            }
            Next::Done(result) => self.finish(result),
        }
    }

    fn send(&mut self, client: &mut ClientState<V>, env: Env) -> Step<V> {
        let Some(pending) = self.call.as_mut() else { return self.finish(Err(super::operation::unexpected())) };
        let mut timeout_ms = client.config.timeout_ms;
        pending.capped = false;
        if let Some(deadline) = &self.deadline {
            let left = deadline.at_ms - env.now_ms;
            if left <= 0.0 {
                return self.past_deadline();
            }
            if left < timeout_ms {
                timeout_ms = left;
                pending.capped = true;
            }
        }
        pending.seen = client.session.generation();
        let mut headers = client.config.headers.clone();
        if let Some(tenant) = &client.session.tenant_id {
            headers.push(("X-PREFECT-TENANT-ID".into(), tenant.clone()));
        }
        let authorization = match &pending.call.auth {
            CallAuth::Session { .. } => client.session.authorization(),
            CallAuth::Anonymous => None,
            CallAuth::Bearer(token) => Some(format!("Bearer {token}")),
            CallAuth::Basic(credentials) => Some(format!("Basic {credentials}")),
        };
        if let Some(value) = authorization {
            headers.push(("Authorization".into(), value));
        }
        let call = &pending.call;
        Step::Send(Request { method: call.method, url: call.url.clone(), headers, body: call.body.clone(), timeout_ms })
    }

    fn answered(&mut self, outcome: Outcome<V>, client: &mut ClientState<V>, env: Env) -> Step<V> {
        let policy = client.config.policy;
        let Some(pending) = self.call.as_mut() else { return self.finish(Err(super::operation::unexpected())) };
        let idempotency = pending.call.idempotency;
        let result = match outcome {
            Outcome::Answered(answer) => {
                if matches!(answer.status, 429 | 502 | 503 | 504) {
                    let failure = failure_for_status(answer.status, answer.retry_after.as_deref(), env.now_ms);
                    if let Some(delay) = policy.next_delay_ms(pending.retries, failure, idempotency, env.random) {
                        return self.backoff(delay, env);
                    }
                }
                let result = (pending.call.read)(answer);
                let refusal = matches!(&result, Err(e) if e.code == ErrorCode::Unauthenticated);
                let session_auth = matches!(pending.call.auth, CallAuth::Session { .. });
                if refusal && session_auth && !pending.refreshed && client.session.can_refresh() {
                    // The server refused the token before doing anything, so sending the call
                    // again after one refresh is safe even for a mutation.
                    pending.refreshed = true;
                    pending.retries = 0;
                    let seen = pending.seen;
                    return self.refresh(seen, false, client, env);
                }
                result
            }
            Outcome::Failed(failure) => {
                let url = &pending.call.url;
                let (error, kind) = match failure.kind {
                    FailureKind::Aborted => return self.finish(Err(aborted(failure.cause))),
                    FailureKind::Timeout if pending.capped => return self.past_deadline(),
                    FailureKind::Timeout => (
                        Error::new(ErrorCode::Timeout, format!("no answer from {url} within {} ms", number_text(client.config.timeout_ms))),
                        Failure::Timeout,
                    ),
                    FailureKind::Network => (
                        Error::new(ErrorCode::Network, format!("could not reach {url}: {}", failure.detail)).with_cause(failure.cause),
                        Failure::Network,
                    ),
                    FailureKind::NotAResponse => {
                        (Error::new(ErrorCode::Network, "fetch resolved to something that is not a Response"), Failure::Permanent)
                    }
                    FailureKind::InvalidHeader => (Error::invalid(format!("invalid request header: {}", failure.detail)), Failure::Permanent),
                };
                if let Some(delay) = policy.next_delay_ms(pending.retries, kind, idempotency, env.random) {
                    return self.backoff(delay, env);
                }
                Err(error)
            }
        };
        self.call = None;
        self.advance(Event::Answer(result), client, env)
    }

    fn backoff(&mut self, delay_ms: f64, env: Env) -> Step<V> {
        if let Some(pending) = self.call.as_mut() {
            pending.retries += 1;
        }
        self.wait(delay_ms, Waiting::Backoff, env)
    }

    /// A wait that would run past the deadline ends there instead.
    fn wait(&mut self, ms: f64, then: Waiting, env: Env) -> Step<V> {
        match &self.deadline {
            Some(deadline) if env.now_ms + ms >= deadline.at_ms => {
                self.waiting = Waiting::Deadline;
                Step::Wait((deadline.at_ms - env.now_ms).max(0.0))
            }
            _ => {
                self.waiting = then;
                Step::Wait(ms.max(0.0))
            }
        }
    }

    fn refresh(&mut self, seen: u64, for_op: bool, client: &mut ClientState<V>, env: Env) -> Step<V> {
        match client.session.refresh_ticket(seen) {
            Ticket::Fresh => self.refreshed(Ok(()), for_op, client, env),
            Ticket::Join => {
                self.waiting = Waiting::Refresh { seen, for_op };
                Step::JoinRefresh
            }
            Ticket::Start => {
                self.waiting = Waiting::Refresh { seen, for_op };
                Step::StartRefresh(Runner::new(super::operations::refresh_tokens(client.config.api, seen)))
            }
        }
    }

    fn refreshed(&mut self, outcome: Result<(), Error<V>>, for_op: bool, client: &mut ClientState<V>, env: Env) -> Step<V> {
        match (for_op, outcome) {
            (true, outcome) => self.advance(Event::Refreshed(outcome), client, env),
            (false, Ok(())) => self.send(client, env),
            (false, Err(error)) => {
                self.call = None;
                self.advance(Event::Answer(Err(error)), client, env)
            }
        }
    }

    fn past_deadline(&mut self) -> Step<V> {
        let message = self.deadline.as_ref().map_or_else(|| "the operation timed out".into(), |d| d.message.clone());
        self.finish(Err(Error::new(ErrorCode::Timeout, message)))
    }

    fn finish(&mut self, result: Result<V, Error<V>>) -> Step<V> {
        self.done = true;
        self.call = None;
        Step::Done(result)
    }
}

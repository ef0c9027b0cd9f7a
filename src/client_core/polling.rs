//! `wait()` and `watch()`: a run's state read again and again (one read in flight), on any
//! protocol. `wait` ends with the first state that is finished (or whose type is in `until`);
//! `watch` yields the current state and then each new one, and ends after a finished one.
//! Between reads it sleeps so that reads start `intervalMs` apart.

use super::json::Json;
use super::operation::{unexpected, Context, Event, Next, Operation};
use super::run_kind::RunKind;

pub const DEFAULT_INTERVAL_MS: f64 = 1000.0;

/// How a protocol reads a run (`getState` for an id already checked) and which state types
/// are finished.
#[derive(Clone, Copy)]
pub struct Reader<V> {
    pub read: fn(RunKind, String) -> Box<dyn Operation<V>>,
    pub is_finished: fn(&str) -> bool,
}

/// What makes a state "new" for `watch`: its own id where the protocol has one (REST), else
/// the run's version and the state's timestamp and type (GraphQL).
#[derive(Clone, Debug, PartialEq)]
struct StateKey {
    id: Option<String>,
    version: Option<i64>,
    timestamp: Option<String>,
    state_type: Option<String>,
}

impl StateKey {
    fn of<V: Json>(state: &V) -> StateKey {
        StateKey {
            id: state.field("serializedState").and_then(|s| s.string_field("id")),
            version: state.integer_field("version"),
            timestamp: state.string_field("timestamp"),
            state_type: state.string_field("type"),
        }
    }
}

pub struct Poll<V> {
    reader: Reader<V>,
    kind: RunKind,
    id: String,
    interval_ms: f64,
    /// `Some` for `wait` (the extra types it stops at), `None` for `watch`.
    until: Option<Vec<String>>,
    current: Option<Box<dyn Operation<V>>>,
    last_read_ms: f64,
    last_key: Option<StateKey>,
    ended: bool,
}

impl<V: Json> Poll<V> {
    pub fn wait(reader: Reader<V>, kind: RunKind, id: String, interval_ms: f64, until: Vec<String>) -> Self {
        Poll::new(reader, kind, id, interval_ms, Some(until))
    }

    pub fn watch(reader: Reader<V>, kind: RunKind, id: String, interval_ms: f64) -> Self {
        Poll::new(reader, kind, id, interval_ms, None)
    }

    fn new(reader: Reader<V>, kind: RunKind, id: String, interval_ms: f64, until: Option<Vec<String>>) -> Self {
        Poll { reader, kind, id, interval_ms, until, current: None, last_read_ms: 0.0, last_key: None, ended: false }
    }

    fn read(&mut self, cx: &mut Context<'_, V>) -> Next<V> {
        self.last_read_ms = cx.now_ms;
        let mut read = (self.reader.read)(self.kind, self.id.clone());
        let next = read.next(Event::Start, cx);
        self.current = Some(read);
        self.after_read(next, cx)
    }

    fn after_read(&mut self, next: Next<V>, cx: &mut Context<'_, V>) -> Next<V> {
        match next {
            Next::Done(Ok(state)) => {
                self.current = None;
                self.got(state, cx)
            }
            other => other,
        }
    }

    fn got(&mut self, state: V, cx: &mut Context<'_, V>) -> Next<V> {
        let state_type = state.string_field("type").unwrap_or_default();
        let finished = (self.reader.is_finished)(&state_type);
        match &self.until {
            Some(until) if finished || until.contains(&state_type) => Next::Done(Ok(state)),
            Some(_) => self.pause(cx),
            None => {
                let key = StateKey::of(&state);
                if self.last_key.as_ref() == Some(&key) {
                    return self.pause(cx);
                }
                self.last_key = Some(key);
                self.ended = finished;
                Next::Yield(state)
            }
        }
    }

    /// Until `intervalMs` after the last read started.
    fn pause(&self, cx: &Context<'_, V>) -> Next<V> {
        Next::Sleep((self.interval_ms - (cx.now_ms - self.last_read_ms)).max(0.0))
    }
}

impl<V: Json> Operation<V> for Poll<V> {
    fn next(&mut self, event: Event<V>, cx: &mut Context<'_, V>) -> Next<V> {
        match event {
            Event::Start | Event::Slept => self.read(cx),
            Event::Pulled if self.ended => Next::Done(Ok(V::undefined())),
            Event::Pulled => self.pause(cx),
            event => match self.current.as_mut() {
                Some(read) => {
                    let next = read.next(event, cx);
                    self.after_read(next, cx)
                }
                None => Next::Done(Err(unexpected())),
            },
        }
    }
}

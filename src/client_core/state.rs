//! Prefect 1.x's state hierarchy: the one copy the client and the dev server share.
//!
//! A state's JSON `type` is the Python class name. Every kind but the meta states descends from
//! one of three roots (`Pending`, `Running`, `Finished`); meta states (`Submitted`, `Queued`,
//! `ClientFailed`) wrap another state in their `state` key.

use crate::client_core::json::{IntoJson, Json};

/// One state type of Prefect 1.x.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StateKind {
    Pending,
    Scheduled,
    Paused,
    Resume,
    Retrying,
    Running,
    Cancelling,
    Finished,
    Looped,
    Cancelled,
    Success,
    Cached,
    Mapped,
    Skipped,
    Failed,
    TimedOut,
    TriggerFailed,
    ValidationFailed,
    Submitted,
    Queued,
    ClientFailed,
}

use StateKind::*;

impl StateKind {
    pub const ALL: [StateKind; 21] = [
        Pending,
        Scheduled,
        Paused,
        Resume,
        Retrying,
        Running,
        Cancelling,
        Finished,
        Looped,
        Cancelled,
        Success,
        Cached,
        Mapped,
        Skipped,
        Failed,
        TimedOut,
        TriggerFailed,
        ValidationFailed,
        Submitted,
        Queued,
        ClientFailed,
    ];

    /// The JSON `type` (Prefect's class name).
    pub const fn name(self) -> &'static str {
        match self {
            Pending => "Pending",
            Scheduled => "Scheduled",
            Paused => "Paused",
            Resume => "Resume",
            Retrying => "Retrying",
            Running => "Running",
            Cancelling => "Cancelling",
            Finished => "Finished",
            Looped => "Looped",
            Cancelled => "Cancelled",
            Success => "Success",
            Cached => "Cached",
            Mapped => "Mapped",
            Skipped => "Skipped",
            Failed => "Failed",
            TimedOut => "TimedOut",
            TriggerFailed => "TriggerFailed",
            ValidationFailed => "ValidationFailed",
            Submitted => "Submitted",
            Queued => "Queued",
            ClientFailed => "ClientFailed",
        }
    }

    /// The kind named exactly `name` (case-sensitive, as Prefect's class names are).
    pub fn from_name(name: &str) -> Option<StateKind> {
        StateKind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The direct parent class in the hierarchy; `None` for the roots and the meta states.
    pub const fn parent(self) -> Option<StateKind> {
        match self {
            Pending | Running | Finished | Submitted | Queued | ClientFailed => None,
            Scheduled => Some(Pending),
            Paused | Resume | Retrying => Some(Scheduled),
            Cancelling => Some(Running),
            Looped | Cancelled | Success | Failed => Some(Finished),
            Cached | Mapped | Skipped => Some(Success),
            TimedOut | TriggerFailed | ValidationFailed => Some(Failed),
        }
    }

    /// This kind, then its parent, up to its root.
    pub fn lineage(self) -> impl Iterator<Item = StateKind> {
        core::iter::successors(Some(self), |kind| kind.parent())
    }

    /// True when `self` is `ancestor` or descends from it.
    pub fn is_a(self, ancestor: StateKind) -> bool {
        self.lineage().any(|kind| kind == ancestor)
    }

    pub const fn is_meta(self) -> bool {
        matches!(self, Submitted | Queued | ClientFailed)
    }
    pub fn is_pending(self) -> bool {
        self.is_a(Pending)
    }
    pub fn is_scheduled(self) -> bool {
        self.is_a(Scheduled)
    }
    pub fn is_running(self) -> bool {
        self.is_a(Running)
    }
    pub fn is_finished(self) -> bool {
        self.is_a(Finished)
    }
    pub fn is_successful(self) -> bool {
        self.is_a(Success)
    }
    pub fn is_failed(self) -> bool {
        self.is_a(Failed)
    }

    /// Whether the state JSON of this kind carries a `start_time` (when it is due to start).
    pub const fn has_start_time(self) -> bool {
        matches!(self, Scheduled | Paused | Resume | Retrying | Queued)
    }

    /// The colour Prefect's UI gives this state (hex RGB).
    pub const fn color(self) -> &'static str {
        match self {
            Pending => "#B0BEC5",
            Scheduled => "#FFAB00",
            Paused => "#CFD8DC",
            Resume => "#FFAB00",
            Retrying => "#FFEB3B",
            Running => "#27B1FF",
            Cancelling => "#CFD8DC",
            Finished => "#BA68C8",
            Looped => "#9CCC65",
            Cancelled => "#BDBDBD",
            Success => "#2E7D32",
            Cached => "#FFA726",
            Mapped => "#4DD0E1",
            Skipped => "#B2EBF2",
            Failed => "#E53935",
            TimedOut => "#CDC9A5",
            TriggerFailed => "#C67171",
            ValidationFailed => "#D32F2F",
            Submitted => "#FFE082",
            Queued => "#FFD54F",
            ClientFailed => "#FF7043",
        }
    }
}

impl core::fmt::Display for StateKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// The state JSON's `__version__`: the Prefect Core release whose state format we write.
pub const PREFECT_CORE_VERSION: &str = "1.4.1";

/// The largest state payload the server accepts, in bytes of JSON text.
pub const MAX_STATE_PAYLOAD_BYTES: usize = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Building state JSON (what `setState` / `run` send) and decoding a run's state
// ---------------------------------------------------------------------------------------------

/// A state as the caller asked for it: a type name plus, when the caller gave an object, its
/// message and every other key (kept as they are, in order).
#[derive(Clone, Debug, PartialEq)]
pub struct StateSpec<V> {
    pub type_name: String,
    pub message: Option<String>,
    pub extra: Vec<(String, V)>,
}

impl<V> StateSpec<V> {
    pub fn named(type_name: impl Into<String>) -> Self {
        StateSpec { type_name: type_name.into(), message: None, extra: Vec::new() }
    }
    fn has_key(&self, key: &str) -> bool {
        self.extra.iter().any(|(k, _)| k == key)
    }
}

/// `_result` of a state that carries a value: the value's JSON text as the `location`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrefectResult {
    #[serde(rename = "type")]
    pub result_type: String,
    pub location: String,
}

impl PrefectResult {
    pub const TYPE: &'static str = "PrefectResult";
    pub fn new(location: String) -> Self {
        PrefectResult { result_type: Self::TYPE.into(), location }
    }
}

/// The state JSON the client writes. Serializes as one JSON object: the caller's extra keys
/// first, then `type`, `message`, `start_time`, `_result`, `context` and `__version__`, each
/// only where it applies. Keys the client sets replace a caller key of the same name.
#[derive(Clone, Debug, PartialEq)]
pub struct StateDraft<V> {
    pub kind: StateKind,
    pub message: Option<String>,
    pub extra: Vec<(String, V)>,
    /// Set for kinds that carry one when the caller gave none.
    pub start_time: Option<String>,
    pub result: Option<PrefectResult>,
    pub context: Option<V>,
    /// Written unless the caller gave one.
    pub version: Option<&'static str>,
}

impl<V> StateDraft<V> {
    /// A state of `kind` with `message` and nothing else of the caller's: what a server writes
    /// on its own (a new run's first state, a cancellation).
    pub fn new(kind: StateKind, message: impl Into<String>) -> Self {
        StateDraft {
            kind,
            message: Some(message.into()),
            extra: Vec::new(),
            start_time: None,
            result: None,
            context: None,
            version: Some(PREFECT_CORE_VERSION),
        }
    }
}

/// Where one key of a state draft's JSON takes its value from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DraftValue<'a, V> {
    Caller(&'a V),
    Text(&'a str),
    Result(&'a PrefectResult),
}

impl<V> StateDraft<V> {
    /// The draft's keys in the order written: the caller's extra keys first, then `type`,
    /// `message`, `start_time`, `_result`, `context` and `__version__`, each only where it
    /// applies. Keys the client sets replace a caller key of the same name.
    pub fn entries(&self) -> Vec<(&str, DraftValue<'_, V>)> {
        let ours = |key: &str| match key {
            "type" => true,
            "message" => self.message.is_some(),
            "start_time" => self.start_time.is_some(),
            "_result" => self.result.is_some(),
            "context" => self.context.is_some(),
            "__version__" => self.version.is_some(),
            _ => false,
        };
        let mut entries: Vec<(&str, DraftValue<'_, V>)> =
            self.extra.iter().filter(|(key, _)| !ours(key)).map(|(key, value)| (key.as_str(), DraftValue::Caller(value))).collect();
        entries.push(("type", DraftValue::Text(self.kind.name())));
        if let Some(message) = &self.message {
            entries.push(("message", DraftValue::Text(message)));
        }
        if let Some(start_time) = &self.start_time {
            entries.push(("start_time", DraftValue::Text(start_time)));
        }
        if let Some(result) = &self.result {
            entries.push(("_result", DraftValue::Result(result)));
        }
        if let Some(context) = &self.context {
            entries.push(("context", DraftValue::Caller(context)));
        }
        if let Some(version) = self.version {
            entries.push(("__version__", DraftValue::Text(version)));
        }
        entries
    }
}

impl<V: serde::Serialize> serde::Serialize for StateDraft<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in self.entries() {
            match value {
                DraftValue::Caller(v) => map.serialize_entry(key, v)?,
                DraftValue::Text(t) => map.serialize_entry(key, t)?,
                DraftValue::Result(r) => map.serialize_entry(key, r)?,
            }
        }
        map.end()
    }
}

impl<V: Json> IntoJson<V> for &StateDraft<V> {
    fn into_json(self) -> V {
        let mut object = V::object();
        for (key, value) in self.entries() {
            let value = match value {
                DraftValue::Caller(v) => v.clone(),
                DraftValue::Text(t) => V::from_str(t),
                DraftValue::Result(r) => V::object().with("type", V::from_str(&r.result_type)).with("location", V::from_str(&r.location)),
            };
            object.set(key, value);
        }
        object
    }
}

/// Why a state could not be built (always the caller's input: INVALID_ARGUMENT).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidState(pub String);

/// The kind named `name`, or INVALID_ARGUMENT's message.
pub fn parse_kind(name: &str, what: &str) -> Result<StateKind, InvalidState> {
    StateKind::from_name(name).ok_or_else(|| {
        InvalidState(format!(
            "{what} {name:?} is not a Prefect state type (one of: {})",
            StateKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// Builds the state JSON for `spec`. `now` is the current time as ISO 8601 (used as
/// `start_time` for the kinds that carry one); `result_location` is the result value's JSON
/// text when the caller gave a `result`; `context` is merged in by `FlowRuns.run`.
pub fn build_state<V>(
    spec: StateSpec<V>,
    now: &str,
    result_location: Option<String>,
    context: Option<V>,
) -> Result<StateDraft<V>, InvalidState> {
    let kind = parse_kind(&spec.type_name, "state type")?;
    let start_time = (kind.has_start_time() && !spec.has_key("start_time")).then(|| now.to_string());
    let version = (!spec.has_key("__version__")).then_some(PREFECT_CORE_VERSION);
    Ok(StateDraft {
        kind,
        message: spec.message,
        extra: spec.extra,
        start_time,
        result: result_location.map(PrefectResult::new),
        context,
        version,
    })
}

/// A state JSON's `type`, as far as `check_stored_state` reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeField<'a> {
    /// The state is not a JSON object.
    NotAnObject,
    /// An object without a string `type`.
    Missing,
    Named(&'a str),
}

/// The rule for a state a server stores (`set_flow_run_states`, `set_task_run_states`): at most
/// `MAX_STATE_PAYLOAD_BYTES` of JSON text, an object whose `type` is a state of the hierarchy,
/// and so is the inner `state`'s of a meta state that has one.
pub fn check_stored_state(text_len: usize, state: TypeField<'_>, inner: Option<TypeField<'_>>) -> Result<StateKind, InvalidState> {
    if text_len > MAX_STATE_PAYLOAD_BYTES {
        return Err(InvalidState(format!("state payload is {text_len} bytes, over the limit of {MAX_STATE_PAYLOAD_BYTES}")));
    }
    let kind = stored_kind(state)?;
    if let (true, Some(inner)) = (kind.is_meta(), inner) {
        stored_kind(inner)?;
    }
    Ok(kind)
}

fn stored_kind(field: TypeField<'_>) -> Result<StateKind, InvalidState> {
    match field {
        TypeField::NotAnObject => Err(InvalidState("a state must be a JSON object with a `type`".into())),
        TypeField::Missing => Err(InvalidState("the state has no `type`".into())),
        TypeField::Named(name) => parse_kind(name, "state type"),
    }
}

/// The parts of a stored state's JSON the client reads (everything else passes through).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SerializedStateView {
    pub state_type: Option<String>,
    pub message: Option<String>,
    pub result: Option<ResultView>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultView {
    pub result_type: Option<String>,
    pub location: Option<String>,
}

impl SerializedStateView {
    /// `{ type?, message?, _result?: { type?, location? } }`; fields of another type are absent.
    pub fn read<V: Json>(state: &V) -> SerializedStateView {
        SerializedStateView {
            state_type: state.string_field("type"),
            message: state.string_field("message"),
            result: state
                .field("_result")
                .map(|r| ResultView { result_type: r.string_field("type"), location: r.string_field("location") }),
        }
    }

    /// The JSON text of the state's result, when it is a `PrefectResult` with a location.
    pub fn result_location(&self) -> Option<&str> {
        let result = self.result.as_ref()?;
        (result.result_type.as_deref() == Some(PrefectResult::TYPE)).then_some(())?;
        result.location.as_deref()
    }
}

/// `RunState` as JS sees it (`V` is the target's JSON value).
#[derive(Clone, Debug, PartialEq)]
pub struct RunState<V> {
    pub id: String,
    pub state_type: String,
    /// The display name (on GraphQL, the type).
    pub name: String,
    pub message: Option<String>,
    pub result: Option<V>,
    /// `None` on REST (runs have no version there).
    pub version: Option<i64>,
    pub timestamp: Option<String>,
    pub serialized_state: V,
}

impl<V: Json> IntoJson<V> for RunState<V> {
    fn into_json(self) -> V {
        V::object()
            .with("id", V::from_str(&self.id))
            .with("type", V::from_str(&self.state_type))
            .with("name", V::from_str(&self.name))
            .with("message", V::from_string_opt(self.message.as_deref()))
            .with("result", self.result.unwrap_or_else(V::null))
            .with("version", self.version.map_or_else(V::null, |v| V::from_f64(v as f64)))
            .with("timestamp", V::from_string_opt(self.timestamp.as_deref()))
            .with("serializedState", self.serialized_state)
    }
}

/// Puts a read run together as a `RunState`. The type comes from the stored state JSON, else
/// the run's `state` column; the message from `state_message`, else the JSON's `message`.
/// `decode_result` turns the result's JSON text into a value. A run with no state at all, or no
/// version, is a DECODE failure (`Err` carries the reason).
pub fn run_state<V>(
    id: String,
    version: Option<i64>,
    state_column: Option<String>,
    state_message: Option<String>,
    state_timestamp: Option<String>,
    serialized_state: Option<V>,
    view: SerializedStateView,
    empty_object: impl FnOnce() -> V,
    decode_result: impl FnOnce(&str) -> V,
) -> Result<RunState<V>, String> {
    let state_type = view
        .state_type
        .clone()
        .filter(|t| !t.is_empty())
        .or(state_column.filter(|t| !t.is_empty()))
        .ok_or_else(|| format!("run {id} has no state"))?;
    let version = version.ok_or_else(|| format!("run {id} has no version"))?;
    let result = view.result_location().map(decode_result);
    Ok(RunState {
        id,
        name: state_type.clone(),
        state_type,
        message: state_message.or(view.message),
        result,
        version: Some(version),
        timestamp: state_timestamp,
        serialized_state: serialized_state.unwrap_or_else(empty_object),
    })
}

/// `expectedState`: Ok when there is no expectation or the run's current type equals it.
pub fn check_expected(current: &str, expected: Option<StateKind>) -> Result<(), String> {
    match expected {
        Some(kind) if kind.name() != current => {
            Err(format!("the run is in state {current}, not the expected {}; nothing was written", kind.name()))
        }
        _ => Ok(()),
    }
}

/// The `context` `FlowRuns.run` puts on the Scheduled state it writes: `start_tasks` and
/// `inputs`, each only when given.
#[derive(Clone, Debug, PartialEq)]
pub struct RunContext<V> {
    pub start_tasks: Option<Vec<String>>,
    pub inputs: Option<V>,
}

impl<V: Json> IntoJson<V> for RunContext<V> {
    fn into_json(self) -> V {
        let mut context = V::object();
        if let Some(tasks) = &self.start_tasks {
            context.set("start_tasks", V::strings(tasks));
        }
        if let Some(inputs) = self.inputs {
            context.set("inputs", inputs);
        }
        context
    }
}

/// Whether a run in the state of this type is over (Prefect's `Finished` and what descends from
/// it); unknown types are not.
pub fn is_finished(state_type: &str) -> bool {
    StateKind::from_name(state_type).is_some_and(StateKind::is_finished)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn spec(type_name: &str, message: Option<&str>, extra: Value) -> StateSpec<Value> {
        StateSpec {
            type_name: type_name.into(),
            message: message.map(Into::into),
            extra: extra.as_object().map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default(),
        }
    }

    #[test]
    fn builds_minimal_and_full_states() {
        let now = "2026-12-01T20:00:00.000Z";
        let running = build_state(StateSpec::<Value>::named("Running"), now, None, None).unwrap();
        assert_eq!(serde_json::to_value(&running).unwrap(), json!({"type": "Running", "__version__": "1.4.1"}));

        let scheduled = build_state(spec("Scheduled", Some("later"), json!({"cached_inputs": {}})), now, None, Some(json!({"inputs": {"x": 1}}))).unwrap();
        assert_eq!(
            serde_json::to_value(&scheduled).unwrap(),
            json!({"cached_inputs": {}, "type": "Scheduled", "message": "later", "start_time": now, "context": {"inputs": {"x": 1}}, "__version__": "1.4.1"})
        );

        let success = build_state(StateSpec::<Value>::named("Success"), now, Some("{\"a\":[1,2]}".into()), None).unwrap();
        assert_eq!(
            serde_json::to_value(&success).unwrap(),
            json!({"type": "Success", "_result": {"type": "PrefectResult", "location": "{\"a\":[1,2]}"}, "__version__": "1.4.1"})
        );
    }

    #[test]
    fn caller_keys_kept_ours_win() {
        let now = "2026-12-01T20:00:00Z";
        let s = build_state(spec("Retrying", None, json!({"start_time": "2030-01-01T00:00:00Z", "run_count": 2, "type": "ignored", "__version__": "0.15.0"})), now, Some("1".into()), None).unwrap();
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"start_time": "2030-01-01T00:00:00Z", "run_count": 2, "__version__": "0.15.0", "type": "Retrying", "_result": {"type": "PrefectResult", "location": "1"}})
        );
        // A caller _result is kept unless a result option replaces it.
        let s = build_state(spec("Success", None, json!({"_result": {"type": "NoResultType"}})), now, None, None).unwrap();
        assert_eq!(serde_json::to_value(&s).unwrap()["_result"], json!({"type": "NoResultType"}));
        let s = build_state(spec("Success", None, json!({"_result": {"type": "NoResultType"}})), now, Some("2".into()), None).unwrap();
        assert_eq!(serde_json::to_value(&s).unwrap()["_result"]["location"], json!("2"));
    }

    #[test]
    fn start_time_only_where_prefect_has_one() {
        for kind in StateKind::ALL {
            let s = serde_json::to_value(build_state(StateSpec::<Value>::named(kind.name()), "T", None, None).unwrap()).unwrap();
            assert_eq!(s.get("start_time").is_some(), kind.has_start_time(), "{kind}");
        }
    }

    #[test]
    fn unknown_types_are_invalid() {
        for bad in ["", "running", "State", "Bogus", "Success "] {
            assert!(build_state(StateSpec::<Value>::named(bad), "T", None, None).is_err(), "{bad:?}");
        }
        assert!(parse_kind("Nope", "expectedState").unwrap_err().0.starts_with("expectedState \"Nope\""));
    }

    #[test]
    fn server_states_and_the_stored_state_rule() {
        let cancelled = StateDraft::<Value>::new(Cancelled, "Flow run was cancelled.");
        assert_eq!(serde_json::to_value(&cancelled).unwrap(), json!({"type": "Cancelled", "message": "Flow run was cancelled.", "__version__": "1.4.1"}));

        use TypeField::*;
        assert_eq!(check_stored_state(10, Named("Cached"), None), Ok(Cached));
        assert_eq!(check_stored_state(10, Named("Submitted"), Some(Named("Scheduled"))), Ok(Submitted));
        assert!(check_stored_state(10, Named("Submitted"), Some(Named("Nope"))).is_err());
        // only a meta state's inner state is read
        assert_eq!(check_stored_state(10, Named("Running"), Some(Named("Nope"))), Ok(Running));
        for bad in [Named("State"), Named("running"), Missing, NotAnObject] {
            assert!(check_stored_state(10, bad, None).is_err(), "{bad:?}");
        }
        assert_eq!(check_stored_state(MAX_STATE_PAYLOAD_BYTES, Named("Success"), None), Ok(Success));
        assert!(check_stored_state(MAX_STATE_PAYLOAD_BYTES + 1, Named("Success"), None).unwrap_err().0.contains("over the limit"));
    }

    #[test]
    fn decodes_run_states() {
        let stored = json!({"type": "Success", "message": "done", "_result": {"type": "PrefectResult", "location": "[1,2]"}});
        let view = SerializedStateView::read(&stored);
        assert_eq!(view.result_location(), Some("[1,2]"));
        let rs = run_state("r".into(), Some(4), Some("Success".into()), None, Some("ts".into()), Some(stored.clone()), view, || json!({}), |t| serde_json::from_str(t).unwrap()).unwrap();
        assert_eq!(
            rs.into_json(),
            json!({"id": "r", "type": "Success", "name": "Success", "message": "done", "result": [1, 2], "version": 4, "timestamp": "ts", "serializedState": stored})
        );
        // No result / other result types: null. Column type when the JSON has none.
        let view = SerializedStateView::read(&json!({"_result": {"type": "NoResultType"}}));
        assert_eq!(view.result_location(), None);
        let rs = run_state("r".into(), Some(1), Some("Scheduled".into()), Some("m".into()), None, None, view, || json!({}), |_| unreachable!()).unwrap();
        assert_eq!((rs.state_type.as_str(), rs.message.as_deref(), rs.result, rs.serialized_state), ("Scheduled", Some("m"), None, json!({})));
        assert!(run_state::<Value>("r".into(), Some(1), None, None, None, None, SerializedStateView::default(), || json!({}), |_| json!(null)).is_err());
        assert!(run_state::<Value>("r".into(), None, Some("Running".into()), None, None, None, SerializedStateView::default(), || json!({}), |_| json!(null)).is_err());
    }

    #[test]
    fn expected_state() {
        assert!(check_expected("Running", None).is_ok());
        assert!(check_expected("Running", Some(Running)).is_ok());
        assert!(check_expected("Scheduled", Some(Running)).is_err());
        // Exact type, not "is a": a Retrying run is not in the expected state Scheduled.
        assert!(check_expected("Retrying", Some(Scheduled)).is_err());
    }

    #[test]
    fn every_name_round_trips() {
        for kind in StateKind::ALL {
            assert_eq!(StateKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(StateKind::from_name("success"), None);
        assert_eq!(StateKind::from_name("State"), None);
    }

    #[test]
    fn hierarchy_matches_prefect() {
        assert!(Cached.is_successful() && Cached.is_finished());
        assert!(TimedOut.is_failed() && !TimedOut.is_successful());
        assert!(Retrying.is_scheduled() && Retrying.is_pending());
        assert!(Cancelling.is_running() && !Cancelling.is_finished());
        assert!(Cancelled.is_finished() && !Cancelled.is_failed());
        for meta in [Submitted, Queued, ClientFailed] {
            assert!(meta.is_meta());
            assert!(!meta.is_pending() && !meta.is_running() && !meta.is_finished());
        }
        assert_eq!(Skipped.lineage().collect::<Vec<_>>(), vec![Skipped, Success, Finished]);
    }
}

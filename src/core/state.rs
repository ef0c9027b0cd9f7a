//! Prefect 1.x's state hierarchy: the one copy the client and the dev server share.
//!
//! A state's JSON `type` is the Python class name. Every kind but the meta states descends from
//! one of three roots (`Pending`, `Running`, `Finished`); meta states (`Submitted`, `Queued`,
//! `ClientFailed`) wrap another state in their `state` key.

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

#[cfg(test)]
mod tests {
    use super::*;

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

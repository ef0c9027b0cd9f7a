//! Prefect 2/3's state types (upper case on the wire) and their display names.

/// Every state type with the name Prefect gives a state of that type by default.
pub const TYPES: [(&str, &str); 9] = [
    ("SCHEDULED", "Scheduled"),
    ("PENDING", "Pending"),
    ("RUNNING", "Running"),
    ("COMPLETED", "Completed"),
    ("FAILED", "Failed"),
    ("CANCELLED", "Cancelled"),
    ("CRASHED", "Crashed"),
    ("PAUSED", "Paused"),
    ("CANCELLING", "Cancelling"),
];

/// The type named `name` in any case ("Completed", "completed", "COMPLETED"), with its display
/// name; `None` for anything else.
pub fn parse(name: &str) -> Option<(&'static str, &'static str)> {
    TYPES.into_iter().find(|(t, _)| t.eq_ignore_ascii_case(name))
}

/// `parse`, or INVALID_ARGUMENT's message naming `what`.
pub fn require(name: &str, what: &str) -> Result<(&'static str, &'static str), String> {
    parse(name).ok_or_else(|| {
        let all: Vec<&str> = TYPES.iter().map(|(t, _)| *t).collect();
        format!("{what} {name:?} is not a Prefect 2/3 state type (one of: {}, in any case)", all.join(", "))
    })
}

/// A run in a state of this type is over (Prefect's terminal states).
pub fn is_finished(state_type: &str) -> bool {
    matches!(state_type, "COMPLETED" | "FAILED" | "CANCELLED" | "CRASHED")
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_case() {
        assert_eq!(parse("Completed"), Some(("COMPLETED", "Completed")));
        assert_eq!(parse("cancelling"), Some(("CANCELLING", "Cancelling")));
        for bad in ["", "Success", "Late", "COMPLETED ", "Running\0"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        assert!(require("Success", "state type").unwrap_err().contains("COMPLETED"));
        assert!(is_finished("CRASHED") && !is_finished("CANCELLING") && !is_finished("Completed"));
    }
}

//! `reference_data`: Prefect's state hierarchy and colours, from the client core's `StateKind`
//! (what the dashboard draws states with).

use prefect_wasm::client_core::state::StateKind;
use serde_json::{json, Value as J};

pub fn reference_data() -> J {
    let mut hierarchy = serde_json::Map::new();
    let mut info = serde_json::Map::new();
    for kind in StateKind::ALL {
        let lineage: Vec<&str> = kind.lineage().map(|k| k.name()).collect();
        hierarchy.insert(kind.name().into(), json!(lineage));
        info.insert(
            kind.name().into(),
            json!({
                "color": kind.color(),
                "parent": kind.parent().map(|p| p.name()),
                "is_meta": kind.is_meta(),
                "is_pending": kind.is_pending(),
                "is_scheduled": kind.is_scheduled(),
                "is_running": kind.is_running(),
                "is_finished": kind.is_finished(),
                "is_successful": kind.is_successful(),
                "is_failed": kind.is_failed(),
            }),
        );
    }
    json!({ "state_hierarchy": hierarchy, "state_info": info })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_data_covers_the_hierarchy() {
        let r = reference_data();
        assert_eq!(r["state_hierarchy"]["TimedOut"], json!(["TimedOut", "Failed", "Finished"]));
        assert_eq!(r["state_info"]["Running"]["color"], "#27B1FF");
        assert_eq!(r["state_info"]["Cancelling"]["is_running"], true);
    }
}

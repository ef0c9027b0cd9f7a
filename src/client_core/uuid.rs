//! The one UUID rule (the canonical 8-4-4-4-12 hex form, any case) that ids are checked
//! against before anything is sent.

use super::error::Error;

/// A UUID in its canonical 8-4-4-4-12 hex form (any case), as the server's `UUID`/`uuid` want.
pub fn is_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `text` when it is a UUID, else INVALID_ARGUMENT naming `what`.
pub fn require_uuid<V>(text: &str, what: &str) -> Result<(), Error<V>> {
    if is_uuid(text) {
        Ok(())
    } else {
        Err(Error::invalid(format!("{what} must be a UUID, got {text:?}")))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        assert!(is_uuid("6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f"));
        assert!(is_uuid("6B9F0C3E-1D2A-4C5B-9E8F-0A1B2C3D4E5F"));
        for bad in ["", "not-a-uuid", "6b9f0c3e1d2a4c5b9e8f0a1b2c3d4e5f", "6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5g", "{6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f}"] {
            assert!(!is_uuid(bad), "{bad}");
        }
        assert!(require_uuid::<()>("nope", "flowId").unwrap_err().message.starts_with("flowId must be a UUID"));
    }
}

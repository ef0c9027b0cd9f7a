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

/// A fresh UUID (version 7 layout: the time in ms, then random bits) from the clock and one
/// random number in [0, 1). Only has to differ from the run's previous transition id, so one
/// `Math.random()` is enough; integer arithmetic only (no float formatting in the wasm).
pub fn v7(now_ms: f64, random: f64) -> String {
    let ms = if now_ms.is_finite() && now_ms > 0.0 { now_ms as u64 & 0xFFFF_FFFF_FFFF } else { 0 };
    let bits = if random.is_finite() { (random.clamp(0.0, 1.0) * 9_007_199_254_740_992.0) as u64 } else { 0 };
    let rand_a = bits & 0xFFF;
    let rand_b = (bits >> 12) ^ (ms.rotate_left(17) & 0x3FFF_FFFF_FFFF);
    let hex = format!("{ms:012x}7{rand_a:03x}{:04x}{:012x}", 0x8000 | ((rand_b >> 48) & 0x3FFF), rand_b & 0xFFFF_FFFF_FFFF);
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
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
        let a = v7(1_764_619_200_000.0, 0.25);
        assert!(is_uuid(&a), "{a}");
        assert_eq!(&a[14..15], "7");
        assert_ne!(a, v7(1_764_619_200_000.0, 0.5));
        assert!(is_uuid(&v7(f64::NAN, f64::INFINITY)));
    }
}

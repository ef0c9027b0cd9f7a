//! The little date arithmetic the client needs (token expiry, `Retry-After`, validating
//! `scheduledStartTime`, the time a state starts at), without a date crate. Times are milliseconds since the Unix epoch as
//! `f64`, like JavaScript's `Date.now()`. The dev server reads every timestamp it is given with
//! the same parser (`parse_timestamp`, to the nanosecond).

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian; H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(s: &str, at: usize, n: usize) -> Option<u32> {
    let part = s.get(at..at + n)?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

fn epoch_seconds(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + (h * 3600 + m * 60 + s) as i64)
}

fn epoch_ms(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<f64> {
    Some((epoch_seconds(year, month, day, h, m, s)? * 1000) as f64)
}

/// The fields of an RFC 3339 / ISO 8601 timestamp: its whole seconds since the epoch as written
/// (before its offset), the digits of its fraction (at most 9, maybe none) and its offset from
/// UTC in seconds.
fn timestamp_parts(text: &str) -> Option<(i64, &str, i64)> {
    let s = text.trim();
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(s, 0, 4)? as i64;
    let seconds = epoch_seconds(year, digits(s, 5, 2)?, digits(s, 8, 2)?, digits(s, 11, 2)?, digits(s, 14, 2)?, digits(s, 17, 2)?)?;
    let mut rest = &s[19..];
    let mut fraction = "";
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        fraction = &frac[..n.min(9)];
        rest = &frac[n..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let off = &rest[1..];
            let (h, m) = match off.len() {
                5 if off.as_bytes()[2] == b':' => (digits(off, 0, 2)?, digits(off, 3, 2)?),
                4 => (digits(off, 0, 2)?, digits(off, 2, 2)?),
                2 => (digits(off, 0, 2)?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60) as i64
        }
    };
    Some((seconds, fraction, offset))
}

/// Parses an RFC 3339 / ISO 8601 timestamp such as `2026-12-01T20:15:00Z`,
/// `2026-12-01T20:15:00.123456+00:00` or `2026-12-01 20:15:00` (no offset = UTC, as Prefect's
/// server writes naive UTC times). `None` for anything else.
pub fn parse_rfc3339_ms(text: &str) -> Option<f64> {
    let (seconds, fraction, offset) = timestamp_parts(text)?;
    // Milliseconds and below, without float parsing (it would add kilobytes to the wasm).
    let fraction_ms = match fraction {
        "" => 0.0,
        digits => digits.parse::<u64>().ok()? as f64 * 1000.0 / 10f64.powi(digits.len() as i32),
    };
    Some((seconds * 1000) as f64 + fraction_ms - (offset * 1000) as f64)
}

/// A UTC instant to the nanosecond, as `parse_timestamp` reads it (the dev server stores
/// microseconds, more than an `f64` of milliseconds holds exactly).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    pub unix_seconds: i64,
    pub nanos: u32,
}

/// The timestamps `parse_rfc3339_ms` takes, to the nanosecond.
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let (seconds, fraction, offset) = timestamp_parts(text)?;
    let nanos = fraction.bytes().chain(core::iter::repeat(b'0')).take(9).fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    Some(Timestamp { unix_seconds: seconds - offset, nanos })
}

/// A timestamp as `parse_timestamp` reads it, or a date alone (`2026-12-01`: its midnight UTC),
/// as Postgres' `timestamptz`, behind Prefect Server's `DateTime` and Hasura's filters, takes it.
pub fn parse_timestamp_or_date(text: &str) -> Option<Timestamp> {
    let s = text.trim();
    let b = s.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let unix_seconds = epoch_seconds(digits(s, 0, 4)? as i64, digits(s, 5, 2)?, digits(s, 8, 2)?, 0, 0, 0)?;
        return Some(Timestamp { unix_seconds, nanos: 0 });
    }
    parse_timestamp(s)
}

/// The civil date of a day count from 1970-01-01 (the inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `ms` since the epoch as JavaScript's `toISOString` writes it (`2026-12-01T20:15:00.123Z`),
/// for years 0 to 9999.
pub fn format_rfc3339_ms(ms: f64) -> String {
    let ms = ms.floor() as i64;
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, milli) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// Parses an HTTP date in the IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`), the only form
/// RFC 9110 lets senders use.
pub fn parse_http_date_ms(text: &str) -> Option<f64> {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (_, rest) = text.trim().split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, clock, zone] = parts.as_slice() else { return None };
    if *zone != "GMT" || day.len() != 2 || year.len() != 4 || clock.len() != 8 {
        return None;
    }
    let cb = clock.as_bytes();
    if cb[2] != b':' || cb[5] != b':' {
        return None;
    }
    let month = MONTHS.iter().position(|m| m == month)? as u32 + 1;
    epoch_ms(
        digits(year, 0, 4)? as i64,
        month,
        digits(day, 0, 2)?,
        digits(clock, 0, 2)?,
        digits(clock, 3, 2)?,
        digits(clock, 6, 2)?,
    )
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:01.5Z"), Some(1500.0));
        assert_eq!(parse_rfc3339_ms("2000-03-01T00:00:00+01:00"), Some(951_865_200_000.0));
        let frac = parse_rfc3339_ms("2026-12-01T20:15:00.123456+00:00").unwrap() - parse_rfc3339_ms("2026-12-01T20:15:00Z").unwrap();
        assert!((frac - 123.456).abs() < 1e-3, "{frac}");
        assert_eq!(parse_rfc3339_ms("2026-12-01 20:15:00"), parse_rfc3339_ms("2026-12-01T20:15:00Z"));
        assert_eq!(parse_rfc3339_ms("2024-02-29T00:00:00Z").is_some(), true);
        for bad in ["", "yesterday", "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-01T25:00:00Z", "2026-12-01T20:15:00+0x:00", "2026-12-01T20:15:00."] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_to_the_nanosecond() {
        let at = |unix_seconds, nanos| Some(Timestamp { unix_seconds, nanos });
        assert_eq!(parse_timestamp("1970-01-01T00:00:01.123456789Z"), at(1, 123_456_789));
        assert_eq!(parse_timestamp("1970-01-01T02:00:00.5+02:00"), at(0, 500_000_000));
        assert_eq!(parse_timestamp("1970-01-01 00:00:00.0000000019"), at(0, 1));
        assert_eq!(parse_timestamp("1969-12-31T23:00:00-01:00"), at(0, 0));
        for text in ["2026-12-01T20:15:00.123456+01:00", "2024-02-29 00:00:00", "2000-03-01T00:00:00.5Z"] {
            let t = parse_timestamp(text).unwrap();
            assert_eq!(parse_rfc3339_ms(text), Some(t.unix_seconds as f64 * 1000.0 + f64::from(t.nanos) / 1e6), "{text}");
        }
        assert_eq!(parse_timestamp("2030-01-02"), None);
        assert_eq!(parse_timestamp_or_date("2030-01-02"), parse_timestamp("2030-01-02T00:00:00Z"));
        assert_eq!(parse_timestamp_or_date("2030-01-02T03:04:05Z"), parse_timestamp("2030-01-02T03:04:05Z"));
        for bad in ["2030-13-02", "2030-02-30", "20300102", "yesterday", "2030-01-0x"] {
            assert_eq!(parse_timestamp_or_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_like_to_iso_string() {
        assert_eq!(format_rfc3339_ms(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_rfc3339_ms(951_865_200_123.9), "2000-02-29T23:00:00.123Z");
        assert_eq!(format_rfc3339_ms(-1.0), "1969-12-31T23:59:59.999Z");
        for ms in [0.0, 1.5e12, 1.798e12, 4.1e12] {
            assert_eq!(parse_rfc3339_ms(&format_rfc3339_ms(ms)), Some(ms));
        }
    }

    #[test]
    fn http_date() {
        assert_eq!(parse_http_date_ms("Thu, 01 Jan 1970 00:00:10 GMT"), Some(10_000.0));
        assert_eq!(parse_http_date_ms("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777_000.0));
        assert_eq!(parse_http_date_ms("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date_ms("120"), None);
    }
}

//! The values every operation passes around, read with the client core's rules: ids (the core's
//! `is_uuid`) and timestamps (the core's parser), both kept in one canonical text form.

use prefect_wasm::client_core::uuid::is_uuid;
use prefect_wasm::client_core::time::parse_timestamp_or_date;
use rusqlite::types::{ToSql, ToSqlOutput};
use serde::de::{Deserialize, Deserializer, Error as _};

use crate::db::fmt_time;
use crate::error::ApiError;

/// A row id: a UUID as the core's `is_uuid` takes it (8-4-4-4-12 hex, any case), kept lowercase.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Id(String);

impl Id {
    pub fn parse(text: &str) -> Result<Id, ApiError> {
        if is_uuid(text) {
            Ok(Id(text.to_ascii_lowercase()))
        } else {
            Err(ApiError::bad_input(format!("invalid uuid: {text:?}")))
        }
    }

    /// A fresh random (v4) id.
    pub fn random() -> Id {
        Id(uuid::Uuid::new_v4().to_string())
    }

    /// An id read back from the store (written by `parse` or `random`).
    pub fn stored(text: String) -> Id {
        Id(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        let text = String::deserialize(d)?;
        Id::parse(&text).map_err(|e| D::Error::custom(e.message))
    }
}

impl ToSql for Id {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

impl serde::Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A timestamp in the stored form (`db::fmt_time`: fixed-width UTC, so text order is time
/// order), from any form the core's parser takes (a date alone is its midnight UTC).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time(String);

impl Time {
    pub fn parse(text: &str) -> Option<Time> {
        let t = parse_timestamp_or_date(text)?;
        chrono::DateTime::from_timestamp(t.unix_seconds, t.nanos).map(|t| Time(fmt_time(t)))
    }

    pub fn now() -> Time {
        Time(crate::db::now())
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        let text = String::deserialize(d)?;
        Time::parse(&text).ok_or_else(|| D::Error::custom(format!("invalid timestamp {text:?}")))
    }
}

impl ToSql for Time {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_core_rule() {
        assert_eq!(Id::parse("6B9F0C3E-1D2A-4C5B-9E8F-0A1B2C3D4E5F").unwrap().as_str(), "6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f");
        for bad in ["", "6b9f0c3e1d2a4c5b9e8f0a1b2c3d4e5f", "{6b9f0c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f}", "1' OR '1'='1"] {
            assert!(Id::parse(bad).is_err(), "{bad}");
        }
        assert!(is_uuid(Id::random().as_str()));
    }

    #[test]
    fn timestamps_normalise_to_one_sortable_form() {
        let t = |s: &str| Time::parse(s).map(Time::into_string);
        assert_eq!(t("2030-01-02T03:04:05Z").unwrap(), "2030-01-02T03:04:05.000000+00:00");
        assert_eq!(t("2030-01-02T05:04:05.5+02:00").unwrap(), "2030-01-02T03:04:05.500000+00:00");
        assert_eq!(t("2030-01-02 03:04:05.1234567").unwrap(), "2030-01-02T03:04:05.123456+00:00");
        assert_eq!(t("2030-01-02T03:04:05").unwrap(), "2030-01-02T03:04:05.000000+00:00");
        assert_eq!(t("2030-01-02").unwrap(), "2030-01-02T00:00:00.000000+00:00");
        assert!(t("yesterday").is_none());
        assert!(t("2030-13-02T03:04:05Z").is_none());
    }
}

//! Backend-neutral conversions between the database's values and the
//! model's: Unix-second timestamps, checked integer casts, ids and the
//! neutral analysis's subject and unit columns. Both backends store the same
//! values, so they share these.

use std::str::FromStr;
use std::time::Duration;

use filmroom_domain::{Subject, Unit};
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::types::{RecordingKind, Sha256Hex};

pub(crate) fn ts(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

pub(crate) fn from_ts(secs: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {secs}: {e}")))
}

pub(crate) fn from_opt_ts(secs: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    secs.map(from_ts).transpose()
}

pub(crate) fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

pub(crate) fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} {value} is too large")))
}

pub(crate) fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} {value} is negative")))
}

pub(crate) fn to_u32(value: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} {value} is out of range")))
}

pub(crate) fn parse_id<T: FromStr>(s: &str, what: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} {s:?} is not a valid id")))
}

/// The `subject_kind` and `subject` columns of a subject.
pub(crate) fn subject_columns(subject: &Subject) -> (&'static str, &str) {
    match subject {
        Subject::Recording => ("recording", ""),
        Subject::Side(side) => ("side", side),
        Subject::Participant(key) => ("participant", key),
    }
}

pub(crate) fn subject_from(kind: &str, subject: String) -> Result<Subject, StoreError> {
    match kind {
        "recording" => Ok(Subject::Recording),
        "side" => Ok(Subject::Side(subject)),
        "participant" => Ok(Subject::Participant(subject)),
        other => Err(StoreError::Corrupt(format!("subject kind {other:?}"))),
    }
}

pub(crate) fn unit_from(name: &str) -> Result<Unit, StoreError> {
    Unit::ALL
        .into_iter()
        .find(|u| u.as_str() == name)
        .ok_or_else(|| StoreError::Corrupt(format!("metric unit {name:?}")))
}

pub(crate) fn parse_sha(s: &str) -> Result<Sha256Hex, StoreError> {
    Sha256Hex::parse(s).map_err(|_| StoreError::Corrupt(format!("sha256 {s:?}")))
}

pub(crate) fn parse_kind(s: &str) -> Result<RecordingKind, StoreError> {
    RecordingKind::parse(s).map_err(|_| StoreError::Corrupt(format!("recording kind {s:?}")))
}

/// The words of a coach search: runs of letters and digits; everything
/// else (search operators and quotes included) only separates them. Each
/// backend builds its full-text query from these, so no text is a syntax
/// error in either.
pub(crate) fn search_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect()
}

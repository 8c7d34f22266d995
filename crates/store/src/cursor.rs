//! The keyset cursor of a recordings list: where the next page starts, as
//! the last row's sort key and id, and its opaque text form for URLs.

use std::fmt::{self, Write as _};

use crate::model::RecordingOrder;
use crate::types::RecordingId;

/// The sort key of a row as the database compares it. Unknown values are
/// stored as a value past every real one (see migration 0009), so a key is
/// never NULL and "after this row" is a plain comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum CursorKey {
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// "Continue after this row" for a list in one sort and direction.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordingCursor {
    pub sort: RecordingOrder,
    pub descending: bool,
    pub key: CursorKey,
    pub id: RecordingId,
}

fn sort_code(sort: RecordingOrder) -> char {
    match sort {
        RecordingOrder::OccurredAt => 'o',
        RecordingOrder::UploadedAt => 'u',
        RecordingOrder::Duration => 'd',
        RecordingOrder::Title => 't',
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

/// `<sort><a|d>.<id>.<key>`: only URL-safe characters, text keys in hex.
impl fmt::Display for RecordingCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let direction = if self.descending { 'd' } else { 'a' };
        let key = match &self.key {
            CursorKey::Int(n) => format!("i{n}"),
            CursorKey::Real(x) => format!("r{:016x}", x.to_bits()),
            CursorKey::Text(s) => format!("t{}", hex(s.as_bytes())),
            CursorKey::Blob(b) => format!("b{}", hex(b)),
        };
        write!(f, "{}{direction}.{}.{key}", sort_code(self.sort), self.id)
    }
}

impl RecordingCursor {
    /// Reads [`RecordingCursor`]'s text form; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '.');
        let (head, id, key) = (parts.next()?, parts.next()?, parts.next()?);
        let mut head = head.chars();
        let sort = match head.next()? {
            'o' => RecordingOrder::OccurredAt,
            'u' => RecordingOrder::UploadedAt,
            'd' => RecordingOrder::Duration,
            't' => RecordingOrder::Title,
            _ => return None,
        };
        let descending = match head.next()? {
            'd' => true,
            'a' => false,
            _ => return None,
        };
        if head.next().is_some() {
            return None;
        }
        let (tag, value) = key.split_at_checked(1)?;
        let key = match tag {
            "i" => CursorKey::Int(value.parse().ok()?),
            "r" if value.len() == 16 => {
                CursorKey::Real(f64::from_bits(u64::from_str_radix(value, 16).ok()?))
            }
            "t" => CursorKey::Text(String::from_utf8(unhex(value)?).ok()?),
            "b" => CursorKey::Blob(unhex(value)?),
            _ => return None,
        };
        Some(Self {
            sort,
            descending,
            key,
            id: id.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_survives_its_text_form() {
        let id = RecordingId::new_random();
        for (sort, key) in [
            (RecordingOrder::OccurredAt, CursorKey::Int(-1_700_000_000)),
            (RecordingOrder::Duration, CursorKey::Real(f64::NEG_INFINITY)),
            (RecordingOrder::Duration, CursorKey::Real(312.25)),
            (
                RecordingOrder::Title,
                CursorKey::Text("Ünder · 3v3. x".into()),
            ),
            (RecordingOrder::Title, CursorKey::Blob(Vec::new())),
            (RecordingOrder::UploadedAt, CursorKey::Int(0)),
        ] {
            for descending in [true, false] {
                let cursor = RecordingCursor {
                    sort,
                    descending,
                    key: key.clone(),
                    id,
                };
                let text = cursor.to_string();
                assert!(
                    text.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)),
                    "{text}"
                );
                assert_eq!(RecordingCursor::parse(&text), Some(cursor));
            }
        }
    }

    #[test]
    fn anything_else_is_not_a_cursor() {
        let id = RecordingId::new_random();
        for text in [
            String::new(),
            "od".to_owned(),
            format!("xd.{id}.i1"),
            format!("odd.{id}.i1"),
            "od.not-an-id.i1".to_owned(),
            format!("od.{id}.q1"),
            format!("od.{id}.i"),
            format!("od.{id}.r12"),
            format!("ta.{id}.tzz"),
            format!("ta.{id}.tabc"),
            format!("ta.{id}.tff"),
        ] {
            assert_eq!(RecordingCursor::parse(&text), None, "{text}");
        }
    }
}

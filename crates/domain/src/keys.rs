//! The small vocabularies of the seam: a domain's kind and the keys of
//! metrics, facets, sides and event kinds. They are stored, filtered on and
//! written into URLs, so they are restricted to lowercase ASCII.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The kind of a recording and of the domain that analyses it, e.g.
/// `rl_replay`: `[a-z][a-z0-9_]*`, at most 32 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Kind(Cow<'static, str>);

/// Longest kind accepted: it is a column value and part of URLs.
const MAX_KIND_LEN: usize = 32;

/// A string that is not a valid [`Kind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a kind: use a lowercase letter then lowercase letters, digits or '_' (at most 32)"
)]
pub struct KindError(pub String);

const fn kind_is_valid(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_KIND_LEN || !bytes[0].is_ascii_lowercase() {
        return false;
    }
    let mut i = 1;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return false;
        }
        i += 1;
    }
    true
}

impl Kind {
    /// Parses a kind from untrusted text.
    pub fn parse(s: &str) -> Result<Self, KindError> {
        if kind_is_valid(s) {
            Ok(Self(Cow::Owned(s.to_owned())))
        } else {
            Err(KindError(s.to_owned()))
        }
    }

    /// A kind written in a domain's source. Meant for `const` items, where an
    /// invalid kind stops the build instead of failing at run time.
    pub const fn from_static(s: &'static str) -> Self {
        assert!(kind_is_valid(s), "invalid kind");
        Self(Cow::Borrowed(s))
    }

    /// The kind as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Kind {
    type Error = KindError;
    fn try_from(s: String) -> Result<Self, KindError> {
        if kind_is_valid(&s) {
            Ok(Self(Cow::Owned(s)))
        } else {
            Err(KindError(s))
        }
    }
}

impl From<Kind> for String {
    fn from(kind: Kind) -> String {
        kind.0.into_owned()
    }
}

/// Longest metric key, facet, side or event kind accepted.
const MAX_KEY_LEN: usize = 64;

/// A metric key: `[a-z0-9_.]+`, e.g. `boost.bpm` (family, dot, field).
pub fn is_metric_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_KEY_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

/// A facet, side, event kind or degradation code: `[a-z0-9_]+`.
pub fn is_name_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_KEY_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn kinds_are_lowercase_identifiers() {
        assert_eq!(Kind::parse("rl_replay").unwrap().as_str(), "rl_replay");
        assert!(Kind::parse("talk2").is_ok());
        for bad in [
            "",
            "2talk",
            "_x",
            "RL",
            "rl-replay",
            "rl replay",
            &"a".repeat(33),
        ] {
            assert!(Kind::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_static_kind_equals_the_parsed_one_and_round_trips_through_json() {
        const RL: Kind = Kind::from_static("rl_replay");
        assert_eq!(RL, Kind::parse("rl_replay").unwrap());
        let json = serde_json::to_string(&RL).unwrap();
        assert_eq!(json, "\"rl_replay\"");
        assert_eq!(serde_json::from_str::<Kind>(&json).unwrap(), RL);
        assert!(serde_json::from_str::<Kind>("\"Bad Kind\"").is_err());
    }

    #[test]
    fn metric_keys_allow_dots_and_name_keys_do_not() {
        assert!(is_metric_key("boost.bpm"));
        assert!(is_metric_key("pace_wpm"));
        assert!(!is_metric_key("Boost.bpm"));
        assert!(!is_metric_key("boost bpm"));
        assert!(!is_metric_key(""));
        assert!(is_name_key("team_size"));
        assert!(!is_name_key("team.size"));
        assert!(!is_name_key("blue-team"));
    }
}

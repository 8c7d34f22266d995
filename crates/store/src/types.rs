//! Domain newtypes: parsed once at the edge, never raw strings inside.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random (v4) id.
            // No `Default`: a default id would be either nil (looks valid,
            // matches nothing) or random (a surprise from `Default`).
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }

            /// A fresh random (v4) id; the same as [`Self::new`].
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A user account.
    UserId
);
uuid_id!(
    /// One stored recording (one distinct file, whoever uploaded it).
    RecordingId
);
uuid_id!(
    /// One analysis job.
    JobId
);
uuid_id!(
    /// One personal API token (the id, not the secret).
    ApiTokenId
);
uuid_id!(
    /// One conversation with the coach.
    ConversationId
);
uuid_id!(
    /// One message of a conversation; chosen by the caller before it is
    /// saved, so a usage record can name it first.
    MessageId
);
uuid_id!(
    /// One note the user or the coach keeps about the user's play.
    NoteId
);
uuid_id!(
    /// One metered call to a model provider.
    UsageRecordId
);
uuid_id!(
    /// An amount held against a user's budget until the call it pays for is settled.
    BudgetReservationId
);

/// Why a username was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("a username must be 3 to 32 characters long")]
    Length,
    #[error("a username may contain only ASCII letters, digits, '_', '-' and '.'")]
    Character,
    #[error("a username must start with a letter or a digit")]
    Start,
}

/// A valid username: 3 to 32 characters, ASCII letters, digits, `_`, `-` and
/// `.`, starting with a letter or digit. Case is kept for display; uniqueness
/// is case-insensitive in the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 32;

    pub fn parse(input: &str) -> Result<Self, UsernameError> {
        let len = input.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(UsernameError::Length);
        }
        if !input
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(UsernameError::Character);
        }
        if !input.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(UsernameError::Start);
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why a SHA-256 hex string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a SHA-256 digest as exactly 64 hexadecimal characters")]
pub struct Sha256HexError;

/// A SHA-256 digest as 64 lower-case hex characters: the key of a recording's
/// file, and the stored form of session ids and API tokens.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// Accepts exactly 64 hex digits (either case) and nothing else: this is
    /// what makes an object key safe to use as a path.
    pub fn parse(input: &str) -> Result<Self, Sha256HexError> {
        if input.len() == 64 && input.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(input.to_ascii_lowercase()))
        } else {
            Err(Sha256HexError)
        }
    }

    /// The digest of `bytes`.
    pub fn digest(bytes: &[u8]) -> Self {
        Self::from_digest(&Sha256::digest(bytes))
    }

    fn from_digest(digest: &[u8]) -> Self {
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A SHA-256 computed piece by piece, for bytes that arrive in chunks and
/// are never all in memory at once.
#[derive(Clone, Default)]
pub struct Sha256Stream(Sha256);

impl Sha256Stream {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn finish(self) -> Sha256Hex {
        Sha256Hex::from_digest(&self.0.finalize())
    }
}

impl JobId {
    /// The id `owner` knows this job by. A job belongs to a recording, which
    /// every owner of the same bytes shares; showing each owner a different
    /// id keeps one owner from learning, through an id, that someone else
    /// uploaded those bytes first. Derived, not stored: stable for an owner,
    /// and unguessable without the real id.
    pub fn as_seen_by(self, owner: UserId) -> JobId {
        let mut hash = Sha256::new();
        hash.update(b"filmroom job as seen by its owner\0");
        hash.update(self.0.as_bytes());
        hash.update(owner.0.as_bytes());
        let digest = hash.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        JobId(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Sha256Hex {
    type Err = Sha256HexError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for Sha256Hex {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What a recording is, which decides the analysis that runs on it: the
/// kind of the domain that analyses it (`rl_replay`), as the domain seam
/// spells it. Stored as text; the store knows no domain.
pub type RecordingKind = filmroom_domain::Kind;

/// Where a job is in its life.
///
/// A failed attempt that will be retried goes back to `Queued` with
/// `attempts > 0`, `last_error` set and `run_after` in the future.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Done,
    /// Out of attempts: the dead-letter state, with the last error kept.
    Dead,
}

impl JobState {
    pub fn as_str(&self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(JobState::Queued),
            "running" => Some(JobState::Running),
            "done" => Some(JobState::Done),
            "dead" => Some(JobState::Dead),
            _ => None,
        }
    }
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),*
        }

        impl $name {
            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

text_enum!(
    /// Who wrote a message of a conversation.
    MessageRole {
        User => "user",
        Assistant => "assistant",
    }
);

text_enum!(
    /// Who wrote a note: the user by hand, or the coach through a tool.
    NoteAuthor {
        User => "user",
        Coach => "coach",
    }
);

text_enum!(
    /// How a metered model call ended.
    UsageOutcome {
        Ok => "ok",
        /// The answer stopped at a token limit.
        Truncated => "truncated",
        Error => "error",
    }
);

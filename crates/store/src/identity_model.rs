//! Plain types of "me": where a user's identity link comes from, and what the
//! account page and `/api/v1/me/identities` show of it.

use time::OffsetDateTime;

/// Who made an identity link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkSource {
    /// The user said so (the player-names form, the identities API).
    User,
    /// The platform inferred it from the user's recordings (see
    /// [`INFERENCE_MIN_RECORDINGS`]); replaced by any link of the user's own.
    Inferred,
}

impl LinkSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Inferred => "inferred",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "user" => Some(Self::User),
            "inferred" => Some(Self::Inferred),
            _ => None,
        }
    }
}

/// The fewest of a user's analysed recordings of a kind a participant must be
/// in before the platform infers that it is them (unless it plays under the
/// user's username): one or two games are no evidence, since every player in
/// them is in all of them.
pub const INFERENCE_MIN_RECORDINGS: u64 = 3;

/// What the user's recordings of one kind say about who they are.
#[derive(Debug, Clone, PartialEq)]
pub struct KindIdentities {
    pub kind: String,
    /// The user's analysed recordings of this kind.
    pub recordings: u64,
    /// Those in which one of the links names a participant ("me" is known).
    pub recognized: u64,
    /// The display name "me" has in the newest recognized recording.
    pub appears_as: Option<String>,
    /// The links of this kind, the user's own first.
    pub links: Vec<LinkedIdentity>,
    /// The human participants of the user's recordings, most frequent first
    /// (at most [`MAX_IDENTITY_CANDIDATES`]): who the user could say they are.
    pub candidates: Vec<IdentityCandidate>,
}

/// How many candidates [`KindIdentities::candidates`] lists at most.
pub const MAX_IDENTITY_CANDIDATES: u32 = 12;

#[derive(Debug, Clone, PartialEq)]
pub struct LinkedIdentity {
    pub participant: String,
    pub source: LinkSource,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdentityCandidate {
    pub participant: String,
    /// Its display name in the newest of the user's recordings it is in.
    pub display_name: String,
    /// How many of the user's recordings of the kind it is in.
    pub recordings: u64,
}

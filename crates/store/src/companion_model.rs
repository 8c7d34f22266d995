//! Plain types of what an upload brings besides its recording (companion
//! files such as a talk's transcript, and the recording's length) and of a
//! user's uploads of one kind in a day ([`crate::Store::add_upload_with`],
//! [`crate::Store::recording_companions`], [`crate::Store::uploads_since`]).

use crate::model::UploadOutcome;
use crate::types::{JobId, Sha256Hex};

/// A companion file to link to an upload's recording; its bytes are
/// already in object storage under `sha256`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCompanion {
    /// What it is for (`transcript`): one per recording and purpose.
    pub purpose: String,
    /// The extension it came with (`vtt`).
    pub extension: String,
    pub sha256: Sha256Hex,
    pub size: u64,
    pub original_filename: String,
}

/// What an upload brings besides the recording's bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UploadExtras {
    pub companions: Vec<NewCompanion>,
    /// The recording's length in seconds, when its domain can tell at
    /// upload: what per-day minute limits count.
    pub length_s: Option<f64>,
}

/// What [`crate::Store::add_upload_with`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadWithOutcome {
    pub upload: UploadOutcome,
    /// A re-analysis queued because an already stored recording got a
    /// companion it did not have (or a different one).
    pub reanalysis: Option<JobId>,
    /// Objects of replaced companions that nothing references any more: the
    /// caller may delete them.
    pub orphaned: Vec<Sha256Hex>,
}

/// A companion file stored with a recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCompanion {
    pub purpose: String,
    pub extension: String,
    pub sha256: Sha256Hex,
    pub size: u64,
    pub original_filename: String,
}

/// A user's uploads of one kind since some time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UploadUse {
    /// Recordings linked to the user in the period (a recording counts once,
    /// however many times it is sent).
    pub uploads: u64,
    /// Their lengths added up, seconds (recordings of unknown length add 0).
    pub seconds: f64,
}

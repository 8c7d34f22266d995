//! The types of data rights: deleting a recording, erasing a user, the
//! deferred deletion of their files, exporting what a user owns, and the
//! audit log of what administrators and erasures did.

use time::OffsetDateTime;

use crate::types::{RecordingId, Sha256Hex};

/// What [`crate::Store::remove_recording`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingRemoval {
    pub recording: RecordingId,
    /// `true` when the caller was the last owner: the recording, its analysis
    /// and jobs are gone, and its object is queued for deletion.
    pub deleted_everywhere: bool,
}

/// What [`crate::Store::erase_user`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Erasure {
    /// Recordings only this user owned: deleted, their objects queued for deletion.
    pub recordings_deleted: u64,
    /// Recordings other users also own: they stay theirs.
    pub recordings_kept: u64,
}

/// What one pass of [`crate::Store::purge_objects`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeOutcome {
    /// Objects deleted (or found already gone).
    pub deleted: u64,
    /// Queued objects a new upload of the same bytes wants again: kept.
    pub kept: u64,
    /// Deletions that failed and stay queued for the next pass.
    pub failed: u64,
}

/// One file a user uploaded, as they named it: what an export contains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedFile {
    pub recording: RecordingId,
    pub sha256: Sha256Hex,
    pub size: u64,
    pub kind: String,
    pub original_filename: String,
    pub uploaded_at: OffsetDateTime,
}

/// One line of the admin audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: OffsetDateTime,
    /// Who acted: `"self"` for a user erasing their own account, `"operator"`
    /// for the CLI, or an administrator's id.
    pub actor: String,
    pub action: String,
    /// What happened, as JSON; never the erased user's id or name.
    pub detail: String,
}

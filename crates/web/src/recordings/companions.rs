//! Companion files in an upload batch (a talk's transcript beside its
//! media): which parts are companions, receiving them, and pairing each
//! with its recording.
//!
//! The pairing rule: a companion goes with the recording of the same batch
//! whose file name, without its extension, is the companion's name without
//! its extension, ignoring case (`Talk.mp4` and `talk.vtt`; folders in the
//! names are ignored). A file is a companion when some registered domain
//! declares its extension ([`Domain::companions`]); the recording it pairs
//! with must be of a domain that accepts that extension.

use std::sync::Arc;

use axum::extract::multipart::Field;
use axum::http::StatusCode;
use filmroom_domain::{CompanionFile, Domain, Registry};
use filmroom_store::{Sha256Hex, Sha256Stream};

use super::uploads::{Received, Room, UploadGate, file_too_large, multipart_error};
use crate::error::AppError;

/// The code of a companion its domain cannot read.
pub const UNREADABLE: &str = "unreadable_companion";

/// A companion received whole, waiting for its batch's pairing.
pub struct StagedCompanion {
    pub filename: String,
    /// Lower case, without the dot.
    pub extension: String,
    pub bytes: Vec<u8>,
    pub sha256: Sha256Hex,
}

/// The extension of `filename` (lower case) when some domain takes files
/// with it as companions.
pub fn companion_extension(registry: &Registry, filename: &str) -> Option<String> {
    let (_, extension) = split_name(filename);
    let extension = extension?;
    registry
        .domains()
        .any(|d| d.companions().iter().any(|c| c.extension == extension))
        .then_some(extension)
}

/// The largest companion of `extension` any domain takes.
fn companion_limit(registry: &Registry, extension: &str) -> u64 {
    registry
        .domains()
        .flat_map(|d| d.companions().iter())
        .filter(|c| c.extension == extension)
        .map(|c| c.max_bytes)
        .max()
        .unwrap_or(0)
}

/// The name's stem and extension, lower case, without folders.
fn split_name(filename: &str) -> (String, Option<String>) {
    let base = filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(filename)
        .to_lowercase();
    match base.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() && !extension.is_empty() => {
            (stem.to_owned(), Some(extension.to_owned()))
        }
        _ => (base, None),
    }
}

/// The stem recordings and companions are paired by.
pub fn stem(filename: &str) -> String {
    split_name(filename).0
}

/// Receives a companion part whole (companions are small: each domain caps
/// them), within the upload room and the upload limit.
pub async fn receive(
    gate: &UploadGate,
    registry: &Registry,
    max_file_bytes: u64,
    field: &mut Field<'_>,
    filename: String,
    extension: String,
    room: &mut Room,
) -> Result<StagedCompanion, Received> {
    let limit = companion_limit(registry, &extension).min(max_file_bytes);
    let mut bytes = Vec::new();
    let mut hash = Sha256Stream::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        room.take(gate, chunk.len())?;
        if u64::try_from(bytes.len() + chunk.len()).unwrap_or(u64::MAX) > limit {
            return Err(Received::File(file_too_large(&filename, limit)));
        }
        hash.update(&chunk);
        bytes.extend_from_slice(&chunk);
    }
    Ok(StagedCompanion {
        filename,
        extension,
        bytes,
        sha256: hash.finish(),
    })
}

/// Checks a companion against the domain of the recording it pairs with:
/// the domain must take its extension, and must be able to read it. The
/// error names both files.
pub fn check(
    domain: &Arc<dyn Domain>,
    media: &str,
    companion: &StagedCompanion,
) -> Result<&'static str, AppError> {
    let Some(declared) = domain
        .companions()
        .iter()
        .find(|c| c.extension == companion.extension)
    else {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "companion_not_accepted",
            format!(
                "{:?} cannot go with {media:?}: a {} takes no .{} file beside it.",
                companion.filename,
                domain.display_name(),
                companion.extension
            ),
        ));
    };
    let file = CompanionFile {
        extension: &companion.extension,
        purpose: declared.purpose,
        bytes: &companion.bytes,
    };
    domain.check_companion(file).map_err(|error| AppError {
        source: Some(anyhow::Error::from(error)),
        ..AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            UNREADABLE,
            format!(
                "{:?} cannot be read as the {} of {media:?}, so neither file was stored: \
                 check that it is valid.",
                companion.filename, declared.purpose
            ),
        )
    })?;
    Ok(declared.purpose)
}

/// The error of a companion no recording of the batch goes with.
pub fn without_media(companion: &str) -> AppError {
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "companion_without_media",
        format!(
            "{companion:?} goes with a recording of the same name, sent in the same upload; \
             no recording here is named {:?} with another extension.",
            stem(companion)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_pair_by_their_stem_ignoring_case_folders_and_the_extension() {
        assert_eq!(stem("Talk.MP4"), "talk");
        assert_eq!(stem("rehearsals/talk.vtt"), "talk");
        assert_eq!(stem("C:\\talks\\talk.final.srt"), "talk.final");
        assert_eq!(stem("noextension"), "noextension");
        assert_eq!(split_name(".vtt"), (".vtt".to_owned(), None));
    }
}

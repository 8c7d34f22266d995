//! Why a model could not be loaded or a transcription could not run.

use std::path::PathBuf;

/// Every failure names the file (and, for a broken model file, the section and byte
/// offset) so that a bad setup is reported once, clearly, at load; nothing here
/// panics on a broken or foreign file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AsrError {
    #[error("the speech model {} does not exist (run scripts/setup to install the bundled Whisper tiny.en)", path.display())]
    NotFound { path: PathBuf },

    #[error("could not read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file ends before a section it announced.
    #[error("{} is truncated: {section} at byte {offset} needs {needed} bytes but only {available} remain", path.display())]
    Truncated {
        path: PathBuf,
        section: String,
        offset: usize,
        needed: usize,
        available: usize,
    },

    /// The bytes are not a CTranslate2 Whisper model this reader understands.
    #[error("{} is not a CTranslate2 Whisper model: {reason} (at byte {offset})", path.display())]
    Format {
        path: PathBuf,
        offset: usize,
        reason: String,
    },

    /// A variable the Whisper architecture needs is missing or has the wrong shape.
    #[error("{} does not hold a usable Whisper model: {reason}", path.display())]
    Weights { path: PathBuf, reason: String },

    #[error("{} is not a usable Whisper configuration or tokenizer: {reason}", path.display())]
    Config { path: PathBuf, reason: String },

    /// The audio cannot be transcribed (empty is fine; NaN or infinite samples are not).
    #[error("invalid audio: {0}")]
    Audio(String),

    /// The model failed while running; a bug or an exhausted machine, not bad input.
    #[error("speech recognition failed")]
    Inference(#[from] candle_core::Error),
}

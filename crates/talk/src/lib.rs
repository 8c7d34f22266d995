//! Talks as a filmroom domain (kind `talk`): a recorded presentation in
//! (video or audio), delivery measured from the audio and the timed words,
//! a 0-100 score whose every lost point is a flag with its moment, and the
//! neutral analysis, coach digest and page of `filmroom-domain`.
//!
//! Audio is decoded with symphonia (ffmpeg for codecs it lacks) to 16 kHz
//! mono; speech recognition is behind the [`Transcriber`] seam, and a
//! transcript file can stand in for it. docs/talk.md defines every number.

#![warn(missing_docs)]

pub mod decode;
pub mod definitions;
mod domain;
pub mod length;
pub mod media;
pub mod neutral;
pub mod page;
pub mod pitch;
pub mod report;
pub mod score;
pub mod transcript;
pub mod voice;
pub mod words;

pub use domain::{KIND, MAX_BYTES, TRANSCRIPT, Talk, TalkConfig, coach_digest, coach_profile};
pub use words::{TimedWord, TranscribeError, Transcriber};

/// The analysis revision: bumped whenever what the analysis produces
/// changes.
pub const REVISION: u32 = 1;

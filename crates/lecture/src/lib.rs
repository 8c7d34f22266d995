//! Lectures as a filmroom domain (kind `lecture`): a caption file (WebVTT,
//! SubRip), a Markdown or plain-text document in; passages out, each a
//! chunk sized for the embedding model and placed at its time in the media
//! (or its page), for hybrid retrieval (crates/retrieval) and cited answers.
//!
//! Media reach the same chunker through the talk domain's decoding and
//! [`Transcriber`](filmroom_talk::Transcriber) ([`source::timed_words`]).
//! docs/lecture.md documents the formats, the chunking and every number.

#![warn(missing_docs)]

pub mod chunk;
mod domain;
pub mod report;
pub mod source;

pub use chunk::{ApproxTokens, Chunk, ChunkConfig, CountTokens, chunk};
pub use domain::{Format, KIND, Lecture, LectureConfig, MAX_BYTES, corpus_chunks, read_source};
pub use source::{Place, SourceError, SourceSection, Unit};

/// The analysis revision: bumped whenever what the analysis produces
/// changes.
pub const REVISION: u32 = 1;

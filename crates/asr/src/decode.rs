//! Greedy decoding of one 30-second window with Whisper's timestamp rules, and the
//! window's token stream cut into timed segments of words.
//!
//! Follows openai/whisper's `decoding.py` at temperature 0: the suppressed tokens
//! from the model's settings, no blank or end of text as the first token, a
//! timestamp first (at most 1 s in), timestamps in pairs and never going back, a
//! timestamp forced when the timestamps together are more likely than any text
//! token. There is no temperature fallback: a window that runs to the token limit
//! keeps what it decoded. The window is dropped as silence when the no-speech
//! probability is above 0.6 and the average log-probability is below -1.

use candle_core::Tensor;
use candle_transformers::models::whisper::{self as w, Config, model};
use tokenizers::Tokenizer;

use crate::align::word_times;
use crate::decoder::TextDecoder;

/// Whisper's time resolution: one timestamp token per 20 ms, two mel frames.
const TIME_PRECISION_S: f64 = 0.02;
const FRAMES_PER_TIMESTAMP: usize = 2;
/// The first timestamp may not be later than 1 s into the window.
const MAX_INITIAL_TIMESTAMP: u32 = 50;

pub struct SpecialTokens {
    /// The prompt: start of transcript, then language and task for a multilingual model.
    pub prompt: Vec<u32>,
    pub eot: u32,
    pub no_timestamps: u32,
    pub no_speech: Option<u32>,
    pub timestamp_begin: u32,
}

impl SpecialTokens {
    pub fn find(tokenizer: &Tokenizer, config: &Config) -> Result<Self, String> {
        let id = |t: &str| {
            tokenizer
                .token_to_id(t)
                .ok_or_else(|| format!("the tokenizer has no {t} token"))
        };
        let sot = id(w::SOT_TOKEN)?;
        let no_timestamps = id(w::NO_TIMESTAMPS_TOKEN)?;
        // English-only models (vocabulary 51864) take no language or task token.
        let prompt = if config.vocab_size > 51864 {
            vec![sot, id("<|en|>")?, id(w::TRANSCRIBE_TOKEN)?]
        } else {
            vec![sot]
        };
        let timestamp_begin = no_timestamps + 1;
        if timestamp_begin as usize >= config.vocab_size {
            return Err("the vocabulary has no timestamp tokens".into());
        }
        Ok(Self {
            prompt,
            eot: id(w::EOT_TOKEN)?,
            no_timestamps,
            no_speech: w::NO_SPEECH_TOKENS
                .iter()
                .find_map(|t| tokenizer.token_to_id(t)),
            timestamp_begin,
        })
    }
}

pub struct Decoder<'a> {
    /// candle-transformers' model, for its audio encoder.
    pub model: &'a mut model::Whisper,
    pub text: &'a TextDecoder,
    pub tokenizer: &'a Tokenizer,
    pub special: &'a SpecialTokens,
    pub suppress: &'a [u32],
    pub suppress_begin: &'a [u32],
    /// Cross-attention word timing, when the model's alignment heads are known.
    pub alignment_heads: Option<&'a [(usize, usize)]>,
}

/// A word: its text, its tokens and, when aligned, its times from the window start.
pub struct RawWord {
    pub text: String,
    pub tokens: Vec<u32>,
    pub times: Option<(f64, f64)>,
}

/// A segment inside a window: times from the window's start.
pub struct RawSegment {
    pub text: String,
    pub words: Vec<RawWord>,
    pub start_s: f64,
    pub end_s: f64,
}

pub struct WindowResult {
    pub segments: Vec<RawSegment>,
    pub no_speech_prob: f32,
    pub avg_logprob: f32,
    /// How far the next window starts, in mel frames.
    pub advance_frames: usize,
}

impl Decoder<'_> {
    pub fn window(
        &mut self,
        mel: &Tensor,
        window_s: f64,
    ) -> Result<WindowResult, candle_core::Error> {
        let size_frames = (window_s * 100.0).round() as usize;
        let features = self.model.encoder.forward(mel, true)?;
        let mut state = self.text.start(&features)?;
        let mut tokens = self.special.prompt.clone();
        let sample_begin = tokens.len();
        let max_sampled = self.text.max_tokens() / 2;
        let mut pass = self.text.pass(&mut state, &tokens)?;
        let mut no_speech_prob = 0.0;
        if let Some(ns) = self.special.no_speech {
            let first = self.text.logits(&pass.hidden, 0)?;
            no_speech_prob = softmax_at(&first, ns as usize);
        }
        let mut sum_logprob = 0.0f64;
        for _ in 0..max_sampled {
            let (_, n, _) = pass.hidden.dims3()?;
            let mut logits = self.text.logits(&pass.hidden, n - 1)?;
            self.apply_rules(&mut logits, &tokens[sample_begin..]);
            let Some(next) = argmax(&logits) else { break };
            sum_logprob += f64::from(log_softmax_at(&logits, next));
            let next = next as u32;
            tokens.push(next);
            if next == self.special.eot {
                break;
            }
            pass = self.text.pass(&mut state, &[next])?;
        }
        let sampled: Vec<u32> = tokens[sample_begin..]
            .iter()
            .copied()
            .filter(|&t| t != self.special.eot)
            .collect();
        let avg_logprob = (sum_logprob / (sampled.len() + 1) as f64) as f32;
        if no_speech_prob > w::NO_SPEECH_THRESHOLD as f32
            && f64::from(avg_logprob) < w::LOGPROB_THRESHOLD
        {
            return Ok(WindowResult {
                segments: Vec::new(),
                no_speech_prob,
                avg_logprob,
                advance_frames: size_frames,
            });
        }
        let (mut segments, advance_frames) = self.segments(&sampled, window_s, size_frames);
        if let Some(heads) = self.alignment_heads {
            let groups: Vec<Vec<u32>> = segments
                .iter()
                .flat_map(|s| s.words.iter().map(|w| w.tokens.clone()))
                .collect();
            let times = word_times(
                self.text,
                &state,
                self.special,
                &groups,
                heads,
                size_frames.div_ceil(2),
            )?;
            let words = segments.iter_mut().flat_map(|s| s.words.iter_mut());
            for (word, t) in words.zip(times) {
                word.times = Some(t);
            }
        }
        Ok(WindowResult {
            segments,
            no_speech_prob,
            avg_logprob,
            advance_frames,
        })
    }

    fn apply_rules(&self, logits: &mut [f32], sampled: &[u32]) {
        let tb = self.special.timestamp_begin as usize;
        let eot = self.special.eot as usize;
        let n = logits.len();
        let mut mask = |range: std::ops::Range<usize>| {
            for l in &mut logits[range.start.min(n)..range.end.min(n)] {
                *l = f32::NEG_INFINITY;
            }
        };
        for &t in self.suppress {
            mask(t as usize..t as usize + 1);
        }
        mask(self.special.no_timestamps as usize..self.special.no_timestamps as usize + 1);
        if sampled.is_empty() {
            for &t in self.suppress_begin {
                mask(t as usize..t as usize + 1);
            }
            mask(0..tb);
            mask(tb + MAX_INITIAL_TIMESTAMP as usize + 1..n);
        }
        let is_ts = |t: &u32| *t as usize >= tb;
        let last_ts = sampled.last().is_some_and(is_ts);
        let penultimate_ts = sampled.len() < 2 || is_ts(&sampled[sampled.len() - 2]);
        if last_ts {
            if penultimate_ts {
                mask(tb..n);
            } else {
                mask(0..eot);
            }
        }
        if let Some(&latest) = sampled.iter().rev().find(|t| is_ts(t)) {
            // A closing timestamp may repeat the one before it; an opening one moves on.
            let floor = if last_ts && !penultimate_ts {
                latest
            } else {
                latest + 1
            };
            mask(tb..floor as usize);
        }
        let log_probs = log_softmax(logits);
        let ts_logprob = log_sum_exp(&log_probs[tb.min(n)..]);
        let max_text = log_probs[..tb.min(n)]
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max);
        if ts_logprob > max_text {
            for l in &mut logits[..tb.min(n)] {
                *l = f32::NEG_INFINITY;
            }
        }
    }

    /// Cuts the tokens at timestamp pairs, as `transcribe.py` does, and says where
    /// the next window starts.
    fn segments(
        &self,
        tokens: &[u32],
        window_s: f64,
        size_frames: usize,
    ) -> (Vec<RawSegment>, usize) {
        let tb = self.special.timestamp_begin;
        let is_ts = |t: u32| t >= tb;
        let seconds = |t: u32| f64::from(t - tb) * TIME_PRECISION_S;
        let single_ending = tokens.len() >= 2
            && !is_ts(tokens[tokens.len() - 2])
            && is_ts(tokens[tokens.len() - 1]);
        let mut cuts: Vec<usize> = (1..tokens.len())
            .filter(|&i| is_ts(tokens[i - 1]) && is_ts(tokens[i]))
            .collect();
        let mut out = Vec::new();
        if cuts.is_empty() {
            let end = tokens
                .iter()
                .rev()
                .find(|&&t| is_ts(t) && t != tb)
                .map_or(window_s, |&t| seconds(t));
            out.extend(self.segment(tokens, 0.0, end));
            return (out, size_frames);
        }
        if single_ending {
            cuts.push(tokens.len());
        }
        let mut last = 0;
        for &cut in &cuts {
            let slice = &tokens[last..cut];
            if let (Some(&first), Some(&end)) = (slice.first(), slice.last())
                && is_ts(first)
                && is_ts(end)
            {
                out.extend(self.segment(slice, seconds(first), seconds(end)));
            }
            last = cut;
        }
        let advance = if single_ending {
            size_frames
        } else {
            let last_ts = tokens[last - 1];
            // A last segment ending at 0.00 would move nowhere: take the window.
            match (last_ts - tb) as usize * FRAMES_PER_TIMESTAMP {
                0 => size_frames,
                frames => frames,
            }
        };
        (out, advance)
    }

    fn segment(&self, tokens: &[u32], start_s: f64, end_s: f64) -> Option<RawSegment> {
        let text_tokens: Vec<u32> = tokens
            .iter()
            .copied()
            .filter(|&t| t < self.special.eot)
            .collect();
        let words = self.words(&text_tokens);
        if words.is_empty() {
            return None;
        }
        Some(RawSegment {
            text: self
                .tokenizer
                .decode(&text_tokens, true)
                .unwrap_or_default()
                .trim()
                .to_owned(),
            words,
            start_s,
            end_s,
        })
    }

    /// Words are runs of tokens, a new one starting at each token that begins with
    /// a space (byte-level BPE writes it as `Ġ`); decoding a run at once keeps
    /// characters split across tokens whole.
    fn words(&self, tokens: &[u32]) -> Vec<RawWord> {
        let mut groups: Vec<Vec<u32>> = Vec::new();
        for &t in tokens {
            let starts_word = self
                .tokenizer
                .id_to_token(t)
                .is_some_and(|s| s.starts_with('Ġ') || s.starts_with(' '));
            match groups.last_mut() {
                Some(g) if !starts_word => g.push(t),
                _ => groups.push(vec![t]),
            }
        }
        groups
            .into_iter()
            .filter_map(|tokens| {
                let text = self.tokenizer.decode(&tokens, true).ok()?.trim().to_owned();
                (!text.is_empty()).then_some(RawWord {
                    text,
                    tokens,
                    times: None,
                })
            })
            .collect()
    }
}

fn argmax(logits: &[f32]) -> Option<usize> {
    logits
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_finite())
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
}

fn log_sum_exp(xs: &[f32]) -> f32 {
    let max = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return f32::NEG_INFINITY;
    }
    max + xs.iter().map(|x| (x - max).exp()).sum::<f32>().ln()
}

fn log_softmax(xs: &[f32]) -> Vec<f32> {
    let lse = log_sum_exp(xs);
    xs.iter().map(|x| x - lse).collect()
}

fn log_softmax_at(xs: &[f32], i: usize) -> f32 {
    xs[i] - log_sum_exp(xs)
}

fn softmax_at(xs: &[f32], i: usize) -> f32 {
    xs.get(i).map_or(0.0, |x| (x - log_sum_exp(xs)).exp())
}

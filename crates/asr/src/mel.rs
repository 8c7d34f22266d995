//! The log-mel spectrogram Whisper reads: 16 kHz audio, a 400-sample (25 ms) Hann
//! window every 160 samples (10 ms), power spectrum through a mel filter bank,
//! log10, floored at 8 below the loudest value and scaled as Whisper was trained.
//!
//! The filter bank is computed here (the same construction as librosa's
//! `filters.mel(sr=16000, n_fft=400, n_mels=80)`, which produced the
//! `mel_filters.npz` Whisper ships): triangles on the Slaney mel scale (linear below
//! 1 kHz, logarithmic above), each divided by its width in Hz ("Slaney"
//! normalisation) so every band has the same area. The STFT and the log scaling are
//! candle-transformers' `pcm_to_mel`.

use candle_transformers::models::whisper::{Config, audio};

pub const SAMPLE_RATE: usize = 16_000;
pub const N_FFT: usize = 400;
pub const HOP: usize = 160;
/// Spectrum bins of a real 400-point FFT.
pub const N_BINS: usize = N_FFT / 2 + 1;

/// Slaney's mel scale: 3 mels per 200 Hz up to 1 kHz, then 27 mels per factor 6.4.
fn hz_to_mel(hz: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let log_step = 6.4f64.ln() / 27.0;
    if hz >= MIN_LOG_HZ {
        min_log_mel + (hz / MIN_LOG_HZ).ln() / log_step
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let log_step = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        MIN_LOG_HZ * (log_step * (mel - min_log_mel)).exp()
    } else {
        mel * F_SP
    }
}

/// `n_mels x N_BINS` weights, row-major (the layout `pcm_to_mel` reads).
pub fn mel_filters(n_mels: usize) -> Vec<f32> {
    let nyquist = SAMPLE_RATE as f64 / 2.0;
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(nyquist));
    // n_mels + 2 edges: band i rises from edge i, peaks at i+1, falls to i+2.
    let edges: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut weights = vec![0f32; n_mels * N_BINS];
    for (band, row) in weights.chunks_exact_mut(N_BINS).enumerate() {
        let (left, centre, right) = (edges[band], edges[band + 1], edges[band + 2]);
        let area_norm = 2.0 / (right - left);
        for (bin, w) in row.iter_mut().enumerate() {
            let hz = bin as f64 * SAMPLE_RATE as f64 / N_FFT as f64;
            let rising = (hz - left) / (centre - left);
            let falling = (right - hz) / (right - centre);
            *w = (rising.min(falling).max(0.0) * area_norm) as f32;
        }
    }
    weights
}

/// The spectrogram of `samples`, `n_mels` rows of `frames` values, row-major.
/// `pcm_to_mel` pads the audio with at least 15 s of silence (rounded up to whole
/// 15 s blocks) so the last 30 s window always has frames to read.
pub struct LogMel {
    pub data: Vec<f32>,
    pub n_mels: usize,
    pub frames: usize,
}

impl LogMel {
    pub fn compute(samples: &[f32], config: &Config, filters: &[f32]) -> Self {
        let data = audio::pcm_to_mel(config, samples, filters);
        let n_mels = config.num_mel_bins;
        let frames = data.len() / n_mels.max(1);
        Self {
            data,
            n_mels,
            frames,
        }
    }

    /// `len` frames from `start`, zero-padded past the end: one model window.
    pub fn window(&self, start: usize, len: usize) -> Vec<f32> {
        let mut out = vec![0f32; self.n_mels * len];
        for (row, dst) in out.chunks_exact_mut(len).enumerate() {
            let src_row = &self.data[row * self.frames..(row + 1) * self.frames];
            let src = src_row.get(start..).unwrap_or_default();
            let n = src.len().min(len);
            dst[..n].copy_from_slice(&src[..n]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// Values from an independent numpy implementation of librosa's construction
    /// (`librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)`, Slaney scale and norm).
    #[test]
    fn the_mel_filter_bank_matches_librosas_slaney_construction() {
        let f = mel_filters(80);
        assert_eq!(f.len(), 80 * 201);
        let at = |band: usize, bin: usize| f[band * N_BINS + bin];
        for (band, bin, expected) in KNOWN {
            let got = at(band, bin);
            assert!(
                (got - expected).abs() < 1e-6,
                "band {band} bin {bin}: {got} vs {expected}"
            );
        }
        // Each band is one triangle: non-zero on a contiguous run of bins.
        for band in 0..80 {
            let row = &f[band * N_BINS..(band + 1) * N_BINS];
            let nz: Vec<usize> = (0..N_BINS).filter(|&k| row[k] > 0.0).collect();
            assert!(!nz.is_empty(), "band {band} is empty");
            assert_eq!(
                nz.len(),
                nz[nz.len() - 1] - nz[0] + 1,
                "band {band} has a gap"
            );
        }
    }

    const KNOWN: [(usize, usize, f32); 8] = [
        (0, 1, 0.024_862_594),
        (1, 2, 0.022_871_772),
        (10, 11, 0.004_954_375),
        (40, 42, 0.005_411_105),
        (40, 43, 0.014_735_566),
        (40, 44, 0.006_518_19),
        (79, 190, 0.002_232_055),
        (79, 200, 0.0),
    ];
}

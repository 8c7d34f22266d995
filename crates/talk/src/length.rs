//! A media file's length as its container states it, read at upload so
//! per-day minute limits can count a talk before it is analysed.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use symphonia::core::codecs::CODEC_TYPE_NULL;

use crate::decode::{DecodeOptions, SAMPLE_RATE, decode_file, probe};
use crate::media::sniff;

/// The length in seconds of the first audio track that states one (frames
/// over sample rate, from the container's header); for a container that
/// states none (or one symphonia cannot open, such as Opus in WebM) the
/// audio is decoded and its samples counted. `None` when the file cannot be
/// read as media at all.
pub fn media_seconds(path: &Path, options: &DecodeOptions) -> Option<f64> {
    stated_seconds(path).or_else(|| {
        decode_file(path, options)
            .ok()
            .map(|samples| samples.len() as f64 / f64::from(SAMPLE_RATE))
    })
}

fn stated_seconds(path: &Path) -> Option<f64> {
    let mut head = [0u8; 16];
    let n = File::open(path).ok()?.read(&mut head).ok()?;
    let container = sniff(&head[..n])?;
    let file = File::open(path).ok()?;
    let probed = probe(file, container).ok()?;
    probed.format.tracks().iter().find_map(|track| {
        let params = &track.codec_params;
        if params.codec == CODEC_TYPE_NULL {
            return None;
        }
        let rate = params.sample_rate.filter(|r| *r > 0)?;
        let frames = params.n_frames?;
        Some(frames as f64 / f64::from(rate))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_wav_states_its_length_and_text_has_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tone.wav");
        // 1.5 s of 16-bit mono silence at 8 kHz.
        let frames: u32 = 12_000;
        let mut wav = Vec::new();
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + frames * 2).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes());
        wav.extend_from_slice(&1u16.to_le_bytes());
        wav.extend_from_slice(&1u16.to_le_bytes());
        wav.extend_from_slice(&8000u32.to_le_bytes());
        wav.extend_from_slice(&16000u32.to_le_bytes());
        wav.extend_from_slice(&2u16.to_le_bytes());
        wav.extend_from_slice(&16u16.to_le_bytes());
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&(frames * 2).to_le_bytes());
        wav.resize(wav.len() + frames as usize * 2, 0);
        std::fs::write(&path, &wav).unwrap();
        let seconds = media_seconds(&path, &DecodeOptions::default()).unwrap();
        assert!((seconds - 1.5).abs() < 1e-9, "{seconds}");
        let text = dir.path().join("notes.mp4");
        std::fs::write(&text, "not media").unwrap();
        assert_eq!(media_seconds(&text, &DecodeOptions::default()), None);
    }
}

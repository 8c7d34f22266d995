//! Where the audio is voiced: 10 ms frames whose energy is within 40 dB of the
//! loudest frame (and above an absolute floor of -70 dBFS, so digital silence and
//! faint hiss are never "voiced"). Used to skip windows with nothing to hear and to
//! place words inside a segment on the audio that is actually sounding.

/// Frame length and hop, in samples at 16 kHz.
pub const FRAME: usize = 160;
const RELATIVE_DB: f32 = 40.0;
const FLOOR_DBFS: f32 = -70.0;

/// One flag per 10 ms frame.
pub fn voiced_frames(samples: &[f32]) -> Vec<bool> {
    let db: Vec<f32> = samples
        .chunks(FRAME)
        .map(|f| {
            let power = f.iter().map(|s| s * s).sum::<f32>() / f.len() as f32;
            10.0 * power.max(1e-12).log10()
        })
        .collect();
    let loudest = db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let threshold = (loudest - RELATIVE_DB).max(FLOOR_DBFS);
    db.iter().map(|&d| d > threshold).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_between_silences_is_voiced_only_where_it_sounds() {
        let mut samples = vec![0f32; 1600];
        samples.extend((0..3200).map(|i| 0.3 * (i as f32 * 0.1).sin()));
        samples.extend(vec![0f32; 1600]);
        let v = voiced_frames(&samples);
        assert_eq!(v.len(), 40);
        assert!(v[..10].iter().all(|&x| !x));
        assert!(v[10..30].iter().all(|&x| x));
        assert!(v[30..].iter().all(|&x| !x));
    }

    #[test]
    fn silence_has_no_voiced_frame() {
        assert!(voiced_frames(&[0.0; 16_000]).iter().all(|&x| !x));
    }
}

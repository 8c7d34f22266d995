//! Word timing from the decoder's cross-attention, as openai/whisper's `timing.py`
//! does it: the decoded text is run through the decoder once more, the attention of
//! the alignment heads (the heads known to follow the audio) over the audio frames
//! is normalised per frame, smoothed with a 7-wide median filter and averaged, and
//! dynamic time warping finds the monotonic path of tokens through frames. A word
//! starts where the path enters its first token.
//!
//! The pass reuses the window's audio keys and values from decoding (`decoder.rs`).

use candle_core::{D, Tensor};

use crate::decode::SpecialTokens;
use crate::decoder::{DecodeState, TextDecoder};

/// Audio frames per second in the encoder output (two mel frames each).
const FRAMES_PER_S: f64 = 50.0;
const MEDIAN_WIDTH: usize = 7;

/// Start and end (seconds from the window start) of each word, given the text
/// tokens grouped by word and how many encoder frames (50 per second) hold audio
/// rather than padding.
pub fn word_times(
    decoder: &TextDecoder,
    window: &DecodeState,
    special: &SpecialTokens,
    words: &[Vec<u32>],
    heads: &[(usize, usize)],
    content_frames: usize,
) -> candle_core::Result<Vec<(f64, f64)>> {
    let text: Vec<u32> = words.iter().flatten().copied().collect();
    if text.is_empty() || heads.is_empty() || content_frames == 0 {
        return Ok(vec![(0.0, 0.0); words.len()]);
    }
    let prompt = &special.prompt;
    let mut tokens = prompt.clone();
    tokens.push(special.no_timestamps);
    tokens.extend(&text);
    tokens.push(special.eot);
    let qks = decoder.pass(&mut window.restart(), &tokens)?.cross_logits;
    let frames = content_frames.min(qks.first().map_or(0, |q| q.dim(D::Minus1).unwrap_or(0)));
    let mut picked = Vec::with_capacity(heads.len());
    for &(layer, head) in heads {
        if let Some(qk) = qks.get(layer)
            && head < qk.dim(0)?
        {
            let w = qk.get(head)?.narrow(1, 0, frames)?.contiguous()?;
            picked.push(candle_nn::ops::softmax_last_dim(&w)?);
        }
    }
    if picked.is_empty() {
        return Ok(vec![(0.0, 0.0); words.len()]);
    }
    // [heads, tokens, frames] -> normalise each frame over tokens -> median.
    let w = Tensor::stack(&picked, 0)?;
    let mean = w.mean_keepdim(1)?;
    let centred = w.broadcast_sub(&mean)?;
    let std = centred.sqr()?.mean_keepdim(1)?.sqrt()?;
    let normed = centred.broadcast_div(&(std + 1e-10)?)?;
    let rows: Vec<Vec<Vec<f32>>> = normed.to_vec3()?;
    let n_tokens = tokens.len();
    let mut matrix = vec![0f32; n_tokens * frames];
    for head in &rows {
        for (t, row) in head.iter().enumerate() {
            for (f, v) in median_filter(row, MEDIAN_WIDTH).into_iter().enumerate() {
                matrix[t * frames + f] += v / rows.len() as f32;
            }
        }
    }
    // Rows from the no-timestamps token through the last text token.
    let first = prompt.len();
    let last = n_tokens - 1;
    let cost: Vec<f32> = matrix[first * frames..last * frames]
        .iter()
        .map(|v| -v)
        .collect();
    let (text_idx, time_idx) = dtw(&cost, last - first, frames);
    let mut jump_times = Vec::new();
    for (k, (&ti, &fi)) in text_idx.iter().zip(&time_idx).enumerate() {
        if k == 0 || ti != text_idx[k - 1] {
            jump_times.push(fi as f64 / FRAMES_PER_S);
        }
    }
    let mut out = Vec::with_capacity(words.len());
    let mut boundary = 0;
    let end_of = |i: usize| {
        jump_times
            .get(i)
            .copied()
            .unwrap_or(frames as f64 / FRAMES_PER_S)
    };
    for w in words {
        let start = end_of(boundary);
        boundary += w.len();
        out.push((start, end_of(boundary)));
    }
    Ok(out)
}

fn median_filter(row: &[f32], width: usize) -> Vec<f32> {
    let half = width / 2;
    if row.len() <= half {
        return row.to_vec();
    }
    let reflect = |i: isize| -> f32 {
        let n = row.len() as isize;
        let j = if i < 0 {
            -i
        } else if i >= n {
            2 * (n - 1) - i
        } else {
            i
        };
        row[j.clamp(0, n - 1) as usize]
    };
    let mut window = vec![0f32; width];
    (0..row.len() as isize)
        .map(|i| {
            for (k, w) in window.iter_mut().enumerate() {
                *w = reflect(i + k as isize - half as isize);
            }
            window.sort_by(f32::total_cmp);
            window[half]
        })
        .collect()
}

/// The cheapest monotonic path through `cost` (`n x m`, row-major) from the top
/// left to the bottom right: (row, column) pairs in order.
fn dtw(cost: &[f32], n: usize, m: usize) -> (Vec<usize>, Vec<usize>) {
    let idx = |i: usize, j: usize| i * (m + 1) + j;
    let mut acc = vec![f32::INFINITY; (n + 1) * (m + 1)];
    let mut trace = vec![0u8; (n + 1) * (m + 1)];
    acc[0] = 0.0;
    for j in 1..=m {
        for i in 1..=n {
            let (c0, c1, c2) = (
                acc[idx(i - 1, j - 1)],
                acc[idx(i - 1, j)],
                acc[idx(i, j - 1)],
            );
            let (c, t) = if c0 < c1 && c0 < c2 {
                (c0, 0)
            } else if c1 < c0 && c1 < c2 {
                (c1, 1)
            } else {
                (c2, 2)
            };
            acc[idx(i, j)] = cost[(i - 1) * m + (j - 1)] + c;
            trace[idx(i, j)] = t;
        }
    }
    for j in 0..=m {
        trace[idx(0, j)] = 2;
    }
    for i in 0..=n {
        trace[idx(i, 0)] = 1;
    }
    let (mut i, mut j) = (n, m);
    let (mut rows, mut cols) = (Vec::new(), Vec::new());
    while i > 0 || j > 0 {
        rows.push(i.saturating_sub(1));
        cols.push(j.saturating_sub(1));
        match trace[idx(i, j)] {
            0 => {
                i -= 1;
                j -= 1;
            }
            1 => i -= 1,
            _ => j -= 1,
        }
    }
    rows.reverse();
    cols.reverse();
    (rows, cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtw_follows_the_cheap_diagonal() {
        // 3 tokens over 6 frames: token t is cheap on frames 2t and 2t+1.
        let mut cost = vec![1.0f32; 18];
        for t in 0..3 {
            cost[t * 6 + 2 * t] = 0.0;
            cost[t * 6 + 2 * t + 1] = 0.0;
        }
        let (rows, cols) = dtw(&cost, 3, 6);
        let first_frame: Vec<usize> = (0..3)
            .map(|t| cols[rows.iter().position(|&r| r == t).unwrap_or(0)])
            .collect();
        assert_eq!(first_frame, vec![0, 2, 4]);
    }

    #[test]
    fn median_filter_removes_a_spike() {
        let row = [0.0, 0.0, 0.0, 9.0, 0.0, 0.0, 0.0, 0.0];
        assert!(median_filter(&row, 7).iter().all(|&v| v == 0.0));
    }
}

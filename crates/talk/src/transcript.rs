//! Transcripts that come with the media (WebVTT or SubRip): a small strict
//! parser of their cues, and the cues' words spread over the speech the
//! voice detector found inside each cue.

use crate::voice::{Span, Voice};
use crate::words::TimedWord;

/// One subtitle cue.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds.
    pub end_s: f64,
    /// Its text, lines joined by spaces, tags removed.
    pub text: String,
}

/// Why a transcript could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("transcript line {line}: {reason}")]
pub struct TranscriptError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Longest transcript read: 4 MiB is days of speech.
pub const MAX_TRANSCRIPT_BYTES: usize = 4 * 1024 * 1024;

/// `hh:mm:ss.mmm`, `mm:ss.mmm` (VTT) or `hh:mm:ss,mmm` (SRT), in seconds.
fn parse_time(text: &str) -> Option<f64> {
    let text = text.trim();
    let (clock, millis) = text.rsplit_once(['.', ','])?;
    if millis.len() != 3 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = clock.split(':').collect();
    let (h, m, s) = match parts.as_slice() {
        [h, m, s] => (*h, *m, *s),
        [m, s] => ("0", *m, *s),
        _ => return None,
    };
    let number = |t: &str, max: u64| {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<u64>().ok())
            .flatten()
            .filter(|v| *v <= max)
    };
    let seconds = number(h, 999)? * 3600 + number(m, 59)? * 60 + number(s, 59)?;
    Some(seconds as f64 + number(millis, 999)? as f64 / 1000.0)
}

/// Removes `<...>` tags (VTT voice and style spans).
fn strip_tags(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut depth = 0usize;
    for c in line.chars() {
        match c {
            '<' => depth += 1,
            '>' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Parses WebVTT (starting with `WEBVTT`) or SubRip cues, in time order.
pub fn parse(text: &str) -> Result<Vec<Cue>, TranscriptError> {
    let fail = |line: usize, reason: &str| TranscriptError {
        line,
        reason: reason.to_owned(),
    };
    if text.len() > MAX_TRANSCRIPT_BYTES {
        return Err(fail(1, "the transcript is larger than 4 MB"));
    }
    let text = text.trim_start_matches('\u{feff}');
    let vtt = text.starts_with("WEBVTT");
    let lines: Vec<&str> = text.lines().collect();
    let mut cues: Vec<Cue> = Vec::new();
    let mut i = if vtt { 1 } else { 0 };
    while i < lines.len() {
        let line = lines[i].trim();
        if line.is_empty() {
            i += 1;
            continue;
        }
        if vtt
            && (line.starts_with("NOTE") || line.starts_with("STYLE") || line.starts_with("REGION"))
        {
            while i < lines.len() && !lines[i].trim().is_empty() {
                i += 1;
            }
            continue;
        }
        // An identifier line (SRT's counter, VTT's optional id) before the
        // timing line.
        let timing_at = if line.contains("-->") { i } else { i + 1 };
        let Some(timing) = lines.get(timing_at) else {
            return Err(fail(i + 1, "a cue without a timing line"));
        };
        let (from, to) = timing
            .split_once("-->")
            .ok_or_else(|| fail(timing_at + 1, "expected 'start --> end'"))?;
        // VTT cue settings follow the end time.
        let to = to.split_whitespace().next().unwrap_or("");
        let start_s = parse_time(from).ok_or_else(|| fail(timing_at + 1, "bad start time"))?;
        let end_s = parse_time(to).ok_or_else(|| fail(timing_at + 1, "bad end time"))?;
        if end_s < start_s {
            return Err(fail(timing_at + 1, "the cue ends before it starts"));
        }
        if cues.last().is_some_and(|c| start_s < c.start_s) {
            return Err(fail(timing_at + 1, "cues are not in time order"));
        }
        i = timing_at + 1;
        let mut said = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() {
            said.push(strip_tags(lines[i].trim()));
            i += 1;
        }
        let text = said.join(" ").trim().to_owned();
        if !text.is_empty() {
            cues.push(Cue {
                start_s,
                end_s,
                text,
            });
        }
    }
    if cues.is_empty() {
        return Err(fail(1, "the transcript has no cues"));
    }
    Ok(cues)
}

/// Spreads each cue's words over the speech found inside the cue, in
/// proportion to their letters: cue times are loose (subtitles start early
/// and linger), the voiced audio is where the words are. A cue over no
/// speech keeps its own times.
pub fn align(cues: &[Cue], voice: &Voice) -> Vec<TimedWord> {
    let mut out = Vec::new();
    for cue in cues {
        let words: Vec<&str> = cue.text.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        let inside: Vec<Span> = voice
            .segments
            .iter()
            .filter_map(|s| {
                let start_s = s.start_s.max(cue.start_s);
                let end_s = s.end_s.min(cue.end_s);
                (end_s > start_s).then_some(Span { start_s, end_s })
            })
            .collect();
        let spans = if inside.is_empty() {
            vec![Span {
                start_s: cue.start_s,
                end_s: cue.end_s,
            }]
        } else {
            inside
        };
        let voiced: f64 = spans.iter().map(Span::duration_s).sum();
        let weights: Vec<f64> = words
            .iter()
            .map(|w| w.chars().filter(|c| c.is_alphanumeric()).count().max(1) as f64)
            .collect();
        let total: f64 = weights.iter().sum();
        // Walk the voiced time: word k covers its share of it.
        let at = |offset: f64| {
            let mut left = offset;
            for span in &spans {
                if left <= span.duration_s() {
                    return span.start_s + left;
                }
                left -= span.duration_s();
            }
            spans.last().map_or(cue.end_s, |s| s.end_s)
        };
        let mut done = 0.0;
        for (word, weight) in words.iter().zip(&weights) {
            let start_s = at(done / total * voiced);
            done += weight;
            let end_s = at(done / total * voiced);
            out.push(TimedWord {
                text: (*word).to_owned(),
                start_s,
                end_s,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn srt_and_vtt_cues_are_read_with_their_times_and_text() {
        let srt = "1\n00:00:01,000 --> 00:00:02,500\nHello there,\nfriends.\n\n2\n00:00:03,000 --> 00:00:04,000\n<i>Bye.</i>\n";
        let cues = parse(srt).unwrap();
        assert_eq!(cues.len(), 2);
        assert_eq!(cues[0].text, "Hello there, friends.");
        assert!((cues[0].end_s - 2.5).abs() < 1e-9);
        assert_eq!(cues[1].text, "Bye.");
        let vtt = "WEBVTT\n\nNOTE a comment\n\nintro\n00:01.000 --> 00:02.000 align:start\n<v Ann>Hi</v>\n";
        let cues = parse(vtt).unwrap();
        assert_eq!(
            cues,
            [Cue {
                start_s: 1.0,
                end_s: 2.0,
                text: "Hi".into()
            }]
        );
    }

    #[test]
    fn malformed_transcripts_are_refused_with_the_line() {
        assert_eq!(parse("1\n00:00:01 --> 00:00:02\nx\n").unwrap_err().line, 2);
        assert!(parse("").is_err());
        assert!(parse("1\n00:00:05,000 --> 00:00:01,000\nx\n").is_err());
        assert!(
            parse("1\n00:00:05,000 --> 00:00:06,000\nx\n\n2\n00:00:01,000 --> 00:00:02,000\ny\n")
                .is_err()
        );
        assert!(parse("WEBVTT\n\n00:61.000 --> 00:62.000\nx\n").is_err());
    }

    #[test]
    fn words_spread_over_the_speech_inside_their_cue() {
        let voice = Voice {
            frame_db: Vec::new(),
            speech: Vec::new(),
            segments: vec![Span {
                start_s: 1.5,
                end_s: 2.5,
            }],
            pauses: Vec::new(),
            duration_s: 4.0,
        };
        let cue = Cue {
            start_s: 1.0,
            end_s: 3.0,
            text: "ab abc".into(),
        };
        let words = align(&[cue], &voice);
        assert_eq!(words.len(), 2);
        assert!((words[0].start_s - 1.5).abs() < 1e-9);
        assert!((words[0].end_s - 1.9).abs() < 1e-9);
        assert!((words[1].end_s - 2.5).abs() < 1e-9);
    }
}

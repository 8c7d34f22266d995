//! Citations: how an answer points at a moment of a game, so the player can check
//! every number. A citation is written `[game:<game_id>@<m:ss>]`, the match time in
//! minutes and seconds (`[game:3f2a9c@4:07]`); the pages turn it into a link that
//! opens the game at that moment.

use serde::Serialize;

/// One citation found in an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CitationRef {
    pub game_id: String,
    /// Match time in seconds.
    pub at_seconds: f64,
    /// The citation exactly as written, brackets included, so a page can replace it.
    pub label: String,
}

/// How the coach writes a citation of `game_id` at `at_seconds` of match time.
pub fn format_citation(game_id: &str, at_seconds: f64) -> String {
    format!("[game:{game_id}@{}]", format_clock(at_seconds))
}

/// `m:ss`, seconds truncated (a moment at 247.9 s is shown at 4:07, as the game's clock does).
pub fn format_clock(at_seconds: f64) -> String {
    filmroom_domain::format_clock(at_seconds)
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'
}

/// Every well-formed citation in `text`, in order of first appearance, each once.
/// Malformed ones (no time, seconds over 59, odd characters in the id) are skipped.
pub fn extract_citations(text: &str) -> Vec<CitationRef> {
    const OPEN: &str = "[game:";
    let mut out: Vec<CitationRef> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let after = rest.get(start + OPEN.len()..).unwrap_or("");
        if let Some(found) = parse_one(after) {
            let (game_id, at_seconds, len) = found;
            let label = rest
                .get(start..start + OPEN.len() + len)
                .unwrap_or("")
                .to_owned();
            if !out.iter().any(|c| c.label == label) {
                out.push(CitationRef {
                    game_id,
                    at_seconds,
                    label,
                });
            }
        }
        rest = after;
    }
    out
}

/// Parses `<id>@<m>:<ss>]`, returning the id, the seconds and the length consumed.
fn parse_one(s: &str) -> Option<(String, f64, usize)> {
    let close = s.find(']')?;
    let inner = s.get(..close)?;
    let (id, clock) = inner.split_once('@')?;
    if id.is_empty() || id.len() > 128 || !id.chars().all(is_id_char) {
        return None;
    }
    let (minutes, seconds) = clock.split_once(':')?;
    let digits = |t: &str| !t.is_empty() && t.len() <= 4 && t.chars().all(|c| c.is_ascii_digit());
    if !digits(minutes) || seconds.len() != 2 || !digits(seconds) {
        return None;
    }
    let minutes: u32 = minutes.parse().ok()?;
    let seconds: u32 = seconds.parse().ok()?;
    if seconds > 59 {
        return None;
    }
    Some((id.to_owned(), f64::from(minutes * 60 + seconds), close + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_truncates_to_whole_seconds() {
        assert_eq!(format_clock(247.9), "4:07");
        assert_eq!(format_clock(0.0), "0:00");
        assert_eq!(format_clock(-3.0), "0:00");
        assert_eq!(format_citation("ab12", 61.0), "[game:ab12@1:01]");
    }
}

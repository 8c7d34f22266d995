//! Citations: how an answer points at a moment of a recording, so the player can
//! check every number. A citation is written `[rec:<recording_id>@<m:ss>]`, the
//! time in the recording in minutes and seconds (`[rec:3f2a9c@4:07]`); the pages
//! turn it into a link that opens the recording at that moment. Answers stored
//! before recordings of every kind wrote `[game:<id>@<m:ss>]`: those are read the
//! same way, so old conversations keep their links and their checks.

use serde::Serialize;

/// One citation found in an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CitationRef {
    /// The recording's id (named for the `[game:]` citations it started with).
    pub game_id: String,
    /// Match time in seconds.
    pub at_seconds: f64,
    /// The citation exactly as written, brackets included, so a page can replace it.
    pub label: String,
}

/// How the coach writes a citation of a recording at `at_seconds` into it.
pub fn format_citation(recording_id: &str, at_seconds: f64) -> String {
    format!("[rec:{recording_id}@{}]", format_clock(at_seconds))
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
/// Both forms (`[rec:]` and the older `[game:]`) are found.
pub fn extract_citations(text: &str) -> Vec<CitationRef> {
    const OPENS: [&str; 2] = ["[rec:", "[game:"];
    let mut out: Vec<CitationRef> = Vec::new();
    let mut rest = text;
    while let Some((start, open)) = OPENS
        .iter()
        .filter_map(|open| rest.find(open).map(|at| (at, *open)))
        .min()
    {
        let after = rest.get(start + open.len()..).unwrap_or("");
        if let Some(found) = parse_one(after) {
            let (game_id, at_seconds, len) = found;
            let label = rest
                .get(start..start + open.len() + len)
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
    // `m:ss` only, as `format_clock` writes it (no hours).
    if clock.matches(':').count() != 1 {
        return None;
    }
    let seconds = filmroom_domain::parse_clock(clock)?;
    #[allow(clippy::cast_precision_loss)] // at most six digits of minutes
    Some((id.to_owned(), seconds as f64, close + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_are_read_in_order_and_each_once() {
        let found = extract_citations(
            "a [game:old1@0:05] b [rec:new2@1:01] c [rec:new2@1:01] [rec:x@1:60]",
        );
        let labels: Vec<&str> = found.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["[game:old1@0:05]", "[rec:new2@1:01]"]);
        assert_eq!(found[1].game_id, "new2");
        assert_eq!(found[1].at_seconds, 61.0);
    }

    #[test]
    fn the_clock_truncates_to_whole_seconds() {
        assert_eq!(format_clock(247.9), "4:07");
        assert_eq!(format_clock(0.0), "0:00");
        assert_eq!(format_clock(-3.0), "0:00");
        assert_eq!(format_citation("ab12", 61.0), "[rec:ab12@1:01]");
    }
}

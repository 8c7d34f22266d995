//! A lecture's text as the chunker reads it: sections (a heading, or a
//! caption chapter) of units (a caption cue, a paragraph, a page's text),
//! each unit placed in time or on a page.

use filmroom_talk::transcript;
use filmroom_talk::words::TimedWord;

/// Where a unit lies in its recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Place {
    /// Seconds from the start of the media.
    Time {
        /// Start, seconds.
        start_s: f64,
        /// End, seconds.
        end_s: f64,
    },
    /// A page of a document (from 1).
    Page(u32),
}

/// A piece of text with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// The text, whitespace collapsed.
    pub text: String,
    /// Where it lies.
    pub place: Place,
}

/// Units under one heading (or chapter); `heading` is `None` before the
/// first one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceSection {
    /// The heading or chapter title.
    pub heading: Option<String>,
    /// Its units, in order.
    pub units: Vec<Unit>,
}

/// Why a lecture file cannot be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SourceError {
    /// A caption file that breaks the format.
    #[error("the caption file is malformed: {0}")]
    Captions(#[from] transcript::TranscriptError),
    /// A file with nothing to index.
    #[error("{0}")]
    Empty(String),
    /// Not text in UTF-8.
    #[error("the file is not UTF-8 text")]
    NotText,
}

/// Collapses runs of whitespace to one space and trims.
pub fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn push_unit(sections: &mut Vec<SourceSection>, text: &str, place: Place) {
    let text = collapse(text);
    if text.is_empty() {
        return;
    }
    if sections.is_empty() {
        sections.push(SourceSection::default());
    }
    if let Some(section) = sections.last_mut() {
        section.units.push(Unit { text, place });
    }
}

fn non_empty(sections: Vec<SourceSection>, what: &str) -> Result<Vec<SourceSection>, SourceError> {
    let sections: Vec<SourceSection> = sections
        .into_iter()
        .filter(|s| !s.units.is_empty())
        .collect();
    if sections.is_empty() {
        return Err(SourceError::Empty(format!(
            "the {what} has no text to index"
        )));
    }
    Ok(sections)
}

/// Chapter marks in a WebVTT file: a `NOTE Chapter: Title` block starts a
/// chapter at the next cue (the talk parser skips NOTE blocks, so they are
/// read here from the raw lines). Returns (index of the first cue of the
/// chapter, title).
fn vtt_chapters(text: &str) -> Vec<(usize, String)> {
    let mut marks = Vec::new();
    let mut cues_seen = 0usize;
    for line in text.lines() {
        let line = line.trim();
        if line.contains("-->") {
            cues_seen += 1;
        } else if let Some(rest) = line.strip_prefix("NOTE") {
            let rest = rest.trim();
            if let Some(title) = rest
                .strip_prefix("Chapter:")
                .or_else(|| rest.strip_prefix("chapter:"))
            {
                let title = collapse(title);
                if !title.is_empty() {
                    marks.push((cues_seen, title));
                }
            }
        }
    }
    marks
}

/// A WebVTT or SubRip caption file: one unit per cue, sections at
/// `NOTE Chapter:` marks.
pub fn captions(bytes: &[u8]) -> Result<Vec<SourceSection>, SourceError> {
    let text = std::str::from_utf8(bytes).map_err(|_| SourceError::NotText)?;
    let cues = transcript::parse(text)?;
    let chapters = vtt_chapters(text);
    let mut sections = Vec::new();
    let mut next_chapter = chapters.iter().peekable();
    for (i, cue) in cues.iter().enumerate() {
        while let Some((at, title)) = next_chapter.next_if(|(at, _)| *at <= i) {
            let _ = at;
            sections.push(SourceSection {
                heading: Some(title.clone()),
                units: Vec::new(),
            });
        }
        push_unit(
            &mut sections,
            &cue.text,
            Place::Time {
                start_s: cue.start_s,
                end_s: cue.end_s,
            },
        );
    }
    non_empty(sections, "caption file")
}

/// Plain text: paragraphs (blank-line separated) as units; a form feed
/// starts the next page.
pub fn plain_text(bytes: &[u8]) -> Result<Vec<SourceSection>, SourceError> {
    let text = std::str::from_utf8(bytes).map_err(|_| SourceError::NotText)?;
    let mut sections = Vec::new();
    for (page, page_text) in text.split('\u{c}').enumerate() {
        let page = u32::try_from(page + 1).unwrap_or(u32::MAX);
        for paragraph in page_text.split("\n\n") {
            push_unit(&mut sections, paragraph, Place::Page(page));
        }
    }
    non_empty(sections, "text file")
}

/// Strips inline Markdown that would be noise in a passage: emphasis,
/// code ticks, link targets (the link text is kept) and images.
fn markdown_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '_' | '`' => {}
            '!' if chars.peek() == Some(&'[') => {}
            ']' if chars.peek() == Some(&'(') => {
                // Drop "(target)".
                let mut depth = 0usize;
                for d in chars.by_ref() {
                    match d {
                        '(' => depth += 1,
                        ')' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            '[' => {}
            _ => out.push(c),
        }
    }
    out
}

/// Markdown: ATX headings (`#` to `######`) start sections; paragraphs,
/// list items and code blocks are units. A Markdown file is one page.
pub fn markdown(bytes: &[u8]) -> Result<Vec<SourceSection>, SourceError> {
    let text = std::str::from_utf8(bytes).map_err(|_| SourceError::NotText)?;
    let mut sections = Vec::new();
    let mut paragraph = String::new();
    let flush = |sections: &mut Vec<SourceSection>, paragraph: &mut String| {
        push_unit(sections, &markdown_inline(paragraph), Place::Page(1));
        paragraph.clear();
    };
    let mut in_fence = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            flush(&mut sections, &mut paragraph);
            continue;
        }
        let hashes = trimmed.bytes().take_while(|b| *b == b'#').count();
        if !in_fence && (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ') {
            flush(&mut sections, &mut paragraph);
            let title = collapse(&markdown_inline(trimmed[hashes..].trim_end_matches('#')));
            sections.push(SourceSection {
                heading: (!title.is_empty()).then_some(title),
                units: Vec::new(),
            });
        } else if trimmed.is_empty() {
            flush(&mut sections, &mut paragraph);
        } else {
            paragraph.push(' ');
            paragraph.push_str(trimmed.trim_start_matches(['-', '+', '>']));
        }
    }
    flush(&mut sections, &mut paragraph);
    non_empty(sections, "Markdown file")
}

/// Words a speech recognizer heard, grouped into caption-like units: a
/// unit ends after a sentence's last word, at a pause of a second, or at
/// 12 s, so times stay as fine as a caption file's.
pub fn timed_words(words: &[TimedWord]) -> Result<Vec<SourceSection>, SourceError> {
    const PAUSE_S: f64 = 1.0;
    const MAX_UNIT_S: f64 = 12.0;
    let mut sections = Vec::new();
    let mut current: Vec<&TimedWord> = Vec::new();
    let flush = |sections: &mut Vec<SourceSection>, current: &mut Vec<&TimedWord>| {
        if let (Some(first), Some(last)) = (current.first(), current.last()) {
            let text: Vec<&str> = current.iter().map(|w| w.text.as_str()).collect();
            push_unit(
                sections,
                &text.join(" "),
                Place::Time {
                    start_s: first.start_s,
                    end_s: last.end_s.max(first.start_s),
                },
            );
        }
        current.clear();
    };
    for word in words {
        if let Some(last) = current.last() {
            let paused = word.start_s - last.end_s >= PAUSE_S;
            let long = current
                .first()
                .is_some_and(|f| word.end_s - f.start_s > MAX_UNIT_S);
            if paused || long {
                flush(&mut sections, &mut current);
            }
        }
        current.push(word);
        if word.text.ends_with(['.', '?', '!']) {
            flush(&mut sections, &mut current);
        }
    }
    flush(&mut sections, &mut current);
    non_empty(sections, "recording's speech")
}

//! Chunking: a lecture's sections cut into passages sized for the
//! embedding model (see docs/lecture.md, "Chunking").
//!
//! Text is read as words, each with its place: a word's time is
//! interpolated from its character position within its caption cue, so a
//! chunk's start and end fall on the words it holds, not on whole cues.
//! Words run into sentences (ending with `.`, `?` or `!`); chunks are whole
//! sentences packed up to the target token count, never across a section
//! (heading or chapter) or a page, never spanning more than `max_span_s`
//! of media. A sentence too long for one chunk is cut between words.
//! Consecutive chunks of a section share up to `overlap_tokens` of whole
//! sentences, so an answer that straddles a cut is whole in one of them.

use std::collections::HashMap;

use crate::source::{Place, SourceSection};

/// Counts an embedding model's tokens in a text, so chunks fit its window.
pub trait CountTokens: Send + Sync {
    /// The number of tokens `text` encodes to, special tokens excluded.
    fn count(&self, text: &str) -> usize;
}

/// A stand-in when no tokenizer is installed: WordPiece averages about
/// four tokens per three English words, so each word counts as its
/// characters / 4, at least one.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApproxTokens;

impl CountTokens for ApproxTokens {
    fn count(&self, text: &str) -> usize {
        text.split_whitespace()
            .map(|w| w.chars().count().div_ceil(4).max(1))
            .sum()
    }
}

/// How chunks are sized.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChunkConfig {
    /// Tokens a chunk aims for (heading included); never more, except that
    /// a single word longer than it stays whole.
    pub target_tokens: usize,
    /// Tokens of whole sentences repeated from the previous chunk of the
    /// same section.
    pub overlap_tokens: usize,
    /// The most media one chunk may span, seconds.
    pub max_span_s: f64,
}

impl Default for ChunkConfig {
    fn default() -> Self {
        Self {
            target_tokens: 160,
            overlap_tokens: 32,
            max_span_s: 90.0,
        }
    }
}

/// One passage to index.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// The section's heading, if any, then the chunk's words.
    pub text: String,
    /// Its heading (or chapter).
    pub heading: Option<String>,
    /// From its first word's start to its last word's end, or the page it
    /// lies on.
    pub place: Place,
    /// Its tokens, heading included.
    pub tokens: usize,
}

#[derive(Debug, Clone)]
struct Word {
    text: String,
    place: Place,
    tokens: usize,
}

/// A run of words ending a sentence (or a cut piece of one).
#[derive(Debug, Clone)]
struct Sentence {
    words: Vec<Word>,
    tokens: usize,
}

impl Sentence {
    fn start(&self) -> Option<f64> {
        match self.words.first()?.place {
            Place::Time { start_s, .. } => Some(start_s),
            Place::Page(_) => None,
        }
    }
    fn end(&self) -> Option<f64> {
        match self.words.last()?.place {
            Place::Time { end_s, .. } => Some(end_s),
            Place::Page(_) => None,
        }
    }
    fn page(&self) -> Option<u32> {
        match self.words.first()?.place {
            Place::Page(p) => Some(p),
            Place::Time { .. } => None,
        }
    }
}

struct Counter<'a> {
    inner: &'a dyn CountTokens,
    cache: HashMap<String, usize>,
}

impl Counter<'_> {
    fn count(&mut self, word: &str) -> usize {
        if let Some(n) = self.cache.get(word) {
            return *n;
        }
        let n = self.inner.count(word);
        self.cache.insert(word.to_owned(), n);
        n
    }
}

/// The words of a section, each placed: a cue's time is shared among its
/// words by their character positions.
fn words(section: &SourceSection, counter: &mut Counter<'_>) -> Vec<Word> {
    let mut out = Vec::new();
    for unit in &section.units {
        let length = unit.text.len().max(1) as f64;
        let mut offset = 0usize;
        for word in unit.text.split(' ') {
            let from = offset;
            offset += word.len() + 1;
            if word.is_empty() {
                continue;
            }
            let place = match unit.place {
                Place::Time { start_s, end_s } => {
                    let at = |chars: usize| {
                        start_s + (end_s - start_s) * (chars.min(unit.text.len()) as f64 / length)
                    };
                    Place::Time {
                        start_s: at(from),
                        end_s: at(from + word.len()),
                    }
                }
                page => page,
            };
            out.push(Word {
                text: word.to_owned(),
                tokens: counter.count(word),
                place,
            });
        }
    }
    out
}

fn ends_sentence(word: &str) -> bool {
    word.trim_end_matches(['"', '\'', ')', '\u{201d}'])
        .ends_with(['.', '?', '!'])
}

/// Sentences, each cut into pieces that fit a chunk on their own.
fn sentences(words: Vec<Word>, budget: usize, max_span_s: f64) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut current = Sentence {
        words: Vec::new(),
        tokens: 0,
    };
    for word in words {
        let over_budget = current.tokens + word.tokens > budget;
        let over_span = match (current.start(), word.place) {
            (Some(start), Place::Time { end_s, .. }) => end_s - start > max_span_s,
            _ => false,
        };
        let new_page = matches!((current.page(), word.place), (Some(p), Place::Page(q)) if p != q);
        if !current.words.is_empty() && (over_budget || over_span || new_page) {
            out.push(std::mem::replace(
                &mut current,
                Sentence {
                    words: Vec::new(),
                    tokens: 0,
                },
            ));
        }
        let end = ends_sentence(&word.text);
        current.tokens += word.tokens;
        current.words.push(word);
        if end {
            out.push(std::mem::replace(
                &mut current,
                Sentence {
                    words: Vec::new(),
                    tokens: 0,
                },
            ));
        }
    }
    if !current.words.is_empty() {
        out.push(current);
    }
    out
}

fn emit(heading: Option<&str>, heading_tokens: usize, run: &[Sentence]) -> Option<Chunk> {
    let first = run.first()?;
    let last = run.last()?;
    let body: Vec<&str> = run
        .iter()
        .flat_map(|s| s.words.iter().map(|w| w.text.as_str()))
        .collect();
    let body = body.join(" ");
    let place = match (first.start(), last.end(), first.page()) {
        (Some(start_s), Some(end_s), _) => Place::Time {
            start_s,
            end_s: end_s.max(start_s),
        },
        (_, _, Some(page)) => Place::Page(page),
        _ => return None,
    };
    Some(Chunk {
        text: match heading {
            Some(h) => format!("{h} — {body}"),
            None => body,
        },
        heading: heading.map(str::to_owned),
        place,
        tokens: heading_tokens + run.iter().map(|s| s.tokens).sum::<usize>(),
    })
}

/// Cuts sections into chunks, in order.
pub fn chunk(
    sections: &[SourceSection],
    config: &ChunkConfig,
    counter: &dyn CountTokens,
) -> Vec<Chunk> {
    let mut counter = Counter {
        inner: counter,
        cache: HashMap::new(),
    };
    let target = config.target_tokens.max(8);
    let mut chunks = Vec::new();
    for section in sections {
        let heading = section.heading.as_deref();
        // A heading longer than half the budget is kept in the text but not
        // allowed to starve the body.
        let heading_tokens = heading
            .map_or(0, |h| counter.inner.count(h))
            .min(target / 2);
        let budget = target - heading_tokens;
        let all = sentences(words(section, &mut counter), budget, config.max_span_s);
        let mut run: Vec<Sentence> = Vec::new();
        let mut tokens = 0usize;
        for sentence in all {
            let over_budget = tokens + sentence.tokens > budget;
            let over_span = match (run.first().and_then(Sentence::start), sentence.end()) {
                (Some(start), Some(end)) => end - start > config.max_span_s,
                _ => false,
            };
            let new_page = matches!((run.first().and_then(Sentence::page), sentence.page()), (Some(p), Some(q)) if p != q);
            if !run.is_empty() && (over_budget || over_span || new_page) {
                chunks.extend(emit(heading, heading_tokens, &run));
                // Carry whole trailing sentences as overlap, never the whole
                // chunk (so every chunk brings something new), never across
                // a page, and only as far as the new sentence still fits.
                let mut keep = 0usize;
                let mut kept_tokens = 0usize;
                if !new_page {
                    for s in run.iter().rev() {
                        let fits_tokens = kept_tokens + s.tokens <= config.overlap_tokens
                            && kept_tokens + s.tokens + sentence.tokens <= budget;
                        let fits_span = match (s.start(), sentence.end()) {
                            (Some(start), Some(end)) => end - start <= config.max_span_s,
                            _ => true,
                        };
                        if keep + 1 >= run.len() || !fits_tokens || !fits_span {
                            break;
                        }
                        keep += 1;
                        kept_tokens += s.tokens;
                    }
                }
                run.drain(..run.len() - keep);
                tokens = kept_tokens;
            }
            tokens += sentence.tokens;
            run.push(sentence);
        }
        chunks.extend(emit(heading, heading_tokens, &run));
    }
    chunks
}

//! The [`Lecture`] domain: recognition, limits, and the analysis of a
//! caption file or document into chunked passages.

use std::sync::Arc;
use std::time::Duration;

use filmroom_domain::{
    Analysis, AnalysisError, AnalysisInput, CoachProfile, Domain, Facts, InputMode, Kind, Limits,
    Metric, MetricDefinition, Passage, Recognition, ReportError, Section, Span, Subject, Unit,
    format_clock,
};

use crate::chunk::{ApproxTokens, ChunkConfig, CountTokens, chunk};
use crate::report::{Report, ReportChunk};
use crate::source::{self, Place, SourceError, SourceSection};

/// The kind of lectures.
pub const KIND: Kind = Kind::from_static("lecture");

/// The default largest lecture file: captions and text of a semester fit
/// in far less.
pub const MAX_BYTES: u64 = 20 * 1000 * 1000;

/// The code uploads that cannot be read are refused with.
const UNREADABLE_CODE: &str = "unreadable_lecture";

/// The file name extensions a lecture has.
const EXTENSIONS: [&str; 5] = ["vtt", "srt", "md", "markdown", "txt"];

/// What a deployment may change about the lecture domain.
#[derive(Debug, Clone)]
pub struct LectureConfig {
    /// Larger files are refused.
    pub max_bytes: u64,
    /// An analysis running longer is abandoned by the platform.
    pub time_limit: Duration,
    /// How chunks are sized.
    pub chunking: ChunkConfig,
}

impl Default for LectureConfig {
    fn default() -> Self {
        Self {
            max_bytes: MAX_BYTES,
            time_limit: Duration::from_secs(5 * 60),
            chunking: ChunkConfig::default(),
        }
    }
}

/// The lecture domain, shared as `Arc<dyn Domain>`.
#[derive(Clone)]
pub struct Lecture {
    config: LectureConfig,
    counter: Arc<dyn CountTokens>,
}

impl std::fmt::Debug for Lecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lecture")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Default for Lecture {
    fn default() -> Self {
        Self::new(LectureConfig::default(), Arc::new(ApproxTokens))
    }
}

/// A lecture file's format, told from its content (the analysis is given
/// bytes, not a name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// WebVTT captions.
    WebVtt,
    /// SubRip captions.
    SubRip,
    /// Markdown (a line that is an ATX heading tells it from plain text).
    Markdown,
    /// Plain text.
    Text,
}

impl Format {
    /// The format's stable name.
    pub fn name(self) -> &'static str {
        match self {
            Self::WebVtt => "webvtt",
            Self::SubRip => "subrip",
            Self::Markdown => "markdown",
            Self::Text => "text",
        }
    }

    /// Tells the format from the text.
    pub fn sniff(text: &str) -> Self {
        let text = text.trim_start_matches('\u{feff}');
        if text.starts_with("WEBVTT") {
            return Self::WebVtt;
        }
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        if let (Some(first), Some(second)) = (lines.next(), lines.next())
            && first.bytes().all(|b| b.is_ascii_digit())
            && second.contains("-->")
        {
            return Self::SubRip;
        }
        let heading = |l: &str| {
            let l = l.trim_start();
            let hashes = l.bytes().take_while(|b| *b == b'#').count();
            (1..=6).contains(&hashes) && l.as_bytes().get(hashes) == Some(&b' ')
        };
        if text.lines().any(heading) {
            Self::Markdown
        } else {
            Self::Text
        }
    }
}

/// Reads a lecture file into sections, telling its format from its
/// content.
pub fn read_source(bytes: &[u8]) -> Result<(Format, Vec<SourceSection>), SourceError> {
    let text = std::str::from_utf8(bytes).map_err(|_| SourceError::NotText)?;
    let format = Format::sniff(text);
    let sections = match format {
        Format::WebVtt | Format::SubRip => source::captions(bytes)?,
        Format::Markdown => source::markdown(bytes)?,
        Format::Text => source::plain_text(bytes)?,
    };
    Ok((format, sections))
}

fn place_label(place: Place) -> String {
    match place {
        Place::Time { start_s, end_s } => {
            format!("{}–{}", format_clock(start_s), format_clock(end_s))
        }
        Place::Page(p) => format!("p. {p}"),
    }
}

impl Lecture {
    /// A lecture domain with its limits, chunk sizes and the embedding
    /// model's token counter.
    pub fn new(config: LectureConfig, counter: Arc<dyn CountTokens>) -> Self {
        Self { config, counter }
    }

    /// The analysis of sections already read (a caption file, a document,
    /// or a transcription's [`source::timed_words`]).
    pub fn analyze_sections(
        &self,
        format: &str,
        sections: &[SourceSection],
    ) -> Result<Analysis, AnalysisError> {
        let chunks = chunk(sections, &self.config.chunking, self.counter.as_ref());
        if chunks.is_empty() {
            return Err(AnalysisError::Invalid {
                reason: "the lecture has no text to index".into(),
            });
        }
        let title = sections
            .iter()
            .find_map(|s| s.heading.clone())
            .or_else(|| {
                chunks.first().map(|c| {
                    let words: Vec<&str> = c.text.split(' ').take(8).collect();
                    words.join(" ")
                })
            })
            .unwrap_or_default();
        let duration_s = chunks
            .iter()
            .filter_map(|c| match c.place {
                Place::Time { end_s, .. } => Some(end_s),
                Place::Page(_) => None,
            })
            .reduce(f64::max);
        let passages = chunks
            .iter()
            .map(|c| Passage {
                span: match c.place {
                    Place::Time { start_s, end_s } => Span::Time { start_s, end_s },
                    Place::Page(page) => Span::Page { page },
                },
                text: c.text.clone(),
            })
            .collect();
        let report = Report {
            format: format.to_owned(),
            target_tokens: self.config.chunking.target_tokens,
            overlap_tokens: self.config.chunking.overlap_tokens,
            max_span_s: self.config.chunking.max_span_s,
            chunks: chunks
                .iter()
                .map(|c| ReportChunk {
                    heading: c.heading.clone(),
                    tokens: c.tokens,
                    place: place_label(c.place),
                })
                .collect(),
        };
        let tokens: usize = chunks.iter().map(|c| c.tokens).sum();
        let metric = |key: &str, value: f64| Metric {
            subject: Subject::Recording,
            key: key.to_owned(),
            value,
            unit: Unit::Count,
            higher_is_better: None,
        };
        Ok(Analysis {
            facts: Facts {
                title,
                duration_s,
                facets: [("format".to_owned(), format.to_owned())].into(),
                ..Facts::default()
            },
            sides: Vec::new(),
            participants: Vec::new(),
            metrics: vec![
                metric("chunks.count", chunks.len() as f64),
                metric("chunks.tokens", tokens as f64),
            ],
            events: Vec::new(),
            passages,
            report: serde_json::to_value(&report)
                .map_err(|e| AnalysisError::Internal(e.to_string()))?,
            revision: crate::REVISION,
            degraded: None,
        })
    }
}

fn unreadable(e: SourceError) -> AnalysisError {
    AnalysisError::Invalid {
        reason: e.to_string(),
    }
}

impl Domain for Lecture {
    fn kind(&self) -> Kind {
        KIND
    }

    fn display_name(&self) -> &str {
        "Lecture"
    }

    fn recognize(&self, filename: &str, head: &[u8]) -> Recognition {
        if head.starts_with(b"WEBVTT") || head.starts_with("\u{feff}WEBVTT".as_bytes()) {
            return Recognition::ByContent;
        }
        let named = filename
            .rsplit_once('.')
            .is_some_and(|(_, ext)| EXTENSIONS.iter().any(|e| ext.eq_ignore_ascii_case(e)));
        if named {
            Recognition::ByName
        } else {
            Recognition::No
        }
    }

    fn extensions(&self) -> &[&'static str] {
        &EXTENSIONS
    }

    fn limits(&self) -> Limits {
        Limits {
            max_bytes: self.config.max_bytes,
            time_limit: self.config.time_limit,
            input: InputMode::Bytes,
        }
    }

    fn revision(&self) -> u32 {
        crate::REVISION
    }

    fn analyze(&self, input: AnalysisInput<'_>) -> Result<Analysis, AnalysisError> {
        let owned;
        let bytes = match input {
            AnalysisInput::Bytes(bytes) => bytes,
            AnalysisInput::Path(path) => {
                owned = std::fs::read(path).map_err(AnalysisError::Read)?;
                owned.as_slice()
            }
        };
        let size = bytes.len() as u64;
        if size > self.config.max_bytes {
            return Err(AnalysisError::TooLarge {
                size,
                limit: self.config.max_bytes,
            });
        }
        let (format, sections) = read_source(bytes).map_err(unreadable)?;
        self.analyze_sections(format.name(), &sections)
    }

    fn metric_definitions(&self) -> Vec<MetricDefinition> {
        let def = |key: &str, label: &str, description: &str| MetricDefinition {
            key: key.to_owned(),
            label: label.to_owned(),
            unit: Unit::Count,
            description: description.to_owned(),
            higher_is_better: None,
            family: "chunks".to_owned(),
        };
        vec![
            def(
                "chunks.count",
                "Chunks",
                "How many passages the lecture was cut into for retrieval (docs/lecture.md, Chunking).",
            ),
            def(
                "chunks.tokens",
                "Tokens",
                "The embedding model's tokens over all chunks, headings and overlaps included.",
            ),
        ]
    }

    fn coach_profile(&self) -> CoachProfile {
        CoachProfile {
            name: "Lecture".into(),
            markdown:
                "A lecture is indexed as passages, each with the time it was said (or its page). \
                       Answer from the passages only and cite each with its time."
                    .into(),
        }
    }

    fn page_sections(&self, report: &serde_json::Value) -> Result<Vec<Section>, ReportError> {
        crate::report::sections(report)
    }

    fn check_head(&self, prefix: &[u8]) -> Result<(), AnalysisError> {
        // A document's first bytes must be text: a binary file named .txt
        // is refused at upload, not at analysis.
        let valid = match std::str::from_utf8(prefix) {
            Ok(_) => true,
            // A prefix may cut a character in two: only an error before
            // the last three bytes means it is not UTF-8.
            Err(e) => e.error_len().is_none(),
        };
        if valid && !prefix.contains(&0) {
            Ok(())
        } else {
            Err(AnalysisError::NotThisKind {
                kind: KIND,
                reason:
                    "the file is named like a caption file or a document, but it is not UTF-8 text"
                        .into(),
            })
        }
    }

    fn unreadable_code(&self) -> &'static str {
        UNREADABLE_CODE
    }
}

/// Chunks of many documents (a corpus), in the order given: each read as an
/// upload of it would be. An unreadable document is an error naming it.
pub fn corpus_chunks(
    documents: &[(String, Vec<u8>)],
    config: &ChunkConfig,
    counter: &dyn CountTokens,
) -> Result<Vec<crate::Chunk>, String> {
    let mut out = Vec::new();
    for (name, bytes) in documents {
        let (_, sections) = read_source(bytes).map_err(|e| format!("{name}: {e}"))?;
        out.extend(chunk(&sections, config, counter));
    }
    Ok(out)
}

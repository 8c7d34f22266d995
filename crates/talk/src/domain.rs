//! The [`Talk`] domain: recognition, limits, and the analysis of a media
//! file (with a transcript or a transcriber when there is one).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use filmroom_domain::{
    Analysis, AnalysisError, AnalysisInput, CoachDigestSpec, CoachProfile, CoachWords, Companion,
    CompanionFile, Domain, HeadlineStat, InputMode, Kind, Limits, MetricDefinition, MomentOwner,
    MomentRule, Noun, Page, Progress, Recognition, ReportError, Section, StatFamily, Tip,
};

use crate::decode::{DecodeError, DecodeOptions, decode_file};
use crate::media::{has_media_name, sniff};
use crate::report::{self, WordSource};
use crate::transcript;
use crate::voice;
use crate::words::{TimedWord, Transcriber};

/// The kind of talks.
pub const KIND: Kind = Kind::from_static("talk");

/// The default largest talk file: 500 MB holds over an hour of phone video.
pub const MAX_BYTES: u64 = 500 * 1000 * 1000;

/// The purpose of a transcript beside the media.
pub const TRANSCRIPT: &str = "transcript";

/// The transcripts a talk takes beside its media: WebVTT and SubRip.
const COMPANIONS: [Companion; 2] = [
    Companion {
        extension: "vtt",
        purpose: TRANSCRIPT,
        max_bytes: transcript::MAX_TRANSCRIPT_BYTES as u64,
    },
    Companion {
        extension: "srt",
        purpose: TRANSCRIPT,
        max_bytes: transcript::MAX_TRANSCRIPT_BYTES as u64,
    },
];

/// The text of a transcript companion, parsed (a malformed one is an error
/// that names the line).
fn transcript_text(companion: CompanionFile<'_>) -> Result<&str, AnalysisError> {
    let text = std::str::from_utf8(companion.bytes).map_err(|e| AnalysisError::Invalid {
        reason: format!(
            "the transcript is not UTF-8 text (byte {})",
            e.valid_up_to()
        ),
    })?;
    transcript::parse(text).map_err(|e| AnalysisError::Invalid {
        reason: format!("the transcript cannot be read: {e}"),
    })?;
    Ok(text)
}

/// The code uploads that are not readable media are refused with.
const UNREADABLE_CODE: &str = "not_media";

/// What a deployment may change about the talk domain.
#[derive(Debug, Clone)]
pub struct TalkConfig {
    /// Larger files are refused.
    pub max_bytes: u64,
    /// An analysis running longer is abandoned by the platform.
    pub time_limit: Duration,
    /// How decoding is bounded, and where ffmpeg is.
    pub decode: DecodeOptions,
}

impl Default for TalkConfig {
    fn default() -> Self {
        Self {
            max_bytes: MAX_BYTES,
            time_limit: Duration::from_secs(30 * 60),
            decode: DecodeOptions::default(),
        }
    }
}

/// The talk domain, shared as `Arc<dyn Domain>`.
#[derive(Clone, Default)]
pub struct Talk {
    config: TalkConfig,
    transcriber: Option<Arc<dyn Transcriber>>,
}

impl std::fmt::Debug for Talk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Talk")
            .field("config", &self.config)
            .field("transcriber", &self.transcriber.is_some())
            .finish()
    }
}

fn invalid(e: DecodeError) -> AnalysisError {
    match e {
        DecodeError::Io(e) => AnalysisError::Read(e),
        DecodeError::Resample(reason) => AnalysisError::Internal(reason),
        other => AnalysisError::Invalid {
            reason: other.to_string(),
        },
    }
}

impl Talk {
    /// A talk domain with its limits and decoding options.
    pub fn new(config: TalkConfig) -> Self {
        Self {
            config,
            transcriber: None,
        }
    }

    /// Recognizes speech with `transcriber` when no transcript comes with
    /// the media.
    pub fn with_transcriber(mut self, transcriber: Arc<dyn Transcriber>) -> Self {
        self.transcriber = Some(transcriber);
        self
    }

    /// Analyses a media file, with the text of its VTT or SRT transcript
    /// when there is one.
    pub fn analyze_file(
        &self,
        path: &Path,
        transcript_text: Option<&str>,
    ) -> Result<Analysis, AnalysisError> {
        let size = std::fs::metadata(path).map_err(AnalysisError::Read)?.len();
        if size > self.config.max_bytes {
            return Err(AnalysisError::TooLarge {
                size,
                limit: self.config.max_bytes,
            });
        }
        // The transcript first: a bad one fails fast, before decoding.
        let cues = transcript_text
            .map(transcript::parse)
            .transpose()
            .map_err(|e| AnalysisError::Invalid {
                reason: format!("the transcript cannot be read: {e}"),
            })?;
        let samples = decode_file(path, &self.config.decode).map_err(invalid)?;
        self.analyze_samples(&samples, cues.as_deref())
    }

    /// Analyses 16 kHz mono samples, with transcript cues when there are
    /// any (else the transcriber, if one is set).
    pub fn analyze_samples(
        &self,
        samples: &[f32],
        cues: Option<&[transcript::Cue]>,
    ) -> Result<Analysis, AnalysisError> {
        let voice = detect_speech(samples)?;
        let words: Option<(WordSource, Vec<TimedWord>)> = match (cues, &self.transcriber) {
            (Some(cues), _) => Some((WordSource::Transcript, transcript::align(cues, &voice))),
            (None, Some(transcriber)) => Some((
                WordSource::SpeechRecognition,
                transcriber
                    .transcribe(samples)
                    .map_err(|e| AnalysisError::Internal(e.to_string()))?,
            )),
            (None, None) => None,
        };
        let report = report::build(samples, &voice, words);
        crate::neutral::to_neutral(&report)
    }

    /// Analyses 16 kHz mono samples with words already timed (a recognizer
    /// run elsewhere, or a test's script).
    pub fn analyze_timed(
        &self,
        samples: &[f32],
        words: Vec<TimedWord>,
        source: WordSource,
    ) -> Result<Analysis, AnalysisError> {
        let voice = detect_speech(samples)?;
        crate::neutral::to_neutral(&report::build(samples, &voice, Some((source, words))))
    }
}

/// The voice activity of a recording that has some speech. A recording
/// without speech is refused rather than scored: there is nothing to coach,
/// and a "perfect" empty talk would mislead.
fn detect_speech(samples: &[f32]) -> Result<voice::Voice, AnalysisError> {
    if samples.is_empty() {
        return Err(AnalysisError::Invalid {
            reason: "the recording has no audio: it is 0 seconds long".into(),
        });
    }
    let voice = voice::detect(samples);
    if voice.segments.is_empty() {
        return Err(AnalysisError::Invalid {
            reason: "no speech was found: the audio is silent or too quiet".into(),
        });
    }
    Ok(voice)
}

/// What the coach is told about talks.
pub fn coach_profile() -> CoachProfile {
    CoachProfile {
        name: "Talks".to_owned(),
        markdown: include_str!("coach_profile.md").to_owned(),
    }
}

/// The headline stats and moments of a talk.
pub fn coach_digest() -> CoachDigestSpec {
    let stat =
        |name: &str, metric: &str, label: &str, family: &str, suffix: &str, higher| HeadlineStat {
            name: name.to_owned(),
            metric: metric.to_owned(),
            label: label.to_owned(),
            family: family.to_owned(),
            suffix: suffix.to_owned(),
            higher_is_better: higher,
            whole: false,
            noun: None,
            short_label: String::new(),
        };
    let count = |stat: HeadlineStat, one: &str, many: &str| HeadlineStat {
        whole: true,
        noun: Some(Noun::new(one, many)),
        ..stat
    };
    let rule = |kind: &str, highlight: Option<&str>, against: bool| MomentRule {
        event_kind: kind.to_owned(),
        moment: kind.to_owned(),
        owner: MomentOwner::Subject,
        highlight: highlight.map(str::to_owned),
        against,
    };
    let family = |name: &str, title: &str, words: &[&str]| StatFamily {
        name: name.to_owned(),
        title: title.to_owned(),
        asked_as: name.to_owned(),
        words: words.iter().map(|w| (*w).to_owned()).collect(),
        precedence: 0,
    };
    let names = |list: &[&str]| list.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    CoachDigestSpec {
        headline: vec![
            stat(
                "score",
                "score",
                "score out of 100",
                "score",
                "/100",
                Some(true),
            ),
            stat("wpm", "pace.wpm", "words per minute", "pace", " wpm", None),
            stat(
                "fillers_per_minute",
                "fillers.per_minute",
                "fillers per minute",
                "fillers",
                "/min",
                Some(false),
            ),
            count(
                stat(
                    "fillers",
                    "fillers.count",
                    "fillers",
                    "fillers",
                    "",
                    Some(false),
                ),
                "filler",
                "fillers",
            ),
            stat(
                "longest_pause",
                "pauses.longest_s",
                "longest pause",
                "pauses",
                " s",
                Some(false),
            ),
            stat(
                "pitch_range",
                "pitch.range_st",
                "pitch range",
                "pitch",
                " semitones",
                Some(true),
            ),
            stat(
                "monotone",
                "pitch.monotone_s",
                "monotone time",
                "pitch",
                " s",
                Some(false),
            ),
            count(
                stat(
                    "volume_drops",
                    "volume.drops",
                    "volume drops",
                    "volume",
                    "",
                    Some(false),
                ),
                "volume drop",
                "volume drops",
            ),
        ],
        moments: vec![
            rule("flag", None, true),
            rule("filler", None, false),
            rule("pause", None, false),
        ],
        score_metrics: Vec::new(),
        families: vec![
            family("score", "overall score", &["score", "overall", "grade"]),
            family("pace", "pace", &["pace", "fast", "slow", "speed", "wpm"]),
            family("fillers", "fillers", &["filler", " um", " uh"]),
            family("pauses", "pauses", &["pause", "silence"]),
            family(
                "pitch",
                "pitch and intonation",
                &["pitch", "monotone", "intonation"],
            ),
            family("volume", "volume", &["volume", "loud", "quiet"]),
        ],
        words: CoachWords {
            domain: "talks".to_owned(),
            recording: Noun::new("talk", "talks"),
            recording_aliases: names(&["presentation", "rehearsal", "speech"]),
            file: "recording".to_owned(),
            line_counts: names(&["fillers"]),
            line_values: names(&["score", "wpm"]),
            scoreboard: "delivery numbers".to_owned(),
            session_stats: names(&["score", "wpm", "fillers_per_minute", "longest_pause"]),
            period_stats: names(&["score", "wpm", "fillers_per_minute", "pitch_range"]),
            tips: vec![Tip {
                stat: "fillers_per_minute".to_owned(),
                above: 3.0,
                text: "Fillers came at {value} {cites}: when you reach for a word, pause \
                       silently instead; a short silence sounds confident."
                    .to_owned(),
            }],
            against: Noun::new("flag", "flags"),
            none_against: "nothing was flagged".to_owned(),
            ..CoachWords::default()
        },
    }
}

impl Domain for Talk {
    fn kind(&self) -> Kind {
        KIND
    }

    fn display_name(&self) -> &str {
        "Talk"
    }

    /// By content when the first bytes are a media container; by name when
    /// only the name is a media file's, so that the upload is refused as
    /// not media (by [`Domain::check_head`]) rather than as unknown.
    fn recognize(&self, filename: &str, head: &[u8]) -> Recognition {
        if sniff(head).is_some() {
            Recognition::ByContent
        } else if has_media_name(filename) {
            Recognition::ByName
        } else {
            Recognition::No
        }
    }

    fn extensions(&self) -> &[&'static str] {
        &crate::media::EXTENSIONS
    }

    fn companions(&self) -> &[Companion] {
        &COMPANIONS
    }

    fn check_companion(&self, companion: CompanionFile<'_>) -> Result<(), AnalysisError> {
        transcript_text(companion).map(|_| ())
    }

    fn media_type(&self, filename: &str, head: &[u8]) -> Option<&'static str> {
        crate::media::media_type(filename, head)
    }

    fn progress(&self) -> Option<Progress> {
        Some(Progress {
            title: "Your talks".to_owned(),
            headline: "score".to_owned(),
            components: crate::score::Component::ALL
                .iter()
                .map(|c| format!("score.{}", c.key()))
                .collect(),
        })
    }

    fn limits(&self) -> Limits {
        Limits {
            max_bytes: self.config.max_bytes,
            time_limit: self.config.time_limit,
            input: InputMode::Path,
        }
    }

    fn revision(&self) -> u32 {
        crate::REVISION
    }

    fn analyze(&self, input: AnalysisInput<'_>) -> Result<Analysis, AnalysisError> {
        self.analyze_with(input, &[])
    }

    /// A transcript companion stands in for speech recognition: its words
    /// are spread over the speech found in the audio.
    fn analyze_with(
        &self,
        input: AnalysisInput<'_>,
        companions: &[CompanionFile<'_>],
    ) -> Result<Analysis, AnalysisError> {
        let transcript = companions
            .iter()
            .find(|c| c.purpose == TRANSCRIPT)
            .map(|c| transcript_text(*c))
            .transpose()?;
        match input {
            AnalysisInput::Path(path) => self.analyze_file(path, transcript),
            AnalysisInput::Bytes(_) => Err(AnalysisError::Internal(
                "the talk domain reads media from a file path".into(),
            )),
        }
    }

    fn metric_definitions(&self) -> Vec<MetricDefinition> {
        crate::definitions::metric_definitions()
    }

    fn coach_profile(&self) -> CoachProfile {
        coach_profile()
    }

    fn coach_digest(&self) -> CoachDigestSpec {
        coach_digest()
    }

    fn page_sections(&self, report: &serde_json::Value) -> Result<Vec<Section>, ReportError> {
        Ok(self
            .page(report)?
            .tabs
            .into_iter()
            .flat_map(|t| t.sections)
            .collect())
    }

    fn page(&self, report: &serde_json::Value) -> Result<Page, ReportError> {
        crate::page::page(report)
    }

    fn check_head(&self, prefix: &[u8]) -> Result<(), AnalysisError> {
        if sniff(prefix).is_some() {
            Ok(())
        } else {
            Err(AnalysisError::NotThisKind {
                kind: KIND,
                reason: "the file is named like audio or video, but its content is not a known media container".into(),
            })
        }
    }

    fn unreadable_code(&self) -> &'static str {
        UNREADABLE_CODE
    }

    fn declared_seconds(&self, file: &Path) -> Option<f64> {
        crate::length::media_seconds(file, &self.config.decode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coach_spec_holds_together_and_every_headline_metric_is_defined() {
        let spec = coach_digest();
        assert_eq!(spec.problems(), Vec::<String>::new());
        let defined: Vec<String> = Talk::default()
            .metric_definitions()
            .into_iter()
            .map(|d| d.key)
            .collect();
        for stat in &spec.headline {
            assert!(
                defined.contains(&stat.metric),
                "{} is not defined",
                stat.metric
            );
        }
    }
}

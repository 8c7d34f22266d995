//! The [`Domain`] trait: everything a kind of recording tells the platform.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::analysis::{Analysis, Unit};
use crate::coach::CoachDigestSpec;
use crate::keys::Kind;
use crate::page::{Page, Section};

/// How many leading bytes of a file callers pass to [`Domain::recognize`]
/// (fewer only when the file is shorter). Enough for every container magic
/// and the Rocket League header's class name.
pub const RECOGNITION_HEAD_BYTES: usize = 512;

/// How sure a domain is that a file is one of its recordings. Ordered: a
/// registry prefers a content match over a name match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Recognition {
    /// Not this domain's.
    No,
    /// The name fits and the content has no signature to check (subtitles,
    /// plain text).
    ByName,
    /// The first bytes carry this domain's signature.
    ByContent,
}

/// What a recording's first bytes say about its length, for uploads that
/// check a file while it streams in (see [`Domain::declared_length`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclaredLength {
    /// The format states no length: the file ends where it ends.
    Unstated,
    /// Not enough bytes yet to tell: ask again with a longer prefix.
    NeedMore,
    /// The recording is exactly this many bytes; bytes after it are not
    /// part of it, and a shorter file is truncated.
    Bytes(u64),
}

/// The code an upload that cannot be read is refused with, unless a domain
/// names its own ([`Domain::unreadable_code`]).
pub const UNREADABLE_CODE: &str = "unreadable_recording";

/// What a domain reads: the bytes, or a path for media too large to hold
/// in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMode {
    /// The recording is handed over in memory.
    Bytes,
    /// The recording is handed over as a local file path.
    Path,
}

/// What the platform enforces around a domain's analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Larger files are refused before they are stored or read.
    pub max_bytes: u64,
    /// An analysis running longer is abandoned (and its job failed).
    pub time_limit: Duration,
    /// How the recording is handed to [`Domain::analyze`].
    pub input: InputMode,
}

/// A recording to analyse.
#[derive(Debug, Clone, Copy)]
pub enum AnalysisInput<'a> {
    /// The whole file in memory.
    Bytes(&'a [u8]),
    /// A local file (large media), read by the domain.
    Path(&'a Path),
}

/// A kind of file a domain accepts beside a recording (a talk's transcript),
/// uploaded in the same batch under the recording's name with its own
/// extension (see docs/domain.md for the pairing rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Companion {
    /// The file name extension, without the dot, lower case (`vtt`).
    pub extension: &'static str,
    /// What the file is for (`[a-z_]+`, `transcript`): a recording keeps at
    /// most one companion per purpose, and the analysis finds it by it.
    pub purpose: &'static str,
    /// Larger companion files are refused at upload.
    pub max_bytes: u64,
}

/// A companion file handed to [`Domain::analyze_with`]: the file's whole
/// bytes (companions are small), already passed by
/// [`Domain::check_companion`] at upload.
#[derive(Debug, Clone, Copy)]
pub struct CompanionFile<'a> {
    /// The extension it was uploaded with (`vtt`).
    pub extension: &'a str,
    /// Its [`Companion::purpose`].
    pub purpose: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// Why a recording could not be analysed at all. (A recording that can be
/// read in part is analysed with [`Analysis::degraded`] set instead.)
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The file is not a recording of this domain.
    #[error("not a {kind} recording: {reason}")]
    NotThisKind {
        /// The domain's kind.
        kind: Kind,
        /// What gave it away, for people.
        reason: String,
    },
    /// The file is of this domain but broken beyond reading.
    #[error("the recording cannot be read: {reason}")]
    Invalid {
        /// What is wrong, for people.
        reason: String,
    },
    /// The file is larger than [`Limits::max_bytes`].
    #[error("the file is {size} bytes, more than the {limit}-byte limit")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The domain's limit.
        limit: u64,
    },
    /// The file given by path could not be read.
    #[error("the recording could not be read from disk")]
    Read(#[source] std::io::Error),
    /// A bug or an unexpected state in the domain: not the file's fault.
    #[error("internal analysis error: {0}")]
    Internal(String),
}

/// A stored report that a domain cannot lay out (a report from another
/// revision, or not its own).
#[derive(Debug, thiserror::Error)]
#[error("this report cannot be shown: {reason}")]
pub struct ReportError {
    /// What did not fit, for logs.
    pub reason: String,
}

/// What a metric key means: shown on pages and given to the coach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricDefinition {
    /// The key of the metrics it defines (`boost.bpm`).
    pub key: String,
    /// A short name for tables and charts.
    pub label: String,
    /// The unit of every value of this key.
    pub unit: Unit,
    /// What it measures and how, in a sentence or two.
    pub description: String,
    /// Whether more is better (`None`: it depends).
    pub higher_is_better: Option<bool>,
    /// The group it is shown in (`boost`, `movement`).
    pub family: String,
}

/// What a domain gives the coach: a name and markdown telling the model
/// what the domain's data means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoachProfile {
    /// The profile's name ("Rocket League").
    pub name: String,
    /// Markdown for the coach's system prompt.
    pub markdown: String,
}

/// A kind of recording. Implementations are stateless or immutable and
/// shared as `Arc<dyn Domain>` between request handlers and workers.
pub trait Domain: Send + Sync {
    /// The kind this domain analyses (`rl_replay`).
    fn kind(&self) -> Kind;

    /// Its name for people ("Rocket League replay").
    fn display_name(&self) -> &str;

    /// Whether a file is one of this domain's recordings, from its name and
    /// its first [`RECOGNITION_HEAD_BYTES`] bytes. Cheap: called for every
    /// upload against every domain.
    fn recognize(&self, filename: &str, head: &[u8]) -> Recognition;

    /// The file name extensions its recordings usually have, without the dot
    /// (`replay`): upload pages offer them in the file picker and keep them
    /// when a folder is dropped. Recognition still decides
    /// ([`Domain::recognize`]). By default none, so a picker offers every file.
    fn extensions(&self) -> &[&'static str] {
        &[]
    }

    /// The files it accepts beside a recording, such as a transcript. By
    /// default none: a companion sent with one of its recordings is refused.
    fn companions(&self) -> &[Companion] {
        &[]
    }

    /// Whether a companion file (of one of [`Domain::companions`]) can be
    /// read, so a malformed one is refused at upload with its recording
    /// rather than failing the analysis. Cheap and pure. By default nothing
    /// is checked.
    fn check_companion(&self, companion: CompanionFile<'_>) -> Result<(), AnalysisError> {
        let _ = companion;
        Ok(())
    }

    /// Its size and time limits and how it wants its input.
    fn limits(&self) -> Limits;

    /// The analysis revision: bumped whenever the domain's analysis changes
    /// what it produces, so the platform can find and re-analyse older ones.
    fn revision(&self) -> u32;

    /// Analyses one recording. Never panics on hostile input; the result
    /// should pass [`Analysis::validate`].
    fn analyze(&self, input: AnalysisInput<'_>) -> Result<Analysis, AnalysisError>;

    /// Analyses one recording with the companion files stored with it
    /// (empty when there are none). By default the companions are ignored
    /// and [`Domain::analyze`] runs; a domain that declares companions reads
    /// them here.
    fn analyze_with(
        &self,
        input: AnalysisInput<'_>,
        companions: &[CompanionFile<'_>],
    ) -> Result<Analysis, AnalysisError> {
        let _ = companions;
        self.analyze(input)
    }

    /// Every metric key the domain produces, with its meaning.
    fn metric_definitions(&self) -> Vec<MetricDefinition>;

    /// What the coach needs to know about this domain's data.
    fn coach_profile(&self) -> CoachProfile;

    /// The coach's digest of a recording: headline stats and moments. None
    /// by default, so a domain that needs no headline numbers writes nothing.
    fn coach_digest(&self) -> CoachDigestSpec {
        CoachDigestSpec::default()
    }

    /// Lays out a stored report (see [`Analysis::report`]) as neutral page
    /// sections; the web renders them with its own templates.
    fn page_sections(&self, report: &serde_json::Value) -> Result<Vec<Section>, ReportError>;

    /// The whole page of a stored report: what the web renders. By default
    /// [`Domain::page_sections`] in one tab under the domain's name, so a
    /// simple domain lays out sections only; a domain with tabs, a heading
    /// or a notice returns its own [`Page`].
    fn page(&self, report: &serde_json::Value) -> Result<Page, ReportError> {
        let mut page = Page::single(self.page_sections(report)?);
        page.subtitle.push(self.display_name().to_owned());
        Ok(page)
    }

    /// The length the file's first bytes declare, so an upload can refuse
    /// bytes past the recording's end (or a declared size over the limit)
    /// while the file streams in. `prefix` starts at the file's first byte
    /// and grows while the answer is [`DeclaredLength::NeedMore`]; an error
    /// means the file cannot be one of this domain's. Cheap and pure. By
    /// default a format states no length.
    fn declared_length(&self, prefix: &[u8]) -> Result<DeclaredLength, AnalysisError> {
        let _ = prefix;
        Ok(DeclaredLength::Unstated)
    }

    /// A quick look at a received file before it is stored, so a file that
    /// cannot be read is refused at upload rather than failing its job.
    /// `prefix` holds the first bytes the upload kept: at least the
    /// recognition head (or the whole file, if shorter) and, for a format
    /// that declares its length, every byte up to where it did. By default
    /// nothing is checked.
    fn check_head(&self, prefix: &[u8]) -> Result<(), AnalysisError> {
        let _ = prefix;
        Ok(())
    }

    /// The recording's length in seconds, read from the received file at
    /// upload (a container's header, or counting its audio), so per-day
    /// minute limits can count it before it is analysed. `None` when the
    /// kind has no length or the file does not say. By default `None`.
    fn declared_seconds(&self, file: &Path) -> Option<f64> {
        let _ = file;
        None
    }

    /// The error code (`[a-z0-9_]+`) an upload of this kind that cannot be
    /// read is refused with; clients match on it.
    fn unreadable_code(&self) -> &'static str {
        UNREADABLE_CODE
    }

    /// The other program's format [`Domain::exchange_document`] writes, if
    /// any (None by default): pages offer the download when there is one.
    fn exchange_format(&self) -> Option<crate::ExchangeFormat> {
        None
    }

    /// A stored report as the [`Domain::exchange_format`] document (Rocket
    /// League: ballchasing.com's replay JSON); None when there is no format.
    fn exchange_document(
        &self,
        report: &serde_json::Value,
    ) -> Result<Option<serde_json::Value>, ReportError> {
        let _ = report;
        Ok(None)
    }

    /// The header of the domain's table export, one CSV over many
    /// recordings (a filtered list); empty, the default, when it has none.
    fn table_columns(&self) -> Vec<String> {
        Vec::new()
    }

    /// The table export's rows for one stored report, each as long as
    /// [`Domain::table_columns`]; `file` names the recording (its uploaded
    /// file name).
    fn table_rows(
        &self,
        file: &str,
        report: &serde_json::Value,
    ) -> Result<Vec<Vec<String>>, ReportError> {
        let _ = (file, report);
        Ok(Vec::new())
    }

    /// The media type (`video/webm`, `audio/wav`) a browser plays a
    /// recording's original file as, from its name and its first
    /// [`RECOGNITION_HEAD_BYTES`] bytes; `None`: not media a browser plays.
    /// The platform serves the file with it and draws the player a
    /// [`Page::player`] asks for. By default recordings are not media.
    fn media_type(&self, filename: &str, head: &[u8]) -> Option<&'static str> {
        let _ = (filename, head);
        None
    }

    /// How a user's recordings of this kind are followed over time: the
    /// metrics a progress view charts. By default none is offered.
    fn progress(&self) -> Option<crate::Progress> {
        None
    }
}

//! Plain types of the coach's reads ([`crate::Store::coach_recordings`] and
//! friends), built from the stored neutral rows, never from a report. One
//! recording from its owner's point of view ([`CoachRecording`]) and its
//! moments are the domain crate's types, which the coach consumes as they are.

pub use filmroom_domain::{CoachMoments, CoachRecording};
use time::OffsetDateTime;

use crate::types::RecordingId;

/// Which of a user's analysed recordings the coach reads, newest first.
/// `from` is inclusive and `until` exclusive; a date bound leaves out
/// recordings without a date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoachRecordingQuery {
    /// At most this many recordings.
    pub limit: u32,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only recordings with this facet value (compared case-insensitively).
    pub facet: Option<(String, String)>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    /// Only this recording.
    pub recording: Option<RecordingId>,
    /// The metric keys to read of "me"; empty reads every key.
    pub metrics: Vec<String>,
    /// The metric keys to read of each side (a score); empty reads none.
    pub side_metrics: Vec<String>,
}

/// Where a search hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoachHitSource {
    Event,
    Passage,
}

impl CoachHitSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Passage => "passage",
        }
    }
}

/// One event label or passage text of the owner's recordings matching a search.
#[derive(Debug, Clone, PartialEq)]
pub struct CoachSearchHit {
    pub recording_id: RecordingId,
    pub kind: String,
    pub title: Option<String>,
    pub occurred_at: Option<OffsetDateTime>,
    pub source: CoachHitSource,
    /// The event's kind; `None` for a passage.
    pub event_kind: Option<String>,
    pub start_s: f64,
    pub end_s: f64,
    pub text: String,
}

/// A metric of "me" aggregated in SQL over the owner's recordings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoachMetricQuery {
    pub metric: String,
    pub kind: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    /// Group by this facet's value (recordings without it form the group `None`).
    pub group_by_facet: Option<String>,
}

/// One group of a [`CoachMetricQuery`].
#[derive(Debug, Clone, PartialEq)]
pub struct CoachMetricGroup {
    /// The facet's value; `None` for "not grouped" or recordings without it.
    pub group: Option<String>,
    /// Recordings with a value of the metric.
    pub recordings: u64,
    pub wins: u64,
    pub losses: u64,
    pub draws: u64,
    pub avg: f64,
    pub min: f64,
    pub max: f64,
}

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

/// A search hit, its source and a metric's group are the domain crate's
/// types, the ones the coach's tools serialize: one type from SQL to the model.
pub use filmroom_domain::{
    HitSource as CoachHitSource, MetricGroup as CoachMetricGroup, SearchHit as CoachSearchHit,
};

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

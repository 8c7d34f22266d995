//! What the coach reads of a domain's stored rows to build its per-recording
//! digest: the headline stats (which metric keys, named how) and which events
//! are the "moments" it walks through and cites. A domain without a digest
//! spec still gets its recordings listed, searched and cited; only the
//! headline numbers and moments stay empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Event, SideOutcome};

/// One recording as the coach reads it: its facts, its owner's "me" and
/// stored outcome, and the metrics asked for. The store builds it from the
/// stored neutral rows (never from a report) and the coach turns it into its
/// digest with the domain's [`CoachDigestSpec`]; both crates use this one type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoachRecording {
    /// The recording's id.
    pub id: String,
    /// Its kind (`rl_replay`).
    pub kind: String,
    /// Its title, once analysed.
    pub title: Option<String>,
    /// When it happened, when known.
    pub occurred_at: Option<OffsetDateTime>,
    /// Its length in seconds, when known.
    pub duration_s: Option<f64>,
    /// Its facets (`playlist`, `map`...).
    pub facets: BTreeMap<String, String>,
    /// False when the analysis was degraded (read in part).
    pub complete: bool,
    /// The owner's participant key, when one of their links (their own or
    /// inferred) names one, with its display name and side.
    pub me: Option<String>,
    /// "Me"'s display name in the recording.
    pub me_name: Option<String>,
    /// "Me"'s side in the recording.
    pub me_side: Option<String>,
    /// The owner's stored outcome; `None` when unknown.
    pub outcome: Option<SideOutcome>,
    /// "Me"'s metrics, by key (all of them, or the ones asked for).
    pub my_metrics: BTreeMap<String, f64>,
    /// Each side's metrics, by side then key.
    pub side_metrics: BTreeMap<String, BTreeMap<String, f64>>,
}

/// A recording's events of some kinds and its timed passages, for one owner.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoachMoments {
    /// The events, in time order.
    pub events: Vec<Event>,
    /// `(start_s, end_s, text)`; passages by page have no times and are left out.
    pub passages: Vec<(f64, f64, String)>,
}

/// The headline stats and moments of a domain, for the coach.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoachDigestSpec {
    /// The stats a digest carries, in the order answers list them.
    pub headline: Vec<HeadlineStat>,
    /// How events become the participant's moments.
    pub moments: Vec<MomentRule>,
    /// The side metrics that hold a side's score, preferred first (the
    /// final score, then the goals an older analysis kept), so a digest can
    /// say "won 3-2"; empty when the domain keeps no score.
    pub score_metrics: Vec<String>,
}

impl CoachDigestSpec {
    /// The event kinds any rule reads.
    pub fn moment_event_kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = Vec::new();
        for rule in &self.moments {
            if !kinds.contains(&rule.event_kind) {
                kinds.push(rule.event_kind.clone());
            }
        }
        kinds
    }

    /// The metric keys of the headline stats.
    pub fn headline_metrics(&self) -> Vec<String> {
        self.headline.iter().map(|h| h.metric.clone()).collect()
    }
}

/// One headline stat: a stored metric of the participant under a short name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadlineStat {
    /// Its name in digests and in the tools' averages (`bpm`).
    pub name: String,
    /// The stored metric key (`boost.bpm`).
    pub metric: String,
    /// How an answer names it ("boost used per minute").
    pub label: String,
    /// The group answers gather it in (`boost`).
    pub family: String,
    /// Written after the value in text (`" bpm"`, `"%"`); may be empty.
    pub suffix: String,
    /// Whether more is better; `None` when it depends.
    pub higher_is_better: Option<bool>,
}

/// Which participant an event is a moment of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "field")]
pub enum MomentOwner {
    /// The event's subject is the participant.
    Subject,
    /// The payload's field (a participant key) is the participant.
    PayloadParticipant(String),
    /// The payload's field (a side key) is not the participant's side.
    OtherSide(String),
}

/// An event kind read as one kind of moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MomentRule {
    /// The stored event kind (`goal`).
    pub event_kind: String,
    /// The moment it is (`goal`, `assist`, `goal_against`).
    pub moment: String,
    /// When the event is the participant's moment.
    pub owner: MomentOwner,
}

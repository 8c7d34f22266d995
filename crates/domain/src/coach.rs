//! What the coach reads of a domain's stored rows to build its per-recording
//! digest: the headline stats (which metric keys, named how) and which events
//! are the "moments" it walks through and cites. A domain without a digest
//! spec still gets its recordings listed, searched and cited; only the
//! headline numbers and moments stay empty.

use serde::{Deserialize, Serialize};

/// The headline stats and moments of a domain, for the coach.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoachDigestSpec {
    /// The stats a digest carries, in the order answers list them.
    pub headline: Vec<HeadlineStat>,
    /// How events become the participant's moments.
    pub moments: Vec<MomentRule>,
    /// The side metric that is a side's score (`core.goals`), so a digest can
    /// say "won 3-2"; `None` when the domain keeps no score.
    pub score_metric: Option<String>,
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

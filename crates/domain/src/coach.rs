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

/// Where a search hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HitSource {
    /// An event's label.
    Event,
    /// A passage's text.
    Passage,
}

impl HitSource {
    /// `event` or `passage`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Passage => "passage",
        }
    }
}

/// One event label or passage text of an owner's recordings matching a
/// search: what the store finds and the coach's `search_moments` tool gives
/// the model (these field names are the tool's JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The recording's id.
    pub recording_id: String,
    /// The recording's kind.
    pub kind: String,
    /// Its title, once analysed.
    pub title: Option<String>,
    /// When it happened, when known.
    #[serde(with = "time::serde::rfc3339::option")]
    pub occurred_at: Option<OffsetDateTime>,
    /// An event or a passage.
    pub source: HitSource,
    /// The event's kind (`goal`); `None` for a passage.
    pub event_kind: Option<String>,
    /// Where the hit starts, in seconds from the recording's start.
    pub start_seconds: f64,
    /// Where it ends (an event's time again).
    pub end_seconds: f64,
    /// The label or passage text.
    pub text: String,
}

/// A metric of an owner's "me" aggregated over one group of their
/// recordings: what the store computes and the coach's `metric_summary` tool
/// reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricGroup {
    /// The facet's value; `None` when not grouped or the facet is missing.
    pub group: Option<String>,
    /// Recordings with a value of the metric.
    pub recordings: u64,
    /// Of them, the owner's wins.
    pub wins: u64,
    /// Losses.
    pub losses: u64,
    /// Draws.
    pub draws: u64,
    /// The mean value.
    pub average: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

/// The headline stats and moments of a domain, and the words the coach's
/// built-in analyst uses for them, so the coach names no domain's stat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoachDigestSpec {
    /// The stats a digest carries, in the order answers list them.
    pub headline: Vec<HeadlineStat>,
    /// How events become the participant's moments.
    pub moments: Vec<MomentRule>,
    /// The side metrics that hold a side's score, preferred first (the
    /// final score, then the goals an older analysis kept), so a digest can
    /// say "won 3-2"; empty when the domain keeps no score.
    pub score_metrics: Vec<String>,
    /// The families the headline stats are gathered in, in the order the
    /// analyst lists them.
    #[serde(default)]
    pub families: Vec<StatFamily>,
    /// How answers word the domain's recordings and stats.
    #[serde(default)]
    pub words: CoachWords,
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

    /// The headline stat of this name.
    pub fn stat(&self, name: &str) -> Option<&HeadlineStat> {
        self.headline.iter().find(|h| h.name == name)
    }

    /// The family of this name.
    pub fn family(&self, name: &str) -> Option<&StatFamily> {
        self.families.iter().find(|f| f.name == name)
    }

    /// What does not hold together: a stat the words name that is not a
    /// headline stat, a headline stat of an undeclared family, a count listed
    /// without its noun. Empty for a sound spec; domains test theirs.
    pub fn problems(&self) -> Vec<String> {
        let w = &self.words;
        let named = w
            .line_counts
            .iter()
            .chain(&w.line_values)
            .chain(&w.session_stats)
            .chain(&w.period_stats)
            .chain(w.tips.iter().map(|t| &t.stat))
            .chain(w.total.iter().map(|(name, _)| name));
        let mut problems: Vec<String> = named
            .filter(|name| self.stat(name).is_none())
            .map(|name| format!("the words name {name}, which is not a headline stat"))
            .collect();
        for stat in &self.headline {
            if !self.families.is_empty() && self.family(&stat.family).is_none() {
                problems.push(format!(
                    "{} is in the undeclared family {}",
                    stat.name, stat.family
                ));
            }
        }
        for name in &w.line_counts {
            if self.stat(name).is_some_and(|s| s.noun.is_none()) {
                problems.push(format!("{name} is listed as a count but has no noun"));
            }
        }
        problems
    }

    /// The family whose words the (lower-case) question contains; of
    /// several, the one of lowest [`StatFamily::precedence`], then the first.
    pub fn family_asked(&self, question: &str) -> Option<&StatFamily> {
        self.families
            .iter()
            .filter(|f| f.words.iter().any(|w| question.contains(w.as_str())))
            .min_by_key(|f| f.precedence)
    }
}

/// A group of headline stats a question can ask about ("how is my boost?").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatFamily {
    /// The name [`HeadlineStat::family`] gives (`boost`).
    pub name: String,
    /// How an answer names the family ("shooting and scoreboard numbers").
    pub title: String,
    /// How the analyst's list of questions names it ("shooting").
    pub asked_as: String,
    /// Lower-case words that make a question about this family ("bpm", "pads").
    pub words: Vec<String>,
    /// Which family a question using several families' words is about: the
    /// lowest wins ("my boost after a demo" is about boost).
    #[serde(default)]
    pub precedence: u8,
}

/// A noun and its plural.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Noun {
    /// The singular ("goal").
    pub one: String,
    /// The plural ("goals").
    pub many: String,
}

impl Noun {
    /// `one` and `many`.
    pub fn new(one: &str, many: &str) -> Self {
        Self {
            one: one.to_owned(),
            many: many.to_owned(),
        }
    }

    /// The noun for `n` things.
    pub fn of(&self, n: usize) -> &str {
        if n == 1 { &self.one } else { &self.many }
    }
}

/// A facet said in a recording's description: `{value}` stands for its value
/// (`{value}v{value}` makes a team size of 3 read "3v3").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactWord {
    /// The facet's key (`team_size`).
    pub facet: String,
    /// How it reads (`{value}v{value}`).
    pub template: String,
}

/// Advice the analyst adds to a session summary when a stat's average is
/// above a threshold. In `text`, `{value}` is the average with its suffix and
/// `{cites}` the citations of the recordings it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tip {
    /// The headline stat's name.
    pub stat: String,
    /// Said when the average is above this.
    pub above: f64,
    /// The advice, with `{value}` and `{cites}`.
    pub text: String,
}

/// How answers word a domain's recordings, their scoreboard and their
/// moments. The default is neutral ("recording", no scoreboard).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CoachWords {
    /// The domain's name, as the analyst introduces what it reviews
    /// ("Rocket League").
    pub domain: String,
    /// One recording ("game").
    pub recording: Noun,
    /// Other nouns a question may use for one recording ("match", "replay").
    pub recording_aliases: Vec<String>,
    /// The uploaded file ("replay"), for "the replay could not be fully analysed".
    pub file: String,
    /// A facet said as where the recording happened (`map`: "on DFH Stadium").
    pub place_facet: Option<String>,
    /// Facets said in a recording's description, in order.
    pub facts: Vec<FactWord>,
    /// Whole-number stats a recording's line and scoreboard list with their
    /// nouns ("2 goals, 1 assist"), by name.
    pub line_counts: Vec<String>,
    /// Stats a recording's line adds with their suffix and short label
    /// ("412 bpm, 8.5% at zero boost"), by name.
    pub line_values: Vec<String>,
    /// What the counts are called together ("scoreboard").
    pub scoreboard: String,
    /// The stat said last in the scoreboard, and how ("a score of" 450).
    pub total: Option<(String, String)>,
    /// The averages a session summary gives, in order.
    pub session_stats: Vec<String>,
    /// The averages a period summary gives, in order.
    pub period_stats: Vec<String>,
    /// Advice for a session summary.
    pub tips: Vec<Tip>,
    /// The moments [`MomentRule::against`] marks ("the goal against").
    pub against: Noun,
    /// Said when a recording has none of them ("no goal was scored against you").
    pub none_against: String,
}

impl Default for CoachWords {
    fn default() -> Self {
        Self {
            domain: String::new(),
            recording: Noun::new("recording", "recordings"),
            recording_aliases: Vec::new(),
            file: "recording".to_owned(),
            place_facet: None,
            facts: Vec::new(),
            line_counts: Vec::new(),
            line_values: Vec::new(),
            scoreboard: "numbers".to_owned(),
            total: None,
            session_stats: Vec::new(),
            period_stats: Vec::new(),
            tips: Vec::new(),
            against: Noun::new("the moment against you", "the moments against you"),
            none_against: "nothing went against you".to_owned(),
        }
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
    /// A whole number (a count): digests round it to an integer.
    #[serde(default)]
    pub whole: bool,
    /// For a count said with a noun ("1 goal", "2 goals").
    #[serde(default)]
    pub noun: Option<Noun>,
    /// How it reads after its value and suffix in a list ("at zero boost");
    /// may be empty.
    #[serde(default)]
    pub short_label: String,
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
    /// How an answer names it among the participant's highlights ("your
    /// goal"); `None` when it is not one.
    #[serde(default)]
    pub highlight: Option<String>,
    /// A moment that went against the participant, worth a second look.
    #[serde(default)]
    pub against: bool,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_spec_without_families_or_words_reads_with_neutral_words_and_a_full_one_round_trips() {
        let old = serde_json::json!({"headline": [{"name": "bpm", "metric": "boost.bpm",
            "label": "boost used per minute", "family": "boost", "suffix": " bpm",
            "higher_is_better": null}], "moments": [], "score_metrics": []});
        let spec: CoachDigestSpec = serde_json::from_value(old).unwrap();
        assert!(spec.families.is_empty());
        assert_eq!(spec.words.recording, Noun::new("recording", "recordings"));
        assert_eq!(spec.stat("bpm").map(|s| s.whole), Some(false));

        let mut full = spec.clone();
        full.families.push(StatFamily {
            name: "boost".into(),
            title: "boost".into(),
            asked_as: "boost".into(),
            words: vec!["bpm".into(), "pads".into()],
            precedence: 1,
        });
        full.families.push(StatFamily {
            name: "pads".into(),
            title: "pads".into(),
            asked_as: "pads".into(),
            words: vec!["pads".into()],
            precedence: 0,
        });
        full.words.tips.push(Tip {
            stat: "bpm".into(),
            above: 400.5,
            text: "{value} ({cites})".into(),
        });
        let back: CoachDigestSpec =
            serde_json::from_str(&serde_json::to_string(&full).unwrap()).unwrap();
        assert_eq!(back, full);
        // Of two families a question names, the lower precedence wins.
        assert_eq!(
            full.family_asked("my pads and bpm")
                .map(|f| f.name.as_str()),
            Some("pads")
        );
        assert_eq!(
            full.family_asked("my bpm").map(|f| f.name.as_str()),
            Some("boost")
        );
        assert!(full.family_asked("my speed").is_none());
    }
}

//! The neutral analysis: what every domain makes of one recording, and all
//! the platform stores, lists, filters, charts and gives the coach.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One recording, analysed. Build it in a domain, check it with
/// [`Analysis::validate`](crate::Analysis::validate) before storing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// What the recording is, when it happened, what lists can filter on.
    pub facts: Facts,
    /// The sides of the recording (teams), in display order; empty for
    /// domains without sides (a talk).
    pub sides: Vec<Side>,
    /// Everyone taking part, in display order.
    pub participants: Vec<Participant>,
    /// Numbers about the recording, a side or a participant.
    pub metrics: Vec<Metric>,
    /// Moments of the recording, sorted by time.
    pub events: Vec<Event>,
    /// The pieces of text the coach retrieves and cites.
    pub passages: Vec<Passage>,
    /// The domain's own full report (for Rocket League the engine's JSON),
    /// which its pages render through [`Domain::page_sections`](crate::Domain::page_sections).
    pub report: serde_json::Value,
    /// The analysis revision of the domain that made this (see
    /// [`Domain::revision`](crate::Domain::revision)): older ones can be re-analysed.
    pub revision: u32,
    /// Set when only part of the recording could be analysed; the rest of
    /// the analysis holds what could be read.
    pub degraded: Option<Degraded>,
}

/// Why an analysis is partial.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Degraded {
    /// Stable machine-readable code, `[a-z0-9_]+` (e.g. `network_decode_failed`).
    pub code: String,
    /// What happened, for people.
    pub reason: String,
}

/// Facts about the recording as a whole.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// A title for lists and pages.
    pub title: String,
    /// When the recording was made, if the file says.
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub occurred_at: Option<OffsetDateTime>,
    /// Length in seconds, if known; event times lie within it.
    pub duration_s: Option<f64>,
    /// What lists filter on: facet (`[a-z0-9_]+`, e.g. `map`) to value.
    pub facets: BTreeMap<String, String>,
    /// Who won, when the recording has a result.
    pub outcome: Outcome,
}

/// The result of a recording, per side. The platform derives each owner's
/// win, loss or draw from it and the side of the owner's participant.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// The recording has no result (a talk), or it is unknown.
    #[default]
    None,
    /// No side won.
    Draw,
    /// This side won; every other side lost.
    Winner {
        /// A key of [`Analysis::sides`].
        side: String,
    },
}

/// What an [`Outcome`] means for one side.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SideOutcome {
    /// The side won.
    Win,
    /// Another side won.
    Loss,
    /// Nobody won.
    Draw,
}

impl Outcome {
    /// The result for `side`; `None` when the recording has no result.
    pub fn for_side(&self, side: &str) -> Option<SideOutcome> {
        match self {
            Outcome::None => None,
            Outcome::Draw => Some(SideOutcome::Draw),
            Outcome::Winner { side: winner } if winner == side => Some(SideOutcome::Win),
            Outcome::Winner { .. } => Some(SideOutcome::Loss),
        }
    }
}

/// A side of the recording (a team).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    /// Stable key, `[a-z0-9_]+` (`blue`, `orange`).
    pub key: String,
    /// A name to show, e.g. a club name.
    pub display_name: String,
}

/// Someone taking part in the recording.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Stable identity across recordings, unique within one: an account
    /// (`steam:7656...`) where the recording names it, else a name
    /// (`name:Bot Sundown`). Owners link their accounts to these keys.
    pub key: String,
    /// The name to show.
    pub display_name: String,
    /// A key of [`Analysis::sides`], if the recording has sides.
    pub side: Option<String>,
    /// A computer player: never anyone's account.
    pub is_bot: bool,
}

/// What a metric or an event is about.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// The whole recording.
    Recording,
    /// A side, by its key.
    Side(String),
    /// A participant, by its key.
    Participant(String),
}

/// A unit of a metric value. Amounts the domain measures in its own scale
/// ([`Unit::Uu`], [`Unit::Boost`]) say so, so that a page or the coach never
/// has to guess what a number means.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A number of things (goals, fillers, powerslides).
    Count,
    /// A duration in seconds.
    Seconds,
    /// A share from 0 to 100.
    Percent,
    /// Things per minute (boost used per minute, words per minute).
    PerMinute,
    /// A distance in Unreal units (Rocket League; 1 uu = 1 cm).
    Uu,
    /// A speed in Unreal units per second.
    UuPerS,
    /// An amount of Rocket League boost, on the 0-100 scale the game shows.
    Boost,
    /// Points of a score (the game's score, a 0-100 rating).
    Points,
    /// Yes (1) or no (0), e.g. MVP.
    Boolean,
    /// A frequency in hertz (voice pitch).
    #[serde(rename = "hz")]
    Hertz,
    /// A level in decibels (loudness).
    #[serde(rename = "db")]
    Decibels,
    /// A plain ratio without unit.
    Ratio,
}

impl Unit {
    /// The unit's stable name, as it is serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Seconds => "seconds",
            Unit::Percent => "percent",
            Unit::PerMinute => "per_minute",
            Unit::Uu => "uu",
            Unit::UuPerS => "uu_per_s",
            Unit::Boost => "boost",
            Unit::Points => "points",
            Unit::Boolean => "boolean",
            Unit::Hertz => "hz",
            Unit::Decibels => "db",
            Unit::Ratio => "ratio",
        }
    }

    /// A short symbol to print after a value (`s`, `%`, `uu/s`); empty for counts.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Count | Unit::Boolean | Unit::Ratio => "",
            Unit::Seconds => "s",
            Unit::Percent => "%",
            Unit::PerMinute => "/min",
            Unit::Uu => "uu",
            Unit::UuPerS => "uu/s",
            Unit::Boost => "boost",
            Unit::Points => "pts",
            Unit::Hertz => "Hz",
            Unit::Decibels => "dB",
        }
    }

    /// Every unit, for documentation and exhaustive tests.
    pub const ALL: [Unit; 12] = [
        Unit::Count,
        Unit::Seconds,
        Unit::Percent,
        Unit::PerMinute,
        Unit::Uu,
        Unit::UuPerS,
        Unit::Boost,
        Unit::Points,
        Unit::Boolean,
        Unit::Hertz,
        Unit::Decibels,
        Unit::Ratio,
    ];
}

/// One number: `key` of `subject` is `value` `unit`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Who or what it measures.
    pub subject: Subject,
    /// `[a-z0-9_.]+`, `family.field` by convention (`boost.bpm`); the
    /// domain's [`MetricDefinition`](crate::MetricDefinition) of the same key explains it.
    pub key: String,
    /// A finite number.
    pub value: f64,
    /// Its unit.
    pub unit: Unit,
    /// Whether more is better (`None`: it depends, e.g. time in the offensive half).
    pub higher_is_better: Option<bool>,
}

/// A moment of the recording.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Seconds from the start of the recording.
    pub t_s: f64,
    /// `[a-z0-9_]+`: `goal`, `save`, `filler`, `pause`...
    pub kind: String,
    /// Who or what it is about.
    pub subject: Subject,
    /// One line for people ("Goal by Ann for blue (1-0)").
    pub label: String,
    /// Where it happened, in the domain's coordinates (Rocket League: uu,
    /// x across, y along the field, z up).
    pub position: Option<[f64; 3]>,
    /// Anything else the domain knows about it (JSON `null` if nothing).
    pub payload: serde_json::Value,
}

/// Where in the recording a passage lies.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Span {
    /// From `start_s` to `end_s` seconds (equal for a moment).
    Time {
        /// Start, seconds from the start of the recording.
        start_s: f64,
        /// End, not before the start.
        end_s: f64,
    },
    /// A page of a document (numbered from 1), e.g. a lecture's slides.
    Page {
        /// The page number.
        page: u32,
    },
}

/// A piece of text the coach can retrieve and cite by its span.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Where it lies.
    pub span: Span,
    /// What it says.
    pub text: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn an_outcome_reads_as_win_loss_or_draw_per_side() {
        let blue_won = Outcome::Winner {
            side: "blue".into(),
        };
        assert_eq!(blue_won.for_side("blue"), Some(SideOutcome::Win));
        assert_eq!(blue_won.for_side("orange"), Some(SideOutcome::Loss));
        assert_eq!(Outcome::Draw.for_side("blue"), Some(SideOutcome::Draw));
        assert_eq!(Outcome::None.for_side("blue"), None);
    }

    #[test]
    fn units_serialize_as_their_stable_names() {
        for unit in Unit::ALL {
            let json = serde_json::to_value(unit).unwrap();
            assert_eq!(json, serde_json::Value::from(unit.as_str()));
            assert_eq!(serde_json::from_value::<Unit>(json).unwrap(), unit);
        }
    }

    #[test]
    fn subjects_and_spans_have_a_readable_json_shape() {
        assert_eq!(
            serde_json::to_value(Subject::Participant("steam:1".into())).unwrap(),
            serde_json::json!({"participant": "steam:1"})
        );
        assert_eq!(
            serde_json::to_value(Subject::Recording).unwrap(),
            serde_json::json!("recording")
        );
        assert_eq!(
            serde_json::to_value(Span::Page { page: 3 }).unwrap(),
            serde_json::json!({"kind": "page", "page": 3})
        );
    }
}

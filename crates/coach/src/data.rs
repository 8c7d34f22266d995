//! The player data seam: what the coach may read and write about one player.
//!
//! [`CoachData`] is already scoped to one user when the coach gets it (the web layer
//! implements it over the store for the signed-in player), so no tool can ever reach
//! another player's games. Games reach the coach as [`GameDigest`]s: the few numbers
//! and moments of one recording from the player's point of view, built from the
//! stored neutral rows (the domain crate's [`CoachRecording`], which the store
//! returns) with the domain's [`CoachDigestSpec`]
//! (which metrics are the headline stats, which events are moments). No domain's
//! report is read.

use std::collections::BTreeMap;
use std::sync::Mutex;

use filmroom_domain::{CoachDigestSpec, CoachRecording, Event, MomentOwner, SideOutcome, Subject};
pub use filmroom_domain::{HitSource, MetricGroup, SearchHit};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The player's games and notes, as the coach sees them.
#[async_trait::async_trait]
pub trait CoachData: Send + Sync {
    /// The player's games matching the query, newest first.
    async fn games(&self, query: &GameQuery) -> Result<Vec<GameDigest>, DataError>;
    /// One game, or `None` if it does not exist or is not this player's.
    async fn game(&self, id: &str) -> Result<Option<GameDigest>, DataError>;
    /// The coaching notes kept with the player, oldest first.
    async fn notes(&self) -> Result<Vec<NoteView>, DataError>;
    /// Saves a note written by the coach.
    async fn save_note(&self, text: &str) -> Result<NoteView, DataError>;
    /// Deletes a note; `false` if there was none with this id.
    async fn delete_note(&self, id: &str) -> Result<bool, DataError>;
    /// "Now" for this player's turn: the server's clock (or a test's), so the
    /// prompt's date and saved notes agree with the rest of the platform.
    fn now(&self) -> OffsetDateTime;
    /// Up to `limit` moments and passages of the player's recordings whose text
    /// contains `text` (case-insensitive), newest recordings first.
    async fn search(&self, text: &str, limit: usize) -> Result<Vec<SearchHit>, DataError>;
    /// One metric of the player (a stored key such as `boost.bpm`, or a headline
    /// stat's name such as `bpm`) aggregated over their recordings.
    async fn metric_groups(&self, query: &MetricQuery) -> Result<Vec<MetricGroup>, DataError>;
    /// The digest spec of each kind the player's recordings may have, by kind:
    /// the built-in analyst words its answers with them. None by default (the
    /// analyst then knows no stat family and uses neutral words).
    fn digest_specs(&self) -> BTreeMap<String, CoachDigestSpec> {
        BTreeMap::new()
    }
}

/// Which metric to aggregate, over which period, grouped how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricQuery {
    pub metric: String,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    /// One group per value of this facet (`playlist`).
    pub group_by: Option<String>,
}

/// Which games to read. `from` is inclusive and `until` exclusive; games without a
/// known date are left out of any query with a date bound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GameQuery {
    /// At most this many games (the newest ones).
    pub limit: usize,
    /// Only this playlist (compared case-insensitively), as [`GameDigest::playlist`].
    pub playlist: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

impl GameQuery {
    /// The newest `limit` games.
    pub fn recent(limit: usize) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    /// Whether a game passes the filters (not the limit).
    pub fn matches(&self, game: &GameDigest) -> bool {
        if let Some(playlist) = &self.playlist {
            let same = game
                .playlist
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case(playlist));
            if !same {
                return false;
            }
        }
        if self.from.is_none() && self.until.is_none() {
            return true;
        }
        let Some(at) = game.played_at else {
            return false;
        };
        self.from.is_none_or(|from| at >= from) && self.until.is_none_or(|until| at < until)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteView {
    pub id: String,
    pub text: String,
    /// `coach` or `player`.
    pub author: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The storage behind the seam failed.
    #[error("the player's data could not be read or written")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The request was refused (for example a note that is too long).
    #[error("{0}")]
    Rejected(String),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GameResult {
    Win,
    Loss,
    Draw,
    #[default]
    Unknown,
}

impl From<Option<SideOutcome>> for GameResult {
    fn from(outcome: Option<SideOutcome>) -> Self {
        match outcome {
            Some(SideOutcome::Win) => Self::Win,
            Some(SideOutcome::Loss) => Self::Loss,
            Some(SideOutcome::Draw) => Self::Draw,
            None => Self::Unknown,
        }
    }
}

/// A moment of the recording the coach can cite: `at_seconds` is the time in the
/// recording (seconds from its start, as its stored events give it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moment {
    /// The moment its domain's rule names (`goal_against`).
    pub kind: String,
    pub at_seconds: f64,
    /// The event's label, as the recording's page shows it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
}

/// A stored passage of the recording: a span and its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassageView {
    pub start_seconds: f64,
    pub end_seconds: f64,
    pub text: String,
}

/// One headline stat of a digest: a count as a whole number, any other value
/// rounded to one decimal so the model quotes the same figure the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StatValue {
    Whole(u32),
    Real(f64),
}

impl StatValue {
    pub fn as_f64(self) -> f64 {
        match self {
            Self::Whole(n) => f64::from(n),
            Self::Real(v) => v,
        }
    }
}

/// The player's headline stats in one game, by the domain's stat names
/// (`bpm`); `None` (`null`) where the recording could not be fully analysed.
pub type DigestStats = BTreeMap<String, Option<StatValue>>;

/// One game from the player's point of view: what the tools return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameDigest {
    pub id: String,
    /// The recording's kind (`rl_replay`).
    #[serde(default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the recording can be grouped by (`playlist`, `map`...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub facets: BTreeMap<String, String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub played_at: Option<OffsetDateTime>,
    pub map: Option<String>,
    /// The replay's match type (`Online`, `Private`...), as the pages filter it.
    pub playlist: Option<String>,
    pub duration_seconds: Option<f64>,
    pub team_size: Option<u32>,
    /// False when only the scoreboard could be read.
    pub complete: bool,
    pub my_name: String,
    /// `blue` or `orange`.
    pub my_team: String,
    pub result: GameResult,
    pub score_for: u32,
    pub score_against: u32,
    pub stats: DigestStats,
    /// Time-ordered. Left out of list results (`recent_games`...), hence the default.
    #[serde(default)]
    pub moments: Vec<Moment>,
    /// Every stored metric of the player, by key: in one recording's detail only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
    /// The recording's passages: in one recording's detail only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passages: Vec<PassageView>,
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn count(v: f64) -> u32 {
    if v.is_finite() && v > 0.0 {
        // Counts are whole numbers stored as REAL; the cast saturates.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = v.round() as u32;
        n
    } else {
        0
    }
}

/// Every headline stat of the spec, by name, from the player's metrics.
fn digest_stats(spec: &CoachDigestSpec, my_metrics: &BTreeMap<String, f64>) -> DigestStats {
    spec.headline
        .iter()
        .map(|h| {
            let value = my_metrics.get(&h.metric).copied().map(|v| {
                if h.whole {
                    StatValue::Whole(count(v))
                } else {
                    StatValue::Real(round1(v))
                }
            });
            (h.name.clone(), value)
        })
        .collect()
}

/// The player's moments among `events`, by the domain's rules, time-ordered.
pub fn moments(
    events: &[Event],
    me: &str,
    my_side: Option<&str>,
    spec: &CoachDigestSpec,
) -> Vec<Moment> {
    let mut out = Vec::new();
    for event in events {
        for rule in spec.moments.iter().filter(|r| r.event_kind == event.kind) {
            let payload_str = |field: &str| event.payload.get(field).and_then(|v| v.as_str());
            let mine = match &rule.owner {
                MomentOwner::Subject => {
                    matches!(&event.subject, Subject::Participant(p) if p == me)
                }
                MomentOwner::PayloadParticipant(field) => payload_str(field) == Some(me),
                MomentOwner::OtherSide(field) => my_side
                    .is_some_and(|side| payload_str(field).is_some_and(|other| other != side)),
            };
            if mine {
                out.push(Moment {
                    kind: rule.moment.clone(),
                    at_seconds: round1(event.t_s),
                    label: event.label.clone(),
                });
                // One moment per event: the first rule that fits.
                break;
            }
        }
    }
    out.sort_by(|a, b| a.at_seconds.total_cmp(&b.at_seconds));
    out
}

impl GameDigest {
    /// A headline stat's value, `None` when the game does not have it.
    pub fn stat(&self, name: &str) -> Option<f64> {
        self.stats
            .get(name)
            .copied()
            .flatten()
            .map(StatValue::as_f64)
    }

    /// The digest of a stored recording, or `None` when none of its
    /// participants is the player's. `events` are the recording's events of the
    /// spec's moment kinds (empty for list results).
    pub fn from_stored(
        game: &CoachRecording,
        spec: &CoachDigestSpec,
        events: &[Event],
    ) -> Option<GameDigest> {
        let me = game.me.as_deref()?;
        let side_score = |side: Option<&String>| -> u32 {
            let metrics = side.and_then(|side| game.side_metrics.get(side));
            spec.score_metrics
                .iter()
                .find_map(|metric| metrics?.get(metric).copied())
                .map_or(0, count)
        };
        let my_side = game.me_side.clone();
        let other_side = game
            .side_metrics
            .keys()
            .find(|s| Some(*s) != my_side.as_ref())
            .cloned();
        Some(GameDigest {
            id: game.id.clone(),
            kind: game.kind.clone(),
            title: game.title.clone(),
            facets: game.facets.clone(),
            played_at: game.occurred_at,
            map: game.facets.get("map").cloned(),
            playlist: game.facets.get("playlist").cloned(),
            duration_seconds: game.duration_s.map(round1),
            team_size: game.facets.get("team_size").and_then(|n| n.parse().ok()),
            complete: game.complete,
            my_name: game.me_name.clone().unwrap_or_else(|| me.to_owned()),
            my_team: my_side.clone().unwrap_or_default(),
            result: GameResult::from(game.outcome),
            score_for: side_score(my_side.as_ref()),
            score_against: side_score(other_side.as_ref()),
            stats: digest_stats(spec, &game.my_metrics),
            moments: moments(events, me, my_side.as_deref(), spec),
            metrics: BTreeMap::new(),
            passages: Vec::new(),
        })
    }

    /// The digest of a neutral analysis for the participant `me`, as the store
    /// would give it (for tests and for running the coach without a store).
    pub fn from_neutral(
        id: &str,
        occurred_at: Option<OffsetDateTime>,
        kind: &str,
        analysis: &filmroom_domain::Analysis,
        me: &str,
        spec: &CoachDigestSpec,
    ) -> Option<GameDigest> {
        let participant = analysis.participants.iter().find(|p| p.key == me)?;
        let mut side_metrics: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        let mut my_metrics = BTreeMap::new();
        for metric in &analysis.metrics {
            match &metric.subject {
                Subject::Participant(p) if p == me => {
                    my_metrics.insert(metric.key.clone(), metric.value);
                }
                Subject::Side(side) => {
                    side_metrics
                        .entry(side.clone())
                        .or_default()
                        .insert(metric.key.clone(), metric.value);
                }
                _ => {}
            }
        }
        let outcome = participant
            .side
            .as_deref()
            .and_then(|side| analysis.facts.outcome.for_side(side));
        let stored = CoachRecording {
            id: id.to_owned(),
            kind: kind.to_owned(),
            title: Some(analysis.facts.title.clone()),
            occurred_at: occurred_at.or(analysis.facts.occurred_at),
            duration_s: analysis.facts.duration_s,
            facets: analysis.facts.facets.clone(),
            complete: analysis.degraded.is_none(),
            me: Some(me.to_owned()),
            me_name: Some(participant.display_name.clone()),
            me_side: participant.side.clone(),
            outcome,
            my_metrics: my_metrics.clone(),
            side_metrics,
        };
        let passages: Vec<(f64, f64, String)> = analysis
            .passages
            .iter()
            .filter_map(|p| match p.span {
                filmroom_domain::Span::Time { start_s, end_s } => {
                    Some((start_s, end_s, p.text.clone()))
                }
                filmroom_domain::Span::Page { .. } => None,
            })
            .collect();
        GameDigest::from_stored(&stored, spec, &analysis.events)
            .map(|d| d.with_detail(&my_metrics, &passages))
    }

    /// The digest with the detail of one recording: every metric of the player
    /// and the passages, rounded to two decimals (what a model should quote).
    pub fn with_detail(
        mut self,
        metrics: &BTreeMap<String, f64>,
        passages: &[(f64, f64, String)],
    ) -> Self {
        self.metrics = metrics
            .iter()
            .map(|(k, v)| (k.clone(), round2(*v)))
            .collect();
        self.passages = passages
            .iter()
            .map(|(start, end, text)| PassageView {
                start_seconds: round2(*start),
                end_seconds: round2(*end),
                text: text.clone(),
            })
            .collect();
        self
    }
}

/// Games and notes held in memory: for tests (of this crate and of others) and for
/// running the coach without a store.
#[derive(Debug, Default)]
pub struct InMemoryData {
    games: Vec<GameDigest>,
    specs: BTreeMap<String, CoachDigestSpec>,
    notes: Mutex<Notes>,
    now: Option<OffsetDateTime>,
}

#[derive(Debug, Default)]
struct Notes {
    list: Vec<NoteView>,
    next_id: u64,
}

impl InMemoryData {
    /// Holds these games (sorted newest first; games without a date last).
    pub fn new(mut games: Vec<GameDigest>) -> Self {
        games.sort_by(|a, b| b.played_at.cmp(&a.played_at).then_with(|| a.id.cmp(&b.id)));
        Self {
            games,
            ..Self::default()
        }
    }

    /// Stamps saved notes with this time instead of the clock, so tests are
    /// deterministic.
    pub fn at(mut self, now: OffsetDateTime) -> Self {
        self.now = Some(now);
        self
    }

    /// With the digest spec of a kind, for the analyst's words.
    pub fn with_spec(mut self, kind: &str, spec: CoachDigestSpec) -> Self {
        self.specs.insert(kind.to_owned(), spec);
        self
    }

    /// Starts with these notes.
    pub fn with_notes(self, notes: Vec<NoteView>) -> Self {
        if let Ok(mut held) = self.notes.lock() {
            held.next_id = u64::try_from(notes.len()).unwrap_or(u64::MAX);
            held.list = notes;
        }
        self
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Notes>, DataError> {
        self.notes
            .lock()
            .map_err(|_| DataError::Backend("the notes lock is poisoned".into()))
    }
}

#[async_trait::async_trait]
impl CoachData for InMemoryData {
    async fn games(&self, query: &GameQuery) -> Result<Vec<GameDigest>, DataError> {
        Ok(self
            .games
            .iter()
            .filter(|g| query.matches(g))
            .take(query.limit)
            .cloned()
            .collect())
    }

    async fn game(&self, id: &str) -> Result<Option<GameDigest>, DataError> {
        Ok(self.games.iter().find(|g| g.id == id).cloned())
    }

    async fn notes(&self) -> Result<Vec<NoteView>, DataError> {
        Ok(self.lock()?.list.clone())
    }

    async fn save_note(&self, text: &str) -> Result<NoteView, DataError> {
        let mut notes = self.lock()?;
        notes.next_id += 1;
        let note = NoteView {
            id: format!("note-{}", notes.next_id),
            text: text.to_owned(),
            author: "coach".to_owned(),
            updated_at: self.now.unwrap_or_else(OffsetDateTime::now_utc),
        };
        notes.list.push(note.clone());
        Ok(note)
    }

    async fn delete_note(&self, id: &str) -> Result<bool, DataError> {
        let mut notes = self.lock()?;
        let before = notes.list.len();
        notes.list.retain(|n| n.id != id);
        Ok(notes.list.len() != before)
    }

    fn digest_specs(&self) -> BTreeMap<String, CoachDigestSpec> {
        self.specs.clone()
    }

    fn now(&self) -> OffsetDateTime {
        // Only data held in memory without `at` has no clock of its own.
        self.now.unwrap_or_else(OffsetDateTime::now_utc)
    }

    async fn search(&self, text: &str, limit: usize) -> Result<Vec<SearchHit>, DataError> {
        let needle = text.trim().to_lowercase();
        let mut hits = Vec::new();
        for game in &self.games {
            let hit = |source: HitSource, kind: Option<&str>, start: f64, end: f64, text: &str| {
                SearchHit {
                    recording_id: game.id.clone(),
                    kind: game.kind.clone(),
                    title: game.title.clone(),
                    occurred_at: game.played_at,
                    source,
                    event_kind: kind.map(str::to_owned),
                    start_seconds: start,
                    end_seconds: end,
                    text: text.to_owned(),
                }
            };
            let mut found: Vec<SearchHit> = game
                .moments
                .iter()
                .filter(|m| m.label.to_lowercase().contains(&needle))
                .map(|m| {
                    hit(
                        HitSource::Event,
                        Some(m.kind.as_str()),
                        m.at_seconds,
                        m.at_seconds,
                        &m.label,
                    )
                })
                .chain(
                    game.passages
                        .iter()
                        .filter(|p| p.text.to_lowercase().contains(&needle))
                        .map(|p| {
                            hit(
                                HitSource::Passage,
                                None,
                                p.start_seconds,
                                p.end_seconds,
                                &p.text,
                            )
                        }),
                )
                .collect();
            found.sort_by(|a, b| a.start_seconds.total_cmp(&b.start_seconds));
            hits.extend(found);
        }
        hits.truncate(limit);
        Ok(hits)
    }

    async fn metric_groups(&self, query: &MetricQuery) -> Result<Vec<MetricGroup>, DataError> {
        let range = GameQuery {
            limit: usize::MAX,
            from: query.from,
            until: query.until,
            ..GameQuery::default()
        };
        let mut groups: BTreeMap<Option<String>, Vec<(&GameDigest, f64)>> = BTreeMap::new();
        for game in self.games.iter().filter(|g| range.matches(g)) {
            let value = game
                .metrics
                .get(&query.metric)
                .copied()
                .or_else(|| crate::tools::stat_value(game, &query.metric));
            if let Some(value) = value {
                let group = query
                    .group_by
                    .as_ref()
                    .and_then(|facet| game.facets.get(facet).cloned());
                groups.entry(group).or_default().push((game, value));
            }
        }
        Ok(groups
            .into_iter()
            .map(|(group, rows)| {
                let n = rows.len();
                let of = |r: GameResult| rows.iter().filter(|(g, _)| g.result == r).count() as u64;
                let values = rows.iter().map(|(_, v)| *v);
                #[allow(clippy::cast_precision_loss)] // a few thousand games at most
                let average = values.clone().sum::<f64>() / n as f64;
                MetricGroup {
                    group,
                    recordings: n as u64,
                    wins: of(GameResult::Win),
                    losses: of(GameResult::Loss),
                    draws: of(GameResult::Draw),
                    average,
                    min: values.clone().fold(f64::INFINITY, f64::min),
                    max: values.fold(f64::NEG_INFINITY, f64::max),
                }
            })
            .collect())
    }
}

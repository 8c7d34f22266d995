//! The player data seam: what the coach may read and write about one player.
//!
//! [`CoachData`] is already scoped to one user when the coach gets it (the web layer
//! implements it over the store for the signed-in player), so no tool can ever reach
//! another player's games. Games reach the coach as [`GameDigest`]s: the few numbers
//! and moments of one game from the player's point of view, built from the replay
//! engine's [`Analysis`].

use std::sync::Mutex;

use filmroom_replay::{Analysis, AnalysisStatus, EventKind, PlayerId, PlayerReport};
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

/// Who "me" is in a replay: a player's name and, when the replay has it, their
/// platform account (which survives a change of display name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlayerKey {
    pub name: String,
    pub id: Option<PlayerId>,
}

impl PlayerKey {
    /// The same account, or (when either side has no account) the same name,
    /// ignoring case.
    pub fn matches(&self, player: &PlayerReport) -> bool {
        match (&self.id, &player.id) {
            (Some(a), Some(b)) => a == b,
            _ => self.name.to_lowercase() == player.name.to_lowercase(),
        }
    }
}

fn account_label(id: &PlayerId) -> String {
    format!("{}:{}", id.platform, id.id).to_lowercase()
}

/// Finds the player these games belong to: one whose name or `platform:id` is in
/// `names` (case-insensitive) or, when `names` is empty, the human player who
/// appears in the most games (the uploader). Ties go to the player seen first.
pub fn identify_me(analyses: &[&Analysis], names: &[String]) -> Option<PlayerKey> {
    let wanted: Vec<String> = names.iter().map(|n| n.trim().to_lowercase()).collect();
    // (key, games seen in), in order of first appearance for deterministic ties.
    let mut seen: Vec<(PlayerKey, usize)> = Vec::new();
    for analysis in analyses {
        let mut counted_here: Vec<usize> = Vec::new();
        for player in analysis.players.iter().filter(|p| !p.is_bot) {
            if !wanted.is_empty() {
                let by_name = wanted.contains(&player.name.to_lowercase());
                let by_id = player
                    .id
                    .as_ref()
                    .is_some_and(|id| wanted.contains(&account_label(id)));
                if !by_name && !by_id {
                    continue;
                }
            }
            let index = match seen.iter().position(|(k, _)| k.matches(player)) {
                Some(i) => i,
                None => {
                    seen.push((
                        PlayerKey {
                            name: player.name.clone(),
                            id: player.id.clone(),
                        },
                        0,
                    ));
                    seen.len() - 1
                }
            };
            if !counted_here.contains(&index) {
                counted_here.push(index);
                if let Some(entry) = seen.get_mut(index) {
                    entry.1 += 1;
                }
            }
        }
    }
    let best = seen.iter().map(|(_, n)| *n).max()?;
    seen.into_iter()
        .find(|(_, n)| *n == best)
        .map(|(key, _)| key)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GameResult {
    Win,
    Loss,
    Draw,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MomentKind {
    Goal,
    Assist,
    Save,
    Shot,
    GoalAgainst,
}

impl MomentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Goal => "goal",
            Self::Assist => "assist",
            Self::Save => "save",
            Self::Shot => "shot",
            Self::GoalAgainst => "goal_against",
        }
    }
}

/// A moment of the game the coach can cite: `at_seconds` is the match time (seconds
/// since the replay's first frame, as the analysis events give it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moment {
    pub kind: MomentKind,
    pub at_seconds: f64,
}

/// The player's own numbers in one game. Floats are rounded to one decimal so the
/// model quotes the same figure the page shows. `None` where the replay could not
/// be fully analysed (scoreboard numbers only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DigestStats {
    pub goals: u32,
    pub assists: u32,
    pub saves: u32,
    pub shots: u32,
    pub score: u32,
    pub demos_inflicted: Option<u32>,
    pub demos_taken: Option<u32>,
    /// Boost used per minute (ballchasing's `bpm`).
    pub bpm: Option<f64>,
    /// Average boost in the tank, 0-100.
    pub avg_boost_amount: Option<f64>,
    pub percent_zero_boost: Option<f64>,
    /// uu/s.
    pub avg_speed: Option<f64>,
    pub percent_supersonic: Option<f64>,
    pub percent_defensive_third: Option<f64>,
    pub percent_behind_ball: Option<f64>,
    /// uu.
    pub avg_distance_to_ball: Option<f64>,
}

/// One game from the player's point of view: what the tools return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameDigest {
    pub id: String,
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
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The replay's own date (`YYYY-MM-DD HH-MM-SS`, the recorder's local time), read
/// as UTC: the header has no zone, and a day's precision is what the coach needs.
fn header_date(date: &str) -> Option<OffsetDateTime> {
    let (day, clock) = date.trim().split_once(' ')?;
    let mut d = day.split('-').map(str::parse::<u32>);
    let mut c = clock.split(['-', ':']).map(str::parse::<u8>);
    let (year, month, dom) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let (hour, minute, second) = (c.next()?.ok()?, c.next()?.ok()?, c.next()?.ok()?);
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(dom).ok()?)
            .ok()?;
    let clock = time::Time::from_hms(hour, minute, second).ok()?;
    Some(time::PrimitiveDateTime::new(date, clock).assume_utc())
}

impl GameDigest {
    /// The digest of `analysis` for the player `me`, or `None` if `me` did not play
    /// in it. `played_at` is the date the caller trusts (the store's); without it the
    /// replay header's date is used.
    pub fn from_analysis(
        id: &str,
        played_at: Option<OffsetDateTime>,
        analysis: &Analysis,
        me: &PlayerKey,
    ) -> Option<GameDigest> {
        let (index, player) = analysis
            .players
            .iter()
            .enumerate()
            .find(|(_, p)| me.matches(p))?;
        let team = usize::from(player.team.min(1));
        let score_for = analysis.replay.score.get(team).copied().unwrap_or(0);
        let score_against = analysis.replay.score.get(1 - team).copied().unwrap_or(0);
        let result = if player.team > 1 {
            GameResult::Unknown
        } else if score_for > score_against {
            GameResult::Win
        } else if score_for < score_against {
            GameResult::Loss
        } else {
            GameResult::Draw
        };
        let s = &player.stats;
        let stats = DigestStats {
            goals: s.core.goals,
            assists: s.core.assists,
            saves: s.core.saves,
            shots: s.core.shots,
            score: s.core.score,
            demos_inflicted: s.demo.as_ref().map(|d| d.inflicted),
            demos_taken: s.demo.as_ref().map(|d| d.taken),
            bpm: s.boost.as_ref().map(|b| round1(b.bpm)),
            avg_boost_amount: s.boost.as_ref().map(|b| round1(b.avg_amount)),
            percent_zero_boost: s
                .boost
                .as_ref()
                .and_then(|b| b.percent_zero_boost)
                .map(round1),
            avg_speed: s.movement.as_ref().and_then(|m| m.avg_speed).map(round1),
            percent_supersonic: s
                .movement
                .as_ref()
                .and_then(|m| m.percent_supersonic_speed)
                .map(round1),
            percent_defensive_third: s
                .positioning
                .as_ref()
                .and_then(|p| p.percent_defensive_third)
                .map(round1),
            percent_behind_ball: s
                .positioning
                .as_ref()
                .and_then(|p| p.percent_behind_ball)
                .map(round1),
            avg_distance_to_ball: s
                .positioning
                .as_ref()
                .and_then(|p| p.avg_distance_to_ball)
                .map(round1),
        };
        let mut moments = Vec::new();
        for event in &analysis.events {
            let mut push = |kind| {
                moments.push(Moment {
                    kind,
                    at_seconds: round1(event.time),
                })
            };
            match &event.kind {
                EventKind::Goal {
                    team: scoring,
                    scorer,
                    assister,
                    ..
                } => {
                    if *scoring != player.team {
                        push(MomentKind::GoalAgainst);
                    } else if *scorer == Some(index) {
                        push(MomentKind::Goal);
                    } else if *assister == Some(index) {
                        push(MomentKind::Assist);
                    }
                }
                EventKind::Shot { player: p } if *p == index => push(MomentKind::Shot),
                EventKind::Save { player: p } if *p == index => push(MomentKind::Save),
                _ => {}
            }
        }
        let info = &analysis.replay;
        Some(GameDigest {
            id: id.to_owned(),
            played_at: played_at.or_else(|| info.date.as_deref().and_then(header_date)),
            map: info.map_code.clone(),
            playlist: info.match_type.clone(),
            duration_seconds: info.duration.map(round1),
            team_size: info.team_size,
            complete: matches!(analysis.status, AnalysisStatus::Full),
            my_name: player.name.clone(),
            my_team: if player.team == 0 { "blue" } else { "orange" }.to_owned(),
            result,
            score_for,
            score_against,
            stats,
            moments,
        })
    }
}

/// Games and notes held in memory: for tests (of this crate and of others) and for
/// running the coach without a store.
#[derive(Debug, Default)]
pub struct InMemoryData {
    games: Vec<GameDigest>,
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
}

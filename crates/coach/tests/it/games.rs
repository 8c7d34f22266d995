//! Real games for the coach's tests: replays from `../shared/replays` analysed by the
//! replay engine, turned into the neutral analysis the store keeps (the Rocket
//! League domain's `to_neutral`), digested for a player with the domain's digest
//! spec, held in an `InMemoryData`.

use std::path::PathBuf;
use std::sync::OnceLock;

use filmroom_coach::{GameDigest, InMemoryData};
use filmroom_replay::Analysis;
use time::OffsetDateTime;
use time::macros::datetime;

/// `../shared/replays` next to the project root (override with FILMROOM_REPLAYS).
pub fn replays_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("FILMROOM_REPLAYS") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/replays")
}

pub struct Game {
    pub id: &'static str,
    pub played_at: OffsetDateTime,
    pub analysis: Analysis,
    pub neutral: filmroom_domain::Analysis,
    /// The player's index in the report and their participant key.
    pub me_index: usize,
    pub me: String,
    pub digest: GameDigest,
}

/// The last session (three games on 2026-03-10, 20:00 to 20:30), then one game a
/// day before it, then a header-only replay.
const GAMES: &[(&str, &str, OffsetDateTime)] = &[
    (
        "bc-doubles-0310",
        "ballchasing/recent-ranked-doubles-2026-03-10.replay",
        datetime!(2026-03-10 20:30 UTC),
    ),
    (
        "bc-standard-0310",
        "ballchasing/recent-ranked-standard-2026-03-10-a.replay",
        datetime!(2026-03-10 20:15 UTC),
    ),
    (
        "bc-rlcs-0310",
        "ballchasing/rlcs-2025-worlds-grand-final-flcn-nrg-g5.replay",
        datetime!(2026-03-10 20:00 UTC),
    ),
    (
        "c-8206e",
        "corpus/8206e.replay",
        datetime!(2026-03-09 18:00 UTC),
    ),
    (
        "c-eac",
        "corpus/eac.replay",
        datetime!(2026-03-08 18:00 UTC),
    ),
    (
        "c-1afa",
        "corpus/1afa.replay",
        datetime!(2026-03-07 18:00 UTC),
    ),
    (
        "c-28fd",
        "corpus/28fd.replay",
        datetime!(2026-03-06 18:00 UTC),
    ),
    (
        "c-9eee",
        "corpus/9eee.replay",
        datetime!(2026-03-05 18:00 UTC),
    ),
    (
        "c-bd8b7",
        "corpus/bd8b7.replay",
        datetime!(2026-03-04 18:00 UTC),
    ),
    (
        "c-6688",
        "corpus/6688.replay",
        datetime!(2026-02-20 18:00 UTC),
    ),
];

pub const SESSION: [&str; 3] = ["bc-doubles-0310", "bc-standard-0310", "bc-rlcs-0310"];

/// Every game, newest first. Each replay is a different match with different
/// players, so "me" in each is its first human player (the uploader stand-in).
pub fn games() -> &'static [Game] {
    static GAMES_CELL: OnceLock<Vec<Game>> = OnceLock::new();
    GAMES_CELL.get_or_init(|| {
        GAMES
            .iter()
            .map(|(id, file, played_at)| {
                let path = replays_dir().join(file);
                let bytes = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                let analysis = filmroom_replay::analyze(&bytes).unwrap();
                let neutral = filmroom_replay::domain::to_neutral(&analysis).unwrap();
                let me_index = analysis
                    .players
                    .iter()
                    .position(|p| !p.is_bot)
                    .unwrap_or_else(|| panic!("no player in {file}: {:?}", analysis.players));
                let me = neutral.participants[me_index].key.clone();
                let digest = GameDigest::from_neutral(
                    id,
                    Some(*played_at),
                    "rl_replay",
                    &neutral,
                    &me,
                    &filmroom_replay::domain::coach_digest(),
                )
                .unwrap();
                Game {
                    id,
                    played_at: *played_at,
                    analysis,
                    neutral,
                    me_index,
                    me,
                    digest,
                }
            })
            .collect()
    })
}

pub fn game(id: &str) -> &'static Game {
    games().iter().find(|g| g.id == id).unwrap()
}

pub fn digests() -> Vec<GameDigest> {
    games().iter().map(|g| g.digest.clone()).collect()
}

/// Today, for the notes' timestamps.
pub const NOW: OffsetDateTime = datetime!(2026-03-11 09:00 UTC);

pub fn data() -> InMemoryData {
    with_specs(digests()).at(NOW)
}

/// These games with the Rocket League domain's digest spec, as the registry
/// gives it to the coach: the built-in analyst's words come from it.
pub fn with_specs(games: Vec<GameDigest>) -> InMemoryData {
    InMemoryData::new(games).with_spec("rl_replay", filmroom_replay::domain::coach_digest())
}

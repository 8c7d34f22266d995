//! What the replay header says: match facts and the game's own scoreboard.
//! The header is plain key/value properties, readable even when the network
//! frames are not, so it is the floor of every analysis.

use boxcars::{HeaderProp, Replay};

use crate::report::{PlayerId, ReplayInfo};

/// One row of the header's `PlayerStats` scoreboard.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreboardRow {
    pub name: String,
    pub id: Option<PlayerId>,
    pub team: u8,
    pub score: u32,
    pub goals: u32,
    pub assists: u32,
    pub saves: u32,
    pub shots: u32,
    pub is_bot: bool,
}

/// A goal as the header lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderGoal {
    pub frame: u32,
    pub player_name: String,
    pub team: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub info: ReplayInfo,
    pub scoreboard: Vec<ScoreboardRow>,
    pub goals: Vec<HeaderGoal>,
    /// Highlight/tick marks ("Team0Goal", "Team1Save"...) with their frames.
    pub tick_marks: Vec<(String, u32)>,
}

fn prop<'a>(props: &'a [(String, HeaderProp)], key: &str) -> Option<&'a HeaderProp> {
    props.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn prop_str(props: &[(String, HeaderProp)], key: &str) -> Option<String> {
    prop(props, key)
        .and_then(HeaderProp::as_string)
        .map(str::to_owned)
}

fn prop_u32(props: &[(String, HeaderProp)], key: &str) -> Option<u32> {
    prop(props, key)
        .and_then(HeaderProp::as_i32)
        .and_then(|v| u32::try_from(v).ok())
}

/// Maps the game's `OnlinePlatform_*` names to ballchasing's platform names.
fn platform_name(raw: &str) -> String {
    match raw.trim_start_matches("OnlinePlatform_") {
        "Steam" => "steam".into(),
        "Epic" => "epic".into(),
        "PS4" | "PS3" | "PS5" => "ps4".into(),
        "Dingo" => "xbox".into(),
        "Switch" => "switch".into(),
        other => other.to_ascii_lowercase(),
    }
}

fn struct_fields(p: &HeaderProp) -> Option<&[(String, HeaderProp)]> {
    match p {
        HeaderProp::Struct { fields, .. } => Some(fields),
        _ => None,
    }
}

/// The account id of a scoreboard row: the Epic id, else the numeric online id,
/// else the PlayStation name. `None` for bots and local split-screen guests.
fn row_id(row: &[(String, HeaderProp)], platform: &str) -> Option<PlayerId> {
    let player_id = prop(row, "PlayerID").and_then(struct_fields);
    let epic = player_id
        .and_then(|f| prop_str(f, "EpicAccountId"))
        .filter(|s| !s.is_empty());
    let online = prop(row, "OnlineID")
        .and_then(HeaderProp::as_u64)
        .or_else(|| {
            player_id
                .and_then(|f| prop(f, "Uid"))
                .and_then(HeaderProp::as_u64)
        })
        .filter(|v| *v != 0)
        .map(|v| v.to_string());
    let id = if platform == "epic" {
        epic.or(online)
    } else {
        online.or(epic)
    }?;
    Some(PlayerId {
        platform: platform.to_owned(),
        id,
    })
}

fn scoreboard(props: &[(String, HeaderProp)]) -> Vec<ScoreboardRow> {
    let Some(rows) = prop(props, "PlayerStats").and_then(HeaderProp::as_array) else {
        return Vec::new();
    };
    rows.iter()
        .map(|row| {
            let platform = match prop(row, "Platform") {
                Some(HeaderProp::Byte { value: Some(v), .. }) => platform_name(v),
                _ => "unknown".to_owned(),
            };
            let is_bot = prop(row, "bBot")
                .and_then(HeaderProp::as_bool)
                .unwrap_or(false);
            ScoreboardRow {
                name: prop_str(row, "Name").unwrap_or_default(),
                id: if is_bot { None } else { row_id(row, &platform) },
                team: prop_u32(row, "Team").map_or(0, |t| u8::from(t == 1)),
                score: prop_u32(row, "Score").unwrap_or(0),
                goals: prop_u32(row, "Goals").unwrap_or(0),
                assists: prop_u32(row, "Assists").unwrap_or(0),
                saves: prop_u32(row, "Saves").unwrap_or(0),
                shots: prop_u32(row, "Shots").unwrap_or(0),
                is_bot,
            }
        })
        .collect()
}

fn goals(props: &[(String, HeaderProp)]) -> Vec<HeaderGoal> {
    let Some(rows) = prop(props, "Goals").and_then(HeaderProp::as_array) else {
        return Vec::new();
    };
    rows.iter()
        .map(|row| HeaderGoal {
            frame: prop_u32(row, "frame").unwrap_or(0),
            player_name: prop_str(row, "PlayerName").unwrap_or_default(),
            team: prop_u32(row, "PlayerTeam").map_or(0, |t| u8::from(t == 1)),
        })
        .collect()
}

/// Reads everything the header offers. Missing properties stay `None`: old
/// replays lack many of them.
pub fn read(replay: &Replay) -> Header {
    let props = replay.properties.as_slice();
    let goals = goals(props);
    let team_goals = |team: u8| goals.iter().filter(|g| g.team == team).count() as u32;
    let score = [
        prop_u32(props, "Team0Score").unwrap_or_else(|| team_goals(0)),
        prop_u32(props, "Team1Score").unwrap_or_else(|| team_goals(1)),
    ];
    let info = ReplayInfo {
        id: prop_str(props, "Id"),
        name: prop_str(props, "ReplayName"),
        map_code: prop_str(props, "MapName"),
        date: prop_str(props, "Date"),
        match_type: prop_str(props, "MatchType"),
        team_size: prop_u32(props, "TeamSize"),
        game_type: replay.game_type.clone(),
        major_version: replay.major_version,
        minor_version: replay.minor_version,
        net_version: replay.net_version,
        build_version: prop_str(props, "BuildVersion"),
        num_frames: prop_u32(props, "NumFrames"),
        record_fps: prop(props, "RecordFPS").and_then(HeaderProp::as_float),
        duration: None,
        overtime: None,
        score,
    };
    let tick_marks = replay
        .tick_marks
        .iter()
        .filter_map(|t| Some((t.description.clone(), u32::try_from(t.frame).ok()?)))
        .collect();
    Header {
        info,
        scoreboard: scoreboard(props),
        goals,
        tick_marks,
    }
}

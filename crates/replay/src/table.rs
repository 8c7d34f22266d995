//! The players table: one row per player, who and where first, then every
//! stat as a `family.field` column (`boost.bpm`). `filmroom analyze --format
//! csv` and the web's CSV export both write it, so the two never drift.
//! Missing values are empty cells, so a header-only analysis still fits the
//! same columns. Stat fields come from the stat types themselves
//! ([`crate::stats::fields`]): a stat added to the engine appears here.

use serde_json::Value;

use crate::analyze::team_color;
use crate::report::Analysis;
use crate::stats::fields::{Family, lookup};

/// The identity columns that precede the stats.
const LEADING: [&str; 8] = [
    "file",
    "replay_id",
    "date",
    "map",
    "team",
    "name",
    "platform",
    "player_id",
];

/// The header row.
pub fn columns() -> Vec<String> {
    let mut header: Vec<String> = LEADING.iter().map(|s| (*s).to_owned()).collect();
    for family in Family::PLAYER {
        header.extend(
            family
                .columns()
                .iter()
                .map(|c| format!("{}.{c}", family.name())),
        );
    }
    header
}

/// One row per player of `analysis`, in the order of [`columns`]; `file`
/// names the replay.
pub fn rows(file: &str, analysis: &Analysis) -> Vec<Vec<String>> {
    let info = &analysis.replay;
    analysis
        .players
        .iter()
        .map(|player| {
            let mut row: Vec<String> = vec![
                file.to_owned(),
                info.id.clone().unwrap_or_default(),
                info.date.clone().unwrap_or_default(),
                info.map_code.clone().unwrap_or_default(),
                team_color(player.team).to_owned(),
                player.name.clone(),
                player
                    .id
                    .as_ref()
                    .map(|id| id.platform.clone())
                    .unwrap_or_default(),
                player
                    .id
                    .as_ref()
                    .map(|id| id.id.clone())
                    .unwrap_or_default(),
            ];
            for family in Family::PLAYER {
                let columns = family.columns();
                match family.values(&player.stats) {
                    Some(values) => row.extend(columns.iter().map(|c| cell(lookup(&values, c)))),
                    None => row.extend(columns.iter().map(|_| String::new())),
                }
            }
            row
        })
        .collect()
}

/// A value as a spreadsheet cell: empty for `Null`, plain text otherwise.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

//! One CSV row per player: who and where first, then every stat as a
//! `family.field` column (`boost.bpm`). Missing values are empty cells, so a
//! header-only analysis still fits the same columns.

use std::io::Write;

use anyhow::Context;
use filmroom_replay::Analysis;
use filmroom_replay::stats::fields::{Family, lookup};
use serde_json::Value;

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

pub struct PlayersCsv<W: Write> {
    writer: csv::Writer<W>,
    families: Vec<(Family, Vec<&'static str>)>,
}

impl<W: Write> PlayersCsv<W> {
    /// Starts the document by writing the header row.
    pub fn new(out: W) -> anyhow::Result<Self> {
        let families: Vec<_> = Family::PLAYER.iter().map(|f| (*f, f.columns())).collect();
        let mut writer = csv::Writer::from_writer(out);
        let mut header: Vec<String> = LEADING.iter().map(|s| (*s).to_owned()).collect();
        for (family, columns) in &families {
            header.extend(columns.iter().map(|c| format!("{}.{c}", family.name())));
        }
        writer
            .write_record(&header)
            .context("Failed to write the CSV header")?;
        Ok(Self { writer, families })
    }

    /// Appends one row per player of `analysis`; `file` names the replay.
    pub fn write(&mut self, file: &str, analysis: &Analysis) -> anyhow::Result<()> {
        let info = &analysis.replay;
        for player in &analysis.players {
            let mut row: Vec<String> = vec![
                file.to_owned(),
                info.id.clone().unwrap_or_default(),
                info.date.clone().unwrap_or_default(),
                info.map_code.clone().unwrap_or_default(),
                super::team_color(player.team).to_owned(),
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
            for (family, columns) in &self.families {
                match family.values(&player.stats) {
                    Some(values) => {
                        row.extend(columns.iter().map(|c| cell(lookup(&values, c))));
                    }
                    None => row.extend(columns.iter().map(|_| String::new())),
                }
            }
            self.writer
                .write_record(&row)
                .context("Failed to write a CSV row")?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<()> {
        self.writer.flush().context("Failed to write the CSV")?;
        Ok(())
    }
}

/// A value as a spreadsheet cell: empty for `Null`, plain text otherwise.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

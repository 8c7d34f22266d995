//! One CSV row per player: the engine's players table
//! ([`filmroom_replay::table`], which the web's CSV export writes too)
//! streamed into a CSV document.

use std::io::Write;

use anyhow::Context;
use filmroom_replay::Analysis;

pub struct PlayersCsv<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> PlayersCsv<W> {
    /// Starts the document by writing the header row.
    pub fn new(out: W) -> anyhow::Result<Self> {
        let mut writer = csv::Writer::from_writer(out);
        writer
            .write_record(filmroom_replay::table::columns())
            .context("Failed to write the CSV header")?;
        Ok(Self { writer })
    }

    /// Appends one row per player of `analysis`; `file` names the replay.
    pub fn write(&mut self, file: &str, analysis: &Analysis) -> anyhow::Result<()> {
        for row in filmroom_replay::table::rows(file, analysis) {
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

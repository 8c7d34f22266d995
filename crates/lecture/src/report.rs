//! The lecture's stored report and its page: the chunks as indexed.

use filmroom_domain::{Cell, Column, Fact, ReportError, Section, SectionBody, Table, TableRow};
use serde::{Deserialize, Serialize};

/// What the analysis stores beside the passages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The format read (`webvtt`, `subrip`, `markdown`, `text`).
    pub format: String,
    /// The chunking settings used.
    pub target_tokens: usize,
    /// Overlap between consecutive chunks, tokens.
    pub overlap_tokens: usize,
    /// The most media a chunk spans, seconds.
    pub max_span_s: f64,
    /// Each chunk's heading and token count, in passage order.
    pub chunks: Vec<ReportChunk>,
}

/// One chunk as the page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportChunk {
    /// Its heading or chapter.
    pub heading: Option<String>,
    /// Tokens, heading included.
    pub tokens: usize,
    /// `m:ss–m:ss` or `p. N`.
    pub place: String,
}

/// The page: the settings, then one row per chunk.
pub fn sections(report: &serde_json::Value) -> Result<Vec<Section>, ReportError> {
    let report: Report = serde_json::from_value(report.clone()).map_err(|e| ReportError {
        reason: format!("not a lecture report: {e}"),
    })?;
    let facts = vec![
        Fact {
            label: "Format".into(),
            value: report.format.clone(),
        },
        Fact {
            label: "Chunks".into(),
            value: report.chunks.len().to_string(),
        },
        Fact {
            label: "Chunk size".into(),
            value: format!(
                "{} tokens, {} overlap, at most {} s",
                report.target_tokens, report.overlap_tokens, report.max_span_s
            ),
        },
    ];
    let rows = report
        .chunks
        .iter()
        .enumerate()
        .map(|(i, c)| TableRow {
            label: format!("{}", i + 1),
            cells: vec![
                Cell::Text(c.place.clone()),
                c.heading.clone().map_or(Cell::Empty, Cell::Text),
                Cell::Number(c.tokens as f64),
            ],
        })
        .collect();
    Ok(vec![
        Section {
            title: "Lecture".into(),
            body: SectionBody::Facts { facts },
        },
        Section {
            title: "Chunks".into(),
            body: SectionBody::Table(Table {
                columns: vec![
                    Column {
                        label: "Where".into(),
                        unit: None,
                    },
                    Column {
                        label: "Section".into(),
                        unit: None,
                    },
                    Column {
                        label: "Tokens".into(),
                        unit: None,
                    },
                ],
                rows,
            }),
        },
    ])
}

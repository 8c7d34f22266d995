//! Page layout without HTML: a domain says what its pages show as sections
//! of facts, tables and timelines, and the web renders them with its own
//! templates (escaping, styling and charts stay in one place).

use serde::{Deserialize, Serialize};

use crate::analysis::Unit;

/// One titled block of a recording's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// The heading.
    pub title: String,
    /// What it shows.
    pub body: SectionBody,
}

/// The content of a [`Section`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SectionBody {
    /// Label and value pairs ("Map: Stadium_P").
    Facts {
        /// The pairs, in order.
        facts: Vec<Fact>,
    },
    /// A table of numbers or text.
    Table(Table),
    /// Moments in time order.
    Timeline {
        /// The moments, sorted by time.
        entries: Vec<TimelineEntry>,
    },
}

/// A label and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// What it is.
    pub label: String,
    /// Its value, as text.
    pub value: String,
}

/// A table: columns with units, rows of cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The columns after the row label.
    pub columns: Vec<Column>,
    /// The rows; each has one cell per column.
    pub rows: Vec<TableRow>,
}

/// A column heading and the unit of its numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// The heading.
    pub label: String,
    /// The unit of its numbers, if they have one.
    pub unit: Option<Unit>,
}

/// One row: a label, then one cell per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRow {
    /// What the row is about (a player, a stat).
    pub label: String,
    /// One per column.
    pub cells: Vec<Cell>,
}

/// A table cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    /// A number (formatted by the web with its column's unit).
    Number(f64),
    /// Text.
    Text(String),
    /// Nothing known.
    Empty,
}

/// A moment on a timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Seconds from the start.
    pub t_s: f64,
    /// The event kind (`goal`), for icons and filters.
    pub kind: String,
    /// One line for people.
    pub label: String,
}

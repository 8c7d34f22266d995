//! Page layout without HTML: a domain says what its pages show as tabs of
//! sections (facts, tables, charts, timelines), and the web renders them with
//! its own templates (escaping, styling and charts stay in one place).

use serde::{Deserialize, Serialize};

use crate::analysis::Unit;
use crate::keys::is_name_key;

/// A recording's whole page: a heading, tabs of sections, and a notice.
/// Domains with one view return plain sections instead
/// ([`Domain::page_sections`](crate::Domain::page_sections)), which the
/// default [`Domain::page`](crate::Domain::page) puts in one tab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// What the recording is, shown before its file name ("Stadium_P").
    pub heading: Option<String>,
    /// Short facts under the heading ("Ranked Doubles", "2v2"), in order.
    pub subtitle: Vec<String>,
    /// Something the reader must know first ("Only the scoreboard is
    /// known: ..." for a degraded analysis).
    pub notice: Option<String>,
    /// The side keys in display order; the web colours a row or bar by its
    /// side's place in this list.
    pub sides: Vec<String>,
    /// The tabs in order; the first opens by default. At least one.
    pub tabs: Vec<Tab>,
    /// Whether the recording's own file is shown in a media player above
    /// the tabs (audio or video, by the type [`Domain::media_type`] gives
    /// it); then every time on the page (a moment, a timed word, a point of
    /// a series) seeks the player when clicked.
    ///
    /// [`Domain::media_type`]: crate::Domain::media_type
    #[serde(default)]
    pub player: bool,
}

/// The key of the tab [`Page::single`] puts plain sections in.
pub const DEFAULT_TAB: &str = "overview";

impl Page {
    /// Plain sections as a page of one tab ([`DEFAULT_TAB`]).
    pub fn single(sections: Vec<Section>) -> Page {
        Page {
            heading: None,
            subtitle: Vec::new(),
            notice: None,
            sides: Vec::new(),
            tabs: vec![Tab {
                key: DEFAULT_TAB.to_owned(),
                label: "Overview".to_owned(),
                sections,
            }],
            player: false,
        }
    }

    /// The tab keyed `key`.
    pub fn tab(&self, key: &str) -> Option<&Tab> {
        self.tabs.iter().find(|t| t.key == key)
    }

    /// Whether the page can be rendered: at least one tab, tab keys of the
    /// form `[a-z0-9_]+` (they go into URLs and element ids) and unique.
    pub fn check(&self) -> Result<(), String> {
        if self.tabs.is_empty() {
            return Err("a page has at least one tab".to_owned());
        }
        for (i, tab) in self.tabs.iter().enumerate() {
            if !is_name_key(&tab.key) {
                return Err(format!("tab key {:?} is not [a-z0-9_]+", tab.key));
            }
            if self.tabs[..i].iter().any(|t| t.key == tab.key) {
                return Err(format!("tab key {:?} appears twice", tab.key));
            }
        }
        Ok(())
    }
}

/// One tab of a [`Page`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tab {
    /// `[a-z0-9_]+`: the `?tab=` of its URL.
    pub key: String,
    /// Its link text.
    pub label: String,
    /// What it shows, in order.
    pub sections: Vec<Section>,
}

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
    /// Rows of numbers with a display unit and precision per column; rows
    /// may belong to a side.
    Grid(Grid),
    /// A chart, with the table of its numbers under it when there is one.
    Chart {
        /// What is drawn.
        chart: Chart,
        /// The numbers, if the section lists them too.
        table: Option<Grid>,
    },
    /// Moments drawn on a time axis and listed under it (a cited moment
    /// marks the nearest).
    Moments(Moments),
    /// Text whose words have times (a transcript), in lines; a word may
    /// be marked (a filler).
    TimedText {
        /// The lines in time order.
        lines: Vec<TimedLine>,
    },
    /// A sentence for people, such as why a tab has nothing to show.
    Note {
        /// The sentence.
        text: String,
    },
}

/// A table whose columns carry a display unit and a precision, and whose
/// rows may belong to a side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// The heading of the row labels' column ("Player").
    pub row_header: String,
    /// The columns after the row label.
    pub columns: Vec<GridColumn>,
    /// The rows; each has one cell per column.
    pub rows: Vec<GridRow>,
}

/// A column of a [`Grid`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridColumn {
    /// The heading ("Average speed").
    pub label: String,
    /// The unit as people read it, shown after the heading ("uu/s",
    /// "boost/min", "km", "count"); `None` for text and plain names.
    pub unit: Option<String>,
    /// Decimals its numbers are shown with.
    pub decimals: u8,
}

/// A row of a [`Grid`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridRow {
    /// What the row is about (a player).
    pub label: String,
    /// The side it belongs to (a [`Page::sides`] key), for its colour.
    pub side: Option<String>,
    /// One per column.
    pub cells: Vec<Cell>,
}

/// A chart of values per row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Chart {
    /// One bar per row, scaled to the largest.
    Bars {
        /// What it shows ("Score per player").
        title: String,
        /// The unit of every value, as people read it ("points").
        unit: String,
        /// Decimals the values are shown with.
        decimals: u8,
        /// The bars, top to bottom.
        bars: Vec<Bar>,
    },
    /// Values over time, one per span starting at its point's time
    /// (pace per 30 seconds), drawn as bars labelled with their time.
    Series {
        /// What it shows ("Words per minute").
        title: String,
        /// The unit of every value, as people read it ("wpm").
        unit: String,
        /// Decimals the values are shown with.
        decimals: u8,
        /// The points in time order.
        points: Vec<SeriesPoint>,
    },
    /// Each row's total split into shares (drawn as percentages).
    Shares {
        /// What it shows ("Share of time per boost band").
        title: String,
        /// The name of each part, in the order of every row's values.
        parts: Vec<String>,
        /// The rows, top to bottom.
        rows: Vec<ShareRow>,
    },
}

/// One point of [`Chart::Series`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Where the point starts, in seconds from the start.
    pub t_s: f64,
    /// Its value.
    pub value: f64,
}

/// One line of [`SectionBody::TimedText`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedLine {
    /// When the line starts, in seconds.
    pub t_s: f64,
    /// Its words in order.
    pub words: Vec<TimedWord>,
}

/// A word of a [`TimedLine`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedWord {
    /// When it is said, in seconds from the start.
    pub t_s: f64,
    /// The word as written.
    pub text: String,
    /// Whether it stands out (a filler).
    pub marked: bool,
}

/// One bar of [`Chart::Bars`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// Whose bar (a player).
    pub label: String,
    /// Its value.
    pub value: f64,
    /// The side it belongs to, for its colour.
    pub side: Option<String>,
}

/// One row of [`Chart::Shares`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareRow {
    /// Whose row (a player).
    pub label: String,
    /// One non-negative amount per part; drawn as shares of their sum.
    pub values: Vec<f64>,
}

/// Moments on a time axis from 0 to `end_s`, and their list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// Where the axis ends, in seconds.
    pub end_s: f64,
    /// The moments, sorted by time.
    pub moments: Vec<Moment>,
}

/// One moment of [`Moments`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moment {
    /// Seconds from the start.
    pub t_s: f64,
    /// The event kind (`goal`).
    pub kind: String,
    /// The side it belongs to, for its colour.
    pub side: Option<String>,
    /// One line for people.
    pub label: String,
    /// Where it happened, in the domain's coordinates, if known.
    pub position: Option<[f64; 3]>,
    /// How it is drawn on the axis; `None`: listed, not drawn.
    pub mark: Option<Mark>,
}

/// How a [`Moment`] is drawn on the time axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// Above, on or below the axis: kinds of moments apart.
    pub lane: Lane,
    /// How much it stands out.
    pub size: MarkSize,
}

/// Where a [`Mark`] sits relative to the time axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    /// Above the axis.
    Above,
    /// On the axis.
    On,
    /// Below the axis.
    Below,
}

/// How large a [`Mark`] is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkSize {
    /// A dot.
    Small,
    /// A point.
    Medium,
    /// A highlight (a goal).
    Large,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn tab(key: &str) -> Tab {
        Tab {
            key: key.to_owned(),
            label: key.to_owned(),
            sections: Vec::new(),
        }
    }

    #[test]
    fn plain_sections_become_one_overview_tab() {
        let note = Section {
            title: "Why".into(),
            body: SectionBody::Note {
                text: "Nothing yet".into(),
            },
        };
        let page = Page::single(vec![note.clone()]);
        page.check().unwrap();
        assert_eq!(page.tabs.len(), 1);
        assert_eq!(page.tabs[0].key, DEFAULT_TAB);
        assert_eq!(page.tab(DEFAULT_TAB).unwrap().sections, [note]);
        assert!(page.tab("timeline").is_none());
    }

    #[test]
    fn a_page_without_tabs_or_with_a_bad_or_repeated_tab_key_does_not_check() {
        let mut page = Page::single(Vec::new());
        page.tabs.clear();
        assert!(page.check().unwrap_err().contains("at least one tab"));
        page.tabs = vec![tab("boost"), tab("Boost Tab")];
        assert!(page.check().unwrap_err().contains("\"Boost Tab\""));
        page.tabs = vec![tab("boost"), tab("timeline"), tab("boost")];
        assert!(page.check().unwrap_err().contains("twice"));
        page.tabs = vec![tab("boost"), tab("timeline")];
        page.check().unwrap();
    }

    #[test]
    fn charts_grids_and_moments_serialize_tagged_and_read_back_the_same() {
        let sections = vec![
            Section {
                title: "Scoreboard".into(),
                body: SectionBody::Chart {
                    chart: Chart::Bars {
                        title: "Score per player".into(),
                        unit: "points".into(),
                        decimals: 0,
                        bars: vec![Bar {
                            label: "Ann".into(),
                            value: 420.0,
                            side: Some("blue".into()),
                        }],
                    },
                    table: Some(Grid {
                        row_header: "Player".into(),
                        columns: vec![GridColumn {
                            label: "Distance".into(),
                            unit: Some("km".into()),
                            decimals: 2,
                        }],
                        rows: vec![GridRow {
                            label: "Ann".into(),
                            side: Some("blue".into()),
                            cells: vec![Cell::Number(12.345)],
                        }],
                    }),
                },
            },
            Section {
                title: "Height".into(),
                body: SectionBody::Chart {
                    chart: Chart::Shares {
                        title: "Share of time".into(),
                        parts: vec!["ground".into(), "air".into()],
                        rows: vec![ShareRow {
                            label: "Ann".into(),
                            values: vec![3.0, 1.0],
                        }],
                    },
                    table: None,
                },
            },
            Section {
                title: "Events".into(),
                body: SectionBody::Moments(Moments {
                    end_s: 300.0,
                    moments: vec![Moment {
                        t_s: 14.7,
                        kind: "goal".into(),
                        side: Some("blue".into()),
                        label: "Goal by Ann".into(),
                        position: Some([0.0, 5120.0, 93.0]),
                        mark: Some(Mark {
                            lane: Lane::On,
                            size: MarkSize::Large,
                        }),
                    }],
                }),
            },
        ];
        let json = serde_json::to_value(&sections).unwrap();
        assert_eq!(json[0]["body"]["type"], "chart");
        assert_eq!(json[0]["body"]["chart"]["type"], "bars");
        assert_eq!(json[1]["body"]["chart"]["type"], "shares");
        assert_eq!(json[2]["body"]["type"], "moments");
        assert_eq!(json[2]["body"]["moments"][0]["mark"]["lane"], "on");
        let back: Vec<Section> = serde_json::from_value(json).unwrap();
        assert_eq!(back, sections);
    }
}

//! A domain's page ([`filmroom_domain::Page`]: tabs of facts, tables,
//! charts and timelines) as the web's view models, so every kind of
//! recording is laid out, escaped, coloured and charted by the same
//! templates. The only renderer of recording pages.

use askama::Template;
use filmroom_domain::{Cell, Chart, Grid, Lane, MarkSize, Moments, Page, SectionBody, Unit};
use filmroom_domain::{DEFAULT_TAB, format_clock};

use crate::views::{
    BarChart, CHART_WIDTH, Mark, Section, StackedChart, Tab, Table, TableRow, TimelineChart,
    WordLine, WordView, scale, seek_attr,
};

/// What the page shows of a domain's [`Page`].
pub struct Rendered {
    /// The open tab's key.
    pub tab: String,
    /// Every tab's link (none when there is only one).
    pub tabs: Vec<Tab>,
    /// The open tab's sections.
    pub sections: Vec<Section>,
    /// Whether a cited moment was marked on the open tab's timeline.
    pub marked_moment: bool,
}

/// Lays out `page` at the tab asked for; with a moment (a citation's `t`),
/// an unknown or missing tab opens the first tab with a timeline, and the
/// timeline's entry nearest to the moment is marked.
pub fn render_page(page: &Page, asked: Option<&str>, moment: Option<f64>) -> Rendered {
    let has_timeline = |tab: &&filmroom_domain::Tab| {
        tab.sections.iter().any(|s| {
            matches!(
                s.body,
                SectionBody::Timeline { .. } | SectionBody::Moments(_)
            )
        })
    };
    let open = asked
        .and_then(|key| page.tab(key))
        .or_else(|| moment.and_then(|_| page.tabs.iter().find(has_timeline)))
        .or_else(|| page.tabs.first());
    let Some(open) = open else {
        return Rendered {
            tab: DEFAULT_TAB.to_owned(),
            tabs: Vec::new(),
            sections: Vec::new(),
            marked_moment: false,
        };
    };
    let mut sections: Vec<Section> = open
        .sections
        .iter()
        .map(|s| render(s, &page.sides))
        .collect();
    let marked_moment = match moment {
        Some(t) if has_timeline(&open) => {
            highlight_moment(&mut sections, t);
            true
        }
        _ => false,
    };
    Rendered {
        tab: open.key.clone(),
        tabs: if page.tabs.len() > 1 {
            page.tabs
                .iter()
                .map(|t| Tab {
                    key: t.key.clone(),
                    label: t.label.clone(),
                    active: t.key == open.key,
                })
                .collect()
        } else {
            Vec::new()
        },
        sections,
        marked_moment,
    }
}

/// The colour class of a side: the first two sides of a page get the two
/// side colours of the stylesheet, any other none.
fn side_class(sides: &[String], side: Option<&str>) -> &'static str {
    const CLASSES: [&str; 2] = ["blue", "orange"];
    side.and_then(|side| sides.iter().position(|s| s == side))
        .and_then(|i| CLASSES.get(i).copied())
        .unwrap_or("")
}

/// What a column's header says about its unit: `(s)`, `(count)`, or nothing
/// for a plain ratio or a yes/no.
fn unit_suffix(unit: Option<Unit>) -> String {
    match unit {
        None | Some(Unit::Boolean | Unit::Ratio) => String::new(),
        Some(Unit::Count) => " (count)".to_owned(),
        Some(unit) => format!(" ({})", unit.symbol()),
    }
}

/// Whole numbers as they are, others to one decimal.
fn number(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn cell(cell: &Cell) -> String {
    match cell {
        Cell::Number(n) => number(*n),
        Cell::Text(text) => text.clone(),
        Cell::Empty => "–".to_owned(),
    }
}

fn grid_cell(cell: &Cell, decimals: u8) -> String {
    match cell {
        Cell::Number(n) => format!("{n:.prec$}", prec = usize::from(decimals)),
        other => self::cell(other),
    }
}

/// The headers of a timeline; [`highlight_moment`] reads the seconds column.
const TIMELINE_HEADERS: [&str; 3] = ["Time (min:s)", "Time (s)", "Event"];

fn timeline_row(class: &'static str, t_s: f64, label: &str) -> TableRow {
    TableRow {
        class,
        cells: vec![format_clock(t_s), format!("{t_s:.1}"), label.to_owned()],
        seek: Some(seek_attr(t_s)),
    }
}

fn grid(grid: &Grid, sides: &[String]) -> Table {
    Table {
        headers: std::iter::once(grid.row_header.clone())
            .chain(grid.columns.iter().map(|c| match &c.unit {
                Some(unit) => format!("{} ({unit})", c.label),
                None => c.label.clone(),
            }))
            .collect(),
        rows: grid
            .rows
            .iter()
            .map(|r| TableRow {
                class: side_class(sides, r.side.as_deref()),
                cells: std::iter::once(r.label.clone())
                    .chain(
                        r.cells
                            .iter()
                            .zip(&grid.columns)
                            .map(|(c, col)| grid_cell(c, col.decimals)),
                    )
                    .collect(),
                seek: None,
            })
            .collect(),
    }
}

fn svg(template: &impl Template) -> Option<String> {
    match template.render() {
        Ok(svg) => Some(svg),
        Err(error) => {
            tracing::error!(error = %error, "failed to render a chart");
            None
        }
    }
}

fn chart(chart: &Chart, sides: &[String]) -> Option<String> {
    match chart {
        Chart::Bars {
            title,
            unit,
            decimals,
            bars,
        } => {
            let values: Vec<_> = bars
                .iter()
                .map(|b| {
                    (
                        b.label.clone(),
                        b.value,
                        side_class(sides, b.side.as_deref()),
                    )
                })
                .collect();
            svg(&BarChart::new(title, unit, &values, usize::from(*decimals)))
        }
        Chart::Shares { title, parts, rows } => {
            let rows: Vec<_> = rows
                .iter()
                .map(|r| (r.label.clone(), r.values.clone()))
                .collect();
            svg(&StackedChart::new(title, parts, &rows))
        }
        Chart::Series {
            title,
            unit,
            decimals,
            points,
        } => {
            let points: Vec<(f64, f64)> = points.iter().map(|p| (p.t_s, p.value)).collect();
            svg(&BarChart::series(
                title,
                unit,
                &points,
                usize::from(*decimals),
            ))
        }
    }
}

fn moments(moments: &Moments, sides: &[String]) -> (Option<String>, Table) {
    let end = if moments.end_s.is_finite() {
        moments.end_s.max(1.0)
    } else {
        1.0
    };
    let marks = moments
        .moments
        .iter()
        .filter_map(|m| {
            let mark = m.mark?;
            Some(Mark {
                x: scale(m.t_s / end, CHART_WIDTH - 10) + 5,
                y: match mark.lane {
                    Lane::Above => 20,
                    Lane::On => 35,
                    Lane::Below => 50,
                },
                r: match mark.size {
                    MarkSize::Small => 3,
                    MarkSize::Medium => 4,
                    MarkSize::Large => 8,
                },
                class: side_class(sides, m.side.as_deref()),
                label: format!("{} {}", format_clock(m.t_s), m.label),
                seek: seek_attr(m.t_s),
            })
        })
        .collect();
    let chart = svg(&TimelineChart {
        width: CHART_WIDTH,
        end_label: format!("{end:.0} s"),
        marks,
    });
    let table = Table {
        headers: TIMELINE_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
        rows: moments
            .moments
            .iter()
            .map(|m| timeline_row(side_class(sides, m.side.as_deref()), m.t_s, &m.label))
            .collect(),
    };
    (chart, table)
}

/// Lays out one section; `sides` are the page's, for colours.
pub fn render(section: &filmroom_domain::Section, sides: &[String]) -> Section {
    let mut chart_svg = None;
    let mut note = None;
    let mut lines = Vec::new();
    let table = match &section.body {
        SectionBody::Facts { facts } => Table {
            headers: vec!["What".to_owned(), "Value".to_owned()],
            rows: facts
                .iter()
                .map(|f| TableRow {
                    class: "",
                    cells: vec![f.label.clone(), f.value.clone()],
                    seek: None,
                })
                .collect(),
        },
        SectionBody::Table(table) => Table {
            headers: std::iter::once(String::new())
                .chain(
                    table
                        .columns
                        .iter()
                        .map(|c| format!("{}{}", c.label, unit_suffix(c.unit))),
                )
                .collect(),
            rows: table
                .rows
                .iter()
                .map(|r| TableRow {
                    class: "",
                    cells: std::iter::once(r.label.clone())
                        .chain(r.cells.iter().map(cell))
                        .collect(),
                    seek: None,
                })
                .collect(),
        },
        SectionBody::Timeline { entries } => Table {
            headers: TIMELINE_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
            rows: entries
                .iter()
                .map(|e| timeline_row("", e.t_s, &e.label))
                .collect(),
        },
        SectionBody::Grid(g) => grid(g, sides),
        SectionBody::Chart { chart: c, table } => {
            chart_svg = chart(c, sides);
            table.as_ref().map(|g| grid(g, sides)).unwrap_or_default()
        }
        SectionBody::Moments(m) => {
            let (svg, table) = moments(m, sides);
            chart_svg = svg;
            table
        }
        SectionBody::TimedText { lines: timed } => {
            lines = timed
                .iter()
                .map(|line| WordLine {
                    clock: format_clock(line.t_s.max(0.0)),
                    seek: seek_attr(line.t_s),
                    words: line
                        .words
                        .iter()
                        .map(|w| WordView {
                            text: w.text.clone(),
                            seek: seek_attr(w.t_s),
                            marked: w.marked,
                        })
                        .collect(),
                })
                .collect();
            Table::default()
        }
        SectionBody::Note { text } => {
            note = Some(text.clone());
            Table::default()
        }
    };
    Section {
        title: section.title.clone(),
        chart: chart_svg,
        note,
        table,
        lines,
    }
}

/// Marks the row of every timeline nearest to `t` seconds (a cited moment).
fn highlight_moment(sections: &mut [Section], t: f64) {
    for section in sections
        .iter_mut()
        .filter(|s| s.table.headers == TIMELINE_HEADERS)
    {
        let nearest = section
            .table
            .rows
            .iter_mut()
            .filter_map(|row| {
                let time = row.cells.get(1)?.parse::<f64>().ok()?;
                Some(((time - t).abs(), row))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, row)) = nearest {
            row.class = match row.class {
                "blue" => "blue cited",
                "orange" => "orange cited",
                _ => "cited",
            };
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use filmroom_domain::{
        Bar, Column, Fact, GridColumn, GridRow, Mark as DomainMark, Moment, TimelineEntry,
    };

    fn sides() -> Vec<String> {
        vec!["home".into(), "away".into()]
    }

    #[test]
    fn tables_carry_units_in_their_headers_and_timelines_the_shared_clock() {
        let table = render(
            &filmroom_domain::Section {
                title: "Pace".into(),
                body: SectionBody::Table(filmroom_domain::Table {
                    columns: vec![
                        Column {
                            label: "Words".into(),
                            unit: Some(Unit::Count),
                        },
                        Column {
                            label: "Pace".into(),
                            unit: Some(Unit::PerMinute),
                        },
                        Column {
                            label: "Note".into(),
                            unit: None,
                        },
                    ],
                    rows: vec![filmroom_domain::TableRow {
                        label: "Ann".into(),
                        cells: vec![Cell::Number(20.0), Cell::Number(17.142), Cell::Empty],
                    }],
                }),
            },
            &[],
        );
        assert_eq!(
            table.table.headers,
            ["", "Words (count)", "Pace (/min)", "Note"]
        );
        assert_eq!(table.table.rows[0].cells, ["Ann", "20", "17.1", "–"]);

        let page = Page::single(vec![
            filmroom_domain::Section {
                title: "Facts".into(),
                body: SectionBody::Facts {
                    facts: vec![Fact {
                        label: "Speaker".into(),
                        value: "Ann".into(),
                    }],
                },
            },
            filmroom_domain::Section {
                title: "Said".into(),
                body: SectionBody::Timeline {
                    entries: [7.9, 247.9]
                        .into_iter()
                        .map(|t_s| TimelineEntry {
                            t_s,
                            kind: "line".into(),
                            label: "hello".into(),
                        })
                        .collect(),
                },
            },
        ]);
        // A citation asks for a "timeline" tab this page does not have: it
        // opens the one tab, which has the timeline.
        let shown = render_page(&page, Some("timeline"), Some(247.0));
        assert_eq!(shown.tab, DEFAULT_TAB);
        assert!(shown.tabs.is_empty(), "one tab needs no links");
        assert!(shown.marked_moment);
        let timeline = &shown.sections[1].table.rows;
        assert_eq!(timeline[1].cells[0], "4:07");
        assert_eq!(timeline[1].class, "cited");
        assert_eq!(timeline[0].class, "");
        assert_eq!(shown.sections[0].table.rows[0].class, "");
    }

    fn tabbed() -> Page {
        let grid = Grid {
            row_header: "Player".into(),
            columns: vec![
                GridColumn {
                    label: "Distance".into(),
                    unit: Some("km".into()),
                    decimals: 2,
                },
                GridColumn {
                    label: "Team".into(),
                    unit: None,
                    decimals: 0,
                },
            ],
            rows: vec![
                GridRow {
                    label: "Ann".into(),
                    side: Some("home".into()),
                    cells: vec![Cell::Number(1.23456), Cell::Text("home".into())],
                },
                GridRow {
                    label: "Bo".into(),
                    side: Some("away".into()),
                    cells: vec![Cell::Empty, Cell::Text("away".into())],
                },
            ],
        };
        let moment = |t_s: f64, side: &str, mark: Option<DomainMark>| Moment {
            t_s,
            kind: "goal".into(),
            side: Some(side.into()),
            label: format!("Goal at {t_s}"),
            position: None,
            mark,
        };
        let big = Some(DomainMark {
            lane: Lane::On,
            size: MarkSize::Large,
        });
        let mut page = Page::single(vec![filmroom_domain::Section {
            title: "Scores".into(),
            body: SectionBody::Chart {
                chart: Chart::Bars {
                    title: "Score per player".into(),
                    unit: "points".into(),
                    decimals: 0,
                    bars: vec![Bar {
                        label: "Ann <b>".into(),
                        value: 420.4,
                        side: Some("away".into()),
                    }],
                },
                table: Some(grid),
            },
        }]);
        page.sides = sides();
        page.tabs.push(filmroom_domain::Tab {
            key: "timeline".into(),
            label: "Timeline".into(),
            sections: vec![filmroom_domain::Section {
                title: "Events".into(),
                body: SectionBody::Moments(Moments {
                    end_s: 300.0,
                    moments: vec![
                        moment(10.0, "home", big),
                        moment(60.0, "away", None),
                        moment(150.0, "away", big),
                    ],
                }),
            }],
        });
        page.tabs.push(filmroom_domain::Tab {
            key: "boost".into(),
            label: "Boost".into(),
            sections: vec![filmroom_domain::Section {
                title: "Boost: not available".into(),
                body: SectionBody::Note {
                    text: "Only the scoreboard is known.".into(),
                },
            }],
        });
        page
    }

    #[test]
    fn grids_show_their_units_precision_and_side_colours_and_charts_are_drawn_escaped() {
        let shown = render_page(&tabbed(), None, None);
        assert_eq!(shown.tab, "overview");
        let keys: Vec<(&str, bool)> = shown
            .tabs
            .iter()
            .map(|t| (t.key.as_str(), t.active))
            .collect();
        assert_eq!(
            keys,
            [("overview", true), ("timeline", false), ("boost", false)]
        );
        let section = &shown.sections[0];
        assert_eq!(section.table.headers, ["Player", "Distance (km)", "Team"]);
        assert_eq!(section.table.rows[0].cells, ["Ann", "1.23", "home"]);
        assert_eq!(section.table.rows[1].cells, ["Bo", "–", "away"]);
        // The first side of the page is blue, the second orange.
        assert_eq!(section.table.rows[0].class, "blue");
        assert_eq!(section.table.rows[1].class, "orange");
        let chart = section.chart.as_deref().unwrap();
        assert!(chart.starts_with("<svg"), "{chart}");
        assert!(chart.contains("420 points"), "{chart}");
        assert!(chart.contains("class=\"orange\""), "{chart}");
        assert!(chart.contains("Ann &#60;b&#62;"), "escaped: {chart}");
        assert!(!chart.contains("Ann <b>"));

        let boost = render_page(&tabbed(), Some("boost"), None);
        assert_eq!(boost.tab, "boost");
        assert_eq!(
            boost.sections[0].note.as_deref(),
            Some("Only the scoreboard is known.")
        );
        assert!(boost.sections[0].table.headers.is_empty());
    }

    #[test]
    fn a_cited_moment_opens_the_timeline_tab_and_marks_the_nearest_moment() {
        // No tab asked: the moment opens the tab with the timeline.
        let shown = render_page(&tabbed(), None, Some(58.0));
        assert_eq!(shown.tab, "timeline");
        assert!(shown.marked_moment);
        let section = &shown.sections[0];
        let classes: Vec<&str> = section.table.rows.iter().map(|r| r.class).collect();
        assert_eq!(classes, ["blue", "orange cited", "orange"]);
        assert_eq!(section.table.headers, TIMELINE_HEADERS);
        assert_eq!(
            section.table.rows[2].cells,
            ["2:30", "150.0", "Goal at 150"]
        );
        // Only the marked moments are drawn: at their time over the axis.
        let chart = section.chart.as_deref().unwrap();
        assert_eq!(chart.matches("<circle").count(), 2, "{chart}");
        assert!(chart.contains("cx=\"320\""), "150 s of 300 s: {chart}");
        assert!(chart.contains("300 s"), "{chart}");

        // Another tab asked for: it opens with nothing marked.
        let boost = render_page(&tabbed(), Some("boost"), Some(58.0));
        assert_eq!(boost.tab, "boost");
        assert!(!boost.marked_moment);
        // An unknown tab without a moment opens the first.
        assert_eq!(render_page(&tabbed(), Some("nope"), None).tab, "overview");
    }
}

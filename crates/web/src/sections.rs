//! A domain's page sections ([`filmroom_domain::Section`]: facts, tables,
//! timelines) as the web's own tables, so every kind of recording is laid
//! out, escaped and styled by the same templates.

use filmroom_domain::{Cell, SectionBody, Unit, format_clock};

use crate::views::{Section, Table, TableRow};

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

/// The headers of a timeline; [`highlight_moment`] reads the seconds column.
const TIMELINE_HEADERS: [&str; 3] = ["Time (min:s)", "Time (s)", "Event"];

/// Lays out one section.
pub fn render(section: &filmroom_domain::Section) -> Section {
    let table = match &section.body {
        SectionBody::Facts { facts } => Table {
            headers: vec!["What".to_owned(), "Value".to_owned()],
            rows: facts
                .iter()
                .map(|f| TableRow {
                    class: "",
                    cells: vec![f.label.clone(), f.value.clone()],
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
                })
                .collect(),
        },
        SectionBody::Timeline { entries } => Table {
            headers: TIMELINE_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
            rows: entries
                .iter()
                .map(|e| TableRow {
                    class: "",
                    cells: vec![
                        format_clock(e.t_s),
                        format!("{:.1}", e.t_s),
                        e.label.clone(),
                    ],
                })
                .collect(),
        },
    };
    Section {
        title: section.title.clone(),
        chart: None,
        table,
    }
}

/// Marks the row of every timeline nearest to `t` seconds (a cited moment).
pub fn highlight_moment(sections: &mut [Section], t: f64) {
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
            row.class = "cited";
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use filmroom_domain::{Column, Fact, TimelineEntry};

    #[test]
    fn tables_carry_units_in_their_headers_and_timelines_the_shared_clock() {
        let table = render(&filmroom_domain::Section {
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
        });
        assert_eq!(
            table.table.headers,
            ["", "Words (count)", "Pace (/min)", "Note"]
        );
        assert_eq!(table.table.rows[0].cells, ["Ann", "20", "17.1", "–"]);

        let mut timeline = vec![
            render(&filmroom_domain::Section {
                title: "Facts".into(),
                body: SectionBody::Facts {
                    facts: vec![Fact {
                        label: "Speaker".into(),
                        value: "Ann".into(),
                    }],
                },
            }),
            render(&filmroom_domain::Section {
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
            }),
        ];
        assert_eq!(timeline[1].table.rows[1].cells[0], "4:07");
        highlight_moment(&mut timeline, 247.0);
        assert_eq!(timeline[1].table.rows[1].class, "cited");
        assert_eq!(timeline[1].table.rows[0].class, "");
        assert_eq!(timeline[0].table.rows[0].class, "");
    }
}

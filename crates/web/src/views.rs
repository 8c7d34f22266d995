//! One askama struct per page and per partial, and the view models they read.
//! Numbers are formatted here (with their units in the headers or labels);
//! templates only place them, and askama escapes every value.

use askama::Template;

/// What the header needs on signed-in pages.
pub struct Nav {
    pub username: String,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: String,
    pub nav: Option<Nav>,
    pub heading: String,
    pub message: String,
    /// Shown so a user can quote it when reporting the problem.
    pub request_id: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub csrf: String,
    pub username: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "signup.html")]
pub struct SignupPage {
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub csrf: String,
    pub username: String,
    pub error: Option<String>,
    pub first_account: bool,
}

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub title: &'static str,
    /// One a line, for the textarea.
    pub player_names: String,
    /// Who the user is in each kind of recording (their links, or inferred).
    pub identities: Vec<crate::accounts::identities::IdentityView>,
    pub nav: Option<Nav>,
    pub csrf: String,
    pub username: String,
    pub is_admin: bool,
    pub tokens: Vec<TokenRow>,
    pub new_token: Option<String>,
    pub message: Option<String>,
    pub error: Option<String>,
}

pub struct JobRow {
    pub job_id: String,
    pub game_id: String,
    pub filename: String,
    pub uploaded: String,
    pub state: &'static str,
    pub error: String,
}

#[derive(Template)]
#[template(path = "uploads.html")]
pub struct UploadsPage {
    pub title: &'static str,
    pub csrf: String,
    pub nav: Option<Nav>,
    pub max_files: usize,
    pub max_bytes: usize,
    /// The file picker's `accept` list (`.replay,.mp4`); empty: any file.
    pub extensions: String,
    /// The extensions of companion files (`.vtt,.srt`): the page sends each
    /// with the recording of the same name.
    pub companions: String,
    /// Each registered kind's name and its largest file ("10 MB").
    pub size_limits: Vec<(String, String)>,
    pub jobs: Vec<JobRow>,
}

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn options(choices: &[(&str, &str)], current: Option<&str>) -> Vec<SelectOption> {
    let current = current.unwrap_or("");
    choices
        .iter()
        .map(|(value, label)| SelectOption {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            selected: *value == current,
        })
        .collect()
}

/// "any" and then `values` (the user's own, from the store); a current value
/// that is not among them (typed into the URL) is kept so the form shows it.
pub fn facet_options(values: &[String], current: Option<&str>) -> Vec<SelectOption> {
    let current = current.unwrap_or("");
    let mut all = vec![SelectOption {
        value: String::new(),
        label: "any".to_owned(),
        selected: current.is_empty(),
    }];
    for value in values {
        all.push(SelectOption {
            value: value.clone(),
            label: value.clone(),
            selected: value == current,
        });
    }
    if !current.is_empty() && !values.iter().any(|v| v == current) {
        all.push(SelectOption {
            value: current.to_owned(),
            label: current.to_owned(),
            selected: true,
        });
    }
    all
}

/// One hidden field of a pagination form.
pub struct Hidden {
    pub name: &'static str,
    pub value: String,
}

/// A link-like form to another page of the same list.
pub struct PageLink {
    pub label: &'static str,
    pub offset: u32,
}

pub struct GameRow {
    pub id: String,
    pub played: String,
    pub map: String,
    pub playlist: String,
    pub team_size: String,
    pub score: String,
    pub result: &'static str,
    pub state: &'static str,
    pub filename: String,
}

/// The filter values as typed, for refilling the form.
pub struct QueryEcho {
    pub from: String,
    pub to: String,
}

#[derive(Template)]
#[template(path = "games.html")]
pub struct GamesPage {
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub query: QueryEcho,
    pub playlists: Vec<SelectOption>,
    pub maps: Vec<SelectOption>,
    pub team_sizes: Vec<SelectOption>,
    pub results: Vec<SelectOption>,
    pub sorts: Vec<SelectOption>,
    pub orders: Vec<SelectOption>,
    pub rows: Vec<GameRow>,
    /// "41–60 of 75"
    pub showing: String,
    /// The current filters, carried by the pagination forms.
    pub hidden: Vec<Hidden>,
    pub pages: Vec<PageLink>,
}

pub struct Tab {
    pub key: String,
    pub label: String,
    pub active: bool,
}

#[derive(Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
}

pub struct TableRow {
    pub class: &'static str,
    pub cells: Vec<String>,
    /// The second a click on the row seeks the page's player to.
    pub seek: Option<String>,
}

/// A word of timed text; a click seeks the player to it.
pub struct WordView {
    pub text: String,
    pub seek: String,
    pub marked: bool,
}

/// A line of timed text, after its start time.
pub struct WordLine {
    pub clock: String,
    pub seek: String,
    pub words: Vec<WordView>,
}

/// The media player a page asked for: the recording's own file.
pub struct PlayerView {
    pub src: String,
    pub media_type: String,
    /// `<video>` rather than `<audio>`.
    pub video: bool,
    /// The second it opens at (a cited moment), for the page script.
    pub start: Option<String>,
}

/// How a second is written in `data-seek` attributes.
pub fn seek_attr(t_s: f64) -> String {
    format!("{:.2}", t_s.max(0.0))
}

pub struct Section {
    pub title: String,
    /// A rendered SVG partial (already escaped by its own template).
    pub chart: Option<String>,
    /// A sentence shown instead of (or before) numbers.
    pub note: Option<String>,
    pub table: Table,
    /// Timed text (a transcript), line by line.
    pub lines: Vec<WordLine>,
}

#[derive(Template)]
#[template(path = "game.html")]
pub struct GamePage {
    pub title: String,
    pub nav: Option<Nav>,
    pub id: String,
    pub heading: String,
    pub subtitle: String,
    pub tab: String,
    pub tabs: Vec<Tab>,
    pub notice: Option<String>,
    pub sections: Vec<Section>,
    /// The domain's exchange format, once analysed: a download link.
    pub export: Option<&'static str>,
    /// For the delete form.
    pub csrf: String,
    pub player: Option<PlayerView>,
}

pub struct Bar {
    pub label: String,
    pub value: String,
    pub width: u32,
    pub y: u32,
    pub class: &'static str,
    /// The second a click on the bar seeks the player to (a series point).
    pub seek: Option<String>,
}

#[derive(Template)]
#[template(path = "bar_chart.svg", escape = "html")]
pub struct BarChart {
    pub title: String,
    pub unit: String,
    pub width: u32,
    pub height: u32,
    pub label_width: u32,
    pub bars: Vec<Bar>,
}

pub const CHART_WIDTH: u32 = 640;
const LABEL_WIDTH: u32 = 150;
const PLOT_WIDTH: u32 = 380;

impl BarChart {
    /// One bar per `(label, value, colour class)`, scaled to the largest value.
    pub fn new(
        title: &str,
        unit: &str,
        values: &[(String, f64, &'static str)],
        decimals: usize,
    ) -> Self {
        let max = values
            .iter()
            .map(|(_, v, _)| *v)
            .fold(0.0_f64, f64::max)
            .max(f64::EPSILON);
        let bars = values
            .iter()
            .zip(0u32..)
            .map(|((label, value, class), i)| Bar {
                label: short(label),
                value: format!("{value:.decimals$}"),
                width: scale(*value / max, PLOT_WIDTH),
                y: i * 24 + 4,
                class,
                seek: None,
            })
            .collect::<Vec<_>>();
        let rows = u32::try_from(bars.len()).unwrap_or(0);
        Self {
            title: title.to_owned(),
            unit: unit.to_owned(),
            width: CHART_WIDTH,
            height: rows * 24 + 8,
            label_width: LABEL_WIDTH,
            bars,
        }
    }
}

impl BarChart {
    /// A series over time: one bar per point, labelled with its time, a
    /// click on it seeks the player there.
    pub fn series(title: &str, unit: &str, points: &[(f64, f64)], decimals: usize) -> Self {
        let values: Vec<(String, f64, &'static str)> = points
            .iter()
            .map(|(t, v)| (filmroom_domain::format_clock(t.max(0.0)), *v, ""))
            .collect();
        let mut chart = Self::new(title, unit, &values, decimals);
        for (bar, (t, _)) in chart.bars.iter_mut().zip(points) {
            bar.seek = Some(seek_attr(*t));
        }
        chart
    }
}

pub struct Part {
    pub x: u32,
    pub width: u32,
    pub class: &'static str,
    pub label: String,
    pub value: String,
}

pub struct StackRow {
    pub label: String,
    pub y: u32,
    pub parts: Vec<Part>,
}

pub struct LegendKey {
    pub x: u32,
    pub class: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "stacked_chart.svg", escape = "html")]
pub struct StackedChart {
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub label_width: u32,
    pub rows: Vec<StackRow>,
    pub legend: Vec<LegendKey>,
}

impl StackedChart {
    /// Each row's parts are shares of that row's total (drawn as % of time).
    pub fn new(title: &str, keys: &[String], rows: &[(String, Vec<f64>)]) -> Self {
        let classes = ["part-a", "part-b", "part-c", "part-d"];
        let stacked = rows
            .iter()
            .zip(0u32..)
            .map(|((label, values), i)| {
                let total: f64 = values.iter().sum::<f64>().max(f64::EPSILON);
                let mut x = 0;
                let parts = values
                    .iter()
                    .zip(keys)
                    .zip(classes.iter().cycle())
                    .map(|((v, key), class)| {
                        let width = scale(v / total, PLOT_WIDTH);
                        let part = Part {
                            x,
                            width,
                            class,
                            label: key.clone(),
                            value: format!("{:.0}", v / total * 100.0),
                        };
                        x += width;
                        part
                    })
                    .collect();
                StackRow {
                    label: short(label),
                    y: i * 24 + 4,
                    parts,
                }
            })
            .collect::<Vec<_>>();
        let legend = keys
            .iter()
            .zip(classes.iter().cycle())
            .zip(0u32..)
            .map(|((label, class), i)| LegendKey {
                x: i * 120,
                class,
                label: label.clone(),
            })
            .collect();
        let n = u32::try_from(stacked.len()).unwrap_or(0);
        Self {
            title: title.to_owned(),
            width: CHART_WIDTH,
            height: n * 24 + 30,
            label_width: LABEL_WIDTH,
            rows: stacked,
            legend,
        }
    }
}

pub struct Mark {
    pub x: u32,
    pub y: u32,
    pub r: u32,
    pub class: &'static str,
    pub label: String,
    pub seek: String,
}

#[derive(Template)]
#[template(path = "timeline_chart.svg", escape = "html")]
pub struct TimelineChart {
    pub width: u32,
    pub end_label: String,
    pub marks: Vec<Mark>,
}

pub fn scale(fraction: f64, full: u32) -> u32 {
    let scaled = (fraction.clamp(0.0, 1.0) * f64::from(full)).round();
    // In range by the clamp above; the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let px = scaled as u32;
    px
}

fn short(label: &str) -> String {
    let mut s: String = label.chars().take(20).collect();
    if label.chars().count() > 20 {
        s.push('…');
    }
    s
}

/// One recording's row of a progress view.
pub struct ProgressRow {
    pub id: String,
    pub when: String,
    pub title: String,
    /// The headline's value, then each component's.
    pub cells: Vec<String>,
}

/// One kind's part of the progress page.
pub struct ProgressKindView {
    pub kind: String,
    pub title: String,
    /// The headline over time, when any recording has it.
    pub chart: Option<String>,
    /// The headline's then each component's name.
    pub headers: Vec<String>,
    pub rows: Vec<ProgressRow>,
}

#[derive(Template)]
#[template(path = "progress.html")]
pub struct ProgressPage {
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub kinds: Vec<ProgressKindView>,
}

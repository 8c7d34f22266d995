//! The recordings' pages: the games list (filters, sort, paging), the
//! uploads with their jobs, and one recording's page of any kind, laid out
//! by its domain. The work is in [`super::service`], shared with the JSON
//! API.

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;

use serde::Deserialize;

use super::service;
use crate::app::AppState;
use crate::auth::PageUser;
use crate::dto::GamesQuery;
use crate::error::AppError;
use crate::pages::{PageError, PageResult, fmt_time, html, nav};
use crate::views::{
    GamePage, GameRow, GamesPage, Hidden, JobRow, PageLink, PlayerView, QueryEcho, UploadsPage,
    facet_options, options, seek_attr,
};

const RESULTS: &[(&str, &str)] = &[
    ("", "any"),
    ("win", "win"),
    ("loss", "loss"),
    ("draw", "draw"),
    ("unknown", "unknown"),
];
const SORTS: &[(&str, &str)] = &[
    ("played_at", "date played"),
    ("uploaded_at", "date uploaded"),
    ("map", "map"),
    ("playlist", "playlist"),
    ("team_size", "team size"),
];
const ORDERS: &[(&str, &str)] = &[("desc", "descending"), ("asc", "ascending")];

pub async fn games_page(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    Query(query): Query<GamesQuery>,
) -> PageResult {
    let user = identity.user.id;
    let service::Games {
        rows,
        total,
        filter,
    } = service::games(&state, user, &query).await?;
    let facets = state.store.recording_facets(user).await?;
    let echo = |v: &Option<String>| v.clone().unwrap_or_default();
    let sizes: Vec<(String, String)> = facets
        .team_sizes
        .iter()
        .map(|n| (n.to_string(), format!("{n}v{n}")))
        .collect();
    let mut size_choices: Vec<(&str, &str)> = vec![("", "any")];
    size_choices.extend(sizes.iter().map(|(v, l)| (v.as_str(), l.as_str())));
    let hidden: Vec<Hidden> = [
        ("sort", &query.sort),
        ("order", &query.order),
        ("from", &query.from),
        ("to", &query.to),
        ("playlist", &query.playlist),
        ("map", &query.map),
        ("team_size", &query.team_size),
        ("result", &query.result),
        ("limit", &query.limit),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value.as_deref().filter(|v| !v.is_empty()).map(|v| Hidden {
            name,
            value: v.to_owned(),
        })
    })
    .collect();
    let (offset, limit) = (filter.offset, filter.limit);
    let shown = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let mut pages = Vec::new();
    if offset > 0 {
        pages.push(PageLink {
            label: "Previous",
            offset: offset.saturating_sub(limit),
        });
    }
    if u64::from(offset) + u64::from(shown) < total {
        pages.push(PageLink {
            label: "Next",
            offset: offset + shown,
        });
    }
    let page = GamesPage {
        title: "Games",
        nav: nav(&identity),
        query: QueryEcho {
            from: echo(&query.from),
            to: echo(&query.to),
        },
        playlists: facet_options(&facets.match_types, query.playlist.as_deref()),
        maps: facet_options(&facets.maps, query.map.as_deref()),
        team_sizes: options(&size_choices, query.team_size.as_deref()),
        results: options(RESULTS, query.result.as_deref()),
        sorts: options(SORTS, query.sort.as_deref().or(Some("played_at"))),
        orders: options(ORDERS, query.order.as_deref().or(Some("desc"))),
        showing: if shown == 0 {
            format!("0 of {total}")
        } else {
            format!("{}–{} of {total}", offset + 1, offset + shown)
        },
        hidden,
        pages,
        rows: rows
            .iter()
            .map(|r| GameRow {
                id: r.id.to_string(),
                played: fmt_time(r.played_at.unwrap_or(r.uploaded_at)),
                map: r.map.clone().unwrap_or_else(|| "–".into()),
                playlist: r.match_type.clone().unwrap_or_else(|| "–".into()),
                team_size: r
                    .team_size
                    .map(|n| format!("{n}v{n}"))
                    .unwrap_or_else(|| "–".into()),
                score: r
                    .score
                    .map(|[b, o]| format!("{b} – {o}"))
                    .unwrap_or_else(|| "–".into()),
                result: crate::dto::known(r.outcome).unwrap_or("–"),
                state: r.job_state.map(|s| s.as_str()).unwrap_or("–"),
                filename: r.original_filename.clone(),
            })
            .collect(),
    };
    Ok(html(&page)?.into_response())
}

/// What the file picker offers: every registered kind's extensions
/// (`.replay,.mp4`), or nothing (every file) when a kind names none.
fn upload_extensions(domains: &filmroom_domain::Registry) -> String {
    let mut extensions = Vec::new();
    for domain in domains.domains() {
        if domain.extensions().is_empty() {
            return String::new();
        }
        extensions.extend(domain.extensions().iter().map(|e| format!(".{e}")));
    }
    let companions = companion_extensions(domains);
    if !companions.is_empty() {
        extensions.push(companions);
    }
    extensions.join(",")
}

/// Every registered kind's companion extensions (`.vtt,.srt`), each once.
fn companion_extensions(domains: &filmroom_domain::Registry) -> String {
    let mut extensions: Vec<String> = Vec::new();
    for companion in domains.domains().flat_map(|d| d.companions().iter()) {
        let extension = format!(".{}", companion.extension);
        if !extensions.contains(&extension) {
            extensions.push(extension);
        }
    }
    extensions.join(",")
}

pub async fn uploads_page(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
) -> PageResult {
    let jobs = service::recent_jobs(&state, identity.user.id).await?;
    let limits = &state.config.limits;
    let page = UploadsPage {
        title: "Upload",
        csrf: identity.csrf_token().to_owned(),
        nav: nav(&identity),
        max_files: limits.max_files_per_batch,
        max_bytes: limits.max_file_bytes,
        extensions: upload_extensions(&state.domains),
        companions: companion_extensions(&state.domains),
        // The operator's ceiling, lowered by each kind's own limit.
        size_limits: state
            .domains
            .domains()
            .map(|d| {
                let ceiling = u64::try_from(limits.max_file_bytes).unwrap_or(u64::MAX);
                let limit = ceiling.min(d.limits().max_bytes);
                (
                    d.display_name().to_owned(),
                    super::uploads::human_size(limit),
                )
            })
            .collect(),
        jobs: jobs
            .iter()
            .map(|j| JobRow {
                job_id: j.job.id.as_seen_by(identity.user.id).to_string(),
                game_id: j.recording_id.to_string(),
                filename: j.original_filename.clone(),
                uploaded: fmt_time(j.uploaded_at),
                state: j.job.state.as_str(),
                error: j.job.last_error.clone().unwrap_or_default(),
            })
            .collect(),
    };
    Ok(html(&page)?.into_response())
}

#[derive(Deserialize, Default)]
pub struct TabQuery {
    pub tab: Option<String>,
    /// A moment of the match in seconds (the coach's citations link here): the
    /// timeline opens with the event nearest to it highlighted.
    pub t: Option<f64>,
}

pub async fn game_page(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    Path(id): Path<String>,
    Query(q): Query<TabQuery>,
) -> PageResult {
    let (game, report) = service::load_game(&state, identity.user.id, &id).await?;
    let moment = q.t.filter(|t| t.is_finite() && *t >= 0.0);
    // Only a recording whose file a browser plays gets a player, and only
    // when its page asks for one (checked once the page is laid out).
    let media_type = super::media::media_type(&state, &game).await?;
    recording_page(
        &state,
        &identity,
        &game,
        report,
        RecordingView {
            tab: q.tab.as_deref(),
            moment,
            media_type,
        },
    )
}

/// What a recording's page is asked for beyond the recording.
struct RecordingView<'a> {
    tab: Option<&'a str>,
    moment: Option<f64>,
    /// The stored file's media type, when it is audio or video.
    media_type: Option<&'static str>,
}

/// A recording's page, of any kind: its domain's [`filmroom_domain::Page`]
/// (tabs of sections) rendered by [`crate::sections`], at the tab asked for
/// or, for a cited moment, at the timeline with the moment marked.
fn recording_page(
    state: &AppState,
    identity: &crate::auth::Identity,
    game: &filmroom_store::RecordingSummary,
    report: Option<String>,
    view: RecordingView<'_>,
) -> PageResult {
    let RecordingView {
        tab,
        moment,
        media_type,
    } = view;
    let domain = state.domains.get(&game.kind);
    let mut notice = None;
    let mut laid_out = None;
    match (report, domain) {
        (Some(text), Some(domain)) => {
            let report: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| PageError(AppError::internal(e)))?;
            match domain.page(&report).and_then(|page| match page.check() {
                Ok(()) => Ok(page),
                Err(reason) => Err(filmroom_domain::ReportError { reason }),
            }) {
                Ok(page) => laid_out = Some(page),
                Err(error) => {
                    tracing::warn!(error = %error, kind = %game.kind, "a stored report cannot be laid out");
                    notice = Some(
                        "This recording's analysis cannot be shown; it will be analysed again."
                            .to_owned(),
                    );
                }
            }
        }
        (Some(_), None) => {
            notice = Some(format!(
                "This server no longer analyses {} recordings.",
                game.kind
            ));
        }
        (None, _) => {
            notice = Some(match game.job_state {
                Some(state) => format!(
                    "Not analysed yet (job {}). {}",
                    state.as_str(),
                    game.last_error.clone().unwrap_or_default()
                ),
                None => "Not analysed yet.".to_owned(),
            });
        }
    }
    let heading = match laid_out.as_ref().and_then(|p| p.heading.as_deref()) {
        Some(what) => format!("{what}: {}", game.original_filename),
        None => game.original_filename.clone(),
    };
    let mut subtitle = vec![match game.played_at {
        Some(played) => format!("Played {} UTC", fmt_time(played)),
        None => format!("Uploaded {} UTC", fmt_time(game.uploaded_at)),
    }];
    if let Some(page) = &laid_out {
        subtitle.extend(page.subtitle.iter().cloned());
        notice = notice.or_else(|| page.notice.clone());
    }
    if let Some(result) = crate::dto::known(game.outcome) {
        subtitle.push(result.to_owned());
    }
    let rendered = match &laid_out {
        Some(page) => crate::sections::render_page(page, tab, moment),
        None => {
            crate::sections::render_page(&filmroom_domain::Page::single(Vec::new()), None, None)
        }
    };
    if let (Some(t), true) = (moment, rendered.marked_moment) {
        notice = notice.or_else(|| {
            Some(format!(
                "Cited moment: {}",
                filmroom_domain::format_clock(t)
            ))
        });
    }
    let player = match (&laid_out, media_type) {
        (Some(page), Some(media_type)) if page.player => Some(PlayerView {
            src: format!("/api/v1/recordings/{}/media", game.id),
            media_type: media_type.to_owned(),
            video: media_type.starts_with("video/"),
            start: moment.map(seek_attr),
        }),
        _ => None,
    };
    let page = GamePage {
        player,
        title: heading.clone(),
        nav: nav(identity),
        id: game.id.to_string(),
        heading,
        subtitle: subtitle.join(" · "),
        tab: rendered.tab,
        tabs: rendered.tabs,
        notice,
        sections: rendered.sections,
        export: laid_out
            .as_ref()
            .and(domain)
            .and_then(|d| d.exchange_format())
            .map(|f| f.label),
        csrf: identity.csrf_token().to_owned(),
    };
    Ok(html(&page)?.into_response())
}

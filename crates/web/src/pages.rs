//! What every page shares (the error page, rendering, the nav bar, times),
//! and the game page (`/games/{id}`), kept here unchanged while its rewrite
//! is under way elsewhere. The other pages live with their feature:
//! `accounts::pages`, `recordings::pages`, `coach::pages`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use filmroom_store::StoreError;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::app::AppState;
use crate::auth::{Identity, PageUser};
use crate::error::AppError;
use crate::game_view;
// The game page's body calls `api::load_game`: that work is the recordings
// service's now, shared with `GET /api/v1/games/{id}`.
use crate::recordings::service as api;
use crate::views::{ErrorPage, GamePage, Nav, Tab};

/// An error shown as a page rather than as JSON.
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        PageError(error)
    }
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        PageError(error.into())
    }
}

impl From<anyhow::Error> for PageError {
    fn from(error: anyhow::Error) -> Self {
        PageError(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let error = self.0;
        let page = ErrorPage {
            title: error
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned(),
            nav: None,
            heading: error
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned(),
            message: error.message.clone(),
            request_id: crate::error::current_request_id(),
        };
        let status = error.status;
        let retry = error.retry_after;
        // Log through the JSON path (it owns the logging), then swap the body.
        let logged = error.into_response();
        let mut response = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => logged,
        };
        if let Some(seconds) = retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

pub(crate) fn html(template: &impl Template) -> Result<Html<String>, PageError> {
    template
        .render()
        .map(Html)
        .map_err(|e| PageError(AppError::internal(e)))
}

pub(crate) fn nav(identity: &Identity) -> Option<Nav> {
    Some(Nav {
        username: identity.user.username.to_string(),
        csrf: identity.csrf_token().to_owned(),
    })
}

pub(crate) fn fmt_time(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
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
    let (game, report) = api::load_game(&state, identity.user.id, &id).await?;
    let moment = q.t.filter(|t| t.is_finite() && *t >= 0.0);
    if !game_view::lays_out(&game.kind) {
        return recording_page(&state, &identity, &game, report, moment);
    }
    let tab = match (q.tab.as_deref(), moment) {
        (None, Some(_)) => "timeline",
        (raw, _) => game_view::tab_key(raw),
    };
    let analysis = match report {
        Some(text) => Some(
            serde_json::from_str::<filmroom_replay::Analysis>(&text)
                .map_err(|e| PageError(AppError::internal(e)))?,
        ),
        None => None,
    };
    let heading = match &game.map {
        Some(map) => format!("{map}: {}", game.original_filename),
        None => game.original_filename.clone(),
    };
    let mut subtitle = vec![format!(
        "Played {} UTC",
        fmt_time(game.played_at.unwrap_or(game.uploaded_at))
    )];
    if let Some(playlist) = &game.match_type {
        subtitle.push(playlist.clone());
    }
    if let Some(n) = game.team_size {
        subtitle.push(format!("{n}v{n}"));
    }
    if let Some(result) = crate::dto::known(game.outcome) {
        subtitle.push(result.to_owned());
    }
    let notice = match (&analysis, game.job_state) {
        (Some(a), _) => match &a.status {
            filmroom_replay::AnalysisStatus::Full => None,
            filmroom_replay::AnalysisStatus::Degraded { reason } => {
                Some(format!("Only the scoreboard is known: {}", reason.message))
            }
        },
        (None, Some(state)) => Some(format!(
            "Not analysed yet (job {}). {}",
            state.as_str(),
            game.last_error.clone().unwrap_or_default()
        )),
        (None, None) => Some("Not analysed yet.".to_owned()),
    };
    let page = GamePage {
        title: heading.clone(),
        nav: nav(&identity),
        id: game.id.to_string(),
        heading,
        subtitle: subtitle.join(" · "),
        tab,
        tabs: game_view::TABS
            .iter()
            .map(|(key, label)| Tab {
                key,
                label,
                active: *key == tab,
            })
            .collect(),
        notice: match (moment, notice) {
            (Some(t), None) if tab == "timeline" => Some(format!(
                "Cited moment: {}",
                filmroom_domain::format_clock(t)
            )),
            (_, notice) => notice,
        },
        sections: analysis
            .as_ref()
            .map(|a| {
                let mut sections = game_view::sections(tab, a);
                if let (Some(t), "timeline") = (moment, tab) {
                    game_view::highlight_moment(&mut sections, t);
                }
                sections
            })
            .unwrap_or_default(),
    };
    Ok(html(&page)?.into_response())
}

/// The page of a recording whose kind the web has no layout of its own for:
/// its domain's sections, rendered with the web's tables.
fn recording_page(
    state: &AppState,
    identity: &crate::auth::Identity,
    game: &filmroom_store::RecordingSummary,
    report: Option<String>,
    moment: Option<f64>,
) -> PageResult {
    let domain = state.domains.get(&game.kind);
    let mut subtitle = vec![format!(
        "{} · uploaded {} UTC",
        domain.map_or(game.kind.as_str(), |d| d.display_name()),
        fmt_time(game.uploaded_at)
    )];
    if game.outcome != filmroom_store::OwnerOutcome::Unknown {
        subtitle.push(game.outcome.as_str().to_owned());
    }
    let mut notice = None;
    let mut sections = Vec::new();
    match (report, domain) {
        (Some(text), Some(domain)) => {
            let report: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| PageError(AppError::internal(e)))?;
            match domain.page_sections(&report) {
                Ok(laid_out) => sections = laid_out.iter().map(crate::sections::render).collect(),
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
    if let Some(t) = moment {
        crate::sections::highlight_moment(&mut sections, t);
        notice = notice.or_else(|| {
            Some(format!(
                "Cited moment: {}",
                filmroom_domain::format_clock(t)
            ))
        });
    }
    let page = GamePage {
        title: game.original_filename.clone(),
        nav: nav(identity),
        id: game.id.to_string(),
        heading: game.original_filename.clone(),
        subtitle: subtitle.join(" · "),
        tab: "overview",
        tabs: Vec::new(),
        notice,
        sections,
    };
    Ok(html(&page)?.into_response())
}

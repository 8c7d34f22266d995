//! A user's recordings of one kind over time: the headline metric and its
//! components that the kind's domain names ([`filmroom_domain::Progress`]),
//! recording after recording, as `GET /api/v1/progress` and the `/progress`
//! page. Read from the stored metrics of "me" through the coach's read
//! ([`filmroom_store::Store::coach_recordings`]); nothing here knows a kind.

use askama::Template as _;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use filmroom_domain::{Domain, Kind};
use filmroom_store::{CoachRecordingQuery, RecordingOrder, RecordingQuery};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::{ApiUser, PageUser};
use crate::error::AppError;
use crate::pages::{PageError, PageResult, fmt_time, html, nav};
use crate::views::{BarChart, ProgressKindView, ProgressPage, ProgressRow};

/// The most recordings a progress view reads (the newest).
pub const MAX_RECORDINGS: u32 = 500;

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// One kind (`talk`); without it, every kind that has a progress view.
    pub kind: Option<String>,
}

/// One metric a progress view follows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProgressMetricJson {
    /// Its key (`score.pace`).
    pub key: String,
    /// Its name for people.
    pub label: String,
    /// Its unit (`points`).
    pub unit: String,
}

/// One recording's values of the followed metrics.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProgressPointJson {
    pub recording_id: String,
    pub title: Option<String>,
    /// When it happened (Unix seconds), when known.
    pub occurred_at: Option<i64>,
    /// The headline's value, when stored.
    pub headline: Option<f64>,
    /// The components' values in [`ProgressKindJson::components`] order;
    /// `null` where a recording has none (a talk without words has no score).
    pub components: Vec<Option<f64>>,
}

/// A kind's progress: what is followed and the recordings, oldest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProgressKindJson {
    pub kind: String,
    pub title: String,
    pub headline: ProgressMetricJson,
    pub components: Vec<ProgressMetricJson>,
    pub recordings: Vec<ProgressPointJson>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProgressJson {
    /// One per kind with a progress view the user has recordings of.
    pub kinds: Vec<ProgressKindJson>,
}

fn metric(domain: &dyn Domain, key: &str) -> ProgressMetricJson {
    let definition = domain
        .metric_definitions()
        .into_iter()
        .find(|d| d.key == key);
    ProgressMetricJson {
        key: key.to_owned(),
        label: definition
            .as_ref()
            .map(|d| d.label.clone())
            .unwrap_or_else(|| key.to_owned()),
        unit: definition
            .map(|d| d.unit.symbol().to_owned())
            .unwrap_or_default(),
    }
}

/// The progress of each kind asked for that the user has recordings of.
pub async fn progress(
    state: &AppState,
    owner: filmroom_store::UserId,
    kind: Option<&str>,
) -> Result<Vec<ProgressKindJson>, AppError> {
    if let Some(kind) = kind
        && Kind::parse(kind)
            .ok()
            .and_then(|k| state.domains.get(&k))
            .and_then(|d| d.progress())
            .is_none()
    {
        return Err(AppError::new(
            StatusCode::NOT_FOUND,
            "no_progress",
            format!("No progress view for recordings of kind {kind:?}."),
        ));
    }
    let mut kinds = Vec::new();
    for domain in state.domains.domains() {
        let this_kind = domain.kind();
        if kind.is_some_and(|k| k != this_kind.as_str()) {
            continue;
        }
        let Some(followed) = domain.progress() else {
            continue;
        };
        let mut keys = vec![followed.headline.clone()];
        keys.extend(followed.components.iter().cloned());
        let mut recordings = state
            .store
            .coach_recordings(
                owner,
                &CoachRecordingQuery {
                    limit: MAX_RECORDINGS,
                    kind: Some(this_kind.as_str().to_owned()),
                    metrics: keys,
                    ..CoachRecordingQuery::default()
                },
            )
            .await?;
        if recordings.is_empty() {
            continue;
        }
        // A recording without its own date (a talk) is dated by its
        // upload, so the history is in the order the user made them.
        let uploaded: std::collections::HashMap<String, time::OffsetDateTime> = state
            .store
            .list_recordings_page(
                owner,
                &RecordingQuery {
                    kind: Some(this_kind.as_str().to_owned()),
                    sort: RecordingOrder::UploadedAt,
                    descending: true,
                    limit: MAX_RECORDINGS,
                    ..RecordingQuery::default()
                },
            )
            .await?
            .items
            .into_iter()
            .map(|item| (item.id.to_string(), item.uploaded_at))
            .collect();
        for r in &mut recordings {
            r.occurred_at = r.occurred_at.or_else(|| uploaded.get(&r.id).copied());
        }
        recordings.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then(a.id.cmp(&b.id)));
        kinds.push(ProgressKindJson {
            kind: this_kind.as_str().to_owned(),
            title: followed.title.clone(),
            headline: metric(domain.as_ref(), &followed.headline),
            components: followed
                .components
                .iter()
                .map(|k| metric(domain.as_ref(), k))
                .collect(),
            recordings: recordings
                .into_iter()
                .map(|r| ProgressPointJson {
                    headline: r.my_metrics.get(&followed.headline).copied(),
                    components: followed
                        .components
                        .iter()
                        .map(|k| r.my_metrics.get(k).copied())
                        .collect(),
                    recording_id: r.id,
                    title: r.title,
                    occurred_at: r.occurred_at.map(|t| t.unix_timestamp()),
                })
                .collect(),
        });
    }
    Ok(kinds)
}

#[utoipa::path(get, path = "/api/v1/progress", tag = "recordings",
    summary = "The caller's recordings over time: each kind's headline metric and its components",
    params(ProgressQuery),
    responses(
        (status = 200, body = ProgressJson),
        (status = 404, description = "No progress view for that kind (`no_progress`)", body = crate::error::Body),
    ))]
pub async fn api(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    Query(query): Query<ProgressQuery>,
) -> Result<Json<ProgressJson>, AppError> {
    let kinds = progress(&state, identity.user.id, query.kind.as_deref()).await?;
    Ok(Json(ProgressJson { kinds }))
}

fn value(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}"))
        .unwrap_or_else(|| "–".to_owned())
}

fn when(point: &ProgressPointJson) -> String {
    point
        .occurred_at
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .map(fmt_time)
        .unwrap_or_else(|| "–".to_owned())
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    Query(query): Query<ProgressQuery>,
) -> PageResult {
    let kinds = progress(&state, identity.user.id, query.kind.as_deref())
        .await
        .map_err(PageError)?;
    let kinds = kinds
        .iter()
        .map(|k| {
            let headline: Vec<(String, f64, &'static str)> = k
                .recordings
                .iter()
                .filter_map(|r| r.headline.map(|v| (when(r), v, "")))
                .collect();
            let unit = |m: &ProgressMetricJson| {
                if m.unit.is_empty() {
                    m.label.clone()
                } else {
                    format!("{} ({})", m.label, m.unit)
                }
            };
            ProgressKindView {
                kind: k.kind.clone(),
                title: k.title.clone(),
                chart: BarChart::new(&k.headline.label, &k.headline.unit, &headline, 1)
                    .render()
                    .ok()
                    .filter(|_| !headline.is_empty()),
                headers: std::iter::once(unit(&k.headline))
                    .chain(k.components.iter().map(unit))
                    .collect(),
                // Newest first, as the recordings lists are.
                rows: k
                    .recordings
                    .iter()
                    .rev()
                    .map(|r| ProgressRow {
                        id: r.recording_id.clone(),
                        when: when(r),
                        title: r.title.clone().unwrap_or_else(|| k.kind.clone()),
                        cells: std::iter::once(value(r.headline))
                            .chain(r.components.iter().map(|c| value(*c)))
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    let page = ProgressPage {
        title: "Progress",
        nav: nav(&identity),
        kinds,
    };
    Ok(html(&page)?.into_response())
}

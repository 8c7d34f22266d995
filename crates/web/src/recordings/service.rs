//! The recordings' work, done once for the JSON API and the pages: the games
//! list, one recording with its report or its stored analysis, the list of
//! every kind, and the upload jobs. Every read is scoped to the owner it is
//! given; a recording named by a path arrives already checked
//! ([`crate::owned::Owned`]).

use filmroom_store::{
    RecordingFilter, RecordingId, RecordingPage, RecordingQuery, RecordingSummary, StoredAnalysis,
    UserId, UserJob,
};

use crate::app::AppState;
use crate::dto::GamesQuery;
use crate::error::AppError;
use crate::owned::{OwnedResource, parse_id};

/// How many recent upload jobs the API and the uploads page show.
const RECENT_JOBS: u32 = 200;

/// One page of a user's games and how many match in all.
pub struct Games {
    pub rows: Vec<RecordingSummary>,
    pub total: u64,
    pub filter: RecordingFilter,
}

pub async fn games(state: &AppState, owner: UserId, query: &GamesQuery) -> Result<Games, AppError> {
    let filter = query.to_filter()?;
    let rows = state.store.list_recordings(owner, &filter).await?;
    let total = state.store.count_recordings(owner, &filter).await?;
    Ok(Games {
        rows,
        total,
        filter,
    })
}

/// The stored report of the owner's `recording`, once analysed.
pub async fn report(
    state: &AppState,
    owner: UserId,
    recording: &RecordingSummary,
) -> Result<Option<String>, AppError> {
    Ok(state.store.analysis_for_owner(owner, recording.id).await?)
}

/// The owner's recording `raw_id` with its report: 404 for an id that does
/// not parse, does not exist or is someone else's.
pub async fn load_game(
    state: &AppState,
    owner: UserId,
    raw_id: &str,
) -> Result<(RecordingSummary, Option<String>), AppError> {
    let id: RecordingId = parse_id(raw_id)?;
    let game = RecordingSummary::load(state, owner, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let report = report(state, owner, &game).await?;
    Ok((game, report))
}

/// The neutral rows of the owner's `recording`, once analysed.
pub async fn stored_analysis(
    state: &AppState,
    owner: UserId,
    recording: &RecordingSummary,
) -> Result<Option<StoredAnalysis>, AppError> {
    Ok(state
        .store
        .stored_analysis_for_owner(owner, recording.id)
        .await?)
}

pub async fn recordings(
    state: &AppState,
    owner: UserId,
    query: &RecordingQuery,
) -> Result<RecordingPage, AppError> {
    Ok(state.store.list_recordings_page(owner, query).await?)
}

/// The owner's upload jobs, newest upload first.
pub async fn recent_jobs(state: &AppState, owner: UserId) -> Result<Vec<UserJob>, AppError> {
    Ok(state.store.jobs_for_user(owner, RECENT_JOBS).await?)
}

//! Ids in a path that name something of the caller's. [`Owned`] (JSON
//! errors) and [`OwnedPage`] (error pages) parse the `{id}`, load the thing
//! scoped to the signed-in caller, and answer 404 `not_found` alike for an id
//! that does not parse, one that does not exist and someone else's, so no
//! stranger learns which ids exist and no handler checks by hand.
//! Writes the store already scopes by owner (tokens, notes) only parse.

use std::future::Future;
use std::str::FromStr;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use filmroom_store::{Conversation, ConversationId, RecordingId, RecordingSummary, UserId};

use crate::accounts::auth::{self, PageRejection};
use crate::app::AppState;
use crate::error::AppError;

/// Something a user owns, found by its id.
pub trait OwnedResource: Sized + Send {
    type Id: FromStr + Send;

    /// The thing if `owner` owns it.
    fn load(
        state: &AppState,
        owner: UserId,
        id: Self::Id,
    ) -> impl Future<Output = Result<Option<Self>, AppError>> + Send;
}

impl OwnedResource for RecordingSummary {
    type Id = RecordingId;

    async fn load(
        state: &AppState,
        owner: UserId,
        id: RecordingId,
    ) -> Result<Option<Self>, AppError> {
        Ok(state.store.recording_for_owner(owner, id).await?)
    }
}

impl OwnedResource for Conversation {
    type Id = ConversationId;

    async fn load(
        state: &AppState,
        owner: UserId,
        id: ConversationId,
    ) -> Result<Option<Self>, AppError> {
        Ok(state.store.conversation_for_owner(owner, id).await?)
    }
}

/// Ids come from the URL: anything that does not parse is simply not found.
pub fn parse_id<T: FromStr>(raw: &str) -> Result<T, AppError> {
    raw.parse().map_err(|_| AppError::not_found())
}

async fn load_owned<R: OwnedResource>(
    parts: &mut Parts,
    state: &AppState,
    owner: UserId,
) -> Result<R, AppError> {
    let Path(raw) = Path::<String>::from_request_parts(parts, state)
        .await
        .map_err(|_| AppError::not_found())?;
    let id: R::Id = parse_id(&raw)?;
    R::load(state, owner, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// The caller's `R` named by the path's `{id}`, for the JSON API.
pub struct Owned<R>(pub R);

impl<R: OwnedResource> FromRequestParts<AppState> for Owned<R> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let identity = auth::caller(parts, state)
            .await?
            .ok_or_else(AppError::unauthorized)?;
        load_owned(parts, state, identity.user.id).await.map(Owned)
    }
}

/// The same for pages: unknown callers go to the login page, and a missing
/// thing is an error page.
pub struct OwnedPage<R>(pub R);

impl<R: OwnedResource> FromRequestParts<AppState> for OwnedPage<R> {
    type Rejection = PageRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, PageRejection> {
        let identity = auth::caller(parts, state)
            .await
            .map_err(PageRejection::Error)?
            .ok_or(PageRejection::Login)?;
        load_owned(parts, state, identity.user.id)
            .await
            .map(OwnedPage)
            .map_err(PageRejection::Page)
    }
}

//! Deleting a recording and erasing an account, for the API, the pages and
//! the CLI. Rows go first, in one store transaction; the objects nobody
//! references any more are deleted after it commits ([`purge_objects`]). A
//! deletion that fails stays queued and is retried by the next purge (after
//! the next deletion, and at every start), so a file can outlive its rows
//! for a while but no row ever points at a missing file.

use std::sync::Arc;

use filmroom_store::objects::ObjectStore;
use filmroom_store::{Erasure, PurgeOutcome, RecordingId, RecordingRemoval, Store, User, UserId};

use crate::accounts::auth;
use crate::app::AppState;
use crate::error::AppError;
use crate::owned::parse_id;

/// Objects one purge call handles before it checks again.
const PURGE_BATCH: u32 = 100;

/// Who erased an account, as the audit log records it.
pub const ACTOR_SELF: &str = "self";
pub const ACTOR_OPERATOR: &str = "operator";

/// Deletes every queued object that no recording references; failures are
/// logged and stay queued. Never fails the caller: the rows are already gone.
pub async fn purge_objects(store: &Arc<dyn Store>, objects: &Arc<dyn ObjectStore>) -> PurgeOutcome {
    let mut total = PurgeOutcome::default();
    loop {
        match store.purge_objects(objects.as_ref(), PURGE_BATCH).await {
            Ok(outcome) => {
                total.deleted += outcome.deleted;
                total.kept += outcome.kept;
                total.failed += outcome.failed;
                let handled = outcome.deleted + outcome.kept + outcome.failed;
                // A batch with failures is not retried at once: the object
                // store is likely down, and the next purge will try again.
                if handled < u64::from(PURGE_BATCH) || outcome.failed > 0 {
                    break;
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, "purging deleted objects failed; they stay queued");
                break;
            }
        }
    }
    if total.failed > 0 {
        tracing::warn!(
            failed = total.failed,
            "some deleted objects could not be removed yet"
        );
    }
    total
}

/// Removes the owner's link to the recording `raw_id` (404 alike for an id
/// that does not parse, does not exist or is someone else's); the recording
/// and its file go when no owner is left.
pub async fn delete_recording(
    state: &AppState,
    owner: UserId,
    raw_id: &str,
) -> Result<RecordingRemoval, AppError> {
    let id: RecordingId = parse_id(raw_id)?;
    let removal = state
        .store
        .remove_recording(owner, id, state.clock.now())
        .await?
        .ok_or_else(AppError::not_found)?;
    tracing::info!(recording = %id, everywhere = removal.deleted_everywhere, "recording deleted by its owner");
    if removal.deleted_everywhere {
        purge_objects(&state.store, &state.objects).await;
    }
    Ok(removal)
}

/// Erases `user` and what only they owned; see [`Store::erase_user`].
pub async fn erase(
    store: &Arc<dyn Store>,
    objects: &Arc<dyn ObjectStore>,
    user: UserId,
    actor: &str,
    now: time::OffsetDateTime,
) -> Result<Option<Erasure>, filmroom_store::StoreError> {
    let erasure = store.erase_user(user, actor, now).await?;
    if let Some(erasure) = &erasure {
        tracing::info!(
            actor,
            deleted = erasure.recordings_deleted,
            kept = erasure.recordings_kept,
            "account erased"
        );
        purge_objects(store, objects).await;
    }
    Ok(erasure)
}

/// The password did not match: nothing was erased.
pub struct WrongPassword;

/// Erases the caller's own account once their password is confirmed.
pub async fn erase_own_account(
    state: &AppState,
    user: &User,
    password: &str,
) -> Result<Result<Erasure, WrongPassword>, AppError> {
    if !auth::verify_password(password.to_owned(), user.password_hash.clone()).await? {
        return Ok(Err(WrongPassword));
    }
    let erased = erase(
        &state.store,
        &state.objects,
        user.id,
        ACTOR_SELF,
        state.clock.now(),
    )
    .await?;
    // Gone already (a second tab erased it a moment ago): the same outcome.
    Ok(Ok(erased.unwrap_or_default()))
}

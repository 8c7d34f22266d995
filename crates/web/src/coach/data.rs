//! The coach's view of one user's data, over the store: the `CoachData` the
//! tools and the built-in analyst read. Every read goes through the store's
//! owner-scoped methods, so a tool can only ever see the asking user's games
//! and notes.
//!
//! Reports are parsed lazily, newest first, and each at most once per turn:
//! "the last 3 games" reads three reports (plus the few that decide who "me"
//! is), not the whole history.

use std::collections::HashMap;
use std::sync::Arc;

use filmroom_coach::{
    CoachData, DataError, GameDigest, GameQuery, NoteView, PlayerKey, identify_me,
};
use filmroom_replay::Analysis;
use filmroom_store::{
    Note, NoteAuthor, NoteId, RecordingFilter, RecordingId, RecordingSummary, Store, UserId,
};
use time::OffsetDateTime;
use tokio::sync::{Mutex, OnceCell};

/// How many of a user's most recent games the coach reads at most: the
/// tools' own cap, so their "older games may be missing" notices are true.
const MAX_GAMES: u32 = filmroom_coach::tools::MAX_GAMES_SCANNED as u32;
/// Without player names on the account, "me" is the player seen in most of
/// this many recent games: the uploader is in all of them.
const ME_SAMPLE: usize = 30;

pub struct StoreCoachData {
    store: Arc<dyn Store>,
    user: UserId,
    now: OffsetDateTime,
    /// The user's recordings, newest first, listed once per turn.
    rows: OnceCell<Vec<RecordingSummary>>,
    me: OnceCell<Option<PlayerKey>>,
    /// Reports parsed this turn (`None`: not analysed or unreadable).
    reports: Mutex<HashMap<RecordingId, Option<Arc<Analysis>>>>,
}

impl StoreCoachData {
    pub fn new(store: Arc<dyn Store>, user: UserId, now: OffsetDateTime) -> Self {
        Self {
            store,
            user,
            now,
            rows: OnceCell::new(),
            me: OnceCell::new(),
            reports: Mutex::new(HashMap::new()),
        }
    }

    async fn rows(&self) -> Result<&Vec<RecordingSummary>, DataError> {
        self.rows
            .get_or_try_init(|| async {
                let filter = RecordingFilter {
                    limit: MAX_GAMES,
                    ..RecordingFilter::default()
                };
                let rows = self
                    .store
                    .list_recordings(self.user, &filter)
                    .await
                    .map_err(data_error)?;
                Ok(rows.into_iter().filter(|r| r.analyzed).collect())
            })
            .await
    }

    async fn report(&self, id: RecordingId) -> Result<Option<Arc<Analysis>>, DataError> {
        if let Some(cached) = self.reports.lock().await.get(&id) {
            return Ok(cached.clone());
        }
        let json = self
            .store
            .analysis_for_owner(self.user, id)
            .await
            .map_err(data_error)?;
        // A report from an older schema that no longer parses is skipped, not fatal.
        let report = json.and_then(|json| match serde_json::from_str::<Analysis>(&json) {
            Ok(analysis) => Some(Arc::new(analysis)),
            Err(error) => {
                tracing::warn!(recording = %id, error = %error, "coach: unreadable report skipped");
                None
            }
        });
        self.reports.lock().await.insert(id, report.clone());
        Ok(report)
    }

    async fn me(&self) -> Result<Option<&PlayerKey>, DataError> {
        let me = self
            .me
            .get_or_try_init(|| async {
                let names = self
                    .store
                    .player_names(self.user)
                    .await
                    .map_err(data_error)?;
                let mut sample = Vec::new();
                for row in self.rows().await?.iter().take(ME_SAMPLE) {
                    if let Some(report) = self.report(row.id).await? {
                        sample.push(report);
                    }
                }
                let reports: Vec<&Analysis> = sample.iter().map(Arc::as_ref).collect();
                Ok::<_, DataError>(identify_me(&reports, &names))
            })
            .await?;
        Ok(me.as_ref())
    }

    async fn digest(&self, row: &RecordingSummary) -> Result<Option<GameDigest>, DataError> {
        let Some(me) = self.me().await? else {
            return Ok(None);
        };
        Ok(self.report(row.id).await?.and_then(|analysis| {
            GameDigest::from_analysis(&row.id.to_string(), row.played_at, &analysis, me)
        }))
    }
}

fn data_error(error: filmroom_store::StoreError) -> DataError {
    DataError::Backend(Box::new(error))
}

fn note_view(note: Note) -> NoteView {
    NoteView {
        id: note.id.to_string(),
        text: note.text,
        author: match note.author {
            NoteAuthor::User => "user",
            NoteAuthor::Coach => "coach",
        }
        .to_owned(),
        updated_at: note.updated_at,
    }
}

#[async_trait::async_trait]
impl CoachData for StoreCoachData {
    async fn games(&self, query: &GameQuery) -> Result<Vec<GameDigest>, DataError> {
        let mut games = Vec::new();
        for row in self.rows().await? {
            if games.len() >= query.limit {
                break;
            }
            if let Some(game) = self.digest(row).await?
                && query.matches(&game)
            {
                games.push(game);
            }
        }
        Ok(games)
    }

    async fn game(&self, id: &str) -> Result<Option<GameDigest>, DataError> {
        let Ok(id) = id.parse::<RecordingId>() else {
            return Ok(None);
        };
        match self.rows().await?.iter().find(|r| r.id == id) {
            Some(row) => self.digest(row).await,
            None => Ok(None),
        }
    }

    async fn notes(&self) -> Result<Vec<NoteView>, DataError> {
        let notes = self.store.list_notes(self.user).await.map_err(data_error)?;
        Ok(notes.into_iter().map(note_view).collect())
    }

    async fn save_note(&self, text: &str) -> Result<NoteView, DataError> {
        let note = self
            .store
            .create_note(self.user, text, NoteAuthor::Coach, self.now)
            .await
            .map_err(data_error)?;
        Ok(note_view(note))
    }

    async fn delete_note(&self, id: &str) -> Result<bool, DataError> {
        let Ok(id) = id.parse::<NoteId>() else {
            return Ok(false);
        };
        match self.store.delete_note(self.user, id).await {
            Ok(()) => Ok(true),
            Err(filmroom_store::StoreError::NotFound { .. }) => Ok(false),
            Err(error) => Err(data_error(error)),
        }
    }
}

//! The coach's view of one user's data, over the store: the `CoachData` the
//! tools and the built-in analyst read. Every read goes through the store's
//! owner-scoped methods, so a tool can only ever see the asking user's games
//! and notes.

use std::sync::Arc;

use filmroom_coach::{CoachData, DataError, GameDigest, GameQuery, NoteView, identify_me};
use filmroom_replay::Analysis;
use filmroom_store::{Note, NoteAuthor, NoteId, RecordingFilter, Store, UserId};
use time::OffsetDateTime;
use tokio::sync::OnceCell;

/// How many of a user's most recent games the coach reads at most.
const MAX_GAMES: u32 = 500;

pub struct StoreCoachData {
    store: Arc<dyn Store>,
    user: UserId,
    now: OffsetDateTime,
    /// The user's analysed games, newest first, read once per turn.
    games: OnceCell<Vec<GameDigest>>,
}

impl StoreCoachData {
    pub fn new(store: Arc<dyn Store>, user: UserId, now: OffsetDateTime) -> Self {
        Self {
            store,
            user,
            now,
            games: OnceCell::new(),
        }
    }

    async fn all_games(&self) -> Result<&Vec<GameDigest>, DataError> {
        self.games.get_or_try_init(|| self.load_games()).await
    }

    async fn load_games(&self) -> Result<Vec<GameDigest>, DataError> {
        let filter = RecordingFilter {
            limit: MAX_GAMES,
            ..RecordingFilter::default()
        };
        let rows = self
            .store
            .list_recordings(self.user, &filter)
            .await
            .map_err(data_error)?;
        let mut analysed = Vec::new();
        for row in rows.iter().filter(|r| r.analyzed) {
            let Some(json) = self
                .store
                .analysis_for_owner(self.user, row.id)
                .await
                .map_err(data_error)?
            else {
                continue;
            };
            // A report from an older schema that no longer parses is skipped, not fatal.
            match serde_json::from_str::<Analysis>(&json) {
                Ok(analysis) => analysed.push((row, analysis)),
                Err(error) => {
                    tracing::warn!(recording = %row.id, error = %error, "coach: unreadable report skipped")
                }
            }
        }
        let names = self
            .store
            .player_names(self.user)
            .await
            .map_err(data_error)?;
        let reports: Vec<&Analysis> = analysed.iter().map(|(_, a)| a).collect();
        let Some(me) = identify_me(&reports, &names) else {
            return Ok(Vec::new());
        };
        Ok(analysed
            .iter()
            .filter_map(|(row, analysis)| {
                GameDigest::from_analysis(&row.id.to_string(), row.played_at, analysis, &me)
            })
            .collect())
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
        let games = self.all_games().await?;
        Ok(games
            .iter()
            .filter(|g| query.matches(g))
            .take(query.limit)
            .cloned()
            .collect())
    }

    async fn game(&self, id: &str) -> Result<Option<GameDigest>, DataError> {
        Ok(self.all_games().await?.iter().find(|g| g.id == id).cloned())
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

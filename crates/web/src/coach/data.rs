//! The coach's view of one user's data, over the store: the `CoachData` the
//! tools and the built-in analyst read. Every read goes through the store's
//! owner-scoped coach reads, so a tool can only ever see the asking user's
//! recordings and notes.
//!
//! Digests are built from stored rows (the owner's "me" and outcome, facts,
//! facets, metrics, events, passages) with each domain's digest spec from the
//! registry: a turn over a thousand recordings is a handful of queries and
//! parses no report.

use std::collections::BTreeMap;
use std::sync::Arc;

use filmroom_coach::{
    CoachData, DataError, GameDigest, GameQuery, MetricGroup, MetricQuery, NoteView, SearchHit,
};
use filmroom_domain::{CoachDigestSpec, Registry};
use filmroom_store::{
    CoachMetricQuery, CoachRecording, CoachRecordingQuery, Note, NoteAuthor, NoteId, RecordingId,
    Store, UserId,
};
use time::OffsetDateTime;

/// How many of a user's most recent recordings a list reads at most: the
/// tools' own cap, so their "older games may be missing" notices are true.
const MAX_GAMES: usize = filmroom_coach::tools::MAX_GAMES_SCANNED;

pub struct StoreCoachData {
    store: Arc<dyn Store>,
    user: UserId,
    now: OffsetDateTime,
    /// Each registered kind's digest spec.
    specs: BTreeMap<String, CoachDigestSpec>,
    /// The metric keys a list reads of "me": every domain's headline keys.
    list_metrics: Vec<String>,
    /// The side metrics every digest reads: each domain's score key.
    score_metrics: Vec<String>,
}

impl StoreCoachData {
    pub fn new(
        store: Arc<dyn Store>,
        user: UserId,
        now: OffsetDateTime,
        domains: &Registry,
    ) -> Self {
        let specs: BTreeMap<String, CoachDigestSpec> = domains
            .domains()
            .map(|d| (d.kind().to_string(), d.coach_digest()))
            .collect();
        let mut list_metrics: Vec<String> = Vec::new();
        let mut score_metrics: Vec<String> = Vec::new();
        for spec in specs.values() {
            for key in spec.headline_metrics() {
                if !list_metrics.contains(&key) {
                    list_metrics.push(key);
                }
            }
            for key in &spec.score_metrics {
                if !score_metrics.contains(key) {
                    score_metrics.push(key.clone());
                }
            }
        }
        Self {
            store,
            user,
            now,
            specs,
            list_metrics,
            score_metrics,
        }
    }

    async fn recordings(
        &self,
        query: CoachRecordingQuery,
    ) -> Result<Vec<CoachRecording>, DataError> {
        self.store
            .coach_recordings(self.user, &query)
            .await
            .map_err(data_error)
    }

    fn spec(&self, kind: &str) -> CoachDigestSpec {
        self.specs.get(kind).cloned().unwrap_or_default()
    }

    /// A headline stat's name (`bpm`) as its stored key (`boost.bpm`); any
    /// other text is taken as a key.
    fn metric_key(&self, name: &str) -> String {
        self.specs
            .values()
            .flat_map(|s| &s.headline)
            .find(|h| h.name == name)
            .map_or_else(|| name.to_owned(), |h| h.metric.clone())
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
    fn digest_specs(&self) -> BTreeMap<String, CoachDigestSpec> {
        self.specs.clone()
    }

    async fn games(&self, query: &GameQuery) -> Result<Vec<GameDigest>, DataError> {
        let rows = self
            .recordings(CoachRecordingQuery {
                limit: u32::try_from(query.limit.min(MAX_GAMES)).unwrap_or(u32::MAX),
                facet: query.playlist.clone().map(|p| ("playlist".to_owned(), p)),
                from: query.from,
                until: query.until,
                metrics: self.list_metrics.clone(),
                side_metrics: self.score_metrics.clone(),
                ..CoachRecordingQuery::default()
            })
            .await?;
        // A recording none of whose participants is the user's has no digest.
        // Each row borrows its kind's spec: a list of 1,000 games clones none.
        let unknown = CoachDigestSpec::default();
        Ok(rows
            .iter()
            .filter_map(|row| {
                let spec = self.specs.get(&row.kind).unwrap_or(&unknown);
                GameDigest::from_stored(row, spec, &[])
            })
            .collect())
    }

    async fn game(&self, id: &str) -> Result<Option<GameDigest>, DataError> {
        let Ok(id) = id.parse::<RecordingId>() else {
            return Ok(None);
        };
        let rows = self
            .recordings(CoachRecordingQuery {
                limit: 1,
                recording: Some(id),
                // Every metric of the player: the detail shows them all.
                metrics: Vec::new(),
                side_metrics: self.score_metrics.clone(),
                ..CoachRecordingQuery::default()
            })
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let spec = self.spec(&row.kind);
        let moments = self
            .store
            .coach_moments(self.user, id, &spec.moment_event_kinds())
            .await
            .map_err(data_error)?
            .unwrap_or_default();
        Ok(GameDigest::from_stored(row, &spec, &moments.events)
            .map(|d| d.with_detail(&row.my_metrics, &moments.passages)))
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

    fn now(&self) -> OffsetDateTime {
        self.now
    }

    async fn search(&self, text: &str, limit: usize) -> Result<Vec<SearchHit>, DataError> {
        let hits: Vec<SearchHit> = self
            .store
            .coach_search(self.user, text, u32::try_from(limit).unwrap_or(u32::MAX))
            .await
            .map_err(data_error)?;
        Ok(hits)
    }

    async fn metric_groups(&self, query: &MetricQuery) -> Result<Vec<MetricGroup>, DataError> {
        let groups: Vec<MetricGroup> = self
            .store
            .coach_metric_groups(
                self.user,
                &CoachMetricQuery {
                    metric: self.metric_key(&query.metric),
                    kind: None,
                    from: query.from,
                    until: query.until,
                    group_by_facet: query.group_by.clone(),
                },
            )
            .await
            .map_err(data_error)?;
        Ok(groups)
    }
}

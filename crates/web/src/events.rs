//! The job-event feed behind `/api/v1/events`: one task reads job states from
//! the store when something changed (workers in this process and uploads say
//! so; other processes' jobs through the store's job signals on PostgreSQL,
//! else a slow poll catches them), once per watching
//! user however many streams they hold, and broadcasts the changes. Each
//! stream filters the broadcast by its user. Also owns the per-user cap on
//! open streams.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::sse::Event;
use filmroom_store::{Store, UserId};
use futures_util::{Stream, StreamExt, stream};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::{Notify, watch};

use crate::dto::JobJson;
use crate::error::AppError;

/// The most recent jobs a stream reports, as before the feed existed.
const JOBS_PER_STREAM: u32 = 200;
/// Changes buffered for slow streams; one that falls further behind reads
/// its user's jobs from the store again.
const FEED_CAPACITY: usize = 1024;

/// One job's new state, for its owner's streams.
#[derive(Debug)]
pub struct JobChange {
    pub user: UserId,
    pub job: JobJson,
    /// `job` as JSON, serialized once for every stream.
    json: String,
}

pub struct JobFeed {
    store: Arc<dyn Store>,
    sender: broadcast::Sender<Arc<JobChange>>,
    changed: Arc<Notify>,
    /// Open streams per user: who the feed reads jobs for.
    streams: Mutex<HashMap<UserId, usize>>,
    max_streams_per_user: usize,
    poll_every: Duration,
}

/// Wakes the feed (through `changed`) on each of the store's job signals,
/// which carry other processes' job changes (`Store::job_signals`), until
/// `stop`. Returns at once for a store without them: the feed polls.
pub async fn forward_job_signals(
    store: Arc<dyn Store>,
    changed: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let mut signals = match store.job_signals().await {
        Ok(Some(signals)) => signals,
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(error = %error, "job feed: cannot hear other processes' job changes; polling only");
            return;
        }
    };
    loop {
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => return,
            signal = signals.next() => match signal {
                Some(()) => changed.notify_one(),
                None => return,
            },
        }
    }
}

impl JobFeed {
    /// `poll_every`: how often to look for changes nobody announced.
    pub fn new(store: Arc<dyn Store>, max_streams_per_user: usize, poll_every: Duration) -> Self {
        Self::with_capacity(store, max_streams_per_user, poll_every, FEED_CAPACITY)
    }

    pub fn with_capacity(
        store: Arc<dyn Store>,
        max_streams_per_user: usize,
        poll_every: Duration,
        capacity: usize,
    ) -> Self {
        Self {
            store,
            sender: broadcast::channel(capacity.max(1)).0,
            changed: Arc::new(Notify::new()),
            streams: Mutex::new(HashMap::new()),
            max_streams_per_user,
            poll_every,
        }
    }

    /// Give this to whatever changes jobs (the workers): `notify_one` on it
    /// makes the feed read the watched users' jobs again.
    pub fn changed_handle(&self) -> Arc<Notify> {
        self.changed.clone()
    }

    /// Some job changed (one was queued, say): read again soon.
    pub fn job_changed(&self) {
        self.changed.notify_one();
    }

    fn watched_users(&self) -> Vec<UserId> {
        let streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        streams.keys().copied().collect()
    }

    /// Reads and broadcasts changes until `stop` turns true.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        // What each watched user's streams were last told, per job id.
        let mut told: HashMap<UserId, HashMap<String, JobJson>> = HashMap::new();
        loop {
            tokio::select! {
                _ = stop.wait_for(|stop| *stop) => return,
                () = self.changed.notified() => {}
                () = tokio::time::sleep(self.poll_every) => {}
            }
            self.publish_changes(&mut told).await;
        }
    }

    /// One pass: reads the jobs of every watched user and broadcasts those
    /// that differ from what was told last.
    pub async fn publish_changes(&self, told: &mut HashMap<UserId, HashMap<String, JobJson>>) {
        let users = self.watched_users();
        told.retain(|user, _| users.contains(user));
        for user in users {
            let jobs = match self.store.jobs_for_user(user, JOBS_PER_STREAM).await {
                Ok(jobs) => jobs,
                Err(error) => {
                    tracing::warn!(error = %error, "job feed: failed to read jobs");
                    continue;
                }
            };
            let known = told.entry(user).or_default();
            for job in jobs.iter().map(|j| JobJson::seen_by(j, user)) {
                if known.get(&job.job_id) == Some(&job) {
                    continue;
                }
                known.insert(job.job_id.clone(), job.clone());
                let Ok(json) = serde_json::to_string(&job) else {
                    continue;
                };
                // No receivers is fine: the streams closed meanwhile.
                let _ = self.sender.send(Arc::new(JobChange { user, job, json }));
            }
        }
    }

    /// Opens a stream for `user`: its jobs now, then each change. Refused
    /// with 429 when the user already holds the most streams allowed.
    pub async fn open_stream(
        self: &Arc<Self>,
        user: UserId,
        mut stop: watch::Receiver<bool>,
    ) -> Result<impl Stream<Item = Result<Event, Infallible>> + use<>, AppError> {
        let slot = self.take_slot(user)?;
        // Subscribed before reading: a change after the read is broadcast
        // after it, so none falls between the two.
        let receiver = self.sender.subscribe();
        let mut stream = UserStream {
            user,
            store: self.store.clone(),
            receiver,
            told: HashMap::new(),
            pending: VecDeque::new(),
            _slot: slot,
        };
        let jobs = self.store.jobs_for_user(user, JOBS_PER_STREAM).await?;
        for job in jobs.iter().map(|j| JobJson::seen_by(j, user)) {
            stream.offer(job, None);
        }
        let events = stream::unfold(stream, |mut stream| async move {
            let event = stream.next_event().await?;
            Some((Ok(event), stream))
        });
        // Open streams would otherwise keep a graceful shutdown waiting forever.
        Ok(futures_util::StreamExt::take_until(events, async move {
            let _ = stop.wait_for(|stop| *stop).await;
        }))
    }

    fn take_slot(self: &Arc<Self>, user: UserId) -> Result<StreamSlot, AppError> {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        let open = streams.entry(user).or_insert(0);
        if *open >= self.max_streams_per_user {
            let max = self.max_streams_per_user;
            if *open == 0 {
                streams.remove(&user);
            }
            return Err(AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_streams",
                format!(
                    "You already have {max} live update streams open (the most allowed); \
                     close some tabs of filmroom and try again."
                ),
            )
            .with_retry_after(5));
        }
        *open += 1;
        Ok(StreamSlot {
            feed: self.clone(),
            user,
        })
    }

    /// Open streams of `user` (for tests and the status page).
    pub fn open_streams(&self, user: UserId) -> usize {
        let streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        streams.get(&user).copied().unwrap_or(0)
    }
}

/// One open stream's place under the per-user cap, given back on drop.
struct StreamSlot {
    feed: Arc<JobFeed>,
    user: UserId,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut streams = self.feed.streams.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(open) = streams.get_mut(&self.user) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                streams.remove(&self.user);
            }
        }
    }
}

struct UserStream {
    user: UserId,
    store: Arc<dyn Store>,
    receiver: broadcast::Receiver<Arc<JobChange>>,
    /// What this stream has sent, per job id: nothing is sent twice.
    told: HashMap<String, JobJson>,
    pending: VecDeque<Event>,
    _slot: StreamSlot,
}

impl UserStream {
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            match self.receiver.recv().await {
                Ok(change) if change.user == self.user => {
                    self.offer(change.job.clone(), Some(&change.json));
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "event stream fell behind; reading jobs again");
                    match self.store.jobs_for_user(self.user, JOBS_PER_STREAM).await {
                        Ok(jobs) => {
                            let user = self.user;
                            for job in jobs.iter().map(|j| JobJson::seen_by(j, user)) {
                                self.offer(job, None);
                            }
                        }
                        Err(error) => {
                            tracing::warn!(error = %error, "events: failed to read jobs");
                        }
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// Queues `job` unless this stream already sent it in this state.
    fn offer(&mut self, job: JobJson, json: Option<&str>) {
        if self.told.get(&job.job_id) == Some(&job) {
            return;
        }
        let event = match json {
            Some(json) => Ok(Event::default().event("job").data(json)),
            None => Event::default().event("job").json_data(&job),
        };
        match event {
            Ok(event) => self.pending.push_back(event),
            Err(error) => tracing::warn!(error = %error, "events: a job did not serialize"),
        }
        self.told.insert(job.job_id.clone(), job);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use filmroom_store::{NewUpload, RecordingKind, Sha256Hex, Username};
    use futures_util::StreamExt;
    use time::OffsetDateTime;

    use super::*;

    #[tokio::test]
    async fn a_stream_that_falls_behind_the_feed_reads_the_jobs_again_and_misses_none() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("filmroom.db").display());
        let store = filmroom_store::connect(&url).await.unwrap();
        let now = OffsetDateTime::now_utc();
        let alice = Username::parse("alice").unwrap();
        let user = store.create_user(&alice, "hash", now).await.unwrap().id;
        // Room for one change: the stream below misses two of three.
        let feed = Arc::new(JobFeed::with_capacity(
            store.clone(),
            8,
            Duration::from_secs(3600),
            1,
        ));
        let (_stop, stop) = watch::channel(false);
        let mut stream = Box::pin(feed.open_stream(user, stop).await.unwrap());
        let mut told = HashMap::new();
        for n in 0..3u8 {
            let bytes = [n; 16];
            let upload = NewUpload {
                owner: user,
                sha256: Sha256Hex::digest(&bytes),
                size: 16,
                original_filename: format!("file-{n}.replay"),
                kind: RecordingKind::from_static("rl_replay"),
            };
            store.add_upload(&upload, now, 100).await.unwrap();
            feed.publish_changes(&mut told).await;
        }
        let mut received = String::new();
        for _ in 0..3 {
            let event = tokio::time::timeout(Duration::from_secs(5), stream.next())
                .await
                .expect("an event for each job")
                .unwrap()
                .unwrap();
            received.push_str(&format!("{event:?}"));
        }
        for n in 0..3 {
            assert!(received.contains(&format!("file-{n}.replay")), "{received}");
        }
        assert_eq!(feed.open_streams(user), 1);
        drop(stream);
        assert_eq!(
            feed.open_streams(user),
            0,
            "a dropped stream frees its place"
        );
    }
}

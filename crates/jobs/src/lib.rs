//! filmroom's analysis worker: the durable job queue's consumer, on top of the
//! `filmroom-store` job table.
//!
//! A [`Worker`] claims one job at a time under a lease, fetches the
//! recording's bytes from object storage, runs the [`Analyzer`] on a blocking
//! thread with a per-job timeout while a heartbeat keeps the lease, and then
//! saves the analysis and marks the job done in one store transaction, or
//! records the failure (retry with backoff, then dead-letter). A panic or a
//! timeout in the analyzer fails that job only.
//!
//! Jobs are dispatched on their recording's kind: [`Analyzers`] holds, per
//! kind, either a registered domain ([`Analyzers::from_registry`]: its
//! `analyze` runs on the bytes or on a file path, as its
//! [`Limits::input`](filmroom_domain::Limits) asks, within its size and time
//! limits, with the companion files stored beside the recording (a talk's
//! transcript) when the domain takes any, and its neutral analysis is
//! validated and stored) or a plain
//! function from bytes to [`AnalysisOutput`] ([`Analyzers::with`]). This
//! crate knows no domain: the binary registers them. A job of a kind this
//! process cannot analyse fails with that reason. Tests drive the queue
//! deterministically with [`Worker::try_execute_task`], passing the time in.
//!
//! What "result for a user" needs is not decided here: the store derives
//! each owner's outcome from the stored neutral analysis.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use filmroom_domain::{AnalysisInput, CompanionFile, Domain, InputMode, Kind, Registry};
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::time::Instant;

use filmroom_store::Store;
use filmroom_store::objects::ObjectStore;
pub use filmroom_store::{
    AnalysisOutput, AnalysisSummary, Backoff, ClaimedJob, FailOutcome, JobId, RecordingKind,
    StoreError, SummaryPlayer,
};

/// Turns a recording's bytes into an analysis, or says why it could not.
/// Runs on a blocking thread: it may take CPU time, and it may panic.
pub type Analyzer = Arc<dyn Fn(&[u8]) -> Result<AnalysisOutput, String> + Send + Sync>;

/// The analyzers of one process, by the kind of recording they analyse.
#[derive(Clone, Default)]
pub struct Analyzers {
    by_kind: HashMap<Kind, KindAnalyzer>,
}

#[derive(Clone)]
struct KindAnalyzer {
    run: Run,
    time_limit: Duration,
    /// A larger recording fails its job without being read.
    max_bytes: u64,
}

#[derive(Clone)]
enum Run {
    Bytes(Analyzer),
    Domain(Arc<dyn Domain>),
}

/// A recording handed to an analysis: its bytes, or a file on disk (kept
/// alive, if it is a temporary copy, until the analysis ends).
enum Input {
    Bytes(Vec<u8>),
    Path(PathBuf, #[allow(dead_code)] Option<tempfile::TempPath>),
}

/// A companion file of the recording (a transcript), read whole: its
/// domain caps its size at upload.
struct Companion {
    extension: String,
    purpose: String,
    bytes: Vec<u8>,
}

impl Run {
    /// Runs on a blocking thread.
    fn analyze(&self, input: &Input, companions: &[Companion]) -> Result<AnalysisOutput, String> {
        match (self, input) {
            (Run::Bytes(analyze), Input::Bytes(bytes)) => analyze(bytes),
            (Run::Bytes(_), Input::Path(..)) => {
                Err("this analyzer reads bytes, not a file".to_owned())
            }
            (Run::Domain(domain), input) => {
                let input = match input {
                    Input::Bytes(bytes) => AnalysisInput::Bytes(bytes),
                    Input::Path(path, _) => AnalysisInput::Path(path),
                };
                let companions: Vec<CompanionFile<'_>> = companions
                    .iter()
                    .map(|c| CompanionFile {
                        extension: &c.extension,
                        purpose: &c.purpose,
                        bytes: &c.bytes,
                    })
                    .collect();
                let analysis = domain
                    .analyze_with(input, &companions)
                    .map_err(|e| e.to_string())?;
                // The platform refuses to store an analysis that breaks the seam's rules.
                analysis
                    .validate()
                    .map_err(|e| format!("the analysis is not valid: {e}"))?;
                AnalysisOutput::from_neutral(analysis)
                    .map_err(|e| format!("the report could not be serialized: {e}"))
            }
        }
    }

    fn input_mode(&self) -> InputMode {
        match self {
            Run::Bytes(_) => InputMode::Bytes,
            Run::Domain(domain) => domain.limits().input,
        }
    }
}

impl Analyzers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every domain of `registry`, each with its own limits.
    pub fn from_registry(registry: &Registry) -> Self {
        let by_kind = registry
            .domains()
            .map(|domain| {
                let limits = domain.limits();
                (
                    domain.kind(),
                    KindAnalyzer {
                        run: Run::Domain(domain.clone()),
                        time_limit: limits.time_limit,
                        max_bytes: limits.max_bytes,
                    },
                )
            })
            .collect();
        Self { by_kind }
    }

    /// Adds (or replaces) the analyzer of `kind`, a function of the bytes
    /// with no size limit of its own; an analysis of that kind fails after
    /// `time_limit` (or the worker's `job_timeout`, if shorter).
    pub fn with(mut self, kind: RecordingKind, analyze: Analyzer, time_limit: Duration) -> Self {
        self.by_kind.insert(
            kind,
            KindAnalyzer {
                run: Run::Bytes(analyze),
                time_limit,
                max_bytes: u64::MAX,
            },
        );
        self
    }

    /// The kinds these analyzers cover.
    pub fn kinds(&self) -> impl Iterator<Item = &Kind> {
        self.by_kind.keys()
    }
}

/// How a worker runs. [`WorkerConfig::new`] gives the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerConfig {
    /// The lease owner: unique among running worker tasks, and stable across
    /// restarts (e.g. `"{hostname}-w0"`), so a restarted worker takes back at
    /// once the job its killed predecessor held (see `Store::claim_job`).
    pub worker_id: String,
    /// How long a claim lasts without a heartbeat (stored to the second).
    pub lease: Duration,
    /// How often a running job's lease is extended; well under `lease`.
    pub heartbeat_every: Duration,
    /// An analysis running longer fails its attempt.
    pub job_timeout: Duration,
    /// How long an idle worker waits before looking for work again.
    pub poll_interval: Duration,
    /// On shutdown, how long a running job may still take before it is handed back.
    pub shutdown_grace: Duration,
    pub backoff: Backoff,
}

impl WorkerConfig {
    pub fn new(worker_id: impl Into<String>) -> Self {
        Self {
            worker_id: worker_id.into(),
            lease: Duration::from_secs(60),
            heartbeat_every: Duration::from_secs(20),
            job_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            shutdown_grace: Duration::from_secs(10),
            backoff: Backoff::default(),
        }
    }
}

/// What one [`Worker::try_execute_task`] call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutionOutcome {
    /// No job was due.
    EmptyQueue,
    /// The analysis was saved and the job is done.
    Done(JobId),
    /// The attempt failed: it will be retried, or the job is dead-lettered.
    Failed(JobId, FailOutcome),
    /// Another worker took the job over (this one's lease had expired); its
    /// result was discarded.
    LeaseLost(JobId),
    /// Shutdown came and the job did not finish within the grace period: it
    /// went back to the queue.
    Released(JobId),
}

/// A failure of the worker itself (not of an analysis).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("the job store failed")]
    Store(#[from] StoreError),
}

/// Consumes analysis jobs. Cheap to clone; give each clone its own `worker_id`
/// through [`Worker::with_config`] to run several at once.
#[derive(Clone)]
pub struct Worker {
    store: Arc<dyn Store>,
    objects: Arc<dyn ObjectStore>,
    analyzers: Analyzers,
    config: WorkerConfig,
    wake: Arc<Notify>,
    /// Told (`notify_one`) after each change of a job's state this worker makes.
    changes: Option<Arc<Notify>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A shutdown signal that is polled at most until it fires once.
struct Shutdown<'a> {
    signal: Pin<Box<dyn Future<Output = ()> + Send + 'a>>,
    fired: bool,
}

impl Shutdown<'_> {
    fn never() -> Self {
        Self {
            signal: Box::pin(std::future::pending()),
            fired: false,
        }
    }

    async fn wait(&mut self) {
        if self.fired {
            std::future::pending::<()>().await;
        }
        self.signal.as_mut().await;
        self.fired = true;
    }
}

impl Worker {
    pub fn new(
        store: Arc<dyn Store>,
        objects: Arc<dyn ObjectStore>,
        analyzers: Analyzers,
        config: WorkerConfig,
    ) -> Self {
        Self {
            store,
            objects,
            analyzers,
            config,
            wake: Arc::new(Notify::new()),
            changes: None,
        }
    }

    /// The same worker with another configuration (and so another id),
    /// sharing the wake handle.
    pub fn with_config(&self, config: WorkerConfig) -> Self {
        Self {
            config,
            ..self.clone()
        }
    }

    /// Shares `wake` with other workers, so one notification wakes them all.
    pub fn with_wake(mut self, wake: Arc<Notify>) -> Self {
        self.wake = wake;
        self
    }

    /// Calls `notify_one()` on `changes` after every job state change this
    /// worker makes (claimed, done, failed, handed back), so a watcher can
    /// read the new states at once instead of polling.
    pub fn with_changes(mut self, changes: Arc<Notify>) -> Self {
        self.changes = Some(changes);
        self
    }

    fn changed(&self) {
        if let Some(changes) = &self.changes {
            changes.notify_one();
        }
    }

    /// Call `notify_waiters()` on it after enqueuing work, so idle workers
    /// start at once instead of at their next poll.
    pub fn wake_handle(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }

    /// Claims and runs at most one job, as of `now`.
    pub async fn try_execute_task(
        &self,
        now: OffsetDateTime,
    ) -> Result<ExecutionOutcome, WorkerError> {
        let Some(job) = self
            .store
            .claim_job(&self.config.worker_id, now, self.config.lease)
            .await?
        else {
            return Ok(ExecutionOutcome::EmptyQueue);
        };
        self.changed();
        let outcome = self.execute(job, now, &mut Shutdown::never()).await;
        self.changed();
        outcome
    }

    /// Runs jobs until `shutdown` completes. A job running then may finish
    /// within `shutdown_grace`; otherwise it is handed back to the queue.
    /// Store errors are logged and retried after `poll_interval`: the loop
    /// only ends on shutdown.
    pub async fn run(&self, shutdown: impl Future<Output = ()> + Send) {
        let mut shutdown = Shutdown {
            signal: Box::pin(shutdown),
            fired: false,
        };
        let worker = self.config.worker_id.as_str();
        tracing::info!(worker, "worker started");
        while !shutdown.fired {
            let now = OffsetDateTime::now_utc();
            let claimed = self.store.claim_job(worker, now, self.config.lease).await;
            match claimed {
                Ok(Some(job)) => match self.execute_and_tell(job, now, &mut shutdown).await {
                    Ok(outcome) => tracing::debug!(worker, ?outcome, "job finished"),
                    Err(error) => {
                        tracing::error!(
                            worker,
                            error = &error as &dyn std::error::Error,
                            "job bookkeeping failed"
                        );
                        self.idle(&mut shutdown).await;
                    }
                },
                Ok(None) => self.idle(&mut shutdown).await,
                Err(error) => {
                    tracing::error!(
                        worker,
                        error = &error as &dyn std::error::Error,
                        "claiming a job failed"
                    );
                    self.idle(&mut shutdown).await;
                }
            }
        }
        tracing::info!(worker, "worker stopped");
    }

    async fn execute_and_tell(
        &self,
        claimed: ClaimedJob,
        claimed_at: OffsetDateTime,
        shutdown: &mut Shutdown<'_>,
    ) -> Result<ExecutionOutcome, WorkerError> {
        self.changed();
        let outcome = self.execute(claimed, claimed_at, shutdown).await;
        self.changed();
        outcome
    }

    async fn idle(&self, shutdown: &mut Shutdown<'_>) {
        tokio::select! {
            () = shutdown.wait() => {}
            () = tokio::time::sleep(self.config.poll_interval) => {}
            () = self.wake.notified() => {}
        }
    }

    #[tracing::instrument(skip_all, fields(worker = %self.config.worker_id, job = %claimed.job.id, attempt = claimed.job.attempts))]
    async fn execute(
        &self,
        claimed: ClaimedJob,
        claimed_at: OffsetDateTime,
        shutdown: &mut Shutdown<'_>,
    ) -> Result<ExecutionOutcome, WorkerError> {
        let job = claimed.job.id;
        let worker = self.config.worker_id.as_str();
        // The clock for this job: the time it was claimed at, moved on by
        // the monotonic time since, so tests that pass `now` stay consistent.
        let started = Instant::now();
        let clock = || claimed_at + started.elapsed();

        let Some(kind_analyzer) = self.analyzers.by_kind.get(&claimed.kind) else {
            let message = format!(
                "this worker process cannot analyse {} recordings",
                claimed.kind.as_str()
            );
            return self.fail(job, &message, clock()).await;
        };
        let job_timeout = self.config.job_timeout.min(kind_analyzer.time_limit);

        let input = match self.input(&claimed, kind_analyzer).await {
            Ok(input) => input,
            Err(message) => return self.fail(job, &message, clock()).await,
        };

        let companions = match self.companions(&claimed, kind_analyzer).await {
            Ok(companions) => companions,
            Err(message) => return self.fail(job, &message, clock()).await,
        };

        let run = kind_analyzer.run.clone();
        let mut analysis = tokio::task::spawn_blocking(move || run.analyze(&input, &companions));
        let timeout = tokio::time::sleep(job_timeout);
        tokio::pin!(timeout);
        let mut heartbeat = tokio::time::interval_at(
            started + self.config.heartbeat_every,
            self.config.heartbeat_every,
        );
        let grace = tokio::time::sleep(Duration::MAX);
        tokio::pin!(grace);
        let mut grace_running = false;

        let result = loop {
            tokio::select! {
                joined = &mut analysis => break joined,
                () = &mut timeout => {
                    // The blocking thread cannot be stopped; its result is dropped.
                    let message = format!(
                        "the analysis timed out after {} s",
                        job_timeout.as_secs_f64()
                    );
                    return self.fail(job, &message, clock()).await;
                }
                _ = heartbeat.tick() => {
                    match self.store.heartbeat_job(job, worker, clock(), self.config.lease).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!("lost the lease while the analysis ran");
                            return Ok(ExecutionOutcome::LeaseLost(job));
                        }
                        Err(error) => tracing::warn!(
                            error = &error as &dyn std::error::Error,
                            "heartbeat failed; trying again at the next beat"
                        ),
                    }
                }
                () = shutdown.wait(), if !grace_running => {
                    grace_running = true;
                    grace.as_mut().reset(Instant::now() + self.config.shutdown_grace);
                }
                () = &mut grace, if grace_running => {
                    tracing::info!("shutting down: handing the job back to the queue");
                    self.store.release_job(job, worker, clock()).await?;
                    return Ok(ExecutionOutcome::Released(job));
                }
            }
        };

        match result {
            Ok(Ok(output)) => {
                if self
                    .store
                    .complete_job(job, worker, &output, clock())
                    .await?
                {
                    tracing::info!("analysis saved");
                    Ok(ExecutionOutcome::Done(job))
                } else {
                    tracing::warn!("lost the lease before saving; the result is discarded");
                    Ok(ExecutionOutcome::LeaseLost(job))
                }
            }
            Ok(Err(message)) => self.fail(job, &message, clock()).await,
            Err(joined) => {
                let message = match joined.try_into_panic() {
                    Ok(panic) => format!("the analysis panicked: {}", panic_message(&*panic)),
                    Err(joined) => format!("the analysis task failed: {joined}"),
                };
                self.fail(job, &message, clock()).await
            }
        }
    }

    /// The recording as its analyzer reads it, within its size limit; the
    /// error is the job's failure message.
    async fn input(&self, claimed: &ClaimedJob, analyzer: &KindAnalyzer) -> Result<Input, String> {
        let too_large = |size: u64| {
            format!(
                "the recording is {size} bytes, more than the {}-byte limit of {} recordings",
                analyzer.max_bytes,
                claimed.kind.as_str()
            )
        };
        let local = match analyzer.run.input_mode() {
            InputMode::Path => self.objects.local_path(&claimed.sha256),
            InputMode::Bytes => None,
        };
        if let Some(path) = local {
            let size = match tokio::fs::metadata(&path).await {
                Ok(meta) => meta.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(MISSING.to_owned());
                }
                Err(e) => return Err(format!("reading the recording failed: {e}")),
            };
            if size > analyzer.max_bytes {
                return Err(too_large(size));
            }
            return Ok(Input::Path(path, None));
        }
        if analyzer.run.input_mode() == InputMode::Path {
            return self
                .fetch_to_temp_file(claimed, analyzer.max_bytes, too_large)
                .await;
        }
        let bytes = match self.objects.get(&claimed.sha256).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Err(MISSING.to_owned()),
            Err(error) => return Err(format!("reading the recording failed: {error}")),
        };
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if size > analyzer.max_bytes {
            return Err(too_large(size));
        }
        Ok(Input::Bytes(bytes))
    }

    /// The companion files stored with the recording, for a domain that
    /// takes any (read when the job runs, so a companion linked while the
    /// job waited is used). A companion larger than its domain allows (a
    /// limit lowered since its upload) fails the job rather than being read.
    async fn companions(
        &self,
        claimed: &ClaimedJob,
        analyzer: &KindAnalyzer,
    ) -> Result<Vec<Companion>, String> {
        let Run::Domain(domain) = &analyzer.run else {
            return Ok(Vec::new());
        };
        if domain.companions().is_empty() {
            return Ok(Vec::new());
        }
        let stored = self
            .store
            .recording_companions(claimed.job.recording_id)
            .await
            .map_err(|e| format!("reading the recording's companion files failed: {e}"))?;
        let mut companions = Vec::with_capacity(stored.len());
        for companion in stored {
            let limit = domain
                .companions()
                .iter()
                .find(|c| c.extension == companion.extension)
                .map_or(0, |c| c.max_bytes);
            if companion.size > limit {
                return Err(format!(
                    "the companion file {:?} is {} bytes, more than the {limit}-byte limit",
                    companion.original_filename, companion.size
                ));
            }
            let bytes = match self.objects.get(&companion.sha256).await {
                Ok(Some(bytes)) => bytes,
                Ok(None) => {
                    return Err(format!(
                        "the companion file {:?} is missing from object storage",
                        companion.original_filename
                    ));
                }
                Err(error) => {
                    return Err(format!(
                        "reading the companion file {:?} failed: {error}",
                        companion.original_filename
                    ));
                }
            };
            companions.push(Companion {
                extension: companion.extension,
                purpose: companion.purpose,
                bytes,
            });
        }
        Ok(companions)
    }

    /// A remote object for a reader that wants a path: streamed into a
    /// temporary file (never held in memory), removed when the analysis ends.
    async fn fetch_to_temp_file(
        &self,
        claimed: &ClaimedJob,
        max_bytes: u64,
        too_large: impl Fn(u64) -> String,
    ) -> Result<Input, String> {
        match self.objects.size(&claimed.sha256).await {
            Ok(Some(size)) if size > max_bytes => return Err(too_large(size)),
            Ok(Some(_)) => {}
            Ok(None) => return Err(MISSING.to_owned()),
            Err(error) => return Err(format!("reading the recording failed: {error}")),
        }
        let temp = tempfile::NamedTempFile::new()
            .map_err(|e| format!("copying the recording failed: {e}"))?
            .into_temp_path();
        match self.objects.get_to_file(&claimed.sha256, &temp).await {
            Ok(true) => Ok(Input::Path(temp.to_path_buf(), Some(temp))),
            Ok(false) => Err(MISSING.to_owned()),
            Err(error) => Err(format!("reading the recording failed: {error}")),
        }
    }

    async fn fail(
        &self,
        job: JobId,
        message: &str,
        now: OffsetDateTime,
    ) -> Result<ExecutionOutcome, WorkerError> {
        let outcome = self
            .store
            .fail_job(
                job,
                &self.config.worker_id,
                message,
                now,
                &self.config.backoff,
            )
            .await?;
        tracing::warn!(error = message, ?outcome, "analysis attempt failed");
        Ok(match outcome {
            FailOutcome::LeaseLost => ExecutionOutcome::LeaseLost(job),
            other => ExecutionOutcome::Failed(job, other),
        })
    }
}

const MISSING: &str = "the recording's file is missing from object storage";

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

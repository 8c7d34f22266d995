use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use filmroom_domain::{
    Analysis, AnalysisError, AnalysisInput, CoachProfile, Domain, Facts, InputMode, Kind, Limits,
    Metric, MetricDefinition, Recognition, Registry, ReportError, Section, Subject, Unit,
};
use filmroom_jobs::{
    AnalysisOutput, AnalysisSummary, Analyzer, Analyzers, Backoff, ExecutionOutcome, FailOutcome,
    Worker, WorkerConfig,
};
use filmroom_store::objects::{LocalObjectStore, ObjectStore};
use filmroom_store::{
    JobState, NewUpload, RecordingFilter, RecordingId, RecordingKind, Sha256Hex, Store, UserId,
    Username, connect,
};
use time::OffsetDateTime;

struct Harness {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    objects: Arc<dyn ObjectStore>,
    owner: UserId,
}

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs).unwrap()
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let objects: Arc<dyn ObjectStore> = Arc::new(LocalObjectStore::new(dir.path().join("objects")));
    harness_on(dir, objects).await
}

/// Objects in a fresh bucket of the test binary's SeaweedFS.
async fn harness_on_s3() -> Harness {
    let server = filmroom_test_support::seaweedfs();
    let settings = filmroom_store::objects::s3::S3Settings {
        endpoint: Some(server.endpoint.clone()),
        region: String::new(),
        access_key_id: Some(server.access_key_id.clone()),
        secret_access_key: Some(server.secret_access_key.clone()),
    };
    let objects =
        filmroom_store::objects::connect_with(&format!("s3://{}", server.bucket()), &settings)
            .unwrap();
    harness_on(tempfile::tempdir().unwrap(), objects).await
}

async fn harness_on(dir: tempfile::TempDir, objects: Arc<dyn ObjectStore>) -> Harness {
    let url = format!("sqlite://{}", dir.path().join("filmroom.db").display());
    let store = connect(&url).await.unwrap();
    let owner = store
        .create_user(&Username::parse("alice").unwrap(), "h", at(0))
        .await
        .unwrap()
        .id;
    Harness {
        _dir: dir,
        store,
        objects,
        owner,
    }
}

impl Harness {
    async fn upload(&self, bytes: &[u8]) -> RecordingId {
        self.upload_as(RecordingKind::from_static("rl_replay"), bytes)
            .await
    }

    async fn upload_as(&self, kind: RecordingKind, bytes: &[u8]) -> RecordingId {
        let sha256 = Sha256Hex::digest(bytes);
        self.objects.put(&sha256, bytes).await.unwrap();
        let upload = NewUpload {
            owner: self.owner,
            sha256,
            size: bytes.len() as u64,
            original_filename: "x.replay".to_owned(),
            kind,
        };
        self.store
            .add_upload(&upload, at(0), 100)
            .await
            .unwrap()
            .recording
    }

    fn worker(&self, id: &str, analyzer: Analyzer) -> Worker {
        let mut config = WorkerConfig::new(id);
        config.backoff = Backoff {
            base: Duration::from_secs(10),
            max: Duration::from_secs(60),
        };
        Worker::new(
            self.store.clone(),
            self.objects.clone(),
            replays(analyzer),
            config,
        )
    }

    async fn state(&self, recording: RecordingId) -> JobState {
        self.store
            .job_for_recording(recording)
            .await
            .unwrap()
            .unwrap()
            .state
    }
}

/// `analyzer` for replays, with no time limit of its own.
fn replays(analyzer: Analyzer) -> Analyzers {
    Analyzers::new().with(
        RecordingKind::from_static("rl_replay"),
        analyzer,
        Duration::MAX,
    )
}

/// Succeeds with the bytes as the report, panics on "panic", sleeps on
/// "slow", and fails on anything starting with "bad".
fn analyzer() -> Analyzer {
    Arc::new(|bytes: &[u8]| {
        if bytes == b"panic" {
            panic!("the engine fell over");
        }
        if bytes == b"slow" {
            std::thread::sleep(Duration::from_millis(1500));
        }
        if bytes.starts_with(b"bad") {
            return Err("not a replay".to_owned());
        }
        // The list reads the neutral rows: the map is a facet there.
        let neutral = Analysis {
            facts: Facts {
                title: "a game".into(),
                facets: [("map".to_owned(), "Mannfield".to_owned())].into(),
                ..Facts::default()
            },
            sides: vec![],
            participants: vec![],
            metrics: vec![],
            events: vec![],
            passages: vec![],
            report: serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned()),
            revision: 1,
            degraded: None,
        };
        AnalysisOutput::from_neutral(neutral).map_err(|e| e.to_string())
    })
}

#[tokio::test]
async fn a_successful_analysis_completes_its_job_exactly_once() {
    let h = harness().await;
    let recording = h.upload(b"good").await;
    let worker = h.worker("w", analyzer());
    let outcome = worker.try_execute_task(at(1)).await.unwrap();
    assert!(matches!(outcome, ExecutionOutcome::Done(_)), "{outcome:?}");
    assert_eq!(
        worker.try_execute_task(at(2)).await.unwrap(),
        ExecutionOutcome::EmptyQueue
    );
    assert_eq!(h.state(recording).await, JobState::Done);
    let json = h
        .store
        .analysis_for_owner(h.owner, recording)
        .await
        .unwrap();
    assert_eq!(json.as_deref(), Some("\"good\""));
    let listed = h
        .store
        .list_recordings(h.owner, &RecordingFilter::default())
        .await
        .unwrap();
    assert_eq!(listed[0].map.as_deref(), Some("Mannfield"));
    assert_eq!(h.store.job_counts().await.unwrap().done, 1);
}

#[tokio::test]
async fn a_failing_analysis_is_retried_with_backoff_then_dead_lettered() {
    let h = harness().await;
    let recording = h.upload(b"bad bytes").await;
    let worker = h.worker("w", analyzer());
    let ExecutionOutcome::Failed(job, FailOutcome::Retry { run_after }) =
        worker.try_execute_task(at(0)).await.unwrap()
    else {
        panic!("the first failure should be retried");
    };
    assert_eq!(run_after, at(10));
    assert_eq!(
        worker.try_execute_task(at(9)).await.unwrap(),
        ExecutionOutcome::EmptyQueue
    );
    assert_eq!(
        worker.try_execute_task(at(10)).await.unwrap(),
        ExecutionOutcome::Failed(job, FailOutcome::Retry { run_after: at(30) })
    );
    assert_eq!(
        worker.try_execute_task(at(30)).await.unwrap(),
        ExecutionOutcome::Failed(job, FailOutcome::Dead)
    );
    assert_eq!(
        worker.try_execute_task(at(9999)).await.unwrap(),
        ExecutionOutcome::EmptyQueue
    );
    let dead = h.store.job_for_recording(recording).await.unwrap().unwrap();
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(dead.attempts, 3);
    assert_eq!(dead.last_error.as_deref(), Some("not a replay"));
}

#[tokio::test]
async fn an_analysis_that_runs_past_the_timeout_fails_that_job_only() {
    let h = harness().await;
    let slow = h.upload(b"slow").await;
    let fine = h.upload(b"fine").await;
    let mut worker = h.worker("w", analyzer());
    let mut config = worker.config().clone();
    config.job_timeout = Duration::from_millis(100);
    worker = worker.with_config(config);
    let mut outcomes = Vec::new();
    loop {
        match worker.try_execute_task(at(0)).await.unwrap() {
            ExecutionOutcome::EmptyQueue => break,
            outcome => outcomes.push(outcome),
        }
    }
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert_eq!(h.state(fine).await, JobState::Done);
    let timed_out = h.store.job_for_recording(slow).await.unwrap().unwrap();
    assert_eq!(timed_out.state, JobState::Queued);
    assert!(timed_out.last_error.unwrap().contains("timed out"));
}

#[tokio::test]
async fn the_time_limit_of_the_recordings_kind_applies_when_shorter_than_the_workers() {
    let h = harness().await;
    let slow = h.upload(b"slow").await;
    let worker = Worker::new(
        h.store.clone(),
        h.objects.clone(),
        Analyzers::new().with(
            RecordingKind::from_static("rl_replay"),
            analyzer(),
            Duration::from_millis(100),
        ),
        WorkerConfig::new("w"),
    );
    let outcome = worker.try_execute_task(at(0)).await.unwrap();
    assert!(
        matches!(outcome, ExecutionOutcome::Failed(..)),
        "{outcome:?}"
    );
    let job = h.store.job_for_recording(slow).await.unwrap().unwrap();
    assert!(job.last_error.unwrap().contains("timed out after 0.1 s"));
}

#[tokio::test]
async fn a_job_of_a_kind_the_process_cannot_analyse_fails_with_that_reason() {
    let h = harness().await;
    let recording = h.upload(b"fine").await;
    let worker = Worker::new(
        h.store.clone(),
        h.objects.clone(),
        Analyzers::new(),
        WorkerConfig::new("w"),
    );
    let outcome = worker.try_execute_task(at(0)).await.unwrap();
    assert!(
        matches!(outcome, ExecutionOutcome::Failed(..)),
        "{outcome:?}"
    );
    let job = h.store.job_for_recording(recording).await.unwrap().unwrap();
    assert_eq!(
        job.last_error.as_deref(),
        Some("this worker process cannot analyse rl_replay recordings")
    );
}

#[tokio::test]
async fn a_panicking_analysis_fails_that_job_only() {
    let h = harness().await;
    let panics = h.upload(b"panic").await;
    let fine = h.upload(b"fine").await;
    let worker = h.worker("w", analyzer());
    let first = worker.try_execute_task(at(0)).await.unwrap();
    let second = worker.try_execute_task(at(0)).await.unwrap();
    assert!(
        matches!(
            first,
            ExecutionOutcome::Failed(_, FailOutcome::Retry { .. })
        ),
        "{first:?}"
    );
    assert!(matches!(second, ExecutionOutcome::Done(_)), "{second:?}");
    assert_eq!(h.state(fine).await, JobState::Done);
    let failed = h.store.job_for_recording(panics).await.unwrap().unwrap();
    assert!(failed.last_error.unwrap().contains("the engine fell over"));
}

#[tokio::test]
async fn a_missing_file_fails_the_job_instead_of_the_worker() {
    let h = harness().await;
    let recording = h.upload(b"gone").await;
    h.objects.delete(&Sha256Hex::digest(b"gone")).await.unwrap();
    let worker = h.worker("w", analyzer());
    let outcome = worker.try_execute_task(at(0)).await.unwrap();
    assert!(
        matches!(outcome, ExecutionOutcome::Failed(..)),
        "{outcome:?}"
    );
    let job = h.store.job_for_recording(recording).await.unwrap().unwrap();
    assert!(job.last_error.unwrap().contains("missing"));
}

#[tokio::test]
async fn a_job_held_by_a_dead_worker_is_recovered_after_its_lease_expires() {
    let h = harness().await;
    let recording = h.upload(b"good").await;
    let lease = WorkerConfig::new("a").lease;
    // Worker A claims and then dies: no heartbeat, no result.
    let held = h.store.claim_job("a", at(0), lease).await.unwrap().unwrap();
    let b = h.worker("b", analyzer());
    assert_eq!(
        b.try_execute_task(at(30)).await.unwrap(),
        ExecutionOutcome::EmptyQueue
    );
    let expired = at(0) + lease;
    assert_eq!(
        b.try_execute_task(expired).await.unwrap(),
        ExecutionOutcome::Done(held.job.id)
    );
    assert_eq!(h.state(recording).await, JobState::Done);
    // If A comes back, its late result is refused.
    let late = AnalysisOutput {
        report_json: "late".to_owned(),
        summary: AnalysisSummary::default(),
        neutral: None,
    };
    assert!(
        !h.store
            .complete_job(held.job.id, "a", &late, expired)
            .await
            .unwrap()
    );
    let json = h
        .store
        .analysis_for_owner(h.owner, recording)
        .await
        .unwrap();
    assert_eq!(json.as_deref(), Some("\"good\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_workers_analyse_every_upload_exactly_once() {
    let h = harness().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counting: Analyzer = {
        let calls = calls.clone();
        let inner = analyzer();
        Arc::new(move |bytes: &[u8]| {
            calls.fetch_add(1, Ordering::SeqCst);
            inner(bytes)
        })
    };
    for n in 0..12u32 {
        h.upload(format!("game {n}").as_bytes()).await;
    }
    let mut tasks = Vec::new();
    for w in 0..4 {
        let worker = h.worker(&format!("w{w}"), counting.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0;
            while let ExecutionOutcome::Done(_) = worker.try_execute_task(at(0)).await.unwrap() {
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    assert_eq!(total, 12);
    assert_eq!(calls.load(Ordering::SeqCst), 12);
    assert_eq!(h.store.job_counts().await.unwrap().done, 12);
}

/// Waits (bounded) until the store reports what `check` wants.
async fn eventually(h: &Harness, check: impl Fn(filmroom_store::JobCounts) -> bool) {
    for _ in 0..200 {
        if check(h.store.job_counts().await.unwrap()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("gave up waiting: {:?}", h.store.job_counts().await.unwrap());
}

#[tokio::test]
async fn the_run_loop_drains_the_queue_and_stops_on_shutdown() {
    let h = harness().await;
    for n in 0..3u32 {
        h.upload(format!("game {n}").as_bytes()).await;
    }
    let worker = h.worker("runner", analyzer());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        worker
            .run(async {
                let _ = stopped.await;
            })
            .await;
    });
    eventually(&h, |c| c.done == 3).await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_woken_worker_starts_a_new_job_before_its_next_poll() {
    let h = harness().await;
    let mut worker = h.worker("runner", analyzer());
    let mut config = worker.config().clone();
    config.poll_interval = Duration::from_secs(3600);
    worker = worker.with_config(config);
    let wake = worker.wake_handle();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        worker
            .run(async {
                let _ = stopped.await;
            })
            .await;
    });
    // Let the worker find the queue empty and go idle first.
    tokio::time::sleep(Duration::from_millis(100)).await;
    h.upload(b"late arrival").await;
    // notify_waiters reaches only a worker already waiting, so keep ringing
    // (a poll would take an hour here, so any progress is the wake's doing).
    let ringer = tokio::spawn(async move {
        loop {
            wake.notify_waiters();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    eventually(&h, |c| c.done == 1).await;
    ringer.abort();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn shutdown_during_a_long_job_hands_it_back_without_spending_an_attempt() {
    let h = harness().await;
    let recording = h.upload(b"slow").await;
    let mut worker = h.worker("runner", analyzer());
    let mut config = worker.config().clone();
    config.shutdown_grace = Duration::from_millis(100);
    worker = worker.with_config(config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        worker
            .run(async {
                let _ = stopped.await;
            })
            .await;
    });
    eventually(&h, |c| c.running == 1).await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(1), running)
        .await
        .unwrap()
        .unwrap();
    let job = h.store.job_for_recording(recording).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.attempts, 0);
    assert_eq!(job.worker_id, None);
}

#[tokio::test]
async fn shutdown_lets_a_job_that_finishes_within_the_grace_period_complete() {
    let h = harness().await;
    let recording = h.upload(b"slow").await;
    let worker = h.worker("runner", analyzer());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        worker
            .run(async {
                let _ = stopped.await;
            })
            .await;
    });
    eventually(&h, |c| c.running == 1).await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h.state(recording).await, JobState::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_a_long_job_from_being_taken_over() {
    let h = harness().await;
    let recording = h.upload(b"slow").await;
    let mut config = WorkerConfig::new("a");
    config.lease = Duration::from_secs(1);
    config.heartbeat_every = Duration::from_millis(100);
    let a = Worker::new(
        h.store.clone(),
        h.objects.clone(),
        replays(analyzer()),
        config,
    );
    // The worker's clock is at(0) plus the real time since its claim, and
    // times are stored to the second: without heartbeats the lease would end
    // at at(1); the beats after one real second move it to at(2).
    let running = tokio::spawn(async move { a.try_execute_task(at(0)).await.unwrap() });
    // Past the first lease, before the 1.5 s analysis ends.
    tokio::time::sleep(Duration::from_millis(1350)).await;
    let thief = h
        .store
        .claim_job("b", at(1), Duration::from_secs(1))
        .await
        .unwrap();
    assert!(thief.is_none(), "the job was taken over while it ran");
    assert!(matches!(running.await.unwrap(), ExecutionOutcome::Done(_)));
    assert_eq!(h.state(recording).await, JobState::Done);
}

#[tokio::test]
async fn a_worker_restarted_under_its_old_id_finishes_its_orphaned_job_at_once() {
    let h = harness().await;
    let recording = h.upload(b"good").await;
    // The process running "w0" is killed mid-analysis.
    let held = h
        .store
        .claim_job("w0", at(0), Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    let restarted = h.worker("w0", analyzer());
    assert_eq!(
        restarted.try_execute_task(at(1)).await.unwrap(),
        ExecutionOutcome::Done(held.job.id)
    );
    assert_eq!(h.state(recording).await, JobState::Done);
}

#[tokio::test]
async fn a_worker_tells_its_change_watcher_when_it_takes_and_finishes_a_job_and_not_otherwise() {
    let h = harness().await;
    let changes = Arc::new(tokio::sync::Notify::new());
    let worker = h.worker("w", analyzer()).with_changes(changes.clone());
    assert_eq!(
        worker.try_execute_task(at(1)).await.unwrap(),
        ExecutionOutcome::EmptyQueue
    );
    // A waiting permit would make `notified` ready at its first poll, which
    // a zero timeout still makes.
    let told = tokio::time::timeout(Duration::ZERO, changes.notified()).await;
    assert!(told.is_err(), "an empty queue changes no job");

    let recording = h.upload(b"good").await;
    let outcome = worker.try_execute_task(at(2)).await.unwrap();
    assert!(matches!(outcome, ExecutionOutcome::Done(_)), "{outcome:?}");
    assert_eq!(h.state(recording).await, JobState::Done);
    // The notification waits as a permit until the watcher looks.
    tokio::time::timeout(Duration::from_secs(5), changes.notified())
        .await
        .expect("the watcher was told");
}

/// A domain that reads its recording from a file path: one line, one
/// metric; a file starting with "untitled" gives an analysis without a
/// title, which breaks the seam's rules.
struct Lines;

impl Domain for Lines {
    fn kind(&self) -> Kind {
        Kind::from_static("test_lines")
    }
    fn display_name(&self) -> &str {
        "lines"
    }
    fn recognize(&self, _: &str, _: &[u8]) -> Recognition {
        Recognition::No
    }
    fn limits(&self) -> Limits {
        Limits {
            max_bytes: 64,
            time_limit: Duration::from_secs(10),
            input: InputMode::Path,
        }
    }
    fn revision(&self) -> u32 {
        3
    }
    fn analyze(&self, input: AnalysisInput<'_>) -> Result<Analysis, AnalysisError> {
        let AnalysisInput::Path(path) = input else {
            return Err(AnalysisError::Internal("a path was expected".into()));
        };
        let text = std::fs::read_to_string(path).map_err(AnalysisError::Read)?;
        let lines = text.lines().count();
        Ok(Analysis {
            facts: Facts {
                title: if text.starts_with("untitled") {
                    String::new()
                } else {
                    format!("{lines} lines")
                },
                ..Facts::default()
            },
            sides: vec![],
            participants: vec![],
            metrics: vec![Metric {
                subject: Subject::Recording,
                key: "text.lines".into(),
                value: lines as f64,
                unit: Unit::Count,
                higher_is_better: None,
            }],
            events: vec![],
            passages: vec![],
            report: serde_json::json!({ "lines": lines }),
            revision: 3,
            degraded: None,
        })
    }
    fn metric_definitions(&self) -> Vec<MetricDefinition> {
        vec![]
    }
    fn coach_profile(&self) -> CoachProfile {
        CoachProfile {
            name: "lines".into(),
            markdown: String::new(),
        }
    }
    fn page_sections(&self, _: &serde_json::Value) -> Result<Vec<Section>, ReportError> {
        Ok(vec![])
    }
}

async fn last_error(h: &Harness, recording: RecordingId) -> String {
    h.store
        .job_for_recording(recording)
        .await
        .unwrap()
        .unwrap()
        .last_error
        .unwrap()
}

fn lines_worker(h: &Harness) -> Worker {
    let mut domains = Registry::new();
    domains.register(Arc::new(Lines)).unwrap();
    Worker::new(
        h.store.clone(),
        h.objects.clone(),
        Analyzers::from_registry(&domains),
        WorkerConfig::new("w"),
    )
}

#[tokio::test]
async fn a_registered_domain_reads_its_file_by_path_and_its_neutral_analysis_is_stored() {
    let h = harness().await;
    let kind = RecordingKind::from_static("test_lines");
    let recording = h.upload_as(kind, b"one\ntwo\nthree\n").await;
    let outcome = lines_worker(&h).try_execute_task(at(1)).await.unwrap();
    assert!(matches!(outcome, ExecutionOutcome::Done(_)), "{outcome:?}");
    let stored = h
        .store
        .stored_analysis_for_owner(h.owner, recording)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.kind, "test_lines");
    assert_eq!(stored.facts.title, "3 lines");
    assert_eq!(stored.metrics[0].key, "text.lines");
    assert_eq!(stored.metrics[0].value, 3.0);
    let report = h
        .store
        .analysis_for_owner(h.owner, recording)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report, r#"{"lines":3}"#);
}

#[tokio::test]
async fn a_path_domain_reads_an_s3_object_through_a_temporary_file_and_its_size_limit_holds() {
    let h = harness_on_s3().await;
    let kind = RecordingKind::from_static("test_lines");
    let recording = h.upload_as(kind.clone(), b"one\ntwo\n").await;
    let large = h.upload_as(kind, &[b'y'; 65]).await;
    assert!(
        h.objects
            .local_path(&Sha256Hex::digest(b"one\ntwo\n"))
            .is_none(),
        "the object is remote: the worker must fetch it"
    );
    let worker = lines_worker(&h);
    let first = worker.try_execute_task(at(1)).await.unwrap();
    assert!(matches!(first, ExecutionOutcome::Done(_)), "{first:?}");
    let stored = h
        .store
        .stored_analysis_for_owner(h.owner, recording)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.facts.title, "2 lines");
    let second = worker.try_execute_task(at(1)).await.unwrap();
    assert!(matches!(second, ExecutionOutcome::Failed(..)), "{second:?}");
    assert!(
        last_error(&h, large)
            .await
            .contains("65 bytes, more than the 64-byte limit"),
        "refused from the object's size, before fetching it"
    );
}

#[tokio::test]
async fn a_recording_over_its_domains_size_limit_or_with_an_invalid_analysis_fails_its_job() {
    let h = harness().await;
    let kind = RecordingKind::from_static("test_lines");
    let large = h.upload_as(kind.clone(), &[b'x'; 65]).await;
    let untitled = h.upload_as(kind, b"untitled\n").await;
    let worker = lines_worker(&h);
    for _ in 0..2 {
        let outcome = worker.try_execute_task(at(1)).await.unwrap();
        assert!(
            matches!(outcome, ExecutionOutcome::Failed(..)),
            "{outcome:?}"
        );
    }
    let too_large = last_error(&h, large).await;
    assert!(
        too_large.contains("65 bytes, more than the 64-byte limit"),
        "{too_large}"
    );
    let invalid = last_error(&h, untitled).await;
    assert!(invalid.contains("not valid"), "{invalid}");
    for recording in [large, untitled] {
        assert!(
            h.store
                .stored_analysis_for_owner(h.owner, recording)
                .await
                .unwrap()
                .is_none(),
            "nothing is stored for a failed analysis"
        );
    }
}

#[tokio::test]
async fn a_job_of_a_kind_no_domain_analyses_fails_with_that_reason() {
    let h = harness().await;
    let recording = h.upload(b"good").await;
    let outcome = lines_worker(&h).try_execute_task(at(1)).await.unwrap();
    assert!(
        matches!(outcome, ExecutionOutcome::Failed(..)),
        "{outcome:?}"
    );
    let job = h.store.job_for_recording(recording).await.unwrap().unwrap();
    assert!(
        job.last_error.unwrap().contains("cannot analyse rl_replay"),
        "the reason names the kind"
    );
}

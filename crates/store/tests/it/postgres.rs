//! The conformance suite against PostgreSQL 15 (one server per test binary,
//! started by `filmroom_test_support::postgres`, a fresh database per test),
//! and what only a server shows: two stores opened on one database, as two
//! processes would, racing on the same rows through separate pools.

use std::collections::HashSet;

use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;

use filmroom_store::{
    NewUpload, RecordingKind, Sha256Hex, Store, StoreError, UserId, Username, connect,
};
use time::OffsetDateTime;

use crate::conformance::TestStore;

/// A fresh database on this binary's server (started on first use).
async fn database_url() -> String {
    tokio::task::spawn_blocking(|| filmroom_test_support::postgres().database())
        .await
        .unwrap()
}

fn postgres_database() -> std::pin::Pin<Box<dyn std::future::Future<Output = TestStore> + Send>> {
    Box::pin(async {
        let store: Arc<dyn Store> = connect(&database_url().await).await.unwrap();
        TestStore {
            store,
            _guard: Box::new(()),
        }
    })
}

crate::conformance_tests!(postgres_database);

/// Two stores on one fresh database: two processes' pools.
async fn two_processes() -> (Arc<dyn Store>, Arc<dyn Store>) {
    let url = database_url().await;
    let first = connect(&url).await.unwrap();
    // The second process finds the schema migrated and changes nothing.
    let second = connect(&url).await.unwrap();
    (first, second)
}

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs).unwrap()
}

fn upload(owner: UserId, n: u32) -> NewUpload {
    NewUpload {
        owner,
        sha256: Sha256Hex::digest(&n.to_le_bytes()),
        size: 1000,
        original_filename: format!("game-{n}.replay"),
        kind: RecordingKind::from_static("rl_replay"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_of_two_processes_racing_on_skip_locked_never_share_a_job() {
    const JOBS: u32 = 40;
    const WORKERS: usize = 24;
    let (a, b) = two_processes().await;
    let owner = a
        .create_user(&Username::parse("owner").unwrap(), "h", at(0))
        .await
        .unwrap();
    for n in 0..JOBS {
        a.add_upload(&upload(owner.id, n), at(0), 1000)
            .await
            .unwrap();
    }
    let tasks: Vec<_> = (0..WORKERS)
        .map(|w| {
            let store = if w % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let mut claimed = Vec::new();
                // A fresh worker id per claim: a worker id holding a running
                // job would take that one back first.
                for i in 0.. {
                    let worker = format!("w{w}-{i}");
                    match store
                        .claim_job(&worker, at(1), Duration::from_secs(600))
                        .await
                        .unwrap()
                    {
                        Some(job) => claimed.push((job.job.id, worker)),
                        None => break,
                    }
                }
                claimed
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().map(|(id, _)| *id).collect();
    assert_eq!(all.len(), JOBS as usize, "every job claimed exactly once");
    assert_eq!(distinct.len(), JOBS as usize);
    let counts = b.job_counts().await.unwrap();
    assert_eq!((counts.queued, counts.running), (0, u64::from(JOBS)));
    // Each claim holds its lease: only its own worker can extend it.
    for (job, worker) in &all {
        assert!(
            a.heartbeat_job(*job, worker, at(2), Duration::from_secs(600))
                .await
                .unwrap()
        );
        assert!(
            !b.heartbeat_job(*job, "someone-else", at(2), Duration::from_secs(600))
                .await
                .unwrap()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_ups_racing_through_two_processes_make_exactly_one_admin() {
    let (a, b) = two_processes().await;
    let tasks: Vec<_> = (0..32)
        .map(|n| {
            let store = if n % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let username = Username::parse(&format!("racer{n}")).unwrap();
                store.create_user(&username, "h", at(0)).await.unwrap()
            })
        })
        .collect();
    let mut admins = 0;
    for task in tasks {
        admins += usize::from(task.await.unwrap().is_admin);
    }
    assert_eq!(admins, 1);
    let users = b.list_users().await.unwrap();
    assert_eq!(users.len(), 32);
    assert_eq!(users.iter().filter(|u| u.is_admin).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_reservers_in_two_processes_never_overspend_the_budget() {
    const LIMIT: u64 = 1000;
    const AMOUNT: u64 = 70;
    let (a, b) = two_processes().await;
    let alice = a
        .create_user(&Username::parse("alice").unwrap(), "h", at(0))
        .await
        .unwrap();
    // Some of the budget is spent already.
    let earlier = a
        .reserve_budget(alice.id, "2026-12", LIMIT, 160, at(0))
        .await
        .unwrap();
    a.settle_budget(earlier.id, 160, at(0)).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let store = if n % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                store
                    .reserve_budget(alice.id, "2026-12", LIMIT, AMOUNT, at(1))
                    .await
            })
        })
        .collect();
    let mut held = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(reservation) => held.push(reservation),
            Err(StoreError::BudgetExceeded { available, .. }) => {
                assert!(available < AMOUNT, "refused with {available} left");
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    // 840 left after what was spent: exactly twelve holds of 70 fit.
    assert_eq!(held.len(), 12);
    let status = b.budget_status(alice.id, "2026-12").await.unwrap();
    assert_eq!(status.spent, 160);
    assert_eq!(status.reserved, AMOUNT * held.len() as u64);
    assert!(status.spent + status.reserved <= LIMIT);
    // Settling from either process happens once.
    for (n, reservation) in held.iter().enumerate() {
        let store = if n % 2 == 0 { &a } else { &b };
        store
            .settle_budget(reservation.id, 50, at(2))
            .await
            .unwrap();
        assert!(matches!(
            store.settle_budget(reservation.id, 50, at(2)).await,
            Err(StoreError::NotFound { .. })
        ));
    }
    let settled = a.budget_status(alice.id, "2026-12").await.unwrap();
    assert_eq!(settled.reserved, 0);
    assert_eq!(settled.spent, 160 + 50 * held.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admissions_racing_through_two_processes_admit_exactly_the_windows_max() {
    let (a, b) = two_processes().await;
    let alice = a
        .create_user(&Username::parse("alice").unwrap(), "h", at(0))
        .await
        .unwrap();
    let windows = [filmroom_store::RateWindow {
        seconds: 60,
        max: 10,
    }];
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let store = if n % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                store
                    .admit_request(alice.id, "coach", &windows, at(5))
                    .await
            })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => admitted += 1,
            Err(StoreError::RateLimited { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(admitted, 10);
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error_that_hides_the_password() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let error = connect("postgres://filmroom:hunter2secret@127.0.0.1:1/filmroom")
        .await
        .err()
        .unwrap();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("hunter2secret"), "{shown}");
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert!(error.to_string().contains("127.0.0.1:1"), "{error}");
}

#[tokio::test]
async fn a_postgresql_scheme_url_opens_the_same_backend() {
    let url = database_url()
        .await
        .replacen("postgres://", "postgresql://", 1);
    let store = connect(&url).await.unwrap();
    assert_eq!(store.backend(), "postgres");
    assert_eq!(store.count_users().await.unwrap(), 0);
}

/// The next signal, failing the test if none comes within ten seconds.
async fn next_signal(signals: &mut filmroom_store::JobSignals, after: &str) {
    tokio::time::timeout(Duration::from_secs(10), signals.next())
        .await
        .unwrap_or_else(|_| panic!("no job signal after {after}"))
        .expect("the signals go on while the store lives");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_changes_made_by_one_process_signal_the_other() {
    let (a, b) = two_processes().await;
    let mut signals = b
        .job_signals()
        .await
        .unwrap()
        .expect("PostgreSQL signals job changes");
    let owner = a
        .create_user(&Username::parse("owner").unwrap(), "h", at(0))
        .await
        .unwrap();
    a.add_upload(&upload(owner.id, 1), at(0), 10).await.unwrap();
    next_signal(&mut signals, "an upload queued a job").await;
    let claimed = a
        .claim_job("w", at(1), Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    next_signal(&mut signals, "a claim").await;
    assert!(a.release_job(claimed.job.id, "w", at(2)).await.unwrap());
    next_signal(&mut signals, "a release").await;
    let again = a
        .claim_job("w2", at(4), Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.job.id, claimed.job.id);
    next_signal(&mut signals, "the second claim").await;
    assert_eq!(b.job_counts().await.unwrap().running, 1);
}

#[tokio::test]
async fn a_forged_cursor_whose_key_does_not_fit_its_sort_is_refused_not_a_database_error() {
    use filmroom_store::{CursorKey, RecordingCursor, RecordingId, RecordingOrder, RecordingQuery};
    let store = connect(&database_url().await).await.unwrap();
    let alice = store
        .create_user(&Username::parse("alice").unwrap(), "h", at(0))
        .await
        .unwrap();
    // PostgreSQL compares typed values: a text key against a date sort would
    // be an SQL error, so the store checks the key's type first.
    for (sort, key) in [
        (RecordingOrder::OccurredAt, CursorKey::Text("x".to_owned())),
        (RecordingOrder::Title, CursorKey::Int(5)),
        (RecordingOrder::Duration, CursorKey::Blob(vec![1])),
        (RecordingOrder::UploadedAt, CursorKey::Real(1.5)),
    ] {
        let query = RecordingQuery {
            sort,
            cursor: Some(RecordingCursor {
                sort,
                descending: true,
                key,
                id: RecordingId::new_random(),
            }),
            ..RecordingQuery::default()
        };
        assert!(matches!(
            store.list_recordings_page(alice.id, &query).await,
            Err(StoreError::InvalidCursor)
        ));
    }
}

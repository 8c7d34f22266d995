//! The conformance suite against SQLite files in temporary directories, and
//! what only the SQLite backend does (URLs, in-memory databases).

use std::sync::Arc;

use filmroom_store::{SqliteStore, Store, StoreError, connect};

use crate::conformance::TestStore;

fn sqlite_in_a_temp_dir() -> std::pin::Pin<Box<dyn std::future::Future<Output = TestStore> + Send>>
{
    Box::pin(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("filmroom.db").display());
        let store: Arc<dyn Store> = connect(&url).await.unwrap();
        TestStore {
            store,
            _guard: Box::new(dir),
        }
    })
}

crate::conformance_tests!(sqlite_in_a_temp_dir);

#[tokio::test]
async fn an_in_memory_url_opens_a_migrated_store() {
    let store = connect("sqlite::memory:").await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 0);
}

#[tokio::test]
async fn sqlite_has_no_cross_process_job_signals_so_the_feed_polls() {
    let store = connect("sqlite::memory:").await.unwrap();
    assert!(store.job_signals().await.unwrap().is_none());
}

#[tokio::test]
async fn an_unknown_scheme_is_a_clear_error_and_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    for url in [
        "sqlite://".to_owned(),
        format!("mysql://{}", path.display()),
        path.display().to_string(),
        String::new(),
    ] {
        let error = connect(&url).await.err().unwrap();
        assert!(
            matches!(error, StoreError::InvalidUrl(_)),
            "{url}: {error:?}"
        );
        assert!(error.to_string().contains("sqlite"), "{error}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_password_in_a_refused_url_never_reaches_the_message() {
    let error = connect("mysql://admin:hunter2@db/filmroom")
        .await
        .err()
        .unwrap();
    assert!(
        !format!("{error} {error:?}").contains("hunter2"),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_database_directory_is_created_and_reopening_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join("nested/data/filmroom.db").display()
    );
    {
        let store = SqliteStore::connect(&url).await.unwrap();
        let name = filmroom_store::Username::parse("alice").unwrap();
        store
            .create_user(&name, "hash", time::OffsetDateTime::UNIX_EPOCH)
            .await
            .unwrap();
        store.pool().close().await;
    }
    let store = connect(&url).await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 1);
}

/// Every coach table, and how many rows `user` has in it.
async fn coach_rows(store: &SqliteStore, user: &str) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for (table, sql) in [
        (
            "conversations",
            "SELECT COUNT(*) FROM conversations WHERE owner_id = ?",
        ),
        (
            "messages",
            "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE c.owner_id = ?",
        ),
        (
            "message_citations",
            "SELECT COUNT(*) FROM message_citations mc JOIN messages m ON m.id = mc.message_id
             JOIN conversations c ON c.id = m.conversation_id WHERE c.owner_id = ?",
        ),
        ("notes", "SELECT COUNT(*) FROM notes WHERE owner_id = ?"),
        (
            "usage_records",
            "SELECT COUNT(*) FROM usage_records WHERE user_id = ?",
        ),
        (
            "budget_periods",
            "SELECT COUNT(*) FROM budget_periods WHERE user_id = ?",
        ),
        (
            "budget_reservations",
            "SELECT COUNT(*) FROM budget_reservations WHERE user_id = ?",
        ),
        (
            "rate_events",
            "SELECT COUNT(*) FROM rate_events WHERE user_id = ?",
        ),
    ] {
        let n: i64 = sqlx::query_scalar(sql)
            .bind(user)
            .fetch_one(store.pool())
            .await
            .unwrap();
        counts.push((table, n));
    }
    counts
}

#[tokio::test]
async fn deleting_a_user_deletes_all_of_their_coach_data() {
    use filmroom_store::{
        Citation, MessageId, MessageRole, NewConversation, NewMessage, NewUpload, NewUsageRecord,
        NoteAuthor, RateWindow, RecordingKind, Sha256Hex, UsageOutcome, Username,
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("filmroom.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    let now = time::OffsetDateTime::UNIX_EPOCH;
    let alice = store
        .create_user(&Username::parse("alice").unwrap(), "h", now)
        .await
        .unwrap();
    let recording = store
        .add_upload(
            &NewUpload {
                owner: alice.id,
                sha256: Sha256Hex::digest(b"game"),
                size: 4,
                original_filename: "g.replay".to_owned(),
                kind: RecordingKind::from_static("rl_replay"),
            },
            now,
            10,
        )
        .await
        .unwrap()
        .recording;
    let convo = store
        .create_conversation(
            &NewConversation {
                owner: alice.id,
                title: "t".to_owned(),
                profile: "p".to_owned(),
            },
            now,
        )
        .await
        .unwrap();
    let message = NewMessage {
        id: MessageId::new(),
        conversation: convo.id,
        role: MessageRole::Assistant,
        text: "x".to_owned(),
        tool_calls_json: "[]".to_owned(),
        attachments_json: "[]".to_owned(),
        citations: vec![Citation {
            recording,
            at_seconds: 1.0,
            label: "l".to_owned(),
        }],
        provider: None,
        model: None,
        stop_reason: None,
        input_tokens: 1,
        output_tokens: 1,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_micros: 1,
    };
    store.append_message(alice.id, &message, now).await.unwrap();
    store
        .create_note(alice.id, "n", NoteAuthor::User, now)
        .await
        .unwrap();
    store
        .record_usage(
            &NewUsageRecord {
                user: alice.id,
                conversation: Some(convo.id),
                message: Some(message.id),
                provider: "p".to_owned(),
                model: "m".to_owned(),
                input_tokens: 1,
                output_tokens: 1,
                cache_read_tokens: 0,
                cache_write_tokens: 0,
                latency_ms: 1,
                cost_micros: 1,
                outcome: UsageOutcome::Ok,
                error: None,
            },
            now,
        )
        .await
        .unwrap();
    store
        .reserve_budget(alice.id, "p", 10, 5, now)
        .await
        .unwrap();
    let window = [RateWindow {
        seconds: 60,
        max: 5,
    }];
    store
        .admit_request(alice.id, "chat", &window, now)
        .await
        .unwrap();
    let id = alice.id.to_string();
    let before = coach_rows(&store, &id).await;
    assert!(before.iter().all(|&(_, n)| n == 1), "{before:?}");

    sqlx::query("DELETE FROM users WHERE id = ?")
        .bind(&id)
        .execute(store.pool())
        .await
        .unwrap();
    let after = coach_rows(&store, &id).await;
    assert!(after.iter().all(|&(_, n)| n == 0), "{after:?}");
}

#[tokio::test]
async fn admitting_a_request_prunes_events_older_than_the_longest_window() {
    use filmroom_store::{RateWindow, Username};
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let at = |s: i64| time::OffsetDateTime::from_unix_timestamp(1_700_000_000 + s).unwrap();
    let alice = store
        .create_user(&Username::parse("alice").unwrap(), "h", at(0))
        .await
        .unwrap();
    let windows = [
        RateWindow {
            seconds: 10,
            max: 5,
        },
        RateWindow {
            seconds: 100,
            max: 50,
        },
    ];
    for t in [0, 50, 99, 150] {
        store
            .admit_request(alice.id, "chat", &windows, at(t))
            .await
            .unwrap();
    }
    // At 150 the window is (50, 150]: the events at 0 and 50 are gone.
    let kept: Vec<i64> = sqlx::query_scalar("SELECT at - 1700000000 FROM rate_events ORDER BY at")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(kept, vec![99, 150]);
}

/// The steps of a plan nested under its first line that contains `head`.
fn subtree<'a>(plan: &'a [String], head: &str) -> Vec<&'a str> {
    let depth = |line: &str| line.len() - line.trim_start().len();
    let Some(start) = plan.iter().position(|l| l.contains(head)) else {
        return Vec::new();
    };
    let top = depth(&plan[start]);
    plan[start + 1..]
        .iter()
        .take_while(|l| depth(l) > top)
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn every_recordings_list_query_walks_an_index_and_never_sorts_the_library() {
    use filmroom_store::{
        CursorKey, OwnerOutcome, RecordingCursor, RecordingId, RecordingOrder, RecordingQuery,
    };

    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let alice = store
        .create_user(
            &filmroom_store::Username::parse("alice").unwrap(),
            "x",
            time::OffsetDateTime::UNIX_EPOCH,
        )
        .await
        .unwrap();
    let sorts = [
        RecordingOrder::OccurredAt,
        RecordingOrder::UploadedAt,
        RecordingOrder::Duration,
        RecordingOrder::Title,
    ];
    let mut queries = Vec::new();
    for sort in sorts {
        for descending in [true, false] {
            let plain = RecordingQuery {
                sort,
                descending,
                ..RecordingQuery::default()
            };
            queries.push(RecordingQuery {
                offset: 5000,
                ..plain.clone()
            });
            for key in [
                CursorKey::Int(1_700_000_000),
                CursorKey::Real(f64::NEG_INFINITY),
                CursorKey::Text("Mannfield".into()),
                CursorKey::Blob(Vec::new()),
            ] {
                queries.push(RecordingQuery {
                    cursor: Some(RecordingCursor {
                        sort,
                        descending,
                        key,
                        id: RecordingId::new_random(),
                    }),
                    ..plain.clone()
                });
            }
            queries.push(RecordingQuery {
                kind: Some("rl_replay".into()),
                facets: vec![("map".into(), "Mannfield".into())],
                outcome: Some(OwnerOutcome::Win),
                ..plain.clone()
            });
            queries.push(RecordingQuery {
                facets: vec![
                    ("map".into(), "Mannfield".into()),
                    ("playlist".into(), "Online".into()),
                ],
                occurred_from: Some(time::OffsetDateTime::UNIX_EPOCH),
                ..plain.clone()
            });
            queries.push(RecordingQuery {
                outcome: Some(OwnerOutcome::Loss),
                occurred_to: Some(time::OffsetDateTime::UNIX_EPOCH),
                ..plain.clone()
            });
            queries.push(plain);
        }
    }
    for query in queries {
        let plans = store.list_plans(alice.id, &query).await.unwrap();
        let [page, count] = plans.as_slice() else {
            panic!("two statements: {plans:?}")
        };
        // The page's owner links: one index walk in the list's order; with
        // a facet filter, a walk of that sort's index over the owner's rows
        // of the facet's value, never every recording with a probe each.
        let walk = subtree(page, "MATERIALIZE page");
        let (walked, index) = if query.facets.is_empty() {
            ("SEARCH o USING", "INDEX recording_owners_")
        } else {
            ("SEARCH f0 USING", "INDEX owner_facets_")
        };
        assert!(
            walk.iter().any(|l| l.trim_start().starts_with(walked)
                && l.contains(index)
                && !l.contains("owner_facets_value")
                && (query.facets.is_empty() || l.contains("(user_id=? AND facet=? AND value=?"))),
            "{query:?}\n{}",
            page.join("\n")
        );
        // A sort only of what a bounded arm of a cursor's seek returned
        // (at most a page each), never of the rows a walk passes.
        for (i, line) in walk.iter().enumerate() {
            if line.contains("TEMP B-TREE") {
                assert!(
                    query.cursor.is_some()
                        && i > 0
                        && walk[i - 1].trim_start().starts_with("SCAN (subquery-"),
                    "the page sorts: {query:?}\n{}",
                    page.join("\n")
                );
            }
        }
        if query.cursor.is_some() {
            // The rest of the cursor's own key is a seek on the id that
            // follows it in the index, never a walk of its ties.
            assert!(
                walk.iter().any(|l| {
                    l.contains("=? AND recording_id<?)") || l.contains("=? AND recording_id>?)")
                }),
                "{query:?}\n{}",
                page.join("\n")
            );
        }
        // A listed recording's facts come from an index: its row would be
        // read past the stored report.
        assert!(
            page.iter()
                .any(|l| l.contains("SEARCH r USING COVERING INDEX recordings_facts")),
            "{}",
            page.join("\n")
        );
        // Nothing anywhere reads a whole table.
        for line in page.iter().chain(count) {
            let step = line.trim_start();
            assert!(
                !step.starts_with("SCAN ")
                    || step == "SCAN p"
                    // A cursor's arm: at most a page, from its seek above.
                    || (query.cursor.is_some() && step.starts_with("SCAN (subquery-")),
                "{query:?}: {step}\n{}\n--\n{}",
                page.join("\n"),
                count.join("\n")
            );
        }
    }
}

#[tokio::test]
async fn the_trend_the_coachs_aggregates_and_its_search_read_index_ranges_never_a_table() {
    use filmroom_store::CoachMetricQuery;

    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let alice = store
        .create_user(
            &filmroom_store::Username::parse("alice").unwrap(),
            "x",
            time::OffsetDateTime::UNIX_EPOCH,
        )
        .await
        .unwrap();
    let aggregates = [
        CoachMetricQuery {
            metric: "boost.bpm".into(),
            ..CoachMetricQuery::default()
        },
        CoachMetricQuery {
            metric: "boost.bpm".into(),
            kind: Some("rl_replay".into()),
            group_by_facet: Some("map".into()),
            from: Some(time::OffsetDateTime::UNIX_EPOCH),
            until: Some(time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(30)),
        },
    ];
    for aggregate in &aggregates {
        let plans = store
            .library_read_plans(alice.id, "rl_replay", "boost.bpm", aggregate, "goal by")
            .await
            .unwrap();
        let [series, groups, search] = plans.as_slice() else {
            panic!("three statements: {plans:?}")
        };
        let all = || series.iter().chain(groups).chain(search);
        // No statement reads a whole table: every step is a seek, a scan of
        // the handful of "me" keys, or a full-text lookup.
        for line in all() {
            let step = line.trim_start();
            assert!(
                !step.starts_with("SCAN ")
                    || step == "SCAN mine"
                    || step.contains("VIRTUAL TABLE INDEX")
                    // The matches of both indexes, to order them.
                    || step.starts_with("SCAN (subquery-"),
                "{step}\n{}\n--\n{}\n--\n{}",
                series.join("\n"),
                groups.join("\n"),
                search.join("\n")
            );
        }
        // The metric's values come from one range of the covering series
        // index per "me" key, never a lookup of the metrics table.
        for plan in [series, groups] {
            assert!(
                plan.iter()
                    .any(|l| l.contains("SEARCH m USING COVERING INDEX metrics_series")),
                "{}",
                plan.join("\n")
            );
            assert!(!plan.iter().any(|l| l.contains("SEARCH m USING INDEX")));
        }
        for plan in [groups, search] {
            assert!(
                plan.iter()
                    .any(|l| l.contains("SEARCH r USING COVERING INDEX recordings_facts")),
                "{}",
                plan.join("\n")
            );
        }
        // The search finds its rows through both full-text indexes and reads
        // each matching event or passage by rowid.
        for (index, table) in [("events_fts", "e"), ("passages_fts", "p")] {
            assert!(
                search
                    .iter()
                    .any(|l| l.contains(&format!("SCAN {index} VIRTUAL TABLE INDEX"))),
                "{}",
                search.join("\n")
            );
            assert!(
                search.iter().any(|l| l.contains(&format!(
                    "SEARCH {table} USING INTEGER PRIMARY KEY (rowid=?)"
                ))),
                "{}",
                search.join("\n")
            );
        }
    }
}

#[tokio::test]
async fn the_games_list_walks_an_index_and_reads_each_rows_facets_and_score_by_key() {
    use filmroom_store::{OwnerOutcome, RecordingFilter};

    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let alice = store
        .create_user(
            &filmroom_store::Username::parse("alice").unwrap(),
            "x",
            time::OffsetDateTime::UNIX_EPOCH,
        )
        .await
        .unwrap();
    for filter in [
        RecordingFilter::default(),
        RecordingFilter {
            map: Some("Mannfield".into()),
            result: Some(OwnerOutcome::Win),
            ..RecordingFilter::default()
        },
        RecordingFilter {
            descending: false,
            offset: 5000,
            ..RecordingFilter::default()
        },
    ] {
        let plans = store.games_plans(alice.id, &filter).await.unwrap();
        let [rows, count] = plans.as_slice() else {
            panic!("two statements: {plans:?}")
        };
        let shown = || format!("{filter:?}\n{}\n--\n{}", rows.join("\n"), count.join("\n"));
        for line in rows.iter().chain(count) {
            let step = line.trim_start();
            assert!(
                !step.starts_with("SCAN ") || step == "SCAN p",
                "{step}: {}",
                shown()
            );
        }
        // A map filter walks the owner's rows of that map in date order.
        if filter.map.is_some() {
            assert!(
                rows.iter().any(|l| l.contains(
                    "SEARCH f0 USING COVERING INDEX owner_facets_played_or_uploaded \
                     (user_id=? AND facet=? AND value=?)"
                )),
                "{}",
                shown()
            );
        }
        // Each side's score: the side by position, then its metric in one
        // seek of the covering series index on all four keys.
        assert!(
            rows.iter().any(|l| l.contains(
                "SEARCH m USING COVERING INDEX metrics_series \
                 (metric=? AND subject_kind=? AND subject=? AND recording_id=?)"
            )),
            "{}",
            shown()
        );
        // Each facet: one primary-key seek of the owner's copy.
        assert!(
            rows.iter().any(|l| l
                .contains("SEARCH f USING PRIMARY KEY (user_id=? AND recording_id=? AND facet=?)")),
            "{}",
            shown()
        );
        assert!(
            !rows.iter().any(|l| l.contains("recording_facets")),
            "{}",
            shown()
        );
    }
}

#[tokio::test]
async fn the_coachs_side_metrics_seek_per_listed_recording_and_inference_never_reads_a_recording_row()
 {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let alice = store
        .create_user(
            &filmroom_store::Username::parse("alice").unwrap(),
            "x",
            time::OffsetDateTime::UNIX_EPOCH,
        )
        .await
        .unwrap();
    let plans = store
        .coach_batch_plans(alice.id, "rl_replay")
        .await
        .unwrap();
    let [sides, inference] = plans.as_slice() else {
        panic!("two statements: {plans:?}")
    };
    // Per listed recording: its sides by key, then one seek of the covering
    // series index per side and metric; never a range of every recording's
    // side metrics on the platform.
    for line in sides {
        let step = line.trim_start();
        assert!(
            !step.starts_with("SCAN ") || step.contains("VIRTUAL TABLE INDEX"),
            "{step}\n{}",
            sides.join("\n")
        );
    }
    assert!(
        sides.iter().any(|l| l.contains(
            "SEARCH m USING COVERING INDEX metrics_series \
             (metric=? AND subject_kind=? AND subject=? AND recording_id=?)"
        )),
        "{}",
        sides.join("\n")
    );
    assert!(
        sides
            .iter()
            .any(|l| l.contains("SEARCH s USING COVERING INDEX") && l.contains("(recording_id=?)")),
        "{}",
        sides.join("\n")
    );
    // The inference reads each recording's date and revision from the
    // covering facts index, never the row behind the stored report.
    assert!(
        inference
            .iter()
            .any(|l| l.contains("SEARCH r USING COVERING INDEX recordings_facts (id=?)")),
        "{}",
        inference.join("\n")
    );
    assert!(
        inference
            .iter()
            .any(|l| l.contains("SEARCH o USING COVERING INDEX recording_owners_user_kind")),
        "{}",
        inference.join("\n")
    );
}

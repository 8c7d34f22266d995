//! A user's lists over their owner links' stored copies: cursor paging in
//! every sort, totals that follow every write, and the games list reading
//! the neutral rows and stored outcomes. Part of the conformance suite.

use std::collections::HashSet;
use std::sync::Arc;

use filmroom_store::{
    OwnerOutcome, RecordingCursor, RecordingFilter, RecordingId, RecordingOrder, RecordingQuery,
    RecordingSort, Store, StoreError,
};

use super::{LEASE, analysed, at, output, upload, user};

const RL: &str = "rl_replay";

/// Seven analysed recordings with repeated titles, dates and durations (so
/// pages split ties) and two uploads not analysed yet (unknown everything).
async fn library(store: &Arc<dyn Store>) -> filmroom_store::User {
    let alice = user(store, "alice").await;
    for (n, played, map) in [
        (1, 100, "Beta"),
        (2, 300, "alpha"),
        (3, 200, "Beta"),
        (4, 200, "gamma"),
        (5, 300, "Beta"),
        (6, 100, "alpha"),
        (7, 400, "Delta"),
    ] {
        let mut out = output(played, map, "Online", 2, [n % 3, 1]);
        let neutral = out.neutral.as_mut().unwrap();
        neutral.facts.duration_s = Some(f64::from(200 + (n % 3) * 50));
        analysed(store, alice.id, n, out).await;
    }
    for n in [8, 9] {
        store
            .add_upload(&upload(alice.id, n), at(i64::from(n)), 100)
            .await
            .unwrap();
    }
    alice
}

pub async fn a_cursor_walks_every_sort_both_ways_like_one_long_page(store: Arc<dyn Store>) {
    let alice = library(&store).await;
    for sort in [
        RecordingOrder::OccurredAt,
        RecordingOrder::UploadedAt,
        RecordingOrder::Duration,
        RecordingOrder::Title,
    ] {
        for descending in [true, false] {
            let query = RecordingQuery {
                sort,
                descending,
                limit: 100,
                ..RecordingQuery::default()
            };
            let whole: Vec<RecordingId> = store
                .list_recordings_page(alice.id, &query)
                .await
                .unwrap()
                .items
                .iter()
                .map(|i| i.id)
                .collect();
            assert_eq!(whole.len(), 9);

            for limit in [1, 2, 4] {
                let mut walked = Vec::new();
                let mut cursor = None;
                loop {
                    let page = store
                        .list_recordings_page(
                            alice.id,
                            &RecordingQuery {
                                limit,
                                cursor: cursor.clone(),
                                ..query.clone()
                            },
                        )
                        .await
                        .unwrap();
                    assert_eq!(page.total, 9);
                    walked.extend(page.items.iter().map(|i| i.id));
                    // The cursor survives its text form, as a client sends it back.
                    cursor = page
                        .next
                        .map(|c| RecordingCursor::parse(&c.to_string()).unwrap());
                    if cursor.is_none() {
                        break;
                    }
                }
                assert_eq!(walked, whole, "{sort:?} descending={descending} by {limit}");
            }
        }
    }
}

pub async fn a_cursor_through_many_equal_keys_returns_every_recording_exactly_once(
    store: Arc<dyn Store>,
) {
    // Every sort key equal: one date, upload time, duration and title for
    // the analysed ones, unknown everything for the two not analysed yet.
    let alice = user(&store, "alice").await;
    for n in 1..=40 {
        analysed(
            &store,
            alice.id,
            n,
            output(500, "Beta", "Online", 2, [1, 0]),
        )
        .await;
    }
    for n in [41, 42] {
        store
            .add_upload(&upload(alice.id, n), at(0), 100)
            .await
            .unwrap();
    }
    for sort in [
        RecordingOrder::OccurredAt,
        RecordingOrder::UploadedAt,
        RecordingOrder::Duration,
        RecordingOrder::Title,
    ] {
        for descending in [true, false] {
            let query = RecordingQuery {
                sort,
                descending,
                limit: 100,
                ..RecordingQuery::default()
            };
            let whole: Vec<RecordingId> = store
                .list_recordings_page(alice.id, &query)
                .await
                .unwrap()
                .items
                .iter()
                .map(|i| i.id)
                .collect();
            assert_eq!(whole.len(), 42);
            for limit in [1, 5, 41] {
                let mut walked = Vec::new();
                let mut cursor = None;
                let mut pages = 0;
                loop {
                    let page = store
                        .list_recordings_page(
                            alice.id,
                            &RecordingQuery {
                                limit,
                                cursor: cursor.clone(),
                                ..query.clone()
                            },
                        )
                        .await
                        .unwrap();
                    pages += 1;
                    assert!(pages <= 42, "{sort:?} {descending} by {limit}: no end");
                    walked.extend(page.items.iter().map(|i| i.id));
                    cursor = page
                        .next
                        .map(|c| RecordingCursor::parse(&c.to_string()).unwrap());
                    if cursor.is_none() {
                        break;
                    }
                }
                let distinct: HashSet<RecordingId> = walked.iter().copied().collect();
                assert_eq!(distinct.len(), 42, "{sort:?} {descending} by {limit}");
                assert_eq!(walked, whole, "{sort:?} descending={descending} by {limit}");
            }
        }
    }
}

pub async fn the_last_page_has_no_cursor_and_a_cursor_of_another_sort_is_refused(
    store: Arc<dyn Store>,
) {
    let alice = library(&store).await;
    let all = store
        .list_recordings_page(
            alice.id,
            &RecordingQuery {
                limit: 9,
                ..RecordingQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.items.len(), 9);
    assert_eq!(all.next, None);
    let first = store
        .list_recordings_page(
            alice.id,
            &RecordingQuery {
                limit: 3,
                ..RecordingQuery::default()
            },
        )
        .await
        .unwrap();
    let cursor = first.next.unwrap();
    let refused = store
        .list_recordings_page(
            alice.id,
            &RecordingQuery {
                sort: RecordingOrder::Title,
                cursor: Some(cursor.clone()),
                ..RecordingQuery::default()
            },
        )
        .await;
    assert!(matches!(refused, Err(StoreError::InvalidCursor)));
    let reversed = store
        .list_recordings_page(
            alice.id,
            &RecordingQuery {
                descending: false,
                cursor: Some(cursor),
                ..RecordingQuery::default()
            },
        )
        .await;
    assert!(matches!(reversed, Err(StoreError::InvalidCursor)));
}

pub async fn another_users_cursor_shows_nothing_of_theirs(store: Arc<dyn Store>) {
    let alice = library(&store).await;
    let bob = user(&store, "bob").await;
    analysed(&store, bob.id, 20, output(250, "Beta", "Online", 2, [1, 0])).await;
    let alices = store
        .list_recordings_page(
            alice.id,
            &RecordingQuery {
                limit: 2,
                ..RecordingQuery::default()
            },
        )
        .await
        .unwrap();
    let bobs = store
        .list_recordings_page(
            bob.id,
            &RecordingQuery {
                cursor: alices.next,
                ..RecordingQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(bobs.total, 1);
    let mine: HashSet<RecordingId> = alices.items.iter().map(|i| i.id).collect();
    assert!(bobs.items.iter().all(|i| !mine.contains(&i.id)));
}

/// Every total the lists can report, against a count of the rows they list.
async fn assert_totals_match_rows(store: &Arc<dyn Store>, owner: filmroom_store::UserId) {
    let queries = [
        RecordingQuery::default(),
        RecordingQuery {
            kind: Some(RL.into()),
            ..RecordingQuery::default()
        },
        RecordingQuery {
            outcome: Some(OwnerOutcome::Win),
            ..RecordingQuery::default()
        },
        RecordingQuery {
            kind: Some(RL.into()),
            outcome: Some(OwnerOutcome::Unknown),
            ..RecordingQuery::default()
        },
        RecordingQuery {
            facets: vec![("map".into(), "beta".into())],
            ..RecordingQuery::default()
        },
        RecordingQuery {
            facets: vec![("map".into(), "Beta".into())],
            outcome: Some(OwnerOutcome::Loss),
            kind: Some(RL.into()),
            ..RecordingQuery::default()
        },
        RecordingQuery {
            facets: vec![
                ("map".into(), "Beta".into()),
                ("playlist".into(), "online".into()),
            ],
            occurred_from: Some(at(150)),
            ..RecordingQuery::default()
        },
        RecordingQuery {
            occurred_to: Some(at(250)),
            ..RecordingQuery::default()
        },
    ];
    for query in queries {
        let page = store
            .list_recordings_page(
                owner,
                &RecordingQuery {
                    limit: 500,
                    ..query.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.total, page.items.len() as u64, "{query:?}");
        // The total is the same on a one-row page (where it rides with the
        // row) and on pages past the end (where no row carries it).
        let total = page.total;
        let offset = u32::try_from(total).unwrap();
        for (limit, offset) in [(1, 0), (1, offset), (50, offset + 5)] {
            let paged = store
                .list_recordings_page(
                    owner,
                    &RecordingQuery {
                        limit,
                        offset,
                        ..query.clone()
                    },
                )
                .await
                .unwrap();
            assert_eq!(paged.total, total, "{query:?} at {offset}");
            let rows = u32::try_from(total.saturating_sub(u64::from(offset)).min(1)).unwrap();
            if limit == 1 {
                assert_eq!(paged.items.len() as u32, rows, "{query:?} at {offset}");
            } else {
                assert!(paged.items.is_empty(), "{query:?} at {offset}");
            }
        }
    }
}

pub async fn list_totals_follow_uploads_analyses_links_and_new_owners(store: Arc<dyn Store>) {
    let alice = library(&store).await;
    assert_totals_match_rows(&store, alice.id).await;
    // Links change every outcome.
    store
        .link_identity(alice.id, RL, "steam:1", at(0))
        .await
        .unwrap();
    assert_totals_match_rows(&store, alice.id).await;
    // A re-analysis changes the map and the result of recording 1.
    let id = store
        .list_recordings(alice.id, &RecordingFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.original_filename == "game-1.replay")
        .unwrap()
        .id;
    let job = store.enqueue_job(id, at(10), 3).await.unwrap();
    // The two waiting uploads go first, to workers of their own.
    for worker in ["p1", "p2"] {
        store
            .claim_job(worker, at(10), LEASE)
            .await
            .unwrap()
            .unwrap();
    }
    let claimed = store.claim_job("w", at(10), LEASE).await.unwrap().unwrap();
    assert_eq!(claimed.job.id, job);
    assert!(
        store
            .complete_job(job, "w", &output(100, "Gamma", "Online", 2, [0, 3]), at(11))
            .await
            .unwrap()
    );
    assert_totals_match_rows(&store, alice.id).await;
    // Bob uploads alice's analysed recording: his own outcome and facets.
    let bob = user(&store, "bob").await;
    store
        .add_upload(&upload(bob.id, 5), at(20), 100)
        .await
        .unwrap();
    assert_totals_match_rows(&store, bob.id).await;
    assert_totals_match_rows(&store, alice.id).await;
    let bobs = store
        .list_recordings_page(
            bob.id,
            &RecordingQuery {
                facets: vec![("map".into(), "beta".into())],
                ..RecordingQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(bobs.total, 1);
}

pub async fn the_games_list_shows_the_neutral_facts_score_and_stored_outcome(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let mut out = output(100, "Mannfield", "Ranked Duels", 1, [2, 4]);
    // The legacy summary says something else: the list reads the neutral rows.
    out.summary.map = Some("Old Map".into());
    out.summary.score = [9, 9];
    analysed(&store, alice.id, 1, out).await;
    let games = store
        .list_recordings(alice.id, &RecordingFilter::default())
        .await
        .unwrap();
    let game = &games[0];
    assert_eq!(game.map.as_deref(), Some("Mannfield"));
    assert_eq!(game.match_type.as_deref(), Some("Ranked Duels"));
    assert_eq!(game.team_size, Some(1));
    assert_eq!(game.score, Some([2, 4]));
    assert_eq!(game.outcome, OwnerOutcome::Unknown);
    store
        .link_identity(alice.id, RL, "epic:2", at(0))
        .await
        .unwrap();
    let game = store
        .recording_for_owner(alice.id, game.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(game.outcome, OwnerOutcome::Win);
    let draws = RecordingFilter {
        result: Some(OwnerOutcome::Draw),
        ..RecordingFilter::default()
    };
    assert!(
        store
            .list_recordings(alice.id, &draws)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.count_recordings(alice.id, &draws).await.unwrap(), 0);
    let wins = RecordingFilter {
        result: Some(OwnerOutcome::Win),
        ..RecordingFilter::default()
    };
    assert_eq!(store.count_recordings(alice.id, &wins).await.unwrap(), 1);
}

/// A list's facet filter: (facet, value) pairs.
type Facets = Vec<(String, String)>;

/// A facet filter walks the owner's facet rows in the sort's order
/// (migration 0013): every sort both ways, by cursor and by offset, it must
/// return exactly the unfiltered list's rows that match, in the same order,
/// with the same total, after the links changed every outcome.
pub async fn a_facet_filtered_list_pages_every_sort_like_the_whole_list_filtered(
    store: Arc<dyn Store>,
) {
    let alice = library(&store).await;
    store
        .link_identity(alice.id, RL, "steam:1", at(0))
        .await
        .unwrap();
    let filters: [(Facets, Option<OwnerOutcome>); 4] = [
        (vec![("map".into(), "beta".into())], None),
        (vec![("map".into(), "BETA".into())], Some(OwnerOutcome::Win)),
        (
            vec![("map".into(), "Beta".into())],
            Some(OwnerOutcome::Loss),
        ),
        (
            vec![
                ("playlist".into(), "online".into()),
                ("map".into(), "alpha".into()),
            ],
            None,
        ),
    ];
    let mut outcomes_seen = Vec::new();
    for sort in [
        RecordingOrder::OccurredAt,
        RecordingOrder::UploadedAt,
        RecordingOrder::Duration,
        RecordingOrder::Title,
    ] {
        for descending in [true, false] {
            let all = RecordingQuery {
                sort,
                descending,
                limit: 100,
                ..RecordingQuery::default()
            };
            let whole = store.list_recordings_page(alice.id, &all).await.unwrap();
            for (facets, outcome) in &filters {
                let expected: Vec<RecordingId> = whole
                    .items
                    .iter()
                    .filter(|item| {
                        facets.iter().all(|(facet, value)| {
                            item.facets
                                .get(facet)
                                .is_some_and(|v| v.eq_ignore_ascii_case(value))
                        }) && outcome.is_none_or(|o| item.outcome == o)
                    })
                    .map(|item| item.id)
                    .collect();
                outcomes_seen.extend(
                    expected
                        .iter()
                        .map(|id| whole.items.iter().find(|i| i.id == *id).unwrap().outcome),
                );
                let query = RecordingQuery {
                    facets: facets.clone(),
                    outcome: *outcome,
                    ..all.clone()
                };
                let shown = format!("{sort:?} descending={descending} {facets:?} {outcome:?}");
                let mut walked = Vec::new();
                let mut cursor = None;
                loop {
                    let page = store
                        .list_recordings_page(
                            alice.id,
                            &RecordingQuery {
                                limit: 1,
                                cursor: cursor.clone(),
                                ..query.clone()
                            },
                        )
                        .await
                        .unwrap();
                    assert_eq!(page.total, expected.len() as u64, "{shown}");
                    walked.extend(page.items.iter().map(|i| i.id));
                    cursor = page
                        .next
                        .map(|c| RecordingCursor::parse(&c.to_string()).unwrap());
                    if cursor.is_none() {
                        break;
                    }
                }
                assert_eq!(walked, expected, "{shown}");
                let by_offset: Vec<RecordingId> = store
                    .list_recordings_page(
                        alice.id,
                        &RecordingQuery {
                            offset: 1,
                            limit: 2,
                            ..query.clone()
                        },
                    )
                    .await
                    .unwrap()
                    .items
                    .iter()
                    .map(|i| i.id)
                    .collect();
                assert_eq!(
                    by_offset,
                    expected.iter().skip(1).take(2).copied().collect::<Vec<_>>(),
                    "{shown}"
                );
            }
        }
    }
    // The filters above really split wins from losses.
    assert!(outcomes_seen.contains(&OwnerOutcome::Win));
    assert!(outcomes_seen.contains(&OwnerOutcome::Loss));

    // The games list's date orders walk the same rows.
    for sort in [RecordingSort::PlayedAt, RecordingSort::UploadedAt] {
        for descending in [true, false] {
            let all = RecordingFilter {
                sort,
                descending,
                ..RecordingFilter::default()
            };
            let whole = store.list_recordings(alice.id, &all).await.unwrap();
            for result in [None, Some(OwnerOutcome::Win), Some(OwnerOutcome::Loss)] {
                let filter = RecordingFilter {
                    map: Some("BETA".into()),
                    result,
                    ..all.clone()
                };
                let expected: Vec<RecordingId> = whole
                    .iter()
                    .filter(|g| {
                        g.map
                            .as_deref()
                            .is_some_and(|m| m.eq_ignore_ascii_case("beta"))
                            && result.is_none_or(|r| g.outcome == r)
                    })
                    .map(|g| g.id)
                    .collect();
                let listed: Vec<RecordingId> = store
                    .list_recordings(alice.id, &filter)
                    .await
                    .unwrap()
                    .iter()
                    .map(|g| g.id)
                    .collect();
                assert_eq!(
                    listed, expected,
                    "{sort:?} descending={descending} {result:?}"
                );
                assert_eq!(
                    store.count_recordings(alice.id, &filter).await.unwrap(),
                    expected.len() as u64
                );
            }
        }
    }
}

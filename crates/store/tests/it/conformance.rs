//! The conformance suite: every backend must pass every test here.
//!
//! Each test is a plain async function over `Arc<dyn Store>`;
//! [`conformance_tests!`] turns them into `#[tokio::test]`s for one backend's
//! factory, so adding a backend is one macro call.

use std::any::Any;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use filmroom_store::{
    AnalysisOutput, AnalysisSummary, Backoff, FailOutcome, JobState, NewSession, NewUpload,
    OwnerOutcome, RecordingFilter, RecordingKind, RecordingSort, Sha256Hex, Store, StoreError,
    SummaryPlayer, User, UserId, Username,
};
use time::OffsetDateTime;

mod coach;
mod companions;
mod identity;
mod lists;
mod neutral;
mod rights;
pub use coach::*;
pub use companions::*;
pub use identity::*;
pub use lists::*;
pub use neutral::*;
pub use rights::*;

/// A store for one test, with whatever keeps it alive (a temp dir, a server).
pub struct TestStore {
    pub store: Arc<dyn Store>,
    pub _guard: Box<dyn Any + Send>,
}

#[macro_export]
macro_rules! conformance_tests {
    ($factory:path) => {
        $crate::conformance_tests!(@tests $factory;
            the_first_user_is_the_admin_and_later_users_are_not,
            a_duplicate_username_conflicts_ignoring_case,
            users_are_found_by_id_and_username_and_listed_oldest_first,
            a_password_hash_can_be_replaced_and_an_unknown_user_is_not_found,
            a_user_can_be_put_on_a_plan_and_back_on_the_default,
            a_session_is_found_with_its_user_until_it_expires,
            sessions_can_be_deleted_one_at_a_time_or_all_of_a_user,
            an_api_token_finds_its_user_and_records_its_last_use,
            a_revoked_token_no_longer_authenticates_and_only_its_owner_can_revoke_it,
            a_tokens_last_use_is_written_at_most_once_a_minute,
            revoking_all_of_a_users_tokens_leaves_other_users_tokens_alone,
            the_first_stored_server_secret_wins_and_is_kept,
            a_new_upload_stores_the_recording_and_enqueues_one_job,
            a_reupload_returns_the_existing_recording_with_no_new_job,
            one_recording_uploaded_by_two_owners_is_stored_once_analysed_once_and_seen_by_both,
            a_user_who_does_not_own_a_recording_gets_none,
            storage_used_counts_each_of_an_owners_recordings_once_shared_or_not,
            a_full_queue_refuses_a_new_upload_and_stores_nothing,
            a_full_queue_still_accepts_a_reupload_of_a_stored_recording,
            completing_a_job_saves_the_analysis_and_fills_the_summary_columns,
            the_games_list_filters_by_date_playlist_map_team_size_and_result,
            the_games_list_sorts_in_both_directions_with_unknown_values_last,
            the_result_follows_the_users_player_names_or_their_username,
            a_claimed_job_is_leased_to_one_worker_and_heartbeats_extend_the_lease,
            a_job_whose_lease_expired_is_recovered_by_another_worker,
            a_failed_job_is_retried_with_exponential_backoff_then_dead_lettered,
            an_expired_last_attempt_is_dead_lettered_instead_of_claimed_again,
            a_released_job_goes_back_to_the_queue_without_spending_an_attempt,
            concurrent_claims_never_hand_one_job_to_two_workers,
            job_counts_and_a_users_jobs_follow_the_queue,
            expiring_a_nodes_leases_frees_only_its_jobs_for_recovery,
            a_store_answers_a_ping,
            a_worker_restarted_under_the_same_id_takes_back_its_orphaned_job_at_once,
            racing_first_sign_ups_make_exactly_one_admin,
            the_games_list_counts_its_matches_and_offers_the_filter_choices,
            racing_uploads_of_the_same_bytes_store_it_once_with_one_job,
            a_message_round_trips_with_its_citations_tool_calls_tokens_and_cost,
            conversation_summaries_add_up_their_messages_most_recently_updated_first,
            deleting_a_conversation_deletes_its_messages_but_keeps_its_usage,
            another_user_cannot_read_append_to_delete_or_list_a_users_conversations,
            a_message_citing_another_users_recording_is_not_found_and_saves_nothing,
            notes_are_created_listed_newest_first_updated_and_deleted,
            another_user_cannot_read_update_or_delete_a_users_notes,
            usage_totals_and_history_cover_their_window_newest_first,
            a_budget_reservation_is_settled_once_at_the_real_amount_capped_at_what_it_held,
            fifty_concurrent_reservations_hold_exactly_what_the_limit_allows,
            stale_reservations_are_settled_at_their_full_amount,
            a_rate_window_admits_up_to_its_max_then_refuses_until_it_slides,
            the_longer_full_window_decides_the_retry_after,
            fifty_concurrent_admissions_against_a_max_of_ten_admit_exactly_ten,
    a_completed_job_stores_the_neutral_analysis_and_only_owners_read_it, a_conversations_messages_come_in_pages_latest_first_with_a_cursor, a_live_node_name_is_refused_and_a_dead_ones_reservations_are_released, a_name_link_matches_a_participant_by_display_name_ignoring_case, a_reanalysis_replaces_every_neutral_row, a_second_owner_of_an_analysed_recording_gets_their_own_outcome_at_upload, an_owners_outcome_follows_their_identity_links, every_analysed_recording_can_be_queued_whatever_its_revision, my_metric_series_follows_me_across_recordings_in_time_order, outdated_analysed_recordings_are_queued_for_reanalysis_once, player_names_become_rocket_league_links_and_set_the_outcome, reanalyses_wait_behind_uploads_and_never_fill_the_upload_queue, releasing_a_node_settles_only_its_own_reservations_once, the_recordings_list_filters_by_kind_facets_outcome_and_dates_in_sql, the_recordings_list_sorts_both_ways_with_unknowns_last_and_pages,
            a_cursor_walks_every_sort_both_ways_like_one_long_page,
            a_cursor_through_many_equal_keys_returns_every_recording_exactly_once,
            a_facet_filtered_list_pages_every_sort_like_the_whole_list_filtered,
            the_coach_search_finds_word_prefixes_in_order_in_the_owners_recordings_only,
            any_text_is_a_valid_coach_search_and_the_index_follows_reanalysis,
            the_last_page_has_no_cursor_and_a_cursor_of_another_sort_is_refused,
            another_users_cursor_shows_nothing_of_theirs,
            list_totals_follow_uploads_analyses_links_and_new_owners,
            the_games_list_shows_the_neutral_facts_score_and_stored_outcome,
            me_is_inferred_from_three_recordings_and_the_users_own_link_replaces_it,
            nobody_is_inferred_from_a_library_of_other_peoples_games,
            a_tie_goes_to_the_participant_in_the_newest_recording,
            a_second_owner_of_an_analysed_recording_is_inferred_at_upload,
            the_only_human_of_every_recording_is_inferred_from_one_recording,
            a_companion_is_stored_with_a_new_recording_and_its_one_job,
            a_different_companion_for_stored_media_replaces_it_and_queues_one_reanalysis,
            uploads_since_count_an_owners_links_of_one_kind_and_their_lengths,
            removing_a_shared_recording_keeps_it_for_the_other_owner_until_the_last_owner_removes_it,
            a_user_cannot_remove_a_recording_they_do_not_own,
            an_upload_of_bytes_queued_for_deletion_keeps_their_object,
            a_failed_object_deletion_stays_queued_and_a_later_purge_finishes_it,
            erasing_a_user_deletes_what_only_they_owned_keeps_shared_recordings_and_audits_without_naming_them,
        );
    };
    (@tests $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let test_store = $factory().await;
                $crate::conformance::$name(test_store.store.clone()).await;
            }
        )*
    };
}

const LEASE: Duration = Duration::from_secs(60);

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs).unwrap()
}

fn name(s: &str) -> Username {
    Username::parse(s).unwrap()
}

fn sha(n: u32) -> Sha256Hex {
    Sha256Hex::digest(&n.to_le_bytes())
}

async fn user(store: &Arc<dyn Store>, username: &str) -> User {
    store
        .create_user(&name(username), "$argon2id$fake", at(0))
        .await
        .unwrap()
}

fn upload(owner: UserId, n: u32) -> NewUpload {
    NewUpload {
        owner,
        sha256: sha(n),
        size: 1000 + u64::from(n),
        original_filename: format!("game-{n}.replay"),
        kind: RecordingKind::from_static("rl_replay"),
    }
}

fn output(played_at: i64, map: &str, playlist: &str, size: u32, score: [u32; 2]) -> AnalysisOutput {
    AnalysisOutput {
        report_json: format!("{{\"map\":\"{map}\"}}"),
        summary: AnalysisSummary {
            played_at: Some(at(played_at)),
            map: Some(map.to_owned()),
            match_type: Some(playlist.to_owned()),
            team_size: Some(size),
            score,
            players: vec![
                SummaryPlayer {
                    name: "BluePlayer".to_owned(),
                    id: Some("steam:1".to_owned()),
                    team: 0,
                },
                SummaryPlayer {
                    name: "OrangePlayer".to_owned(),
                    id: Some("epic:2".to_owned()),
                    team: 1,
                },
            ],
        },
        neutral: Some(neutral_of(played_at, map, playlist, size, score)),
    }
}

/// Uploads recording `n` for `owner` and runs its job to completion.
async fn analysed(store: &Arc<dyn Store>, owner: UserId, n: u32, out: AnalysisOutput) {
    let outcome = store
        .add_upload(&upload(owner, n), at(0), 100)
        .await
        .unwrap();
    let claimed = store.claim_job("w", at(0), LEASE).await.unwrap().unwrap();
    assert_eq!(Some(claimed.job.id), outcome.job);
    assert!(
        store
            .complete_job(claimed.job.id, "w", &out, at(1))
            .await
            .unwrap()
    );
}

// ---- users ----

pub async fn the_first_user_is_the_admin_and_later_users_are_not(store: Arc<dyn Store>) {
    let first = user(&store, "first").await;
    let second = user(&store, "second").await;
    assert!(first.is_admin);
    assert!(!second.is_admin);
    assert!(store.user_by_id(first.id).await.unwrap().unwrap().is_admin);
}

pub async fn a_duplicate_username_conflicts_ignoring_case(store: Arc<dyn Store>) {
    user(&store, "Alice").await;
    let error = store
        .create_user(&name("alice"), "h", at(1))
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::Conflict { what: "username" }),
        "{error:?}"
    );
    assert_eq!(store.count_users().await.unwrap(), 1);
}

pub async fn users_are_found_by_id_and_username_and_listed_oldest_first(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let bob = store.create_user(&name("Bob"), "hb", at(5)).await.unwrap();
    assert_eq!(store.user_by_id(bob.id).await.unwrap(), Some(bob.clone()));
    assert_eq!(
        store.user_by_username(&name("BOB")).await.unwrap(),
        Some(bob.clone())
    );
    assert_eq!(store.user_by_username(&name("carol")).await.unwrap(), None);
    assert_eq!(store.user_by_id(UserId::new_random()).await.unwrap(), None);
    let listed: Vec<_> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(listed, vec![alice.id, bob.id]);
    assert_eq!(store.count_users().await.unwrap(), 2);
}

pub async fn a_password_hash_can_be_replaced_and_an_unknown_user_is_not_found(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    store.set_password_hash(alice.id, "new-hash").await.unwrap();
    let reloaded = store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(reloaded.password_hash, "new-hash");
    assert!(!format!("{reloaded:?}").contains("new-hash"));
    let error = store
        .set_password_hash(UserId::new_random(), "x")
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
}

// ---- sessions ----

pub async fn a_session_is_found_with_its_user_until_it_expires(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let id_hash = Sha256Hex::digest(b"cookie secret");
    store
        .create_session(&NewSession {
            id_hash: id_hash.clone(),
            user_id: alice.id,
            csrf_token: "csrf".to_owned(),
            created_at: at(0),
            expires_at: at(100),
        })
        .await
        .unwrap();
    let session = store
        .session_by_hash(&id_hash, at(99))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.user.id, alice.id);
    assert_eq!(session.csrf_token, "csrf");
    assert!(!format!("{session:?}").contains("csrf\""), "{session:?}");
    assert_eq!(session.expires_at, at(100));
    assert_eq!(
        store.session_by_hash(&id_hash, at(100)).await.unwrap(),
        None
    );
    let unknown = Sha256Hex::digest(b"other");
    assert_eq!(store.session_by_hash(&unknown, at(1)).await.unwrap(), None);
}

pub async fn sessions_can_be_deleted_one_at_a_time_or_all_of_a_user(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let hashes: Vec<_> = (0..3u32).map(sha).collect();
    for (hash, owner) in hashes.iter().zip([alice.id, alice.id, bob.id]) {
        store
            .create_session(&NewSession {
                id_hash: hash.clone(),
                user_id: owner,
                csrf_token: "c".to_owned(),
                created_at: at(0),
                expires_at: at(1000),
            })
            .await
            .unwrap();
    }
    store.delete_session(&hashes[0]).await.unwrap();
    assert_eq!(
        store.session_by_hash(&hashes[0], at(1)).await.unwrap(),
        None
    );
    assert!(
        store
            .session_by_hash(&hashes[1], at(1))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.delete_user_sessions(alice.id).await.unwrap(), 1);
    assert_eq!(
        store.session_by_hash(&hashes[1], at(1)).await.unwrap(),
        None
    );
    assert!(
        store
            .session_by_hash(&hashes[2], at(1))
            .await
            .unwrap()
            .is_some()
    );
}

// ---- API tokens ----

pub async fn an_api_token_finds_its_user_and_records_its_last_use(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let hash = Sha256Hex::digest(b"token secret");
    let token = store
        .create_api_token(alice.id, "laptop", &hash, at(0))
        .await
        .unwrap();
    assert_eq!(token.last_used_at, None);
    let found = store
        .user_by_api_token(&hash, at(50))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, alice.id);
    let listed = store.list_api_tokens(alice.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "laptop");
    assert_eq!(listed[0].last_used_at, Some(at(50)));
    let unknown = Sha256Hex::digest(b"guess");
    assert_eq!(
        store.user_by_api_token(&unknown, at(51)).await.unwrap(),
        None
    );
}

pub async fn a_revoked_token_no_longer_authenticates_and_only_its_owner_can_revoke_it(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let mallory = user(&store, "mallory").await;
    let hash = Sha256Hex::digest(b"token secret");
    let token = store
        .create_api_token(alice.id, "ci", &hash, at(0))
        .await
        .unwrap();
    let error = store
        .revoke_api_token(mallory.id, token.id, at(1))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
    assert!(
        store
            .user_by_api_token(&hash, at(2))
            .await
            .unwrap()
            .is_some()
    );
    store
        .revoke_api_token(alice.id, token.id, at(3))
        .await
        .unwrap();
    assert_eq!(store.user_by_api_token(&hash, at(4)).await.unwrap(), None);
    assert!(store.list_api_tokens(alice.id).await.unwrap().is_empty());
    assert!(
        store
            .revoke_api_token(alice.id, token.id, at(5))
            .await
            .is_err()
    );
}

pub async fn a_tokens_last_use_is_written_at_most_once_a_minute(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let hash = Sha256Hex::digest(b"token secret");
    store
        .create_api_token(alice.id, "script", &hash, at(0))
        .await
        .unwrap();
    let last_used = || async { store.list_api_tokens(alice.id).await.unwrap()[0].last_used_at };
    for (now, recorded) in [(100, 100), (130, 100), (159, 100), (160, 160), (161, 160)] {
        let found = store.user_by_api_token(&hash, at(now)).await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(alice.id));
        assert_eq!(
            last_used().await,
            Some(at(recorded)),
            "after a use at {now}"
        );
    }
}

pub async fn revoking_all_of_a_users_tokens_leaves_other_users_tokens_alone(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let (a1, a2, b1) = (sha(1), sha(2), sha(3));
    for (owner, hash) in [(alice.id, &a1), (alice.id, &a2), (bob.id, &b1)] {
        store
            .create_api_token(owner, "t", hash, at(0))
            .await
            .unwrap();
    }
    assert_eq!(
        store.revoke_user_api_tokens(alice.id, at(1)).await.unwrap(),
        2
    );
    assert_eq!(store.user_by_api_token(&a1, at(2)).await.unwrap(), None);
    assert_eq!(store.user_by_api_token(&a2, at(2)).await.unwrap(), None);
    assert!(store.list_api_tokens(alice.id).await.unwrap().is_empty());
    assert_eq!(
        store
            .user_by_api_token(&b1, at(2))
            .await
            .unwrap()
            .map(|u| u.id),
        Some(bob.id)
    );
    // Nothing live is left to revoke.
    assert_eq!(
        store.revoke_user_api_tokens(alice.id, at(3)).await.unwrap(),
        0
    );
}

pub async fn the_first_stored_server_secret_wins_and_is_kept(store: Arc<dyn Store>) {
    let racers: Vec<_> = (0..8)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .server_secret("csrf", &format!("candidate {n}"), at(0))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for racer in racers {
        seen.insert(racer.await.unwrap());
    }
    assert_eq!(seen.len(), 1, "every caller got the same secret: {seen:?}");
    let kept = seen.into_iter().next().unwrap();
    assert!(kept.starts_with("candidate "));
    assert_eq!(
        store
            .server_secret("csrf", "a later one", at(1))
            .await
            .unwrap(),
        kept
    );
    assert_eq!(
        store
            .server_secret("other", "its own", at(1))
            .await
            .unwrap(),
        "its own"
    );
}

// ---- recordings ----

pub async fn a_new_upload_stores_the_recording_and_enqueues_one_job(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let outcome = store
        .add_upload(&upload(alice.id, 1), at(10), 100)
        .await
        .unwrap();
    assert!(outcome.newly_stored);
    let job_id = outcome.job.unwrap();
    let job = store
        .job_for_recording(outcome.recording)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.id, job_id);
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.attempts, 0);
    let recording = store
        .recording_by_id(outcome.recording)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(recording.sha256, sha(1));
    assert_eq!(recording.size, 1001);
    let seen = store
        .recording_for_owner(alice.id, outcome.recording)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.original_filename, "game-1.replay");
    assert_eq!(seen.uploaded_at, at(10));
    assert_eq!(seen.job_state, Some(JobState::Queued));
    assert!(!seen.analyzed);
}

pub async fn a_reupload_returns_the_existing_recording_with_no_new_job(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let first = store
        .add_upload(&upload(alice.id, 1), at(0), 100)
        .await
        .unwrap();
    let mut again = upload(alice.id, 1);
    again.original_filename = "renamed.replay".to_owned();
    let second = store.add_upload(&again, at(5), 100).await.unwrap();
    assert_eq!(second.recording, first.recording);
    assert!(!second.newly_stored);
    assert!(first.new_for_owner && !second.new_for_owner);
    assert_eq!(second.job, None);
    assert_eq!(store.job_counts().await.unwrap().queued, 1);
    let listed = store
        .list_recordings(alice.id, &RecordingFilter::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].original_filename, "game-1.replay");
}

pub async fn storage_used_counts_each_of_an_owners_recordings_once_shared_or_not(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    assert_eq!(store.storage_used(alice.id).await.unwrap(), 0);
    for (owner, n) in [(alice.id, 1), (alice.id, 2), (alice.id, 1), (bob.id, 2)] {
        store
            .add_upload(&upload(owner, n), at(0), 100)
            .await
            .unwrap();
    }
    // Recordings 1 and 2 are 1001 and 1002 bytes: alice's re-upload of 1
    // counts once, and bob's copy of 2 is his as much as hers.
    assert_eq!(store.storage_used(alice.id).await.unwrap(), 2003);
    assert_eq!(store.storage_used(bob.id).await.unwrap(), 1002);
    assert!(
        store
            .owns_recording_with_hash(alice.id, &sha(1))
            .await
            .unwrap()
    );
    assert!(
        !store
            .owns_recording_with_hash(bob.id, &sha(1))
            .await
            .unwrap()
    );
    assert!(
        !store
            .owns_recording_with_hash(alice.id, &sha(3))
            .await
            .unwrap()
    );
}

pub async fn one_recording_uploaded_by_two_owners_is_stored_once_analysed_once_and_seen_by_both(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let a = store
        .add_upload(&upload(alice.id, 7), at(0), 100)
        .await
        .unwrap();
    let b = store
        .add_upload(&upload(bob.id, 7), at(1), 100)
        .await
        .unwrap();
    assert_eq!(a.recording, b.recording);
    assert!(a.newly_stored && !b.newly_stored);
    assert!(a.new_for_owner && b.new_for_owner, "new to each owner");
    assert!(a.job.is_some() && b.job.is_none());
    assert_eq!(store.job_counts().await.unwrap().queued, 1);
    for owner in [alice.id, bob.id] {
        let seen = store.recording_for_owner(owner, a.recording).await.unwrap();
        assert_eq!(seen.map(|s| s.id), Some(a.recording));
        assert_eq!(store.jobs_for_user(owner, 10).await.unwrap().len(), 1);
    }
    let claimed = store.claim_job("w", at(2), LEASE).await.unwrap().unwrap();
    let out = output(0, "DFH Stadium", "Ranked Doubles", 2, [3, 1]);
    assert!(
        store
            .complete_job(claimed.job.id, "w", &out, at(3))
            .await
            .unwrap()
    );
    for owner in [alice.id, bob.id] {
        let json = store.analysis_for_owner(owner, a.recording).await.unwrap();
        assert_eq!(json.as_deref(), Some(out.report_json.as_str()));
    }
}

pub async fn a_user_who_does_not_own_a_recording_gets_none(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let mallory = user(&store, "mallory").await;
    analysed(&store, alice.id, 1, output(0, "m", "p", 1, [1, 0])).await;
    let id = store
        .list_recordings(alice.id, &RecordingFilter::default())
        .await
        .unwrap()[0]
        .id;
    assert_eq!(
        store.recording_for_owner(mallory.id, id).await.unwrap(),
        None
    );
    assert_eq!(
        store.analysis_for_owner(mallory.id, id).await.unwrap(),
        None
    );
    assert!(
        store
            .list_recordings(mallory.id, &RecordingFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .jobs_for_user(mallory.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_full_queue_refuses_a_new_upload_and_stores_nothing(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    store
        .add_upload(&upload(alice.id, 1), at(0), 2)
        .await
        .unwrap();
    store
        .add_upload(&upload(alice.id, 2), at(0), 2)
        .await
        .unwrap();
    let error = store
        .add_upload(&upload(alice.id, 3), at(0), 2)
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::QueueFull { depth: 2, max: 2 }),
        "{error:?}"
    );
    let listed = store
        .list_recordings(alice.id, &RecordingFilter::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|r| r.sha256 != sha(3)));
    assert_eq!(store.job_counts().await.unwrap().queued, 2);
    // Once a job is done there is room again.
    let claimed = store.claim_job("w", at(1), LEASE).await.unwrap().unwrap();
    let out = output(0, "m", "p", 1, [0, 0]);
    store
        .complete_job(claimed.job.id, "w", &out, at(1))
        .await
        .unwrap();
    let outcome = store
        .add_upload(&upload(alice.id, 3), at(2), 2)
        .await
        .unwrap();
    assert!(outcome.newly_stored);
}

pub async fn a_full_queue_still_accepts_a_reupload_of_a_stored_recording(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let first = store
        .add_upload(&upload(alice.id, 1), at(0), 1)
        .await
        .unwrap();
    let again = store
        .add_upload(&upload(bob.id, 1), at(1), 1)
        .await
        .unwrap();
    assert_eq!(again.recording, first.recording);
    assert_eq!(again.job, None);
}

pub async fn completing_a_job_saves_the_analysis_and_fills_the_summary_columns(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    analysed(
        &store,
        alice.id,
        1,
        output(-3600, "Mannfield", "Ranked Duels", 1, [2, 4]),
    )
    .await;
    let listed = store
        .list_recordings(alice.id, &RecordingFilter::default())
        .await
        .unwrap();
    let seen = &listed[0];
    assert!(seen.analyzed);
    assert_eq!(seen.job_state, Some(JobState::Done));
    assert_eq!(seen.played_at, Some(at(-3600)));
    assert_eq!(seen.map.as_deref(), Some("Mannfield"));
    assert_eq!(seen.match_type.as_deref(), Some("Ranked Duels"));
    assert_eq!(seen.team_size, Some(1));
    assert_eq!(seen.score, Some([2, 4]));
    let json = store.analysis_for_owner(alice.id, seen.id).await.unwrap();
    assert_eq!(json.as_deref(), Some("{\"map\":\"Mannfield\"}"));
    let job = store.job_for_recording(seen.id).await.unwrap().unwrap();
    assert_eq!(job.finished_at, Some(at(1)));
    assert!(
        store
            .recording_by_id(seen.id)
            .await
            .unwrap()
            .unwrap()
            .analyzed_at
            .is_some()
    );
}

/// Four analysed games for alice, as BluePlayer: won, lost, won, drawn.
async fn four_games(store: &Arc<dyn Store>) -> User {
    let alice = user(store, "alice").await;
    store
        .set_player_names(alice.id, &["blueplayer".to_owned()], at(0))
        .await
        .unwrap();
    analysed(
        store,
        alice.id,
        1,
        output(100, "Mannfield", "Ranked Duels", 1, [3, 1]),
    )
    .await;
    analysed(
        store,
        alice.id,
        2,
        output(200, "Mannfield", "Ranked Doubles", 2, [0, 2]),
    )
    .await;
    analysed(
        store,
        alice.id,
        3,
        output(300, "Neo Tokyo", "Ranked Standard", 3, [5, 4]),
    )
    .await;
    analysed(
        store,
        alice.id,
        4,
        output(400, "Neo Tokyo", "Ranked Doubles", 2, [1, 1]),
    )
    .await;
    alice
}

async fn shas(store: &Arc<dyn Store>, owner: UserId, filter: RecordingFilter) -> Vec<Sha256Hex> {
    store
        .list_recordings(owner, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.sha256)
        .collect()
}

pub async fn the_games_list_filters_by_date_playlist_map_team_size_and_result(
    store: Arc<dyn Store>,
) {
    let alice = four_games(&store).await;
    let all = RecordingFilter::default();
    assert_eq!(
        shas(&store, alice.id, all.clone()).await,
        vec![sha(4), sha(3), sha(2), sha(1)]
    );
    let dated = RecordingFilter {
        played_from: Some(at(200)),
        played_to: Some(at(400)),
        ..all.clone()
    };
    assert_eq!(shas(&store, alice.id, dated).await, vec![sha(3), sha(2)]);
    let playlist = RecordingFilter {
        match_type: Some("ranked doubles".to_owned()),
        ..all.clone()
    };
    assert_eq!(shas(&store, alice.id, playlist).await, vec![sha(4), sha(2)]);
    let map = RecordingFilter {
        map: Some("Mannfield".to_owned()),
        ..all.clone()
    };
    assert_eq!(shas(&store, alice.id, map).await, vec![sha(2), sha(1)]);
    let size = RecordingFilter {
        team_size: Some(3),
        ..all.clone()
    };
    assert_eq!(shas(&store, alice.id, size).await, vec![sha(3)]);
    let wins = RecordingFilter {
        result: Some(OwnerOutcome::Win),
        ..all.clone()
    };
    assert_eq!(shas(&store, alice.id, wins).await, vec![sha(3), sha(1)]);
    let losses = RecordingFilter {
        result: Some(OwnerOutcome::Loss),
        map: Some("Mannfield".to_owned()),
        ..all.clone()
    };
    assert_eq!(shas(&store, alice.id, losses).await, vec![sha(2)]);
    let page = RecordingFilter {
        limit: 2,
        offset: 1,
        ..all
    };
    assert_eq!(shas(&store, alice.id, page).await, vec![sha(3), sha(2)]);
}

pub async fn the_games_list_counts_its_matches_and_offers_the_filter_choices(
    store: Arc<dyn Store>,
) {
    let alice = four_games(&store).await;
    let bob = user(&store, "bob").await;
    let doubles = RecordingFilter {
        match_type: Some("Ranked Doubles".to_owned()),
        limit: 1,
        ..RecordingFilter::default()
    };
    assert_eq!(store.count_recordings(alice.id, &doubles).await.unwrap(), 2);
    let all = RecordingFilter::default();
    assert_eq!(store.count_recordings(alice.id, &all).await.unwrap(), 4);
    assert_eq!(store.count_recordings(bob.id, &all).await.unwrap(), 0);
    let facets = store.recording_facets(alice.id).await.unwrap();
    assert_eq!(facets.maps, vec!["Mannfield", "Neo Tokyo"]);
    assert_eq!(
        facets.match_types,
        vec!["Ranked Doubles", "Ranked Duels", "Ranked Standard"]
    );
    assert_eq!(facets.team_sizes, vec![1, 2, 3]);
    assert_eq!(
        store.recording_facets(bob.id).await.unwrap(),
        Default::default()
    );
}

pub async fn the_games_list_sorts_in_both_directions_with_unknown_values_last(
    store: Arc<dyn Store>,
) {
    let alice = four_games(&store).await;
    // An upload not analysed yet has no map or team size.
    store
        .add_upload(&upload(alice.id, 5), at(50), 100)
        .await
        .unwrap();
    let by = |sort, descending| RecordingFilter {
        sort,
        descending,
        ..RecordingFilter::default()
    };
    let ascending_played = shas(&store, alice.id, by(RecordingSort::PlayedAt, false)).await;
    // Before analysis a game sorts by its upload time (at 50).
    assert_eq!(
        ascending_played,
        vec![sha(5), sha(1), sha(2), sha(3), sha(4)]
    );
    let maps = shas(&store, alice.id, by(RecordingSort::Map, false)).await;
    assert_eq!(maps.last(), Some(&sha(5)));
    assert_eq!(
        &maps[..2].iter().collect::<HashSet<_>>(),
        &[&sha(1), &sha(2)].into()
    );
    let sizes = shas(&store, alice.id, by(RecordingSort::TeamSize, true)).await;
    assert_eq!(sizes.first(), Some(&sha(3)));
    assert_eq!(sizes.last(), Some(&sha(5)));
    let types = shas(&store, alice.id, by(RecordingSort::MatchType, true)).await;
    assert_eq!(types.first(), Some(&sha(3)));
    assert_eq!(types.last(), Some(&sha(5)));
    let uploaded = shas(&store, alice.id, by(RecordingSort::UploadedAt, true)).await;
    assert_eq!(uploaded.first(), Some(&sha(5)));
}

pub async fn a_user_can_be_put_on_a_plan_and_back_on_the_default(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    assert_eq!(store.user_plan(alice.id).await.unwrap(), None);
    store.set_user_plan(alice.id, Some("pro")).await.unwrap();
    assert_eq!(
        store.user_plan(alice.id).await.unwrap().as_deref(),
        Some("pro")
    );
    assert_eq!(store.user_plan(bob.id).await.unwrap(), None);
    store.set_user_plan(alice.id, None).await.unwrap();
    assert_eq!(store.user_plan(alice.id).await.unwrap(), None);
    assert!(matches!(
        store.set_user_plan(UserId::new(), Some("pro")).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn the_result_follows_the_users_player_names_or_their_username(store: Arc<dyn Store>) {
    // "orangeplayer" is a username that matches a player in the game.
    let orange = user(&store, "orangeplayer").await;
    let nobody = user(&store, "nobody").await;
    let by_id = user(&store, "byid").await;
    analysed(&store, orange.id, 1, output(0, "m", "p", 1, [3, 1])).await;
    store
        .add_upload(&upload(nobody.id, 1), at(1), 100)
        .await
        .unwrap();
    store
        .add_upload(&upload(by_id.id, 1), at(1), 100)
        .await
        .unwrap();
    store
        .set_player_names(by_id.id, &["steam:1".to_owned(), "  ".to_owned()], at(0))
        .await
        .unwrap();
    assert_eq!(
        store.player_names(by_id.id).await.unwrap(),
        vec!["steam:1".to_owned()]
    );
    let result_of = |u: UserId| {
        let store = store.clone();
        async move {
            store
                .list_recordings(u, &RecordingFilter::default())
                .await
                .unwrap()[0]
                .outcome
        }
    };
    assert_eq!(result_of(orange.id).await, OwnerOutcome::Loss);
    assert_eq!(result_of(nobody.id).await, OwnerOutcome::Unknown);
    assert_eq!(result_of(by_id.id).await, OwnerOutcome::Win);
}

// ---- jobs ----

pub async fn a_claimed_job_is_leased_to_one_worker_and_heartbeats_extend_the_lease(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    store
        .add_upload(&upload(alice.id, 1), at(0), 100)
        .await
        .unwrap();
    let claimed = store.claim_job("a", at(0), LEASE).await.unwrap().unwrap();
    assert_eq!(claimed.sha256, sha(1));
    assert_eq!(claimed.kind, RecordingKind::from_static("rl_replay"));
    assert_eq!(claimed.job.state, JobState::Running);
    assert_eq!(claimed.job.attempts, 1);
    assert_eq!(claimed.job.worker_id.as_deref(), Some("a"));
    assert_eq!(claimed.job.lease_until, Some(at(60)));
    assert!(store.claim_job("b", at(30), LEASE).await.unwrap().is_none());
    assert!(
        store
            .heartbeat_job(claimed.job.id, "a", at(50), LEASE)
            .await
            .unwrap()
    );
    assert!(
        !store
            .heartbeat_job(claimed.job.id, "b", at(50), LEASE)
            .await
            .unwrap()
    );
    // The lease now runs to 110: at 100 nobody else may take the job.
    assert!(
        store
            .claim_job("b", at(100), LEASE)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.job_counts().await.unwrap().running, 1);
}

pub async fn a_job_whose_lease_expired_is_recovered_by_another_worker(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    store
        .add_upload(&upload(alice.id, 1), at(0), 100)
        .await
        .unwrap();
    let first = store.claim_job("a", at(0), LEASE).await.unwrap().unwrap();
    let second = store.claim_job("b", at(61), LEASE).await.unwrap().unwrap();
    assert_eq!(second.job.id, first.job.id);
    assert_eq!(second.job.attempts, 2);
    let out = output(0, "m", "p", 1, [1, 0]);
    // The worker that lost its lease can neither heartbeat nor complete.
    assert!(
        !store
            .heartbeat_job(first.job.id, "a", at(62), LEASE)
            .await
            .unwrap()
    );
    assert!(
        !store
            .complete_job(first.job.id, "a", &out, at(62))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .fail_job(first.job.id, "a", "late", at(62), &Backoff::default())
            .await
            .unwrap(),
        FailOutcome::LeaseLost
    );
    assert!(
        store
            .complete_job(second.job.id, "b", &out, at(63))
            .await
            .unwrap()
    );
    assert!(
        !store
            .complete_job(second.job.id, "b", &out, at(64))
            .await
            .unwrap()
    );
    let counts = store.job_counts().await.unwrap();
    assert_eq!((counts.done, counts.running, counts.queued), (1, 0, 0));
}

pub async fn a_failed_job_is_retried_with_exponential_backoff_then_dead_lettered(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let outcome = store
        .add_upload(&upload(alice.id, 1), at(0), 100)
        .await
        .unwrap();
    let backoff = Backoff {
        base: Duration::from_secs(10),
        max: Duration::from_secs(15),
    };
    let job = store
        .claim_job("w", at(0), LEASE)
        .await
        .unwrap()
        .unwrap()
        .job
        .id;
    let first = store
        .fail_job(job, "w", "boom 1", at(5), &backoff)
        .await
        .unwrap();
    assert_eq!(first, FailOutcome::Retry { run_after: at(15) });
    assert!(store.claim_job("w", at(14), LEASE).await.unwrap().is_none());
    let again = store.claim_job("w", at(15), LEASE).await.unwrap().unwrap();
    assert_eq!(again.job.last_error.as_deref(), Some("boom 1"));
    // 10 * 2 = 20 is capped at 15.
    let second = store
        .fail_job(job, "w", "boom 2", at(20), &backoff)
        .await
        .unwrap();
    assert_eq!(second, FailOutcome::Retry { run_after: at(35) });
    let last = store.claim_job("w", at(35), LEASE).await.unwrap().unwrap();
    assert_eq!(last.job.attempts, 3);
    let third = store
        .fail_job(job, "w", "boom 3", at(36), &backoff)
        .await
        .unwrap();
    assert_eq!(third, FailOutcome::Dead);
    assert!(
        store
            .claim_job("w", at(10_000), LEASE)
            .await
            .unwrap()
            .is_none()
    );
    let dead = store
        .job_for_recording(outcome.recording)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(dead.last_error.as_deref(), Some("boom 3"));
    let seen = store
        .recording_for_owner(alice.id, outcome.recording)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.job_state, Some(JobState::Dead));
    assert_eq!(seen.last_error.as_deref(), Some("boom 3"));
    assert_eq!(store.job_counts().await.unwrap().dead, 1);
}

pub async fn an_expired_last_attempt_is_dead_lettered_instead_of_claimed_again(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let outcome = store
        .add_upload(&upload(alice.id, 1), at(0), 100)
        .await
        .unwrap();
    for round in 0..3 {
        let claimed = store
            .claim_job("crashy", at(round * 100), LEASE)
            .await
            .unwrap();
        assert!(claimed.is_some(), "attempt {}", round + 1);
    }
    assert!(
        store
            .claim_job("w", at(300), LEASE)
            .await
            .unwrap()
            .is_none()
    );
    let job = store
        .job_for_recording(outcome.recording)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.state, JobState::Dead);
    assert!(job.last_error.is_some());
}

pub async fn a_released_job_goes_back_to_the_queue_without_spending_an_attempt(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    store
        .add_upload(&upload(alice.id, 1), at(0), 100)
        .await
        .unwrap();
    let claimed = store.claim_job("a", at(0), LEASE).await.unwrap().unwrap();
    assert!(!store.release_job(claimed.job.id, "b", at(1)).await.unwrap());
    assert!(store.release_job(claimed.job.id, "a", at(1)).await.unwrap());
    let again = store.claim_job("b", at(1), LEASE).await.unwrap().unwrap();
    assert_eq!(again.job.id, claimed.job.id);
    assert_eq!(again.job.attempts, 1);
}

pub async fn concurrent_claims_never_hand_one_job_to_two_workers(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    for n in 0..20 {
        store
            .add_upload(&upload(alice.id, n), at(0), 100)
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("worker-{worker}");
            let mut mine = Vec::new();
            while let Some(claimed) = store.claim_job(&name, at(1), LEASE).await.unwrap() {
                let out = output(0, "m", "p", 1, [0, 0]);
                assert!(
                    store
                        .complete_job(claimed.job.id, &name, &out, at(2))
                        .await
                        .unwrap()
                );
                mine.push(claimed.job.id);
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 20);
    assert_eq!(distinct.len(), 20);
    assert_eq!(store.job_counts().await.unwrap().done, 20);
}

pub async fn job_counts_and_a_users_jobs_follow_the_queue(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    for n in 0..3 {
        store
            .add_upload(&upload(alice.id, n), at(i64::from(n)), 100)
            .await
            .unwrap();
    }
    store
        .add_upload(&upload(bob.id, 9), at(5), 100)
        .await
        .unwrap();
    store.claim_job("w", at(10), LEASE).await.unwrap().unwrap();
    let counts = store.job_counts().await.unwrap();
    assert_eq!(
        (counts.queued, counts.running, counts.done, counts.dead),
        (3, 1, 0, 0)
    );
    let jobs = store.jobs_for_user(alice.id, 10).await.unwrap();
    let names: Vec<_> = jobs.iter().map(|j| j.original_filename.as_str()).collect();
    assert_eq!(
        names,
        vec!["game-2.replay", "game-1.replay", "game-0.replay"]
    );
    assert_eq!(store.jobs_for_user(alice.id, 2).await.unwrap().len(), 2);
    assert_eq!(store.jobs_for_user(bob.id, 10).await.unwrap().len(), 1);
}

pub async fn expiring_a_nodes_leases_frees_only_its_jobs_for_recovery(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    for n in 0..3 {
        store
            .add_upload(&upload(alice.id, n), at(0), 100)
            .await
            .unwrap();
    }
    let old_a = store
        .claim_job("node-a-100-w0", at(0), LEASE)
        .await
        .unwrap()
        .unwrap();
    let old_b = store
        .claim_job("node-a-100-w1", at(0), LEASE)
        .await
        .unwrap()
        .unwrap();
    let other = store
        .claim_job("node-b-7-w0", at(0), LEASE)
        .await
        .unwrap()
        .unwrap();
    // A look-alike prefix with different case is another node.
    assert_eq!(
        store.expire_worker_leases("NODE-A-", at(5)).await.unwrap(),
        0
    );
    assert_eq!(
        store.expire_worker_leases("node-a-", at(5)).await.unwrap(),
        2
    );
    let mut recovered = HashSet::new();
    for w in 0..3 {
        let worker = format!("node-a-200-w{w}");
        if let Some(claimed) = store.claim_job(&worker, at(5), LEASE).await.unwrap() {
            assert_eq!(claimed.job.attempts, 2);
            recovered.insert(claimed.job.id);
        }
    }
    assert_eq!(recovered, [old_a.job.id, old_b.job.id].into());
    assert!(
        store
            .heartbeat_job(other.job.id, "node-b-7-w0", at(6), LEASE)
            .await
            .unwrap()
    );
}

pub async fn a_store_answers_a_ping(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    assert!(!store.backend().is_empty());
}

pub async fn racing_first_sign_ups_make_exactly_one_admin(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let username = name(&format!("racer{n}"));
                store.create_user(&username, "h", at(0)).await.unwrap()
            })
        })
        .collect();
    let mut admins = 0;
    for task in tasks {
        admins += usize::from(task.await.unwrap().is_admin);
    }
    assert_eq!(admins, 1);
    let stored = store.list_users().await.unwrap();
    assert_eq!(stored.iter().filter(|u| u.is_admin).count(), 1);
}

pub async fn racing_uploads_of_the_same_bytes_store_it_once_with_one_job(store: Arc<dyn Store>) {
    let mut owners = Vec::new();
    for n in 0..8 {
        owners.push(user(&store, &format!("owner{n}")).await.id);
    }
    let tasks: Vec<_> = owners
        .iter()
        .map(|&owner| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .add_upload(&upload(owner, 42), at(0), 100)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let recordings: HashSet<_> = outcomes.iter().map(|o| o.recording).collect();
    assert_eq!(recordings.len(), 1);
    assert_eq!(outcomes.iter().filter(|o| o.newly_stored).count(), 1);
    assert_eq!(outcomes.iter().filter(|o| o.job.is_some()).count(), 1);
    assert_eq!(store.job_counts().await.unwrap().queued, 1);
    for owner in owners {
        let listed = store
            .list_recordings(owner, &RecordingFilter::default())
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
    }
}

pub async fn a_worker_restarted_under_the_same_id_takes_back_its_orphaned_job_at_once(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    store
        .add_upload(&upload(alice.id, 1), at(0), 100)
        .await
        .unwrap();
    store
        .add_upload(&upload(alice.id, 2), at(1), 100)
        .await
        .unwrap();
    // w0 "crashes" holding a job.
    let orphan = store.claim_job("w0", at(5), LEASE).await.unwrap().unwrap();
    // Another worker cannot take it while the lease runs.
    let other = store.claim_job("w1", at(6), LEASE).await.unwrap().unwrap();
    assert_ne!(other.job.id, orphan.job.id);
    // The restarted w0 gets its own orphan back first, long before the lease ends.
    let again = store.claim_job("w0", at(7), LEASE).await.unwrap().unwrap();
    assert_eq!(again.job.id, orphan.job.id);
    assert_eq!(again.job.attempts, 2);
    assert_eq!(again.job.lease_until, Some(at(7) + LEASE));
    // On its last attempt, the orphan is dead-lettered instead.
    store.claim_job("w0", at(8), LEASE).await.unwrap().unwrap();
    assert!(store.claim_job("w0", at(9), LEASE).await.unwrap().is_none());
    let dead = store
        .job_for_recording(orphan.job.recording_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dead.state, JobState::Dead);
}

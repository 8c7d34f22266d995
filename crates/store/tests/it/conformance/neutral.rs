//! The neutral analysis: stored in its tables when a job completes, read back
//! for owners only, replaced whole by a re-analysis; "me" from identity links
//! and each owner's stored outcome. Part of the conformance suite.

use std::collections::BTreeMap;
use std::sync::Arc;

use filmroom_domain::{
    Analysis, Event, Facts, Metric, Outcome, Participant, Passage, Side, Span, Subject, Unit,
};
use filmroom_store::{
    CoachHitSource, JobState, OwnerOutcome, ReanalysisScope, RecordingFilter, RecordingId,
    RecordingOrder, RecordingQuery, Store,
};

use super::{LEASE, analysed, at, output, upload, user};

const RL: &str = "rl_replay";

/// The neutral analysis `output` carries: the same two players and score
/// (each side's `core.goals`, as the Rocket League domain stores it).
pub fn neutral_of(
    played_at: i64,
    map: &str,
    playlist: &str,
    size: u32,
    score: [u32; 2],
) -> Analysis {
    let outcome = match score[0].cmp(&score[1]) {
        std::cmp::Ordering::Greater => Outcome::Winner {
            side: "blue".into(),
        },
        std::cmp::Ordering::Less => Outcome::Winner {
            side: "orange".into(),
        },
        std::cmp::Ordering::Equal => Outcome::Draw,
    };
    let me = Subject::Participant("steam:1".into());
    Analysis {
        facts: Facts {
            title: format!("{map} {size}v{size}"),
            occurred_at: Some(at(played_at)),
            duration_s: Some(300.0),
            facets: BTreeMap::from([
                ("map".to_owned(), map.to_owned()),
                ("playlist".to_owned(), playlist.to_owned()),
                ("team_size".to_owned(), size.to_string()),
            ]),
            outcome,
        },
        sides: vec![
            Side {
                key: "blue".into(),
                display_name: "Blue".into(),
            },
            Side {
                key: "orange".into(),
                display_name: "Orange".into(),
            },
        ],
        participants: vec![
            Participant {
                key: "steam:1".into(),
                display_name: "BluePlayer".into(),
                side: Some("blue".into()),
                is_bot: false,
            },
            Participant {
                key: "epic:2".into(),
                display_name: "OrangePlayer".into(),
                side: Some("orange".into()),
                is_bot: false,
            },
        ],
        metrics: vec![
            Metric {
                subject: me.clone(),
                key: "core.goals".into(),
                value: f64::from(score[0]),
                unit: Unit::Count,
                higher_is_better: Some(true),
            },
            Metric {
                subject: Subject::Participant("epic:2".into()),
                key: "core.goals".into(),
                value: f64::from(score[1]),
                unit: Unit::Count,
                higher_is_better: Some(true),
            },
            Metric {
                subject: Subject::Side("blue".into()),
                key: "boost.bpm".into(),
                value: 350.5 + f64::from(u32::try_from(played_at).unwrap_or(0) % 7),
                unit: Unit::PerMinute,
                higher_is_better: None,
            },
            Metric {
                subject: Subject::Recording,
                key: "core.duration".into(),
                value: 300.0,
                unit: Unit::Seconds,
                higher_is_better: None,
            },
            Metric {
                subject: Subject::Side("blue".into()),
                key: "core.goals".into(),
                value: f64::from(score[0]),
                unit: Unit::Count,
                higher_is_better: Some(true),
            },
            Metric {
                subject: Subject::Side("orange".into()),
                key: "core.goals".into(),
                value: f64::from(score[1]),
                unit: Unit::Count,
                higher_is_better: Some(true),
            },
        ],
        events: vec![
            Event {
                t_s: 65.25,
                kind: "goal".into(),
                subject: me,
                label: "Goal by BluePlayer".into(),
                position: Some([0.0, 5100.0, 93.1]),
                payload: serde_json::json!({ "assist": null, "speed": 97.5 }),
            },
            Event {
                t_s: 120.0,
                kind: "save".into(),
                subject: Subject::Participant("epic:2".into()),
                label: "Save by OrangePlayer".into(),
                position: None,
                payload: serde_json::Value::Null,
            },
        ],
        passages: vec![
            Passage {
                span: Span::Time {
                    start_s: 60.0,
                    end_s: 70.0,
                },
                text: "1:05 Goal by BluePlayer for blue (1-0)".into(),
            },
            Passage {
                span: Span::Page { page: 2 },
                text: "A page-anchored passage round-trips too.".into(),
            },
        ],
        report: serde_json::json!({ "map": map }),
        revision: 7,
        degraded: None,
    }
}

async fn outcome_of(store: &Arc<dyn Store>, owner: filmroom_store::UserId, n: u32) -> OwnerOutcome {
    let id = recording_of(store, owner, n).await;
    store
        .stored_analysis_for_owner(owner, id)
        .await
        .unwrap()
        .unwrap()
        .outcome
}

async fn recording_of(
    store: &Arc<dyn Store>,
    owner: filmroom_store::UserId,
    n: u32,
) -> RecordingId {
    store
        .add_upload(&upload(owner, n), at(0), 100)
        .await
        .unwrap()
        .recording
}

pub async fn a_completed_job_stores_the_neutral_analysis_and_only_owners_read_it(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let mallory = user(&store, "mallory").await;
    analysed(
        &store,
        alice.id,
        1,
        output(100, "Mannfield", "Online", 2, [2, 1]),
    )
    .await;
    let id = recording_of(&store, alice.id, 1).await;

    let stored = store
        .stored_analysis_for_owner(alice.id, id)
        .await
        .unwrap()
        .unwrap();
    let expected = neutral_of(100, "Mannfield", "Online", 2, [2, 1]);
    assert_eq!(stored.kind, RL);
    assert_eq!(stored.facts, expected.facts);
    assert_eq!(stored.sides, expected.sides);
    assert_eq!(stored.participants, expected.participants);
    assert_eq!(stored.metrics, expected.metrics);
    assert_eq!(stored.events, expected.events);
    assert_eq!(stored.passages, expected.passages);
    assert_eq!(stored.revision, 7);
    assert_eq!(stored.degraded, None);
    // Nobody is linked yet: no "me", no outcome.
    assert_eq!(stored.me, None);
    assert_eq!(stored.outcome, OwnerOutcome::Unknown);

    assert!(
        store
            .stored_analysis_for_owner(mallory.id, id)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn an_owners_outcome_follows_their_identity_links(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    analysed(
        &store,
        alice.id,
        1,
        output(100, "Mannfield", "Online", 2, [2, 1]),
    )
    .await;
    analysed(
        &store,
        alice.id,
        2,
        output(200, "Mannfield", "Online", 2, [1, 1]),
    )
    .await;

    store
        .link_identity(alice.id, RL, "steam:1", at(5))
        .await
        .unwrap();
    assert_eq!(outcome_of(&store, alice.id, 1).await, OwnerOutcome::Win);
    assert_eq!(outcome_of(&store, alice.id, 2).await, OwnerOutcome::Draw);
    let id = recording_of(&store, alice.id, 1).await;
    let stored = store
        .stored_analysis_for_owner(alice.id, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.me.as_deref(), Some("steam:1"));

    // Linking again changes nothing; a link of another kind matches nothing.
    store
        .link_identity(alice.id, RL, "steam:1", at(6))
        .await
        .unwrap();
    assert_eq!(store.identity_links(alice.id).await.unwrap().len(), 1);
    assert!(
        store
            .unlink_identity(alice.id, RL, "steam:1")
            .await
            .unwrap()
    );
    store
        .link_identity(alice.id, "talk", "steam:1", at(7))
        .await
        .unwrap();
    assert_eq!(outcome_of(&store, alice.id, 1).await, OwnerOutcome::Unknown);

    store
        .link_identity(alice.id, RL, "epic:2", at(8))
        .await
        .unwrap();
    assert_eq!(outcome_of(&store, alice.id, 1).await, OwnerOutcome::Loss);
    assert!(
        !store
            .unlink_identity(alice.id, RL, "steam:1")
            .await
            .unwrap()
    );
    assert!(store.unlink_identity(alice.id, RL, "epic:2").await.unwrap());
    assert_eq!(outcome_of(&store, alice.id, 1).await, OwnerOutcome::Unknown);
}

pub async fn a_name_link_matches_a_participant_by_display_name_ignoring_case(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    analysed(
        &store,
        alice.id,
        1,
        output(100, "Mannfield", "Online", 2, [0, 3]),
    )
    .await;
    store
        .link_identity(alice.id, RL, "name:orangeplayer", at(5))
        .await
        .unwrap();
    assert_eq!(outcome_of(&store, alice.id, 1).await, OwnerOutcome::Win);
    let links = store.identity_links(alice.id).await.unwrap();
    assert_eq!(links[0].participant, "name:orangeplayer");
    assert_eq!(links[0].created_at, at(5));
}

pub async fn player_names_become_rocket_league_links_and_set_the_outcome(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    analysed(
        &store,
        alice.id,
        1,
        output(100, "Mannfield", "Online", 2, [2, 1]),
    )
    .await;
    store
        .set_player_names(alice.id, &["OrangePlayer".to_owned()], at(3))
        .await
        .unwrap();
    assert_eq!(outcome_of(&store, alice.id, 1).await, OwnerOutcome::Loss);
    store
        .set_player_names(alice.id, &["steam:1".to_owned()], at(4))
        .await
        .unwrap();
    let links = store.identity_links(alice.id).await.unwrap();
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].participant, "steam:1");
    assert_eq!(outcome_of(&store, alice.id, 1).await, OwnerOutcome::Win);
}

pub async fn a_second_owner_of_an_analysed_recording_gets_their_own_outcome_at_upload(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    store
        .link_identity(alice.id, RL, "steam:1", at(0))
        .await
        .unwrap();
    store
        .link_identity(bob.id, RL, "epic:2", at(0))
        .await
        .unwrap();
    analysed(
        &store,
        alice.id,
        1,
        output(100, "Mannfield", "Online", 2, [2, 1]),
    )
    .await;
    // Bob uploads the same bytes after the analysis: no new job, his outcome is set.
    let outcome = store
        .add_upload(&upload(bob.id, 1), at(9), 100)
        .await
        .unwrap();
    assert!(outcome.job.is_none());
    assert_eq!(outcome_of(&store, alice.id, 1).await, OwnerOutcome::Win);
    assert_eq!(outcome_of(&store, bob.id, 1).await, OwnerOutcome::Loss);
}

pub async fn a_reanalysis_replaces_every_neutral_row(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    store
        .link_identity(alice.id, RL, "steam:1", at(0))
        .await
        .unwrap();
    analysed(
        &store,
        alice.id,
        1,
        output(100, "Mannfield", "Online", 2, [2, 1]),
    )
    .await;
    let id = recording_of(&store, alice.id, 1).await;

    let job = store.enqueue_job(id, at(10), 3).await.unwrap();
    let claimed = store.claim_job("w", at(10), LEASE).await.unwrap().unwrap();
    assert_eq!(claimed.job.id, job);
    let mut again = output(100, "Mannfield", "Online", 2, [0, 4]);
    let neutral = again.neutral.as_mut().unwrap();
    neutral.revision = 8;
    neutral.metrics.truncate(1);
    neutral.events.clear();
    neutral.passages.truncate(1);
    neutral.facts.facets.retain(|facet, _| facet == "map");
    assert!(store.complete_job(job, "w", &again, at(11)).await.unwrap());

    let stored = store
        .stored_analysis_for_owner(alice.id, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.revision, 8);
    assert_eq!(stored.metrics.len(), 1);
    assert_eq!(stored.metrics[0].value, 0.0);
    assert!(stored.events.is_empty());
    assert_eq!(stored.passages.len(), 1);
    assert_eq!(stored.facts.facets.len(), 1);
    assert_eq!(stored.outcome, OwnerOutcome::Loss);
}

pub async fn my_metric_series_follows_me_across_recordings_in_time_order(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    analysed(
        &store,
        alice.id,
        1,
        output(300, "Mannfield", "Online", 2, [3, 0]),
    )
    .await;
    analysed(
        &store,
        alice.id,
        2,
        output(100, "Mannfield", "Online", 2, [1, 2]),
    )
    .await;
    analysed(
        &store,
        bob.id,
        3,
        output(200, "Mannfield", "Online", 2, [5, 0]),
    )
    .await;
    // Not linked: no series at all.
    assert!(
        store
            .my_metric_series(alice.id, RL, "core.goals")
            .await
            .unwrap()
            .is_empty()
    );
    store
        .link_identity(alice.id, RL, "steam:1", at(0))
        .await
        .unwrap();
    let series = store
        .my_metric_series(alice.id, RL, "core.goals")
        .await
        .unwrap();
    let points: Vec<(i64, f64, OwnerOutcome)> = series
        .iter()
        .map(|p| (p.played_at.unwrap().unix_timestamp(), p.value, p.outcome))
        .collect();
    assert_eq!(
        points,
        [
            (at(100).unix_timestamp(), 1.0, OwnerOutcome::Loss),
            (at(300).unix_timestamp(), 3.0, OwnerOutcome::Win),
        ]
    );
    // A side metric is not "my" metric; an unknown key is an empty series.
    assert!(
        store
            .my_metric_series(alice.id, RL, "boost.bpm")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .my_metric_series(alice.id, "talk", "core.goals")
            .await
            .unwrap()
            .is_empty()
    );
}

// ---- the coach's text search ----

/// (recording n, source, start) of each hit, in order.
async fn search_hits(
    store: &Arc<dyn Store>,
    owner: filmroom_store::UserId,
    text: &str,
    numbers: &[(RecordingId, u32)],
) -> Vec<(u32, CoachHitSource, f64)> {
    store
        .coach_search(owner, text, 50)
        .await
        .unwrap()
        .iter()
        .map(|hit| {
            let n = numbers
                .iter()
                .find(|(id, _)| id.to_string() == hit.recording_id)
                .map_or(0, |(_, n)| *n);
            (n, hit.source, hit.start_seconds)
        })
        .collect()
}

pub async fn the_coach_search_finds_word_prefixes_in_order_in_the_owners_recordings_only(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    analysed(
        &store,
        alice.id,
        1,
        output(300, "Mannfield", "Online", 2, [1, 0]),
    )
    .await;
    analysed(
        &store,
        alice.id,
        2,
        output(100, "Mannfield", "Online", 2, [1, 0]),
    )
    .await;
    analysed(
        &store,
        bob.id,
        3,
        output(200, "Mannfield", "Online", 2, [1, 0]),
    )
    .await;
    let numbers = [
        (recording_of(&store, alice.id, 1).await, 1),
        (recording_of(&store, alice.id, 2).await, 2),
        (recording_of(&store, bob.id, 3).await, 3),
    ];
    use CoachHitSource::{Event, Passage};
    // Newest recording first; in one, by time: the passage (60 s), then the
    // goal event (65.25 s). The page-anchored passage has no time: never a hit.
    let goals = vec![
        (1, Passage, 60.0),
        (1, Event, 65.25),
        (2, Passage, 60.0),
        (2, Event, 65.25),
    ];
    for text in [
        "goal by",
        "GOAL BY blueplayer",
        "Goal",
        "  goal   by ",
        "go b",
    ] {
        assert_eq!(
            search_hits(&store, alice.id, text, &numbers).await,
            goals,
            "{text}"
        );
    }
    // Prefixes of words, in the text's order; a word's middle is no match.
    assert_eq!(
        search_hits(&store, alice.id, "save by orange", &numbers).await,
        vec![(1, Event, 120.0), (2, Event, 120.0)]
    );
    for text in [
        "by goal",
        "oal",
        "blueplayer goal",
        "page-anchored",
        "demolished",
    ] {
        assert_eq!(
            search_hits(&store, alice.id, text, &numbers).await,
            [],
            "{text}"
        );
    }
    // Bob's recording, with the same texts, is only ever his.
    assert_eq!(
        search_hits(&store, bob.id, "goal", &numbers).await,
        vec![(3, Passage, 60.0), (3, Event, 65.25)]
    );
    let limited = store.coach_search(alice.id, "goal", 3).await.unwrap();
    assert_eq!(limited.len(), 3);
}

pub async fn any_text_is_a_valid_coach_search_and_the_index_follows_reanalysis(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    analysed(
        &store,
        alice.id,
        1,
        output(300, "Mannfield", "Online", 2, [1, 0]),
    )
    .await;
    let id = recording_of(&store, alice.id, 1).await;
    let numbers = [(id, 1)];
    // FTS5 operators, quotes, column filters and SQL are only separators or
    // words to it: never a syntax error.
    for text in [
        "\"",
        "\"goal",
        "goal\" OR \"save",
        "NEAR(goal save)",
        "*",
        "-goal",
        "label:goal",
        "^goal",
        "AND",
        "OR",
        "NOT goal",
        ")(",
        "'; DROP TABLE events; --",
        "{label}: x",
        "",
        "  ",
        "!!",
        "g*o*a*l",
    ] {
        store
            .coach_search(alice.id, text, 50)
            .await
            .unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
    // Quoted or starred, a word is still that word.
    for text in ["\"goal\"", "goal*", "-goal", "(goal)"] {
        assert_eq!(
            search_hits(&store, alice.id, text, &numbers).await.len(),
            2,
            "{text}"
        );
    }
    // Every piece is a word of the phrase, so a column filter is not one.
    for text in ["g*o*a*l", "label:goal"] {
        assert_eq!(
            search_hits(&store, alice.id, text, &numbers).await,
            [],
            "{text}"
        );
    }

    // A re-analysis replaces the indexed texts with the new ones.
    let job = store.enqueue_job(id, at(10), 3).await.unwrap();
    let claimed = store.claim_job("w", at(10), LEASE).await.unwrap().unwrap();
    assert_eq!(claimed.job.id, job);
    let mut again = output(300, "Mannfield", "Online", 2, [1, 0]);
    let neutral = again.neutral.as_mut().unwrap();
    neutral.events.truncate(1);
    neutral.events[0].label = "Épic demolition by BluePlayer".into();
    neutral.passages.truncate(1);
    neutral.passages[0].text = "0:59 a demolition".into();
    assert!(store.complete_job(job, "w", &again, at(11)).await.unwrap());
    assert_eq!(search_hits(&store, alice.id, "goal", &numbers).await, []);
    assert_eq!(
        search_hits(&store, alice.id, "demoli", &numbers).await,
        vec![
            (1, CoachHitSource::Passage, 60.0),
            (1, CoachHitSource::Event, 65.25)
        ]
    );
    // Diacritics and case are folded both ways.
    assert_eq!(
        search_hits(&store, alice.id, "EPIC", &numbers).await.len(),
        1
    );
}

// ---- re-analysis ----

pub async fn outdated_analysed_recordings_are_queued_for_reanalysis_once(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    for n in 1..=3 {
        analysed(
            &store,
            alice.id,
            n,
            output(100, "Mannfield", "Online", 2, [1, 0]),
        )
        .await;
    }
    // Uploaded but never analysed: nothing to re-analyse.
    store
        .add_upload(&upload(alice.id, 4), at(0), 100)
        .await
        .unwrap();
    let queue = |revision, scope| store.queue_reanalysis(RL, revision, scope, at(50));

    // Stored with revision 7 (see `neutral_of`): current at 7, outdated at 8.
    assert_eq!(queue(7, ReanalysisScope::Outdated).await.unwrap(), 0);
    assert_eq!(queue(8, ReanalysisScope::Outdated).await.unwrap(), 3);
    // Their jobs are waiting: nothing is queued twice.
    assert_eq!(queue(8, ReanalysisScope::Outdated).await.unwrap(), 0);
    assert_eq!(queue(7, ReanalysisScope::Every).await.unwrap(), 0);
    assert_eq!(
        store
            .queue_reanalysis("talk", 99, ReanalysisScope::Every, at(50))
            .await
            .unwrap(),
        0
    );
}

pub async fn every_analysed_recording_can_be_queued_whatever_its_revision(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    for n in 1..=2 {
        analysed(
            &store,
            alice.id,
            n,
            output(100, "Mannfield", "Online", 2, [1, 0]),
        )
        .await;
    }
    assert_eq!(
        store
            .queue_reanalysis(RL, 7, ReanalysisScope::Every, at(50))
            .await
            .unwrap(),
        2
    );
}

pub async fn reanalyses_wait_behind_uploads_and_never_fill_the_upload_queue(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    for n in 1..=3 {
        analysed(
            &store,
            alice.id,
            n,
            output(100, "Mannfield", "Online", 2, [1, 0]),
        )
        .await;
    }
    assert_eq!(
        store
            .queue_reanalysis(RL, 8, ReanalysisScope::Outdated, at(50))
            .await
            .unwrap(),
        3
    );
    // Three re-analyses wait, yet an upload is accepted with a limit of one.
    let upload_job = store
        .add_upload(&upload(alice.id, 9), at(60), 1)
        .await
        .unwrap()
        .job
        .unwrap();
    // The upload, queued last, is claimed first.
    let first = store.claim_job("w1", at(61), LEASE).await.unwrap().unwrap();
    assert_eq!(first.job.id, upload_job);
    // Only uploads count towards the limit: a second upload is now refused.
    assert!(matches!(
        store.add_upload(&upload(alice.id, 10), at(62), 1).await,
        Err(filmroom_store::StoreError::QueueFull { .. })
    ));
    let second = store.claim_job("w2", at(63), LEASE).await.unwrap().unwrap();
    assert_ne!(second.job.id, upload_job);

    // The games list and the uploads page show the upload's state, not the
    // re-analysis running behind it.
    let games = store
        .list_recordings(alice.id, &RecordingFilter::default())
        .await
        .unwrap();
    let analysed_states: Vec<_> = games
        .iter()
        .filter(|g| g.analyzed)
        .map(|g| g.job_state)
        .collect();
    assert_eq!(analysed_states, [Some(JobState::Done); 3]);
    let jobs = store.jobs_for_user(alice.id, 50).await.unwrap();
    assert_eq!(jobs.len(), 4, "three analysed uploads and the new one");
    assert!(jobs.iter().all(|j| j.job.id != second.job.id));
    assert_eq!(
        store
            .job_for_recording(second.job.recording_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        JobState::Done
    );
}

// ---- the recordings list ----

pub async fn the_recordings_list_filters_by_kind_facets_outcome_and_dates_in_sql(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    analysed(
        &store,
        alice.id,
        1,
        output(100, "Mannfield", "Online", 2, [2, 1]),
    )
    .await;
    analysed(
        &store,
        alice.id,
        2,
        output(200, "Wasteland", "Online", 3, [0, 1]),
    )
    .await;
    analysed(
        &store,
        alice.id,
        3,
        output(300, "mannfield", "Online", 1, [1, 1]),
    )
    .await;
    analysed(
        &store,
        bob.id,
        4,
        output(400, "Mannfield", "Online", 2, [2, 1]),
    )
    .await;
    // Uploaded, not analysed yet: listed, with no facts.
    store
        .add_upload(&upload(alice.id, 5), at(500), 100)
        .await
        .unwrap();
    store
        .link_identity(alice.id, RL, "steam:1", at(0))
        .await
        .unwrap();

    let ids = |page: filmroom_store::RecordingPage| -> Vec<u32> {
        page.items
            .iter()
            .map(|i| {
                i.original_filename
                    .trim_start_matches("game-")
                    .trim_end_matches(".replay")
                    .parse()
                    .unwrap()
            })
            .collect()
    };
    let list = |query: RecordingQuery| {
        let store = store.clone();
        async move { store.list_recordings_page(alice.id, &query).await.unwrap() }
    };

    let all = list(RecordingQuery::default()).await;
    assert_eq!(all.total, 4);
    // Newest first; the unanalysed upload (no date) last.
    assert_eq!(ids(all.clone()), [3, 2, 1, 5]);
    let first = &all.items[2];
    assert_eq!(first.kind, RL);
    assert_eq!(first.title.as_deref(), Some("Mannfield 2v2"));
    assert_eq!(first.revision, Some(7));
    assert_eq!(first.job_state, Some(JobState::Done));
    assert_eq!(first.facets["map"], "Mannfield");
    assert_eq!(first.outcome, OwnerOutcome::Win);
    assert_eq!(first.me.as_deref(), Some("steam:1"));
    assert_eq!(all.items[3].revision, None);
    assert!(all.items[3].facets.is_empty());

    let by_map = list(RecordingQuery {
        facets: vec![("map".into(), "MANNFIELD".into())],
        ..RecordingQuery::default()
    })
    .await;
    assert_eq!(ids(by_map), [3, 1], "facet values ignore case");
    let two_facets = list(RecordingQuery {
        facets: vec![
            ("map".into(), "mannfield".into()),
            ("team_size".into(), "2".into()),
        ],
        ..RecordingQuery::default()
    })
    .await;
    assert_eq!(ids(two_facets), [1]);
    let losses = list(RecordingQuery {
        outcome: Some(OwnerOutcome::Loss),
        ..RecordingQuery::default()
    })
    .await;
    assert_eq!(ids(losses), [2]);
    let draws = list(RecordingQuery {
        outcome: Some(OwnerOutcome::Draw),
        ..RecordingQuery::default()
    })
    .await;
    assert_eq!(ids(draws), [3]);
    let window = list(RecordingQuery {
        occurred_from: Some(at(150)),
        occurred_to: Some(at(300)),
        ..RecordingQuery::default()
    })
    .await;
    assert_eq!(ids(window), [2]);
    let other_kind = list(RecordingQuery {
        kind: Some("talk".into()),
        ..RecordingQuery::default()
    })
    .await;
    assert_eq!(other_kind.total, 0);
}

pub async fn the_recordings_list_sorts_both_ways_with_unknowns_last_and_pages(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    analysed(
        &store,
        alice.id,
        1,
        output(100, "Beta", "Online", 2, [2, 1]),
    )
    .await;
    analysed(
        &store,
        alice.id,
        2,
        output(300, "alpha", "Online", 2, [0, 1]),
    )
    .await;
    analysed(
        &store,
        alice.id,
        3,
        output(200, "Gamma", "Online", 2, [1, 1]),
    )
    .await;
    store
        .add_upload(&upload(alice.id, 4), at(0), 100)
        .await
        .unwrap();
    let names = |page: filmroom_store::RecordingPage| -> Vec<String> {
        page.items
            .iter()
            .map(|i| i.title.clone().unwrap_or_else(|| "-".into()))
            .collect()
    };
    let list = |sort, descending, limit, offset| {
        let store = store.clone();
        async move {
            store
                .list_recordings_page(
                    alice.id,
                    &RecordingQuery {
                        sort,
                        descending,
                        limit,
                        offset,
                        ..RecordingQuery::default()
                    },
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(
        names(list(RecordingOrder::Title, false, 10, 0).await),
        ["alpha 2v2", "Beta 2v2", "Gamma 2v2", "-"]
    );
    assert_eq!(
        names(list(RecordingOrder::Title, true, 10, 0).await),
        ["Gamma 2v2", "Beta 2v2", "alpha 2v2", "-"]
    );
    assert_eq!(
        names(list(RecordingOrder::OccurredAt, false, 10, 0).await),
        ["Beta 2v2", "Gamma 2v2", "alpha 2v2", "-"]
    );
    let page = list(RecordingOrder::OccurredAt, false, 2, 2).await;
    assert_eq!(page.total, 4);
    assert_eq!(names(page), ["alpha 2v2", "-"]);
}

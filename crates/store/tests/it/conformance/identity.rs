//! "Me" for users who linked nothing: the inferred link, stored like a link,
//! recomputed with the evidence and replaced by the user's own links. Part of
//! the conformance suite.

use std::sync::Arc;

use filmroom_domain::Subject;
use filmroom_store::{AnalysisOutput, LinkSource, OwnerOutcome, Store, UserId};

use super::{analysed, at, output, upload, user};

const RL: &str = "rl_replay";

/// `output` with its orange player `epic:2` replaced by `key` (named `name`).
fn with_orange(mut out: AnalysisOutput, key: &str, name: &str) -> AnalysisOutput {
    let neutral = out.neutral.as_mut().unwrap();
    for p in &mut neutral.participants {
        if p.key == "epic:2" {
            p.key = key.to_owned();
            p.display_name = name.to_owned();
        }
    }
    for m in &mut neutral.metrics {
        if m.subject == Subject::Participant("epic:2".into()) {
            m.subject = Subject::Participant(key.to_owned());
        }
    }
    neutral.events.retain(|e| {
        !matches!(&e.subject, Subject::Participant(p) if p == "epic:2")
            && e.payload.to_string().find("epic:2").is_none()
    });
    out
}

/// `output` with its blue player `steam:1` replaced by `key` (named `name`).
fn with_blue(mut out: AnalysisOutput, key: &str, name: &str) -> AnalysisOutput {
    let neutral = out.neutral.as_mut().unwrap();
    for p in &mut neutral.participants {
        if p.key == "steam:1" {
            p.key = key.to_owned();
            p.display_name = name.to_owned();
        }
    }
    for m in &mut neutral.metrics {
        if m.subject == Subject::Participant("steam:1".into()) {
            m.subject = Subject::Participant(key.to_owned());
        }
    }
    neutral.events.retain(|e| {
        !matches!(&e.subject, Subject::Participant(p) if p == "steam:1")
            && e.payload.to_string().find("steam:1").is_none()
    });
    out
}

/// `output` with its orange player `epic:2` gone: `steam:1` is its only human.
fn solo(mut out: AnalysisOutput) -> AnalysisOutput {
    let neutral = out.neutral.as_mut().unwrap();
    neutral.participants.retain(|p| p.key != "epic:2");
    neutral
        .metrics
        .retain(|m| m.subject != Subject::Participant("epic:2".into()));
    neutral.events.retain(|e| {
        !matches!(&e.subject, Subject::Participant(p) if p == "epic:2")
            && e.payload.to_string().find("epic:2").is_none()
    });
    out
}

async fn outcome(store: &Arc<dyn Store>, owner: UserId, n: u32) -> OwnerOutcome {
    let id = store
        .add_upload(&upload(owner, n), at(0), 100)
        .await
        .unwrap()
        .recording;
    store
        .stored_analysis_for_owner(owner, id)
        .await
        .unwrap()
        .unwrap()
        .outcome
}

async fn links(store: &Arc<dyn Store>, owner: UserId) -> Vec<(String, LinkSource)> {
    store
        .identity_links(owner)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.participant, l.source))
        .collect()
}

pub async fn me_is_inferred_from_three_recordings_and_the_users_own_link_replaces_it(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    // steam:1 (blue) is in every game; the orange player changes in game 3.
    analysed(
        &store,
        alice.id,
        31,
        output(100, "Mannfield", "Online", 2, [2, 1]),
    )
    .await;
    analysed(
        &store,
        alice.id,
        32,
        output(200, "Mannfield", "Online", 2, [1, 1]),
    )
    .await;
    // Two games are no evidence: both players are in both.
    assert!(links(&store, alice.id).await.is_empty());
    assert_eq!(outcome(&store, alice.id, 31).await, OwnerOutcome::Unknown);

    analysed(
        &store,
        alice.id,
        33,
        with_orange(
            output(300, "Mannfield", "Online", 2, [0, 2]),
            "epic:3",
            "Third",
        ),
    )
    .await;
    assert_eq!(
        links(&store, alice.id).await,
        vec![("steam:1".to_owned(), LinkSource::Inferred)]
    );
    // Every stored outcome follows, not only the new game's.
    assert_eq!(outcome(&store, alice.id, 31).await, OwnerOutcome::Win);
    assert_eq!(outcome(&store, alice.id, 32).await, OwnerOutcome::Draw);
    assert_eq!(outcome(&store, alice.id, 33).await, OwnerOutcome::Loss);
    let identities = store.identities(alice.id).await.unwrap();
    assert_eq!(identities.len(), 1);
    let rl = &identities[0];
    assert_eq!((rl.kind.as_str(), rl.recordings, rl.recognized), (RL, 3, 3));
    assert_eq!(rl.appears_as.as_deref(), Some("BluePlayer"));
    assert_eq!(rl.candidates[0].participant, "steam:1");
    assert_eq!(rl.candidates[0].recordings, 3);
    assert_eq!(rl.candidates[1].participant, "epic:2");
    assert_eq!(rl.candidates[1].recordings, 2);

    // Her own link replaces the inferred one...
    store
        .link_identity(alice.id, RL, "epic:2", at(50))
        .await
        .unwrap();
    assert_eq!(
        links(&store, alice.id).await,
        vec![("epic:2".to_owned(), LinkSource::User)]
    );
    assert_eq!(outcome(&store, alice.id, 31).await, OwnerOutcome::Loss);
    assert_eq!(outcome(&store, alice.id, 33).await, OwnerOutcome::Unknown);
    // ...and removing it brings the inference back.
    assert!(store.unlink_identity(alice.id, RL, "epic:2").await.unwrap());
    assert_eq!(
        links(&store, alice.id).await,
        vec![("steam:1".to_owned(), LinkSource::Inferred)]
    );
    assert_eq!(outcome(&store, alice.id, 31).await, OwnerOutcome::Win);

    // Confirming the inferred participant makes it hers, dated now.
    store
        .set_identity_links(alice.id, RL, &["steam:1".to_owned()], at(60))
        .await
        .unwrap();
    let confirmed = store.identity_links(alice.id).await.unwrap();
    assert_eq!(confirmed.len(), 1);
    assert_eq!(confirmed[0].source, LinkSource::User);
    assert_eq!(confirmed[0].created_at, at(60));
    assert_eq!(outcome(&store, alice.id, 33).await, OwnerOutcome::Loss);
    // Picking someone else, then nobody.
    store
        .set_identity_links(alice.id, RL, &["epic:3".to_owned()], at(61))
        .await
        .unwrap();
    assert_eq!(outcome(&store, alice.id, 33).await, OwnerOutcome::Win);
    assert_eq!(outcome(&store, alice.id, 31).await, OwnerOutcome::Unknown);
    store
        .set_identity_links(alice.id, RL, &[], at(62))
        .await
        .unwrap();
    assert_eq!(
        links(&store, alice.id).await,
        vec![("steam:1".to_owned(), LinkSource::Inferred)]
    );
    // Player names are links of her own too.
    store
        .set_player_names(alice.id, &["OrangePlayer".to_owned()], at(63))
        .await
        .unwrap();
    assert_eq!(
        links(&store, alice.id).await,
        vec![("name:OrangePlayer".to_owned(), LinkSource::User)]
    );
    assert_eq!(outcome(&store, alice.id, 31).await, OwnerOutcome::Loss);
}

pub async fn nobody_is_inferred_from_a_library_of_other_peoples_games(store: Arc<dyn Store>) {
    let bob = user(&store, "bob").await;
    // Six games, each player in at most three of them: no one is in most.
    for (n, (blue, orange)) in [
        ("steam:11", "epic:21"),
        ("steam:11", "epic:22"),
        ("steam:11", "epic:23"),
        ("steam:12", "epic:24"),
        ("steam:13", "epic:25"),
        ("steam:14", "epic:26"),
    ]
    .into_iter()
    .enumerate()
    {
        let n = u32::try_from(n).unwrap();
        let out = with_orange(
            with_blue(
                output(100 + i64::from(n), "Mannfield", "Online", 2, [1, 0]),
                blue,
                blue,
            ),
            orange,
            orange,
        );
        analysed(&store, bob.id, 40 + n, out).await;
    }
    assert!(links(&store, bob.id).await.is_empty());
    assert_eq!(outcome(&store, bob.id, 40).await, OwnerOutcome::Unknown);
    let identities = store.identities(bob.id).await.unwrap();
    assert_eq!((identities[0].recordings, identities[0].recognized), (6, 0));
    assert_eq!(identities[0].appears_as, None);
    assert_eq!(identities[0].candidates[0].participant, "steam:11");
    assert_eq!(identities[0].candidates[0].recordings, 3);
}

pub async fn a_tie_goes_to_the_participant_in_the_newest_recording(store: Arc<dyn Store>) {
    let carol = user(&store, "carol").await;
    // steam:1 and epic:2 are both in three of four games; epic:2 is in the newest.
    analysed(
        &store,
        carol.id,
        51,
        output(100, "Mannfield", "Online", 2, [1, 0]),
    )
    .await;
    analysed(
        &store,
        carol.id,
        52,
        output(200, "Mannfield", "Online", 2, [1, 0]),
    )
    .await;
    analysed(
        &store,
        carol.id,
        53,
        with_orange(
            output(300, "Mannfield", "Online", 2, [1, 0]),
            "epic:9",
            "Nine",
        ),
    )
    .await;
    analysed(
        &store,
        carol.id,
        54,
        with_blue(
            output(400, "Mannfield", "Online", 2, [1, 0]),
            "steam:9",
            "Nine",
        ),
    )
    .await;
    assert_eq!(
        links(&store, carol.id).await,
        vec![("epic:2".to_owned(), LinkSource::Inferred)]
    );
    assert_eq!(outcome(&store, carol.id, 54).await, OwnerOutcome::Loss);
}

pub async fn a_second_owner_of_an_analysed_recording_is_inferred_at_upload(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let dave = user(&store, "dave").await;
    for n in 61..=63 {
        analysed(
            &store,
            alice.id,
            n,
            output(i64::from(n), "Mannfield", "Online", 2, [0, 1]),
        )
        .await;
    }
    // Dave uploads the same three games after their analysis: no job runs,
    // yet his third upload is the evidence that infers him.
    for n in 61..=63 {
        assert!(
            store
                .add_upload(&upload(dave.id, n), at(9), 100)
                .await
                .unwrap()
                .job
                .is_none()
        );
    }
    assert_eq!(
        links(&store, dave.id).await,
        vec![("epic:2".to_owned(), LinkSource::Inferred)]
    );
    assert_eq!(outcome(&store, dave.id, 61).await, OwnerOutcome::Win);
}

pub async fn the_only_human_of_every_recording_is_inferred_from_one_recording(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    analysed(
        &store,
        alice.id,
        41,
        solo(output(100, "Mannfield", "Online", 2, [2, 1])),
    )
    .await;
    assert_eq!(
        links(&store, alice.id).await,
        vec![("steam:1".to_owned(), LinkSource::Inferred)]
    );
    // A recording with another human in it is no longer proof on its own:
    // two recordings are below the count rule's minimum.
    analysed(
        &store,
        alice.id,
        42,
        output(200, "Mannfield", "Online", 2, [1, 1]),
    )
    .await;
    assert!(links(&store, alice.id).await.is_empty());
}

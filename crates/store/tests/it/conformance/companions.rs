//! Companion files linked to recordings at upload (a talk's transcript),
//! the re-analysis a new companion queues, and the per-day counts that
//! plan limits read. Part of the conformance suite.

use std::sync::Arc;

use filmroom_store::{NewCompanion, NewUpload, RecordingKind, Sha256Hex, Store, UploadExtras};

use super::{LEASE, at, output, upload, user};

fn transcript(n: u32) -> NewCompanion {
    NewCompanion {
        purpose: "transcript".to_owned(),
        extension: "vtt".to_owned(),
        sha256: Sha256Hex::digest(format!("transcript {n}").as_bytes()),
        size: 100 + u64::from(n),
        original_filename: format!("talk-{n}.vtt"),
    }
}

fn talk(owner: filmroom_store::UserId, n: u32) -> NewUpload {
    NewUpload {
        kind: RecordingKind::from_static("talk"),
        original_filename: format!("talk-{n}.wav"),
        ..upload(owner, n)
    }
}

fn with(companions: Vec<NewCompanion>, length_s: Option<f64>) -> UploadExtras {
    UploadExtras {
        companions,
        length_s,
    }
}

pub async fn a_companion_is_stored_with_a_new_recording_and_its_one_job(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let outcome = store
        .add_upload_with(
            &talk(alice.id, 1),
            &with(vec![transcript(1)], Some(60.0)),
            at(0),
            100,
        )
        .await
        .unwrap();
    assert!(outcome.upload.newly_stored);
    assert!(outcome.upload.job.is_some());
    assert_eq!(outcome.reanalysis, None, "the upload's own job reads it");
    assert!(outcome.orphaned.is_empty());
    let stored = store
        .recording_companions(outcome.upload.recording)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].purpose, "transcript");
    assert_eq!(stored[0].extension, "vtt");
    assert_eq!(stored[0].sha256, transcript(1).sha256);
    assert_eq!(stored[0].size, 101);
    assert_eq!(stored[0].original_filename, "talk-1.vtt");
    // Without companions, a recording has none.
    let plain = store
        .add_upload(&upload(alice.id, 2), at(0), 100)
        .await
        .unwrap();
    assert!(
        store
            .recording_companions(plain.recording)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_different_companion_for_stored_media_replaces_it_and_queues_one_reanalysis(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let first = store
        .add_upload_with(
            &talk(alice.id, 1),
            &with(vec![transcript(1)], None),
            at(0),
            100,
        )
        .await
        .unwrap();
    let recording = first.upload.recording;
    // The upload's job runs and ends, so the recording is analysed.
    let claimed = store.claim_job("w", at(1), LEASE).await.unwrap().unwrap();
    assert_eq!(claimed.job.recording_id, recording);
    let out = output(0, "Stage", "Talk", 1, [0, 0]);
    assert!(
        store
            .complete_job(claimed.job.id, "w", &out, at(2))
            .await
            .unwrap()
    );
    // The same transcript again changes nothing.
    let same = store
        .add_upload_with(
            &talk(alice.id, 1),
            &with(vec![transcript(1)], None),
            at(3),
            100,
        )
        .await
        .unwrap();
    assert_eq!(same.reanalysis, None);
    assert!(!same.upload.new_for_owner);
    // Another owner's different transcript replaces it for everyone, with
    // one re-analysis however often it is sent before it runs.
    let bob = user(&store, "bob").await;
    let second = store
        .add_upload_with(
            &talk(bob.id, 1),
            &with(vec![transcript(2)], None),
            at(4),
            100,
        )
        .await
        .unwrap();
    assert_eq!(second.upload.recording, recording);
    assert!(second.reanalysis.is_some());
    assert_eq!(second.orphaned, vec![transcript(1).sha256]);
    let third = store
        .add_upload_with(
            &talk(bob.id, 1),
            &with(vec![transcript(3)], None),
            at(5),
            100,
        )
        .await
        .unwrap();
    assert_eq!(third.reanalysis, None, "a re-analysis is already waiting");
    assert_eq!(third.orphaned, vec![transcript(2).sha256]);
    let stored = store.recording_companions(recording).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].sha256, transcript(3).sha256);
    assert_eq!(stored[0].original_filename, "talk-3.vtt");
}

pub async fn uploads_since_count_an_owners_links_of_one_kind_and_their_lengths(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    for (n, when, length) in [(1, 10, Some(60.5)), (2, 20, Some(30.0)), (3, 30, None)] {
        store
            .add_upload_with(&talk(alice.id, n), &with(Vec::new(), length), at(when), 100)
            .await
            .unwrap();
    }
    // Another kind and another owner do not count; nor does sending the
    // same bytes again.
    store
        .add_upload(&upload(alice.id, 4), at(20), 100)
        .await
        .unwrap();
    store
        .add_upload_with(
            &talk(bob.id, 5),
            &with(Vec::new(), Some(500.0)),
            at(20),
            100,
        )
        .await
        .unwrap();
    store
        .add_upload_with(
            &talk(alice.id, 2),
            &with(Vec::new(), Some(30.0)),
            at(40),
            100,
        )
        .await
        .unwrap();
    let all = store.uploads_since(alice.id, "talk", at(0)).await.unwrap();
    assert_eq!(all.uploads, 3);
    assert!((all.seconds - 90.5).abs() < 1e-9, "{all:?}");
    let later = store.uploads_since(alice.id, "talk", at(15)).await.unwrap();
    assert_eq!(later.uploads, 2);
    assert!((later.seconds - 30.0).abs() < 1e-9, "{later:?}");
    let none = store.uploads_since(alice.id, "talk", at(31)).await.unwrap();
    assert_eq!(none.uploads, 0);
    assert_eq!(none.seconds, 0.0);
}

//! Data rights: removing a recording, erasing a user, and the deferred
//! deletion of objects nobody references. Part of the conformance suite.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use filmroom_store::objects::{LocalObjectStore, ObjectError, ObjectStore};
use filmroom_store::{PurgeOutcome, Sha256Hex, Store};

use super::{analysed, at, output, sha, upload, user};

/// Puts recording `n`'s bytes (the little-endian `n` that `sha(n)` hashes).
async fn put_object(objects: &LocalObjectStore, n: u32) -> Sha256Hex {
    let key = sha(n);
    objects.put(&key, &n.to_le_bytes()).await.unwrap();
    key
}

pub async fn removing_a_shared_recording_keeps_it_for_the_other_owner_until_the_last_owner_removes_it(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    analysed(
        &store,
        alice.id,
        1,
        output(0, "Stadium", "ranked", 2, [1, 0]),
    )
    .await;
    let id = store
        .add_upload(&upload(bob.id, 1), at(2), 100)
        .await
        .unwrap()
        .recording;
    let dir = tempfile::tempdir().unwrap();
    let objects = LocalObjectStore::new(dir.path());
    let key = put_object(&objects, 1).await;

    let removal = store
        .remove_recording(alice.id, id, at(3))
        .await
        .unwrap()
        .unwrap();
    assert!(!removal.deleted_everywhere);
    assert_eq!(store.recording_for_owner(alice.id, id).await.unwrap(), None);
    assert!(
        store
            .stored_analysis_for_owner(bob.id, id)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.purge_objects(&objects, 10).await.unwrap(),
        PurgeOutcome::default()
    );
    assert!(objects.exists(&key).await.unwrap());

    let removal = store
        .remove_recording(bob.id, id, at(4))
        .await
        .unwrap()
        .unwrap();
    assert!(removal.deleted_everywhere);
    assert_eq!(store.recording_by_id(id).await.unwrap(), None);
    assert_eq!(store.job_for_recording(id).await.unwrap(), None);
    assert!(store.owned_files(bob.id).await.unwrap().is_empty());
    // The object goes only when the queue is purged, after the rows.
    assert!(objects.exists(&key).await.unwrap());
    let purged = store.purge_objects(&objects, 10).await.unwrap();
    assert_eq!(purged.deleted, 1);
    assert!(!objects.exists(&key).await.unwrap());
    assert_eq!(
        store.purge_objects(&objects, 10).await.unwrap(),
        PurgeOutcome::default()
    );
}

pub async fn a_user_cannot_remove_a_recording_they_do_not_own(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let mallory = user(&store, "mallory").await;
    analysed(
        &store,
        alice.id,
        1,
        output(0, "Stadium", "ranked", 2, [1, 0]),
    )
    .await;
    let id = store.owned_files(alice.id).await.unwrap()[0].recording;
    assert_eq!(
        store.remove_recording(mallory.id, id, at(3)).await.unwrap(),
        None
    );
    assert!(
        store
            .stored_analysis_for_owner(alice.id, id)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn an_upload_of_bytes_queued_for_deletion_keeps_their_object(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let id = store
        .add_upload(&upload(alice.id, 7), at(0), 100)
        .await
        .unwrap()
        .recording;
    let dir = tempfile::tempdir().unwrap();
    let objects = LocalObjectStore::new(dir.path());
    let key = put_object(&objects, 7).await;
    store
        .remove_recording(alice.id, id, at(1))
        .await
        .unwrap()
        .unwrap();
    store
        .add_upload(&upload(alice.id, 7), at(2), 100)
        .await
        .unwrap();
    store.purge_objects(&objects, 10).await.unwrap();
    assert!(objects.exists(&key).await.unwrap());
    assert_eq!(store.owned_files(alice.id).await.unwrap().len(), 1);
}

/// An object store whose deletes fail, as an unreachable bucket's would.
struct FailingDeletes(LocalObjectStore);

#[async_trait]
impl ObjectStore for FailingDeletes {
    async fn put(&self, key: &Sha256Hex, bytes: &[u8]) -> Result<(), ObjectError> {
        self.0.put(key, bytes).await
    }
    async fn get(&self, key: &Sha256Hex) -> Result<Option<Vec<u8>>, ObjectError> {
        self.0.get(key).await
    }
    async fn exists(&self, key: &Sha256Hex) -> Result<bool, ObjectError> {
        self.0.exists(key).await
    }
    async fn delete(&self, key: &Sha256Hex) -> Result<bool, ObjectError> {
        Err(ObjectError::Io {
            key: key.to_string(),
            source: std::io::Error::other("the bucket is unreachable"),
        })
    }
    fn local_path(&self, key: &Sha256Hex) -> Option<std::path::PathBuf> {
        self.0.local_path(key)
    }
}

pub async fn a_failed_object_deletion_stays_queued_and_a_later_purge_finishes_it(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let id = store
        .add_upload(&upload(alice.id, 3), at(0), 100)
        .await
        .unwrap()
        .recording;
    let dir = tempfile::tempdir().unwrap();
    let objects = LocalObjectStore::new(dir.path());
    let key = put_object(&objects, 3).await;
    store
        .remove_recording(alice.id, id, at(1))
        .await
        .unwrap()
        .unwrap();

    let failing = FailingDeletes(LocalObjectStore::new(dir.path()));
    let outcome = store.purge_objects(&failing, 10).await.unwrap();
    assert_eq!(outcome.failed, 1);
    assert!(objects.exists(&key).await.unwrap());
    // The row is gone all the same: nothing points at the object.
    assert_eq!(store.recording_by_id(id).await.unwrap(), None);

    let outcome = store.purge_objects(&objects, 10).await.unwrap();
    assert_eq!(outcome.deleted, 1);
    assert!(!Path::new(&objects.path_of(&key)).exists());
}

pub async fn erasing_a_user_deletes_what_only_they_owned_keeps_shared_recordings_and_audits_without_naming_them(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    analysed(
        &store,
        alice.id,
        1,
        output(0, "Stadium", "ranked", 2, [1, 0]),
    )
    .await;
    analysed(
        &store,
        alice.id,
        2,
        output(10, "Beckwith", "ranked", 2, [0, 1]),
    )
    .await;
    let shared = store
        .add_upload(&upload(bob.id, 2), at(2), 100)
        .await
        .unwrap()
        .recording;
    let files = store.owned_files(alice.id).await.unwrap();
    assert_eq!(files.len(), 2);
    let only_alices = files
        .iter()
        .find(|f| f.recording != shared)
        .unwrap()
        .recording;

    let erasure = store
        .erase_user(alice.id, "self", at(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(erasure.recordings_deleted, 1);
    assert_eq!(erasure.recordings_kept, 1);
    assert_eq!(store.user_by_id(alice.id).await.unwrap(), None);
    assert_eq!(store.recording_by_id(only_alices).await.unwrap(), None);
    assert!(
        store
            .stored_analysis_for_owner(bob.id, shared)
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.owned_files(alice.id).await.unwrap().is_empty());
    assert_eq!(
        store.erase_user(alice.id, "self", at(6)).await.unwrap(),
        None
    );

    let log = store.audit_log(10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "erase_user");
    assert_eq!(log[0].actor, "self");
    assert!(!log[0].detail.contains(&alice.id.to_string()));
    assert!(!log[0].detail.contains("alice"));

    let dir = tempfile::tempdir().unwrap();
    let objects = LocalObjectStore::new(dir.path());
    let gone = put_object(&objects, 1).await;
    let kept = put_object(&objects, 2).await;
    assert_eq!(store.purge_objects(&objects, 10).await.unwrap().deleted, 1);
    assert!(!objects.exists(&gone).await.unwrap());
    assert!(objects.exists(&kept).await.unwrap());
}

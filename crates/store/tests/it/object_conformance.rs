//! One suite for every object storage backend: the local directory and S3
//! (SeaweedFS on loopback, started once for this test binary).

use std::path::Path;
use std::sync::Arc;

use filmroom_store::Sha256Hex;
use filmroom_store::objects::s3::{S3ObjectStore, S3Settings};
use filmroom_store::objects::{LocalObjectStore, ObjectError, ObjectStore};

pub fn s3_settings() -> S3Settings {
    let server = filmroom_test_support::seaweedfs();
    S3Settings {
        endpoint: Some(server.endpoint.clone()),
        region: String::new(),
        access_key_id: Some(server.access_key_id.clone()),
        secret_access_key: Some(server.secret_access_key.clone()),
    }
}

pub fn local(dir: &Path) -> Arc<dyn ObjectStore> {
    Arc::new(LocalObjectStore::new(dir.join("objects")))
}

pub fn s3(_dir: &Path) -> Arc<dyn ObjectStore> {
    let bucket = filmroom_test_support::seaweedfs().bucket();
    Arc::new(S3ObjectStore::new(&bucket, &s3_settings()).unwrap())
}

/// Bytes that differ per call site, so no two tests share a key.
fn bytes_of(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 13) as u8)
        .collect()
}

pub async fn put_get_exists_and_delete_round_trip(objects: Arc<dyn ObjectStore>, _dir: &Path) {
    objects.check().await.unwrap();
    let bytes = bytes_of(1000, 1);
    let key = Sha256Hex::digest(&bytes);
    assert!(!objects.exists(&key).await.unwrap());
    objects.put(&key, &bytes).await.unwrap();
    assert!(objects.exists(&key).await.unwrap());
    assert_eq!(objects.size(&key).await.unwrap(), Some(1000));
    assert_eq!(objects.get(&key).await.unwrap(), Some(bytes));
    assert!(objects.delete(&key).await.unwrap());
    assert!(!objects.exists(&key).await.unwrap());
    assert_eq!(objects.get(&key).await.unwrap(), None);
}

pub async fn a_missing_key_is_absent_everywhere_and_not_an_error(
    objects: Arc<dyn ObjectStore>,
    dir: &Path,
) {
    let key = Sha256Hex::digest(b"never stored");
    assert_eq!(objects.get(&key).await.unwrap(), None);
    assert!(!objects.exists(&key).await.unwrap());
    assert_eq!(objects.size(&key).await.unwrap(), None);
    assert!(!objects.delete(&key).await.unwrap());
    let dest = dir.join("fetched");
    assert!(!objects.get_to_file(&key, &dest).await.unwrap());
}

pub async fn storing_the_same_bytes_again_is_fine(objects: Arc<dyn ObjectStore>, dir: &Path) {
    let bytes = bytes_of(5000, 2);
    let key = Sha256Hex::digest(&bytes);
    objects.put(&key, &bytes).await.unwrap();
    objects.put(&key, &bytes).await.unwrap();
    let upload = dir.join("again");
    std::fs::write(&upload, &bytes).unwrap();
    objects.put_file(&key, &upload).await.unwrap();
    assert!(!upload.exists(), "the file was taken over");
    assert_eq!(objects.get(&key).await.unwrap(), Some(bytes));
}

pub async fn bytes_or_files_that_do_not_hash_to_the_key_are_refused(
    objects: Arc<dyn ObjectStore>,
    dir: &Path,
) {
    let key = Sha256Hex::digest(b"one thing");
    let error = objects.put(&key, b"another thing").await.unwrap_err();
    assert!(
        matches!(error, ObjectError::HashMismatch { .. }),
        "{error:?}"
    );
    let wrong = dir.join("wrong");
    std::fs::write(&wrong, b"another thing").unwrap();
    let error = objects.put_file(&key, &wrong).await.unwrap_err();
    assert!(
        matches!(error, ObjectError::HashMismatch { .. }),
        "{error:?}"
    );
    assert!(!objects.exists(&key).await.unwrap());
}

/// Larger than several multipart parts, so S3 gets a multipart upload; read
/// back through `get_to_file`, which streams it to disk.
pub async fn a_multi_megabyte_file_goes_in_and_comes_back_whole(
    objects: Arc<dyn ObjectStore>,
    dir: &Path,
) {
    let len = 2 * filmroom_store::objects::s3::PART_BYTES + 12_345;
    let bytes = bytes_of(len, 3);
    let key = Sha256Hex::digest(&bytes);
    let upload = dir.join("big");
    std::fs::write(&upload, &bytes).unwrap();
    objects.put_file(&key, &upload).await.unwrap();
    assert!(!upload.exists(), "the file was taken over");
    assert_eq!(objects.size(&key).await.unwrap(), Some(len as u64));
    let dest = dir.join("big-back");
    assert!(objects.get_to_file(&key, &dest).await.unwrap());
    let back = std::fs::read(&dest).unwrap();
    assert_eq!(back.len(), len);
    assert_eq!(Sha256Hex::digest(&back), key);
}

pub async fn concurrent_puts_of_the_same_key_all_succeed_with_the_same_bytes(
    objects: Arc<dyn ObjectStore>,
    dir: &Path,
) {
    let bytes = bytes_of(PART_PLUS, 4);
    let key = Sha256Hex::digest(&bytes);
    let mut tasks = Vec::new();
    for n in 0..6 {
        let (objects, key, bytes) = (objects.clone(), key.clone(), bytes.clone());
        let path = dir.join(format!("copy-{n}"));
        std::fs::write(&path, &bytes).unwrap();
        tasks.push(tokio::spawn(async move {
            if n % 2 == 0 {
                objects.put(&key, &bytes).await
            } else {
                objects.put_file(&key, &path).await
            }
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(objects.get(&key).await.unwrap(), Some(bytes));
}

async fn read_range(
    objects: &dyn ObjectStore,
    key: &Sha256Hex,
    range: std::ops::Range<u64>,
) -> Vec<u8> {
    use futures_util::TryStreamExt;
    let pieces: Vec<bytes::Bytes> = objects
        .get_range(key, range)
        .await
        .unwrap()
        .expect("the object is there")
        .try_collect()
        .await
        .unwrap();
    pieces.concat()
}

/// Ranges from the start, the middle (across the local store's read pieces
/// and S3's parts) and the end, one reaching past the end, and empty ones,
/// each the same bytes as the slice of the whole.
pub async fn a_range_of_an_object_reads_exactly_those_bytes(
    objects: Arc<dyn ObjectStore>,
    dir: &Path,
) {
    let len = filmroom_store::objects::s3::PART_BYTES + 70_001;
    let bytes = bytes_of(len, 5);
    let key = Sha256Hex::digest(&bytes);
    let upload = dir.join("ranged");
    std::fs::write(&upload, &bytes).unwrap();
    objects.put_file(&key, &upload).await.unwrap();
    let len = len as u64;
    for (start, end) in [
        (0, 1),
        (0, 100),
        (65_530, 200_000),
        (len - 10, len),
        (1_000, 1_000 + 3 * 65_536 + 7),
        (5, 5),
    ] {
        let got = read_range(objects.as_ref(), &key, start..end).await;
        assert_eq!(got, &bytes[start as usize..end as usize], "{start}..{end}");
    }
    assert_eq!(
        read_range(objects.as_ref(), &key, len - 3..len + 1_000).await,
        &bytes[len as usize - 3..],
        "a range past the end stops at the end"
    );
    assert!(
        read_range(objects.as_ref(), &key, len..len + 5)
            .await
            .is_empty()
    );
    let missing = Sha256Hex::digest(b"no such object");
    assert!(objects.get_range(&missing, 0..10).await.unwrap().is_none());
}

/// Past one part, so concurrent multipart uploads race too.
const PART_PLUS: usize = filmroom_store::objects::s3::PART_BYTES + 1;

macro_rules! object_conformance {
    ($backend:ident: $($test:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let dir = tempfile::tempdir().unwrap();
                    let objects = super::$backend(dir.path());
                    super::$test(objects, dir.path()).await;
                }
            )*
        }
    };
}

macro_rules! every_backend {
    ($($backend:ident),*) => {
        $(
            object_conformance!($backend:
                put_get_exists_and_delete_round_trip,
                a_missing_key_is_absent_everywhere_and_not_an_error,
                storing_the_same_bytes_again_is_fine,
                bytes_or_files_that_do_not_hash_to_the_key_are_refused,
                a_multi_megabyte_file_goes_in_and_comes_back_whole,
                concurrent_puts_of_the_same_key_all_succeed_with_the_same_bytes,
                a_range_of_an_object_reads_exactly_those_bytes,
            );
        )*
    };
}

every_backend!(local, s3);

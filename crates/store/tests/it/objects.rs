//! The local-directory object store.

use filmroom_store::Sha256Hex;
use filmroom_store::objects::{LocalObjectStore, ObjectError, ObjectStore, connect};

#[tokio::test]
async fn an_object_round_trips_under_its_sharded_key() {
    let dir = tempfile::tempdir().unwrap();
    let objects = LocalObjectStore::new(dir.path().join("objects"));
    let bytes = b"replay bytes".to_vec();
    let key = Sha256Hex::digest(&bytes);
    assert!(!objects.exists(&key).await.unwrap());
    assert_eq!(objects.get(&key).await.unwrap(), None);
    objects.put(&key, &bytes).await.unwrap();
    objects.put(&key, &bytes).await.unwrap();
    assert!(objects.exists(&key).await.unwrap());
    assert_eq!(objects.get(&key).await.unwrap(), Some(bytes));
    let hex = key.as_str();
    let expected = dir
        .path()
        .join("objects")
        .join(&hex[..2])
        .join(&hex[2..4])
        .join(hex);
    assert_eq!(objects.path_of(&key), expected);
    assert!(expected.is_file());
    // No temporary file is left beside it.
    let siblings = std::fs::read_dir(expected.parent().unwrap())
        .unwrap()
        .count();
    assert_eq!(siblings, 1);
    assert!(objects.delete(&key).await.unwrap());
    assert!(!objects.delete(&key).await.unwrap());
    assert!(!objects.exists(&key).await.unwrap());
}

#[tokio::test]
async fn a_file_is_moved_into_place_under_its_hash_and_a_wrong_one_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let objects = LocalObjectStore::new(dir.path().join("objects"));
    // Larger than one read buffer, so the hash is taken over several pieces.
    let bytes: Vec<u8> = (0..200_000u32).map(|n| (n % 251) as u8).collect();
    let key = Sha256Hex::digest(&bytes);
    let mut streamed = filmroom_store::Sha256Stream::new();
    for piece in bytes.chunks(7_000) {
        streamed.update(piece);
    }
    assert_eq!(streamed.finish(), key);

    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, b"not those bytes").unwrap();
    let error = objects.put_file(&key, &wrong).await.unwrap_err();
    assert!(
        matches!(error, ObjectError::HashMismatch { .. }),
        "{error:?}"
    );
    assert!(wrong.is_file(), "a refused file stays with its caller");
    assert!(!objects.exists(&key).await.unwrap());

    let upload = dir.path().join("upload");
    std::fs::write(&upload, &bytes).unwrap();
    objects.put_file(&key, &upload).await.unwrap();
    assert!(!upload.exists(), "the file was taken over");
    assert_eq!(objects.get(&key).await.unwrap(), Some(bytes));
}

#[tokio::test]
async fn bytes_that_do_not_hash_to_the_key_are_refused_and_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let objects = LocalObjectStore::new(dir.path());
    let key = Sha256Hex::digest(b"one thing");
    let error = objects.put(&key, b"another thing").await.unwrap_err();
    assert!(
        matches!(error, ObjectError::HashMismatch { .. }),
        "{error:?}"
    );
    assert!(!objects.exists(&key).await.unwrap());
}

#[test]
fn a_key_that_is_not_64_hex_characters_is_rejected() {
    let good = "ab".repeat(32);
    assert!(Sha256Hex::parse(&good).is_ok());
    assert_eq!(
        Sha256Hex::parse(&good.to_uppercase()).unwrap().as_str(),
        good,
        "keys are normalised to lower case"
    );
    for bad in [
        String::new(),
        "ab".repeat(31),
        "ab".repeat(33),
        format!("../{}", "a".repeat(61)),
        format!("{}/x", "a".repeat(62)),
        "g".repeat(64),
        format!("{}é", "a".repeat(62)),
    ] {
        assert!(Sha256Hex::parse(&bad).is_err(), "{bad:?} was accepted");
    }
}

#[tokio::test]
async fn the_object_store_url_chooses_the_backend() {
    let dir = tempfile::tempdir().unwrap();
    let objects = connect(&format!("file://{}", dir.path().display())).unwrap();
    let key = Sha256Hex::digest(b"x");
    objects.put(&key, b"x").await.unwrap();
    assert!(objects.exists(&key).await.unwrap());
    assert!(connect(dir.path().to_str().unwrap()).is_ok());
    let error = connect("gs://bucket").err().unwrap();
    assert!(
        matches!(error, ObjectError::UnsupportedBackend { .. }),
        "{error:?}"
    );
    assert!(matches!(
        connect("").err().unwrap(),
        ObjectError::InvalidUrl(_)
    ));
}

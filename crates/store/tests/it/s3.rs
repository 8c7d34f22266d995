//! What only the S3 backend does: check the bucket at startup, fail clearly
//! when the server or the bucket is not there, and keep its secret.

use filmroom_store::Sha256Hex;
use filmroom_store::objects::s3::{S3ObjectStore, S3Settings};
use filmroom_store::objects::{ObjectError, ObjectStore, connect_with};

use crate::object_conformance::s3_settings;

#[tokio::test]
async fn an_s3_url_opens_the_bucket_on_the_configured_server() {
    let bucket = filmroom_test_support::seaweedfs().bucket();
    let objects = connect_with(&format!("s3://{bucket}"), &s3_settings()).unwrap();
    objects.check().await.unwrap();
    let key = Sha256Hex::digest(b"via the url");
    objects.put(&key, b"via the url").await.unwrap();
    assert!(objects.exists(&key).await.unwrap());
    assert!(objects.local_path(&key).is_none(), "S3 objects are remote");
}

#[tokio::test]
async fn a_missing_bucket_is_named_in_the_startup_check() {
    let settings = s3_settings();
    let objects = S3ObjectStore::new("no-such-bucket", &settings).unwrap();
    let error = objects.check().await.unwrap_err();
    assert!(
        matches!(error, ObjectError::BucketMissing { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("\"no-such-bucket\" does not exist"),
        "{message}"
    );
    assert!(!format!("{error:?}").contains(settings.secret_access_key.as_deref().unwrap()));
}

#[tokio::test]
async fn a_server_that_is_down_fails_the_check_with_a_clear_error() {
    // A port nobody listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = S3Settings {
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        ..s3_settings()
    };
    let objects = S3ObjectStore::new("films", &settings).unwrap();
    let error = objects.check().await.unwrap_err();
    assert!(
        matches!(error, ObjectError::Unavailable { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
    let chain = format!("{error:?}");
    assert!(
        !chain.contains(settings.secret_access_key.as_deref().unwrap()),
        "{chain}"
    );
}

#[tokio::test]
async fn wrong_credentials_are_refused_and_the_secret_is_never_shown() {
    let bucket = filmroom_test_support::seaweedfs().bucket();
    let settings = S3Settings {
        secret_access_key: Some("not-the-secret-key".to_owned()),
        ..s3_settings()
    };
    let objects = S3ObjectStore::new(&bucket, &settings).unwrap();
    let error = objects.check().await.unwrap_err();
    assert!(
        matches!(error, ObjectError::Unavailable { .. }),
        "{error:?}"
    );
    let key = Sha256Hex::digest(b"refused");
    let error = objects.put(&key, b"refused").await.unwrap_err();
    let shown = format!("{error} {error:?} {settings:?} {objects:?}");
    assert!(!shown.contains("not-the-secret-key"), "{shown}");
}

#[test]
fn an_s3_url_names_a_bucket_and_nothing_else() {
    for url in ["s3://", "s3://bucket/prefix"] {
        let error = connect_with(url, &S3Settings::default()).err().unwrap();
        assert!(
            matches!(error, ObjectError::InvalidUrl(_)),
            "{url}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_large_file_goes_up_as_a_multipart_upload_under_its_content_address() {
    use object_store::ObjectStoreExt as _;
    let bucket = filmroom_test_support::seaweedfs().bucket();
    let settings = s3_settings();
    let objects = S3ObjectStore::new(&bucket, &settings).unwrap();
    let parts = 3;
    let bytes: Vec<u8> = (0..(parts - 1) * filmroom_store::objects::s3::PART_BYTES + 1)
        .map(|i| (i % 251) as u8)
        .collect();
    let key = Sha256Hex::digest(&bytes);
    let dir = tempfile::tempdir().unwrap();
    let upload = dir.path().join("upload");
    std::fs::write(&upload, &bytes).unwrap();
    objects.put_file(&key, &upload).await.unwrap();

    // Read with a client of its own, under the key layout of the local store.
    let raw = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&bucket)
        .with_region("us-east-1")
        .with_endpoint(settings.endpoint.clone().unwrap())
        .with_allow_http(true)
        .with_access_key_id(settings.access_key_id.clone().unwrap())
        .with_secret_access_key(settings.secret_access_key.clone().unwrap())
        .build()
        .unwrap();
    let hex = key.as_str();
    let path = object_store::path::Path::from(format!("{}/{}/{hex}", &hex[0..2], &hex[2..4]));
    let meta = raw.head(&path).await.unwrap();
    assert_eq!(meta.size, bytes.len() as u64);
    // S3 gives a multipart object the ETag `MD5-OF-PART-MD5S-PARTS`.
    let etag = meta.e_tag.unwrap();
    assert!(
        etag.trim_matches('"').ends_with(&format!("-{parts}")),
        "not a {parts}-part upload: {etag}"
    );
}

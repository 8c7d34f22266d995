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

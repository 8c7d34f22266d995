//! The conformance suite against SQLite files in temporary directories, and
//! what only the SQLite backend does (URLs, in-memory databases).

use std::sync::Arc;

use filmroom_store::{SqliteStore, Store, StoreError, connect};

use crate::conformance::TestStore;

fn sqlite_in_a_temp_dir() -> std::pin::Pin<Box<dyn std::future::Future<Output = TestStore> + Send>>
{
    Box::pin(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("filmroom.db").display());
        let store: Arc<dyn Store> = connect(&url).await.unwrap();
        TestStore {
            store,
            _guard: Box::new(dir),
        }
    })
}

crate::conformance_tests!(sqlite_in_a_temp_dir);

#[tokio::test]
async fn an_in_memory_url_opens_a_migrated_store() {
    let store = connect("sqlite::memory:").await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 0);
}

#[tokio::test]
async fn a_postgres_url_is_refused_until_that_backend_exists() {
    let error = connect("postgres://user:secret@localhost/filmroom")
        .await
        .err()
        .unwrap();
    assert!(
        matches!(error, StoreError::UnsupportedBackend { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unknown_scheme_is_a_clear_error_and_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    for url in [
        "sqlite://".to_owned(),
        format!("mysql://{}", path.display()),
        path.display().to_string(),
        String::new(),
    ] {
        let error = connect(&url).await.err().unwrap();
        assert!(
            matches!(error, StoreError::InvalidUrl(_)),
            "{url}: {error:?}"
        );
        assert!(error.to_string().contains("sqlite"), "{error}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_password_in_a_refused_url_never_reaches_the_message() {
    let error = connect("mysql://admin:hunter2@db/filmroom")
        .await
        .err()
        .unwrap();
    assert!(
        !format!("{error} {error:?}").contains("hunter2"),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_database_directory_is_created_and_reopening_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join("nested/data/filmroom.db").display()
    );
    {
        let store = SqliteStore::connect(&url).await.unwrap();
        let name = filmroom_store::Username::parse("alice").unwrap();
        store
            .create_user(&name, "hash", time::OffsetDateTime::UNIX_EPOCH)
            .await
            .unwrap();
        store.pool().close().await;
    }
    let store = connect(&url).await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 1);
}
